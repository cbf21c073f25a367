"""Precision as a strategy of the one trainer, and source 003's per-member-data runs of ``y = w x + b`` through it.

Precisions:

* full precision (float32/float64): ``params`` in that dtype, no strategy;
* *pure* half precision, as ``model.half()`` with a plain optimizer: ``params`` in float16, no
  strategy: parameters, data, gradients and optimizer state are float16 and every operation rounds
  to float16 (``optim.torch_adam`` rounds each of Adam's operations as torch's does);
* mixed precision with dynamic loss scaling, as ``torch.amp.GradScaler`` / DeepSpeed's fp16 mode
  do it: ``Precision(torch.float16, LossScaler())`` with float32 ``params``. Master weights and
  optimizer state stay float32; the forward and backward pass run in float16 on the loss times a
  scale ``S``; a step whose float16 gradient is not finite is skipped and ``S`` backed off; after
  ``growth_interval`` finite steps in a row ``S`` grows. Each member has its own scale (each member
  is its own model).

``train_linear`` runs source 003's experiments (member ``i`` trains on its own data row with its
own arm's settings) as one call of ``harness.engine.trainer.train``: the batched-matrix formulation
(whose linear layer rounds as autograd's ``w x + b``), per-member data, shuffle groups, schedules,
stopping thresholds, weight decay and clipping, ``optim.torch_adam``, and this module's strategy.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import torch

from harness.engine import formulations, matrices, optim, schedules
from harness.engine.data import Dataset
from harness.engine.models import get_model
from harness.engine.optim import Adam
from harness.engine.stopping import StoppingRule
from harness.engine.trainer import train

PRECISIONS = ("fp32", "fp16", "fp16_dynamic")


@dataclass(frozen=True)
class LossScaler:
    """Dynamic loss scaling settings (defaults: ``torch.amp.GradScaler``'s)."""

    init_scale: float = 65536.0
    growth_factor: float = 2.0
    backoff_factor: float = 0.5
    growth_interval: int = 2000

    def __post_init__(self) -> None:
        if not (self.init_scale > 0 and self.growth_factor > 1 and 0 < self.backoff_factor < 1):
            raise ValueError(f"need init_scale > 0, growth_factor > 1, 0 < backoff_factor < 1; got {self}")
        if (
            isinstance(self.growth_interval, bool)
            or not isinstance(self.growth_interval, int)
            or self.growth_interval < 1
        ):
            raise ValueError(f"growth_interval must be a positive int, got {self.growth_interval!r}")


class ScalerState(NamedTuple):
    """Per-member loss scale (B,), finite steps since the last change (B,), and steps skipped (B,) int64."""

    scale: torch.Tensor
    good: torch.Tensor
    skipped: torch.Tensor


def update_scale(scaler: LossScaler, scale: torch.Tensor, good_steps: torch.Tensor, finite: torch.Tensor):
    """GradScaler's update per member: back off on overflow, grow after ``growth_interval`` good steps."""
    backed = scale * scaler.backoff_factor
    counted = good_steps + 1
    grown = torch.where(counted >= scaler.growth_interval, scale * scaler.growth_factor, scale)
    counted = torch.where(counted >= scaler.growth_interval, 0.0, counted)
    return torch.where(finite, grown, backed), torch.where(finite, counted, 0.0)


def _finite_members(tree) -> torch.Tensor:
    """Whether every entry of each member's gradient is finite: (B,) bool."""
    rows = [torch.isfinite(leaf).reshape(leaf.shape[0], -1).all(dim=1) for leaf in tree]
    finite = rows[0]
    for row in rows[1:]:
        finite = finite & row
    return finite


@dataclass(frozen=True)
class Precision:
    """Mixed precision: forward and backward in ``compute`` on the loss times a per-member scale.

    ``gradients`` returns the unscaled gradients in the parameters' dtype (zero where the scaled
    ``compute`` gradient was not finite), the losses, which members' steps count (finite ones), and
    the updated scaler state; the trainer skips the other members' steps.
    """

    compute: torch.dtype = torch.float16
    scaler: LossScaler = LossScaler()

    def init(self, population: int, device: torch.device) -> ScalerState:
        """Every member at the initial scale, no good steps, nothing skipped."""
        return ScalerState(
            torch.full((population,), self.scaler.init_scale, device=device),
            torch.zeros(population, device=device),
            torch.zeros(population, dtype=torch.int64, device=device),
        )

    def gradients(self, formulation, tree, X: torch.Tensor, Y: torch.Tensor, state: ScalerState):
        """Unscaled gradients, losses (B,), finite mask (B,) and the new scaler state (see the class doc)."""
        low = tuple(leaf.to(self.compute) for leaf in tree)
        scaled, losses = formulation.loss_and_grad(low, X, Y, scale=state.scale.to(self.compute))
        finite = _finite_members(scaled)
        grads = tuple(
            torch.where(_rows(finite, g), g.to(p.dtype) / _rows(state.scale, g).to(p.dtype), 0.0)
            for g, p in zip(scaled, tree, strict=True)
        )
        scale, good = update_scale(self.scaler, state.scale, state.good, finite)
        return grads, losses, finite, ScalerState(scale, good, state.skipped + (~finite).long())

    def skipped(self, state: ScalerState) -> torch.Tensor:
        """Steps skipped per member (B,)."""
        return state.skipped


def _rows(values: torch.Tensor, leaf: torch.Tensor) -> torch.Tensor:
    """A (B,) tensor shaped to broadcast against ``leaf`` (B, ...)."""
    return values.reshape(values.shape + (1,) * (leaf.dim() - 1))


# --- source 003: per-member-data training of y = w x + b -----------------------------------------


class MemberSettings(NamedTuple):
    """Per-member training settings: ``lr`` (T, B) the rate of epoch t (T >= the largest ``max_epochs``);
    ``max_epochs`` (B,) int; ``patience`` (B,) epochs without improvement before stopping (inf: never);
    ``min_improvement`` (B,); ``clip`` (B,) gradient-norm threshold as ``clip_grad_norm_`` (inf: none);
    ``weight_decay`` (B,) L2 added to the gradient as ``torch.optim.Adam(weight_decay=)``;
    ``shuffle_group`` (B,) int: members of one group see the same fresh permutation each epoch,
    -1 keeps the data order (no shuffling); ``record`` (B,) bool: keep per-step gradient norms."""

    lr: torch.Tensor
    max_epochs: torch.Tensor
    patience: torch.Tensor
    min_improvement: torch.Tensor
    clip: torch.Tensor
    weight_decay: torch.Tensor
    shuffle_group: torch.Tensor
    record: torch.Tensor


class LinearRun(NamedTuple):
    """Outcome per member. ``params`` (B, 2) final (w, b) in float32; ``epochs`` (B,) completed epochs;
    ``reason`` (B,) :class:`harness.engine.stopping.StopReason` codes; ``initial_loss`` / ``final_mse``
    (B,) full-data MSE at the initial / final parameters (float64); ``epoch_loss`` (T, B) average batch
    loss of epoch t (a stopped member repeats its last); ``trajectory`` (T + 1, B, 2) parameters before
    epoch 0 and after each epoch; ``grad_norms`` (steps, K) per-step gradient norms of the K recorded
    members (unscaled, before clipping; NaN once a member stopped or where its gradient overflowed);
    ``skipped`` (B,) steps skipped for overflow (fp16_dynamic)."""

    params: torch.Tensor
    epochs: torch.Tensor
    reason: torch.Tensor
    initial_loss: torch.Tensor
    final_mse: torch.Tensor
    epoch_loss: torch.Tensor
    trajectory: torch.Tensor
    grad_norms: torch.Tensor
    skipped: torch.Tensor


def linear_mse(params: torch.Tensor, X: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
    """Full-data MSE of each member in float64: params (B, 2) = (w, b), X, Y (B, N) -> (B,)."""
    p = params.double()
    r = p[:, :1] * X.double() + p[:, 1:] - Y.double()
    return (r * r).mean(dim=1)


def _check_inputs(params: Any, X: Any, Y: Any, batch_size: Any, precision: Any, settings: Any) -> None:
    """Clear ``ValueError`` for malformed populations, data or settings."""
    if not (isinstance(params, torch.Tensor) and params.dim() == 2 and params.shape[1] == 2 and params.shape[0] >= 1):
        raise ValueError(f"params must be a (B, 2) tensor with B >= 1, got {getattr(params, 'shape', params)!r}")
    if not bool(torch.isfinite(params).all()):
        raise ValueError("params contain NaN or inf")
    if not (isinstance(X, torch.Tensor) and isinstance(Y, torch.Tensor) and X.dim() == 2 and X.shape == Y.shape):
        raise ValueError(
            f"X and Y must be (B, N) tensors of one shape, got {getattr(X, 'shape', X)!r}, {getattr(Y, 'shape', Y)!r}"
        )
    if X.shape[0] != params.shape[0] or X.shape[1] < 1:
        raise ValueError(
            f"X must hold one non-empty data row per member: X {tuple(X.shape)}, params {tuple(params.shape)}"
        )
    if not bool(torch.isfinite(X).all() and torch.isfinite(Y).all()):
        raise ValueError("data contain NaN or inf")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if not isinstance(settings, MemberSettings):
        raise ValueError(f"settings must be a MemberSettings, got {type(settings).__name__}")
    B = params.shape[0]
    for name, value in settings._asdict().items():
        if name != "lr" and (not isinstance(value, torch.Tensor) or value.shape != (B,)):
            raise ValueError(f"settings.{name} must have shape ({B},), got {getattr(value, 'shape', value)!r}")
    if settings.lr.dim() != 2 or settings.lr.shape[1] != B or settings.lr.shape[0] < int(settings.max_epochs.max()):
        raise ValueError(f"settings.lr must be (T, {B}) with T >= max(max_epochs), got {tuple(settings.lr.shape)}")
    if bool((settings.max_epochs < 1).any()):
        raise ValueError("settings.max_epochs must be >= 1")


def _linear_formulation() -> formulations.Matrices:
    """``linear_1d`` as batched matrices whose sums run in autograd's order (the rounding fp16 studies need)."""
    network = matrices.network(get_model("linear_1d"))
    assert network is not None  # linear_1d is an MLP with a matrix backward
    return formulations.Matrices(network, autograd_order=True)


@contextlib.contextmanager
def _one_intra_op_thread():
    """Run the block with one torch intra-op thread, then restore the caller's setting.

    A step's tensors ((B, batch) and (B, 2)) are far too small for threads to help, and on a busy
    machine idle threads spin: 0.93 vs 6.5 ms CPU per step for B = 2800 with 1 vs 2 threads (measured
    on the shared 2-core development machine).
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def linear_optimizer(optimizer: Adam, settings: MemberSettings) -> optim.Chain:
    """Per-member L2 decay and clipping (where any member has them), then torch's Adam with ``optimizer``'s
    betas and eps: source 003's step ``g += wd p; clip_grad_norm_; Adam``."""
    transforms: list[Any] = []
    if bool((settings.weight_decay != 0).any()):
        transforms.append(optim.add_decayed_weights(settings.weight_decay))
    if bool(torch.isfinite(settings.clip).any()):
        transforms.append(optim.clip_by_member_norm(settings.clip))
    return optim.chain(*transforms, optim.torch_adam(b1=optimizer.b1, b2=optimizer.b2, eps=optimizer.eps))


def linear_stopping(settings: MemberSettings) -> StoppingRule:
    """Each member's epoch limit and early stopping (patience inf: none)."""
    return StoppingRule(
        max_epochs=settings.max_epochs,
        patience=settings.patience.float(),
        min_improvement=settings.min_improvement.float(),
    )


def train_linear(
    params: torch.Tensor,
    X: torch.Tensor,
    Y: torch.Tensor,
    optimizer: Adam,
    settings: MemberSettings,
    *,
    batch_size: int,
    generator: torch.Generator | None = None,
    precision: str = "fp32",
    scaler: LossScaler = LossScaler(),
    on_epoch: Callable[[int, torch.Tensor, torch.Tensor], None] | None = None,
) -> LinearRun:
    """Train members ``params`` (B, 2) = (w, b) on their own data ``X, Y`` (B, N) until each stops.

    ``optimizer`` is a :class:`harness.engine.optim.Adam` whose betas and eps are used (its weight
    decay is ignored: ``settings.weight_decay`` is per member); each step adds the L2 term, clips,
    then takes torch's Adam step (``linear_optimizer``). ``generator`` draws the shuffling
    permutations (one per shuffle group and epoch). ``precision``: "fp32", "fp16" (pure) or
    "fp16_dynamic" (``Precision`` with ``scaler``). ``on_epoch(epoch, epoch_loss (B,), params (B, 2))``
    is called after every epoch (e.g. to log).
    """
    _check_inputs(params, X, Y, batch_size, precision, settings)
    if not isinstance(optimizer, Adam):
        raise ValueError(f"optimizer must be a harness.engine.optim.Adam, got {optimizer!r}")
    shuffling = bool((settings.shuffle_group >= 0).any())
    if shuffling and not isinstance(generator, torch.Generator):
        raise ValueError("shuffling members need an explicit torch.Generator (generator=...)")
    master = params.to(torch.float16 if precision == "fp16" else torch.float32)
    losses, states = [], [master.to(torch.float32, copy=True)]

    def keep(epoch: int, loss: torch.Tensor, theta: torch.Tensor) -> None:
        losses.append(loss.clone())
        states.append(theta.to(torch.float32, copy=True))
        if on_epoch is not None:
            on_epoch(epoch, losses[-1], states[-1])

    with _one_intra_op_thread():
        result = train(
            "linear_1d",
            master.clone(),
            Dataset(X.unsqueeze(-1), Y.unsqueeze(-1)),
            linear_optimizer(optimizer, settings),
            schedule=schedules.per_member(settings.lr),
            stopping=linear_stopping(settings),
            batch_size=batch_size,
            shuffle=settings.shuffle_group if shuffling else False,
            generator=generator,
            compile=False,
            compact_stopped=True,
            formulation=_linear_formulation(),
            precision=Precision(torch.float16, scaler) if precision == "fp16_dynamic" else None,
            record_steps=settings.record,
            on_epoch=keep,
        )
    final = result.params.float()
    assert result.step_norms is not None  # record_steps was given
    skipped = result.skipped if result.skipped is not None else torch.zeros(len(final), dtype=torch.int64)
    return LinearRun(
        final,
        result.epochs,
        result.reason,
        linear_mse(params, X, Y),
        linear_mse(final, X, Y),
        torch.stack(losses),
        torch.stack(states),
        result.step_norms,
        skipped,
    )
