"""Verdicts and the evidence behind them: what a statistical rule returns for one claim.

A verdict is ``confirmed`` (the data support the claim at ``alpha``), ``refuted`` (the data
contradict it at ``alpha``) or ``inconclusive`` (neither). Rules live in ``harness.evidence.rules``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Verdict(StrEnum):
    """Outcome of testing one claim; the string value is what ledgers and reports store."""

    CONFIRMED = "confirmed"
    REFUTED = "refuted"
    INCONCLUSIVE = "inconclusive"

    @classmethod
    def parse(cls, text: str) -> Verdict:
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
    rule's stated level), ``mde`` the minimum effect *against* the claim refuted with 80% power
    at this ``n``, ``mde_confirm`` the minimum effect *for* the claim (distance inside the
    claimed region) confirmed with 80% power (both in the units of ``estimate``; ``None`` where
    no such effect exists). ``cannot_confirm`` is true when no true value makes confirmation
    80% likely at this ``n`` (and ``alpha``). ``rule`` names the rule of
    ``harness.evidence.rules`` that produced the evidence (the recorder checks it against
    ``Claim.test``). ``p_confirm`` is the p-value *for* the claim (the smallest alpha at which
    the rule confirms; ``p_value`` is the one against it), ``claimed_region`` the (lo, hi) range
    of the estimate in which the claim holds (edges may be infinite); both ``None`` for rules
    without them. ``detail`` holds any further named numbers.
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
    rule: str | None = None
    mde_confirm: float | None = None
    cannot_confirm: bool = False
    population_n: int | None = None
    p_confirm: float | None = None
    claimed_region: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.verdict, Verdict):
            raise ValueError(f"verdict must be a Verdict, got {self.verdict!r}")
        if not 0.0 < self.alpha < 1.0:
            raise ValueError(f"alpha must lie in (0, 1), got {self.alpha}")
        if self.n < 1:
            raise ValueError(f"n must be >= 1, got {self.n}")
        if self.population_n is not None and not (isinstance(self.population_n, int) and self.population_n >= self.n):
            raise ValueError(f"population_n must be an int >= n = {self.n}, got {self.population_n!r}")
        if self.p_value is not None and not 0.0 <= self.p_value <= 1.0:  # NaN too: Holm would keep its verdict
            raise ValueError(f"p_value must lie in [0, 1] (or be None), got {self.p_value}")
        if self.p_confirm is not None and not 0.0 <= self.p_confirm <= 1.0:
            raise ValueError(f"p_confirm must lie in [0, 1] (or be None), got {self.p_confirm}")
        if self.claimed_region is not None and not (
            len(self.claimed_region) == 2 and float(self.claimed_region[0]) < float(self.claimed_region[1])
        ):
            raise ValueError(f"claimed_region must be (lo, hi) with lo < hi (or None), got {self.claimed_region!r}")
        if self.rule is not None and (not isinstance(self.rule, str) or not self.rule):
            raise ValueError(f"rule must be a non-empty rule name or None, got {self.rule!r}")
        if not isinstance(self.cannot_confirm, bool):
            raise ValueError(f"cannot_confirm must be a bool, got {self.cannot_confirm!r}")

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
            "rule": self.rule,
            "mde_confirm": self.mde_confirm,
            "cannot_confirm": self.cannot_confirm,
            "population_n": self.population_n,
            "p_confirm": self.p_confirm,
            "claimed_region": list(self.claimed_region) if self.claimed_region is not None else None,
        }

    def over_subset(self, population_n: int) -> Evidence:
        """This evidence, marked as computed on ``n`` of ``population_n`` runs (a ``Claim.subset``)."""
        return dataclasses.replace(self, population_n=population_n)
