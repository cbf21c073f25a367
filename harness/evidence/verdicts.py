"""Verdicts and the evidence behind them: what a statistical rule returns for one claim.

A verdict is ``confirmed`` (the data support the claim at ``alpha``), ``refuted`` (the data
contradict it at ``alpha``) or ``inconclusive`` (neither). Rules live in ``harness.evidence.stats``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Verdict(str, Enum):
    """Outcome of testing one claim; the string value is what ledgers and reports store."""

    CONFIRMED = "confirmed"
    REFUTED = "refuted"
    INCONCLUSIVE = "inconclusive"

    @classmethod
    def parse(cls, text: str) -> "Verdict":
        """Return the verdict named by ``text``; raise ``ValueError`` naming the bad string."""
        try:
            return cls(text)
        except ValueError:
            allowed = ", ".join(v.value for v in cls)
            raise ValueError(f"unknown verdict {text!r}; expected one of: {allowed}") from None


@dataclass(frozen=True)
class Evidence:
    """Everything a rule measured for one claim: the verdict plus the numbers that justify it.

    ``ci`` is a (lo, hi) confidence interval for ``estimate`` at level 1 - alpha (or the
    rule's stated level), ``mde`` the minimum detectable effect at 80% power for this ``n``
    (in the same units as ``estimate``), ``detail`` any further named numbers worth reporting.
    ``population_n``: for evidence over a subset of runs (``Claim.subset``), the size of the
    population the ``n`` runs were selected from (``n <= population_n``); ``None`` otherwise.
    """

    verdict: Verdict
    estimate: float
    ci: tuple[float, float] | None
    p_value: float | None
    effect_size: float | None
    n: int
    alpha: float
    test: str
    mde: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    population_n: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.verdict, Verdict):
            raise ValueError(f"verdict must be a Verdict, got {self.verdict!r}")
        if not 0.0 < self.alpha < 1.0:
            raise ValueError(f"alpha must lie in (0, 1), got {self.alpha}")
        if self.n < 1:
            raise ValueError(f"n must be >= 1, got {self.n}")
        if self.population_n is not None and not (isinstance(self.population_n, int) and self.population_n >= self.n):
            raise ValueError(f"population_n must be an int >= n = {self.n}, got {self.population_n!r}")
        if self.p_value is not None and not (0.0 <= self.p_value <= 1.0 or math.isnan(self.p_value)):
            raise ValueError(f"p_value must lie in [0, 1], got {self.p_value}")

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (verdict as its string, ci as a list) used by reports and xdist."""
        return {
            "verdict": self.verdict.value,
            "estimate": self.estimate,
            "ci": list(self.ci) if self.ci is not None else None,
            "p_value": self.p_value,
            "effect_size": self.effect_size,
            "n": self.n,
            "alpha": self.alpha,
            "test": self.test,
            "mde": self.mde,
            "detail": dict(self.detail),
            "population_n": self.population_n,
        }

    def over_subset(self, population_n: int) -> "Evidence":
        """This evidence, marked as computed on ``n`` of ``population_n`` runs (a ``Claim.subset``)."""
        return dataclasses.replace(self, population_n=population_n)
