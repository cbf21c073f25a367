"""The grid behind ``means.SKEW_LIMITS`` and ``LEVEL_FACTOR`` (issue 20; review B3(a)), and the reach of
``KURTOSIS_LIMIT`` (it leaves the grid as it was; no limit read off a sample holds on every population).

For each (n, g) in ``SKEW_LIMITS`` the population skewness sits on the limit g, in two shapes
with that skewness (gamma, shape 4 / g², and lognormal), and R = 40000 samples of n values are
decided through ``means.mean_equals_p`` (the vectorised code the rules call) for the region
[mu, mu + sd / 2] (truth on its low edge) and [mu - sd / 2, mu] (truth on its high edge). Each
one-sided error (false refute, false confirm, counted only where the rule decides) must be at
most alpha / 2 plus three Monte-Carlo standard errors.
"""

from __future__ import annotations

import math
import warnings
import zlib

import numpy as np
import pytest
from scipy import optimize, stats

from harness.evidence import rules
from harness.evidence.rules import means
from harness.evidence.verdicts import Verdict

ALPHA = 0.05
R_GRID = 40000
CHUNK = 5000  # replications per vectorised block (memory)


def _lognormal_sigma(g: float) -> float:
    """The sigma of a lognormal whose skewness (e^s² + 2) sqrt(e^s² - 1) is g."""
    return optimize.brentq(lambda s: (math.exp(s * s) + 2.0) * math.sqrt(math.expm1(s * s)) - g, 1e-6, 3.0)


def _draw(shape: str, g: float, rng: np.random.Generator, size: tuple[int, int]) -> tuple[np.ndarray, float, float]:
    """Samples (R, n) of the shape at population skewness g, with its mean and sd."""
    if shape == "gamma":
        k = 4.0 / g**2
        return rng.gamma(k, 1.0, size), k, math.sqrt(k)
    s = _lognormal_sigma(g)
    mean = math.exp(s * s / 2.0)
    return rng.lognormal(0.0, s, size), mean, mean * math.sqrt(math.expm1(s * s))


def _error_rates(n: int, g: float, shape: str) -> dict[str, float]:
    """The four one-sided error rates over ``R_GRID`` samples of n at population skewness g."""
    rng = np.random.default_rng([n, zlib.crc32(shape.encode()), zlib.crc32(repr(g).encode())])
    counts = dict.fromkeys(("low edge refute", "low edge confirm", "high edge refute", "high edge confirm"), 0)
    for _ in range(R_GRID // CHUNK):
        x, mu, sd = _draw(shape, g, rng, (CHUNK, n))
        for edge, (lo, hi) in (("low edge", (mu, mu + sd / 2)), ("high edge", (mu - sd / 2, mu))):
            p_confirm, p_refute, ok = means.mean_equals_p(x, lo, hi)
            counts[f"{edge} refute"] += int(np.sum(ok & (p_refute <= ALPHA)))
            counts[f"{edge} confirm"] += int(np.sum(ok & (p_confirm <= ALPHA)))
    return {k: v / R_GRID for k, v in counts.items()}


@pytest.mark.parametrize("shape", ["gamma", "lognormal"])
@pytest.mark.parametrize(("n", "g"), means.SKEW_LIMITS, ids=[f"n={n}-skew={g}" for n, g in means.SKEW_LIMITS])
def test_skew_limits_keep_each_error_at_most_half_alpha(n, g, shape):
    allowance = 3.0 * math.sqrt(ALPHA / 2 * (1 - ALPHA / 2) / R_GRID)
    rates = _error_rates(n, g, shape)
    bad = {k: round(v, 4) for k, v in rates.items() if v > ALPHA / 2 + allowance}
    assert not bad, f"{shape} n = {n} skewness {g}: {bad} above {ALPHA / 2} + {allowance:.4f}"


@pytest.mark.parametrize(("n", "g"), means.SKEW_LIMITS, ids=[f"n={n}-skew={g}" for n, g in means.SKEW_LIMITS])
def test_the_kurtosis_limit_leaves_the_grid_decided_as_it_was(n, g):
    """``KURTOSIS_LIMIT`` takes none of 20000 fresh samples of each grid shape on the skewness limit out of
    the rule's domain: the grid decides what it decided before, so its power is unchanged (its error rates
    can only fall with a limit; ``test_skew_limits_keep_each_error_at_most_half_alpha`` re-measures them)."""
    rng = np.random.default_rng([n, zlib.crc32(b"kurtosis limit")])
    for shape in ("gamma", "lognormal"):
        x, _, _ = _draw(shape, g, rng, (20000, n))
        assert np.array_equal(means.decidable(x), means.decidable(x, kurtosis_limit=math.inf)), shape


def test_a_sample_beyond_the_kurtosis_limit_gets_no_rule():
    """A symmetric sample (skewness 0) whose two outliers give it an excess kurtosis above the limit: no rule."""
    x = np.concatenate([np.random.default_rng(3).standard_normal(198), [-10.0, 10.0]])
    x -= np.median(x[:-2])
    assert abs(float(means.skewness(x))) < 0.2 and float(means.kurtosis(x)) > means.KURTOSIS_LIMIT
    for ev in (means.mean_equals(x, 0.0, margin=1.0), rules.metric_exceeds(x, -1.0, statistic=np.mean)):
        assert ev.verdict is Verdict.INCONCLUSIVE and ev.detail["reason"] == rules.NO_CALIBRATED_RULE
        assert "excess kurtosis" in ev.detail["outside_calibration"]


def test_kurtosis_is_scipys_excess_kurtosis_and_zero_without_spread():
    x = np.random.default_rng(4).exponential(size=(3, 50))
    assert np.allclose(means.kurtosis(x), stats.kurtosis(x, axis=-1))
    assert means.kurtosis(np.ones((2, 10))).tolist() == [0.0, 0.0]


def test_no_limit_read_off_the_sample_bounds_the_errors_on_rare_outliers():
    """Bahadur & Savage (1956), committed: a normal with outliers at -20 sd drawn at rate 1 / 200 (n = 200, truth
    on the high edge of "mean <= mu"), R = 40000. The samples that miss the outliers (about e^-1 of them) are
    plain normal samples: they pass every limit and refute falsely: the rate exceeds alpha / 2 at 99% even
    with the kurtosis limit taken down to 6, so the rules' domain is a statement about the samples, and their
    calibration is checked on the claims' own data (``tests/test_stats_claims_data.py``), not promised for
    every population."""
    rng = np.random.default_rng(zlib.crc32(b"rare outliers"))
    x = rng.standard_normal((R_GRID, 200)) - 20.0 * (rng.random((R_GRID, 200)) < 1 / 200)
    _, p_refute, ok = means.region_p(x, -math.inf, -20.0 / 200)
    refuted = ok & (p_refute <= ALPHA) & (means.kurtosis(x) <= 6.0)
    low = stats.binomtest(int(refuted.sum()), R_GRID, alternative="greater").proportion_ci(0.99).low
    assert low > ALPHA / 2, float(refuted.mean())


def _skewed_batch(n: int, rows: int = 6) -> np.ndarray:
    """Rows (rows, n) of mildly skewed gamma samples (shape 16: skewness 0.5), some within the skew limits."""
    return np.random.default_rng([n, zlib.crc32(b"batch")]).gamma(16.0, 1.0, (rows, n))


def test_a_batch_of_samples_gets_the_p_values_each_row_gets_alone():
    """The calibration decides many samples at once (module docstring): a row must not see the other rows."""
    x = _skewed_batch(50)
    mu = 16.0
    for lo, hi in ((mu - 1.0, mu + 1.0), (mu, math.inf), (-math.inf, mu), (-math.inf, math.inf)):
        batch = means.region_p(x, lo, hi)
        assert all(np.shape(part) == (x.shape[0],) for part in batch), (lo, hi)
        for i, row in enumerate(x):
            alone = means.region_p(row, lo, hi)
            assert [float(part[i]) for part in batch] == pytest.approx([float(p) for p in alone], rel=1e-12)


def test_samples_of_fewer_than_ten_values_are_never_decided_one_boolean_per_row():
    """Below n = 10 no rule is calibrated; ``decidable`` still answers per row, as a mask the callers combine with &."""
    x = _skewed_batch(8)
    ok = means.decidable(x)
    assert ok.shape == (x.shape[0],) and ok.dtype == bool and not ok.any()
    assert means.outside_domain(x[0]) == "n < 10"


def test_decidable_applies_the_kurtosis_limit_it_is_given():
    """``kurtosis_limit`` exists to measure what the limit does, so a sample above 12 is decided under an infinite one."""
    x = np.concatenate([np.random.default_rng(3).standard_normal(198), [-10.0, 10.0]])
    assert float(means.kurtosis(x)) > means.KURTOSIS_LIMIT and abs(float(means.skewness(x))) < 0.2
    assert not means.decidable(x) and means.decidable(x, kurtosis_limit=math.inf)


def test_outside_domain_refuses_a_sample_inside_the_domain():
    """A reason for an undecided verdict must never be invented for a sample the rule decides."""
    with pytest.raises(ValueError, match="inside the mean rules' calibrated domain"):
        means.outside_domain(stats.norm.ppf((np.arange(40) + 0.5) / 40))


def test_skewness_is_scipys_biased_skewness_and_zero_without_spread():
    """The docstring's contract: ``scipy.stats.skew`` (biased), 0 for a constant row rather than NaN."""
    x = np.random.default_rng(4).exponential(size=(3, 50))
    assert np.allclose(means.skewness(x), stats.skew(x, axis=-1))
    assert means.skewness(np.ones((2, 10))).tolist() == [0.0, 0.0]


def test_the_vectorised_mean_rules_warn_nothing_on_constant_rows_or_far_edges():
    """Calibrations draw constant resamples and far edges (division by a zero sd, overflow of Hall's cubic);
    those rows are undecided, and the rules say so through ``decidable`` rather than floating-point warnings."""
    x = np.vstack([np.full(20, 3.0), _skewed_batch(20, rows=2)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        means.skewness(x)
        means.kurtosis(x)
        _, _, ok = means.mean_equals_p(x, 2.0, 4.0)
        means.region_p(x, -1e200, math.inf)
        means.mean_tail_p(x, 3.0)
    assert not ok[0]


def test_one_sided_p_values_are_at_most_one():
    """``mean_tail_p`` multiplies each tail by ``LEVEL_FACTOR`` and caps it at 1, as a p-value must be."""
    up, down = means.mean_tail_p(_skewed_batch(50), np.array([[0.0], [1e3]]))
    assert np.all((up <= 1.0) & (down <= 1.0))
    assert down[0].tolist() == [1.0] * 6 and up[1].tolist() == [1.0] * 6  # edges far below / above every mean


@pytest.mark.parametrize("claim_above", [True, False], ids=["mean_above_c", "mean_below_c"])
def test_a_one_edged_region_of_symmetric_data_gets_the_one_sided_t_test_p_values(claim_above):
    """Skewness 0 makes Hall's statistic the t statistic, so each side's p is 2 LEVEL_FACTOR x scipy's t test (capped at 1)."""
    x = stats.norm.ppf((np.arange(30) + 0.5) / 30) + 0.4  # symmetric, sd 1, mean 0.4
    c = 0.0
    lo, hi = (c, math.inf) if claim_above else (-math.inf, c)
    p_confirm, p_refute, ok = (float(v) for v in means.region_p(x, lo, hi))
    greater = stats.ttest_1samp(x, c, alternative="greater").pvalue
    less = stats.ttest_1samp(x, c, alternative="less").pvalue
    p_for, p_against = (greater, less) if claim_above else (less, greater)
    assert ok
    assert p_confirm == pytest.approx(min(1.0, 2 * means.LEVEL_FACTOR * p_for), rel=1e-9)
    assert p_refute == pytest.approx(min(1.0, 2 * means.LEVEL_FACTOR * p_against), rel=1e-9)


def test_p_refute_of_a_narrow_region_adds_the_far_edges_tail():
    """Docstring formula: p_refute = 2 LEVEL_FACTOR (p1 + q), q the t tail beyond the other edge at F^-1(p1) - w;
    for a region narrow against the se, q is of p1's order, so a wrong sign shows (symmetric data: Hall = t)."""
    x = stats.norm.ppf((np.arange(30) + 0.5) / 30)
    se = x.std(ddof=1) / math.sqrt(x.size)
    lo, hi = 0.1, 0.1 + 0.5 * se
    dist = stats.t(x.size - 1)
    p1 = min(dist.cdf((x.mean() - lo) / se), dist.sf((x.mean() - hi) / se))
    q = dist.cdf(dist.ppf(p1) - (hi - lo) / se)
    assert q > 0.1 * p1
    _, p_refute, _ = means.mean_equals_p(x, lo, hi)
    assert float(p_refute) == pytest.approx(min(1.0, 2 * means.LEVEL_FACTOR * (p1 + q)), rel=1e-9)


@pytest.mark.parametrize("alpha", [0.05, 1e-12], ids=["alpha=0.05", "alpha=1e-12"])
@pytest.mark.parametrize("sign", [1.0, -1.0], ids=["right_skewed", "left_skewed"])
def test_the_interval_ends_are_where_halls_statistic_meets_the_t_quantile(alpha, sign):
    """``mean_interval`` is dual to the one-sided tests: h(T(end)) = +-t quantile, also where 1 + u < 0
    (alpha 1e-12, skewness 0.97 at n = 50, inside the domain: the cube-root branch of Hall's inverse)."""
    x = sign * np.random.default_rng([50, 0]).gamma(4.0 / 0.81, 1.0, 50)
    assert means.decidable(x)
    q = stats.t.isf(alpha / (2 * means.LEVEL_FACTOR), x.size - 1)
    low, high = means.mean_interval(x, alpha)
    h = means._hall(means._hall_parts(x), np.array([low, high]))
    assert h.tolist() == pytest.approx([q, -q], rel=1e-9)


@pytest.mark.parametrize("scale", [1e-200, 1e-107, 1e300])
def test_the_mean_rule_decides_a_sample_at_any_magnitude_as_at_scale_one(scale):
    """Skewness, kurtosis and the sd are computed on the sample divided by its scale: a skewed sample
    of spread 1e-107 keeps its skewness (9.85, beyond the limit: undecided, not refuted), and a normal
    sample at 1e-200 or 1e300 gets the verdict and p-values it gets at scale 1 (no underflow to 0)."""
    skewed = np.r_[np.zeros(99), 1.0]
    at_one, scaled = (means.mean_equals(skewed * s, 0.05 * s, margin=0.01 * s) for s in (1.0, scale))
    assert scaled.verdict is at_one.verdict is Verdict.INCONCLUSIVE
    assert scaled.detail["outside_calibration"] == at_one.detail["outside_calibration"]
    z = np.random.default_rng(0).normal(size=100)
    at_one, scaled = (means.mean_equals(z * s, 0.0, margin=0.5 * s) for s in (1.0, scale))
    assert scaled.verdict is at_one.verdict
    assert (scaled.p_value, scaled.p_confirm, scaled.effect_size) == pytest.approx(
        (at_one.p_value, at_one.p_confirm, at_one.effect_size), rel=1e-9
    )
    assert float(means.skewness(z * scale)) == pytest.approx(float(stats.skew(z)), rel=1e-9)
    assert float(means.kurtosis(z * scale)) == pytest.approx(float(stats.kurtosis(z)), rel=1e-9)
