"""Tiny shared test helpers: tolerant comparison and toy-project manifests (the torch references
live in ``tests/reference.py``)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import torch


def assert_close(actual: torch.Tensor, expected: torch.Tensor, *, rtol: float, atol: float) -> None:
    """``torch.testing.assert_close`` with explicit tolerances and NaN == NaN."""
    torch.testing.assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=True, check_dtype=False)


def write_manifest(path: Path, document: str, name: str) -> None:
    """A sources manifest (``claims/sources.json``) pinning ``document`` (UTF-8) as ``name``."""
    digest = hashlib.sha256(document.encode("utf-8")).hexdigest()
    path.write_text(
        json.dumps({"schema": 1, "sources": [{"file": name, "title": "Toy source document", "sha256": digest}]})
    )


def tree(root: Path) -> dict[str, str]:
    """Every entry under ``root``: a link's target, a file's text, ``dir`` for a directory (to show
    that a run left a folder exactly as it was)."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        out[rel] = f"-> {os.readlink(p)}" if p.is_symlink() else "dir" if p.is_dir() else _content(p)
    return out


def _content(path: Path) -> str:
    """A file's text, or for a binary file (a PNG figure) its size and sha256."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return f"{len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}"
