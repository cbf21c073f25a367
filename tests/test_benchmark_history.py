"""Benchmark history (``benchmarks.history``): ratios from stored runs of one machine, regressions beyond the
threshold fail, other machines' runs are left out, the plot is a PNG, bad input exits 2."""

import json

import pytest

from benchmarks import history

FLOORS = {
    "pairs": [
        {"population": "fast", "naive": "slow", "floor": 50.0, "measured": 100.0},
        {"population": "log10", "naive": "log1", "floor": 0.7, "ceiling": 1.3, "measured": 1.0},
    ]
}


def _run(fast_min: float, *, when: str, node: str = "vm", log_ratio: float = 1.0) -> dict:
    bench = [("fast", fast_min, 1000), ("slow", 1.0, 10), ("log10", 1.0 / log_ratio, 10), ("log1", 1.0, 10)]
    return {
        "machine_info": {"node": node, "cpu": {"brand_raw": "AMD EPYC"}, "python_version": "3.11.7"},
        "commit_info": {"id": "0123456789abcdef"},
        "datetime": when,
        "version": "5.1.0",
        "benchmarks": [
            {"name": name, "stats": {"min": t, "mean": t}, "extra_info": {"member_epochs": m}} for name, t, m in bench
        ],
    }


@pytest.fixture
def storage(tmp_path):
    """Three stored runs on machine 'vm' with ratio 10 (fast 10 s), one (older) on another machine with ratio 1."""
    folder = tmp_path / ".benchmarks" / "Linux-CPython-3.11-64bit"
    folder.mkdir(parents=True)
    for i in range(3):
        (folder / f"000{i}_run.json").write_text(json.dumps(_run(10.0, when=f"2026-12-0{i + 1}T10:00:00")))
    (folder / "0009_other.json").write_text(json.dumps(_run(100.0, when="2026-11-30T10:00:00", node="laptop")))
    (tmp_path / "floors.json").write_text(json.dumps(FLOORS))
    return tmp_path


def _main(storage, *args) -> int:
    base = ["--storage", str(storage / ".benchmarks"), "--floors", str(storage / "floors.json")]
    return history.main([*args, *base, "--plot", str(storage / "history.png")])


def test_a_run_within_the_threshold_passes_and_the_plot_is_a_png(storage, capsys):
    (storage / "now.json").write_text(json.dumps(_run(12.0, when="2026-12-05T10:00:00")))  # ratio 8.3: -17%
    assert _main(storage, str(storage / "now.json")) == 0
    out = capsys.readouterr().out
    assert "history: 3 earlier run(s) of this machine" in out  # the other machine's run is left out
    assert "ok fast / slow: ratio 8.33x, history median 10x over 3 run(s)" in out
    assert (storage / "history.png").read_bytes().startswith(b"\x89PNG")


def test_a_ratio_drop_beyond_the_threshold_fails(storage, capsys):
    (storage / "now.json").write_text(json.dumps(_run(20.0, when="2026-12-05T10:00:00")))  # ratio 5: -50%
    assert _main(storage, str(storage / "now.json")) == 1
    assert "REGRESSION fast / slow: ratio 5.00x, history median 10x" in capsys.readouterr().out


def test_a_banded_pair_fails_above_its_band_too(storage, capsys):
    (storage / "now.json").write_text(json.dumps(_run(10.0, when="2026-12-05T10:00:00", log_ratio=1.5)))
    assert _main(storage, str(storage / "now.json")) == 1
    assert "REGRESSION log10 / log1: ratio 1.50x" in capsys.readouterr().out


def test_without_a_run_the_newest_stored_run_is_compared_with_the_older_ones(storage, capsys):
    assert _main(storage) == 0
    assert "history: 2 earlier run(s)" in capsys.readouterr().out


def test_a_first_run_has_no_history_and_passes(tmp_path, capsys):
    (tmp_path / "floors.json").write_text(json.dumps(FLOORS))
    (tmp_path / "now.json").write_text(json.dumps(_run(10.0, when="2026-12-05T10:00:00")))
    assert _main(tmp_path, str(tmp_path / "now.json")) == 0
    assert "new fast / slow: ratio 10x (no earlier run" in capsys.readouterr().out


@pytest.mark.parametrize("args", [[], ["not-there.json"]], ids=["no_run_stored", "unreadable_run"])
def test_no_run_to_compare_exits_2(tmp_path, args):
    (tmp_path / "floors.json").write_text(json.dumps(FLOORS))
    assert _main(tmp_path, *args) == 2


def test_a_threshold_outside_0_1_is_a_usage_error(tmp_path):
    (tmp_path / "floors.json").write_text(json.dumps(FLOORS))
    with pytest.raises(SystemExit) as exc:
        _main(tmp_path, "--threshold", "1.5")
    assert exc.value.code == 2
