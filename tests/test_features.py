"""Tests for ``harness.studies.convergence.features`` (source 000 section 1.3 and A.1, source 001 section 3.1)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from harness.studies.convergence import features as F

# Hand-worked example. Row 0: current (1, 2, 2), final (0, 1, 4) -> diff (1, 1, -2).
# Row 1: current == final == (3, 0, 4) -> diff (0, 0, 0).
CURRENT = np.array([[1.0, 2.0, 2.0], [3.0, 0.0, 4.0]])
FINAL = np.array([[0.0, 1.0, 4.0], [3.0, 0.0, 4.0]])
LOG_EPS = -18.420680743952367  # ln(1e-8)

# name -> expected column, computed by hand (not by the code under test).
HAND_VALUES = {
    "l1_distance": [1 + 1 + 2, 0.0],
    "l2_distance": [math.sqrt(1 + 1 + 4), 0.0],
    # row 0: current.final = 0 + 2 + 8 = 10, ||current|| = 3, ||final|| = sqrt(17)
    # row 1: identical vectors -> cos = 1
    "cosine_distance": [1 - 10 / (3 * math.sqrt(17)), 0.0],
    "chebyshev_distance": [2.0, 0.0],
    "absdiff_p0": [1.0, 0.0],
    "absdiff_p1": [1.0, 0.0],
    "absdiff_p2": [2.0, 0.0],
    "diff_p0": [1.0, 0.0],
    "diff_p1": [1.0, 0.0],
    "diff_p2": [-2.0, 0.0],
    # ratio = current / (final + 1e-8)
    "ratio_p0": [1e8, 1.0],
    "ratio_p1": [2.0, 0.0],
    "ratio_p2": [0.5, 1.0],
    # log(|diff| + 1e-8): ln(1) = 0, ln(2) = 0.693..., ln(1e-8) for zero diffs
    "log_diff_p0": [0.0, LOG_EPS],
    "log_diff_p1": [0.0, LOG_EPS],
    "log_diff_p2": [0.6931471805599453, LOG_EPS],
    "interaction_p0_p1": [1.0, 0.0],
    "interaction_p0_p2": [-2.0, 0.0],
    "interaction_p1_p2": [-2.0, 0.0],
}


@pytest.mark.parametrize("name", sorted(HAND_VALUES))
def test_feature_matches_hand_computed_value(name):
    X, names = F.extract_features(CURRENT, FINAL, names=[name])
    assert names == (name,)
    assert X.shape == (2, 1)
    np.testing.assert_allclose(X[:, 0], HAND_VALUES[name], rtol=1e-7, atol=1e-7)


def test_feature_names_000_are_the_18_of_appendix_a1():
    assert len(F.FEATURE_NAMES_000) == 18
    assert set(F.FEATURE_NAMES_000) == set(HAND_VALUES) - {"chebyshev_distance"}
    assert "chebyshev_distance" not in F.FEATURE_NAMES_000


def test_default_extraction_is_rows_by_18_in_declared_order():
    X, names = F.extract_features(CURRENT, FINAL)
    assert names == F.FEATURE_NAMES_000
    assert X.shape == (2, 18)
    expected = np.array([HAND_VALUES[n] for n in names]).T  # (R, F)
    np.testing.assert_allclose(X, expected, rtol=1e-7, atol=1e-7)


def test_l1_is_exactly_the_sum_of_parameter_wise_distances():
    # The documented rank deficiency of the 18-feature design matrix.
    X, names = F.extract_features(CURRENT, FINAL)
    col = {n: X[:, i] for i, n in enumerate(names)}
    np.testing.assert_allclose(
        col["l1_distance"],
        col["absdiff_p0"] + col["absdiff_p1"] + col["absdiff_p2"],
        rtol=0,
        atol=1e-12,
    )


rows3 = arrays(np.float64, (4, 3), elements=st.floats(-1e3, 1e3, allow_nan=False))


@settings(deadline=None, max_examples=200)
@given(current=rows3, final=rows3)
def test_norm_equivalence_l2_le_l1_le_sqrt3_l2(current, final):
    l1 = F.l1_distance(current, final)
    l2 = F.l2_distance(current, final)
    tol = 1e-9 * (1.0 + l1)
    assert np.all(l2 <= l1 + tol)
    assert np.all(l1 <= math.sqrt(3) * l2 + tol)


@settings(deadline=None, max_examples=200)
@given(current=rows3, final=rows3)
def test_chebyshev_le_l2_le_sqrt3_chebyshev(current, final):
    linf = F.chebyshev_distance(current, final)
    l2 = F.l2_distance(current, final)
    tol = 1e-9 * (1.0 + l2)
    assert np.all(linf <= l2 + tol)
    assert np.all(l2 <= math.sqrt(3) * linf + tol)


BAD_INPUTS = {
    "rows_mismatch": (np.zeros((2, 3)) + 1, np.ones((3, 3)), "row count R mismatch"),
    "params_mismatch": (np.ones((2, 3)), np.ones((2, 2)), "parameter count P mismatch"),
    "not_2d": (np.ones(3), np.ones(3), "must be 2-D"),
    "empty": (np.ones((0, 3)), np.ones((0, 3)), "R must be >= 1"),
    "nan": (np.array([[1.0, np.nan, 0.0]]), np.ones((1, 3)), "finite"),
    "inf": (np.ones((1, 3)), np.array([[1.0, np.inf, 0.0]]), "finite"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_raises(case):
    current, final, message = BAD_INPUTS[case]
    with pytest.raises(ValueError, match=message):
        F.extract_features(current, final)


def test_cosine_zero_norm_row_raises():
    with pytest.raises(ValueError, match="zero-norm"):
        F.extract_features(np.zeros((1, 3)), np.ones((1, 3)), names=["cosine_distance"])


def test_unknown_feature_name_raises_listing_valid_names():
    with pytest.raises(ValueError, match="unknown feature names.*l1_distance"):
        F.extract_features(CURRENT, FINAL, names=["l1_distance", "manhattan"])


def test_ratio_blowing_up_raises_naming_the_feature():
    # final_p0 = -1e-8 makes the appendix's denominator exactly 0.
    with pytest.raises(ValueError, match="ratio_p0"):
        F.extract_features(np.ones((1, 3)), np.array([[-1e-8, 1.0, 1.0]]), names=["ratio_p0"])


# Tiny trajectory: T = 3, B = 2, P = 3. Member 0 takes 2 updates, member 1 takes 3.
# Parameter value encodes (t, b): params[t, b] = (10 t + b, -t, 1).
TRAJ = np.array([[[10.0 * t + b, -t, 1.0] for b in range(2)] for t in range(4)])  # (4, 2, 3)
EPOCHS_USED = np.array([2, 3])


def test_rows_from_trajectory_without_final_state():
    rows = F.rows_from_trajectory(TRAJ, EPOCHS_USED)
    # member 0: t = 0, 1 (remaining 2, 1); member 1: t = 0, 1, 2 (remaining 3, 2, 1)
    np.testing.assert_array_equal(rows["trace_id"], [0, 0, 1, 1, 1])
    np.testing.assert_array_equal(rows["epoch"], [0, 1, 0, 1, 2])
    np.testing.assert_array_equal(rows["epochs_remaining"], [2, 1, 3, 2, 1])
    np.testing.assert_array_equal(rows["current"], [[0, 0, 1], [10, -1, 1], [1, 0, 1], [11, -1, 1], [21, -2, 1]])
    np.testing.assert_array_equal(rows["final"], [[20, -2, 1], [20, -2, 1], [31, -3, 1], [31, -3, 1], [31, -3, 1]])


def test_rows_from_trajectory_with_final_state_adds_one_row_per_trace():
    rows = F.rows_from_trajectory(TRAJ, EPOCHS_USED, include_final=True)
    np.testing.assert_array_equal(rows["epoch"], [0, 1, 2, 0, 1, 2, 3])
    np.testing.assert_array_equal(rows["epochs_remaining"], [2, 1, 0, 3, 2, 1, 0])
    final_rows = rows["epochs_remaining"] == 0
    np.testing.assert_array_equal(rows["current"][final_rows], rows["final"][final_rows])


def test_rows_count_relation_of_source_000():
    # 100 traces: with include_final the count is sum(e + 1), without it sum(e),
    # exactly 100 fewer: the 3,445 vs 3,345 gap of section 1.2.
    rng = np.random.default_rng(0)
    e = rng.integers(1, 39, size=100)
    traj = rng.normal(size=(39, 100, 3))
    n_without = F.rows_from_trajectory(traj, e)["epoch"].size
    n_with = F.rows_from_trajectory(traj, e, include_final=True)["epoch"].size
    assert n_without == e.sum()
    assert n_with - n_without == 100


def test_rows_ignore_non_finite_padding_after_convergence():
    traj = TRAJ.copy()
    traj[3, 0] = np.nan  # member 0 stopped at t = 2; state 3 is padding
    rows = F.rows_from_trajectory(traj, EPOCHS_USED)
    assert np.isfinite(rows["current"]).all()


@pytest.mark.parametrize(
    "traj, epochs_used, message",
    [
        (np.ones((4, 2)), np.array([1, 1]), "3-D"),
        (np.ones((4, 2, 3)), np.array([1, 1, 1]), "shape"),
        (np.ones((4, 2, 3)), np.array([1, 4]), r"\[0, T=3\]"),
        (np.ones((4, 2, 3)), np.array([1, -1]), r"\[0, T=3\]"),
        (np.ones((4, 2, 3)), np.array([1.5, 1.0]), "whole numbers"),
    ],
    ids=["not_3d", "wrong_b", "too_many_epochs", "negative_epochs", "fractional_epochs"],
)
def test_rows_from_trajectory_bad_input_raises(traj, epochs_used, message):
    with pytest.raises(ValueError, match=message):
        F.rows_from_trajectory(traj, epochs_used)
