"""The benchmark ratio gate: throughput from extra_info, pass/fail against floors, missing pairs fail."""

import json

import pytest

from benchmarks import check_ratios


def _results(fast_min: float, slow_min: float, *, drop_info: bool = False) -> dict:
    info = {} if drop_info else {"member_epochs": 1000}
    return {
        "benchmarks": [
            {"name": "fast", "stats": {"min": fast_min, "mean": 9.0}, "extra_info": dict(info)},
            {"name": "slow", "stats": {"min": slow_min, "mean": 9.0}, "extra_info": {"member_epochs": 10}},
        ]
    }


FLOORS = {"pairs": [{"population": "fast", "naive": "slow", "floor": 50.0, "measured": 100.0}]}


def test_throughput_is_member_epochs_per_fastest_round():
    rates = check_ratios.throughputs(_results(2.0, 1.0))
    assert rates.keys() == {"fast", "slow"}
    assert abs(rates["fast"] - 500.0) < 1e-9 and abs(rates["slow"] - 10.0) < 1e-9


def test_ratio_at_or_above_floor_passes():
    (line,) = check_ratios.check(_results(fast_min=2.0, slow_min=1.0), FLOORS)  # ratio 50
    assert line.startswith("ok") and "ratio 50x" in line


def test_ratio_below_floor_fails():
    (line,) = check_ratios.check(_results(fast_min=4.0, slow_min=1.0), FLOORS)  # ratio 25
    assert line.startswith("FAIL")


BAND = {"pairs": [{"population": "fast", "naive": "slow", "floor": 40.0, "ceiling": 60.0, "measured": 50.0}]}


@pytest.mark.parametrize(
    "fast_min, status",
    [(2.0, "ok"), (2.4, "ok"), (1.7, "ok"), (1.5, "FAIL"), (2.6, "FAIL")],
    ids=["centre", "near-floor", "near-ceiling", "above-ceiling", "below-floor"],
)
def test_ratio_must_stay_inside_a_band_when_a_ceiling_is_given(fast_min, status):
    (line,) = check_ratios.check(_results(fast_min=fast_min, slow_min=1.0), BAND)  # ratio 100 / fast_min
    assert line.startswith(status) and "ceiling 60x" in line


def test_pair_without_member_epochs_fails():
    (line,) = check_ratios.check(_results(1.0, 1.0, drop_info=True), FLOORS)
    assert line.startswith("FAIL") and "member_epochs" in line


def test_main_exit_codes(tmp_path):
    results, floors = tmp_path / "r.json", tmp_path / "f.json"
    floors.write_text(json.dumps(FLOORS))
    results.write_text(json.dumps(_results(1.0, 1.0)))
    assert check_ratios.main(["check_ratios", str(results), str(floors)]) == 0
    results.write_text(json.dumps(_results(10.0, 1.0)))
    assert check_ratios.main(["check_ratios", str(results), str(floors)]) == 1
    with pytest.raises(SystemExit) as usage:
        check_ratios.main(["check_ratios"])
    assert usage.value.code == 2


def test_only_checks_the_pairs_named_and_refuses_a_text_naming_none(tmp_path, capsys):
    results, floors = tmp_path / "r.json", tmp_path / "f.json"
    two = {"pairs": FLOORS["pairs"] + [{"population": "other", "naive": "slow", "floor": 1.0, "measured": 2.0}]}
    floors.write_text(json.dumps(two))
    results.write_text(json.dumps(_results(1.0, 1.0)))  # "other" is missing from the results
    assert check_ratios.main(["check_ratios", str(results), str(floors)]) == 1
    capsys.readouterr()
    assert check_ratios.main(["check_ratios", str(results), str(floors), "--only", "fast"]) == 0
    assert "other" not in capsys.readouterr().out
    assert check_ratios.main(["check_ratios", str(results), str(floors), "--only", "nothing"]) == 2


def test_committed_floors_are_below_their_measurements():
    floors = json.loads(check_ratios.DEFAULT_FLOORS.read_text())
    assert all(0 < pair["floor"] <= pair["measured"] for pair in floors["pairs"])
    assert all(pair["measured"] <= pair.get("ceiling", float("inf")) for pair in floors["pairs"])
