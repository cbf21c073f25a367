"""Initialisation strategies: plain random draws, per-layer initialisers of MLPs, and loss-based rejection sampling.

Every function takes an explicit ``torch.Generator``; shapes are (B, P). ``layerwise`` draws an
MLP population layer by layer in the model's parameter order (``nn.Sequential``'s: per layer the
weights row-major, then the biases) with He, Xavier, uniform, normal, zero or PyTorch-default
initialisers, or any callable, chosen per weight and per bias (and per layer). Two samplers:
``rejection_sample`` fills a population from one stream of proposals (members in draw order),
``sample_until`` runs one independent rejection chain per member, in blocks of candidates for
all unfinished members at once, with a cap on the draws of any one member (source 002, A.3).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import NamedTuple

import torch

from harness.engine._checks import check_real
from harness.engine.data import Dataset
from harness.engine.losses import mse
from harness.engine.models import MLPForward, Model

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


# A layer initialiser: (fan_in, fan_out, shape, generator) -> float64 draws of ``shape``, which is
# (B, fan_out, fan_in) for a layer's weights and (B, fan_out) for its biases.
LayerInit = Callable[[int, int, tuple[int, ...], torch.Generator], torch.Tensor]


def _uniform_draws(bound: float, shape: tuple[int, ...], generator: torch.Generator) -> torch.Tensor:
    """U(-bound, bound) in float64 on the generator's device."""
    return (2 * torch.rand(shape, generator=generator, dtype=torch.float64, device=generator.device) - 1) * bound


def _normal_draws(std: float, shape: tuple[int, ...], generator: torch.Generator) -> torch.Tensor:
    """N(0, std^2) in float64 on the generator's device."""
    return std * torch.randn(shape, generator=generator, dtype=torch.float64, device=generator.device)


def he_normal(*, gain: float = math.sqrt(2)) -> LayerInit:
    """``kaiming_normal_`` (fan_in mode): N(0, (gain / sqrt(fan_in))^2); the default gain is ReLU's."""
    check_real("gain", gain, low=0, low_open=True)
    return lambda fan_in, fan_out, shape, generator: _normal_draws(gain / math.sqrt(fan_in), shape, generator)


def he_uniform(*, gain: float = math.sqrt(2)) -> LayerInit:
    """``kaiming_uniform_`` (fan_in mode): U(-b, b) with b = gain * sqrt(3 / fan_in)."""
    check_real("gain", gain, low=0, low_open=True)
    return lambda fan_in, fan_out, shape, generator: _uniform_draws(gain * math.sqrt(3 / fan_in), shape, generator)


def xavier_uniform(*, gain: float = 1.0) -> LayerInit:
    """``xavier_uniform_``: U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out))."""
    check_real("gain", gain, low=0, low_open=True)
    return lambda fan_in, fan_out, shape, generator: _uniform_draws(
        gain * math.sqrt(6 / (fan_in + fan_out)), shape, generator
    )


def xavier_normal(*, gain: float = 1.0) -> LayerInit:
    """``xavier_normal_``: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    check_real("gain", gain, low=0, low_open=True)
    return lambda fan_in, fan_out, shape, generator: _normal_draws(
        gain * math.sqrt(2 / (fan_in + fan_out)), shape, generator
    )


def uniform_layer(bound: float) -> LayerInit:
    """U(-bound, bound) whatever the layer's size."""
    check_real("bound", bound, low=0)
    return lambda fan_in, fan_out, shape, generator: _uniform_draws(bound, shape, generator)


def normal_layer(std: float) -> LayerInit:
    """N(0, std^2) whatever the layer's size."""
    check_real("std", std, low=0)
    return lambda fan_in, fan_out, shape, generator: _normal_draws(std, shape, generator)


def zeros() -> LayerInit:
    """All zeros (no draws)."""
    return lambda fan_in, fan_out, shape, generator: torch.zeros(shape, dtype=torch.float64, device=generator.device)


def torch_default() -> LayerInit:
    """``nn.Linear``'s default for weights and biases alike: U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    return lambda fan_in, fan_out, shape, generator: _uniform_draws(1 / math.sqrt(fan_in), shape, generator)


LAYER_INITS: dict[str, Callable[[], LayerInit]] = {
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "xavier_uniform": xavier_uniform,
    "xavier_normal": xavier_normal,
    "zeros": zeros,
    "torch_default": torch_default,
}

LayerInits = str | LayerInit | Sequence[str | LayerInit]


def _per_layer(name: str, choice: LayerInits, layers: int) -> list[LayerInit]:
    """One initialiser per layer from a name, a callable, or a sequence of them (one per layer)."""
    choices = list(choice) if isinstance(choice, Sequence) and not isinstance(choice, str) else [choice] * layers
    if len(choices) != layers:
        raise ValueError(f"{name} has {len(choices)} initialisers for {layers} layers")
    out = []
    for item in choices:
        if isinstance(item, str):
            if item not in LAYER_INITS:
                raise ValueError(f"unknown {name} initialiser {item!r}; known: {', '.join(sorted(LAYER_INITS))}")
            item = LAYER_INITS[item]()
        if not callable(item):
            raise ValueError(
                f"{name} must be initialiser names or callables (fan_in, fan_out, shape, generator), got {item!r}"
            )
        out.append(item)
    return out


def _draw(
    init: LayerInit, fan_in: int, fan_out: int, shape: tuple[int, ...], generator: torch.Generator
) -> torch.Tensor:
    """One initialiser's draws, checked: a finite float tensor of ``shape``."""
    values = init(fan_in, fan_out, shape, generator)
    if not isinstance(values, torch.Tensor) or tuple(values.shape) != shape or not values.is_floating_point():
        raise ValueError(
            f"an initialiser must return a float tensor of shape {shape}, got {getattr(values, 'shape', values)!r}"
        )
    if not bool(torch.isfinite(values).all()):
        raise ValueError("an initialiser returned NaN or inf")
    return values.to(torch.float64)


def layerwise(
    model: Model,
    population: int,
    *,
    generator: torch.Generator,
    weights: LayerInits = "torch_default",
    biases: LayerInits = "torch_default",
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """A (B, P) population of an MLP drawn layer by layer, in the model's parameter order.

    ``weights`` and ``biases``: an initialiser name of ``LAYER_INITS`` (``"he_normal"``,
    ``"xavier_uniform"``, ``"torch_default"``, ...), a callable ``(fan_in, fan_out, shape, generator)``
    (e.g. ``he_normal(gain=1.0)``, ``uniform_layer(0.5)``), or a sequence of those with one per layer.
    Layer l's weights are drawn as (B, fan_out, fan_in), then its biases as (B, fan_out), so member b's
    row is ``nn.Sequential``'s flattened ``state_dict``: ``W1`` row-major, ``b1``, ``W2``, ``b2``, ...
    Draws in float64, then casts, so the values do not depend on ``dtype``.
    """
    _check_population(population)
    if not isinstance(model, Model) or not isinstance(model.forward, MLPForward):
        raise ValueError(f"layerwise needs a models.mlp network, got {getattr(model, 'name', model)!r}")
    widths = model.forward.widths
    layers = len(widths) - 1
    weight_inits, bias_inits = _per_layer("weights", weights, layers), _per_layer("biases", biases, layers)
    parts = []
    for (fan_in, fan_out), w_init, b_init in zip(pairwise(widths), weight_inits, bias_inits, strict=True):
        parts.append(_draw(w_init, fan_in, fan_out, (population, fan_out, fan_in), generator).reshape(population, -1))
        parts.append(_draw(b_init, fan_in, fan_out, (population, fan_out), generator))
    return torch.cat(parts, dim=1).to(dtype)


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
    assert params is not None  # the population has at least one member, so one round ran
    return MemberSample(params, loss, draws, capped)
