"""``stats.variance_ratio_equals`` (paired HC3 Pitman-Morgan): contract, bad input, agreement with
reference implementations, and its one-sided error rates at the claim's sample sizes.

Calibration follows ``tests/test_stats_calibration.py``: the true ratio sits on an edge of the
claimed region [0.95, 0.97] (source 003's "3-5% reduction in final loss variance"), where both
one-sided errors are largest; each one-sided error (refuted as below lo, refuted as above hi,
confirmed) must stay at most alpha / 2 (a case fails when the 99% Clopper-Pearson lower bound of
the observed rate exceeds alpha / 2).
The data imitate the claim's: final losses of two ablation rows trained on the same data seeds,
so a shared data component (normal) plus each row's own skewed, non-negative optimisation excess
(gamma, or lognormal for heavy tails). The verdict depends on the two edge tests only
(``two_sample._variance_ratio_p``), so the simulation calls that; a separate test checks the public
rule reaches the same verdict from them.
"""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from harness.evidence import rules as S
from harness.evidence.rules import core, two_sample
from harness.evidence.verdicts import Verdict

ALPHA = 0.05
REGION = (0.95, 0.97)
R_QUICK, R_FULL = 1000, 4000
MC_CONFIDENCE = 0.99


def paired_losses(rng: np.random.Generator, r: int, n: int, ratio: float, excess: str) -> tuple[np.ndarray, np.ndarray]:
    """R paired samples (R, N) with Var x / Var y = ``ratio`` exactly: x = c (D + Jx), y = D + Jy,
    D ~ N(0, 1) shared, Jx, Jy i.i.d. excess with variance 1 (gamma(2) or lognormal(0, 1), standardised)."""
    d = rng.normal(0.0, 1.0, (r, n))
    if excess == "gamma":
        jx, jy = rng.gamma(2.0, 1.0 / math.sqrt(2.0), (2, r, n))
    else:
        scale = math.sqrt((math.e - 1.0) * math.e)  # sd of lognormal(0, 1)
        jx, jy = rng.lognormal(0.0, 1.0, (2, r, n)) / scale
    return math.sqrt(ratio) * (d + jx), d + jy


def _rng(*parts: object) -> np.random.Generator:
    return np.random.default_rng([zlib.crc32(str(p).encode()) for p in parts])


def _errors(n: int, ratio: float, excess: str, r: int) -> dict[str, int]:
    """Counts of each one-sided error over ``r`` simulated data sets with the true ratio on an edge:
    refuted as below lo, refuted as above hi, confirmed (all errors there: the truth is on the edge)."""
    xs, ys = paired_losses(_rng("variance_ratio", n, ratio, excess, r), r, n, ratio, excess)
    dist = stats.t(df=n - 2)
    counts = {"refuted below lo": 0, "refuted above hi": 0, "confirmed": 0}
    for x, y in zip(xs, ys, strict=True):
        p_confirm, p_refute, t_lo, t_hi = two_sample._variance_ratio_p(x, y, *REGION)
        verdict = core._verdict_from_p(p_confirm, p_refute, ALPHA) if _calibrated(x, y) else Verdict.INCONCLUSIVE
        counts["refuted below lo"] += verdict is Verdict.REFUTED and dist.cdf(t_lo) <= ALPHA / 2
        counts["refuted above hi"] += verdict is Verdict.REFUTED and dist.sf(t_hi) <= ALPHA / 2
        counts["confirmed"] += verdict is Verdict.CONFIRMED
    return counts


def _calibrated(x: np.ndarray, y: np.ndarray) -> bool:
    """The rule's domain (``variance_ratio_equals``): enough pairs, excess kurtosis of x and y within the limit."""
    kurtosis = max(stats.kurtosis(x), stats.kurtosis(y))
    return x.size >= two_sample.VARIANCE_RATIO_MIN_N and kurtosis <= two_sample.VARIANCE_RATIO_MAX_KURTOSIS


def _lower(k: int, r: int) -> float:
    return stats.binomtest(k, r, alternative="greater").proportion_ci(MC_CONFIDENCE).low


def _check(n: int, ratio: float, excess: str, r: int) -> None:
    for error, k in _errors(n, ratio, excess, r).items():
        assert _lower(k, r) <= ALPHA / 2, f"n={n} ratio={ratio} {excess}: {error} {k}/{r} (99% lower bound > alpha/2)"


# The claim runs in the full tier only, at n = 5000: one case in the default run, both edges and heavy
# tails with --claims-tier full. Known limit, measured at n = 200 with R = 4000: 126 / 4000 = 0.0315
# one-sided errors (gamma, refuted above hi at the hi edge; lognormal, refuted below lo at the lo
# edge) against alpha / 2 = 0.025, so the rule is not used at n = 200 (see docs/source-003.md).
QUICK_CASES = [(5000, 0.95, "gamma")]
FULL_CASES = [(5000, 0.95, "gamma"), (5000, 0.97, "gamma"), (5000, 0.95, "lognormal"), (5000, 0.97, "lognormal")]


@pytest.mark.parametrize("n, ratio, excess", QUICK_CASES, ids=[f"n{n}-ratio{r}-{e}" for n, r, e in QUICK_CASES])
def test_one_sided_errors_at_most_half_alpha(n, ratio, excess):
    _check(n, ratio, excess, R_QUICK)


@pytest.mark.full
@pytest.mark.parametrize("n, ratio, excess", FULL_CASES, ids=[f"n{n}-ratio{r}-{e}" for n, r, e in FULL_CASES])
def test_one_sided_errors_at_most_half_alpha_full(n, ratio, excess):
    _check(n, ratio, excess, R_FULL)


def test_refutes_a_ratio_far_outside_the_region_at_the_full_tier_n():
    counts = _errors(5000, 0.80, "gamma", 50)
    assert counts["refuted below lo"] == 50


def test_rule_verdict_is_read_off_the_edge_tests():
    xs, ys = paired_losses(_rng("agree"), 20, 1000, 0.96, "gamma")
    for x, y in zip(xs, ys, strict=True):
        p_confirm, p_refute, _, _ = two_sample._variance_ratio_p(*two_sample._paired_on_one_scale(x, y), *REGION)
        e = S.variance_ratio_equals(x, y, region=REGION, alpha=ALPHA)
        assert e.verdict == core._verdict_from_p(p_confirm, p_refute, ALPHA)
        assert e.p_value == p_refute and e.p_confirm == p_confirm


def test_records_its_name_estimate_and_interval():
    x, y = (v[0] for v in paired_losses(_rng("name"), 1, 1000, 0.9, "gamma"))
    e = S.variance_ratio_equals(x, y, region=REGION)
    assert e.rule == "variance_ratio_equals" and e.n == 1000
    assert math.isclose(e.estimate, np.var(x, ddof=1) / np.var(y, ddof=1), rel_tol=1e-12)
    assert e.ci[0] < e.estimate < e.ci[1]


@settings(deadline=None, max_examples=40)
@given(seed=st.integers(0, 2**32 - 1), ratio=st.floats(0.5, 2.0), n=st.integers(1000, 1400))
def test_verdict_is_dual_to_the_interval(seed, ratio, n):
    x, y = (v[0] for v in paired_losses(np.random.default_rng(seed), 1, n, ratio, "gamma"))
    e = S.variance_ratio_equals(x, y, region=REGION)
    if e.ci is None:  # outside the rule's calibrated domain (a heavy-tailed draw): no interval, undecided
        assert e.verdict is Verdict.INCONCLUSIVE
        return
    inside = REGION[0] < e.ci[0] and e.ci[1] < REGION[1]
    outside = e.ci[1] <= REGION[0] or e.ci[0] >= REGION[1]
    assert (e.verdict is Verdict.CONFIRMED) == inside
    assert (e.verdict is Verdict.REFUTED) == outside


@settings(deadline=None, max_examples=25)
@given(seed=st.integers(0, 2**32 - 1), scale=st.floats(1e-3, 1e3), shift=st.floats(-10.0, 10.0))
def test_invariant_to_a_common_affine_change_of_units(seed, scale, shift):
    x, y = (v[0] for v in paired_losses(np.random.default_rng(seed), 1, 1000, 0.9, "gamma"))
    a = S.variance_ratio_equals(x, y, region=(0.8, 1.0))
    b = S.variance_ratio_equals(scale * x + shift, scale * y + shift, region=(0.8, 1.0))
    assert a.verdict == b.verdict
    assert math.isclose(a.estimate, b.estimate, rel_tol=1e-6)
    assert a.p_value == pytest.approx(b.p_value, rel=1e-5, abs=1e-12)


def test_swapping_the_samples_inverts_the_region():
    x, y = (v[0] for v in paired_losses(_rng("swap"), 1, 1000, 0.9, "gamma"))
    a = S.variance_ratio_equals(x, y, region=(0.8, 1.0))
    b = S.variance_ratio_equals(y, x, region=(1.0, 1 / 0.8))
    assert a.verdict == b.verdict
    assert a.ci[0] == pytest.approx(1 / b.ci[1], rel=1e-6) and a.ci[1] == pytest.approx(1 / b.ci[0], rel=1e-6)


@pytest.mark.parametrize("target, step", [(-2.0, 1.02), (2.0, 1 / 1.02)], ids=["upwards", "downwards"])
def test_pitman_morgan_bound_walks_out_to_a_root_several_steps_away(target, step):
    """An interval end is bracketed by walking from the sample ratio in factors of ``step`` until the
    HC3 t crosses the target, then solved: with a small step the root lies several steps out, and
    the t statistic at the returned ratio is the target."""
    rng = np.random.default_rng(zlib.crc32(b"pitman-morgan-bound"))
    x = rng.normal(size=1000)
    y = 0.6 * x + 0.8 * rng.normal(size=1000)
    start = float(np.var(x, ddof=1) / np.var(y, ddof=1))
    r = two_sample._pitman_morgan_bound(x, y, start, target, step)
    assert math.log(r / start) / math.log(step) > 3.0  # more than three steps out, the way it walks
    assert two_sample._pitman_morgan_t(x, y, r) == pytest.approx(target, abs=1e-6)


@pytest.mark.parametrize("reaches, cannot", [(1.9, True), (2.1, False)])
def test_variance_ratio_can_confirm_a_region_at_least_twice_its_reach_wide(reaches, cannot):
    """mde_confirm is the reach (q + z(0.8)) se, the mde, when the region is at least two reaches
    wide (the estimate can sit a reach inside both edges), else None with ``cannot_confirm``."""
    rng = _rng("reach")
    x = rng.normal(size=1000)
    y = 0.6 * x + 0.8 * rng.normal(size=1000)
    probe = S.variance_ratio_equals(x, y, region=(0.5, 2.0))
    estimate, reach = probe.estimate, probe.mde
    region = (estimate - reaches * reach / 2.0, estimate + reaches * reach / 2.0)
    ev = S.variance_ratio_equals(x, y, region=region)
    assert ev.cannot_confirm is cannot and ev.mde_confirm == (None if cannot else reach)


def test_agrees_with_classical_pitman_morgan_on_normal_data():
    """Under bivariate normality the HC3 test and Pitman-Morgan's exact test (Pearson's r of
    x + y and x - y, scipy.stats.pearsonr) give nearly the same p-value at ratio 1."""
    rng = _rng("pm")
    d = rng.normal(size=2000)
    x, y = d + rng.normal(0, 0.6, 2000), d + rng.normal(0, 0.5, 2000)
    t = two_sample._pitman_morgan_t(x, y, 1.0)
    p_hc3 = 2 * stats.t(df=1998).sf(abs(t))
    p_exact = stats.pearsonr(x + y, x - y).pvalue
    assert p_hc3 == pytest.approx(p_exact, rel=0.25)


def test_interval_agrees_with_a_paired_bca_bootstrap():
    """The inverted HC3 interval and scipy's paired BCa bootstrap interval of Var x / Var y nearly coincide at n = 5000."""
    xs, ys = paired_losses(_rng("boot"), 1, 5000, 0.96, "gamma")
    x, y = xs[0], ys[0]
    e = S.variance_ratio_equals(x, y, region=REGION)
    boot = stats.bootstrap(
        (x, y),
        lambda a, b, axis=-1: np.var(a, ddof=1, axis=axis) / np.var(b, ddof=1, axis=axis),
        paired=True,
        vectorized=True,
        n_resamples=999,
        method="BCa",
        confidence_level=1 - ALPHA,
        random_state=np.random.default_rng(0),
    )
    width = e.ci[1] - e.ci[0]
    assert abs(boot.confidence_interval.low - e.ci[0]) < 0.1 * width
    assert abs(boot.confidence_interval.high - e.ci[1]) < 0.1 * width


def test_one_sided_region_and_power_fields():
    x, y = (v[0] for v in paired_losses(_rng("power"), 1, 5000, 0.8, "gamma"))
    e = S.variance_ratio_equals(x, y, region=(0.5, math.inf))
    assert e.verdict is Verdict.CONFIRMED and e.mde_confirm is not None and not e.cannot_confirm
    narrow = S.variance_ratio_equals(x[:1000], y[:1000], region=REGION)
    assert narrow.cannot_confirm and narrow.mde_confirm is None and narrow.mde > 0


@pytest.mark.parametrize(
    "n, excess, where",
    [(200, "gamma", "n = 200"), (5000, "heavy", "excess kurtosis")],
    ids=["few-pairs", "heavy-tails"],
)
def test_outside_its_calibrated_domain_it_is_undecided_with_the_reason(n, excess, where):
    """Issue 20: lognormal(0, 1) data err 0.044 at n = 5000 and normal data 0.031 at n = 200."""
    rng = _rng("outside", n, excess)
    if excess == "heavy":
        x = rng.lognormal(0.0, 1.0, n)
        y = 0.7 * x + rng.lognormal(0.0, 1.0, n)
    else:
        x, y = (v[0] for v in paired_losses(rng, 1, n, 0.96, excess))
    e = S.variance_ratio_equals(x, y, region=REGION)
    assert e.verdict is Verdict.INCONCLUSIVE and e.detail["reason"] == S.NO_CALIBRATED_RULE
    assert where in e.detail["outside_calibration"]


@pytest.mark.parametrize(
    "x, y, region, match",
    [
        (np.ones(20), np.arange(20.0), REGION, "spread"),
        (np.arange(20.0), np.ones(20), REGION, "spread"),
        (np.arange(20.0), np.arange(21.0), REGION, "one shape"),
        (np.arange(5.0), np.arange(5.0), REGION, "^x needs at least 10"),
        (np.r_[np.arange(19.0), np.nan], np.arange(20.0), REGION, "NaN"),
        (np.arange(20.0), np.arange(20.0), (0.97, 0.95), "0 < lo < hi"),
        (np.arange(20.0), np.arange(20.0), (0.0, 1.0), "0 < lo < hi"),
        (np.arange(20.0), np.arange(20.0), (0.5,), "0 < lo < hi"),
        (np.zeros((4, 5)), np.zeros((4, 5)), REGION, "1-D"),
    ],
    ids=["x-constant", "y-constant", "shapes", "too-few", "nan", "reversed", "zero-lo", "one-edge", "2-d"],
)
def test_bad_input_raises_value_error(x, y, region, match):
    with pytest.raises(ValueError, match=match):
        S.variance_ratio_equals(x, y, region=region)
