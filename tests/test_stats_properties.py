"""Properties every verdict rule of ``harness.evidence.rules`` keeps (issue 10 items 3, 6, 8;
issue 11 item 8): no claim is confirmed in both directions, every verdict agrees with its own
p-values, ties / atoms / float rounding never decide a verdict, the MDE solvers are correct for
every n, every rule records its name, and the recorder's rule and Holm-family contract.
"""

from __future__ import annotations

import gc
import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.power import NormalIndPower, TTestPower

from harness.evidence import rules as S
from harness.evidence.claims import TEST_KINDS, Claim, Protocol, check_evidence
from harness.evidence.rules import core
from harness.evidence.verdicts import Evidence, Verdict

C, R, I = Verdict.CONFIRMED, Verdict.REFUTED, Verdict.INCONCLUSIVE
ALPHAS = st.sampled_from([0.01, 0.05, 0.1, 0.2])


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _trimmed(x, axis=-1):
    return stats.trim_mean(x, 0.1, axis=axis)


# Samples with atoms: a few distinct values (capped epoch counts, accuracies of 1.0), some
# separated by float rounding only.
ATOMS = st.sampled_from([20.0, 25.0, 38.0, 38.0 + 1e-13, 0.96, 1.0, 1.0 - 1e-12, 3.5])
atom_samples = st.lists(ATOMS, min_size=2, max_size=30)
real_samples = st.lists(st.floats(0.01, 100.0, allow_nan=False), min_size=2, max_size=30)
samples = st.one_of(atom_samples, real_samples)
arm_samples = st.one_of(  # arms of 40-60 values: Brunner-Munzel decides from 40 per arm
    st.lists(ATOMS, min_size=40, max_size=60),
    st.lists(st.floats(0.01, 100.0, allow_nan=False), min_size=40, max_size=60),
)
thresholds = st.one_of(ATOMS, st.floats(0.01, 100.0))
STATISTICS = [np.mean, np.median, S.Quantile(0.8), S.SD, S.QuantileRange(0.1, 0.9)]
STAT_IDS = ["mean", "median", "q80", "sd", "range"]


def _opposite_metrics(x, threshold, statistic, alpha):
    kw = {"statistic": statistic, "alpha": alpha}
    return S.metric_exceeds(x, threshold, **kw), S.metric_below(x, threshold, **kw)


# --------------------------------------------------------------------------------------------
# Never confirmed in both directions; verdicts agree with their p-values
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("statistic", STATISTICS, ids=STAT_IDS)
@settings(deadline=None, max_examples=60)
@given(x=samples, threshold=thresholds, alpha=ALPHAS)
def test_metric_never_confirmed_both_above_and_below(statistic, x, threshold, alpha):
    up, down = _opposite_metrics(x, threshold, statistic, alpha)
    assert not (up.verdict is C and down.verdict is C)


@settings(deadline=None, max_examples=60)
@given(x=atom_samples, y=atom_samples, alpha=ALPHAS)
def test_medians_differ_never_confirmed_in_both_directions(x, y, alpha):
    g = S.medians_differ(x, y, direction="greater", alpha=alpha)
    l = S.medians_differ(x, y, direction="less", alpha=alpha)
    assert not (g.verdict is C and l.verdict is C)


@settings(deadline=None, max_examples=60)
@given(x=arm_samples, y=arm_samples, alpha=ALPHAS)
def test_distributions_differ_never_confirmed_in_both_directions(x, y, alpha):
    g = S.distributions_differ(x, y, direction="greater", alpha=alpha)
    l = S.distributions_differ(x, y, direction="less", alpha=alpha)
    assert not (g.verdict is C and l.verdict is C)


def _assert_verdict_matches_p(e: Evidence) -> None:
    p_confirm = e.p_confirm
    assert (e.verdict is C) == (p_confirm <= e.alpha)
    assert (e.verdict is R) == (p_confirm > e.alpha and e.p_value <= e.alpha)
    assert not (p_confirm <= e.alpha and e.p_value <= e.alpha)  # the two tests never both fire


@pytest.mark.parametrize("statistic", STATISTICS, ids=STAT_IDS)
@settings(deadline=None, max_examples=60)
@given(x=samples, threshold=thresholds, alpha=ALPHAS)
def test_metric_verdicts_agree_with_their_p_values(statistic, x, threshold, alpha):
    for e in _opposite_metrics(x, threshold, statistic, alpha):
        _assert_verdict_matches_p(e)


@settings(deadline=None, max_examples=60)
@given(x=samples, y=samples, alpha=ALPHAS, direction=st.sampled_from(["greater", "less"]))
def test_two_sample_verdicts_agree_with_their_p_values(x, y, alpha, direction):
    _assert_verdict_matches_p(S.medians_differ(x, y, direction=direction, alpha=alpha))


@settings(deadline=None, max_examples=60)
@given(x=arm_samples, y=arm_samples, alpha=ALPHAS, direction=st.sampled_from(["greater", "less"]))
def test_distributions_differ_verdicts_agree_with_their_p_values(x, y, alpha, direction):
    _assert_verdict_matches_p(S.distributions_differ(x, y, direction=direction, alpha=alpha))


@settings(deadline=None, max_examples=40)
@given(x=samples, claimed=thresholds, margin=st.floats(0.01, 10.0), alpha=ALPHAS)
def test_mean_equals_verdict_agrees_with_its_p_values(x, claimed, margin, alpha):
    _assert_verdict_matches_p(S.mean_equals(x, claimed, margin=margin, alpha=alpha))


@settings(deadline=None, max_examples=60)
@given(n=st.integers(1, 500), failures=st.integers(0, 3), tol=st.one_of(st.none(), st.floats(0.001, 0.5)), alpha=ALPHAS)
def test_always_verdict_agrees_with_its_p_values_and_never_confirms_a_counter_example(n, failures, tol, alpha):
    k = max(n - failures, 0)
    e = S.always(k, n, alpha=alpha, tolerance=tol)
    _assert_verdict_matches_p(e)
    assert e.verdict is not C or (k == n and tol is not None)


@settings(deadline=None, max_examples=60)
@given(x=samples, threshold=thresholds, alpha=ALPHAS)
def test_bca_metric_never_confirmed_both_ways_and_agrees_with_p(x, threshold, alpha):
    kw = {"statistic": _trimmed, "alpha": alpha, "n_resamples": 199}
    up = S.metric_exceeds(x, threshold, rng=_rng(1), **kw)
    down = S.metric_below(x, threshold, rng=_rng(1), **kw)
    assert not (up.verdict is C and down.verdict is C)
    for e in (up, down):
        _assert_verdict_matches_p(e)


# --------------------------------------------------------------------------------------------
# The issue's cases
# --------------------------------------------------------------------------------------------


def test_tied_medians_are_confirmed_in_neither_direction():
    x, y = [38.0] * 9 + [20.0], [38.0] * 9 + [25.0]
    verdicts = {S.medians_differ(x, y, direction=d).verdict for d in ("greater", "less")}
    assert C not in verdicts


def test_nine_ones_and_one_lower_is_not_refuted_with_a_large_p():
    e = S.metric_exceeds([1.0] * 9 + [0.9], 1.0)
    assert e.verdict is not R and e.p_value > 0.05


def test_float_rounding_does_not_decide_a_verdict():
    values = [0.96] * 10
    assert np.mean(values) != 0.96  # 0.9600000000000002: the rounding the rule must ignore
    for rule in (S.metric_exceeds, S.metric_below):
        for statistic in (np.mean, np.median):
            assert rule(values, 0.96, statistic=statistic).verdict is not C


def test_quantile_rule_counts_values_at_the_threshold_against_both_claims():
    x = [5.0] * 8 + [1.0, 9.0]  # capped counts: an atom at 5
    assert S.metric_exceeds(x, 5.0, statistic=np.median).verdict is R
    assert S.metric_below(x, 5.0, statistic=np.median).verdict is R


def test_distributions_differ_decides_on_p_half_not_on_equal_distributions():
    # Equal medians, P(X > Y) = 1/2, very unequal spreads: Mann-Whitney's F = G null is false,
    # but the claim "x tends to be larger" is not supported: never confirmed.
    x = np.concatenate([np.linspace(-10, -1, 50), np.linspace(1, 10, 50)])
    y = np.linspace(-0.5, 0.5, 100)
    e = S.distributions_differ(x, y, direction="greater")
    assert e.verdict is I and abs(e.estimate - 0.5) < 1e-12


# --------------------------------------------------------------------------------------------
# MDE solvers for every n (issue 11 item 8) and the confirm side (issue 10 item 6)
# --------------------------------------------------------------------------------------------


@settings(deadline=None, max_examples=150)
@given(n=st.integers(2, 3000), alpha=st.sampled_from([0.01, 0.05, 0.1]))
def test_t_effect_is_a_positive_float_with_80_percent_power_for_every_n(n, alpha):
    d = core._t_effect(n, alpha)
    assert type(d) is float and math.isfinite(d) and d > 0.0
    power = TTestPower().power(effect_size=d, nobs=n, alpha=alpha / 2, alternative="larger")
    assert power == pytest.approx(0.8, abs=1e-8)


@settings(deadline=None, max_examples=100)
@given(n=st.integers(2, 3000), ratio=st.sampled_from([0.0, 0.5, 1.0, 2.0]))
def test_z_effect_is_a_positive_float_with_80_percent_power_for_every_n(n, ratio):
    e = core._z_effect(float(n), ratio, 0.05)
    assert type(e) is float and math.isfinite(e) and e > 0.0
    power = NormalIndPower().power(effect_size=e, nobs1=n, alpha=0.025, ratio=ratio, alternative="larger")
    assert power == pytest.approx(0.8, abs=1e-8)


@pytest.mark.parametrize("n", [10, 11, 987, 1007, 3000])
def test_mean_equals_mde_is_positive_at_the_n_that_broke_it(n):
    x = np.linspace(-1.0, 1.0, n)  # symmetric: inside the corrected t's calibrated domain from n = 10
    e = S.mean_equals(x, 0.0, margin=0.5)
    assert isinstance(e.mde, float) and e.mde > 0.0


@pytest.mark.parametrize("n", [2, 3, 9])
def test_mean_equals_below_ten_values_is_undecided_with_the_reason(n):
    e = S.mean_equals(np.linspace(-1.0, 1.0, n), 0.0, margin=0.5)
    assert e.verdict is I and e.detail["reason"] == S.NO_CALIBRATED_RULE and e.cannot_confirm


@settings(deadline=None, max_examples=60)
@given(n=st.integers(1, 2000), claimed=st.floats(0.05, 0.95))
def test_rate_mdes_are_positive_or_absent_and_flag_unconfirmable_claims(n, claimed):
    e = S.rate_at_least(n // 2, n, claimed)
    assert e.mde is None or 0.0 < e.mde <= claimed
    assert (e.mde_confirm is None) == e.cannot_confirm
    assert e.mde_confirm is None or 0.0 < e.mde_confirm <= 1.0 - claimed
    assert e.cannot_confirm == (claimed**n > 0.025)  # even n of n cannot confirm


def test_cannot_confirm_flags_the_issue_examples():
    folds = 0.9666 + 0.008 * np.linspace(-1.5, 1.5, 10)  # 10 fold R² with sd > 0.007
    assert S.mean_equals(folds, 0.9666, margin=0.005).cannot_confirm
    assert S.rate_equals(50, 100, 0.5, margin=0.05).cannot_confirm  # "within 5%" at n = 100
    assert S.always(100, 100).cannot_confirm  # no tolerance: 100% cannot be confirmed
    assert not S.mean_equals(folds, 0.9666, margin=0.05).cannot_confirm


@pytest.mark.parametrize("n", [5, 10, 50])
def test_quantile_rule_cannot_confirm_when_n_cannot_bound_the_quantile(n):
    x = np.arange(float(n))
    e = S.metric_below(x, 1e6, statistic=S.Quantile(0.975))
    assert e.cannot_confirm == (core._upper_cut(n, 0.975, 0.025) is None)
    assert e.cannot_confirm == (e.ci[1] == math.inf)


# --------------------------------------------------------------------------------------------
# Rule names and the recorder's contract (issue 10 item 8)
# --------------------------------------------------------------------------------------------


def test_every_rule_kind_names_registered_rules():
    assert set().union(*S.KINDS.values()) <= set(S.REGISTRY)
    assert set(S.REGISTRY) <= TEST_KINDS
    assert TEST_KINDS == frozenset(S.KINDS)


def test_registry_entries_are_the_public_rules_by_name():
    for name, rule in S.REGISTRY.items():
        assert rule.name == name
        assert getattr(S, name) is rule.function
        assert name in S.__all__


def test_registry_rejects_an_unknown_plan_basis():
    with pytest.raises(ValueError, match="plan must be one of"):
        S.Rule(S.always, "a rule", plan="sometimes")


def test_a_rule_needs_a_summary_and_freezes_what_else_it_decides():
    """A rule without a one-line summary is rejected; ``also_decides`` is copied read-only when the
    rule is made, so a later change to the caller's dict cannot change which rules decide a claim kind."""
    with pytest.raises(ValueError, match="'always' needs a one-line summary"):
        S.Rule(S.always, "  ")
    kinds = {"mean_equals": "why"}
    rule = S.Rule(S.always, "a rule", also_decides=kinds)
    kinds["other"] = "later"
    assert dict(rule.also_decides) == {"mean_equals": "why"}
    with pytest.raises(TypeError):
        rule.also_decides["other"] = "later"  # type: ignore[index]


def test_claim_kinds_are_each_rules_own_and_those_it_also_decides():
    """``KINDS`` as ``registry._kinds`` builds it from the registry (called here: mutation testing
    changes code only after import, when ``KINDS`` is built): every rule decides its own kind,
    ``always`` also decides mean_equals (a sample without spread), ``exact_value`` also self_consistency."""
    from harness.evidence.rules import registry

    kinds = registry._kinds()
    assert kinds == dict(S.KINDS) and list(kinds) == sorted(kinds)
    assert kinds["mean_equals"] == {"mean_equals", "always"}
    assert kinds["self_consistency"] == {"exact_value"}
    assert all(kinds[name] == {name} for name in S.REGISTRY if name != "mean_equals")


RULE_CALLS = {
    "always": lambda: S.always(5, 5),
    "distributions_differ": lambda: S.distributions_differ([1.0, 2.0, 3.0], [2.0, 3.0, 4.0], direction="less"),
    "exact_value": lambda: S.exact_value(1.0, 1.0),
    "not_testable": lambda: S.not_testable("a cited result on another paper's data"),
    "mean_equals": lambda: S.mean_equals([1.0, 2.0, 3.0], 2.0, margin=1.0),
    "medians_differ": lambda: S.medians_differ([1.0, 2.0, 3.0], [2.0, 3.0, 4.0], direction="less"),
    "metric_below": lambda: S.metric_below([1.0, 2.0, 3.0], 2.0),
    "metric_exceeds": lambda: S.metric_exceeds([1.0, 2.0, 3.0], 2.0, statistic=np.median),
    "monotone_trend": lambda: S.monotone_trend([1, 2], [5, 5], direction="increasing"),
    "monotone_steps": lambda: S.monotone_steps([1, 2, 4], [5, 5, 5], direction="increasing"),
    "median_in": lambda: S.median_in([1.0, 2.0, 3.0], (1.5, 2.5)),
    "median_ratio_in": lambda: S.median_ratio_in([2.0, 4.0, 6.0], [1.0, 2.0, 3.0], (1.5, 2.5)),
    "range_ratio_in": lambda: S.range_ratio_in(
        np.arange(1.0, 201.0), np.arange(1.0, 201.0) / 2, (1.5, 2.5), m_x=5, m_y=5, rng=np.random.default_rng(0)
    ),
    "rate_at_least": lambda: S.rate_at_least(3, 5, 0.5),
    "rate_at_most": lambda: S.rate_at_most(3, 5, 0.5),
    "rate_equals": lambda: S.rate_equals(3, 5, 0.5, margin=0.1),
    "rates_differ": lambda: S.rates_differ(3, 5, 2, 5, direction="greater"),
    "variance_ratio_equals": lambda: S.variance_ratio_equals(
        np.arange(10.0), np.sqrt(np.arange(10.0)), region=(0.5, 2.0)
    ),
    "quantile_matches": lambda: S.quantile_matches([1.0, 2.0, 3.0], 2.0, p=0.5, m=10),
    "mean_matches": lambda: S.mean_matches([1.0, 2.0, 3.0], 2.0, m=10, sd=1.0),
    "sd_matches": lambda: S.sd_matches([1.0, 2.0, 3.0], 1.0, m=10),
    "cv_by_units": lambda: S.cv_by_units(
        np.array([[1.0, 2.0], [1.0, 3.0], [1.0, 5.0], [1.0, 4.0]]),
        lambda s: s[..., 1] / s[..., 0],
        region=(0.0, 10.0),
        n_splits=2,
    ),
}


@pytest.mark.parametrize("name", sorted(S.REGISTRY))
def test_every_rule_records_its_own_name(name):
    assert RULE_CALLS[name]().rule == name


@pytest.mark.parametrize("name", sorted(S.REGISTRY))
def test_holm_keeps_the_rule_name(name):
    e = RULE_CALLS[name]()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(gc, "collect", lambda *a, **k: 0)
        assert S.holm([e], alpha=0.05, family="f")[0].rule == name


class _P(Protocol):
    pass


def _claim(test: str, family: str | None = None) -> Claim:
    return Claim(
        id="002.toy.claim",
        source="002_12f8b00312862f98.txt",
        statement="toy",
        reported={},
        protocol=_P(),
        test=test,
        alpha=0.05,
        n=5,
        family=family,
    )


def test_contract_accepts_evidence_of_the_named_rule():
    check_evidence(_claim("rate_at_least"), S.rate_at_least(3, 5, 0.5))
    check_evidence(_claim("self_consistency"), S.exact_value(1.0, 1.0))


@pytest.mark.parametrize(
    "evidence",
    [
        S.rate_at_most(3, 5, 0.5),
        Evidence(Verdict.CONFIRMED, 0.6, None, 0.5, None, 5, 0.05, "hand-made"),
    ],
    ids=["other-rule", "no-rule"],
)
def test_contract_rejects_evidence_of_another_rule(evidence):
    with pytest.raises(ValueError, match="declares test='rate_at_least'"):
        check_evidence(_claim("rate_at_least"), evidence)


def test_contract_requires_holm_within_the_declared_family():
    raw = S.rate_at_least(3, 5, 0.5)
    with pytest.raises(ValueError, match="was not Holm-adjusted"):
        check_evidence(_claim("rate_at_least", family="002.fam"), raw)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(gc, "collect", lambda *a, **k: 0)
        other = S.holm([raw], alpha=0.05, family="002.other")[0]
        right = S.holm([raw], alpha=0.05, family="002.fam")[0]
    with pytest.raises(ValueError, match="Holm-adjusted in family '002.other'"):
        check_evidence(_claim("rate_at_least", family="002.fam"), other)
    unnamed = replace(right, detail={**right.detail, "holm_family": None})  # adjusted in no named family
    with pytest.raises(ValueError, match="Holm-adjusted in family None"):
        check_evidence(_claim("rate_at_least", family="002.fam"), unnamed)
    check_evidence(_claim("rate_at_least", family="002.fam"), right)


def test_contract_lets_deterministic_evidence_of_a_family_through():
    check_evidence(_claim("exact_value", family="002.fam"), S.exact_value(1.0, 1.0))


def test_holm_records_family_name_and_sizes():
    family = [S.rate_at_least(3, 5, 0.5), S.rate_at_least(4, 5, 0.5)]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(gc, "collect", lambda *a, **k: 0)
        out = S.holm(family, alpha=0.05, family="002.fam")
    assert [e.detail["holm_family"] for e in out] == ["002.fam", "002.fam"]
    assert out[0].detail["holm_m"] == {"refute": 2, "confirm": 2}
