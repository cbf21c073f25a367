"""The worked example (examples/xor_rprop) runs as its own claims project and matches its committed ledger."""

pytest_plugins = ["pytester"]

import os  # noqa: E402
import shutil  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "xor_rprop"


def test_xor_example_matches_its_ledger(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("HARNESS_COMPILE", "0")  # a few hundred runs: eager is faster than a cold compile
    shutil.copytree(EXAMPLE, pytester.path, dirs_exist_ok=True, ignore=shutil.ignore_patterns("reports", "__pycache__"))
    ledger = (pytester.path / "claims" / "ledger.json").read_text()
    result = pytester.runpytest_subprocess("--claims-sources=sources", "claims", "-p", "no:xdist")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["changed verdicts: none"])
    assert (pytester.path / "claims" / "ledger.json").read_text() == ledger
    assert "of 100 successful runs)" in (pytester.path / "reports" / "claims.md").read_text()
