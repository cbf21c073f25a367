"""Tests for the ``harness.studies.convergence`` study modules (sources 000 and 001): traces, calibration, rows, studies.

Small populations (tens of traces) keep the file fast; the regression studies run on one
shared module-scoped data set of ~30 traces.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import scipy.stats
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score, roc_auc_score

from harness.engine.init import normal
from harness.engine.rng import torch_generator
from harness.engine.trainer import StopReason
from harness.seeds import seed_sequence
from harness.studies import convergence as C
from harness.studies.convergence.regression import make_model

# Near the calibrated settings, small: 30 traces of at most 38 updates.
PROTO = C.TraceProtocol(lr=0.09, init_scale=0.3, max_epochs=38, n_traces=30)


@pytest.fixture(scope="module")
def traces() -> C.Traces:
    return C.generate_traces(PROTO, seed_seq=seed_sequence(0, "test_convergence", "traces"))


@pytest.fixture(scope="module")
def rows(traces) -> C.Rows:
    return C.build_dataset(traces)


# --------------------------------------------------------------------------------------------
# Traces
# --------------------------------------------------------------------------------------------


def test_same_seed_sequence_gives_identical_traces():
    protocol = C.TraceProtocol(lr=0.2, init_scale=1.0, max_epochs=200, n_traces=8)
    a = C.generate_traces(protocol, seed_seq=seed_sequence(3, "det"))
    b = C.generate_traces(protocol, seed_seq=seed_sequence(3, "det"))
    c = C.generate_traces(protocol, seed_seq=seed_sequence(4, "det"))
    np.testing.assert_array_equal(a.params, b.params)
    np.testing.assert_array_equal(a.epochs, b.epochs)
    np.testing.assert_array_equal(a.reasons, b.reasons)
    assert not np.array_equal(a.init_params, c.init_params)


def test_traces_shapes_and_endpoints(traces):
    b = PROTO.n_traces
    assert traces.params.shape == (int(traces.epochs.max()) + 1, b, 3)
    assert traces.loss.shape == traces.grad_norm.shape == traces.params.shape[:2]
    assert traces.epochs.shape == traces.reasons.shape == traces.final_loss.shape == (b,)
    assert traces.params.dtype == np.float64
    np.testing.assert_allclose(traces.initial_loss, traces.loss[0], rtol=0, atol=0)
    # final_loss is the trainer's MSE at the final parameters, = the recorded loss there
    np.testing.assert_allclose(traces.final_loss, traces.loss[traces.epochs, np.arange(b)], rtol=1e-12, atol=1e-15)
    assert sum(C.convergence_counts(traces).values()) == b


def test_loss_stops_are_below_threshold_and_capped_runs_used_max_epochs(traces):
    loss_stop = traces.stopped_by(StopReason.CONVERGED_LOSS)
    capped = traces.stopped_by(StopReason.MAX_EPOCHS)
    assert (traces.final_loss[loss_stop] < PROTO.loss_below).all()
    assert (traces.epochs[capped] == PROTO.max_epochs).all()


def test_spurious_minimum_stops_on_gradient_norm_at_loss_one_quarter():
    # b dominant (|b| > |w0 - w1|): the basin of (0, 0, 1/2), loss 1/4 (module docstring).
    protocol = C.TraceProtocol(lr=0.2, init_scale=1.0, max_epochs=1000, n_traces=1)
    tr = C.run_traces(protocol, np.array([[0.1, 0.05, 0.9]]))
    assert tr.reasons[0] == int(StopReason.CONVERGED_GRAD)
    np.testing.assert_allclose(tr.final_params[0], [0.0, 0.0, 0.5], atol=1e-8, rtol=0)
    np.testing.assert_allclose(tr.final_loss[0], 0.25, rtol=1e-9, atol=0)


def test_contraction_is_geometric_with_factor_one_minus_two_lr():
    # Hessian 2I in every activation region: distance to the solution shrinks by |1 - 2 lr|.
    protocol = C.TraceProtocol(lr=0.1, init_scale=1.0, max_epochs=1000, n_traces=1)
    tr = C.run_traces(protocol, np.array([[0.7, -0.2, 0.1]]))
    d = np.linalg.norm(tr.params[: tr.epochs[0] + 1, 0] - tr.final_params[0], axis=1)
    solution = np.array([0.5, -0.5, 0.0])
    d_sol = np.linalg.norm(tr.params[:10, 0] - solution, axis=1)
    np.testing.assert_allclose(d_sol[1:] / d_sol[:-1], 0.8, rtol=1e-9, atol=0)
    assert d[-1] == 0.0


@pytest.mark.parametrize("lr, scale, cap", [(0.09, 0.3, 38), (0.3, 1.0, 10_000), (0.02, 3.0, 10_000)])
def test_closed_form_epochs_equal_the_trainer(lr, scale, cap):
    protocol = C.TraceProtocol(lr=lr, init_scale=scale, max_epochs=cap, n_traces=64)
    tr = C.generate_traces(protocol, seed_seq=seed_sequence(0, "geometric", int(lr * 100)))
    epochs, reasons = C.geometric_epochs(tr.init_params, protocol)
    np.testing.assert_array_equal(epochs, tr.epochs)
    np.testing.assert_array_equal(reasons, tr.reasons)


def test_region_minimum_hand_examples():
    # z1 = -w0 + w1 + b, z2 = w0 - w1 + b. (1, 0, 0): z1 < 0 < z2 -> solution (1/2, -1/2, 0).
    # (0, 1, 0): z1 > 0 > z2 -> (-1/2, 1/2, 0). (0, 0, 2): both > 0 -> (0, 0, 1/2), floor 1/4.
    target, floor = C.region_minimum(np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 2.0], [0.0, 0.0, -2.0]]))
    np.testing.assert_array_equal(target, [[0.5, -0.5, 0.0], [-0.5, 0.5, 0.0], [0.0, 0.0, 0.5], [0.0, 0.0, -0.5]])
    np.testing.assert_array_equal(floor, [0.0, 0.0, 0.25, 0.25])


def test_closed_form_rejects_overshooting_rates():
    with pytest.raises(ValueError, match="0 < lr < 0.5"):
        C.geometric_epochs(np.zeros((1, 3)), C.TraceProtocol(lr=0.7, init_scale=1.0, max_epochs=10))


# --------------------------------------------------------------------------------------------
# Calibration
# --------------------------------------------------------------------------------------------

GRID = dict(grid_lrs=(0.1, 0.2), grid_scales=(0.3, 1.0), max_epochs=(15, 10_000))


def _direct_epochs(lr: float, scale: float, cap: int, n: int, seed_seq) -> np.ndarray:
    """Epochs of a direct run with calibrate's common draws (scale * Z)."""
    z = normal(n, 3, generator=torch_generator(seed_seq), scale=1.0, dtype=torch.float64)
    protocol = C.TraceProtocol(lr=lr, init_scale=scale, max_epochs=cap, n_traces=n)
    return C.run_traces(protocol, scale * z).epochs


def test_calibration_picks_the_grid_point_matching_a_synthetic_target():
    seq = seed_sequence(0, "calib")
    e = _direct_epochs(0.2, 1.0, 15, 20, seq)
    assert e.var(ddof=1) > 0
    cal = C.calibrate(**GRID, n_traces=20, seed_seq=seq, target_mean=float(e.mean()), target_var=float(e.var(ddof=1)))
    assert (cal.chosen.lr, cal.chosen.init_scale, cal.chosen.max_epochs) == (0.2, 1.0, 15)
    assert cal.chosen.distance == pytest.approx(0.0, abs=1e-12)
    assert len(cal.table) == 2 * 2 * 2
    assert cal.protocol(n_traces=7) == C.TraceProtocol(lr=0.2, init_scale=1.0, max_epochs=15, n_traces=7)


@pytest.mark.parametrize("lr, scale, cap", [(0.1, 0.3, 15), (0.2, 1.0, 10_000), (0.1, 1.0, 15)])
def test_capped_grid_points_equal_direct_runs(lr, scale, cap):
    seq = seed_sequence(0, "calib")
    cal = C.calibrate(**GRID, n_traces=20, seed_seq=seq)
    point = next(p for p in cal.table if (p.lr, p.init_scale, p.max_epochs) == (lr, scale, cap))
    e = _direct_epochs(lr, scale, cap, 20, seq)
    assert point.mean == pytest.approx(e.mean(), rel=0, abs=1e-12)
    assert point.var == pytest.approx(e.var(ddof=1), rel=0, abs=1e-12)
    assert (point.min, point.max) == (e.min(), e.max())
    assert point.frac_max_epochs == pytest.approx(np.mean(e == cap) if cap < 10_000 else 0.0)


def test_calibration_distances_by_hand():
    # relative: (36/34.5 - 1)^2 + (10/9.11 - 1)^2
    rel = C.calibration_distance(36.0, 10.0, target_mean=34.5, target_var=9.11, kind="relative")
    assert rel == pytest.approx((1.5 / 34.5) ** 2 + (0.89 / 9.11) ** 2, rel=1e-12)
    # standardized with n = 100: se_m = sqrt(9.11 / 100), se_v = 9.11 sqrt(2 / 99)
    std = C.calibration_distance(36.0, 10.0, target_mean=34.5, target_var=9.11)
    expected = 1.5**2 / (9.11 / 100) + 0.89**2 / (9.11**2 * 2 / 99)
    assert std == pytest.approx(expected, rel=1e-12)


def test_min_variance_given_range_matches_hand_count():
    # 100 integers, mean 34.5, one 1 and one 38: the other 98 sum to 3411 = 79 x 35 + 19 x 34.
    # Sum of squared deviations: 33.5^2 + 3.5^2 + 98 x 0.25 = 1159.0.
    assert C.min_variance_given_range(100, 34.5, 1, 38) == pytest.approx(11.59, rel=1e-12)
    assert C.min_variance_given_range(100, 34.5, 1, 38, ddof=1) == pytest.approx(1159.0 / 99, rel=1e-12)
    assert C.min_variance_given_range(100, 34.5, 1, 38) > 9.11


def test_min_variance_given_range_rejects_impossible_samples():
    with pytest.raises(ValueError, match="not an integer"):
        C.min_variance_given_range(3, 2.5, 1, 4)
    with pytest.raises(ValueError, match="incompatible"):
        C.min_variance_given_range(4, 1.5, 1, 38)


# --------------------------------------------------------------------------------------------
# Rows
# --------------------------------------------------------------------------------------------


def test_build_dataset_has_one_row_per_update(traces, rows):
    assert rows.n_rows == int(traces.epochs.sum())
    assert rows.features.shape == (rows.n_rows, 18)
    assert rows.epochs_remaining.min() >= 1
    with_final = C.build_dataset(traces, include_final=True)
    assert with_final.n_rows == int(traces.epochs.sum()) + traces.n_traces


def test_row_loss_and_gradient_norm_come_from_the_trajectory(traces, rows):
    np.testing.assert_array_equal(rows.loss, traces.loss[rows.epoch, rows.trace_id])
    np.testing.assert_allclose(np.linalg.norm(rows.grad, axis=1), rows.grad_norm, rtol=1e-12, atol=1e-15)


def test_member_gradients_hand_example():
    # theta = (1, 0, 0): z = x0, |z| = 1 everywhere, errors (1, 0, 0, 1) on targets (0, 1, 1, 0).
    # dL/dtheta = (1/4) sum 2 (|z| - y) sign(z) (x, 1) = ((2,2,-2) + (2,2,2)) / 4 = (1, 1, 0).
    # At the solution (1/2, -1/2, 0) the gradient is 0.
    g = C.member_gradients(np.array([[1.0, 0.0, 0.0], [0.5, -0.5, 0.0]]))
    np.testing.assert_allclose(g, [[1.0, 1.0, 0.0], [0.0, 0.0, 0.0]], rtol=0, atol=1e-15)


def test_gradient_alignment_hand_example():
    # (current - final) = (1, 1, 2); grad = (1, -1, 2): 1 - 1 + 4 = 4.
    a = C.gradient_alignment(np.array([[1.0, 2.0, 3.0]]), np.array([[0.0, 1.0, 1.0]]), np.array([[1.0, -1.0, 2.0]]))
    np.testing.assert_allclose(a, [4.0], rtol=0, atol=0)


def test_gradient_is_twice_the_offset_from_the_region_minimum(rows):
    # Hessian 2I in every region (module docstring): grad = 2 (theta - theta*) on every row,
    # hence alignment = 2 (current - final) . (current - theta*).
    target, _ = C.region_minimum(rows.current)
    np.testing.assert_allclose(rows.grad, 2 * (rows.current - target), rtol=1e-12, atol=1e-14)
    expected = 2 * np.einsum("rp,rp->r", rows.current - rows.final, rows.current - target)
    np.testing.assert_allclose(rows.alignment, expected, rtol=1e-10, atol=1e-14)


def test_activation_patterns_hand_example():
    # (w0, w1, b) = (1, 0, -0.5): z = x0 - 0.5 on (-1,-1), (-1,1), (1,-1), (1,1).
    np.testing.assert_array_equal(C.activation_patterns(np.array([1.0, 0.0, -0.5])), [False, False, True, True])
    # XOR targets (0, 1, 1, 0): only the middle two samples' signs shape the landscape.
    np.testing.assert_array_equal(C.relevant_samples(), [False, True, True, False])


# --------------------------------------------------------------------------------------------
# Studies
# --------------------------------------------------------------------------------------------


def test_norm_equivalence_holds_on_every_row(rows):
    s = C.norm_ratio_stats(rows)
    assert s.n_violations == 0 and s.holds.all()
    assert 1.0 <= s.min_ratio <= s.max_ratio <= math.sqrt(3) + 1e-12
    assert s.ratio_of_means == pytest.approx(s.mean_l1 / s.mean_l2)


def test_markov_restart_reproduces_the_future():
    result = C.markov_check(
        C.TraceProtocol(lr=0.09, init_scale=0.3, max_epochs=38, n_traces=12), seed_seq=seed_sequence(0, "markov")
    )
    assert result.n_restarts == 12
    assert result.max_abs_param_diff <= 1e-12
    assert result.max_abs_loss_diff <= 1e-12
    assert result.n_epoch_mismatches == result.n_reason_mismatches == 0
    assert result.n_failures == 0


@settings(deadline=None, max_examples=15)
@given(
    init=st.lists(st.floats(-2.0, 2.0, allow_nan=False), min_size=3, max_size=3),
    lr=st.sampled_from([0.05, 0.09, 0.2, 0.45]),
    frac=st.floats(0.0, 1.0),
)
def test_two_traces_through_the_same_state_share_their_future(init, lr, frac):
    # Source 001, 1.2 (Markov property): a trace started at a recorded state of another trace
    # follows the rest of that trace exactly, with the same stop epoch and reason.
    protocol = C.TraceProtocol(lr=lr, init_scale=1.0, max_epochs=400, n_traces=1)
    first = C.run_traces(protocol, np.array([init]))
    e = int(first.epochs[0])
    t = int(round(frac * e))
    second = C.run_traces(dataclasses.replace(protocol, max_epochs=protocol.max_epochs - t), first.params[t])
    assert int(second.epochs[0]) == e - t
    assert second.reasons[0] == first.reasons[0]
    np.testing.assert_array_equal(second.params[: e - t + 1, 0], first.params[t : e + 1, 0])


def test_smart_init_returns_arrays_of_the_right_sizes():
    res = C.smart_init_experiment(PROTO, n_candidates=50, keep_fraction=0.2, seed_seq=seed_sequence(0, "smart"))
    k = 10
    for name in (
        "selected_epochs",
        "control_epochs",
        "selected_reasons",
        "control_reasons",
        "selected_converged",
        "selected_solved",
        "control_converged",
        "selected_minus_control_median",
        "selected_faster_than_control_median",
        "selected_initial_loss",
        "control_initial_loss",
        "selected_index",
    ):
        assert getattr(res, name).shape == (k,), name
    assert res.pool_epochs.shape == res.pool_initial_loss.shape == (50,)
    rest = np.setdiff1d(np.arange(50), res.selected_index)
    assert res.selected_initial_loss.max() <= res.pool_initial_loss[rest].min()
    np.testing.assert_array_equal(res.selected_epochs, res.pool_epochs[res.selected_index])


def test_model_table_shapes_and_same_folds(rows):
    names = ("linear_regression", "random_forest")
    for grouped in (False, True):
        table = C.model_table(rows, random_state=0, grouped=grouped, model_names=names, fast=True, n_resamples=200)
        assert tuple(table.scores) == names and table.grouped is grouped
        for score in table.scores.values():
            assert score.fold_r2.shape == (10,)
            assert score.oof_pred.shape == (rows.n_rows,)
            assert score.ci.low <= score.ci.high
            assert score.ci.n_units == (rows.n_traces if grouped else rows.n_rows)
        assert set(table.ranking()) == set(names)


def test_fast_linear_kernel_is_the_primal_of_kernel_ridge(rows):
    X, y = rows.features, rows.epochs_remaining.astype(float)
    dual = make_model("linear_kernel", random_state=0).fit(X, y).predict(X)
    primal = C.table_model("linear_kernel", random_state=0, fast=True).fit(X, y).predict(X)
    np.testing.assert_allclose(primal, dual, rtol=1e-6, atol=1e-6)


def test_log_distance_form_beats_linear_on_geometric_contraction(rows):
    forms = C.distance_form_comparison(rows, random_state=0)
    assert forms.pooled_r2["log"] > forms.pooled_r2["linear"]


def test_beyond_distance_gain_reports_both_baselines(rows):
    gains = C.beyond_distance_gain(rows, random_state=0)
    assert set(gains) == {"linear", "flexible"}
    for g in gains.values():
        assert g.df_diff == 3 and g.fold_gain.shape == (10,)
        assert math.isfinite(g.r2_small) and math.isfinite(g.r2_big)


def test_alignment_and_distance_rank_correlate_with_epochs_remaining(rows):
    res = C.alignment_spearman(rows)
    assert res.n_rows == rows.n_rows
    assert res.rho > 0.5 and res.rho_distance > 0.5


def test_initial_state_predictability_returns_aucs(traces):
    res = C.initial_state_predictability(traces, random_state=0, n_splits=3)
    assert set(res.auc) == {"logistic", "gradient_boosting", "cone_rule"}
    assert all(0.0 <= a <= 1.0 for a in res.auc.values())
    assert res.n_traces == traces.n_traces and 0 < res.n_slow < traces.n_traces
    assert res.label.shape == (traces.n_traces,) and int(res.label.sum()) == res.n_slow
    for name, score in res.scores.items():  # the AUCs are those of the returned scores
        assert score.shape == (traces.n_traces,)
        assert res.auc[name] == pytest.approx(roc_auc_score(res.label, score), abs=1e-12)


def test_spearman_by_traces_matches_pooled_and_duplicated_rows(rows):
    everyone = np.arange(rows.n_traces)
    assert C.spearman_by_traces(rows, "alignment", everyone) == pytest.approx(C.alignment_spearman(rows).rho, abs=1e-12)
    # Trace 2 twice and trace 5 once: the statistic of those rows with trace 2's rows repeated.
    idx = np.concatenate([np.flatnonzero(rows.trace_id == t) for t in (2, 2, 5)])
    expected = scipy.stats.spearmanr(rows.l2_distance[idx], rows.epochs_remaining[idx]).statistic
    assert C.spearman_by_traces(rows, "l2_distance", np.array([2, 2, 5])) == pytest.approx(expected, abs=1e-12)
    with pytest.raises(ValueError, match="no rows"):
        C.spearman_by_traces(rows, "alignment", np.array([10_000]))


def test_bootstrap_r2_replicates_equal_r2_of_the_drawn_units():
    y = np.array([1.0, 2.0, 3.0, 4.0, 6.0, 9.0])
    pred = np.array([1.5, 2.0, 2.0, 4.5, 6.0, 8.0])
    groups = np.array([0, 0, 1, 1, 2, 2])
    reps = C.bootstrap_r2_replicates(y, pred, groups=groups, n_resamples=5, rng=np.random.default_rng(7))
    draws = np.random.default_rng(7).integers(0, 3, size=(5, 3))  # the same stream: units drawn
    for r, units in zip(reps, draws, strict=True):
        idx = np.concatenate([np.flatnonzero(groups == u) for u in units])
        assert r == pytest.approx(r2_score(y[idx], pred[idx]), rel=1e-12) or (np.isnan(r) and np.ptp(y[idx]) == 0)
    rows_reps = C.bootstrap_r2_replicates(y, y, n_resamples=4, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(rows_reps[np.isfinite(rows_reps)], 1.0)  # perfect predictions
    with pytest.raises(ValueError, match="at least 2 resampling units"):
        C.bootstrap_r2_replicates(y, pred, groups=np.zeros(6), n_resamples=3, rng=np.random.default_rng(0))


def test_trajectory_divergence_uses_converged_traces_only(traces):
    res = C.trajectory_divergence(traces, min_group_size=3)
    converged = traces.stopped_by(StopReason.CONVERGED_LOSS) | traces.stopped_by(StopReason.CONVERGED_GRAD)
    np.testing.assert_array_equal(res.used, converged)
    assert res.solution.shape == res.switches.shape == res.residual.shape == (int(converged.sum()),)
    assert set(res.solution) <= {"(0.5, -0.5, 0.0)", "(-0.5, 0.5, 0.0)"}


def test_heatmap_grid_shape(rows):
    model = C.fit_model(rows, "linear_regression", random_state=0)
    grid = C.heatmap_grid(model, final=np.array([0.5, -0.5, 0.0]), w0=np.linspace(-1, 1, 6), w1=np.linspace(-1, 1, 4))
    assert grid.predicted.shape == (4, 6)
    assert np.isfinite(grid.predicted).all()


def test_heatmap_grid_of_a_raw_state_model_feeds_the_states(rows):
    # final=None: the model sees (w0, w1, b) itself; a model fitted to w0 + 2 w1 + 3 b returns it.
    X = rows.current
    model = LinearRegression().fit(X, X @ np.array([1.0, 2.0, 3.0]))
    grid = C.heatmap_grid(model, final=None, w0=np.array([0.0, 1.0]), w1=np.array([-1.0, 0.5, 2.0]), b=0.25)
    expected = np.array([0.0, 1.0])[None, :] + 2 * np.array([-1.0, 0.5, 2.0])[:, None] + 0.75
    np.testing.assert_allclose(grid.predicted, expected, rtol=0, atol=1e-9)
    assert grid.final is None and grid.b == 0.25


def test_predicted_heatmap_equals_fit_then_grid(rows):
    final = np.array([0.5, -0.5, 0.0])
    grid = C.predicted_heatmap(rows, "linear_regression", random_state=0, final=final, b=0.1)
    model = C.fit_model(rows, "linear_regression", random_state=0)
    np.testing.assert_array_equal(grid.predicted, C.heatmap_grid(model, final=final, b=0.1).predicted)


def test_feature_importances_name_every_feature_and_sum_to_one(rows):
    importance = C.feature_importances(rows, random_state=0)
    assert tuple(importance) == rows.feature_names
    assert sum(importance.values()) == pytest.approx(1.0)


def test_feature_family_ablation_covers_every_family(rows):
    ab = C.feature_family_ablation(rows, random_state=0)
    assert len(ab.pooled_r2) == 1 + 2 * len(C.FEATURE_FAMILIES)
    assert ab.subsets["all"] == rows.feature_names


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------

BAD_PROTOCOLS = {
    "nan_lr": (dict(lr=float("nan")), "lr must be a finite number > 0"),
    "zero_lr": (dict(lr=0.0), "lr must be a finite number > 0"),
    "negative_scale": (dict(init_scale=-1.0), "init_scale must be a finite number > 0"),
    "zero_traces": (dict(n_traces=0), "n_traces must be an int >= 1"),
    "float_max_epochs": (dict(max_epochs=3.5), "max_epochs must be an int >= 1"),
    "int_dtype": (dict(dtype=torch.int64), "dtype must be torch.float32 or torch.float64"),
}


@pytest.mark.parametrize("overrides, message", BAD_PROTOCOLS.values(), ids=BAD_PROTOCOLS.keys())
def test_bad_protocol_raises(overrides, message):
    kwargs = dict(lr=0.1, init_scale=1.0, max_epochs=10, n_traces=5) | overrides
    with pytest.raises(ValueError, match=message):
        C.TraceProtocol(**kwargs)


BAD_CALIBRATIONS = {
    "empty_lrs": (dict(grid_lrs=()), "grid_lrs must not be empty"),
    "empty_scales": (dict(grid_scales=[]), "grid_scales must not be empty"),
    "empty_caps": (dict(max_epochs=()), "max_epochs must not be empty"),
    "nan_lr": (dict(grid_lrs=(0.1, float("nan"))), "grid_lrs must be a finite number > 0"),
    "zero_traces": (dict(n_traces=0), "n_traces must be an int >= 1"),
    "bad_distance": (dict(distance="euclid"), "unknown distance 'euclid'"),
    "int_seed": (dict(seed_seq=0), "seed_seq must be a numpy.random.SeedSequence"),
}


@pytest.mark.parametrize("overrides, message", BAD_CALIBRATIONS.values(), ids=BAD_CALIBRATIONS.keys())
def test_bad_calibration_raises(overrides, message):
    kwargs = dict(grid_lrs=(0.1,), grid_scales=(1.0,), max_epochs=10, n_traces=5, seed_seq=seed_sequence(0)) | overrides
    with pytest.raises(ValueError, match=message):
        C.calibrate(**kwargs)


def test_bad_study_inputs_raise(traces, rows):
    with pytest.raises(ValueError, match="keep_fraction must lie in"):
        C.smart_init_experiment(PROTO, keep_fraction=1.5, seed_seq=seed_sequence(0))
    with pytest.raises(ValueError, match="seed_seq must be a numpy.random.SeedSequence"):
        C.smart_init_experiment(PROTO, seed_seq=0)
    with pytest.raises(ValueError, match="unknown model names"):
        C.model_table(rows, random_state=0, grouped=True, model_names=("svm",))
    with pytest.raises(ValueError, match="model_names must not be empty"):
        C.model_table(rows, random_state=0, grouped=True, model_names=())
    with pytest.raises(ValueError, match="include_final=False"):
        C.distance_form_comparison(C.build_dataset(traces, include_final=True), random_state=0)
    with pytest.raises(ValueError, match="must have shape"):
        C.member_gradients(np.zeros((2, 4)))
