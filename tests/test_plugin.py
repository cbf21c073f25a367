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
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

# In-process pytester runs drop the modules first imported inside them; re-importing a C
# extension such as torch afterwards crashes. Import the heavy ones here, before any run.
import hypothesis  # noqa: E402, F401
import matplotlib.pyplot  # noqa: E402, F401
import torch  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SOURCE = "002_12f8b00312862f98.txt"
DOCUMENT = "# Toy source document\n\ntext\n\n" + "".join(f"- toy claim {c}\n" for c in "abcdefgqs") + (
    "- toy claim stable\n- toy claim wobbly\n- toy claim crash\n- toy claim full_only\n"
    + "".join(f"- toy claim {p}{i}\n" for p in "cgk" for i in range(6))
)

PRELUDE = '''
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
                    alpha=0.05, test="toy rule")
'''

MATCH_MODULE = PRELUDE + '''
A = make("a")
B = make("b")


@claim_test(A)
def test_a(claims_verdict):
    claims_verdict(A, ev("confirmed"))


@claim_test(B)
def test_b(claims_verdict):
    claims_verdict(B, ev("refuted", estimate=0.5))
'''


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
    digest = hashlib.sha256(document.encode("utf-8")).hexdigest()
    path.write_text(json.dumps({"schema": 1, "sources": [{"file": name, "title": "Toy source document",
                                                         "sha256": digest}]}))


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
    result.stdout.fnmatch_lines([
        "*= claims summary =*",
        "tier quick, master seed 0",
        "source*confirmed*refuted*inconclusive*total",
        f"{SOURCE}*1*1*0*2",
        "changed verdicts: none",
    ])
    report = json.loads((project.path / "reports" / "claims.json").read_text())
    assert [c["id"] for c in report["claims"]] == ["002.toy.a", "002.toy.b"]
    assert report["claims"][1]["expected"] == "refuted"
    assert "## 002_12f8b00312862f98.txt — Toy source document" in (project.path / "reports" / "claims.md").read_text()


def test_mismatch_fails_with_expected_observed_and_evidence(project):
    write_claims(project, "test_mismatch", MATCH_MODULE)
    text = ledger_text({"002.toy.a": {"quick": "confirmed"}, "002.toy.b": {"quick": "confirmed"}})
    ledger(project).write_text(text)
    result = run(project)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*claim '002.toy.b' verdict changed: expected 'confirmed' (ledger, tier 'quick'), observed 'refuted'.",
        "*statement: 'toy claim b'*",
        "*evidence:  test=toy rule estimate=0.5*",
        "*rerun with --claims-update*",
        "changed verdicts (ledger -> observed):",
        "  002.toy.b: confirmed -> refuted",
    ])
    assert ledger(project).read_text() == text  # never rewritten without --claims-update


def test_missing_entry_fails_and_update_accepts_it(project):
    write_claims(project, "test_missing", MATCH_MODULE)
    ledger(project).write_text(ledger_text({"002.toy.a": {"quick": "confirmed", "full": "refuted"}}))
    result = run(project)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*claim '002.toy.b' has no 'quick' verdict in the ledger*Rerun with --claims-update*"])

    result = run(project, "--claims-update")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["changed verdicts (accepted into the ledger):", "  002.toy.b: (not in ledger) -> refuted",
                                 "ledger updated: *ledger.json"])
    assert json.loads(ledger(project).read_text())["claims"] == {
        "002.toy.a": {"quick": "confirmed", "full": "refuted"},  # the other tier is kept
        "002.toy.b": {"quick": "refuted"},
    }
    run(project).assert_outcomes(passed=2)


def test_update_creates_missing_ledger(project):
    write_claims(project, "test_create", MATCH_MODULE)
    run(project, "--claims-update").assert_outcomes(passed=2)
    assert json.loads(ledger(project).read_text()) == {
        "schema": 1, "claims": {"002.toy.a": {"quick": "confirmed"}, "002.toy.b": {"quick": "refuted"}}}


@pytest.mark.parametrize(
    "text, message",
    [
        pytest.param("{oops", "is not valid JSON", id="bad_json"),
        pytest.param('{"schema": 1, "claims": {"002.toy.a": {"quick": "yes"}}}', "unknown verdict 'yes'", id="bad_verdict"),
        pytest.param('{"schema": 1, "claims": {"002.toy.a": {"quick": "confirmed"}, "002.toy.a": {"quick": "refuted"}}}',
                     "duplicate key '002.toy.a'", id="duplicate_id"),
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
    write_claims(project, "test_noverdict", PRELUDE + '''
A = make("a")

@claim_test(A)
def test_a(claims_verdict):
    pass
''')
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
        pytest.param('source="002_ffff.txt"', "source '002_ffff.txt' is not listed in the sources manifest", id="source_not_in_manifest"),
    ],
)
def test_malformed_claim_fails_collection(project, claim_kw, message):
    write_claims(project, "test_bad", PRELUDE + f'''
A = make("a", {claim_kw})

@claim_test(A)
def test_a(claims_verdict):
    claims_verdict(A, ev("confirmed"))
''')
    result = run(project, "--claims-update")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*ERROR collecting claims/test_bad.py*", f"*{message}*", "*1 error*"])
    assert not ledger(project).exists()


def test_claim_test_without_verdict_fixture_fails_collection(project):
    write_claims(project, "test_nofixture", PRELUDE + '''
A = make("a")

@claim_test(A)
def test_a():
    pass
''')
    result = run(project)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*malformed claim test: *must request the 'claims_verdict' fixture*"])


# ---------------------------------------------------------------------------- tiers, seeds


TIER_MODULE = PRELUDE + '''
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
'''


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
    assert json.loads((project.path / "reports" / "claims.json").read_text())["not_run"] == []
    result = run(project, "--claims-update", "--claims-tier", "full")
    result.assert_outcomes(passed=2 + gpu, skipped=0 if gpu else 1)
    claims = json.loads(ledger(project).read_text())["claims"]
    assert claims["002.toy.q"] == {"quick": "confirmed", "full": "confirmed"}
    assert claims["002.toy.f"] == {"full": "confirmed"}
    report = json.loads((project.path / "reports" / "claims.json").read_text())
    assert report["tier"] == "full" and {c["id"]: c["n"] for c in report["claims"]}["002.toy.q"] == 8


def test_expected_verdicts_fixture_reads_the_ledger_of_the_tier(project):
    write_claims(project, "test_expected", PRELUDE + '''
A = make("a")


@claim_test(A)
def test_a(claims_verdict, claims_expected_verdicts):
    assert claims_expected_verdicts == {"002.toy.a": Verdict.CONFIRMED, "002.toy.b": Verdict.REFUTED}
    claims_verdict(A, ev("confirmed"))
''')
    ledger(project).write_text(ledger_text({"002.toy.a": {"quick": "confirmed"},
                                            "002.toy.b": {"quick": "refuted", "full": "confirmed"},
                                            "002.toy.c": {"full": "refuted"}}))
    run(project).assert_outcomes(passed=1)


def test_seeds_repeat_claims_and_flag_fragile(project):
    write_claims(project, "test_seeds", PRELUDE + '''
S = make("stable")
W = make("wobbly")


@claim_test(S)
def test_stable(claims_verdict):
    claims_verdict(S, ev("confirmed"))


@claim_test(W)
def test_wobbly(claims_verdict, claims_master_seed):
    claims_verdict(W, ev("refuted" if claims_master_seed == 2 else "confirmed"))
''')
    ledger(project).write_text(ledger_text({"002.toy.stable": {"quick": "confirmed"}, "002.toy.wobbly": {"quick": "confirmed"}}))
    result = run(project, "--claims-seeds", "0:4", "-v")
    result.assert_outcomes(passed=8)  # only the master seed (0) is gated; seed 2 makes it fragile
    result.stdout.fnmatch_lines(["fragile claims (stability < 80%): 1",
                                 "  002.toy.wobbly: 75% of seeds give confirmed"])
    stab = json.loads((project.path / "reports" / "stability.json").read_text())
    assert [(c["id"], c["stability"], c["fragile"]) for c in stab["claims"]] == [
        ("002.toy.stable", 1.0, False), ("002.toy.wobbly", 0.75, True)]
    assert json.loads((project.path / "reports" / "claims.json").read_text())["master_seed"] == 0


# ---------------------------------------------------------------------------- xdist

XDIST_MODULE = PRELUDE + '''
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
                            effect_size=m, n=20, alpha=0.05, test="toy mean", mde=0.6))


FULL = make("full_only")


@claim_test(FULL)
@pytest.mark.full
def test_full_only(claims_verdict):
    claims_verdict(FULL, ev("confirmed"))
'''


def _snapshot(root: Path) -> dict:
    report = json.loads((root / "reports" / "claims.json").read_text())
    for c in report["claims"]:
        assert c.pop("duration_s") >= 0.0  # present, but excluded from the comparison
    figures = {p.name: p.read_bytes() for p in sorted((root / "reports" / "figures").iterdir())}
    return {"report": report, "ledger": (root / "claims" / "ledger.json").read_text(),
            "md_rows": [ln for ln in (root / "reports" / "claims.md").read_text().splitlines() if " s." not in ln],
            "figures": figures}


def test_xdist_run_equals_serial_run(project, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    write_claims(project, "test_xdist", XDIST_MODULE)
    serial = run(project, "--claims-update", "--claims-seed", "3")
    serial.assert_outcomes(passed=6)
    expected = _snapshot(project.path)
    assert len(expected["report"]["claims"]) == 6 and expected["figures"]
    ledger(project).unlink()
    parallel = project.runpytest_subprocess("--claims-sources=sources", "claims", "-n", "2",
                                            "--claims-update", "--claims-seed", "3", "-p", "no:benchmark")
    parallel.assert_outcomes(passed=6)
    parallel.stdout.fnmatch_lines(["created: 2/2 workers", "*= claims summary =*", f"{SOURCE}*6"])
    assert _snapshot(project.path) == expected
    assert expected["report"]["not_run"] == ["002.toy.full_only"]


GROUP_MODULE = PRELUDE + '''
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
'''


def test_xdist_group_runs_on_one_worker_without_dist_option(project, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    write_claims(project, "test_group", GROUP_MODULE)
    result = project.runpytest_subprocess("--claims-sources=sources", "claims", "-n", "2", "--claims-update",
                                          "-p", "no:benchmark")
    result.assert_outcomes(passed=6)
    lines = (project.path / "grouped_workers.txt").read_text().splitlines()
    workers = {line.split()[0] for line in lines}
    assert len(lines) == 3 and len(workers) == 1, lines  # the lines show the node ids (with "@shared"?)


def test_explicit_dist_is_left_alone(project, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    write_claims(project, "test_group", GROUP_MODULE)
    result = project.runpytest_subprocess("--claims-sources=sources", "claims", "-n", "2", "--dist", "load",
                                          "--claims-update", "-p", "no:benchmark")
    result.assert_outcomes(passed=6)
    lines = (project.path / "grouped_workers.txt").read_text().splitlines()
    assert len(lines) == 3 and not any("@shared" in line for line in lines), lines


def test_crashed_worker_fails_run_and_writes_nothing(project, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    write_claims(project, "test_crash", MATCH_MODULE + '''

C = make("crash")


@claim_test(C)
def test_crash(claims_verdict):
    import os
    os._exit(3)
''')
    text = ledger_text({"002.toy.a": {"quick": "refuted"}})
    ledger(project).write_text(text)
    result = project.runpytest_subprocess("--claims-sources=sources", "claims", "-n", "2", "--claims-update",
                                          "-p", "no:benchmark")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*worker 'gw?' crashed while running*", "*= claims summary =*",
                                 "worker crash: worker gw?: *", "*report and ledger NOT written*"])
    assert ledger(project).read_text() == text
    assert not (project.path / "reports").exists()


def test_crash_inside_an_xdist_group_fails_that_test_and_finishes(project, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    write_claims(project, "test_group_crash", PRELUDE + '''
CLAIMS = [make(f"k{i}") for i in range(3)]


@pytest.mark.parametrize("claim", [pytest.param(c, marks=[claim_test(c), pytest.mark.xdist_group("g")], id=c.id)
                                   for c in CLAIMS])
def test_k(claim, claims_verdict):
    if claim.id.endswith("k1"):
        import os
        os._exit(3)
    claims_verdict(claim, ev("confirmed"))
''')
    result = project.runpytest_subprocess("--claims-sources=sources", "claims", "-n", "2", "--claims-update",
                                          "-p", "no:benchmark", timeout=120)
    result.assert_outcomes(passed=2, failed=1)  # the group's last test runs on the replacement worker
    result.stdout.fnmatch_lines(["*worker 'gw?' crashed while running*k1*", "*report and ledger NOT written*"])
