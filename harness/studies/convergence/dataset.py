"""The regression data set of source 000 (1.2-1.3): one row per recorded state before the stop.

What this is: :func:`build_dataset` turns :class:`~harness.studies.convergence.traces.Traces`
into :class:`Rows` (the 18 features, the target epochs remaining, and the per-row loss,
gradient, alignment and distances that source 001's questions use). What this is not: the
features themselves (``features``) or any model fitted on the rows (``tables``).

Shapes: ``R`` rows (recorded states), ``F`` features, ``P = 3`` parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from harness.engine.losses import member_mse
from harness.engine.models import get_model
from harness.studies.convergence import features as feat
from harness.studies.convergence.traces import MODEL_NAME, N_PARAMS, Traces, _data


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
        raise ValueError(
            f"current, final, grad must share one (R, P) shape, got {current.shape}, {final.shape}, {grad.shape}"
        )
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
