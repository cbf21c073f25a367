"""Mini-batch training of a population of ``y = w x + b`` models, each on its own data, in three precisions.

What it is: the engine of source 003's experiments. Member ``i`` trains on its own data row
``X[i], Y[i]`` (N samples) with its own shuffling, so a population is a sample over data and
shuffle seeds. Every epoch runs ``ceil(N / batch_size)`` steps (the last batch may be short, as
``DataLoader(drop_last=False)``), uses ``schedule(epoch)`` for all its steps, and then applies the
stopping rule to the epoch's average batch loss, as source 003's script does
(:func:`harness.engine.trainer.advance`).

Precisions (``precision=``):

* ``"fp32"``: everything in float32.
* ``"fp16"``: *pure* half precision, as ``model.half()`` with a plain optimizer: parameters, data,
  gradients and optimizer state are float16 and every operation rounds to float16.
* ``"fp16_dynamic"``: mixed precision as ``torch.amp.GradScaler`` / DeepSpeed's fp16 mode do it:
  float32 master weights and optimizer state, forward and backward in float16 on the loss times
  a scale ``S``; a step whose float16 gradient is not finite is skipped and ``S`` halved; after
  ``growth_interval`` finite steps in a row ``S`` doubles. Each member has its own scale (each
  member is its own model).

Gradients are the closed form of the MSE's backward pass, evaluated operation by operation in
the training dtype in the order autograd does (``2 * r * (upstream / n)``, then sums), which the
tests check against ``torch.autograd``. Members that stopped are frozen and, once they are more
than a tenth of those still computed, leave the working set (``compact_below``); results are the
same bits either way. What it is not: a general model trainer (see
:mod:`harness.engine.trainer` for those); it exists because that trainer shares one data set
across members and has no fp16 loss scaling or per-step gradient records.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import torch

from harness.engine.optim import Adam
from harness.engine.trainer import StopReason

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
    ``reason`` (B,) :class:`harness.engine.trainer.StopReason` codes; ``initial_loss`` / ``final_mse``
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


def linear_grads(params: torch.Tensor, xb: torch.Tensor, yb: torch.Tensor, upstream: torch.Tensor | float = 1.0):
    """Batch MSE (B,) and gradient (B, 2) of ``upstream * mean((w x + b - y)^2)``: params (B, 2), xb, yb (B, n).

    Every operation runs in ``params``' dtype (float16 rounds where autograd's float16 would);
    ``upstream`` is a number or a per-member (B,) loss scale. With a number the residual is
    scaled by ``2 * upstream / n`` in one multiplication (the same rounding as autograd's
    ``(2 r) * (1 / n)`` when n is a power of two, as with the calibrated batch size 4).
    """
    n = xb.shape[1]
    r = params[:, :1] * xb + params[:, 1:] - yb  # (B, n)
    loss = r.square().mean(dim=1)
    if isinstance(upstream, torch.Tensor):
        g = (2 * r) * (upstream.to(params.dtype)[:, None] / n)  # autograd: pow backward times upstream / n
    else:
        g = r * (2.0 * upstream / n)
    return loss, torch.stack(((g * xb).sum(dim=1), g.sum(dim=1)), dim=1)


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


def _orders(
    settings: MemberSettings, n: int, generator: torch.Generator | None, groups: torch.Tensor, total_groups: int
) -> torch.Tensor | None:
    """This epoch's sample order (B', N) of the working members whose shuffle groups are ``groups``
    (B',), or None when none of them shuffles.

    Every epoch draws one uniform row per group of the whole population (``total_groups`` rows,
    from ``settings``), so each group's permutation is the same whichever members still train;
    only the rows a working member uses are sorted."""
    if total_groups == 0:
        return None
    if not isinstance(generator, torch.Generator):
        raise ValueError("shuffling members need an explicit torch.Generator (generator=...)")
    keys = torch.rand(total_groups, n, generator=generator, device=generator.device)
    shuffled = groups >= 0
    identity = torch.arange(n, device=groups.device).expand(len(groups), n)
    if not bool(shuffled.any()):
        return None
    used, slot = torch.unique(groups[shuffled], return_inverse=True)
    perms = keys[used].argsort(dim=1)
    order = identity.clone()
    order[shuffled] = perms[slot]
    return order


def _stop(settings: MemberSettings, best, wait, reason, running, loss, epoch: int):
    """Source 003's early stopping after ``epoch`` completed epochs: (best, wait, reason, running)."""
    improved = loss < best - settings.min_improvement
    best = torch.where(running & improved, loss, best)
    wait = torch.where(running, torch.where(improved, 0.0, wait + 1), wait)
    now = torch.full_like(reason, int(StopReason.RUNNING))
    now = torch.where(wait >= settings.patience, int(StopReason.PATIENCE), now)
    now = torch.where(settings.max_epochs <= epoch, int(StopReason.MAX_EPOCHS), now)
    now = torch.where(torch.isfinite(loss), now, int(StopReason.DIVERGED))
    stop_now = running & (now != int(StopReason.RUNNING))
    return best, wait, torch.where(stop_now, now, reason), running & ~stop_now


class _AdamState(NamedTuple):
    """In-place Adam state of a population: moments (B, 2) and per-member step counts (B,)."""

    m: torch.Tensor
    v: torch.Tensor
    steps: torch.Tensor


def _adam_step(
    opt: Adam,
    theta: torch.Tensor,
    grad: torch.Tensor,
    state: _AdamState,
    lr: torch.Tensor,
    step: torch.Tensor | None,
    count: int | None = None,
):
    """One ``torch.optim.Adam`` step (single-tensor algorithm, its fused in-place ops); ``lr`` (B, 1).

    ``step`` None: every member steps, and ``count`` (the common step number, from 1) gives the
    bias corrections as Python floats, as torch does (the caller freezes stopped members' parameters;
    their moments no longer matter). Otherwise only members in ``step`` (B,) bool advance (moments,
    step counts and parameters; corrections per member), as a skipped GradScaler step leaves Adam."""
    m, v, steps = state
    if step is not None:
        m, v, steps = m.clone(), v.clone(), steps.clone()
    m.lerp_(grad, 1 - opt.b1)
    v.mul_(opt.b2).addcmul_(grad, grad, value=1 - opt.b2)
    if step is None and count is not None:
        bc1, bc2_sqrt = 1 - opt.b1**count, math.sqrt(1 - opt.b2**count)
    else:  # the same numbers per member: corrections in float64, rounded once to the training dtype
        steps += 1
        bc1 = (1 - opt.b1 ** steps.double()).to(theta.dtype)[:, None]
        bc2_sqrt = (1 - opt.b2 ** steps.double()).sqrt().to(theta.dtype)[:, None]
    denom = (v.sqrt() / bc2_sqrt).add_(opt.eps)
    new_theta = theta.addcdiv(m * (lr / bc1), denom, value=-1)
    if step is None:
        return new_theta, _AdamState(m, v, steps)
    keep = step[:, None]
    return (
        torch.where(keep, new_theta, theta),
        _AdamState(torch.where(keep, m, state.m), torch.where(keep, v, state.v), torch.where(step, steps, state.steps)),
    )


def _epoch_batches(Xw: torch.Tensor, Yw: torch.Tensor, order: torch.Tensor | None, batch_size: int):
    """This epoch's mini-batches in order: a list of contiguous (xb, yb), each (B, n), the last possibly short.

    Full batches are cut from one (steps, B, batch_size) copy, so each step reads contiguous memory.
    """
    xs, ys = (Xw, Yw) if order is None else (Xw.gather(1, order), Yw.gather(1, order))
    B, N = xs.shape
    full = N // batch_size * batch_size
    batches = []
    if full:
        xf = xs[:, :full].reshape(B, -1, batch_size).transpose(0, 1).contiguous()  # (steps, B, batch_size)
        yf = ys[:, :full].reshape(B, -1, batch_size).transpose(0, 1).contiguous()
        batches = list(zip(xf.unbind(0), yf.unbind(0), strict=True))
    if full < N:
        batches.append((xs[:, full:].contiguous(), ys[:, full:].contiguous()))
    return batches


def _recorded(record: torch.Tensor) -> slice | torch.Tensor:
    """Index of the recorded members: a slice when they are contiguous (a view per step, no gather)."""
    rows = record.nonzero().squeeze(1)
    if len(rows) and int(rows[-1] - rows[0]) + 1 == len(rows):
        return slice(int(rows[0]), int(rows[-1]) + 1)
    return rows


def _clip_(grad: torch.Tensor, clip: torch.Tensor) -> torch.Tensor:
    """``clip_grad_norm_`` per member, in place: scale by min(1, clip / (norm + 1e-6)); clip (B, 1)."""
    return grad.mul_((clip / grad.norm(dim=1, keepdim=True).add_(1e-6)).clamp_(max=1.0))


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
    compact_below: float = 0.9,
) -> LinearRun:
    """Train members ``params`` (B, 2) = (w, b) on their own data ``X, Y`` (B, N) until each stops.

    ``optimizer`` is a :class:`harness.engine.optim.Adam` whose betas and eps are used (its weight
    decay is ignored: ``settings.weight_decay`` is per member); each step adds the L2 term, clips,
    then takes torch's Adam step. ``generator`` draws the shuffling permutations.
    ``on_epoch(epoch, epoch_loss (B,), params (B, 2))`` is called after every epoch (e.g. to log).
    ``compact_below``: once fewer than this share of the members still computed are running, the
    stopped ones are no longer computed (0: never); a speed setting only, results are the same bits.
    """
    _check_inputs(params, X, Y, batch_size, precision, settings)
    if not isinstance(optimizer, Adam):
        raise ValueError(f"optimizer must be a harness.engine.optim.Adam, got {optimizer!r}")
    if isinstance(compact_below, bool) or not isinstance(compact_below, (int, float)) or not 0 <= compact_below <= 1:
        raise ValueError(f"compact_below must be a number in [0, 1], got {compact_below!r}")
    with _one_intra_op_thread():
        return _train(
            params,
            X,
            Y,
            optimizer,
            settings,
            batch_size=batch_size,
            generator=generator,
            precision=precision,
            scaler=scaler,
            on_epoch=on_epoch,
            compact_below=float(compact_below),
        )


class _Working(NamedTuple):
    """The members still in the working set: ``index`` (B',) into the population and their rows of
    every per-member tensor the epoch loop reads or advances."""

    index: torch.Tensor
    settings: MemberSettings
    Xw: torch.Tensor
    Yw: torch.Tensor
    theta: torch.Tensor
    state: _AdamState
    best: torch.Tensor
    wait: torch.Tensor
    running: torch.Tensor
    scale: torch.Tensor
    good: torch.Tensor


def _keep(w: _Working, rows: torch.Tensor) -> _Working:
    """``w`` restricted to its rows ``rows`` (B'',): every per-member tensor indexed alike."""
    st = w.state
    return _Working(
        w.index[rows],
        MemberSettings(*(v[:, rows] if name == "lr" else v[rows] for name, v in w.settings._asdict().items())),
        w.Xw[rows],
        w.Yw[rows],
        w.theta[rows],
        _AdamState(st.m[rows], st.v[rows], st.steps[rows]),
        w.best[rows],
        w.wait[rows],
        w.running[rows],
        w.scale[rows],
        w.good[rows],
    )


def _recorded_in(
    w: _Working, record_cols: torch.Tensor, n_recorded: int
) -> tuple[slice | torch.Tensor, torch.Tensor | None]:
    """Where the working set's recorded members are (a slice when contiguous) and, once some of the
    ``n_recorded`` recorded members left the set, the columns of those still in it (else None)."""
    rows = w.settings.record
    cols = record_cols[w.index[rows]]
    return _recorded(rows), (None if len(cols) == n_recorded else cols)


def _train(
    params, X, Y, optimizer, settings, *, batch_size, generator, precision, scaler, on_epoch, compact_below: float
) -> LinearRun:
    """The body of :func:`train_linear` (inputs already checked).

    Stopped members are frozen; once fewer than ``compact_below`` of the working set still train,
    the stopped ones leave it (their rows are no longer computed). Every member's arithmetic is
    row-wise, so results are the same bits with or without this (``compact_below=0`` never compacts)."""
    B, N = X.shape
    work = torch.float32 if precision == "fp32" else torch.float16
    master = torch.float16 if precision == "fp16" else torch.float32
    theta = params.to(master).clone()
    shuffling = settings.shuffle_group >= 0
    total_groups = int(settings.shuffle_group.max()) + 1 if bool(shuffling.any()) else 0
    w = _Working(
        torch.arange(B),
        settings,
        X.to(work),
        Y.to(work),
        theta,
        _AdamState(torch.zeros_like(theta), torch.zeros_like(theta), torch.zeros(B)),
        torch.full((B,), float("inf")),
        torch.zeros(B),
        torch.ones(B, dtype=torch.bool),
        torch.full((B,), scaler.init_scale),
        torch.zeros(B),
    )
    has_clip = bool(torch.isfinite(settings.clip).any())
    has_decay = bool((settings.weight_decay != 0).any())
    reason, used = torch.zeros(B, dtype=torch.int64), torch.zeros(B, dtype=torch.int64)
    skipped = torch.zeros(B, dtype=torch.int64)
    n_recorded = int(settings.record.sum())
    record_cols = torch.full((B,), -1, dtype=torch.int64)
    record_cols[settings.record] = torch.arange(n_recorded)
    recorded, cols = _recorded_in(w, record_cols, n_recorded)
    full_theta, last_loss = theta.clone(), torch.full((B,), float("nan"))
    trajectory, epoch_losses, norms = [theta.to(torch.float32, copy=True)], [], []
    epoch, count = 0, 0  # count: Adam steps taken (fp32 / fp16: the same for every running member)
    while bool(w.running.any()):
        ws = w.settings
        lr = ws.lr[epoch].to(master)[:, None]
        clip = ws.clip.to(master)[:, None] if has_clip else None
        decay = ws.weight_decay.to(master)[:, None] if has_decay else None
        running, theta, state, scale, good = w.running, w.theta, w.state, w.scale, w.good
        everyone = bool(running.all()) and precision != "fp16_dynamic"  # no per-member masking needed
        order = _orders(ws, N, generator, ws.shuffle_group, total_groups)
        batches = _epoch_batches(w.Xw, w.Yw, order, batch_size)
        batch_losses = torch.zeros(len(batches), B, dtype=work)  # (steps, B): see _epoch_mean
        for i, (xb, yb) in enumerate(batches):
            if precision == "fp16_dynamic":
                loss, grad = linear_grads(theta.to(torch.float16), xb, yb, upstream=scale.to(torch.float16))
                finite = torch.isfinite(grad).all(dim=1)
                grad = torch.where(finite[:, None], grad.float() / scale[:, None], 0.0)
                scale, good = _update_scale(scaler, scale, good, finite, running)
                skipped.index_add_(0, w.index, (running & ~finite).long())
                step = running & finite
            else:
                loss, grad = linear_grads(theta, xb, yb)
                step = running
            if n_recorded:
                norms.append(_norm_row(grad, step, recorded, cols, n_recorded, everyone))
            if decay is not None:
                grad = grad.addcmul(theta, decay)
            if clip is not None:
                grad = _clip_(grad, clip)
            if precision == "fp16_dynamic":  # skipped steps: per-member step counts and bias corrections
                theta, state = _adam_step(optimizer, theta, grad, state, lr, step)
            else:  # every running member has taken every step: one count; stopped members stay frozen
                count += 1
                new_theta, state = _adam_step(optimizer, theta, grad, state, lr, None, count)
                theta = new_theta if everyone else torch.where(step[:, None], new_theta, theta)
            batch_losses[i, w.index] = loss
        epoch += 1
        used[w.index] = torch.where(running, epoch, used[w.index])
        mean_loss = torch.where(running, _epoch_mean(batch_losses)[w.index], last_loss[w.index])
        best, wait, now_reason, still = _stop(ws, w.best, w.wait, reason[w.index], running, mean_loss, epoch)
        last_loss[w.index], reason[w.index], full_theta[w.index] = mean_loss, now_reason, theta
        epoch_losses.append(last_loss.clone())
        trajectory.append(full_theta.to(torch.float32, copy=True))
        if on_epoch is not None:
            on_epoch(epoch - 1, epoch_losses[-1], trajectory[-1])
        w = w._replace(theta=theta, state=state, best=best, wait=wait, running=still, scale=scale, good=good)
        if int(still.sum()) < compact_below * len(still):
            w = _keep(w, still.nonzero().squeeze(1))
            recorded, cols = _recorded_in(w, record_cols, n_recorded)
    final = full_theta.float()
    return LinearRun(
        final,
        used,
        reason.to(torch.int8),
        linear_mse(params, X, Y),
        linear_mse(final, X, Y),
        torch.stack(epoch_losses),
        torch.stack(trajectory),
        torch.stack(norms) if norms else torch.empty(0, n_recorded),
        skipped,
    )


def _epoch_mean(batch_losses: torch.Tensor) -> torch.Tensor:
    """Average batch loss per member (B,) from the (steps, B) losses of the whole population.

    Always reduced over all B columns, whoever is still in the working set: torch's column sums
    round differently for different widths, and the per-member epoch loss drives early stopping,
    so it must not depend on which members have stopped."""
    return batch_losses.float().mean(0)


def _norm_row(grad, step, recorded, cols, n_recorded: int, everyone: bool) -> torch.Tensor:
    """This step's gradient norms of the K recorded members (K,): NaN for members not stepping or gone."""
    norm = grad[recorded].float().norm(dim=1)
    if not everyone:
        norm = torch.where(step[recorded], norm, float("nan"))
    if cols is None:
        return norm
    row = torch.full((n_recorded,), float("nan"))
    row[cols] = norm
    return row


def _update_scale(scaler: LossScaler, scale, good_steps, finite, running):
    """GradScaler's update per member: back off on overflow, grow after ``growth_interval`` good steps."""
    backed = scale * scaler.backoff_factor
    counted = good_steps + 1
    grown = torch.where(counted >= scaler.growth_interval, scale * scaler.growth_factor, scale)
    counted = torch.where(counted >= scaler.growth_interval, 0.0, counted)
    new_scale = torch.where(finite, grown, backed)
    new_good = torch.where(finite, counted, 0.0)
    return torch.where(running, new_scale, scale), torch.where(running, new_good, good_steps)
