"""Fault injection, issue 19: which outcomes feed the ledger, and what the plugin refuses to touch.

Each test builds the toy project of ``tests/toy.py`` through ``pytester`` and injects one fault:
a claim test that fails, skips or errors after submitting its verdict (item 2), a module that
fails to import under ``-n`` (item 3), unreadable inputs (item 4), a claim id with a trailing
newline (item 5), seed options that contradict each other or the ledger (item 8), pytest-timeout
and pytest-rerunfailures beside the plugin (item 9), and a report folder holding the user's
files (item 1). The real plugins run (dev extras); nothing of theirs is mocked.
"""

pytest_plugins = ["pytester"]

import hashlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
from pathlib import Path  # noqa: E402

# In-process pytester runs drop the modules first imported inside them; re-importing a C
# extension such as torch afterwards crashes. Import the heavy ones here, before any run.
import matplotlib.pyplot  # noqa: E402, F401
import pytest  # noqa: E402
import torch  # noqa: E402, F401

from harness.evidence.claims import Claim, Protocol  # noqa: E402
from harness.evidence.files import OWNER_MARK  # noqa: E402
from tests.helpers import tree  # noqa: E402
from tests.toy import (  # noqa: E402
    LEDGER_AB,
    PRELUDE,
    REPO,
    SOURCE,
    ledger_path,
    ledger_text,
    make_project,
    run,
    run_subprocess,
)


@pytest.fixture
def project(pytester, monkeypatch):
    """The toy project of ``tests/toy.py``."""
    return make_project(pytester, monkeypatch)


def report(root: Path) -> dict:
    return json.loads((root / "reports" / "claims.json").read_text())


def write_module(project, name: str, body: str) -> None:
    (project.path / "claims" / f"{name}.py").write_text(PRELUDE + body)


# ---------------------------------------------------------------------------- item 2: only tests that end well


AFTER_THE_VERDICT = """
import pytest

C, D, E, F, G = (make(n) for n in "cdefg")


@claim_test(C)
def test_assert_after(claims_verdict):
    claims_verdict(C, ev("confirmed"))
    assert False, "the test's own check failed after the verdict"


@claim_test(D)
def test_raise_after(claims_verdict):
    claims_verdict(D, ev("confirmed"))
    raise RuntimeError("boom after the verdict")


@claim_test(E)
def test_skip_after(claims_verdict):
    claims_verdict(E, ev("confirmed"))
    pytest.skip("skipped after the verdict")


@claim_test(F)
def test_twice(claims_verdict):
    claims_verdict(F, ev("confirmed"))
    try:
        claims_verdict(F, ev("refuted"))
    except BaseException:
        pass  # a test that swallows the error still gives no verdict


@pytest.fixture
def broken_teardown():
    yield
    raise RuntimeError("teardown broke")


@claim_test(G)
def test_teardown_error(claims_verdict, broken_teardown):
    claims_verdict(G, ev("confirmed"))
"""


def test_a_test_that_fails_after_its_verdict_gives_no_verdict_and_keeps_the_ledger(project):
    write_module(project, "test_after", AFTER_THE_VERDICT)
    ledger_path(project).write_text(ledger_text({**LEDGER_AB, "002.toy.c": {"quick": "refuted"}}))
    result = run(project, "--claims-update")
    result.assert_outcomes(passed=3, failed=3, skipped=1, errors=1)  # the teardown error is one of the passed
    assert json.loads(ledger_path(project).read_text())["claims"] == {**LEDGER_AB, "002.toy.c": {"quick": "refuted"}}
    doc = report(project.path)
    assert [c["id"] for c in doc["claims"]] == ["002.toy.a", "002.toy.b"]
    reasons = {r["id"]: r["no_verdict_reason"] for r in doc["no_verdict"]}
    assert sorted(reasons) == ["002.toy.c", "002.toy.d", "002.toy.e", "002.toy.f", "002.toy.g"]
    assert "the test's own check failed" in reasons["002.toy.c"]
    assert "RuntimeError: boom after the verdict" in reasons["002.toy.d"]
    assert reasons["002.toy.e"] == "skipped in call: skipped after the verdict"
    assert (
        reasons["002.toy.f"]
        == "failed in call: Failed: verdict() was called twice for claim '002.toy.f': nothing is recorded"
    )
    assert reasons["002.toy.g"].startswith("failed in teardown") and "teardown broke" in reasons["002.toy.g"]
    result.stdout.fnmatch_lines(
        ["no verdict (the test did not end well; its ledger entry is kept): 5 claim(s)", "  002.toy.c: failed in call*"]
    )
    assert "## Claims without a verdict" in (project.path / "reports" / "claims.md").read_text()


def test_a_changed_verdict_still_reaches_the_report(project):
    """The gate failing a test is not the test failing: the changed verdict is reported as observed."""
    ledger_path(project).write_text(ledger_text({"002.toy.a": {"quick": "refuted"}, "002.toy.b": {"quick": "refuted"}}))
    run(project).assert_outcomes(passed=1, failed=1)
    doc = report(project.path)
    assert [(c["id"], c["verdict"]) for c in doc["claims"]] == [("002.toy.a", "confirmed"), ("002.toy.b", "refuted")]
    assert doc["no_verdict"] == []


SKIPS = """
import pytest

C, D, E = (make(n) for n in "cde")


@claim_test(C)
def test_body_skip(claims_verdict):
    pytest.skip("no GPU here")


@claim_test(D)
@pytest.mark.skipif(True, reason="no GPU here")
def test_mark_skip(claims_verdict):
    claims_verdict(D, ev("confirmed"))


@pytest.fixture
def gpu():
    pytest.skip("no GPU here")


@claim_test(E)
def test_fixture_skip(claims_verdict, gpu):
    claims_verdict(E, ev("confirmed"))
"""


def test_a_skip_in_the_body_gives_no_verdict_and_a_skip_mark_or_fixture_is_only_pytests_skip(project):
    """Review M3, as docs/ledger-and-reports.md says: only a body skip is listed without a verdict."""
    write_module(project, "test_skips", SKIPS)
    result = run(project)
    result.assert_outcomes(passed=2, skipped=3)
    no_verdict = [(r["id"], r["no_verdict_reason"]) for r in report(project.path)["no_verdict"]]
    assert no_verdict == [("002.toy.c", "skipped in call: no GPU here")]


# ---------------------------------------------------------------------------- item 3: collection errors under -n


@pytest.mark.parametrize(
    "workers", [[], pytest.param(["-p", "xdist", "-n", "2"], marks=pytest.mark.slow_faults)], ids=["serial", "n2"]
)
def test_a_collection_error_stops_the_run_and_writes_nothing(project, workers):
    (project.path / "claims" / "test_broken.py").write_text("import no_such_module\n")
    before = ledger_path(project).read_text()
    code, out = run_subprocess(project, *workers, "--claims-update", "-p", "no:randomly")
    assert code == pytest.ExitCode.INTERRUPTED, out
    assert "error during collection" in out and "run interrupted: report and ledger NOT written" in out, out
    assert ledger_path(project).read_text() == before
    assert not (project.path / "reports").exists()


@pytest.mark.slow_faults
def test_on_an_unknown_xdist_a_collection_error_still_writes_nothing(project):
    """Review M11: stopping xdist sets its private ``DSession.shouldstop``, now only on the versions in
    ``scheduling.KNOWN_XDIST``; on another the run goes on, and the plugin writes nothing."""
    (project.path / "conftest.py").write_text("import xdist\n\nxdist.__version__ = '4.1.0'\n")
    (project.path / "claims" / "test_broken.py").write_text("import no_such_module\n")
    before = ledger_path(project).read_text()
    code, out = run_subprocess(project, "-p", "xdist", "-n", "2", "--claims-update")
    assert code == pytest.ExitCode.TESTS_FAILED, out
    assert "2 passed" in out and "1 collection error(s): report and ledger NOT written" in out, out
    assert ledger_path(project).read_text() == before
    assert not (project.path / "reports").exists()


# ---------------------------------------------------------------------------- item 4: unreadable inputs


def test_a_ledger_with_a_non_utf8_byte_is_a_usage_error_naming_it(project):
    ledger_path(project).write_bytes(b'{"schema": 1, "claims": {"002.toy.a": {"quick": "confirm\xe9d"}}}')
    result = run(project)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: claims ledger '*claims/ledger.json' is not UTF-8 text: byte 0xe9 at offset *"])


def test_a_document_with_non_utf8_bytes_is_a_usage_error_naming_it(project):
    data = b"# Toy source document\n\nan \xff byte\n"
    (project.path / "sources" / SOURCE).write_bytes(data)
    manifest = project.path / "claims" / "sources.json"
    entry = json.loads(manifest.read_text())
    entry["sources"][0]["sha256"] = hashlib.sha256(data).hexdigest()
    manifest.write_text(json.dumps(entry))
    (project.path / "test_unit.py").write_text("def test_unit():\n    pass\n")
    result = project.runpytest("--claims-sources=sources", "test_unit.py")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"ERROR: source document '*sources/{SOURCE}' is not UTF-8 text: byte 0xff at offset 26"]
    )


def test_a_manifest_that_is_a_directory_is_a_usage_error_naming_it(project):
    (project.path / "manifest_dir").mkdir()
    result = run(project, "--claims-manifest", "manifest_dir")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: sources manifest '*manifest_dir' cannot be read: *Is a directory*"])


@pytest.mark.parametrize("errno_name", ["EIO", "EACCES"])
def test_a_document_that_cannot_be_read_is_a_usage_error_naming_it(project, monkeypatch, errno_name):
    """EIO and EACCES cannot be made for root on a plain file system here: the read raises them."""
    import errno

    real = Path.read_bytes

    def failing(path):
        if path.name == SOURCE:
            code = getattr(errno, errno_name)
            raise OSError(code, os.strerror(code), str(path))
        return real(path)

    monkeypatch.setattr(Path, "read_bytes", failing)
    result = run(project)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"ERROR: source document '*{SOURCE}' cannot be read: *{os.strerror(getattr(errno, errno_name))}*"]
    )


# ---------------------------------------------------------------------------- item 5: claim ids


@pytest.mark.parametrize("bad", ["002.toy.a\n", "002.toy.a\r\n", "\n002.toy.a"])
def test_a_claim_id_with_a_newline_is_malformed(bad):
    with pytest.raises(ValueError, match="is malformed"):
        Claim(
            id=bad,
            source=SOURCE,
            statement="toy claim a",
            reported={},
            protocol=Protocol(),
            test="exact_value",
            alpha=0.05,
            n=1,
        )


# ---------------------------------------------------------------------------- item 8: seeds and the ledger


def test_an_update_at_another_seed_is_refused_and_the_ledger_kept(project):
    before = ledger_path(project).read_text()
    result = run(project, "--claims-seed", "1", "--claims-update")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: the ledger '*ledger.json' holds the verdicts of master seed 0, and this run used*"]
    )
    assert ledger_path(project).read_text() == before
    run(project).assert_outcomes(passed=2)  # the default run still passes


def test_a_run_at_another_seed_is_reported_not_gated(project):
    ledger_path(project).write_text(ledger_text({"002.toy.a": {"quick": "refuted"}, "002.toy.b": {"quick": "refuted"}}))
    result = run(project, "--claims-seed", "1")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "claims: tier quick, master seed 1 (not gated: the ledger gates master seed 0)*",
            "changed verdicts (not gated: the ledger holds master seed 0's verdicts):",
        ]
    )


def test_a_master_seed_outside_the_seed_range_is_a_usage_error(project):
    result = run(project, "--claims-seed", "3", "--claims-seeds", "0:2")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --claims-seed (ini claims_seed) 3 is not one of --claims-seeds 0:2*"])
    run(project, "--claims-seed", "1", "--claims-seeds", "0:2").assert_outcomes(passed=4)
    assert report(project.path)["master_seed"] == 1


# ---------------------------------------------------------------------------- item 9: pytest-timeout, rerunfailures

SLOW = """
import time

CLAIMS = [make(f"t{i}") for i in range(7)]


@pytest.mark.parametrize("claim", [pytest.param(c, marks=claim_test(c), id=c.id) for c in CLAIMS])
def test_t(claim, claims_verdict):
    if int(claim.id[-1]) % 2 == 1:
        time.sleep(float(os.environ.get("CLAIMS_TEST_SLEEP", "30")))
    claims_verdict(claim, ev("confirmed"))
"""


def test_timed_out_claims_are_listed_without_a_verdict(project):
    """pytest-timeout (signal method, serial): the timed-out claims used to vanish from the report."""
    write_module(project, "test_slow", "import pytest\n" + SLOW)
    result = run(project, "--claims-update", "-p", "timeout", "--timeout", "1", "--timeout-method", "signal")
    result.assert_outcomes(passed=6, failed=3)
    doc = report(project.path)
    assert [c["id"] for c in doc["claims"]] == [
        "002.toy.a",
        "002.toy.b",
        "002.toy.t0",
        "002.toy.t2",
        "002.toy.t4",
        "002.toy.t6",
    ]
    assert {r["id"]: r["no_verdict_reason"].split(":")[0] for r in doc["no_verdict"]} == {
        f"002.toy.t{i}": "failed in call" for i in (1, 3, 5)
    }
    assert all("Timeout" in r["no_verdict_reason"] for r in doc["no_verdict"])


SLOW_REPLACEMENT = """
import os
import time


def pytest_collection(session):
    # The second replacement worker collects slowly, so that the first one dies while it collects.
    time.sleep({"gw3": 8.0}.get(os.environ.get("PYTEST_XDIST_WORKER", ""), 0.0))
"""


@pytest.mark.slow_faults
def test_workers_killed_by_pytest_timeout_while_a_replacement_collects_end_with_a_summary(project):
    """pytest-timeout's thread method kills each worker that runs a slow claim: two die at once under
    -n 2, and a replacement dies while the other replacement still collects. xdist's group scheduler
    then gave a work unit to the collecting worker: INTERNALERROR KeyError (exit 3), no summary."""
    write_module(project, "test_slow", "import pytest\n" + SLOW)
    (project.path / "conftest.py").write_text(SLOW_REPLACEMENT)
    before = ledger_path(project).read_text()
    code, out = run_subprocess(
        project,
        "-p",
        "xdist",
        "-n",
        "2",
        "-p",
        "timeout",
        "--timeout",
        "2",
        "--timeout-method",
        "thread",
        "--claims-update",
    )
    assert "INTERNALERROR" not in out, out
    assert code == pytest.ExitCode.TESTS_FAILED, out
    assert "= claims summary =" in out and "report and ledger NOT written" in out, out
    for i in (1, 3, 5):
        assert f"crashed while running 'claims/test_slow.py::test_t[002.toy.t{i}]" in out, out
    assert ledger_path(project).read_text() == before and not (project.path / "reports").exists()


FLAKY = """
import pathlib

CLAIMS = [make(f"t{i}") for i in range(4)]


@pytest.mark.parametrize("claim", [pytest.param(c, marks=claim_test(c), id=c.id) for c in CLAIMS])
def test_flaky(claim, claims_verdict):
    tries = pathlib.Path(f"{claim.id}.tries")
    tries.write_text(tries.read_text() + "x" if tries.exists() else "x")
    verdict = "refuted" if len(tries.read_text()) == 1 else "confirmed"
    claims_verdict(claim, ev(verdict))  # the first attempt's verdict must not count
    assert len(tries.read_text()) > 1, "fails on its first attempt"
"""


@pytest.mark.parametrize(
    "workers", [[], pytest.param(["-p", "xdist", "-n", "2"], marks=pytest.mark.slow_faults)], ids=["serial", "n2"]
)
def test_with_reruns_the_last_attempt_counts(project, workers):
    write_module(project, "test_flaky", "import pytest\n" + FLAKY)
    ledger_path(project).write_text(ledger_text({}))
    code, out = run_subprocess(project, *workers, "-p", "rerunfailures", "--reruns", "2", "--claims-update")
    assert code == pytest.ExitCode.OK, out
    assert "6 passed, 4 rerun" in out, out
    doc = report(project.path)
    assert [(c["id"], c["verdict"]) for c in doc["claims"]][2:] == [(f"002.toy.t{i}", "confirmed") for i in range(4)]
    assert doc["no_verdict"] == []
    assert json.loads(ledger_path(project).read_text())["claims"]["002.toy.t3"] == {"quick": "confirmed"}


# ---------------------------------------------------------------------------- item 1: the user's files


@pytest.mark.parametrize(
    "entries",
    [
        pytest.param({"figures/mine.png": "png", "stability.json": "{}", "claims.md": "mine"}, id="report-names"),
        pytest.param({"sets/x/notes.txt": "x", "current/y.txt": "y", ".draft.tmp": "t"}, id="sets-current-temps"),
    ],
)
def test_a_report_folder_holding_the_users_files_is_refused_and_untouched(project, entries):
    out = project.path / "mine"
    for rel, text in entries.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text)
    before = tree(out)
    result = run(project, "--claims-report", "mine", "--claims-update")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: report directory '*mine' is not empty and was not made by the claims plugin*"])
    assert tree(out) == before


def test_the_project_root_as_report_folder_is_refused(project):
    project.makeini("[pytest]\naddopts = -p no:cacheprovider -p no:benchmark -p no:xdist\nclaims_report = .\n")
    before = sorted(p.name for p in project.path.iterdir())
    result = run(project)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: report directory '{project.path}' is not empty and was not made*"])
    assert sorted(p.name for p in project.path.iterdir()) == before


def test_the_plugins_own_folder_keeps_the_users_other_files(project):
    run(project).assert_outcomes(passed=2)
    reports = project.path / "reports"
    assert (reports / OWNER_MARK).is_file()
    (reports / "notes.md").write_text("mine")
    run(project, "-k", "test_b").assert_outcomes(passed=1)
    assert (reports / "notes.md").read_text() == "mine"


def test_another_projects_run_without_claim_tests_leaves_its_reports_folder_alone(pytester, monkeypatch):
    """Review B1: the plugin is installed for every project; one with its own ``reports/`` and no
    claim tests was stopped ("is not empty and was not made by the claims plugin")."""
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider -p no:benchmark -p no:hypothesispytest\n")
    (pytester.path / "reports").mkdir()
    (pytester.path / "reports" / "q3.txt").write_text("mine")
    pytester.makepyfile(test_x="def test_x():\n    pass\n")
    before = tree(pytester.path / "reports")
    for workers in ([], ["-n", "2"]):
        result = pytester.runpytest_subprocess(*workers)
        assert result.ret == pytest.ExitCode.OK, result.stdout.str() + result.stderr.str()
        result.assert_outcomes(passed=1)
    assert tree(pytester.path / "reports") == before


def test_claim_tests_with_a_foreign_default_report_folder_are_refused_before_they_run(project):
    """The check moved from configure to collection (review B1): a claims run still stops before any test."""
    (project.path / "reports").mkdir()
    (project.path / "reports" / "q3.txt").write_text("mine")
    before = tree(project.path)
    result = run(project, "--claims-update")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: report directory '*reports' is not empty and was not made by the claims plugin*"]
    )
    result.assert_outcomes()
    assert tree(project.path) == before


@pytest.mark.slow_faults
def test_under_xdist_a_foreign_default_report_folder_stops_the_run_at_the_first_claim_test(project):
    (project.path / "reports").mkdir()
    (project.path / "reports" / "q3.txt").write_text("mine")
    before = ledger_path(project).read_text()
    code, out = run_subprocess(project, "-p", "xdist", "-n", "2", "--claims-update")
    assert code == pytest.ExitCode.USAGE_ERROR, out
    assert "is not empty and was not made by the claims plugin" in out, out
    assert sorted(p.name for p in (project.path / "reports").iterdir()) == ["q3.txt"]
    assert ledger_path(project).read_text() == before
