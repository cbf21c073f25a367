"""The population trainer: B independent models trained as one tensor program.

Semantics, per member (members never interact):

* **Full batch** (``batch_size=None``). Epoch ``t`` evaluates the MSE ``L_t`` and gradient
  ``g_t`` at the current parameters ``θ_t``, then checks the stopping rule
  (``harness.engine.stopping``: diverged, ``L_t < loss_below``, ``|g_t| < grad_norm_below``,
  ``t == max_epochs``, patience). A member that stops keeps ``θ_t``; otherwise it takes one
  optimizer step with learning rate ``schedule(t)``. ``epochs`` counts the steps taken, so a
  member stopping at evaluation ``t`` used ``t`` epochs. This is the loop
  ``loss = f(θ); if converged: break; loss.backward(); opt.step()`` of a plain torch script.
* **Mini-batch** (``batch_size=b``; ``b = 1`` is online, per-sample training). Epoch ``t`` runs
  all batches in data order, or in a seeded order when ``shuffle`` is set, each step with
  learning rate ``schedule(t)``, then checks the rule on the epoch's *average batch loss* and
  average batch gradient norm, as source 003 does; ``epochs`` counts completed epochs.

Stopped members are frozen (parameters and optimizer state) while the rest continue. The run
never fails because one member's loss becomes NaN/inf: that member is marked ``DIVERGED``.

Per member, everything may differ: the data (``Dataset`` with (B, N, D) inputs), the shuffling
(``shuffle`` as a (B,) tensor of groups: members of a group see the same orders, -1 keeps the data
order), the learning rates (``schedules.per_member``), the stopping thresholds (``StoppingRule``
with (B,) tensors) and optimizer settings (``optim.add_decayed_weights``, ``clip_by_member_norm``).
``precision`` (``harness.engine.precision``) is the strategy for mixed precision: the forward and
backward pass in a lower dtype with per-member dynamic loss scaling, parameters and optimizer
state in ``params``' dtype; pure low precision is simply ``params`` in that dtype.

Speed. Parameters are held in one of two formulations (``harness.engine.formulations``): P
(B,) columns, or one (B, P) tensor trained by batched matrix products with a hand-written backward
(any MLP size). Epochs are run several at a time by one chunk function (``harness.engine.epochs``),
which ``torch.compile`` can fuse, in the column form, into a single elementwise kernel, so per-epoch
Python overhead and memory traffic are paid once per call. A shuffled run draws the orders of a
call's epochs before the call (one permutation per group and epoch, in epoch order, so the orders
do not depend on compilation). When to compile and how many steps one call may unroll is
``harness.engine.compiling``'s policy; a failed compile falls back to eager with one warning.
Compiled functions are cached by dynamo per (model, optimizer, rule, batching, shapes, dtype)
within a process and by inductor's on-disk cache across processes; ``compile=False`` (or
``HARNESS_COMPILE=0``) runs the same function eagerly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch.utils._pytree import tree_leaves, tree_map

from harness.engine import compiling, formulations
from harness.engine._checks import check_int
from harness.engine.data import Dataset
from harness.engine.epochs import Inputs, Output, State, StepSpec, chunk_runner, initial_evaluation
from harness.engine.models import Model, check_data, check_population, get_model
from harness.engine.recording import Recorder, StepNorms, Trajectory
from harness.engine.schedules import _Schedule
from harness.engine.stopping import StoppingRule, StopReason, Tracker, advance, init_tracker

# Compacting (``compact_stopped``) drops stopped members once fewer than this share of those computed
# still run: one re-indexing of the state against every later step on fewer rows (source 003's trainer
# used the same share).
COMPACT_BELOW = 0.9

__all__ = [
    "StopReason",
    "StoppingRule",
    "Tracker",
    "Trajectory",
    "TrainResult",
    "advance",
    "balanced_steps",
    "shuffle_orders",
    "train",
    "updates_per_epoch",
]


@dataclass(frozen=True)
class TrainResult:
    """Outcome per member: final ``params`` (B, P), ``epochs`` used (B,), stop ``reason`` (B,),
    full-data MSE ``final_loss`` at the final parameters (B,), and the optional ``trajectory``,
    ``step_norms`` ((steps, K) gradient norms of the members chosen by ``record_steps``) and
    ``skipped`` ((B,) steps a precision strategy skipped for overflow).

    For full-batch training ``final_loss`` is the loss of the last evaluation (made at the final
    parameters); for mini-batch training it is computed on all data after training."""

    params: torch.Tensor
    epochs: torch.Tensor
    reason: torch.Tensor
    final_loss: torch.Tensor
    trajectory: Trajectory | None
    step_norms: torch.Tensor | None = None
    skipped: torch.Tensor | None = None

    def stopped_by(self, reason: StopReason) -> torch.Tensor:
        """Boolean mask (B,) of members that stopped for ``reason``."""
        return self.reason == int(reason)


def _check_dataset(model: Model, data: Any, population: int) -> None:
    """Shared (N, D), (N, O) data, or one data set per member: (B, N, D), (B, N, O)."""
    if not (isinstance(data, tuple) and len(data) == 2 and all(isinstance(t, torch.Tensor) for t in data)):
        raise ValueError(f"data must be a harness.engine.data.Dataset(X, Y) of tensors, got {type(data).__name__}")
    X, Y = data
    if X.dim() == 3 or Y.dim() == 3:
        if not (X.dim() == Y.dim() == 3 and X.shape[0] == Y.shape[0] == population):
            raise ValueError(
                f"per-member data must be X (B, N, D) and Y (B, N, O) with B = {population}, "
                f"got {tuple(X.shape)} and {tuple(Y.shape)}"
            )
        check_data(model, X.reshape(-1, X.shape[-1]), Y.reshape(-1, Y.shape[-1]))
        if X.shape[1] != Y.shape[1]:
            raise ValueError(f"X has {X.shape[1]} samples per member but Y has {Y.shape[1]}")
        return
    check_data(model, X, Y)


def _validate(model: Model, params: torch.Tensor, data: Any, optimizer: Any, schedule: Any, stopping: Any) -> None:
    """Clear ``ValueError`` for every malformed model input, optimizer, schedule or rule."""
    check_population(model, params)
    _check_dataset(model, data, params.shape[0])
    if not (callable(getattr(optimizer, "init", None)) and callable(getattr(optimizer, "update", None))):
        raise ValueError(f"optimizer must provide init/update (harness.engine.optim), got {optimizer!r}")
    if not isinstance(schedule, _Schedule):
        raise ValueError(f"schedule must be a harness.engine.schedules schedule, got {type(schedule).__name__}")
    if not isinstance(stopping, StoppingRule):
        raise ValueError(f"stopping must be a harness.engine.trainer.StoppingRule, got {type(stopping).__name__}")
    for name, size in stopping.per_member_sizes().items():
        if size != params.shape[0]:
            raise ValueError(f"stopping.{name} has {size} values but the population has {params.shape[0]} members")
    members = getattr(schedule, "population", None)
    if members is not None and members != params.shape[0]:
        raise ValueError(f"the per-member schedule has {members} members but the population has {params.shape[0]}")


def _validate_batching(
    batch_size: Any, shuffle: Any, generator: Any, steps_per_call: Any, record_dtype: Any, population: int
) -> None:
    """Clear ``ValueError`` for inconsistent batching, shuffling, chunking or recording settings."""
    if batch_size is not None:
        check_int("batch_size", batch_size, minimum=1)
    if isinstance(shuffle, torch.Tensor):
        if (
            shuffle.dim() != 1
            or len(shuffle) != population
            or shuffle.is_floating_point()
            or shuffle.dtype == torch.bool
        ):
            raise ValueError(
                f"shuffle groups must be a ({population},) integer tensor, got {shuffle.dtype} {tuple(shuffle.shape)}"
            )
        if bool((shuffle < -1).any()):
            raise ValueError("shuffle groups must be >= 0 (or -1: data order)")
    elif not isinstance(shuffle, bool):
        raise ValueError(f"shuffle must be a bool or a (B,) tensor of groups, got {shuffle!r}")
    shuffling = _shuffles(shuffle)
    if shuffling and batch_size is None:
        raise ValueError("shuffle only applies to mini-batch training: give batch_size too")
    if shuffling and not isinstance(generator, torch.Generator):
        raise ValueError("shuffle needs an explicit torch.Generator (generator=...)")
    check_int("steps_per_call", steps_per_call, minimum=1)
    if record_dtype is not None and not (isinstance(record_dtype, torch.dtype) and record_dtype.is_floating_point):
        raise ValueError(f"record_dtype must be a floating torch dtype or None, got {record_dtype!r}")


def _validate_extras(precision: Any, record_steps: Any, compact_stopped: Any, population: int, compile: Any) -> None:
    """Clear ``ValueError`` for a malformed precision strategy (or one asked to compile), step-norm mask or
    compaction flag."""
    if precision is not None and not (
        callable(getattr(precision, "gradients", None)) and hasattr(precision, "compute")
    ):
        raise ValueError(f"precision must be None or a harness.engine.precision.Precision, got {precision!r}")
    if precision is not None and compile:
        raise ValueError(
            "compile=True is not supported with a precision strategy (a fused low-precision run would not round "
            "like eager): pass compile=False (or None)"
        )
    if record_steps is not None and not (
        isinstance(record_steps, torch.Tensor)
        and record_steps.dtype == torch.bool
        and record_steps.shape == (population,)
    ):
        raise ValueError(f"record_steps must be a ({population},) bool tensor or None, got {record_steps!r}")
    if not isinstance(compact_stopped, bool):
        raise ValueError(f"compact_stopped must be a bool, got {compact_stopped!r}")


def _shuffles(shuffle: bool | torch.Tensor) -> bool:
    """Whether any member shuffles."""
    return bool((shuffle >= 0).any()) if isinstance(shuffle, torch.Tensor) else shuffle


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
    shuffle: bool | torch.Tensor = False,
    generator: torch.Generator | None = None,
    record: bool = False,
    record_dtype: torch.dtype | None = None,
    compile: bool | None = None,
    steps_per_call: int = 20,
    progress: Callable[[int, int], None] | None = None,
    compact_stopped: bool = False,
    formulation: str | formulations.Formulation | None = None,
    precision: Any = None,
    record_steps: torch.Tensor | None = None,
    on_epoch: Callable[[int, torch.Tensor, torch.Tensor], None] | None = None,
) -> TrainResult:
    """Train every member of ``params`` (B, P) on ``data`` until its stopping rule fires.

        Training runs in ``params``' dtype and on its device (data are moved there). ``batch_size``
        None is full batch, 1 online (per-sample) training. ``shuffle`` True draws an independent
        permutation per member and epoch from ``generator`` (required then); a (B,) tensor of groups
        draws one per group. ``record`` keeps the trajectory (``record_dtype`` defaults to the
        training dtype). ``compile`` None lets ``harness.engine.compiling`` decide (never to compile when
    ``formulation`` asks for matrices, which are never unrolled; not with ``precision``); a compiled call
        runs at most ``steps_per_call`` epochs, fewer when the unroll budget says so (results do not
        depend on it). ``progress(epoch, n_running)`` is called after each chunk of epochs, and
        ``on_epoch(epoch, loss (B,), params (B, P))`` after every epoch (one epoch per call then).
        ``compact_stopped`` (eager runs without ``record``, in a formulation whose per-member arithmetic
        does not depend on the population's size: the column form, or matrices in autograd order;
        ignored otherwise) stops computing members once they stopped, whenever fewer than
        ``COMPACT_BELOW`` of those computed still run: the same results, less work when stop times differ.
        ``formulation`` ("columns", "matrices", a ``formulations`` object; None: by model size, ``formulations.choose``)
        says how parameters are held and differentiated; results agree to rounding either way. The
        optimizer sees the formulation's tree: P (B,) columns, or one (B, P) tensor.
        ``precision``: a ``harness.engine.precision.Precision`` strategy (None: everything in
        ``params``' dtype). ``record_steps`` (B,) bool: keep those members' gradient norm at every step.
    """
    model = get_model(model) if isinstance(model, str) else model
    if not isinstance(model, Model):
        raise ValueError(f"model must be a harness.engine.models.Model or a model name, got {model!r}")
    population = params.shape[0] if isinstance(params, torch.Tensor) and params.dim() == 2 else 0
    _validate(model, params, data, optimizer, schedule, stopping)
    _validate_batching(batch_size, shuffle, generator, steps_per_call, record_dtype, population)
    _validate_extras(precision, record_steps, compact_stopped, population, compile)
    compute = params.dtype if precision is None else precision.compute
    X = data.X.to(device=params.device, dtype=compute)
    Y = data.Y.to(device=params.device, dtype=compute)
    n_samples = X.shape[-2]
    updates = updates_per_epoch(n_samples, batch_size)
    eager_form = formulations.choose(model, formulation, unroll=False)
    if compile is None and formulation is not None and isinstance(eager_form, formulations.Matrices):
        compile = False  # matrices were asked for: the automatic choice never swaps them for compiled columns
    use_compile = precision is None and compiling.should_compile(
        compile,
        population=population,
        n_params=model.n_params,
        n_samples=n_samples,
        updates_per_epoch=updates,
        dtype=params.dtype,
        epochs=stopping.most_epochs,
        eager_layers=len(eager_form.network.layers) if isinstance(eager_form, formulations.Matrices) else None,
    )
    if use_compile:
        steps_per_call = compiling.plan_unroll(model.n_params, n_samples, updates, steps_per_call)
    if on_epoch is not None:
        steps_per_call = 1
    form = formulations.choose(model, formulation, unroll=True) if use_compile else eager_form
    tree = form.tree(params)
    prec_state = () if precision is None else precision.init(population, params.device)
    state = State(
        tree, optimizer.init(tree), prec_state, init_tracker(population, dtype=params.dtype, device=params.device)
    )
    XL, YL = form.layout(X), form.layout(Y)
    norms = StepNorms(record_steps, params.device)
    spec = StepSpec(
        model,
        optimizer,
        stopping.on(params.device),
        steps_per_call,
        form,
        record=record,
        batch_size=batch_size,
        precision=precision,
        step_norms=norms.enabled,
    )
    run = _Run(spec, schedule, Recorder(record, record_dtype), norms, progress, on_epoch, use_compile)
    if batch_size is None:
        state = run.full_batch(state, XL, YL, compact_stopped)
    else:
        state = run.minibatch(state, X, Y, generator, shuffle, compact_stopped)
    final = form.params(state.tree)
    if batch_size is None:
        final_loss = state.tracker.loss.to(params.dtype)
    else:
        final_loss = form.eager().loss(form.tree(final.to(compute)), XL, YL).detach().to(params.dtype)
    tracker = state.tracker
    return TrainResult(
        final,
        tracker.epochs.to(torch.int64),
        tracker.reason.to(torch.int8),
        final_loss,
        run.recorder.finish(int(tracker.epochs.max()) + 1),
        norms.finish(),
        None if precision is None else precision.skipped(state.prec_state),
    )


def balanced_steps(evaluations: int, most: int) -> int:
    """Steps per call, at most ``most``, that cover ``evaluations`` in as few calls with the least tail.

    E.g. 101 evaluations with at most 20 per call: 6 calls of 17 (102), not 6 of 20 (120).
    """
    calls = -(-evaluations // most)
    return -(-evaluations // calls)


def _leading_population(tree, population: int) -> bool:
    """Whether every leaf of ``tree`` has the population as its leading dimension (so it can be indexed)."""
    return all(leaf.dim() >= 1 and leaf.shape[0] == population for leaf in tree_leaves(tree))


def _take(index: torch.Tensor, state: State) -> State:
    """The members ``index`` of every part of the state (every leaf indexed on dim 0)."""
    return State(*tree_map(lambda leaf: leaf[index], tuple(state)))


def _merge(full: State, members: torch.Tensor | None, part: State) -> State:
    """The full population's state with the computed members' rows (``members``) replaced by ``part``'s,
    leaf by leaf; ``part`` itself when every member was computed."""
    if members is None:
        return part

    def put(full_leaf: torch.Tensor, part_leaf: torch.Tensor) -> torch.Tensor:
        out = full_leaf.clone()
        out[members] = part_leaf
        return out

    return State(*tree_map(put, tuple(full), tuple(part)))


def shuffle_orders(
    generator: torch.Generator, population: int | torch.Tensor, n_samples: int, members: torch.Tensor | None = None
) -> torch.Tensor | None:
    """One epoch's sample orders (B, N): an independent permutation per member, or per group.

    ``population`` an int B: B permutations. A (B,) tensor of groups: one permutation per group
    (groups 0..G-1, drawn for all G groups whoever uses them), the same for every member of a group;
    group -1 keeps the data order. ``members`` (indices): only their orders are returned (None when
    none of them shuffles); the generator advances as for the whole population either way.
    """
    if not isinstance(population, torch.Tensor):
        keys = torch.rand(population, n_samples, generator=generator, device=generator.device)
        return (keys if members is None else keys[members.to(keys.device)]).argsort(dim=1)
    groups = population if members is None else population[members]
    keys = torch.rand(int(population.max()) + 1, n_samples, generator=generator, device=generator.device)
    shuffled = groups >= 0
    if members is not None and not bool(shuffled.any()):
        return None
    used, slot = torch.unique(groups.clamp(min=0), return_inverse=True)
    perms = keys[used.to(keys.device)].argsort(dim=1).to(groups.device)  # only the groups in use are sorted
    identity = torch.arange(n_samples, device=groups.device).expand(len(groups), n_samples)
    return torch.where(shuffled[:, None], perms[slot], identity)


def _reorder(X: torch.Tensor, orders: torch.Tensor) -> torch.Tensor:
    """X's samples in each member's order: shared (N, D) or per-member (B, N, D) -> (B, N, D)."""
    if X.dim() == 2:
        return X[orders]
    B, N, D = X.shape
    rows = (orders + N * torch.arange(B, device=X.device).unsqueeze(1)).flatten()  # into the (B * N, D) rows
    return X.reshape(B * N, D).index_select(0, rows).view(B, N, D)


class _Run:
    """One training run's fixed parts (spec, schedule, recorders, callbacks) and its two loops."""

    def __init__(self, spec: StepSpec, schedule, recorder: Recorder, norms: StepNorms, progress, on_epoch, compiled):
        self.spec, self.schedule, self.recorder, self.norms = spec, schedule, recorder, norms
        self.progress, self.on_epoch, self.compiled = progress, on_epoch, compiled

    def full_batch(self, state: State, X: torch.Tensor, Y: torch.Tensor, compact: bool) -> State:
        """Chunks of full-batch evaluations until no member is running (X, Y laid out)."""
        steps = balanced_steps(self.spec.rule.most_epochs + 1, self.spec.steps)
        per_member = X.dim() == 3

        def inputs(epoch: int, members: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor, Any]:
            rates = self.schedule.values(epoch, steps, dtype=X.dtype, device=X.device)
            if members is None:
                return X, Y, rates
            data = (X[members], Y[members]) if per_member else (X, Y)
            return *data, _member_rates(rates, members)

        return self._drive(steps, inputs, state, compact)

    def minibatch(self, state: State, X: torch.Tensor, Y: torch.Tensor, generator, shuffle, compact: bool) -> State:
        """Chunks of mini-batch epochs until no member is running (eager runs one epoch per call)."""
        rule, form = self.spec.rule, self.spec.formulation
        if self.recorder.enabled or rule.most_epochs == 0:
            losses, sq_norms = initial_evaluation(self.spec, state, form.layout(X), form.layout(Y))
            self.recorder.add(self.spec.formulation.rows(state.tree)[None], losses[None], sq_norms.sqrt()[None])
            if rule.most_epochs == 0:
                zero = torch.zeros((), dtype=state.tracker.epochs.dtype, device=X.device)
                return state._replace(tracker=advance(rule, state.tracker, losses, sq_norms, zero))
        steps = balanced_steps(rule.most_epochs, self.spec.steps) if self.compiled else 1
        groups: int | torch.Tensor | None = None
        if _shuffles(shuffle):
            groups = shuffle.to(X.device) if isinstance(shuffle, torch.Tensor) else len(state.tracker.running)
        rows = _Rows(X, Y)

        def inputs(epoch: int, members: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor, Any]:
            X_work, Y_work = rows.of(members)
            drawn = []
            if groups is not None:  # drawn for the whole population, so they do not depend on who still trains
                drawn = [shuffle_orders(generator, groups, X.shape[-2], members) for _ in range(steps)]
            orders = [order for order in drawn if order is not None]  # None: none of the members shuffles
            if not orders:
                X_chunk, Y_chunk = X_work, Y_work
            else:
                X_chunk = torch.stack([_reorder(X_work, order.to(X.device)) for order in orders])
                Y_chunk = torch.stack([_reorder(Y_work, order.to(X.device)) for order in orders])
            rates = self._rates(epoch, steps, X)
            return form.layout(X_chunk), form.layout(Y_chunk), _member_rates(rates, members)

        return self._drive(steps, inputs, state, compact)

    def _rates(self, epoch: int, steps: int, X: torch.Tensor):
        """Rates of the next ``steps`` epochs: a tensor for compiled code (no recompile per value); eager
        runs get each epoch's rate as the schedule gives it (a Python float scales a half-precision run by
        the exact rate, not by its fp16 rounding; a per-member schedule gives a (B,) tensor)."""
        if self.compiled:
            return self.schedule.values(epoch, steps, dtype=X.dtype, device=X.device)
        return [self.schedule(epoch + k) for k in range(steps)]

    def _drive(self, steps: int, inputs, state: State, compact: bool) -> State:
        """Call the chunk (``steps`` epochs per call) until no member is running; ``inputs(epoch, members)``
        gives each call's data and learning rates for the members computed (None: all).

        ``compact`` (eager runs without a trajectory, in a width-independent formulation): whenever fewer
        than ``COMPACT_BELOW`` of the members computed still run, the stopped ones leave the computation
        (their state, data rows, rates, stopping values and step-norm columns); members never interact
        and their arithmetic does not depend on the population's size, so results are the same bits.
        """
        population = len(state.tracker.running)
        compact = (
            compact
            and not self.compiled
            and not self.recorder.enabled
            and self.spec.formulation.width_independent
            and _leading_population((state.opt_state, state.prec_state), population)
        )
        spec = dataclasses.replace(self.spec, steps=steps)
        chunk = chunk_runner(spec, self.compiled)
        full, members = state, None  # members: population indices being computed (None: all)
        epoch, n_running = 0, population
        while n_running:
            X_chunk, Y_chunk, lrs = inputs(epoch, members)
            epoch_tensor = torch.tensor(epoch, dtype=state.tracker.epochs.dtype, device=X_chunk.device)
            out: Output = chunk(state, Inputs(X_chunk, Y_chunk, lrs, epoch_tensor, self.norms.index))
            state = out.state
            if out.records:
                self.recorder.add(*out.records)
            self.norms.add(out.step_norms)
            epoch += steps
            n_running = int(out.running)
            if self.progress is not None:
                self.progress(epoch, n_running)
            if self.on_epoch is not None:
                loss, tree = _merged_outcome(full, members, state)
                self.on_epoch(epoch - 1, loss, spec.formulation.params(tree))
            if compact and 0 < n_running < COMPACT_BELOW * len(state.tracker.running):
                full = _merge(full, members, state)
                keep = (state.tracker.running > 0).nonzero().flatten()
                state = _take(keep, state)
                members = keep if members is None else members[keep]
                spec = dataclasses.replace(spec, rule=spec.rule.take(keep))
                chunk = chunk_runner(spec, self.compiled)
                self.norms.restrict(members)
        return _merge(full, members, state)


class _Rows:
    """Per-member data (B, N, D) restricted to the members computed (cached per working set); shared data as is."""

    def __init__(self, X: torch.Tensor, Y: torch.Tensor):
        self.X, self.Y = X, Y
        self.members: torch.Tensor | None = None
        self.work = (X, Y)

    def of(self, members: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """X, Y of ``members`` (None: everyone)."""
        if self.X.dim() == 2 or members is self.members:
            return self.work
        self.members = members
        self.work = (self.X, self.Y) if members is None else (self.X[members], self.Y[members])
        return self.work


def _member_rates(rates, members: torch.Tensor | None):
    """The rates of ``members``: per-member rates ((steps, B) tensor or (B,) rows) indexed, others as they are."""
    if members is None:
        return rates
    if isinstance(rates, torch.Tensor):
        return rates[:, members] if rates.dim() == 2 else rates
    return [r[members] if isinstance(r, torch.Tensor) and r.dim() == 1 else r for r in rates]


def _merged_outcome(full: State, members: torch.Tensor | None, part: State) -> tuple[torch.Tensor, tuple]:
    """Every member's last loss (B,) and parameter tree, the computed members' rows taken from ``part``."""
    if members is None:
        return part.tracker.loss, part.tree
    loss = full.tracker.loss.clone()
    loss[members] = part.tracker.loss
    tree = []
    for full_leaf, part_leaf in zip(full.tree, part.tree, strict=True):
        leaf = full_leaf.clone()
        leaf[members] = part_leaf
        tree.append(leaf)
    return loss, tuple(tree)
