"""Rules for a figure a document computed from its own small sample: is it plausible under ours?

Source 002 reports statistics of m values (a quantile, a mean, a standard deviation of 21-100
runs). Such a figure is *reproduced* when our protocol's distribution makes it a plausible
value of that statistic over m draws (inside the central 1 - alpha range of its sampling
distribution), *contradicted* when our data show the document's value outside that range.
The range comes from the document (its m, and its sd where it reports one), never from our
sample's spread treated as known (issue 20: a margin from our own sd erred 0.09-0.10).

- ``quantile_matches``: exact order statistics, atoms included (issue 20: an atom at the cap
  was refuted 42% of the time when ties were counted as if continuous);
- ``mean_matches``: the document's t half-width from its own sd, decided by the
  skewness-corrected t of ``means``; without a reported sd, inconclusive with
  ``NO_CALIBRATED_RULE``;
- ``sd_matches``: inconclusive with ``NO_CALIBRATED_RULE`` (no rule tested here is calibrated
  for the sd of skewed epoch counts at the claims' n).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
from scipy import stats

from harness.evidence.rules import capture, means
from harness.evidence.rules.core import (
    _check_alpha,
    _check_finite,
    _check_values,
    _counts_around,
    _doubled,
    _exact_ci,
    _interval_refute_p,
    _no_spread,
    _no_spread_evidence,
    _uncalibrated_evidence,
    _verdict_from_p,
)
from harness.evidence.verdicts import Evidence

__all__ = ["mean_matches", "quantile_matches", "quantile_region", "sd_matches", "sd_region"]


def _check_document_n(m: Any) -> int:
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 1:
        raise ValueError(f"the document's sample size m must be a positive integer, got {m!r}")
    return int(m)


def quantile_region(p: float, m: int, alpha: float) -> tuple[float, float]:
    """(L, U): the document's level-p sample quantile v of m values is plausible iff F(v) >= L and
    F(v-) <= U. numpy's linear interpolation puts v between the order statistics j = floor(h) and
    ceil(h), h = 1 + p (m - 1); X_(j) <= v needs P(Bin(m, F(v)) >= j) >= alpha / 2, i.e. F(v) >=
    the Beta(j, m + 1 - j) alpha / 2 quantile, and X_(j') >= v needs F(v-) <= the Beta(j', m + 1 - j')
    1 - alpha / 2 quantile. Exact for any distribution, atoms included; for an integer h and a
    continuous F it is the usual order-statistic interval of F(v)."""
    m = _check_document_n(m)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must lie in [0, 1], got {p!r}")
    h = 1.0 + p * (m - 1)
    j_lo, j_hi = math.floor(h), math.ceil(h)
    return float(stats.beta.ppf(alpha / 2.0, j_lo, m + 1 - j_lo)), float(
        stats.beta.ppf(1.0 - alpha / 2.0, j_hi, m + 1 - j_hi)
    )


def quantile_matches(values: Any, reported: float, *, p: float, m: int, alpha: float = 0.05) -> Evidence:
    """Claim "the document's level-p sample quantile of m values, ``reported`` = v, is plausible here".

    ``values`` (N,). With a = #(x <= v) ~ Bin(N, F(v)) and b = #(x < v) ~ Bin(N, F(v-)) (values
    within ``FLOAT_TOL`` of v count as v), the claim is F(v) >= L and F(v-) <= U
    (``quantile_region``). p_confirm = 2 max(P_L(K >= a), P_U(K <= b)) (both exact binomial
    tests; an intersection needs no multiplicity correction); p_value: both refuting tails at
    the worst rate in [L, U] (``_interval_refute_p``). ci = (Clopper-Pearson lower end of F(v)
    from a, upper end of F(v-) from b), two-sided 1 - alpha: confirmed iff it lies inside
    (L, U). estimate: our mid-distribution function at v, (a + b) / (2 N). Exact for any
    distribution, atoms included (an atom at v raises F(v) above F(v-): a capped epoch count).
    ``cannot_confirm`` when even every value equal to v (a = N, b = 0, the smallest p_confirm:
    2 max(L^N, (1 - U)^N)) would not confirm.
    """
    alpha = _check_alpha(alpha)
    x = _check_values(values, "values")
    reported = _check_finite(reported, "reported")
    lower, upper = quantile_region(p, m, alpha)
    capture.record("quantile_matches", {"values": x}, {"reported": reported, "p": p, "m": m, "alpha": alpha})
    below, equal, _ = _counts_around(x, reported)
    n, a, b = int(x.size), below + equal, below
    p_confirm = _doubled(max(float(stats.binom.sf(a - 1, n, lower)), float(stats.binom.cdf(b, n, upper))))
    p_refute = _doubled(_interval_refute_p(n, a, lower, b, upper))
    ci = (_exact_ci(a, n, alpha)[0], _exact_ci(b, n, alpha)[1])
    return Evidence(
        verdict=_verdict_from_p(p_confirm, p_refute, alpha),
        estimate=(a + b) / (2.0 * n),
        ci=ci,
        p_value=p_refute,
        effect_size=None,
        n=n,
        alpha=alpha,
        test=f"exact order-statistic region of the document's {p:g}-quantile of {m} values (claim: v = {reported:g})",
        rule="quantile_matches",
        p_confirm=p_confirm,
        claimed_region=(lower, upper),
        cannot_confirm=_doubled(max(lower**n, (1.0 - upper) ** n)) > alpha,
        detail={
            "ci_level": 1.0 - alpha,
            "counts_below_equal": (below, equal),
            "quantile_level": p,
            "document_n": m,
            "our_quantile": float(np.quantile(x, p)),
            "region_of": "F(v) >= lower and F(v-) <= upper",
        },
    )


def mean_matches(values: Any, reported: float, *, m: int, sd: float | None = None, alpha: float = 0.05) -> Evidence:
    """Claim "the document's mean of m values, ``reported``, is plausible under our distribution".

    With the document's sd: the region is reported +- t(m - 1, 1 - alpha / 2) sd / sqrt(m) (its
    own t half-width, a fixed number from the document), decided by ``means.mean_equals_p`` where
    the corrected t is calibrated, else inconclusive with ``NO_CALIBRATED_RULE``. Without it the
    region is |mu - reported| <= c sigma (c = t(m - 1, 1 - alpha / 2) / sqrt(m), sigma our
    distribution's sd, a parameter): no rule tested here decides that on skewed data (the
    delta-method test of (mean - v) / sd errs 0.033 on lognormal(0, 0.5) and 0.07 on
    lognormal(0, 1) data at n = 2000, tests/test_stats_documents.py), so it is inconclusive
    with ``NO_CALIBRATED_RULE``, reporting the standardized distance and the region.
    """
    alpha = _check_alpha(alpha)
    x = _check_values(values, "values", min_n=2)
    reported = _check_finite(reported, "reported")
    m = _check_document_n(m)
    if m < 2:
        raise ValueError("a mean's sampling error needs m >= 2")
    capture.record("mean_matches", {"values": x}, {"reported": reported, "m": m, "sd": sd, "alpha": alpha})
    c = float(stats.t.ppf(1.0 - alpha / 2.0, m - 1)) / math.sqrt(m)
    if sd is None:
        return _uncalibrated_evidence(
            estimate=(float(np.mean(x)) - reported) / float(np.std(x, ddof=1)),
            n=int(x.size),
            rule="mean_matches",
            test=f"(mean - v) / sd within +-{c:.4g}: the document gives no sd (claim: its mean {reported:g})",
            alpha=alpha,
            region=(-c, c),
            where="a standardized mean of skewed data (the document reports no sd)",
        )
    margin = c * _check_finite(sd, "sd")
    lo, hi = reported - margin, reported + margin
    test = f"skewness-corrected t TOST, region from the document's sd (claim: mean = {reported:g} +- {margin:.4g})"
    if _no_spread(x):
        return _no_spread_evidence(x, rule="mean_matches", test=test, alpha=alpha, region=(lo, hi))
    p_confirm, p_refute, decidable = (float(v) for v in means.mean_equals_p(x, lo, hi))
    if not decidable:
        return means.uncalibrated_mean(x, rule="mean_matches", test=test, alpha=alpha, region=(lo, hi))
    return Evidence(
        verdict=_verdict_from_p(p_confirm, p_refute, alpha),
        estimate=float(np.mean(x)),
        ci=means.mean_interval(x, alpha),
        p_value=p_refute,
        effect_size=None,
        n=int(x.size),
        alpha=alpha,
        test=test,
        rule="mean_matches",
        p_confirm=p_confirm,
        claimed_region=(lo, hi),
        detail={"ci_level": 1.0 - alpha, "document_n": m, "document_sd": sd},
    )


def sd_region(reported: float, m: int, alpha: float) -> tuple[float, float]:
    """The chi-square 1 - alpha interval of sigma given the document's sd ``reported`` of m values: the
    sigmas under which its sd is plausible, read with normal data on the document's side (it reports
    no more than s and m)."""
    lo = reported * math.sqrt((m - 1) / stats.chi2.ppf(1.0 - alpha / 2.0, m - 1))
    hi = reported * math.sqrt((m - 1) / stats.chi2.ppf(alpha / 2.0, m - 1))
    return float(lo), float(hi)


def sd_matches(values: Any, reported: float, *, m: int, alpha: float = 0.05) -> Evidence:
    """Claim "the document's sd of m values, ``reported``, is plausible under our distribution".

    The claimed region is ``sd_region`` (the chi-square interval of sigma from the document's s and
    m: normal data on the document's side, the only reading its two numbers allow). No rule tested
    here decides whether our sigma lies in it at the claims' n and shape (skewed epoch counts):
    the BCa bootstrap of the sd erred 0.128 at N = 50 (issue 20), the chi-square interval assumes
    normal data, and the kurtosis-aware log-variance z test (Bonett 2006) errs 0.05-0.12 on
    gamma, lognormal and t(5) data at N = 50-1000 (docs/stats-calibration.md). The evidence is
    therefore inconclusive with ``NO_CALIBRATED_RULE``; it reports our sd as the estimate and the
    region, so a reader sees how far apart they are.
    """
    alpha = _check_alpha(alpha)
    x = _check_values(values, "values", min_n=2)
    reported = _check_finite(reported, "reported")
    m = _check_document_n(m)
    if m < 2 or reported <= 0.0:
        raise ValueError(f"a standard deviation needs m >= 2 and reported > 0, got m={m}, reported={reported!r}")
    capture.record("sd_matches", {"values": x}, {"reported": reported, "m": m, "alpha": alpha})
    ev = _uncalibrated_evidence(
        estimate=float(np.std(x, ddof=1)),
        n=int(x.size),
        rule="sd_matches",
        test=f"sd against the chi-square region of the document's sd {reported:g} of {m} values",
        alpha=alpha,
        region=sd_region(reported, m, alpha),
        where=f"no sd rule calibrated at n = {x.size}",
    )
    return replace(ev, detail={**ev.detail, "document_n": m})
