"""Per-member everything in the one trainer: data, shuffle groups, rates, stopping values, optimizer settings,
step-norm records and compaction; each member trains as it would alone, and precision is a strategy of it."""

from __future__ import annotations

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.engine import data, optim, schedules
from harness.engine.formulations import FORMULATIONS
from harness.engine.models import mlp
from harness.engine.precision import LossScaler, Precision
from harness.engine.trainer import StoppingRule, StopReason, shuffle_orders, train

MODEL = mlp((1, 3, 1), ("tanh",))  # P = 10


def _population(B: int, seed: int, per_member_data: bool = True):
    """Per-member data (B, N, 1), parameters, a (T, B) rate table and per-member stopping values."""
    gen = torch.Generator().manual_seed(seed)
    lead = (B, 12) if per_member_data else (12,)
    X = torch.randn(*lead, 1, generator=gen, dtype=torch.float64)
    Y = torch.sin(2 * X) + 0.1 * torch.randn(*lead, 1, generator=gen, dtype=torch.float64)
    params = 0.5 * torch.randn(B, MODEL.n_params, generator=gen, dtype=torch.float64)
    rates = 0.02 + 0.1 * torch.rand(8, B, generator=gen, dtype=torch.float64)
    rule = StoppingRule(
        max_epochs=torch.randint(2, 9, (B,), generator=gen),
        patience=torch.randint(1, 4, (B,), generator=gen).double(),
        min_improvement=torch.full((B,), 1e-4, dtype=torch.float64),
        loss_below=torch.full((B,), 0.05, dtype=torch.float64),
    )
    return params, data.Dataset(X, Y), rates, rule


def _alone(rule: StoppingRule, b: int) -> StoppingRule:
    return rule.take(torch.tensor([b]))


@settings(deadline=None, max_examples=20, suppress_health_check=[HealthCheck.too_slow])
@given(
    B=st.integers(2, 6),
    shared=st.booleans(),
    seed=st.integers(0, 2**31),
    batch_size=st.sampled_from([None, 1, 5]),
    formulation=st.sampled_from(FORMULATIONS),
    compact=st.booleans(),
)
def test_each_member_trains_as_it_would_alone(B, shared, seed, batch_size, formulation, compact):
    params, dataset, rates, rule = _population(B, seed, per_member_data=not shared)
    decay = torch.linspace(0.0, 0.05, B, dtype=torch.float64)
    clip = torch.linspace(0.2, 2.0, B, dtype=torch.float64)
    spec = optim.chain(optim.add_decayed_weights(decay), optim.clip_by_member_norm(clip), optim.adam())
    kwargs = dict(batch_size=batch_size, compile=False, formulation=formulation)
    together = train(
        MODEL,
        params,
        dataset,
        spec,
        schedule=schedules.per_member(rates),
        stopping=rule,
        compact_stopped=compact,
        **kwargs,
    )
    for b in range(B):
        one = slice(b, b + 1)
        alone = train(
            MODEL,
            params[one],
            dataset if shared else data.Dataset(dataset.X[one], dataset.Y[one]),
            optim.chain(optim.add_decayed_weights(decay[one]), optim.clip_by_member_norm(clip[one]), optim.adam()),
            schedule=schedules.per_member(rates[:, one]),
            stopping=_alone(rule, b),
            **kwargs,
        )
        for name in ("params", "epochs", "reason", "final_loss"):
            got, expected = getattr(alone, name)[0], getattr(together, name)[b]
            if formulation == "columns":  # elementwise ops and row sums: the same bits in any population
                assert torch.equal(got, expected), (b, name)
            else:  # BLAS products may round a member's sums differently for another population size
                torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-14, check_dtype=False)


def test_members_stop_at_their_own_limits_and_patience():
    params, dataset, rates, rule = _population(6, 3)
    result = train(
        MODEL, params, dataset, optim.adam(), schedule=schedules.per_member(rates), stopping=rule, compile=False
    )
    stopped = (result.epochs <= rule.max_epochs).all()
    limit = result.stopped_by(StopReason.MAX_EPOCHS)
    assert stopped and torch.equal(result.epochs[limit], rule.max_epochs[limit])


@pytest.mark.parametrize("compact", [False, True], ids=["all-computed", "compacted"])
def test_a_shuffle_group_sees_one_order_per_epoch_and_minus_one_keeps_the_data_order(compact):
    params, dataset, rates, rule = _population(4, 5, per_member_data=False)
    params = params[:1].expand(4, -1).clone()  # the same start for everyone
    groups = torch.tensor([0, 0, 1, -1])
    common = dict(batch_size=3, schedule=schedules.constant(0.05), stopping=StoppingRule(max_epochs=4), compile=False)
    run = train(
        MODEL,
        params,
        dataset,
        optim.sgd(),
        shuffle=groups,
        generator=torch.Generator().manual_seed(9),
        compact_stopped=compact,
        **common,
    )
    assert torch.equal(run.params[0], run.params[1])
    assert not torch.equal(run.params[0], run.params[2])
    in_order = train(MODEL, params[3:], dataset, optim.sgd(), **common)
    assert torch.equal(run.params[3], in_order.params[0])
    replay = torch.Generator().manual_seed(9)
    first = shuffle_orders(replay, groups, 12)
    assert torch.equal(first[0], first[1]) and torch.equal(first[3], torch.arange(12))


def test_shuffle_orders_of_some_members_advance_the_generator_as_for_all():
    groups = torch.tensor([0, 1, 1, 2])
    everyone = shuffle_orders(torch.Generator().manual_seed(0), groups, 7)
    some = shuffle_orders(torch.Generator().manual_seed(0), groups, 7, torch.tensor([1, 3]))
    assert torch.equal(some, everyone[[1, 3]])
    assert shuffle_orders(torch.Generator().manual_seed(0), torch.tensor([0, -1]), 7, torch.tensor([1])) is None


@pytest.mark.parametrize("batch_size", [None, 4])
def test_compaction_changes_no_result_and_keeps_step_norm_columns(batch_size):
    params, dataset, rates, rule = _population(9, 11)
    record = torch.tensor([True, False, True, True, False, False, True, False, True])
    runs = [
        train(
            MODEL,
            params,
            dataset,
            optim.adam(),
            schedule=schedules.per_member(rates),
            stopping=rule,
            batch_size=batch_size,
            compile=False,
            record_steps=record,
            compact_stopped=compact,
        )
        for compact in (False, True)
    ]
    assert len(set(runs[0].epochs.tolist())) > 2  # members stop at different epochs: compaction happens
    for name in ("params", "epochs", "reason", "final_loss", "step_norms"):
        a, b = getattr(runs[0], name), getattr(runs[1], name)
        assert torch.equal(a.nan_to_num(-1.0), b.nan_to_num(-1.0)), name
    norms = runs[0].step_norms
    steps = 1 if batch_size is None else 3
    assert norms.shape == (int(runs[0].epochs.max()) * steps + (batch_size is None), int(record.sum()))


def test_on_epoch_reports_every_members_loss_and_parameters_each_epoch():
    params, dataset, rates, rule = _population(5, 2)
    seen = []
    result = train(
        MODEL,
        params,
        dataset,
        optim.adam(),
        schedule=schedules.per_member(rates),
        stopping=rule,
        batch_size=4,
        compile=False,
        compact_stopped=True,
        on_epoch=lambda epoch, loss, p: seen.append((epoch, loss.clone(), p.clone())),
    )
    assert [e for e, _, _ in seen] == list(range(int(result.epochs.max())))
    assert torch.equal(seen[-1][2], result.params)


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_dynamic_loss_scaling_trains_a_float32_population_in_float16(formulation):
    params, dataset, rates, rule = _population(8, 4, per_member_data=False)
    strategy = Precision(torch.float16, LossScaler(init_scale=2.0**20, growth_interval=5))
    result = train(
        MODEL,
        params.float(),
        dataset,
        optim.adam(),
        schedule=schedules.constant(0.05),
        stopping=StoppingRule(max_epochs=30),
        batch_size=4,
        compile=False,
        formulation=formulation,
        precision=strategy,
    )
    assert result.params.dtype == torch.float32
    assert bool((result.skipped >= 1).all())  # 2^20 times the gradient overflows float16 at first: steps skipped
    start = train(
        MODEL,
        params.float(),
        dataset,
        optim.adam(),
        schedule=schedules.constant(0.0),
        stopping=StoppingRule(max_epochs=1),
        batch_size=4,
        compile=False,
    )
    assert bool((result.final_loss < start.final_loss).all())


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(stopping=StoppingRule(max_epochs=torch.tensor([1, 2]))), "stopping.max_epochs has 2 values"),
        (dict(schedule=schedules.per_member(torch.full((3, 2), 0.1))), "per-member schedule has 2 members"),
        (dict(shuffle=torch.tensor([0, 1, 2]), batch_size=2), r"shuffle groups must be a \(4,\) integer tensor"),
        (dict(shuffle=torch.tensor([0, 1, -2, 0]), batch_size=2), "shuffle groups must be >= 0"),
        (dict(record_steps=torch.ones(3, dtype=torch.bool)), r"record_steps must be a \(4,\) bool tensor"),
        (dict(precision="fp16"), "precision must be None or"),
        (dict(data=data.Dataset(torch.zeros(3, 5, 1), torch.zeros(3, 5, 1))), r"per-member data must be X \(B, N, D\)"),
    ],
    ids=["rule-length", "schedule-length", "groups-length", "groups-value", "record-length", "precision", "data-rows"],
)
def test_per_member_settings_of_the_wrong_length_raise(kwargs, message):
    args = dict(
        data=data.Dataset(torch.zeros(5, 1), torch.zeros(5, 1)),
        schedule=schedules.constant(0.1),
        stopping=StoppingRule(max_epochs=2),
        generator=torch.Generator(),
    )
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        train(MODEL, torch.zeros(4, MODEL.n_params), args.pop("data"), optim.sgd(), **args)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(max_epochs=torch.tensor([1.0, 2.0])), "integer tensor"),
        (dict(max_epochs=torch.tensor([1, -1])), "max_epochs per member must be >= 0"),
        (dict(max_epochs=3, patience=torch.tensor([0.0, 2.0])), "patience per member must be >= 1"),
        (dict(max_epochs=3, patience=torch.tensor([1.5])), "whole numbers"),
        (dict(max_epochs=3, loss_below=torch.tensor([0.0])), "loss_below per member must be > 0"),
        (dict(max_epochs=3, min_improvement=torch.tensor([float("nan")])), "min_improvement per member"),
    ],
    ids=["float-limit", "negative-limit", "zero-patience", "fractional-patience", "zero-loss", "nan-improvement"],
)
def test_bad_per_member_stopping_values_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        StoppingRule(**kwargs)


def test_rules_with_tensors_compare_by_identity_and_numbers_by_value():
    limits = torch.tensor([3, 4])
    assert StoppingRule(max_epochs=limits) == StoppingRule(max_epochs=limits)
    assert StoppingRule(max_epochs=limits) != StoppingRule(max_epochs=limits.clone())
    assert StoppingRule(max_epochs=3, patience=2) == StoppingRule(max_epochs=3, patience=2)
    assert hash(StoppingRule(max_epochs=3)) == hash(StoppingRule(max_epochs=3))
    assert StoppingRule(max_epochs=limits).most_epochs == 4
    assert torch.equal(StoppingRule(max_epochs=limits).take(torch.tensor([1])).max_epochs, torch.tensor([4]))


def test_the_epoch_limit_wins_over_patience_at_the_last_epoch():
    # lr = 0: no improvement after evaluation 0, so patience 2 runs out at evaluation 2, the limit too.
    params, dataset, _, _ = _population(3, 0, per_member_data=False)
    result = train(
        MODEL,
        params,
        dataset,
        optim.sgd(),
        schedule=schedules.constant(0.0),
        stopping=StoppingRule(max_epochs=torch.tensor([2, 3, 5]), patience=2),
        compile=False,
    )
    assert result.reason.tolist() == [int(StopReason.MAX_EPOCHS), int(StopReason.PATIENCE), int(StopReason.PATIENCE)]
    assert result.epochs.tolist() == [2, 2, 2]
