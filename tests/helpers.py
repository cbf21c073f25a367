"""Tiny shared test helpers: tolerant comparison (the torch references live in ``tests/reference.py``)."""

from __future__ import annotations

import torch


def assert_close(actual: torch.Tensor, expected: torch.Tensor, *, rtol: float, atol: float) -> None:
    """``torch.testing.assert_close`` with explicit tolerances and NaN == NaN."""
    torch.testing.assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=True, check_dtype=False)
