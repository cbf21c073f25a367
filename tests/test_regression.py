"""Tests for ``harness.studies.convergence.regression``: model table, CV schemes, bootstrap CI, F-test, forms.

Kept fast (a few seconds) by small synthetic data; the slow model classes get few
iterations here (``n_estimators=10`` trees, ``max_iter=50`` MLP / GLM steps), which is why
``ConvergenceWarning`` is filtered in the fit-every-model test: it checks that each model
builds, fits and predicts, not how well it does.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from harness.studies.convergence import regression as R


def _linear_problem(seed: int, n_groups: int = 20, per_group: int = 15, noise: float = 0.05):
    """y = 3x + 1 + small noise; rows grouped into traces. Returns X (R, 1), y (R,), groups (R,)."""
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(n_groups), per_group)
    x = rng.uniform(0.0, 10.0, size=groups.size)
    y = 3.0 * x + 1.0 + noise * rng.normal(size=groups.size)
    return x[:, None], y, groups


def test_model_names_are_the_11_classes_of_table_2_1_in_order():
    assert len(R.MODEL_NAMES) == 11
    assert len(set(R.MODEL_NAMES)) == 11
    assert R.MODEL_NAMES[0] == "gradient_boosting"
    assert R.MODEL_NAMES[5] == "linear_regression"
    assert R.MODEL_NAMES[-1] == "linear_kernel"


@pytest.mark.filterwarnings("ignore", category=ConvergenceWarning)
@pytest.mark.parametrize("name", R.MODEL_NAMES)
def test_every_model_builds_fits_and_predicts(name):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = 10.0 + X @ np.array([2.0, -1.0, 0.5]) + 0.1 * rng.normal(size=60)  # positive targets
    model = R.make_model(name, random_state=0, n_estimators=10, max_iter=50)
    pred = model.fit(X, y).predict(X)
    assert pred.shape == (60,)
    assert np.isfinite(pred).all()


@pytest.mark.filterwarnings("ignore", category=ConvergenceWarning)
@pytest.mark.parametrize("name", ["random_forest", "mlp_2layer"])
def test_seeded_models_are_reproducible(name):
    X, y, _ = _linear_problem(0)
    preds = [R.make_model(name, random_state=7, n_estimators=10, max_iter=50).fit(X, y).predict(X) for _ in range(2)]
    np.testing.assert_allclose(preds[0], preds[1], rtol=0, atol=0)


def test_unknown_model_name_raises_listing_valid_names():
    with pytest.raises(ValueError, match="unknown model 'svm'.*linear_regression"):
        R.make_model("svm", random_state=0)


def test_non_integer_random_state_raises():
    with pytest.raises(ValueError, match="random_state must be an int"):
        R.make_model("random_forest", random_state=None)


@pytest.mark.parametrize("grouped", [False, True], ids=["kfold_rows", "groupkfold_traces"])
def test_linear_regression_recovers_linear_law(grouped):
    X, y, groups = _linear_problem(1)
    res = R.cv_r2("linear_regression", X, y, groups=groups if grouped else None, n_splits=10, random_state=0)
    assert res.fold_r2.shape == (10,)
    assert res.oof_pred.shape == y.shape
    assert res.pooled_r2 > 0.99
    assert np.all(res.fold_r2 > 0.99)


def test_cv_r2_is_deterministic_given_random_state():
    X, y, groups = _linear_problem(2)
    a = R.cv_r2("random_forest", X, y, groups=groups, n_splits=5, random_state=3)
    b = R.cv_r2("random_forest", X, y, groups=groups, n_splits=5, random_state=3)
    np.testing.assert_allclose(a.oof_pred, b.oof_pred, rtol=0, atol=0)


def test_cv_r2_accepts_an_unfitted_estimator():
    X, y, groups = _linear_problem(2)
    model = R.make_model("gradient_boosting", random_state=0, n_estimators=10)
    res = R.cv_r2(model, X, y, groups=groups, n_splits=5, random_state=0)
    assert res.fold_r2.shape == (5,)


def test_group_kfold_never_splits_a_group_between_train_and_test():
    _, y, groups = _linear_problem(3, n_groups=23, per_group=7)
    splitter = R.make_splitter(n_splits=10, random_state=0, grouped=True)
    seen_test = []
    for train, test in splitter.split(y[:, None], y, groups):
        assert set(groups[train]).isdisjoint(groups[test])
        seen_test.extend(test)
    assert sorted(seen_test) == list(range(y.size))  # each row held out exactly once


def test_cv_r2_grouped_holds_out_each_trace_in_one_fold():
    X, y, groups = _linear_problem(3, n_groups=23, per_group=7)
    res = R.cv_r2("linear_regression", X, y, groups=groups, n_splits=10, random_state=0)
    for g in np.unique(groups):
        assert np.unique(res.test_fold[groups == g]).size == 1


def test_too_many_splits_for_groups_raises():
    X, y, groups = _linear_problem(0, n_groups=4)
    with pytest.raises(ValueError, match="exceeds the number of groups"):
        R.cv_r2("linear_regression", X, y, groups=groups, n_splits=5, random_state=0)


def _noisy_predictions(seed: int, n_groups: int, per_group: int = 10):
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(n_groups), per_group)
    y = rng.normal(size=groups.size) + rng.normal(size=n_groups)[groups]
    pred = y + 0.5 * rng.normal(size=groups.size)
    return y, pred, groups


@pytest.mark.parametrize("by_group", [False, True], ids=["rows", "groups"])
def test_bootstrap_ci_contains_point_estimate(by_group):
    y, pred, groups = _noisy_predictions(0, n_groups=30)
    ci = R.bootstrap_r2_ci(
        y, pred, groups=groups if by_group else None, n_resamples=999, alpha=0.05, rng=np.random.default_rng(0)
    )
    assert ci.low < ci.estimate < ci.high
    assert ci.n_units == (30 if by_group else 300)


@pytest.mark.parametrize("by_group", [False, True], ids=["rows", "groups"])
def test_bootstrap_ci_narrows_with_more_data(by_group):
    widths = []
    for n_groups in (20, 320):  # 16x the data: width should shrink about 4x
        y, pred, groups = _noisy_predictions(1, n_groups=n_groups)
        ci = R.bootstrap_r2_ci(
            y, pred, groups=groups if by_group else None, n_resamples=999, alpha=0.05, rng=np.random.default_rng(0)
        )
        widths.append(ci.high - ci.low)
    assert widths[1] < 0.5 * widths[0]


def test_bootstrap_rejects_non_generator_rng():
    y, pred, _ = _noisy_predictions(0, n_groups=5)
    with pytest.raises(ValueError, match="Generator"):
        R.bootstrap_r2_ci(y, pred, n_resamples=99, alpha=0.05, rng=0)


def _f_test_data(seed: int, n: int = 200):
    rng = np.random.default_rng(seed)
    distance = rng.uniform(size=n)
    useful = rng.normal(size=n)
    noise_feature = rng.normal(size=n)
    y = 5.0 * distance + 0.5 * useful + rng.normal(size=n)
    return distance[:, None], useful, noise_feature, y


def test_nested_f_test_detects_useful_feature():
    small, useful, _, y = _f_test_data(0)
    f, p, df_diff = R.nested_f_test(small, np.column_stack([small, useful]), y)
    assert df_diff == 1
    assert f > 0
    assert p < 0.01


def test_nested_f_test_false_positive_rate_for_noise_feature_is_near_alpha():
    # 200 seeded replicates at alpha = 0.05: P(more than 20 rejections) ~ 1e-3 if calibrated.
    rejections = 0
    for seed in range(200):
        small, _, noise_feature, y = _f_test_data(seed)
        _, p, _ = R.nested_f_test(small, np.column_stack([small, noise_feature]), y)
        rejections += p < 0.05
    assert rejections <= 20


def test_nested_f_test_handles_intercept_only_small_model_and_rank_deficiency():
    small, useful, _, y = _f_test_data(1)
    big = np.column_stack([small, useful, small[:, 0] + useful])  # rank 2 of 3 columns
    f, p, df_diff = R.nested_f_test(np.empty((y.size, 0)), big, y)
    assert df_diff == 2
    assert p < 0.01


def test_nested_f_test_rejects_non_nested_models():
    small, useful, noise_feature, y = _f_test_data(0)
    with pytest.raises(ValueError, match="not nested"):
        R.nested_f_test(noise_feature[:, None], np.column_stack([small, useful]), y)


# form -> y as a function of distance d (noise added in _form_data)
FORM_LAWS = {
    "linear": lambda d: 1.0 + 3.0 * d,
    "log": lambda d: 30.0 + 5.0 * np.log(d),
    "power": lambda d: 2.0 * d**2,
}


def _form_data(form: str, seed: int):
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(30), 20)
    d = np.exp(rng.uniform(np.log(0.05), np.log(10.0), size=groups.size))  # log-uniform
    y = FORM_LAWS[form](d)
    if form == "power":
        y = y * np.exp(0.05 * rng.normal(size=d.size))  # multiplicative noise
    else:
        y = y + 0.1 * rng.normal(size=d.size)
    return d, y, groups


@pytest.mark.parametrize("form", R.FORMS)
def test_compare_forms_picks_the_generating_form(form):
    d, y, groups = _form_data(form, seed=0)
    res = R.compare_forms(d, y, groups=groups, n_splits=5, random_state=0)
    assert res.best == form
    for other in R.FORMS:
        assert res.fold_r2[other].shape == (5,)
        if other != form:
            # paired by fold: the generating form wins on every fold
            assert np.all(res.fold_mse[form] < res.fold_mse[other])


def test_compare_forms_rejects_zero_distance_and_targets():
    d, y, groups = _form_data("linear", seed=0)
    d[0] = 0.0
    with pytest.raises(ValueError, match="distance must be > 0"):
        R.compare_forms(d, y, groups=groups, random_state=0)
    d, y, groups = _form_data("linear", seed=0)
    y[0] = 0.0
    with pytest.raises(ValueError, match="include_final=False"):
        R.compare_forms(d, y, groups=groups, random_state=0)


def test_unknown_form_raises():
    with pytest.raises(ValueError, match="unknown form 'cubic'"):
        R.make_form("cubic")


def test_polynomial_models_are_ridge_on_standardised_terms():
    model = R.make_model("poly3", random_state=0)
    assert [name for name, _ in model.steps] == ["scale", "poly", "scale_terms", "model"]
    assert model.named_steps["model"].alpha == R.POLY_ALPHA


@pytest.mark.parametrize("grouped", [False, True])
def test_a_tuned_model_is_refitted_in_every_outer_fold_and_records_its_choice(grouped):
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(30), 10)
    X = rng.normal(size=(300, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=300)
    search = R.tuned("poly2", R.make_model("poly2", random_state=0), grouped=grouped, random_state=1)
    res = R.cv_r2(search, X, y, groups=groups if grouped else None, n_splits=5, random_state=0)
    assert res.chosen is not None and len(res.chosen) == 5
    assert all(
        set(c) == {"model__alpha"} and c["model__alpha"] in R.TUNING_GRIDS["poly2"]["model__alpha"] for c in res.chosen
    )
    assert res.pooled_r2 > 0.99
    assert R.cv_r2("poly2", X, y, n_splits=5, random_state=0).chosen is None


def test_a_model_without_a_grid_is_not_wrapped():
    model = R.make_model("linear_regression", random_state=0)
    assert R.tuned("linear_regression", model, grouped=True, random_state=0) is model
