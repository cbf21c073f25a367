"""Behaviour of the claims pytest plugin (``harness.evidence.plugin``), driven through ``pytester``.

Each test builds a throw-away project that knows nothing of this repository: the plugin comes
from its ``pytest11`` entry point, a sources dir holds one toy source document pinned by a
manifest (``claims/sources.json``), claim modules are built from the ``PRELUDE`` helpers, and a
ledger records the expected verdicts.
"""

pytest_plugins = ["pytester"]

import hashlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from xml.etree import ElementTree  # noqa: E402

# In-process pytester runs drop the modules first imported inside them; re-importing a C
# extension such as torch afterwards crashes. Import the heavy ones here, before any run.
import hypothesis  # noqa: E402, F401
import matplotlib.pyplot  # noqa: E402, F401
import pytest  # noqa: E402
import torch  # noqa: E402

from tests import helpers  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SOURCE = "002_12f8b00312862f98.txt"
TOY_NAMES = [*"abcdefgqs", "stable", "wobbly", "crash", "full_only"] + [f"{p}{i}" for p in "cghksu" for i in range(8)]
DOCUMENT = "# Toy source document\n\ntext\n\n" + "".join(f"- toy claim {n}\n" for n in TOY_NAMES)

PRELUDE = """
from dataclasses import dataclass

import numpy as np
import pytest

from harness.evidence.claims import Claim, Protocol, Setting
from harness.evidence.verdicts import Evidence, Verdict
from harness.evidence.plugin import claim_test

SRC = "002_12f8b00312862f98.txt"


@dataclass(frozen=True)
class P(Protocol):
    k: Setting = Setting(1, "stated", "")


def make(name, **kw):
    args = dict(id=f"002.toy.{name}", source=SRC, statement=f"toy claim {name}", reported={"x": 1.0},
                protocol=P(), test="exact_value", alpha=0.05, n=1)
    args.update(kw)
    return Claim(**args)


def ev(v, estimate=1.0, n=1):
    return Evidence(verdict=Verdict(v), estimate=estimate, ci=None, p_value=None, effect_size=0.0, n=n,
                    alpha=0.05, test="toy rule", rule="exact_value")
"""

MATCH_MODULE = (
    PRELUDE
    + """
A = make("a")
B = make("b")


@claim_test(A)
def test_a(claims_verdict):
    claims_verdict(A, ev("confirmed"))


@claim_test(B)
def test_b(claims_verdict):
    claims_verdict(B, ev("refuted", estimate=0.5))
"""
)


def ledger_text(claims: dict) -> str:
    return json.dumps({"schema": 1, "claims": claims}, indent=2) + "\n"


@pytest.fixture
def project(pytester, monkeypatch):
    """A fresh project dir (the plugin comes from its entry point), a sources dir, an empty claims/ dir.

    ``PYTHONPATH`` points subprocess runs at this checkout's ``harness``, whichever checkout the
    editable install points at.
    """
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider\n")
    sources = pytester.mkdir("sources")
    (sources / SOURCE).write_text(DOCUMENT)
    pytester.mkdir("claims")
    write_manifest(pytester.path / "claims" / "sources.json", DOCUMENT)
    return pytester


def write_manifest(path: Path, document: str, name: str = SOURCE) -> None:
    """A sources manifest pinning ``document`` (UTF-8) as ``name``."""
    helpers.write_manifest(path, document, name)


def run(pytester, *args):
    return pytester.runpytest("--claims-sources=sources", "claims", *args)


def write_claims(pytester, name: str, text: str) -> None:
    (pytester.path / "claims" / f"{name}.py").write_text(text)


def ledger(pytester) -> Path:
    return pytester.path / "claims" / "ledger.json"


# ---------------------------------------------------------------------------- gating


def test_ledger_match_passes_writes_report_and_leaves_ledger_alone(project):
    write_claims(project, "test_match", MATCH_MODULE)
    text = ledger_text({"002.toy.a": {"quick": "confirmed"}, "002.toy.b": {"quick": "refuted", "full": "refuted"}})
    ledger(project).write_text(text)
    result = run(project)
    result.assert_outcomes(passed=2)  # a refuted claim passes when the ledger says refuted
    assert ledger(project).read_text() == text
    result.stdout.fnmatch_lines(
        [
            "*= claims summary =*",
            "tier quick, master seed 0: 2 claims of 1 document",
            "document*replicates*not repl.*self-contr*depends*calib.*untestable*undecided*total",
            "002 Toy source document*1*1*0*0*0*0*0*2",
            "verdicts: 1 confirmed, 1 refuted, 0 inconclusive",
            "changed verdicts: none",
        ]
    )
    report = json.loads((project.path / "reports" / "claims.json").read_text())
    assert [c["id"] for c in report["claims"]] == ["002.toy.a", "002.toy.b"]
    assert report["claims"][1]["expected"] == "refuted"
    assert "## 002 — Toy source document" in (project.path / "reports" / "claims.md").read_text()
    assert report["complete"] is True


def test_every_claim_test_reports_its_verdict_as_junit_properties(project):
    write_claims(project, "test_match", MATCH_MODULE)
    ledger(project).write_text(ledger_text({"002.toy.a": {"quick": "confirmed"}, "002.toy.b": {"quick": "confirmed"}}))
    run(project, "--junitxml=out.xml").assert_outcomes(passed=1, failed=1)  # b changed: refuted
    cases = {c.get("name"): c for c in ElementTree.parse(project.path / "out.xml").iter("testcase")}
    props = {name: {p.get("name"): p.get("value") for p in c.iter("property")} for name, c in cases.items()}
    assert props["test_b"] == {
        "claims.claim": "002.toy.b",
        "claims.verdict": "refuted",
        "claims.expected": "confirmed",
        "claims.reported": "x = 1",
        "claims.measured": "0.5",
        "claims.estimate": "0.5",
        "claims.n": "1",
        "claims.alpha": "0.05",
        "claims.rule": "exact_value",
        "claims.test": "toy rule",
        "claims.source": f"{SOURCE}:6",
    }
    assert props["test_a"]["claims.verdict"] == "confirmed" and cases["test_b"].find("failure") is not None


def test_mismatch_fails_with_expected_observed_and_evidence(project):
    write_claims(project, "test_mismatch", MATCH_MODULE)
    text = ledger_text({"002.toy.a": {"quick": "confirmed"}, "002.toy.b": {"quick": "confirmed"}})
    ledger(project).write_text(text)
    result = run(project)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*claim '002.toy.b' verdict changed: expected 'confirmed' (ledger, tier 'quick'), observed 'refuted'.",
            "*statement: 'toy claim b'*",
            "*evidence:  test=toy rule estimate=0.5*",
            "*rerun with --claims-update*",
            "changed verdicts (ledger -> observed):",
            "  002.toy.b: confirmed -> refuted",
        ]
    )
    assert ledger(project).read_text() == text  # never rewritten without --claims-update


def test_missing_entry_fails_and_update_accepts_it(project):
    write_claims(project, "test_missing", MATCH_MODULE)
    ledger(project).write_text(ledger_text({"002.toy.a": {"quick": "confirmed", "full": "refuted"}}))
    result = run(project)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*claim '002.toy.b' has no 'quick' verdict in the ledger*Rerun with --claims-update*"])

    result = run(project, "--claims-update")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "changed verdicts (accepted into the ledger):",
            "  002.toy.b: (not in ledger) -> refuted",
            "ledger updated: *ledger.json",
        ]
    )
    assert json.loads(ledger(project).read_text())["claims"] == {
        "002.toy.a": {"quick": "confirmed", "full": "refuted"},  # the other tier is kept
        "002.toy.b": {"quick": "refuted"},
    }
    run(project).assert_outcomes(passed=2)


def test_update_creates_missing_ledger(project):
    write_claims(project, "test_create", MATCH_MODULE)
    run(project, "--claims-update").assert_outcomes(passed=2)
    assert json.loads(ledger(project).read_text()) == {
        "schema": 1,
        "master_seed": 0,
        "claims": {"002.toy.a": {"quick": "confirmed"}, "002.toy.b": {"quick": "refuted"}},
    }


@pytest.mark.parametrize(
    "text, message",
    [
        pytest.param("{oops", "is not valid JSON", id="bad_json"),
        pytest.param(
            '{"schema": 1, "claims": {"002.toy.a": {"quick": "yes"}}}', "unknown verdict 'yes'", id="bad_verdict"
        ),
        pytest.param(
            '{"schema": 1, "claims": {"002.toy.a": {"quick": "confirmed"}, "002.toy.a": {"quick": "refuted"}}}',
            "duplicate key '002.toy.a'",
            id="duplicate_id",
        ),
    ],
)
def test_corrupt_ledger_stops_the_run(project, text, message):
    write_claims(project, "test_corrupt", MATCH_MODULE)
    ledger(project).write_text(text)
    result = run(project, "--claims-update")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: claims ledger*{message}*"])
    assert ledger(project).read_text() == text  # not replaced, even with --claims-update
    assert not (project.path / "reports" / "claims.json").exists()


def test_test_without_verdict_fails(project):
    write_claims(
        project,
        "test_noverdict",
        PRELUDE
        + """
A = make("a")

@claim_test(A)
def test_a(claims_verdict):
    pass
""",
    )
    result = run(project, "--claims-update")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*claim test of '002.toy.a' finished without calling verdict(claim, evidence)*"])


# ---------------------------------------------------------------------------- collection


@pytest.mark.parametrize(
    "claim_kw, message",
    [
        pytest.param('test="vibes"', "unknown test kind 'vibes'", id="unknown_test_kind"),
        pytest.param("alpha=1.5", "alpha must lie strictly between 0 and 1, got 1.5", id="alpha_outside"),
        pytest.param("n=0", "n must be a positive integer sample size, got 0", id="n_zero"),
        pytest.param(
            'source="002_ffff.txt"',
            "source '002_ffff.txt' is not listed in the sources manifest",
            id="source_not_in_manifest",
        ),
    ],
)
def test_malformed_claim_fails_collection(project, claim_kw, message):
    write_claims(
        project,
        "test_bad",
        PRELUDE
        + f"""
A = make("a", {claim_kw})

@claim_test(A)
def test_a(claims_verdict):
    claims_verdict(A, ev("confirmed"))
""",
    )
    result = run(project, "--claims-update")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*ERROR collecting claims/test_bad.py*", f"*{message}*", "*1 error*"])
    assert not ledger(project).exists()


def test_claim_test_without_verdict_fixture_fails_collection(project):
    write_claims(
        project,
        "test_nofixture",
        PRELUDE
        + """
A = make("a")

@claim_test(A)
def test_a():
    pass
""",
    )
    result = run(project)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*malformed claim test: *must request the 'claims_verdict' fixture*"])


# ---------------------------------------------------------------------------- tiers, seeds


TIER_MODULE = (
    PRELUDE
    + """
Q = make("q", n=2, n_full=8)
F = make("f")
G = make("g")


@claim_test(Q)
@pytest.mark.quick
def test_q(claims_verdict, claims_tier):
    claims_verdict(Q, ev("confirmed", n=Q.n_for(claims_tier)))


@claim_test(F)
@pytest.mark.full
def test_f(claims_verdict):
    claims_verdict(F, ev("confirmed"))


@claim_test(G)
@pytest.mark.gpu
def test_g(claims_verdict, claims_device):
    assert claims_device.type == "cuda"
    claims_verdict(G, ev("confirmed"))
"""
)


def test_tier_selection_and_gpu_skip(project):
    write_claims(project, "test_tiers", TIER_MODULE)
    gpu = torch.cuda.is_available()
    result = run(project, "--claims-update", "-rs")
    result.assert_outcomes(passed=1 + gpu, skipped=0 if gpu else 1, deselected=1)
    if not gpu:
        result.stdout.fnmatch_lines(["*gpu test: torch sees no CUDA device*"])
    result.stdout.fnmatch_lines(["not run in this tier: 1 claim(s) (--claims-tier full runs them)"])
    assert json.loads((project.path / "reports" / "claims.json").read_text())["not_run"] == ["002.toy.f"]
    assert "## Not run in the quick tier" in (project.path / "reports" / "claims.md").read_text()
    run(project, "-k", "test_q").assert_outcomes(passed=1, deselected=2)  # -k first: f is not "not run"
    partial = json.loads((project.path / "reports" / "partial" / "claims.json").read_text())
    assert partial["not_run"] == []
    assert partial["partial_reason"] == "1 of 2 claims of the quick tier did not run: -k 'test_q'"  # f is full-only
    result = run(project, "--claims-update", "--claims-tier", "full")
    result.assert_outcomes(passed=2 + gpu, skipped=0 if gpu else 1)
    claims = json.loads(ledger(project).read_text())["claims"]
    assert claims["002.toy.q"] == {"quick": "confirmed", "full": "confirmed"}
    assert claims["002.toy.f"] == {"full": "confirmed"}
    report = json.loads((project.path / "reports" / "claims.json").read_text())
    assert report["tier"] == "full" and {c["id"]: c["n"] for c in report["claims"]}["002.toy.q"] == 8


MARK_MODULE = (
    PRELUDE
    + """
Q = make("q")
F = make("f")


@claim_test(Q)
def test_q(claims_verdict):
    claims_verdict(Q, ev("confirmed"))


@claim_test(F)
@pytest.mark.full
def test_f(claims_verdict):
    claims_verdict(F, ev("confirmed"))
"""
)


def test_marker_selection_of_a_tier(project):
    """``-m quick`` selects the quick tier's claims (unmarked ones included) and writes a complete report;
    ``-m full`` without the full tier is a usage error; with it, a partial report that leaves the last
    complete one untouched."""
    write_claims(project, "test_marks", MARK_MODULE)
    reports = project.path / "reports"
    run(project, "-m", "quick", "--claims-update").assert_outcomes(passed=1, deselected=1)
    complete = (reports / "claims.json").read_text()
    assert [c["id"] for c in json.loads(complete)["claims"]] == ["002.toy.q"] and json.loads(complete)["complete"]
    assert not (reports / "partial").exists()
    result = run(project, "-m", "full")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*-m 'full' selects only claim tests of the full tier (1)*add --claims-tier full*"])
    run(project, "-m", "full", "--claims-tier", "full", "--claims-update").assert_outcomes(passed=1, deselected=1)
    partial = json.loads((reports / "partial" / "claims.json").read_text())
    assert [c["id"] for c in partial["claims"]] == ["002.toy.f"] and partial["tier"] == "full"
    assert (reports / "claims.json").read_text() == complete


def test_expected_verdicts_fixture_reads_the_ledger_of_the_tier(project):
    write_claims(
        project,
        "test_expected",
        PRELUDE
        + """
A = make("a")


@claim_test(A)
def test_a(claims_verdict, claims_expected_verdicts):
    assert claims_expected_verdicts == {"002.toy.a": Verdict.CONFIRMED, "002.toy.b": Verdict.REFUTED}
    claims_verdict(A, ev("confirmed"))
""",
    )
    ledger(project).write_text(
        ledger_text(
            {
                "002.toy.a": {"quick": "confirmed"},
                "002.toy.b": {"quick": "refuted", "full": "confirmed"},
                "002.toy.c": {"full": "refuted"},
            }
        )
    )
    run(project).assert_outcomes(passed=1)


def test_seeds_repeat_claims_and_flag_fragile(project):
    write_claims(
        project,
        "test_seeds",
        PRELUDE
        + """
S = make("stable")
W = make("wobbly")


@claim_test(S)
def test_stable(claims_verdict):
    claims_verdict(S, ev("confirmed"))


@claim_test(W)
def test_wobbly(claims_verdict, claims_master_seed):
    claims_verdict(W, ev("refuted" if claims_master_seed == 2 else "confirmed"))
""",
    )
    ledger(project).write_text(
        ledger_text({"002.toy.stable": {"quick": "confirmed"}, "002.toy.wobbly": {"quick": "confirmed"}})
    )
    result = run(project, "--claims-seeds", "0:4", "-v")
    result.assert_outcomes(passed=8)  # only the master seed (0) is gated; seed 2 makes it fragile
    result.stdout.fnmatch_lines(
        ["fragile claims (stability < 80%): 1", "  002.toy.wobbly: 75% of seeds give confirmed"]
    )
    stab = json.loads((project.path / "reports" / "stability.json").read_text())
    assert [(c["id"], c["stability"], c["fragile"]) for c in stab["claims"]] == [
        ("002.toy.stable", 1.0, False),
        ("002.toy.wobbly", 0.75, True),
    ]
    assert json.loads((project.path / "reports" / "claims.json").read_text())["master_seed"] == 0


# ---------------------------------------------------------------------------- xdist

XDIST_MODULE = (
    PRELUDE
    + """
import matplotlib.pyplot as plt

CLAIMS = [make(f"c{i}", test="mean_equals", n=20) for i in range(6)]


@pytest.mark.parametrize("claim", [pytest.param(c, marks=claim_test(c), id=c.id) for c in CLAIMS])
def test_mean(claim, claims_verdict, claims_seed):
    x = np.random.default_rng(claims_seed).normal(size=20)  # (N,)
    m = float(x.mean())
    if claim.id.endswith("c0"):
        fig, ax = plt.subplots()
        ax.hist(x)
        claims_verdict.figure("hist", fig)
    v = "confirmed" if abs(m) < 0.2 else "inconclusive"
    claims_verdict(claim, Evidence(verdict=Verdict(v), estimate=m, ci=(m - 0.45, m + 0.45), p_value=0.5,
                            effect_size=m, n=20, alpha=0.05, test="toy mean", mde=0.6, rule="mean_equals"))


FULL = make("full_only")


@claim_test(FULL)
@pytest.mark.full
def test_full_only(claims_verdict):
    claims_verdict(FULL, ev("confirmed"))
"""
)


def _snapshot(root: Path) -> dict:
    report = json.loads((root / "reports" / "claims.json").read_text())
    assert report.pop("environment")["controller"]  # -n adds its workers' versions: compared in tests/test_remote.py
    assert report.pop("created")  # when it was written
    for c in report["claims"]:
        assert c.pop("duration_s") >= 0.0  # present, but excluded from the comparison
    figures = {p.name: p.read_bytes() for p in sorted((root / "reports" / "figures").iterdir())}
    return {
        "report": report,
        "ledger": (root / "claims" / "ledger.json").read_text(),
        "md_rows": [ln for ln in (root / "reports" / "claims.md").read_text().splitlines() if " UTC" not in ln],
        "figures": figures,
    }


def test_xdist_run_equals_serial_run(project, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    write_claims(project, "test_xdist", XDIST_MODULE)
    serial = run(project, "--claims-update", "--claims-seed", "3")
    serial.assert_outcomes(passed=6)
    expected = _snapshot(project.path)
    assert len(expected["report"]["claims"]) == 6 and expected["figures"]
    ledger(project).unlink()
    parallel = project.runpytest_subprocess(
        "--claims-sources=sources", "claims", "-n", "2", "--claims-update", "--claims-seed", "3", "-p", "no:benchmark"
    )
    parallel.assert_outcomes(passed=6)
    parallel.stdout.fnmatch_lines(["created: 2/2 workers", "*= claims summary =*", "002 Toy source document*6"])
    assert _snapshot(project.path) == expected
    assert expected["report"]["not_run"] == ["002.toy.full_only"]


GROUP_MODULE = (
    PRELUDE
    + """
import os

CLAIMS = [make(f"g{i}") for i in range(6)]


def _param(c, i):
    marks = [claim_test(c)] + ([pytest.mark.xdist_group("shared")] if i % 2 == 0 else [])
    return pytest.param(c, marks=marks, id=c.id)


@pytest.mark.parametrize("claim", [_param(c, i) for i, c in enumerate(CLAIMS)])
def test_g(claim, claims_verdict):
    if int(claim.id[-1]) % 2 == 0:
        with open("grouped_workers.txt", "a") as f:
            f.write(os.environ["PYTEST_XDIST_WORKER"] + " " + os.environ["PYTEST_CURRENT_TEST"].split()[0] + "\\n")
    claims_verdict(claim, ev("confirmed"))
"""
)


def test_xdist_group_runs_on_one_worker_without_dist_option(project, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    write_claims(project, "test_group", GROUP_MODULE)
    result = project.runpytest_subprocess(
        "--claims-sources=sources", "claims", "-n", "2", "--claims-update", "-p", "no:benchmark"
    )
    result.assert_outcomes(passed=6)
    lines = (project.path / "grouped_workers.txt").read_text().splitlines()
    workers = {line.split()[0] for line in lines}
    assert len(lines) == 3 and len(workers) == 1, lines
    # One worker could also happen by chance; the group tag in each node id is what makes it certain
    # (pytest 9.2 ignores the tag xdist 3.8 writes; harness.evidence.scheduling writes it).
    assert all(line.endswith("@shared") for line in lines), lines


def test_explicit_dist_is_left_alone(project, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    write_claims(project, "test_group", GROUP_MODULE)
    result = project.runpytest_subprocess(
        "--claims-sources=sources", "claims", "-n", "2", "--dist", "load", "--claims-update", "-p", "no:benchmark"
    )
    result.assert_outcomes(passed=6)
    lines = (project.path / "grouped_workers.txt").read_text().splitlines()
    assert len(lines) == 3 and not any("@shared" in line for line in lines), lines


def test_crashed_worker_fails_run_and_writes_nothing(project, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    write_claims(
        project,
        "test_crash",
        MATCH_MODULE
        + """

C = make("crash")


@claim_test(C)
def test_crash(claims_verdict):
    import os
    os._exit(3)
""",
    )
    text = ledger_text({"002.toy.a": {"quick": "refuted"}})
    ledger(project).write_text(text)
    result = project.runpytest_subprocess(
        "--claims-sources=sources", "claims", "-n", "2", "--claims-update", "-p", "no:benchmark"
    )
    assert result.ret != 0
    result.stdout.fnmatch_lines(
        [
            "*worker 'gw?' crashed while running*",
            "*= claims summary =*",
            "worker crash: worker gw?: *",
            "*report and ledger NOT written*",
        ]
    )
    assert ledger(project).read_text() == text
    assert not (project.path / "reports").exists()


def test_crash_inside_an_xdist_group_fails_that_test_and_finishes(project, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    write_claims(
        project,
        "test_group_crash",
        PRELUDE
        + """
CLAIMS = [make(f"k{i}") for i in range(3)]


@pytest.mark.parametrize("claim", [pytest.param(c, marks=[claim_test(c), pytest.mark.xdist_group("g")], id=c.id)
                                   for c in CLAIMS])
def test_k(claim, claims_verdict):
    if claim.id.endswith("k1"):
        import os
        os._exit(3)
    claims_verdict(claim, ev("confirmed"))
""",
    )
    result = project.runpytest_subprocess(
        "--claims-sources=sources", "claims", "-n", "2", "--claims-update", "-p", "no:benchmark", timeout=120
    )
    result.assert_outcomes(passed=2, failed=1)  # the group's last test runs on the replacement worker
    result.stdout.fnmatch_lines(["*worker 'gw?' crashed while running*k1*", "*report and ledger NOT written*"])


# ---------------------------------------------------------------------------- options and ini twins


INI_PROJECT = """[pytest]
addopts = -p no:cacheprovider
claims_ledger = state/expected.json
claims_report = out/rep
claims_sources = docs
claims_manifest = state/docs.json
claims_tier = full
claims_seed = 5
"""


def test_ini_twins_resolve_against_rootdir_and_the_command_line_wins(project, monkeypatch):
    project.makeini(INI_PROJECT)
    (project.path / "sources").rename(project.path / "docs")
    (project.path / "state").mkdir()
    (project.path / "claims" / "sources.json").rename(project.path / "state" / "docs.json")
    (project.path / "state" / "expected.json").write_text(
        json.dumps(
            {
                "schema": 1,
                "master_seed": 5,  # the ledger gates the ini's seed
                "claims": {"002.toy.a": {"full": "confirmed", "quick": "confirmed"}, "002.toy.b": {"full": "refuted"}},
            }
        )
    )
    write_claims(project, "test_match", MATCH_MODULE)
    monkeypatch.chdir(project.path / "claims")  # ini paths are relative to rootdir, not to the cwd
    result = project.runpytest()
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["claims: tier full, master seed 5, ledger */state/expected.json"])
    report = json.loads((project.path / "out" / "rep" / "claims.json").read_text())
    assert (report["tier"], report["master_seed"]) == ("full", 5)
    assert report["sources"][SOURCE]["quotes"] == "quotes verified against the document"

    result = project.runpytest(
        "--claims-tier", "quick", "--claims-seed", "2", "--claims-report", "rep2", "-k", "test_a"
    )
    result.assert_outcomes(passed=1, deselected=1)
    result.stdout.fnmatch_lines(["claims: tier quick, master seed 2 (not gated: the ledger gates master seed 5)*"])
    report = json.loads((project.path / "claims" / "rep2" / "partial" / "claims.json").read_text())  # -k: partial
    assert (report["tier"], report["master_seed"]) == ("quick", 2)  # --claims-report rep2: relative to the cwd


@pytest.mark.parametrize(
    "ini, message",
    [
        pytest.param(
            "claims_tier = medium",
            "--claims-tier (ini claims_tier) must be one of quick, full; got 'medium'",
            id="tier",
        ),
        pytest.param(
            "claims_seed = seven", "--claims-seed (ini claims_seed) must be an integer, got 'seven'", id="seed"
        ),
        pytest.param(
            "claims_stability_threshold = 2",
            "--claims-stability-threshold (ini claims_stability_threshold) must lie in (0, 1], got 2.0",
            id="threshold",
        ),
    ],
)
def test_bad_ini_value_is_a_usage_error(project, ini, message):
    project.makeini(f"[pytest]\naddopts = -p no:cacheprovider\n{ini}\n")
    write_claims(project, "test_match", MATCH_MODULE)
    result = run(project)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])


def test_too_many_seeds_is_a_usage_error(project):
    result = run(project, "--claims-seeds", "0:100000000")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --claims-seeds 0:100000000 asks for 100000000 seeds; at most 1000*"])


# ---------------------------------------------------------------------------- source documents


def test_misquote_fails_collection_with_claim_id_and_closest_passage(project):
    write_claims(
        project,
        "test_misquote",
        PRELUDE
        + """
A = make("a", statement="toy claim wobbly [...] toy claim crashed")

@claim_test(A)
def test_a(claims_verdict):
    claims_verdict(A, ev("confirmed"))
""",
    )
    result = run(project, "--claims-update")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        [
            "*ERROR collecting claims/test_misquote.py*",
            f"*malformed claim test: claim '002.toy.a' misquotes {SOURCE}:",
            "*quoted:   'toy claim crashed'",
            "*document: '- toy claim crash' (closest passage)",
        ]
    )
    assert not ledger(project).exists() and not (project.path / "reports").exists()


def test_changed_document_stops_the_run_naming_the_file(project):
    write_claims(project, "test_match", MATCH_MODULE)
    (project.path / "sources" / SOURCE).write_text(DOCUMENT + "- an added line\n")
    result = run(project)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            f"ERROR: source document '*/sources/{SOURCE}' has sha256 * but the manifest "
            "*claims/sources.json' pins *: the claims were written against another version*"
        ]
    )


def test_absent_documents_leave_claims_running_and_the_report_says_so(project):
    write_claims(project, "test_match", MATCH_MODULE)
    (project.path / "sources" / SOURCE).unlink()
    result = run(project, "--claims-update")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([f"document not available: quotes not verified: {SOURCE}"])
    report = json.loads((project.path / "reports" / "claims.json").read_text())
    assert report["sources"] == {
        SOURCE: {
            "title": "Toy source document",
            "sha256": hashlib.sha256(DOCUMENT.encode()).hexdigest(),
            "quotes": "document not available: quotes not verified",
        }
    }
    md = (project.path / "reports" / "claims.md").read_text()
    assert f"## 002 — Toy source document\n\n*document not available: quotes not verified* (`{SOURCE}`)." in md
    assert report["claims"][0]["line"] is None  # without the document, no line: claims in id order


def test_missing_manifest_fails_claims_but_not_other_tests(project):
    (project.path / "claims" / "sources.json").unlink()
    write_claims(project, "test_match", MATCH_MODULE)
    (project.path / "claims" / "test_plain.py").write_text("def test_plain():\n    pass\n")
    result = project.runpytest("claims/test_plain.py")
    result.assert_outcomes(passed=1)  # a project without claims is not bothered by the plugin
    result = run(project)
    result.stdout.fnmatch_lines(["*claim '002.toy.a': sources manifest '*claims/sources.json' not found*"])


# ---------------------------------------------------------------------------- an unrelated project


ONE_CLAIM = (
    PRELUDE
    + """
A = make("a")


@claim_test(A)
def test_a(claims_verdict, claims_seed):
    claims_verdict(A, ev("confirmed", estimate=float(np.random.default_rng(claims_seed).normal())))
"""
)


def test_plugin_serves_an_unrelated_project_serially_and_with_two_workers(project):
    """Everything at its default place under the project's rootdir: sources/, claims/sources.json,
    claims/ledger.json, reports/; nothing passed but the test path."""
    write_claims(project, "test_one", ONE_CLAIM)
    ledger(project).write_text(ledger_text({"002.toy.a": {"quick": "confirmed"}}))
    serial = project.runpytest_subprocess("claims", "-p", "no:xdist")
    serial.assert_outcomes(passed=1)
    expected = json.loads((project.path / "reports" / "claims.json").read_text())
    (project.path / "reports").rename(project.path / "reports-serial")
    parallel = project.runpytest_subprocess("claims", "-n", "2", "-p", "no:benchmark")
    parallel.assert_outcomes(passed=1)
    parallel.stdout.fnmatch_lines(["created: 2/2 workers"])
    report = json.loads((project.path / "reports" / "claims.json").read_text())
    for doc in (expected, report):
        doc["claims"][0].pop("duration_s")
        doc.pop("environment")  # -n adds its workers' versions
        doc.pop("created")
    assert report == expected and report["sources"][SOURCE]["quotes"] == "quotes verified against the document"


# ---------------------------------------------------------------------------- faults under -n

KILL_MODULE = (
    PRELUDE
    + """
import os
import signal
import time

UNGROUPED = [make(f"u{i}") for i in range(8)]
GROUPED = [make(f"h{i}") for i in range(4)]


def _die_if_asked(claim):
    if os.environ.get("CLAIMS_TEST_KILL_AT") == claim.id:  # fault injection: this worker dies at once
        os.kill(os.getpid(), signal.SIGKILL)


@pytest.mark.parametrize("claim", [pytest.param(c, marks=claim_test(c), id=c.id) for c in UNGROUPED])
def test_u(claim, claims_verdict):
    _die_if_asked(claim)
    claims_verdict(claim, ev("confirmed"))


@pytest.mark.parametrize("claim", [pytest.param(c, marks=[claim_test(c), pytest.mark.xdist_group("h")], id=c.id)
                                   for c in GROUPED])
def test_h(claim, claims_verdict):
    time.sleep(1.0)  # the group keeps one worker busy while the other runs every ungrouped test
    _die_if_asked(claim)
    claims_verdict(claim, ev("confirmed"))
"""
)


@pytest.mark.parametrize("victim", ["002.toy.u5", "002.toy.h2"], ids=["ungrouped", "grouped"])
def test_killed_worker_with_queued_work_ends_the_run_names_the_test_and_writes_nothing(project, monkeypatch, victim):
    """Issue 12 item 1: a worker SIGKILLed mid-test, more tests queued; the run must end (bounded
    by the subprocess timeout), fail, name the test and leave report and ledger untouched.

    In the ungrouped case the dead worker had finished u0..u4 while the other ran the slow group:
    xdist's scheduler re-queued those finished units, the workers were sent empty units and the
    run hung (it times out here with the previous scheduler)."""
    write_claims(project, "test_kill", KILL_MODULE)
    text = ledger_text(
        {f"002.toy.{n}": {"quick": "confirmed"} for n in [f"u{i}" for i in range(8)] + ["h0", "h1", "h3"]}
    )
    ledger(project).write_text(text)
    monkeypatch.setenv("CLAIMS_TEST_KILL_AT", victim)
    result = project.runpytest_subprocess("claims", "-n", "2", "--claims-update", "-p", "no:benchmark", timeout=150)
    result.assert_outcomes(passed=11, failed=1)
    result.stdout.fnmatch_lines(
        [
            f"*worker 'gw?' crashed while running *{victim}*",
            "*= claims summary =*",
            f"worker crash: *{victim}* crashed worker gw?*",
            "report and ledger NOT written (the previous files are untouched)",
        ]
    )
    assert ledger(project).read_text() == text
    assert not (project.path / "reports").exists()


SLOW_MODULE = (
    PRELUDE
    + """
import os
import time

CLAIMS = [make(f"s{i}") for i in range(4)]


@pytest.mark.parametrize("claim", [pytest.param(c, marks=claim_test(c), id=c.id) for c in CLAIMS])
def test_s(claim, claims_verdict):
    with open(os.environ["CLAIMS_TEST_STARTED"], "a") as f:
        f.write(claim.id + "\\n")
    time.sleep(120)
    claims_verdict(claim, ev("confirmed"))
"""
)


def _as_from_a_terminal() -> None:
    """In the child before exec: SIGINT handled by default and unblocked, as a shell starts pytest
    (an xdist worker running this test may ignore or block it, and children inherit both)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])


@pytest.mark.parametrize("whom", ["controller", "process_group"])
def test_ctrl_c_under_xdist_says_nothing_was_written(project, whom):
    """Issue 12 item 7: SIGINT to the controller alone, or to the whole process group as a
    terminal's Ctrl-C does, ends the -n run with the same line as a serial run."""
    write_claims(project, "test_slow", SLOW_MODULE)
    text = ledger_text({f"002.toy.s{i}": {"quick": "confirmed"} for i in range(4)})
    ledger(project).write_text(text)
    started = project.path / "started.txt"
    env = dict(os.environ, CLAIMS_TEST_STARTED=str(started))
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "claims", "-n", "2", "--claims-update", "-p", "no:benchmark"],
        cwd=project.path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        preexec_fn=_as_from_a_terminal,
    )
    try:
        deadline = time.monotonic() + 120
        while not (started.exists() and started.read_text().strip()):
            assert time.monotonic() < deadline and proc.poll() is None, "no test started"
            time.sleep(0.2)
        if whom == "controller":
            os.kill(proc.pid, signal.SIGINT)
        else:
            os.killpg(proc.pid, signal.SIGINT)
        out, _ = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == pytest.ExitCode.INTERRUPTED, out
    assert "run interrupted: report and ledger NOT written" in out, out
    assert ledger(project).read_text() == text
    assert not (project.path / "reports").exists()


# ---------------------------------------------------------------------------- scale-out

CWD_MODULE = (
    PRELUDE
    + """
import os

CLAIMS = [make(f"c{i}") for i in range(4)]


@pytest.mark.parametrize("claim", [pytest.param(c, marks=claim_test(c), id=c.id) for c in CLAIMS])
def test_c(claim, claims_verdict):
    with open(os.environ["CLAIMS_TEST_CWDS"], "a") as f:
        f.write(os.getcwd() + "\\n")
    claims_verdict(claim, ev("confirmed"))
"""
)


def test_gateways_in_other_directories_need_no_shared_cwd(project, monkeypatch, tmp_path_factory):
    """Two popen gateways, each in its own directory with its own copy of the project (as on two
    hosts); the copies lack the ledger, the manifest and the documents. Workers use what the
    controller sent; report and ledger are written on the controller's rootdir only.

    (xdist takes every command-line word that names an existing path for a path to map onto the
    copy, hence the glob ``source[s]`` for the sources dir.)"""
    write_claims(project, "test_cwd", CWD_MODULE)
    ledger(project).write_text(ledger_text({f"002.toy.c{i}": {"quick": "confirmed"} for i in range(3)}))
    w1, w2 = tmp_path_factory.mktemp("host1"), tmp_path_factory.mktemp("host2")
    cwds = project.path / "cwds.txt"
    monkeypatch.setenv("CLAIMS_TEST_CWDS", str(cwds))
    result = project.runpytest_subprocess(
        str(project.path / "claims"),
        "--dist",
        "loadgroup",
        "--tx",
        f"popen//chdir={w1}",
        "--tx",
        f"popen//chdir={w2}",
        "--rsyncdir",
        str(project.path),
        "--rsyncignore",
        "ledger.json",
        "--rsyncignore",
        "sources.json",
        "--rsyncignore",
        "source[s]",
        "--claims-update",
        "-p",
        "no:benchmark",
        timeout=180,
    )
    result.assert_outcomes(passed=4)
    assert set(cwds.read_text().split()) == {str(w1), str(w2)}
    report = json.loads((project.path / "reports" / "claims.json").read_text())
    assert [c["id"] for c in report["claims"]] == [f"002.toy.c{i}" for i in range(4)]
    assert report["sources"][SOURCE]["quotes"] == "quotes verified against the document"
    assert json.loads(ledger(project).read_text())["claims"]["002.toy.c3"] == {"quick": "confirmed"}
    for host in (w1, w2):
        copy = host / project.path.name
        assert (copy / "claims" / "test_cwd.py").exists()  # the project was copied there
        assert not list(host.rglob("ledger.json")) and not list(host.rglob("claims.json"))
