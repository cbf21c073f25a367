"""Scale-out over a real sshd on 127.0.0.1 (issue 19 item 11; markers ``ssh`` and ``slow_faults``).

The fixture starts OpenSSH's ``sshd`` on a free loopback port with its own host key, client key
and config (it installs ``openssh-server`` with apt-get when it is missing and the tests run as
root; otherwise every test here is skipped, saying why). The "remote host" is this machine over
ssh: a copy of the toy project (the same commit, checked out there) and of this checkout's
``harness`` on the remote ``PYTHONPATH``, which only the ssh client config sets (``SetEnv``), so
what reaches the worker is what ssh carries, not this process's environment.
"""

pytest_plugins = ["pytester"]

import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import matplotlib.pyplot  # noqa: E402, F401
import pytest  # noqa: E402
import torch  # noqa: E402, F401

from harness.evidence.probe import versions  # noqa: E402
from tests.toy import PRELUDE, REPO, make_project, run_subprocess  # noqa: E402

pytestmark = [pytest.mark.ssh, pytest.mark.slow_faults]

ENV_CLAIM = """
import pytest

CLAIMS = [make(f"t{i}") for i in range(4)]


@pytest.mark.parametrize("claim", [pytest.param(c, marks=claim_test(c), id=c.id) for c in CLAIMS])
def test_env(claim, claims_verdict):
    with open(os.environ.get("CLAIMS_TEST_SEEN", "seen.txt"), "a") as f:
        f.write(f"{os.getcwd()} {os.environ.get('HARNESS_COMPILE')} {os.environ.get('PYTEST_XDIST_WORKER')}\\n")
    claims_verdict(claim, ev("confirmed"))
"""


def _sshd_binary() -> str | None:
    """``sshd``, installed with apt-get (as root) when missing; None when that cannot be done."""
    found = shutil.which("sshd") or ("/usr/sbin/sshd" if Path("/usr/sbin/sshd").exists() else None)
    if found or os.geteuid() != 0 or shutil.which("apt-get") is None:
        return found
    subprocess.run(["apt-get", "install", "-y", "openssh-server"], capture_output=True, timeout=600, check=False)
    return shutil.which("sshd") or ("/usr/sbin/sshd" if Path("/usr/sbin/sshd").exists() else None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    """A running sshd on 127.0.0.1: ``(port, client key, home dir of the test)``."""
    binary = _sshd_binary()
    if binary is None:
        pytest.skip("sshd is not installed and cannot be installed here (needs root and apt-get)")
    if shutil.which("ssh") is None or shutil.which("ssh-keygen") is None:
        pytest.skip("the OpenSSH client (ssh, ssh-keygen) is not installed")
    home = tmp_path_factory.mktemp("sshd")
    for name in ("host_key", "client_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(home / name)], check=True)
    (home / "authorized_keys").write_text((home / "client_key.pub").read_text())
    os.chmod(home / "authorized_keys", 0o600)
    Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege separation directory
    port = _free_port()
    (home / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {home / 'host_key'}\n"
        f"AuthorizedKeysFile {home / 'authorized_keys'}\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        "PermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\nAcceptEnv PYTHONPATH\n"
        f"PidFile {home / 'sshd.pid'}\n"
    )
    proc = subprocess.Popen([binary, "-D", "-e", "-f", str(home / "sshd_config")], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.skip(f"sshd did not start: {proc.stderr.read() if proc.stderr else ''}")
            time.sleep(0.2)
    yield port, home / "client_key", home
    proc.terminate()
    proc.wait(timeout=10)


def _ssh_options(port: int, key: Path, pythonpath: Path) -> str:
    """What follows ``ssh=`` in a ``--tx`` spec for this sshd: port, key and the remote PYTHONPATH."""
    return (
        f"-p {port} -i {key} -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
        f"-o LogLevel=ERROR -o SetEnv=PYTHONPATH={pythonpath} root@127.0.0.1"
    )


@pytest.fixture
def remote_host(pytester, monkeypatch, sshd, tmp_path_factory):
    """The toy project (with a claim noting its cwd and HARNESS_COMPILE), its copy on the "remote
    host" under ``<root>/<project dir name>`` and a copy of the harness there; returns a function
    that makes the ``--tx`` value."""
    make_project(pytester, monkeypatch)
    (pytester.path / "claims" / "test_env.py").write_text(PRELUDE + ENV_CLAIM)
    root = tmp_path_factory.mktemp("remote")
    shutil.copytree(pytester.path, root / pytester.path.name, ignore=shutil.ignore_patterns("ledger.json"))
    shutil.copytree(REPO / "harness", root / "lib" / "harness", ignore=shutil.ignore_patterns("__pycache__"))
    port, key, _home = sshd
    monkeypatch.setenv("CLAIMS_TEST_SEEN", str(pytester.path / "seen.txt"))  # popen workers only: ssh does not carry it

    def tx(workers: int = 2) -> str:
        return f"{workers}*ssh={_ssh_options(port, key, root / 'lib')}//python={sys.executable}//chdir={root}"

    return pytester, root, tx


def _claims(path: Path) -> list[tuple[str, str]]:
    doc = json.loads((path / "reports" / "claims.json").read_text())
    return [(c["id"], c["verdict"]) for c in doc["claims"]]


def test_ssh_workers_give_the_serial_verdicts_get_the_switches_and_only_the_controller_writes(remote_host, monkeypatch):
    project, root, tx = remote_host
    code, out = run_subprocess(project, "-p", "no:xdist", "--claims-update")
    assert code == 0, out
    serial = _claims(project.path)
    shutil.rmtree(project.path / "reports")
    (project.path / "claims" / "ledger.json").unlink()
    monkeypatch.setenv("HARNESS_COMPILE", "0")  # set on the controller only
    code, out = run_subprocess(project, "-p", "xdist", "--tx", tx(), "--claims-update")
    assert code == 0, out
    assert _claims(project.path) == serial
    seen = [line.split() for line in (root / "seen.txt").read_text().splitlines()]  # cwd: the gateway's chdir
    assert {(cwd, compile_env) for cwd, compile_env, _worker in seen} == {(str(root), "0")}  # the switch arrived
    assert {worker for _cwd, _env, worker in seen} == {"gw0", "gw1"}
    environment = json.loads((project.path / "reports" / "claims.json").read_text())["environment"]
    assert sorted(environment) == ["controller", "gw0", "gw1"]
    assert environment["gw0"]["harness"] == environment["controller"]["harness"] == versions()["harness"]
    assert not (root / project.path.name / "reports").exists()  # only the controller writes
    assert not (root / project.path.name / "claims" / "ledger.json").exists()


def test_a_remote_with_other_harness_code_is_refused_unless_allowed(remote_host):
    project, root, tx = remote_host
    seeds = root / "lib" / "harness" / "seeds.py"
    seeds.write_text(seeds.read_text() + "\n# another commit\n")
    before = (project.path / "claims" / "ledger.json").read_text()
    code, out = run_subprocess(project, "-p", "xdist", "--tx", tx(1), "--claims-update")
    assert code == pytest.ExitCode.USAGE_ERROR, out
    assert "ERROR: worker gw0 runs harness " in out and "(controller: " in out, out
    assert (project.path / "claims" / "ledger.json").read_text() == before
    code, out = run_subprocess(
        project, "-p", "xdist", "--tx", tx(1), "--claims-allow-version-mismatch", "--claims-update"
    )
    assert code == 0, out
    md = (project.path / "reports" / "claims.md").read_text()
    assert "**Versions differ between processes** (--claims-allow-version-mismatch): controller: " in md
