"""Test-suite hooks."""

from __future__ import annotations

import functools


def pytest_sessionstart(session) -> None:
    """Start each session with the verdict rules' memo caches empty, so a process forked after an
    earlier session (mutation testing forks one per mutant) computes what the code now says."""
    from harness.evidence import stats

    for value in vars(stats).values():
        if isinstance(value, functools._lru_cache_wrapper):
            value.cache_clear()
