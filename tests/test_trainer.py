"""The population trainer equals B separate plain-torch runs; stopping, divergence, determinism, bad input."""

from __future__ import annotations

import dataclasses
from itertools import pairwise

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.engine import compiling, data, matrices, optim, schedules
from harness.engine.formulations import FORMULATIONS, Matrices
from harness.engine.matrices import network
from harness.engine.models import get_model, mlp
from harness.engine.precision import Precision
from harness.engine.trainer import StoppingRule, StopReason, shuffle_orders, train
from tests import reference
from tests.helpers import assert_close
from tests.test_models import MODEL_DATA, small_mlps

RTOL, ATOL = 1e-9, 1e-11

OPTIMIZERS = {
    "sgd": optim.sgd(),
    "sgd-momentum": optim.sgd(momentum=0.9),
    "sgd-nesterov-wd": optim.sgd(momentum=0.5, nesterov=True, weight_decay=0.01),
    "adam": optim.adam(),
    "adam-wd": optim.adam(b1=0.8, b2=0.99, eps=1e-6, weight_decay=0.05),
    "clip-sgd": optim.chain(optim.clip_by_member_norm(0.3), optim.sgd()),
    "clip-adam": optim.chain(optim.clip_by_member_norm(0.5), optim.adam()),
    "rprop": optim.rprop(),
    "rprop-narrow": optim.rprop(eta_minus=0.3, eta_plus=1.5, step_size_min=1e-3, step_size_max=0.5),
    "rmsprop": optim.rmsprop(),
    "rmsprop-centered-momentum-wd": optim.rmsprop(alpha=0.9, eps=1e-6, momentum=0.5, centered=True, weight_decay=0.01),
    "adagrad": optim.adagrad(),
    "adagrad-decay-wd": optim.adagrad(lr_decay=0.1, initial_accumulator_value=0.2, eps=1e-8, weight_decay=0.02),
}

schedule_strategy = st.sampled_from(["constant", "warmup", "cosine", "warmup_cosine"]).flatmap(
    lambda kind: st.builds(
        {
            "constant": lambda lr, w, t: schedules.constant(lr),
            "warmup": lambda lr, w, t: schedules.linear_warmup(lr, warmup_epochs=w),
            "cosine": lambda lr, w, t: schedules.cosine_decay(lr, total_epochs=t),
            "warmup_cosine": lambda lr, w, t: schedules.warmup_cosine(lr, warmup_epochs=w, total_epochs=w + t),
        }[kind],
        st.floats(1e-3, 0.3),
        st.integers(1, 5),
        st.integers(1, 20),
    )
)
rule_strategy = st.builds(
    StoppingRule,
    max_epochs=st.integers(1, 25),
    loss_below=st.none() | st.floats(1e-4, 0.2),
    grad_norm_below=st.none() | st.floats(1e-4, 0.2),
    patience=st.none() | st.integers(1, 4),
    min_improvement=st.sampled_from([0.0, 1e-4, 1e-2]),
)


def _population(name: str, size: int, seed: int, scale: float = 1.0) -> torch.Tensor:
    n_params = get_model(name).n_params
    return scale * torch.randn(size, n_params, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def _assert_matches_reference(result, runs, *, loss_offset: int = 0) -> None:
    """Outcome and every recorded row of each member equal its reference run."""
    for member, run in enumerate(runs):
        assert int(result.epochs[member]) == run.epochs
        assert int(result.reason[member]) == int(run.reason)
        assert_close(result.params[member], run.params, rtol=RTOL, atol=ATOL)
        rows = len(run.states)
        assert_close(result.trajectory.params[:rows, member], torch.stack(run.states), rtol=RTOL, atol=ATOL)
        losses = result.trajectory.loss[loss_offset:rows, member]
        assert_close(losses, torch.tensor(run.losses, dtype=torch.float64), rtol=RTOL, atol=ATOL)
        norms = result.trajectory.grad_norm[loss_offset:rows, member]
        assert_close(norms, torch.tensor(run.grad_norms, dtype=torch.float64), rtol=RTOL, atol=ATOL)
        frozen = result.trajectory.params[rows - 1 :, member]
        assert_close(frozen, result.params[member].expand_as(frozen), rtol=0, atol=0)


@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(sorted(MODEL_DATA)),
    population=st.integers(1, 4),
    seed=st.integers(0, 2**31),
    optimizer=st.sampled_from(sorted(OPTIMIZERS)),
    schedule=schedule_strategy,
    rule=rule_strategy,
    formulation=st.sampled_from(FORMULATIONS),
)
def test_full_batch_trajectories_match_per_model_torch(name, population, seed, optimizer, schedule, rule, formulation):
    X, Y = MODEL_DATA[name](dtype=torch.float64)
    params = _population(name, population, seed)
    spec = OPTIMIZERS[optimizer]
    result = train(
        name,
        params,
        data.Dataset(X, Y),
        spec,
        schedule=schedule,
        stopping=rule,
        record=True,
        compile=False,
        formulation=formulation,
    )
    runs = [reference.train_full_batch(name, row, X, Y, spec, schedule, rule) for row in params]
    _assert_matches_reference(result, runs)


@settings(deadline=None, max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(
    population=st.integers(1, 3),
    seed=st.integers(0, 2**31),
    optimizer=st.sampled_from(sorted(OPTIMIZERS)),
    schedule=schedule_strategy,
    rule=rule_strategy.filter(lambda r: r.max_epochs <= 8),
    batch_size=st.integers(1, 12),
    shuffle=st.booleans(),
    formulation=st.sampled_from(FORMULATIONS),
)
def test_minibatch_trajectories_match_per_model_torch(
    population, seed, optimizer, schedule, rule, batch_size, shuffle, formulation
):
    X, Y = data.linear_regression(10, noise=0.2, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    params = _population("linear_1d", population, seed)
    spec = OPTIMIZERS[optimizer]
    result = train(
        "linear_1d",
        params,
        data.Dataset(X, Y),
        spec,
        schedule=schedule,
        stopping=rule,
        batch_size=batch_size,
        shuffle=shuffle,
        generator=torch.Generator().manual_seed(seed),
        record=True,
        compile=False,
        formulation=formulation,
    )
    replay = torch.Generator().manual_seed(seed)
    orders = [shuffle_orders(replay, population, 10) for _ in range(rule.max_epochs)] if shuffle else None
    runs = [
        reference.train_minibatch(
            "linear_1d",
            row,
            X,
            Y,
            spec,
            schedule,
            rule,
            batch_size=batch_size,
            orders=[order[member] for order in orders] if shuffle else None,
        )
        for member, row in enumerate(params)
    ]
    _assert_matches_reference(result, runs, loss_offset=1)


@settings(deadline=None, max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(
    model=small_mlps(),
    population=st.integers(1, 3),
    seed=st.integers(0, 2**31),
    optimizer=st.sampled_from(sorted(OPTIMIZERS)),
    batch_size=st.sampled_from([None, 1, 2]),
    max_epochs=st.integers(1, 6),
    formulation=st.sampled_from(FORMULATIONS),
)
def test_random_mlps_train_like_nn_sequential_with_torch_optim(
    model, population, seed, optimizer, batch_size, max_epochs, formulation
):
    """Any small MLP (up to 50 parameters) trains, full batch or per sample, in either formulation, exactly as its
    ``nn.Sequential`` with ``torch.optim``."""
    _assert_trains_like_nn_sequential(model, population, seed, optimizer, batch_size, max_epochs, formulation, 5)


@settings(deadline=None, max_examples=10, suppress_health_check=[HealthCheck.too_slow])
@given(
    model=small_mlps(),
    population=st.integers(1, 3),
    seed=st.integers(0, 2**31),
    optimizer=st.sampled_from(sorted(OPTIMIZERS)),
    max_epochs=st.integers(1, 4),
    formulation=st.sampled_from(FORMULATIONS),
)
def test_random_mlps_on_many_samples_train_like_nn_sequential(
    model, population, seed, optimizer, max_epochs, formulation
):
    """Full batch over ``SHORT_SAMPLES`` + 8 samples: the matrices' narrow layers run as broadcast multiply-adds and
    sum their gradients over samples (the fast paths for N >= ``SHORT_SAMPLES``), and still train as ``nn.Sequential``."""
    n_samples = matrices.SHORT_SAMPLES + 8
    _assert_trains_like_nn_sequential(model, population, seed, optimizer, None, max_epochs, formulation, n_samples)


def _assert_trains_like_nn_sequential(
    model, population, seed, optimizer, batch_size, max_epochs, formulation, n_samples
):
    """Train a random population of ``model`` on ``n_samples`` random samples and compare every member's trajectory
    with its ``nn.Sequential`` + ``torch.optim`` run (``tests.reference``)."""
    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(n_samples, model.n_inputs, generator=gen, dtype=torch.float64)
    Y = torch.randn(n_samples, model.n_outputs, generator=gen, dtype=torch.float64)
    params = 0.5 * torch.randn(population, model.n_params, generator=gen, dtype=torch.float64)
    spec, schedule, rule = OPTIMIZERS[optimizer], schedules.constant(0.05), StoppingRule(max_epochs=max_epochs)
    result = train(
        model,
        params,
        data.Dataset(X, Y),
        spec,
        schedule=schedule,
        stopping=rule,
        batch_size=batch_size,
        record=True,
        compile=False,
        formulation=formulation,
    )
    if batch_size is None:
        runs = [reference.train_full_batch(model, row, X, Y, spec, schedule, rule) for row in params]
    else:
        runs = [
            reference.train_minibatch(model, row, X, Y, spec, schedule, rule, batch_size=batch_size, orders=None)
            for row in params
        ]
    _assert_matches_reference(result, runs, loss_offset=0 if batch_size is None else 1)


def _xor_run(**overrides):
    """A small abs_neuron population on centered XOR with vanilla SGD (``params``/``data``/``model`` overridable)."""
    settings_ = dict(
        schedule=schedules.constant(0.1), stopping=StoppingRule(max_epochs=200, loss_below=1e-6, grad_norm_below=1e-8)
    )
    settings_.update(overrides)
    params = settings_.pop("params", None)
    params = _population("abs_neuron", 64, 7) if params is None else params
    dataset = settings_.pop("data", None) or data.centered_xor(dtype=params.dtype)
    model = settings_.pop("model", "linear_1d" if dataset.X.shape[1] == 1 else "abs_neuron")
    return train(model, params, dataset, optim.sgd(), **settings_)


def test_stopped_members_are_frozen_while_others_continue():
    result = _xor_run(record=True, compile=False)
    epochs = result.epochs
    assert epochs.min() < epochs.max(), "population should stop at different epochs"
    early = int(epochs.argmin())
    rows = result.trajectory.params[int(epochs[early]) :, early]
    assert_close(rows, rows[:1].expand_as(rows), rtol=0, atol=0)
    assert result.trajectory.params.shape[0] == int(epochs.max()) + 1


def test_loss_criterion_stops_exactly_when_loss_drops_below_eps():
    result = _xor_run(record=True, compile=False)
    converged = result.stopped_by(StopReason.CONVERGED_LOSS)
    assert converged.any()
    loss = result.trajectory.loss
    for member in converged.nonzero().flatten().tolist():
        stop = int(result.epochs[member])
        assert loss[stop, member] < 1e-6
        assert (loss[:stop, member] >= 1e-6).all()


def test_max_epochs_zero_evaluates_without_stepping():
    params = _population("abs_neuron", 5, 1)
    result = _xor_run(params=params, stopping=StoppingRule(max_epochs=0), compile=False)
    assert (result.epochs == 0).all() and result.stopped_by(StopReason.MAX_EPOCHS).all()
    assert_close(result.params, params, rtol=0, atol=0)


def test_patience_stops_after_consecutive_non_improving_evaluations():
    # lr = 0: the loss never improves after the first evaluation, so patience p stops at epoch p.
    rule = StoppingRule(max_epochs=50, patience=3, min_improvement=1e-7)
    result = _xor_run(schedule=schedules.constant(0.0), stopping=rule, compile=False)
    assert result.stopped_by(StopReason.PATIENCE).all()
    assert (result.epochs == 3).all()


def test_min_improvement_counts_small_gains_as_no_improvement():
    slow = StoppingRule(max_epochs=400, patience=2, min_improvement=1.0)
    result = _xor_run(schedule=schedules.constant(1e-3), stopping=slow, compile=False)
    assert result.stopped_by(StopReason.PATIENCE).all() and (result.epochs == 2).all()


def test_one_diverging_member_is_marked_and_frozen_without_crashing():
    params = _population("abs_neuron", 4, 3, scale=0.1)
    params[2] = torch.tensor([1e200, -1e200, 1e200], dtype=torch.float64)  # loss overflows to inf
    result = _xor_run(params=params, schedule=schedules.constant(0.1), record=True, compile=False)
    assert result.reason[2] == StopReason.DIVERGED
    others = torch.tensor([0, 1, 3])
    assert not result.stopped_by(StopReason.DIVERGED)[others].any()
    assert torch.isfinite(result.final_loss[others]).all()


def test_huge_learning_rate_diverges_every_member():
    result = _xor_run(schedule=schedules.constant(1e3), compile=False)
    assert result.stopped_by(StopReason.DIVERGED).all()


def test_same_seed_same_results_across_runs():
    first = _xor_run(record=True, compile=False)
    second = _xor_run(record=True, compile=False)
    assert torch.equal(first.params, second.params) and torch.equal(first.epochs, second.epochs)
    assert torch.equal(first.trajectory.params, second.trajectory.params)


def test_shuffled_minibatch_is_deterministic_per_generator_seed():
    X, Y = data.linear_regression(40, noise=0.5, generator=torch.Generator().manual_seed(0))
    params = _population("linear_1d", 6, 0).float()

    def run(seed):
        return train(
            "linear_1d",
            params,
            data.Dataset(X, Y),
            optim.adam(),
            schedule=schedules.constant(0.05),
            stopping=StoppingRule(max_epochs=5),
            batch_size=8,
            shuffle=True,
            generator=torch.Generator().manual_seed(seed),
        )

    assert torch.equal(run(1).params, run(1).params)
    assert not torch.equal(run(1).params, run(2).params)


def test_shuffle_orders_are_permutations():
    orders = shuffle_orders(torch.Generator().manual_seed(0), 50, 9)
    assert torch.equal(orders.sort(dim=1).values, torch.arange(9).expand(50, 9))


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.float16], ids=str)
def test_training_runs_in_the_params_dtype(dtype):
    params = _population("linear_1d", 8, 0).to(dtype)
    X, Y = data.linear_regression(32, noise=0.1, generator=torch.Generator().manual_seed(0), dtype=dtype)
    result = train(
        "linear_1d",
        params,
        data.Dataset(X, Y),
        optim.adam(),
        schedule=schedules.constant(0.05),
        stopping=StoppingRule(max_epochs=20),
        record=True,
        compile=False,
    )
    assert result.params.dtype == dtype and result.trajectory.params.dtype == dtype
    assert (result.final_loss.double() < _initial_loss(params, X, Y)).all()


def _initial_loss(params, X, Y):
    from harness.engine.losses import mse
    from harness.engine.models import get_model

    return mse(get_model("linear_1d"), params.double(), X.double(), Y.double())


def test_record_dtype_controls_trajectory_storage():
    result = _xor_run(record=True, record_dtype=torch.float16, compile=False)
    assert result.trajectory.params.dtype == torch.float16


def test_progress_reports_running_counts():
    calls = []
    _xor_run(compile=False, progress=lambda epoch, running: calls.append((epoch, running)))
    assert calls and calls[-1][1] == 0
    assert all(a[1] >= b[1] for a, b in pairwise(calls))


BAD_INPUTS = {
    "empty-population": (dict(params=torch.zeros(0, 3)), "B = 0"),
    "wrong-width": (dict(params=torch.zeros(4, 5)), r"shape \(B, 3\)"),
    "nan-params": (dict(params=torch.full((2, 3), float("nan"))), "NaN or inf"),
    "bad-batch-size": (dict(batch_size=0), "batch_size"),
    "bad-steps": (dict(steps_per_call=0), "steps_per_call"),
    "shuffle-without-generator": (dict(batch_size=2, shuffle=True), "generator"),
    "shuffle-without-batches": (dict(shuffle=True, generator=torch.Generator()), "batch_size"),
    "compile-many-samples": (
        dict(
            params=torch.zeros(2, 2),
            compile=True,
            data=data.linear_regression(33, noise=0.1, generator=torch.Generator().manual_seed(0)),
        ),
        "at most 32 samples",
    ),
    "compile-fp16": (dict(params=torch.zeros(2, 3, dtype=torch.float16), compile=True), "float32/float64 only"),
    "not-a-schedule": (dict(schedule=0.1), "schedule"),
    "not-a-rule": (dict(stopping={"max_epochs": 3}), "StoppingRule"),
    "integer-record-dtype": (dict(record=True, record_dtype=torch.int32), "record_dtype"),
}


@pytest.mark.parametrize("overrides, message", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_raises_clear_error(overrides, message):
    with pytest.raises(ValueError, match=message):
        _xor_run(**overrides)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(max_epochs=-1), "max_epochs"),
        (dict(max_epochs=10, loss_below=float("nan")), "loss_below"),
        (dict(max_epochs=10, grad_norm_below=0.0), "grad_norm_below"),
        (dict(max_epochs=10, patience=0), "patience"),
        (dict(max_epochs=10, min_improvement=float("inf")), "min_improvement"),
    ],
    ids=["negative-max", "nan-eps", "zero-delta", "zero-patience", "inf-improvement"],
)
def test_bad_stopping_rule_raises(kwargs, message):
    with pytest.raises(ValueError, match=message):
        StoppingRule(**kwargs)


@pytest.mark.parametrize(
    "model, dataset, optimizer, message",
    [
        (3, data.centered_xor(), optim.sgd(), "model must be"),
        ("abs_neuron", (torch.zeros(4, 2).numpy(), torch.zeros(4, 1).numpy()), optim.sgd(), "Dataset"),
        ("abs_neuron", data.centered_xor(), "sgd", "init/update"),
    ],
    ids=["model-not-a-model", "numpy-data", "optimizer-name"],
)
def test_wrong_argument_types_raise_value_error(model, dataset, optimizer, message):
    with pytest.raises(ValueError, match=message):
        train(
            model,
            torch.zeros(2, 3),
            dataset,
            optimizer,
            schedule=schedules.constant(0.1),
            stopping=StoppingRule(max_epochs=1),
        )


def test_half_precision_is_never_auto_compiled(monkeypatch):
    from harness.engine import compiling, epochs

    monkeypatch.setenv(compiling.COMPILE_ENV, "1")
    monkeypatch.setattr(
        compiling, "COSTS", dataclasses.replace(compiling.COSTS, compile_per_unit=0.0, compile_fixed=0.0)
    )
    monkeypatch.setattr(epochs, "compiled_chunk", lambda spec: pytest.fail("fp16 must run eagerly"))
    result = _xor_run(params=_population("abs_neuron", 4, 0).half(), stopping=StoppingRule(max_epochs=3))
    assert result.params.dtype == torch.float16


def test_unknown_model_name_raises():
    with pytest.raises(ValueError, match="unknown model"):
        train(
            "nope",
            torch.zeros(1, 3),
            data.centered_xor(),
            optim.sgd(),
            schedule=schedules.constant(0.1),
            stopping=StoppingRule(max_epochs=1),
        )


COMPILED_CASES = {
    "abs_neuron-sgd": ("abs_neuron", optim.sgd(), StoppingRule(max_epochs=30, loss_below=1e-6, grad_norm_below=1e-8)),
    "relu_pair-clip-adam-patience": (
        "relu_pair",
        optim.chain(optim.clip_by_member_norm(0.5), optim.adam()),
        StoppingRule(max_epochs=30, loss_below=1e-3, patience=3, min_improvement=1e-3),
    ),
}


@pytest.mark.parametrize("name, spec, rule", COMPILED_CASES.values(), ids=COMPILED_CASES.keys())
def test_compiled_chunks_equal_eager_chunks(name, spec, rule):
    params = _population(name, 256, 11)
    kwargs = dict(schedule=schedules.warmup_cosine(0.05, warmup_epochs=3, total_epochs=30), stopping=rule, record=True)
    dataset = data.centered_xor(dtype=torch.float64)
    eager = train(name, params, dataset, spec, compile=False, **kwargs)
    fused = train(name, params, dataset, spec, compile=True, steps_per_call=3, **kwargs)
    assert torch.equal(eager.epochs, fused.epochs) and torch.equal(eager.reason, fused.reason)
    assert_close(fused.params, eager.params, rtol=1e-10, atol=1e-12)
    assert_close(fused.trajectory.loss, eager.trajectory.loss, rtol=1e-10, atol=1e-12)


@pytest.fixture
def fused_eagerly(monkeypatch):
    """Run the fused (unrolled, chunked) code path without inductor: ``torch.compile`` returns the function."""
    from harness.engine import compiling, epochs

    monkeypatch.setenv(compiling.COMPILE_ENV, "1")
    monkeypatch.setattr(epochs.torch, "compile", lambda fn, **kwargs: fn)
    epochs.compiled_chunk.cache_clear()
    yield
    epochs.compiled_chunk.cache_clear()


@settings(
    deadline=None, max_examples=25, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(
    name=st.sampled_from(["abs_neuron", "relu_pair", "linear_1d"]),
    population=st.integers(1, 3),
    seed=st.integers(0, 2**31),
    optimizer=st.sampled_from(sorted(OPTIMIZERS)),
    rule=rule_strategy.filter(lambda r: r.max_epochs <= 8),
    batch_size=st.integers(1, 5),
    shuffle=st.booleans(),
    steps_per_call=st.integers(1, 4),
)
def test_fused_online_and_minibatch_match_per_model_torch(
    fused_eagerly, name, population, seed, optimizer, rule, batch_size, shuffle, steps_per_call
):
    """The fused mini-batch path (per-sample or per-batch steps unrolled in chunks of epochs) equals the plain loop."""
    X, Y = MODEL_DATA[name](dtype=torch.float64)
    params = _population(name, population, seed)
    spec = OPTIMIZERS[optimizer]
    schedule = schedules.warmup_cosine(0.05, warmup_epochs=2, total_epochs=10)
    result = train(
        name,
        params,
        data.Dataset(X, Y),
        spec,
        schedule=schedule,
        stopping=rule,
        batch_size=batch_size,
        shuffle=shuffle,
        generator=torch.Generator().manual_seed(seed),
        record=True,
        compile=True,
        steps_per_call=steps_per_call,
    )
    replay = torch.Generator().manual_seed(seed)
    orders = [shuffle_orders(replay, population, X.shape[0]) for _ in range(rule.max_epochs)] if shuffle else None
    runs = [
        reference.train_minibatch(
            name,
            row,
            X,
            Y,
            spec,
            schedule,
            rule,
            batch_size=batch_size,
            orders=[order[member] for order in orders] if shuffle else None,
        )
        for member, row in enumerate(params)
    ]
    _assert_matches_reference(result, runs, loss_offset=1)


def test_fused_full_batch_of_a_sigmoid_mlp_matches_per_model_torch(fused_eagerly):
    model = mlp((2, 3, 1), ("sigmoid",), "sigmoid")
    X, Y = data.xor01(dtype=torch.float64)
    params = torch.randn(3, model.n_params, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    spec, schedule, rule = (
        optim.sgd(momentum=0.7),
        schedules.constant(1.0),
        StoppingRule(max_epochs=30, loss_below=0.05),
    )
    result = train(
        model,
        params,
        data.Dataset(X, Y),
        spec,
        schedule=schedule,
        stopping=rule,
        record=True,
        compile=True,
        steps_per_call=4,
    )
    _assert_matches_reference(
        result, [reference.train_full_batch(model, row, X, Y, spec, schedule, rule) for row in params]
    )


def test_compiled_online_training_equals_eager(monkeypatch):
    """Inductor's fused online epochs (shuffled, per-member orders) equal the eager per-sample loop."""
    from harness.engine import compiling

    monkeypatch.setenv(compiling.COMPILE_ENV, "1")
    params = _population("abs_neuron", 256, 12)
    kwargs = dict(
        schedule=schedules.constant(0.05),
        stopping=StoppingRule(max_epochs=9, loss_below=1e-3),
        record=True,
        batch_size=1,
        shuffle=True,
    )
    dataset = data.centered_xor(dtype=torch.float64)
    eager = train(
        "abs_neuron",
        params,
        dataset,
        optim.sgd(momentum=0.5),
        compile=False,
        generator=torch.Generator().manual_seed(3),
        **kwargs,
    )
    fused = train(
        "abs_neuron",
        params,
        dataset,
        optim.sgd(momentum=0.5),
        compile=True,
        steps_per_call=3,
        generator=torch.Generator().manual_seed(3),
        **kwargs,
    )
    assert torch.equal(eager.epochs, fused.epochs) and torch.equal(eager.reason, fused.reason)
    assert_close(fused.params, eager.params, rtol=1e-10, atol=1e-12)
    assert_close(fused.trajectory.loss, eager.trajectory.loss, rtol=1e-10, atol=1e-12)


def test_a_failing_compile_falls_back_to_eager_with_one_warning_line(monkeypatch):
    from harness.engine import compiling, epochs

    def broken_compile(fn, **kwargs):
        def raise_pages(*args):
            raise RuntimeError("C++ compile error\n" + "internal compiler error: Segmentation fault\n" * 1000)

        return raise_pages

    monkeypatch.setenv(compiling.COMPILE_ENV, "1")
    monkeypatch.setattr(epochs.torch, "compile", broken_compile)
    epochs.compiled_chunk.cache_clear()
    try:
        with pytest.warns(compiling.CompileFallbackWarning) as caught:
            fused = _xor_run(compile=True, steps_per_call=4)
    finally:
        epochs.compiled_chunk.cache_clear()
    eager = _xor_run(compile=False)
    assert len(caught) == 1 and "\n" not in str(caught[0].message) and len(str(caught[0].message)) < 400
    assert "RuntimeError: C++ compile error" in str(caught[0].message)
    assert torch.equal(fused.epochs, eager.epochs)
    assert_close(fused.params, eager.params, rtol=1e-12, atol=1e-14)


def test_trajectory_memory_is_rows_times_members_times_params_plus_two():
    result = _xor_run(record=True, compile=False)
    rows, members = result.trajectory.loss.shape
    assert result.trajectory.nbytes == rows * members * (3 + 2) * 8


@pytest.mark.parametrize("batch_size", [None, 3], ids=["full-batch", "minibatch"])
def test_final_loss_is_the_full_data_mse_at_the_final_params(batch_size):
    from harness.engine.losses import mse
    from harness.engine.models import get_model

    X, Y = data.linear_regression(10, noise=0.3, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    result = train(
        "linear_1d",
        _population("linear_1d", 5, 2),
        data.Dataset(X, Y),
        optim.sgd(),
        schedule=schedules.constant(0.05),
        stopping=StoppingRule(max_epochs=7, loss_below=0.2),
        batch_size=batch_size,
        compile=False,
    )
    assert_close(result.final_loss, mse(get_model("linear_1d"), result.params, X, Y), rtol=1e-12, atol=1e-14)


@pytest.mark.gpu
def test_cuda_population_matches_cpu_population():
    params = _population("relu_pair", 512, 5)
    kwargs = dict(
        schedule=schedules.constant(0.05), stopping=StoppingRule(max_epochs=40, loss_below=1e-4), compile=False
    )
    cpu = train("relu_pair", params, data.centered_xor(dtype=torch.float64), optim.adam(), **kwargs)
    gpu = train("relu_pair", params.cuda(), data.centered_xor(dtype=torch.float64), optim.adam(), **kwargs)
    assert torch.equal(cpu.epochs, gpu.epochs.cpu())
    assert_close(gpu.params.cpu(), cpu.params, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize(
    "evaluations, most, expected", [(101, 20, 17), (39, 20, 20), (40, 20, 20), (41, 20, 14), (5, 20, 5), (31, 3, 3)]
)
def test_balanced_steps_cover_evaluations_with_least_tail(evaluations, most, expected):
    from harness.engine.trainer import balanced_steps

    steps = balanced_steps(evaluations, most)
    assert steps == expected and steps <= most
    assert -(-evaluations // steps) == -(-evaluations // most)


def _compare_compaction(optimizer, params, stopping):
    """The same eager full-batch run without and with ``compact_stopped``."""
    return [
        train(
            "abs_neuron",
            params,
            data.centered_xor(dtype=params.dtype),
            optimizer,
            schedule=schedules.constant(0.05),
            stopping=stopping,
            compile=False,
            steps_per_call=3,
            compact_stopped=flag,
        )
        for flag in (False, True)
    ]


@settings(deadline=None, max_examples=15, suppress_health_check=[HealthCheck.too_slow])
@given(
    optimizer=st.sampled_from(sorted(OPTIMIZERS)),
    seed=st.integers(0, 2**31),
    dtype=st.sampled_from([torch.float32, torch.float64]),
    solved=st.integers(32, 60),
)
def test_compacting_stopped_members_changes_no_result(optimizer, seed, dtype, solved):
    from unittest import mock

    from harness.engine import trainer

    params = _population("abs_neuron", 64, seed).to(dtype)
    params[torch.randperm(64, generator=torch.Generator().manual_seed(seed))[:solved]] = torch.tensor(
        [0.5, -0.5, 0.0], dtype=dtype
    )  # |x1 - x2| / 2 solves XOR: these stop at evaluation 0, so compaction runs
    with mock.patch.object(trainer, "_take", wraps=trainer._take) as take:
        plain, compacted = _compare_compaction(
            OPTIMIZERS[optimizer], params, StoppingRule(max_epochs=120, loss_below=0.05, grad_norm_below=1e-6)
        )
    assert take.call_count >= 1
    for field in ("params", "epochs", "reason", "final_loss"):
        assert torch.equal(getattr(compacted, field), getattr(plain, field)), field


def test_compaction_runs_when_most_members_stopped(monkeypatch):
    from harness.engine import trainer

    sizes = []
    original = trainer._take
    monkeypatch.setattr(trainer, "_take", lambda index, *rest: sizes.append(len(index)) or original(index, *rest))
    params = _population("abs_neuron", 64, 3)
    params[:48] = torch.tensor([0.5, -0.5, 0.0], dtype=params.dtype)  # |x1 - x2| / 2 solves XOR: stops at evaluation 0
    plain, compacted = _compare_compaction(optim.adam(), params, StoppingRule(max_epochs=60, loss_below=1e-3))
    assert sizes and sizes[0] <= 16
    assert torch.equal(compacted.params, plain.params) and torch.equal(compacted.epochs, plain.epochs)


def test_compact_stopped_must_be_a_bool():
    with pytest.raises(ValueError, match="compact_stopped"):
        _xor_run(compact_stopped=1)


def _stops_at_once(formulation, compile=None, **kw):
    """abs_neuron on centered XOR whose compile policy would compile (B 100,000, 20,000 epochs in the rule) but whose
    every member stops at epoch 0 (loss below 1e9): what the trainer decides costs one evaluation."""
    params = _population("abs_neuron", 100_000, 3)
    rule = StoppingRule(max_epochs=20_000, loss_below=1e9)
    return train(
        "abs_neuron",
        params,
        data.centered_xor(dtype=params.dtype),
        optim.sgd(),
        schedule=schedules.constant(0.1),
        stopping=rule,
        formulation=formulation,
        compile=compile,
        **kw,
    )


@pytest.mark.parametrize("requested", ["matrices", "matrices-object"])
def test_asking_for_matrices_with_the_automatic_compile_trains_them_eagerly(monkeypatch, requested):
    """The automatic compile choice never overrules an explicit formulation: it does not swap the matrices asked for
    for compiled columns (nor raise that matrices are never unrolled)."""
    monkeypatch.setenv(compiling.COMPILE_ENV, "1")
    assert compiling.should_compile(
        None, population=100_000, n_params=3, n_samples=4, updates_per_epoch=1, dtype=torch.float32, epochs=20_000
    ), "precondition: the policy would compile this run in the column form"
    formulation = "matrices" if requested == "matrices" else Matrices(network(get_model("abs_neuron")))
    result = _stops_at_once(formulation)
    assert int(result.epochs.max()) == 0 and bool((result.reason == StopReason.CONVERGED_LOSS).all())


def test_an_explicit_compile_of_matrices_is_a_clear_error():
    with pytest.raises(ValueError, match="never unrolled"):
        _stops_at_once("matrices", compile=True)


def test_compile_with_a_precision_strategy_is_a_clear_error():
    with pytest.raises(ValueError, match="precision strategy"):
        _stops_at_once(None, compile=True, precision=Precision())
