"""The population trainer: B independent models trained as one tensor program.

Semantics, per member (members never interact):

* **Full batch** (``batch_size=None``). Epoch ``t`` evaluates the MSE ``L_t`` and gradient
  ``g_t`` at the current parameters ``θ_t``, then checks the stopping rule in this order:
  non-finite ``L_t`` or ``g_t`` (diverged), ``L_t < loss_below``, ``|g_t| < grad_norm_below``,
  patience, ``t == max_epochs``. A member that stops keeps ``θ_t``; otherwise it takes one
  optimizer step with learning rate ``schedule(t)``. ``epochs`` counts the steps taken, so a
  member stopping at evaluation ``t`` used ``t`` epochs. This is the loop
  ``loss = f(θ); if converged: break; loss.backward(); opt.step()`` of a plain torch script.
* **Mini-batch** (``batch_size=b``; ``b = 1`` is online, per-sample training). Epoch ``t`` runs
  all batches in data order, or in a seeded per-member order when ``shuffle=True``, each step
  with learning rate ``schedule(t)``, then checks the rule on the epoch's *average batch loss*
  and average batch gradient norm, as source 003 does; ``epochs`` counts completed epochs.

Stopped members are frozen (parameters and optimizer state) while the rest continue. The run
never fails because one member's loss becomes NaN/inf: that member is marked ``DIVERGED``.

Speed. Epochs (full batch or mini-batch alike) are run several at a time by one function,
which ``torch.compile`` can fuse into a single elementwise kernel: parameters are held as P
contiguous (B,) columns and the loss is unrolled over the (few) samples, so no reduction over
samples or parameters breaks the fusion. Per-epoch Python overhead and per-epoch memory
traffic are then paid once per call instead of once per epoch. A shuffled run draws the orders
of a call's epochs before the call (one permutation per member and epoch, in epoch order, so
the orders do not depend on compilation). When to compile and how many steps one call may
unroll is ``harness.engine.compiling``'s policy; a failed compile falls back to eager with one
warning. Compiled functions are cached by dynamo per (model, optimizer, rule, batching, shapes,
dtype) within a process and by inductor's on-disk cache across processes; ``compile=False``
(or ``HARNESS_COMPILE=0``) runs the same function eagerly.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, NamedTuple

import torch
from torch.utils._pytree import tree_leaves, tree_map

from harness.engine import compiling, formulations
from harness.engine._checks import check_int, check_real
from harness.engine.data import Dataset
from harness.engine.formulations import Formulation
from harness.engine.models import Model, check_data, check_population, get_model
from harness.engine.optim import member_sq_norm
from harness.engine.schedules import _Schedule

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
        check_int("max_epochs", self.max_epochs, minimum=0)
        for name in ("loss_below", "grad_norm_below"):
            if getattr(self, name) is not None:
                check_real(name, getattr(self, name), low=0, low_open=True)
        if self.patience is not None:
            check_int("patience", self.patience, minimum=1)
        check_real("min_improvement", self.min_improvement, low=0)


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


def advance(
    rule: StoppingRule, tracker: Tracker, loss: torch.Tensor, grad_sq_norm: torch.Tensor, epoch: torch.Tensor
) -> Tracker:
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
    """Everything static about a chunk of epochs: what ``torch.compile`` specialises on.

    ``batch_size`` None: full batch (``steps`` evaluations); otherwise ``steps`` mini-batch epochs.
    ``formulation``: how the parameters are held and differentiated (``harness.engine.formulations``).
    """

    model: Model
    optimizer: Any
    rule: StoppingRule
    steps: int
    formulation: Formulation
    record: bool
    batch_size: int | None = None

    def eager(self) -> _StepSpec:
        """The same spec run eagerly (no unrolled loops)."""
        return dataclasses.replace(self, formulation=self.formulation.eager())


def _value_and_grad(spec: _StepSpec, tree, X: torch.Tensor, Y: torch.Tensor):
    """Per-member gradients (a tree like ``tree``), losses (B,) and squared gradient norms (B,)."""
    grads, losses = spec.formulation.loss_and_grad(tree, X, Y)
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
    stepped = tuple(c + u for c, u in zip(columns, updates, strict=True))
    running = tracker.running > 0
    return _freeze(running, stepped, columns), _freeze(running, new_state, opt_state)


def _stack_records(records: list) -> tuple:
    """Per-step (params (P, B), loss (B,), norm (B,)) records as (S, P, B), (S, B), (S, B); () if none."""
    return tuple(torch.stack(parts) for parts in zip(*records, strict=True)) if records else ()


def _full_batch_chunk(spec: _StepSpec, columns, opt_state, tracker: Tracker, X, Y, lrs, epoch0):
    """``spec.steps`` full-batch evaluations (+ steps); returns the new state and stacked records."""
    records = []
    for k in range(spec.steps):
        grads, losses, sq_norms = _value_and_grad(spec, columns, X, Y)
        tracker = advance(spec.rule, tracker, losses, sq_norms, epoch0 + k)
        if spec.record:
            records.append((spec.formulation.rows(columns), losses, sq_norms.sqrt()))  # (P, B), (B,), (B,)
        columns, opt_state = _apply_step(spec, columns, opt_state, tracker, grads, lrs[k])
    return columns, opt_state, tracker, _stack_records(records), tracker.running.sum()


def _minibatch_chunk(spec: _StepSpec, columns, opt_state, tracker: Tracker, X, Y, lrs, epoch0):
    """``spec.steps`` mini-batch epochs, then the rule on each epoch's mean batch loss and norm.

    X, Y: (N, D), (N, O) in data order, or (steps, B, N, D), (steps, B, N, O) per epoch and member.
    Stopped members are frozen once per epoch (the running flags only change between epochs), and
    batch losses and norms are summed elementwise, so a fused epoch stays one elementwise loop.
    """
    records = []
    for k in range(spec.steps):
        X_epoch, Y_epoch = (X, Y) if X.dim() == 2 else (X[k], Y[k])
        n_samples = X_epoch.shape[-2]
        start_columns, start_state = columns, opt_state
        loss_sum = norm_sum = None
        for start in range(0, n_samples, spec.batch_size):
            size = min(spec.batch_size, n_samples - start)
            xb, yb = X_epoch.narrow(-2, start, size), Y_epoch.narrow(-2, start, size)
            grads, losses, sq_norms = _value_and_grad(spec, columns, xb, yb)
            updates, opt_state = spec.optimizer.update(grads, opt_state, columns, lrs[k])
            columns = tuple(c + u for c, u in zip(columns, updates, strict=True))
            loss_sum = losses if loss_sum is None else loss_sum + losses
            norm_sum = sq_norms.sqrt() if norm_sum is None else norm_sum + sq_norms.sqrt()
        running = tracker.running > 0
        columns, opt_state = _freeze(running, columns, start_columns), _freeze(running, opt_state, start_state)
        n_batches = -(-n_samples // spec.batch_size)
        epoch_loss, epoch_norm = loss_sum / n_batches, norm_sum / n_batches
        tracker = advance(spec.rule, tracker, epoch_loss, epoch_norm**2, epoch0 + (k + 1))
        if spec.record:
            records.append((spec.formulation.rows(columns), epoch_loss, epoch_norm))
    return columns, opt_state, tracker, _stack_records(records), tracker.running.sum()


def _chunk_function(spec: _StepSpec) -> Callable:
    """The plain (eager) chunk function of ``spec``."""
    return functools.partial(_minibatch_chunk if spec.batch_size is not None else _full_batch_chunk, spec)


@functools.cache
def _compiled_chunk(spec: _StepSpec) -> Callable:
    """The compiled chunk function for ``spec`` (one per spec per process), eager if the compile fails."""
    if torch._dynamo.config.recompile_limit < _DYNAMO_RECOMPILE_LIMIT:
        torch._dynamo.config.recompile_limit = _DYNAMO_RECOMPILE_LIMIT
    compiled = torch.compile(_chunk_function(spec), dynamic=False, options=_INDUCTOR_OPTIONS)
    eager = _chunk_function(spec.eager())
    return compiling.WithFallback(compiled, eager, f"{spec.model.name} ({spec.steps} steps per call)")


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
            for target, part in zip(out, chunk, strict=True):
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
    if batch_size is not None:
        check_int("batch_size", batch_size, minimum=1)
    if shuffle and batch_size is None:
        raise ValueError("shuffle=True only applies to mini-batch training: give batch_size too")
    if shuffle and not isinstance(generator, torch.Generator):
        raise ValueError("shuffle=True needs an explicit torch.Generator (generator=...)")
    check_int("steps_per_call", steps_per_call, minimum=1)
    if record_dtype is not None and not (isinstance(record_dtype, torch.dtype) and record_dtype.is_floating_point):
        raise ValueError(f"record_dtype must be a floating torch dtype or None, got {record_dtype!r}")


def updates_per_epoch(n_samples: int, batch_size: int | None) -> int:
    """Optimizer steps per epoch: 1 for full batch, ceil(N / batch_size) for mini-batch."""
    return 1 if batch_size is None else -(-n_samples // batch_size)


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
    compact_stopped: bool = False,
    formulation: str | None = None,
) -> TrainResult:
    """Train every member of ``params`` (B, P) on ``data`` until its stopping rule fires.

    Training runs in ``params``' dtype and on its device (data are moved there). ``batch_size``
    None is full batch, 1 online (per-sample) training. ``shuffle`` draws an independent
    permutation per member and epoch from ``generator`` (required then). ``record`` keeps the
    trajectory (``record_dtype`` defaults to the training dtype). ``compile`` None lets
    ``harness.engine.compiling`` decide; a compiled call runs at most ``steps_per_call`` epochs,
    fewer when the unroll budget says so (results do not depend on it).
    ``progress(epoch, n_running)`` is called after each chunk of epochs, if given.
    ``compact_stopped`` (eager full-batch runs without ``record``; ignored otherwise) stops computing
    members once they stopped, whenever at most half of those computed still run: the same
    results, less work when stop times differ widely (e.g. converged runs next to ones that hit the
    epoch limit). Every optimizer-state leaf must then lead with the population dimension.
    ``formulation`` ("columns", "matrices"; None: by model size, ``harness.engine.formulations.choose``)
    says how parameters are held and differentiated; results agree to rounding either way. The
    optimizer sees the formulation's tree: P (B,) columns, or one (B, P) tensor.
    """
    model = get_model(model) if isinstance(model, str) else model
    if not isinstance(model, Model):
        raise ValueError(f"model must be a harness.engine.models.Model or a model name, got {model!r}")
    _validate(model, params, data, optimizer, schedule, stopping)
    _validate_batching(batch_size, shuffle, generator, steps_per_call, record_dtype)
    if not isinstance(compact_stopped, bool):
        raise ValueError(f"compact_stopped must be a bool, got {compact_stopped!r}")
    X = data.X.to(device=params.device, dtype=params.dtype)
    Y = data.Y.to(device=params.device, dtype=params.dtype)
    updates = updates_per_epoch(X.shape[0], batch_size)
    use_compile = compiling.should_compile(
        compile,
        population=params.shape[0],
        n_params=model.n_params,
        n_samples=X.shape[0],
        updates_per_epoch=updates,
        dtype=params.dtype,
    )
    if use_compile:
        steps_per_call = compiling.plan_unroll(model.n_params, X.shape[0], updates, steps_per_call)
    form = formulations.choose(model, formulation, unroll=use_compile)
    columns = form.tree(params)
    tracker = init_tracker(params.shape[0], dtype=params.dtype, device=params.device)
    opt_state = optimizer.init(columns)
    recorder = _Recorder(record, record_dtype)
    spec = _StepSpec(model, optimizer, stopping, steps_per_call, form, record=record, batch_size=batch_size)
    if batch_size is None:
        columns, tracker = _run_full_batch(
            spec, schedule, columns, opt_state, tracker, X, Y, recorder, use_compile, progress, compact_stopped
        )
    else:
        columns, tracker = _run_minibatch(
            spec,
            schedule,
            columns,
            opt_state,
            tracker,
            X,
            Y,
            recorder,
            use_compile,
            progress,
            generator if shuffle else None,
        )
    final = form.params(columns)
    final_loss = form.eager().loss(columns, X, Y).detach() if batch_size is not None else tracker.loss.to(params.dtype)
    trajectory = recorder.finish(int(tracker.epochs.max()) + 1)
    return TrainResult(final, tracker.epochs.to(torch.int64), tracker.reason.to(torch.int8), final_loss, trajectory)


def balanced_steps(evaluations: int, most: int) -> int:
    """Steps per call, at most ``most``, that cover ``evaluations`` in as few calls with the least tail.

    E.g. 101 evaluations with at most 20 per call: 6 calls of 17 (102), not 6 of 20 (120).
    """
    calls = -(-evaluations // most)
    return -(-evaluations // calls)


def _chunk_runner(spec: _StepSpec, use_compile: bool) -> Callable:
    """The compiled (with eager fallback) or eager chunk function of ``spec``."""
    return _compiled_chunk(spec) if use_compile else _chunk_function(spec)


def _leading_population(tree, population: int) -> bool:
    """Whether every leaf of ``tree`` has the population as its leading dimension (so it can be indexed)."""
    leaves = tree_leaves(tree)
    return all(leaf.dim() >= 1 and leaf.shape[0] == population for leaf in leaves)


def _take(index: torch.Tensor, columns, opt_state, tracker: Tracker):
    """The members ``index`` of the columns, optimizer state and tracker (every leaf indexed on dim 0)."""
    return (
        tuple(c[index] for c in columns),
        tree_map(lambda leaf: leaf[index], opt_state),
        Tracker(*(t[index] for t in tracker)),
    )


def _put(full: tuple, members: torch.Tensor | None, part: tuple) -> tuple:
    """``full`` with rows ``members`` replaced by ``part`` (leaf by leaf); ``part`` itself when members is None."""
    if members is None:
        return part
    out = tuple(f.clone() for f in full)
    for target, values in zip(out, part, strict=True):
        target[members] = values
    return out


def _run_full_batch(spec, schedule, columns, opt_state, tracker, X, Y, recorder, use_compile, progress, compact=False):
    """Chunks of full-batch steps until no member is running.

    ``compact``: whenever at most half of the members computed are still running, drop the
    stopped ones (eager, unrecorded runs only). Members never interact, so results are unchanged.
    """
    steps = balanced_steps(spec.rule.max_epochs + 1, spec.steps)
    chunk = _chunk_runner(dataclasses.replace(spec, steps=steps), use_compile)
    compact = compact and not use_compile and not recorder.enabled and _leading_population(opt_state, len(columns[0]))

    def inputs(epoch: int):
        return X, Y, schedule.values(epoch, steps, dtype=X.dtype, device=X.device)

    return _drive(chunk, steps, inputs, columns, opt_state, tracker, recorder, progress, compact=compact)


def _drive(chunk, steps, inputs, columns, opt_state, tracker, recorder, progress, *, compact: bool = False):
    """Call ``chunk`` (``steps`` epochs per call) until no member is running; ``inputs(epoch)``
    gives each call's data and learning rates (the only difference between the batch modes).

    ``compact`` (data shared by all members only): whenever at most half of the members computed
    still run, drop the stopped ones; members never interact, so results are unchanged.
    """
    full_columns, full_tracker, members = columns, tracker, None  # members: population indices being computed
    epoch, n_running = 0, len(columns[0])
    while n_running:
        X_chunk, Y_chunk, lrs = inputs(epoch)
        epoch_tensor = torch.tensor(epoch, dtype=tracker.epochs.dtype, device=X_chunk.device)
        columns, opt_state, tracker, records, running = chunk(
            columns, opt_state, tracker, X_chunk, Y_chunk, lrs, epoch_tensor
        )
        if records:
            recorder.add(*records)
        epoch += steps
        n_running = int(running)
        if progress is not None:
            progress(epoch, n_running)
        if compact and 0 < n_running <= len(columns[0]) // 2:
            full_columns, full_tracker = (
                _put(full_columns, members, columns),
                Tracker(*_put(full_tracker, members, tracker)),
            )
            keep = (tracker.running > 0).nonzero().flatten()
            columns, opt_state, tracker = _take(keep, columns, opt_state, tracker)
            members = keep if members is None else members[keep]
    return _put(full_columns, members, columns), Tracker(*_put(full_tracker, members, tracker))


def shuffle_orders(generator: torch.Generator, population: int, n_samples: int) -> torch.Tensor:
    """One independent permutation of the samples per member: (B, N) indices (one epoch's order)."""
    keys = torch.rand(population, n_samples, generator=generator, device=generator.device)
    return keys.argsort(dim=1)


def _epoch_data(X: torch.Tensor, Y: torch.Tensor, generator: torch.Generator | None, population: int, epochs: int):
    """The data of the next ``epochs`` epochs: shared (N, D), (N, O), or shuffled (epochs, B, N, D), (epochs, B, N, O)."""
    if generator is None:
        return X, Y
    orders = torch.stack([shuffle_orders(generator, population, X.shape[0]).to(X.device) for _ in range(epochs)])
    return X[orders], Y[orders]


def _minibatch_rates(schedule: _Schedule, epoch: int, steps: int, X: torch.Tensor, use_compile: bool):
    """Rates of the next ``steps`` epochs: a tensor for compiled code (no recompile per value), Python
    floats when eager (a half-precision run then scales by the exact rate, not by its fp16 rounding)."""
    if use_compile:
        return schedule.values(epoch, steps, dtype=X.dtype, device=X.device)
    return [schedule(epoch + k) for k in range(steps)]


def _run_minibatch(spec, schedule, columns, opt_state, tracker, X, Y, recorder, use_compile, progress, generator):
    """Chunks of mini-batch epochs until no member is running (eager runs one epoch per call)."""
    rule = spec.rule
    population = len(columns[0])
    if recorder.enabled or rule.max_epochs == 0:
        _, losses, sq_norms = _value_and_grad(spec.eager(), columns, X, Y)
        recorder.add(spec.formulation.rows(columns)[None], losses[None], sq_norms.sqrt()[None])
        if rule.max_epochs == 0:
            zero = torch.zeros((), dtype=tracker.epochs.dtype, device=X.device)
            return columns, advance(rule, tracker, losses, sq_norms, zero)
    steps = balanced_steps(rule.max_epochs, spec.steps) if use_compile else 1
    chunk = _chunk_runner(dataclasses.replace(spec, steps=steps), use_compile)

    def inputs(epoch: int):
        X_chunk, Y_chunk = _epoch_data(X, Y, generator, population, steps)
        return X_chunk, Y_chunk, _minibatch_rates(schedule, epoch, steps, X, use_compile)

    return _drive(chunk, steps, inputs, columns, opt_state, tracker, recorder, progress)
