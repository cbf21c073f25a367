"""Verdict rules: pure functions that turn observed data and a claim into an ``Evidence``.

Every statistic comes from scipy / statsmodels; this module only wires them to one decision
convention. It does not run experiments, hold state or touch the global RNG (the bootstrap rule
takes an explicit ``numpy.random.Generator``), and it never imports pytest.

Decision convention (the "three-decision rule": one two-sided level-``alpha`` procedure, read
off in both directions). Each rule computes two p-values on the two-sided scale:

- ``Evidence.p_value`` (against the claim): the smallest ``alpha`` at which the rule refutes,
  twice the one-sided p-value of the test against the claim, capped at 1;
- ``detail["p_confirm"]`` (for the claim): the smallest ``alpha`` at which it confirms.

The verdict is read off them and nothing else: ``confirmed`` iff ``p_confirm <= alpha``,
else ``refuted`` iff ``p_value <= alpha``, else ``inconclusive`` (``_verdict_from_p``).
``ci`` is the equal-tailed two-sided ``1 - alpha`` interval dual to the two tests: confirmed
iff it lies strictly inside the claimed region, refuted iff it touches or lies outside it.
A directional claim is therefore refuted by a one-sided test at ``alpha / 2`` and confirmed by
the opposite one-sided test at ``alpha / 2``; the two p-values of one rule never both fall
below ``alpha`` (for ``alpha < 1``), so no claim is confirmed in both directions and no
verdict disagrees with its own p-values. ``tests/test_stats_calibration.py`` checks both
one-sided error rates by simulation at the sample sizes and data shapes the claims use.

Ties, atoms and float rounding: a value within ``FLOAT_TOL`` (``math.isclose`` with
``rel_tol=1e-9, abs_tol=1e-12``) of a threshold counts as equal to it, so a mean of ten 0.96
(0.9600000000000002) is 0.96. A sample without spread carries no information on the spread of
its mean (with atoms it is a likely event whatever the mean is), so the parametric rules say
``inconclusive`` on it (p = 1 both ways) instead of deciding from a zero-width interval.

Power: ``mde`` is the effect *against* the claim (beyond the claimed region) that the rule
refutes with 80% power at this ``n`` and ``alpha``; ``mde_confirm`` the effect *for* it (inside
the region, from its nearest edge) that it confirms with 80% power; ``cannot_confirm`` flags a
rule that cannot reach 80% confirmation power for any true value at this ``n``. Both are exact
where the test is exact (binomial, t and chi-square under normal data, order statistics in
probability units); each docstring says how they are computed and in which units.

Rule names: every public rule records its own name in ``Evidence.rule`` (``RULES`` maps the
names to the functions); ``holm`` keeps it and records the family it adjusted.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
from scipy import optimize, special, stats
from statsmodels.regression.linear_model import OLS
from statsmodels.stats.contingency_tables import Table
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.nonparametric import rank_compare_2indep
from statsmodels.stats.power import NormalIndPower, TTestPower
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportion_effectsize,
    test_proportions_2indep,
)
from statsmodels.stats.weightstats import DescrStatsW

from harness.evidence.verdicts import Evidence, Verdict

__all__ = [
    "FLOAT_TOL",
    "MEDIAN",
    "POWER",
    "RULES",
    "SD",
    "Quantile",
    "QuantileRange",
    "StandardDeviation",
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

POWER = 0.8  # power at which every rule's ``mde`` and ``mde_confirm`` are defined
FLOAT_TOL = {"rel_tol": 1e-9, "abs_tol": 1e-12}  # values closer than this are equal (float rounding)

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


def _close(a: float, b: float) -> bool:
    """``a`` and ``b`` differ by float rounding only (``FLOAT_TOL``)."""
    return math.isclose(float(a), float(b), **FLOAT_TOL)


def _near(x: np.ndarray, t: float) -> np.ndarray:
    """Elementwise ``_close(x, t)`` for an array ``x`` (N,)."""
    return np.isclose(x, t, rtol=FLOAT_TOL["rel_tol"], atol=FLOAT_TOL["abs_tol"]) | np.isclose(
        t, x, rtol=FLOAT_TOL["rel_tol"], atol=FLOAT_TOL["abs_tol"]
    )


def _counts_around(x: np.ndarray, t: float) -> tuple[int, int, int]:
    """(#below, #equal, #above) ``t`` in ``x``, values within ``FLOAT_TOL`` of ``t`` counted equal."""
    eq = _near(x, t)
    below = int(np.sum((x < t) & ~eq))
    equal = int(np.sum(eq))
    return below, equal, int(x.size) - below - equal


def _no_spread(x: np.ndarray) -> bool:
    """True when every value of ``x`` equals the first up to ``FLOAT_TOL``."""
    return bool(np.all(_near(x, float(x[0]))))


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


@functools.lru_cache(maxsize=8192)
def _z_effect(nobs1: float, ratio: float, alpha: float) -> float:
    """Standardised effect the one-sided z-test at ``alpha / 2`` (the refute side of the
    three-decision rule) detects with 80% power (``NormalIndPower``; ``ratio=0``: one sample;
    ``nobs1=1, ratio=0``: the effect in standard-error units, about 2.80 at alpha = 0.05)."""
    power = NormalIndPower()
    return _effect_at_power(
        lambda e: float(power.power(effect_size=e, nobs1=nobs1, alpha=alpha / 2.0, ratio=ratio, alternative="larger"))
    )


@functools.lru_cache(maxsize=8192)
def _t_effect(nobs: int, alpha: float) -> float:
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


def _binom_p(k: int, n: int, p: float, alternative: str) -> float:
    return float(stats.binomtest(k, n, p, alternative=alternative).pvalue)


def _exact_ci(k: int, n: int, alpha: float) -> tuple[float, float]:
    """Clopper-Pearson two-sided 1 - alpha interval. statsmodels' beta-quantile form equals
    ``binomtest(k, n).proportion_ci(method='exact')`` (to ~1e-12) and is ~20x faster (no root
    finding), which matters in the calibration simulations."""
    lo, hi = proportion_confint(k, n, alpha=alpha, method="beta")
    return float(lo), float(hi)


@functools.lru_cache(maxsize=8192)
def _upper_cut(n: int, p: float, a: float) -> int | None:
    """Smallest count c with P(Bin(n, p) >= c) <= a, or None if even c = n fails."""
    ks = np.arange(n + 1)
    ok = np.nonzero(stats.binom.sf(ks - 1, n, p) <= a)[0]
    return int(ks[ok[0]]) if ok.size else None


@functools.lru_cache(maxsize=8192)
def _lower_cut(n: int, p: float, a: float) -> int | None:
    """Largest count c with P(Bin(n, p) <= c) <= a, or None if even c = 0 fails."""
    ks = np.arange(n + 1)
    ok = np.nonzero(stats.binom.cdf(ks, n, p) <= a)[0]
    return int(ks[ok[-1]]) if ok.size else None


def _rate_for_power(power_at: Callable[[float], float], lo: float, hi: float) -> float:
    """The rate in [lo, hi] where the monotone ``power_at`` (increasing or decreasing) crosses POWER."""
    return _root(lambda p: power_at(p) - POWER, lo, hi)


# --------------------------------------------------------------------------------------------
# Rates
# --------------------------------------------------------------------------------------------


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
    p_value = 2 * binomtest(alternative='less', p=claimed) (capped at 1);
    detail['p_confirm'] = 2 * binomtest(alternative='greater'). Confirmed iff p_confirm <=
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
    if cuts.refute_hi is not None:
        shifts.append(_rate_for_power(lambda p: float(stats.binom.sf(cuts.refute_hi - 1, n, p)), hi, 1.0) - hi)
    if cuts.refute_lo is not None:
        shifts.append(lo - _rate_for_power(lambda p: float(stats.binom.cdf(cuts.refute_lo, n, p)), 0.0, lo))
    mde = max(shifts) if shifts else None
    if cuts.confirm_lo is None or cuts.confirm_hi is None or cuts.confirm_lo > cuts.confirm_hi:
        return mde, None

    def confirm_power(p: float) -> float:
        return float(stats.binom.cdf(cuts.confirm_hi, n, p) - stats.binom.cdf(cuts.confirm_lo - 1, n, p))

    def worst(d: float) -> float:
        return min(confirm_power(min(max(lo + d, 0.0), 1.0)), confirm_power(min(max(hi - d, 0.0), 1.0)))

    if worst(0.0) >= POWER:
        return mde, 0.0
    if worst(margin) < POWER:
        return mde, None
    return mde, _root(lambda d: worst(d) - POWER, 0.0, margin)


def rate_equals(successes: int, trials: int, claimed: float, *, margin: float, alpha: float = 0.05) -> Evidence:
    """Claim "the rate is about ``claimed``", i.e. inside [claimed - margin, claimed + margin].

    ci: Clopper-Pearson two-sided 1 - alpha. detail['p_confirm'] = 2 * the binomial TOST p
    (2 * max(P(Bin(n, lo) >= k), P(Bin(n, hi) <= k)), as ``binom_tost``): confirmed iff
    <= alpha (ci strictly inside the interval). p_value = 2 * min(binomtest 'less' at the low
    edge, binomtest 'greater' at the high edge): refuted iff <= alpha (ci outside).
    An edge at or beyond 0 or 1 cannot be crossed: its side always passes TOST and never refutes.
    mde / mde_confirm (rate units, exact binomial power): see ``_equals_mdes``;
    ``cannot_confirm`` when no true rate inside the interval is confirmed with 80% power (a
    margin narrow for this n, e.g. "distances within 5%" at n = 100).
    """
    alpha = _check_alpha(alpha)
    k, n = _check_counts(successes, trials)
    claimed = _check_rate(claimed, "claimed", open_interval=False)
    margin = _check_margin(margin)
    lo, hi = claimed - margin, claimed + margin
    p_low = 0.0 if lo <= 0.0 else float(stats.binom.sf(k - 1, n, lo))  # TOST: k above lo
    p_upp = 0.0 if hi >= 1.0 else float(stats.binom.cdf(k, n, hi))  # TOST: k below hi
    p_below = 1.0 if lo <= 0.0 else _binom_p(k, n, lo, "less")
    p_above = 1.0 if hi >= 1.0 else _binom_p(k, n, hi, "greater")
    p_confirm = _doubled(max(p_low, p_upp))
    p_refute = _doubled(min(p_below, p_above))
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
        detail={
            "p_confirm": p_confirm,
            "ci_level": 1.0 - alpha,
            "claimed_region": (lo, hi),
            "successes": k,
            "effect_size_kind": "cohen_h",
        },
    )


def rates_differ(s1: int, n1: int, s2: int, n2: int, *, direction: Direction, alpha: float = 0.05) -> Evidence:
    """Claim "rate 1 > rate 2" (``direction='greater'``) or "rate 1 < rate 2" ('less').

    Agresti-Caffo test and CI for p1 - p2 (``test_proportions_2indep`` /
    ``confint_proportions_2indep``, method='agresti-caffo'): the two are exactly dual and need no
    root finding, and the interval keeps near-nominal coverage at small n (Agresti & Caffo 2000).
    Boschloo's exact test was not used: scipy has no matching CI. (statsmodels' score CI for a
    difference is not dual to its score test and its root bracket fails on ordinary counts.)
    estimate: the raw difference s1/n1 - s2/n2. ci: two-sided 1 - alpha for p1 - p2, clipped to
    [-1, 1]; it is centred on the Agresti-Caffo shrunken difference (one success and one failure
    added to each arm), so with all-or-none counts in small arms it can exclude the raw
    estimate. p_value = 2 * one-sided p against the claim; detail['p_confirm'] = 2 * one-sided
    p for it; the verdict follows them (confirmed iff ci excludes 0 on the claimed side).
    effect_size: Cohen's h (p1 vs p2).
    mde (difference units): the difference against the claim refuted with 80% power
    (``NormalIndPower`` on Cohen's h for n1, n2, converted to rates centred on the pooled rate);
    mde_confirm: the same distance in the claimed direction (the test is symmetric).
    """
    alpha = _check_alpha(alpha)
    direction = _check_choice(direction, "direction", ("greater", "less"))
    s1, n1 = _check_counts(s1, n1)
    s2, n2 = _check_counts(s2, n2)
    with np.errstate(divide="ignore", invalid="ignore"):  # ratio / odds ratio attrs at p=0
        ci_raw = confint_proportions_2indep(s1, n1, s2, n2, method="agresti-caffo", compare="diff", alpha=alpha)
        p_larger, p_smaller = (
            float(
                test_proportions_2indep(
                    s1,
                    n1,
                    s2,
                    n2,
                    value=0,
                    method="agresti-caffo",
                    compare="diff",
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
        test=f"Agresti-Caffo two-proportion test and CI (claim: rate1 {op} rate2)",
        mde=mde,
        mde_confirm=mde,
        cannot_confirm=mde is None,
        rule="rates_differ",
        detail={
            "p_confirm": p_confirm,
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
    table = np.column_stack([k, n - k])  # (K, 2)
    sxx = float(np.sum(n * (r - np.average(r, weights=n)) ** 2))
    rates = k / n
    slope = float(np.polyfit(r, rates, 1, w=np.sqrt(n))[0])  # WLS: weights = trials
    base = dict(
        estimate=slope,
        ci=None,
        n=int(n.sum()),
        alpha=alpha,
        test=f"Cochran-Armitage trend test (claim: rate {direction} with score)",
        rule="monotone_trend",
    )
    if k.sum() in (0.0, n.sum()):
        return Evidence(
            verdict=Verdict.INCONCLUSIVE,
            p_value=1.0,
            effect_size=None,
            mde=None,
            detail={
                "p_confirm": 1.0,
                "note": "all trials had the same outcome",
                "rates": rates.tolist(),
            },
            **base,
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
        p_value=p_refute,
        effect_size=z,
        mde=mde,
        mde_confirm=mde,
        detail={
            "p_confirm": p_confirm,
            "zscore": z,
            "rates": rates.tolist(),
            "scores": r.tolist(),
            "effect_size_kind": "z",
        },
        **base,
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
      2 * (1 - tolerance) ** n <= alpha. A claim whose true failure rate is at least the
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
    return Evidence(
        verdict=_verdict_from_p(p_confirm, p_refute, alpha),
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
        detail={
            "p_confirm": p_confirm,
            "failures": failures,
            "ci_level": 1.0 - alpha,
            "rate_lower_bound": float(_exact_ci(k, n, alpha)[0]),
            "tolerance": tolerance,
            "outcome": outcome,
        },
    )


# --------------------------------------------------------------------------------------------
# Means and metrics
# --------------------------------------------------------------------------------------------


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
        detail={"p_confirm": 1.0, "note": "no spread in the sample: not decided", "claimed_region": region},
    )


@functools.lru_cache(maxsize=256)
def _sd_ratio_nodes(df: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights (200 points, ``numpy.polynomial.legendre``) for an
    expectation over S = s / sigma = sqrt(chi2(df) / df), taken on the probability scale u in
    (0, 1) where S = sqrt(chi2.ppf(u) / df): returns (S at the nodes, weights summing to 1)."""
    u, w = np.polynomial.legendre.leggauss(200)
    u = (u + 1.0) / 2.0
    return np.sqrt(stats.chi2.ppf(u, df) / df), w / 2.0


def _t_confirm_power(d_lo: float, d_hi: float, n: int, alpha: float) -> float:
    """P(the two-sided 1 - alpha t interval lies strictly inside [lo, hi]) for normal data with
    mean mu, where d_lo = (mu - lo) / sigma and d_hi = (hi - mu) / sigma (Owen 1965: the
    interval's centre and half-width are independent, so the probability is the expectation
    over S = s / sigma of Phi(d_hi sqrt(n) - t S) - Phi(-d_lo sqrt(n) + t S), clipped at 0)."""
    s, w = _sd_ratio_nodes(n - 1)
    tq = float(stats.t.ppf(1.0 - alpha / 2.0, n - 1))
    rn = math.sqrt(n)
    inside = special.ndtr(d_hi * rn - tq * s) - special.ndtr(-d_lo * rn + tq * s)  # (200,)
    return float(np.sum(w * np.maximum(inside, 0.0)))


def _t_equivalence_mde_confirm(n: int, sd: float, margin: float, alpha: float) -> float | None:
    """Smallest distance d inside an edge of [c - margin, c + margin] at which the t interval is
    inside the interval with 80% probability (normal data, sigma = ``sd``; the power is
    symmetric about the centre and increases towards it); None if the centre falls short."""

    def power(d: float) -> float:
        return _t_confirm_power(d / sd, (2.0 * margin - d) / sd, n, alpha)

    if power(margin) < POWER:
        return None
    return _root(lambda d: power(d) - POWER, 0.0, margin)


def mean_equals(values: Any, claimed: float, *, margin: float, alpha: float = 0.05) -> Evidence:
    """Claim "the mean is about ``claimed``", i.e. inside [claimed - margin, claimed + margin].

    ``values`` shape (N,), N >= 2. ci: t interval two-sided 1 - alpha
    (``DescrStatsW.tconfint_mean``). detail['p_confirm'] = 2 * TOST p (``ttost_mean``):
    confirmed iff <= alpha (ci strictly inside). p_value = 2 * min(one-sided t p below the low
    edge, above the high edge) (``ttest_mean``): refuted iff <= alpha (ci outside).
    A sample without spread (up to ``FLOAT_TOL``) is inconclusive, never decided.
    effect_size: (mean - claimed) / sd (sample sd, ddof=1).
    mde (units of ``values``): the distance beyond an edge refuted with 80% power (``_t_effect``
    times the sample sd; exact noncentral t for normal data). mde_confirm: the distance inside
    an edge confirmed with 80% power (``_t_equivalence_mde_confirm``); ``cannot_confirm`` when
    even a true mean at the centre is confirmed with less than 80% probability (e.g. R² within
    +-0.005 from 10 folds whose sd exceeds 0.007).
    """
    alpha = _check_alpha(alpha)
    x = _check_values(values, "values", min_n=2)
    claimed = _check_finite(claimed, "claimed")
    margin = _check_margin(margin)
    lo, hi = claimed - margin, claimed + margin
    test = f"one-sample t TOST (claim: mean = {claimed:g} +- {margin:g})"
    if _no_spread(x):
        return _no_spread_evidence(x, rule="mean_equals", test=test, alpha=alpha, region=(lo, hi))
    d = DescrStatsW(x)
    sd = float(np.std(x, ddof=1))
    ci_lo, ci_hi = d.tconfint_mean(alpha=alpha)
    p_tost = d.ttost_mean(lo, hi)[0]
    p_below = d.ttest_mean(lo, alternative="smaller")[1]
    p_above = d.ttest_mean(hi, alternative="larger")[1]
    p_confirm, p_refute = _doubled(p_tost), _doubled(min(p_below, p_above))
    mde_confirm = _t_equivalence_mde_confirm(int(x.size), sd, margin, alpha)
    return Evidence(
        verdict=_verdict_from_p(p_confirm, p_refute, alpha),
        estimate=float(d.mean),
        ci=(float(ci_lo), float(ci_hi)),
        p_value=p_refute,
        effect_size=float((d.mean - claimed) / sd),
        n=int(x.size),
        alpha=alpha,
        test=test,
        mde=_t_effect(int(x.size), alpha) * sd,
        mde_confirm=mde_confirm,
        cannot_confirm=mde_confirm is None,
        rule="mean_equals",
        detail={
            "p_confirm": p_confirm,
            "ci_level": 1.0 - alpha,
            "claimed_region": (lo, hi),
            "sd": sd,
            "effect_size_kind": "cohen_d vs claimed",
        },
    )


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
        return np.std(x, axis=axis, ddof=1)


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
        detail = {"p_confirm": p_confirm, "ci_level": 1.0 - self.alpha, "claimed_region": self.region}
        detail.update(fields.pop("detail", {}))
        cannot = fields.pop("cannot_confirm", False)
        return Evidence(
            verdict=_verdict_from_p(p_confirm, p_refute, self.alpha),
            p_value=p_refute,
            alpha=self.alpha,
            rule=self.rule,
            cannot_confirm=cannot,
            detail=detail,
            **fields,
        )


def _metric_t(x: np.ndarray, mc: _MetricClaim) -> Evidence:
    """Mean: one-sample t test and interval (``DescrStatsW``), exact for normal data."""
    test = f"one-sample t ({mc.text})"
    if _no_spread(x):
        return _no_spread_evidence(x, rule=mc.rule, test=test, alpha=mc.alpha, region=mc.region)
    d = DescrStatsW(x)
    sd = float(np.std(x, ddof=1))
    mean = float(d.mean)
    if _close(mean, mc.threshold):
        p_larger = p_smaller = 0.5  # t = 0: the mean sits on the threshold up to rounding
    else:
        p_larger = float(d.ttest_mean(mc.threshold, alternative="larger")[1])
        p_smaller = float(d.ttest_mean(mc.threshold, alternative="smaller")[1])
    ci_lo, ci_hi = d.tconfint_mean(alpha=mc.alpha)
    mde = _t_effect(int(x.size), mc.alpha) * sd
    return mc.evidence(
        p_up=_doubled(p_larger),
        p_down=_doubled(p_smaller),
        estimate=mean,
        ci=(float(ci_lo), float(ci_hi)),
        effect_size=(mean - mc.threshold) / sd,
        n=int(x.size),
        test=test,
        mde=mde,
        mde_confirm=mde,
        detail={"sd": sd, "effect_size_kind": "(mean - threshold) / sd"},
    )


@functools.lru_cache(maxsize=8192)
def _sf_power_rate(c: int, n: int, lo: float) -> float:
    """The rate p in [lo, 1] with P(Bin(n, p) >= c) = POWER (exact binomial power)."""
    return _rate_for_power(lambda p: float(stats.binom.sf(c - 1, n, p)), lo, 1.0)


def _order_stat(xs: np.ndarray, rank: int | None, fallback: float) -> float:
    """The ``rank``-th smallest value (1-based) of the sorted ``xs``, or ``fallback`` if None."""
    return fallback if rank is None else float(xs[rank - 1])


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
    s = float(np.std(x, ddof=1))
    stat = df * s * s / (t * t)
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
    tol = max(FLOAT_TOL["rel_tol"] * abs(t), FLOAT_TOL["abs_tol"])
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
    ci = (l_hi - u_lo, u_hi - l_lo)
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
    eq = _near(boot, mc.threshold)
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
    - ``np.mean``: one-sample t test and interval (exact for normal data; n = 10 fold scores).
      A sample without spread is inconclusive. mde = mde_confirm = ``_t_effect`` x sd.
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


# --------------------------------------------------------------------------------------------
# Two samples
# --------------------------------------------------------------------------------------------


def _median_ratio(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.median(x, axis=axis) / np.median(y, axis=axis)


def _check_two_samples(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    return _check_values(x, "x", min_n=2), _check_values(y, "y", min_n=2)


def _check_positive(x: np.ndarray, y: np.ndarray) -> None:
    if (x <= 0).any() or (y <= 0).any():
        raise ValueError("a median ratio needs strictly positive x and y")


def _count_le_gt(v: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each t (K,): #(v <= t), #(v >= t) and #(v > t), values within ``FLOAT_TOL`` of t
    counting as equal to it."""
    vs = np.sort(v)
    band = np.maximum(FLOAT_TOL["rel_tol"] * np.abs(t), FLOAT_TOL["abs_tol"])
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
    le_low, _, _ = _count_le_gt(low, t)
    _, ge_high, gt_high = _count_le_gt(high, t)
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
    greater = direction == "greater"
    low, high = (y, x) if greater else (x, y)  # the claim: median(low) < median(high)
    p_confirm = _median_split_p(low, high, strict=True)
    p_refute = _median_split_p(high, low, strict=False)
    (xl, xh), (yl, yh) = _median_ci(x, alpha), _median_ci(y, alpha)
    ci = (xl / yh, xh / yl)
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
        detail={
            "p_confirm": p_confirm,
            "ci_level": 1.0 - alpha,
            "claimed_region": (1.0, math.inf) if greater else (0.0, 1.0),
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


def distributions_differ(
    x: Any,
    y: Any,
    *,
    direction: Direction,
    alpha: float = 0.05,
    n_resamples: int = 9999,
    rng: np.random.Generator | None = None,
) -> Evidence:
    """Claim "x tends to be larger than y" (``direction='greater'``: P(X > Y) + P(X = Y)/2 >
    1/2) or smaller ('less').

    ``x`` (N1,), ``y`` (N2,), N1, N2 >= 2. Decided and reported with one quantity: the
    Brunner-Munzel estimate of p = P(X > Y) + P(X = Y) / 2 (mid-ranks, so ties and atoms are
    handled) with its t test and interval (``statsmodels.stats.nonparametric.
    rank_compare_2indep``: ``test_prob_superior(value=0.5)`` and ``conf_int``, the same se and
    df, so they are exact duals). Unlike Mann-Whitney it tests p = 1/2 itself, not F = G, so
    unequal spreads with p = 1/2 are not "differences". detail['p_confirm'] = 2 * one-sided p
    in the claimed direction, p_value = 2 * one-sided p the other way. Complete separation:
    see ``_bm_se_df``. If every value in x and y is the same: inconclusive, p 1 both ways.
    effect_size: 2 p - 1 (rank-biserial). mde = mde_confirm (units of p): the distance of p
    from 1/2 detected with 80% power, the z-test's effect in standard errors times the
    Brunner-Munzel se. detail['median_ratio']: median(x) / median(y) when all values are
    positive (descriptive); ``n_resamples`` and ``rng`` are accepted for compatibility, unused.
    """
    alpha = _check_alpha(alpha)
    direction = _check_choice(direction, "direction", ("greater", "less"))
    x, y = _check_two_samples(x, y)
    if rng is not None:
        _check_rng(rng)
    n1, n2 = x.size, y.size
    op = ">" if direction == "greater" else "<"
    test = f"Brunner-Munzel test and CI of P(X > Y) (claim: x {op} y)"
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
            detail={"p_confirm": 1.0, "note": "all values identical", "median_ratio": ratio},
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        rc = rank_compare_2indep(x, y)
    p = float(rc.prob1)
    se, df, method = _bm_se_df(rc, n1, n2)
    t = (p - 0.5) / se
    p_greater, p_less = float(stats.t.sf(t, df)), float(stats.t.cdf(t, df))
    p_for, p_against = (p_greater, p_less) if direction == "greater" else (p_less, p_greater)
    p_confirm, p_refute = _doubled(p_for), _doubled(p_against)
    half = float(stats.t.ppf(1.0 - alpha / 2.0, df)) * se
    mde = _z_effect(1.0, 0.0, alpha) * se
    return Evidence(
        verdict=_verdict_from_p(p_confirm, p_refute, alpha),
        estimate=p,
        ci=(p - half, p + half),
        p_value=p_refute,
        effect_size=2.0 * p - 1.0,
        n=n1 + n2,
        alpha=alpha,
        test=test,
        mde=mde,
        mde_confirm=mde,
        rule="distributions_differ",
        detail={
            "p_confirm": p_confirm,
            "ci_level": 1.0 - alpha,
            "claimed_region": (0.5, 1.0) if direction == "greater" else (0.0, 0.5),
            "se": se,
            "df": df,
            "se_method": method,
            "effect_size_kind": "rank_biserial",
            "median_ratio": ratio,
        },
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
        rule="exact_value",
        detail={"claimed": claimed},
    )


def holm(evidences: Sequence[Evidence], *, alpha: float = 0.05, family: str | None = None) -> list[Evidence]:
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
    ``detail['holm_m']`` and the family name (``family``, the ``Claim.family`` of every claim
    adjusted together; the recorder checks it) in ``detail['holm_family']``; ``test`` gains
    " + Holm". Every evidence's ``alpha`` must equal ``alpha`` (the rules' verdicts were taken
    at it).
    """
    alpha = _check_alpha(alpha)
    if family is not None and (not isinstance(family, str) or not family.strip()):
        raise ValueError(f"family must be a non-empty string or None, got {family!r}")
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
    for i, p in zip(refute_idx, adj_refute, strict=True):
        updates[i]["p_value"] = p
    for i, p in zip(confirm_idx, adj_confirm, strict=True):
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
        detail["holm_family"] = family
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


def not_testable(reason: str, *, alpha: float = 0.05) -> Evidence:
    """A claim this suite cannot test (e.g. a cited result on another paper's models and data).

    Always ``inconclusive`` and ``cannot_confirm``, with ``reason`` in the detail: a recorded
    outcome, so the claim keeps a ledger entry and a report row instead of being dropped.
    """
    alpha = _check_alpha(alpha)
    if not isinstance(reason, str) or not reason.strip():
        raise ValueError(f"not_testable needs a non-empty reason, got {reason!r}")
    return Evidence(
        verdict=Verdict.INCONCLUSIVE,
        estimate=math.nan,
        ci=None,
        p_value=None,
        effect_size=None,
        n=1,
        alpha=alpha,
        test="not testable here (inconclusive by design)",
        rule="not_testable",
        cannot_confirm=True,
        detail={"p_confirm": None, "reason": reason},
    )


# Every rule by the name it records in ``Evidence.rule`` (``Claim.test`` names one of them, see
# ``harness.evidence.claims.RULE_KINDS``). A rule appended below registers itself here.
RULES: dict[str, Callable[..., Evidence]] = {
    f.__name__: f
    for f in (
        always,
        distributions_differ,
        exact_value,
        mean_equals,
        medians_differ,
        metric_below,
        metric_exceeds,
        monotone_trend,
        not_testable,
        rate_at_least,
        rate_at_most,
        rate_equals,
        rates_differ,
    )
}


# ============================================================================================
# Cross-validated predictions, decided over independent units (issue 10, item 1).
# Used by the 000/001 claims; beyond numpy, scipy.stats and Evidence / Verdict it uses only the
# module's POWER and _root (for the confirm-side MDE). Calibrated in tests/test_stats_cv.py.
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
      ``mde_confirm``: the distance inside the nearest edge confirmed with 80% power
      (``_cv_mde_confirm``, se held fixed); None, and ``cannot_confirm``, when even a statistic
      at the region's centre is confirmed with less than 80% probability.
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
    mde_confirm = _cv_mde_confirm(dist, q, se, hi - lo)
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
        mde=(q + float(dist.ppf(POWER))) * se,
        mde_confirm=mde_confirm,
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
        rule="cv_by_units",
        cannot_confirm=mde_confirm is None,
    )


def _cv_mde_confirm(dist: Any, q: float, se: float, width: float) -> float | None:
    """Smallest distance d inside the nearest edge at which ``theta ± q se`` lies inside a region of
    ``width`` with 80% probability, theta ~ se x ``dist`` about the true value (se held fixed):
    power(d) = F(d / se - q) - F(q - (width - d) / se); ``(q + F^-1(0.8)) se`` for a one-sided
    region; None when the power at the centre, d = width / 2, is below 80%."""
    if not math.isfinite(width):
        return (q + float(dist.ppf(POWER))) * se

    def power(d: float) -> float:
        return float(dist.cdf(d / se - q) - dist.cdf(q - (width - d) / se))

    if power(width / 2.0) < POWER:
        return None
    return _root(lambda d: power(d) - POWER, 0.0, width / 2.0)


RULES["cv_by_units"] = cv_by_units


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

    Calibrated (tests/test_stats_variance_ratio.py) at n = 5000 on paired skewed and heavy-tailed
    data: each one-sided error within alpha / 2. At n = 200 it is slightly liberal (0.031 per side
    measured with R = 4000 against 0.025): use it at n in the thousands.
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
    n = int(x.size)
    dist = stats.t(df=n - 2)
    p_confirm, p_refute, t_lo, t_hi = _variance_ratio_p(x, y, lo, hi)
    estimate = float(np.var(x, ddof=1) / np.var(y, ddof=1))
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
        detail={
            "p_confirm": p_confirm,
            "ci_level": 1.0 - alpha,
            "claimed_region": (lo, hi),
            "t_at_edges": (t_lo, t_hi),
            "sd_ratio": math.sqrt(estimate),
            "correlation": float(np.corrcoef(x, y)[0, 1]),
            "se_approx": se,
            "effect_size_kind": "(estimate - nearest edge) / se",
        },
    )


RULES["variance_ratio_equals"] = variance_ratio_equals
