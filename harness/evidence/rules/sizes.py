"""Rules that test the size a sentence states, not only its direction.

``monotone_steps``: "monotonic" means every adjacent step goes the claimed way (a linear trend
can be confirmed with a reversed step in it). ``median_ratio_in``: "2.5x speedup" is a ratio of
medians inside a region around 2.5 (``medians_differ`` would confirm a 1.1x speedup).
``median_in``: "a 3.5% reduction" is one median inside a region around 3.5%, decided by sign tests
(no shape assumption: timed quantities change shape from run to run).
``range_ratio_in``: "range narrowed from 242 to 74" is a ratio of sample ranges at the document's
sample sizes (a range grows with n, so it is compared at the n the document had).

Each composes scipy / statsmodels pieces under the package's decision convention
(``harness.evidence.rules`` docstring): two p-values on the two-sided scale, confirmed iff
``p_confirm <= alpha``, else refuted iff ``p_value <= alpha``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import Any

import numpy as np
from scipy import stats

from harness.evidence.rules import capture
from harness.evidence.rules.core import (
    POWER,
    Direction,
    Trend,
    _check_alpha,
    _check_choice,
    _check_counts,
    _check_finite,
    _check_rng,
    _check_values,
    _counts_around,
    _order_stat,
    _sf_power_rate,
    _uncalibrated_evidence,
    _upper_cut,
    _verdict_from_p,
)
from harness.evidence.rules.rates import rates_differ
from harness.evidence.verdicts import Evidence

_BISECTION_STEPS = 40  # the p-value of an interval rule is found to 2**-40 of the unit interval


# --------------------------------------------------------------------------------------------
# Every step of a monotone claim
# --------------------------------------------------------------------------------------------


def _p(value: float | None) -> float:
    """A rule's p-value (every two-rate step has both; None would be a bug)."""
    if value is None:
        raise ValueError("a step's evidence has no p-value")
    return float(value)


def monotone_steps(
    successes: Sequence[int], trials: Sequence[int], *, direction: Trend, alpha: float = 0.05
) -> Evidence:
    """Claim "the success rate rises (``'increasing'``) or falls at every step across these ordered groups".

    ``successes`` / ``trials`` (K,), K >= 2 groups in the claimed order. Each adjacent step
    (i, i + 1) is a ``rates_differ`` claim (rate_{i+1} > rate_i when increasing). Confirmed iff
    every step is confirmed: an intersection-union test, level alpha without adjustment
    (p_confirm = the largest step p_confirm). Refuted iff some step is reversed, at family-wise
    level alpha over the K - 1 steps: p_value = min(1, (K - 1) * smallest step p_value) (Holm's
    first step, i.e. Bonferroni). As each step's test is exact (Barnard: each one-sided error at
    most alpha / 2), a claim whose weakest step is flat is confirmed with probability at most
    alpha / 2, and one whose steps all hold is refuted at most that often, at any n.
    estimate / ci: the weakest step (largest p_confirm), as rate_{i+1} - rate_i;
    mde / mde_confirm: the largest over the steps (each ``rates_differ``'s, difference units).
    """
    alpha = _check_alpha(alpha)
    _check_choice(direction, "direction", ("increasing", "decreasing"))
    if len(successes) != len(trials) or len(successes) < 2:
        raise ValueError(f"need >= 2 groups with one count each, got {len(successes)} and {len(trials)}")
    counts = [_check_counts(s, n) for s, n in zip(successes, trials, strict=True)]
    capture.record("monotone_steps", {"counts": counts}, {"direction": direction, "alpha": alpha})
    side: Direction = "greater" if direction == "increasing" else "less"
    steps = [rates_differ(*after, *before, direction=side, alpha=alpha) for before, after in pairwise(counts)]
    step_confirm = [_p(e.p_confirm) for e in steps]
    step_against = [_p(e.p_value) for e in steps]
    weakest = max(range(len(steps)), key=lambda i: (step_confirm[i], -i))
    p_confirm = max(step_confirm)
    p_refute = min(1.0, len(steps) * min(step_against))
    mdes = [e.mde for e in steps if e.mde is not None]
    mde = max(mdes) if len(mdes) == len(steps) else None
    return Evidence(
        verdict=_verdict_from_p(p_confirm, p_refute, alpha),
        estimate=steps[weakest].estimate,
        ci=steps[weakest].ci,
        p_value=p_refute,
        effect_size=steps[weakest].effect_size,
        n=sum(n for _, n in counts),
        alpha=alpha,
        test=f"every adjacent step {direction} (Barnard's exact test per step; all confirm / any reversed, Bonferroni)",
        mde=mde,
        mde_confirm=mde,
        cannot_confirm=any(e.cannot_confirm for e in steps),
        rule="monotone_steps",
        p_confirm=p_confirm,
        claimed_region=steps[weakest].claimed_region,
        detail={
            "rates": [s / n for s, n in counts],
            "step_estimates": [e.estimate for e in steps],
            "step_p_confirm": step_confirm,
            "step_p_against": step_against,
            "weakest_step": (weakest, weakest + 1),
        },
    )


# --------------------------------------------------------------------------------------------
# Interval rules: p-values by bisection on the level
# --------------------------------------------------------------------------------------------


def _check_region(region: Any, *, open_above: bool = False) -> tuple[float, float]:
    """``region`` as (lo, hi) with 0 < lo < hi, both finite; ``open_above``: hi may be +inf (an
    "at least lo" claim)."""
    lo, hi = region
    lo = _check_finite(lo, "region bound")
    hi = math.inf if open_above and hi == math.inf else _check_finite(hi, "region bound")
    if not 0.0 < lo < hi:
        raise ValueError(f"region must be (lo, hi) with 0 < lo < hi, got {region!r}")
    return lo, hi


def _smallest_level(holds: Callable[[float], bool]) -> float:
    """The smallest a in (0, 1) with ``holds(a)``, for a predicate monotone in a (false below,
    true above), by bisection; 1.0 when it fails at every level."""
    lo, hi = 0.0, 1.0 - 1e-12
    if not holds(hi):
        return 1.0
    for _ in range(_BISECTION_STEPS):
        mid = (lo + hi) / 2.0
        lo, hi = (lo, mid) if holds(mid) else (mid, hi)
    return hi


def _interval_p(ci_at: Callable[[float], tuple[float, float]], region: tuple[float, float]) -> tuple[float, float]:
    """(p_confirm, p_value) of the claim "statistic in ``region``" from ``ci_at(a)``, the 1 - a
    interval (narrowing as a grows): the smallest a at which it lies strictly inside the region,
    and the smallest at which it touches or lies beyond one of its ends (a region open above,
    hi = inf, holds every interval whose lower end is above lo)."""
    lo, hi = region
    p_confirm = _smallest_level(lambda a: lo < ci_at(a)[0] and (ci_at(a)[1] < hi or hi == math.inf))
    p_refute = _smallest_level(lambda a: ci_at(a)[1] <= lo or ci_at(a)[0] >= hi)
    return p_confirm, p_refute


# --------------------------------------------------------------------------------------------
# Ratio of medians
# --------------------------------------------------------------------------------------------


def _median_interval(sorted_v: np.ndarray, a: float) -> tuple[float, float]:
    """Exact order-statistic 1 - a/2 interval for the median of ``sorted_v`` (a/4 per tail)."""
    n = sorted_v.size
    c = _upper_cut(n, 0.5, a / 4.0)
    return _order_stat(sorted_v, None if c is None else n - c + 1, -math.inf), _order_stat(sorted_v, c, math.inf)


def median_ratio_in(x: Any, y: Any, region: tuple[float, float], *, alpha: float = 0.05) -> Evidence:
    """Claim "median(x) / median(y) lies in ``region``" (e.g. "a 2.5x speedup": [2.25, 2.75], or
    read as "at least 2.5x": [2.5, inf), a region open above).

    ``x`` (N1,), ``y`` (N2,): strictly positive, N1, N2 >= 2. Exact and distribution-free, atoms
    included, as ``medians_differ``: at level a, each median gets its exact order-statistic
    1 - a/2 interval (Bonferroni) and the ratio [lo_x / hi_y, hi_x / lo_y] (joint level >= 1 - a;
    [0, inf) ends where a sample is too small for an order-statistic bound).
    p_confirm: the smallest a whose interval lies strictly inside the region; p_value: the
    smallest a whose interval lies on or beyond one end (both by bisection on a, to 1e-12).
    ci: the interval at alpha. mde / mde_confirm (ratio units, normal approximation on the log
    scale, as ``medians_differ``): with se_x, se_y the log half-widths over z(1 - alpha/4) and
    m = z(1 - alpha/4)(se_x + se_y) + z(0.8) sqrt(se_x^2 + se_y^2), mde = hi (e^m - 1) beyond the
    upper end; mde_confirm = the same distance inside the region, None (``cannot_confirm``) when
    the region's log width is under 2m or an interval is unbounded. A region open above has one
    end: mde = lo (1 - e^-m) below it, mde_confirm = lo (e^m - 1) above it.
    """
    alpha = _check_alpha(alpha)
    x, y = _check_values(x, "x", min_n=2), _check_values(y, "y", min_n=2)
    if (x <= 0).any() or (y <= 0).any():
        raise ValueError("a median ratio needs strictly positive x and y")
    region = _check_region(region, open_above=True)
    capture.record("median_ratio_in", {"x": x, "y": y}, {"region": region, "alpha": alpha})
    xs, ys = np.sort(x), np.sort(y)

    def ci_at(a: float) -> tuple[float, float]:
        (xl, xh), (yl, yh) = _median_interval(xs, a), _median_interval(ys, a)
        low = xl / yh if math.isfinite(xl) and math.isfinite(yh) else 0.0
        high = xh / yl if math.isfinite(xh) and math.isfinite(yl) else math.inf
        return low, high

    p_confirm, p_refute = _interval_p(ci_at, region)
    (xl, xh), (yl, yh) = _median_interval(xs, alpha), _median_interval(ys, alpha)
    z = float(stats.norm.ppf(1.0 - alpha / 4.0))
    mde = mde_confirm = None
    if all(math.isfinite(v) and v > 0 for v in (xl, xh, yl, yh)):
        se_x, se_y = math.log(xh / xl) / (2 * z), math.log(yh / yl) / (2 * z)
        m = z * (se_x + se_y) + float(stats.norm.ppf(POWER)) * math.hypot(se_x, se_y)
        if region[1] == math.inf:
            mde, mde_confirm = region[0] * -math.expm1(-m), region[0] * math.expm1(m)
        else:
            mde = region[1] * math.expm1(m)
            if math.log(region[1] / region[0]) >= 2 * m:
                mde_confirm = region[1] * -math.expm1(-m)
    return Evidence(
        verdict=_verdict_from_p(p_confirm, p_refute, alpha),
        estimate=float(np.median(x) / np.median(y)),
        ci=ci_at(alpha),
        p_value=p_refute,
        effect_size=None,
        n=int(x.size + y.size),
        alpha=alpha,
        test=f"exact order-statistic median intervals, Bonferroni (claim: median(x) / median(y) in "
        f"[{region[0]:.4g}, {region[1]:.4g}])",
        mde=mde,
        mde_confirm=mde_confirm,
        cannot_confirm=mde_confirm is None,
        rule="median_ratio_in",
        p_confirm=p_confirm,
        claimed_region=region,
        detail={"medians": (float(np.median(x)), float(np.median(y))), "ci_level": 1.0 - alpha},
    )


# --------------------------------------------------------------------------------------------
# One median inside a region
# --------------------------------------------------------------------------------------------


def median_in(values: Any, region: tuple[float, float], *, alpha: float = 0.05) -> Evidence:
    """Claim "the median of ``values`` lies in ``region``" (e.g. "a 3.5% reduction": [2.5%, 4.5%]),
    with no assumption on the data's shape (the values are assumed independent): what a timed
    quantity needs, whose skewness moves from run to run (a mean rule's shape gate then moves the verdict).

    ``values`` (N,), N >= 2; ``region`` (lo, hi) finite, lo < hi. Exact sign tests, atoms included
    (values within ``FLOAT_TOL`` of an end count against every decision at it), each end at alpha / 4
    as ``median_ratio_in``'s Bonferroni intervals: confirmed when #(x > lo) and #(x < hi) both reach
    their alpha / 4 cut (p_confirm = 4 x the larger binomial tail), refuted when #(x < lo) or
    #(x > hi) does (p_value = 4 x the smaller). At a true median on an end, a false refute needs one
    of two counts past its cut (at most alpha / 2 together, however narrow the region), a false
    confirm one count (at most alpha / 4: conservative, so that both decisions stay dual to one
    interval, as ``median_ratio_in``'s). ci: the dual exact 1 - alpha / 2 order-statistic interval
    of the median (+-inf where N cannot bound a side; ``cannot_confirm`` then). mde (data units,
    translation model as ``metric_exceeds``'s quantile rule): the rate pi at which a count reaches
    its cut with 80% power (exact binomial), mapped through the sample quantile function, the larger
    of Q(pi) - median and median - Q(1 - pi); None where N cannot decide. mde_confirm: None (the
    planner then uses mde for both sides).
    """
    alpha = _check_alpha(alpha)
    x = _check_values(values, "values", min_n=2)
    if len(region) != 2:
        raise ValueError(f"region must be (lo, hi), got {region!r}")
    lo, hi = (_check_finite(v, "region bound") for v in region)
    if not lo < hi:
        raise ValueError(f"region must be (lo, hi) with lo < hi, got {region!r}")
    capture.record("median_in", {"values": x}, {"region": (lo, hi), "alpha": alpha})
    n = int(x.size)
    below_lo, _, above_lo = _counts_around(x, lo)
    below_hi, _, above_hi = _counts_around(x, hi)
    half = stats.binom(n, 0.5)
    p_confirm = min(1.0, 4.0 * max(half.sf(above_lo - 1), half.sf(below_hi - 1)))
    p_refute = min(1.0, 4.0 * min(half.sf(below_lo - 1), half.sf(above_hi - 1)))
    c = _upper_cut(n, 0.5, alpha / 4.0)
    centre = float(np.median(x))
    mde = None
    if c is not None:
        pi = _sf_power_rate(c, n, 0.5)
        mde = max(float(np.quantile(x, pi)) - centre, centre - float(np.quantile(x, 1.0 - pi)))
    return Evidence(
        verdict=_verdict_from_p(p_confirm, p_refute, alpha),
        estimate=centre,
        ci=_median_interval(np.sort(x), alpha),
        p_value=p_refute,
        effect_size=None,
        n=n,
        alpha=alpha,
        test=f"exact sign tests, alpha / 4 per end (claim: median in [{lo:.4g}, {hi:.4g}])",
        mde=mde,
        mde_confirm=None,
        cannot_confirm=c is None,
        rule="median_in",
        p_confirm=p_confirm,
        claimed_region=(lo, hi),
        detail={"counts_below_lo_above_hi": (below_lo, above_hi), "ci_level": 1.0 - alpha / 2.0},
    )


# --------------------------------------------------------------------------------------------
# Ratio of sample ranges at given sample sizes
# --------------------------------------------------------------------------------------------


def expected_range(sorted_v: np.ndarray, m: int, axis: int = -1) -> np.ndarray:
    """E[max - min] of ``m`` draws with replacement from the sample (sorted along ``axis``):
    sum_i v_(i) [(i/N)^m - ((i-1)/N)^m] - sum_i v_(i) [((N-i+1)/N)^m - ((N-i)/N)^m] (exact)."""
    n = sorted_v.shape[axis]
    i = np.arange(1, n + 1, dtype=float)
    w_max = (i / n) ** m - ((i - 1) / n) ** m
    w_min = ((n - i + 1) / n) ** m - ((n - i) / n) ** m
    shape = [1] * sorted_v.ndim
    shape[axis] = n
    return np.sum(sorted_v * (w_max - w_min).reshape(shape), axis=axis)


CALIBRATED_MULTIPLE = 40  # range_ratio_in is calibrated when each sample holds >= 40 x its stated size


def _range_ratio_bootstrap(
    x: np.ndarray, y: np.ndarray, m_x: int, m_y: int, n_resamples: int, rng: np.random.Generator
) -> np.ndarray:
    """(B,) bootstrap of E[range of m_x] / E[range of m_y]: x and y resampled independently (B = ``n_resamples``).

    A resample without spread has expected range exactly 0 (not the float residue of
    ``expected_range`` on an atom away from 0), so its ratio is exactly 0 or inf, and NaN for 0 / 0."""
    xb = np.sort(rng.choice(x, size=(n_resamples, x.size)), axis=1)  # (B, N1)
    yb = np.sort(rng.choice(y, size=(n_resamples, y.size)), axis=1)  # (B, N2)
    num = np.where(xb[:, -1] > xb[:, 0], expected_range(xb, m_x), 0.0)
    den = np.where(yb[:, -1] > yb[:, 0], expected_range(yb, m_y), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return num / den


def _range_ratio_p(boot: np.ndarray, region: tuple[float, float], tails: float = 4.0) -> tuple[float, float]:
    """(p_confirm, p_value) of "the statistic lies in ``region``" from its bootstrap ``boot`` (B,): the
    levels at which the percentile interval with alpha / ``tails`` per tail lies inside the region, or
    beyond one end (``range_ratio_in`` uses 4, the conservative interval; 2 is the nominal one)."""
    lo, hi = region
    below, above = float(np.mean(boot <= lo)), float(np.mean(boot >= hi))
    inside_lo, inside_hi = float(np.mean(boot > lo)), float(np.mean(boot < hi))
    return min(1.0, tails * max(below, above)), min(1.0, tails * min(inside_lo, inside_hi))


def range_ratio_in(
    x: Any,
    y: Any,
    region: tuple[float, float],
    *,
    m_x: int,
    m_y: int,
    alpha: float = 0.05,
    n_resamples: int = 9999,
    rng: np.random.Generator,
) -> Evidence:
    """Claim "range(x) / range(y) lies in ``region``" for samples of ``m_x`` and ``m_y`` values.

    A sample range grows with the sample size, so the claim is read at the document's sizes:
    the statistic is E[range of m_x draws from X] / E[range of m_y draws from Y], each expected
    range computed exactly from our sample (``expected_range``). ``x`` (N1,), ``y`` (N2,), each
    with spread. The statistic rests on the tails (quantiles ~1/m), whose variability the
    bootstrap understates: simulated at the claims' shape (tests/test_rules_sizes.py), the
    nominal percentile interval missed the truth on one side in 3-5% of runs at 10-40 x the
    stated sizes (0.041 at 10 x, shape 1.5, R = 2000; BCa and a jackknife-normal interval did no
    better in an earlier, uncommitted run). So the rule is made conservative and used only where
    that keeps each side within alpha / 2: the percentile interval at 1 - alpha / 2 (alpha / 4 per
    tail; at most 1.3% per side and cell at 40 x, R = 400, shape 4; 2.2% at 10 x, R = 2000, shape
    1.5), and at least ``CALIBRATED_MULTIPLE`` x the stated sizes, the multiple the committed
    simulations bound at R = 400-1000 (they do not exclude a smaller one); with fewer values it
    says inconclusive, p = 1 both ways, with the reason in ``detail``. ci: that interval (``n_resamples`` resamples of x
    and y independently, ``rng``; order statistics, no interpolation; a resample where neither arm has
    spread has no ratio and is left out); p_confirm = 4 max(P*(T <= lo), P*(T >= hi)) and p_value =
    4 min(P*(T > lo), P*(T < hi)), capped at 1 (the levels at which the interval lies inside the
    region, or beyond one end). mde / mde_confirm (ratio units): from the bootstrap sd s of the
    log statistic, m = (z(1 - alpha/4) + z(0.8)) s; mde = hi (e^m - 1); mde_confirm the same
    inside, None (``cannot_confirm``) when the region's log width is under 2 z(1 - alpha/4) s.
    """
    alpha = _check_alpha(alpha)
    x, y = _check_values(x, "x", min_n=2), _check_values(y, "y", min_n=2)
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        raise ValueError("a range ratio needs spread in x and in y")
    region = _check_region(region)
    if min(m_x, m_y) < 2:
        raise ValueError(f"sample sizes m_x, m_y must be >= 2, got {m_x}, {m_y}")
    rng = _check_rng(rng)
    capture.record("range_ratio_in", {"x": x, "y": y}, {"region": region, "m_x": m_x, "m_y": m_y, "alpha": alpha})
    estimate = float(expected_range(np.sort(x), m_x) / expected_range(np.sort(y), m_y))
    if x.size < CALIBRATED_MULTIPLE * m_x or y.size < CALIBRATED_MULTIPLE * m_y:
        return _uncalibrated_evidence(
            estimate=estimate,
            n=int(x.size + y.size),
            rule="range_ratio_in",
            test=f"ratio of E[range of {m_x}] / E[range of {m_y}]: no calibrated interval at this n",
            alpha=alpha,
            region=region,
            where=f"needs >= {CALIBRATED_MULTIPLE} x the stated sizes ({CALIBRATED_MULTIPLE * m_x} and "
            f"{CALIBRATED_MULTIPLE * m_y} values), has {x.size} and {y.size}",
        )
    boot = _range_ratio_bootstrap(x, y, m_x, m_y, n_resamples, rng)
    boot = boot[~np.isnan(boot)]  # 0 / 0: neither arm of the resample has spread, no ratio to count
    lo, hi = region
    p_confirm, p_refute = _range_ratio_p(boot, region)
    # order statistics, no interpolation: dual to the counts of _range_ratio_p, and defined between infinite resamples
    ci = tuple(float(q) for q in np.quantile(boot, [alpha / 4.0, 1.0 - alpha / 4.0], method="inverted_cdf"))
    finite = boot[np.isfinite(boot) & (boot > 0)]
    s = float(np.std(np.log(finite), ddof=1))
    z = float(stats.norm.ppf(1.0 - alpha / 4.0))
    m = (z + float(stats.norm.ppf(POWER))) * s
    fits = math.log(hi / lo) >= 2 * z * s
    return Evidence(
        verdict=_verdict_from_p(float(p_confirm), float(p_refute), alpha),
        estimate=estimate,
        ci=(ci[0], ci[1]),
        p_value=float(p_refute),
        effect_size=None,
        n=int(x.size + y.size),
        alpha=alpha,
        test=f"percentile bootstrap (alpha/4 per tail) of E[range of {m_x}] / E[range of {m_y}] (claim: in "
        f"[{lo:.4g}, {hi:.4g}])",
        mde=hi * math.expm1(m),
        mde_confirm=hi * -math.expm1(-m) if fits else None,
        cannot_confirm=not fits,
        rule="range_ratio_in",
        p_confirm=float(p_confirm),
        claimed_region=region,
        detail={
            "expected_ranges": (float(expected_range(np.sort(x), m_x)), float(expected_range(np.sort(y), m_y))),
            "sample_sizes_read_at": (m_x, m_y),
            "observed_ranges": (float(np.ptp(x)), float(np.ptp(y))),
            "n_resamples": n_resamples,
            "ci_level": 1.0 - alpha / 2.0,
        },
    )


__all__ = ["CALIBRATED_MULTIPLE", "expected_range", "median_ratio_in", "monotone_steps", "range_ratio_in"]
