"""Convergence-time study of ``y = |Wx + b|`` on centered XOR (sources 000 and 001).

What this is: the library layer behind the claims of source 000 ("Predicting Neural Network
Convergence Time from Parameter State") and the questions of source 001 (its proposal). Pure
functions that generate training traces with the population trainer, calibrate the settings
the documents leave unstated, build the per-epoch regression data set and run the studies the
claims ask about, each returning plain numbers and arrays. What this is not: a trainer (one
call to ``harness.engine.trainer.train`` per population), a feature or model library
(``harness.studies.convergence.features``, ``harness.studies.convergence.regression``), or a verdict rule (``harness.evidence.stats``).

Shapes: ``B`` traces, ``T`` epochs (trajectories have ``T + 1`` recorded states), ``P = 3``
parameters ``(w0, w1, b)``, ``R`` rows (recorded states), ``F`` features, ``K`` folds.

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
by their starting distance.
"""

from __future__ import annotations

import functools
import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import torch
from scipy import stats as sps
from sklearn.base import BaseEstimator
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from harness.studies.convergence import features as feat
from harness.studies.convergence import regression as reg
from harness.engine.data import Dataset, centered_xor
from harness.engine.device import default_device
from harness.engine.init import normal
from harness.engine.losses import member_mse
from harness.engine.models import get_model
from harness.engine.optim import sgd
from harness.engine.rng import torch_generator
from harness.seeds import numpy_generator, seed_sequence
from harness.engine.schedules import constant
from harness.engine.trainer import StoppingRule, StopReason, Trajectory, TrainResult, train

MODEL_NAME = "abs_neuron"  # y = |w0 x0 + w1 x1 + b|, P = 3 (source 000, 1.1)
N_PARAMS = 3

DEFAULT_GRID_LRS: tuple[float, ...] = (0.06, 0.08, 0.09, 0.10, 0.11, 0.12, 0.14)
"""Learning rates of the default calibration grid. They bracket the document's mean of 34.5
epochs both with a cap near the reported maximum of 38 (mean ~34 at lr 0.09-0.11) and without
one (mean ~34 at lr ~0.14; see :func:`calibrate`)."""

DEFAULT_GRID_SCALES: tuple[float, ...] = (0.1, 0.3, 1.0)
"""Init standard deviations of the default grid (N(0, s^2) on all three parameters)."""

DEFAULT_GRID_MAX_EPOCHS: tuple[int, ...] = (34, 36, 37, 38, 39, 40, 42, 10_000)
"""Caps of the default grid: around the reported maximum of 38, and 10,000 as "no cap" (every
trace of the default grid stops on a convergence criterion long before)."""

FAST_RF_TREES = 20  # random forest trees in ``fast`` mode (default 100): R² unchanged to 4 decimals
FAST_GB_TREES = 50  # gradient boosting stages in ``fast`` mode (default 100): R² ~0.002 lower
FAST_MLP_MAX_ITER = 50  # MLP Adam epochs in ``fast`` mode (default 1000): MLPs underfit, R² lower

BEYOND_DISTANCE_FEATURES: tuple[str, ...] = ("loss", "grad_norm", "alignment")
"""Per-row quantities tested for predictive power beyond distance (source 000, 4.1 and 6.1)."""


def _single_threaded_blas(fn):
    """Run ``fn`` with BLAS and OpenMP limited to one thread (restored afterwards).

    The regressions here are small (thousands of rows, <= 1,330 columns): on a shared 2-core
    machine OpenBLAS's second thread made a 3,000 x 18 least-squares fit ~15x slower (0.04 s vs
    0.003 s measured), and scikit-learn's OpenMP loss kernels made a 10-fold Poisson GLM take
    3-6 s instead of 0.1 s; one thread also keeps these results independent of the core count.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with threadpool_limits(limits=1):
            return fn(*args, **kwargs)

    return wrapper


# --------------------------------------------------------------------------------------------
# Protocol and traces
# --------------------------------------------------------------------------------------------


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


def _data(dtype: torch.dtype) -> Dataset:
    return centered_xor(dtype=dtype)


def draw_inits(protocol: TraceProtocol, n: int, *, generator: torch.Generator) -> torch.Tensor:
    """``n`` initialisations i.i.d. N(0, init_scale^2): (n, P) in ``protocol.dtype``."""
    return normal(n, N_PARAMS, generator=generator, scale=protocol.init_scale, dtype=protocol.dtype)


def _train(protocol: TraceProtocol, init: torch.Tensor, *, record: bool, max_epochs: int | None = None,
           compile: bool | None = False) -> TrainResult:
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
    return TrainResult(result.params.cpu(), result.epochs.cpu(), result.reason.cpu(), result.final_loss.cpu(), trajectory)


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


def generate_traces(protocol: TraceProtocol, *, seed_seq: np.random.SeedSequence,
                    compile: bool | None = False) -> Traces:
    """``protocol.n_traces`` traces from N(0, init_scale^2) inits drawn from ``seed_seq``.

    Same ``seed_seq`` and protocol -> identical traces. Returns :class:`Traces` with
    ``params`` (T+1, B, P), ``epochs`` (B,), ``reasons`` (B,), ``final_loss``/``initial_loss`` (B,).
    """
    generator = torch_generator(_check_seed_seq(seed_seq))
    return run_traces(protocol, draw_inits(protocol, protocol.n_traces, generator=generator), compile=compile)


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
    target = np.stack([np.where(solution, half, 0.0), np.where(solution, -half, 0.0),
                       np.where(solution, 0.0, half)], axis=-1)
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
        raise ValueError(f"seed_seq must be a numpy.random.SeedSequence (harness.seeds.seed_sequence), "
                         f"got {type(seed_seq).__name__}")
    return seed_seq


def _child(seed_seq: np.random.SeedSequence, *path: int) -> np.random.SeedSequence:
    """A child of ``seed_seq`` addressed by ``path``; pure (``SeedSequence.spawn`` is stateful)."""
    _check_seed_seq(seed_seq)
    return np.random.SeedSequence(seed_seq.entropy, spawn_key=tuple(seed_seq.spawn_key) + tuple(path))


# --------------------------------------------------------------------------------------------
# Calibration of the unstated settings
# --------------------------------------------------------------------------------------------


class CalibrationPoint(NamedTuple):
    """Epoch statistics of one grid point (over ``n_traces`` traces)."""

    lr: float
    init_scale: float
    max_epochs: int
    mean: float  # mean epochs per trace
    var: float  # variance of epochs per trace (ddof of the calibration)
    min: int
    max: int
    frac_converged_loss: float  # stopped on loss < loss_below
    frac_converged_grad: float  # stopped on grad norm < grad_norm_below (spurious minimum, loss 1/4)
    frac_max_epochs: float  # stopped by the cap
    distance: float  # calibration distance to the target (see :func:`calibrate`)


@dataclass(frozen=True)
class Calibration:
    """The whole grid, the chosen point and the target it was chosen for."""

    table: tuple[CalibrationPoint, ...]  # every grid point, in (lr, scale, max_epochs) order
    chosen_index: int  # index of the point with the smallest distance (first one on ties)
    target_mean: float
    target_var: float
    n_traces: int
    ddof: int
    distance: str  # kind of calibration_distance used
    loss_below: float  # stopping thresholds the grid was run with
    grad_norm_below: float

    @property
    def chosen(self) -> CalibrationPoint:
        """The selected grid point."""
        return self.table[self.chosen_index]

    def protocol(self, *, n_traces: int = 100) -> TraceProtocol:
        """The chosen settings as a :class:`TraceProtocol` with ``n_traces`` traces."""
        c = self.chosen
        return TraceProtocol(lr=c.lr, init_scale=c.init_scale, max_epochs=c.max_epochs, n_traces=n_traces,
                             loss_below=self.loss_below, grad_norm_below=self.grad_norm_below)

    def as_rows(self) -> list[dict[str, float]]:
        """The table as a list of dicts (for the protocol record / report)."""
        return [p._asdict() for p in self.table]


DISTANCES: tuple[str, ...] = ("standardized", "relative")
"""Calibration distances; see :func:`calibration_distance`."""


def calibration_distance(mean: float, var: float, *, target_mean: float, target_var: float,
                         kind: str = "standardized", target_n: int = 100) -> float:
    """Distance of a grid point's (mean, variance) of epochs from the target.

    ``"standardized"`` (default): ``((mean - m*) / se_m)^2 + ((var - v*) / se_v)^2`` with the
    normal-theory standard errors of the document's own estimates from ``target_n`` traces,
    ``se_m = sqrt(v* / n)`` and ``se_v = v* sqrt(2 / (n - 1))`` (about 0.30 and 1.29 epochs² for
    100 traces): each figure is matched to the precision it was reported with, so the mean
    (corroborated by "3,445 total epochs") counts ~16x more standard errors per percent of error
    than the noisy variance.
    ``"relative"``: ``((mean - m*) / m*)^2 + ((var - v*) / v*)^2``, equal weight per percent.
    """
    if kind == "standardized":
        n = _check_int("target_n", target_n, 2)
        se_m = math.sqrt(target_var / n)
        se_v = target_var * math.sqrt(2.0 / (n - 1))
        return ((mean - target_mean) / se_m) ** 2 + ((var - target_var) / se_v) ** 2
    if kind == "relative":
        return ((mean - target_mean) / target_mean) ** 2 + ((var - target_var) / target_var) ** 2
    raise ValueError(f"unknown distance {kind!r}; valid: {', '.join(DISTANCES)}")


def _as_grid(name: str, values: Any, check) -> tuple:
    if isinstance(values, (int, float, np.integer, np.floating)) and not isinstance(values, bool):
        values = (values,)
    values = tuple(values)
    if not values:
        raise ValueError(f"{name} must not be empty")
    return tuple(check(name, v) for v in values)


def calibrate(
    grid_lrs: Sequence[float] = DEFAULT_GRID_LRS,
    grid_scales: Sequence[float] = DEFAULT_GRID_SCALES,
    *,
    target_mean: float = 34.5,
    target_var: float = 9.11,
    n_traces: int,
    max_epochs: int | Sequence[int] = DEFAULT_GRID_MAX_EPOCHS,
    seed_seq: np.random.SeedSequence,
    ddof: int = 1,
    distance: str = "standardized",
    target_n: int = 100,
    loss_below: float = 1e-6,
    grad_norm_below: float = 1e-8,
) -> Calibration:
    """Run every (lr, init_scale, max_epochs) grid point and pick the one closest to the target.

    The target is the document's baseline (000, 1.2): mean 34.5 and variance 9.11 of epochs per
    trace. Its reported range 1-38 is not used: no 100 integers with mean 34.5 and range 1-38
    have variance 9.11 (see :func:`min_variance_given_range`), so the range is reported per
    point (``min``/``max``) and compared separately.

    Distance: :func:`calibration_distance` of kind ``distance`` (default ``"standardized"``:
    squared errors of mean and variance in units of the standard errors the document's
    ``target_n = 100`` traces give them; ``"relative"``: squared relative errors). Ties go to
    the first point in grid order.

    Design. Every grid point uses the same standard-normal draws ``Z`` (B, P) from ``seed_seq``,
    scaled by the point's init scale (common random numbers: differences between points are not
    sampling noise of the inits). ``max_epochs`` may be one cap or a grid of caps; one run per
    (lr, scale) with the largest cap gives every smaller cap exactly, because the trainer's rule
    checks convergence before the cap: under cap ``M`` a trace stops after ``min(e, M)``
    updates, as MAX_EPOCHS iff ``e > M`` (``e`` its epochs under the largest cap).

    Args:
        grid_lrs, grid_scales: non-empty sequences of finite positive numbers.
        n_traces: traces per grid point (the document's sample is 100; more traces estimate each
            point's mean and variance better).
        max_epochs: a cap (int) or non-empty sequence of caps.
        seed_seq: source of the common draws. ddof: of the variance (1: sample variance).

    Returns:
        :class:`Calibration` with the whole table.
    """
    lrs = _as_grid("grid_lrs", grid_lrs, _check_positive_finite)
    scales = _as_grid("grid_scales", grid_scales, _check_positive_finite)
    caps = _as_grid("max_epochs", max_epochs, lambda n, v: _check_int(n, v, 1))
    n_traces = _check_int("n_traces", n_traces, 1)
    target_mean = _check_positive_finite("target_mean", target_mean)
    target_var = _check_positive_finite("target_var", target_var)
    ddof = _check_int("ddof", ddof, 0)
    calibration_distance(target_mean, target_var, target_mean=target_mean, target_var=target_var,
                         kind=distance, target_n=target_n)  # validates kind and target_n
    if n_traces <= ddof:
        raise ValueError(f"n_traces must exceed ddof={ddof}, got {n_traces}")
    z = normal(n_traces, N_PARAMS, generator=torch_generator(_check_seed_seq(seed_seq)), scale=1.0,
               dtype=torch.float64)
    table = []
    for lr in lrs:
        for scale in scales:
            protocol = TraceProtocol(lr=lr, init_scale=scale, max_epochs=max(caps), n_traces=n_traces,
                                     loss_below=loss_below, grad_norm_below=grad_norm_below)
            result = _train(protocol, (scale * z).to(protocol.dtype), record=False)
            e_full = result.epochs.numpy().astype(np.int64)
            r_full = result.reason.numpy().astype(np.int64)
            for cap in caps:
                e = np.minimum(e_full, cap)
                r = np.where(e_full > cap, int(StopReason.MAX_EPOCHS), r_full)
                mean, var = float(e.mean()), float(e.var(ddof=ddof))
                table.append(CalibrationPoint(
                    lr=lr, init_scale=scale, max_epochs=cap, mean=mean, var=var,
                    min=int(e.min()), max=int(e.max()),
                    frac_converged_loss=float(np.mean(r == int(StopReason.CONVERGED_LOSS))),
                    frac_converged_grad=float(np.mean(r == int(StopReason.CONVERGED_GRAD))),
                    frac_max_epochs=float(np.mean(r == int(StopReason.MAX_EPOCHS))),
                    distance=calibration_distance(mean, var, target_mean=target_mean, target_var=target_var,
                                                  kind=distance, target_n=target_n),
                ))
    chosen = int(np.argmin([p.distance for p in table]))
    return Calibration(tuple(table), chosen, target_mean, target_var, n_traces, ddof, distance,
                       float(loss_below), float(grad_norm_below))



SHARED_CALIBRATION_TRACES = 2000  # traces per grid point of the calibration sources 000 and 001 share


def shared_calibration(master_seed: int) -> "Calibration":
    """The one calibration of the 000/001 claim modules: default grid, seed stream ``("000", "calibration")``."""
    return calibrate(n_traces=SHARED_CALIBRATION_TRACES, seed_seq=seed_sequence(master_seed, "000", "calibration"))


def min_variance_given_range(n: int, mean: float, low: int, high: int, *, ddof: int = 0) -> float:
    """Smallest variance of ``n`` integers in ``[low, high]`` with this mean and both ends attained.

    One value sits at ``low``, one at ``high``; the other ``n - 2`` share the remaining sum as
    evenly as integers can (all ``floor`` or ``ceil`` of their mean), which minimises the sum of
    squares for a fixed sum. Raises ``ValueError`` if no such integers exist (``n * mean`` not an
    integer, or the remaining sum does not fit in ``[low, high]``).
    """
    n = _check_int("n", n, 2)
    ddof = _check_int("ddof", ddof, 0)
    total = n * mean
    if abs(total - round(total)) > 1e-9:
        raise ValueError(f"n * mean = {total} is not an integer: no integer sample has this mean")
    rest = int(round(total)) - low - high
    m = n - 2
    if m > 0 and not (m * low <= rest <= m * high):
        raise ValueError("the remaining sum does not fit in [low, high]: mean and range are incompatible")
    values = [low, high]
    if m > 0:
        base, extra = divmod(rest, m)
        values += [base + 1] * extra + [base] * (m - extra)
    arr = np.asarray(values, dtype=np.float64)
    return float(arr.var(ddof=ddof))


# --------------------------------------------------------------------------------------------
# The regression data set
# --------------------------------------------------------------------------------------------


def member_gradients(params: np.ndarray | torch.Tensor, *, dtype: torch.dtype = torch.float64) -> np.ndarray:
    """Full-data MSE gradient at each parameter state: (R, P) -> (R, P).

    The trainer's own gradient (``torch.func.grad`` of the summed ``member_mse`` of
    ``abs_neuron`` on centered XOR), so ``|grad|`` equals the recorded gradient norm. At a kink
    (``w.x_n + b = 0``) torch's ``abs`` has derivative 0.
    """
    p = torch.as_tensor(np.asarray(params) if not isinstance(params, torch.Tensor) else params).to(dtype)
    if p.dim() != 2 or p.shape[1] != N_PARAMS:
        raise ValueError(f"params must have shape (R, {N_PARAMS}), got {tuple(p.shape)}")
    if p.shape[0] == 0:
        return np.zeros((0, N_PARAMS))
    model = get_model(MODEL_NAME)
    X, Y = _data(dtype)
    columns = tuple(p.t().contiguous().unbind(0))

    def total_loss(cols):
        return member_mse(model, cols, X, Y).sum()

    grads = torch.func.grad(total_loss)(columns)
    return torch.stack(grads, dim=1).detach().cpu().numpy().astype(np.float64)


def gradient_alignment(current: np.ndarray, final: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """Source 001, 5.2: ``(current - final) . grad`` per row: (R, P), (R, P), (R, P) -> (R,).

    Positive when the gradient step (``-lr * grad``) points towards the final state.
    """
    current, final, grad = (np.asarray(a, dtype=np.float64) for a in (current, final, grad))
    if not (current.shape == final.shape == grad.shape) or current.ndim != 2:
        raise ValueError(f"current, final, grad must share one (R, P) shape, got "
                         f"{current.shape}, {final.shape}, {grad.shape}")
    return np.einsum("rp,rp->r", current - final, grad)


def _cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    na, nb = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.einsum("rp,rp->r", a, b) / (na * nb)
    return np.where((na > 0) & (nb > 0), out, np.nan)


@dataclass(frozen=True, eq=False)  # array fields: no elementwise ==
class Rows:
    """The data set of source 000 plus the per-row quantities of source 001's questions.

    One row per recorded state of each trace (see ``features.rows_from_trajectory``), ordered
    by trace then epoch.
    """

    features: np.ndarray  # (R, F) the 18 features of ``features.FEATURE_NAMES_000``
    feature_names: tuple[str, ...]  # (F,)
    current: np.ndarray  # (R, P) parameters at the row's state
    final: np.ndarray  # (R, P) the trace's final parameters
    epochs_remaining: np.ndarray  # (R,) int64 target
    trace_id: np.ndarray  # (R,) int64 trace index b
    epoch: np.ndarray  # (R,) int64 updates done at the row's state
    reason: np.ndarray  # (R,) int8 stop reason of the row's trace
    loss: np.ndarray  # (R,) full-data MSE at the state (from the trajectory)
    grad_norm: np.ndarray  # (R,) gradient norm at the state (from the trajectory)
    grad: np.ndarray  # (R, P) gradient at the state (recomputed, see member_gradients)
    alignment: np.ndarray  # (R,) (current - final) . grad
    alignment_cosine: np.ndarray  # (R,) cosine between (current - final) and grad; NaN if either is 0
    l1_distance: np.ndarray  # (R,) ||current - final||_1
    l2_distance: np.ndarray  # (R,) ||current - final||_2

    @property
    def n_rows(self) -> int:
        """R."""
        return int(self.epochs_remaining.shape[0])

    @property
    def n_traces(self) -> int:
        """Distinct traces among the rows."""
        return int(np.unique(self.trace_id).size)

    def column(self, name: str) -> np.ndarray:
        """A feature column by name (the 18, or one of the per-row fields such as ``loss``)."""
        if name in self.feature_names:
            return self.features[:, self.feature_names.index(name)]
        if name in ("loss", "grad_norm", "alignment", "alignment_cosine", "l1_distance", "l2_distance"):
            return getattr(self, name)
        raise ValueError(f"unknown column {name!r}")


def build_dataset(traces: Traces, *, include_final: bool = False) -> Rows:
    """Rows of (current state, final state) -> epochs remaining, with loss, gradient and alignment.

    Wraps ``features.rows_from_trajectory`` (``include_final=False``: ``sum(epochs)`` rows,
    targets >= 1) and ``features.extract_features`` (the 18 features), then adds per-row loss
    and gradient norm from the recorded trajectory, the gradient vector, the alignment
    ``(current - final) . grad`` and the L1 / L2 distances.
    """
    raw = feat.rows_from_trajectory(traces.params, traces.epochs, include_final=include_final)
    if raw["trace_id"].size == 0:
        raise ValueError("no rows: every trace stopped after 0 epochs (use include_final=True?)")
    X, names = feat.extract_features(raw["current"], raw["final"])
    t, b = raw["epoch"], raw["trace_id"]
    grad = member_gradients(raw["current"])
    diff = raw["current"] - raw["final"]
    return Rows(
        features=X,
        feature_names=names,
        current=raw["current"],
        final=raw["final"],
        epochs_remaining=raw["epochs_remaining"],
        trace_id=b,
        epoch=t,
        reason=traces.reasons[b],
        loss=traces.loss[t, b],
        grad_norm=traces.grad_norm[t, b],
        grad=grad,
        alignment=gradient_alignment(raw["current"], raw["final"], grad),
        alignment_cosine=_cosine(diff, grad),
        l1_distance=np.abs(diff).sum(axis=1),
        l2_distance=np.linalg.norm(diff, axis=1),
    )


# --------------------------------------------------------------------------------------------
# Studies of source 000
# --------------------------------------------------------------------------------------------


class NormRatioStats(NamedTuple):
    """Section 3.2-3.3 of source 000: average distances and norm equivalence per row."""

    mean_l2: float
    mean_l1: float
    ratio_of_means: float  # mean_l1 / mean_l2 (the document's 0.0885 / 0.0705 = 1.255)
    mean_ratio: float  # mean over rows with l2 > 0 of l1 / l2
    min_ratio: float
    max_ratio: float
    holds: np.ndarray  # (R,) bool: ||x||2 <= ||x||1 <= sqrt(3) ||x||2 (relative slack 1e-12)
    n_violations: int
    n_rows: int


def norm_ratio_stats(rows: Rows, *, rel_tol: float = 1e-12) -> NormRatioStats:
    """Mean L2, mean L1, their ratio, and the per-row check ``l2 <= l1 <= sqrt(P) l2``.

    ``rel_tol`` allows round-off: a row fails only if ``l2 > l1 (1 + rel_tol)`` or
    ``l1 > sqrt(P) l2 (1 + rel_tol)``. Rows with ``l2 == 0`` (final states) hold trivially and
    are left out of the ratio statistics.
    """
    l1, l2 = rows.l1_distance, rows.l2_distance
    root_p = math.sqrt(rows.current.shape[1])
    holds = (l2 <= l1 * (1 + rel_tol)) & (l1 <= root_p * l2 * (1 + rel_tol))
    pos = l2 > 0
    ratio = l1[pos] / l2[pos]
    empty = ratio.size == 0
    return NormRatioStats(
        mean_l2=float(l2.mean()),
        mean_l1=float(l1.mean()),
        ratio_of_means=float(l1.mean() / l2.mean()) if l2.mean() > 0 else math.nan,
        mean_ratio=math.nan if empty else float(ratio.mean()),
        min_ratio=math.nan if empty else float(ratio.min()),
        max_ratio=math.nan if empty else float(ratio.max()),
        holds=holds,
        n_violations=int((~holds).sum()),
        n_rows=rows.n_rows,
    )


class ModelScore(NamedTuple):
    """Cross-validated score of one model class of table 2.1."""

    pooled_r2: float  # R² of all out-of-fold predictions
    fold_r2: np.ndarray  # (K,)
    ci: reg.R2Interval  # bootstrap CI of pooled R² (rows, or whole traces when grouped)
    mse: float
    mae: float
    oof_pred: np.ndarray  # (R,)
    seconds: float  # wall time of the cross-validation (fit + predict, all folds)


@dataclass(frozen=True, eq=False)  # array fields: no elementwise ==
class ModelTable:
    """Table 2.1 under one CV scheme."""

    scores: dict[str, ModelScore]  # model name -> score, in the order asked for
    grouped: bool  # True: GroupKFold by trace; False: the document's KFold over rows
    fast: bool
    n_rows: int
    n_traces: int

    def ranking(self) -> list[str]:
        """Model names by pooled R², best first."""
        return sorted(self.scores, key=lambda n: -self.scores[n].pooled_r2)


def _seed(random_state: int, *path: str) -> int:
    return int(seed_sequence(int(random_state), *path).generate_state(1)[0])


def table_model(name: str, *, random_state: int, fast: bool) -> BaseEstimator:
    """Unfitted estimator of table 2.1: ``regression.make_model`` defaults, or in ``fast`` mode

    * ``random_forest``: :data:`FAST_RF_TREES` trees (an average: fewer trees add variance only);
    * ``gradient_boosting``: :data:`FAST_GB_TREES` stages (a sum: fewer stages underfit);
    * ``mlp_3layer`` / ``mlp_2layer``: :data:`FAST_MLP_MAX_ITER` epochs (underfit);
    * ``linear_kernel``: its primal form, ``Ridge(alpha=KERNEL_ALPHA, fit_intercept=False)`` on
      standardised features, which has the same predictions as linear-kernel ridge
      (``x^T X^T (X X^T + a I)^-1 y = x^T (X^T X + a I)^-1 X^T y``) at O(R F^2) cost;
    * every other model as in full mode.

    With 100 traces (~3,400 rows) fast mode measured, 10-fold over rows: random forest 0.9999
    either way, gradient boosting 0.9956 vs 0.9979, 3-layer MLP 0.956 vs 0.994 (at 200 epochs).
    Use full mode for verdicts on the exact R² of gradient boosting and the MLPs.
    """
    if not fast:
        return reg.make_model(name, random_state=random_state)
    if name == "random_forest":
        return reg.make_model(name, random_state=random_state, n_estimators=FAST_RF_TREES)
    if name == "gradient_boosting":
        return reg.make_model(name, random_state=random_state, n_estimators=FAST_GB_TREES)
    if name in ("mlp_3layer", "mlp_2layer"):
        return reg.make_model(name, random_state=random_state, max_iter=FAST_MLP_MAX_ITER)
    if name == "linear_kernel":
        return Pipeline([("scale", StandardScaler()),
                         ("model", Ridge(alpha=reg.KERNEL_ALPHA, fit_intercept=False))])
    return reg.make_model(name, random_state=random_state)


def _blas_threads(name: str):
    """Thread limit for fitting model ``name``: one BLAS and one OpenMP thread, for every model.

    ``rbf_kernel`` and ``poly3`` used to keep BLAS's default threads. On the shared 2-core
    machine that oversubscribed the cores: the fast-mode ``rbf_kernel``, ``poly2`` and
    ``poly3`` rows of one 100-trace table took 117 s with default threads and 13 s with one
    (identical R²); ``exponential`` (OpenMP loss kernels) took 3-6 s instead of 0.1 s.
    ``name`` is kept so a model can be exempted again where cores are free.
    """
    del name
    return threadpool_limits(limits=1)


def model_table(
    rows: Rows,
    *,
    random_state: int,
    grouped: bool,
    model_names: Sequence[str] = reg.MODEL_NAMES,
    fast: bool = False,
    n_splits: int = 10,
    n_resamples: int = 1000,
    alpha: float = 0.05,
    ci_method: str = "BCa",
) -> ModelTable:
    """R² of each model class of table 2.1 on the 18 features, 10-fold CV, with bootstrap CIs.

    ``grouped=False``: the document's K-fold over rows (states of one trace land in train and
    test). ``grouped=True``: ``GroupKFold`` by trace (leak-free). Every model sees the same
    folds (the split seed depends on ``random_state`` only); model seeds are derived from
    ``random_state`` and the model name. CI: ``regression.bootstrap_r2_ci`` (BCa) of the
    out-of-fold predictions (``ci_method``: scipy's name; BCa's jackknife over ~3,400 rows costs
    ~0.5 s per model), resampling rows, or whole traces when grouped. ``fast``: see
    :func:`table_model`; the MLPs then stop before converging, so their ``ConvergenceWarning``
    is silenced (deliberately, in fast mode only). ``ModelScore.seconds`` records each model's
    cross-validation time. BLAS and OpenMP run single-threaded (see :func:`_blas_threads`).
    """
    model_names = tuple(model_names)
    if not model_names:
        raise ValueError("model_names must not be empty")
    unknown = [n for n in model_names if n not in reg.MODEL_NAMES]
    if unknown:
        raise ValueError(f"unknown model names {unknown}; valid: {', '.join(reg.MODEL_NAMES)}")
    groups = rows.trace_id if grouped else None
    y = rows.epochs_remaining.astype(np.float64)
    scores: dict[str, ModelScore] = {}
    for name in model_names:
        estimator = table_model(name, random_state=_seed(random_state, "model", name), fast=fast)
        start = time.perf_counter()
        with warnings.catch_warnings(), _blas_threads(name):
            if fast:
                warnings.simplefilter("ignore", category=ConvergenceWarning)
            cv = reg.cv_r2(estimator, rows.features, y, groups=groups, n_splits=n_splits,
                           random_state=random_state)
        seconds = time.perf_counter() - start
        ci = reg.bootstrap_r2_ci(
            y, cv.oof_pred, groups=groups, n_resamples=n_resamples, alpha=alpha, method=ci_method,
            rng=numpy_generator(seed_sequence(int(random_state), "bootstrap", name)),
        )
        resid = y - cv.oof_pred
        scores[name] = ModelScore(cv.pooled_r2, cv.fold_r2, ci, float(np.mean(resid**2)),
                                  float(np.mean(np.abs(resid))), cv.oof_pred, seconds)
    return ModelTable(scores, bool(grouped), bool(fast), rows.n_rows, rows.n_traces)


def fit_model(rows: Rows, name: str, *, random_state: int, fast: bool = False) -> BaseEstimator:
    """One model class of table 2.1 fitted on all rows (18 features -> epochs remaining)."""
    estimator = table_model(name, random_state=_seed(random_state, "model", name), fast=fast)
    with warnings.catch_warnings(), _blas_threads(name):
        if fast:
            warnings.simplefilter("ignore", category=ConvergenceWarning)
        return estimator.fit(rows.features, rows.epochs_remaining.astype(np.float64))


def bootstrap_r2_replicates(y_true: np.ndarray, y_pred: np.ndarray, *, groups: np.ndarray | None = None,
                            n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """R² of fixed predictions on ``n_resamples`` bootstrap resamples: (R,), (R,) -> (n_resamples,).

    Resamples rows, or whole groups (all rows of a drawn trace together) when ``groups`` (R,)
    is given; predictions are not refitted (as in ``regression.bootstrap_r2_ci``, which returns
    only the interval). For source 000, 7.3: "Bootstrap analysis (50 samples) on best model".
    """
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if y_true.ndim != 1 or y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must be equal-length 1-D, got {y_true.shape}, {y_pred.shape}")
    n_resamples = _check_int("n_resamples", n_resamples, 1)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    if groups is None:
        codes = np.arange(y_true.size)
    else:
        groups = np.asarray(groups)
        if groups.shape != y_true.shape:
            raise ValueError(f"groups must have shape {y_true.shape}, got {groups.shape}")
        codes = np.unique(groups, return_inverse=True)[1]
    g = int(codes.max()) + 1 if codes.size else 0
    if g < 2:
        raise ValueError(f"need at least 2 resampling units, got {g}")
    # Per-unit sums (G,): count, sum y, sum y^2, sum of squared residuals.
    sums = np.stack([np.bincount(codes, weights=w, minlength=g) for w in
                     (np.ones_like(y_true), y_true, y_true**2, (y_true - y_pred) ** 2)])  # (4, G)
    draws = rng.integers(0, g, size=(n_resamples, g))  # (n_resamples, G) unit indices
    n, s_y, s_yy, s_res = sums[:, draws].sum(axis=-1)  # each (n_resamples,)
    ss_tot = s_yy - s_y**2 / n
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1.0 - s_res / ss_tot


FEATURE_FAMILIES: dict[str, tuple[str, ...]] = {
    "distances": ("l1_distance", "l2_distance", "cosine_distance"),
    "parameter_wise": ("absdiff_p0", "absdiff_p1", "absdiff_p2"),
    "differences": ("diff_p0", "diff_p1", "diff_p2"),
    "ratios": ("ratio_p0", "ratio_p1", "ratio_p2"),
    "log_transforms": ("log_diff_p0", "log_diff_p1", "log_diff_p2"),
    "interactions": ("interaction_p0_p1", "interaction_p0_p2", "interaction_p1_p2"),
}
"""The six families of the 18 features (source 000, 1.3; see ``harness.studies.convergence.features``)."""


class Ablation(NamedTuple):
    """Grouped-CV R² of one model on feature subsets (source 000, 7.2)."""

    pooled_r2: dict[str, float]  # subset name -> pooled out-of-fold R²
    fold_r2: dict[str, np.ndarray]  # subset name -> (K,), same folds for every subset
    subsets: dict[str, tuple[str, ...]]  # subset name -> feature names


@_single_threaded_blas
def feature_family_ablation(rows: Rows, *, random_state: int, grouped: bool = True,
                            model: str = "linear_regression", n_splits: int = 10) -> Ablation:
    """R² with all 18 features, each family alone (``only_<family>``) and all but one family
    (``without_<family>``), for 7.2's claims: distances most predictive, interactions add
    little, log transforms decrease performance (``all`` vs ``without_log_transforms``)."""
    all_names = rows.feature_names
    subsets = {"all": all_names}
    for fam, names in FEATURE_FAMILIES.items():
        subsets[f"only_{fam}"] = names
        subsets[f"without_{fam}"] = tuple(n for n in all_names if n not in names)
    y = rows.epochs_remaining.astype(np.float64)
    groups = rows.trace_id if grouped else None
    pooled, folds = {}, {}
    for key, names in subsets.items():
        idx = [all_names.index(n) for n in names]
        estimator = table_model(model, random_state=_seed(random_state, "model", model), fast=False)
        cv = reg.cv_r2(estimator, rows.features[:, idx], y, groups=groups, n_splits=n_splits,
                       random_state=random_state)
        pooled[key], folds[key] = cv.pooled_r2, cv.fold_r2
    return Ablation(pooled, folds, subsets)


@_single_threaded_blas
def distance_form_comparison(rows: Rows, *, random_state: int, n_splits: int = 10,
                             distance: str = "l2_distance") -> reg.FormComparison:
    """``regression.compare_forms`` of ``epochs_remaining = f(distance)`` (linear, log, power),
    GroupKFold by trace. Needs rows built with ``include_final=False`` (distances > 0)."""
    d = rows.column(distance)
    if not (d > 0).all():
        raise ValueError("distances must be > 0: build the rows with include_final=False")
    return reg.compare_forms(d, rows.epochs_remaining.astype(np.float64), groups=rows.trace_id,
                             n_splits=n_splits, random_state=random_state)


class GainResult(NamedTuple):
    """Does adding features to a distance baseline help? (one baseline)"""

    baseline: tuple[str, ...]  # columns of the small model
    added: tuple[str, ...]  # columns added in the big model
    f_stat: float  # nested OLS F-test (rows treated as independent: optimistic p)
    p_value: float
    df_diff: float
    r2_small: float  # pooled grouped-CV R² (GroupKFold by trace, linear regression)
    r2_big: float
    fold_gain: np.ndarray  # (K,) per-fold R² gain, same folds


def _baseline_columns(rows: Rows, kind: str) -> tuple[np.ndarray, tuple[str, ...]]:
    d = rows.l2_distance
    if kind == "linear":
        return d[:, None], ("l2_distance",)
    if kind == "flexible":
        return np.column_stack([d, np.log(d), d**2]), ("l2_distance", "log_l2_distance", "l2_distance_sq")
    raise ValueError(f"unknown baseline {kind!r}")


@_single_threaded_blas
def beyond_distance_gain(rows: Rows, *, random_state: int, n_splits: int = 10,
                         added: Sequence[str] = BEYOND_DISTANCE_FEATURES) -> dict[str, GainResult]:
    """Do loss / gradient norm / gradient alignment predict epochs remaining beyond distance?

    Two baselines, so that a misspecified distance form is not mistaken for "difficult
    regions": ``"linear"`` (L2 distance, the document's ``alpha d + beta``) and ``"flexible"``
    (d, log d, d²). For each: the nested OLS F-test (``regression.nested_f_test``; rows of a
    trace are dependent, so its p-value is optimistic) and the grouped-CV R² of linear
    regression without and with the added columns on the same folds.
    """
    added = tuple(added)
    if not added:
        raise ValueError("added must not be empty")
    extra = np.column_stack([rows.column(n) for n in added])
    if not (rows.l2_distance > 0).all():
        raise ValueError("distances must be > 0: build the rows with include_final=False")
    y = rows.epochs_remaining.astype(np.float64)
    out = {}
    for kind in ("linear", "flexible"):
        small, names = _baseline_columns(rows, kind)
        big = np.column_stack([small, extra])
        f, p, df = reg.nested_f_test(small, big, y)
        model = Pipeline([("scale", StandardScaler()), ("model", LinearRegression())])
        cv_s = reg.cv_r2(model, small, y, groups=rows.trace_id, n_splits=n_splits, random_state=random_state)
        cv_b = reg.cv_r2(model, big, y, groups=rows.trace_id, n_splits=n_splits, random_state=random_state)
        out[kind] = GainResult(names, added, f, p, df, cv_s.pooled_r2, cv_b.pooled_r2,
                               cv_b.fold_r2 - cv_s.fold_r2)
    return out


class SmartInit(NamedTuple):
    """Source 000, 5.1: best ``keep_fraction`` of ``n_candidates`` inits by initial loss vs random."""

    selected_epochs: np.ndarray  # (K,) epochs of the selected (lowest initial loss) inits
    control_epochs: np.ndarray  # (K,) epochs of K fresh independent random inits
    pool_epochs: np.ndarray  # (n_candidates,) epochs of every candidate (reference distribution)
    selected_reasons: np.ndarray  # (K,) int8 stop reasons
    control_reasons: np.ndarray  # (K,)
    selected_converged: np.ndarray  # (K,) bool, stopped on loss or gradient (the documents' criterion)
    selected_solved: np.ndarray  # (K,) bool, final loss < loss_below (XOR actually fitted)
    control_converged: np.ndarray  # (K,) bool
    selected_minus_control_median: np.ndarray  # (K,) epochs - median(control_epochs)
    selected_faster_than_control_median: np.ndarray  # (K,) bool, strictly fewer epochs
    selected_initial_loss: np.ndarray  # (K,)
    control_initial_loss: np.ndarray  # (K,)
    pool_initial_loss: np.ndarray  # (n_candidates,)
    selected_index: np.ndarray  # (K,) candidate indices chosen


def _converged(reasons: np.ndarray) -> np.ndarray:
    return (reasons == int(StopReason.CONVERGED_LOSS)) | (reasons == int(StopReason.CONVERGED_GRAD))


def smart_init_experiment(protocol: TraceProtocol, *, n_candidates: int = 1000, keep_fraction: float = 0.1,
                          seed_seq: np.random.SeedSequence) -> SmartInit:
    """Sample ``n_candidates`` inits, keep the ``K = round(keep_fraction * n)`` lowest initial
    losses, train them, and compare with a control.

    Control: K fresh random inits drawn independently of the pool (an independent sample of
    "random initialisation", so a two-sample test on selected vs control is valid). Every
    candidate is also trained (one population run, cheap) and returned as ``pool_epochs``, the
    distribution the selection is drawn from. ``protocol.n_traces`` is not used.

    Expected from the landscape (:func:`region_minimum`): an initial loss below 1/4 puts a
    state in a solution region (the spurious floor is 1/4), and there the loss is ``d_0^2`` so
    epochs are a non-decreasing function of the initial loss (:func:`geometric_epochs`).
    """
    n_candidates = _check_int("n_candidates", n_candidates, 2)
    keep_fraction = _check_positive_finite("keep_fraction", keep_fraction)
    if keep_fraction >= 1:
        raise ValueError(f"keep_fraction must lie in (0, 1), got {keep_fraction}")
    k = max(1, int(round(keep_fraction * n_candidates)))
    pool_init = draw_inits(protocol, n_candidates, generator=torch_generator(_child(seed_seq, 0)))
    control_init = draw_inits(protocol, k, generator=torch_generator(_child(seed_seq, 1)))
    pool = _train(protocol, pool_init, record=False)
    control = _train(protocol, control_init, record=False)
    X, Y = _data(protocol.dtype)
    model = get_model(MODEL_NAME)
    with torch.no_grad():
        pool_loss = member_mse(model, tuple(pool_init.t().unbind(0)), X, Y).numpy().astype(np.float64)
        control_loss = member_mse(model, tuple(control_init.t().unbind(0)), X, Y).numpy().astype(np.float64)
    order = np.argsort(pool_loss, kind="stable")
    selected = order[:k]
    pool_epochs = pool.epochs.numpy().astype(np.int64)
    pool_reasons = pool.reason.numpy().astype(np.int8)
    control_epochs = control.epochs.numpy().astype(np.int64)
    control_reasons = control.reason.numpy().astype(np.int8)
    sel_epochs = pool_epochs[selected]
    sel_reasons = pool_reasons[selected]
    median = float(np.median(control_epochs))
    return SmartInit(
        selected_epochs=sel_epochs,
        control_epochs=control_epochs,
        pool_epochs=pool_epochs,
        selected_reasons=sel_reasons,
        control_reasons=control_reasons,
        selected_converged=_converged(sel_reasons),
        selected_solved=pool.final_loss.numpy()[selected] < protocol.loss_below,
        control_converged=_converged(control_reasons),
        selected_minus_control_median=sel_epochs - median,
        selected_faster_than_control_median=sel_epochs < median,
        selected_initial_loss=pool_loss[selected],
        control_initial_loss=control_loss,
        pool_initial_loss=pool_loss,
        selected_index=selected.astype(np.int64),
    )


# --------------------------------------------------------------------------------------------
# Questions of source 001
# --------------------------------------------------------------------------------------------


class MarkovCheck(NamedTuple):
    """Restarting from a recorded state reproduces the rest of the trace (001, 1.2)."""

    max_abs_param_diff: float  # over every restarted trace and every remaining state
    max_abs_loss_diff: float
    n_epoch_mismatches: int  # traces whose restarted run used a different number of epochs
    n_reason_mismatches: int  # ... or stopped for a different reason
    n_restarts: int
    n_failures: int = 0  # restarted traces whose future differs in any way (params, loss, epochs, reason)


def markov_check(protocol: TraceProtocol, *, seed_seq: np.random.SeedSequence) -> MarkovCheck:
    """Restart every trace from a random recorded state and compare futures.

    Trace b is restarted at ``t_b`` drawn uniformly from ``0..epochs[b]`` with the same
    learning rate and rule, the cap reduced to ``max_epochs - t_b``; its restarted trajectory
    must equal states ``t_b..epochs[b]`` of the original, with the same epochs and stop reason.
    Traces restarted at the same ``t`` share one population run. Full-batch GD without
    momentum has no state besides the parameters, so the differences should be exactly 0.
    ``n_failures`` counts the restarted traces with any difference at all (exact comparison).
    """
    traces = generate_traces(protocol, seed_seq=_child(seed_seq, 0))
    rng = numpy_generator(_child(seed_seq, 1))
    restart = rng.integers(0, traces.epochs + 1)  # (B,) in 0..e_b
    max_param = max_loss = 0.0
    bad_epochs = bad_reasons = failures = 0
    for t in np.unique(restart):
        members = np.flatnonzero(restart == t)
        init = torch.as_tensor(traces.params[t, members]).to(protocol.dtype)
        result = _train(protocol, init, record=True, max_epochs=protocol.max_epochs - int(t))
        traj = result.trajectory
        assert traj is not None
        new_params = traj.params.numpy().astype(np.float64)
        new_loss = traj.loss.numpy().astype(np.float64)
        for i, b in enumerate(members):
            remaining = int(traces.epochs[b] - t)
            steps = min(remaining, new_params.shape[0] - 1)
            old = traces.params[t : t + steps + 1, b]
            param_diff = float(np.abs(new_params[: steps + 1, i] - old).max())
            loss_diff = float(np.abs(new_loss[: steps + 1, i] - traces.loss[t : t + steps + 1, b]).max())
            epoch_bad = int(result.epochs[i]) != remaining
            reason_bad = int(result.reason[i]) != int(traces.reasons[b])
            max_param, max_loss = max(max_param, param_diff), max(max_loss, loss_diff)
            bad_epochs += int(epoch_bad)
            bad_reasons += int(reason_bad)
            failures += int(param_diff > 0 or loss_diff > 0 or epoch_bad or reason_bad)
    return MarkovCheck(max_param, max_loss, bad_epochs, bad_reasons, traces.n_traces, failures)


class AlignmentCorrelation(NamedTuple):
    """Spearman correlations with epochs remaining, pooled over rows (001, 5.2.1)."""

    rho: float  # alignment (current - final) . grad vs epochs_remaining
    p_value: float  # scipy's, treating rows as independent (they are not: optimistic)
    rho_cosine: float  # cosine(current - final, grad) vs epochs_remaining (NaN rows dropped)
    rho_distance: float  # L2 distance vs epochs_remaining, for comparison
    n_rows: int


def alignment_spearman(rows: Rows) -> AlignmentCorrelation:
    """Rank correlation of gradient alignment (and, for reference, distance) with epochs remaining."""
    y = rows.epochs_remaining
    res = sps.spearmanr(rows.alignment, y)
    ok = np.isfinite(rows.alignment_cosine)
    rho_cos = sps.spearmanr(rows.alignment_cosine[ok], y[ok]).statistic if ok.sum() > 2 else math.nan
    rho_d = sps.spearmanr(rows.l2_distance, y).statistic
    return AlignmentCorrelation(float(res.statistic), float(res.pvalue), float(rho_cos), float(rho_d), rows.n_rows)


def spearman_by_traces(rows: Rows, column: str, traces: np.ndarray) -> float:
    """Spearman rank correlation of ``rows.column(column)`` with epochs remaining over the rows
    of ``traces`` (B',) trace ids, repeats counted as often as they occur.

    A statistic for a cluster bootstrap over traces (the rows of one trace are dependent, so
    traces, not rows, are the resampling unit). NaN values of the column are dropped.
    """
    traces = np.asarray(traces).astype(np.int64).ravel()
    tid = rows.trace_id
    if traces.size == 0:
        raise ValueError("traces must not be empty")
    if np.any(np.diff(tid) < 0):
        raise ValueError("rows must be ordered by trace (as build_dataset returns them)")
    start = np.searchsorted(tid, traces, side="left")
    stop = np.searchsorted(tid, traces, side="right")
    if np.any(stop == start):
        raise ValueError("a trace id has no rows")
    idx = np.concatenate([np.arange(a, b) for a, b in zip(start, stop)])
    x, y = rows.column(column)[idx], rows.epochs_remaining[idx]
    ok = np.isfinite(x)
    return float(sps.spearmanr(x[ok], y[ok]).statistic)


class InitPredictability(NamedTuple):
    """Can slow convergence be predicted from the initial parameters alone? (001, 5.2.3)"""

    auc: dict[str, float]  # classifier -> ROC AUC of its out-of-fold probabilities (or rule score)
    fold_auc: dict[str, np.ndarray]  # classifier -> (K,)
    threshold: float  # median epochs; "slow" means epochs > threshold
    n_slow: int
    n_traces: int
    scores: dict[str, np.ndarray] | None = None  # classifier -> (B,) out-of-fold score per trace
    label: np.ndarray | None = None  # (B,) 1 = slow


@_single_threaded_blas
def initial_state_predictability(traces: Traces, *, random_state: int, n_splits: int = 5) -> InitPredictability:
    """ROC AUC of classifiers of "slow" (epochs above the median) from the initial (w0, w1, b).

    One row per trace (traces are independent, so stratified K-fold over traces is already
    leak-free). Classifiers: ``logistic`` (standardised logistic regression: linear boundary)
    and ``gradient_boosting`` (``GradientBoostingClassifier``: any boundary, e.g. the cone
    ``|b| > |w0 - w1|`` of the spurious basin). For reference, ``cone_rule`` scores each trace
    by ``|b| - |w0 - w1|`` without fitting (positive exactly in the spurious regions, see
    :func:`region_minimum`). AUC 0.5 = no information.
    """
    epochs = traces.epochs
    threshold = float(np.median(epochs))
    label = (epochs > threshold).astype(int)
    n_slow = int(label.sum())
    if n_slow < n_splits or label.size - n_slow < n_splits:
        raise ValueError(f"need >= {n_splits} slow and fast traces for {n_splits}-fold CV, "
                         f"got {n_slow} slow of {label.size}")
    X = traces.init_params
    splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=_seed(random_state, "folds"))
    splits = list(splitter.split(X, label))
    models = {
        "logistic": Pipeline([("scale", StandardScaler()), ("model", LogisticRegression())]),
        "gradient_boosting": GradientBoostingClassifier(random_state=_seed(random_state, "gb")),
    }
    scores = {name: cross_val_predict(model, X, label, cv=splits, method="predict_proba")[:, 1]
              for name, model in models.items()}
    scores["cone_rule"] = np.abs(X[:, 2]) - np.abs(X[:, 0] - X[:, 1])  # no fitting
    auc = {name: float(roc_auc_score(label, score)) for name, score in scores.items()}
    fold_auc = {name: np.array([roc_auc_score(label[te], score[te]) for _, te in splits])
                for name, score in scores.items()}
    return InitPredictability(auc, fold_auc, threshold, n_slow, int(label.size), scores, label)


def activation_patterns(params: np.ndarray) -> np.ndarray:
    """Sign pattern of the 4 pre-activations ``w.x_n + b`` (``>= 0``): (..., P) -> (..., 4) bool."""
    X = _data(torch.float64).X.numpy()  # (4, 2)
    params = np.asarray(params, dtype=np.float64)
    z = params[..., :2] @ X.T + params[..., 2:3]  # (..., 4)
    return z >= 0


def relevant_samples() -> np.ndarray:
    """(4,) bool: samples whose sign shapes the landscape, those with a non-zero target.

    For a target of 0 the loss term is ``|z|^2 = z^2`` whatever the sign of ``z``, so only the
    signs of the samples with target 1 delimit the quadratic regions.
    """
    return _data(torch.float64).Y.numpy()[:, 0] != 0


def pattern_switches(traces: Traces) -> np.ndarray:
    """(B,) number of changes of the relevant activation pattern along each trace (states
    ``0..epochs[b]``; see :func:`relevant_samples`)."""
    pat = activation_patterns(traces.params)[..., relevant_samples()]  # (T+1, B, 2)
    changed = (pat[1:] != pat[:-1]).any(axis=-1)  # (T, B)
    t = np.arange(changed.shape[0])[:, None]
    return (changed & (t < traces.epochs[None, :])).sum(axis=0).astype(np.int64)


class KruskalResult(NamedTuple):
    """Kruskal-Wallis of residual epochs across groups (groups smaller than min_size dropped)."""

    statistic: float  # NaN when fewer than 2 groups remain
    p_value: float
    labels: tuple[str, ...]
    sizes: tuple[int, ...]


def _kruskal(residual: np.ndarray, labels: np.ndarray, min_size: int) -> KruskalResult:
    keys, counts = np.unique(labels, return_counts=True)
    keep = [k for k, c in zip(keys, counts) if c >= min_size]
    samples = [residual[labels == k] for k in keep]
    sizes = tuple(len(s) for s in samples)
    if len(samples) < 2 or np.ptp(np.concatenate(samples)) == 0:
        return KruskalResult(math.nan, math.nan, tuple(str(k) for k in keep), sizes)
    res = sps.kruskal(*samples)
    return KruskalResult(float(res.statistic), float(res.pvalue), tuple(str(k) for k in keep), sizes)


def _ols_residual(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    A = np.column_stack([np.ones_like(x), x])
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    return y - A @ coef


class TrajectoryDivergence(NamedTuple):
    """Do different paths to the same solution take predictably different times? (001, 5.2.2)"""

    by_path: KruskalResult  # within-solution residuals across path classes (pattern switches)
    by_solution: KruskalResult  # residuals of one global fit across solution groups
    r2_log_distance: float  # within-solution R² of epochs on log initial distance alone
    r2_with_path: float  # ... plus path-class dummies (in-sample OLS)
    solution: np.ndarray  # (B_used,) solution label per trace
    switches: np.ndarray  # (B_used,) pattern switches per trace
    residual: np.ndarray  # (B_used,) within-solution residual epochs
    used: np.ndarray  # (B,) bool: traces that stopped on a convergence criterion


def trajectory_divergence(traces: Traces, *, decimals: int = 2, min_group_size: int = 5) -> TrajectoryDivergence:
    """Paths vs time at equal initial distance, among traces that converged.

    Solution of a trace: its final parameters rounded to ``decimals`` (e.g. ``(0.5, -0.5, 0)``,
    or the spurious ``(0, 0, 0.5)`` for gradient-norm stops). Path class: how many times its
    relevant activation pattern (:func:`pattern_switches`) changes on the way; with the landscape
    of the module docstring a trace that never switches contracts geometrically to its
    solution, so its epochs are a function of ``log(initial distance)`` alone, and a switch is
    the only way for a path to take a different time. Test: regress epochs on
    log(initial distance) within each solution (OLS), then Kruskal-Wallis of the residuals
    across path classes (``by_path``), and the residuals of one global fit across solutions
    (``by_solution``). Traces stopped by the cap (censored epochs) are left out (``used``).
    """
    decimals = _check_int("decimals", decimals, 0)
    used = _converged(traces.reasons)
    if used.sum() < 3:
        raise ValueError(f"need >= 3 converged traces, got {int(used.sum())}")
    final = traces.final_params[used]
    init = traces.init_params[used]
    epochs = traces.epochs[used].astype(np.float64)
    d0 = np.linalg.norm(init - final, axis=1)
    if not (d0 > 0).all():
        raise ValueError("a trace starts at its final state (distance 0): drop 0-epoch traces")
    logd = np.log(d0)
    rounded = np.round(final, decimals) + 0.0  # + 0.0 turns -0.0 into 0.0
    solution = np.array([str(tuple(float(v) for v in r)) for r in rounded])
    switches = pattern_switches(traces)[used]
    residual = np.empty_like(epochs)
    ss_res0 = ss_res1 = ss_tot = 0.0
    for s in np.unique(solution):
        m = solution == s
        residual[m] = _ols_residual(logd[m], epochs[m]) if m.sum() >= 2 else 0.0
        ss_tot += float(((epochs[m] - epochs[m].mean()) ** 2).sum())
        ss_res0 += float((residual[m] ** 2).sum())
        dummies = (switches[m][:, None] == np.unique(switches[m])[None, :]).astype(float)
        A = np.column_stack([logd[m], dummies])
        coef, *_ = np.linalg.lstsq(A, epochs[m], rcond=None)
        ss_res1 += float(((epochs[m] - A @ coef) ** 2).sum())
    global_resid = _ols_residual(logd, epochs)
    r2_0 = 1 - ss_res0 / ss_tot if ss_tot > 0 else math.nan
    r2_1 = 1 - ss_res1 / ss_tot if ss_tot > 0 else math.nan
    return TrajectoryDivergence(
        by_path=_kruskal(residual, switches.astype(str), min_group_size),
        by_solution=_kruskal(global_resid, solution, min_group_size),
        r2_log_distance=r2_0,
        r2_with_path=r2_1,
        solution=solution,
        switches=switches,
        residual=residual,
        used=used,
    )


class HeatmapGrid(NamedTuple):
    """Predicted epochs remaining over the (w0, w1) plane at fixed b (001, 5.3)."""

    w0: np.ndarray  # (N0,)
    w1: np.ndarray  # (N1,)
    b: float
    final: np.ndarray | None  # (P,) the final state the features are measured against; None: raw state
    predicted: np.ndarray  # (N1, N0): row i is w1[i], column j is w0[j]


@_single_threaded_blas
def heatmap_grid(model: BaseEstimator, *, final: np.ndarray | None, w0: np.ndarray | None = None,
                 w1: np.ndarray | None = None, b: float | None = None) -> HeatmapGrid:
    """Predictions of a fitted model on a grid of current states ``(w0, w1, b)``.

    ``final`` (P,): the converged state (e.g. ``(0.5, -0.5, 0)``) for an 18-feature model;
    ``None`` for a model of the raw state ``(w0, w1, b)`` alone (research question 1 of 001:
    a prediction before the final state is known). ``b`` defaults to ``final[2]`` (0 when
    ``final`` is None). Grids default to 60 points on [-1, 1] (an even count, so the zero
    vector, whose cosine distance is undefined, is not on the grid when b = 0).
    """
    if final is not None:
        final = np.asarray(final, dtype=np.float64)
        if final.shape != (N_PARAMS,):
            raise ValueError(f"final must have shape ({N_PARAMS},), got {final.shape}")
    w0 = np.linspace(-1.0, 1.0, 60) if w0 is None else np.asarray(w0, dtype=np.float64)
    w1 = np.linspace(-1.0, 1.0, 60) if w1 is None else np.asarray(w1, dtype=np.float64)
    if w0.ndim != 1 or w1.ndim != 1 or w0.size == 0 or w1.size == 0:
        raise ValueError("w0 and w1 must be non-empty 1-D arrays")
    b = (0.0 if final is None else float(final[2])) if b is None else float(b)
    g0, g1 = np.meshgrid(w0, w1)  # (N1, N0)
    current = np.column_stack([g0.ravel(), g1.ravel(), np.full(g0.size, b)])  # (N1*N0, P)
    if final is None:
        X = current
    else:
        X, _ = feat.extract_features(current, np.broadcast_to(final, current.shape))
    return HeatmapGrid(w0, w1, b, final, model.predict(X).reshape(g0.shape))


def predicted_heatmap(rows: Rows, name: str, *, random_state: int, final: np.ndarray | None, b: float | None = None,
                      fast: bool = True) -> HeatmapGrid:
    """001 5.3: model class ``name`` fitted on all ``rows``, predicting over the (w0, w1) plane.

    ``rows`` holds the 18 features when ``final`` is given and the raw state when it is None
    (see :func:`heatmap_grid`).
    """
    return heatmap_grid(fit_model(rows, name, random_state=random_state, fast=fast), final=final, b=b)


def feature_importances(rows: Rows, *, random_state: int, fast: bool = True) -> dict[str, float]:
    """Impurity importance of each feature in a random forest fitted on all ``rows`` (000 7.2's figure)."""
    model = fit_model(rows, "random_forest", random_state=random_state, fast=fast)
    return dict(zip(rows.feature_names, model.feature_importances_.tolist()))
