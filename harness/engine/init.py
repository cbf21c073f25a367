"""Initialisation strategies: plain random draws and loss-based rejection sampling (source 002).

Every function takes an explicit ``torch.Generator``; shapes are (B, P). Two samplers:
``rejection_sample`` fills a population from one stream of proposals (members in draw order),
``sample_until`` runs one independent rejection chain per member, in blocks of candidates for
all unfinished members at once, with a cap on the draws of any one member (source 002, A.3).
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


def normal(
    population: int,
    n_params: int,
    *,
    generator: torch.Generator,
    scale: float = 1.0,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """i.i.d. N(0, scale^2) parameters (source 002's "standard normal" control is ``scale=1``)."""
    _check_population(population)
    if not math.isfinite(scale) or scale <= 0:
        raise ValueError(f"scale must be a positive finite number, got {scale}")
    draws = torch.randn(population, n_params, generator=generator, dtype=torch.float64, device=generator.device)
    return (scale * draws).to(dtype)


def per_param_uniform(
    population: int, bounds, *, generator: torch.Generator, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """Parameter j ~ U(-bounds[j], bounds[j]) i.i.d. (bounds (P,), each >= 0; 0 gives exactly 0).

    Per-parameter bounds express layer-wise schemes, e.g. PyTorch's default ``nn.Linear`` init
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases, or Xavier weights with zero biases.
    """
    _check_population(population)
    scale = _check_scales(bounds, "bounds")
    draws = torch.rand(population, len(scale), generator=generator, dtype=torch.float64, device=generator.device)
    return ((2.0 * draws - 1.0) * scale.to(draws.device)).to(dtype)


def per_param_normal(
    population: int, stds, *, generator: torch.Generator, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """Parameter j ~ N(0, stds[j]^2) i.i.d. (stds (P,), each >= 0; 0 gives exactly 0)."""
    _check_population(population)
    scale = _check_scales(stds, "stds")
    draws = torch.randn(population, len(scale), generator=generator, dtype=torch.float64, device=generator.device)
    return (draws * scale.to(draws.device)).to(dtype)


def _check_scales(values, name: str) -> torch.Tensor:
    """A (P,) float64 tensor of finite non-negative scales, P >= 1; ``ValueError`` otherwise."""
    scale = torch.as_tensor(values, dtype=torch.float64)
    if scale.dim() != 1 or scale.numel() == 0:
        raise ValueError(f"{name} must be a non-empty 1-d sequence, got shape {tuple(scale.shape)}")
    if not bool(torch.isfinite(scale).all()) or bool((scale < 0).any()):
        raise ValueError(f"{name} must be finite and >= 0, got {scale.tolist()}")
    return scale


def uniform(
    population: int,
    n_params: int,
    *,
    generator: torch.Generator,
    low: float,
    high: float,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
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


class MemberSample(NamedTuple):
    """Per-member rejection sampling: accepted ``params`` (B, P), their initial ``loss`` (B,),
    ``draws`` (B,) candidates each member drew (including the accepted one), and ``capped`` (B,)
    members that reached the cap without acceptance (their params are their last candidate)."""

    params: torch.Tensor
    loss: torch.Tensor
    draws: torch.Tensor
    capped: torch.Tensor

    @property
    def total_draws(self) -> int:
        """All candidates drawn (= forward passes on the data set spent on sampling)."""
        return int(self.draws.sum())


def sample_until(
    model: Model,
    data: Dataset,
    *,
    population: int,
    propose: Proposal,
    accept: Callable[[torch.Tensor], torch.Tensor],
    generator: torch.Generator,
    block: int = 8,
    max_block: int = 1024,
    max_draws: int = 100_000,
) -> MemberSample:
    """Each member draws candidates ``propose(n, generator)`` until ``accept(initial MSE)`` holds.

    Rounds draw a block of ``k`` candidates for every unfinished member at once (``k`` starts at
    ``block`` and doubles each round up to ``max_block``); a member takes its first accepted
    candidate of the block, so its draw count is exactly geometric with the acceptance
    probability (source 002, A.3). A member that has drawn ``max_draws`` candidates stops,
    flagged ``capped``. Deterministic given the generator's state.
    """
    _check_population(population)
    for name, value in (("block", block), ("max_block", max_block), ("max_draws", max_draws)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    params: torch.Tensor | None = None
    loss = torch.full((population,), float("nan"), dtype=torch.float64)
    draws = torch.zeros(population, dtype=torch.int64)
    open_ = torch.ones(population, dtype=torch.bool)
    k = min(block, max_block)
    while bool(open_.any()):
        members = open_.nonzero().flatten()  # (U,)
        take = min(k, max_draws - int(draws[members].max()))
        candidates = propose(len(members) * take, generator)  # (U * k, P)
        if params is None:
            params = candidates.new_zeros(population, candidates.shape[1])
        cand_loss = mse(model, candidates, data.X, data.Y).reshape(len(members), take)  # (U, k)
        ok = accept(cand_loss).to(torch.bool)
        hit = ok.any(dim=1)
        first = torch.where(hit, ok.to(torch.int8).argmax(dim=1), take - 1)  # (U,)
        chosen = candidates.reshape(len(members), take, -1)[torch.arange(len(members)), first]
        params[members] = chosen
        loss[members] = cand_loss[torch.arange(len(members)), first].to(torch.float64).cpu()
        draws[members] += (first + 1).cpu()
        open_[members] = ~hit.cpu() & (draws[members] < max_draws)
        k = min(2 * k, max_block)
    capped = (draws >= max_draws) & ~accept(loss).to(torch.bool)
    return MemberSample(params, loss, draws, capped)
