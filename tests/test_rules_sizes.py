"""The rules that test a sentence's stated size (``harness.evidence.rules.sizes``): unit checks, and
calibration by simulation at the n and data shape of the claims that use them (002's success rates
per arm and epochs of successful runs), the truth on the claimed region's edge, both one-sided errors
at most alpha / 2 plus a Monte-Carlo allowance (99% Clopper-Pearson lower bound), as in
tests/test_stats_calibration.py."""

from __future__ import annotations

import functools
import math
import zlib
from itertools import pairwise

import numpy as np
import pytest
from scipy import optimize, stats

from harness.evidence import rules as R
from harness.evidence.rules import sizes
from harness.evidence.rules.core import _verdict_from_p
from harness.evidence.verdicts import Verdict

ALPHA = 0.05


def _rng(name: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(name.encode()))


def _within_half_alpha(errors: int, runs: int) -> bool:
    """The 99% Clopper-Pearson lower bound of the error rate does not exceed alpha / 2."""
    return errors == 0 or stats.beta.ppf(0.01, errors, runs - errors + 1) <= ALPHA / 2


# --------------------------------------------------------------------------------------------
# monotone_steps
# --------------------------------------------------------------------------------------------


def test_monotone_steps_confirms_clear_steps_and_refutes_a_reversed_one():
    assert R.monotone_steps([100, 300, 500, 700], [1000] * 4, direction="increasing").verdict is Verdict.CONFIRMED
    reversed_step = R.monotone_steps([100, 500, 300, 700], [1000] * 4, direction="increasing")
    assert reversed_step.verdict is Verdict.REFUTED and reversed_step.detail["weakest_step"] == (1, 2)
    assert R.monotone_steps([700, 500, 300], [1000] * 3, direction="decreasing").verdict is Verdict.CONFIRMED


def test_a_linear_trend_with_a_flat_step_is_not_monotone():
    """The case of the issue: rates 0.52, 0.42, 0.50, 0.64, 1.00 rise on the whole, not at every step."""
    ev = R.monotone_steps([26, 21, 25, 32, 50], [50] * 5, direction="increasing")
    assert ev.verdict is not Verdict.CONFIRMED
    assert ev.estimate == pytest.approx(-0.10) and ev.detail["weakest_step"] == (0, 1)
    assert R.monotone_trend([26, 21, 25, 32, 50], [50] * 5, direction="increasing").verdict is Verdict.CONFIRMED


@pytest.mark.parametrize("successes, trials", [([1], [2]), ([1, 2], [2]), ([3, 1], [2, 2]), ([1.5, 1], [2, 2])])
def test_monotone_steps_rejects_bad_counts(successes, trials):
    with pytest.raises(ValueError):
        R.monotone_steps(successes, trials, direction="increasing")


def test_monotone_steps_decides_as_its_steps_do():
    """Confirmed iff every step's ``rates_differ`` confirms at alpha (intersection-union), refuted
    iff some step's refutes at alpha / (K - 1) (Bonferroni): so its errors are bounded by the steps'
    exact Barnard errors (at most alpha / 2 each way, tests/test_stats_calibration.py), at any n."""
    rng = _rng("monotone-structure")
    for n in (50, 2000):
        for _ in range(5):
            counts = rng.binomial(n, np.array([0.3, 0.5, 0.5, 0.7, 0.9])).tolist()
            ev = R.monotone_steps(counts, [n] * 5, direction="increasing")
            steps = [R.rates_differ(b, n, a, n, direction="greater", alpha=ALPHA) for a, b in pairwise(counts)]
            confirm = all(e.verdict is Verdict.CONFIRMED for e in steps)
            refute = any(e.p_value <= ALPHA / 4 for e in steps)
            assert (ev.verdict is Verdict.CONFIRMED) == confirm
            assert (ev.verdict is Verdict.REFUTED) == (refute and not confirm)


def test_monotone_steps_errors_at_most_half_alpha_with_a_flat_step():
    """Truth: rates 0.3, 0.5, 0.5, 0.7, 0.9 at 50 per arm (002's model 1; one flat step, the edge of
    'every step rises'). A check of the bound above with a few hundred runs: each run costs four
    exact Barnard tests."""
    rng = _rng("monotone-50")
    rates, runs = np.array([0.3, 0.5, 0.5, 0.7, 0.9]), 200
    verdicts = [
        R.monotone_steps(rng.binomial(50, rates).tolist(), [50] * 5, direction="increasing").verdict
        for _ in range(runs)
    ]
    assert _within_half_alpha(sum(v is Verdict.CONFIRMED for v in verdicts), runs)
    assert _within_half_alpha(sum(v is Verdict.REFUTED for v in verdicts), runs)


# --------------------------------------------------------------------------------------------
# median_ratio_in
# --------------------------------------------------------------------------------------------


def test_median_ratio_in_decides_the_size_not_only_the_direction():
    x, y = np.arange(1.0, 2002.0), np.arange(1.0, 2002.0) / 1.1  # a 1.1x "speedup"
    assert R.median_ratio_in(x, y, (2.25, 2.75)).verdict is Verdict.REFUTED
    assert R.median_ratio_in(x * 2.5 / 1.1, y, (2.0, 3.0)).verdict is Verdict.CONFIRMED
    few = R.median_ratio_in(x[:5], y[:5], (2.25, 2.75))
    assert few.verdict is Verdict.INCONCLUSIVE and few.cannot_confirm and few.ci == (0.0, np.inf)


def test_median_ratio_in_reads_an_open_region_as_at_least_its_lower_end():
    """ "At least 2.5x": [2.5, inf) holds any larger ratio (5x: confirmed where "about 2.5x" is refuted)
    and refutes a smaller one; its MDEs are read off the one end."""
    x, y = np.arange(1.0, 2002.0), np.arange(1.0, 2002.0) / 5.0
    at_least = R.median_ratio_in(x, y, (2.5, np.inf))
    assert at_least.verdict is Verdict.CONFIRMED and R.median_ratio_in(x, y, (2.25, 2.75)).verdict is Verdict.REFUTED
    assert at_least.claimed_region == (2.5, np.inf) and 0.0 < at_least.mde < 2.5 < 2.5 + at_least.mde_confirm
    assert R.median_ratio_in(x, y * 5.0 / 1.1, (2.5, np.inf)).verdict is Verdict.REFUTED
    few = R.median_ratio_in(x[:5], y[:5], (2.5, np.inf))
    assert few.verdict is Verdict.INCONCLUSIVE and few.cannot_confirm


@pytest.mark.parametrize("region", [(0, 1), (2, 1), (0, np.inf), (np.inf, np.inf), (1, -np.inf), (np.nan, 2)])
def test_median_ratio_in_rejects_a_bad_region(region):
    with pytest.raises(ValueError):
        R.median_ratio_in([1.0, 2.0, 3.0], [1.0, 2.0], region)


def test_median_ratio_in_rejects_non_positive_samples():
    with pytest.raises(ValueError, match="strictly positive"):
        R.median_ratio_in([0.0, 2.0], [1.0, 2.0], (1.0, 2.0))


@pytest.mark.parametrize("n_x, n_y", [(29, 50), (1160, 2000)])
@pytest.mark.parametrize(
    "region, edge",
    [((2.25, 2.75), "low"), ((2.25, 2.75), "high"), ((2.5, np.inf), "low")],
    ids=["low", "high", "at-least"],
)
def test_median_ratio_in_errors_at_most_half_alpha_at_the_region_edge(n_x, n_y, region, edge):
    """Epochs of successful runs: shifted gamma; true median ratio on an edge of the region ("about
    2.5x" [2.25, 2.75], "at least 2.5x" [2.5, inf)). At the edge the claim holds (closed region): a
    refutation is an error; just outside it is false: a confirmation is an error."""
    rng = _rng(f"median-ratio-{n_x}-{edge}" + ("-at-least" if region[1] == np.inf else ""))
    ratio = region[0] if edge == "low" else region[1]
    runs = 400 if n_x > 100 else 1000
    refuted = confirmed_outside = 0
    for _ in range(runs):
        y = 20.0 + rng.gamma(4.0, 8.0, n_y)
        x = ratio * (20.0 + rng.gamma(4.0, 8.0, n_x))
        refuted += R.median_ratio_in(x, y, region).verdict is Verdict.REFUTED
        outside = x * (0.999 if edge == "low" else 1.001)
        confirmed_outside += R.median_ratio_in(outside, y, region).verdict is Verdict.CONFIRMED
    assert _within_half_alpha(refuted, runs) and _within_half_alpha(confirmed_outside, runs)


# --------------------------------------------------------------------------------------------
# median_in
# --------------------------------------------------------------------------------------------

TIMED = (0.025, 0.045)  # 003's "3.5% reduction" +- 1 point


def test_median_in_decides_the_size_not_only_the_direction():
    """Reductions of 0.016% (003's measured logging cost) refute "about 3.5%"; reductions about 3.5%
    confirm it; 5 rounds can do neither (2 x 2^-5 > alpha / 2)."""
    rng = _rng("median-in-size")
    small, about = rng.normal(1.6e-4, 3e-6, 30), rng.normal(0.035, 0.002, 30)
    assert R.median_in(small, TIMED).verdict is Verdict.REFUTED
    assert R.median_in(about, TIMED).verdict is Verdict.CONFIRMED
    few = R.median_in(small[:5], TIMED)
    assert few.verdict is Verdict.INCONCLUSIVE and few.cannot_confirm and few.ci == (-np.inf, np.inf)
    assert few.mde is None and R.median_in(small, TIMED).mde > 0


@pytest.mark.parametrize("seed", range(6))
def test_median_in_p_values_are_the_binomial_sign_tests_times_four(seed):
    """p_value = 4 x the smaller one-sided sign-test p of "median < lo" / "median > hi", p_confirm =
    4 x the larger of "median > lo" / "median < hi" (scipy's binomtest), ci the dual 1 - alpha / 2
    order-statistic interval."""
    rng = _rng(f"median-in-p-{seed}")
    n = int(rng.integers(7, 60))  # from 7 the sign tests can decide (2^-n <= alpha / 4)
    x = rng.lognormal(0.0, 1.0, n)
    lo, hi = sorted(rng.uniform(0.2, 3.0, 2))
    ev = R.median_in(x, (lo, hi))

    def sign_p(k: int) -> float:
        return stats.binomtest(k, n, 0.5, alternative="greater").pvalue

    below_lo, above_lo, below_hi, above_hi = ((x < lo).sum(), (x > lo).sum(), (x < hi).sum(), (x > hi).sum())
    assert ev.p_value == pytest.approx(min(1.0, 4 * min(sign_p(below_lo), sign_p(above_hi))), rel=1e-9)
    assert ev.p_confirm == pytest.approx(min(1.0, 4 * max(sign_p(above_lo), sign_p(below_hi))), rel=1e-9)
    assert ev.verdict is _verdict_from_p(ev.p_confirm, ev.p_value, ALPHA)
    c = next(k for k in range(n + 1) if sign_p(k) <= ALPHA / 4)
    xs = np.sort(x)
    assert ev.ci == (xs[n - c], xs[c - 1]) and ev.estimate == np.median(x)


def _refute_errors(n: int) -> float:
    """P(median_in refutes) at a true median on lo of a narrow region (the worst case: every value is
    either below lo or above hi, each side with probability 1/2), exactly: k values below lo, n - k
    above hi, weighted by Bin(n, 1/2)."""
    return sum(
        float(stats.binom.pmf(k, n, 0.5))
        for k in range(n + 1)
        if R.median_in(np.r_[np.full(k, 0.5), np.full(n - k, 2.0)], (0.99, 1.01)).verdict is Verdict.REFUTED
    )


def _confirm_errors(n: int) -> float:
    """P(median_in confirms) at a true median on lo of a wide region (the worst case: values just above
    lo or just below it, each with probability 1/2, none near hi), exactly over the count above lo."""
    return sum(
        float(stats.binom.pmf(k, n, 0.5))
        for k in range(n + 1)
        if R.median_in(np.r_[np.full(k, 1.001), np.full(n - k, 0.999)], (1.0, 1e3)).verdict is Verdict.CONFIRMED
    )


def test_median_in_errs_at_most_half_alpha_at_a_median_on_an_end_at_every_n_exactly():
    """The rule's own decisions over every count, at the worst configurations of each error, n = 2-60:
    each at most alpha / 2 (false refute: two counts can pass their cut; false confirm: one)."""
    refute = [_refute_errors(n) for n in range(2, 61)]
    confirm = [_confirm_errors(n) for n in range(2, 61)]
    assert max(refute) <= ALPHA / 2 and max(confirm) <= ALPHA / 2, (max(refute), max(confirm))
    assert max(refute) > ALPHA / 4  # the two refuting counts add up: alpha / 4 per end is needed


def _skewed_at(rng: np.random.Generator, median: float, n: int, ties: bool) -> np.ndarray:
    """Lognormal values (sigma 1) with median ``median``; ``ties``: rounded to a grid the median is on
    (an atom at the edge, as a capped or clock-rounded measurement has)."""
    x = median * rng.lognormal(0.0, 1.0, n)
    return np.round(x / (0.25 * median)) * (0.25 * median) if ties else x


@pytest.mark.parametrize("n", [10, 30])
@pytest.mark.parametrize("edge", ["low", "high"])
@pytest.mark.parametrize("ties", [False, True], ids=["continuous", "atoms"])
def test_median_in_errors_at_most_half_alpha_at_the_region_edge(n, edge, ties):
    """The timing claim's n (10 quick, 30 full) on skewed data, continuous or with an atom on the edge,
    the median on one end, R = 1000: refutes counted in a narrow region (+-1%, where the two refuting
    counts add up), confirms in a region whose other end is far away (where only the near count decides)."""
    rng = _rng(f"median-in-{n}-{edge}-{ties}")
    median = 0.99 if edge == "low" else 1.01
    narrow, wide = (0.99, 1.01), ((0.99, 1e3) if edge == "low" else (1e-3, 1.01))
    runs = 1000
    refuted = confirmed = 0
    for _ in range(runs):
        x = _skewed_at(rng, median, n, ties)
        refuted += R.median_in(x, narrow).verdict is Verdict.REFUTED
        confirmed += R.median_in(x, wide).verdict is Verdict.CONFIRMED
    assert _within_half_alpha(refuted, runs) and _within_half_alpha(confirmed, runs)


@pytest.mark.parametrize("value, counts", [(0.025 * (1 - 1e-12), (0, 0)), (0.045 * (1 + 1e-12), (0, 0))])
def test_median_in_counts_a_value_on_an_end_up_to_float_tolerance_against_every_decision(value, counts):
    """Ten values 1e-12 (relative) below lo, or above hi, are on that end (``FLOAT_TOL``): neither
    refuted (they would be, 10 of 10 beyond the end, without the tolerance) nor confirmed."""
    ev = R.median_in(np.full(10, value), TIMED)
    assert ev.verdict is Verdict.INCONCLUSIVE and ev.detail["counts_below_lo_above_hi"] == counts
    beyond = R.median_in(np.full(10, value * (1 - 1e-6) if value < 0.03 else value * (1 + 1e-6)), TIMED)
    assert beyond.verdict is Verdict.REFUTED


@pytest.mark.parametrize(
    "values, region, match",
    [
        ([1.0, 2.0, 3.0], (1.0,), "region must be"),
        ([1.0, 2.0, 3.0], (2.0, 1.0), "lo < hi"),
        ([1.0, 2.0, 3.0], (1.0, 1.0), "lo < hi"),
        ([1.0, 2.0, 3.0], (np.nan, 2.0), "region bound"),
        ([1.0, 2.0, 3.0], (1.0, np.inf), "region bound"),
        ([1.0, np.nan, 3.0], (1.0, 2.0), "values"),
        ([1.0], (1.0, 2.0), "values"),
        ([[1.0, 2.0]], (1.0, 2.0), "values"),
    ],
)
def test_median_in_rejects_bad_input(values, region, match):
    with pytest.raises(ValueError, match=match):
        R.median_in(values, region)


def test_median_in_names_the_region_argument_when_its_ends_are_equal():
    """A region (1, 1) is the caller's mistake in ``region``: the error names that argument (not the
    Evidence's claimed_region, which a rule that went on would trip over)."""
    with pytest.raises(ValueError, match=r"^region must be \(lo, hi\) with lo < hi"):
        R.median_in([1.0, 2.0, 3.0], (1.0, 1.0))


def test_median_in_takes_two_values_and_says_it_cannot_decide_from_them():
    """N >= 2 is accepted (the docstring's floor); two values cannot reach a cut (2^-2 > alpha / 4): inconclusive,
    cannot_confirm, an unbounded interval and no mde."""
    ev = R.median_in([1.0, 2.0], (0.5, 3.0))
    assert ev.verdict is Verdict.INCONCLUSIVE and ev.n == 2 and ev.cannot_confirm
    assert ev.ci == (-np.inf, np.inf) and ev.mde is None and ev.estimate == 1.5


@pytest.mark.parametrize("n, above", [(10, 10), (12, 10), (20, 16), (30, 21)])
def test_median_in_p_value_above_the_region_is_four_times_the_sign_test_of_the_count_above_hi(n, above):
    """Values above hi or inside the region (none below lo): p_value = min(1, 4 x binomtest(#(x > hi), n,
    1/2, 'greater')), the refuting count on the upper end."""
    x = np.r_[np.full(above, 5.0), np.full(n - above, 2.5)]
    expected = min(1.0, 4 * stats.binomtest(above, n, 0.5, alternative="greater").pvalue)
    assert R.median_in(x, (2.0, 3.0)).p_value == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("n", [10, 13, 24, 29])
def test_median_in_mde_uses_the_cut_of_its_alpha_over_4_sign_tests(n):
    """mde: the rate pi where Bin(n, pi) reaches the cut c (smallest k with binomtest(k, n, 1/2) <= alpha / 4)
    with 80% power, through the sample quantiles, the larger side; at these n the cut at alpha / 5 differs."""
    x = np.exp(stats.norm.ppf((np.arange(n) + 0.5) / n))
    c = next(k for k in range(n + 1) if stats.binomtest(k, n, 0.5, alternative="greater").pvalue <= ALPHA / 4)
    pi = optimize.brentq(lambda p: stats.binom.sf(c - 1, n, p) - 0.8, 0.5, 1.0)
    mde = max(np.quantile(x, pi) - np.median(x), np.median(x) - np.quantile(x, 1 - pi))
    assert R.median_in(x, (0.5, 3.0)).mde == pytest.approx(mde, rel=1e-6)


# --------------------------------------------------------------------------------------------
# range_ratio_in
# --------------------------------------------------------------------------------------------


def test_expected_range_is_the_mean_range_of_draws_with_replacement():
    v = np.sort(_rng("range").gamma(2.0, 10.0, 40))
    draws = np.sort(_rng("draws").choice(v, size=(200_000, 7)), axis=1)
    assert R.expected_range(v, 7) == pytest.approx(np.mean(draws[:, -1] - draws[:, 0]), rel=5e-3)
    assert R.expected_range(v, 1) == pytest.approx(0.0, abs=1e-9)


def test_range_ratio_in_reads_the_ranges_at_the_stated_sizes():
    rng = _rng("range-sizes")
    x, y = rng.gamma(4.0, 30.0, 2000), rng.gamma(4.0, 10.0, 2000)
    ev = R.range_ratio_in(x, y, (2.7, 3.3), m_x=29, m_y=29, rng=rng, n_resamples=999)
    assert ev.verdict is Verdict.CONFIRMED and ev.estimate == pytest.approx(3.0, rel=0.05)
    assert R.range_ratio_in(x, y, (1.0, 1.5), m_x=29, m_y=29, rng=rng, n_resamples=999).verdict is Verdict.REFUTED


@pytest.mark.parametrize(
    "kwargs", [{"m_x": 1, "m_y": 5}, {"m_x": 5, "m_y": 5, "region": (3.0, 2.0)}, {"m_x": 5, "m_y": 5, "rng": None}]
)
def test_range_ratio_in_rejects_bad_arguments(kwargs):
    args = {"region": (1.0, 2.0), "rng": np.random.default_rng(0), **kwargs}
    region = args.pop("region")
    with pytest.raises((ValueError, TypeError)):
        R.range_ratio_in([1.0, 2.0, 4.0], [1.0, 3.0], region, **args)
    with pytest.raises(ValueError, match="spread"):
        R.range_ratio_in([2.0, 2.0], [1.0, 3.0], (1.0, 2.0), m_x=5, m_y=5, rng=np.random.default_rng(0))


def test_range_ratio_in_names_what_is_wrong_with_its_arguments():
    """Each rejected argument is named: too few values in x or y, no spread in y, a stated size below 2."""
    kw = {"m_x": 5, "m_y": 5, "rng": np.random.default_rng(0)}
    with pytest.raises(ValueError, match="x needs at least 2 values"):
        R.range_ratio_in([1.0], [1.0, 3.0], (1.0, 2.0), **kw)
    with pytest.raises(ValueError, match="y needs at least 2 values"):
        R.range_ratio_in([1.0, 3.0], [1.0], (1.0, 2.0), **kw)
    with pytest.raises(ValueError, match="needs spread in x and in y"):
        R.range_ratio_in([1.0, 3.0], [2.0, 2.0], (1.0, 2.0), **kw)
    with pytest.raises(ValueError, match="m_x, m_y must be >= 2, got 2, 1"):
        R.range_ratio_in([1.0, 3.0], [1.0, 3.0], (1.0, 2.0), m_x=2, m_y=1, rng=np.random.default_rng(0))


@pytest.mark.parametrize("n_x, n_y, decided", [(79, 120, False), (80, 119, False), (80, 120, True)])
def test_range_ratio_in_needs_its_calibrated_multiple_of_each_stated_size(n_x, n_y, decided):
    """Each sample needs ``CALIBRATED_MULTIPLE`` x its own stated size (here 80 and 120 values at
    m = 2 and 3): one short sample leaves the claim undecided, with the estimate, the region and
    the sizes it needed in the record."""
    rng = _rng("range-multiple")
    x, y = 20.0 + rng.gamma(4.0, 30.0, n_x), 20.0 + rng.gamma(4.0, 6.0, n_y)
    ev = R.range_ratio_in(x, y, (1.0, 4.0), m_x=2, m_y=3, rng=rng, n_resamples=99)
    assert ev.rule == "range_ratio_in" and ev.claimed_region == (1.0, 4.0) and ev.n == n_x + n_y
    assert ev.estimate == R.expected_range(np.sort(x), 2) / R.expected_range(np.sort(y), 3)
    assert ("reason" not in ev.detail) is decided
    if not decided:
        assert ev.verdict is Verdict.INCONCLUSIVE and ev.detail["reason"] == R.NO_CALIBRATED_RULE
        assert ev.test == "ratio of E[range of 2] / E[range of 3]: no calibrated interval at this n"
        assert ev.detail["outside_calibration"] == (
            f"needs >= 40 x the stated sizes (80 and 120 values), has {n_x} and {n_y}"
        )


# arms of 40 x 29 and 40 x 50 values (002's stated sizes), the true ratio near 4.8
RANGE_X = 20.0 + _rng("range-fields-x").gamma(4.0, 30.0, 1160)
RANGE_Y = 20.0 + _rng("range-fields-y").gamma(4.0, 6.0, 2000)


def _log_sd_of_resamples(x: np.ndarray, y: np.ndarray, m_x: int = 29, m_y: int = 50) -> float:
    """The sd of the log of the rule's 999 resamples (seed 7), left out those without spread (0 or inf)."""
    boot = sizes._range_ratio_bootstrap(x, y, m_x, m_y, 999, np.random.default_rng(7))
    return float(np.std(np.log(boot[np.isfinite(boot) & (boot > 0)]), ddof=1))


@pytest.mark.parametrize(
    "x, y, sizes_xy, region, label",
    [
        (RANGE_X, RANGE_Y, (29, 50), (2.0, 6.0), "E[range of 29] / E[range of 50] (claim: in [2, 6])"),
        (RANGE_Y, RANGE_X, (50, 29), (0.125, 0.5), "E[range of 50] / E[range of 29] (claim: in [0.125, 0.5])"),
    ],
    ids=["ratio-above-1", "ratio-below-1"],
)
def test_range_ratio_in_reports_its_interval_mdes_and_details(x, y, sizes_xy, region, label):
    """The fields a report shows, from the rule's own resamples: the percentile interval at alpha / 4
    per tail; mde = hi (e^m - 1) and mde_confirm = hi (1 - e^-m), m = (z(1 - alpha/4) + z(0.8)) s with
    s the sd of the log resamples; the expected and observed ranges and the ci level in ``detail``."""
    alpha, (m_x, m_y) = 0.1, sizes_xy
    ev = R.range_ratio_in(x, y, region, m_x=m_x, m_y=m_y, alpha=alpha, rng=np.random.default_rng(7), n_resamples=999)
    boot = sizes._range_ratio_bootstrap(x, y, m_x, m_y, 999, np.random.default_rng(7))
    m = (stats.norm.ppf(1.0 - alpha / 4.0) + stats.norm.ppf(0.8)) * _log_sd_of_resamples(x, y, m_x, m_y)
    assert ev.ci == pytest.approx(
        tuple(np.quantile(boot, [alpha / 4.0, 1.0 - alpha / 4.0], method="inverted_cdf")), rel=1e-12
    )
    assert ev.mde == pytest.approx(region[1] * math.expm1(m), rel=1e-9)
    assert ev.mde_confirm == pytest.approx(region[1] * -math.expm1(-m), rel=1e-9)
    assert not ev.cannot_confirm and ev.effect_size is None and ev.n == x.size + y.size and ev.alpha == alpha
    assert ev.rule == "range_ratio_in" and ev.claimed_region == region
    assert ev.test == f"percentile bootstrap (alpha/4 per tail) of {label}"
    ranges = (R.expected_range(np.sort(x), m_x), R.expected_range(np.sort(y), m_y))
    assert ev.detail == {
        "expected_ranges": ranges,
        "sample_sizes_read_at": (m_x, m_y),
        "observed_ranges": (np.ptp(x), np.ptp(y)),
        "n_resamples": 999,
        "ci_level": pytest.approx(0.95),
    }


@pytest.mark.parametrize("fraction, cannot", [(0.95, True), (1.05, False)])
def test_range_ratio_in_cannot_confirm_a_region_narrower_than_its_interval(fraction, cannot):
    """``cannot_confirm`` (and no mde_confirm) exactly when the region's log width is under
    2 z(1 - alpha/4) s, the width of the interval the rule would need inside it."""
    width = fraction * 2.0 * stats.norm.ppf(1.0 - ALPHA / 4.0) * _log_sd_of_resamples(RANGE_X, RANGE_Y)
    region = (4.0, 4.0 * math.exp(width))
    ev = R.range_ratio_in(RANGE_X, RANGE_Y, region, m_x=29, m_y=50, rng=np.random.default_rng(7), n_resamples=999)
    assert ev.cannot_confirm is cannot and (ev.mde_confirm is None) is cannot


@pytest.mark.parametrize(
    "x, y, region",
    [
        (np.r_[np.zeros(1159), 30.0], RANGE_Y, (0.001, 0.1)),
        (RANGE_X, np.r_[np.zeros(1999), 20.0], (10.0, 1e4)),
        (np.r_[np.full(1159, 1000.0), 1030.0], RANGE_Y, (0.001, 0.1)),
        (RANGE_X, np.r_[np.full(1999, 1000.0), 1020.0], (10.0, 1e4)),
    ],
    ids=["zero-ratios", "infinite-ratios", "zero-ratios-atom-at-1000", "infinite-ratios-atom-at-1000"],
)
def test_range_ratio_in_mdes_leave_out_resamples_without_spread(x, y, region):
    """An arm that is one atom but for a single outlier: a third of its resamples have no spread, so
    the ratio is exactly 0 (or infinite) there, also on an atom away from 0 (where ``expected_range``
    leaves a float residue); the mdes use the other resamples and stay finite, without a warning."""
    boot = sizes._range_ratio_bootstrap(x, y, 29, 50, 999, np.random.default_rng(7))
    no_spread = (boot == 0.0) | np.isinf(boot)
    assert 0.2 < np.mean(no_spread) < 0.5
    finite = boot[~no_spread]
    assert np.all((finite > 1e-6) & (finite < 1e6))  # no residue of a resample without spread is left in
    ev = R.range_ratio_in(x, y, region, m_x=29, m_y=50, rng=np.random.default_rng(7), n_resamples=999)
    m = (stats.norm.ppf(1.0 - ALPHA / 4.0) + stats.norm.ppf(0.8)) * _log_sd_of_resamples(x, y)
    assert math.isfinite(ev.mde) and ev.mde == pytest.approx(region[1] * math.expm1(m), rel=1e-9)


def test_range_ratio_in_leaves_out_resamples_where_neither_arm_has_spread():
    """Two arms, each one atom but for one outlier: a resample of both without spread has no ratio
    (0 / 0, NaN from the bootstrap) and is not counted in the p-values or the interval."""
    x, y = np.r_[np.full(1159, 5.0), 6.0], np.r_[np.full(1999, 5.0), 6.0]
    boot = sizes._range_ratio_bootstrap(x, y, 29, 50, 999, np.random.default_rng(7))
    assert np.any(np.isnan(boot))
    ev = R.range_ratio_in(x, y, (0.5, 2.0), m_x=29, m_y=50, rng=np.random.default_rng(7), n_resamples=999)
    kept = boot[~np.isnan(boot)]
    assert ev.p_value == pytest.approx(min(1.0, 4.0 * min(np.mean(kept > 0.5), np.mean(kept < 2.0))))
    assert not any(math.isnan(end) for end in ev.ci)


def test_range_ratio_in_interval_is_the_order_statistics_dual_to_its_p_values():
    """The interval ends are resamples (no interpolation), so "the interval lies inside the region"
    and "p_confirm < alpha" agree at a region edge placed on either end."""
    boot = sizes._range_ratio_bootstrap(RANGE_X, RANGE_Y, 29, 50, 999, np.random.default_rng(7))
    ev = R.range_ratio_in(RANGE_X, RANGE_Y, (1.0, 100.0), m_x=29, m_y=50, rng=np.random.default_rng(7), n_resamples=999)
    assert ev.ci[0] in boot and ev.ci[1] in boot
    for lo, hi in (
        (ev.ci[0], 100.0),
        (np.nextafter(ev.ci[0], 0.0), 100.0),
        (0.01, ev.ci[1]),
        (0.01, np.nextafter(ev.ci[1], 1e9)),
    ):
        e = R.range_ratio_in(RANGE_X, RANGE_Y, (lo, hi), m_x=29, m_y=50, rng=np.random.default_rng(7), n_resamples=999)
        inside = lo < e.ci[0] and e.ci[1] < hi
        assert inside == (e.p_confirm < ALPHA), (lo, hi)


def _true_range_ratio(shape: float, m_x: int, m_y: int) -> float:
    """E[range of m_x draws of Gamma(shape, 30)] / E[range of m_y draws of Gamma(shape, 6)] (Monte Carlo)."""
    rng = _rng("truth")
    ex = np.ptp(rng.gamma(shape, 30.0, (2_000_000 // m_x, m_x)), axis=1).mean()
    ey = np.ptp(rng.gamma(shape, 6.0, (2_000_000 // m_y, m_y)), axis=1).mean()
    return float(ex / ey)


def test_range_ratio_in_is_inconclusive_below_its_calibrated_size():
    rng = _rng("range-small")
    x, y = 20.0 + rng.gamma(4.0, 30.0, 29), 20.0 + rng.gamma(4.0, 6.0, 50)
    ev = R.range_ratio_in(x, y, (2.0, 6.0), m_x=29, m_y=50, rng=rng)
    assert ev.verdict is Verdict.INCONCLUSIVE and ev.cannot_confirm and "no rule calibrated" in ev.detail["reason"]


RANGE_CELLS = (
    "low edge, false refute",
    "low edge, false confirm",
    "high edge, false refute",
    "high edge, false confirm",
)


def _range_ratio_errors(multiple: int, shape: float, runs: int, tails: float = 4.0) -> dict[str, int]:
    """Errors per cell (``RANGE_CELLS``) over ``runs`` replications of arms 20 + Gamma(shape, 30) and
    20 + Gamma(shape, 6) of ``multiple`` x 29 and 50 values read at sizes 29 and 50 (002's "range
    narrowed from 242 to 74"), 1999 resamples as the claims: with the truth on the low edge of
    [t, 1.25 t] and on the high edge of [t / 1.25, t] a refutation is an error, with it 0.1% outside
    a confirmation is. One bootstrap per replication decides all four regions, through the rule's
    own pieces (``tails`` 4: the rule's interval; 2: the nominal one)."""
    t = _true_range_ratio(shape, 29, 50)
    cells = dict(
        zip(
            RANGE_CELLS,
            [
                ((t, t * 1.25), Verdict.REFUTED),
                ((t * 1.001, t * 1.25 * 1.001), Verdict.CONFIRMED),
                ((t / 1.25, t), Verdict.REFUTED),
                ((t / 1.25 / 1.001, t / 1.001), Verdict.CONFIRMED),
            ],
            strict=True,
        )
    )
    rng = _rng(f"range-ratio-{multiple}-{shape}")
    errors = dict.fromkeys(RANGE_CELLS, 0)
    for _ in range(runs):
        x, y = 20.0 + rng.gamma(shape, 30.0, 29 * multiple), 20.0 + rng.gamma(shape, 6.0, 50 * multiple)
        boot = sizes._range_ratio_bootstrap(x, y, 29, 50, 1999, rng)
        for name, (region, error) in cells.items():
            errors[name] += _verdict_from_p(*sizes._range_ratio_p(boot, region, tails), ALPHA) is error
    return errors


def test_range_ratio_in_decides_as_its_bootstrap_and_p_values_do():
    """The pieces the simulations below call are the rule: the same resamples give the same p-values."""
    x, y = 20.0 + _rng("pieces-x").gamma(4.0, 30.0, 1160), 20.0 + _rng("pieces-y").gamma(4.0, 6.0, 2000)
    for region in [(2.0, 6.0), (4.0, 5.0), (1.0, 1.5)]:
        ev = R.range_ratio_in(x, y, region, m_x=29, m_y=50, rng=np.random.default_rng(7), n_resamples=999)
        boot = sizes._range_ratio_bootstrap(x, y, 29, 50, 999, np.random.default_rng(7))
        assert (ev.p_confirm, ev.p_value) == sizes._range_ratio_p(boot, region)


def test_range_ratio_in_errors_at_most_half_alpha_at_its_calibrated_multiple():
    """At ``CALIBRATED_MULTIPLE`` x the stated sizes (the smallest at which the rule decides), both
    edges, each error direction at most alpha / 2 per cell (R = 400; shape 1.5 and R = 1000 in the
    full tier)."""
    errors = _range_ratio_errors(sizes.CALIBRATED_MULTIPLE, 4.0, runs=400)
    assert all(_within_half_alpha(e, 400) for e in errors.values()), errors


@pytest.mark.full
@pytest.mark.parametrize("shape", [4.0, 1.5])
def test_range_ratio_in_errors_at_most_half_alpha_at_its_calibrated_multiple_full(shape):
    errors = _range_ratio_errors(sizes.CALIBRATED_MULTIPLE, shape, runs=1000)
    assert all(_within_half_alpha(e, 1000) for e in errors.values()), errors


@pytest.mark.full
def test_range_ratio_nominal_interval_under_covers_where_the_rules_does_not():
    """Why the rule's interval is the conservative one (alpha / 4 per tail): at 10 x the stated sizes
    (shape 1.5, R = 2000) the nominal percentile interval (alpha / 2 per tail) refutes a true claim
    above alpha / 2 at 99% confidence (measured: 0.041 low edge, 0.034 high edge), the rule's does
    not (0.022, 0.016)."""
    nominal = _range_ratio_errors(10, 1.5, runs=2000, tails=2.0)
    assert any(not _within_half_alpha(e, 2000) for e in nominal.values()), nominal
    rules_interval = _range_ratio_errors(10, 1.5, runs=2000)
    assert all(_within_half_alpha(e, 2000) for e in rules_interval.values()), rules_interval


# --------------------------------------------------------------------------------------------
# Reported fields and edge conventions, against the docstrings (issue 20's mutation survivors)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "successes, trials, direction, alpha",
    [
        ([10, 40, 15, 45], [50] * 4, "increasing", 0.1),  # one step clearly reversed: refuted
        ([45, 15, 40, 10], [50] * 4, "decreasing", 0.05),
        ([5, 5, 5], [10] * 3, "increasing", 0.05),  # two equally weak steps
        ([20, 30], [50, 50], "increasing", 0.05),  # the smallest K
        ([0, 1, 30], [1, 1, 50], "increasing", 0.05),  # a step of one trial per arm: no mde, cannot confirm
    ],
)
def test_monotone_steps_reports_the_fields_its_docstring_composes_from_the_steps(successes, trials, direction, alpha):
    """Every field is the documented composition of the K - 1 ``rates_differ`` steps at the same alpha."""
    side = "greater" if direction == "increasing" else "less"
    counts = list(zip(successes, trials, strict=True))
    steps = [R.rates_differ(*after, *before, direction=side, alpha=alpha) for before, after in pairwise(counts)]
    confirm, against = [e.p_confirm for e in steps], [e.p_value for e in steps]
    weakest = confirm.index(max(confirm))  # the first of equally weak steps
    mdes = [e.mde for e in steps]
    ev = R.monotone_steps(successes, trials, direction=direction, alpha=alpha)
    assert ev.p_confirm == max(confirm) and ev.p_value == min(1.0, len(steps) * min(against))
    assert ev.verdict is _verdict_from_p(max(confirm), min(1.0, len(steps) * min(against)), alpha)
    w = steps[weakest]
    assert (ev.estimate, ev.ci, ev.effect_size, ev.claimed_region) == (
        w.estimate,
        w.ci,
        w.effect_size,
        w.claimed_region,
    )
    expected_mde = None if None in mdes else max(mdes)
    assert ev.mde == expected_mde and ev.mde_confirm == expected_mde
    assert ev.cannot_confirm is any(e.cannot_confirm for e in steps)
    assert ev.detail == {
        "rates": [s / n for s, n in counts],
        "step_estimates": [e.estimate for e in steps],
        "step_p_confirm": confirm,
        "step_p_against": against,
        "weakest_step": (weakest, weakest + 1),
    }
    assert f"every adjacent step {direction}" in ev.test and ev.n == sum(trials)


@pytest.mark.parametrize("successes, trials", [([1], [2]), ([1, 2], [2]), ([1, 2, 3], [4, 4])])
def test_monotone_steps_names_the_group_count_it_needs(successes, trials):
    """Fewer than two groups or unequal lengths raise the rule's own message, not zip's."""
    with pytest.raises(ValueError, match="need >= 2 groups"):
        R.monotone_steps(successes, trials, direction="increasing")


def test_median_ratio_in_reports_the_ratio_of_medians_and_its_detail():
    """estimate = median(x) / median(y); detail holds both medians and the ci's level 1 - alpha."""
    x, y = [2.0, 4.0, 6.0, 9.0], [1.0, 2.0, 3.0]
    ev = R.median_ratio_in(x, y, (1.5, 2.5), alpha=0.1)
    assert ev.estimate == pytest.approx(5.0 / 2.0)
    assert ev.detail == {"medians": (5.0, 2.0), "ci_level": pytest.approx(0.9)}
    assert ev.p_confirm is not None and ev.verdict is _verdict_from_p(ev.p_confirm, ev.p_value, 0.1)


@pytest.mark.parametrize(
    "call",
    [
        lambda region: R.median_ratio_in([1.0, 2.0, 3.0], [1.0, 2.0], region),
        lambda region: R.range_ratio_in(
            [1.0, 2.0, 4.0], [1.0, 3.0], region, m_x=2, m_y=2, rng=np.random.default_rng(0)
        ),
    ],
    ids=["median_ratio_in", "range_ratio_in"],
)
@pytest.mark.parametrize("region", [(2.0, 2.0), (1.5, 1.0), (0.0, 1.0)])
def test_a_ratio_region_must_have_a_positive_lower_end_below_its_upper_end(call, region):
    """0 < lo < hi: an empty or single-point region is rejected by the rule's own check, before anything runs."""
    with pytest.raises(ValueError, match="^region must be"):
        call(region)


def test_range_ratio_in_rejects_a_region_open_above():
    """Only median_ratio_in reads (lo, inf) as "at least lo"; a range ratio's region needs a finite upper end."""
    with pytest.raises(ValueError, match="region bound"):
        R.range_ratio_in([1.0, 2.0, 4.0], [1.0, 3.0], (1.0, np.inf), m_x=2, m_y=2, rng=np.random.default_rng(0))


def test_expected_range_is_the_mean_range_over_all_draws_along_any_axis():
    """E[max - min] of m draws with replacement, against enumerating all N^m draws, along either axis of a 2-D array."""
    from itertools import product

    samples = np.array([[1.0, 2.0, 4.0, 8.0], [0.5, 0.5, 3.0, 7.0], [2.0, 3.0, 5.0, 6.0]])  # (3, 4), rows sorted
    for m in (2, 3):
        brute = [np.mean([max(d) - min(d) for d in product(row, repeat=m)]) for row in samples]
        assert sizes.expected_range(samples, m) == pytest.approx(brute)
        assert sizes.expected_range(samples.T.copy(), m, axis=0) == pytest.approx(brute)


def test_range_ratio_bootstrap_gives_exact_zero_inf_and_nan_to_resamples_without_spread_silently():
    """Two values per arm: each resample lacks spread with probability 1/2, so 0, inf, NaN and a
    positive ratio each come 1/4 of the time, without a numpy warning for the divisions by 0."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        boot = sizes._range_ratio_bootstrap(
            np.array([1.0, 2.0]), np.array([1.0, 3.0]), 2, 2, 4000, np.random.default_rng(5)
        )
    shares = [np.mean(boot == 0.0), np.mean(np.isinf(boot)), np.mean(np.isnan(boot))]
    shares.append(np.mean(np.isfinite(boot) & (boot > 0)))
    assert shares == pytest.approx([0.25] * 4, abs=0.04)  # 4000 resamples: sd of each share 0.007
    assert set(np.unique(boot[np.isfinite(boot) & (boot > 0)])) == {0.5 / 1.0}  # E[range of 2]: 0.5 and 1.0


@pytest.mark.parametrize(
    "boot, p_confirm, p_value",
    [
        ([1.0] * 2 + [1.5] * 98, 0.08, 1.0),  # 2% on lo count as touching it
        ([2.0] * 2 + [1.5] * 98, 0.08, 1.0),  # 2% on hi count as touching it
        ([1.0] * 2 + [0.5] * 98, 1.0, 0.0),  # none strictly above lo: refuted at any level
        ([2.0] * 2 + [3.0] * 98, 1.0, 0.0),  # none strictly below hi
    ],
)
def test_range_ratio_p_counts_a_resample_on_a_region_end_against_confirming(boot, p_confirm, p_value):
    """p_confirm = 4 max(P*(T <= lo), P*(T >= hi)), p_value = 4 min(P*(T > lo), P*(T < hi)) (the docstring), capped at 1."""
    assert sizes._range_ratio_p(np.array(boot), (1.0, 2.0)) == pytest.approx((p_confirm, p_value))


# issue 20, stop 27, group D
# --------------------------------------------------------------------------------------------


@functools.cache
def _median_tails(n: int) -> np.ndarray:
    """P(Bin(n, 1/2) >= k) for k = 0..n (scipy's binomial survival function)."""
    return stats.binom.sf(np.arange(-1, n), n, 0.5)


def _ref_median_ci(v: np.ndarray, a: float) -> tuple[float, float]:
    """The exact 1 - a/2 order-statistic interval of a median by a full scan of the binomial tails:
    c = the smallest count with P(Bin(n, 1/2) >= c) <= a/4, ends the (n - c + 1)-th and c-th values."""
    v = np.sort(np.asarray(v, dtype=float))
    ok = np.flatnonzero(_median_tails(v.size) <= a / 4.0)
    c = int(ok[0]) if ok.size else 0
    return (-math.inf, math.inf) if c == 0 else (float(v[v.size - c]), float(v[c - 1]))


def _ref_ratio_ci(x, y, a: float) -> tuple[float, float]:
    """[lo_x / hi_y, hi_x / lo_y], or [0, inf) where a median has no order-statistic bound."""
    (xl, xh), (yl, yh) = _ref_median_ci(x, a), _ref_median_ci(y, a)
    return (xl / yh, xh / yl) if math.isfinite(xl) and math.isfinite(yl) else (0.0, math.inf)


def _ref_ratio_p(x, y, holds) -> float:
    """The smallest level a in (0, 1) at which ``holds(interval)``: the interval changes only where a/4
    crosses a binomial tail P(Bin(n, 1/2) >= k) of either sample, so it is the first such jump that holds."""
    jumps = sorted({4.0 * float(t) for n in (len(x), len(y)) for t in _median_tails(n)})
    return next((a for a in jumps if 0.0 < a < 1.0 and holds(_ref_ratio_ci(x, y, a))), 1.0)


_GAMMA_X = 20.0 + _rng("median-ratio-ref-x").gamma(4.0, 8.0, 41)
_GAMMA_Y = (20.0 + _rng("median-ratio-ref-y").gamma(4.0, 8.0, 57)) / 2.5
_MEDIAN_RATIO_CASES = {
    "gamma-about": (_GAMMA_X, _GAMMA_Y, (2.25, 2.75)),
    "gamma-far": (_GAMMA_X, _GAMMA_Y, (4.0, 5.0)),
    "gamma-at-least": (_GAMMA_X, _GAMMA_Y, (2.0, math.inf)),
    "below-one": (_GAMMA_X * 1e-3, _GAMMA_Y * 1e-3, (0.5, 4.0)),
    # integer data against a constant: the region's ends equal interval ends at some levels (closed region)
    "atoms-inside": (np.arange(1.0, 21.0), np.ones(20), (8.0, 13.0)),
    "atoms-inside-high": (np.arange(1.0, 21.0), np.ones(20), (5.0, 13.0)),
    "atoms-at-least": (np.arange(1.0, 21.0), np.ones(20), (8.0, math.inf)),
    "atoms-above": (np.arange(1.0, 21.0), np.ones(20), (13.0, 30.0)),
    "atoms-below": (np.arange(1.0, 21.0), np.ones(20), (0.5, 8.0)),
    "n2-bounded-only-at-1": (np.array([1.0, 2.0]), np.array([1.0, 2.0]), (3.0, 4.0)),
}


@pytest.mark.parametrize("case", list(_MEDIAN_RATIO_CASES))
def test_median_ratio_in_p_values_interval_and_estimate_match_an_order_statistic_reference(case):
    """Both p-values are the first level whose exact Bonferroni interval lies strictly inside / on or beyond
    the closed region (scipy binomial tails, scanned), the ci is that interval at alpha, and no p exceeds 1."""
    x, y, region = _MEDIAN_RATIO_CASES[case]
    lo, hi = region
    ev = R.median_ratio_in(x, y, region)
    p_confirm = _ref_ratio_p(x, y, lambda ci: lo < ci[0] and (ci[1] < hi or hi == math.inf))
    p_refute = _ref_ratio_p(x, y, lambda ci: ci[1] <= lo or ci[0] >= hi)
    assert ev.p_confirm == pytest.approx(p_confirm, abs=1e-11) and ev.p_value == pytest.approx(p_refute, abs=1e-11)
    assert ev.p_confirm <= 1.0 and ev.p_value <= 1.0
    assert ev.verdict is _verdict_from_p(p_confirm, p_refute, ALPHA)
    assert ev.ci == pytest.approx(_ref_ratio_ci(x, y, ALPHA), rel=1e-12)
    assert ev.estimate == pytest.approx(np.median(x) / np.median(y), rel=1e-12)
    assert "median(x) / median(y)" in ev.test and f"[{lo:.4g}, {hi:.4g}]" in ev.test


def _ref_m(x, y, alpha: float = ALPHA) -> float:
    """The docstring's normal margin on the log scale: z(1 - alpha/4)(se_x + se_y) + z(0.8) hypot(se_x, se_y),
    se = the log of the median interval's end ratio over 2 z(1 - alpha/4)."""
    z = stats.norm.ppf(1.0 - alpha / 4.0)
    (xl, xh), (yl, yh) = _ref_median_ci(x, alpha), _ref_median_ci(y, alpha)
    se_x, se_y = math.log(xh / xl) / (2 * z), math.log(yh / yl) / (2 * z)
    return z * (se_x + se_y) + float(stats.norm.ppf(0.8)) * math.hypot(se_x, se_y)


@pytest.mark.parametrize("scale", [1.0, 1e-3], ids=["seconds", "below-one"])
@pytest.mark.parametrize("width", [0.6, 1.3, 2.6], ids=["narrow", "mid", "wide"])
def test_median_ratio_in_mdes_follow_the_documented_log_scale_margin(scale, width):
    """mde = hi (e^m - 1) beyond the upper end; mde_confirm = hi (1 - e^-m) inside it, None (cannot_confirm)
    where the region's log width is under 2m (regions of width*m around the estimate, data below 1 included)."""
    x, y = _GAMMA_X * scale, _GAMMA_Y
    m = _ref_m(x, y)
    r = float(np.median(x) / np.median(y))
    region = (r * math.exp(-width * m), r * math.exp(width * m))
    ev = R.median_ratio_in(x, y, region)
    assert ev.mde == pytest.approx(region[1] * math.expm1(m), rel=1e-9)
    if width >= 1.0:  # log width 2 width m
        assert ev.mde_confirm == pytest.approx(region[1] * -math.expm1(-m), rel=1e-9) and not ev.cannot_confirm
    else:
        assert ev.mde_confirm is None and ev.cannot_confirm


def test_median_ratio_in_can_confirm_a_region_exactly_2m_wide_but_not_one_float_narrower():
    """cannot_confirm means a log width *under* 2m: at a width of 2m to the last bit mde_confirm is given,
    one float step narrower it is None."""
    m = _ref_m(_GAMMA_X, _GAMMA_Y)
    e = math.exp(2 * m)
    hi = next(float(h) for h in (e, np.nextafter(e, 0.0), np.nextafter(e, math.inf)) if math.log(h) == 2 * m)
    at = R.median_ratio_in(_GAMMA_X, _GAMMA_Y, (1.0, hi))
    under = R.median_ratio_in(_GAMMA_X, _GAMMA_Y, (1.0, float(np.nextafter(hi, 0.0))))
    assert at.mde_confirm == pytest.approx(hi * -math.expm1(-m), rel=1e-12) and not at.cannot_confirm
    assert under.mde_confirm is None and under.cannot_confirm


def test_median_ratio_in_mdes_of_an_open_region_are_read_off_its_lower_end():
    """ "At least lo": mde = lo (1 - e^-m) below it, mde_confirm = lo (e^m - 1) above it (the docstring's margin m)."""
    m = _ref_m(_GAMMA_X, _GAMMA_Y)
    ev = R.median_ratio_in(_GAMMA_X, _GAMMA_Y, (2.0, math.inf))
    assert ev.mde == pytest.approx(2.0 * -math.expm1(-m), rel=1e-9)
    assert ev.mde_confirm == pytest.approx(2.0 * math.expm1(m), rel=1e-9)


@pytest.mark.parametrize("unbounded", ["x", "y"])
def test_median_ratio_in_interval_is_zero_to_inf_where_either_median_is_unbounded(unbounded):
    """n = 2 cannot bound a median at alpha: the ratio's ends are 0 and inf (never negative or NaN) and
    no MDE is given."""
    few = np.array([0.3, 0.5])
    x, y = (few, _GAMMA_Y) if unbounded == "x" else (_GAMMA_X, few)
    ev = R.median_ratio_in(x, y, (2.0, 3.0))
    assert ev.ci == (0.0, math.inf) and ev.mde is None and ev.cannot_confirm


@pytest.mark.parametrize(
    "x, y, match",
    [([1.0], [1.0, 2.0], r"^x needs at least 2 values"), ([1.0, 2.0], [3.0], r"^y needs at least 2 values")],
)
def test_median_ratio_in_needs_two_values_per_sample_and_names_the_short_one(x, y, match):
    """A median interval needs two values; the error names the sample that is short."""
    with pytest.raises(ValueError, match=match):
        R.median_ratio_in(x, y, (1.0, 2.0))


@pytest.mark.parametrize("x, y", [([1.0, 2.0], [0.0, 2.0]), ([1.0, 2.0], [-1.0, 2.0]), ([-1.0, 2.0], [1.0, 2.0])])
def test_median_ratio_in_rejects_a_zero_or_negative_value_in_either_sample(x, y):
    """A ratio of medians is defined for strictly positive samples only (a zero in y included)."""
    with pytest.raises(ValueError, match="strictly positive"):
        R.median_ratio_in(x, y, (1.0, 2.0))
