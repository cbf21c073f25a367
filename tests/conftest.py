"""Test-suite hooks."""

from __future__ import annotations

import functools
import sys


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
)


def pytest_collection_modifyitems(items) -> None:
    """Run the hypothesis and Monte-Carlo modules of the rules last (stable otherwise): under ``-x``,
    as mutation testing runs each mutant, the first failing fast test ends the run before them."""
    items.sort(key=lambda item: SLOW_LAST.index(item.path.name) + 1 if item.path.name in SLOW_LAST else 0)
