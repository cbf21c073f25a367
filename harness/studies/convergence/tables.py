"""Table 2.1 of source 000: the 11 model classes cross-validated on the regression rows.

What this is: :func:`model_table` (R² per fold, pooled R² with a bootstrap CI, MSE, MAE and
out-of-fold predictions of each model class, under the document's KFold over rows or leak-free
GroupKFold by trace), the fast estimators of the quick tier (:func:`table_model`), one model
fitted on all rows (:func:`fit_model`) and fixed-prediction bootstrap replicates of R²
(:func:`bootstrap_r2_replicates`, 7.3). What this is not: the estimators' definitions
(``regression``) or a verdict (``harness.evidence.rules``).

Shapes: ``R`` rows, ``F`` features, ``K`` folds.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from harness.seeds import numpy_generator, seed_sequence
from harness.studies.convergence import regression as reg
from harness.studies.convergence.dataset import Rows
from harness.studies.convergence.traces import _check_int

FAST_RF_TREES = 20  # random forest trees in ``fast`` mode (default 100): R² unchanged to 4 decimals
FAST_GB_TREES = 50  # gradient boosting stages in ``fast`` mode (default 100): R² ~0.002 lower
FAST_MLP_MAX_ITER = 50  # MLP Adam epochs in ``fast`` mode (default 1000): MLPs underfit, R² lower


class ModelScore(NamedTuple):
    """Cross-validated score of one model class of table 2.1."""

    pooled_r2: float  # R² of all out-of-fold predictions
    fold_r2: np.ndarray  # (K,)
    ci: reg.R2Interval  # bootstrap CI of pooled R² (rows, or whole traces when grouped)
    mse: float
    mae: float
    oof_pred: np.ndarray  # (R,)
    seconds: float  # wall time of the cross-validation (fit + predict, all folds)
    test_fold: np.ndarray  # (R,) index of the fold that held each row out
    chosen: tuple[dict, ...] | None = None  # a tuned model's hyperparameters per fold (regression.tuned)


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


def table_model(name: str, *, random_state: int, fast: bool, grouped: bool = False) -> BaseEstimator:
    """Unfitted estimator of table 2.1: ``regression.make_model`` defaults, tuned by nested CV where
    ``regression.TUNING_GRIDS`` has a grid (inner folds of the kind ``grouped`` says), or in ``fast`` mode

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
    if name in reg.TUNING_GRIDS:
        base = reg.make_model(name, random_state=random_state)
        return reg.tuned(name, base, grouped=grouped, random_state=random_state)
    if not fast:
        return reg.make_model(name, random_state=random_state)
    if name == "random_forest":
        return reg.make_model(name, random_state=random_state, n_estimators=FAST_RF_TREES)
    if name == "gradient_boosting":
        return reg.make_model(name, random_state=random_state, n_estimators=FAST_GB_TREES)
    if name in ("mlp_3layer", "mlp_2layer"):
        return reg.make_model(name, random_state=random_state, max_iter=FAST_MLP_MAX_ITER)
    if name == "linear_kernel":
        return Pipeline([("scale", StandardScaler()), ("model", Ridge(alpha=reg.KERNEL_ALPHA, fit_intercept=False))])
    return reg.make_model(name, random_state=random_state)


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
    cross-validation time. BLAS and OpenMP run single-threaded (``regression.single_threaded``).
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
        estimator = table_model(name, random_state=_seed(random_state, "model", name), fast=fast, grouped=grouped)
        start = time.perf_counter()
        with warnings.catch_warnings(), reg.single_threaded():
            if fast:
                warnings.simplefilter("ignore", category=ConvergenceWarning)
            cv = reg.cv_r2(estimator, rows.features, y, groups=groups, n_splits=n_splits, random_state=random_state)
        seconds = time.perf_counter() - start
        ci = reg.bootstrap_r2_ci(
            y,
            cv.oof_pred,
            groups=groups,
            n_resamples=n_resamples,
            alpha=alpha,
            method=ci_method,
            rng=numpy_generator(seed_sequence(int(random_state), "bootstrap", name)),
        )
        resid = y - cv.oof_pred
        scores[name] = ModelScore(
            cv.pooled_r2,
            cv.fold_r2,
            ci,
            float(np.mean(resid**2)),
            float(np.mean(np.abs(resid))),
            cv.oof_pred,
            seconds,
            cv.test_fold,
            cv.chosen,
        )
    return ModelTable(scores, bool(grouped), bool(fast), rows.n_rows, rows.n_traces)


def fit_model(rows: Rows, name: str, *, random_state: int, fast: bool = False) -> BaseEstimator:
    """One model class of table 2.1 fitted on all rows (18 features -> epochs remaining)."""
    estimator = table_model(name, random_state=_seed(random_state, "model", name), fast=fast)
    with warnings.catch_warnings(), reg.single_threaded():
        if fast:
            warnings.simplefilter("ignore", category=ConvergenceWarning)
        return estimator.fit(rows.features, rows.epochs_remaining.astype(np.float64))


def bootstrap_r2_replicates(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    *,
    groups: np.ndarray | None = None,
    n_resamples: int,
    rng: np.random.Generator,
) -> np.ndarray:
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
    sums = np.stack(
        [
            np.bincount(codes, weights=w, minlength=g)
            for w in (np.ones_like(y_true), y_true, y_true**2, (y_true - y_pred) ** 2)
        ]
    )  # (4, G)
    draws = rng.integers(0, g, size=(n_resamples, g))  # (n_resamples, G) unit indices
    n, s_y, s_yy, s_res = sums[:, draws].sum(axis=-1)  # each (n_resamples,)
    ss_tot = s_yy - s_y**2 / n
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1.0 - s_res / ss_tot


# --------------------------------------------------------------------------------------------
# Out-of-fold results summed per trace (the units of harness.evidence.rules.cv_by_units)
# --------------------------------------------------------------------------------------------

SUM_COLUMNS = 3  # rows, sum y, sum y² (then one sum of squared errors per prediction)


def trace_sums(
    y: np.ndarray,
    trace_id: np.ndarray,
    preds: Sequence[np.ndarray],
    *,
    test_fold: np.ndarray | None = None,
    n_splits: int | None = None,
) -> np.ndarray:
    """Per-trace sums of out-of-fold results: (R,), (R,), M x (R,) -> (B, 3 + M).

    Columns: rows, sum of y, sum of y², then the sum of squared errors ``(y - pred_m)²`` of each
    prediction. With ``test_fold`` (R,) and ``n_splits`` K: the same columns for each fold, fold
    after fold, (B, K (3 + M)) (a trace has rows in several folds under KFold over rows). Traces
    are the independent units of a cross-validation of this study's rows.
    """
    y = np.asarray(y, dtype=np.float64)
    trace_id = np.asarray(trace_id)
    preds = [np.asarray(p, dtype=np.float64) for p in preds]
    if y.ndim != 1 or trace_id.shape != y.shape or any(p.shape != y.shape for p in preds) or not preds:
        raise ValueError("y, trace_id and every prediction must share one (R,) shape; need >= 1 prediction")
    if (test_fold is None) != (n_splits is None):
        raise ValueError("give test_fold and n_splits together")
    codes = np.unique(trace_id, return_inverse=True)[1]
    n_units = int(codes.max()) + 1 if codes.size else 0
    columns = [np.ones_like(y), y, y**2] + [(y - p) ** 2 for p in preds]
    if test_fold is None or n_splits is None:  # both None (given together, checked above)
        return np.stack([np.bincount(codes, weights=c, minlength=n_units) for c in columns], axis=1)
    test_fold = np.asarray(test_fold)
    if test_fold.shape != y.shape or test_fold.min() < 0 or test_fold.max() >= n_splits:
        raise ValueError(f"test_fold must be (R,) fold indices in [0, {n_splits})")
    cell = codes * n_splits + test_fold  # (R,) unit-major, then fold
    per_cell = np.stack([np.bincount(cell, weights=c, minlength=n_units * n_splits) for c in columns], axis=1)
    return per_cell.reshape(n_units, n_splits * len(columns))


def _r2(sums: np.ndarray, sse: int) -> np.ndarray:
    """R² from summed columns (..., 3 + M): 1 - SSE_m / (sum y² - (sum y)² / n)."""
    n, s_y, s_yy = sums[..., 0], sums[..., 1], sums[..., 2]
    return 1.0 - sums[..., SUM_COLUMNS + sse] / (s_yy - s_y**2 / n)


def _named(
    statistic: Callable[[np.ndarray], np.ndarray], call: str, support: tuple[float, float] = (-math.inf, math.inf)
) -> Callable[[np.ndarray], np.ndarray]:
    """``statistic``, named by the call that rebuilds it (the rules' capture records the name), with the
    range of values it can take as ``support`` (``cv_by_units`` keeps its interval inside it)."""
    statistic.__name__ = statistic.__qualname__ = call
    statistic.support = support  # type: ignore[attr-defined]
    return statistic


def r2_statistic(model: int, minus: int | None = None) -> Callable[[np.ndarray], np.ndarray]:
    """Statistic on :func:`trace_sums` columns: pooled R² of prediction ``model`` (minus that of ``minus``)."""
    if minus is None:
        return _named(lambda sums: _r2(sums, model), f"r2_statistic({model})", support=(-math.inf, 1.0))
    return _named(lambda sums: _r2(sums, model) - _r2(sums, minus), f"r2_statistic({model}, minus={minus})")


def mse_gap_statistic(model: int, other: int) -> Callable[[np.ndarray], np.ndarray]:
    """Statistic on :func:`trace_sums` columns: MSE of prediction ``model`` minus MSE of ``other``."""
    return _named(
        lambda sums: (sums[..., SUM_COLUMNS + model] - sums[..., SUM_COLUMNS + other]) / sums[..., 0],
        f"mse_gap_statistic({model}, {other})",
    )


def fold_r2_sd_statistic(model: int, *, n_predictions: int, n_splits: int) -> Callable[[np.ndarray], np.ndarray]:
    """Statistic on per-fold :func:`trace_sums` columns: SD (ddof 1) over the folds of each fold's R²
    of prediction ``model`` (``n_predictions`` predictions were summed)."""
    width = SUM_COLUMNS + n_predictions

    def statistic(sums: np.ndarray) -> np.ndarray:
        per_fold = sums.reshape(*sums.shape[:-1], n_splits, width)  # (..., K, 3 + M)
        return np.std(_r2(per_fold, model), axis=-1, ddof=1)

    call = f"fold_r2_sd_statistic({model}, n_predictions={n_predictions}, n_splits={n_splits})"
    return _named(statistic, call, support=(0.0, math.inf))
