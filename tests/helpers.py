"""Tiny shared test helpers: tolerant comparison and per-model ``torch.nn`` references."""

from __future__ import annotations

import torch
from torch import nn


def assert_close(actual: torch.Tensor, expected: torch.Tensor, *, rtol: float, atol: float) -> None:
    """``torch.testing.assert_close`` with explicit tolerances and NaN == NaN."""
    torch.testing.assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=True, check_dtype=False)


class _SumOfReLUs(nn.Module):
    """ReLU(W0 x + b0) + ReLU(W1 x + b1) as Linear(2, 2), ReLU, sum."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(2, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.linear(x)).sum(dim=-1, keepdim=True)


class _Abs(nn.Module):
    """|W x + b| as Linear(2, 1) then abs."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x).abs()


def reference_module(name: str, row: torch.Tensor) -> nn.Module:
    """The ordinary ``nn.Module`` for model ``name`` with its parameters loaded from ``row`` (P,)."""
    builders = {
        "abs_neuron": _Abs,
        "relu_pair": _SumOfReLUs,
        "mlp_2_2_2": lambda: nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2)),
        "linear_1d": lambda: nn.Linear(1, 1),
    }
    module = builders[name]().to(dtype=row.dtype)
    nn.utils.vector_to_parameters(row.detach().clone(), module.parameters())
    return module
