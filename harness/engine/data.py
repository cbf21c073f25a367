"""Data sets of the source documents: centered XOR (scalar and one-hot targets) and y = 2x + 1.

Every data set is a ``Dataset(X, Y)`` with ``X`` of shape (N, D) and ``Y`` of shape (N, O);
it unpacks as a tuple: ``X, Y = centered_xor()``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch


class Dataset(NamedTuple):
    """Inputs ``X`` (N, D) and targets ``Y`` (N, O) of one data set."""

    X: torch.Tensor
    Y: torch.Tensor


_XOR_INPUTS = [[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]]
_XOR_LABELS = [0, 1, 1, 0]


def centered_xor(*, dtype: torch.dtype = torch.float32, device: torch.device | str = "cpu") -> Dataset:
    """Centered XOR: X (4, 2) in {-1, +1}^2, Y (4, 1) the XOR of the signs in {0, 1}."""
    X = torch.tensor(_XOR_INPUTS, dtype=dtype, device=device)
    Y = torch.tensor(_XOR_LABELS, dtype=dtype, device=device).unsqueeze(1)
    return Dataset(X, Y)


def one_hot_xor(*, dtype: torch.dtype = torch.float32, device: torch.device | str = "cpu") -> Dataset:
    """Centered XOR with one-hot targets: X (4, 2), Y (4, 2) with Y[n, label_n] = 1."""
    X = torch.tensor(_XOR_INPUTS, dtype=dtype, device=device)
    labels = torch.tensor(_XOR_LABELS, device=device)
    Y = torch.nn.functional.one_hot(labels, num_classes=2).to(dtype)
    return Dataset(X, Y)


def linear_regression(
    n: int,
    *,
    noise: float,
    generator: torch.Generator,
    weight: float = 2.0,
    bias: float = 1.0,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str = "cpu",
) -> Dataset:
    """Synthetic ``y = weight * x + bias + noise * e`` with x, e ~ N(0, 1) i.i.d.: X (n, 1), Y (n, 1).

    Draws in float64 on the generator's device, then casts, so the sample does not depend on ``dtype``.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    for name, value in (("noise", noise), ("weight", weight), ("bias", bias)):
        if not math.isfinite(value):
            raise ValueError(f"{name} must be finite, got {value}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    draws = torch.randn(2, n, 1, generator=generator, dtype=torch.float64, device=generator.device)
    x, e = draws[0], draws[1]
    y = weight * x + bias + noise * e
    return Dataset(x.to(device=device, dtype=dtype), y.to(device=device, dtype=dtype))
