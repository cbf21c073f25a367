"""Optimizers as pure ``init``/``update`` pairs over a population (optax style, per-member state).

Parameters and gradients are *trees*: a tuple of tensors whose leading dimension is the
population size B (the trainer's column form uses P columns of shape (B,), its matrix form one
(B, P) tensor). ``init(params) -> state`` and ``update(grads, state, params, lr) -> (updates, state)``
never mutate their inputs; the new parameters are ``params + updates`` (``apply`` computes them,
through an optimizer's own ``step`` where it has one that rounds as torch does). Every state leaf
carries the leading B dimension so the trainer can freeze stopped members leaf by leaf. The
learning rate is a number, a 0-d tensor, or a (B,) tensor (one rate per member).

Each factory returns a frozen dataclass (hashable by value), and ``chain`` composes them,
e.g. ``chain(clip_by_member_norm(1.0), adam())``. Semantics match ``torch.optim.SGD``,
``torch.optim.Adam``, ``torch.optim.Rprop``, ``torch.optim.RMSprop``, ``torch.optim.Adagrad``
(L2 ``weight_decay`` added to the gradient) and ``torch.nn.utils.clip_grad_norm_`` applied to
each member separately; the tests check every step against torch, member by member.
``torch_adam`` is Adam computed with torch's own operations, each rounded in the parameters' dtype
(float16 included), for studies of low precision; ``add_decayed_weights`` and ``clip_by_member_norm`` take per-member
(B,) settings too.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

import torch

from harness.engine._checks import check_member_values, check_real, value_key

Tree = tuple[torch.Tensor, ...]


class Optimizer(Protocol):
    """The interface every optimizer and gradient transformation implements.

    An optimizer may also define ``step(grads, state, params, lr) -> (new_params, state)`` when its
    new parameters must be computed directly (one rounding, as torch's in-place update) rather than
    as ``params + updates``; ``apply`` uses it.
    """

    def init(self, params: Tree) -> Any: ...

    def update(self, grads: Tree, state: Any, params: Tree, lr: torch.Tensor | float) -> tuple[Tree, Any]: ...


def apply(optimizer: Any, grads: Tree, state: Any, params: Tree, lr: torch.Tensor | float) -> tuple[Tree, Any]:
    """New parameters and state after one step: ``optimizer.step`` if it has one, else ``params + updates``."""
    step = getattr(optimizer, "step", None)
    if step is not None:
        return step(grads, state, params, lr)
    updates, state = optimizer.update(grads, state, params, lr)
    return tuple(p + u for p, u in zip(params, updates, strict=True)), state


def member_norm(tree: Tree) -> torch.Tensor:
    """L2 norm of each member's whole gradient (all leaves) as ``torch.linalg.vector_norm`` computes it: (B,)."""
    if len(tree) == 1 and tree[0].dim() == 2:
        return torch.linalg.vector_norm(tree[0], dim=1)
    rows = [leaf.reshape(leaf.shape[0], math.prod(leaf.shape[1:])) for leaf in tree]  # (B, size) each, B may be 0
    return torch.linalg.vector_norm(torch.cat(rows, dim=1), dim=1)


def member_sq_norm(tree: Tree) -> torch.Tensor:
    """Squared L2 norm of each member's whole gradient (all leaves): (B,)."""
    parts = [(leaf * leaf) if leaf.dim() == 1 else (leaf * leaf).sum(dim=tuple(range(1, leaf.dim()))) for leaf in tree]
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    return total


def _per_member(scale: torch.Tensor, leaf: torch.Tensor) -> torch.Tensor:
    """Reshape a (B,) per-member factor so it broadcasts against ``leaf`` (B, ...)."""
    return scale.reshape(scale.shape + (1,) * (leaf.dim() - 1))


def _rate(lr: torch.Tensor | float, leaf: torch.Tensor) -> torch.Tensor | float:
    """The learning rate shaped for ``leaf``: a number or 0-d tensor as is, a (B,) tensor per member."""
    return _per_member(lr, leaf) if isinstance(lr, torch.Tensor) and lr.dim() == 1 else lr


def _cast(tensor: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """``tensor`` in ``dtype`` (itself, without an op, when it already is)."""
    return tensor if tensor.dtype == dtype else tensor.to(dtype)


def _opmath(dtype: torch.dtype) -> torch.dtype:
    """The dtype torch computes a ``dtype`` tensor's scalar arithmetic in (float32 for half types)."""
    return torch.float32 if dtype in (torch.float16, torch.bfloat16) else dtype


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
        return tuple(-_rate(lr, g) * g for g in grads), state


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
            size = torch.where(_per_member(first, size), _rate(lr, size), size)
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
        momentum: Tree = ()
        if self.momentum:
            momentum = tuple(self.momentum * b + d for b, d in zip(state.momentum, directions, strict=True))
            directions = momentum
        return tuple(-_rate(lr, d) * d for d in directions), RMSpropState(square_avg, grad_avg, momentum)


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


class MemberValues(NamedTuple):
    """A per-member setting (B,), kept in the state so that it follows its members (frozen, compacted)."""

    values: torch.Tensor


def _member_values(value: float | torch.Tensor, params: Tree) -> MemberValues | EmptyState:
    """The state of a transformation configured by ``value``: its (B,) values in the parameters' dtype, or none."""
    if not isinstance(value, torch.Tensor):
        return EmptyState()
    first = params[0]
    if value.shape != (first.shape[0],):
        raise ValueError(f"a per-member setting has {len(value)} values but the population has {first.shape[0]}")
    return MemberValues(value.to(dtype=first.dtype, device=first.device))


def _scalar_or_members(name: str, value: Any, *, low: float, low_open: bool) -> None:
    """Check a setting given as one number or as a (B,) tensor of per-member values."""
    if isinstance(value, torch.Tensor):
        check_member_values(name, value, low=low, low_open=low_open)
    else:
        check_real(name, value, low=low, low_open=low_open)


@dataclass(frozen=True, eq=False)
class ClipByMemberNorm:
    """Scale each member's gradient as ``clip_grad_norm_(max_norm)`` would: by min(1, max_norm / (norm + 1e-6)).

    ``max_norm`` is one number or a (B,) tensor per member (``inf``: that member is not clipped).
    """

    max_norm: float | torch.Tensor

    def __post_init__(self) -> None:
        _scalar_or_members("max_norm", self.max_norm, low=0, low_open=True)

    def __eq__(self, other: Any) -> bool:
        return value_key(self) == value_key(other) if dataclasses.is_dataclass(other) else False

    def __hash__(self) -> int:
        return hash(value_key(self))

    def init(self, params: Tree) -> MemberValues | EmptyState:
        return _member_values(self.max_norm, params)

    def update(self, grads: Tree, state: Any, params: Tree, lr: torch.Tensor | float) -> tuple[Tree, Any]:
        norm = member_norm(grads)
        limit = _cast(state.values, norm.dtype) if isinstance(state, MemberValues) else self.max_norm
        scale = (limit / (norm + 1e-6)).clamp(max=1.0)
        return tuple(g * _per_member(scale, g) for g in grads), state


@dataclass(frozen=True, eq=False)
class AddDecayedWeights:
    """L2 weight decay as torch.optim applies it: ``g + weight_decay * p``; one number or a (B,) tensor."""

    weight_decay: float | torch.Tensor

    def __post_init__(self) -> None:
        _scalar_or_members("weight_decay", self.weight_decay, low=0, low_open=False)

    def __eq__(self, other: Any) -> bool:
        return value_key(self) == value_key(other) if dataclasses.is_dataclass(other) else False

    def __hash__(self) -> int:
        return hash(value_key(self))

    def init(self, params: Tree) -> MemberValues | EmptyState:
        return _member_values(self.weight_decay, params)

    def update(self, grads: Tree, state: Any, params: Tree, lr: torch.Tensor | float) -> tuple[Tree, Any]:
        if isinstance(state, MemberValues):
            values = state.values
            return tuple(
                g.addcmul(p, _per_member(_cast(values, g.dtype), g)) for g, p in zip(grads, params, strict=True)
            ), state
        decay = float(self.weight_decay)
        return tuple(g.add(p, alpha=decay) for g, p in zip(grads, params, strict=True)), state


@functools.lru_cache(maxsize=32)
def _correction_table(beta: float, size: int, root: bool, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """``1 - beta**k`` for k = 0 .. size - 1 (its square root when ``root``), computed in float64 with torch's
    pow as a per-step computation would, then rounded once to ``dtype``."""
    table = torch.rsub(torch.pow(beta, torch.arange(size, dtype=torch.float64, device=device)), 1)
    return (table.sqrt_() if root else table).to(dtype)


def _corrections(beta: float, steps: torch.Tensor, *, root: bool, dtype: torch.dtype) -> torch.Tensor:
    """Adam's bias corrections ``1 - beta**k`` (or their square roots) in ``dtype`` at each member's step k (B,).

    Looked up in a table of the same values (sizes doubling with the step count) instead of a float64
    ``pow`` per member and step, which cost more than the rest of a small step (60 us of ~120 at
    B = 2,800, measured). Reading the largest count syncs with the device: an eager CPU path.
    """
    size = 1 << max(10, int(steps.max()).bit_length())
    return _correction_table(beta, size, root, dtype, steps.device)[steps]


class TorchAdamState(NamedTuple):
    """``torch.optim.Adam``'s state per member: steps taken (B,) and the moments per leaf."""

    steps: torch.Tensor
    mu: Tree
    nu: Tree


@dataclass(frozen=True)
class TorchAdam:
    """Adam computed with ``torch.optim.Adam``'s single-tensor operations, each rounded in the parameters' dtype.

    ``m.lerp(g, 1 - b1)``, ``v.mul(b2).addcmul_(g, g, value=1 - b2)``, bias corrections from each
    member's step count (in float64, rounded to the dtype torch computes a tensor's scalar
    arithmetic in: float32 for float16), ``denom = v.sqrt() / sqrt(c2) + eps`` and
    ``p.addcdiv(m * (lr / c1), denom, value=-1)``. Unlike ``Adam`` (which keeps ``b**t`` products and
    adds updates), every operation rounds where torch's does, so a pure-float16 run loses small
    updates as ``model.half()`` with ``torch.optim.Adam`` does (source 003's fp16 claims). One
    difference remains: torch passes a scalar step size as ``addcdiv``'s ``value`` (one rounding),
    while a per-member rate is multiplied into ``m`` first (one more rounding in float16).
    ``step`` returns the new parameters; ``update`` is their difference. No weight decay: chain
    ``add_decayed_weights`` before it.
    """

    b1: float = 0.9
    b2: float = 0.999
    eps: float = 1e-8

    def __post_init__(self) -> None:
        check_real("b1", self.b1, low=0, high=1, high_open=True)
        check_real("b2", self.b2, low=0, high=1, high_open=True)
        check_real("eps", self.eps, low=0, low_open=True)

    def init(self, params: Tree) -> TorchAdamState:
        return TorchAdamState(_member_vector(params, 0.0).double(), _zeros(params), _zeros(params))

    def step(self, grads: Tree, state: TorchAdamState, params: Tree, lr: torch.Tensor | float) -> tuple[Tree, Any]:
        steps = state.steps + 1  # (B,) float64
        dtype = params[0].dtype
        opmath = _opmath(dtype)
        index = steps.long()
        correction1 = _corrections(self.b1, index, root=False, dtype=opmath)
        correction2 = _corrections(self.b2, index, root=True, dtype=opmath)
        lr = lr if isinstance(lr, torch.Tensor) else torch.tensor(lr, dtype=torch.float64, device=steps.device)
        rate = _cast(_cast(_cast(lr, dtype), opmath) / correction1, dtype)
        new_params, mu, nu = [], [], []
        for p, g, m, v in zip(params, grads, state.mu, state.nu, strict=True):
            m = m.lerp(g, 1 - self.b1)
            v = v.mul(self.b2).addcmul_(g, g, value=1 - self.b2)
            denom = _cast(_cast(v.sqrt(), opmath) / _per_member(correction2, v), dtype).add_(self.eps)
            new_params.append(p.addcdiv(m * _per_member(rate, m), denom, value=-1))
            mu.append(m)
            nu.append(v)
        return tuple(new_params), TorchAdamState(steps, tuple(mu), tuple(nu))

    def update(self, grads: Tree, state: TorchAdamState, params: Tree, lr: torch.Tensor | float) -> tuple[Tree, Any]:
        new_params, state = self.step(grads, state, params, lr)
        return tuple(n - p for n, p in zip(new_params, params, strict=True)), state


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

    def step(self, grads: Tree, state: ChainState, params: Tree, lr: torch.Tensor | float) -> tuple[Tree, ChainState]:
        """Transform the gradient through all but the last, then ``apply`` the last (its own ``step`` if any)."""
        states = []
        for transform, inner in zip(self.transforms[:-1], state.inner[:-1], strict=True):
            grads, inner = transform.update(grads, inner, params, lr)
            states.append(inner)
        new_params, last = apply(self.transforms[-1], grads, state.inner[-1], params, lr)
        return new_params, ChainState((*states, last))


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


def torch_adam(*, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8) -> TorchAdam:
    """Adam with torch's single-tensor operations, each rounded in the parameters' dtype (low-precision studies)."""
    return TorchAdam(b1=b1, b2=b2, eps=eps)


def clip_by_member_norm(max_norm: float | torch.Tensor) -> ClipByMemberNorm:
    """Per-member gradient-norm clipping (compose it before an optimizer with ``chain``); a (B,) tensor per member."""
    return ClipByMemberNorm(max_norm)


def add_decayed_weights(weight_decay: float | torch.Tensor) -> AddDecayedWeights:
    """L2 weight decay added to the gradient (compose it first with ``chain``); a (B,) tensor per member."""
    return AddDecayedWeights(weight_decay)


def chain(*transforms: Any) -> Chain:
    """Compose gradient transformations and a final optimizer, applied left to right."""
    if not transforms:
        raise ValueError("chain needs at least one transformation")
    return Chain(tuple(transforms))
