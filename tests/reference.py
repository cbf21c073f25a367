"""The way the source documents trained: one ``nn.Module`` + ``torch.optim`` per model, in a Python loop.

This is the ground truth the population trainer is tested against (and the naive benchmark
baseline). It follows the stopping semantics documented in ``harness.engine.trainer``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from harness.engine import optim, schedules
from harness.engine.trainer import StoppingRule, StopReason
from tests.helpers import reference_module


@dataclass
class ReferenceRun:
    """Outcome of one reference run: final params (P,), epochs, reason, and per-row records."""

    params: torch.Tensor
    epochs: int
    reason: StopReason
    states: list[torch.Tensor]
    losses: list[float]
    grad_norms: list[float]


def torch_optimizer(spec, parameters, lr: float) -> tuple[torch.optim.Optimizer, float | None]:
    """The ``torch.optim`` optimizer equivalent to a harness optimizer, plus its clip norm (or None)."""
    clip = None
    if isinstance(spec, optim.Chain):
        clip_spec, spec = spec.transforms
        clip = clip_spec.max_norm
    if isinstance(spec, optim.SGD):
        return torch.optim.SGD(parameters, lr=lr, momentum=spec.momentum, nesterov=spec.nesterov, weight_decay=spec.weight_decay), clip
    return torch.optim.Adam(parameters, lr=lr, betas=(spec.b1, spec.b2), eps=spec.eps, weight_decay=spec.weight_decay), clip


def _stop_reason(rule: StoppingRule, loss: float, norm: float, epoch: int, wait: int) -> StopReason:
    """The trainer's documented priority: diverged, loss, gradient, patience, max epochs."""
    if not (torch.isfinite(torch.tensor(loss)) and torch.isfinite(torch.tensor(norm))):
        return StopReason.DIVERGED
    if rule.loss_below is not None and loss < rule.loss_below:
        return StopReason.CONVERGED_LOSS
    if rule.grad_norm_below is not None and norm < rule.grad_norm_below:
        return StopReason.CONVERGED_GRAD
    if rule.patience is not None and wait >= rule.patience:
        return StopReason.PATIENCE
    if epoch >= rule.max_epochs:
        return StopReason.MAX_EPOCHS
    return StopReason.RUNNING


class _Patience:
    """Best-so-far loss and the count of evaluations without improvement."""

    def __init__(self, rule: StoppingRule):
        self.rule, self.best, self.wait = rule, float("inf"), 0

    def update(self, loss: float) -> int:
        if self.rule.patience is not None:
            if loss < self.best - self.rule.min_improvement:
                self.best, self.wait = loss, 0
            else:
                self.wait += 1
        return self.wait


def _grad_norm(module: nn.Module) -> float:
    return float(torch.sqrt(sum((p.grad**2).sum() for p in module.parameters())))


def _flat(module: nn.Module) -> torch.Tensor:
    return nn.utils.parameters_to_vector(module.parameters()).detach().clone()


def _setup(name, row, spec, schedule):
    module = reference_module(name, row)
    optimizer, clip = torch_optimizer(spec, module.parameters(), schedule.lr)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda t: schedule(t) / schedule.lr)
    return module, optimizer, clip, scheduler


def _step(module, optimizer, clip) -> None:
    if clip is not None:
        nn.utils.clip_grad_norm_(module.parameters(), clip)
    optimizer.step()


def train_full_batch(name: str, row: torch.Tensor, X, Y, spec, schedule: schedules._Schedule, rule: StoppingRule) -> ReferenceRun:
    """Full-batch training of one model, the plain-torch way."""
    module, optimizer, clip, scheduler = _setup(name, row, spec, schedule)
    patience = _Patience(rule)
    run = ReferenceRun(row, 0, StopReason.RUNNING, [], [], [])
    epoch = 0
    while True:
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(module(X), Y)
        loss.backward()
        norm = _grad_norm(module)
        run.states.append(_flat(module))
        run.losses.append(float(loss.detach()))
        run.grad_norms.append(norm)
        reason = _stop_reason(rule, run.losses[-1], norm, epoch, patience.update(run.losses[-1]))
        if reason != StopReason.RUNNING:
            return ReferenceRun(_flat(module), epoch, reason, run.states, run.losses, run.grad_norms)
        _step(module, optimizer, clip)
        scheduler.step()
        epoch += 1


def train_minibatch(name, row, X, Y, spec, schedule, rule, *, batch_size: int, orders: list[torch.Tensor] | None) -> ReferenceRun:
    """Mini-batch training of one model; ``orders[e]`` is epoch e's sample order (None: data order)."""
    module, optimizer, clip, scheduler = _setup(name, row, spec, schedule)
    patience = _Patience(rule)
    run = ReferenceRun(row, 0, StopReason.RUNNING, [_flat(module)], [], [])
    epoch = 0
    while True:
        order = orders[epoch] if orders is not None else torch.arange(X.shape[0])
        batch_losses, batch_norms = [], []
        for start in range(0, X.shape[0], batch_size):
            index = order[start : start + batch_size]
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(module(X[index]), Y[index])
            loss.backward()
            batch_losses.append(float(loss.detach()))
            batch_norms.append(_grad_norm(module))
            _step(module, optimizer, clip)
        scheduler.step()
        epoch += 1
        loss, norm = sum(batch_losses) / len(batch_losses), sum(batch_norms) / len(batch_norms)
        run.states.append(_flat(module))
        run.losses.append(loss)
        run.grad_norms.append(norm)
        reason = _stop_reason(rule, loss, norm, epoch, patience.update(loss))
        if reason != StopReason.RUNNING:
            return ReferenceRun(_flat(module), epoch, reason, run.states, run.losses, run.grad_norms)
