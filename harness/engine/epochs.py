"""One chunk of training epochs: the pure function the trainer calls (and ``torch.compile`` fuses) per call.

A chunk takes the population's ``State`` and the chunk's ``Inputs`` and runs ``spec.steps``
full-batch evaluations (+ steps) or mini-batch epochs, applying the stopping rule after each
(``harness.engine.stopping.advance``). It never mutates its inputs, so a failed compile can re-run
it eagerly, and it never syncs with the host, so inductor can fuse a chunk of the column form into
one elementwise kernel. ``harness.engine.trainer`` drives the chunks; this module is its inner
loop, kept apart because it is the part that is specialised and compiled.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import torch
from torch.utils._pytree import tree_map

from harness.engine import compiling, optim
from harness.engine.formulations import Formulation
from harness.engine.models import Model
from harness.engine.optim import _cast, member_norm, member_sq_norm
from harness.engine.stopping import StoppingRule, Tracker, advance

_DYNAMO_RECOMPILE_LIMIT = 64
# Inductor fuses at most 64 nodes per loop by default, which cut a chunk of Adam steps into a
# dozen loops that pass the whole state through memory; one loop per chunk ran relu_pair + Adam
# 4x faster (117 -> 29 ms per 1e7 member-epochs) at the same compile time (measured, benchmarks/).
_INDUCTOR_OPTIONS: dict[str, Any] = {"max_fusion_size": 4096}


@dataclass(frozen=True)
class StepSpec:
    """Everything static about a chunk of epochs: what ``torch.compile`` specialises on.

    ``batch_size`` None: full batch (``steps`` evaluations); otherwise ``steps`` mini-batch epochs.
    ``formulation``: how the parameters are held and differentiated (``harness.engine.formulations``).
    ``precision``: None (train in the parameters' dtype) or a ``harness.engine.precision.Precision``.
    ``step_norms``: record the gradient norm of chosen members at every optimizer step.
    """

    model: Model
    optimizer: Any
    rule: StoppingRule
    steps: int
    formulation: Formulation
    record: bool
    batch_size: int | None = None
    precision: Any = None
    step_norms: bool = False

    def eager(self) -> StepSpec:
        """The same spec run eagerly (no unrolled loops)."""
        return dataclasses.replace(self, formulation=self.formulation.eager())


class State(NamedTuple):
    """What a chunk advances: the parameter tree, optimizer state, precision state and stopping tracker."""

    tree: tuple[torch.Tensor, ...]
    opt_state: Any
    prec_state: Any
    tracker: Tracker


class Inputs(NamedTuple):
    """A chunk's data and rates: X, Y in the formulation's layout (shared, per member, or per epoch and
    member: (N, D), (B, N, D), (steps, B, N, D) in the column form), learning rates (steps,) or
    (steps, B) (or a list of per-epoch rates), the epoch count before the chunk (0-d tensor), and the
    members whose step norms are recorded (an index or slice; None when none are)."""

    X: torch.Tensor
    Y: torch.Tensor
    lrs: Any
    epoch0: torch.Tensor
    step_members: torch.Tensor | slice | None = None


class Output(NamedTuple):
    """A chunk's new state, its trajectory records ((S, P, B), (S, B), (S, B) or ()), its step norms
    ((steps, K) or None) and the number of members still running (0-d tensor)."""

    state: State
    records: tuple
    step_norms: torch.Tensor | None
    running: torch.Tensor


def freeze(keep: torch.Tensor, new, old):
    """Take ``new`` where ``keep`` (B,) is true and ``old`` elsewhere, leaf by leaf."""

    def pick(new_leaf: torch.Tensor, old_leaf: torch.Tensor) -> torch.Tensor:
        mask = keep.reshape(keep.shape + (1,) * (new_leaf.dim() - 1))
        return torch.where(mask, new_leaf, old_leaf)

    return tree_map(pick, new, old)


def gradients(spec: StepSpec, tree, X: torch.Tensor, Y: torch.Tensor, prec_state):
    """Gradients (a tree like ``tree``), losses (B,), the members whose step counts (None: all) and the
    new precision state: the formulation's gradient, through the precision strategy if there is one."""
    if spec.precision is None:
        grads, losses = spec.formulation.loss_and_grad(tree, X, Y)
        return grads, losses, None, prec_state
    return spec.precision.gradients(spec.formulation, tree, X, Y, prec_state)


def initial_evaluation(spec: StepSpec, state: State, X: torch.Tensor, Y: torch.Tensor):
    """Full-data loss and squared gradient norm (B,) at the current parameters (no step taken)."""
    grads, losses, _, _ = gradients(spec.eager(), state.tree, X, Y, state.prec_state)
    return losses, member_sq_norm(grads)


def _step(spec: StepSpec, tree, opt_state, grads, lr, stepping):
    """One optimizer step for every member (or, with ``stepping``, the members whose gradient counts)."""
    new_tree, new_state = optim.apply(spec.optimizer, grads, opt_state, tree, lr)
    if stepping is None:
        return new_tree, new_state
    return freeze(stepping, new_tree, tree), freeze(stepping, new_state, opt_state)


def _stack(rows: list) -> tuple:
    """Per-step (params (P, B), loss (B,), norm (B,)) records as (S, P, B), (S, B), (S, B); () if none."""
    return tuple(torch.stack(parts) for parts in zip(*rows, strict=True)) if rows else ()


def _norm_row(grads, running: torch.Tensor, stepping, members) -> torch.Tensor:
    """This step's gradient norms of the recorded members (K,) in float32 (``torch.linalg.vector_norm`` of
    each member's whole gradient); NaN where a member did not step."""
    norms = member_norm(tuple(_cast(g[members], torch.float32) for g in grads))
    took = running[members] if stepping is None else (running & stepping)[members]
    return torch.where(took, norms, float("nan"))


def full_batch_chunk(spec: StepSpec, state: State, inputs: Inputs) -> Output:
    """``spec.steps`` full-batch evaluations, each followed by a step of the members still running."""
    tree, opt_state, prec_state, tracker = state
    records, norm_rows = [], []
    for k in range(spec.steps):
        grads, losses, stepping, new_prec = gradients(spec, tree, inputs.X, inputs.Y, prec_state)
        sq_norms = member_sq_norm(grads)
        tracker = advance(spec.rule, tracker, losses, sq_norms, inputs.epoch0 + k)
        if spec.record:
            records.append((spec.formulation.rows(tree), losses, sq_norms.sqrt()))  # (P, B), (B,), (B,)
        running = tracker.running > 0
        if spec.step_norms:
            norm_rows.append(_norm_row(grads, running, stepping, inputs.step_members))
        new_tree, new_opt = _step(spec, tree, opt_state, grads, inputs.lrs[k], stepping)
        tree, opt_state = freeze(running, new_tree, tree), freeze(running, new_opt, opt_state)
        prec_state = freeze(running, new_prec, prec_state)
    step_norms = torch.stack(norm_rows) if norm_rows else None
    return Output(State(tree, opt_state, prec_state, tracker), _stack(records), step_norms, tracker.running.sum())


def _batches(data: torch.Tensor, size: int, axis: int) -> tuple[torch.Tensor, ...]:
    """An epoch's mini-batches of ``size`` samples along ``axis`` (the last may be short).

    Shared data (2-d) are split into views. Per-member data are copied once, batch-major, so that
    each step reads one contiguous block instead of B strided rows (2x faster steps for B = 2,800
    members of source 003, measured).
    """
    if data.dim() == 2:
        return data.split(size, axis)
    n_samples = data.shape[axis]
    full = n_samples // size * size
    axis = axis % data.dim()
    batches: list[torch.Tensor] = []
    if full:
        blocks = data.narrow(axis, 0, full).unflatten(axis, (full // size, size))
        batches += blocks.movedim(axis, 0).contiguous().unbind(0)
    if full < n_samples:
        batches.append(data.narrow(axis, full, n_samples - full).contiguous())
    return tuple(batches)


def minibatch_chunk(spec: StepSpec, state: State, inputs: Inputs) -> Output:
    """``spec.steps`` mini-batch epochs, then the rule on each epoch's mean batch loss and norm.

    Stopped members are frozen once per epoch (the running flags only change between epochs), and
    batch losses and norms are summed elementwise in the tracker's dtype, so a fused epoch stays one
    elementwise loop and each member's epoch loss does not depend on the others. The epoch's mean
    gradient norm is computed only when the rule or the trajectory reads it (otherwise a diverging
    gradient shows in the loss: divergence is then judged on the loss alone).
    """
    tree, opt_state, prec_state, tracker = state
    records, norm_rows = [], []
    epoch_norms = spec.record or spec.rule.grad_norm_below is not None  # who reads the epoch's gradient norm
    batch_size = spec.batch_size
    assert batch_size is not None  # a mini-batch spec
    for k in range(spec.steps):
        X_epoch, Y_epoch = (inputs.X[k], inputs.Y[k]) if inputs.X.dim() == 4 else (inputs.X, inputs.Y)
        axis = spec.formulation.sample_dim
        start = (tree, opt_state, prec_state)
        running = tracker.running > 0
        loss_sum: torch.Tensor | None = None
        norm_sum: torch.Tensor | None = None
        batches = zip(_batches(X_epoch, batch_size, axis), _batches(Y_epoch, batch_size, axis), strict=True)
        for xb, yb in batches:
            grads, losses, stepping, prec_state = gradients(spec, tree, xb, yb, prec_state)
            if epoch_norms:  # elementwise over the leaves (fuses when compiled), in >= float32 (no float16 overflow)
                norms = member_sq_norm(tuple(_cast(g, tracker.loss.dtype) for g in grads)).sqrt()
                norm_sum = norms if norm_sum is None else norm_sum + norms
            if spec.step_norms:
                norm_rows.append(_norm_row(grads, running, stepping, inputs.step_members))
            tree, opt_state = _step(spec, tree, opt_state, grads, inputs.lrs[k], stepping)
            losses = _cast(losses, tracker.loss.dtype)
            loss_sum = losses if loss_sum is None else loss_sum + losses
        tree, opt_state, prec_state = freeze(running, (tree, opt_state, prec_state), start)
        n_batches = -(-X_epoch.shape[axis] // batch_size)
        assert loss_sum is not None  # an epoch has at least one batch
        epoch_loss = loss_sum / n_batches
        epoch_sq_norm = (norm_sum / n_batches) ** 2 if norm_sum is not None else torch.zeros_like(epoch_loss)
        tracker = advance(spec.rule, tracker, epoch_loss, epoch_sq_norm, inputs.epoch0 + (k + 1))
        if spec.record:
            records.append((spec.formulation.rows(tree), tracker.loss, tracker.sq_norm.sqrt()))
    step_norms = torch.stack(norm_rows) if norm_rows else None
    return Output(State(tree, opt_state, prec_state, tracker), _stack(records), step_norms, tracker.running.sum())


def chunk_function(spec: StepSpec) -> Callable[[State, Inputs], Output]:
    """The plain (eager) chunk function of ``spec``."""
    return functools.partial(minibatch_chunk if spec.batch_size is not None else full_batch_chunk, spec)


@functools.cache
def compiled_chunk(spec: StepSpec) -> Callable[[State, Inputs], Output]:
    """The compiled chunk function for ``spec`` (one per spec per process), eager if the compile fails."""
    if torch._dynamo.config.recompile_limit < _DYNAMO_RECOMPILE_LIMIT:
        torch._dynamo.config.recompile_limit = _DYNAMO_RECOMPILE_LIMIT
    compiled = torch.compile(chunk_function(spec), dynamic=False, options=_INDUCTOR_OPTIONS)
    eager = chunk_function(spec.eager())
    return compiling.WithFallback(compiled, eager, f"{spec.model.name} ({spec.steps} steps per call)")


def chunk_runner(spec: StepSpec, use_compile: bool) -> Callable[[State, Inputs], Output]:
    """The compiled (with eager fallback) or eager chunk function of ``spec``."""
    return compiled_chunk(spec) if use_compile else chunk_function(spec)
