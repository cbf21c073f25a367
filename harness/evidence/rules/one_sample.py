"""One-sample rules: a statistic above or below a threshold (the skewness-corrected t of ``means``
for the mean, exact order statistics for quantiles and quantile ranges, chi-square for the sd,
the BCa bootstrap for anything else)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special, stats

from harness.evidence.rules import capture, means
from harness.evidence.rules.core import (
    FLOAT_TOL,
    POWER,
    _check_alpha,
    _check_finite,
    _check_rng,
    _check_values,
    _close,
    _counts_around,
    _doubled,
    _near,
    _no_spread,
    _no_spread_evidence,
    _order_stat,
    _scale,
    _sd_rows,
    _sf_power_rate,
    _t_effect,
    _upper_cut,
    _verdict_from_p,
    _z_effect,
)
from harness.evidence.verdicts import Evidence


@dataclass(frozen=True)
class Quantile:
    """The ``q``-quantile as a metric statistic (``Quantile(0.5)`` is the median).

    ``metric_exceeds`` / ``metric_below`` decide it with the exact order-statistic (binomial)
    rule, valid for any distribution, atoms included."""

    q: float

    def __post_init__(self) -> None:
        if not (isinstance(self.q, (int, float)) and 0.0 < float(self.q) < 1.0):
            raise ValueError(f"quantile q must lie in (0, 1), got {self.q!r}")

    def __call__(self, x: Any, axis: int = -1) -> Any:
        return np.quantile(x, self.q, axis=axis)


@dataclass(frozen=True)
class StandardDeviation:
    """The sample standard deviation (ddof = 1) as a metric statistic: ``metric_exceeds`` /
    ``metric_below`` decide it with the chi-square interval (exact for normal data)."""

    def __call__(self, x: Any, axis: int = -1) -> Any:
        return _sd_rows(np.asarray(x, dtype=float), axis)


@dataclass(frozen=True)
class QuantileRange:
    """The width ``Q(hi) - Q(lo)`` of a central quantile interval (default 2.5%-97.5%, the width
    of a 95% percentile interval) as a metric statistic: ``metric_exceeds`` / ``metric_below``
    decide it with exact order-statistic bounds (Bonferroni over the two quantiles), valid for
    any distribution; extreme quantiles need large n (at n = 50 the 97.5% quantile has no
    distribution-free upper bound, so "width < t" cannot be confirmed there)."""

    lo: float = 0.025
    hi: float = 0.975

    def __post_init__(self) -> None:
        if not (0.0 < float(self.lo) < float(self.hi) < 1.0):
            raise ValueError(f"quantile range needs 0 < lo < hi < 1, got ({self.lo!r}, {self.hi!r})")

    def __call__(self, x: Any, axis: int = -1) -> Any:
        return np.quantile(x, self.hi, axis=axis) - np.quantile(x, self.lo, axis=axis)


MEDIAN = Quantile(0.5)
SD = StandardDeviation()


def _metric_kind(statistic: Any) -> str:
    """Which rule decides ``statistic``: 't' (mean), 'order' (a quantile), 'chi2' (the sd),
    'range' (a quantile range) or 'bca' (anything else)."""
    if statistic is np.mean:
        return "t"
    if statistic is np.median or isinstance(statistic, Quantile):
        return "order"
    if isinstance(statistic, StandardDeviation):
        return "chi2"
    if isinstance(statistic, QuantileRange):
        return "range"
    if not callable(statistic):
        raise ValueError(f"statistic must be callable, got {statistic!r}")
    return "bca"


def _statistic_name(statistic: Any) -> str:
    """A readable name of a metric statistic (``np.mean`` -> 'mean', ``Quantile(0.9)`` -> its repr)."""
    if isinstance(statistic, (Quantile, StandardDeviation, QuantileRange)):
        return repr(statistic)
    return str(getattr(statistic, "__name__", repr(statistic)))


@dataclass(frozen=True)
class _MetricClaim:
    """A claim "statistic(values) > threshold" (``above``) or "< threshold" and its record."""

    threshold: float
    above: bool
    alpha: float
    rule: str

    @property
    def region(self) -> tuple[float, float]:
        return (self.threshold, math.inf) if self.above else (-math.inf, self.threshold)

    @property
    def text(self) -> str:
        return f"claim: statistic {'>' if self.above else '<'} {self.threshold:g}"

    def evidence(self, *, p_up: float, p_down: float, **fields: Any) -> Evidence:
        """Evidence from the two-sided-scale p-values that the statistic is above (``p_up``)
        and below (``p_down``) the threshold; ``fields`` fill the rest."""
        p_confirm, p_refute = (p_up, p_down) if self.above else (p_down, p_up)
        detail = {"ci_level": 1.0 - self.alpha}
        detail.update(fields.pop("detail", {}))
        cannot = fields.pop("cannot_confirm", False)
        return Evidence(
            verdict=_verdict_from_p(p_confirm, p_refute, self.alpha),
            p_value=p_refute,
            alpha=self.alpha,
            rule=self.rule,
            cannot_confirm=cannot,
            p_confirm=p_confirm,
            claimed_region=self.region,
            detail=detail,
            **fields,
        )


def _metric_t(x: np.ndarray, mc: _MetricClaim) -> Evidence:
    """Mean: Hall's skewness-corrected t test and interval where it is calibrated (``means``), else
    inconclusive with ``NO_CALIBRATED_RULE``."""
    test = f"skewness-corrected t (Hall) ({mc.text})"
    if _no_spread(x):
        return _no_spread_evidence(x, rule=mc.rule, test=test, alpha=mc.alpha, region=mc.region)
    if not bool(means.decidable(x)):
        return means.uncalibrated_mean(x, rule=mc.rule, test=test, alpha=mc.alpha, region=mc.region)
    sd = float(np.std(x, ddof=1))
    mean = float(np.mean(x))
    if _close(mean, mc.threshold, _scale(x, mc.threshold)):
        p_larger = p_smaller = 0.5  # the mean sits on the threshold up to rounding
    else:
        p_larger, p_smaller = (float(p) for p in means.mean_tail_p(x, mc.threshold))
    mde = _t_effect(int(x.size), mc.alpha / means.LEVEL_FACTOR) * sd  # at the level the test runs
    return mc.evidence(
        p_up=_doubled(p_larger),
        p_down=_doubled(p_smaller),
        estimate=mean,
        ci=means.mean_interval(x, mc.alpha),
        effect_size=(mean - mc.threshold) / sd,
        n=int(x.size),
        test=test,
        mde=mde,
        mde_confirm=mde,
        detail={
            "sd": sd,
            "skewness": float(means.skewness(x)),
            "level_factor": means.LEVEL_FACTOR,
            "effect_size_kind": "(mean - threshold) / sd",
        },
    )


def _metric_quantile(x: np.ndarray, q: float, mc: _MetricClaim) -> Evidence:
    """Quantile: exact order-statistic rule (sign test for the q-quantile), see ``metric_exceeds``."""
    n = int(x.size)
    xs = np.sort(x)
    below, equal, above = _counts_around(x, mc.threshold)
    a = mc.alpha / 2.0
    # "Q_q > t" is false iff P(X <= t) >= q, so #(x <= t) ~ at least Bin(n, q) counts against it
    # and #(x > t) ~ at most Bin(n, 1 - q) counts for it; mirrored for "Q_q < t".
    p_up = _doubled(stats.binom.sf(above - 1, n, 1.0 - q))  # evidence that Q_q > t
    p_down = _doubled(stats.binom.sf(below - 1, n, q))  # evidence that Q_q < t
    p_up_refuted = _doubled(stats.binom.sf(below + equal - 1, n, q))  # against "Q_q > t"
    p_down_refuted = _doubled(stats.binom.sf(above + equal - 1, n, 1.0 - q))  # against "Q_q < t"
    c_up = _upper_cut(n, 1.0 - q, a)  # #(x > t) >= c_up confirms "Q_q > t"
    c_down = _upper_cut(n, q, a)  # #(x < t) >= c_down confirms "Q_q < t"
    ci = (_order_stat(xs, None if c_up is None else n - c_up + 1, -math.inf), _order_stat(xs, c_down, math.inf))
    # exact power in probability units: pi = P(X <= t) at which each test fires with prob 0.8
    pi_high = None if c_down is None else _sf_power_rate(c_down, n, q)
    pi_low = None if c_up is None else 1.0 - _sf_power_rate(c_up, n, 1.0 - q)
    centre = float(np.quantile(x, q))
    d_high = None if pi_high is None else float(np.quantile(x, pi_high)) - centre
    d_low = None if pi_low is None else centre - float(np.quantile(x, pi_low))
    mde, mde_confirm = (d_high, d_low) if mc.above else (d_low, d_high)
    p_up_final, p_down_final = (p_up, p_up_refuted) if mc.above else (p_down_refuted, p_down)
    return mc.evidence(
        p_up=p_up_final,
        p_down=p_down_final,
        estimate=centre,
        ci=ci,
        effect_size=None,
        n=n,
        test=f"exact order-statistic (binomial) rule for the {q:g}-quantile ({mc.text})",
        mde=mde,
        mde_confirm=mde_confirm,
        cannot_confirm=(c_up if mc.above else c_down) is None,
        detail={
            "counts_below_equal_above": (below, equal, above),
            "power_quantile_levels": (pi_low, pi_high),
            "mde_units": "data units via the sample quantile function (translation model)",
        },
    )


def _metric_sd(x: np.ndarray, mc: _MetricClaim) -> Evidence:
    """Standard deviation: chi-square test and interval for the variance, exact for normal data."""
    if mc.threshold <= 0.0:
        raise ValueError(f"a standard-deviation threshold must be > 0, got {mc.threshold!r}")
    test = f"chi-square interval for the sd, normal data ({mc.text})"
    if _no_spread(x):
        return _no_spread_evidence(x, rule=mc.rule, test=test, alpha=mc.alpha, region=mc.region)
    n, df, t = int(x.size), int(x.size) - 1, mc.threshold
    scale = _scale(x)
    s = scale * float(np.std(x / scale, ddof=1))  # scaled first: squares of values near 1e300 overflow
    if not math.isfinite(s):
        raise ValueError(f"the sample's sd is not a finite number (values of magnitude {scale:g})")
    with np.errstate(over="ignore"):  # an sd near 1e308 over a small threshold: the statistic is inf
        stat = float(df * np.square(np.float64(s / t)))
    chi = stats.chi2(df)
    a = mc.alpha / 2.0
    ci = (s * math.sqrt(df / chi.ppf(1.0 - a)), s * math.sqrt(df / chi.ppf(a)))
    # exact power: the true sd at which each one-sided test at alpha/2 fires with prob 0.8
    sd_high = t * math.sqrt(chi.ppf(1.0 - a) / chi.ppf(1.0 - POWER))
    sd_low = t * math.sqrt(chi.ppf(a) / chi.ppf(POWER))
    d_high, d_low = sd_high - t, t - sd_low
    mde, mde_confirm = (d_low, d_high) if mc.above else (d_high, d_low)
    return mc.evidence(
        p_up=_doubled(chi.sf(stat)),
        p_down=_doubled(chi.cdf(stat)),
        estimate=s,
        ci=(float(ci[0]), float(ci[1])),
        effect_size=s / t,
        n=n,
        test=test,
        mde=mde,
        mde_confirm=mde_confirm,
        detail={"chi2_statistic": stat, "effect_size_kind": "sd / threshold"},
    )


def _tail_levels(n: int, q: float) -> tuple[np.ndarray, np.ndarray]:
    """For the order statistics X_(1..n) as bounds of the q-quantile: the smallest alpha at which
    X_(i) is the Bonferroni (alpha / 4 per tail) upper bound, 4 P(Bin(n, q) >= i), and at which
    it is the lower bound, 4 P(Bin(n, 1 - q) >= n - i + 1); each shape (N,), capped at 1."""
    i = np.arange(1, n + 1)
    upper = np.minimum(1.0, 4.0 * stats.binom.sf(i - 1, n, q))
    lower = np.minimum(1.0, 4.0 * stats.binom.sf(n - i, n, 1.0 - q))
    return upper, lower


def _range_p(xs: np.ndarray, a_high: np.ndarray, a_low: np.ndarray, ok: Callable[[np.ndarray], np.ndarray]) -> float:
    """min over order-statistic pairs (i, j) with ``ok(X_(i) - X_(j))`` of max(a_high[i], a_low[j]):
    the smallest alpha at which the bound X_(i) - X_(j) passes the test ``ok`` (1 if none)."""
    diff = xs[:, None] - xs[None, :]  # (N, N): X_(i) - X_(j)
    level = np.maximum(a_high[:, None], a_low[None, :])  # (N, N)
    mask = ok(diff)
    return float(min(1.0, level[mask].min())) if mask.any() else 1.0


def _metric_range(x: np.ndarray, statistic: QuantileRange, mc: _MetricClaim) -> Evidence:
    """Quantile range: the width's bounds from exact order-statistic bounds of both quantiles
    (Bonferroni: alpha / 4 per tail each, so each one-sided error is at most alpha / 2)."""
    n, t = int(x.size), mc.threshold
    xs = np.sort(x)
    up_hi, low_hi = _tail_levels(n, float(statistic.hi))  # bounds of Q(hi)
    up_lo, low_lo = _tail_levels(n, float(statistic.lo))  # bounds of Q(lo)
    tol = max(FLOAT_TOL["rel_tol"] * abs(t), FLOAT_TOL["abs_tol"] * _scale(x, t))
    # width < t shown by an upper bound U(hi) - L(lo) < t; width > t by a lower bound L(hi) - U(lo) > t
    p_below = _range_p(xs, up_hi, low_lo, lambda d: d < t - tol)
    p_above = _range_p(xs, low_hi, up_lo, lambda d: d > t + tol)
    p_not_above = _range_p(xs, up_hi, low_lo, lambda d: d <= t + tol)  # refutes "width > t"
    p_not_below = _range_p(xs, low_hi, up_lo, lambda d: d >= t - tol)  # refutes "width < t"
    a = mc.alpha / 4.0
    c_hi_up, c_hi_low = _upper_cut(n, float(statistic.hi), a), _upper_cut(n, 1.0 - float(statistic.hi), a)
    c_lo_up, c_lo_low = _upper_cut(n, float(statistic.lo), a), _upper_cut(n, 1.0 - float(statistic.lo), a)
    u_hi = _order_stat(xs, c_hi_up, math.inf)
    l_hi = _order_stat(xs, None if c_hi_low is None else n - c_hi_low + 1, -math.inf)
    u_lo = _order_stat(xs, c_lo_up, math.inf)
    l_lo = _order_stat(xs, None if c_lo_low is None else n - c_lo_low + 1, -math.inf)
    ci = (max(l_hi - u_lo, 0.0), u_hi - l_lo)  # a width is never negative
    p_up, p_down = (p_above, p_not_above) if mc.above else (p_not_below, p_below)
    return mc.evidence(
        p_up=p_up,
        p_down=p_down,
        estimate=float(statistic(x)),
        ci=(float(ci[0]), float(ci[1])),
        effect_size=None,
        n=n,
        test=f"exact order-statistic bounds of the {statistic.lo:g}-{statistic.hi:g} quantile range, "
        f"Bonferroni ({mc.text})",
        mde=None,
        mde_confirm=None,
        cannot_confirm=not math.isfinite(ci[0] if mc.above else ci[1]),
        detail={"mde_note": "no closed-form power for a quantile range; see cannot_confirm"},
    )


def _bca_constants(x: np.ndarray, statistic: Callable[..., Any], boot: np.ndarray, theta: float) -> tuple[float, float]:
    """BCa bias correction z0 and acceleration a (Efron & Tibshirani 1993, 14.14-14.15; the
    same definitions as ``scipy.stats.bootstrap(method='BCa')``: z0 from the 'mean' percentile
    of theta among the resamples, a from the jackknife)."""
    share = (np.count_nonzero(boot < theta) + np.count_nonzero(boot <= theta)) / (2.0 * boot.size)
    z0 = float(special.ndtri(share))
    jack = np.array([float(statistic(np.delete(x, i))) for i in range(x.size)])  # (N,)
    u = (x.size - 1) * (jack.mean() - jack)
    den = float(np.sum(u**2)) ** 1.5
    a = float(np.sum(u**3)) / (6.0 * den) if den > 0.0 else 0.0
    return z0, a


def _bca_shift(v: float, a: float) -> float:
    """Inverse of the BCa map u -> u / (1 - a u) at v, +-inf beyond its range."""
    den = 1.0 + a * v
    if den <= 0.0:
        return -math.inf if v < 0.0 else math.inf
    return v / den


def _metric_bca(
    x: np.ndarray, statistic: Callable[..., Any], mc: _MetricClaim, n_resamples: int, rng: np.random.Generator
) -> Evidence:
    """Any other statistic: BCa bootstrap interval and its inverted p-values."""
    if not isinstance(n_resamples, (int, np.integer)) or n_resamples < 99:
        raise ValueError(f"n_resamples must be an integer >= 99, got {n_resamples!r}")
    _check_rng(rng)
    test = f"BCa bootstrap, {n_resamples} resamples ({mc.text})"
    theta = float(statistic(x))
    if not math.isfinite(theta):
        raise ValueError(f"statistic(values) must be finite, got {theta!r}")
    res = stats.bootstrap((x,), statistic, n_resamples=int(n_resamples), method="percentile", rng=rng)
    boot = np.asarray(res.bootstrap_distribution, dtype=float)  # (n_resamples,)
    z0, a = _bca_constants(x, statistic, boot, theta) if not _no_spread(boot) else (math.inf, 0.0)
    if not math.isfinite(z0):
        return _no_spread_evidence(x, rule=mc.rule, test=test, alpha=mc.alpha, region=mc.region, estimate=theta)
    z = float(special.ndtri(1.0 - mc.alpha / 2.0))
    levels = [special.ndtr(z0 + (z0 + s) / (1.0 - a * (z0 + s))) for s in (-z, z)]
    ci_lo, ci_hi = np.percentile(boot, [100.0 * levels[0], 100.0 * levels[1]])
    eq = _near(boot, mc.threshold, _scale(boot, mc.threshold))
    # "statistic > t": the ci dual uses the share of resamples <= t; "< t" the share < t
    share = float(np.mean((boot <= mc.threshold) | eq)) if mc.above else float(np.mean((boot < mc.threshold) & ~eq))
    share = min(max(share, 0.5 / boot.size), 1.0 - 0.5 / boot.size)
    t = _bca_shift(float(special.ndtri(share)) - z0, a)
    p_up, p_down = _doubled(special.ndtr(t - z0)), _doubled(special.ndtr(z0 - t))
    se = float(res.standard_error)
    mde = _z_effect(1.0, 0.0, mc.alpha) * se
    return mc.evidence(
        p_up=p_up,
        p_down=p_down,
        estimate=theta,
        ci=(float(ci_lo), float(ci_hi)),
        effect_size=(theta - mc.threshold) / se if se > 0 else None,
        n=int(x.size),
        test=test,
        mde=mde,
        mde_confirm=mde,
        detail={
            "bootstrap_se": se,
            "bca_z0": z0,
            "bca_acceleration": a,
            "effect_size_kind": "(estimate - threshold) / bootstrap se",
        },
    )


def _metric(
    values: Any,
    threshold: float,
    *,
    above: bool,
    statistic: Any,
    alpha: float,
    n_resamples: int,
    rng: np.random.Generator | None,
    rule: str,
) -> Evidence:
    alpha = _check_alpha(alpha)
    x = _check_values(values, "values", min_n=2)
    mc = _MetricClaim(_check_finite(threshold, "threshold"), above, alpha, rule)
    kind = _metric_kind(statistic)
    capture.record(
        rule, {"values": x}, {"threshold": mc.threshold, "statistic": _statistic_name(statistic), "alpha": alpha}
    )
    if rng is not None:
        _check_rng(rng)
    if kind == "t":
        return _metric_t(x, mc)
    if kind == "order":
        return _metric_quantile(x, 0.5 if statistic is np.median else float(statistic.q), mc)
    if kind == "chi2":
        return _metric_sd(x, mc)
    if kind == "range":
        return _metric_range(x, statistic, mc)
    if rng is None:
        raise TypeError("rng must be a numpy.random.Generator (the BCa bootstrap needs one)")
    return _metric_bca(x, statistic, mc, n_resamples, rng)


_METRIC_DOC = """
    ``values`` shape (N,), N >= 2. The rule depends on ``statistic`` (each is calibrated by
    simulation at the n the claims use, ``tests/test_stats_calibration.py``):
    - ``np.mean``: Hall's skewness-corrected t test and interval (``means``) where calibrated
      (n >= 10, skewness within ``means.SKEW_LIMITS``, kurtosis within ``means.KURTOSIS_LIMIT``), else inconclusive with
      ``NO_CALIBRATED_RULE``. A sample without spread is inconclusive. mde = mde_confirm = ``_t_effect`` (at
      alpha / ``means.LEVEL_FACTOR``, the level the test runs) x sd.
    - ``np.median`` or ``Quantile(q)``: exact order-statistic rule (the sign test for the
      q-quantile and its binomial interval [X_(l), X_(u)]), valid for any distribution, atoms
      included (a capped epoch count); values within ``FLOAT_TOL`` of the threshold count as
      equal to it and against both claims. ci ends are +-inf when n is too small to bound
      that side; ``cannot_confirm`` then. mde / mde_confirm: exact binomial power in
      probability units (detail['power_quantile_levels']) mapped to data units through the
      sample quantile function.
    - ``SD`` (``StandardDeviation()``): chi-square test and interval for the variance, exact
      for normal data (fold scores); mde / mde_confirm exact (chi-square quantiles).
    - ``QuantileRange(lo, hi)`` (e.g. the width of a 95% percentile interval): exact
      order-statistic bounds of both quantiles, Bonferroni (alpha / 4 per tail each); p-values
      are the smallest alpha at which a pair of order statistics bounds the width past the
      threshold. Distribution-free; no mde (None), ``cannot_confirm`` when n cannot bound the
      needed side (n = 50 cannot bound a 97.5% quantile from above).
      The percentile and BCa bootstraps miss the upper side about 15-25% of the time at
      n = 10 (sd) and n = 50 (quantile-range width), see docs/stats-calibration.md.
    - any other callable: BCa bootstrap (``scipy.stats.bootstrap`` resamples; z0 and the
      jackknife acceleration as scipy computes them) with p-values from inverting the BCa
      interval at the threshold (Efron & Tibshirani 1993, ch. 14): valid at moderate n for
      smooth statistics, not for extremes. Needs ``rng``. mde = mde_confirm = the z-test's
      detectable effect in bootstrap standard errors.
    Verdict from the p-values (module docstring): p_value against the claim, p_confirm for it.
    ``rng`` (a ``numpy.random.Generator``) is only used by the bootstrap.
"""


def metric_exceeds(
    values: Any,
    threshold: float,
    *,
    statistic: Callable[..., Any] = np.mean,
    alpha: float = 0.05,
    n_resamples: int = 9999,
    rng: np.random.Generator | None = None,
) -> Evidence:
    return _metric(
        values,
        threshold,
        above=True,
        statistic=statistic,
        alpha=alpha,
        n_resamples=n_resamples,
        rng=rng,
        rule="metric_exceeds",
    )


def metric_below(
    values: Any,
    threshold: float,
    *,
    statistic: Callable[..., Any] = np.mean,
    alpha: float = 0.05,
    n_resamples: int = 9999,
    rng: np.random.Generator | None = None,
) -> Evidence:
    return _metric(
        values,
        threshold,
        above=False,
        statistic=statistic,
        alpha=alpha,
        n_resamples=n_resamples,
        rng=rng,
        rule="metric_below",
    )


metric_exceeds.__doc__ = 'Claim "``statistic(values)`` exceeds ``threshold``".\n' + _METRIC_DOC
metric_below.__doc__ = (
    'Claim "``statistic(values)`` stays below ``threshold``" (mirror of ``metric_exceeds``).\n' + _METRIC_DOC
)
