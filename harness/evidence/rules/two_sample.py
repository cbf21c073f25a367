"""Two-sample rules: medians of two independent samples (exact order statistics), P(X > Y)
(Brunner-Munzel) and the variance ratio of two paired samples (HC3 Pitman-Morgan)."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
from scipy import optimize, stats
from statsmodels.regression.linear_model import OLS
from statsmodels.stats.nonparametric import rank_compare_2indep

from harness.evidence.rules import capture
from harness.evidence.rules.core import (
    FLOAT_TOL,
    POWER,
    Direction,
    _check_alpha,
    _check_choice,
    _check_rng,
    _check_values,
    _doubled,
    _no_spread,
    _order_stat,
    _real,
    _scale,
    _uncalibrated_evidence,
    _upper_cut,
    _verdict_from_p,
    _z_effect,
)
from harness.evidence.verdicts import Evidence, Verdict


def _median_ratio(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.median(x, axis=axis) / np.median(y, axis=axis)


def _check_two_samples(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    return _check_values(x, "x", min_n=2), _check_values(y, "y", min_n=2)


def _check_positive(x: np.ndarray, y: np.ndarray) -> None:
    if (x <= 0).any() or (y <= 0).any():
        raise ValueError("a median ratio needs strictly positive x and y")


def _count_le_gt(v: np.ndarray, t: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each t (K,): #(v <= t), #(v >= t) and #(v > t), values within ``FLOAT_TOL`` of t (on
    data of magnitude ``scale``) counting as equal to it."""
    vs = np.sort(v)
    band = np.maximum(FLOAT_TOL["rel_tol"] * np.abs(t), FLOAT_TOL["abs_tol"] * scale)
    le = np.searchsorted(vs, t + band, side="right")
    ge = vs.size - np.searchsorted(vs, t - band, side="left")
    return le, ge, vs.size - le


def _median_split_p(low: np.ndarray, high: np.ndarray, *, strict: bool) -> float:
    """Two-sided-scale p that median(low) lies below median(high), from Bonferroni-combined
    exact sign tests: 4 * min over split points t of max(P(Bin(n_low, 1/2) >= #(low <= t)),
    P(Bin(n_high, 1/2) >= #(high > t))) (``strict``) or with #(high >= t) (not strict), capped
    at 1. At level alpha it holds iff the exact 1 - alpha/2 order-statistic intervals of the two
    medians are separated: ``low``'s upper end < ``high``'s lower end (``strict``, used to
    confirm) or <= (used to refute). Values tied with t count against the strict reading."""
    t = np.unique(np.concatenate([low, high]))  # (K,)
    scale = _scale(low, high)
    le_low, _, _ = _count_le_gt(low, t, scale)
    _, ge_high, gt_high = _count_le_gt(high, t, scale)
    p_low = stats.binom.sf(le_low - 1, low.size, 0.5)
    p_high = stats.binom.sf((gt_high if strict else ge_high) - 1, high.size, 0.5)
    return float(min(1.0, 4.0 * float(np.min(np.maximum(p_low, p_high)))))


def _median_ci(v: np.ndarray, alpha: float) -> tuple[float, float]:
    """Exact order-statistic 1 - alpha/2 interval for the median (alpha/4 per tail), +-inf ends
    where n is too small."""
    n = v.size
    c = _upper_cut(n, 0.5, alpha / 4.0)
    vs = np.sort(v)
    return _order_stat(vs, None if c is None else n - c + 1, -math.inf), _order_stat(vs, c, math.inf)


def _ratio_interval(x_ci: tuple[float, float], y_ci: tuple[float, float]) -> tuple[float, float]:
    """[lo_x / hi_y, hi_x / lo_y] for intervals of two positive medians; an end n cannot bound
    (-inf below, inf above) makes the ratio's end 0 or inf, never NaN (issue 20: n = 2 gave NaN)."""
    (xl, xh), (yl, yh) = x_ci, y_ci
    lower = 0.0 if xl <= 0.0 or math.isinf(yh) else xl / yh
    upper = math.inf if math.isinf(xh) or yl <= 0.0 else xh / yl
    return lower, upper


def medians_differ(
    x: Any,
    y: Any,
    *,
    direction: Direction,
    alpha: float = 0.05,
    n_resamples: int = 9999,
    rng: np.random.Generator | None = None,
) -> Evidence:
    """Claim "median(x) > median(y)" (``direction='greater'``) or "<" ('less').

    ``x`` (N1,), ``y`` (N2,): strictly positive (steps, times, losses), N1, N2 >= 2.
    estimate: median(x) / median(y). Exact and distribution-free, atoms included (capped epoch
    counts): each median gets its exact order-statistic interval at 1 - alpha/2 (Bonferroni),
    and ci = [lo_x / hi_y, hi_x / lo_y] (joint level >= 1 - alpha). Confirmed iff
    p_confirm = ``_median_split_p`` in the claimed direction <= alpha (the two intervals are
    strictly separated the claimed way); refuted iff p_value (the same the other way) <= alpha.
    Ties count against both claims, so equal medians with atoms (x = [38]*9 + [20],
    y = [38]*9 + [25]) never confirm either direction, and no data confirm both.
    mde / mde_confirm (ratio units, normal approximation on the log scale): with se_x, se_y the
    half-widths of the log intervals over z(1 - alpha/4), m = z(1 - alpha/4) (se_x + se_y) +
    z(0.8) sqrt(se_x^2 + se_y^2); against the claim 1 - exp(-m) ('greater') or exp(m) - 1
    ('less'), for it the other one; None (and ``cannot_confirm``) when an interval is unbounded.
    ``n_resamples`` and ``rng`` are accepted for compatibility and unused.
    """
    alpha = _check_alpha(alpha)
    direction = _check_choice(direction, "direction", ("greater", "less"))
    x, y = _check_two_samples(x, y)
    _check_positive(x, y)
    if rng is not None:
        _check_rng(rng)
    capture.record("medians_differ", {"x": x, "y": y}, {"direction": direction, "alpha": alpha})
    greater = direction == "greater"
    low, high = (y, x) if greater else (x, y)  # the claim: median(low) < median(high)
    p_confirm = _median_split_p(low, high, strict=True)
    p_refute = _median_split_p(high, low, strict=False)
    (xl, xh), (yl, yh) = _median_ci(x, alpha), _median_ci(y, alpha)
    ci = _ratio_interval((xl, xh), (yl, yh))
    z = float(stats.norm.ppf(1.0 - alpha / 4.0))
    m = None
    if all(math.isfinite(v) for v in (xl, xh, yl, yh)):
        se_x, se_y = (math.log(xh / xl) / (2 * z), math.log(yh / yl) / (2 * z))
        m = z * (se_x + se_y) + float(stats.norm.ppf(POWER)) * math.hypot(se_x, se_y)
    down = None if m is None else -math.expm1(-m)
    up = None if m is None else math.expm1(m)
    mde, mde_confirm = (down, up) if greater else (up, down)
    return Evidence(
        verdict=_verdict_from_p(p_confirm, p_refute, alpha),
        estimate=float(_median_ratio(x, y)),
        ci=ci,
        p_value=p_refute,
        effect_size=None,
        n=int(x.size + y.size),
        alpha=alpha,
        test=f"exact order-statistic median intervals, Bonferroni (claim: median(x) {'>' if greater else '<'} median(y))",
        mde=mde,
        mde_confirm=mde_confirm,
        cannot_confirm=mde_confirm is None,
        rule="medians_differ",
        p_confirm=p_confirm,
        claimed_region=(1.0, math.inf) if greater else (0.0, 1.0),
        detail={
            "ci_level": 1.0 - alpha,
            "median_x_ci": (xl, xh),
            "median_y_ci": (yl, yh),
        },
    )


def _bm_se_df(rc: Any, n1: int, n2: int) -> tuple[float, float, str]:
    """Standard error and degrees of freedom of the Brunner-Munzel estimate of P(X > Y).

    Where the Brunner-Munzel variance is zero (complete separation, e.g. every x above every
    y) the test is undefined; the rule then uses the Birnbaum-Klose (1957) bound on the sd of
    the estimate, 1 / (2 sqrt(min(N1, N2))), with min(N1, N2) - 1 degrees of freedom."""
    var = float(rc.var_prob)
    if math.isfinite(var) and var > 0.0 and math.isfinite(float(rc.df)):
        return math.sqrt(var), float(rc.df), "Brunner-Munzel"
    m = min(n1, n2)
    return 0.5 / math.sqrt(m), float(m - 1), "Birnbaum-Klose bound (Brunner-Munzel variance is 0)"


DISTRIBUTIONS_MIN_N = 40  # fewest values per arm at which the Brunner-Munzel t test is calibrated (issue 20)
BM_LEVEL_FACTOR = 1.1  # each one-sided t test at alpha / (2 x 1.1): its error at nominal alpha / 2 exceeds it


def distributions_differ(
    x: Any,
    y: Any,
    *,
    direction: Direction,
    alpha: float = 0.05,
) -> Evidence:
    """Claim "x tends to be larger than y" (``direction='greater'``: P(X > Y) + P(X = Y)/2 >
    1/2) or smaller ('less').

    ``x`` (N1,), ``y`` (N2,), N1, N2 >= 2. Decided and reported with one quantity: the
    Brunner-Munzel estimate of p = P(X > Y) + P(X = Y) / 2 (mid-ranks, so ties and atoms are
    handled) with its t test and interval (``statsmodels.stats.nonparametric.
    rank_compare_2indep``: ``test_prob_superior(value=0.5)`` and ``conf_int``, the same se and
    df, so they are exact duals). Unlike Mann-Whitney it tests p = 1/2 itself, not F = G, so
    unequal spreads with p = 1/2 are not "differences". p_confirm = 2 x ``BM_LEVEL_FACTOR`` x the
    one-sided p in the claimed direction, p_value = the same the other way (see Level). Complete separation:
    see ``_bm_se_df``. If every value in x and y is the same: inconclusive, p 1 both ways.
    effect_size: 2 p - 1 (rank-biserial). mde = mde_confirm (units of p): the distance of p
    from 1/2 detected with 80% power, the z-test's effect (at alpha / ``BM_LEVEL_FACTOR``) in
    standard errors times the Brunner-Munzel se. detail['median_ratio']: median(x) / median(y) when all values are
    positive (descriptive). ci is clipped to [0, 1] (p is a probability).
    Level: the t test at nominal alpha / 2 per side errs above it (P(X > Y) = 1/2, normal arms,
    equal spreads included; measured 0.0264 at 40 per arm, docs/stats-calibration.md), so each
    one-sided p is multiplied by ``BM_LEVEL_FACTOR`` (as the mean rule's ``LEVEL_FACTOR``) and the
    interval is the dual 1 - alpha / ``BM_LEVEL_FACTOR`` one; with it the worst one-sided error over
    40-200 per arm and sd ratios 1/10-10 is below alpha / 2 (``tests/test_stats_calibration.py``,
    ``test_brunner_munzel_*``; the numbers are generated into docs/stats-calibration.md).
    Small arms (fewer than ``DISTRIBUTIONS_MIN_N`` values in either): inconclusive with
    ``NO_CALIBRATED_RULE``, p = 1 both ways (no claim has fewer than 42; the studentized permutation
    test this rule used below 10 per arm, exact only when F = G, erred 0.030 at 5 vs 5 with unequal
    spreads).
    """
    alpha = _check_alpha(alpha)
    direction = _check_choice(direction, "direction", ("greater", "less"))
    x, y = _check_two_samples(x, y)
    capture.record("distributions_differ", {"x": x, "y": y}, {"direction": direction, "alpha": alpha})
    n1, n2 = x.size, y.size
    op = ">" if direction == "greater" else "<"
    test = f"Brunner-Munzel test and CI of P(X > Y), alpha / (2 x {BM_LEVEL_FACTOR:g}) per side (claim: x {op} y)"
    ratio = float(_median_ratio(x, y)) if (x > 0).all() and (y > 0).all() else None
    if _no_spread(np.concatenate([x, y])):
        return Evidence(
            verdict=Verdict.INCONCLUSIVE,
            estimate=0.5,
            ci=None,
            p_value=1.0,
            effect_size=0.0,
            n=n1 + n2,
            alpha=alpha,
            test=test,
            rule="distributions_differ",
            p_confirm=1.0,
            detail={"note": "all values identical", "median_ratio": ratio},
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        rc = rank_compare_2indep(x, y)
    p = float(rc.prob1)
    region = (0.5, 1.0) if direction == "greater" else (0.0, 0.5)
    if min(n1, n2) < DISTRIBUTIONS_MIN_N:
        return _uncalibrated_evidence(
            estimate=p,
            n=int(n1 + n2),
            rule="distributions_differ",
            test=test,
            alpha=alpha,
            region=region,
            where=f"needs >= {DISTRIBUTIONS_MIN_N} values per arm, has {n1} and {n2}",
        )
    se, df, method = _bm_se_df(rc, n1, n2)
    half = float(stats.t.ppf(1.0 - alpha / (2.0 * BM_LEVEL_FACTOR), df)) * se
    ci = (max(p - half, 0.0), min(p + half, 1.0))  # p is a probability: in [0, 1]
    t = (p - 0.5) / se
    p_greater = min(1.0, BM_LEVEL_FACTOR * float(stats.t.sf(t, df)))
    p_less = min(1.0, BM_LEVEL_FACTOR * float(stats.t.cdf(t, df)))
    p_for, p_against = (p_greater, p_less) if direction == "greater" else (p_less, p_greater)
    p_confirm, p_refute = _doubled(p_for), _doubled(p_against)
    mde = _z_effect(1.0, 0.0, alpha / BM_LEVEL_FACTOR) * se  # at the level the test runs
    return Evidence(
        verdict=_verdict_from_p(p_confirm, p_refute, alpha),
        estimate=p,
        ci=ci,
        p_value=p_refute,
        effect_size=2.0 * p - 1.0,
        n=n1 + n2,
        alpha=alpha,
        test=test,
        mde=mde,
        mde_confirm=mde,
        rule="distributions_differ",
        p_confirm=p_confirm,
        claimed_region=region,
        detail={
            "ci_level": 1.0 - alpha / BM_LEVEL_FACTOR,
            "level_factor": BM_LEVEL_FACTOR,
            "se": se,
            "df": df,
            "se_method": method,
            "effect_size_kind": "rank_biserial",
            "median_ratio": ratio,
        },
    )


# ============================================================================================
# Ratio of the variances of two paired samples (source 003, Method 5: "3-5% reduction in final
# loss variance"; helper "s003"). Calibrated in tests/test_stats_variance_ratio.py.
# ============================================================================================


def _pitman_morgan_t(x: np.ndarray, y: np.ndarray, ratio: float) -> float:
    """HC3 t statistic of the slope of ``x - s y`` on ``x + s y`` (s = sqrt(ratio)): positive iff the
    sample says Var(x) / Var(y) > ``ratio`` (Cov(x + s y, x - s y) = Var x - ratio Var y)."""
    s = math.sqrt(ratio)
    u, v = x + s * y, x - s * y
    design = np.column_stack((np.ones_like(u), u - u.mean()))
    fit = OLS(v, design).fit(cov_type="HC3")
    return float(fit.params[1] / fit.bse[1])


def _pitman_morgan_bound(x: np.ndarray, y: np.ndarray, start: float, target: float, step: float) -> float:
    """The ratio where the HC3 t statistic, 0 at ``start`` (the sample ratio), reaches ``target``
    moving by factors ``step`` (> 1: upwards, < 1: downwards); bracketed, then ``brentq`` in log ratio."""

    def f(log_r: float) -> float:
        return _pitman_morgan_t(x, y, math.exp(log_r)) - target

    a = math.log(start)
    b = a + math.log(step)
    while f(b) * f(a) > 0:
        a, b = b, b + math.log(step)
        if abs(b) > 60.0:
            return math.inf if step > 1 else 0.0
    return math.exp(float(optimize.brentq(f, min(a, b), max(a, b), xtol=1e-10, rtol=1e-10, maxiter=200)))


def _variance_ratio_p(x: np.ndarray, y: np.ndarray, lo: float, hi: float) -> tuple[float, float, float, float]:
    """(p_confirm, p_refute, t at lo, t at hi) of "Var x / Var y in [lo, hi]": the one-sided HC3
    Pitman-Morgan tests at both edges, on the two-sided scale (the verdict depends on these only)."""
    dist = stats.t(df=x.size - 2)
    t_lo = _pitman_morgan_t(x, y, lo)
    t_hi = _pitman_morgan_t(x, y, hi) if math.isfinite(hi) else -math.inf
    p_confirm = _doubled(max(float(dist.sf(t_lo)), float(dist.cdf(t_hi))))
    p_refute = _doubled(min(float(dist.cdf(t_lo)), float(dist.sf(t_hi))))
    return p_confirm, p_refute, t_lo, t_hi


VARIANCE_RATIO_MIN_N = 1000  # fewest pairs at which the HC3 Pitman-Morgan test is calibrated
VARIANCE_RATIO_MAX_KURTOSIS = 3.0  # largest excess kurtosis (of x or y) at which it is calibrated


def _paired_on_one_scale(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``x`` and ``y`` divided by their common scale (the variance ratio is unchanged; squares of
    values near 1e300 no longer overflow), after checking the ratio is a finite positive number and
    the pairs are not exactly linearly related (then every HC3 standard error is 0: no interval)."""
    scale = _scale(x, y)
    x, y = x / scale, y / scale
    ratio = float(np.var(x, ddof=1) / np.var(y, ddof=1))
    if not (math.isfinite(ratio) and 0.0 < ratio < math.inf and math.isfinite(1.0 / ratio)):
        raise ValueError(f"Var(x) / Var(y) = {ratio:g} is outside the floating-point range")
    r = float(np.corrcoef(x, y)[0, 1])
    if not abs(r) < 1.0 - 1e-12:
        raise ValueError("x and y are exactly linearly related: the HC3 standard error is 0, no interval")
    return x, y


def variance_ratio_equals(x: Any, y: Any, *, region: tuple[float, float], alpha: float = 0.05) -> Evidence:
    """Claim "Var(x) / Var(y) lies in ``region`` = (lo, hi)" for *paired* samples x, y (N,), N >= 10.

    Pairs share a unit (e.g. the same data seed trained two ways), so the samples are dependent
    and Levene / Brown-Forsythe / the F test (independent samples) do not apply. The test is
    Pitman-Morgan's (Var x = r Var y iff Cov(x + sqrt(r) y, x - sqrt(r) y) = 0) made robust to
    non-normality as Wilcox (2015, "Comparing the variances of two dependent variables", J. Stat.
    Distrib. Appl.) does: the OLS slope of ``x - sqrt(r) y`` on ``x + sqrt(r) y`` with a
    heteroscedasticity-consistent standard error (Wilcox uses HC4; statsmodels offers HC0-HC3, so
    HC3 here, calibrated below); its t statistic is referred to t(N - 2).

    Three-decision rule at the two edges: ``p_confirm`` = 2 max(P(ratio <= lo), P(ratio >= hi))
    one-sided p-values; ``p_value`` = 2 min of the opposite ones. ci: the ratios r whose test is
    not rejected at alpha / 2 on either side, found by root finding from the sample ratio
    outwards (two-sided 1 - alpha). se: the ci's half-width / t quantile (normal approximation);
    mde = (t_{1-alpha/2} + z_{0.8}) se beyond an edge, mde_confirm the same inside it when the
    region is wide enough for both edges, else ``cannot_confirm``. hi may be ``inf``.

    Decided only where it is calibrated (tests/test_stats_variance_ratio.py): n >=
    ``VARIANCE_RATIO_MIN_N`` pairs and the excess kurtosis of x and of y at most
    ``VARIANCE_RATIO_MAX_KURTOSIS``. Outside (lognormal sigma 1 errs 0.044 at n = 5000 and 0.050
    at n = 10; at n = 200 one side reaches 0.031 on normal data: issue 20) the evidence is
    inconclusive with ``NO_CALIBRATED_RULE``.
    """
    alpha = _check_alpha(alpha)
    x = _check_values(x, "x", min_n=10)
    y = _check_values(y, "y", min_n=10)
    if x.shape != y.shape:
        raise ValueError(f"x and y must be paired samples of one shape, got {x.shape} and {y.shape}")
    lo, hi = (
        (_real(region[0], "region[0]"), _real(region[1], "region[1]")) if len(region) == 2 else (math.nan, math.nan)
    )
    if not (math.isfinite(lo) and 0.0 < lo < hi):
        raise ValueError(f"region must be (lo, hi) with 0 < lo < hi (hi may be inf), got {region!r}")
    if _no_spread(x) or _no_spread(y):
        raise ValueError("x and y need spread: the variance ratio of a constant sample is 0 or undefined")
    capture.record("variance_ratio_equals", {"x": x, "y": y}, {"region": (lo, hi), "alpha": alpha})
    x, y = _paired_on_one_scale(x, y)
    n = int(x.size)
    dist = stats.t(df=n - 2)
    estimate = float(np.var(x, ddof=1) / np.var(y, ddof=1))
    kurtosis = max(float(stats.kurtosis(x)), float(stats.kurtosis(y)))
    if n < VARIANCE_RATIO_MIN_N or kurtosis > VARIANCE_RATIO_MAX_KURTOSIS:
        ev = _uncalibrated_evidence(
            estimate=estimate,
            n=n,
            rule="variance_ratio_equals",
            test="paired Pitman-Morgan test with HC3 standard errors (not calibrated here)",
            alpha=alpha,
            region=(lo, hi),
            where=f"n = {n} (calibrated from {VARIANCE_RATIO_MIN_N}), excess kurtosis {kurtosis:.3g} "
            f"(calibrated up to {VARIANCE_RATIO_MAX_KURTOSIS:g})",
        )
        return replace(ev, detail={**ev.detail, "excess_kurtosis": kurtosis})
    p_confirm, p_refute, t_lo, t_hi = _variance_ratio_p(x, y, lo, hi)
    q = float(dist.ppf(1.0 - alpha / 2.0))
    ci = (_pitman_morgan_bound(x, y, estimate, q, 0.5), _pitman_morgan_bound(x, y, estimate, -q, 2.0))
    se = (ci[1] - ci[0]) / (2.0 * q)
    reach = (q + float(stats.norm.ppf(POWER))) * se
    mde_confirm = reach if hi - lo >= 2.0 * reach else None
    edge = lo if not math.isfinite(hi) or abs(estimate - lo) <= abs(estimate - hi) else hi
    return Evidence(
        verdict=_verdict_from_p(p_confirm, p_refute, alpha),
        estimate=estimate,
        ci=ci,
        p_value=p_refute,
        effect_size=(estimate - edge) / se if se > 0 else None,
        n=n,
        alpha=alpha,
        test=f"paired Pitman-Morgan test with HC3 standard errors, t({n - 2}) (claim: Var x / Var y in [{lo:g}, {hi:g}])",
        mde=reach,
        mde_confirm=mde_confirm,
        cannot_confirm=mde_confirm is None,
        rule="variance_ratio_equals",
        p_confirm=p_confirm,
        claimed_region=(lo, hi),
        detail={
            "ci_level": 1.0 - alpha,
            "t_at_edges": (t_lo, t_hi),
            "sd_ratio": math.sqrt(estimate),
            "correlation": float(np.corrcoef(x, y)[0, 1]),
            "se_approx": se,
            "effect_size_kind": "(estimate - nearest edge) / se",
        },
    )
