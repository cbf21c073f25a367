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
