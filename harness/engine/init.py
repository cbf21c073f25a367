"""Initialisation strategies: plain random draws and loss-based rejection sampling (source 002).

Every function takes an explicit ``torch.Generator``; shapes are (B, P).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import torch

from harness.engine.data import Dataset
from harness.engine.losses import mse
from harness.engine.models import Model

Proposal = Callable[[int, torch.Generator], torch.Tensor]


def _check_population(population: int) -> None:
    if isinstance(population, bool) or not isinstance(population, int) or population < 1:
        raise ValueError(f"population must be a positive int, got {population!r}")


def normal(population: int, n_params: int, *, generator: torch.Generator, scale: float = 1.0,
           dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """i.i.d. N(0, scale^2) parameters (source 002's "standard normal" control is ``scale=1``)."""
    _check_population(population)
    if not math.isfinite(scale) or scale <= 0:
        raise ValueError(f"scale must be a positive finite number, got {scale}")
    draws = torch.randn(population, n_params, generator=generator, dtype=torch.float64, device=generator.device)
    return (scale * draws).to(dtype)


def uniform(population: int, n_params: int, *, generator: torch.Generator, low: float, high: float,
            dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """i.i.d. U(low, high) parameters."""
    _check_population(population)
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"need finite low < high, got ({low}, {high})")
    draws = torch.rand(population, n_params, generator=generator, dtype=torch.float64, device=generator.device)
    return (low + (high - low) * draws).to(dtype)


class RejectionSample(NamedTuple):
    """Accepted parameters (B, P), the proposals each member took (B,), and all proposals drawn."""

    params: torch.Tensor
    proposals_per_member: torch.Tensor
    total_proposals: int


def rejection_sample(
    model: Model,
    data: Dataset,
    *,
    population: int,
    propose: Proposal,
    accept: Callable[[torch.Tensor], torch.Tensor],
    generator: torch.Generator,
    chunk: int = 4096,
    max_proposals: int = 10_000_000,
) -> RejectionSample:
    """Draw proposals ``propose(chunk, generator)`` until ``population`` of them satisfy ``accept(losses)``.

    ``accept`` maps initial MSEs (n,) to a boolean mask, e.g. ``lambda loss: loss < threshold``.
    Members are filled in draw order; member k's proposal count is the gap between the k-th and
    (k-1)-th accepted draw, so it is geometric with the acceptance probability (source 002, A.3).
    """
    _check_population(population)
    if chunk < 1 or max_proposals < 1:
        raise ValueError("chunk and max_proposals must be >= 1")
    accepted: list[torch.Tensor] = []
    positions: list[torch.Tensor] = []
    drawn = found = 0
    while found < population:
        if drawn >= max_proposals:
            raise ValueError(
                f"rejection sampling accepted {found} of {drawn} proposals, fewer than the {population} needed "
                f"within max_proposals={max_proposals}; the acceptance region is too small"
            )
        candidates = propose(chunk, generator)
        mask = accept(mse(model, candidates, data.X, data.Y))
        index = mask.nonzero().flatten()[: population - found]
        accepted.append(candidates[index])
        positions.append(index + drawn + 1)
        found += len(index)
        drawn += chunk
    ends = torch.cat(positions)
    gaps = torch.diff(ends, prepend=ends.new_zeros(1))
    return RejectionSample(torch.cat(accepted), gaps, int(ends[-1]))
