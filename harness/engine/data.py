"""Small data sets: centered XOR (scalar and one-hot targets), 0/1 XOR and y = 2x + 1.

Every data set is a ``Dataset(X, Y)`` with ``X`` of shape (N, D) and ``Y`` of shape (N, O);
it unpacks as a tuple: ``X, Y = centered_xor()``.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from harness.engine._checks import check_int, check_real


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


def xor01(*, dtype: torch.dtype = torch.float32, device: torch.device | str = "cpu") -> Dataset:
    """Classic XOR on 0/1 inputs: X (4, 2) in {0, 1}^2, Y (4, 1) = x0 XOR x1."""
    X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], dtype=dtype, device=device)
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
    check_int("n", n, minimum=1)
    check_real("noise", noise, low=0)
    check_real("weight", weight)
    check_real("bias", bias)
    draws = torch.randn(2, n, 1, generator=generator, dtype=torch.float64, device=generator.device)
    x, e = draws[0], draws[1]
    y = weight * x + bias + noise * e
    return Dataset(x.to(device=device, dtype=dtype), y.to(device=device, dtype=dtype))
