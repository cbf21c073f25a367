"""Optimizers as pure ``init``/``update`` pairs over a population (optax style, per-member state).

Parameters and gradients are *trees*: a tuple of tensors whose leading dimension is the
population size B (the trainer uses P columns of shape (B,); a single (B, P) tensor works too).
``init(params) -> state`` and ``update(grads, state, params, lr) -> (updates, state)`` never
mutate their inputs; the new parameters are ``params + updates``. Every state leaf carries the
leading B dimension so the trainer can freeze stopped members leaf by leaf.

Each factory returns a frozen dataclass (hashable by value), and ``chain`` composes them,
e.g. ``chain(clip_by_member_norm(1.0), adam())``. Semantics match ``torch.optim.SGD``,
``torch.optim.Adam``, ``torch.optim.Rprop``, ``torch.optim.RMSprop``, ``torch.optim.Adagrad``
(L2 ``weight_decay`` added to the gradient) and ``torch.nn.utils.clip_grad_norm_`` applied to
each member separately; the tests check every step against torch, member by member.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

import torch

from harness.engine._checks import check_real

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


def _zeros(params: Tree) -> Tree:
    """One zero tensor per leaf (distinct tensors: dynamo guards on aliasing)."""
    return tuple(torch.zeros_like(p) for p in params)


def _member_vector(params: Tree, value: float) -> torch.Tensor:
    """A (B,) tensor filled with ``value``, on the parameters' device and dtype."""
    first = params[0]
    return torch.full((first.shape[0],), value, dtype=first.dtype, device=first.device)


def _add_weight_decay(grads: Tree, params: Tree, weight_decay: float) -> Tree:
    """``g + wd * p`` per leaf (L2 penalty added to the gradient, as torch.optim does)."""
    if not weight_decay:
        return grads
    return tuple(g + weight_decay * p for g, p in zip(grads, params, strict=True))


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
        check_real("momentum", self.momentum, low=0)
        check_real("weight_decay", self.weight_decay, low=0)
        if self.nesterov and self.momentum == 0:
            raise ValueError("nesterov momentum requires momentum > 0")

    def init(self, params: Tree) -> MomentumState | EmptyState:
        if self.momentum == 0:
            return EmptyState()
        return MomentumState(tuple(torch.zeros_like(p) for p in params))

    def update(self, grads: Tree, state: Any, params: Tree, lr: torch.Tensor | float) -> tuple[Tree, Any]:
        grads = _add_weight_decay(grads, params, self.weight_decay)
        if self.momentum:
            buffers = tuple(self.momentum * b + g for b, g in zip(state.momentum, grads, strict=True))
            state = MomentumState(buffers)
            grads = (
                tuple(g + self.momentum * b for g, b in zip(grads, buffers, strict=True)) if self.nesterov else buffers
            )
        return tuple(-lr * g for g in grads), state


@dataclass(frozen=True)
class Adam:
    """Adam as ``torch.optim.Adam`` (L2 weight decay added to the gradient, bias-corrected moments)."""

    b1: float = 0.9
    b2: float = 0.999
    eps: float = 1e-8
    weight_decay: float = 0.0

    def __post_init__(self) -> None:
        check_real("b1", self.b1, low=0, high=1, high_open=True)
        check_real("b2", self.b2, low=0, high=1, high_open=True)
        check_real("eps", self.eps, low=0, low_open=True)  # torch allows 0: a zero gradient then gives 0 / 0 = NaN
        check_real("weight_decay", self.weight_decay, low=0)

    def init(self, params: Tree) -> AdamState:
        # Distinct tensors, not shared ones: dynamo guards on aliasing and would recompile the
        # fused trainer once the state stops being aliased after the first step.
        return AdamState(_member_vector(params, 1.0), _member_vector(params, 1.0), _zeros(params), _zeros(params))

    def update(self, grads: Tree, state: AdamState, params: Tree, lr: torch.Tensor | float) -> tuple[Tree, AdamState]:
        grads = _add_weight_decay(grads, params, self.weight_decay)
        b1_power, b2_power = state.b1_power * self.b1, state.b2_power * self.b2
        mu = tuple(self.b1 * m + (1 - self.b1) * g for m, g in zip(state.mu, grads, strict=True))
        nu = tuple(self.b2 * v + (1 - self.b2) * g * g for v, g in zip(state.nu, grads, strict=True))
        step_size = lr / (1 - b1_power)  # (B,)
        correction2 = torch.sqrt(1 - b2_power)  # (B,)
        updates = tuple(
            -_per_member(step_size, m) * m / (v.sqrt() / _per_member(correction2, v) + self.eps)
            for m, v in zip(mu, nu, strict=True)
        )
        return updates, AdamState(b1_power, b2_power, mu, nu)


class RpropState(NamedTuple):
    """Rprop per leaf: the previous (masked) gradient and the current step sizes; ``steps`` (B,) counts steps."""

    steps: torch.Tensor
    prev: Tree
    step_size: Tree


@dataclass(frozen=True)
class Rprop:
    """Rprop as ``torch.optim.Rprop``: per-weight step sizes grown by ``eta_plus`` while the gradient
    keeps its sign and cut by ``eta_minus`` (skipping that update) when it flips.

    The learning rate only sets the initial step size (the rate of each member's first step), as in
    torch, where a scheduler changing ``lr`` later has no effect on Rprop.
    """

    eta_minus: float = 0.5
    eta_plus: float = 1.2
    step_size_min: float = 1e-6
    step_size_max: float = 50.0

    def __post_init__(self) -> None:
        check_real("eta_minus", self.eta_minus, low=0, high=1, low_open=True, high_open=True)
        check_real("eta_plus", self.eta_plus, low=1, low_open=True)
        check_real("step_size_min", self.step_size_min, low=0)
        check_real("step_size_max", self.step_size_max, low=self.step_size_min)

    def init(self, params: Tree) -> RpropState:
        return RpropState(_member_vector(params, 0.0), _zeros(params), _zeros(params))

    def update(self, grads: Tree, state: RpropState, params: Tree, lr: torch.Tensor | float) -> tuple[Tree, RpropState]:
        first = state.steps == 0  # (B,)
        updates, prevs, sizes = [], [], []
        for g, prev, size in zip(grads, state.prev, state.step_size, strict=True):
            sign = torch.sign(g * prev)
            factor = torch.where(sign > 0, self.eta_plus, torch.where(sign < 0, self.eta_minus, torch.ones_like(g)))
            size = torch.where(_per_member(first, size), lr, size)
            size = torch.clamp(size * factor, self.step_size_min, self.step_size_max)
            g = torch.where(sign < 0, 0.0, g)
            updates.append(-torch.sign(g) * size)
            prevs.append(g)
            sizes.append(size)
        return tuple(updates), RpropState(state.steps + 1, tuple(prevs), tuple(sizes))


class RMSpropState(NamedTuple):
    """RMSprop per leaf: running mean of squared gradients, of gradients (centered) and momentum buffers."""

    square_avg: Tree
    grad_avg: Tree
    momentum: Tree


@dataclass(frozen=True)
class RMSprop:
    """RMSprop as ``torch.optim.RMSprop``: ``v = alpha v + (1 - alpha) g^2``; step ``g / (sqrt(v') + eps)``
    with ``v' = v - mean(g)^2`` when ``centered``, through a momentum buffer when ``momentum > 0``."""

    alpha: float = 0.99
    eps: float = 1e-8
    momentum: float = 0.0
    centered: bool = False
    weight_decay: float = 0.0

    def __post_init__(self) -> None:
        check_real("alpha", self.alpha, low=0, high=1)
        check_real("eps", self.eps, low=0, low_open=True)  # torch allows 0: a zero gradient then gives 0 / 0 = NaN
        check_real("momentum", self.momentum, low=0)
        check_real("weight_decay", self.weight_decay, low=0)

    def init(self, params: Tree) -> RMSpropState:
        grad_avg = _zeros(params) if self.centered else ()
        momentum = _zeros(params) if self.momentum else ()
        return RMSpropState(_zeros(params), grad_avg, momentum)

    def update(
        self, grads: Tree, state: RMSpropState, params: Tree, lr: torch.Tensor | float
    ) -> tuple[Tree, RMSpropState]:
        grads = _add_weight_decay(grads, params, self.weight_decay)
        square_avg = tuple(
            self.alpha * v + (1 - self.alpha) * g * g for v, g in zip(state.square_avg, grads, strict=True)
        )
        if self.centered:
            grad_avg = tuple(torch.lerp(m, g, 1 - self.alpha) for m, g in zip(state.grad_avg, grads, strict=True))
            denominators = tuple((v - m * m).sqrt() + self.eps for v, m in zip(square_avg, grad_avg, strict=True))
        else:
            grad_avg = ()
            denominators = tuple(v.sqrt() + self.eps for v in square_avg)
        directions = tuple(g / d for g, d in zip(grads, denominators, strict=True))
        momentum = ()
        if self.momentum:
            momentum = tuple(self.momentum * b + d for b, d in zip(state.momentum, directions, strict=True))
            directions = momentum
        return tuple(-lr * d for d in directions), RMSpropState(square_avg, grad_avg, momentum)


class AdagradState(NamedTuple):
    """Adagrad: per-member step counts (B,) and per-leaf sums of squared gradients."""

    steps: torch.Tensor
    sum_sq: Tree


@dataclass(frozen=True)
class Adagrad:
    """Adagrad as ``torch.optim.Adagrad``: ``s += g^2``; step ``lr / (1 + (t - 1) lr_decay) * g / (sqrt(s) + eps)``."""

    lr_decay: float = 0.0
    initial_accumulator_value: float = 0.0
    eps: float = 1e-10
    weight_decay: float = 0.0

    def __post_init__(self) -> None:
        check_real("lr_decay", self.lr_decay, low=0)
        check_real("initial_accumulator_value", self.initial_accumulator_value, low=0)
        check_real("eps", self.eps, low=0, low_open=True)  # torch allows 0: a zero gradient then gives 0 / 0 = NaN
        check_real("weight_decay", self.weight_decay, low=0)

    def init(self, params: Tree) -> AdagradState:
        sums = tuple(torch.full_like(p, self.initial_accumulator_value) for p in params)
        return AdagradState(_member_vector(params, 0.0), sums)

    def update(
        self, grads: Tree, state: AdagradState, params: Tree, lr: torch.Tensor | float
    ) -> tuple[Tree, AdagradState]:
        grads = _add_weight_decay(grads, params, self.weight_decay)
        rate = lr / (1 + state.steps * self.lr_decay)  # (B,)
        sum_sq = tuple(s + g * g for s, g in zip(state.sum_sq, grads, strict=True))
        updates = tuple(-_per_member(rate, g) * g / (s.sqrt() + self.eps) for g, s in zip(grads, sum_sq, strict=True))
        return updates, AdagradState(state.steps + 1, sum_sq)


@dataclass(frozen=True)
class ClipByMemberNorm:
    """Scale each member's gradient as ``clip_grad_norm_(max_norm)`` would: by min(1, max_norm / (norm + 1e-6))."""

    max_norm: float

    def __post_init__(self) -> None:
        check_real("max_norm", self.max_norm, low=0, low_open=True)

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
        for transform, inner in zip(self.transforms, state.inner, strict=True):
            grads, inner = transform.update(grads, inner, params, lr)
            states.append(inner)
        return grads, ChainState(tuple(states))


def sgd(*, momentum: float = 0.0, nesterov: bool = False, weight_decay: float = 0.0) -> SGD:
    """Vanilla SGD (``momentum=0``) or SGD with heavy-ball / Nesterov momentum."""
    return SGD(momentum=momentum, nesterov=nesterov, weight_decay=weight_decay)


def adam(*, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8, weight_decay: float = 0.0) -> Adam:
    """Adam with per-member moment estimates and step counts."""
    return Adam(b1=b1, b2=b2, eps=eps, weight_decay=weight_decay)


def rprop(
    *, eta_minus: float = 0.5, eta_plus: float = 1.2, step_size_min: float = 1e-6, step_size_max: float = 50.0
) -> Rprop:
    """Rprop with torch's defaults (``etas=(0.5, 1.2)``, ``step_sizes=(1e-6, 50)``)."""
    return Rprop(eta_minus=eta_minus, eta_plus=eta_plus, step_size_min=step_size_min, step_size_max=step_size_max)


def rmsprop(
    *, alpha: float = 0.99, eps: float = 1e-8, momentum: float = 0.0, centered: bool = False, weight_decay: float = 0.0
) -> RMSprop:
    """RMSprop with torch's defaults."""
    return RMSprop(alpha=alpha, eps=eps, momentum=momentum, centered=centered, weight_decay=weight_decay)


def adagrad(
    *, lr_decay: float = 0.0, initial_accumulator_value: float = 0.0, eps: float = 1e-10, weight_decay: float = 0.0
) -> Adagrad:
    """Adagrad with torch's defaults."""
    return Adagrad(
        lr_decay=lr_decay, initial_accumulator_value=initial_accumulator_value, eps=eps, weight_decay=weight_decay
    )


def clip_by_member_norm(max_norm: float) -> ClipByMemberNorm:
    """Per-member gradient-norm clipping (compose it before an optimizer with ``chain``)."""
    return ClipByMemberNorm(max_norm)


def chain(*transforms: Any) -> Chain:
    """Compose gradient transformations and a final optimizer, applied left to right."""
    if not transforms:
        raise ValueError("chain needs at least one transformation")
    return Chain(tuple(transforms))
