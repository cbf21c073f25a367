"""The one registry of verdict rules: each rule's function and the metadata the harness reads.

Claims (``Claim.test`` names a claim kind, ``check_evidence`` checks the rule behind the
evidence), the power plan (``harness.evidence.planning``: how the claimed region becomes a
resolution, whether n matters at all) and the docs read this table and nothing else. A new
rule is one function in a rule module and one ``Rule`` entry below.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from harness.evidence.rules.cv import cv_by_units
from harness.evidence.rules.documents import mean_matches, quantile_matches, sd_matches
from harness.evidence.rules.exact import exact_value, not_testable
from harness.evidence.rules.means import mean_equals
from harness.evidence.rules.one_sample import metric_below, metric_exceeds
from harness.evidence.rules.rates import always, monotone_trend, rate_at_least, rate_at_most, rate_equals, rates_differ
from harness.evidence.rules.sizes import median_in, median_ratio_in, monotone_steps, range_ratio_in
from harness.evidence.rules.two_sample import (
    DISTRIBUTIONS_MIN_N,
    distributions_differ,
    medians_differ,
    variance_ratio_equals,
)
from harness.evidence.verdicts import Evidence

__all__ = ["KINDS", "PLAN_BASES", "REGISTRY", "PlanBasis", "Rule"]

# How the power plan reads a rule's evidence (``harness.evidence.planning``):
# - "region": the resolution is read off the claimed region (half a finite interval, else 10% of
#   the one-sided boundary), n from the MDEs by sqrt-n scaling;
# - "equivalence": the region is value +- margin, the resolution is the margin (sqrt-n scaling);
# - "difference": the region (0, 1) or (-1, 0) of a difference is bounded by 0, not by 1: the
#   resolution is 10% of the estimate (sqrt-n scaling);
# - "failure tolerance": ``always``, planned exactly from its failure tolerance;
# - "n-free": the verdict does not depend on n (no plan).
PlanBasis = Literal["region", "equivalence", "difference", "failure tolerance", "n-free"]
PLAN_BASES: tuple[str, ...] = ("region", "equivalence", "difference", "failure tolerance", "n-free")


@dataclass(frozen=True)
class Rule:
    """One verdict rule: its function (whose ``__name__`` it records in ``Evidence.rule``) and metadata."""

    function: Callable[..., Evidence]  # the rule itself
    summary: str  # the claim it decides and how, in one line
    plan: PlanBasis = "region"  # how the power plan reads its evidence (see ``PlanBasis``)
    also_decides: Mapping[str, str] = field(default_factory=dict)  # other claim kinds it may decide -> why
    min_n: int = 2  # the fewest values (both arms together for two samples) it can decide from: the planner's floor

    def __post_init__(self) -> None:
        if self.plan not in PLAN_BASES:
            raise ValueError(f"rule {self.name!r}: plan must be one of {PLAN_BASES}, got {self.plan!r}")
        if isinstance(self.min_n, bool) or not isinstance(self.min_n, int) or self.min_n < 1:
            raise ValueError(f"rule {self.name!r}: min_n must be a positive integer, got {self.min_n!r}")
        if not self.summary.strip():
            raise ValueError(f"rule {self.name!r} needs a one-line summary")
        object.__setattr__(self, "also_decides", MappingProxyType(dict(self.also_decides)))

    @property
    def name(self) -> str:
        """The name the rule records in ``Evidence.rule`` and the claim kind it decides."""
        return self.function.__name__


_ENTRIES: tuple[Rule, ...] = (
    Rule(rate_at_least, "a success rate is at least p0 (exact binomial)"),
    Rule(rate_at_most, "a rate is at most p0 (exact binomial)"),
    Rule(rate_equals, "a rate is approximately p0 (binomial TOST with a margin)", plan="equivalence"),
    Rule(rates_differ, "two rates differ in a stated direction", plan="difference"),
    Rule(monotone_trend, "rates trend across ordered groups (Cochran-Armitage)"),
    Rule(
        monotone_steps, "rates rise (fall) at every adjacent step: all steps confirm / any reversed", plan="difference"
    ),
    Rule(
        mean_equals,
        "a mean is approximately a value (Hall's skewness-corrected t TOST with a margin)",
        plan="equivalence",
    ),
    Rule(metric_exceeds, "a statistic exceeds a threshold (t / order statistics / chi-square / BCa)"),
    Rule(metric_below, "a statistic stays below a threshold"),
    Rule(medians_differ, "medians differ in a direction (exact order statistics)"),
    Rule(
        median_in,
        "a median lies in a stated region, e.g. a timed reduction's size (exact sign tests)",
        plan="equivalence",
        min_n=7,  # 2^-n <= alpha / 4 at alpha = 0.05
    ),
    Rule(median_ratio_in, "a ratio of medians lies in a stated region, e.g. a speedup's size (exact order statistics)"),
    Rule(range_ratio_in, "a ratio of sample ranges at stated sample sizes lies in a region (percentile bootstrap)"),
    Rule(
        distributions_differ,
        "P(X > Y) differs from 1/2 in a direction (Brunner-Munzel)",
        min_n=2 * DISTRIBUTIONS_MIN_N,  # 40 per arm
    ),
    Rule(
        cv_by_units,
        "a statistic of cross-validated predictions, jackknife over units (Nadeau-Bengio, Hall's skewness-corrected t)",
    ),
    Rule(
        quantile_matches,
        "a document's sample quantile of m values is plausible here (exact order statistics, atoms included)",
        plan="equivalence",
    ),
    Rule(mean_matches, "a document's mean of m values is plausible here (its own t half-width)", plan="equivalence"),
    Rule(sd_matches, "a document's sd of m values is plausible here (no calibrated rule: inconclusive)"),
    Rule(variance_ratio_equals, "Var x / Var y of paired samples lies in a range (HC3 Pitman-Morgan)"),
    Rule(
        always,
        '"always / guaranteed / 100%": a counter-example refutes',
        plan="failure tolerance",
        also_decides={"mean_equals": "a sample without spread has no t interval: decided seed by seed"},
    ),
    Rule(
        exact_value,
        "arithmetic in the text, checked with a tolerance",
        plan="n-free",
        also_decides={"self_consistency": "numbers in the text agree with each other"},
    ),
    Rule(not_testable, "cannot be tested here (reason recorded): inconclusive", plan="n-free"),
)

# Every rule by the name it records in ``Evidence.rule``.
REGISTRY: Mapping[str, Rule] = MappingProxyType({r.name: r for r in _ENTRIES})
if len(REGISTRY) != len(_ENTRIES):
    raise RuntimeError("two registry entries share a rule name")


def _kinds() -> dict[str, frozenset[str]]:
    kinds: dict[str, set[str]] = {name: {name} for name in REGISTRY}
    for rule in REGISTRY.values():
        for kind in rule.also_decides:
            kinds.setdefault(kind, set()).add(rule.name)
    return {kind: frozenset(names) for kind, names in sorted(kinds.items())}


# Claim kinds a claim may name (``Claim.test``) -> the rules whose evidence may decide it: each
# rule decides its own kind, and the kinds in its ``also_decides``.
KINDS: Mapping[str, frozenset[str]] = MappingProxyType(_kinds())
