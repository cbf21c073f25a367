"""Sample-size plans (``harness.evidence.planning``): statuses, the exact plan of ``always``, and
the sqrt-n plan checked against the rules' own MDEs at the planned n."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.evidence import rules
from harness.evidence.planning import MAX_PLANNED_N, PowerPlan, power_plan
from harness.evidence.verdicts import Evidence, Verdict


def _normal(n: int, mean: float, sd: float, seed: int = 0) -> np.ndarray:
    """n values with exactly this mean and sample SD (a standardised normal draw), so MDEs compare across n."""
    x = np.random.default_rng(seed).normal(size=n)
    return mean + sd * (x - x.mean()) / x.std(ddof=1)


def test_arithmetic_and_untestable_claims_need_no_n():
    for evidence in (rules.exact_value(2.0, 2.0), rules.not_testable("cited result")):
        plan = power_plan(evidence, n_full=100)
        assert (plan.status, plan.n_needed) == ("not applicable", None)


def test_always_without_tolerance_is_not_feasible_at_any_n():
    plan = power_plan(rules.always(50, 50), n_full=2000)
    assert plan.status == "not feasible" and "without a failure tolerance" in plan.reason


@pytest.mark.parametrize("tolerance", [0.01, 0.05, 0.2])
def test_always_plan_is_the_exact_smallest_n(tolerance):
    n = power_plan(rules.always(50, 50, tolerance=tolerance), n_full=10).n_needed
    clean = rules.always(n, n, tolerance=tolerance)
    assert clean.verdict is Verdict.CONFIRMED  # n clean runs confirm the tolerance
    assert 1.0 - (1.0 - tolerance) ** n >= 0.8  # and reveal a failure rate of `tolerance` 80% of the time
    fewer = rules.always(n - 1, n - 1, tolerance=tolerance)
    assert fewer.verdict is not Verdict.CONFIRMED or 1.0 - (1.0 - tolerance) ** (n - 1) < 0.8


@pytest.mark.parametrize(
    "evidence_at",
    [
        pytest.param(lambda n: rules.rate_at_least(round(0.7 * n), n, 0.58), id="rate_at_least"),
        pytest.param(lambda n: rules.mean_equals(_normal(n, 1.0, 1.0), 1.0, margin=0.3), id="mean_equals"),
        pytest.param(lambda n: rules.metric_exceeds(_normal(n, 2.0, 1.0), 1.5), id="metric_exceeds-t"),
    ],
)
def test_sqrt_n_plan_reaches_the_resolution_with_the_rules_own_mdes(evidence_at):
    """The planned n, run through the real rule, gives MDEs within 10% of the resolution."""
    pilot = evidence_at(30)
    plan = power_plan(pilot, n_full=100_000, resolution=0.1)
    assert plan.status == "powered" and plan.basis.startswith("sqrt-n scaling")
    at_plan = evidence_at(plan.n_needed)
    reached = [m for m in (at_plan.mde, at_plan.mde_confirm) if m is not None]
    assert reached and max(reached) <= 0.1 * 1.1
    assert not at_plan.cannot_confirm


def test_status_follows_the_full_tier_and_the_cap():
    pilot = rules.mean_equals(_normal(30, 1.0, 1.0), 1.0, margin=0.3)
    needed = power_plan(pilot, n_full=1, resolution=0.1).n_needed
    assert power_plan(pilot, n_full=needed, resolution=0.1).status == "powered"
    assert power_plan(pilot, n_full=needed - 1, resolution=0.1).status == "underpowered"
    tiny = power_plan(pilot, n_full=100, resolution=1e-3)
    assert tiny.status == "not feasible" and tiny.n_needed > MAX_PLANNED_N


def test_a_claim_that_fixes_its_n_is_never_asked_to_raise_it():
    pilot = rules.mean_equals(_normal(30, 1.0, 1.0), 1.0, margin=0.3)
    needed = power_plan(pilot, n_full=1, resolution=0.1).n_needed
    short = power_plan(pilot, n_full=needed - 1, resolution=0.1, n_fixed="the document's data set")
    assert short.status == "not feasible" and "fixes n" in short.reason and "the document's data set" in short.reason
    assert power_plan(pilot, n_full=needed, resolution=0.1, n_fixed="the document's data set").status == "powered"


@pytest.mark.parametrize(
    "evidence, resolution, basis",
    [
        pytest.param(rules.rate_at_least(35, 50, 0.58), 0.058, "10% of the claimed boundary", id="rate-at-least"),
        pytest.param(rules.rate_at_most(5, 50, 0.2), 0.02, "10% of the claimed boundary", id="rate-at-most"),
        pytest.param(rules.rate_equals(29, 50, 0.58, margin=0.1), 0.1, "half the claimed interval", id="rate-equals"),
        pytest.param(
            rules.mean_equals(_normal(20, 1.0, 1.0), 1.0, margin=0.3),
            0.3,
            "half the claimed interval",
            id="mean-equals",
        ),
        pytest.param(
            rules.metric_exceeds(_normal(20, 2.0, 1.0), 1.5), 0.15, "10% of the claimed boundary", id="metric-threshold"
        ),
        pytest.param(
            rules.medians_differ(_normal(20, 20.0, 1.0), _normal(20, 30.0, 1.0, seed=1), direction="less"),
            0.1,
            "10% of the claimed boundary",
            id="median-ratio-below-1",
        ),
        pytest.param(
            rules.rates_differ(30, 50, 20, 50, direction="greater"),
            0.02,
            "10% of |estimate| (data-dependent: the claim declares no resolution)",
            id="difference-from-0",
        ),
        pytest.param(
            rules.rate_at_least(18, 18, 0.99),
            0.005,
            "half the distance from the claimed boundary to the end of its range",
            id="rate-near-1",
        ),
    ],
)
def test_default_resolution_comes_from_the_claimed_region(evidence, resolution, basis):
    plan = power_plan(evidence, n_full=2000)
    assert plan.resolution == pytest.approx(resolution) and plan.resolution_basis == basis


def test_a_difference_estimated_at_zero_has_no_default_resolution():
    zero = dataclasses.replace(rules.rates_differ(25, 50, 25, 50, direction="greater"), estimate=0.0)
    plan = power_plan(zero, n_full=2000)
    assert plan.status == "not feasible" and plan.resolution is None
    assert power_plan(zero, n_full=2000, resolution=0.05).n_needed is not None


def test_subset_plans_count_the_runs_drawn():
    pilot = rules.rate_at_least(35, 50, 0.58)
    whole = power_plan(pilot, n_full=10, resolution=0.05).n_needed
    half = power_plan(pilot.over_subset(100), n_full=10, resolution=0.05).n_needed
    assert half == pytest.approx(2 * whole, abs=2)


@settings(max_examples=50, deadline=None)
@given(st.floats(0.01, 1.0), st.floats(1.01, 10.0))
def test_a_finer_resolution_never_needs_fewer_runs(resolution, factor):
    pilot = rules.mean_equals(_normal(30, 1.0, 1.0), 1.0, margin=0.3)
    coarse = power_plan(pilot, n_full=10, resolution=resolution).n_needed
    fine = power_plan(pilot, n_full=10, resolution=resolution / factor).n_needed
    assert fine >= coarse


@pytest.mark.parametrize(
    "kwargs, match",
    [
        pytest.param({"n_full": 0}, "n_full must be a positive integer", id="n_full-zero"),
        pytest.param({"n_full": True}, "n_full must be a positive integer", id="n_full-bool"),
        pytest.param({"n_full": 10, "resolution": -1.0}, "resolution must be a finite number > 0", id="negative"),
        pytest.param({"n_full": 10, "resolution": math.nan}, "resolution must be a finite number > 0", id="nan"),
    ],
)
def test_bad_input_raises_naming_the_problem(kwargs, match):
    with pytest.raises(ValueError, match=match):
        power_plan(rules.rate_at_least(35, 50, 0.58), **kwargs)


def test_unknown_status_is_rejected():
    with pytest.raises(ValueError, match="plan status must be one of"):
        PowerPlan("maybe", n=1, n_full=1, n_needed=None, resolution=None, resolution_basis="", basis="", reason="")


def test_hand_made_evidence_without_mdes_is_not_feasible():
    evidence = Evidence(
        verdict=Verdict.INCONCLUSIVE,
        estimate=1.0,
        ci=None,
        p_value=None,
        effect_size=None,
        n=5,
        alpha=0.05,
        test="toy",
        rule="metric_exceeds",
    )
    assert power_plan(evidence, n_full=10).reason == "the rule reports no MDE to plan from"


def test_a_rate_claim_near_1_is_not_planned_as_powered_from_a_handful_of_runs():
    plan = power_plan(rules.rate_at_least(18, 18, 0.99), n_full=5000)
    assert plan.n_needed > 18 and plan.resolution == pytest.approx(0.005)


def test_no_plan_asks_for_fewer_than_two_runs():
    assert power_plan(rules.rate_at_least(48, 50, 0.5), n_full=10, resolution=10.0).n_needed == 2


@pytest.mark.parametrize(
    "evidence, resolution, floor",
    [
        (lambda: rules.median_in(_normal(30, 1.6e-4, 3e-6), (0.025, 0.045)), None, 7),
        (
            lambda: rules.distributions_differ(_normal(60, 1.0, 1.0), _normal(60, 0.0, 1.0, 1), direction="greater"),
            1.0,
            80,
        ),
    ],
    ids=["median_in", "distributions_differ"],
)
def test_no_plan_asks_for_fewer_runs_than_its_rule_decides_from(evidence, resolution, floor):
    """A tiny MDE against a wide resolution scales to 2 runs, but median_in decides from 7 values and
    Brunner-Munzel from 40 per arm (``Rule.min_n``): the plan asks for at least that."""
    plan = power_plan(evidence(), n_full=100, resolution=resolution)
    assert plan.n_needed == floor


def test_a_rule_needs_a_positive_integer_minimum_n():
    with pytest.raises(ValueError, match="min_n must be a positive integer"):
        rules.Rule(rules.always, "a rule", min_n=0)


@pytest.mark.parametrize("min_n", [-1, True, 2.0, 7.5, "7"], ids=["negative", "bool", "float-2", "float-7.5", "string"])
def test_a_rule_rejects_a_minimum_n_that_is_not_a_positive_int(min_n):
    """The planner's floor counts values: a bool (an int subclass), a float or a string is a mistake, not a count."""
    with pytest.raises(ValueError, match="min_n must be a positive integer"):
        rules.Rule(rules.always, "a rule", min_n=min_n)


def test_a_rule_may_decide_from_a_single_value():
    """min_n = 1 is the smallest positive integer: accepted and kept (the check is min_n >= 1)."""
    assert rules.Rule(rules.always, "a rule", min_n=1).min_n == 1


def _record(cid: str, status: str, n_needed: int | None) -> dict:
    return {
        "id": cid,
        "source": f"{cid[:3]}_0123456789abcdef.txt",
        "power_plan": {
            "status": status,
            "n_needed": n_needed,
            "n_full": 100,
            "resolution": 0.1,
            "resolution_basis": "declared",
            "reason": f"needs {n_needed} runs",
        },
    }


def test_plan_lines_list_each_source_s_claims_short_of_power():
    from harness.evidence.planning import plan_lines

    lines = plan_lines(
        [
            _record("000.a.short", "underpowered", 400),
            _record("000.a.fine", "powered", 50),
            _record("002.b.never", "not feasible", None),
        ]
    )
    assert lines[0] == "000_0123456789abcdef.txt: 1 of 2 claims short of power"
    assert lines[1].startswith("  000.a.short: underpowered (needs 400 runs")
    assert lines[2] == "002_0123456789abcdef.txt: 1 of 1 claims short of power"
    assert all("000.a.fine" not in line for line in lines)


def test_planning_command_reads_a_report_and_explains_a_missing_one(tmp_path, capsys):
    import json

    from harness.evidence.planning import main

    report = tmp_path / "claims.json"
    report.write_text(json.dumps({"claims": [_record("000.a.short", "underpowered", 400)]}))
    assert main(["planning", str(report)]) == 0
    assert "000.a.short: underpowered" in capsys.readouterr().out
    assert main(["planning", str(tmp_path / "absent.json")]) == 2
    assert "no report at" in capsys.readouterr().err


def test_run_counts_past_the_cap_print_as_more_than_the_cap_everywhere():
    from harness.evidence.planning import needed_text, plan_lines
    from harness.evidence.reports.text import plan_text

    assert needed_text(400) == "400" and needed_text(MAX_PLANNED_N + 1) == f"more than {MAX_PLANNED_N}"
    huge = {
        "status": "not feasible",
        "n_needed": 3 * 10**18,
        "n_full": 100,
        "resolution": 0.005000000000000001,
        "resolution_basis": "declared",
        "reason": "needs more than 50000 runs",
    }
    assert plan_text(huge) == f"more than {MAX_PLANNED_N} (full 100: not feasible)"
    (line,) = plan_lines([{"id": "000.a.b", "source": "000_0123456789abcdef.txt", "power_plan": huge}])[1:]
    assert "resolution 0.005," in line
