"""Regression models and honest validation for "predict epochs remaining from parameter state".

What this is: the 11 model classes of table 2.1 of source 000 as scikit-learn estimators
(:func:`make_model`), cross-validated R² by rows (the document's protocol) or by trace
(leak-free, :func:`cv_r2`), a bootstrap CI of R² (:func:`bootstrap_r2_ci`), a nested OLS
F-test (:func:`nested_f_test`) and a held-out comparison of functional forms for
``epochs_remaining = f(distance)`` (:func:`compare_forms`). What this is not: feature
construction (``harness.studies.convergence.features``) or verdict rules (``harness.evidence.rules``).

Shapes: ``R`` rows, ``F`` features, ``K`` folds, ``G`` groups (traces).

Choices where table 2.1 names a model class but not an estimator (source 000 says only
"Custom implementation for kernel methods"):

* ``rbf_kernel``: ``KernelRidge(kernel="rbf", alpha=1e-3)`` on standardised features, its width
  ``gamma`` tuned by nested cross-validation (:data:`TUNING_GRIDS`, :func:`tuned`): the document
  reports tuned models, and the untuned default ``gamma = 1 / F`` (R² 0.91 against the table's
  0.9992) was a choice of ours, not of the document. Kernel ridge rather than SVR: it is the same
  estimator family as ``linear_kernel`` (source 001, 4.2 lists "RBF, polynomial, and linear
  kernels" together), closed-form and deterministic, and has no target-scale ``epsilon`` to tune.
* ``linear_kernel``: ``KernelRidge(kernel="linear", alpha=1e-3)`` on standardised features.
  Kernel ridge fits **no intercept**, so with targets of mean ~17 it cannot fit the offset;
  this is the plain kernel method, kept as such because it is one plausible mechanism for the
  table's R² = -105.68 ("Complete failure"), which a claim can then test. The same holds for
  ``rbf_kernel``: its predictions decay to 0 away from the training rows (which matters under
  GroupKFold). A claim wanting an intercept composes
  ``TransformedTargetRegressor(make_model(...), transformer=StandardScaler())``.
* ``mlp_3layer`` / ``mlp_2layer``: "layers" counted as weight layers, so 2 and 1 hidden
  layers of 64 ReLU units (``MLPRegressor``, Adam, standardised features, raw targets).
* ``poly2`` / ``poly3``: ridge regression on all monomials up to that degree of the standardised
  features, the monomials standardised too, the penalty tuned by nested cross-validation
  (:data:`TUNING_GRIDS`). Source 001 says only "includes squared and cubic terms"; unpenalised
  OLS on the 1,329 cubic monomials of 18 collinear features is numerically unstable (out-of-fold
  R² -1.65 from a few wild predictions), which a practitioner would regularise rather than report.
* ``log_linear``: ``log(epochs) = linear``, fitted as OLS on ``log1p(y)`` and predicted with
  ``expm1`` (``TransformedTargetRegressor``). ``log1p`` because ``epochs_remaining`` is 0 at
  the final state when ``include_final=True``; for targets >= 1 it differs from ``log`` only
  by the shift of 1.
* ``exponential``: ``epochs = exp(linear)`` fitted as a Poisson GLM with log link
  (``PoissonRegressor``, ``alpha=1e-6`` ridge only for numerical stability on the
  rank-deficient 18-feature matrix). Same mean function as nonlinear least squares on
  ``exp(Xb)``, but the objective is convex (no starting-point dependence), admits y = 0, and
  suits a count target; the difference from NLS is the weighting (Poisson deviance weights
  residuals by ``1 / mean``). It differs from ``log_linear``, which models ``E[log y]``.
* ``linear_regression``: ``LinearRegression`` (OLS with intercept; minimum-norm solution on
  the rank-deficient feature matrix, so predictions are well defined).
* ``gradient_boosting`` / ``random_forest``: sklearn defaults (100 trees) unless
  ``n_estimators`` is given; no scaling (trees are scale invariant).

Every estimator with randomness receives the explicit integer ``random_state``.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator, Sequence
from typing import NamedTuple

import numpy as np
import statsmodels.api as sm
from scipy import stats
from sklearn.base import BaseEstimator, clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
from sklearn.kernel_ridge import KernelRidge
from sklearn.linear_model import LinearRegression, PoissonRegressor, Ridge
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV, GroupKFold, KFold, cross_val_predict
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    PolynomialFeatures,
    StandardScaler,
)
from statsmodels.tools.sm_exceptions import SingularMatrixWarning
from threadpoolctl import threadpool_limits

MODEL_NAMES: tuple[str, ...] = (
    "gradient_boosting",
    "random_forest",
    "rbf_kernel",
    "mlp_3layer",
    "mlp_2layer",
    "linear_regression",
    "poly2",
    "poly3",
    "log_linear",
    "exponential",
    "linear_kernel",
)
"""The 11 model classes of table 2.1 of source 000, in the table's (rank) order."""


@contextlib.contextmanager
def single_threaded() -> Iterator[None]:
    """BLAS and OpenMP limited to one thread inside (restored afterwards); also a decorator.

    The fits of this study are small (thousands of rows, <= 1,330 columns). On the shared 2-core
    machine BLAS's second thread made a 3,000 x 18 least-squares fit ~15x slower (0.04 s vs
    0.003 s), the fast-mode ``rbf_kernel``, ``poly2`` and ``poly3`` rows of one 100-trace table
    took 117 s with default threads and 13 s with one (identical R²), and scikit-learn's OpenMP
    loss kernels made a 10-fold Poisson GLM (``exponential``) take 3-6 s instead of 0.1 s. One
    thread also keeps the results independent of the core count.
    """
    with threadpool_limits(limits=1):
        yield


KERNEL_ALPHA = 1e-3  # ridge penalty of both kernel models
MLP_WIDTH = 64  # hidden units per layer of both MLPs
POLY_ALPHA = 1.0  # ridge penalty of the polynomial models before tuning
# Hyperparameter grids searched by nested cross-validation (``tuned``): the RBF kernel's width
# from 1 / F (F = 18 features: 0.056) down by two decades, and the polynomials' ridge penalty over
# five. A first grid (width 0.003-0.1, penalty 0.1-100) had its choice on an edge under GroupKFold
# (width 0.003, penalty 100 in every fold on the first quick run), so each was extended by a decade there.
TUNING_GRIDS: dict[str, dict[str, tuple[float, ...]]] = {
    "rbf_kernel": {"model__gamma": (0.001, 0.003, 0.01, 0.03, 0.1)},
    "poly2": {"model__alpha": (0.1, 1.0, 10.0, 100.0, 1000.0)},
    "poly3": {"model__alpha": (0.1, 1.0, 10.0, 100.0, 1000.0)},
}
INNER_SPLITS = 3  # folds of the inner cross-validation that picks the hyperparameters


def _scaled(model: BaseEstimator) -> Pipeline:
    return Pipeline([("scale", StandardScaler()), ("model", model)])


def make_model(
    name: str,
    *,
    random_state: int,
    n_estimators: int = 100,
    max_iter: int = 1000,
) -> BaseEstimator:
    """Unfitted estimator for one of :data:`MODEL_NAMES` (choices: module docstring).

    Args:
        name: model class, one of :data:`MODEL_NAMES`.
        random_state: seed for estimators with randomness (trees, MLPs); ignored by the rest.
        n_estimators: trees for ``gradient_boosting`` and ``random_forest``.
        max_iter: iteration cap for the MLPs and the ``exponential`` GLM solver.
    """
    if not isinstance(random_state, (int, np.integer)) or isinstance(random_state, bool):
        raise ValueError(f"random_state must be an int, got {random_state!r}")
    rs = int(random_state)
    if name == "gradient_boosting":
        return GradientBoostingRegressor(n_estimators=n_estimators, random_state=rs)
    if name == "random_forest":
        return RandomForestRegressor(n_estimators=n_estimators, random_state=rs)
    if name == "rbf_kernel":
        return _scaled(KernelRidge(kernel="rbf", alpha=KERNEL_ALPHA))
    if name in ("mlp_3layer", "mlp_2layer"):
        hidden = (MLP_WIDTH, MLP_WIDTH) if name == "mlp_3layer" else (MLP_WIDTH,)
        return _scaled(MLPRegressor(hidden_layer_sizes=hidden, max_iter=max_iter, random_state=rs))
    if name == "linear_regression":
        return _scaled(LinearRegression())
    if name in ("poly2", "poly3"):
        degree = 2 if name == "poly2" else 3
        return Pipeline(
            [
                ("scale", StandardScaler()),
                ("poly", PolynomialFeatures(degree=degree, include_bias=False)),
                ("scale_terms", StandardScaler()),
                ("model", Ridge(alpha=POLY_ALPHA)),
            ]
        )
    if name == "log_linear":
        return TransformedTargetRegressor(
            regressor=_scaled(LinearRegression()),
            func=np.log1p,
            inverse_func=np.expm1,
            check_inverse=False,
        )
    if name == "exponential":
        return _scaled(PoissonRegressor(alpha=1e-6, max_iter=max_iter))
    if name == "linear_kernel":
        return _scaled(KernelRidge(kernel="linear", alpha=KERNEL_ALPHA))
    raise ValueError(f"unknown model {name!r}; valid names: {', '.join(MODEL_NAMES)}")


def tuned(name: str, estimator: BaseEstimator, *, grouped: bool, random_state: int) -> BaseEstimator:
    """``estimator`` wrapped in a grid search over ``TUNING_GRIDS[name]`` (returned as is for a model
    without a grid): inside each outer fold of :func:`cv_r2` the search picks the hyperparameters by
    an inner ``INNER_SPLITS``-fold CV of the same kind (rows, or whole traces when ``grouped``) on
    the training rows only, so the outer score is nested and honest. Scored by R²."""
    if name not in TUNING_GRIDS:
        return estimator
    inner = make_splitter(n_splits=INNER_SPLITS, random_state=random_state, grouped=grouped)
    return GridSearchCV(estimator, {k: list(v) for k, v in TUNING_GRIDS[name].items()}, cv=inner, scoring="r2")


def _child_seeds(random_state: int, n: int) -> list[int]:
    """``n`` independent 32-bit seeds derived from one integer (splitter, model, ...)."""
    return [int(s) for s in np.random.SeedSequence(int(random_state)).generate_state(n)]


def _check_xy(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (R, F), got shape {X.shape}")
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},), got {y.shape}")
    if not (np.isfinite(X).all() and np.isfinite(y).all()):
        raise ValueError("X and y must be finite")
    return X, y


def make_splitter(*, n_splits: int, random_state: int, grouped: bool) -> KFold | GroupKFold:
    """Shuffled, seeded ``KFold`` over rows, or ``GroupKFold`` over groups when ``grouped``."""
    if grouped:
        return GroupKFold(n_splits=n_splits, shuffle=True, random_state=random_state)
    return KFold(n_splits=n_splits, shuffle=True, random_state=random_state)


def _splits(
    X: np.ndarray, y: np.ndarray, groups: np.ndarray | None, n_splits: int, random_state: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    if n_splits < 2:
        raise ValueError(f"n_splits must be >= 2, got {n_splits}")
    if groups is not None:
        groups = np.asarray(groups)
        if groups.shape != y.shape:
            raise ValueError(f"groups must have shape {y.shape}, got {groups.shape}")
        n_groups = np.unique(groups).size
        if n_groups < n_splits:
            raise ValueError(f"n_splits={n_splits} exceeds the number of groups ({n_groups})")
    elif y.shape[0] < n_splits:
        raise ValueError(f"n_splits={n_splits} exceeds the number of rows ({y.shape[0]})")
    splitter = make_splitter(n_splits=n_splits, random_state=random_state, grouped=groups is not None)
    return list(splitter.split(X, y, groups))


def _fold_r2(y: np.ndarray, pred: np.ndarray, splits: Sequence[tuple[np.ndarray, np.ndarray]]):
    # force_finite=False: a fold with constant targets gets NaN, not a made-up 0 or 1.
    return np.array([r2_score(y[te], pred[te], force_finite=False) for _, te in splits])


class CVResult(NamedTuple):
    """Out-of-fold evaluation of one model."""

    fold_r2: np.ndarray  # (K,) R² on each test fold
    oof_pred: np.ndarray  # (R,) prediction for each row from the fold that held it out
    pooled_r2: float  # R² of all out-of-fold predictions at once
    test_fold: np.ndarray  # (R,) index of the fold in which each row was held out
    chosen: tuple[dict, ...] | None = None  # a tuned model's hyperparameters picked in each fold


def cv_r2(
    model: str | BaseEstimator,
    X: np.ndarray,
    y: np.ndarray,
    *,
    groups: np.ndarray | None = None,
    n_splits: int = 10,
    random_state: int,
) -> CVResult:
    """Cross-validated R² of a model: the document's K-fold over rows, or leak-free by group.

    ``groups=None``: ``KFold(n_splits, shuffle=True)`` over rows, source 000's protocol
    (rows of the same trace land in train and test, so neighbouring states leak).
    ``groups`` given (e.g. ``trace_id``): ``GroupKFold(n_splits, shuffle=True)``, every
    group's rows held out together. A grid search (:func:`tuned`) is refitted in every fold on
    that fold's training rows (nested CV); ``CVResult.chosen`` records what it picked.

    Args:
        model: a name from :data:`MODEL_NAMES` (built with :func:`make_model` defaults) or an
            unfitted estimator (cloned; e.g. ``make_model(name, ..., n_estimators=20)``).
        X: (R, F) features. y: (R,) targets. groups: (R,) group labels or None.
        n_splits: K. random_state: two independent seeds are derived from it
            (``numpy.random.SeedSequence``), one for the splitter, one for a named model.

    Returns:
        :class:`CVResult` with per-fold R² (K,), pooled out-of-fold predictions (R,).
    """
    X, y = _check_xy(X, y)
    split_seed, model_seed = _child_seeds(random_state, 2)
    if isinstance(model, str):
        estimator = make_model(model, random_state=model_seed)
    else:
        estimator = clone(model)
    splits = _splits(X, y, groups, n_splits, split_seed)
    chosen = None
    if isinstance(estimator, GridSearchCV):
        pred, chosen = _searched_predictions(estimator, X, y, groups, splits)
    else:
        pred = cross_val_predict(estimator, X, y, cv=splits)
    test_fold = np.empty(y.shape[0], dtype=np.int64)
    for k, (_, te) in enumerate(splits):
        test_fold[te] = k
    return CVResult(
        fold_r2=_fold_r2(y, pred, splits),
        oof_pred=pred,
        pooled_r2=float(r2_score(y, pred, force_finite=False)),
        test_fold=test_fold,
        chosen=chosen,
    )


def _searched_predictions(
    search: GridSearchCV,
    X: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray | None,
    splits: Sequence[tuple[np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, tuple[dict, ...]]:
    """Out-of-fold predictions (R,) of a grid search refitted in every outer fold (nested CV), with
    the hyperparameters it picked there (the inner split sees the training rows' groups)."""
    pred = np.empty(y.shape[0])
    chosen = []
    for train, test in splits:
        fitted = clone(search).fit(X[train], y[train], groups=None if groups is None else groups[train])
        pred[test] = fitted.predict(X[test])
        chosen.append({k: float(v) for k, v in fitted.best_params_.items()})
    return pred, tuple(chosen)


class R2Interval(NamedTuple):
    """Bootstrap confidence interval for R²."""

    estimate: float  # R² on the full sample
    low: float
    high: float
    n_units: int  # resampled units: rows, or groups when groups were given
    confidence_level: float


def _r2_from_sums(n, s_y, s_yy, s_res, axis):
    n, s_y, s_yy, s_res = (a.sum(axis=axis) for a in (n, s_y, s_yy, s_res))
    ss_tot = s_yy - s_y**2 / n
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1.0 - s_res / ss_tot


def bootstrap_r2_ci(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    *,
    groups: np.ndarray | None = None,
    n_resamples: int,
    alpha: float,
    method: str = "BCa",
    rng: np.random.Generator,
) -> R2Interval:
    """Bootstrap CI (level ``1 - alpha``) of the R² of fixed predictions (scipy bootstrap).

    Resamples rows, or whole groups (cluster bootstrap: all rows of a drawn trace together)
    when ``groups`` is given. R² of a resample is computed exactly from per-unit sums
    (count, sum y, sum y², sum of squared residuals), so the statistic is vectorised and the
    BCa jackknife runs over units. The predictions are held fixed (no refit): this is the
    uncertainty of the score of these predictions, not of the fitting procedure.

    Args:
        y_true, y_pred: (R,) targets and predictions (e.g. ``CVResult.oof_pred``).
        groups: (R,) labels, or None to resample rows.
        n_resamples: bootstrap resamples. alpha: 1 - confidence level.
        method: ``"BCa"``, ``"percentile"`` or ``"basic"`` (scipy's names).
        rng: the only source of randomness.
    """
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if y_true.ndim != 1 or y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must be equal-length 1-D, got {y_true.shape}, {y_pred.shape}")
    if not (np.isfinite(y_true).all() and np.isfinite(y_pred).all()):
        raise ValueError("y_true and y_pred must be finite")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    if groups is None:
        codes = np.arange(y_true.shape[0])
    else:
        groups = np.asarray(groups)
        if groups.shape != y_true.shape:
            raise ValueError(f"groups must have shape {y_true.shape}, got {groups.shape}")
        _, codes = np.unique(groups, return_inverse=True)
    n_units = int(codes.max()) + 1 if codes.size else 0
    if n_units < 2:
        raise ValueError(f"need at least 2 resampling units, got {n_units}")
    # Per-unit sufficient statistics, each (G,).
    per_unit = [
        np.bincount(codes, minlength=n_units).astype(np.float64),
        np.bincount(codes, weights=y_true, minlength=n_units),
        np.bincount(codes, weights=y_true**2, minlength=n_units),
        np.bincount(codes, weights=(y_true - y_pred) ** 2, minlength=n_units),
    ]

    def statistic(idx: np.ndarray, axis: int = -1) -> np.ndarray:
        idx = idx.astype(np.int64)
        n, s_y, s_yy, s_res = (u[idx] for u in per_unit)
        return _r2_from_sums(n, s_y, s_yy, s_res, axis=axis)

    estimate = float(r2_score(y_true, y_pred, force_finite=False))
    res = stats.bootstrap(
        (np.arange(n_units),),
        statistic,
        n_resamples=n_resamples,
        vectorized=True,
        confidence_level=1.0 - alpha,
        method=method,
        batch=max(1, min(n_resamples, 2_000_000 // n_units)),
        rng=rng,
    )
    return R2Interval(
        estimate=estimate,
        low=float(res.confidence_interval.low),
        high=float(res.confidence_interval.high),
        n_units=n_units,
        confidence_level=1.0 - alpha,
    )


def _with_const(X: np.ndarray) -> np.ndarray:
    return np.column_stack([np.ones(X.shape[0]), X])


def nested_f_test(X_small: np.ndarray, X_big: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Nested OLS F-test: does ``X_big`` explain more of ``y`` than ``X_small``?

    Both models get an intercept. ``X_small`` (R, F_small) may have zero columns
    (intercept-only). Its column space must lie inside that of ``X_big`` (R, F_big), checked
    numerically. Uses statsmodels ``OLS(...).fit().compare_f_test``; degrees of freedom use
    matrix rank, so rank-deficient feature sets (e.g. the 18 features) are handled. Assumes
    independent, homoscedastic errors: rows of one trace are not independent, so for trace
    data this p-value is optimistic (use a grouped held-out comparison alongside).

    Returns:
        ``(F, p_value, df_diff)``.
    """
    X_small = np.asarray(X_small, dtype=np.float64)
    X_big = np.asarray(X_big, dtype=np.float64)
    if X_small.ndim == 1:
        X_small = X_small[:, None]
    if X_big.ndim == 1:
        X_big = X_big[:, None]
    X_big, y = _check_xy(X_big, y)
    if X_small.ndim != 2 or X_small.shape[0] != X_big.shape[0]:
        raise ValueError(f"X_small must be (R={X_big.shape[0]}, F), got {X_small.shape}")
    if not np.isfinite(X_small).all():
        raise ValueError("X_small must be finite")
    A_small, A_big = _with_const(X_small), _with_const(X_big)
    # Nesting: every small column is (numerically) a linear combination of the big ones.
    coef, *_ = np.linalg.lstsq(A_big, A_small, rcond=None)
    resid = np.linalg.norm(A_small - A_big @ coef, axis=0)
    scale = np.maximum(np.linalg.norm(A_small, axis=0), 1.0)
    if np.any(resid > 1e-6 * scale):
        raise ValueError("X_small is not nested in X_big (its columns are not spanned by X_big)")
    with warnings.catch_warnings():
        # Rank deficiency is expected (l1 == sum of absdiffs) and handled through the rank.
        warnings.simplefilter("ignore", category=SingularMatrixWarning)
        fit_small = sm.OLS(y, A_small).fit()
        fit_big = sm.OLS(y, A_big).fit()
    f, p, df_diff = fit_big.compare_f_test(fit_small)
    if df_diff <= 0:
        raise ValueError("X_big adds no dimensions beyond X_small (df_diff == 0)")
    return float(f), float(p), float(df_diff)


FORMS: tuple[str, ...] = ("linear", "log", "power")
"""Functional forms of :func:`compare_forms`: ``y = a + b d``, ``y = a + b log d``,
``log y = a + b log d`` (power law ``y = e^a d^b``)."""


def make_form(form: str) -> BaseEstimator:
    """Unfitted estimator for one functional form in :data:`FORMS` (input: (R, 1) distance)."""
    if form == "linear":
        return LinearRegression()
    if form == "log":
        return Pipeline([("log", FunctionTransformer(np.log)), ("model", LinearRegression())])
    if form == "power":
        return TransformedTargetRegressor(
            regressor=make_form("log"), func=np.log, inverse_func=np.exp, check_inverse=False
        )
    raise ValueError(f"unknown form {form!r}; valid forms: {', '.join(FORMS)}")


class FormComparison(NamedTuple):
    """Held-out comparison of functional forms on the original target scale."""

    forms: tuple[str, ...]
    pooled_r2: dict[str, float]  # form -> R² of all out-of-fold predictions
    fold_r2: dict[str, np.ndarray]  # form -> (K,) per-fold R², same folds for every form
    fold_mse: dict[str, np.ndarray]  # form -> (K,) per-fold mean squared error
    oof_pred: dict[str, np.ndarray]  # form -> (R,) out-of-fold predictions
    best: str  # form with the highest pooled R²


def compare_forms(
    distance: np.ndarray,
    y: np.ndarray,
    *,
    groups: np.ndarray,
    n_splits: int = 10,
    random_state: int,
    forms: Sequence[str] = FORMS,
) -> FormComparison:
    """Compare ``epochs_remaining = f(distance)`` forms out of fold (GroupKFold by trace).

    Every form is fitted and scored on the same folds, so ``fold_r2`` / ``fold_mse`` pair up
    for a paired test across folds. Scores are on the original scale of ``y``; the power law's
    back-transform ``exp(a) d^b`` estimates the conditional median under multiplicative noise
    (no smearing correction), which is the usual reading of a log-log fit.

    Args:
        distance: (R,) strictly positive distances (``log`` and ``power`` take logs).
        y: (R,) targets, strictly positive when ``"power"`` is among ``forms`` (use
            ``rows_from_trajectory(..., include_final=False)``: no zero targets).
        groups: (R,) trace labels. n_splits: K. random_state: seeds the group shuffle.
    """
    d = np.asarray(distance, dtype=np.float64)
    if d.ndim != 1:
        raise ValueError(f"distance must be 1-D (R,), got shape {d.shape}")
    X, y = _check_xy(d[:, None], y)
    forms = tuple(forms)
    for form in forms:
        make_form(form)  # validates the name
    if not forms:
        raise ValueError("forms must not be empty")
    if any(f in ("log", "power") for f in forms) and not (d > 0).all():
        raise ValueError("distance must be > 0 for the 'log' and 'power' forms")
    if "power" in forms and not (y > 0).all():
        raise ValueError("y must be > 0 for the 'power' form (drop final states: include_final=False)")
    if groups is None:
        raise ValueError("groups are required (held-out comparison by trace)")
    splits = _splits(X, y, groups, n_splits, random_state)
    pooled, fold_r2, fold_mse, oof = {}, {}, {}, {}
    for form in forms:
        pred = cross_val_predict(make_form(form), X, y, cv=splits)
        oof[form] = pred
        fold_r2[form] = _fold_r2(y, pred, splits)
        fold_mse[form] = np.array([np.mean((y[te] - pred[te]) ** 2) for _, te in splits])
        pooled[form] = float(r2_score(y, pred, force_finite=False))
    best = max(forms, key=lambda f: pooled[f])
    return FormComparison(forms, pooled, fold_r2, fold_mse, oof, best)
