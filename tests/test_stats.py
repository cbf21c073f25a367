"""Unit tests for ``harness.evidence.rules``: verdicts on known inputs, agreement with direct
scipy / statsmodels calls, input validation, filled ``Evidence`` fields, and Hypothesis
properties (ci contains the estimate, mirrored claims never agree, p-values match verdicts,
Holm never creates a verdict). Simulation calibration lives in ``test_stats_calibration.py``.
"""

from __future__ import annotations

import gc
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats import proportion as smp  # a module: pytest would collect test_proportions_2indep
from statsmodels.stats.contingency_tables import Table
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.nonparametric import rank_compare_2indep
from statsmodels.stats.power import NormalIndPower, TTestPower
from statsmodels.stats.weightstats import DescrStatsW

from harness.evidence import rules as S
from harness.evidence.rules import core, means, two_sample
from harness.evidence.verdicts import Evidence, Verdict

C, R, I = Verdict.CONFIRMED, Verdict.REFUTED, Verdict.INCONCLUSIVE
RTOL, ATOL = 1e-9, 1e-12  # agreement with direct library calls: same computation


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def allclose(actual, expected, *, rtol: float = RTOL, atol: float = ATOL) -> None:
    np.testing.assert_allclose(np.asarray(actual, float), np.asarray(expected, float), rtol=rtol, atol=atol)


# Deterministic samples (no RNG needed): evenly spaced normal quantiles, mean 0, sd 1.
def _sample(n: int) -> np.ndarray:
    q = stats.norm.ppf((np.arange(n) + 0.5) / n)
    return (q - q.mean()) / q.std(ddof=1)


X_POS = np.exp(_sample(40))  # positive, median 1


# Short forms of the rules for the case tables; bootstrap rules get a fresh seeded Generator.
def _trend(k, n, direction, **kw):
    return S.monotone_trend(k, n, direction=direction, **kw)


def _medians(x, y, direction, seed=0, **kw):
    return S.medians_differ(x, y, direction=direction, rng=_rng(seed), **kw)


def _dists(x, y, direction, **kw):
    return S.distributions_differ(x, y, direction=direction, **kw)


def _barnard_p(alternative):
    """Barnard's exact unconditional one-sided p for 30/50 vs 20/50, straight from scipy."""
    return stats.barnard_exact([[30, 20], [20, 30]], alternative=alternative).pvalue


def _hall_p(values, edge, alternative):
    """Hall's skewness-corrected t, one-sided p times the level factor 1.1, written out (Hall 1992)."""
    x = np.asarray(values, float)
    n = x.size
    g = stats.skew(x, bias=True)
    t = np.sqrt(n) * (x.mean() - edge) / x.std(ddof=1)
    a, b = g / (3 * np.sqrt(n)), g / (6 * np.sqrt(n))
    h = t + a * t**2 + a**2 * t**3 / 3 + b
    return min(1.0, 1.1 * (stats.t.sf(h, n - 1) if alternative == "larger" else stats.t.cdf(h, n - 1)))


def _union_p(k, n, lo, hi):
    """The exact one-sided p of refuting "rate in [lo, hi]" by enumeration: every count at least as
    extreme as k (its smaller tail p at the nearer edge), under the worst rate of [lo, hi]."""
    counts = np.arange(n + 1)
    extreme = np.minimum(stats.binom.cdf(counts, n, lo), stats.binom.sf(counts - 1, n, hi))
    region = extreme <= extreme[k]
    return max(float(stats.binom.pmf(counts, n, t)[region].sum()) for t in np.linspace(lo, hi, 201))


def _bca_ci(data, statistic, seed):
    res = stats.bootstrap(data, statistic, n_resamples=999, method="BCa", rng=_rng(seed))
    return tuple(res.confidence_interval)


def _range_ci(x, lo, hi):
    """Bonferroni bounds of Q(hi) - Q(lo) from scipy's exact quantile intervals at 1 - alpha/2."""
    q_lo = stats.quantile_test(x, p=lo).confidence_interval(0.975)
    q_hi = stats.quantile_test(x, p=hi).confidence_interval(0.975)
    return q_hi.low - q_lo.high, q_hi.high - q_lo.low


def _trimmed(x, axis=-1):
    """A statistic none of the dedicated rules knows: it goes to the BCa bootstrap."""
    return stats.trim_mean(x, 0.1, axis=axis)


# --------------------------------------------------------------------------------------------
# Known inputs -> expected verdict
# --------------------------------------------------------------------------------------------

VERDICT_CASES = [
    ("rate_at_least-confirmed", lambda: S.rate_at_least(190, 200, 0.8), C),
    ("rate_at_least-refuted", lambda: S.rate_at_least(140, 200, 0.8), R),
    ("rate_at_least-inconclusive", lambda: S.rate_at_least(165, 200, 0.8), I),
    ("rate_at_most-confirmed", lambda: S.rate_at_most(10, 200, 0.2), C),
    ("rate_at_most-refuted", lambda: S.rate_at_most(70, 200, 0.2), R),
    ("rate_at_most-inconclusive", lambda: S.rate_at_most(38, 200, 0.2), I),
    ("rate_equals-confirmed", lambda: S.rate_equals(500, 1000, 0.5, margin=0.05), C),
    ("rate_equals-refuted-above", lambda: S.rate_equals(700, 1000, 0.5, margin=0.05), R),
    ("rate_equals-refuted-below", lambda: S.rate_equals(300, 1000, 0.5, margin=0.05), R),
    ("rate_equals-inconclusive", lambda: S.rate_equals(52, 100, 0.5, margin=0.05), I),
    ("rate_equals-edge-below-0", lambda: S.rate_equals(0, 100, 0.02, margin=0.05), C),
    ("rates_differ-confirmed", lambda: S.rates_differ(80, 100, 50, 100, direction="greater"), C),
    ("rates_differ-refuted", lambda: S.rates_differ(80, 100, 50, 100, direction="less"), R),
    ("rates_differ-inconclusive", lambda: S.rates_differ(52, 100, 50, 100, direction="greater"), I),
    ("monotone_trend-confirmed", lambda: _trend([20, 40, 60, 80], [100] * 4, "increasing"), C),
    ("monotone_trend-refuted", lambda: _trend([20, 40, 60, 80], [100] * 4, "decreasing"), R),
    ("monotone_trend-inconclusive", lambda: _trend([50, 52, 49, 51], [100] * 4, "increasing"), I),
    ("monotone_trend-no-information", lambda: _trend([10, 10], [10, 10], "increasing"), I),
    ("mean_equals-confirmed", lambda: S.mean_equals(1.0 + 0.1 * _sample(50), 1.0, margin=0.2), C),
    ("mean_equals-refuted", lambda: S.mean_equals(2.0 + 0.1 * _sample(50), 1.0, margin=0.2), R),
    ("mean_equals-inconclusive", lambda: S.mean_equals(1.2 + _sample(5), 1.0, margin=0.2), I),
    ("metric_exceeds-confirmed", lambda: S.metric_exceeds(1.5 + _sample(30), 0.0, rng=_rng()), C),
    ("metric_exceeds-refuted", lambda: S.metric_exceeds(1.5 + _sample(30), 3.0, rng=_rng()), R),
    ("metric_exceeds-inconclusive", lambda: S.metric_exceeds(1.5 + _sample(30), 1.5, rng=_rng()), I),
    ("metric_exceeds-median", lambda: S.metric_exceeds(1.5 + _sample(30), 0.0, statistic=np.median, rng=_rng()), C),
    ("metric_below-confirmed", lambda: S.metric_below(1.5 + _sample(30), 3.0, rng=_rng()), C),
    ("metric_below-refuted", lambda: S.metric_below(1.5 + _sample(30), 0.0, rng=_rng()), R),
    ("medians_differ-confirmed", lambda: _medians(3 * X_POS, X_POS, "greater"), C),
    ("medians_differ-refuted", lambda: _medians(3 * X_POS, X_POS, "less"), R),
    ("medians_differ-inconclusive", lambda: _medians(1.05 * X_POS, X_POS, "greater"), I),
    ("distributions_differ-confirmed", lambda: _dists(3 * X_POS, X_POS, "greater"), C),
    ("distributions_differ-refuted", lambda: _dists(3 * X_POS, X_POS, "less"), R),
    ("distributions_differ-inconclusive", lambda: _dists(1.05 * X_POS, X_POS, "greater"), I),
    ("distributions_differ-all-tied", lambda: _dists([1.0, 1.0], [1.0, 1.0], "greater"), I),
    ("always-clean-runs-without-tolerance", lambda: S.always(50, 50), I),
    ("always-clean-runs-within-tolerance", lambda: S.always(100, 100, tolerance=0.05), C),
    ("always-too-few-runs-for-tolerance", lambda: S.always(50, 50, tolerance=0.05), I),
    ("always-refuted", lambda: S.always(49, 50), R),
    ("always-refuted-despite-tolerance", lambda: S.always(99, 100, tolerance=0.05), R),
    ("mean_equals-no-spread", lambda: S.mean_equals([1.0, 1.0, 1.0], 1.0, margin=1.0), I),
    ("metric_exceeds-no-spread-at-rounding", lambda: S.metric_exceeds([0.96] * 10, 0.96), I),
    ("metric_exceeds-nine-ones-and-one-lower", lambda: S.metric_exceeds([1.0] * 9 + [0.9], 1.0), I),
    ("metric_below-sd-confirmed", lambda: S.metric_below(0.5 * _sample(10), 1.5, statistic=S.SD), C),
    ("metric_below-sd-refuted", lambda: S.metric_below(3.0 * _sample(10), 1.0, statistic=S.SD), R),
    ("metric_exceeds-sd-confirmed", lambda: S.metric_exceeds(3.0 * _sample(10), 1.0, statistic=S.SD), C),
    ("metric_exceeds-quantile-90", lambda: S.metric_exceeds(5 + _sample(60), 0.0, statistic=S.Quantile(0.9)), C),
    ("metric_exceeds-bca", lambda: S.metric_exceeds(1.5 + _sample(30), 0.0, statistic=_trimmed, rng=_rng()), C),
    (
        "metric_below-width-n50-cannot-confirm",
        lambda: S.metric_below(0.001 * _sample(50), 1.0, statistic=S.QuantileRange()),
        I,
    ),
    ("metric_below-width-n2000-confirmed", lambda: S.metric_below(_sample(2000), 4.5, statistic=S.QuantileRange()), C),
    (
        "metric_exceeds-width-n2000-refuted",
        lambda: S.metric_exceeds(_sample(2000), 4.5, statistic=S.QuantileRange()),
        R,
    ),
    ("metric_below-bca", lambda: S.metric_below(1.5 + _sample(30), 0.0, statistic=_trimmed, rng=_rng()), R),
    ("medians_differ-tied-medians-greater", lambda: _medians([38.0] * 9 + [20.0], [38.0] * 9 + [25.0], "greater"), R),
    ("medians_differ-tied-medians-less", lambda: _medians([38.0] * 9 + [20.0], [38.0] * 9 + [25.0], "less"), R),
    ("distributions_differ-complete-separation", lambda: _dists(np.arange(40.0) + 50, np.arange(40.0), "greater"), C),
    ("exact_value-confirmed", lambda: S.exact_value(0.1 + 0.2, 0.3), C),
    ("exact_value-refuted", lambda: S.exact_value(0.126, 0.125), R),
    ("exact_value-abs_tol", lambda: S.exact_value(0.126, 0.125, abs_tol=0.01), C),
]


@pytest.mark.parametrize("run, expected", [c[1:] for c in VERDICT_CASES], ids=[c[0] for c in VERDICT_CASES])
def test_rule_gives_expected_verdict(run, expected):
    assert run().verdict is expected


# --------------------------------------------------------------------------------------------
# Agreement with direct library calls
# --------------------------------------------------------------------------------------------


def _two(p: float) -> float:
    return min(1.0, 2.0 * p)


def _ttest(values, value, alternative):
    return DescrStatsW(values).ttest_mean(value, alternative=alternative)[1]


MEAN_X = 1.1 + 0.3 * _sample(25)
SKEW_X = np.exp(0.25 * _sample(60))  # skewness about 0.7: inside the corrected t's limit (1.0 at n = 60)
TREND_K, TREND_N = [30, 35, 45, 42], [80, 80, 90, 85]
TWO_X, TWO_Y = 1.6 * X_POS[::2], X_POS  # (20,), (40,)
BM_X, BM_Y = 1.6 * X_POS, np.exp(_sample(60))  # (40,), (60,): Brunner-Munzel decides from 40 per arm
BM_F = two_sample.BM_LEVEL_FACTOR  # the rule multiplies each one-sided p by it (its calibration)

AGREEMENT_CASES = [
    (
        "rate_at_least-p_value",
        lambda: S.rate_at_least(150, 200, 0.8).p_value,
        lambda: _two(stats.binomtest(150, 200, 0.8, alternative="less").pvalue),
    ),
    (
        "rate_at_least-p_confirm",
        lambda: S.rate_at_least(150, 200, 0.7).p_confirm,
        lambda: _two(stats.binomtest(150, 200, 0.7, alternative="greater").pvalue),
    ),
    (
        "rate_at_least-ci-is-clopper-pearson",
        lambda: S.rate_at_least(150, 200, 0.8, alpha=0.1).ci,
        lambda: tuple(stats.binomtest(150, 200).proportion_ci(0.9, method="exact")),
    ),
    (
        "rate_at_least-effect-size-cohen-h",
        lambda: S.rate_at_least(150, 200, 0.8).effect_size,
        lambda: smp.proportion_effectsize(0.75, 0.8),
    ),
    (
        "rate_at_most-p_value",
        lambda: S.rate_at_most(50, 200, 0.2).p_value,
        lambda: _two(stats.binomtest(50, 200, 0.2, alternative="greater").pvalue),
    ),
    (
        "rate_equals-p_confirm-is-tost",
        lambda: S.rate_equals(52, 100, 0.5, margin=0.1).p_confirm,
        lambda: _two(smp.binom_tost(52, 100, 0.4, 0.6)[0]),
    ),
    (
        "rate_equals-p_value-is-the-union-of-both-tails",
        lambda: S.rate_equals(70, 100, 0.5, margin=0.1).p_value,
        lambda: _two(_union_p(70, 100, 0.4, 0.6)),
    ),
    (
        "rate_equals-ci",
        lambda: S.rate_equals(70, 100, 0.5, margin=0.1).ci,
        lambda: tuple(stats.binomtest(70, 100).proportion_ci(0.95, method="exact")),
    ),
    (
        "rates_differ-p_confirm",
        lambda: S.rates_differ(30, 50, 20, 50, direction="greater").p_confirm,
        lambda: _two(_barnard_p("greater")),
    ),
    (
        "rates_differ-p_value",
        lambda: S.rates_differ(30, 50, 20, 50, direction="greater").p_value,
        lambda: _two(_barnard_p("less")),
    ),
    (
        "rates_differ-ci",
        lambda: S.rates_differ(30, 50, 20, 50, direction="less").ci,
        lambda: smp.confint_proportions_2indep(30, 50, 20, 50, method="agresti-caffo", compare="diff"),
    ),
    (
        "monotone_trend-two-sided-p",
        lambda: min((e := _trend(TREND_K, TREND_N, "increasing")).p_value, e.p_confirm),
        lambda: (
            Table(np.column_stack([TREND_K, np.subtract(TREND_N, TREND_K)]), shift_zeros=False)
            .test_ordinal_association(col_scores=np.array([1.0, 0.0]))
            .pvalue
        ),
    ),
    (
        "monotone_trend-slope",
        lambda: _trend(TREND_K, TREND_N, "increasing").estimate,
        lambda: np.polyfit(np.arange(4.0), np.divide(TREND_K, TREND_N), 1, w=np.sqrt(TREND_N))[0],
    ),
    (
        "mean_equals-p_confirm-is-hall-tost",
        lambda: S.mean_equals(SKEW_X, 1.0, margin=0.3).p_confirm,
        lambda: _two(max(_hall_p(SKEW_X, 0.7, "larger"), _hall_p(SKEW_X, 1.3, "smaller"))),
    ),
    (
        "mean_equals-p_value-far-from-the-other-edge-is-one-tail",
        lambda: S.mean_equals(SKEW_X, 0.5, margin=0.1).p_value,
        lambda: _two(_hall_p(SKEW_X, 0.6, "larger")),
    ),
    (
        "mean_equals-ci-of-symmetric-data-is-the-t-interval-at-the-adjusted-level",
        lambda: S.mean_equals(MEAN_X, 1.0, margin=0.3, alpha=0.1).ci,
        lambda: DescrStatsW(MEAN_X).tconfint_mean(alpha=0.1 / 1.1),
    ),
    (
        "metric_exceeds-ci-is-t-at-the-adjusted-level",
        lambda: S.metric_exceeds(MEAN_X, 1.0).ci,
        lambda: DescrStatsW(MEAN_X).tconfint_mean(alpha=0.05 / 1.1),
    ),
    (
        "metric_exceeds-p_confirm-is-hall",
        lambda: S.metric_exceeds(SKEW_X, 1.0).p_confirm,
        lambda: _two(_hall_p(SKEW_X, 1.0, "larger")),
    ),
    (
        "metric_below-p_value-is-hall",
        lambda: S.metric_below(SKEW_X, 1.0).p_value,
        lambda: _two(_hall_p(SKEW_X, 1.0, "larger")),
    ),
    (
        "metric_exceeds-median-ci-is-quantile_test",
        lambda: S.metric_exceeds(MEAN_X, 1.0, statistic=np.median).ci,
        lambda: tuple(stats.quantile_test(MEAN_X, p=0.5).confidence_interval(0.95)),
    ),
    (
        "metric_exceeds-median-p_confirm-is-quantile_test",
        lambda: S.metric_exceeds(MEAN_X, 1.0, statistic=S.MEDIAN).p_confirm,
        lambda: _two(stats.quantile_test(MEAN_X, q=1.0, p=0.5, alternative="greater").pvalue),
    ),
    (
        "metric_below-q90-p_value-is-quantile_test",
        lambda: S.metric_below(MEAN_X, 1.2, statistic=S.Quantile(0.9)).p_value,
        lambda: _two(stats.quantile_test(MEAN_X, q=1.2, p=0.9, alternative="greater").pvalue),
    ),
    (
        "metric_below-sd-ci-is-chi2",
        lambda: S.metric_below(MEAN_X, 1.0, statistic=S.SD).ci,
        lambda: tuple(MEAN_X.std(ddof=1) * np.sqrt(24 / stats.chi2.ppf([0.975, 0.025], 24))),
    ),
    (
        "metric_below-sd-p_confirm-is-chi2",
        lambda: S.metric_below(MEAN_X, 0.4, statistic=S.SD).p_confirm,
        lambda: _two(stats.chi2.cdf(24 * MEAN_X.var(ddof=1) / 0.4**2, 24)),
    ),
    (
        "metric_below-quantile-range-ci-is-two-quantile_test-bounds",
        lambda: S.metric_below(MEAN_X, 1.0, statistic=S.QuantileRange(0.25, 0.75)).ci,
        lambda: _range_ci(MEAN_X, 0.25, 0.75),
    ),
    (
        "metric_exceeds-bca-ci-is-scipy-bca",
        lambda: S.metric_exceeds(MEAN_X, 1.0, statistic=_trimmed, n_resamples=999, rng=_rng(3)).ci,
        lambda: _bca_ci((MEAN_X,), _trimmed, seed=3),
    ),
    (
        "medians_differ-median-ci-is-quantile_test",
        lambda: _medians(TWO_X, TWO_Y, "greater").detail["median_x_ci"],
        lambda: tuple(stats.quantile_test(TWO_X, p=0.5).confidence_interval(0.975)),
    ),
    (
        "distributions_differ-p_confirm-is-brunner-munzel-times-the-level-factor",
        lambda: _dists(BM_X, BM_Y, "greater").p_confirm,
        lambda: _two(BM_F * rank_compare_2indep(BM_X, BM_Y).test_prob_superior(alternative="larger").pvalue),
    ),
    (
        "distributions_differ-p_value-is-brunner-munzel-times-the-level-factor",
        lambda: _dists(BM_X, BM_Y, "greater").p_value,
        lambda: _two(BM_F * rank_compare_2indep(BM_X, BM_Y).test_prob_superior(alternative="smaller").pvalue),
    ),
    (
        "distributions_differ-p_value-is-scipy-brunnermunzel-times-the-level-factor",
        lambda: _dists(BM_X, BM_Y, "less").p_confirm,
        lambda: _two(BM_F * stats.brunnermunzel(BM_X, BM_Y, alternative="less").pvalue),
    ),
    (
        "distributions_differ-cles-from-U",
        lambda: _dists(BM_X, BM_Y, "less").estimate,
        lambda: stats.mannwhitneyu(BM_X, BM_Y).statistic / (BM_X.size * BM_Y.size),
    ),
    (
        "distributions_differ-ci-brunner-munzel-at-the-factored-level-inside-0-1",
        lambda: _dists(BM_X, BM_Y, "less").ci,
        lambda: np.clip(rank_compare_2indep(BM_X, BM_Y).conf_int(alpha=0.05 / BM_F), 0.0, 1.0),
    ),
    (
        "always-ci-clopper-pearson",
        lambda: S.always(30, 30, alpha=0.1).ci,
        lambda: tuple(stats.binomtest(30, 30).proportion_ci(0.9, method="exact")),
    ),
    (
        "always-p_confirm",
        lambda: S.always(100, 100, tolerance=0.05).p_confirm,
        lambda: _two(stats.binomtest(100, 100, 0.95, alternative="greater").pvalue),
    ),
]


@pytest.mark.parametrize("ours, direct", [c[1:] for c in AGREEMENT_CASES], ids=[c[0] for c in AGREEMENT_CASES])
def test_rule_numbers_match_direct_library_call(ours, direct):
    allclose(ours(), direct())


# mde definitions: each mde, fed back into the library's power function, gives 80% power.
def _refute_count(n, p0):
    """Largest count refuting "rate >= p0" at alpha = 0.05: P(Bin(n, p0) <= k) <= 0.025."""
    return int(np.nonzero(stats.binom.cdf(np.arange(n + 1), n, p0) <= 0.025)[0][-1])


def _confirm_count(n, p0):
    """Smallest count confirming "rate >= p0" at alpha = 0.05: P(Bin(n, p0) >= k) <= 0.025."""
    return int(np.nonzero(stats.binom.sf(np.arange(n + 1) - 1, n, p0) <= 0.025)[0][0])


def _power_t(effect, n, alpha=0.025):
    return TTestPower().power(effect_size=effect, nobs=n, alpha=alpha, alternative="larger")


MEAN_LEVEL = 0.025 / means.LEVEL_FACTOR  # the one-sided level the mean rules' tests run at


SD_X = MEAN_X.std(ddof=1)
MDE_CASES = [
    (
        "rate_at_least-exact-binomial",
        lambda: stats.binom.cdf(_refute_count(200, 0.8), 200, 0.8 - S.rate_at_least(160, 200, 0.8).mde),
        lambda: 0.8,
    ),
    (
        "rate_at_least-confirm-exact-binomial",
        lambda: stats.binom.sf(_confirm_count(200, 0.8) - 1, 200, 0.8 + S.rate_at_least(160, 200, 0.8).mde_confirm),
        lambda: 0.8,
    ),
    (
        "rates_differ-centred-on-pooled-rate",
        lambda: NormalIndPower().power(
            smp.proportion_effectsize(
                0.5 + (m := S.rates_differ(40, 80, 40, 80, direction="greater").mde) / 2, 0.5 - m / 2
            ),
            nobs1=80,
            ratio=1.0,
            alpha=0.025,
            alternative="larger",
        ),
        lambda: 0.8,
    ),
    ("mean_equals", lambda: _power_t(S.mean_equals(MEAN_X, 1.0, margin=0.3).mde / SD_X, 25, MEAN_LEVEL), lambda: 0.8),
    ("metric_exceeds-t", lambda: _power_t(S.metric_exceeds(MEAN_X, 1.0).mde / SD_X, 25, MEAN_LEVEL), lambda: 0.8),
    (
        "metric_below-sd-chi2",
        lambda: stats.chi2.sf(
            stats.chi2.ppf(0.975, 24) / (1 + S.metric_below(MEAN_X, 1.0, statistic=S.SD).mde) ** 2, 24
        ),
        lambda: 0.8,
    ),
    (
        "metric_below-sd-chi2-confirm",
        lambda: stats.chi2.cdf(
            stats.chi2.ppf(0.025, 24) / (1 - S.metric_below(MEAN_X, 1.0, statistic=S.SD).mde_confirm) ** 2, 24
        ),
        lambda: 0.8,
    ),
    ("always", lambda: 1.0 - (1.0 - S.always(20, 20).mde) ** 20, lambda: 0.8),
    (
        "always-confirm-is-smallest-confirmable-tolerance",
        lambda: S.always(20, 20, tolerance=S.always(20, 20).mde_confirm * (1 + 1e-9)).verdict is C,
        lambda: True,
    ),
]


@pytest.mark.parametrize("ours, direct", [c[1:] for c in MDE_CASES], ids=[c[0] for c in MDE_CASES])
def test_mde_gives_80_percent_power_in_the_library_power_model(ours, direct):
    allclose(ours(), direct(), rtol=1e-6, atol=1e-9)


# --------------------------------------------------------------------------------------------
# Every Evidence field filled
# --------------------------------------------------------------------------------------------

TYPICAL_CALLS = [
    ("rate_at_least", lambda: S.rate_at_least(150, 200, 0.8)),
    ("rate_at_most", lambda: S.rate_at_most(50, 200, 0.2)),
    ("rate_equals", lambda: S.rate_equals(52, 100, 0.5, margin=0.1)),
    ("rates_differ", lambda: S.rates_differ(30, 50, 20, 50, direction="greater")),
    ("monotone_trend", lambda: _trend(TREND_K, TREND_N, "increasing")),
    ("mean_equals", lambda: S.mean_equals(MEAN_X, 1.0, margin=0.3)),
    ("metric_exceeds", lambda: S.metric_exceeds(MEAN_X, 1.0, n_resamples=999, rng=_rng())),
    ("metric_below", lambda: S.metric_below(MEAN_X, 1.0, n_resamples=999, rng=_rng())),
    ("metric_exceeds-median", lambda: S.metric_exceeds(MEAN_X, 1.0, statistic=np.median)),
    ("metric_below-sd", lambda: S.metric_below(MEAN_X, 1.0, statistic=S.SD)),
    ("metric_exceeds-bca", lambda: S.metric_exceeds(MEAN_X, 1.0, statistic=_trimmed, n_resamples=999, rng=_rng())),
    ("medians_differ", lambda: _medians(TWO_X, TWO_Y, "greater", n_resamples=999)),
    ("distributions_differ", lambda: _dists(BM_X, BM_Y, "greater")),
    ("always", lambda: S.always(30, 30)),
]
TYPICAL_IDS = [c[0] for c in TYPICAL_CALLS]
TYPICAL_RUNS = [c[1] for c in TYPICAL_CALLS]


@pytest.mark.parametrize("run", TYPICAL_RUNS, ids=TYPICAL_IDS)
def test_evidence_reports_positive_finite_mde(run):
    e = run()
    assert e.mde is not None and math.isfinite(e.mde) and e.mde > 0


@pytest.mark.parametrize("run", TYPICAL_RUNS, ids=TYPICAL_IDS)
def test_evidence_reports_p_values_in_unit_interval(run):
    e = run()
    assert 0.0 <= e.p_value <= 1.0 and 0.0 <= e.p_confirm <= 1.0


@pytest.mark.parametrize("run", TYPICAL_RUNS, ids=TYPICAL_IDS)
def test_evidence_has_ordered_ci_n_alpha_and_test_name(run):
    e = run()
    assert e.ci is None or e.ci[0] <= e.ci[1]
    assert e.n >= 1 and e.alpha == 0.05 and e.test
    assert isinstance(e.to_dict()["verdict"], str)


def test_exact_value_record_has_no_ci_p_value_or_mde():
    e = S.exact_value(0.125, 0.125, rel_tol=1e-6, abs_tol=0.0)
    assert (e.ci, e.p_value, e.mde, e.n) == (None, None, None, 1)
    assert e.test == "exact arithmetic (rel_tol=1e-06, abs_tol=0)"


def test_rate_equals_edge_beyond_zero_never_refutes_on_that_side():
    e = S.rate_equals(0, 100, 0.02, margin=0.05)
    assert e.p_value == 1.0 and e.p_confirm <= 0.05


def test_mde_is_none_when_no_rate_in_range_is_that_far():
    assert S.rate_at_least(1, 3, 0.05).mde is None


@pytest.mark.parametrize(
    "run",
    [
        lambda rng: S.metric_exceeds(MEAN_X, 1.0, statistic=_trimmed, n_resamples=199, rng=rng),
        lambda rng: S.metric_below(MEAN_X, 1.0, statistic=_trimmed, n_resamples=199, rng=rng),
    ],
    ids=["metric_exceeds-bca", "metric_below-bca"],
)
def test_bootstrap_rules_are_seeded_and_leave_global_rng_alone(run):
    before = np.random.get_state()[1].copy()
    first, second = run(_rng(11)), run(_rng(11))
    assert first.to_dict() == second.to_dict()
    np.testing.assert_array_equal(np.random.get_state()[1], before)


# --------------------------------------------------------------------------------------------
# Bad inputs
# --------------------------------------------------------------------------------------------

G = _rng()
BAD_INPUTS = [  # (id, error, message pattern, call)
    ("empty-values", ValueError, "values is empty", lambda: S.mean_equals([], 0.0, margin=1.0)),
    ("nan-values", ValueError, "values contains NaN", lambda: S.mean_equals([1.0, np.nan, 2.0], 0.0, margin=1.0)),
    ("inf-values", ValueError, "values contains inf", lambda: S.metric_exceeds([1.0, np.inf], 0.0, rng=G)),
    (
        "2d-values",
        ValueError,
        r"must be 1-D with shape \(N,\)",
        lambda: S.mean_equals(np.ones((3, 2)), 0.0, margin=1.0),
    ),
    ("one-value", ValueError, "at least 2 values", lambda: S.mean_equals([1.0], 0.0, margin=1.0)),
    ("alpha-zero", ValueError, r"alpha must lie in \(0, 1\)", lambda: S.rate_at_least(5, 10, 0.5, alpha=0.0)),
    (
        "alpha-one",
        ValueError,
        r"alpha must lie in \(0, 1\)",
        lambda: S.mean_equals([1.0, 2.0], 0.0, margin=1.0, alpha=1.0),
    ),
    ("alpha-nan", ValueError, r"alpha must lie in \(0, 1\)", lambda: S.always(5, 5, alpha=float("nan"))),
    ("successes-gt-trials", ValueError, r"successes \(11\) > trials \(10\)", lambda: S.rate_at_least(11, 10, 0.5)),
    ("negative-successes", ValueError, "successes must be >= 0", lambda: S.always(-1, 10)),
    ("zero-trials", ValueError, "trials must be >= 1", lambda: S.rate_at_least(0, 0, 0.5)),
    ("float-count", ValueError, "successes must be an integer", lambda: S.rate_at_least(5.0, 10, 0.5)),
    ("bool-count", ValueError, "successes must be an integer", lambda: S.always(True, 1)),
    ("claimed-one", ValueError, r"claimed must lie in \(0, 1\)", lambda: S.rate_at_least(5, 10, 1.0)),
    ("claimed-above-one", ValueError, r"claimed must lie in \[0, 1\]", lambda: S.rate_equals(5, 10, 1.5, margin=0.1)),
    ("margin-zero", ValueError, "margin must be > 0", lambda: S.rate_equals(5, 10, 0.5, margin=0.0)),
    ("margin-negative", ValueError, "margin must be > 0", lambda: S.mean_equals([1.0, 2.0], 0.0, margin=-1.0)),
    ("bad-direction", ValueError, "direction must be one of", lambda: S.rates_differ(1, 2, 1, 2, direction="up")),
    ("bad-trend-direction", ValueError, "direction must be one of", lambda: _trend([1, 2], [3, 3], "greater")),
    (
        "trend-shape-mismatch",
        ValueError,
        r"must both have shape \(K,\)",
        lambda: _trend([1, 2, 3], [5, 5], "increasing"),
    ),
    ("trend-2d", ValueError, r"must both have shape \(K,\)", lambda: _trend([[1, 2]], [[5, 5]], "increasing")),
    ("trend-one-group", ValueError, "at least 2 groups", lambda: _trend([1], [5], "increasing")),
    (
        "trend-scores-shape",
        ValueError,
        "scores must have shape",
        lambda: _trend([1, 2], [5, 5], "increasing", scores=[1.0]),
    ),
    (
        "trend-successes-gt-trials",
        ValueError,
        r"successes \(6\) > trials \(5\)",
        lambda: _trend([1, 6], [5, 5], "increasing"),
    ),
    (
        "rng-missing-for-bootstrap",
        TypeError,
        "rng must be a numpy.random.Generator",
        lambda: S.metric_exceeds([1.0, 2.0, 3.0], 0.0, statistic=_trimmed, rng=None),
    ),
    (
        "rng-legacy",
        TypeError,
        "rng must be a numpy.random.Generator",
        lambda: S.metric_exceeds([1.0, 2.0], 0.0, rng=np.random.RandomState(0)),
    ),
    (
        "few-resamples",
        ValueError,
        "n_resamples must be an integer >= 99",
        lambda: S.metric_exceeds([1.0, 2.0, 3.0], 0.0, statistic=_trimmed, n_resamples=10, rng=G),
    ),
    (
        "statistic-not-finite",
        ValueError,
        "statistic\\(values\\) must be finite",
        lambda: S.metric_exceeds(
            [1.0, 2.0, 3.0], 0.0, statistic=lambda x, axis=-1: np.mean(x, axis=axis) * np.inf, rng=G
        ),
    ),
    (
        "statistic-not-callable",
        ValueError,
        "statistic must be callable",
        lambda: S.metric_exceeds([1.0, 2.0], 0.0, statistic="mean"),
    ),
    ("quantile-range-reversed", ValueError, "quantile range needs 0 < lo < hi < 1", lambda: S.QuantileRange(0.9, 0.1)),
    ("quantile-out-of-range", ValueError, r"quantile q must lie in \(0, 1\)", lambda: S.Quantile(1.0)),
    (
        "sd-threshold-not-positive",
        ValueError,
        "standard-deviation threshold must be > 0",
        lambda: S.metric_below([1.0, 2.0], 0.0, statistic=S.SD),
    ),
    ("tolerance-out-of-range", ValueError, r"tolerance must lie in \(0, 1\)", lambda: S.always(5, 5, tolerance=0.0)),
    (
        "holm-empty-family-name",
        ValueError,
        "family must name the Holm family",
        lambda: S.holm([], alpha=0.05, family=" "),
    ),
    (
        "ratio-nonpositive",
        ValueError,
        "strictly positive",
        lambda: S.medians_differ([1.0, -2.0], [1.0, 2.0], direction="greater", rng=G),
    ),
    ("empty-y", ValueError, "y is empty", lambda: S.distributions_differ([1.0, 2.0], [], direction="greater")),
    ("threshold-nan", ValueError, "threshold must be finite", lambda: S.metric_below([1.0, 2.0], np.nan, rng=G)),
    ("observed-nan", ValueError, "observed must be finite", lambda: S.exact_value(np.nan, 1.0)),
    (
        "negative-tolerance",
        ValueError,
        "rel_tol and abs_tol must be >= 0",
        lambda: S.exact_value(1.0, 1.0, rel_tol=-1.0),
    ),
    (
        "holm-alpha-mismatch",
        ValueError,
        "decided at alpha=0.1",
        lambda: S.holm([S.always(5, 5, alpha=0.1)], alpha=0.05, family="f"),
    ),
    ("holm-without-family", TypeError, "family", lambda: S.holm([S.always(5, 5)], alpha=0.05)),
    ("holm-family-none", ValueError, "family must name the Holm family", lambda: S.holm([], family=None)),
    (
        "holm-not-evidence",
        ValueError,
        r"evidences\[0\] is not an Evidence",
        lambda: S.holm([0.01], alpha=0.05, family="f"),
    ),
]


@pytest.mark.parametrize("error, match, run", [c[1:] for c in BAD_INPUTS], ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_raises_naming_the_problem(error, match, run):
    with pytest.raises(error, match=match):
        run()


# --------------------------------------------------------------------------------------------
# Holm
# --------------------------------------------------------------------------------------------


def _holm_without_gc(evidences, **kwargs):
    """``S.holm`` with ``gc.collect`` stubbed: statsmodels' Holm branch of ``multipletests``
    runs a full garbage collection on every call (~0.1 s), which would dominate the property
    tests below; it does not affect any result."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(gc, "collect", lambda *args, **kw: 0)
        return S.holm(evidences, **kwargs)


def _synthetic(verdict: Verdict, p_value: float | None, p_confirm: float | None = None) -> Evidence:
    return Evidence(verdict, 0.0, None, p_value, None, 10, 0.05, "synthetic", 0.1, p_confirm=p_confirm)


HOLM_FAMILY = [
    _synthetic(R, 0.01, 1.0),
    _synthetic(R, 0.03, 1.0),
    _synthetic(C, 1.0, 0.004),
    _synthetic(I, 0.2, 0.5),
    S.exact_value(1.0, 1.0),
]


def test_holm_adjusted_p_values_match_multipletests():
    out = S.holm(HOLM_FAMILY, alpha=0.05, family="f")
    expected = multipletests([0.01, 0.03, 1.0, 0.2], alpha=0.05, method="holm")[1]
    allclose([e.p_value for e in out[:4]], expected)


def test_holm_withdraws_refutation_whose_adjusted_p_exceeds_alpha():
    # adjusted: 0.01 * 4 = 0.04 (kept), 0.03 * 3 = 0.09 (withdrawn)
    out = S.holm(HOLM_FAMILY, alpha=0.05, family="f")
    assert [e.verdict for e in out[:2]] == [R, I]


def test_holm_adjusts_confirmations_as_their_own_family():
    out = S.holm(HOLM_FAMILY, alpha=0.05, family="f")
    assert out[2].verdict is C
    allclose(out[2].p_confirm, 0.004 * 4)
    assert out[2].detail["p_confirm_raw"] == 0.004


def test_holm_withdraws_confirmation_whose_adjusted_p_exceeds_alpha():
    family = [_synthetic(C, 1.0, 0.03), _synthetic(C, 1.0, 0.04)]  # adjusted: 0.06, 0.06
    assert [e.verdict for e in S.holm(family, alpha=0.05, family="f")] == [I, I]


def test_holm_keeps_rule_mde_confirm_and_flag():
    e = S.mean_equals(MEAN_X, 1.0, margin=0.3)
    out = _holm_without_gc([e], alpha=0.05, family="f")[0]
    assert (out.rule, out.mde_confirm, out.cannot_confirm) == (e.rule, e.mde_confirm, e.cannot_confirm)


def test_holm_passes_evidence_without_p_values_through_unchanged():
    out = S.holm(HOLM_FAMILY, alpha=0.05, family="f")
    assert out[4] is HOLM_FAMILY[4]


def test_holm_adjusts_evidence_that_reports_only_one_side():
    family = [_synthetic(R, 0.01), _synthetic(I, None, 0.01), _synthetic(R, 0.02, 1.0)]
    out = S.holm(family, alpha=0.05, family="f")
    allclose([out[0].p_value, out[2].p_value], [0.02, 0.02])
    allclose(out[1].p_confirm, 0.02)
    assert out[1].p_value is None and out[0].p_confirm is None and "p_confirm_raw" not in out[0].detail


def test_holm_of_empty_family_is_empty():
    assert S.holm([], alpha=0.05, family="f") == []


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------

counts = st.integers(1, 300).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))
rates = st.floats(0.01, 0.99)
alphas = st.sampled_from([0.01, 0.05, 0.1, 0.2])


@settings(deadline=None, max_examples=100)
@given(counts, rates, alphas)
def test_rate_ci_contains_estimate(kn, claimed, alpha):
    e = S.rate_at_least(*kn, claimed, alpha=alpha)
    assert e.ci[0] <= e.estimate <= e.ci[1]


# (rates_differ's Agresti-Caffo ci is centred on a shrunken difference and may exclude the raw
# estimate at all-or-none counts, so its property is symmetry instead.)
@settings(deadline=None, max_examples=100)
@given(counts, counts, alphas)
def test_rates_differ_ci_flips_sign_when_arms_swap(kn1, kn2, alpha):
    ab = S.rates_differ(*kn1, *kn2, direction="greater", alpha=alpha).ci
    ba = S.rates_differ(*kn2, *kn1, direction="greater", alpha=alpha).ci
    allclose(ba, (-ab[1], -ab[0]), rtol=0.0, atol=1e-12)


@settings(deadline=None, max_examples=50)
@given(st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=40), st.floats(0.01, 10.0))
def test_mean_ci_contains_estimate(values, margin):
    x = np.asarray(values)
    # zero-variance samples are rejected by design (see the bad-input table)
    assume(np.ptp(x) > 1e-6 * max(1.0, np.abs(x).max()))
    e = S.mean_equals(x, 0.0, margin=margin)
    if e.ci is None:  # outside the corrected t's calibrated domain: undecided, with the reason
        assert e.detail["reason"] == S.NO_CALIBRATED_RULE and e.verdict is I
    else:
        assert e.ci[0] <= e.estimate <= e.ci[1]


@settings(deadline=None, max_examples=100)
@given(counts, rates, alphas)
def test_rate_at_least_and_at_most_never_both_confirmed_or_both_refuted(kn, claimed, alpha):
    up, down = S.rate_at_least(*kn, claimed, alpha=alpha), S.rate_at_most(*kn, claimed, alpha=alpha)
    assert {up.verdict, down.verdict} not in ({C}, {R})


@settings(deadline=None, max_examples=100)
@given(counts, counts, alphas)
def test_rates_differ_opposite_directions_never_agree(kn1, kn2, alpha):
    g = S.rates_differ(*kn1, *kn2, direction="greater", alpha=alpha)
    l = S.rates_differ(*kn1, *kn2, direction="less", alpha=alpha)
    assert {g.verdict, l.verdict} not in ({C}, {R})


@settings(deadline=None, max_examples=100)
@given(st.lists(counts, min_size=2, max_size=6), alphas)
def test_monotone_trend_opposite_directions_swap_confirmed_and_refuted(groups, alpha):
    k, n = [g[0] for g in groups], [g[1] for g in groups]
    inc = S.monotone_trend(k, n, direction="increasing", alpha=alpha)
    dec = S.monotone_trend(k, n, direction="decreasing", alpha=alpha)
    swap = {C: R, R: C, I: I}
    assert dec.verdict is swap[inc.verdict]


# The CI decides the verdict; the p-values must say the same (they are its duals).
DUALITY_RULES = [
    ("rate_at_least", lambda kn, c, a: S.rate_at_least(*kn, c, alpha=a)),
    ("rate_at_most", lambda kn, c, a: S.rate_at_most(*kn, c, alpha=a)),
    ("rate_equals", lambda kn, c, a: S.rate_equals(*kn, c, margin=0.05, alpha=a)),
    ("rates_differ", lambda kn, c, a: S.rates_differ(*kn, int(c * 100), 100, direction="greater", alpha=a)),
]


@pytest.mark.parametrize("rule", [r[1] for r in DUALITY_RULES], ids=[r[0] for r in DUALITY_RULES])
@settings(deadline=None, max_examples=100)
@given(kn=counts, claimed=rates, alpha=alphas)
def test_verdict_matches_p_values(rule, kn, claimed, alpha):
    e = rule(kn, claimed, alpha)
    # CI bounds and p-values come from different code paths that agree to ~1e-15, so a ci
    # edge sitting exactly on the claimed region (p == alpha) may fall either way
    assume(abs(e.p_value - alpha) > 1e-9 and abs(e.p_confirm - alpha) > 1e-9)
    assert (e.verdict is R) == (e.p_value <= alpha)
    assert (e.verdict is C) == (e.p_confirm <= alpha)


@settings(deadline=None, max_examples=50)
@given(st.lists(st.tuples(counts, rates), min_size=1, max_size=6))
def test_holm_never_creates_a_verdict_and_never_lowers_p(family_spec):
    family = [S.rate_at_least(*kn, c) for kn, c in family_spec]
    for before, after in zip(family, _holm_without_gc(family, family="f"), strict=True):
        assert after.p_value >= before.p_value
        assert after.verdict in (before.verdict, I)


@settings(deadline=None, max_examples=50)
@given(counts, rates)
def test_holm_of_a_single_claim_keeps_its_verdict(kn, claimed):
    e = S.rate_at_least(*kn, claimed)
    assert _holm_without_gc([e], family="f")[0].verdict is e.verdict


@settings(deadline=None, max_examples=100)
@given(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6), st.floats(0.0, 0.1))
def test_exact_value_is_symmetric(a, b, rel_tol):
    assert S.exact_value(a, b, rel_tol=rel_tol).verdict is S.exact_value(b, a, rel_tol=rel_tol).verdict


# --------------------------------------------------------------------------------------------
# Input contracts and edge branches (found untested by the mutation run, docs/mutation-testing.md)
# --------------------------------------------------------------------------------------------


def test_near_means_float_rounding_only():
    assert list(core._near(np.array([1.0 + 1e-13, 1.0 + 1e-7, 1.0 - 1e-7]), 1.0, 1.0)) == [True, False, False]
    assert list(core._near(np.array([1e-13, 1e-10, -1e-10]), 0.0, 1.0)) == [True, False, False]
    assert list(core._near(np.array([0.0]), 1e-10, 1.0)) == [False]
    assert list(core._near(np.array([1e-12 * (1 + 5e-10)]), 0.0, 1.0)) == [True]  # within tolerance of the larger scale


def test_the_absolute_tolerance_follows_the_data_scale():
    """Issue 20: values of magnitude 1e-13 are data, not rounding residue of 0."""
    assert list(core._near(np.array([1e-13, 1e-25]), 0.0, 1e-12)) == [False, True]
    assert core._scale(np.array([-3.0, 2.0]), 5.0) == 5.0 and core._scale(np.zeros(3), 0.0) == 0.0
    x = 1e-13 * np.arange(1.0, 11.0)
    assert S.metric_exceeds(x, 0.0, statistic=np.median).verdict is C
    assert S.metric_below(x, 0.0, statistic=np.median).verdict is R
    assert not core._no_spread(x)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: S.metric_exceeds(["a", "b", "c"], 1.0), "could not convert"),
        (lambda: S.metric_exceeds([1.0], 0.0), "values needs at least 2 values"),
        (lambda: S.metric_exceeds([1.0, 2.0], True), "threshold must be a number"),
        (lambda: S.metric_exceeds([1.0, 2.0], object()), "threshold must be a number"),
        (lambda: S.metric_exceeds([1.0, 2.0], "x"), "threshold must be a number"),
        (lambda: S.rate_at_least(5, "10", 0.5), "trials must be an integer count"),
        (lambda: S.rate_at_least(5, 10, "x"), "claimed must be a number"),
    ],
    ids=[
        "strings",
        "one-value",
        "bool-threshold",
        "object-threshold",
        "string-threshold",
        "string-trials",
        "string-claimed",
    ],
)
def test_bad_input_names_what_is_wrong(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_an_equivalence_claim_may_sit_on_the_end_of_the_rate_range():
    assert S.rate_equals(50, 50, 1.0, margin=0.05).claimed_region == (0.95, 1.05)


def _unit_mean(sums: np.ndarray) -> np.ndarray:
    return sums[..., 1] / sums[..., 0]


def _unit_sums(values) -> np.ndarray:
    return np.column_stack([np.ones(len(values)), values])


UNITS = _unit_sums(np.random.default_rng(11).normal(0.0, 1.0, size=12))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(unit_sums=[["a", "b"]] * 4), "could not convert"),
        (dict(region=(0.0, 0.0)), "region"),
        (dict(region=(math.nan, 1.0)), "region"),
        (dict(region=(0.0, 1.0, 2.0)), "region"),
        (dict(n_splits=True), "n_splits"),
        (dict(n_splits=2.5), "n_splits"),
        (dict(alpha=True), "alpha"),
        (dict(statistic=lambda s: _unit_mean(s).mean()), "statistic must map"),  # loo: one value, not G
        (
            dict(statistic=lambda s: np.where(s[..., 0] > len(UNITS) - 0.5, np.nan, _unit_mean(s))),
            "statistic must be finite on the total",
        ),
    ],
    ids=[
        "strings",
        "empty-region",
        "nan-edge",
        "three-edges",
        "bool-splits",
        "float-splits",
        "bool-alpha",
        "wrong-shape",
        "nan-on-total",
    ],
)
def test_cv_by_units_rejects_bad_input(kwargs, match):
    call = dict(unit_sums=UNITS, statistic=_unit_mean, region=(-1.0, 1.0), n_splits=10) | kwargs
    with pytest.raises(ValueError, match=match):
        S.cv_by_units(**call)


def test_cv_by_units_takes_three_units_and_a_single_column():
    three = S.cv_by_units(UNITS[:3], _unit_mean, region=(-10.0, 10.0), n_splits=3)
    assert three.n == 3
    one_column = S.cv_by_units(UNITS[:, 1:], lambda s: s[..., 0], region=(-100.0, 100.0), n_splits=10)
    assert one_column.estimate == pytest.approx(UNITS[:, 1].sum())


NORMAL20 = np.random.default_rng(12).normal(1.0, 1.0, size=20)
EVERY_RULE_AT = {  # alpha -> the evidence of each public rule decided at that alpha
    "rate_at_least": lambda a: S.rate_at_least(8, 10, 0.5, alpha=a),
    "rate_at_most": lambda a: S.rate_at_most(2, 10, 0.5, alpha=a),
    "rate_equals": lambda a: S.rate_equals(5, 10, 0.5, margin=0.1, alpha=a),
    "rates_differ": lambda a: S.rates_differ(8, 10, 2, 10, direction="greater", alpha=a),
    "monotone_trend": lambda a: S.monotone_trend([1, 5, 9], [10, 10, 10], direction="increasing", alpha=a),
    "always": lambda a: S.always(10, 10, alpha=a),
    "mean_equals": lambda a: S.mean_equals(NORMAL20, 1.0, margin=0.5, alpha=a),
    "metric_exceeds": lambda a: S.metric_exceeds(NORMAL20, 0.0, alpha=a),
    "metric_below-bca": lambda a: S.metric_below(
        NORMAL20,
        3.0,
        statistic=lambda x, axis=-1: np.mean(x, axis=axis),
        rng=np.random.default_rng(1),
        n_resamples=199,
        alpha=a,
    ),
    "medians_differ": lambda a: S.medians_differ(NORMAL20 + 5.0, NORMAL20, direction="greater", alpha=a),
    "distributions_differ": lambda a: S.distributions_differ(BM_X, BM_Y, direction="greater", alpha=a),
    "variance_ratio_equals": lambda a: S.variance_ratio_equals(NORMAL20, NORMAL20[::-1], region=(0.5, 2.0), alpha=a),
    "cv_by_units": lambda a: S.cv_by_units(UNITS, _unit_mean, region=(-1.0, 1.0), n_splits=10, alpha=a),
    "cv_by_units-wide": lambda a: S.cv_by_units(UNITS, _unit_mean, region=(-100.0, 100.0), n_splits=10, alpha=a),
    "not_testable": lambda a: S.not_testable("a cited result", alpha=a),
}  # exact_value takes no alpha


@pytest.mark.parametrize(
    "alpha",
    [0.0, 1.0, 1.5, 1.9, "0.05", None, True],
    ids=["zero", "one", "above-one", "near-two", "string", "none", "bool"],
)
@pytest.mark.parametrize("rule", sorted(EVERY_RULE_AT))
def test_every_rule_rejects_an_alpha_outside_the_open_unit_interval_by_name(rule, alpha):
    with pytest.raises(ValueError, match=r"alpha must lie in \(0, 1\)"):
        EVERY_RULE_AT[rule](alpha)


@pytest.mark.parametrize(
    "call",
    [
        lambda: S.rate_equals(5, 10, "0.5", margin=0.1),
        lambda: S.rate_equals(5, 10, True, margin=0.1),
        lambda: S.rate_equals(5, 10, 0.5, margin=True),
        lambda: S.mean_equals(NORMAL20, "1.0", margin=0.5),
        lambda: S.metric_exceeds(NORMAL20, "0.5"),
    ],
    ids=["string-claimed", "bool-claimed", "bool-margin", "string-mean", "string-threshold"],
)
def test_numbers_given_as_strings_or_bools_are_rejected(call):
    with pytest.raises(ValueError, match="must be a number"):
        call()


def test_a_difference_between_single_runs_has_no_detectable_effect():
    ev = S.rates_differ(1, 1, 0, 1, direction="greater")
    assert ev.mde is None and ev.mde_confirm is None and ev.cannot_confirm


# --------------------------------------------------------------------------------------------
# Issue 20's "Also" list
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 7, 50, 333, 2000])
@pytest.mark.parametrize("p", [1e-4, 0.025, 0.3, 0.5, 0.975, 1 - 1e-4])
@pytest.mark.parametrize("a", [0.0125, 0.025, 0.2])
def test_binomial_cuts_match_their_definition(n, p, a):
    ks = np.arange(n + 1)
    upper = np.nonzero(stats.binom.sf(ks - 1, n, p) <= a)[0]
    lower = np.nonzero(stats.binom.cdf(ks, n, p) <= a)[0]
    assert core._upper_cut.__wrapped__(n, p, a) == (int(upper[0]) if upper.size else None)
    assert core._lower_cut.__wrapped__(n, p, a) == (int(lower[-1]) if lower.size else None)


def _cut_cases_where_the_quantile_guess_is_off() -> list[tuple[int, float, float]]:
    """(n, p, a) where ``binom.isf`` starts ``_upper_cut`` off the cut: tiny exact tail probabilities
    (isf overshoots by up to 6 counts at n = 10, p = 1e-4) and a level one ulp below a tail
    probability (isf undershoots by one count)."""
    exact = [(10, 1e-4, float(stats.binom.sf(k - 1, 10, 1e-4))) for k in range(5, 11)]
    below = [
        (n, p, float(np.nextafter(stats.binom.sf(k - 1, n, p), 0.0)))
        for n, p, k in [(2, 0.01, 1), (3, 0.1, 1), (10, 1e-4, 1)]
    ]
    return exact + below


@pytest.mark.parametrize("n, p, a", _cut_cases_where_the_quantile_guess_is_off())
def test_binomial_cuts_match_their_definition_where_the_quantile_guess_is_off(n, p, a):
    ks = np.arange(n + 1)
    upper = np.nonzero(stats.binom.sf(ks - 1, n, p) <= a)[0]
    lower = np.nonzero(stats.binom.cdf(ks, n, p) <= a)[0]
    assert core._upper_cut_uncached(n, p, a) == int(upper[0])
    assert core._lower_cut_uncached(n, p, a) == (int(lower[-1]) if lower.size else None)


@pytest.mark.parametrize("n, p, a", [(20_000_000, 0.5, 0.025), (333, 0.3, 0.2), (2000, 0.975, 0.0125)])
def test_the_upper_cut_evaluates_the_tail_only_at_the_two_neighbours_of_an_exact_quantile_guess(n, p, a, monkeypatch):
    calls = []
    sf = stats.binom.sf
    monkeypatch.setattr(stats.binom, "sf", lambda k, *args: calls.append(k) or sf(k, *args))
    c = core._upper_cut_uncached(n, p, a)
    assert c == int(stats.binom.isf(a, n, p)) + 1  # isf is exact here: the cut is its guess
    assert calls == [c - 2, c - 1]  # O(1): no walk (issue 20: arrays of length n took 9 s at n = 2e7)


def test_t_effect_takes_two_values_and_refuses_one():
    d = core._t_effect_uncached(2, 0.05)
    assert math.isfinite(d) and d > 0.0
    assert TTestPower().power(effect_size=d, nobs=2, alpha=0.025, alternative="larger") == pytest.approx(0.8, abs=1e-8)
    with pytest.raises(ValueError, match=r"^a t-test needs nobs >= 2, got 1$"):
        core._t_effect_uncached(1, 0.05)


def test_rate_rules_decide_twenty_million_trials_without_arrays_of_that_length():
    assert S.rate_at_least(10_010_000, 20_000_000, 0.5).verdict is C
    assert S.rate_equals(10_010_000, 20_000_000, 0.5, margin=0.01).verdict is C


def test_the_sd_of_values_near_1e300_is_a_finite_estimate():
    x = np.array([1.0, 1.5, 0.7, 1.2, 0.9]) * 1e300
    e = S.metric_below(x, 1e301, statistic=S.SD)
    assert math.isfinite(e.estimate) and e.estimate == pytest.approx(np.std(x / 1e300, ddof=1) * 1e300)
    assert np.isfinite(S.SD(x))


def test_the_sd_statistic_is_each_rows_sample_sd_at_any_magnitude():
    """``SD`` called as a statistic of (..., N) samples (as a bootstrap calls it): the ddof = 1 sd of
    each row along ``axis``, exact for rows near 1e300 and 1e-300 (each row is scaled first: the
    squares would overflow or underflow), 0 for a row of zeros, the other axes' shape kept."""
    base = np.array([1.0, 1.5, 0.7, 1.2, 0.9])
    rows = np.stack([base * 1e300, base * 1e-300, base, np.zeros(5)])  # (4, 5)
    expected = np.std(base, ddof=1) * np.array([1e300, 1e-300, 1.0, 0.0])
    assert S.SD(rows) == pytest.approx(expected, rel=1e-12, abs=0.0)
    assert S.SD(rows.T, axis=0) == pytest.approx(expected, rel=1e-12, abs=0.0)
    assert S.SD(rows[:, None, :]) == pytest.approx(expected[:, None], rel=1e-12, abs=0.0)
    assert S.SD(rows[:, None, :]).shape == (4, 1)


def test_an_sd_beyond_the_float_range_is_a_clear_error():
    """Values near +-1.7e308 have an sd above the largest float: a ValueError that says so."""
    with pytest.raises(ValueError, match="sd is not a finite number"):
        S.metric_below([-1.7e308, 1.7e308], 1e308, statistic=S.SD)


def test_an_sd_near_the_float_limit_over_a_small_threshold_is_decided_not_an_overflow():
    """Values +-1e308: the sd (1.4e308) is a float but its square over a threshold of 1 is not; the
    chi-square statistic is then inf: "sd < 1" refuted and "sd > 1" confirmed, no OverflowError."""
    x = [-1e308, 1e308]
    below, above = S.metric_below(x, 1.0, statistic=S.SD), S.metric_exceeds(x, 1.0, statistic=S.SD)
    assert (below.verdict, above.verdict) == (Verdict.REFUTED, Verdict.CONFIRMED)
    assert below.estimate == pytest.approx(math.sqrt(2.0) * 1e308) and below.detail["chi2_statistic"] == math.inf


def test_a_quantile_range_equal_to_the_threshold_up_to_rounding_at_the_datas_scale_is_not_below_it():
    """Atoms 1e-7 apart: near 0 the 10-90% range is exactly 1e-7, near 10 it is 1e-7 - 6e-16 (float
    rounding at the data's scale, above 1e-9 of the threshold). ``FLOAT_TOL``'s absolute part
    (1e-12 x the data's scale) makes both samples decide "width < 1e-7" alike: refuted."""
    atoms = np.r_[np.zeros(20), np.full(20, 1e-7)]
    at_zero, at_ten = (S.metric_below(a, 1e-7, statistic=S.QuantileRange(0.1, 0.9)) for a in (atoms, 10.0 + atoms))
    assert at_zero.verdict is Verdict.REFUTED
    assert (at_ten.verdict, at_ten.p_value, at_ten.p_confirm) == (at_zero.verdict, at_zero.p_value, at_zero.p_confirm)


@pytest.mark.parametrize(
    "x, y, bounded",
    [
        (0.1 + 0.8 * _sample(30) ** 2 / 10, 0.2 + 0.5 * _sample(31) ** 2 / 10, True),
        ([0.3, 0.5], 0.2 + 0.5 * _sample(31) ** 2 / 10, False),
        (0.1 + 0.8 * _sample(30) ** 2 / 10, [0.3, 0.5], False),
    ],
    ids=["both-bounded", "x-unbounded", "y-unbounded"],
)
def test_median_ratio_interval_divides_the_medians_interval_ends(x, y, bounded):
    """medians_differ's ci is [lo_x / hi_y, hi_x / lo_y] from the medians' intervals (values below 1
    included); where n = 2 cannot bound a median, the ratio's ends are 0 and inf, never negative or NaN."""
    ev = S.medians_differ(x, y, direction="greater")
    (xl, xh), (yl, yh) = ev.detail["median_x_ci"], ev.detail["median_y_ci"]
    assert ev.ci == pytest.approx((xl / yh, xh / yl) if bounded else (0.0, math.inf), rel=1e-12)
    assert all(math.isfinite(v) for v in (xl, xh, yl, yh)) is bounded


@pytest.mark.parametrize("rule", [S.metric_exceeds, S.metric_below])
def test_a_value_within_float_rounding_of_a_zero_threshold_counts_as_equal_to_it(rule):
    """0.1 + 0.2 - 0.3 is 5.6e-17, not 0: on data of scale 1 it is within ``FLOAT_TOL``'s absolute part
    (1e-12 x the data's scale) of a threshold 0, so the median decides exactly as an exact 0 does."""
    x = np.array([-1.0, -0.5, 0.0, 0.5, 1.0] * 4)
    rounded = np.where(x == 0.0, 0.1 + 0.2 - 0.3, x)
    exact, near = (rule(v, 0.0, statistic=np.median) for v in (x, rounded))
    assert near.detail["counts_below_equal_above"] == exact.detail["counts_below_equal_above"] == (8, 4, 8)
    assert (near.p_value, near.p_confirm) == (exact.p_value, exact.p_confirm)


def test_medians_differ_decides_nanosecond_data_as_the_same_data_in_seconds():
    """The float tolerance of ties scales with the data (1e-12 x its magnitude): times of a few
    nanoseconds get the verdict and p-values of the same times a billion times larger."""
    seconds = _medians(3.0 * X_POS, X_POS, "greater")
    nano = _medians(3e-9 * X_POS, 1e-9 * X_POS, "greater")
    assert (nano.verdict, nano.p_value, nano.p_confirm) == (seconds.verdict, seconds.p_value, seconds.p_confirm)


@pytest.mark.parametrize("n_x, n_y", [(39, 100), (100, 39), (5, 5), (2, 2)])
def test_distributions_differ_is_undecided_below_its_calibrated_arm_size(n_x, n_y):
    """Fewer than ``DISTRIBUTIONS_MIN_N`` (40) values in an arm: inconclusive with the reason and the
    sizes, p 1 both ways, even when every x lies far beyond every y; the estimate is still reported."""
    x, y = np.arange(float(n_x)) + 1000.0, np.arange(float(n_y))
    ev = S.distributions_differ(x, y, direction="greater")
    assert ev.verdict is I and (ev.p_value, ev.p_confirm) == (1.0, 1.0) and ev.cannot_confirm
    assert ev.detail["reason"] == "no rule calibrated for this shape at this n"
    assert ev.detail["outside_calibration"] == f"needs >= 40 values per arm, has {n_x} and {n_y}"
    assert ev.estimate == 1.0 and ev.claimed_region == (0.5, 1.0)


def test_distributions_differ_decides_from_its_calibrated_arm_size():
    """40 values per arm (the smallest calibrated size): decided by the Brunner-Munzel t test at its
    factored level."""
    x, y = 2.0 * X_POS, X_POS
    ev = S.distributions_differ(x, y, direction="greater")
    assert ev.verdict is C
    expected = _two(BM_F * stats.brunnermunzel(x, y, alternative="greater").pvalue)
    assert ev.p_confirm == pytest.approx(expected, rel=1e-9)


def test_rate_equals_refutes_a_rate_far_below_a_region_reaching_past_1():
    """0.98 +- 0.05 reaches past 1, so only its lower edge (0.93) can refute: 400 of 500 (0.8) does."""
    assert S.rate_equals(400, 500, 0.98, margin=0.05).verdict is R


def _median_by_percentile(values, axis=-1):
    """The median as a generic callable (the BCa branch), whose resamples sit on the sample's atoms."""
    return np.percentile(values, 50.0, axis=axis)


@pytest.mark.parametrize(
    "atoms, atom, near",
    [
        (np.array([1.0] * 12 + [0.0] * 4 + [2.0] * 4), 1.0, 1.0 + 1e-12),
        (np.array([0.0] * 12 + [-1.0] * 4 + [1.0] * 4), 0.0, 1e-13),
    ],
    ids=["relative", "absolute-on-the-data-scale"],
)
def test_bca_threshold_within_float_rounding_of_an_atom_decides_as_the_atom(atoms, atom, near):
    """Most bootstrap medians equal the atom; a threshold that differs from it by float rounding
    (``FLOAT_TOL``: 1e-9 relative, or 1e-12 of the data's scale near 0) counts those resamples as
    equal to it, so both claims get the p-values they get at the atom itself."""
    for rule in (S.metric_below, S.metric_exceeds):
        at_atom, at_near = (
            rule(atoms, t, statistic=_median_by_percentile, rng=np.random.default_rng(9), n_resamples=999)
            for t in (atom, near)
        )
        assert (at_near.p_value, at_near.p_confirm) == (at_atom.p_value, at_atom.p_confirm)


def test_variance_ratio_of_huge_or_linear_pairs_is_a_clear_value_error_not_a_statsmodels_error():
    rng = np.random.default_rng(1)
    x = rng.normal(size=1500)
    y = x + 0.3 * rng.normal(size=1500)
    assert S.variance_ratio_equals(x * 1e300, y * 1e300, region=(0.5, 2.0)).estimate == pytest.approx(
        np.var(x, ddof=1) / np.var(y, ddof=1)
    )
    with pytest.raises(ValueError, match="exactly linearly related"):
        S.variance_ratio_equals(x, -2.0 * x + 1.0, region=(0.5, 2.0))
    with pytest.raises(ValueError, match="outside the floating-point range"):
        S.variance_ratio_equals(x * 1e-300, y, region=(0.5, 2.0))


def test_every_interval_lies_inside_its_statistics_range():
    bm = S.distributions_differ(np.arange(40.0) + 100, np.arange(40.0), direction="greater")
    assert 0.0 <= bm.ci[0] <= bm.ci[1] <= 1.0
    ratio = S.medians_differ([1.0, 2.0], [3.0, 4.0], direction="less")
    assert ratio.ci == (0.0, math.inf)
    width = S.metric_below(np.r_[np.zeros(30), np.ones(30)], 0.5, statistic=S.QuantileRange(0.3, 0.7))
    assert width.ci[0] >= 0.0
    rates = S.rates_differ(50, 50, 0, 50, direction="greater")
    assert -1.0 <= rates.ci[0] <= rates.ci[1] <= 1.0


def test_an_sd_claim_whose_statistic_overflows_gives_no_numpy_warning():
    """The chi-square statistic (n - 1)(s / t)^2 overflows to inf when s / t exceeds 1e154 (an sd of 1e200
    over a threshold of 1e-3): that is the intended value, and numpy must not warn about it."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ev = S.metric_exceeds([1e200, -1e200, 5e199, 2e199], 1e-3, statistic=S.SD)
    assert ev.verdict is Verdict.CONFIRMED


def test_a_metric_statistic_without_a_name_is_recorded_by_its_repr():
    """A callable without __name__ (a functools.partial) is named by its repr in the captured settings."""
    from functools import partial

    from harness.evidence.rules import one_sample

    statistic = partial(np.quantile, q=0.9)
    assert one_sample._statistic_name(statistic) == repr(statistic)
    assert one_sample._statistic_name(np.mean) == "mean"
