"""Traces of ``y = |Wx + b|`` on centered XOR: the protocol, the population runs, the landscape.

What this is: the experiment every claim of sources 000 and 001 starts from. A
:class:`TraceProtocol` fixes the settings, :func:`generate_traces` trains a seeded population
with ``harness.engine.trainer.train`` and records every state (:class:`Traces`), and the
closed-form helpers (:func:`region_minimum`, :func:`geometric_epochs`) say what the landscape
predicts. What this is not: calibration (``calibration``), the regression rows (``dataset``)
or any analysis of a claim (``findings_000``, ``questions_001``).

Shapes: ``B`` traces, ``T`` epochs (trajectories have ``T + 1`` recorded states), ``P = 3``
parameters ``(w0, w1, b)``.

The landscape, worked out once because every result below is read against it. With ``s_n =
sign(w.x_n + b)`` fixed, the loss ``(1/4) sum_n (s_n (w.x_n + b) - y_n)^2`` is quadratic in
``theta = (w0, w1, b)`` with Hessian ``(1/2) sum_n (x_n, 1)(x_n, 1)^T = 2 I`` (the four centered
XOR points with a bias column are orthogonal). Only the signs of the two samples with target 1
matter (``|z|^2 = z^2`` for the others), so there are four convex regions, each containing its
own least-squares point (:func:`region_minimum`): the solutions ``(+-1/2, -+1/2, 0)`` (loss 0)
and the spurious ``(0, 0, +-1/2)`` (loss 1/4, every output 1/2), the latter exactly when
``|b| > |w0 - w1|`` (probability ``(2/pi) arctan(1/sqrt 2) = 0.392`` under any isotropic
Gaussian init). Full-batch GD with ``lr < 1/2`` is ``theta <- theta - 2 lr (theta - theta*)``:
a straight-line geometric contraction by ``1 - 2 lr`` that never leaves its region, so a
trace's epochs follow in closed form from its initial state (:func:`geometric_epochs`, equal to
the trainer's to the epoch). Consequences the claims meet: time is affine in ``log(distance)``,
not in ``distance``; ``loss < 1e-6`` means ``distance < 1e-3`` while the spurious basin only
stops on ``grad norm < 1e-8``, i.e. ``distance < 5e-9``; with a ``max_epochs`` cap the
spurious-basin traces are the capped ones; and no two paths to one solution differ other than
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch

from harness.engine.data import Dataset, centered_xor
from harness.engine.device import default_device
from harness.engine.init import normal
from harness.engine.optim import sgd
from harness.engine.rng import torch_generator
from harness.engine.schedules import constant
from harness.engine.trainer import (
    StoppingRule,
    StopReason,
    TrainResult,
    Trajectory,
    train,
)

MODEL_NAME = "abs_neuron"  # y = |w0 x0 + w1 x1 + b|, P = 3 (source 000, 1.1)
N_PARAMS = 3


def _check_positive_finite(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    if not (math.isfinite(float(value)) and float(value) > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or int(value) < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class TraceProtocol:
    """One experiment of source 000: B traces of full-batch vanilla SGD on centered XOR.

    The optimizer is fixed by the documents: vanilla SGD, no momentum (000, 1.1), full batch
    (the data set has 4 points; nothing suggests mini-batches), constant learning rate.
    """

    lr: float  # constant learning rate (unstated in the documents: calibrated)
    init_scale: float  # std s of the i.i.d. N(0, s^2) init of (w0, w1, b) (unstated: calibrated)
    max_epochs: int  # cap on updates; a trace still running then stops as MAX_EPOCHS (unstated)
    n_traces: int = 100  # B, independent traces (000, 1.2: "100 independent traces")
    loss_below: float = 1e-6  # converged when the full-data MSE drops below this (001, 2.3)
    grad_norm_below: float = 1e-8  # ... or the gradient norm drops below this (001, 2.3)
    # float64: the features of appendix A.1 add 1e-8 to |diff| and to final_i, and the gradient
    # criterion 1e-8 sits below float32 resolution of parameters of size ~0.5 (ulp ~6e-8): in
    # float32 the spurious-basin traces never reach grad norm < 1e-8 and run to max_epochs.
    dtype: torch.dtype = torch.float64

    def __post_init__(self) -> None:
        _check_positive_finite("lr", self.lr)
        _check_positive_finite("init_scale", self.init_scale)
        _check_int("max_epochs", self.max_epochs, 1)
        _check_int("n_traces", self.n_traces, 1)
        _check_positive_finite("loss_below", self.loss_below)
        _check_positive_finite("grad_norm_below", self.grad_norm_below)
        if self.dtype not in (torch.float32, torch.float64):
            raise ValueError(f"dtype must be torch.float32 or torch.float64, got {self.dtype}")

    def stopping_rule(self, max_epochs: int | None = None) -> StoppingRule:
        """The trainer's rule: loss, then gradient norm, then the cap (``max_epochs`` overrides)."""
        return StoppingRule(
            max_epochs=self.max_epochs if max_epochs is None else max_epochs,
            loss_below=self.loss_below,
            grad_norm_below=self.grad_norm_below,
        )


@dataclass(frozen=True, eq=False)  # array fields: no elementwise ==
class Traces:
    """Recorded training traces (numpy, float64 whatever the training dtype).

    Row t of ``params`` is the state after t updates; once trace b stopped (after
    ``epochs[b]`` updates) its rows repeat the final state.
    """

    protocol: TraceProtocol
    params: np.ndarray  # (T+1, B, P) recorded parameters, row 0 = initialisation
    loss: np.ndarray  # (T+1, B) full-data MSE at each recorded state
    grad_norm: np.ndarray  # (T+1, B) gradient norm at each recorded state
    epochs: np.ndarray  # (B,) int64 updates used
    reasons: np.ndarray  # (B,) int8 StopReason codes
    final_loss: np.ndarray  # (B,) MSE at the final parameters
    initial_loss: np.ndarray  # (B,) MSE at the initial parameters

    @property
    def n_traces(self) -> int:
        """B."""
        return int(self.epochs.shape[0])

    @property
    def init_params(self) -> np.ndarray:
        """(B, P) initial parameters."""
        return self.params[0]

    @property
    def final_params(self) -> np.ndarray:
        """(B, P) parameters at each trace's stop."""
        return self.params[self.epochs, np.arange(self.n_traces)]

    def stopped_by(self, reason: StopReason) -> np.ndarray:
        """(B,) mask of traces that stopped for ``reason``."""
        return self.reasons == int(reason)

    def subset(self, index: np.ndarray) -> Traces:
        """The traces ``index`` (B',) int, in that order, with ``protocol.n_traces`` set to B'."""
        index = np.asarray(index, dtype=np.int64)
        if index.ndim != 1 or index.size == 0:
            raise ValueError(f"index must be a non-empty 1-D array of trace indices, got shape {index.shape}")
        return Traces(
            protocol=replace(self.protocol, n_traces=int(index.size)),
            params=self.params[:, index],
            loss=self.loss[:, index],
            grad_norm=self.grad_norm[:, index],
            epochs=self.epochs[index],
            reasons=self.reasons[index],
            final_loss=self.final_loss[index],
            initial_loss=self.initial_loss[index],
        )


def _data(dtype: torch.dtype) -> Dataset:
    return centered_xor(dtype=dtype)


def draw_inits(protocol: TraceProtocol, n: int, *, generator: torch.Generator) -> torch.Tensor:
    """``n`` initialisations i.i.d. N(0, init_scale^2): (n, P) in ``protocol.dtype``."""
    return normal(n, N_PARAMS, generator=generator, scale=protocol.init_scale, dtype=protocol.dtype)


def _train(
    protocol: TraceProtocol,
    init: torch.Tensor,
    *,
    record: bool,
    max_epochs: int | None = None,
    compile: bool | None = False,
) -> TrainResult:
    """Train on ``harness.engine.device.default_device()`` (``HARNESS_DEVICE``) and return CPU tensors."""
    result = train(
        MODEL_NAME,
        init.to(default_device()),
        _data(protocol.dtype),
        sgd(),
        schedule=constant(float(protocol.lr)),
        stopping=protocol.stopping_rule(max_epochs),
        record=record,
        compile=compile,
    )
    trajectory = None if result.trajectory is None else Trajectory(*(t.cpu() for t in result.trajectory))
    return TrainResult(
        result.params.cpu(), result.epochs.cpu(), result.reason.cpu(), result.final_loss.cpu(), trajectory
    )


def run_traces(protocol: TraceProtocol, init: np.ndarray | torch.Tensor, *, compile: bool | None = False) -> Traces:
    """Train from the given initialisations (B, P) under ``protocol`` and record every state.

    ``protocol.n_traces`` is ignored: B is ``init``'s. ``compile``: passed to the trainer
    (``False`` default: eager, fast enough for B up to a few thousand; ``None`` lets it decide).
    """
    init_t = torch.as_tensor(np.asarray(init) if not isinstance(init, torch.Tensor) else init)
    init_t = init_t.to(protocol.dtype)
    result = _train(protocol, init_t, record=True, compile=compile)
    traj = result.trajectory
    assert traj is not None  # record=True
    return Traces(
        protocol=protocol,
        params=traj.params.detach().cpu().numpy().astype(np.float64),
        loss=traj.loss.detach().cpu().numpy().astype(np.float64),
        grad_norm=traj.grad_norm.detach().cpu().numpy().astype(np.float64),
        epochs=result.epochs.cpu().numpy().astype(np.int64),
        reasons=result.reason.cpu().numpy().astype(np.int8),
        final_loss=result.final_loss.detach().cpu().numpy().astype(np.float64),
        initial_loss=traj.loss[0].detach().cpu().numpy().astype(np.float64),
    )


def generate_traces(
    protocol: TraceProtocol, *, seed_seq: np.random.SeedSequence, compile: bool | None = False
) -> Traces:
    """``protocol.n_traces`` traces from N(0, init_scale^2) inits drawn from ``seed_seq``.

    Same ``seed_seq`` and protocol -> identical traces. Returns :class:`Traces` with
    ``params`` (T+1, B, P), ``epochs`` (B,), ``reasons`` (B,), ``final_loss``/``initial_loss`` (B,).
    """
    generator = torch_generator(_check_seed_seq(seed_seq))
    return run_traces(protocol, draw_inits(protocol, protocol.n_traces, generator=generator), compile=compile)


def generate_solved_traces(
    protocol: TraceProtocol, *, seed_seq: np.random.SeedSequence, oversample: int = 3, compile: bool | None = False
) -> Traces:
    """The first ``protocol.n_traces`` traces that reach a solution (stop on the loss criterion)
    among ``oversample`` times as many drawn from ``seed_seq``: source 000's data set read as
    converged traces only. About 61% of Gaussian inits lie in a solution region (module
    docstring), so 3x leaves a wide margin; fewer solved traces than asked raise ``ValueError``.
    """
    oversample = _check_int("oversample", oversample, 1)
    drawn = generate_traces(
        replace(protocol, n_traces=protocol.n_traces * oversample), seed_seq=seed_seq, compile=compile
    )
    solved = np.flatnonzero(drawn.stopped_by(StopReason.CONVERGED_LOSS))
    if solved.size < protocol.n_traces:
        raise ValueError(
            f"only {solved.size} of {drawn.n_traces} traces reached a solution; "
            f"need {protocol.n_traces} (raise oversample)"
        )
    return drawn.subset(solved[: protocol.n_traces])


def convergence_counts(traces: Traces) -> dict[str, int]:
    """Number of traces per stop reason, by ``StopReason`` name (every reason listed, zeros too)."""
    return {r.name: int(np.sum(traces.reasons == int(r))) for r in StopReason if r != StopReason.RUNNING}


SPURIOUS_LOSS = 0.25  # the loss at the spurious minima (0, 0, +-1/2): every output 1/2


def spurious_minimum_count(traces: Traces, *, atol: float = 1e-6) -> int:
    """Traces whose final loss is the spurious minima's 1/4 (within ``atol``)."""
    return int(np.isclose(traces.final_loss, SPURIOUS_LOSS, rtol=0, atol=atol).sum())


def region_minimum(params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares point and loss floor of the quadratic region each state lies in.

    The region is set by the signs of ``z1 = -w0 + w1 + b`` and ``z2 = w0 - w1 + b`` (the
    samples with target 1; see :func:`relevant_samples`): ``(-, +)`` -> ``(1/2, -1/2, 0)`` and
    ``(+, -)`` -> ``(-1/2, 1/2, 0)`` (loss floor 0, the solutions); ``(+, +)`` -> ``(0, 0, 1/2)``
    and ``(-, -)`` -> ``(0, 0, -1/2)`` (floor 1/4, every output 1/2). In every region the loss is
    ``floor + ||theta - theta*||^2`` (Hessian 2I, module docstring); each region is convex and
    contains its own minimum, so GD with ``lr < 1/2`` never leaves it.

    Args:
        params: (..., P) states. Returns: ``theta*`` (..., P) and ``floor`` (...).
    """
    params = np.asarray(params, dtype=np.float64)
    w0, w1, b = params[..., 0], params[..., 1], params[..., 2]
    pos1 = (-w0 + w1 + b) >= 0
    pos2 = (w0 - w1 + b) >= 0
    solution = pos1 != pos2
    half = np.where(pos2, 0.5, -0.5)  # sign of z2 gives the sign of w0 - w1 (solutions) or of b
    target = np.stack(
        [np.where(solution, half, 0.0), np.where(solution, -half, 0.0), np.where(solution, 0.0, half)], axis=-1
    )
    return target, np.where(solution, 0.0, 0.25)


def geometric_epochs(init_params: np.ndarray, protocol: TraceProtocol) -> tuple[np.ndarray, np.ndarray]:
    """Epochs and stop reasons predicted in closed form for ``0 < lr < 1/2`` (no training).

    From the region analysis (:func:`region_minimum`): the distance to the region's minimum
    shrinks as ``d_t = (1 - 2 lr)^t d_0``, the loss is ``floor + d_t^2`` and the gradient norm
    ``2 d_t``. A solution-region trace stops at the first ``t`` with ``d_t^2 < loss_below``, a
    spurious-region trace (floor 1/4 > loss_below) at the first with ``2 d_t < grad_norm_below``;
    both are capped at ``max_epochs``. So ``epochs = floor(log(d_0 / d_stop) / -log(1 - 2 lr)) + 1``
    (0 if ``d_0 < d_stop``): affine in ``log d_0``. Exact up to round-off at the boundaries.

    Returns:
        ``(epochs (B,) int64, reasons (B,) int8 StopReason codes)``.
    """
    lr = float(protocol.lr)
    if not 0 < lr < 0.5:
        raise ValueError(f"the closed form needs 0 < lr < 0.5 (no overshoot), got lr={lr}")
    init_params = np.asarray(init_params, dtype=np.float64)
    target, floor = region_minimum(init_params)
    d0 = np.linalg.norm(init_params - target, axis=-1)
    solution = floor == 0.0
    if protocol.loss_below > 0.25:
        raise ValueError("the closed form assumes loss_below <= 1/4 (the spurious floor)")
    d_stop = np.where(solution, math.sqrt(protocol.loss_below), protocol.grad_norm_below / 2.0)
    kappa = -math.log1p(-2.0 * lr)
    with np.errstate(divide="ignore"):
        t = np.where(d0 < d_stop, 0, np.floor(np.log(d0 / d_stop) / kappa) + 1)
    epochs = np.minimum(t, protocol.max_epochs).astype(np.int64)
    reason = np.where(solution, int(StopReason.CONVERGED_LOSS), int(StopReason.CONVERGED_GRAD))
    reason = np.where(t > protocol.max_epochs, int(StopReason.MAX_EPOCHS), reason)
    return epochs, reason.astype(np.int8)


def _check_seed_seq(seed_seq: Any) -> np.random.SeedSequence:
    if not isinstance(seed_seq, np.random.SeedSequence):
        raise ValueError(
            f"seed_seq must be a numpy.random.SeedSequence (harness.seeds.seed_sequence), got {type(seed_seq).__name__}"
        )
    return seed_seq


def _child(seed_seq: np.random.SeedSequence, *path: int) -> np.random.SeedSequence:
    """A child of ``seed_seq`` addressed by ``path``; pure (``SeedSequence.spawn`` is stateful)."""
    _check_seed_seq(seed_seq)
    return np.random.SeedSequence(seed_seq.entropy, spawn_key=tuple(seed_seq.spawn_key) + tuple(path))


def _converged(reasons: np.ndarray) -> np.ndarray:
    """(B,) bool: stop reasons that are a convergence criterion (loss or gradient), not the cap."""
    return (reasons == int(StopReason.CONVERGED_LOSS)) | (reasons == int(StopReason.CONVERGED_GRAD))
