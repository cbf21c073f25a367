"""The compile policy: unroll sizes, the budget cap, when compilation is automatic, and the one-line fallback."""

import dataclasses
import warnings

import pytest
import torch

from harness.engine import compiling


@pytest.mark.parametrize(
    "n_params, n_samples, updates, most, expected",
    [
        (3, 4, 1, 20, 13),  # abs_neuron full batch: 15 per step
        (13, 4, 1, 20, 3),  # 2-3-1 sigmoid full batch: 65 per step
        (13, 4, 4, 20, 1),  # 2-3-1 sigmoid online: 104 per step
        (2, 4, 1, 3, 3),  # the caller's limit is below the budget's
        (13, 32, 32, 20, 1),  # one step over budget: still 1 when compiling is requested
    ],
    ids=["abs-full", "sigmoid-full", "sigmoid-online", "caller-limit", "over-budget"],
)
def test_plan_unroll_caps_the_program_size(n_params, n_samples, updates, most, expected):
    steps = compiling.plan_unroll(n_params, n_samples, updates, most)
    assert steps == expected
    assert steps == 1 or compiling.unrolled_size(n_params, n_samples, updates, steps) <= compiling.UNROLL_BUDGET


def _auto(monkeypatch, **kw):
    monkeypatch.setenv(compiling.COMPILE_ENV, "1")
    args = dict(population=100_000, n_params=3, n_samples=4, updates_per_epoch=1, dtype=torch.float32, epochs=20_000)
    args.update(kw)
    return compiling.should_compile(None, **args)


def test_long_runs_of_big_populations_of_small_programs_compile_automatically(monkeypatch):
    assert _auto(monkeypatch)


@pytest.mark.parametrize(
    "overrides",
    [
        dict(epochs=100),
        dict(population=100),
        dict(n_samples=64),
        dict(dtype=torch.float16),
        dict(n_params=200),
    ],
    ids=["short-run", "small-population", "many-samples", "half-precision", "one-step-over-budget"],
)
def test_no_automatic_compile_outside_the_policy(monkeypatch, overrides):
    assert not _auto(monkeypatch, **overrides)


def test_a_run_compiles_only_when_compile_and_fused_run_beat_half_the_eager_estimate():
    short = compiling.estimate(population=100_000, n_params=3, n_samples=4, updates_per_epoch=1, epochs=100)
    long = compiling.estimate(population=100_000, n_params=3, n_samples=4, updates_per_epoch=1, epochs=20_000)
    assert short.compile == long.compile and long.eager > 100 * short.eager
    assert not short.pays and long.pays
    assert short.eager < short.compile  # the eager run takes seconds, the compile longer: never compiled
    assert compiling.PAYBACK * (long.compile + long.fused) < long.eager


def test_the_estimate_grows_with_the_population_and_the_program():
    small = compiling.estimate(population=1_000, n_params=3, n_samples=4, updates_per_epoch=1, epochs=100)
    wide = compiling.estimate(population=100_000, n_params=3, n_samples=4, updates_per_epoch=1, epochs=100)
    deep = compiling.estimate(population=1_000, n_params=13, n_samples=4, updates_per_epoch=1, epochs=100)
    assert wide.eager > small.eager and wide.fused > small.fused and wide.compile == small.compile
    assert deep.eager > small.eager


def test_a_requested_compile_over_the_budget_warns_once_and_runs_eagerly(monkeypatch):
    monkeypatch.setenv(compiling.COMPILE_ENV, "1")
    with pytest.warns(compiling.CompileSkippedWarning, match=r"compile=True ignored: one unrolled step is 1037 units"):
        assert not compiling.should_compile(
            True, population=64, n_params=61, n_samples=16, updates_per_epoch=1, dtype=torch.float32, epochs=10
        )


def test_environment_switch_turns_even_requested_compiles_off(monkeypatch):
    monkeypatch.setenv(compiling.COMPILE_ENV, "0")
    assert not compiling.should_compile(
        True, population=1, n_params=3, n_samples=4, updates_per_epoch=1, dtype=torch.float64
    )


def test_fallback_warns_once_and_keeps_using_eager():
    calls = []

    def compiled(x):
        calls.append("compiled")
        raise RuntimeError("line one\n" + "noise\n" * 500)

    wrapped = compiling.WithFallback(compiled, lambda x: x + 1, "toy")
    with pytest.warns(
        compiling.CompileFallbackWarning,
        match=r"torch.compile failed for toy \(RuntimeError: line one\); running eagerly",
    ):
        assert wrapped(1) == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert wrapped(2) == 3
    assert calls == ["compiled"]


def test_the_eager_estimate_uses_the_matrices_costs_when_the_eager_run_would_use_matrices():
    """A 2-3-1 network (P 13) runs eagerly as batched matrices: its eager cost is theirs, not the column form's."""
    run = dict(population=20_000, n_params=13, n_samples=4, updates_per_epoch=1, epochs=10_000)
    columns = compiling.estimate(**run)
    as_matrices = compiling.estimate(**run, eager_layers=2)
    costs = compiling.COSTS
    assert as_matrices.eager == pytest.approx(
        10_001 * (2 * costs.matrices_per_layer + 65 * 20_000 * costs.matrices_per_member_unit)
    )
    assert (as_matrices.compile, as_matrices.fused) == (columns.compile, columns.fused)
    # the faster eager alternative leaves this run uncompiled, where the column form's cost would compile it
    assert columns.pays and not as_matrices.pays


def test_no_compile_over_max_compile_s_even_when_it_would_pay(monkeypatch):
    """``MAX_COMPILE_S`` guards re-measured costs: a compile estimated over it is never started automatically."""
    slow = dataclasses.replace(compiling.COSTS, compile_per_unit=1.0, eager_per_unit=1.0)
    monkeypatch.setattr(compiling, "COSTS", slow)
    cost = compiling.estimate(population=100_000, n_params=3, n_samples=4, updates_per_epoch=1, epochs=20_000)
    assert cost.compile > compiling.MAX_COMPILE_S and compiling.PAYBACK * (cost.compile + cost.fused) < cost.eager
    assert not cost.pays and not _auto(monkeypatch)
    monkeypatch.setattr(compiling, "MAX_COMPILE_S", 2 * cost.compile)
    assert _auto(monkeypatch)
