"""Tests of ``harness.evidence.rules.documents``: a figure a document computed from m values against
our distribution (issue 20 rows "002 quantile_matches", "002 mean_matches", "002 sd_matches").

The quantile rule is checked exactly (every count enumerated under a trinomial with an atom at the
reported value, the case that was refuted 42% of the time), the mean rule by simulation with
the truth on the region's edge, and the sd rule's "no calibrated rule" outcome directly.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from harness.evidence import rules
from harness.evidence.rules import documents
from harness.evidence.verdicts import Verdict

ALPHA = 0.05


@settings(deadline=None, max_examples=30)
@given(st.floats(0.0, 1.0), st.integers(1, 200))
def test_quantile_region_is_a_probability_interval(p, m):
    lo, hi = documents.quantile_region(p, m, ALPHA)
    assert 0.0 <= lo < hi <= 1.0


def test_quantile_region_covers_the_order_statistic_by_simulation():
    """For continuous data and an integer order h = 1 + p (m - 1) the region is the exact interval of F(v)."""
    u = np.random.default_rng(0).uniform(size=(20000, 101))
    lo, hi = documents.quantile_region(0.25, 101, ALPHA)  # h = 26: the 26th order statistic
    f = np.percentile(u, 25, axis=1)  # F(sample p25) for uniform F
    assert np.mean((f >= lo) & (f <= hi)) == pytest.approx(0.95, abs=0.01)


def test_quantile_matches_confirms_its_own_distribution_and_refutes_a_far_value():
    x = np.random.default_rng(7).exponential(size=5000)
    assert rules.quantile_matches(x, math.log(2), p=0.5, m=100).verdict is Verdict.CONFIRMED
    assert rules.quantile_matches(x, 3.0, p=0.5, m=100).verdict is Verdict.REFUTED


@pytest.mark.parametrize("n, expected", [(1, True), (2, True), (3, False), (200, False)])
def test_quantile_matches_cannot_confirm_when_even_every_value_at_v_would_not(n, expected):
    """The median of m = 11 values (L = 0.234, U = 0.766): the most favourable sample, every value
    equal to v, has p_confirm = 2 max(L^n, (1 - U)^n): 0.47 at n = 1, 0.11 at n = 2, 0.026 at n = 3.
    ``cannot_confirm`` says so, and agrees with that sample's own verdict."""
    lo, hi = documents.quantile_region(0.5, 11, ALPHA)
    atom = rules.quantile_matches(np.full(n, 1.0), 1.0, p=0.5, m=11, alpha=ALPHA)
    assert atom.p_confirm == pytest.approx(min(1.0, 2.0 * max(lo**n, (1.0 - hi) ** n)))
    assert atom.cannot_confirm is expected
    assert (atom.verdict is Verdict.CONFIRMED) is not expected
    spread = rules.quantile_matches(np.linspace(0.0, 2.0, n), 1.0, p=0.5, m=11, alpha=ALPHA)
    assert spread.cannot_confirm is expected


def _trinomial_errors(n: int, below: float, atom: float, reported: float, p: float, m: int) -> dict[Verdict, float]:
    """P(each verdict) of ``quantile_matches`` when #(x < v), #(x = v), #(x > v) are trinomial(n; below,
    atom, 1 - below - atom), every count enumerated (values 0, 1, 2 with v = 1)."""
    out = {v: 0.0 for v in Verdict}
    for b in range(n + 1):
        for e in range(n - b + 1):
            prob = stats.multinomial.pmf([b, e, n - b - e], n, [below, atom, 1.0 - below - atom])
            x = np.array([0.0] * b + [reported] * e + [2.0] * (n - b - e))
            out[rules.quantile_matches(x, reported, p=p, m=m, alpha=ALPHA).verdict] += float(prob)
    return out


@pytest.mark.parametrize("edge", ["F(v) at L", "F(v-) at U"])
def test_an_atom_at_the_reported_value_is_refuted_at_most_half_alpha_exactly(edge):
    """The issue's case: the document's q75 of m values sits on an atom (the epoch cap). With the truth on
    either edge of the region (the claim holds there), refutation is an error; exact enumeration."""
    n, m, p = 30, 30, 0.75
    lower, upper = documents.quantile_region(p, m, ALPHA)
    atom = 0.3 if edge == "F(v) at L" else (1.0 - upper) / 2.0
    below = lower - atom if edge == "F(v) at L" else upper  # F(v) = below + atom, F(v-) = below
    rates = _trinomial_errors(n, below, atom, 1.0, p, m)
    assert rates[Verdict.REFUTED] <= ALPHA / 2 + 1e-12, rates
    assert rates[Verdict.CONFIRMED] <= 1.0  # confirmation is no error here: the claim holds


def test_ties_at_the_reported_value_count_on_both_sides():
    """Half the values on the cap: the document's median is the cap, F(v-) = 0.5 <= U and F(v) = 1 >= L."""
    x = np.array([10.0] * 50 + [200.0] * 50)
    ev = rules.quantile_matches(x, 200.0, p=0.75, m=30)
    assert ev.verdict is not Verdict.REFUTED
    assert ev.detail["counts_below_equal"] == (50, 50)


def test_mean_matches_with_the_documents_sd_uses_its_own_t_half_width():
    x = 100.0 + 20.0 * stats.norm.ppf((np.arange(200) + 0.5) / 200)
    ev = rules.mean_matches(x, 100.0, m=29, sd=54.2)
    margin = stats.t.ppf(0.975, 28) * 54.2 / math.sqrt(29)
    assert ev.claimed_region == pytest.approx((100.0 - margin, 100.0 + margin))
    assert ev.verdict is Verdict.CONFIRMED
    assert rules.mean_matches(x, 160.0, m=29, sd=54.2).verdict is Verdict.REFUTED


def _delta_method_refutes(x: np.ndarray, reported: float, c: float) -> bool:
    """The delta-method test of |(mu - v) / sigma| <= c (Var = (1 - d g + d² (k - 1) / 4) / n at the
    nearer edge): the rule the document-without-sd case would need, kept here to show it is not calibrated."""
    n, d = x.size, (x.mean() - reported) / x.std(ddof=1)
    g, k = stats.skew(x, bias=False), stats.kurtosis(x, fisher=False, bias=False)
    edge = c if d > 0 else -c
    se = math.sqrt(max(1.0 - edge * g + edge**2 * (k - 1.0) / 4.0, 1e-12) / n)
    return abs(d) - c >= stats.norm.isf(ALPHA / 2) * se


def test_without_the_documents_sd_the_delta_method_is_not_calibrated_so_the_rule_is_undecided():
    """Baseline losses (skewed, n = 2000 against the document's m = 100), truth (mu - v) / sigma = -c:
    the delta-method test refutes more than alpha / 2 (0.033 measured with R = 3000), so the rule
    says "no rule calibrated" instead."""
    rng = np.random.default_rng(20)
    n, m, r = 2000, 100, 3000
    c = stats.t.ppf(0.975, m - 1) / math.sqrt(m)
    mu, sigma = math.exp(0.5**2 / 2), math.sqrt((math.exp(0.5**2) - 1) * math.exp(0.5**2))
    reported = mu + c * sigma  # (mu - reported) / sigma = -c: on the edge
    refuted = sum(_delta_method_refutes(rng.lognormal(0, 0.5, n), reported, c) for _ in range(r))
    assert stats.binomtest(refuted, r).proportion_ci(0.99).low > ALPHA / 2 * 0.9, refuted / r
    ev = rules.mean_matches(rng.lognormal(0, 0.5, n), reported, m=m)
    assert ev.verdict is Verdict.INCONCLUSIVE and ev.detail["reason"] == rules.NO_CALIBRATED_RULE


def test_sd_matches_is_undecided_with_the_reason_and_reports_the_region():
    x = np.random.default_rng(1).normal(0, 54.2, size=4000)
    ev = rules.sd_matches(x, 54.2, m=29)
    assert ev.verdict is Verdict.INCONCLUSIVE and ev.detail["reason"] == rules.NO_CALIBRATED_RULE
    assert ev.claimed_region == pytest.approx(documents.sd_region(54.2, 29, ALPHA))
    assert ev.estimate == pytest.approx(float(np.std(x, ddof=1)))


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: rules.quantile_matches([1.0, 2.0], 1.0, p=1.5, m=10), "p must lie in"),
        (lambda: rules.quantile_matches([1.0, 2.0], 1.0, p=0.5, m=0), "sample size m"),
        (lambda: rules.quantile_matches([1.0, 2.0], 1.0, p=0.5, m=True), "sample size m must be a positive integer"),
        (lambda: rules.mean_matches([1.0, 2.0], 1.0, m=1), "m >= 2"),
        (lambda: rules.sd_matches([1.0, 2.0], -1.0, m=10), "reported > 0"),
        (lambda: rules.quantile_matches([1.0, np.nan], 1.0, p=0.5, m=10), "values contains NaN"),
        (lambda: rules.quantile_matches([1.0, 2.0], np.inf, p=0.5, m=10), "reported must be finite"),
        (lambda: rules.sd_matches([1.0], 1.0, m=10), "values needs at least 2 values"),
        (lambda: rules.mean_matches([1.0], 1.0, m=10), "values needs at least 2 values"),
        (lambda: rules.mean_matches([1.0, 2.0], np.inf, m=10), "reported must be finite"),
        (lambda: rules.mean_matches([1.0, 2.0], 1.0, m=10, sd=np.nan), "sd must be finite"),
        (lambda: rules.sd_matches([1.0, 2.0], np.nan, m=10), "reported must be finite"),
        (lambda: rules.sd_matches([1.0, 2.0], 0.0, m=10), "reported > 0"),
        (lambda: rules.sd_matches([1.0, 2.0], 1.0, m=1), "m >= 2"),
    ],
)
def test_bad_input_raises_value_error(call, match):
    """Each bad argument is rejected with a message naming it (the argument's name included)."""
    with pytest.raises(ValueError, match=match):
        call()


def test_mean_matches_reads_a_document_mean_of_two_values():
    """m = 2, the smallest sample with a sampling error, is a valid document: the region is
    +-t(1, 1 - alpha/2) / sqrt(2) (standardized, without the document's sd)."""
    ev = rules.mean_matches([1.0, 2.0, 4.0], 2.0, m=2)
    c = stats.t.ppf(1 - ALPHA / 2, 1) / math.sqrt(2)
    assert ev.claimed_region == pytest.approx((-c, c)) and ev.verdict is Verdict.INCONCLUSIVE


@pytest.mark.parametrize(
    "values, estimate", [(np.full(5, 2.0), 2.0), ([1.0, 2.0, 6.0], 3.0)], ids=["no-spread", "n-below-10"]
)
def test_mean_matches_with_the_documents_sd_is_undecided_where_no_t_interval_is_calibrated(values, estimate):
    """A constant sample (no t interval) or one outside the corrected t's domain (n < 10): inconclusive,
    recorded with the rule, its test, alpha, our mean and the region reported +- t(m - 1, 1 - alpha/2) sd / sqrt(m)."""
    ev = rules.mean_matches(values, 2.5, m=10, sd=1.0, alpha=0.1)
    margin = stats.t.ppf(0.95, 9) / math.sqrt(10)
    assert ev.verdict is Verdict.INCONCLUSIVE and ev.rule == "mean_matches" and ev.alpha == 0.1
    assert ev.estimate == estimate and ev.n == len(values)
    assert ev.claimed_region == pytest.approx((2.5 - margin, 2.5 + margin))
    assert ev.test == f"skewness-corrected t TOST, region from the document's sd (claim: mean = 2.5 +- {margin:.4g})"


def test_sd_matches_reads_a_document_sd_of_two_values():
    """m = 2, the smallest sample with an sd, is a valid document: its wide chi-square region is reported."""
    ev = rules.sd_matches([1.0, 2.0, 4.0], 1.5, m=2)
    assert ev.claimed_region == pytest.approx(documents.sd_region(1.5, 2, ALPHA))
    assert ev.detail["document_n"] == 2 and ev.verdict is Verdict.INCONCLUSIVE


@pytest.mark.parametrize("alpha", [0.5, 0.25, 0.2, 0.125])
def test_quantile_matches_cannot_confirm_only_where_the_best_data_would_not_confirm(alpha):
    """cannot_confirm iff 2 max(L^N, (1 - U)^N) > alpha; at equality (m = N = 1, L = alpha / 2 = 1 - U exactly)
    one value equal to v confirms, as p_confirm <= alpha does."""
    lower, upper = documents.quantile_region(0.5, 1, alpha)
    assert 2 * max(lower, 1.0 - upper) == alpha  # the boundary case, exact in floats
    ev = rules.quantile_matches([3.0], 3.0, p=0.5, m=1, alpha=alpha)
    assert ev.verdict is Verdict.CONFIRMED and not ev.cannot_confirm
