"""Verdict rules for figures a document read off one small sample, composed from ``harness.evidence.rules``.

Source 002 reports statistics of its own samples (100 initialisations, 50 runs per arm, the
successful runs of an arm). Such a figure is *reproduced* when the protocol's true value lies
inside the range the document's own sampling error allows, and *contradicted* when our
confidence interval lies wholly outside it. Here only the compositions live:

* a rate k/m: the region is the document's Clopper-Pearson 1 - alpha interval of k/m
  (``rate_matches``; k = m is an "always" claim, confirmed when our runs rule out the failure
  rates the document's m runs rule out, ``failure_tolerance``, and refuted by a counter-example);
* a rank correlation above a threshold (``rank_correlation_exceeds``);
* a straight line's R² above a threshold (``r2_exceeds``).

A quantile, mean or sd of m values is decided by the rules ``harness.evidence.rules.quantile_matches``,
``mean_matches`` and ``sd_matches`` (module ``harness.evidence.rules.documents``).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint

from harness.evidence import rules
from harness.evidence.verdicts import Evidence


def _check_sample_size(m: int) -> None:
    if isinstance(m, bool) or not isinstance(m, int) or m < 1:
        raise ValueError(f"the document's sample size must be a positive int, got {m!r}")


def rate_region(k: int, m: int, alpha: float) -> tuple[float, float]:
    """The Clopper-Pearson 1 - alpha interval of the document's k successes out of m."""
    _check_sample_size(m)
    if not 0 <= k <= m:
        raise ValueError(f"need 0 <= k <= m, got k={k}, m={m}")
    lo, hi = proportion_confint(k, m, alpha=alpha, method="beta")
    return float(lo), float(hi)


def _in_region(successes: int, trials: int, region: tuple[float, float], alpha: float, note: dict) -> Evidence:
    lo, hi = region
    ev = rules.rate_equals(successes, trials, (lo + hi) / 2, margin=(hi - lo) / 2, alpha=alpha)
    return replace(ev, detail={**ev.detail, **note})


def failure_tolerance(m: int, alpha: float) -> float:
    """The failure rate a document's m clean runs ("m/m, 100%") rule out: the exact Clopper-Pearson
    bound 1 - (alpha / 2) ** (1 / m) (m = 50: 0.0711).

    A reported "100% (50/50)" is read as "failure rate below this": 50 clean runs cannot tell 100%
    from 93%, so the claim is "the failure rate is below the bound the document's own runs give"
    (``rules.always`` compares at that bound within float rounding)."""
    _check_sample_size(m)
    return 1.0 - (alpha / 2.0) ** (1.0 / m)


def rate_matches(successes: int, trials: int, k: int, m: int, *, alpha: float = 0.05) -> Evidence:
    """Our rate (successes / trials) against the document's k/m (``always`` when k = m, with the
    failure tolerance that the document's m runs support: :func:`failure_tolerance`)."""
    if k == m:
        ev = rules.always(successes, trials, alpha=alpha, tolerance=failure_tolerance(m, alpha))
        return replace(ev, detail={**ev.detail, "document": f"{k}/{m}"})
    return _in_region(
        successes,
        trials,
        rate_region(k, m, alpha),
        alpha,
        {"document": f"{k}/{m}", "region": "Clopper-Pearson of the document's count"},
    )


def rank_correlation_exceeds(
    x, y, threshold: float, *, alpha: float = 0.05, rng: np.random.Generator, n_resamples: int = 1999
) -> Evidence:
    """Claim "Spearman's rho(x, y) > threshold": percentile bootstrap over pairs (``metric_exceeds`` on indices).

    rho is Pearson's correlation of the ranks (average ranks for ties), which is Spearman's
    definition; vectorised over resamples (the unit test checks it against ``scipy.stats.spearmanr``)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1 or x.size < 3:
        raise ValueError(f"x and y must be equal 1-d samples of >= 3 pairs, got {x.shape} and {y.shape}")

    def rho(index, axis=-1):
        idx = np.moveaxis(index, axis, -1).astype(int)  # (..., N) resampled pair indices
        rx = sps.rankdata(x[idx], axis=-1)
        ry = sps.rankdata(y[idx], axis=-1)
        rx, ry = rx - rx.mean(axis=-1, keepdims=True), ry - ry.mean(axis=-1, keepdims=True)
        return (rx * ry).sum(axis=-1) / np.sqrt((rx**2).sum(axis=-1) * (ry**2).sum(axis=-1))

    ev = rules.metric_exceeds(
        np.arange(x.size, dtype=float), threshold, statistic=rho, alpha=alpha, n_resamples=n_resamples, rng=rng
    )
    return replace(ev, test=f"Spearman rank correlation, {ev.test}", detail={**ev.detail, "statistic": "spearman rho"})


def r2_exceeds(
    x, y, threshold: float, *, alpha: float = 0.05, rng: np.random.Generator, n_resamples: int = 1999
) -> Evidence:
    """Claim "a straight line in x explains more than ``threshold`` of y's variance" (R² of the OLS fit of
    y on x, i.e. Pearson's r squared): percentile bootstrap over pairs (``metric_exceeds`` on indices),
    vectorised over resamples (the unit test checks it against ``scipy.stats.linregress``)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1 or x.size < 3:
        raise ValueError(f"x and y must be equal 1-d samples of >= 3 pairs, got {x.shape} and {y.shape}")

    def r2(index, axis=-1):
        idx = np.moveaxis(index, axis, -1).astype(int)  # (..., N) resampled pair indices
        xs, ys = x[idx], y[idx]
        xs, ys = xs - xs.mean(axis=-1, keepdims=True), ys - ys.mean(axis=-1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (xs * ys).sum(axis=-1) ** 2 / ((xs**2).sum(axis=-1) * (ys**2).sum(axis=-1))

    ev = rules.metric_exceeds(
        np.arange(x.size, dtype=float), threshold, statistic=r2, alpha=alpha, n_resamples=n_resamples, rng=rng
    )
    return replace(ev, test=f"R² of a straight line, {ev.test}", detail={**ev.detail, "statistic": "pearson r^2"})
