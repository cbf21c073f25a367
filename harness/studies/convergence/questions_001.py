"""The questions of source 001 (its proposal): Markov property (1.2), gradient alignment (5.2.1),
trajectory analysis (5.2.2), slow convergence from the initialisation (5.2.3) and the
parameter-space heatmap (5.3).

What this is: pure functions of a trace protocol, traces or rows that return plain numbers for
the claims of source 001. What this is not: a verdict (``harness.evidence.rules``).

Shapes: ``B`` traces, ``R`` rows, ``P = 3`` parameters, ``K`` folds.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import torch
from scipy import stats as sps
from sklearn.base import BaseEstimator
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from harness.seeds import numpy_generator
from harness.studies.convergence import features as feat
from harness.studies.convergence import regression as reg
from harness.studies.convergence.dataset import Rows
from harness.studies.convergence.tables import _seed, fit_model
from harness.studies.convergence.traces import (
    N_PARAMS,
    TraceProtocol,
    Traces,
    _check_int,
    _child,
    _converged,
    _data,
    _train,
    generate_traces,
)


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
    idx = np.concatenate([np.arange(a, b) for a, b in zip(start, stop, strict=True)])
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


@reg.single_threaded()
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
        raise ValueError(
            f"need >= {n_splits} slow and fast traces for {n_splits}-fold CV, got {n_slow} slow of {label.size}"
        )
    X = traces.init_params
    splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=_seed(random_state, "folds"))
    splits = list(splitter.split(X, label))
    models = {
        "logistic": Pipeline([("scale", StandardScaler()), ("model", LogisticRegression())]),
        "gradient_boosting": GradientBoostingClassifier(random_state=_seed(random_state, "gb")),
    }
    scores = {
        name: cross_val_predict(model, X, label, cv=splits, method="predict_proba")[:, 1]
        for name, model in models.items()
    }
    scores["cone_rule"] = np.abs(X[:, 2]) - np.abs(X[:, 0] - X[:, 1])  # no fitting
    auc = {name: float(roc_auc_score(label, score)) for name, score in scores.items()}
    fold_auc = {
        name: np.array([roc_auc_score(label[te], score[te]) for _, te in splits]) for name, score in scores.items()
    }
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
    keep = [k for k, c in zip(keys, counts, strict=True) if c >= min_size]
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


@reg.single_threaded()
def heatmap_grid(
    model: BaseEstimator,
    *,
    final: np.ndarray | None,
    w0: np.ndarray | None = None,
    w1: np.ndarray | None = None,
    b: float | None = None,
) -> HeatmapGrid:
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


def predicted_heatmap(
    rows: Rows, name: str, *, random_state: int, final: np.ndarray | None, b: float | None = None, fast: bool = True
) -> HeatmapGrid:
    """001 5.3: model class ``name`` fitted on all ``rows``, predicting over the (w0, w1) plane.

    ``rows`` holds the 18 features when ``final`` is given and the raw state when it is None
    (see :func:`heatmap_grid`).
    """
    return heatmap_grid(fit_model(rows, name, random_state=random_state, fast=fast), final=final, b=b)
