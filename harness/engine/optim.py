"""Optimizers as pure ``init``/``update`` pairs over a population (optax style, per-member state).

Parameters and gradients are *trees*: a tuple of tensors whose leading dimension is the
population size B (the trainer uses P columns of shape (B,); a single (B, P) tensor works too).
``init(params) -> state`` and ``update(grads, state, params, lr) -> (updates, state)`` never
mutate their inputs; the new parameters are ``params + updates``. Every state leaf carries the
leading B dimension so the trainer can freeze stopped members leaf by leaf.

Each factory returns a frozen dataclass (hashable by value), and ``chain`` composes them,
e.g. ``chain(clip_by_member_norm(1.0), adam())``. Semantics match ``torch.optim.SGD``,
``torch.optim.Adam`` (L2 ``weight_decay`` added to the gradient) and
``torch.nn.utils.clip_grad_norm_`` applied to each member separately; the tests check this.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

import torch

Tree = tuple[torch.Tensor, ...]


class Optimizer(Protocol):
    """The interface every optimizer and gradient transformation implements."""

    def init(self, params: Tree) -> Any: ...

    def update(self, grads: Tree, state: Any, params: Tree, lr: torch.Tensor | float) -> tuple[Tree, Any]: ...


def member_sq_norm(tree: Tree) -> torch.Tensor:
    """Squared L2 norm of each member's whole gradient (all leaves): (B,)."""
    total = None
    for leaf in tree:
        square = leaf * leaf
        part = square if leaf.dim() == 1 else square.sum(dim=tuple(range(1, leaf.dim())))
        total = part if total is None else total + part
    return total


def _per_member(scale: torch.Tensor, leaf: torch.Tensor) -> torch.Tensor:
    """Reshape a (B,) per-member factor so it broadcasts against ``leaf`` (B, ...)."""
    return scale.reshape(scale.shape + (1,) * (leaf.dim() - 1))


def _check_finite(**values: float) -> None:
    """Raise ``ValueError`` naming the first non-finite hyperparameter."""
    for name, value in values.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number, got {value!r}")


class EmptyState(NamedTuple):
    """State of a stateless transformation."""


class MomentumState(NamedTuple):
    """SGD momentum buffers, one per parameter leaf."""

    momentum: Tree


class AdamState(NamedTuple):
    """Adam moments per leaf and the per-member powers ``b1**t``, ``b2**t`` (B,) of the step count t.

    The powers are updated by one multiplication per step rather than recomputed with ``pow``,
    which keeps the fused kernel cheap; they equal ``torch.optim.Adam``'s ``beta**step`` to rounding.
    """

    b1_power: torch.Tensor
    b2_power: torch.Tensor
    mu: Tree
    nu: Tree


class ChainState(NamedTuple):
    """States of the chained transformations, in order."""

    inner: tuple[Any, ...]


@dataclass(frozen=True)
class SGD:
    """SGD as ``torch.optim.SGD`` (no dampening): ``g += wd * p``; ``buf = m * buf + g``; ``p -= lr * g'``."""

    momentum: float = 0.0
    nesterov: bool = False
    weight_decay: float = 0.0

    def __post_init__(self) -> None:
        _check_finite(momentum=self.momentum, weight_decay=self.weight_decay)
        if self.momentum < 0 or self.weight_decay < 0:
            raise ValueError("momentum and weight_decay must be >= 0")
        if self.nesterov and self.momentum == 0:
            raise ValueError("nesterov momentum requires momentum > 0")

    def init(self, params: Tree) -> MomentumState | EmptyState:
        if self.momentum == 0:
            return EmptyState()
        return MomentumState(tuple(torch.zeros_like(p) for p in params))

    def update(self, grads: Tree, state: Any, params: Tree, lr: torch.Tensor | float) -> tuple[Tree, Any]:
        if self.weight_decay:
            grads = tuple(g + self.weight_decay * p for g, p in zip(grads, params))
        if self.momentum:
            buffers = tuple(self.momentum * b + g for b, g in zip(state.momentum, grads))
            state = MomentumState(buffers)
            grads = tuple(g + self.momentum * b for g, b in zip(grads, buffers)) if self.nesterov else buffers
        return tuple(-lr * g for g in grads), state


@dataclass(frozen=True)
class Adam:
    """Adam as ``torch.optim.Adam`` (L2 weight decay added to the gradient, bias-corrected moments)."""

    b1: float = 0.9
    b2: float = 0.999
    eps: float = 1e-8
    weight_decay: float = 0.0

    def __post_init__(self) -> None:
        _check_finite(b1=self.b1, b2=self.b2, eps=self.eps, weight_decay=self.weight_decay)
        if not (0 <= self.b1 < 1 and 0 <= self.b2 < 1):
            raise ValueError(f"betas must lie in [0, 1), got ({self.b1}, {self.b2})")
        if self.eps <= 0:  # torch.optim.Adam allows 0; then a zero gradient gives 0 / 0 = NaN
            raise ValueError(f"eps must be > 0 (eps = 0 divides 0 by 0 where a gradient is zero), got {self.eps}")
        if self.weight_decay < 0:
            raise ValueError("weight_decay must be >= 0")

    def init(self, params: Tree) -> AdamState:
        first = params[0]

        def ones() -> torch.Tensor:
            return torch.ones(first.shape[0], dtype=first.dtype, device=first.device)

        def zeros() -> Tree:
            return tuple(torch.zeros_like(p) for p in params)

        # Distinct tensors, not shared ones: dynamo guards on aliasing and would recompile the
        # fused trainer once the state stops being aliased after the first step.
        return AdamState(ones(), ones(), zeros(), zeros())

    def update(self, grads: Tree, state: AdamState, params: Tree, lr: torch.Tensor | float) -> tuple[Tree, AdamState]:
        if self.weight_decay:
            grads = tuple(g + self.weight_decay * p for g, p in zip(grads, params))
        b1_power, b2_power = state.b1_power * self.b1, state.b2_power * self.b2
        mu = tuple(self.b1 * m + (1 - self.b1) * g for m, g in zip(state.mu, grads))
        nu = tuple(self.b2 * v + (1 - self.b2) * g * g for v, g in zip(state.nu, grads))
        step_size = lr / (1 - b1_power)  # (B,)
        correction2 = torch.sqrt(1 - b2_power)  # (B,)
        updates = tuple(
            -_per_member(step_size, m) * m / (v.sqrt() / _per_member(correction2, v) + self.eps) for m, v in zip(mu, nu)
        )
        return updates, AdamState(b1_power, b2_power, mu, nu)


@dataclass(frozen=True)
class ClipByMemberNorm:
    """Scale each member's gradient as ``clip_grad_norm_(max_norm)`` would: by min(1, max_norm / (norm + 1e-6))."""

    max_norm: float

    def __post_init__(self) -> None:
        _check_finite(max_norm=self.max_norm)
        if self.max_norm <= 0:
            raise ValueError(f"max_norm must be > 0, got {self.max_norm}")

    def init(self, params: Tree) -> EmptyState:
        return EmptyState()

    def update(self, grads: Tree, state: Any, params: Tree, lr: torch.Tensor | float) -> tuple[Tree, Any]:
        norm = member_sq_norm(grads).sqrt()
        scale = torch.clamp(self.max_norm / (norm + 1e-6), max=1.0)
        return tuple(g * _per_member(scale, g) for g in grads), state


@dataclass(frozen=True)
class Chain:
    """Apply transformations in order; each one's output is the next one's gradient."""

    transforms: tuple[Any, ...]

    def init(self, params: Tree) -> ChainState:
        return ChainState(tuple(t.init(params) for t in self.transforms))

    def update(self, grads: Tree, state: ChainState, params: Tree, lr: torch.Tensor | float) -> tuple[Tree, ChainState]:
        states = []
        for transform, inner in zip(self.transforms, state.inner):
            grads, inner = transform.update(grads, inner, params, lr)
            states.append(inner)
        return grads, ChainState(tuple(states))


def sgd(*, momentum: float = 0.0, nesterov: bool = False, weight_decay: float = 0.0) -> SGD:
    """Vanilla SGD (``momentum=0``) or SGD with heavy-ball / Nesterov momentum."""
    return SGD(momentum=momentum, nesterov=nesterov, weight_decay=weight_decay)


def adam(*, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8, weight_decay: float = 0.0) -> Adam:
    """Adam with per-member moment estimates and step counts."""
    return Adam(b1=b1, b2=b2, eps=eps, weight_decay=weight_decay)


def clip_by_member_norm(max_norm: float) -> ClipByMemberNorm:
    """Per-member gradient-norm clipping (compose it before an optimizer with ``chain``)."""
    return ClipByMemberNorm(max_norm)


def chain(*transforms: Any) -> Chain:
    """Compose gradient transformations and a final optimizer, applied left to right."""
    if not transforms:
        raise ValueError("chain needs at least one transformation")
    return Chain(tuple(transforms))
