"""Seed derivation: every random stream descends from one master seed via ``numpy.random.SeedSequence``.

Streams are addressed by a path of names (e.g. ``("000", "traces", 3)``) hashed with a stable
CRC-32, never Python's salted ``hash()``, so the same path gives the same numbers in every
process, at any ``pytest -n``. The library never touches global RNG state.

This is the one module beneath all three layers (numpy only): the evidence layer derives claim
seeds without importing torch, and the engine turns a sequence into a torch generator
(:func:`harness.engine.rng.torch_generator`).
"""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["numpy_generator", "seed_sequence"]


def _path_key(part: str | int) -> int:
    """Stable 32-bit key for one path element (ints are used as they are)."""
    if isinstance(part, bool) or not isinstance(part, (str, int)):
        raise ValueError(f"seed path elements must be str or int, got {part!r}")
    if isinstance(part, int):
        if part < 0:
            raise ValueError(f"seed path integers must be >= 0, got {part}")
        return part
    return zlib.crc32(part.encode("utf-8"))


def seed_sequence(master_seed: int, *path: str | int) -> np.random.SeedSequence:
    """The SeedSequence for stream ``path`` under ``master_seed``; distinct paths give independent streams."""
    if isinstance(master_seed, bool) or not isinstance(master_seed, int) or master_seed < 0:
        raise ValueError(f"master_seed must be a non-negative int, got {master_seed!r}")
    return np.random.SeedSequence(master_seed, spawn_key=tuple(_path_key(p) for p in path))


def numpy_generator(seq: np.random.SeedSequence) -> np.random.Generator:
    """A numpy Generator drawing from ``seq``."""
    return np.random.default_rng(seq)
