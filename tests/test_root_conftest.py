"""The root conftest keeps pytest-benchmark's xdist warning out of parallel runs and says it once instead."""

pytest_plugins = ["pytester"]

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

ROOT_CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"
WARNING = "Benchmarks are automatically disabled because xdist plugin is active"
HEADER = "benchmarks: untimed under xdist*"


@pytest.fixture(autouse=True)
def outside_xdist(monkeypatch):
    """Each inner run starts as from a shell: this test may itself run in an xdist worker, whose
    PYTEST_XDIST_WORKER the subprocess would inherit (and pytest-benchmark reads)."""
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def project(pytester):
    """A project with this repository's root conftest and one benchmark test."""
    pytester.makeconftest(ROOT_CONFTEST.read_text())
    pytester.makepyfile(test_one="def test_one(benchmark):\n    assert benchmark(lambda: 2) == 2\n")
    return pytester


def test_an_xdist_run_prints_no_benchmark_warning_and_one_header_line(project):
    result = project.runpytest_subprocess("-p", "xdist", "-n", "2", "-p", "no:claims")
    result.assert_outcomes(passed=1)
    assert WARNING not in result.stdout.str() + result.stderr.str()
    result.stdout.fnmatch_lines([HEADER])


def test_a_serial_run_still_times_its_benchmarks(project):
    result = project.runpytest_subprocess("-p", "no:xdist", "-p", "no:claims")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*benchmark: 1 tests*"])
    result.stdout.no_fnmatch_line(HEADER)


def test_an_explicit_benchmark_enable_keeps_the_warning(project):
    """Asking for timing under xdist is the user's choice: pytest-benchmark's own warning then stays."""
    result = project.runpytest_subprocess("-p", "xdist", "-n", "2", "-p", "no:claims", "--benchmark-enable")
    result.assert_outcomes(passed=1)
    assert WARNING in result.stdout.str() + result.stderr.str()


def test_without_the_conftest_pytest_benchmark_would_warn(pytester):
    """The check above can fail: the warning it keeps out does appear without the root conftest."""
    pytester.makepyfile(test_one="def test_one(benchmark):\n    assert benchmark(lambda: 2) == 2\n")
    result = pytester.runpytest_subprocess("-p", "xdist", "-n", "2", "-p", "no:claims")
    assert WARNING in result.stdout.str() + result.stderr.str()
