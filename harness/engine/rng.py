"""Torch generators from seed sequences (derive the sequences with :mod:`harness.seeds`)."""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["torch_generator"]


def torch_generator(seq: np.random.SeedSequence, device: torch.device | str = "cpu") -> torch.Generator:
    """A torch Generator on ``device`` seeded from ``seq`` (63 bits of its state)."""
    seed = int(seq.generate_state(1, dtype=np.uint64)[0]) >> 1
    generator = torch.Generator(device=torch.device(device))
    generator.manual_seed(seed)
    return generator
