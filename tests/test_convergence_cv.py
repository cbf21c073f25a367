"""Tests for the trace-level CV sums, the solved-only reading and the thread limiter of
``harness.studies.convergence`` (issue 10 items 1 and 9, issue 9's one BLAS limiter)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import r2_score
from threadpoolctl import threadpool_info

from harness.engine.trainer import StopReason
from harness.seeds import seed_sequence
from harness.studies import convergence as C
from harness.studies.convergence.regression import single_threaded

PROTO = C.TraceProtocol(lr=0.09, init_scale=0.3, max_epochs=38, n_traces=12)


def _toy(seed: int, n_rows: int = 60, n_traces: int = 6):
    """y, trace ids, two predictions and a fold assignment (3 folds) of a small random data set."""
    rng = np.random.default_rng(seed)
    y = rng.normal(10, 3, size=n_rows)
    trace = np.sort(rng.integers(0, n_traces, size=n_rows))
    trace[:n_traces] = np.arange(n_traces)  # every trace has a row
    return y, np.sort(trace), y + rng.normal(size=n_rows), y + 2 * rng.normal(size=n_rows), rng.integers(0, 3, n_rows)


@given(seed=st.integers(0, 10_000))
@settings(deadline=None, max_examples=25)
def test_pooled_r2_from_trace_sums_equals_sklearn(seed):
    y, trace, a, b, _ = _toy(seed)
    sums = C.trace_sums(y, trace, [a, b]).sum(axis=0)
    assert C.r2_statistic(0)(sums) == pytest.approx(r2_score(y, a), rel=1e-10)
    assert C.r2_statistic(1, minus=0)(sums) == pytest.approx(r2_score(y, b) - r2_score(y, a), rel=1e-9, abs=1e-12)
    assert C.mse_gap_statistic(0, 1)(sums) == pytest.approx(np.mean((y - a) ** 2) - np.mean((y - b) ** 2), rel=1e-10)


def test_trace_sums_have_one_row_per_trace_and_the_documented_columns():
    y, trace, a, _, _ = _toy(1)
    sums = C.trace_sums(y, trace, [a])
    assert sums.shape == (6, 4)
    np.testing.assert_allclose(sums[:, 0], np.bincount(trace), rtol=0, atol=0)
    np.testing.assert_allclose(sums[:, 3], np.bincount(trace, weights=(y - a) ** 2), rtol=1e-12)


def test_fold_r2_sd_statistic_equals_the_sd_of_fold_r2():
    y, trace, a, _, fold = _toy(2, n_rows=90)
    sums = C.trace_sums(y, trace, [a], test_fold=fold, n_splits=3).sum(axis=0)
    fold_r2 = [r2_score(y[fold == k], a[fold == k]) for k in range(3)]
    statistic = C.fold_r2_sd_statistic(0, n_predictions=1, n_splits=3)
    assert statistic(sums) == pytest.approx(np.std(fold_r2, ddof=1), rel=1e-10)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(preds=[]), "prediction"),
        (dict(test_fold=np.zeros(60, dtype=int)), "together"),
        (dict(test_fold=np.full(60, 5), n_splits=3), "fold indices"),
    ],
)
def test_trace_sums_bad_input_raises(kwargs, match):
    y, trace, a, _, _ = _toy(3)
    args = dict(preds=[a]) | kwargs
    with pytest.raises(ValueError, match=match):
        C.trace_sums(y, trace, **args)


def test_solved_traces_all_stop_on_the_loss_criterion_and_are_the_first_solved_of_the_draw():
    seq = seed_sequence(0, "test_convergence_cv", "solved")
    solved = C.generate_solved_traces(PROTO, seed_seq=seq)
    assert solved.n_traces == PROTO.n_traces
    assert solved.stopped_by(StopReason.CONVERGED_LOSS).all()
    drawn = C.generate_traces(PROTO.__class__(**{**PROTO.__dict__, "n_traces": 3 * PROTO.n_traces}), seed_seq=seq)
    first = np.flatnonzero(drawn.stopped_by(StopReason.CONVERGED_LOSS))[: PROTO.n_traces]
    np.testing.assert_array_equal(solved.init_params, drawn.init_params[first])


def test_solved_traces_raise_when_too_few_solve():
    with pytest.raises(ValueError, match="reached a solution"):
        C.generate_solved_traces(PROTO, seed_seq=seed_sequence(0, "few"), oversample=1)


def test_subset_keeps_the_chosen_traces_in_order():
    tr = C.generate_traces(PROTO, seed_seq=seed_sequence(1, "subset"))
    sub = tr.subset(np.array([3, 0]))
    assert sub.n_traces == sub.protocol.n_traces == 2
    np.testing.assert_array_equal(sub.params[:, 0], tr.params[:, 3])
    np.testing.assert_array_equal(sub.epochs, tr.epochs[[3, 0]])
    with pytest.raises(ValueError, match="non-empty"):
        tr.subset(np.array([], dtype=int))


def test_solved_only_calibration_matches_its_statistics_on_solved_traces():
    kwargs = dict(grid_lrs=(0.1,), grid_scales=(1.0,), n_traces=200, max_epochs=(40,), seed_seq=seed_sequence(0, "cal"))
    every = C.calibrate(**kwargs)
    solved = C.calibrate(**kwargs, solved_only=True)
    assert solved.solved_only and not every.solved_only
    tr = C.generate_traces(solved.protocol(n_traces=200), seed_seq=seed_sequence(0, "cal"))
    used = tr.epochs[tr.stopped_by(StopReason.CONVERGED_LOSS)]
    assert solved.chosen.mean == pytest.approx(used.mean(), rel=1e-12)
    assert solved.chosen.var == pytest.approx(used.var(ddof=1), rel=1e-12)
    assert every.chosen.mean == pytest.approx(tr.epochs.mean(), rel=1e-12)


def test_single_threaded_limits_blas_inside_and_restores_after():
    def threads() -> set[int]:
        return {lib["num_threads"] for lib in threadpool_info()}

    before = threads()
    with single_threaded():
        assert threads() <= {1}
    assert threads() == before

    @single_threaded()
    def inner() -> set[int]:
        return threads()

    assert inner() <= {1}
