"""Verdict rules for figures a document read off one small sample, composed from ``harness.evidence.rules``.

Source 002 reports statistics of its own samples (100 initialisations, 50 runs per arm, the
successful runs of an arm). Such a figure is *reproduced* when the protocol's true value lies
inside the range the document's own sampling error allows, and *contradicted* when our
confidence interval lies wholly outside it:

* a rate k/m: the region is the document's Clopper-Pearson 1 - alpha interval of k/m
  (``rate_matches``; k = m is an "always" claim, confirmed when our runs rule out the failure
  rates the document's m runs rule out, ``failure_tolerance``, and refuted by a counter-example);
* a sample quantile v of m values at level p (min: p = 0, max: p = 1): under the protocol F(v) is
  distributed as the order statistic Beta(j, m + 1 - j), j = 1 + p (m - 1) (numpy's linear
  interpolation index, exact at the min, max and odd-m median); the region is its central
  1 - alpha interval, tested on our count of values <= v (``quantile_matches``);
* a mean of m values: region mean +- t(1 - alpha/2, m - 1) sd / sqrt(m), sd from our sample
  (``mean_matches``);
* a standard deviation of m values: the chi-square 1 - alpha interval for sigma given the
  document's s and m, tested with bootstrap CIs of our sd (``sd_matches``).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint

from harness.evidence import rules
from harness.evidence.verdicts import Evidence, Verdict


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
    bound 1 - (alpha / 2) ** (1 / m), rounded up in the third significant digit (m = 50: 0.0712).

    A reported "100% (50/50)" is read as "failure rate below this": 50 clean runs cannot tell 100%
    from 93%, so neither can a reproduction of them. Rounded up so that a run repeating the
    document's own m/m confirms it, as its own data did, instead of landing on p = alpha where
    floating-point rounding would decide."""
    _check_sample_size(m)
    bound = 1.0 - (alpha / 2.0) ** (1.0 / m)
    scale = 10.0 ** (np.floor(np.log10(bound)) - 2)
    return float(np.ceil(bound / scale) * scale)


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


def quantile_region(p: float, m: int, alpha: float) -> tuple[float, float]:
    """Central 1 - alpha interval of F(v) for the document's level-p sample quantile v of m values."""
    _check_sample_size(m)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must lie in [0, 1], got {p}")
    if m == 1:
        return alpha / 2, 1 - alpha / 2
    j = 1.0 + p * (m - 1)
    dist = sps.beta(j, m + 1 - j)
    return float(dist.ppf(alpha / 2)), float(dist.ppf(1 - alpha / 2))


def quantile_matches(values, reported: float, *, p: float, m: int, alpha: float = 0.05) -> Evidence:
    """Whether the document's level-p sample quantile ``reported`` of m values fits our values (N,)."""
    x = np.asarray(values, dtype=float)
    if x.ndim != 1 or x.size == 0 or not np.isfinite(x).all():
        raise ValueError(f"values must be a finite non-empty 1-d sample, got shape {x.shape}")
    region = quantile_region(p, m, alpha)
    note = {"quantile_level": p, "document_n": m, "region_of_F": region, "our_quantile": float(np.quantile(x, p))}
    return _in_region(int((x <= reported).sum()), int(x.size), region, alpha, note)


def mean_matches(values, reported: float, *, m: int, alpha: float = 0.05) -> Evidence:
    """Whether the document's mean ``reported`` of m values fits our values: margin = its own t half-width."""
    _check_sample_size(m)
    x = np.asarray(values, dtype=float)
    margin = float(sps.t.ppf(1 - alpha / 2, max(m - 1, 1)) * np.std(x, ddof=1) / np.sqrt(m))
    ev = rules.mean_equals(x, reported, margin=margin, alpha=alpha)
    return replace(ev, detail={**ev.detail, "document_n": m, "margin_from": "t half-width at the document's n"})


def _sd(x, axis=-1):
    return np.std(x, axis=axis, ddof=1)


def metric_within(
    values,
    lo: float,
    hi: float,
    *,
    statistic=_sd,
    alpha: float = 0.05,
    rng: np.random.Generator,
    n_resamples: int = 1999,
) -> Evidence:
    """Claim "statistic(values) lies in [lo, hi]": ``metric_exceeds(lo)`` and ``metric_below(hi)`` combined.

    Confirmed iff both confirm (the bootstrap CI lies inside), refuted iff either refutes (it lies
    wholly outside), else inconclusive. The CI reported is the first rule's.
    """
    above = rules.metric_exceeds(values, lo, statistic=statistic, alpha=alpha, n_resamples=n_resamples, rng=rng)
    below = rules.metric_below(values, hi, statistic=statistic, alpha=alpha, n_resamples=n_resamples, rng=rng)
    if Verdict.REFUTED in (above.verdict, below.verdict):
        verdict = Verdict.REFUTED
    elif above.verdict is below.verdict is Verdict.CONFIRMED:
        verdict = Verdict.CONFIRMED
    else:
        verdict = Verdict.INCONCLUSIVE
    return replace(
        above,
        verdict=verdict,
        p_value=min(above.p_value, below.p_value),
        test=f"percentile bootstrap, statistic in [{lo:.4g}, {hi:.4g}]",
        p_confirm=max(above.p_confirm, below.p_confirm),
        claimed_region=(lo, hi),
    )


def sd_matches(values, reported: float, *, m: int, alpha: float = 0.05, rng: np.random.Generator) -> Evidence:
    """Whether the document's sample sd ``reported`` of m values fits our values (chi-square region)."""
    _check_sample_size(m)
    if m < 2:
        raise ValueError("a standard deviation needs m >= 2")
    lo = reported * np.sqrt((m - 1) / sps.chi2.ppf(1 - alpha / 2, m - 1))
    hi = reported * np.sqrt((m - 1) / sps.chi2.ppf(alpha / 2, m - 1))
    ev = metric_within(values, float(lo), float(hi), alpha=alpha, rng=rng)
    return replace(ev, detail={**ev.detail, "document_n": m, "region_from": "chi-square interval of sigma"})


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
