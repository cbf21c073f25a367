"""Cross-validated predictions decided over independent units (issue 10, item 1): the jackknife
over units with Nadeau and Bengio's correction, its pseudo-values decided by the skewness-corrected
t of ``means`` where that is calibrated (issue 20). Used by the 000/001 claims; calibrated in
tests/test_stats_cv.py (heterogeneous units) and tests/test_stats_claims_data.py (the claims' own
unit sums)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
from scipy import stats

from harness.evidence.rules import capture, means
from harness.evidence.rules.core import POWER, _root, _uncalibrated_evidence, _verdict_from_p
from harness.evidence.verdicts import Evidence


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
      fixed): the pseudo-values are spread about their mean by sqrt of that factor.
    * Decision: the pseudo-values are a sample whose mean estimates θ, so the rules of
      ``harness.evidence.rules.means`` decide "their mean lies in ``region``" (Hall's
      skewness-corrected t at alpha / (2 LEVEL_FACTOR) per side, ``means.region_p``). Units of
      unequal noise make θ and its jackknife se correlated (r ~ -0.69, issue 20) through the
      pseudo-values' skewness, which the correction removes; where their skewness exceeds
      ``means.skew_limit(G)`` or their excess kurtosis ``means.KURTOSIS_LIMIT`` (a few units
      dominate the statistic) no rule is calibrated and the evidence is inconclusive with that
      reason. ci: the interval dual to both one-sided tests
      (``means.mean_interval`` of the pseudo-values, centred near their mean, the jackknife
      estimate in detail['jackknife_estimate']) clipped to the statistic's ``support`` attribute
      (the values it can take, e.g. [0, inf) for an SD; default the whole line); estimate: θ itself.
      Where the pseudo-values' mean lies outside the support the bias correction is invalid (it
      moved the estimate where the statistic cannot be) and no rule is calibrated: inconclusive.
    * ``region`` (lo, hi), edges may be +-inf: confirmed iff p_confirm <= alpha (ci inside it),
      refuted iff p_value <= alpha (ci outside it), else inconclusive; both on the two-sided
      scale.
    * ``mde``: the distance beyond an edge refuted with 80% power, ``(q + t_{0.8}) se`` (q the
      t(G - 1) quantile at alpha / (2 LEVEL_FACTOR); normal theory, skewness ignored).
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
    capture.record(
        "cv_by_units",
        {"unit_sums": u},
        {
            "region": (lo, hi),
            "n_splits": int(n_splits),
            "statistic": getattr(statistic, "__name__", repr(statistic)),
            "alpha": alpha,
        },
    )
    g = u.shape[0]
    theta_array, pseudo, defined = _pseudo_values(u, statistic, int(n_splits))
    if not defined:
        raise ValueError("statistic must be finite on the total and on every leave-one-unit-out total")
    theta = float(theta_array)
    se = float(np.std(pseudo, ddof=1) / math.sqrt(g))
    if se == 0.0:
        raise ValueError("the jackknife standard error is 0 (every unit contributes the same): no interval")
    test = (
        f"jackknife over {g} units, Nadeau-Bengio corrected, skewness-corrected t({g - 1}) "
        f"(claim: statistic in [{lo:g}, {hi:g}])"
    )
    low, high = getattr(statistic, "support", (-math.inf, math.inf))
    centre = float(np.mean(pseudo))
    if not low <= centre <= high:
        where = f"the jackknife estimate {centre:.4g} lies outside the statistic's support [{low:g}, {high:g}]"
    elif not bool(means.decidable(pseudo)):
        where = f"pseudo-values: {means.outside_domain(pseudo)} (a few units dominate the statistic)"
    else:
        where = ""
    if where:
        ev = _uncalibrated_evidence(
            estimate=theta, n=g, rule="cv_by_units", test=test, alpha=float(alpha), region=(lo, hi), where=where
        )
        return replace(ev, detail={**ev.detail, "se": se, "units": g, "n_splits": int(n_splits)})
    p_confirm, p_refute = (float(v) for v in means.region_p(pseudo, lo, hi)[:2])
    dist = stats.t(df=g - 1)
    q = float(dist.isf(alpha / (2.0 * means.LEVEL_FACTOR)))
    mde_confirm = _cv_mde_confirm(dist, q, se, hi - lo)
    finite_edges = [e for e in (lo, hi) if math.isfinite(e)]
    edge = min(finite_edges, key=lambda e: abs(theta - e)) if finite_edges else math.nan
    return Evidence(
        verdict=_verdict_from_p(p_confirm, p_refute, float(alpha)),
        estimate=theta,
        ci=_clipped(means.mean_interval(pseudo, float(alpha)), low, high),
        p_value=p_refute,
        effect_size=(theta - edge) / se if math.isfinite(edge) else None,
        n=g,
        alpha=float(alpha),
        test=test,
        mde=(q + float(dist.ppf(POWER))) * se,
        mde_confirm=mde_confirm,
        p_confirm=p_confirm,
        claimed_region=(lo, hi),
        detail={
            "ci_level": 1.0 - alpha,
            "se": se,
            "units": g,
            "n_splits": int(n_splits),
            "jackknife_estimate": centre,
            "pseudo_value_skewness": float(means.skewness(pseudo)),
            "pseudo_value_kurtosis": float(means.kurtosis(pseudo)),
            "cannot_confirm_at_n": bool(hi - lo <= 2.0 * q * se),
            "effect_size_kind": "(estimate - nearest finite edge) / se",
        },
        rule="cv_by_units",
        cannot_confirm=mde_confirm is None,
    )


def _pseudo_values(
    u: np.ndarray, statistic: Callable[[np.ndarray], np.ndarray], n_splits: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The statistic on the total of ``u`` (..., G, S), Tukey's jackknife pseudo-values over units,
    G theta - (G - 1) theta_(-g) (..., G), spread about their mean by Nadeau and Bengio's factor
    sqrt(1 + 1 / (n_splits - 1)) (their sample sd / sqrt(G) is the corrected standard error, and the
    mean rules of ``means`` apply), and whether the statistic is finite on the total and on every
    leave-one-out total (...). Vectorised over leading axes (the calibration's resamples, on some of
    which the statistic may be undefined)."""
    g = u.shape[-2]
    total = u.sum(axis=-2)
    with np.errstate(all="ignore"):
        theta = np.asarray(statistic(total), dtype=float)  # (...)
        loo = np.asarray(statistic(total[..., None, :] - u), dtype=float)  # (..., G)
    if loo.shape != u.shape[:-1]:
        raise ValueError(f"statistic must map (..., S) to (...), got {loo.shape} for {u.shape[:-1]}")
    defined = np.isfinite(theta) & np.all(np.isfinite(loo), axis=-1)
    pseudo = g * theta[..., None] - (g - 1) * loo
    centre = np.mean(pseudo, axis=-1, keepdims=True)
    return theta, centre + (pseudo - centre) * math.sqrt(1.0 + 1.0 / (n_splits - 1)), defined


def _clipped(ci: tuple[float, float], low: float, high: float) -> tuple[float, float]:
    """The interval ``ci`` cut to the statistic's support [low, high]."""
    return max(ci[0], low), min(ci[1], high)


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
