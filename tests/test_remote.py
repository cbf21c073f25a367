"""Scale-out of the claims plugin (``harness.evidence.remote``, issue 19 item 11) without ssh: the
pieces as functions, then real popen gateways (``--tx popen//...``) standing in for other hosts.
The same run over a real sshd is ``tests/test_scale_out_ssh.py`` (marker ``ssh``).
"""

pytest_plugins = ["pytester"]

import json  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
from types import SimpleNamespace  # noqa: E402

import execnet  # noqa: E402
import matplotlib.pyplot  # noqa: E402, F401
import pytest  # noqa: E402
import torch  # noqa: E402, F401

from harness.engine.compiling import COMPILE_ENV  # noqa: E402
from harness.engine.device import DEVICE_ENV  # noqa: E402
from harness.evidence import remote  # noqa: E402
from harness.evidence.probe import versions  # noqa: E402
from tests.toy import PRELUDE, REPO, make_project, run_subprocess  # noqa: E402


def test_the_forwarded_switches_are_the_engines():
    assert set(remote.FORWARDED_ENV) == {DEVICE_ENV, COMPILE_ENV}


def test_forwarded_env_takes_only_the_switches_that_are_set():
    assert remote.forwarded_env({"HARNESS_COMPILE": "0", "HOME": "/root"}) == {"HARNESS_COMPILE": "0"}


@pytest.mark.parametrize(
    "specs, count", [(["popen"], 1), (["2*popen", "3*ssh=me@box"], 5), (["ssh=me@box//python=python3"], 1)]
)
def test_tx_count(specs, count):
    assert remote.tx_count(specs) == count


def test_restarts_are_bounded_for_tx_alone_and_left_alone_otherwise():
    option = SimpleNamespace(tx=["2*popen", "ssh=me@box"], numprocesses=None, maxworkerrestart=None)
    remote.bound_restarts(option)
    assert option.maxworkerrestart == "12"
    for given in (
        SimpleNamespace(tx=["popen"], numprocesses=2, maxworkerrestart=None),
        SimpleNamespace(tx=["popen"], numprocesses=None, maxworkerrestart="0"),
    ):
        before = vars(given).copy()
        remote.bound_restarts(given)
        assert vars(given) == before


def test_remote_args_map_paths_onto_the_rsync_root_or_the_project(tmp_path):
    project = tmp_path / "claims-suite"
    (project / "claims").mkdir(parents=True)
    (project / "reports").mkdir()
    other = tmp_path / "elsewhere"
    other.mkdir()
    args = ["claims", "-k", "x", "--claims-report", "reports", f"{project}/claims::test_a", "--claims-seed=1"]
    assert remote.remote_args(args, [], base=project, rootdir=project) == [
        "claims-suite/claims",
        "-k",
        "x",
        "--claims-report",
        "claims-suite/reports",
        "claims-suite/claims::test_a",
        "--claims-seed=1",
    ]
    assert remote.remote_args(["claims"], [tmp_path], base=project, rootdir=project) == [
        f"{tmp_path.name}/claims-suite/claims"
    ]
    assert remote.remote_args([str(project)], [], base=project, rootdir=project) == ["claims-suite"]
    with pytest.raises(pytest.UsageError, match="'../elsewhere' names .*elsewhere, outside the project"):
        remote.remote_args(["../elsewhere"], [], base=project, rootdir=project)


def test_version_mismatch_names_the_worker_and_each_difference():
    ours = {"python": "3.11.7", "torch": "2.13.0+cpu", "harness": "abc"}
    assert remote.version_mismatch("gw0", dict(ours), ours) is None
    text = remote.version_mismatch("gw1", {**ours, "torch": "2.14.1+cu130"}, ours)
    assert text.startswith("worker gw1 runs torch 2.14.1+cu130 (controller: 2.13.0+cpu): its verdicts could differ")
    assert "--claims-allow-version-mismatch" in text


def test_the_probe_reads_a_gateways_versions_and_sees_other_harness_code(tmp_path):
    """A real execnet gateway: the same interpreter and harness give the controller's versions; a
    copy of the harness with one changed line gives another digest."""
    copy = tmp_path / "lib"
    shutil.copytree(REPO / "harness", copy / "harness", ignore=shutil.ignore_patterns("__pycache__"))
    gateway = execnet.makegateway("popen")
    try:
        assert remote.probe_versions(gateway, [str(REPO)]) == versions([str(REPO)])
        (copy / "harness" / "seeds.py").write_text((copy / "harness" / "seeds.py").read_text() + "\n# changed\n")
        theirs = remote.probe_versions(gateway, [str(copy)])
    finally:
        gateway.exit()
    assert theirs["harness"] != versions([str(REPO)])["harness"]
    assert {k: theirs[k] for k in ("python", "torch")} == {k: versions()[k] for k in ("python", "torch")}


# ---------------------------------------------------------------------------- real popen gateways

GROUPED = """
import pytest

CLAIMS = [make(f"t{i}") for i in range(4)]


@pytest.mark.parametrize("claim", [pytest.param(c, marks=[claim_test(c), pytest.mark.xdist_group("g")], id=c.id)
                                   for c in CLAIMS])
def test_g(claim, claims_verdict):
    with open("grouped.txt", "a") as f:
        f.write(os.environ["PYTEST_CURRENT_TEST"].split()[0] + "\\n")
    claims_verdict(claim, ev("confirmed"))
"""


@pytest.fixture
def project(pytester, monkeypatch):
    make_project(pytester, monkeypatch)
    (pytester.path / "claims" / "test_grouped.py").write_text(PRELUDE + GROUPED)
    return pytester


@pytest.mark.slow_faults
def test_tx_without_n_distributes_by_group_and_reports_every_workers_versions(project):
    code, out = run_subprocess(project, "-p", "xdist", "--tx", "2*popen", "--claims-update")
    assert code == pytest.ExitCode.OK, out
    lines = (project.path / "grouped.txt").read_text().split()
    assert len(lines) == 4 and all(line.endswith("@g") for line in lines), lines  # loadgroup, not load or serial
    environment = json.loads((project.path / "reports" / "claims.json").read_text())["environment"]
    assert sorted(environment) == ["controller", "gw0", "gw1"]
    assert environment["gw0"]["torch"] == environment["controller"]["torch"] == versions()["torch"]


@pytest.mark.slow_faults
def test_a_worker_without_torch_is_refused_before_any_test(project):
    """``python -S`` sees no site-packages: a host without torch (or with another one)."""
    before = (project.path / "claims" / "ledger.json").read_text()
    code, out = run_subprocess(project, "-p", "xdist", "--tx", f"popen//python={sys.executable} -S", "--claims-update")
    assert code == pytest.ExitCode.USAGE_ERROR, out
    assert "ERROR: worker gw0 runs torch not installed (controller: " in out, out
    assert (project.path / "claims" / "ledger.json").read_text() == before
    assert not (project.path / "reports").exists()


@pytest.mark.slow_faults
def test_a_worker_that_cannot_start_is_restarted_a_bounded_number_of_times(project):
    """Let past the version check, the ``python -S`` worker cannot import execnet: xdist restarted it
    endlessly with ``--tx`` alone (116 restarts in 120 s over ssh); now four times per worker."""
    code, out = run_subprocess(
        project,
        "-p",
        "xdist",
        "--tx",
        f"popen//python={sys.executable} -S",
        "--claims-allow-version-mismatch",
        "--claims-update",
    )
    assert code != pytest.ExitCode.OK, out
    assert "maximum crashed workers reached: 4" in out, out
    assert out.count("replacing crashed worker") == 4, out
    assert not (project.path / "reports").exists()


@pytest.mark.slow_faults
def test_relative_paths_and_two_word_options_reach_remote_workers(project, tmp_path_factory):
    """``--tx popen//chdir=...`` maps arguments as ssh does; a relative test path and
    ``--claims-report DIR`` in two words were an INTERNALERROR ("not relative to an rsync root")."""
    host = tmp_path_factory.mktemp("host")
    shutil.copytree(project.path, host / project.path.name)  # the same commit, checked out on the "host"
    code, out = run_subprocess(
        project,
        "-p",
        "xdist",
        "--tx",
        f"popen//chdir={host}",
        "--claims-report",
        "out",
        "--claims-update",
    )
    assert code == pytest.ExitCode.OK, out
    assert "INTERNALERROR" not in out
    doc = json.loads((project.path / "out" / "claims.json").read_text())
    assert [c["id"] for c in doc["claims"]][:2] == ["002.toy.a", "002.toy.b"]
    assert not (host / project.path.name / "out").exists()  # only the controller writes
