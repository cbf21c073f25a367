"""Verdict rules: pure functions that turn observed data and a claim into an ``Evidence``.

Every statistic comes from scipy / statsmodels; this module only wires them to one decision
convention. It does not run experiments, hold state or touch the global RNG (the bootstrap rules
take an explicit ``numpy.random.Generator``), and it never imports pytest.

Decision convention (the "three-decision rule": one two-sided level-``alpha`` procedure, read
off in both directions). Each rule maps the claim to a *claimed region* of a parameter and
computes ``ci``, an equal-tailed two-sided ``1 - alpha`` confidence interval for it:

- ``confirmed``    iff ``ci`` lies inside the claimed region (``_verdict_from_ci``),
- ``refuted``      iff ``ci`` lies entirely outside it (touching an edge counts as outside),
- ``inconclusive`` otherwise (``ci`` straddles an edge of the region).

Rules without a matching CI (trend, Mann-Whitney) use the dual statement on p-values
(``_verdict_from_p``). Consequences, checked in ``tests/test_stats_calibration.py``:

- a directional claim ("rate >= 0.8", "A > B") is refuted by a one-sided test at ``alpha / 2``
  and confirmed by the opposite one-sided test at ``alpha / 2``: each error is at most
  ``alpha / 2``, not ``alpha``;
- an interval claim ("about c +- margin") is confirmed by TOST at ``alpha / 2`` and refuted with
  probability at most ``alpha`` for any true value inside the interval (about ``alpha / 2`` at an
  edge when the margin is wide, up to ``alpha`` when the margin shrinks to nothing).

p-values (on the scale of the two-sided procedure, so that they match ``ci``):

- ``Evidence.p_value`` is the smallest ``alpha`` at which the rule would refute: twice the
  one-sided p-value of the test against the claim, capped at 1. ``refuted`` iff
  ``p_value <= alpha``.
- ``detail["p_confirm"]`` is the smallest ``alpha`` at which it would confirm. ``confirmed`` iff
  ``p_confirm <= alpha``. ``holm`` adjusts both.

``always`` and ``exact_value`` are deterministic rules outside this scheme (a counter-example
or a mismatch refutes outright). ``mde`` is the minimum effect *beyond the claimed region* that
the rule refutes with 80% power at this ``n`` and ``alpha`` (statsmodels power classes,
two-sided ``alpha``), in the units of ``estimate`` (each docstring says which); ``None`` where
no such effect exists in the parameter's range. ``exact_value`` has none.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, Literal

import numpy as np
from scipy import stats
from statsmodels.stats.contingency_tables import Table
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.nonparametric import rank_compare_2indep
from statsmodels.stats.power import NormalIndPower, TTestPower
from statsmodels.stats.proportion import (
    binom_tost,
    confint_proportions_2indep,
    proportion_confint,
    proportion_effectsize,
    test_proportions_2indep,
)
from statsmodels.stats.weightstats import DescrStatsW

from harness.evidence.verdicts import Evidence, Verdict

__all__ = [
    "always",
    "distributions_differ",
    "exact_value",
    "holm",
    "mean_equals",
    "medians_differ",
    "metric_below",
    "metric_exceeds",
    "monotone_trend",
    "rate_at_least",
    "rate_at_most",
    "rate_equals",
    "rates_differ",
]

POWER = 0.8  # power at which every rule's ``mde`` is defined

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


def _check_rate(value: float, name: str, *, open_interval: bool) -> float:
    v = float(value)
    inside = 0.0 < v < 1.0 if open_interval else 0.0 <= v <= 1.0
    if not inside:
        bounds = "(0, 1)" if open_interval else "[0, 1]"
        raise ValueError(f"{name} must lie in {bounds}, got {value!r}")
    return v


def _check_margin(margin: float) -> float:
    if not (math.isfinite(float(margin)) and float(margin) > 0.0):
        raise ValueError(f"margin must be > 0, got {margin!r}")
    return float(margin)


def _check_finite(value: float, name: str) -> float:
    if not math.isfinite(float(value)):
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


def _check_choice(value: str, name: str, allowed: tuple[str, ...]) -> str:
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


def _verdict_from_ci(ci: tuple[float, float], region: tuple[float, float]) -> Verdict:
    """Confirmed if ``ci`` lies inside the closed ``region`` (lo, hi), refuted if it lies
    entirely outside, inconclusive if it straddles an edge. Edges may be +-inf.

    ``ci`` is read as the open set {theta: p(theta) > alpha}, so a ci that only touches the
    region at an edge counts as outside: that keeps "refuted iff p_value <= alpha" exact.
    """
    lo, hi = ci
    r_lo, r_hi = region
    if r_lo <= lo and hi <= r_hi:
        return Verdict.CONFIRMED
    if hi <= r_lo or lo >= r_hi:
        return Verdict.REFUTED
    return Verdict.INCONCLUSIVE


def _verdict_from_p(p_confirm: float, p_refute: float, alpha: float) -> Verdict:
    """The p-value form of ``_verdict_from_ci`` (both p's on the two-sided scale)."""
    if p_confirm <= alpha:
        return Verdict.CONFIRMED
    if p_refute <= alpha:
        return Verdict.REFUTED
    return Verdict.INCONCLUSIVE


def _doubled(p_one_sided: float) -> float:
    """One-sided p-value -> the two-sided-scale p matching an equal-tailed CI."""
    return float(min(1.0, 2.0 * float(p_one_sided)))


@functools.lru_cache(maxsize=4096)
def _z_effect(nobs1: float, ratio: float, alpha: float) -> float:
    """Standardised effect a two-sided z-test at ``alpha`` detects with 80% power.

    ``NormalIndPower`` with ``ratio=0`` is the one-sample test; with ``nobs1=1, ratio=0`` the
    result is the effect in standard-error units (about 2.80 at alpha=0.05). Cached because the
    root-finding costs milliseconds and simulations call it with the same arguments.
    """
    return float(
        NormalIndPower().solve_power(nobs1=nobs1, ratio=ratio, alpha=alpha, power=POWER)
    )


@functools.lru_cache(maxsize=4096)
def _t_effect(nobs: int, alpha: float) -> float:
    """Cohen's d a two-sided one-sample t-test at ``alpha`` detects with 80% power."""
    return float(TTestPower().solve_power(nobs=nobs, alpha=alpha, power=POWER))


def _rate_shift(p0: float, h: float) -> float | None:
    """The rate p1 with ``proportion_effectsize(p1, p0) == h`` (Cohen's h, signed), or None
    if no rate in [0, 1] is that far. Inverse of h = 2 asin(sqrt(p1)) - 2 asin(sqrt(p0))."""
    a = math.asin(math.sqrt(p0)) + h / 2.0
    if a < 0.0 or a > math.pi / 2.0:
        return None
    return math.sin(a) ** 2


def _binom_p(k: int, n: int, p: float, alternative: str) -> float:
    return float(stats.binomtest(k, n, p, alternative=alternative).pvalue)


def _exact_ci(k: int, n: int, alpha: float) -> tuple[float, float]:
    """Clopper-Pearson two-sided 1 - alpha interval. statsmodels' beta-quantile form equals
    ``binomtest(k, n).proportion_ci(method='exact')`` (to ~1e-12) and is ~20x faster (no root
    finding), which matters in the calibration simulations."""
    lo, hi = proportion_confint(k, n, alpha=alpha, method="beta")
    return float(lo), float(hi)


# --------------------------------------------------------------------------------------------
# Rates
# --------------------------------------------------------------------------------------------


def _rate_one_sided(
    k: int, n: int, claimed: float, alpha: float, *, at_least: bool
) -> Evidence:
    ci = _exact_ci(k, n, alpha)
    region = (claimed, 1.0) if at_least else (0.0, claimed)
    # p of the test against the claim: "less" refutes "rate >= claimed".
    against, toward = ("less", "greater") if at_least else ("greater", "less")
    p_refute = _doubled(_binom_p(k, n, claimed, against))
    p_confirm = _doubled(_binom_p(k, n, claimed, toward))
    h = _z_effect(n, 0.0, alpha)
    p_alt = _rate_shift(claimed, -h if at_least else h)
    mde = None if p_alt is None else abs(claimed - p_alt)
    op = ">=" if at_least else "<="
    return Evidence(
        verdict=_verdict_from_ci(ci, region),
        estimate=k / n,
        ci=ci,
        p_value=p_refute,
        effect_size=float(proportion_effectsize(k / n, claimed)),
        n=n,
        alpha=alpha,
        test=f"exact binomial, Clopper-Pearson CI (claim: rate {op} {claimed:g})",
        mde=mde,
        detail={
            "p_confirm": p_confirm,
            "ci_level": 1.0 - alpha,
            "claimed_region": region,
            "successes": k,
            "effect_size_kind": "cohen_h",
        },
    )


def rate_at_least(successes: int, trials: int, claimed: float, *, alpha: float = 0.05) -> Evidence:
    """Claim "the success rate is at least ``claimed``" (0 < claimed < 1; 100% is ``always``).

    ci: Clopper-Pearson (exact) two-sided 1 - alpha interval (see ``_exact_ci``).
    Confirmed iff ci low >= claimed; refuted iff ci high < claimed; else inconclusive.
    p_value = 2 * binomtest(alternative='less', p=claimed) (capped at 1);
    detail['p_confirm'] = 2 * binomtest(alternative='greater').
    effect_size: Cohen's h of the observed rate against ``claimed``.
    mde (rate units): how far below ``claimed`` the true rate must be for an 80% chance of
    refutation (``NormalIndPower`` one-sample on Cohen's h, converted back to a rate).
    """
    alpha = _check_alpha(alpha)
    k, n = _check_counts(successes, trials)
    claimed = _check_rate(claimed, "claimed", open_interval=True)
    return _rate_one_sided(k, n, claimed, alpha, at_least=True)


def rate_at_most(successes: int, trials: int, claimed: float, *, alpha: float = 0.05) -> Evidence:
    """Claim "the rate is at most ``claimed``": the mirror of ``rate_at_least``.

    Confirmed iff the Clopper-Pearson ci high <= claimed; refuted iff ci low > claimed.
    p_value = 2 * binomtest(alternative='greater'); mde: how far above ``claimed`` (rate units).
    """
    alpha = _check_alpha(alpha)
    k, n = _check_counts(successes, trials)
    claimed = _check_rate(claimed, "claimed", open_interval=True)
    return _rate_one_sided(k, n, claimed, alpha, at_least=False)


def rate_equals(
    successes: int, trials: int, claimed: float, *, margin: float, alpha: float = 0.05
) -> Evidence:
    """Claim "the rate is about ``claimed``", i.e. inside [claimed - margin, claimed + margin].

    ci: Clopper-Pearson two-sided 1 - alpha. Confirmed iff ci lies inside the interval (the
    same as ``binom_tost`` equivalence at alpha / 2: detail['p_confirm'] = 2 * TOST p);
    refuted iff ci lies entirely outside it; else inconclusive.
    p_value = 2 * min(binomtest 'less' at the low edge, binomtest 'greater' at the high edge).
    An edge at or beyond 0 or 1 cannot be crossed: its side always passes TOST and never refutes.
    mde (rate units): the distance beyond the edge of the interval at which refutation has 80%
    power (Cohen's h from ``NormalIndPower``, converted at each edge; the larger of the two).
    """
    alpha = _check_alpha(alpha)
    k, n = _check_counts(successes, trials)
    claimed = _check_rate(claimed, "claimed", open_interval=False)
    margin = _check_margin(margin)
    lo, hi = claimed - margin, claimed + margin
    lo_c, hi_c = max(lo, 0.0), min(hi, 1.0)
    _, p_low, p_upp = binom_tost(k, n, lo_c, hi_c)
    p_low = 0.0 if lo <= 0.0 else float(p_low)  # ci low >= lo holds for every alpha
    p_upp = 0.0 if hi >= 1.0 else float(p_upp)
    p_below = 1.0 if lo <= 0.0 else _binom_p(k, n, lo_c, "less")
    p_above = 1.0 if hi >= 1.0 else _binom_p(k, n, hi_c, "greater")
    ci = _exact_ci(k, n, alpha)
    h = _z_effect(n, 0.0, alpha)
    shifts = []
    if hi < 1.0 and (p1 := _rate_shift(hi_c, h)) is not None:
        shifts.append(p1 - hi_c)
    if lo > 0.0 and (p1 := _rate_shift(lo_c, -h)) is not None:
        shifts.append(lo_c - p1)
    return Evidence(
        verdict=_verdict_from_ci(ci, (lo, hi)),
        estimate=k / n,
        ci=ci,
        p_value=_doubled(min(p_below, p_above)),
        effect_size=float(proportion_effectsize(k / n, claimed)),
        n=n,
        alpha=alpha,
        test=f"binomial TOST, Clopper-Pearson CI (claim: rate = {claimed:g} +- {margin:g})",
        mde=max(shifts) if shifts else None,
        detail={
            "p_confirm": _doubled(max(p_low, p_upp)),
            "ci_level": 1.0 - alpha,
            "claimed_region": (lo, hi),
            "successes": k,
            "effect_size_kind": "cohen_h",
        },
    )


def rates_differ(
    s1: int, n1: int, s2: int, n2: int, *, direction: Direction, alpha: float = 0.05
) -> Evidence:
    """Claim "rate 1 > rate 2" (``direction='greater'``) or "rate 1 < rate 2" ('less').

    Agresti-Caffo test and CI for p1 - p2 (``test_proportions_2indep`` /
    ``confint_proportions_2indep``, method='agresti-caffo'): the two are exactly dual and need no
    root finding, and the interval keeps near-nominal coverage at small n (Agresti & Caffo 2000).
    Boschloo's exact test was not used: scipy has no matching CI. (statsmodels' score CI for a
    difference is not dual to its score test and its root bracket fails on ordinary counts.)
    estimate: the raw difference s1/n1 - s2/n2. ci: two-sided 1 - alpha for p1 - p2, clipped to
    [-1, 1]; it is centred on the Agresti-Caffo shrunken difference (one success and one failure
    added to each arm), so with all-or-none counts in small arms it can exclude the raw
    estimate. The verdict follows the ci. Confirmed iff ci excludes 0 on the
    claimed side; refuted iff it excludes 0 on the other side (which is also "excludes every
    difference in the claimed direction"); else inconclusive.
    p_value = 2 * one-sided p against the claim; detail['p_confirm'] = 2 * one-sided p for it.
    effect_size: Cohen's h (p1 vs p2).
    mde (difference units): the difference against the claim refuted with 80% power
    (``NormalIndPower`` on Cohen's h for n1, n2, converted to rates centred on the pooled rate).
    """
    alpha = _check_alpha(alpha)
    direction = _check_choice(direction, "direction", ("greater", "less"))
    s1, n1 = _check_counts(s1, n1)
    s2, n2 = _check_counts(s2, n2)
    with np.errstate(divide="ignore", invalid="ignore"):  # ratio / odds ratio attrs at p=0
        ci_raw = confint_proportions_2indep(
            s1, n1, s2, n2, method="agresti-caffo", compare="diff", alpha=alpha
        )
        p_larger, p_smaller = (
            float(
                test_proportions_2indep(
                    s1, n1, s2, n2, value=0, method="agresti-caffo", compare="diff",
                    alternative=alt,
                ).pvalue
            )
            for alt in ("larger", "smaller")
        )
    ci = (max(float(ci_raw[0]), -1.0), min(float(ci_raw[1]), 1.0))
    region = (0.0, 1.0) if direction == "greater" else (-1.0, 0.0)
    p_for, p_against = (p_larger, p_smaller) if direction == "greater" else (p_smaller, p_larger)
    pooled = (s1 + s2) / (n1 + n2)
    h = _z_effect(n1, n2 / n1, alpha)
    centre = math.asin(math.sqrt(pooled))
    mde = None
    if h <= math.pi:  # h = 2 * (asin-scale gap): centre the +-h/4 pair inside [0, pi/2]
        centre = min(max(centre, h / 4.0), math.pi / 2.0 - h / 4.0)
        mde = math.sin(centre + h / 4.0) ** 2 - math.sin(centre - h / 4.0) ** 2
    verdict = _verdict_from_ci(ci, region)
    op = ">" if direction == "greater" else "<"
    return Evidence(
        verdict=verdict,
        estimate=s1 / n1 - s2 / n2,
        ci=ci,
        p_value=_doubled(p_against),
        effect_size=float(proportion_effectsize(s1 / n1, s2 / n2)),
        n=n1 + n2,
        alpha=alpha,
        test=f"Agresti-Caffo two-proportion test and CI (claim: rate1 {op} rate2)",
        mde=mde,
        detail={
            "p_confirm": _doubled(p_for),
            "ci_level": 1.0 - alpha,
            "claimed_region": region,
            "rates": (s1 / n1, s2 / n2),
            "effect_size_kind": "cohen_h",
        },
    )


def monotone_trend(
    successes: Sequence[int],
    trials: Sequence[int],
    *,
    direction: Trend,
    scores: Sequence[float] | None = None,
    alpha: float = 0.05,
) -> Evidence:
    """Claim "the success rate increases (or decreases) across these ordered groups".

    ``successes`` and ``trials`` have shape (K,), K >= 2 groups in claimed order; ``scores``
    (K,) are the group positions (default 0..K-1). Cochran-Armitage trend test as the
    linear-by-linear association of the (K, 2) table [successes, failures]
    (``Table(...).test_ordinal_association(col_scores=[1, 0])``; z > 0 means increasing).
    Confirmed iff 2 * one-sided p in the claimed direction <= alpha (detail['p_confirm']);
    refuted iff 2 * one-sided p in the opposite direction <= alpha (p_value); else
    inconclusive. No ci. estimate: the trend slope, change in success rate per unit score
    (weighted least squares of group rates on scores, weights = trials). If every trial
    succeeded (or every one failed) there is no trend information: inconclusive, p_value 1.
    mde (slope units): the slope against the claim refuted with 80% power, i.e. the z-test's
    detectable effect (``NormalIndPower``, in null standard errors) times the slope's null SE
    (``null_sd / Sxx``, Sxx = sum of trials * (score - mean score)^2).
    """
    alpha = _check_alpha(alpha)
    direction = _check_choice(direction, "direction", ("increasing", "decreasing"))
    k = np.asarray(successes)
    n = np.asarray(trials)
    if k.ndim != 1 or n.ndim != 1 or k.shape != n.shape:
        raise ValueError(
            f"successes and trials must both have shape (K,); got {k.shape} and {n.shape}"
        )
    if k.size < 2:
        raise ValueError(f"monotone_trend needs at least 2 groups, got {k.size}")
    counts = [_check_counts(ki.item(), ni.item()) for ki, ni in zip(k, n)]
    k = np.array([c[0] for c in counts], dtype=float)
    n = np.array([c[1] for c in counts], dtype=float)
    r = np.arange(k.size, dtype=float) if scores is None else np.asarray(scores, dtype=float)
    if r.shape != k.shape:
        raise ValueError(f"scores must have shape {k.shape}, got {r.shape}")
    if not np.isfinite(r).all():
        raise ValueError("scores contain NaN or inf")
    if np.ptp(r) == 0.0:
        raise ValueError("scores must not all be equal")
    table = np.column_stack([k, n - k])  # (K, 2)
    sxx = float(np.sum(n * (r - np.average(r, weights=n)) ** 2))
    rates = k / n
    slope = float(np.polyfit(r, rates, 1, w=np.sqrt(n))[0])  # WLS: weights = trials
    base = dict(
        estimate=slope, ci=None, n=int(n.sum()), alpha=alpha,
        test=f"Cochran-Armitage trend test (claim: rate {direction} with score)",
    )
    if k.sum() in (0.0, n.sum()):
        return Evidence(
            verdict=Verdict.INCONCLUSIVE, p_value=1.0, effect_size=None, mde=None,
            detail={
                "p_confirm": 1.0,
                "note": "all trials had the same outcome",
                "rates": rates.tolist(),
            },
            **base,
        )
    res = Table(table, shift_zeros=False).test_ordinal_association(
        row_scores=r, col_scores=np.array([1.0, 0.0])
    )
    z = float(res.zscore)
    p_up = float(stats.norm.sf(z))  # one-sided, alternative: increasing
    p_down = float(stats.norm.cdf(z))
    p_for, p_against = (p_up, p_down) if direction == "increasing" else (p_down, p_up)
    p_confirm, p_refute = _doubled(p_for), _doubled(p_against)
    return Evidence(
        verdict=_verdict_from_p(p_confirm, p_refute, alpha),
        p_value=p_refute,
        effect_size=z,
        mde=_z_effect(1.0, 0.0, alpha) * float(res.null_sd) / sxx,
        detail={
            "p_confirm": p_confirm,
            "zscore": z,
            "rates": rates.tolist(),
            "scores": r.tolist(),
            "effect_size_kind": "z",
        },
        **base,
    )


def always(successes: int, trials: int, *, alpha: float = 0.05) -> Evidence:
    """Claim "always / guaranteed / 100%": any counter-example (a failed trial) refutes.

    Refuted iff successes < trials (p_value 0: a failure is impossible if the claim holds);
    otherwise confirmed (p_value 1), with ci = (exact one-sided 1 - alpha lower bound on the
    rate, 1): ``binomtest(alternative='greater').proportion_ci``. The confirmation is only as
    strong as that bound: with few trials it is weak, and ``mde`` says how weak.
    mde (rate units): the failure rate q at which n trials show a counter-example with 80%
    probability, q = 1 - 0.2 ** (1 / n) (from P(no failure) = (1 - q) ** n; no library
    function, so the calibration test checks it by simulation).
    """
    alpha = _check_alpha(alpha)
    k, n = _check_counts(successes, trials)
    ci = stats.binomtest(k, n, alternative="greater").proportion_ci(
        confidence_level=1.0 - alpha, method="exact"
    )
    refuted = k < n
    return Evidence(
        verdict=Verdict.REFUTED if refuted else Verdict.CONFIRMED,
        estimate=k / n,
        ci=(float(ci.low), float(ci.high)),
        p_value=0.0 if refuted else 1.0,
        effect_size=None,
        n=n,
        alpha=alpha,
        test="counter-example search (claim: rate = 1)",
        mde=1.0 - (1.0 - POWER) ** (1.0 / n),
        detail={"failures": n - k, "ci_level": 1.0 - alpha, "ci_sides": "one-sided lower"},
    )


# --------------------------------------------------------------------------------------------
# Means and metrics
# --------------------------------------------------------------------------------------------


def mean_equals(values: Any, claimed: float, *, margin: float, alpha: float = 0.05) -> Evidence:
    """Claim "the mean is about ``claimed``", i.e. inside [claimed - margin, claimed + margin].

    ``values`` shape (N,), N >= 2, not all equal. ci: t interval two-sided 1 - alpha
    (``DescrStatsW.tconfint_mean``). Confirmed iff ci lies inside the interval (the same as
    ``DescrStatsW.ttost_mean`` at alpha / 2: detail['p_confirm'] = 2 * TOST p); refuted iff ci
    lies entirely outside it; else inconclusive. p_value = 2 * min(one-sided t p below the low
    edge, above the high edge) (``ttest_mean``).
    effect_size: (mean - claimed) / sd (sample sd, ddof=1). mde (units of ``values``): the
    distance beyond an edge of the interval refuted with 80% power (``TTestPower`` Cohen's d
    times the sample sd).
    """
    alpha = _check_alpha(alpha)
    x = _check_values(values, "values", min_n=2)
    claimed = _check_finite(claimed, "claimed")
    margin = _check_margin(margin)
    if np.ptp(x) == 0.0:
        raise ValueError("values have zero variance; a t interval is undefined (use exact_value)")
    d = DescrStatsW(x)
    sd = float(np.std(x, ddof=1))
    lo, hi = claimed - margin, claimed + margin
    ci_lo, ci_hi = d.tconfint_mean(alpha=alpha)
    p_tost = d.ttost_mean(lo, hi)[0]
    p_below = d.ttest_mean(lo, alternative="smaller")[1]
    p_above = d.ttest_mean(hi, alternative="larger")[1]
    ci = (float(ci_lo), float(ci_hi))
    return Evidence(
        verdict=_verdict_from_ci(ci, (lo, hi)),
        estimate=float(d.mean),
        ci=ci,
        p_value=_doubled(min(p_below, p_above)),
        effect_size=float((d.mean - claimed) / sd),
        n=int(x.size),
        alpha=alpha,
        test=f"one-sample t TOST (claim: mean = {claimed:g} +- {margin:g})",
        mde=_t_effect(int(x.size), alpha) * sd,
        detail={
            "p_confirm": _doubled(p_tost),
            "ci_level": 1.0 - alpha,
            "claimed_region": (lo, hi),
            "sd": sd,
            "effect_size_kind": "cohen_d vs claimed",
        },
    )


def _bootstrap_vs_threshold(
    data: tuple[np.ndarray, ...],
    statistic: Callable[..., Any],
    threshold: float,
    *,
    above: bool,
    alpha: float,
    n_resamples: int,
    rng: np.random.Generator,
    claim: str,
) -> Evidence:
    """Percentile bootstrap CI of ``statistic(*data)`` against ``threshold``.

    Claimed region [threshold, inf) if ``above`` else (-inf, threshold]. p-values are twice the
    share of the bootstrap distribution on the far side of the threshold: the smallest alpha at
    which the percentile ci would exclude it (exact up to quantile interpolation).
    """
    if not isinstance(n_resamples, (int, np.integer)) or n_resamples < 99:
        raise ValueError(f"n_resamples must be an integer >= 99, got {n_resamples!r}")
    res = stats.bootstrap(
        data, statistic, n_resamples=int(n_resamples), confidence_level=1.0 - alpha,
        method="percentile", rng=rng,
    )
    boot = np.asarray(res.bootstrap_distribution, dtype=float)  # (n_resamples,)
    ci = (float(res.confidence_interval.low), float(res.confidence_interval.high))
    region = (threshold, math.inf) if above else (-math.inf, threshold)
    share_above = float(np.mean(boot >= threshold))
    share_below = float(np.mean(boot <= threshold))
    p_refute, p_confirm = (share_above, share_below) if above else (share_below, share_above)
    se = float(res.standard_error)
    estimate = float(statistic(*data))
    return Evidence(
        verdict=_verdict_from_ci(ci, region),
        estimate=estimate,
        ci=ci,
        p_value=_doubled(p_refute),
        effect_size=(estimate - threshold) / se if se > 0 else None,
        n=int(sum(d.size for d in data)),
        alpha=alpha,
        test=f"percentile bootstrap, {n_resamples} resamples ({claim})",
        mde=_z_effect(1.0, 0.0, alpha) * se,
        detail={
            "p_confirm": _doubled(p_confirm),
            "ci_level": 1.0 - alpha,
            "claimed_region": region,
            "bootstrap_se": se,
            "effect_size_kind": "(estimate - threshold) / bootstrap se",
        },
    )


def metric_exceeds(
    values: Any,
    threshold: float,
    *,
    statistic: Callable[..., Any] = np.mean,
    alpha: float = 0.05,
    n_resamples: int = 9999,
    rng: np.random.Generator,
) -> Evidence:
    """Claim "``statistic(values)`` exceeds ``threshold``".

    ``values`` shape (N,), N >= 2; ``statistic`` takes an array (and ideally ``axis=``, so scipy
    vectorises it). ci: **percentile** bootstrap, two-sided 1 - alpha (``scipy.stats.bootstrap``,
    explicit ``rng``). Percentile rather than BCa because it inverts into a p-value (so ``holm``
    can adjust it) and needs no jackknife (BCa's acceleration is unreliable for medians and
    undefined for constant data). Confirmed iff ci low >= threshold; refuted iff ci high <
    threshold; else inconclusive. p_value = 2 * share of bootstrap statistics >= threshold.
    mde (units of the statistic): the shortfall below the threshold refuted with 80% power,
    normal approximation: ``NormalIndPower`` effect in standard errors times the bootstrap SE.
    """
    alpha = _check_alpha(alpha)
    x = _check_values(values, "values", min_n=2)
    threshold = _check_finite(threshold, "threshold")
    _check_rng(rng)
    return _bootstrap_vs_threshold(
        (x,), statistic, threshold, above=True, alpha=alpha, n_resamples=n_resamples, rng=rng,
        claim=f"claim: statistic > {threshold:g}",
    )


def metric_below(
    values: Any,
    threshold: float,
    *,
    statistic: Callable[..., Any] = np.mean,
    alpha: float = 0.05,
    n_resamples: int = 9999,
    rng: np.random.Generator,
) -> Evidence:
    """Claim "``statistic(values)`` stays below ``threshold``": the mirror of ``metric_exceeds``.

    Confirmed iff the percentile ci high <= threshold; refuted iff ci low > threshold.
    p_value = 2 * share of bootstrap statistics <= threshold; mde: excess above the threshold.
    """
    alpha = _check_alpha(alpha)
    x = _check_values(values, "values", min_n=2)
    threshold = _check_finite(threshold, "threshold")
    _check_rng(rng)
    return _bootstrap_vs_threshold(
        (x,), statistic, threshold, above=False, alpha=alpha, n_resamples=n_resamples, rng=rng,
        claim=f"claim: statistic < {threshold:g}",
    )


# --------------------------------------------------------------------------------------------
# Two samples
# --------------------------------------------------------------------------------------------


def _median_ratio(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.median(x, axis=axis) / np.median(y, axis=axis)


def _log_median_ratio(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.log(np.median(x, axis=axis)) - np.log(np.median(y, axis=axis))


def _check_two_samples(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    return _check_values(x, "x", min_n=2), _check_values(y, "y", min_n=2)


def _check_positive(x: np.ndarray, y: np.ndarray) -> None:
    if (x <= 0).any() or (y <= 0).any():
        raise ValueError("a median ratio needs strictly positive x and y")


def medians_differ(
    x: Any,
    y: Any,
    *,
    direction: Direction,
    alpha: float = 0.05,
    n_resamples: int = 9999,
    rng: np.random.Generator,
) -> Evidence:
    """Claim "median(x) > median(y)" (``direction='greater'``) or "<" ('less').

    ``x`` (N1,), ``y`` (N2,): strictly positive (e.g. steps, times, losses), N1, N2 >= 2.
    estimate: median(x) / median(y); ci: percentile bootstrap, two-sided 1 - alpha, resampling
    x and y independently (``scipy.stats.bootstrap``, paired=False, explicit ``rng``). The
    bootstrap runs on the log ratio (the percentile ci is the same either way; the standard
    error behind ``mde`` is far more stable on the log scale). Confirmed iff ci lies above 1
    (below 1 for 'less'); refuted iff it lies entirely on the other side; else inconclusive.
    p-values as in ``metric_exceeds`` with threshold 1.
    mde (ratio units): how far the ratio must sit from 1, against the claim, to be refuted with
    80% power: 1 - exp(-m) for 'greater', exp(m) - 1 for 'less', where m is the
    ``NormalIndPower`` effect in standard errors times the bootstrap SE of the log ratio.
    """
    alpha = _check_alpha(alpha)
    direction = _check_choice(direction, "direction", ("greater", "less"))
    x, y = _check_two_samples(x, y)
    _check_positive(x, y)
    _check_rng(rng)
    greater = direction == "greater"
    ev = _bootstrap_vs_threshold(
        (x, y), _log_median_ratio, 0.0, above=greater, alpha=alpha,
        n_resamples=n_resamples, rng=rng,
        claim=f"claim: median(x) {'>' if greater else '<'} median(y)",
    )
    m = float(ev.mde)
    detail = dict(ev.detail)
    detail["bootstrap_se_log_ratio"] = detail.pop("bootstrap_se")
    detail["claimed_region"] = (1.0, math.inf) if greater else (0.0, 1.0)
    detail["effect_size_kind"] = "log ratio / bootstrap se"
    return replace(
        ev,
        estimate=math.exp(ev.estimate),
        ci=(math.exp(ev.ci[0]), math.exp(ev.ci[1])),
        mde=-math.expm1(-m) if greater else math.expm1(m),
        detail=detail,
    )


def distributions_differ(
    x: Any,
    y: Any,
    *,
    direction: Direction,
    alpha: float = 0.05,
    n_resamples: int = 9999,
    rng: np.random.Generator,
) -> Evidence:
    """Claim "x tends to be larger than y" (``direction='greater'``) or smaller ('less').

    ``x`` (N1,), ``y`` (N2,), N1, N2 >= 2. Verdict from ``scipy.stats.mannwhitneyu``
    (method 'auto'): confirmed iff 2 * one-sided p in the claimed direction <= alpha
    (detail['p_confirm']); refuted iff 2 * one-sided p the other way <= alpha (p_value); else
    inconclusive. If every value in x and y is the same there is no rank information:
    inconclusive with p_value 1.
    estimate: the common-language effect size P(X > Y) + P(X = Y) / 2, with a Brunner-Munzel
    1 - alpha ci (``statsmodels.stats.nonparametric.rank_compare_2indep``); this ci describes the
    effect, it does not decide the verdict. effect_size: rank-biserial r = 2 * estimate - 1.
    detail['median_ratio'] and ['median_ratio_ci']: percentile bootstrap (x, y resampled
    independently, explicit ``rng``) when all values are positive, else None.
    mde (units of estimate): the distance of P(X > Y) from 1/2, against the claim, refuted with
    80% power: ``NormalIndPower`` effect in standard errors times the null SD of U / (N1 N2),
    sqrt((N1 + N2 + 1) / (12 N1 N2)) (Noether 1987; no library function, checked by simulation).
    """
    alpha = _check_alpha(alpha)
    direction = _check_choice(direction, "direction", ("greater", "less"))
    x, y = _check_two_samples(x, y)
    _check_rng(rng)
    n1, n2 = x.size, y.size
    mde = _z_effect(1.0, 0.0, alpha) * math.sqrt((n1 + n2 + 1) / (12.0 * n1 * n2))
    op = ">" if direction == "greater" else "<"
    base = dict(n=n1 + n2, alpha=alpha, test=f"Mann-Whitney U (claim: x {op} y)", mde=mde)
    ratio, ratio_ci = None, None
    if (x > 0).all() and (y > 0).all():
        res = stats.bootstrap(
            (x, y), _median_ratio, n_resamples=int(n_resamples), confidence_level=1.0 - alpha,
            method="percentile", rng=rng,
        )
        ratio = float(_median_ratio(x, y))
        ratio_ci = (float(res.confidence_interval.low), float(res.confidence_interval.high))
    if np.ptp(np.concatenate([x, y])) == 0.0:
        return Evidence(
            verdict=Verdict.INCONCLUSIVE, estimate=0.5, ci=None, p_value=1.0, effect_size=0.0,
            detail={"p_confirm": 1.0, "note": "all values identical", "median_ratio": ratio,
                    "median_ratio_ci": ratio_ci},
            **base,
        )
    p_greater = float(stats.mannwhitneyu(x, y, alternative="greater").pvalue)
    p_less = float(stats.mannwhitneyu(x, y, alternative="less").pvalue)
    p_for, p_against = (p_greater, p_less) if direction == "greater" else (p_less, p_greater)
    p_confirm, p_refute = _doubled(p_for), _doubled(p_against)
    rc = rank_compare_2indep(x, y)
    cles = float(rc.prob1)
    ci_lo, ci_hi = rc.conf_int(alpha=alpha)
    return Evidence(
        verdict=_verdict_from_p(p_confirm, p_refute, alpha),
        estimate=cles,
        ci=(float(ci_lo), float(ci_hi)),
        p_value=p_refute,
        effect_size=2.0 * cles - 1.0,
        detail={
            "p_confirm": p_confirm,
            "ci_level": 1.0 - alpha,
            "ci_method": "Brunner-Munzel (descriptive)",
            "effect_size_kind": "rank_biserial",
            "median_ratio": ratio,
            "median_ratio_ci": ratio_ci,
        },
        **base,
    )


# --------------------------------------------------------------------------------------------
# Deterministic checks and multiplicity
# --------------------------------------------------------------------------------------------


def exact_value(
    observed: float,
    claimed: float,
    *,
    rel_tol: float = 1e-9,
    abs_tol: float = 0.0,
    alpha: float = 0.05,
) -> Evidence:
    """Deterministic check of an arithmetic claim ("average MSE = 0.125").

    Confirmed iff ``math.isclose(observed, claimed, rel_tol=rel_tol, abs_tol=abs_tol)``, else
    refuted. n = 1, no ci, p_value or mde; ``alpha`` is only recorded.
    effect_size: observed - claimed.
    """
    alpha = _check_alpha(alpha)
    observed = _check_finite(observed, "observed")
    claimed = _check_finite(claimed, "claimed")
    if not (rel_tol >= 0.0 and abs_tol >= 0.0):
        raise ValueError(f"rel_tol and abs_tol must be >= 0, got {rel_tol!r} and {abs_tol!r}")
    close = math.isclose(observed, claimed, rel_tol=rel_tol, abs_tol=abs_tol)
    return Evidence(
        verdict=Verdict.CONFIRMED if close else Verdict.REFUTED,
        estimate=observed,
        ci=None,
        p_value=None,
        effect_size=observed - claimed,
        n=1,
        alpha=alpha,
        test=f"exact arithmetic (rel_tol={rel_tol:g}, abs_tol={abs_tol:g})",
        detail={"claimed": claimed},
    )


def holm(evidences: Sequence[Evidence], *, alpha: float = 0.05) -> list[Evidence]:
    """Holm-correct a family of claims; returns new evidences in the input order.

    Two families, each adjusted with ``multipletests(method='holm')``:
    - refutations: every evidence whose ``p_value`` is not None (m = their count). ``p_value``
      becomes the adjusted p; a ``refuted`` verdict becomes ``inconclusive`` when the adjusted
      p exceeds ``alpha``.
    - confirmations: every evidence with ``detail['p_confirm']``; that entry becomes the
      adjusted p and a ``confirmed`` verdict becomes ``inconclusive`` when it exceeds ``alpha``.
    Adjusted p's are never smaller than raw ones, so no verdict is ever created, only withdrawn.
    Evidences with no p-value (``exact_value``) pass through unchanged. Adjusted evidences keep
    the raw p's in ``detail['p_value_raw']`` / ``['p_confirm_raw']``, the family sizes in
    ``detail['holm_m']``, and ``test`` gains " + Holm". Every evidence's ``alpha`` must equal
    ``alpha`` (the rules' verdicts were taken at it).
    """
    alpha = _check_alpha(alpha)
    evidences = list(evidences)
    for i, e in enumerate(evidences):
        if not isinstance(e, Evidence):
            raise ValueError(f"evidences[{i}] is not an Evidence: {type(e).__name__}")
        if not math.isclose(e.alpha, alpha, rel_tol=1e-12, abs_tol=0.0):
            raise ValueError(f"evidences[{i}] was decided at alpha={e.alpha}, holm got {alpha}")
    refute_idx = [i for i, e in enumerate(evidences) if e.p_value is not None]
    confirm_idx = [i for i, e in enumerate(evidences) if e.detail.get("p_confirm") is not None]
    adj_refute = _holm_adjust([evidences[i].p_value for i in refute_idx], alpha)
    adj_confirm = _holm_adjust([evidences[i].detail["p_confirm"] for i in confirm_idx], alpha)
    updates: dict[int, dict[str, Any]] = {i: {} for i in set(refute_idx) | set(confirm_idx)}
    for i, p in zip(refute_idx, adj_refute):
        updates[i]["p_value"] = p
    for i, p in zip(confirm_idx, adj_confirm):
        updates[i]["p_confirm"] = p
    out = []
    for i, e in enumerate(evidences):
        if i not in updates:
            out.append(e)
            continue
        u = updates[i]
        verdict = e.verdict
        if verdict is Verdict.REFUTED and u.get("p_value", 0.0) > alpha:
            verdict = Verdict.INCONCLUSIVE
        if verdict is Verdict.CONFIRMED and u.get("p_confirm", 0.0) > alpha:
            verdict = Verdict.INCONCLUSIVE
        detail = dict(e.detail)
        detail["holm_m"] = {"refute": len(refute_idx), "confirm": len(confirm_idx)}
        if "p_value" in u:
            detail["p_value_raw"] = e.p_value
        if "p_confirm" in u:
            detail["p_confirm_raw"] = e.detail["p_confirm"]
            detail["p_confirm"] = u["p_confirm"]
        out.append(
            replace(
                e,
                verdict=verdict,
                p_value=u.get("p_value", e.p_value),
                test=f"{e.test} + Holm",
                detail=detail,
            )
        )
    return out


def _holm_adjust(pvals: list[float], alpha: float) -> list[float]:
    if not pvals:
        return []
    adjusted = multipletests(np.asarray(pvals, dtype=float), alpha=alpha, method="holm")[1]
    return [float(p) for p in adjusted]


# ============================================================================================
# Cross-validated predictions, decided over independent units (issue 10, item 1).
# Maintained with the 000/001 claims (helper "conv"); self-contained: it uses only numpy,
# scipy.stats and Evidence / Verdict, none of the helpers above, so the rest of this module can
# change independently. Calibrated in tests/test_stats_cv.py.
# ============================================================================================


def cv_by_units(
    unit_sums: Any,
    statistic: Callable[[np.ndarray], np.ndarray],
    *,
    region: tuple[float, float],
    n_splits: int,
    alpha: float = 0.05,
) -> Evidence:
    """Claim "``statistic`` of cross-validated predictions lies in ``region``", decided over units.

    Fold scores of one cross-validation are not independent samples (each pair of folds shares
    most of its training data, and under KFold over rows the states of one trace sit in every
    fold), so they never decide here. Instead the statistic is computed from per-unit sums of
    out-of-fold quantities (a unit is a trace: rows of different traces are independent):

    * ``unit_sums`` (G, S): for each of G >= 3 units, S sums over its rows (e.g. rows, sum y,
      sum y², sum of squared errors of each model); ``statistic`` maps summed columns (..., S)
      to (...) (vectorised: it is applied to the total and to the G leave-one-unit-out totals).
    * Standard error: Tukey's jackknife over units, pseudo-values ``G θ - (G - 1) θ_(-g)``
      (Efron & Tibshirani 1993, ch. 11), whose sample variance / G estimates Var(θ); multiplied
      by Nadeau & Bengio's (2003) correction ``1 + n_test / n_train = 1 + 1 / (n_splits - 1)``
      for the dependence the shared training sets add (the jackknife holds the fitted models
      fixed). ci: ``θ ± t_{G-1, 1-alpha/2} se``, two-sided 1 - alpha.
    * ``region`` (lo, hi), edges may be +-inf: confirmed iff ci lies inside it, refuted iff ci
      lies entirely outside (touching an edge counts as outside), else inconclusive.
      ``p_value``: the smallest alpha at which it would refute; ``detail['p_confirm']``: at
      which it would confirm (both on the two-sided scale, t distribution with G - 1 df).
    * ``mde``: the distance beyond an edge refuted with 80% power, ``(t_{1-alpha/2} + t_{0.8}) se``.
      ``detail['cannot_confirm_at_n']`` is true when the region is narrower than the ci would
      be even at its centre (``hi - lo <= 2 t_{1-alpha/2} se``): no data of this size confirm.
    """
    if not isinstance(alpha, (int, float)) or isinstance(alpha, bool) or not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
    u = np.asarray(unit_sums, dtype=float)
    if u.ndim != 2 or u.shape[0] < 3 or u.shape[1] < 1:
        raise ValueError(f"unit_sums must have shape (G >= 3, S >= 1), got {u.shape}")
    if not np.all(np.isfinite(u)):
        raise ValueError("unit_sums must be finite")
    if isinstance(n_splits, bool) or not isinstance(n_splits, (int, np.integer)) or n_splits < 2:
        raise ValueError(f"n_splits must be an integer >= 2, got {n_splits!r}")
    lo, hi = (float(region[0]), float(region[1])) if len(region) == 2 else (math.nan, math.nan)
    if math.isnan(lo) or math.isnan(hi) or not lo < hi:
        raise ValueError(f"region must be (lo, hi) with lo < hi, got {region!r}")
    g = u.shape[0]
    total = u.sum(axis=0)
    theta = float(statistic(total))
    loo = np.asarray(statistic(total[None, :] - u), dtype=float)  # (G,)
    if not math.isfinite(theta) or loo.shape != (g,) or not np.all(np.isfinite(loo)):
        raise ValueError("statistic must be finite on the total and on every leave-one-unit-out total")
    pseudo = g * theta - (g - 1) * loo
    se = float(np.std(pseudo, ddof=1) / math.sqrt(g) * math.sqrt(1.0 + 1.0 / (int(n_splits) - 1)))
    if se == 0.0:
        raise ValueError("the jackknife standard error is 0 (every unit contributes the same): no interval")
    dist = stats.t(df=g - 1)
    q = float(dist.ppf(1.0 - alpha / 2.0))
    ci = (theta - q * se, theta + q * se)
    if lo <= ci[0] and ci[1] <= hi:
        verdict = Verdict.CONFIRMED
    elif ci[1] <= lo or ci[0] >= hi:
        verdict = Verdict.REFUTED
    else:
        verdict = Verdict.INCONCLUSIVE
    t_lo, t_hi = (theta - lo) / se, (theta - hi) / se
    p_refute = min(1.0, 2.0 * min(float(dist.sf(t_hi)), float(dist.cdf(t_lo))))
    p_confirm = min(1.0, 2.0 * max(float(dist.sf(t_lo)), float(dist.cdf(t_hi))))
    finite_edges = [e for e in (lo, hi) if math.isfinite(e)]
    edge = min(finite_edges, key=lambda e: abs(theta - e)) if finite_edges else math.nan
    return Evidence(
        verdict=verdict,
        estimate=theta,
        ci=ci,
        p_value=p_refute,
        effect_size=(theta - edge) / se if math.isfinite(edge) else None,
        n=g,
        alpha=float(alpha),
        test=f"jackknife over {g} units, Nadeau-Bengio corrected, t({g - 1}) (claim: statistic in [{lo:g}, {hi:g}])",
        mde=(q + float(dist.ppf(POWER_CV))) * se,
        detail={
            "p_confirm": p_confirm,
            "ci_level": 1.0 - alpha,
            "claimed_region": (lo, hi),
            "se": se,
            "units": g,
            "n_splits": int(n_splits),
            "cannot_confirm_at_n": bool(hi - lo <= 2.0 * q * se),
            "effect_size_kind": "(estimate - nearest finite edge) / se",
        },
    )


POWER_CV = 0.8  # power at which cv_by_units' mde is defined
