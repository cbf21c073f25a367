"""Verdict rules: pure functions that turn observed data and a claim into an ``Evidence``.

Every statistic comes from scipy / statsmodels, or where no library has it from a cited formula
checked against a simulation (Hall's skewness-corrected t, the vectorised Barnard test checked
against scipy's); this package only wires them to one decision convention. It does not run
experiments, hold state or touch the global RNG (the resampling rules take an explicit
``numpy.random.Generator``), and it never imports pytest.

Modules, one family of rules each: ``core`` (validation and decision helpers), ``rates`` (rates,
trends, ``always``), ``means`` (the skewness-corrected t of a mean and where it is calibrated),
``one_sample`` (a statistic against a threshold, the bootstrap), ``documents`` (a figure a
document computed from its own small sample, against our distribution), ``two_sample`` (medians,
P(X > Y), paired variance ratio), ``sizes`` (a sentence's stated size: every step of a monotone
claim, a ratio of medians, a ratio of ranges), ``cv`` (cross-validated predictions over units), ``exact``
(``exact_value``, ``not_testable``, ``holm``), ``capture`` (the switch that records the rules'
inputs for calibration) and ``registry`` (the one table of rules and their metadata,
``REGISTRY``).

Where no rule is calibrated for the data's shape at its n (a mean of strongly skewed data, a
variance from a few heavy-tailed values), the evidence is inconclusive with the reason
``NO_CALIBRATED_RULE``, never a decision from an uncalibrated rule.

Decision convention (the "three-decision rule": one two-sided level-``alpha`` procedure, read
off in both directions). Each rule computes two p-values on the two-sided scale:

- ``Evidence.p_value`` (against the claim): the smallest ``alpha`` at which the rule refutes,
  twice the one-sided p-value of the test against the claim, capped at 1;
- ``Evidence.p_confirm`` (for the claim): the smallest ``alpha`` at which it confirms.

The verdict is read off them and nothing else: ``confirmed`` iff ``p_confirm <= alpha``,
else ``refuted`` iff ``p_value <= alpha``, else ``inconclusive`` (``_verdict_from_p``).
``ci`` is the equal-tailed two-sided ``1 - alpha`` interval dual to the two tests: confirmed
iff it lies strictly inside the claimed region, refuted iff it touches or lies outside it.
A directional claim is therefore refuted by a one-sided test at ``alpha / 2`` and confirmed by
the opposite one-sided test at ``alpha / 2``; the two p-values of one rule never both fall
below ``alpha`` (for ``alpha < 1``), so no claim is confirmed in both directions and no
verdict disagrees with its own p-values. ``tests/test_stats_calibration.py`` checks both
one-sided error rates by simulation at the sample sizes and data shapes the claims use.

Ties, atoms and float rounding: a value within ``FLOAT_TOL`` (``math.isclose`` with
``rel_tol=1e-9, abs_tol=1e-12``) of a threshold counts as equal to it, so a mean of ten 0.96
(0.9600000000000002) is 0.96. A sample without spread carries no information on the spread of
its mean (with atoms it is a likely event whatever the mean is), so the parametric rules say
``inconclusive`` on it (p = 1 both ways) instead of deciding from a zero-width interval.

Power: ``mde`` is the effect *against* the claim (beyond the claimed region) that the rule
refutes with 80% power at this ``n`` and ``alpha``; ``mde_confirm`` the effect *for* it (inside
the region, from its nearest edge) that it confirms with 80% power; ``cannot_confirm`` flags a
rule that cannot reach 80% confirmation power for any true value at this ``n``. Both are exact
where the test is exact (binomial, t and chi-square under normal data, order statistics in
probability units); each docstring says how they are computed and in which units.

Rule names: every public rule records its own name in ``Evidence.rule`` (``REGISTRY`` maps the
names to the rules and their metadata); ``holm`` keeps it and records the family it adjusted.
The claimed region (where the claim holds) is ``Evidence.claimed_region``.
"""

from harness.evidence.rules.core import FLOAT_TOL, NO_CALIBRATED_RULE, POWER
from harness.evidence.rules.cv import cv_by_units
from harness.evidence.rules.documents import mean_matches, quantile_matches, sd_matches
from harness.evidence.rules.exact import exact_value, holm, not_testable
from harness.evidence.rules.means import mean_equals
from harness.evidence.rules.one_sample import (
    MEDIAN,
    SD,
    Quantile,
    QuantileRange,
    StandardDeviation,
    metric_below,
    metric_exceeds,
)
from harness.evidence.rules.rates import always, monotone_trend, rate_at_least, rate_at_most, rate_equals, rates_differ
from harness.evidence.rules.registry import KINDS, REGISTRY, Rule
from harness.evidence.rules.sizes import expected_range, median_in, median_ratio_in, monotone_steps, range_ratio_in
from harness.evidence.rules.two_sample import distributions_differ, medians_differ, variance_ratio_equals

__all__ = [
    "FLOAT_TOL",
    "KINDS",
    "MEDIAN",
    "NO_CALIBRATED_RULE",
    "POWER",
    "REGISTRY",
    "SD",
    "Quantile",
    "QuantileRange",
    "Rule",
    "StandardDeviation",
    "always",
    "cv_by_units",
    "distributions_differ",
    "exact_value",
    "expected_range",
    "holm",
    "mean_equals",
    "mean_matches",
    "median_in",
    "median_ratio_in",
    "medians_differ",
    "metric_below",
    "metric_exceeds",
    "monotone_steps",
    "monotone_trend",
    "not_testable",
    "quantile_matches",
    "rate_at_least",
    "rate_at_most",
    "rate_equals",
    "range_ratio_in",
    "rates_differ",
    "sd_matches",
    "variance_ratio_equals",
]
