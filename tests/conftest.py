"""Test-suite hooks."""

from __future__ import annotations

import functools
import sys

import pytest


def pytest_sessionstart(session) -> None:
    """Start each session with the verdict rules' memo caches empty, so a process forked after an
    earlier session (mutation testing forks one per mutant) computes what the code now says."""
    import harness.evidence.rules  # noqa: F401  (loads every rule module)

    for name, module in list(sys.modules.items()):
        if not name.startswith("harness.evidence.rules"):
            continue
        for value in vars(module).values():
            if isinstance(value, functools._lru_cache_wrapper):
                value.cache_clear()


SLOW_LAST = (
    "test_stats_properties.py",
    "test_stats_variance_ratio.py",
    "test_stats_cv.py",
    "test_stats_calibration.py",
    "test_stats_documents.py",
    "test_stats_claims_data.py",
)


def pytest_addoption(parser) -> None:
    parser.addoption(
        "--slow-faults",
        action="store_true",
        default=False,
        help="also run the tests marked slow_faults (many pytest runs under xdist, real signals, a real sshd, a CPU load)",
    )


# An in-process pytester run inside an xdist worker has no root conftest to quiet pytest-benchmark, whose
# "untimed under xdist" warning would then join the warnings summary of every such test.
INNER_BENCHMARK_WARNING = pytest.mark.filterwarnings(
    "ignore:Benchmarks are automatically disabled because xdist:pytest_benchmark.logger.PytestBenchmarkWarning"
)


def pytest_collection_modifyitems(config, items) -> None:
    """Skip the ``slow_faults`` tests unless ``--slow-faults`` (CI runs them in a second step), mark the
    pytester tests to ignore pytest-benchmark's xdist warning of their inner runs, then run
    the hypothesis and Monte-Carlo modules of the rules last (stable otherwise): under ``-x``, as
    mutation testing runs each mutant, the first failing fast test ends the run before them."""
    if not config.getoption("--slow-faults", default=False):
        skip = pytest.mark.skip(reason="slow fault injection: run with --slow-faults (.ci/run does)")
        for item in items:
            if item.get_closest_marker("slow_faults"):
                item.add_marker(skip)
    for item in items:
        if "pytester" in getattr(item, "fixturenames", ()):
            item.add_marker(INNER_BENCHMARK_WARNING)
    items.sort(key=lambda item: SLOW_LAST.index(item.path.name) + 1 if item.path.name in SLOW_LAST else 0)
