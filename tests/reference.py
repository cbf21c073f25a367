"""The way the source documents trained: one ``nn.Module`` + ``torch.optim`` per model, in a Python loop.

The one home of the plain-torch references: ``reference_module`` (the ``nn.Sequential`` of a
model), ``torch_optimizer`` (the ``torch.optim`` twin of a harness optimizer), the reference
training loops the population trainer is tested against (``train_full_batch``,
``train_minibatch``, following the stopping semantics of ``harness.engine.trainer``) and the naive
benchmark baseline (``train_one_by_one``, used by ``benchmarks/``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from harness.engine import optim, schedules
from harness.engine.data import Dataset
from harness.engine.models import Model, get_model
from harness.engine.trainer import StoppingRule, StopReason

_TORCH_ACTIVATIONS = {"identity": nn.Identity, "relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}


class _Abs(nn.Module):
    """Elementwise ``|x|`` as a module."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.abs()


class _SumOutputs(nn.Module):
    """Sum of the last dimension, kept as one output (``relu_pair``'s fixed read-out)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.sum(dim=-1, keepdim=True)


def sequential(widths, activations, sum_outputs: bool = False) -> nn.Sequential:
    """``nn.Sequential(Linear, act, Linear, act, ...)`` with one activation per layer (+ a sum read-out)."""
    layers: list[nn.Module] = []
    for fan_in, fan_out, activation in zip(widths[:-1], widths[1:], activations, strict=True):
        layers += [nn.Linear(fan_in, fan_out), _Abs() if activation == "abs" else _TORCH_ACTIVATIONS[activation]()]
    if sum_outputs:
        layers.append(_SumOutputs())
    return nn.Sequential(*layers)


def reference_module(model, row: torch.Tensor) -> nn.Module:
    """The ordinary ``nn.Sequential`` of ``model`` (a Model or its name) with its parameters loaded from ``row`` (P,).

    ``model`` may also be a zero-argument ``nn.Module`` factory (a hand-written reference).
    """
    if isinstance(model, (Model, str)):
        spec = (get_model(model) if isinstance(model, str) else model).forward
        module = sequential(spec.widths, spec.activations, spec.sum_outputs)
    else:
        module = model()
    module = module.to(dtype=row.dtype)
    nn.utils.vector_to_parameters(row.detach().clone(), module.parameters())
    return module


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
    return _TORCH_OPTIMIZERS[type(spec)](spec, parameters, lr), clip


_TORCH_OPTIMIZERS = {
    optim.SGD: lambda s, ps, lr: torch.optim.SGD(
        ps, lr=lr, momentum=s.momentum, nesterov=s.nesterov, weight_decay=s.weight_decay
    ),
    optim.Adam: lambda s, ps, lr: torch.optim.Adam(
        ps, lr=lr, betas=(s.b1, s.b2), eps=s.eps, weight_decay=s.weight_decay
    ),
    optim.Rprop: lambda s, ps, lr: torch.optim.Rprop(
        ps, lr=lr, etas=(s.eta_minus, s.eta_plus), step_sizes=(s.step_size_min, s.step_size_max)
    ),
    optim.RMSprop: lambda s, ps, lr: torch.optim.RMSprop(
        ps, lr=lr, alpha=s.alpha, eps=s.eps, momentum=s.momentum, centered=s.centered, weight_decay=s.weight_decay
    ),
    optim.Adagrad: lambda s, ps, lr: torch.optim.Adagrad(
        ps,
        lr=lr,
        lr_decay=s.lr_decay,
        initial_accumulator_value=s.initial_accumulator_value,
        eps=s.eps,
        weight_decay=s.weight_decay,
    ),
}


def _stop_reason(rule: StoppingRule, loss: float, norm: float, epoch: int, wait: int) -> StopReason:
    """The trainer's documented priority: diverged, loss, gradient, max epochs, patience."""
    if not (torch.isfinite(torch.tensor(loss)) and torch.isfinite(torch.tensor(norm))):
        return StopReason.DIVERGED
    if rule.loss_below is not None and loss < rule.loss_below:
        return StopReason.CONVERGED_LOSS
    if rule.grad_norm_below is not None and norm < rule.grad_norm_below:
        return StopReason.CONVERGED_GRAD
    if epoch >= rule.max_epochs:
        return StopReason.MAX_EPOCHS
    if rule.patience is not None and wait >= rule.patience:
        return StopReason.PATIENCE
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


def train_full_batch(
    name: str, row: torch.Tensor, X, Y, spec, schedule: schedules._Schedule, rule: StoppingRule
) -> ReferenceRun:
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


def train_minibatch(
    name, row, X, Y, spec, schedule, rule, *, batch_size: int, orders: list[torch.Tensor] | None
) -> ReferenceRun:
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


def train_one_by_one(
    model,
    make_optimizer,
    params: torch.Tensor,
    data: Dataset,
    *,
    epochs: int,
    loss_below: float,
    grad_norm_below: float,
) -> int:
    """The naive benchmark baseline: train each row of ``params`` (B, P) separately; return member-epochs done.

    ``model``: as ``reference_module`` (a Model, its name, or an ``nn.Module`` factory).

    Stops a model when its loss < ``loss_below`` or its gradient norm < ``grad_norm_below``:
    source 000's convergence criterion, checked every epoch as a plain script must.
    """
    done = 0
    for row in params:
        module = reference_module(model, row)
        optimizer = make_optimizer(module.parameters())
        for _ in range(epochs):
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(module(data.X), data.Y)
            if loss.item() < loss_below:
                break
            loss.backward()
            grad_norm = torch.sqrt(sum((p.grad**2).sum() for p in module.parameters()))
            if grad_norm.item() < grad_norm_below:
                break
            optimizer.step()
            done += 1
    return done
