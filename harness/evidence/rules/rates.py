"""Rules on counts: one rate against a value (at least, at most, about), two rates, a trend
across ordered groups, and "always" (a counter-example refutes). Exact binomial where possible."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats
from statsmodels.stats.contingency_tables import Table
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_effectsize,
)

from harness.evidence.rules import capture
from harness.evidence.rules.core import (
    POWER,
    Direction,
    Trend,
    _binom_p,
    _check_alpha,
    _check_choice,
    _check_counts,
    _check_margin,
    _check_rate,
    _close,
    _doubled,
    _exact_ci,
    _interval_refute_p,
    _lower_cut,
    _rate_for_power,
    _root,
    _upper_cut,
    _verdict_from_p,
    _z_effect,
)
from harness.evidence.verdicts import Evidence, Verdict


@functools.lru_cache(maxsize=8192)
def _rate_mdes(n: int, claimed: float, alpha: float, *, at_least: bool) -> tuple[float | None, float | None]:
    """Exact (mde, mde_confirm) of a one-sided rate claim, in rate units.

    The rule refutes "rate >= claimed" iff the count k <= r (P(Bin(n, claimed) <= r) <= alpha/2)
    and confirms it iff k >= c (P(Bin(n, claimed) >= c) <= alpha/2); the mde is the shortfall
    p1 below ``claimed`` with P(Bin(n, p1) <= r) = 0.8, mde_confirm the excess with
    P(Bin(n, p1) >= c) = 0.8 (``scipy.stats.binom``). ``at_least=False`` mirrors it. None where
    the cut does not exist (no count refutes, or confirms, at this n).
    """
    r = _lower_cut(n, claimed, alpha / 2.0)
    c = _upper_cut(n, claimed, alpha / 2.0)
    low_power = None if r is None else (lambda p: float(stats.binom.cdf(r, n, p)))
    high_power = None if c is None else (lambda p: float(stats.binom.sf(c - 1, n, p)))
    below = None if low_power is None else claimed - _rate_for_power(low_power, 0.0, claimed)
    above = None if high_power is None else _rate_for_power(high_power, claimed, 1.0) - claimed
    return (below, above) if at_least else (above, below)


def _rate_one_sided(k: int, n: int, claimed: float, alpha: float, *, at_least: bool) -> Evidence:
    ci = _exact_ci(k, n, alpha)
    region = (claimed, 1.0) if at_least else (0.0, claimed)
    # p of the test against the claim: "less" refutes "rate >= claimed".
    against, toward = ("less", "greater") if at_least else ("greater", "less")
    p_refute = _doubled(_binom_p(k, n, claimed, against))
    p_confirm = _doubled(_binom_p(k, n, claimed, toward))
    mde, mde_confirm = _rate_mdes(n, claimed, alpha, at_least=at_least)
    op = ">=" if at_least else "<="
    return Evidence(
        verdict=_verdict_from_p(p_confirm, p_refute, alpha),
        estimate=k / n,
        ci=ci,
        p_value=p_refute,
        effect_size=float(proportion_effectsize(k / n, claimed)),
        n=n,
        alpha=alpha,
        test=f"exact binomial, Clopper-Pearson CI (claim: rate {op} {claimed:g})",
        mde=mde,
        mde_confirm=mde_confirm,
        cannot_confirm=mde_confirm is None,
        rule="rate_at_least" if at_least else "rate_at_most",
        p_confirm=p_confirm,
        claimed_region=region,
        detail={
            "ci_level": 1.0 - alpha,
            "successes": k,
            "effect_size_kind": "cohen_h",
        },
    )


def rate_at_least(successes: int, trials: int, claimed: float, *, alpha: float = 0.05) -> Evidence:
    """Claim "the success rate is at least ``claimed``" (0 < claimed < 1; 100% is ``always``).

    ci: Clopper-Pearson (exact) two-sided 1 - alpha interval (see ``_exact_ci``).
    p_value = 2 * binomtest(alternative='less', p=claimed) (capped at 1);
    p_confirm = 2 * binomtest(alternative='greater'). Confirmed iff p_confirm <=
    alpha (ci low > claimed); refuted iff p_value <= alpha (ci high <= claimed).
    effect_size: Cohen's h of the observed rate against ``claimed``.
    mde / mde_confirm (rate units, exact binomial power, see ``_rate_mdes``): how far below
    ``claimed`` the true rate must be for an 80% chance of refutation / how far above for an
    80% chance of confirmation. ``cannot_confirm`` when even n successes out of n would not
    confirm (claimed ** n > alpha / 2).
    """
    alpha = _check_alpha(alpha)
    k, n = _check_counts(successes, trials)
    claimed = _check_rate(claimed, "claimed", open_interval=True)
    capture.record("rate_at_least", {"counts": [k, n]}, {"claimed": claimed, "alpha": alpha})
    return _rate_one_sided(k, n, claimed, alpha, at_least=True)


def rate_at_most(successes: int, trials: int, claimed: float, *, alpha: float = 0.05) -> Evidence:
    """Claim "the rate is at most ``claimed``": the mirror of ``rate_at_least``.

    Confirmed iff 2 * binomtest 'less' <= alpha (ci high < claimed); refuted iff p_value =
    2 * binomtest 'greater' <= alpha (ci low >= claimed); mde: how far above ``claimed``,
    mde_confirm: how far below (rate units, exact binomial power).
    """
    alpha = _check_alpha(alpha)
    k, n = _check_counts(successes, trials)
    claimed = _check_rate(claimed, "claimed", open_interval=True)
    capture.record("rate_at_most", {"counts": [k, n]}, {"claimed": claimed, "alpha": alpha})
    return _rate_one_sided(k, n, claimed, alpha, at_least=False)


@dataclass(frozen=True)
class _Cuts:
    """Counts at which ``rate_equals`` decides: confirmed iff ``confirm_lo <= k <= confirm_hi``;
    refuted iff ``k <= refute_lo`` or ``k >= refute_hi`` (None: that side never refutes)."""

    confirm_lo: int | None
    confirm_hi: int | None
    refute_lo: int | None
    refute_hi: int | None


def _equals_cuts(n: int, lo: float, hi: float, alpha: float) -> _Cuts:
    a = alpha / 2.0
    return _Cuts(
        confirm_lo=_upper_cut(n, lo, a) if lo > 0.0 else 0,
        confirm_hi=_lower_cut(n, hi, a) if hi < 1.0 else n,
        refute_lo=_lower_cut(n, lo, a) if lo > 0.0 else None,
        refute_hi=_upper_cut(n, hi, a) if hi < 1.0 else None,
    )


@functools.lru_cache(maxsize=8192)
def _equals_mdes(n: int, lo: float, hi: float, margin: float, alpha: float) -> tuple[float | None, float | None]:
    """Exact (mde, mde_confirm) of ``rate_equals`` in rate units.

    mde: the larger, over the edges inside (0, 1), of the distance beyond the edge at which
    that side refutes with probability 0.8. mde_confirm: the smallest d such that every true
    rate at least d inside both edges is confirmed with probability >= 0.8 (the confirmation
    probability P(confirm_lo <= K <= confirm_hi) is unimodal in the rate, so its minimum over
    [lo + d, hi - d] sits at an end); None when not even the centre reaches 0.8.
    """
    cuts = _equals_cuts(n, lo, hi, alpha)
    shifts = []
    refute_hi, refute_lo = cuts.refute_hi, cuts.refute_lo
    if refute_hi is not None:
        shifts.append(_rate_for_power(lambda p: float(stats.binom.sf(refute_hi - 1, n, p)), hi, 1.0) - hi)
    if refute_lo is not None:
        shifts.append(lo - _rate_for_power(lambda p: float(stats.binom.cdf(refute_lo, n, p)), 0.0, lo))
    mde = max(shifts) if shifts else None
    confirm_lo, confirm_hi = cuts.confirm_lo, cuts.confirm_hi
    if confirm_lo is None or confirm_hi is None or confirm_lo > confirm_hi:
        return mde, None

    def confirm_power(p: float) -> float:
        return float(stats.binom.cdf(confirm_hi, n, p) - stats.binom.cdf(confirm_lo - 1, n, p))

    def worst(d: float) -> float:
        return min(confirm_power(min(max(lo + d, 0.0), 1.0)), confirm_power(min(max(hi - d, 0.0), 1.0)))

    if worst(0.0) >= POWER:
        return mde, 0.0
    if worst(margin) < POWER:
        return mde, None
    return mde, _root(lambda d: worst(d) - POWER, 0.0, margin)


def rate_equals(successes: int, trials: int, claimed: float, *, margin: float, alpha: float = 0.05) -> Evidence:
    """Claim "the rate is about ``claimed``", i.e. inside [claimed - margin, claimed + margin].

    ci: Clopper-Pearson two-sided 1 - alpha. p_confirm = 2 * the binomial TOST p
    (2 * max(P(Bin(n, lo) >= k), P(Bin(n, hi) <= k)), as ``binom_tost``): confirmed iff
    <= alpha (ci strictly inside the interval). p_value = 2 * the exact p of the union of both
    refuting tails at the worst rate inside the interval (``_interval_refute_p``): 2 *
    min(binomtest 'less' at the low edge, 'greater' at the high edge) when the interval is wide
    for n, more when a count can refute on either side; refuted iff <= alpha.
    An edge at or beyond 0 or 1 cannot be crossed: its side always passes TOST and never refutes.
    mde / mde_confirm (rate units, exact binomial power): see ``_equals_mdes``;
    ``cannot_confirm`` when no true rate inside the interval is confirmed with 80% power (a
    margin narrow for this n, e.g. "distances within 5%" at n = 100).
    """
    alpha = _check_alpha(alpha)
    k, n = _check_counts(successes, trials)
    claimed = _check_rate(claimed, "claimed", open_interval=False)
    margin = _check_margin(margin)
    capture.record("rate_equals", {"counts": [k, n]}, {"claimed": claimed, "margin": margin, "alpha": alpha})
    lo, hi = claimed - margin, claimed + margin
    p_low = 0.0 if lo <= 0.0 else float(stats.binom.sf(k - 1, n, lo))  # TOST: k above lo
    p_upp = 0.0 if hi >= 1.0 else float(stats.binom.cdf(k, n, hi))  # TOST: k below hi
    p_confirm = _doubled(max(p_low, p_upp))
    p_refute = _doubled(_interval_refute_p(n, k, lo, k, hi))
    mde, mde_confirm = _equals_mdes(n, lo, hi, margin, alpha)
    return Evidence(
        verdict=_verdict_from_p(p_confirm, p_refute, alpha),
        estimate=k / n,
        ci=_exact_ci(k, n, alpha),
        p_value=p_refute,
        effect_size=float(proportion_effectsize(k / n, claimed)),
        n=n,
        alpha=alpha,
        test=f"binomial TOST, Clopper-Pearson CI (claim: rate = {claimed:g} +- {margin:g})",
        mde=mde,
        mde_confirm=mde_confirm,
        cannot_confirm=mde_confirm is None,
        rule="rate_equals",
        p_confirm=p_confirm,
        claimed_region=(lo, hi),
        detail={
            "ci_level": 1.0 - alpha,
            "successes": k,
            "effect_size_kind": "cohen_h",
        },
    )


NUISANCE_GRID = 200  # common rates at which the exact unconditional p-value is evaluated before refining


def _pooled_wald(n1: int, n2: int) -> np.ndarray:
    """Pooled Wald statistic (p1 - p2) / sqrt(p (1 - p) (1 / n1 + 1 / n2)) of every table, (N1 + 1, N2 + 1):
    ``scipy.stats.barnard_exact``'s ordering of the tables (0 where p1 = p2)."""
    k1, k2 = np.arange(n1 + 1.0)[:, None], np.arange(n2 + 1.0)[None, :]
    p1, p2, p = k1 / n1, k2 / n2, (k1 + k2) / (n1 + n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (p1 - p2) / np.sqrt(p * (1.0 - p) * (1.0 / n1 + 1.0 / n2))
    return np.where(p1 == p2, 0.0, z)


def _barnard_p(s1: int, n1: int, s2: int, n2: int) -> tuple[float, float]:
    """One-sided exact unconditional p-values that rate 1 is larger / smaller than rate 2: Barnard's
    test with the pooled Wald ordering, sup over the common rate pi of P_pi(a table at least as
    extreme) (Barnard 1947; the test of ``scipy.stats.barnard_exact``, whose p-values
    ``tests/test_stats_references.py`` matches).

    scipy's implementation takes about 20 s at 1,000 per arm (minutes at the full tier's 2,000 to
    4,000), so the same sum is evaluated here as one matrix product per pi: the indicator of the
    extreme tables (N1 + 1, N2 + 1) between the two binomial pmfs, on ``NUISANCE_GRID`` rates,
    then refined around the best one (``scipy.optimize.minimize_scalar``)."""
    z = _pooled_wald(n1, n2)
    z_obs = z[s1, s2]
    tie = np.isclose(z, z_obs, rtol=1e-12, atol=1e-12)
    masks = ((z >= z_obs) | tie).astype(float), ((z <= z_obs) | tie).astype(float)
    k1, k2 = np.arange(n1 + 1), np.arange(n2 + 1)

    def tail(pi: float, mask: np.ndarray) -> float:
        return float(stats.binom.pmf(k1, n1, pi) @ mask @ stats.binom.pmf(k2, n2, pi))

    grid = np.linspace(0.0, 1.0, NUISANCE_GRID + 1)
    out = []
    for mask in masks:
        values = (stats.binom.pmf(k1[:, None], n1, grid) * (mask @ stats.binom.pmf(k2[:, None], n2, grid))).sum(axis=0)
        i = int(np.argmax(values))
        lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
        best = optimize.minimize_scalar(lambda pi, m=mask: -tail(pi, m), bounds=(lo, hi), method="bounded")
        out.append(min(1.0, max(float(values[i]), -float(best.fun))))
    return out[0], out[1]


def rates_differ(s1: int, n1: int, s2: int, n2: int, *, direction: Direction, alpha: float = 0.05) -> Evidence:
    """Claim "rate 1 > rate 2" (``direction='greater'``) or "rate 1 < rate 2" ('less').

    Decided by Barnard's exact unconditional test (``_barnard_p``): each one-sided error is at
    most alpha / 2 for every common rate, exactly. (The Agresti-Caffo test used before errs up to
    0.0284 at 50 vs 50 and 0.0268 at 500 vs 500, worst case over the common rate: issue 20.)
    p_value = 2 * one-sided p against the claim; p_confirm = 2 * one-sided p for it.
    estimate: the raw difference s1/n1 - s2/n2. ci: the Agresti-Caffo two-sided 1 - alpha
    interval for p1 - p2 (``confint_proportions_2indep``; near-nominal coverage at small n,
    Agresti & Caffo 2000), clipped to [-1, 1]: descriptive, as no interval is dual to Barnard's
    test (scipy has none), so near the boundary it can disagree with the verdict.
    effect_size: Cohen's h (p1 vs p2).
    mde (difference units): the difference against the claim refuted with 80% power
    (``NormalIndPower`` on Cohen's h for n1, n2, converted to rates centred on the pooled rate);
    mde_confirm: the same distance in the claimed direction (the test is symmetric).
    """
    alpha = _check_alpha(alpha)
    direction = _check_choice(direction, "direction", ("greater", "less"))
    s1, n1 = _check_counts(s1, n1)
    s2, n2 = _check_counts(s2, n2)
    capture.record("rates_differ", {"counts": [s1, n1, s2, n2]}, {"direction": direction, "alpha": alpha})
    with np.errstate(divide="ignore", invalid="ignore"):  # ratio / odds ratio attrs at p=0
        ci_raw = confint_proportions_2indep(s1, n1, s2, n2, method="agresti-caffo", compare="diff", alpha=alpha)
    p_larger, p_smaller = _barnard_p(s1, n1, s2, n2)
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
    p_confirm, p_refute = _doubled(p_for), _doubled(p_against)
    op = ">" if direction == "greater" else "<"
    return Evidence(
        verdict=_verdict_from_p(p_confirm, p_refute, alpha),
        estimate=s1 / n1 - s2 / n2,
        ci=ci,
        p_value=p_refute,
        effect_size=float(proportion_effectsize(s1 / n1, s2 / n2)),
        n=n1 + n2,
        alpha=alpha,
        test=f"Barnard's exact unconditional test, Agresti-Caffo CI (claim: rate1 {op} rate2)",
        mde=mde,
        mde_confirm=mde,
        cannot_confirm=mde is None,
        rule="rates_differ",
        p_confirm=p_confirm,
        claimed_region=region,
        detail={
            "ci_level": 1.0 - alpha,
            "ci_method": "Agresti-Caffo (descriptive; the verdict is Barnard's exact test)",
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
    Confirmed iff 2 * one-sided p in the claimed direction <= alpha (p_confirm);
    refuted iff 2 * one-sided p in the opposite direction <= alpha (p_value); else
    inconclusive. No ci. estimate: the trend slope, change in success rate per unit score
    (weighted least squares of group rates on scores, weights = trials). If every trial
    succeeded (or every one failed) there is no trend information: inconclusive, p_value 1.
    mde (slope units): the slope against the claim refuted with 80% power, i.e. the z-test's
    detectable effect (``NormalIndPower``, in null standard errors) times the slope's null SE
    (``null_sd / Sxx``, Sxx = sum of trials * (score - mean score)^2); mde_confirm: the same
    slope in the claimed direction (the z-test is symmetric).
    """
    alpha = _check_alpha(alpha)
    direction = _check_choice(direction, "direction", ("increasing", "decreasing"))
    k = np.asarray(successes)
    n = np.asarray(trials)
    if k.ndim != 1 or n.ndim != 1 or k.shape != n.shape:
        raise ValueError(f"successes and trials must both have shape (K,); got {k.shape} and {n.shape}")
    if k.size < 2:
        raise ValueError(f"monotone_trend needs at least 2 groups, got {k.size}")
    counts = [_check_counts(ki.item(), ni.item()) for ki, ni in zip(k, n, strict=True)]
    k = np.array([c[0] for c in counts], dtype=float)
    n = np.array([c[1] for c in counts], dtype=float)
    r = np.arange(k.size, dtype=float) if scores is None else np.asarray(scores, dtype=float)
    if r.shape != k.shape:
        raise ValueError(f"scores must have shape {k.shape}, got {r.shape}")
    if not np.isfinite(r).all():
        raise ValueError("scores contain NaN or inf")
    if np.ptp(r) == 0.0:
        raise ValueError("scores must not all be equal")
    capture.record(
        "monotone_trend", {"successes": k, "trials": n, "scores": r}, {"direction": direction, "alpha": alpha}
    )
    table = np.column_stack([k, n - k])  # (K, 2)
    sxx = float(np.sum(n * (r - np.average(r, weights=n)) ** 2))
    rates = k / n
    slope = float(np.polyfit(r, rates, 1, w=np.sqrt(n))[0])  # WLS: weights = trials
    test = f"Cochran-Armitage trend test (claim: rate {direction} with score)"
    if k.sum() in (0.0, n.sum()):
        return Evidence(
            verdict=Verdict.INCONCLUSIVE,
            estimate=slope,
            ci=None,
            p_value=1.0,
            effect_size=None,
            n=int(n.sum()),
            alpha=alpha,
            test=test,
            rule="monotone_trend",
            p_confirm=1.0,
            detail={"note": "all trials had the same outcome", "rates": rates.tolist()},
        )
    res = Table(table, shift_zeros=False).test_ordinal_association(row_scores=r, col_scores=np.array([1.0, 0.0]))
    z = float(res.zscore)
    p_up = float(stats.norm.sf(z))  # one-sided, alternative: increasing
    p_down = float(stats.norm.cdf(z))
    p_for, p_against = (p_up, p_down) if direction == "increasing" else (p_down, p_up)
    p_confirm, p_refute = _doubled(p_for), _doubled(p_against)
    mde = _z_effect(1.0, 0.0, alpha) * float(res.null_sd) / sxx
    return Evidence(
        verdict=_verdict_from_p(p_confirm, p_refute, alpha),
        estimate=slope,
        ci=None,
        p_value=p_refute,
        effect_size=z,
        n=int(n.sum()),
        alpha=alpha,
        test=test,
        mde=mde,
        mde_confirm=mde,
        rule="monotone_trend",
        p_confirm=p_confirm,
        detail={"zscore": z, "rates": rates.tolist(), "scores": r.tolist(), "effect_size_kind": "z"},
    )


def always(successes: int, trials: int, *, alpha: float = 0.05, tolerance: float | None = None) -> Evidence:
    """Claim "always / guaranteed / 100%": a success rate of exactly 1.

    Refuted iff a trial failed (a counter-example; p_value 0): a true claim is never refuted.
    No finite run confirms a rate of exactly 1, so the outcome of n clean runs is *"no
    counter-example in n runs; rate >= L at 1 - alpha / 2"*, with L = (alpha / 2) ** (1 / n)
    the exact Clopper-Pearson bound (ci = the two-sided 1 - alpha Clopper-Pearson interval,
    (L, 1) on clean runs), and the verdict is:
    - without ``tolerance``: ``inconclusive``, with ``cannot_confirm`` set (p_confirm = 1);
    - with ``tolerance`` (the largest failure rate the document's "always" admits, stated in
      the claim's protocol): ``confirmed`` iff L >= 1 - tolerance, i.e. p_confirm =
      2 * (1 - tolerance) ** n <= alpha, compared within float rounding (``FLOAT_TOL``, relative:
      a tolerance equal to 1 - L confirms n clean runs). A claim whose true failure rate is at least the
      tolerance is then confirmed with probability at most alpha / 2 (exact).
    mde (failure-rate units): the failure rate q at which n trials show a counter-example with
    80% probability, q = 1 - 0.2 ** (1 / n) (P(no failure) = (1 - q) ** n; exact).
    mde_confirm (failure-rate units): the smallest tolerance confirmed on clean runs,
    1 - (alpha / 2) ** (1 / n); ``cannot_confirm`` when no tolerance is given or it is smaller.
    """
    alpha = _check_alpha(alpha)
    k, n = _check_counts(successes, trials)
    if tolerance is not None:
        tolerance = _check_rate(tolerance, "tolerance", open_interval=True)
    capture.record("always", {"counts": [k, n]}, {"tolerance": tolerance, "alpha": alpha})
    lower = (alpha / 2.0) ** (1.0 / n)
    mde_confirm = 1.0 - lower
    failures = n - k
    if failures == 0 and tolerance is not None:
        p_confirm = _doubled((1.0 - tolerance) ** n)
    else:
        p_confirm = 1.0
    p_refute = 0.0 if failures else 1.0
    outcome = (
        f"{failures} counter-example(s) in {n} runs"
        if failures
        else f"no counter-example in {n} runs; rate >= {lower:.4g} at {1.0 - alpha / 2.0:g}"
    )
    at_alpha = _close(p_confirm, alpha, 1.0)  # p = alpha up to float rounding: L = 1 - tolerance
    return Evidence(
        verdict=_verdict_from_p(min(p_confirm, alpha) if at_alpha else p_confirm, p_refute, alpha),
        estimate=k / n,
        ci=_exact_ci(k, n, alpha),
        p_value=p_refute,
        effect_size=None,
        n=n,
        alpha=alpha,
        test="counter-example search (claim: rate = 1"
        + (f", failure tolerance {tolerance:g})" if tolerance is not None else ")"),
        mde=1.0 - (1.0 - POWER) ** (1.0 / n),
        mde_confirm=mde_confirm,
        cannot_confirm=tolerance is None or tolerance < mde_confirm,
        rule="always",
        p_confirm=p_confirm,
        detail={
            "failures": failures,
            "ci_level": 1.0 - alpha,
            "rate_lower_bound": float(_exact_ci(k, n, alpha)[0]),
            "tolerance": tolerance,
            "outcome": outcome,
        },
    )
