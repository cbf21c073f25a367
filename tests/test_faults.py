"""Fault injection: the claims plugin's ledger and report writing under kills, races and bad targets.

Each test builds a throw-away project through ``pytester`` (as ``tests/test_plugin.py`` does) and
injects one fault: two ``--claims-update`` runs at once, a writer killed or interrupted midway
(a toy ``conftest.py`` patches ``harness.evidence.files`` in the subprocess it runs in), a file
where a directory should be, a missing or stale ledger, a run selecting no claim. The last
section covers bad arguments that used to slip through (seeds, compile, Adam's eps, NaN p).

Tests run as root here, where ``chmod`` does not stop writes: the write-error tests use targets
that fail for root too (a regular file where a directory is expected, a directory where the
lock file goes); the ``chmod`` test runs only as a normal user.
"""

pytest_plugins = ["pytester"]

import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tomllib  # noqa: E402

# In-process pytester runs drop the modules first imported inside them; re-importing a C
# extension such as torch afterwards crashes. Import the heavy ones here, before any run.
import matplotlib.pyplot  # noqa: E402, F401
import pytest  # noqa: E402
import torch  # noqa: E402
from packaging.requirements import Requirement  # noqa: E402

from harness.engine import optim, schedules  # noqa: E402
from harness.engine.compiling import COMPILE_ENV  # noqa: E402
from harness.engine.data import centered_xor  # noqa: E402
from harness.engine.trainer import StoppingRule, train  # noqa: E402
from harness.evidence import rules  # noqa: E402
from harness.evidence.verdicts import Evidence, Verdict  # noqa: E402
from tests.toy import (  # noqa: E402
    LEDGER_AB,
    REPO,
    command,
    ledger_path,
    ledger_text,
    leftovers,
    make_project,
    report_set,
    run,
    run_subprocess,
)

# Loaded only by subprocess runs of the interrupted-writing tests: CLAIMS_TEST_FAULT names the
# point where the writer is killed (SIGKILL) or interrupted (KeyboardInterrupt, i.e. Ctrl-C).
FAULT_CONFTEST = """
import os
import signal

from harness.evidence import files

FAULT = os.environ.get("CLAIMS_TEST_FAULT", "")


def _die():
    if FAULT.startswith("interrupt"):
        raise KeyboardInterrupt
    os.kill(os.getpid(), signal.SIGKILL)


if FAULT.endswith("mid-set"):  # after the first file of the new report set
    _write_tree = files._write_tree

    def _first_file_then_die(root, data):
        _write_tree(root, dict(list(data.items())[:1]))
        _die()

    files._write_tree = _first_file_then_die
elif FAULT == "sigterm-while-writing":  # SIGTERM arrives while the set is written, which goes on
    _write_tree = files._write_tree

    def _sigterm_then_write(root, data):
        os.kill(os.getpid(), signal.SIGTERM)
        _write_tree(root, data)

    files._write_tree = _sigterm_then_write
elif FAULT == "kill-after-swap":  # the new set is current; old sets and temp files not yet removed
    files._remove_old = lambda *args, **kwargs: _die()
"""


@pytest.fixture
def project(pytester, monkeypatch):
    """The toy project of ``tests/toy.py``."""
    return make_project(pytester, monkeypatch)


# ---------------------------------------------------------------------------- concurrent updates


def test_concurrent_updates_keep_both_changes_and_one_whole_report(project):
    ledger_path(project).write_text(
        ledger_text({"002.toy.a": {"quick": "refuted"}, "002.toy.b": {"quick": "confirmed"}})
    )
    env = {**os.environ, "CLAIMS_TEST_BARRIER": "1"}
    # Both runs read the ledger at session start, then wait in their test until the other has started.
    procs = [
        subprocess.Popen(
            command("--claims-update", "-k", name),
            cwd=project.path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for name in ("test_a", "test_b")
    ]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert all("ledger updated" in out for out in outputs), outputs
    assert json.loads(ledger_path(project).read_text())["claims"] == {
        "002.toy.a": {"quick": "confirmed"},
        "002.toy.b": {"quick": "refuted"},
    }  # neither update lost
    _seed, ids, _figures = report_set(project.path, "reports/partial")  # -k: partial runs
    assert ids in (["002.toy.a"], ["002.toy.b"])  # the last run's whole set, not a mix
    assert leftovers(project.path) == []


# ---------------------------------------------------------------------------- interrupted writing


@pytest.mark.parametrize(
    "fault, survivor",
    [
        pytest.param("kill-mid-set", "old", id="sigkill-while-writing-the-set"),
        pytest.param("interrupt-mid-set", "old", id="ctrl-c-while-writing-the-set"),
        pytest.param("kill-after-swap", "new", id="sigkill-after-the-swap"),
    ],
)
def test_interrupted_report_writing_leaves_the_old_set_or_the_new(project, fault, survivor):
    (project.path / "conftest.py").write_text(FAULT_CONFTEST)
    run(project).assert_outcomes(passed=2)
    old = report_set(project.path)
    assert old == (0, ["002.toy.a", "002.toy.b"], ["002.toy.a.curve.png"])
    ledger_before = ledger_path(project).read_text()

    code, out = run_subprocess(project, "--claims-seed", "7", env={"CLAIMS_TEST_FAULT": fault})
    assert code != 0, out
    expected = old if survivor == "old" else (7, *old[1:])
    assert report_set(project.path) == expected
    assert ledger_path(project).read_text() == ledger_before

    run(project).assert_outcomes(passed=2)  # the next writer removes what the killed one left
    assert report_set(project.path) == old
    assert leftovers(project.path) == []


def test_sigterm_while_writing_finishes_both_and_exits_as_interrupted(project):
    """Review M2: the run exited 0, as if it had not been interrupted."""
    (project.path / "conftest.py").write_text(FAULT_CONFTEST)
    ledger_path(project).write_text(ledger_text({}))
    code, out = run_subprocess(project, "--claims-update", env={"CLAIMS_TEST_FAULT": "sigterm-while-writing"})
    assert code == pytest.ExitCode.INTERRUPTED, out
    assert "SIGTERM received while writing: the report and ledger above were finished first" in out
    assert report_set(project.path)[1] == ["002.toy.a", "002.toy.b"]
    assert json.loads(ledger_path(project).read_text())["claims"] == LEDGER_AB


def test_the_filelock_floor_has_the_reentrant_locks_the_writers_use():
    """Review H3: ``FileLock(..., is_singleton=True)`` came in filelock 3.13.1; under the old floor
    (3.12) every report and ledger write raised ``TypeError``."""
    dependencies = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    requirement = Requirement(next(d for d in dependencies if d.startswith("filelock")))
    assert requirement.specifier.contains("3.13.0") is False and requirement.specifier.contains("3.13.1")


def test_temp_and_lock_files_are_ignored_by_git():
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs git and a git checkout")
    paths = ["claims/.ledger.json.abc123.tmp", "claims/.ledger.json.lock", "reports/.current.ab12.tmp"]
    result = subprocess.run(["git", "check-ignore", *paths], cwd=REPO, capture_output=True, text=True)
    assert result.stdout.split() == paths


# ---------------------------------------------------------------------------- write errors


def test_report_dir_below_a_file_is_a_usage_error_before_any_test(project):
    """Review M5: it was "left to fail when written", after the whole run."""
    ledger_path(project).write_text(ledger_text({}))
    (project.path / "not_a_dir").write_text("")
    result = run(project, "--claims-update", "--claims-report", "not_a_dir/reports")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: report directory '*not_a_dir/reports' cannot be made: '*not_a_dir' is not a*"])
    assert json.loads(ledger_path(project).read_text())["claims"] == {}


def test_unlockable_report_dir_fails_clearly_and_the_ledger_is_still_updated(project):
    run(project).assert_outcomes(passed=2)  # the plugin's own reports/
    ledger_path(project).write_text(ledger_text({}))
    (project.path / "reports" / ".lock").unlink()
    (project.path / "reports" / ".lock").mkdir()  # the lock file cannot be opened, as root too
    result = run(project, "--claims-update")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*= claims summary =*",
            "002 Toy source document*2",
            "report NOT written to *reports: *Is a directory*",
            "ledger updated: *ledger.json",
        ]
    )
    assert "Traceback" not in result.stdout.str()
    assert json.loads(ledger_path(project).read_text())["claims"] == LEDGER_AB


def test_unlockable_ledger_fails_clearly_and_the_report_is_still_written(project):
    ledger_path(project).write_text(ledger_text({}))
    (project.path / "claims" / ".ledger.json.lock").mkdir()  # the lock file cannot be created, as root too
    result = run(project, "--claims-update")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*= claims summary =*",
            "report: *claims.html*",
            "ledger NOT updated: *Is a directory*(the ledger file is untouched)",
        ]
    )
    assert json.loads(ledger_path(project).read_text())["claims"] == {}
    assert report_set(project.path)[1] == ["002.toy.a", "002.toy.b"]


def test_both_targets_failing_give_one_line_each(project):
    run(project).assert_outcomes(passed=2)
    (project.path / "reports" / ".lock").unlink()
    (project.path / "reports" / ".lock").mkdir()
    (project.path / "claims" / ".ledger.json.lock").mkdir()
    result = run(project, "--claims-update")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["*= claims summary =*", "changed verdicts*", "report NOT written to *", "ledger NOT updated: *"]
    )


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into read-only directories")
def test_read_only_targets_fail_clearly(project):
    ledger_path(project).write_text(ledger_text({}))
    (project.path / "reports").mkdir()
    for d in ("reports", "claims"):
        (project.path / d).chmod(0o555)
    try:
        result = run(project, "--claims-update")
    finally:
        for d in ("reports", "claims"):
            (project.path / d).chmod(0o755)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*= claims summary =*", "report NOT written to *", "ledger NOT updated: *"])
    assert json.loads(ledger_path(project).read_text())["claims"] == {}


# ---------------------------------------------------------------------------- missing ledger


def test_missing_named_ledger_stops_the_run_naming_the_path(project):
    result = run(project, "--claims-ledger", "claims/ledgr.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: claims ledger '*claims/ledgr.json' not found; check --claims-ledger, or pass "
            "--claims-update to create it"
        ]
    )
    assert not (project.path / "claims" / "ledgr.json").exists()
    assert not (project.path / "reports").exists()


def test_missing_ledger_is_created_only_by_update_and_said(project):
    ledger_path(project).unlink()
    result = run(project)
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*has no 'quick' verdict in the ledger file, which does not exist: *ledger.json*",
            "ledger not found: *ledger.json; check --claims-ledger, or rerun with --claims-update*",
        ]
    )
    assert not ledger_path(project).exists()
    result = run(project, "--claims-update")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["ledger created: *ledger.json (it did not exist; --claims-update made it)"])
    assert json.loads(ledger_path(project).read_text())["claims"] == LEDGER_AB


# ---------------------------------------------------------------------------- stale data


def test_stale_ledger_entries_are_warned_and_pruned(project):
    ledger_path(project).write_text(ledger_text({**LEDGER_AB, "002.toy.gone": {"full": "refuted"}}))
    warning = "stale ledger entries (no such claim collected): 1: 002.toy.gone; remove them with --claims-update --claims-prune"
    result = run(project, "-k", "test_a")  # -k deselects after the claim ids are recorded
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([warning])

    result = run(project, "--claims-update", "--claims-prune", "-k", "test_a")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["ledger updated: *", "ledger pruned: 1 entries of claims that no longer exist: 002.toy.gone"]
    )
    assert json.loads(ledger_path(project).read_text())["claims"] == LEDGER_AB


def test_entries_of_a_tier_a_claim_no_longer_runs_in_are_warned_and_pruned(project):
    """Claim b moved to the full tier only: its quick verdict is never read again, so it is stale."""
    module = project.path / "claims" / "test_toy.py"
    module.write_text(
        module.read_text()
        .replace("@claim_test(B)", "@pytest.mark.full\n@claim_test(B)")
        .replace("import time", "import time\n\nimport pytest", 1)
    )
    warning = (
        "stale 'quick' ledger entries (claims that no longer run in that tier): 1: 002.toy.b; "
        "remove them with --claims-update --claims-prune"
    )
    result = run(project)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([warning])

    result = run(project, "--claims-update", "--claims-prune")
    result.stdout.fnmatch_lines(
        ["ledger pruned: the 'quick' verdict of 1 claims that no longer run in that tier: 002.toy.b"]
    )
    assert json.loads(ledger_path(project).read_text())["claims"] == {"002.toy.a": {"quick": "confirmed"}}
    run(project, "--claims-tier", "full", "--claims-update", "--claims-prune").assert_outcomes(passed=2)
    assert json.loads(ledger_path(project).read_text())["claims"] == {
        "002.toy.a": {"quick": "confirmed", "full": "confirmed"},
        "002.toy.b": {"full": "refuted"},
    }


@pytest.mark.parametrize(
    "args, reason",
    [
        pytest.param(
            ["claims/test_toy.py"], "the argument 'claims/test_toy.py' selects a file or a node id*", id="file-argument"
        ),
        pytest.param(
            ["claims", "--ignore", "claims/test_other.py"],
            "--ignore/--ignore-glob skipped part of the tree",
            id="ignore",
        ),
    ],
)
def test_stale_entries_are_not_judged_from_a_narrowed_collection(project, args, reason):
    (project.path / "claims" / "test_other.py").write_text("def test_x():\n    pass\n")
    ledger_path(project).write_text(ledger_text({**LEDGER_AB, "002.toy.gone": {"quick": "refuted"}}))
    result = project.runpytest("--claims-sources=sources", *args)
    assert "stale ledger entries" not in result.stdout.str()
    result = project.runpytest("--claims-sources=sources", "--claims-update", "--claims-prune", *args)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([f"ledger NOT pruned: {reason}*"])
    assert "002.toy.gone" in json.loads(ledger_path(project).read_text())["claims"]


def test_stale_entries_and_empty_selection_under_xdist(project):
    """Under -n the controller collects nothing itself: the workers send the claim ids they collected."""
    ledger_path(project).write_text(ledger_text({**LEDGER_AB, "002.toy.gone": {"quick": "refuted"}}))
    code, out = run_subprocess(project, "-p", "xdist", "-n", "2", "-k", "no_such_test")
    assert code == pytest.ExitCode.NO_TESTS_COLLECTED, out
    assert "stale ledger entries (no such claim collected): 1: 002.toy.gone" in out
    doc = json.loads((project.path / "reports" / "partial" / "claims.json").read_text())
    assert doc["claims"] == [] and doc["selection"]["collected"] == 2 and doc["complete"] is False


def test_collection_error_prevents_stale_judgement(project):
    (project.path / "claims" / "test_broken.py").write_text("import no_such_module\n")
    ledger_path(project).write_text(ledger_text({**LEDGER_AB, "002.toy.gone": {"quick": "refuted"}}))
    result = run(project, "--continue-on-collection-errors")
    assert "stale ledger entries" not in result.stdout.str()


def test_prune_needs_update(project):
    result = run(project, "--claims-prune")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --claims-prune only works with --claims-update*"])


def test_zero_selected_claims_publish_a_partial_report_saying_nothing_ran(project):
    run(project).assert_outcomes(passed=2)
    assert report_set(project.path)[2] == ["002.toy.a.curve.png"]
    result = run(project, "-k", "no_such_test")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    result.stdout.fnmatch_lines(
        [
            "no claim test ran: the selection (claims) left none in the quick tier; the report says so",
            "partial report (2 of 2 claims of the quick tier did not run: -k 'no_such_test'): *partial/claims.html*",
            "the last complete report stays in *reports",
        ]
    )
    doc = json.loads((project.path / "reports" / "partial" / "claims.json").read_text())
    assert doc["claims"] == [] and doc["complete"] is False
    assert doc["selection"] == {"args": ["claims"], "keyword": "no_such_test", "markexpr": None, "collected": 2}
    md = (project.path / "reports" / "partial" / "claims.md").read_text()
    assert "## Nothing ran" in md and "Selection: `claims -k 'no_such_test'`." in md
    assert report_set(project.path, "reports/partial") == (0, [], [])
    assert report_set(project.path) == (0, ["002.toy.a", "002.toy.b"], ["002.toy.a.curve.png"])  # kept whole


def test_figures_of_claims_no_longer_run_are_removed(project):
    run(project).assert_outcomes(passed=2)
    assert (project.path / "reports" / "figures" / "002.toy.a.curve.png").exists()
    run(project, "-k", "test_b").assert_outcomes(passed=1)  # a partial run: beside the complete report
    assert report_set(project.path, "reports/partial") == (0, ["002.toy.b"], [])
    assert report_set(project.path) == (0, ["002.toy.a", "002.toy.b"], ["002.toy.a.curve.png"])
    module = project.path / "claims" / "test_toy.py"
    module.write_text(module.read_text().replace("@claim_test(A)\ndef test_a", "def unused_a"))
    run(project).assert_outcomes(passed=1)  # claim a is gone: a complete run without it
    assert report_set(project.path) == (0, ["002.toy.b"], [])
    assert not (project.path / "reports" / "partial").exists()  # the complete report retired the partial one


# ---------------------------------------------------------------------------- bad arguments


def test_seed_range_is_bounded_before_collection(project):
    result = run(project, "--claims-seeds", "0:100000000")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --claims-seeds 0:100000000 asks for 100000000 seeds; at most 1000*memory*"])


def test_compile_off_validates_compile_requests_like_compile_on(monkeypatch):
    monkeypatch.setenv(COMPILE_ENV, "0")
    with pytest.raises(ValueError, match="float32/float64 only"):
        train(
            "abs_neuron",
            torch.zeros(2, 3, dtype=torch.float16),
            centered_xor(dtype=torch.float16),
            optim.sgd(),
            schedule=schedules.constant(0.1),
            stopping=StoppingRule(max_epochs=1),
            compile=True,
        )


@pytest.mark.parametrize("eps", [0.0, -1e-8])
def test_adam_rejects_non_positive_eps(eps):
    with pytest.raises(ValueError, match="eps must be a finite number > 0"):
        optim.adam(eps=eps)


def test_evidence_rejects_nan_p_value():
    with pytest.raises(ValueError, match="p_value must lie in"):
        Evidence(
            verdict=Verdict.REFUTED,
            estimate=0.0,
            ci=None,
            p_value=float("nan"),
            effect_size=None,
            n=1,
            alpha=0.05,
            test="t",
        )


@pytest.mark.parametrize(
    "call, name",
    [
        pytest.param(lambda: rules.mean_equals([1.0, 2.0, 3.0], None, margin=0.5), "claimed", id="mean-claimed"),
        pytest.param(lambda: rules.mean_equals([1.0, 2.0, 3.0], 2.0, margin=None), "margin", id="mean-margin"),
        pytest.param(lambda: rules.exact_value(1.0, None, rel_tol=0.0, abs_tol=0.1), "claimed", id="exact-claimed"),
    ],
)
def test_rules_reject_none_with_value_error(call, name):
    with pytest.raises(ValueError, match=f"{name} must be a number, got None"):
        call()
