"""Fault injection, issue 19 item 7: real signals to a claims run (SIGTERM under ``-n 2``, Ctrl-C
while the run waits for the ledger lock). Both must end the workers, print the "interrupted ...
NOT written" line and publish nothing half-way.
"""

pytest_plugins = ["pytester"]

import json  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import filelock  # noqa: E402
import matplotlib.pyplot  # noqa: E402, F401
import pytest  # noqa: E402
import torch  # noqa: E402, F401

from tests.toy import PRELUDE, command, ledger_path, ledger_text, make_project  # noqa: E402

pytestmark = pytest.mark.slow_faults

SLOW = """
import pytest

CLAIMS = [make(f"t{i}") for i in range(4)]


@pytest.mark.parametrize("claim", [pytest.param(c, marks=claim_test(c), id=c.id) for c in CLAIMS])
def test_slow(claim, claims_verdict):
    with open("started.txt", "a") as f:
        f.write(f"{os.getpid()}\\n")
    time.sleep(float(os.environ.get("CLAIMS_TEST_SLEEP", "0")))
    claims_verdict(claim, ev("confirmed"))
    with open("done.txt", "a") as f:
        f.write(f"{claim.id}\\n")
"""


@pytest.fixture
def project(pytester, monkeypatch):
    """The toy project of ``tests/toy.py`` with four more claims that note their pid and may sleep."""
    make_project(pytester, monkeypatch)
    (pytester.path / "claims" / "test_slow.py").write_text(PRELUDE + SLOW)
    return pytester


def _as_from_a_terminal() -> None:
    """In the child before exec: SIGINT and SIGTERM handled by default and unblocked, as a shell
    starts pytest (an xdist worker running this test may ignore or block them; children inherit it)."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])


def start(project, *args, sleep: float) -> subprocess.Popen:
    return subprocess.Popen(
        command(*args),
        cwd=project.path,
        env={**os.environ, "CLAIMS_TEST_SLEEP": str(sleep)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        preexec_fn=_as_from_a_terminal,
    )


def wait_for(path: Path, proc: subprocess.Popen, lines: int = 1, timeout: float = 120) -> None:
    """Until ``path`` has ``lines`` lines (written by the toy tests), while the run goes on."""
    deadline = time.monotonic() + timeout
    while not (path.exists() and len(path.read_text().split()) >= lines):
        assert time.monotonic() < deadline and proc.poll() is None, "the run never got there"
        time.sleep(0.1)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def finish(proc: subprocess.Popen, timeout: float = 90) -> str:
    try:
        return proc.communicate(timeout=timeout)[0]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def test_sigterm_under_xdist_ends_the_workers_and_says_nothing_was_written(project):
    before = ledger_path(project).read_text()
    proc = start(project, "-p", "xdist", "-n", "2", "--claims-update", sleep=120)
    wait_for(project.path / "started.txt", proc)
    time.sleep(1.0)  # both workers in a test
    workers = sorted({int(p) for p in (project.path / "started.txt").read_text().split()})
    os.kill(proc.pid, signal.SIGTERM)
    out = finish(proc)
    assert proc.returncode == pytest.ExitCode.INTERRUPTED, out
    assert "run interrupted: report and ledger NOT written" in out, out
    deadline = time.monotonic() + 15
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(alive(pid) for pid in workers), "a worker outlived the controller"
    assert ledger_path(project).read_text() == before
    assert not (project.path / "reports").exists()


def test_ctrl_c_while_waiting_for_the_ledger_lock_publishes_nothing(project):
    ledger_path(project).write_text(ledger_text({}))
    before = ledger_path(project).read_text()
    holder = filelock.FileLock(project.path / "claims" / ".ledger.json.lock")
    with holder:  # another run holds the ledger: this one waits after its tests
        proc = start(project, "--claims-update", sleep=0)
        try:
            wait_for(project.path / "done.txt", proc, lines=4)
            time.sleep(2.0)  # claims a and b are quick: the session is waiting for the lock
            os.kill(proc.pid, signal.SIGINT)
            out = finish(proc)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == pytest.ExitCode.INTERRUPTED, out
    assert "Traceback" not in out, out
    assert "run interrupted: report and ledger NOT written" in out, out
    assert ledger_path(project).read_text() == before
    assert not (project.path / "reports" / "claims.json").exists()
    assert json.loads(before) == {"schema": 1, "claims": {}}
