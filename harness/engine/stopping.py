"""Per-member stopping: the rule (one value for all members, or one per member), its state, and one evaluation.

``advance`` applies a ``StoppingRule`` to one evaluation of every member; the trainer calls it after
each full-batch evaluation or mini-batch epoch. Reasons, in priority order: a non-finite loss or
gradient (``DIVERGED``), ``loss < loss_below``, ``|g| < grad_norm_below``, reaching ``max_epochs``,
then ``patience`` evaluations without improvement (so a member whose patience runs out at its
last epoch stopped at the limit, not early, as source 003 counts it).

Any threshold may be a (B,) tensor instead of a number: one value per member (source 003 trains
arms with different epoch limits and patience in one population). ``patience`` per member is a
float tensor in which ``inf`` never stops.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, NamedTuple

import torch

from harness.engine._checks import check_int, check_member_values, check_real, value_key


class StopReason(IntEnum):
    """Why a member stopped (``RUNNING`` only appears inside the trainer)."""

    RUNNING = 0
    CONVERGED_LOSS = 1
    CONVERGED_GRAD = 2
    MAX_EPOCHS = 3
    PATIENCE = 4
    DIVERGED = 5


# Reason codes as plain floats for the tracker (dynamo cannot trace float() of an IntEnum).
_RUNNING, _CONVERGED_LOSS, _CONVERGED_GRAD, _MAX_EPOCHS, _PATIENCE, _DIVERGED = (float(r) for r in StopReason)
_PER_MEMBER = ("max_epochs", "loss_below", "grad_norm_below", "patience", "min_improvement")


def _check_member_values(name: str, values: torch.Tensor, *, low: float, low_open: bool, integral: bool) -> None:
    """Raise unless ``values`` is a non-empty 1-d real tensor above ``low`` (whole numbers where ``integral``)."""
    check_member_values(name, values, low=low, low_open=low_open)
    if integral and values.is_floating_point() and not bool((values == values.floor()).all()):
        raise ValueError(f"{name} per member must be whole numbers (or inf), got {values.tolist()[:8]}")


@dataclass(frozen=True, eq=False)
class StoppingRule:
    """Per-member stopping criteria; ``None`` disables a criterion; a (B,) tensor gives one value per member.

    ``patience``: stop after ``patience`` consecutive evaluations without the loss improving on
    the best so far by more than ``min_improvement`` (source 003's early stopping).
    Rules compare equal when their numbers are equal and their tensors are the same objects
    (the compile cache keys on rules).
    """

    max_epochs: int | torch.Tensor
    loss_below: float | torch.Tensor | None = None
    grad_norm_below: float | torch.Tensor | None = None
    patience: int | torch.Tensor | None = None
    min_improvement: float | torch.Tensor = 0.0

    def __post_init__(self) -> None:
        if isinstance(self.max_epochs, torch.Tensor):
            if self.max_epochs.is_floating_point():
                raise ValueError(f"max_epochs per member must be an integer tensor, got {self.max_epochs.dtype}")
            _check_member_values("max_epochs", self.max_epochs, low=0, low_open=False, integral=True)
        else:
            check_int("max_epochs", self.max_epochs, minimum=0)
        for name in ("loss_below", "grad_norm_below"):
            value = getattr(self, name)
            if isinstance(value, torch.Tensor):
                _check_member_values(name, value, low=0, low_open=True, integral=False)
            elif value is not None:
                check_real(name, value, low=0, low_open=True)
        if isinstance(self.patience, torch.Tensor):
            _check_member_values("patience", self.patience, low=1, low_open=False, integral=True)
        elif self.patience is not None:
            check_int("patience", self.patience, minimum=1)
        if isinstance(self.min_improvement, torch.Tensor):
            _check_member_values("min_improvement", self.min_improvement, low=0, low_open=False, integral=False)
        else:
            check_real("min_improvement", self.min_improvement, low=0)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, StoppingRule) and value_key(self) == value_key(other)

    def __hash__(self) -> int:
        return hash(value_key(self))

    @property
    def most_epochs(self) -> int:
        """The largest epoch limit of any member."""
        return int(self.max_epochs.max()) if isinstance(self.max_epochs, torch.Tensor) else self.max_epochs

    def per_member_sizes(self) -> dict[str, int]:
        """The length of every per-member field, by name."""
        return {n: len(getattr(self, n)) for n in _PER_MEMBER if isinstance(getattr(self, n), torch.Tensor)}

    def on(self, device: torch.device) -> StoppingRule:
        """This rule with its per-member tensors on ``device``."""
        moved = {n: getattr(self, n).to(device) for n in self.per_member_sizes()}
        return dataclasses.replace(self, **moved) if moved else self

    def take(self, index: torch.Tensor) -> StoppingRule:
        """The rule of the members ``index`` (per-member values indexed; numbers kept)."""
        taken = {n: getattr(self, n)[index] for n in self.per_member_sizes()}
        return dataclasses.replace(self, **taken) if taken else self


class Tracker(NamedTuple):
    """Per-member stopping state, all (B,) floating tensors: running flag (1/0), stop reason code,
    epochs used, best loss, evaluations without improvement, and the loss and squared gradient norm
    of the last evaluation made while running (for full-batch training: at the final parameters).

    Flags and counters are stored as floats on purpose: inductor's CPU code vectorises float
    masks well, while bool/int32 state halved the fused kernel's throughput (measured, see
    ``benchmarks/``). Counts stay exact below 2**24 epochs.
    """

    running: torch.Tensor
    reason: torch.Tensor
    epochs: torch.Tensor
    best: torch.Tensor
    wait: torch.Tensor
    loss: torch.Tensor
    sq_norm: torch.Tensor


def tracker_dtype(dtype: torch.dtype) -> torch.dtype:
    """The tracker's float type: the training dtype, but at least float32 so counts stay exact."""
    return dtype if dtype in (torch.float32, torch.float64) else torch.float32


def init_tracker(population: int, *, dtype: torch.dtype, device: torch.device) -> Tracker:
    """Every member running, no epochs used, best loss +inf."""
    zeros = torch.zeros(population, dtype=tracker_dtype(dtype), device=device)
    return Tracker(
        running=torch.ones_like(zeros),
        reason=zeros.clone(),
        epochs=zeros.clone(),
        best=torch.full_like(zeros, float("inf")),
        wait=zeros.clone(),
        loss=torch.full_like(zeros, float("nan")),
        sq_norm=torch.full_like(zeros, float("nan")),
    )


def advance(
    rule: StoppingRule, tracker: Tracker, loss: torch.Tensor, grad_sq_norm: torch.Tensor, epoch: torch.Tensor
) -> Tracker:
    """Apply ``rule`` to one evaluation (loss, squared gradient norm: (B,)) made after ``epoch`` steps.

    ``epoch`` is a 0-d tensor of the tracker's dtype. The gradient criterion compares squared
    norms (``|g|^2 < delta^2``), which saves a square root per member and epoch.
    """
    running = tracker.running > 0
    best, wait = tracker.best, tracker.wait
    reason: Any = _RUNNING
    if rule.patience is not None:
        improved = loss < best - rule.min_improvement
        best = torch.where(running & improved, loss.to(best.dtype), best)
        wait = torch.where(running, torch.where(improved, 0.0, wait + 1), wait)
        reason = torch.where(wait >= rule.patience, _PATIENCE, _RUNNING)
    reason = torch.where(epoch >= rule.max_epochs, _MAX_EPOCHS, reason)
    reason = torch.broadcast_to(reason.to(tracker.reason.dtype), running.shape)
    if rule.grad_norm_below is not None:
        reason = torch.where(grad_sq_norm < rule.grad_norm_below**2, _CONVERGED_GRAD, reason)
    if rule.loss_below is not None:
        reason = torch.where(loss < rule.loss_below, _CONVERGED_LOSS, reason)
    finite = torch.isfinite(loss) & torch.isfinite(grad_sq_norm)
    reason = torch.where(finite, reason, _DIVERGED)
    stop_now = running & (reason != _RUNNING)
    return Tracker(
        running=(running & ~stop_now).to(tracker.running.dtype),
        reason=torch.where(stop_now, reason, tracker.reason),
        epochs=torch.where(running, epoch, tracker.epochs),
        best=best,
        wait=wait,
        loss=torch.where(running, loss.to(tracker.loss.dtype), tracker.loss),
        sq_norm=torch.where(running, grad_sq_norm.to(tracker.sq_norm.dtype), tracker.sq_norm),
    )
