"""Root conftest. The claims plugin itself is loaded through its ``pytest11`` entry point
(``claims = harness.evidence.plugin`` in ``pyproject.toml``), so nothing needs loading here; this file
only keeps pytest-benchmark quiet under xdist (see ``pytest_configure``)."""

import os

import pytest


def _benchmarks_under_xdist(config: pytest.Config) -> bool:
    """pytest-benchmark is loaded and this is an xdist controller (``-n``) or worker, tested as
    pytest-benchmark itself tests it."""
    xdist = config.getoption("dist", "no") != "no" or "PYTEST_XDIST_WORKER" in os.environ
    return config.pluginmanager.hasplugin("benchmark") and xdist


def pytest_configure(config: pytest.Config) -> None:
    """Under xdist pytest-benchmark disables timing and warns so once per process (three warnings at the
    start of ``pytest claims -n 2``); disable it here instead, before its own ``pytest_configure`` (trylast),
    so the run says it once, in the header. An explicit ``--benchmark-enable`` keeps its warning."""
    if _benchmarks_under_xdist(config):
        config.option.benchmark_disable = True


def pytest_report_header(config: pytest.Config) -> str | None:
    """One header line where benchmarks run untimed (xdist), naming the command that times them."""
    if _benchmarks_under_xdist(config):
        return "benchmarks: untimed under xdist (time them with `pytest benchmarks -p no:xdist`)"
    return None
