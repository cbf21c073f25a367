"""Cross-validated predictions decided over independent units (issue 10, item 1): the
jackknife over units with Nadeau and Bengio's correction. Used by the 000/001 claims;
calibrated in tests/test_stats_cv.py."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import stats

from harness.evidence.rules.core import (
    POWER,
    _root,
)
from harness.evidence.verdicts import Evidence, Verdict


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
      ``p_value``: the smallest alpha at which it would refute; ``p_confirm``: at
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
        p_confirm=p_confirm,
        claimed_region=(lo, hi),
        detail={
            "ci_level": 1.0 - alpha,
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
