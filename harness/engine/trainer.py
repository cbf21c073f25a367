"""The population trainer: B independent models trained as one tensor program.

Semantics, per member (members never interact):

* **Full batch** (``batch_size=None``). Epoch ``t`` evaluates the MSE ``L_t`` and gradient
  ``g_t`` at the current parameters ``θ_t``, then checks the stopping rule in this order:
  non-finite ``L_t`` or ``g_t`` (diverged), ``L_t < loss_below``, ``|g_t| < grad_norm_below``,
  patience, ``t == max_epochs``. A member that stops keeps ``θ_t``; otherwise it takes one
  optimizer step with learning rate ``schedule(t)``. ``epochs`` counts the steps taken, so a
  member stopping at evaluation ``t`` used ``t`` epochs. This is the loop
  ``loss = f(θ); if converged: break; loss.backward(); opt.step()`` of a plain torch script.
* **Mini-batch**. Epoch ``t`` runs all batches (seeded per-member shuffling when
  ``shuffle=True``), then checks the rule on the epoch's *average batch loss* and average batch
  gradient norm, as source 003 does; ``epochs`` counts completed epochs.

Stopped members are frozen (parameters and optimizer state) while the rest continue. The run
never fails because one member's loss becomes NaN/inf: that member is marked ``DIVERGED``.

Speed. Full-batch epochs are run ``steps_per_call`` at a time by one function, which
``torch.compile`` can fuse into a single elementwise kernel: parameters are held as P
contiguous (B,) columns and the loss is unrolled over the (few) samples, so no reduction over
samples or parameters breaks the fusion. Per-epoch Python overhead and per-epoch memory
traffic are then paid once per call instead of once per epoch. Compiled functions are cached
by dynamo per (model, optimizer, rule, shapes, dtype) within a process and by inductor's
on-disk cache across processes; ``compile=False`` (or ``HARNESS_COMPILE=0``) runs the same
function eagerly.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, NamedTuple

import torch
from torch.utils._pytree import tree_map

from harness.engine.data import Dataset
from harness.engine.losses import member_mse
from harness.engine.models import Model, check_data, check_population, get_model
from harness.engine.optim import member_sq_norm
from harness.engine.schedules import _Schedule

COMPILE_ENV = "HARNESS_COMPILE"
MAX_UNROLLED_SAMPLES = 32
MIN_COMPILED_POPULATION = 2048
_DYNAMO_RECOMPILE_LIMIT = 64
# Inductor fuses at most 64 nodes per loop by default, which cut a chunk of Adam steps into a
# dozen loops that pass the whole state through memory; one loop per chunk ran relu_pair + Adam
# 4x faster (117 -> 29 ms per 1e7 member-epochs) at the same compile time (measured, benchmarks/).
_INDUCTOR_OPTIONS = {"max_fusion_size": 4096}


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


@dataclass(frozen=True)
class StoppingRule:
    """Per-member stopping criteria; ``None`` disables a criterion.

    ``patience``: stop after ``patience`` consecutive evaluations without the loss improving on
    the best so far by more than ``min_improvement`` (source 003's early stopping).
    """

    max_epochs: int
    loss_below: float | None = None
    grad_norm_below: float | None = None
    patience: int | None = None
    min_improvement: float = 0.0

    def __post_init__(self) -> None:
        if isinstance(self.max_epochs, bool) or not isinstance(self.max_epochs, int) or self.max_epochs < 0:
            raise ValueError(f"max_epochs must be an int >= 0, got {self.max_epochs!r}")
        for name in ("loss_below", "grad_norm_below"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, (int, float)) and 0 < value < float("inf")):
                raise ValueError(f"{name} must be a finite number > 0 or None, got {value!r}")
        if self.patience is not None and (isinstance(self.patience, bool) or not isinstance(self.patience, int) or self.patience < 1):
            raise ValueError(f"patience must be an int >= 1 or None, got {self.patience!r}")
        if not (isinstance(self.min_improvement, (int, float)) and 0 <= self.min_improvement < float("inf")):
            raise ValueError(f"min_improvement must be a finite number >= 0, got {self.min_improvement!r}")


class Tracker(NamedTuple):
    """Per-member stopping state, all (B,) floating tensors: running flag (1/0), stop reason code,
    epochs used, best loss, evaluations without improvement, and the loss of the last evaluation
    made while running (for full-batch training: the loss at the final parameters).

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
    )


def advance(rule: StoppingRule, tracker: Tracker, loss: torch.Tensor, grad_sq_norm: torch.Tensor, epoch: torch.Tensor) -> Tracker:
    """Apply ``rule`` to one evaluation (loss, squared gradient norm: (B,)) made after ``epoch`` steps.

    ``epoch`` is a 0-d tensor of the tracker's dtype. The gradient criterion compares squared
    norms (``|g|^2 < delta^2``), which saves a square root per member and epoch.
    """
    running = tracker.running > 0
    best, wait = tracker.best, tracker.wait
    reason = torch.where(epoch >= rule.max_epochs, _MAX_EPOCHS, _RUNNING)
    reason = torch.broadcast_to(reason.to(tracker.reason.dtype), running.shape)
    if rule.patience is not None:
        improved = loss < best - rule.min_improvement
        best = torch.where(running & improved, loss.to(best.dtype), best)
        wait = torch.where(running, torch.where(improved, 0.0, wait + 1), wait)
        reason = torch.where(wait >= rule.patience, _PATIENCE, reason)
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
    )


class Trajectory(NamedTuple):
    """Recorded states. Row s of ``params`` (S, B, P), ``loss`` (S, B), ``grad_norm`` (S, B).

    ``params`` is a transposed view of (S, P, B) storage (contiguous per parameter column).

    Full batch: row s is the state at evaluation s (before step s), its loss and gradient norm.
    Mini-batch: row 0 is the initial state with its full-data loss and gradient norm; row s >= 1
    is the state after epoch s - 1 with that epoch's average batch loss and gradient norm.
    A stopped member's rows repeat its final state. S = max(epochs) + 1.
    """

    params: torch.Tensor
    loss: torch.Tensor
    grad_norm: torch.Tensor

    @property
    def nbytes(self) -> int:
        """Bytes held: S * B * (P + 2) * itemsize (e.g. 485 MB for S=101, B=1e5, P=10 in float32)."""
        return sum(t.untyped_storage().nbytes() for t in self)


@dataclass(frozen=True)
class TrainResult:
    """Outcome per member: final ``params`` (B, P), ``epochs`` used (B,), stop ``reason`` (B,),
    full-data MSE ``final_loss`` at the final parameters (B,), and the optional ``trajectory``.

    For full-batch training ``final_loss`` is the loss of the last evaluation (made at the final
    parameters); for mini-batch training it is computed on all data after training."""

    params: torch.Tensor
    epochs: torch.Tensor
    reason: torch.Tensor
    final_loss: torch.Tensor
    trajectory: Trajectory | None

    def stopped_by(self, reason: StopReason) -> torch.Tensor:
        """Boolean mask (B,) of members that stopped for ``reason``."""
        return self.reason == int(reason)


@dataclass(frozen=True)
class _StepSpec:
    """Everything static about a chunk of steps: what ``torch.compile`` specialises on."""

    model: Model
    optimizer: Any
    rule: StoppingRule
    steps: int
    unroll: bool
    record: bool


def _loss_and_members(model: Model, X: torch.Tensor, Y: torch.Tensor, unroll: bool, columns):
    """(sum over members, per-member MSE): differentiating the sum gives every member's gradient."""
    losses = member_mse(model, columns, X, Y, unroll=unroll)
    return losses.sum(), losses


def _value_and_grad(spec: _StepSpec, columns, X: torch.Tensor, Y: torch.Tensor):
    """Per-member gradients (P x (B,)), losses (B,) and squared gradient norms (B,)."""
    loss_fn = functools.partial(_loss_and_members, spec.model, X, Y, spec.unroll)
    grads, losses = torch.func.grad(loss_fn, has_aux=True)(tuple(columns))
    return grads, losses, member_sq_norm(grads)


def _freeze(running: torch.Tensor, new, old):
    """Take ``new`` for running members and ``old`` for stopped ones, leaf by leaf."""

    def pick(new_leaf: torch.Tensor, old_leaf: torch.Tensor) -> torch.Tensor:
        mask = running.reshape(running.shape + (1,) * (new_leaf.dim() - 1))
        return torch.where(mask, new_leaf, old_leaf)

    return tree_map(pick, new, old)


def _apply_step(spec: _StepSpec, columns, opt_state, tracker: Tracker, grads, lr):
    """One optimizer step for the members still running."""
    updates, new_state = spec.optimizer.update(grads, opt_state, columns, lr)
    stepped = tuple(c + u for c, u in zip(columns, updates))
    running = tracker.running > 0
    return _freeze(running, stepped, columns), _freeze(running, new_state, opt_state)


def _full_batch_chunk(spec: _StepSpec, columns, opt_state, tracker: Tracker, X, Y, lrs, epoch0):
    """``spec.steps`` full-batch evaluations (+ steps); returns the new state and stacked records."""
    records = []
    for k in range(spec.steps):
        grads, losses, sq_norms = _value_and_grad(spec, columns, X, Y)
        tracker = advance(spec.rule, tracker, losses, sq_norms, epoch0 + k)
        if spec.record:
            records.append((torch.stack(columns), losses, sq_norms.sqrt()))  # (P, B), (B,), (B,)
        columns, opt_state = _apply_step(spec, columns, opt_state, tracker, grads, lrs[k])
    stacked = tuple(torch.stack(parts) for parts in zip(*records)) if records else ()
    return columns, opt_state, tracker, stacked, tracker.running.sum()


@functools.lru_cache(maxsize=None)
def _compiled_chunk(spec: _StepSpec) -> Callable:
    """The compiled chunk function for ``spec`` (one per spec per process)."""
    if torch._dynamo.config.recompile_limit < _DYNAMO_RECOMPILE_LIMIT:
        torch._dynamo.config.recompile_limit = _DYNAMO_RECOMPILE_LIMIT
    return torch.compile(functools.partial(_full_batch_chunk, spec), dynamic=False, options=_INDUCTOR_OPTIONS)


def _should_compile(requested: bool | None, population: int, n_samples: int, minibatch: bool, dtype: torch.dtype) -> bool:
    """Explicit request wins; otherwise compile big full-batch float32/64 runs on few samples.

    ``HARNESS_COMPILE=0`` turns compilation off even when requested, after validating the request,
    so a combination that ``compile=True`` cannot run fails the same way with the variable set.
    Half precision is never compiled: inductor evaluates fp16 expressions in fp32 and rounds only
    on stores, so a fused fp16 run would not show fp16's per-operation rounding (what source 003
    studies).
    """
    if requested:
        if minibatch:
            raise ValueError("compile=True is only supported for full-batch training (batch_size=None)")
        if n_samples > MAX_UNROLLED_SAMPLES:
            raise ValueError(f"compile=True needs at most {MAX_UNROLLED_SAMPLES} samples, got {n_samples}")
        if dtype not in (torch.float32, torch.float64):
            raise ValueError(f"compile=True supports float32/float64 only (fused {dtype} would not round like eager {dtype})")
    if os.environ.get(COMPILE_ENV, "1").strip() == "0":
        return False
    if requested is not None:
        return requested
    full_precision = dtype in (torch.float32, torch.float64)
    return full_precision and not minibatch and n_samples <= MAX_UNROLLED_SAMPLES and population >= MIN_COMPILED_POPULATION


def _as_columns(params: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """(B, P) -> P contiguous (B,) columns."""
    return tuple(column.contiguous() for column in params.unbind(1))  # 5x faster than t().contiguous()


class _Recorder:
    """Collects trajectory chunks and assembles them into one trajectory, freeing chunks as it copies.

    Peak memory is therefore about twice the trajectory (chunks + result) at the moment of
    assembly; e.g. +1.0 GB RSS for a 566 MB float32 trajectory (B = 1e5, 101 states, P = 12).

    Parameters are stored parameter-major, (S, P, B), so each recorded column is one contiguous
    write; ``Trajectory.params`` is the (S, B, P) transposed view of that storage.
    """

    def __init__(self, enabled: bool, dtype: torch.dtype | None):
        self.enabled = enabled
        self.dtype = dtype
        self.parts: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []

    def add(self, params: torch.Tensor, loss: torch.Tensor, norm: torch.Tensor) -> None:
        """Append rows: params (S, P, B), loss (S, B), norm (S, B)."""
        if self.enabled:
            dtype = self.dtype or params.dtype
            self.parts.append((params.to(dtype), loss.to(dtype), norm.to(dtype)))

    def finish(self, rows: int) -> Trajectory | None:
        """The first ``rows`` recorded rows as one Trajectory, freeing chunks as they are copied."""
        if not self.enabled:
            return None
        first = self.parts[0]
        out = tuple(torch.empty((rows,) + part.shape[1:], dtype=part.dtype, device=part.device) for part in first)
        filled = 0
        while self.parts and filled < rows:
            chunk = self.parts.pop(0)
            take = min(len(chunk[0]), rows - filled)
            for target, part in zip(out, chunk):
                target[filled : filled + take] = part[:take]
            filled += take
        self.parts.clear()
        params, loss, norm = out
        return Trajectory(params.transpose(1, 2), loss, norm)


def _validate(model: Model, params: torch.Tensor, data: Any, optimizer: Any, schedule: Any, stopping: Any) -> None:
    """Clear ``ValueError`` for every malformed model input, optimizer, schedule or rule."""
    check_population(model, params)
    if not (isinstance(data, tuple) and len(data) == 2 and all(isinstance(t, torch.Tensor) for t in data)):
        raise ValueError(f"data must be a harness.engine.data.Dataset(X, Y) of tensors, got {type(data).__name__}")
    check_data(model, data[0], data[1])
    if not (callable(getattr(optimizer, "init", None)) and callable(getattr(optimizer, "update", None))):
        raise ValueError(f"optimizer must provide init/update (harness.engine.optim), got {optimizer!r}")
    if not isinstance(schedule, _Schedule):
        raise ValueError(f"schedule must be a harness.engine.schedules schedule, got {type(schedule).__name__}")
    if not isinstance(stopping, StoppingRule):
        raise ValueError(f"stopping must be a harness.engine.trainer.StoppingRule, got {type(stopping).__name__}")


def _validate_batching(batch_size: Any, shuffle: bool, generator: Any, steps_per_call: Any, record_dtype: Any) -> None:
    """Clear ``ValueError`` for inconsistent batching, shuffling, chunking or recording settings."""
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1):
        raise ValueError(f"batch_size must be a positive int or None, got {batch_size!r}")
    if shuffle and batch_size is None:
        raise ValueError("shuffle=True only applies to mini-batch training: give batch_size too")
    if shuffle and not isinstance(generator, torch.Generator):
        raise ValueError("shuffle=True needs an explicit torch.Generator (generator=...)")
    if isinstance(steps_per_call, bool) or not isinstance(steps_per_call, int) or steps_per_call < 1:
        raise ValueError(f"steps_per_call must be a positive int, got {steps_per_call!r}")
    if record_dtype is not None and not (isinstance(record_dtype, torch.dtype) and record_dtype.is_floating_point):
        raise ValueError(f"record_dtype must be a floating torch dtype or None, got {record_dtype!r}")


def train(
    model: Model | str,
    params: torch.Tensor,
    data: Dataset,
    optimizer: Any,
    *,
    schedule: _Schedule,
    stopping: StoppingRule,
    batch_size: int | None = None,
    shuffle: bool = False,
    generator: torch.Generator | None = None,
    record: bool = False,
    record_dtype: torch.dtype | None = None,
    compile: bool | None = None,
    steps_per_call: int = 20,
    progress: Callable[[int, int], None] | None = None,
) -> TrainResult:
    """Train every member of ``params`` (B, P) on ``data`` until its stopping rule fires.

    Training runs in ``params``' dtype and on its device (data are moved there). ``shuffle``
    draws an independent permutation per member and epoch from ``generator`` (required then).
    ``record`` keeps the trajectory (``record_dtype`` defaults to the training dtype).
    ``progress(epoch, n_running)`` is called after each chunk of epochs, if given.
    """
    model = get_model(model) if isinstance(model, str) else model
    if not isinstance(model, Model):
        raise ValueError(f"model must be a harness.engine.models.Model or a model name, got {model!r}")
    _validate(model, params, data, optimizer, schedule, stopping)
    _validate_batching(batch_size, shuffle, generator, steps_per_call, record_dtype)
    X = data.X.to(device=params.device, dtype=params.dtype)
    Y = data.Y.to(device=params.device, dtype=params.dtype)
    minibatch = batch_size is not None
    use_compile = _should_compile(compile, params.shape[0], X.shape[0], minibatch, params.dtype)
    columns = _as_columns(params)
    tracker = init_tracker(params.shape[0], dtype=params.dtype, device=params.device)
    opt_state = optimizer.init(columns)
    recorder = _Recorder(record, record_dtype)
    run = _run_minibatch if minibatch else _run_full_batch
    columns, tracker = run(
        model, optimizer, stopping, schedule, columns, opt_state, tracker, X, Y, recorder,
        use_compile=use_compile, steps_per_call=steps_per_call, batch_size=batch_size,
        shuffle=shuffle, generator=generator, progress=progress,
    )
    final = torch.stack(columns, dim=1)
    final_loss = member_mse(model, columns, X, Y).detach() if minibatch else tracker.loss.to(params.dtype)
    trajectory = recorder.finish(int(tracker.epochs.max()) + 1)
    return TrainResult(final, tracker.epochs.to(torch.int64), tracker.reason.to(torch.int8), final_loss, trajectory)


def balanced_steps(evaluations: int, most: int) -> int:
    """Steps per call, at most ``most``, that cover ``evaluations`` in as few calls with the least tail.

    E.g. 101 evaluations with at most 20 per call: 6 calls of 17 (102), not 6 of 20 (120).
    """
    calls = -(-evaluations // most)
    return -(-evaluations // calls)


def _run_full_batch(model, optimizer, rule, schedule, columns, opt_state, tracker, X, Y, recorder, *,
                    use_compile, steps_per_call, progress, **_unused):
    """Chunks of full-batch steps until no member is running."""
    steps = balanced_steps(rule.max_epochs + 1, steps_per_call)
    spec = _StepSpec(model, optimizer, rule, steps, unroll=use_compile, record=recorder.enabled)
    chunk = _compiled_chunk(spec) if use_compile else functools.partial(_full_batch_chunk, spec)
    epoch, n_running = 0, len(columns[0])
    while n_running:
        lrs = schedule.values(epoch, steps, dtype=X.dtype, device=X.device)
        epoch_tensor = torch.tensor(epoch, dtype=tracker.epochs.dtype, device=X.device)
        columns, opt_state, tracker, records, running = chunk(columns, opt_state, tracker, X, Y, lrs, epoch_tensor)
        if records:
            recorder.add(*records)
        epoch += steps
        n_running = int(running)
        if progress is not None:
            progress(epoch, n_running)
    return columns, tracker


def shuffle_orders(generator: torch.Generator, population: int, n_samples: int) -> torch.Tensor:
    """One independent permutation of the samples per member: (B, N) indices (one epoch's order)."""
    keys = torch.rand(population, n_samples, generator=generator, device=generator.device)
    return keys.argsort(dim=1)


def _run_minibatch(model, optimizer, rule, schedule, columns, opt_state, tracker, X, Y, recorder, *,
                   batch_size, shuffle, generator, progress, **_unused):
    """Epochs of mini-batch steps (eager) until no member is running."""
    spec = _StepSpec(model, optimizer, rule, 1, unroll=False, record=False)
    if recorder.enabled:
        _, losses, sq_norms = _value_and_grad(spec, columns, X, Y)
        recorder.add(torch.stack(columns)[None], losses[None], sq_norms.sqrt()[None])
    if rule.max_epochs == 0:
        zero = torch.zeros((), dtype=tracker.epochs.dtype, device=X.device)
        return columns, advance(rule, tracker, *_value_and_grad(spec, columns, X, Y)[1:], zero)
    epoch = 0
    while bool(tracker.running.any()):
        order = shuffle_orders(generator, len(columns[0]), X.shape[0]) if shuffle else None
        batch_losses, batch_norms = [], []
        for start in range(0, X.shape[0], batch_size):
            xb, yb = _batch(X, Y, order, start, batch_size)
            grads, losses, sq_norms = _value_and_grad(spec, columns, xb, yb)
            columns, opt_state = _apply_step(spec, columns, opt_state, tracker, grads, schedule(epoch))
            batch_losses.append(losses)
            batch_norms.append(sq_norms.sqrt())
        epoch_loss = torch.stack(batch_losses).mean(0)
        epoch_norm = torch.stack(batch_norms).mean(0)
        epoch += 1
        epoch_tensor = torch.tensor(epoch, dtype=tracker.epochs.dtype, device=X.device)
        tracker = advance(rule, tracker, epoch_loss, epoch_norm**2, epoch_tensor)
        recorder.add(torch.stack(columns)[None], epoch_loss[None], epoch_norm[None])
        if progress is not None:
            progress(epoch, int(tracker.running.sum()))
    return columns, tracker


def _batch(X: torch.Tensor, Y: torch.Tensor, order: torch.Tensor | None, start: int, size: int):
    """Samples ``start:start+size`` in data order (shared (n, D)) or each member's order ((B, n, D))."""
    if order is None:
        return X[start : start + size], Y[start : start + size]
    index = order[:, start : start + size]  # (B, n)
    return X[index], Y[index]
