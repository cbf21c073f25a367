"""Capture of the rules' inputs, so the rules can be calibrated on the data the claims feed them.

Off unless the environment variable ``CLAIMS_RULE_CAPTURE`` names a folder. Then every call of
a rule that decides from data appends one JSON line to ``<folder>/<rule>.<pid>.jsonl`` (one
file per process, so pytest-xdist workers never share one): the rule's name, its settings
(claimed value, margin, threshold, region, direction, alpha, the statistic's name), its data
the pytest test during which it ran (``PYTEST_CURRENT_TEST``, when set) and the id of the claim
running then (``claim_running``, which the claims plugin wraps around each claim test's setup and
call; None outside a claim test). Run a tier with it
set, then ``python -m tests.rule_inputs <folder>`` turns the lines into the committed fixture
that ``tests/test_stats_claims_data.py`` calibrates on. Capturing never changes a result.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["CAPTURE_ENV", "claim_running", "record"]

CAPTURE_ENV = "CLAIMS_RULE_CAPTURE"  # folder the rules' inputs are appended to; unset: no capture
_CLAIM: ContextVar[str | None] = ContextVar("claims_capture_claim", default=None)


@contextmanager
def claim_running(claim_id: str | None) -> Iterator[None]:
    """Attribute the rule calls made inside the block to the claim ``claim_id`` (None: no claim)."""
    token = _CLAIM.set(claim_id)
    try:
        yield
    finally:
        _CLAIM.reset(token)


def _plain(value: Any) -> Any:
    """``value`` as JSON: arrays and numpy scalars as lists and numbers, infinities as strings."""
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return repr(value)
    return value


def record(rule: str, data: Mapping[str, Any], settings: Mapping[str, Any]) -> None:
    """Append one call of ``rule`` (its ``data`` arrays and ``settings``) to the capture folder, if set."""
    folder = os.environ.get(CAPTURE_ENV)
    if not folder:
        return
    line = {
        "rule": rule,
        "test": os.environ.get("PYTEST_CURRENT_TEST", "").removesuffix(" (call)"),
        "claim": _CLAIM.get(),
        "settings": {k: _plain(v) for k, v in settings.items()},
        "data": {k: _plain(np.asarray(v)) for k, v in data.items()},
    }
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    with open(path / f"{rule}.{os.getpid()}.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps(line) + "\n")
