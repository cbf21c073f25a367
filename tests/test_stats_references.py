"""Rules checked against independent references, number by number: the BCa rule against
``scipy.stats.bootstrap(method='BCa')`` and its own interval (duality, p floors, MDE), the
Cochran-Armitage rule against its textbook formula (zero cells, scores, unequal groups), and the
exact edges of ``always``, ``not_testable`` and the float-tolerance counts. These pin the numbers
the mutation run of ``harness/evidence/rules/`` found unchecked (docs/mutation-testing.md)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special
from scipy import stats as sps
from statsmodels.stats import proportion as smp  # a module: pytest would collect test_proportions_2indep
from statsmodels.stats.proportion import proportions_ztest

from harness.evidence import rules as S
from harness.evidence.rules import core, means, one_sample, rates, two_sample
from harness.evidence.verdicts import Verdict

Z_POWER = float(special.ndtri(0.975) + special.ndtri(0.8))  # MDE in standard errors at alpha 0.05, power 0.8
R = 2000  # bootstrap resamples


def trimmed_mean(values, axis=-1):
    """A statistic with no exact rule (10% trimmed mean): decided by the BCa bootstrap."""
    return sps.trim_mean(values, 0.1, axis=axis)


def skewed(n: int = 25, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).lognormal(size=n)


def bca(x, threshold, *, above=True, alpha=0.05, seed=7, n_resamples=R):
    rule = S.metric_exceeds if above else S.metric_below
    return rule(
        x, threshold, statistic=trimmed_mean, rng=np.random.default_rng(seed), n_resamples=n_resamples, alpha=alpha
    )


# ---------------------------------------------------------------------------- BCa


@pytest.mark.parametrize("alpha", [0.05, 0.2])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_bca_interval_is_scipys_bca_interval(seed, alpha):
    x = skewed(seed=seed)
    ours = bca(x, 0.5, alpha=alpha, seed=seed)
    ref = sps.bootstrap(
        (x,), trimmed_mean, n_resamples=R, method="BCa", confidence_level=1 - alpha, rng=np.random.default_rng(seed)
    ).confidence_interval
    assert ours.ci == pytest.approx((ref.low, ref.high), rel=1e-12)
    assert ours.detail["bca_acceleration"] != 0.0  # skewed data: the acceleration term is exercised


def test_bca_p_values_are_dual_to_its_interval():
    x = skewed()
    lo, hi = bca(x, 0.5).ci
    assert bca(x, lo - 1e-3).verdict is Verdict.CONFIRMED
    assert bca(x, lo + 1e-3).verdict is Verdict.INCONCLUSIVE
    assert bca(x, lo - 1e-3).p_confirm <= 0.05 < bca(x, lo + 1e-3).p_confirm
    assert bca(x, hi + 1e-3, above=False).verdict is Verdict.CONFIRMED
    assert bca(x, hi - 1e-3, above=False).verdict is Verdict.INCONCLUSIVE
    assert bca(x, hi + 1e-3).verdict is Verdict.REFUTED and bca(x, hi - 1e-3).verdict is Verdict.INCONCLUSIVE
    assert bca(x, lo - 1e-3, above=False).verdict is Verdict.REFUTED


def test_bca_p_values_floor_at_half_a_resample():
    """Beyond every resample the share is clamped to 0.5 / R (and 1 - 0.5 / R): a finite, smallest p."""
    x = skewed()
    far_below = bca(x, -100.0)
    z0, a = far_below.detail["bca_z0"], far_below.detail["bca_acceleration"]
    floor = 2.0 * special.ndtr(one_sample._bca_shift(special.ndtri(0.5 / R) - z0, a) - z0)
    assert far_below.verdict is Verdict.CONFIRMED and far_below.p_confirm == pytest.approx(floor, rel=1e-12)
    far_above = bca(x, 100.0)
    assert far_above.verdict is Verdict.REFUTED and far_above.p_value == pytest.approx(
        2.0 * special.ndtr(z0 - one_sample._bca_shift(special.ndtri(1.0 - 0.5 / R) - z0, a)), rel=1e-12
    )


def test_bca_mde_effect_size_and_record():
    x = skewed()
    e = bca(x, 0.5)
    se = e.detail["bootstrap_se"]
    assert e.mde == pytest.approx(Z_POWER * se, rel=1e-9) and e.mde_confirm == e.mde
    assert e.effect_size == pytest.approx((e.estimate - 0.5) / se)
    assert e.estimate == pytest.approx(trimmed_mean(x)) and e.n == x.size and e.rule == "metric_exceeds"
    assert e.test == f"BCa bootstrap, {R} resamples (claim: statistic > 0.5)"


def test_bca_without_spread_is_inconclusive_and_says_what_it_measured():
    e = bca(np.full(12, 3.0), 1.0)
    assert e.verdict is Verdict.INCONCLUSIVE and (e.p_value, e.p_confirm) == (1.0, 1.0)
    assert e.estimate == 3.0 and e.rule == "metric_exceeds" and e.test.startswith("BCa bootstrap")
    assert e.claimed_region == (1.0, math.inf)


def test_bca_needs_at_least_99_resamples():
    x = skewed()
    assert bca(x, 0.5, n_resamples=99).n == x.size
    with pytest.raises(ValueError, match="n_resamples must be an integer >= 99"):
        bca(x, 0.5, n_resamples=98)


@settings(max_examples=100, deadline=None)
@given(st.floats(-0.45, 0.45), st.floats(-3.0, 3.0))
def test_bca_shift_inverts_the_bca_map(a, u):
    if 1.0 - a * u <= 0.05:  # outside the map's range
        return
    assert one_sample._bca_shift(u / (1.0 - a * u), a) == pytest.approx(u, abs=1e-9)


def test_bca_shift_is_infinite_at_and_beyond_the_pole():
    assert one_sample._bca_shift(-2.0, 0.5) == -math.inf  # 1 + a v = 0 exactly
    assert one_sample._bca_shift(-3.0, 0.5) == -math.inf
    assert one_sample._bca_shift(3.0, -0.5) == math.inf


# ---------------------------------------------------------------------------- Cochran-Armitage


def cochran_armitage(k, n, r):
    """Textbook Cochran-Armitage z with the permutation (hypergeometric) variance, and Sxx."""
    k, n, r = (np.asarray(v, dtype=float) for v in (k, n, r))
    big_n = n.sum()
    p = k.sum() / big_n
    r_bar = np.sum(n * r) / big_n
    sxx = float(np.sum(n * (r - r_bar) ** 2))
    t = float(np.sum(r * (k - n * p)))
    var = p * (1 - p) * sxx * big_n / (big_n - 1)
    return t / math.sqrt(var), math.sqrt(var), sxx


@pytest.mark.parametrize(
    "k, n, scores",
    [
        pytest.param([0, 3, 9, 10], [10, 12, 10, 10], [0.0, 1.0, 3.0, 7.0], id="zero-and-full-cells-custom-scores"),
        pytest.param([2, 5, 4], [30, 10, 20], None, id="unequal-groups-default-scores"),
    ],
)
def test_trend_matches_the_textbook_cochran_armitage(k, n, scores):
    z, null_sd, sxx = cochran_armitage(k, n, scores if scores is not None else np.arange(len(k)))
    e = S.monotone_trend(k, n, direction="increasing", scores=scores)
    assert e.detail["zscore"] == pytest.approx(z, rel=1e-9)
    assert e.p_confirm == pytest.approx(min(1.0, 2 * sps.norm.sf(z)), rel=1e-9)
    assert e.mde == pytest.approx(Z_POWER * null_sd / sxx, rel=1e-9)


@pytest.mark.parametrize("k", [[0, 0, 0], [10, 10, 10]], ids=["all-failures", "all-successes"])
def test_trend_of_one_outcome_only_is_not_decided(k):
    e = S.monotone_trend(k, [10, 10, 10], direction="increasing")
    assert e.verdict is Verdict.INCONCLUSIVE and (e.p_value, e.p_confirm) == (1.0, 1.0)
    assert e.detail["note"] == "all trials had the same outcome"


def test_trend_rejects_a_two_dimensional_count_array():
    with pytest.raises(ValueError, match=r"must both have shape \(K,\)"):
        S.monotone_trend([[1, 2], [3, 4]], [10, 10], direction="increasing")


# ---------------------------------------------------------------------------- always, not_testable, tolerance


def test_always_confirms_a_tolerance_exactly_at_its_confirmable_edge():
    n = 50
    edge = S.always(n, n).mde_confirm  # 1 - (alpha / 2) ** (1 / n)
    e = S.always(n, n, tolerance=edge)
    assert not e.cannot_confirm
    assert S.always(n, n, tolerance=edge * 0.99).cannot_confirm


def test_not_testable_records_exactly_its_reason():
    e = S.not_testable("a cited result on another paper's models")
    assert e.verdict is Verdict.INCONCLUSIVE and e.cannot_confirm is True and e.n == 1 and math.isnan(e.estimate)
    assert e.p_confirm is None and e.detail == {"reason": "a cited result on another paper's models"}
    assert e.test == "not testable here (inconclusive by design)" and e.rule == "not_testable"


@pytest.mark.parametrize("reason", [None, 5, "   "], ids=["none", "number", "blank"])
def test_not_testable_needs_a_reason_in_words(reason):
    with pytest.raises(ValueError, match="reason"):
        S.not_testable(reason)


def test_values_within_the_relative_float_tolerance_count_as_the_threshold():
    """At t = 1000 the band is rel 1e-9 * 1000 = 1e-6: a value 5e-7 above t is t."""
    t = np.array([1000.0])
    le, ge, gt = two_sample._count_le_gt(np.array([1000.0 + 5e-7, 999.0, 1001.0]), t, 1001.0)
    assert (int(le[0]), int(ge[0]), int(gt[0])) == (2, 2, 1)
    le, _, _ = two_sample._count_le_gt(np.array([1000.0 + 1e-6]), t, 1000.0)  # exactly at the band's edge: still equal
    assert int(le[0]) == 1


@pytest.mark.parametrize(
    "lo, hi", [(0.0, 0.5), (0.5, 0.5), (0.2, 1.0), (0.7, 0.3)], ids=["lo-at-0", "empty", "hi-at-1", "reversed"]
)
def test_quantile_range_needs_levels_strictly_inside_0_1_in_order(lo, hi):
    with pytest.raises(ValueError):
        S.QuantileRange(lo, hi)
    assert S.QuantileRange(0.1, 0.9).hi == 0.9


# ---------------------------------------------------------------------------- medians


def median_interval(v, alpha):
    """Exact distribution-free interval for a median at 1 - alpha/2 (Bonferroni over two medians),
    by brute force: the widest-inside order statistics (j, n - j + 1) with P(Bin(n, 1/2) < j) <= alpha/4."""
    vs, n = np.sort(np.asarray(v, dtype=float)), len(v)
    js = [j for j in range(1, n // 2 + 1) if sps.binom.cdf(j - 1, n, 0.5) <= alpha / 4]
    return (float(vs[max(js) - 1]), float(vs[n - max(js)])) if js else (-math.inf, math.inf)


def split_p(low, high, strict):
    """The documented p of "median(low) < median(high)": 4 min_t max(P(Bin >= #(low <= t)), P(Bin >= #(high > t)))."""
    best = 1.0
    for t in np.unique(np.concatenate([low, high])):
        n_low = int(np.sum(np.asarray(low) <= t))
        n_high = int(np.sum(np.asarray(high) > t) if strict else np.sum(np.asarray(high) >= t))
        best = min(best, max(sps.binom.sf(n_low - 1, len(low), 0.5), sps.binom.sf(n_high - 1, len(high), 0.5)))
    return min(1.0, 4 * best)


EPOCHS_X = [49, 51, 38, 60, 45, 47, 52, 44, 58, 41, 39, 50, 46, 55, 43]
EPOCHS_Y = [123, 98, 140, 110, 131, 87, 150, 119, 125, 101, 300, 300, 115, 122, 108]


@pytest.mark.parametrize("alpha", [0.05, 0.2])
def test_median_rule_matches_its_exact_intervals_and_split_p(alpha):
    e = S.medians_differ(EPOCHS_X, EPOCHS_Y, direction="less", alpha=alpha)
    (xl, xh), (yl, yh) = median_interval(EPOCHS_X, alpha), median_interval(EPOCHS_Y, alpha)
    assert e.detail["median_x_ci"] == (xl, xh) and e.detail["median_y_ci"] == (yl, yh)
    assert e.ci == pytest.approx((xl / yh, xh / yl))
    assert e.p_confirm == pytest.approx(split_p(EPOCHS_X, EPOCHS_Y, strict=True))
    assert e.p_value == pytest.approx(split_p(EPOCHS_Y, EPOCHS_X, strict=False))
    z = sps.norm.ppf(1 - alpha / 4)
    se_x, se_y = math.log(xh / xl) / (2 * z), math.log(yh / yl) / (2 * z)
    m = z * (se_x + se_y) + sps.norm.ppf(0.8) * math.hypot(se_x, se_y)
    assert (e.mde, e.mde_confirm) == pytest.approx((math.expm1(m), -math.expm1(-m)))
    flipped = S.medians_differ(EPOCHS_Y, EPOCHS_X, direction="greater", alpha=alpha)
    assert (flipped.mde, flipped.mde_confirm) == pytest.approx((-math.expm1(-m), math.expm1(m)))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 12), min_size=6, max_size=25), st.lists(st.integers(1, 12), min_size=6, max_size=25))
def test_median_verdict_is_separation_of_the_exact_intervals(x, y):
    """Confirmed 'greater' iff x's interval lies strictly above y's; refuted iff y's lies at or above x's."""
    e = S.medians_differ(x, y, direction="greater")
    (xl, xh), (yl, yh) = median_interval(x, 0.05), median_interval(y, 0.05)
    assert (e.verdict is Verdict.CONFIRMED) == (xl > yh)
    assert (e.verdict is Verdict.REFUTED) == (not xl > yh and yl >= xh)


@pytest.mark.parametrize(
    "x, y", [([0.0, 1.0, 2.0], [1.0, 2.0, 3.0]), ([1.0, 2.0, 3.0], [1.0, 0.0, 3.0])], ids=["zero-in-x", "zero-in-y"]
)
def test_median_ratio_rejects_zero(x, y):
    with pytest.raises(ValueError, match="strictly positive"):
        S.medians_differ(x, y, direction="greater")


# ---------------------------------------------------------------------------- TOST confirmation power


@pytest.mark.parametrize("d_lo, d_hi, n", [(0.5, 0.5, 10), (0.3, 1.2, 20), (1.0, 0.2, 8)])
def test_t_confirm_power_matches_simulation(d_lo, d_hi, n):
    """P(the 95% t interval lies inside [lo, hi]) by Owen's integral vs 200,000 simulated samples."""
    rng = np.random.default_rng(11)
    x = rng.normal(size=(200_000, n))  # mu = 0, sigma = 1: lo = -d_lo, hi = d_hi
    half = sps.t.ppf(0.975, n - 1) * x.std(axis=1, ddof=1) / math.sqrt(n)
    mean = x.mean(axis=1)
    simulated = float(np.mean((mean - half > -d_lo) & (mean + half < d_hi)))
    assert means._t_confirm_power(d_lo, d_hi, n, 0.05) == pytest.approx(simulated, abs=0.004)


def test_bca_on_tied_data_is_scipys_bca():
    """Integer data: many resamples tie with the estimate, where z0's 'mean' percentile matters."""
    x = np.random.default_rng(4).integers(1, 6, size=30).astype(float)
    ours = bca(x, 1.0, seed=5)
    ref = sps.bootstrap(
        (x,), trimmed_mean, n_resamples=R, method="BCa", rng=np.random.default_rng(5)
    ).confidence_interval
    assert ours.ci == pytest.approx((ref.low, ref.high), rel=1e-12)


def test_float_tolerance_has_an_absolute_floor_near_zero_relative_to_the_data_scale():
    assert core._close(0.0, 5e-13, 1.0) and not core._close(0.0, 5e-12, 1.0)
    assert core._close(0.0, 5e-16, 1e-3) and not core._close(0.0, 5e-15, 1e-3)


# ---------------------------------------------------------------------------- paired variance ratio


PAIRED_X = np.random.default_rng(30).normal(size=40)
PAIRED_Y = PAIRED_X + 0.3 * np.random.default_rng(31).normal(size=40)


@pytest.mark.parametrize(
    "x, y, region, match",
    [
        pytest.param(PAIRED_X[:9], PAIRED_Y[:9], (0.5, 2.0), "at least 10", id="x-too-short"),
        pytest.param(PAIRED_X, PAIRED_Y[:9], (0.5, 2.0), "at least 10|paired", id="y-too-short"),
        pytest.param(PAIRED_X, PAIRED_Y[:30], (0.5, 2.0), "paired samples of one shape", id="unpaired"),
        pytest.param(PAIRED_X, PAIRED_Y, (0.0, 2.0), "0 < lo < hi", id="lo-zero"),
        pytest.param(PAIRED_X, PAIRED_Y, (1.0, 1.0), "0 < lo < hi", id="empty-region"),
        pytest.param(PAIRED_X, PAIRED_Y, (math.inf, math.inf), "0 < lo < hi", id="lo-infinite"),
        pytest.param(PAIRED_X, PAIRED_Y, (0.5,), "0 < lo < hi", id="one-edge"),
        pytest.param(np.full(40, 1.0), PAIRED_Y, (0.5, 2.0), "need spread", id="constant-x"),
        pytest.param(PAIRED_X, np.full(40, 1.0), (0.5, 2.0), "need spread", id="constant-y"),
    ],
)
def test_variance_ratio_rejects_bad_input_naming_it(x, y, region, match):
    with pytest.raises(ValueError, match=match):
        S.variance_ratio_equals(x, y, region=region)


def test_variance_ratio_interval_is_where_the_test_stops_rejecting():
    """At each end of the interval the Pitman-Morgan t sits on the alpha/2 quantile of t(n - 2)."""
    rng = np.random.default_rng(32)
    x = rng.normal(size=1200)
    y = x + 0.3 * rng.normal(size=1200)
    e = S.variance_ratio_equals(x, y, region=(0.5, 2.0))
    q = sps.t.ppf(0.975, x.size - 2)
    xs, ys = two_sample._paired_on_one_scale(x, y)
    for edge in e.ci:
        assert abs(two_sample._pitman_morgan_t(xs, ys, edge)) == pytest.approx(q, rel=1e-6)
    assert e.ci[0] < e.estimate < e.ci[1]


# ---------------------------------------------------------------------------- small contracts


def test_vectorised_statistics_work_along_an_axis():
    """The bootstrap calls statistics on (resamples, n) arrays with axis=-1: row by row."""
    x = np.arange(1.0, 25.0).reshape(2, 12)
    y = x[::-1] + 1.0
    assert two_sample._median_ratio(x, y, axis=-1) == pytest.approx(np.median(x, axis=1) / np.median(y, axis=1))
    iqr = S.QuantileRange(0.25, 0.75)
    assert iqr(x, axis=1) == pytest.approx(np.quantile(x, 0.75, axis=1) - np.quantile(x, 0.25, axis=1))


@pytest.mark.parametrize("rule", [S.medians_differ, S.distributions_differ])
def test_two_sample_rules_need_two_values_per_sample(rule):
    with pytest.raises(ValueError, match="at least 2"):
        rule([1.0], [1.0, 2.0, 3.0], direction="greater")
    with pytest.raises(ValueError, match="at least 2"):
        rule([1.0, 2.0, 3.0], [1.0], direction="greater")


@pytest.mark.parametrize("claimed", [0.0, 1.0])
def test_one_sided_rate_claims_need_a_rate_strictly_inside_0_1(claimed):
    with pytest.raises(ValueError, match="claimed"):
        S.rate_at_most(0, 10, claimed)
    with pytest.raises(ValueError, match="claimed"):
        S.rate_at_least(10, 10, claimed)


def test_bca_shift_pole_for_a_large_negative_acceleration():
    assert one_sample._bca_shift(0.5, -3.0) == math.inf  # 1 + a v < 0 with v > 0


def test_bca_interval_of_small_scale_data_is_scipys():
    """Data of scale 1e-3: the acceleration's denominator is far below 1 and must still be used."""
    x = skewed(seed=8) * 1e-3
    ours = bca(x, 1e-4, seed=8)
    ref = sps.bootstrap(
        (x,), trimmed_mean, n_resamples=R, method="BCa", rng=np.random.default_rng(8)
    ).confidence_interval
    assert ours.ci == pytest.approx((ref.low, ref.high), rel=1e-12)


# Issue 20, stop 27 (group C): Barnard's test, the pooled Wald ordering, the Agresti-Caffo clip and
# the no-spread check, pinned where the mutation run found them unchecked.
BARNARD_TABLES = [
    (12, 23, 13, 43),  # a table whose pooled z is within 1e-5 (relative) of the observed one: not a tie
    (8, 15, 4, 31),  # the sup over the common rate is missed by a 50-point nuisance grid
    (6, 10, 5, 10),  # 0 < z < 1: the tables with equal rates (z = 0) lie below the observed z
    (9, 10, 300, 300),  # the sup over the common rate lies above the last-but-one grid rate (0.995)
]


@pytest.mark.parametrize(
    ("s1", "n1", "s2", "n2"), BARNARD_TABLES, ids=[f"{t[0]}of{t[1]}-{t[2]}of{t[3]}" for t in BARNARD_TABLES]
)
def test_rates_differ_p_values_are_scipys_barnard_exact_test(s1, n1, s2, n2):
    """Both p-values are twice scipy's one-sided Barnard p, on tables where ties, the nuisance grid or z = 0 matter."""
    ev = S.rates_differ(s1, n1, s2, n2, direction="greater")
    table = [[s1, s2], [n1 - s1, n2 - s2]]
    for got, alternative in ((ev.p_confirm, "greater"), (ev.p_value, "less")):
        expected = min(1.0, 2.0 * sps.barnard_exact(table, alternative=alternative).pvalue)
        assert got == pytest.approx(expected, rel=1e-6), alternative  # both search the sup to ~1e-7


def test_the_pooled_wald_ordering_is_the_two_proportion_z_statistic():
    """``_pooled_wald`` is statsmodels' pooled two-proportion z of every table (0 where the rates are equal, as documented)."""
    n1, n2 = 7, 11
    z = rates._pooled_wald(n1, n2)
    for k1 in range(n1 + 1):
        for k2 in range(n2 + 1):
            if k1 * n2 == k2 * n1:
                assert z[k1, k2] == 0.0
            else:
                assert z[k1, k2] == pytest.approx(proportions_ztest([k1, k2], [n1, n2])[0], rel=1e-12)


def test_rates_differ_raises_no_numpy_warning_on_the_equal_rate_tables():
    """The 0/0 of the tables with no (or only) successes is silenced: runs with warnings as errors still get a verdict."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert S.rates_differ(3, 5, 2, 5, direction="greater").verdict is Verdict.INCONCLUSIVE


@pytest.mark.parametrize(("counts", "side"), [((0, 1, 1, 1), 0), ((1, 1, 0, 1), 1)])
def test_rates_differ_ci_is_agresti_caffo_clipped_to_the_difference_range(counts, side):
    """The Agresti-Caffo interval can leave [-1, 1] at tiny n (here -1.088 / 1.088); the rule's ci is clipped to it, as documented."""
    low, high = smp.confint_proportions_2indep(*counts, method="agresti-caffo", compare="diff")
    assert (low < -1.0, high > 1.0)[side]
    assert S.rates_differ(*counts, direction="less").ci == pytest.approx((max(low, -1.0), min(high, 1.0)), rel=1e-12)


def test_the_rows_of_a_stack_are_decided_each_on_its_own():
    """``means.decidable`` of stacked rows equals each row alone (a constant row; one 1e13 times smaller than another)."""
    x = sps.norm.ppf((np.arange(30) + 0.5) / 30)
    rows = np.stack([np.full(30, 2.0), x, 1e13 * (x + 3.0), np.zeros(30)])
    alone = [bool(means.decidable(row)) for row in rows]
    assert alone == [False, True, True, False]
    assert means.decidable(rows).tolist() == alone


def test_a_sample_of_zeros_has_no_spread():
    """All zeros (scale 0) is a constant sample: the rule reports it as without spread (not a t test on sd 0)."""
    assert core._no_spread(np.zeros(5))
    assert S.metric_exceeds(np.zeros(10), -1.0).detail == {"note": "no spread in the sample: not decided"}
