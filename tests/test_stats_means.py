"""The grid behind ``means.SKEW_LIMITS`` and ``LEVEL_FACTOR`` (issue 20; review B3(a)).

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
from scipy import optimize

from harness.evidence.rules import means

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
