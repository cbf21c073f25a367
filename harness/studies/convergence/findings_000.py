"""The analyses of source 000 beyond table 2.1: norms (3.2-3.3), distance forms (3.1), gains
beyond distance (4.1, 6.1), feature families (7.2) and smart initialisation (5.1).

What this is: pure functions of the regression rows (or of a trace protocol, for 5.1) that
return plain numbers and fold scores for the claims of source 000. What this is not: the
table of model classes (``tables``) or a verdict (``harness.evidence.rules``).

Shapes: ``R`` rows, ``K`` folds, ``B`` traces.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import torch
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from harness.engine.losses import member_mse
from harness.engine.models import get_model
from harness.engine.rng import torch_generator
from harness.studies.convergence import regression as reg
from harness.studies.convergence.dataset import Rows
from harness.studies.convergence.tables import _seed, fit_model, table_model
from harness.studies.convergence.traces import (
    MODEL_NAME,
    TraceProtocol,
    _check_int,
    _check_positive_finite,
    _child,
    _converged,
    _data,
    _train,
    draw_inits,
)

BEYOND_DISTANCE_FEATURES: tuple[str, ...] = ("loss", "grad_norm", "alignment")
"""Per-row quantities tested for predictive power beyond distance (source 000, 4.1 and 6.1)."""


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
    oof_pred: dict[str, np.ndarray]  # subset name -> (R,) out-of-fold predictions, same folds


@reg.single_threaded()
def feature_family_ablation(
    rows: Rows, *, random_state: int, grouped: bool = True, model: str = "linear_regression", n_splits: int = 10
) -> Ablation:
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
    pooled, folds, oof = {}, {}, {}
    for key, names in subsets.items():
        idx = [all_names.index(n) for n in names]
        estimator = table_model(model, random_state=_seed(random_state, "model", model), fast=False)
        cv = reg.cv_r2(estimator, rows.features[:, idx], y, groups=groups, n_splits=n_splits, random_state=random_state)
        pooled[key], folds[key], oof[key] = cv.pooled_r2, cv.fold_r2, cv.oof_pred
    return Ablation(pooled, folds, subsets, oof)


@reg.single_threaded()
def distance_form_comparison(
    rows: Rows, *, random_state: int, n_splits: int = 10, distance: str = "l2_distance"
) -> reg.FormComparison:
    """``regression.compare_forms`` of ``epochs_remaining = f(distance)`` (linear, log, power),
    GroupKFold by trace. Needs rows built with ``include_final=False`` (distances > 0)."""
    d = rows.column(distance)
    if not (d > 0).all():
        raise ValueError("distances must be > 0: build the rows with include_final=False")
    return reg.compare_forms(
        d, rows.epochs_remaining.astype(np.float64), groups=rows.trace_id, n_splits=n_splits, random_state=random_state
    )


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
    oof_small: np.ndarray  # (R,) out-of-fold predictions of the small model
    oof_big: np.ndarray  # (R,) ... of the big model (same folds)


def _baseline_columns(rows: Rows, kind: str) -> tuple[np.ndarray, tuple[str, ...]]:
    d = rows.l2_distance
    if kind == "linear":
        return d[:, None], ("l2_distance",)
    if kind == "flexible":
        return np.column_stack([d, np.log(d), d**2]), ("l2_distance", "log_l2_distance", "l2_distance_sq")
    raise ValueError(f"unknown baseline {kind!r}")


@reg.single_threaded()
def beyond_distance_gain(
    rows: Rows, *, random_state: int, n_splits: int = 10, added: Sequence[str] = BEYOND_DISTANCE_FEATURES
) -> dict[str, GainResult]:
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
        out[kind] = GainResult(
            names,
            added,
            f,
            p,
            df,
            cv_s.pooled_r2,
            cv_b.pooled_r2,
            cv_b.fold_r2 - cv_s.fold_r2,
            cv_s.oof_pred,
            cv_b.oof_pred,
        )
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


def smart_init_experiment(
    protocol: TraceProtocol, *, n_candidates: int = 1000, keep_fraction: float = 0.1, seed_seq: np.random.SeedSequence
) -> SmartInit:
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


def feature_importances(rows: Rows, *, random_state: int, fast: bool = True) -> dict[str, float]:
    """Impurity importance of each feature in a random forest fitted on all ``rows`` (000 7.2's figure)."""
    model = fit_model(rows, "random_forest", random_state=random_state, fast=fast)
    return dict(zip(rows.feature_names, model.feature_importances_.tolist(), strict=True))
