"""Small data sets: centered XOR (scalar and one-hot targets), 0/1 XOR, y = 2x + 1, and regression on any function.

Every data set is a ``Dataset(X, Y)`` with ``X`` of shape (N, D) and ``Y`` of shape (N, O);
it unpacks as a tuple: ``X, Y = centered_xor()``. ``function_on_grid`` and ``function_at_random``
build a regression data set from a target function of the inputs (e.g. ``torch.sin``), on an
evenly spaced grid or at uniformly drawn points, optionally with Gaussian noise on the targets.
"""

from __future__ import annotations

from collections.abc import Callable
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


def _targets(fn: Callable[[torch.Tensor], torch.Tensor], X: torch.Tensor) -> torch.Tensor:
    """``fn(X)`` as (N, O): a (N,) result becomes one column; anything else is a clear error."""
    Y = fn(X)
    if not isinstance(Y, torch.Tensor) or Y.shape[0] != X.shape[0] or Y.dim() not in (1, 2):
        raise ValueError(
            f"fn must map X (N, D) to a tensor (N,) or (N, O), got {getattr(Y, 'shape', type(Y).__name__)}"
        )
    Y = Y.unsqueeze(1) if Y.dim() == 1 else Y
    if not bool(torch.isfinite(Y).all()):
        raise ValueError("fn gave NaN or inf targets on the inputs")
    return Y


def _check_box(low: float, high: float, inputs: int) -> None:
    """A finite interval low < high and at least one input."""
    check_real("low", low)
    check_real("high", high)
    if not low < high:
        raise ValueError(f"need low < high, got low={low}, high={high}")
    check_int("inputs", inputs, minimum=1)


def function_on_grid(
    fn: Callable[[torch.Tensor], torch.Tensor],
    *,
    low: float,
    high: float,
    points: int,
    inputs: int = 1,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str = "cpu",
) -> Dataset:
    """``fn`` on an evenly spaced grid: ``points`` values per input in [low, high], all D-tuples (N = points**D).

    ``fn`` maps X (N, D) to targets (N,) or (N, O), e.g. ``function_on_grid(torch.sin, low=-3, high=3,
    points=64)`` or ``lambda X: X.prod(dim=1)`` for a product of inputs; it is evaluated in float64.
    """
    _check_box(low, high, inputs)
    check_int("points", points, minimum=1)
    axis = torch.linspace(low, high, points, dtype=torch.float64)
    X = torch.cartesian_prod(*[axis] * inputs).reshape(points**inputs, inputs)
    Y = _targets(fn, X)
    return Dataset(X.to(device=device, dtype=dtype), Y.to(device=device, dtype=dtype))


def function_at_random(
    fn: Callable[[torch.Tensor], torch.Tensor],
    n: int,
    *,
    low: float,
    high: float,
    generator: torch.Generator,
    inputs: int = 1,
    noise: float = 0.0,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str = "cpu",
) -> Dataset:
    """``fn`` at ``n`` points drawn uniformly from [low, high]^D, plus ``noise`` * N(0, 1) on every target.

    Draws in float64 on the generator's device, then casts, so the sample does not depend on ``dtype``.
    """
    _check_box(low, high, inputs)
    check_int("n", n, minimum=1)
    check_real("noise", noise, low=0)
    X = low + (high - low) * torch.rand(n, inputs, generator=generator, dtype=torch.float64, device=generator.device)
    Y = _targets(fn, X)
    if noise:
        Y = Y + noise * torch.randn(Y.shape, generator=generator, dtype=torch.float64, device=generator.device)
    return Dataset(X.to(device=device, dtype=dtype), Y.to(device=device, dtype=dtype))
