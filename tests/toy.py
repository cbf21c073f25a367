"""A toy claims project for the fault-injection tests (``pytester``): two claims of source 002,
``a`` (with a figure) and ``b``, their source document, manifest and ledger, and ways to run it
in process or in a child process (for faults that kill it).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.helpers import write_manifest

REPO = Path(__file__).resolve().parents[1]
SOURCE = "002_12f8b00312862f98.txt"

PRELUDE = '''
import os
import time
from dataclasses import dataclass
from pathlib import Path

from harness.evidence.claims import Claim, Protocol, Setting
from harness.evidence.plugin import claim_test
from harness.evidence.verdicts import Evidence, Verdict

SRC = "002_12f8b00312862f98.txt"


@dataclass(frozen=True)
class P(Protocol):
    k: Setting = Setting(1, "stated", "")


def make(name):
    return Claim(id=f"002.toy.{name}", source=SRC, statement=f"toy claim {name}", reported={"x": 1.0},
                 protocol=P(), test="exact_value", alpha=0.05, n=1)


def ev(v):
    return Evidence(verdict=Verdict(v), estimate=1.0, ci=None, p_value=None, effect_size=0.0, n=1,
                    alpha=0.05, test="toy rule", rule="exact_value")


def meet(me, other):
    """With CLAIMS_TEST_BARRIER set, wait until the other concurrent run has started its test."""
    if not os.environ.get("CLAIMS_TEST_BARRIER"):
        return
    Path(f"{me}.started").write_text("")
    deadline = time.monotonic() + 60
    while not Path(f"{other}.started").exists():
        assert time.monotonic() < deadline, "the other run never started"
        time.sleep(0.05)


'''

MODULE = (
    PRELUDE
    + """
A = make("a")
B = make("b")


@claim_test(A)
def test_a(claims_verdict):
    meet("a", "b")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure()
    plt.plot([0, 1], [1, 0])
    claims_verdict.figure("curve", fig)
    claims_verdict(A, ev("confirmed"))


@claim_test(B)
def test_b(claims_verdict):
    meet("b", "a")
    claims_verdict(B, ev("refuted"))
"""
)
# Claim names the toy document quotes ("- toy claim <name>"): a, b and more for the fault modules.
NAMES = [*"abcdefgh", *(f"t{i}" for i in range(10))]
DOCUMENT = "# Toy source document\n\ntext\n\n" + "".join(f"- toy claim {n}\n" for n in NAMES)

LEDGER_AB = {"002.toy.a": {"quick": "confirmed"}, "002.toy.b": {"quick": "refuted"}}


def ledger_text(claims: dict) -> str:
    return json.dumps({"schema": 1, "claims": claims}, indent=2) + "\n"


def make_project(pytester, monkeypatch):
    """A toy project: ``claims/test_toy.py`` (claims a with a figure, b), a sources dir, a ledger.

    ``PYTHONPATH`` points subprocess runs at this checkout's ``harness``, whichever checkout the
    editable install points at.
    """
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    monkeypatch.delenv("CLAIMS_TEST_FAULT", raising=False)
    monkeypatch.delenv("CLAIMS_TEST_BARRIER", raising=False)
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider -p no:benchmark -p no:xdist -p no:hypothesispytest\n")
    sources = pytester.mkdir("sources")
    (sources / SOURCE).write_text(DOCUMENT)
    pytester.mkdir("claims")
    write_manifest(pytester.path / "claims" / "sources.json", DOCUMENT, SOURCE)
    (pytester.path / "claims" / "test_toy.py").write_text(MODULE)
    ledger_path(pytester).write_text(ledger_text(LEDGER_AB))
    return pytester


def ledger_path(pytester) -> Path:
    return pytester.path / "claims" / "ledger.json"


def run(pytester, *args):
    """In-process run (fast); never with a fault conftest, whose patches would outlive the run."""
    return pytester.runpytest("--claims-sources=sources", "claims", *args)


def command(*args) -> list[str]:
    return [sys.executable, "-m", "pytest", "--claims-sources=sources", "claims", *args]


def run_subprocess(pytester, *args, env=None):
    """Run pytest in a child process (faults that kill it); return (exit code, output)."""
    proc = subprocess.run(
        command(*args),
        cwd=pytester.path,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return proc.returncode, proc.stdout + proc.stderr


def report_set(root: Path, where: str = "reports") -> tuple[int, list[str], list[str]]:
    """(master seed, claim ids, claims' figure files) of the report in ``root / where``, asserting that
    its files (claims.json, claims.md, claims.html, figures/) belong together."""
    reports = root / where
    doc = json.loads((reports / "claims.json").read_text())
    md = (reports / "claims.md").read_text()
    html = (reports / "claims.html").read_text()
    md_seed = int(re.search(r"master seed \*\*(\d+)\*\*", md).group(1))
    md_ids = sorted(set(re.findall(r"\(claims\.html#([^)]+)\)", md)))
    html_ids = sorted(re.findall(r'<tr class="claim[^"]*" id="([^"]+)"', html))
    named = {f for c in doc["claims"] for f in c["figures"]} | set(re.findall(r"\]\(figures/([^)]+)\)", md))
    figures = sorted(p.name for p in (reports / "figures").iterdir()) if (reports / "figures").exists() else []
    ids = [c["id"] for c in doc["claims"]]
    assert (md_seed, md_ids, html_ids, sorted(named)) == (doc["master_seed"], ids, ids, figures), (
        "report files of different runs"
    )
    return doc["master_seed"], ids, [f for f in figures if not f.startswith("overview-")]


def leftovers(root: Path) -> list[str]:
    """Temp files and report sets other than the current one: what a killed writer leaves."""
    found = [p.relative_to(root).as_posix() for p in root.rglob("*.tmp")]
    for reports in (root / "reports", root / "reports" / "partial"):
        sets = reports / "sets"
        current = os.path.realpath(reports / "current")
        found += [p.name for p in sets.iterdir() if str(p.resolve()) != current] if sets.exists() else []
    return sorted(found)
