"""Validation and decision helpers shared by every rule: argument checks, the three-decision
rule's verdict, float tolerance, and the power helpers (exact binomial cuts, z and t effects).

No rule lives here; each rule module imports what it needs. Nothing here holds state beyond
``functools.lru_cache`` memos of pure functions.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, Literal, TypeVar

import numpy as np
from scipy import optimize, stats
from statsmodels.stats.power import NormalIndPower, TTestPower
from statsmodels.stats.proportion import proportion_confint

from harness.evidence.verdicts import Evidence, Verdict

POWER = 0.8  # power at which every rule's ``mde`` and ``mde_confirm`` are defined
# Values closer than this are equal (float rounding): within rel_tol of each other, or within abs_tol
# times the data's scale (``_scale``: the largest magnitude among the sample and the threshold), so
# the tolerance follows the data (1e-13-sized values are not all "0"; issue 20).
FLOAT_TOL = {"rel_tol": 1e-9, "abs_tol": 1e-12}

Direction = Literal["greater", "less"]
Trend = Literal["increasing", "decreasing"]


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


def _check_alpha(alpha: float) -> float:
    if not (isinstance(alpha, (int, float, np.floating)) and 0.0 < float(alpha) < 1.0):
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
    return float(alpha)


def _check_count(value: Any, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer count, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return int(value)


def _check_counts(successes: Any, trials: Any) -> tuple[int, int]:
    k = _check_count(successes, "successes")
    n = _check_count(trials, "trials")
    if n < 1:
        raise ValueError(f"trials must be >= 1, got {n}")
    if k > n:
        raise ValueError(f"successes ({k}) > trials ({n})")
    return k, n


def _real(value: Any, name: str) -> float:
    """``float(value)``, or ValueError naming ``name`` when it is no number (``None``, a string)."""
    if value is None or isinstance(value, (str, bytes, bool, np.bool_)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None


def _check_rate(value: float, name: str, *, open_interval: bool) -> float:
    v = _real(value, name)
    inside = 0.0 < v < 1.0 if open_interval else 0.0 <= v <= 1.0
    if not inside:
        bounds = "(0, 1)" if open_interval else "[0, 1]"
        raise ValueError(f"{name} must lie in {bounds}, got {value!r}")
    return v


def _check_margin(margin: float) -> float:
    if not (math.isfinite(_real(margin, "margin")) and float(margin) > 0.0):
        raise ValueError(f"margin must be > 0, got {margin!r}")
    return float(margin)


def _check_finite(value: float, name: str) -> float:
    if not math.isfinite(_real(value, name)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return float(value)


def _check_values(values: Any, name: str, *, min_n: int = 1) -> np.ndarray:
    """Return ``values`` as a float array of shape (N,), N >= min_n, with no NaN or inf."""
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D with shape (N,), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    if np.isnan(arr).any():
        raise ValueError(f"{name} contains NaN")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains inf")
    if arr.size < min_n:
        raise ValueError(f"{name} needs at least {min_n} values, got {arr.size}")
    return arr


_Choice = TypeVar("_Choice", bound=str)


def _check_choice(value: _Choice, name: str, allowed: tuple[str, ...]) -> _Choice:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return value


def _check_rng(rng: Any) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return rng


# --------------------------------------------------------------------------------------------
# Shared decision helpers
# --------------------------------------------------------------------------------------------


def _verdict_from_p(p_confirm: float, p_refute: float, alpha: float) -> Verdict:
    """The verdict of the three-decision rule from its two two-sided-scale p-values."""
    if p_confirm <= alpha:
        return Verdict.CONFIRMED
    if p_refute <= alpha:
        return Verdict.REFUTED
    return Verdict.INCONCLUSIVE


def _doubled(p_one_sided: float) -> float:
    """One-sided p-value -> the two-sided-scale p matching an equal-tailed CI."""
    return float(min(1.0, 2.0 * float(p_one_sided)))


def _scale(*values: Any) -> float:
    """The data's scale: the largest magnitude among ``values`` (arrays or numbers), 0 for all zeros."""
    return float(max(np.max(np.abs(np.asarray(v, dtype=float)), initial=0.0) for v in values))


def _row_scale(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """The largest magnitude of each row of ``x`` along ``axis`` (kept as a length-1 axis), 1 for a row of zeros."""
    scale = np.max(np.abs(x), axis=axis, keepdims=True)
    return np.where(scale > 0, scale, 1.0)


def _sd_rows(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """The sample sd (ddof = 1) of each row along ``axis``, computed on the row divided by its scale:
    exact for rows near 1e300 or 1e-200, whose squares would overflow or underflow."""
    scale = _row_scale(x, axis)
    return np.squeeze(scale, axis=axis) * np.std(x / scale, axis=axis, ddof=1)


def _close(a: float, b: float, scale: float) -> bool:
    """``a`` and ``b`` differ by float rounding only (``FLOAT_TOL``, on data of magnitude ``scale``)."""
    return math.isclose(float(a), float(b), rel_tol=FLOAT_TOL["rel_tol"], abs_tol=FLOAT_TOL["abs_tol"] * scale)


def _near(x: np.ndarray, t: float, scale: float) -> np.ndarray:
    """Elementwise ``_close(x, t, scale)`` for an array ``x`` (N,)."""
    rtol, atol = FLOAT_TOL["rel_tol"], FLOAT_TOL["abs_tol"] * scale
    return np.isclose(x, t, rtol=rtol, atol=atol) | np.isclose(t, x, rtol=rtol, atol=atol)


def _counts_around(x: np.ndarray, t: float) -> tuple[int, int, int]:
    """(#below, #equal, #above) ``t`` in ``x``, values within ``FLOAT_TOL`` of ``t`` counted equal."""
    eq = _near(x, t, _scale(x, t))
    below = int(np.sum((x < t) & ~eq))
    equal = int(np.sum(eq))
    return below, equal, int(x.size) - below - equal


def _no_spread_rows(x: np.ndarray) -> np.ndarray:
    """For each row of ``x`` (..., N): every value equals the row's first up to ``FLOAT_TOL`` (on the row's scale).

    Compared on the row divided by its scale (max |x|), so rows near +-1e308 do not overflow in the difference."""
    u = x / _row_scale(x)
    first = u[..., :1]
    rtol, atol = FLOAT_TOL["rel_tol"], FLOAT_TOL["abs_tol"]
    near = (np.abs(u - first) <= atol + rtol * np.abs(first)) | (np.abs(u - first) <= atol + rtol * np.abs(u))
    return np.all(near, axis=-1)


def _no_spread(x: np.ndarray) -> bool:
    """True when every value of ``x`` equals the first up to ``FLOAT_TOL`` (on the scale of ``x``)."""
    return bool(_no_spread_rows(x))


def _root(f: Callable[[float], float], lo: float, hi: float) -> float:
    """The root of ``f`` in [lo, hi], where ``f`` changes sign (``scipy.optimize.brentq``, tight tolerance)."""
    return float(optimize.brentq(f, lo, hi, xtol=1e-12, rtol=1e-12, maxiter=500))


def _effect_at_power(power_at: Callable[[float], float]) -> float:
    """The effect e > 0 at which ``power_at(e) == POWER`` (power increasing from below POWER at 0).

    statsmodels' ``solve_power`` returns a shape-(1,) array or the negative root for some n
    (issue 11: ``mean_equals`` raised TypeError at n = 987 and gave an mde of -7.05 at
    n = 1007), so the rules bracket the positive root of the library's power function
    themselves, doubling the upper end (from 1e-3) until the power there exceeds POWER.
    """

    def power(e: float) -> float:
        value = float(power_at(e))
        return 1.0 if math.isnan(value) else value  # noncentral t gives NaN only far beyond the critical value

    hi = 1e-3
    while power(hi) < POWER:
        hi *= 2.0
        if hi > 1e9:
            raise ValueError("no effect reaches the target power")
    return _root(lambda e: power(e) - POWER, 0.0, hi)


def _z_effect_uncached(nobs1: float, ratio: float, alpha: float) -> float:
    """Standardised effect the one-sided z-test at ``alpha / 2`` (the refute side of the
    three-decision rule) detects with 80% power (``NormalIndPower``; ``ratio=0``: one sample;
    ``nobs1=1, ratio=0``: the effect in standard-error units, about 2.80 at alpha = 0.05)."""
    power = NormalIndPower()
    return _effect_at_power(
        lambda e: float(power.power(effect_size=e, nobs1=nobs1, alpha=alpha / 2.0, ratio=ratio, alternative="larger"))
    )


# Memoised by a call under the old name rather than by a decorator: mutmut (mutation testing, issue 20)
# skips decorated functions, so the body stays an undecorated ``*_uncached`` function; the cache is unchanged.
_z_effect = functools.lru_cache(maxsize=8192)(_z_effect_uncached)


def _t_effect_uncached(nobs: int, alpha: float) -> float:
    """Cohen's d the one-sided one-sample t-test at ``alpha / 2`` detects with 80% power
    (``TTestPower``, exact noncentral t). Positive and finite for every nobs >= 2."""
    if int(nobs) < 2:
        raise ValueError(f"a t-test needs nobs >= 2, got {nobs}")
    power = TTestPower()
    return _effect_at_power(
        lambda e: float(
            np.asarray(power.power(effect_size=e, nobs=int(nobs), alpha=alpha / 2.0, alternative="larger")).item()
        )
    )


_t_effect = functools.lru_cache(maxsize=8192)(_t_effect_uncached)


def _binom_p(k: int, n: int, p: float, alternative: str) -> float:
    return float(stats.binomtest(k, n, p, alternative=alternative).pvalue)


def _exact_ci(k: int, n: int, alpha: float) -> tuple[float, float]:
    """Clopper-Pearson two-sided 1 - alpha interval. statsmodels' beta-quantile form equals
    ``binomtest(k, n).proportion_ci(method='exact')`` (to ~1e-12) and is ~20x faster (no root
    finding), which matters in the calibration simulations."""
    lo, hi = proportion_confint(k, n, alpha=alpha, method="beta")
    return float(lo), float(hi)


def _upper_cut_uncached(n: int, p: float, a: float) -> int | None:
    """Smallest count c with P(Bin(n, p) >= c) <= a, or None if even c = n fails.

    Found from ``binom.isf`` and checked on its neighbours (the quantile functions may be off by
    one count in floating point), so it costs a few tail evaluations, not O(n) (issue 20: arrays
    of length n took 9 s at n = 2e7); below tail levels of about 1e-17 ``binom.isf`` may start up
    to ~2,000 counts high, and the walk down still ends on the exact cut."""
    c = int(np.clip(stats.binom.isf(a, n, p), -1, n)) + 1
    while c > 0 and stats.binom.sf(c - 2, n, p) <= a:
        c -= 1
    while c <= n and stats.binom.sf(c - 1, n, p) > a:
        c += 1
    return c if c <= n else None


_upper_cut = functools.lru_cache(maxsize=8192)(_upper_cut_uncached)


def _lower_cut_uncached(n: int, p: float, a: float) -> int | None:
    """Largest count c with P(Bin(n, p) <= c) <= a, or None if even c = 0 fails (found as ``_upper_cut``)."""
    c = int(np.clip(stats.binom.ppf(a, n, p), 0, n))
    while c < n and stats.binom.cdf(c + 1, n, p) <= a:
        c += 1
    while c >= 0 and stats.binom.cdf(c, n, p) > a:
        c -= 1
    return c if c >= 0 else None


_lower_cut = functools.lru_cache(maxsize=8192)(_lower_cut_uncached)


def _interval_refute_p(n: int, a: int, lower: float, b: int, upper: float) -> float:
    """One-sided p-value refuting "theta_A >= lower and theta_B <= upper" from a ~ Bin(n, theta_A) and
    b ~ Bin(n, theta_B), theta_B <= theta_A (one rate: a = b; a quantile: #(x <= v) and #(x < v)).

    The counts refute on either side, so at the observed level p1 = min(P_lower(K <= a),
    P_upper(K >= b)) the refutation region is both tails {K_a <= cut_a} u {K_b >= cut_b}; its
    largest probability under the claim is that of one common rate t in [lower, upper]
    (``_interval_refute_grid`` points, edges included): p = max_t P_t(K <= cut_a) + P_t(K >= cut_b).
    It is p1 when the region is wide, and up to 2 p1 when it is narrow for n (issue 20: the
    reading min(p_low, p_high) erred up to alpha at a narrow region's edge). An edge at or beyond
    0 or 1 has no tail."""
    p_a = float(stats.binom.cdf(a, n, lower)) if lower > 0.0 else 1.0
    p_b = float(stats.binom.sf(b - 1, n, upper)) if upper < 1.0 else 1.0
    p1 = min(p_a, p_b)
    if p1 >= 1.0:
        return 1.0
    cut_a = _lower_cut(n, lower, p1) if lower > 0.0 else None
    cut_b = _upper_cut(n, upper, p1) if upper < 1.0 else None
    t = np.linspace(max(lower, 0.0), min(upper, 1.0), _INTERVAL_REFUTE_GRID)
    tails = (0.0 if cut_a is None else stats.binom.cdf(cut_a, n, t)) + (
        0.0 if cut_b is None else stats.binom.sf(cut_b - 1, n, t)
    )
    return float(min(1.0, max(p1, float(np.max(tails)))))


_INTERVAL_REFUTE_GRID = 21  # common rates in [lower, upper] at which the union of both tails is evaluated


def _rate_for_power(power_at: Callable[[float], float], lo: float, hi: float) -> float:
    """The rate in [lo, hi] where the monotone ``power_at`` (increasing or decreasing) crosses POWER."""
    return _root(lambda p: power_at(p) - POWER, lo, hi)


def _sf_power_rate_uncached(c: int, n: int, lo: float) -> float:
    """The rate p in [lo, 1] with P(Bin(n, p) >= c) = POWER (exact binomial power)."""
    return _rate_for_power(lambda p: float(stats.binom.sf(c - 1, n, p)), lo, 1.0)


# the same cut, n and lo recur across a claims run
_sf_power_rate = functools.lru_cache(maxsize=8192)(_sf_power_rate_uncached)


def _order_stat(xs: np.ndarray, rank: int | None, fallback: float) -> float:
    """The ``rank``-th smallest value (1-based) of the sorted ``xs``, or ``fallback`` if None."""
    return fallback if rank is None else float(xs[rank - 1])


NO_CALIBRATED_RULE = "no rule calibrated for this shape at this n"  # reason of an undecided uncalibrated case


def _uncalibrated_evidence(
    *, estimate: float, n: int, rule: str, test: str, alpha: float, region: tuple[float, float], where: str
) -> Evidence:
    """Inconclusive evidence where no rule is calibrated for the data's shape at this n (``where``
    says which bound it exceeds): a recorded outcome that says so, never a decision."""
    return Evidence(
        verdict=Verdict.INCONCLUSIVE,
        estimate=estimate,
        ci=None,
        p_value=1.0,
        effect_size=None,
        n=n,
        alpha=alpha,
        test=test,
        rule=rule,
        cannot_confirm=True,
        p_confirm=1.0,
        claimed_region=region,
        detail={"reason": NO_CALIBRATED_RULE, "outside_calibration": where},
    )


def _no_spread_evidence(
    x: np.ndarray, *, rule: str, test: str, alpha: float, region: Any, estimate: float | None = None
) -> Evidence:
    """Inconclusive evidence for a sample (or bootstrap distribution) without spread (see the module
    docstring); ``estimate`` is the statistic's value, by default the sample's constant value."""
    return Evidence(
        verdict=Verdict.INCONCLUSIVE,
        estimate=float(x[0]) if estimate is None else float(estimate),
        ci=None,
        p_value=1.0,
        effect_size=None,
        n=int(x.size),
        alpha=alpha,
        test=test,
        rule=rule,
        p_confirm=1.0,
        claimed_region=region,
        detail={"note": "no spread in the sample: not decided"},
    )
