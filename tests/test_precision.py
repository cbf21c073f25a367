"""harness.engine.precision: the mixed-precision strategy of the one trainer, and source 003's per-member-data
mini-batch training of y = w x + b through it, in fp32, fp16 and fp16 with loss scaling."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.engine import formulations, matrices, models
from harness.engine.optim import adam, sgd
from harness.engine.precision import (
    LossScaler,
    MemberSettings,
    Precision,
    linear_mse,
    train_linear,
    update_scale,
)
from harness.engine.trainer import StopReason


def _settings(
    B: int,
    *,
    lr=1e-2,
    epochs=3,
    patience=math.inf,
    min_improvement=0.0,
    clip=math.inf,
    weight_decay=0.0,
    groups=None,
    record=False,
) -> MemberSettings:
    full = lambda v, dtype=torch.float32: torch.full((B,), v, dtype=dtype)  # noqa: E731
    return MemberSettings(
        lr=torch.full((epochs, B), lr),
        max_epochs=full(epochs, torch.int64),
        patience=full(float(patience)),
        min_improvement=full(min_improvement),
        clip=full(clip),
        weight_decay=full(weight_decay),
        shuffle_group=torch.full((B,), -1, dtype=torch.int64) if groups is None else torch.as_tensor(groups),
        record=torch.full((B,), record, dtype=torch.bool),
    )


def _data(B: int, N: int, seed: int = 0, noise: float = 0.1):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(B, N, generator=g, dtype=torch.float64)
    return X, 2 * X + 1 + noise * torch.randn(B, N, generator=g, dtype=torch.float64)


def _torch_reference(w0, b0, x, y, *, lr, epochs, batch_size, clip=None, weight_decay=0.0):
    """nn.Linear(1, 1) + torch.optim.Adam on one data row, data order, the document's loop."""
    model = torch.nn.Linear(1, 1)
    with torch.no_grad():
        model.weight.fill_(w0)
        model.bias.fill_(b0)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    x, y = x.float()[:, None], y.float()[:, None]
    for _ in range(epochs):
        for i in range(0, len(x), batch_size):
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(model(x[i : i + batch_size]), y[i : i + batch_size])
            loss.backward()
            if clip is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
    return model.weight.item(), model.bias.item()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
@pytest.mark.parametrize("n", [4, 8])
def test_the_linear_gradient_rounds_as_autograd_does(dtype, n):
    """The matrix formulation of y = w x + b computes autograd's operations in autograd's order: the same bits
    (n a power of two, where autograd's (2 r)(1/n) and the single scaling 2/n round alike)."""
    X, Y = _data(3, n)
    params = torch.tensor([[0.3, -0.2], [1.5, 0.7], [-1.0, 2.0]], dtype=dtype)
    form = formulations.Matrices(matrices.network(models.get_model("linear_1d")), autograd_order=True)
    Xl, Yl = form.layout(X.to(dtype).unsqueeze(-1)), form.layout(Y.to(dtype).unsqueeze(-1))
    (grad,), loss = form.loss_and_grad(form.tree(params), Xl, Yl)
    p = params.clone().requires_grad_(True)
    ref = ((p[:, :1] * X.to(dtype) + p[:, 1:] - Y.to(dtype)) ** 2).mean(dim=1)
    ref.sum().backward()
    assert torch.equal(loss, ref.detach()) and torch.equal(grad, p.grad)


def test_a_scaled_loss_gives_the_scaled_gradient_and_the_unscaled_loss():
    X, Y = _data(2, 4)
    params = torch.tensor([[0.3, -0.2], [1.5, 0.7]], dtype=torch.float16)
    form = formulations.choose(models.get_model("linear_1d"), "matrices", unroll=False)
    Xl, Yl = form.layout(X.half().unsqueeze(-1)), form.layout(Y.half().unsqueeze(-1))
    (plain,), loss = form.loss_and_grad(form.tree(params), Xl, Yl)
    scale = torch.tensor([8.0, 1024.0], dtype=torch.float16)
    (scaled,), scaled_loss = form.loss_and_grad(form.tree(params), Xl, Yl, scale=scale)
    assert torch.equal(scaled_loss, loss)
    assert torch.equal(scaled, plain * scale[:, None])  # powers of two: exact


@pytest.mark.parametrize(
    "case", [dict(), dict(clip=0.05), dict(weight_decay=0.01)], ids=["adam", "clip", "weight_decay"]
)
def test_fp32_training_matches_torch_adam(case):
    X, Y = _data(2, 12, seed=1)
    params = torch.tensor([[-0.92, -0.85], [0.4, 0.1]])
    s = _settings(2, lr=0.01, epochs=3, clip=case.get("clip", math.inf), weight_decay=case.get("weight_decay", 0.0))
    run = train_linear(params, X, Y, adam(), s, batch_size=5)
    for i in range(2):
        w, b = _torch_reference(
            *params[i].tolist(),
            X[i],
            Y[i],
            lr=0.01,
            epochs=3,
            batch_size=5,
            clip=case.get("clip"),
            weight_decay=case.get("weight_decay", 0.0),
        )
        torch.testing.assert_close(run.params[i], torch.tensor([w, b]), rtol=1e-5, atol=1e-6)


def test_members_are_independent_of_each_other():
    X, Y = _data(3, 20, seed=2)
    params = torch.tensor([[0.0, 0.0], [1.0, -1.0], [3.0, 2.0]])
    together = train_linear(params, X, Y, adam(), _settings(3, epochs=4), batch_size=6)
    alone = train_linear(params[1:2], X[1:2], Y[1:2], adam(), _settings(1, epochs=4), batch_size=6)
    torch.testing.assert_close(together.params[1:2], alone.params)


def test_patience_stops_a_member_that_cannot_improve():
    X = torch.randn(2, 8, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    Y = 2 * X + 1
    params = torch.tensor([[2.0, 1.0], [0.0, 0.0]])
    s = _settings(2, epochs=30, patience=3, min_improvement=1e-7)
    s = s._replace(lr=torch.tensor([[0.0, 0.01]]).repeat(30, 1))  # member 0 never moves: its loss never improves
    run = train_linear(params, X, Y, adam(), s, batch_size=4)
    assert int(run.reason[0]) == int(StopReason.PATIENCE) and int(run.epochs[0]) == 4  # best set at 1, no gain for 3
    assert int(run.reason[1]) in (int(StopReason.MAX_EPOCHS), int(StopReason.PATIENCE))
    assert run.epoch_loss.shape[1] == 2 and run.trajectory.shape[0] == run.epoch_loss.shape[0] + 1


def test_shuffle_groups_pair_members_and_change_the_order():
    X, Y = _data(1, 16, seed=3)
    X, Y = X.repeat(3, 1), Y.repeat(3, 1)
    params = torch.tensor([[0.0, 0.0]]).repeat(3, 1)
    s = _settings(3, epochs=2, groups=[0, 0, -1])
    run = train_linear(params, X, Y, adam(), s, batch_size=4, generator=torch.Generator().manual_seed(5))
    torch.testing.assert_close(run.params[0], run.params[1])  # same group, same data: same permutations
    assert not torch.equal(run.params[0], run.params[2])  # shuffled vs data order


def test_pure_fp16_rounds_away_small_updates():
    X, Y = _data(1, 8, seed=4)
    params = torch.tensor([[-0.92, -0.85]])
    s = _settings(1, lr=1e-4, epochs=2)  # Adam moves ~1e-4 per step, under half a float16 ulp at 0.92 (2.4e-4)
    half = train_linear(params, X, Y, adam(), s, batch_size=8, precision="fp16")
    full = train_linear(params, X, Y, adam(), s, batch_size=8, precision="fp32")
    assert torch.equal(half.params, params.half().float())
    assert not torch.equal(full.params, params)


def test_dynamic_loss_scaling_skips_overflow_and_then_trains():
    X, Y = _data(1, 64, seed=5)
    params = torch.tensor([[-0.92, -0.85]])
    s = _settings(1, lr=1e-2, epochs=2)
    run = train_linear(
        params, X, Y, adam(), s, batch_size=8, precision="fp16_dynamic", scaler=LossScaler(init_scale=2.0**24)
    )
    assert int(run.skipped[0]) >= 1  # 2^24 times a gradient of order 1 overflows float16 (max 65504)
    assert (run.params - params).abs().min() > 0.01
    assert float(run.final_mse[0]) < float(run.initial_loss[0])


def test_update_scale_backs_off_on_overflow_and_grows_after_the_interval():
    scaler = LossScaler(init_scale=8.0, growth_interval=2)
    scale, good = torch.tensor([8.0, 8.0, 8.0]), torch.tensor([0.0, 1.0, 0.0])
    finite = torch.tensor([False, True, True])
    new_scale, new_good = update_scale(scaler, scale, good, finite)
    assert new_scale.tolist() == [4.0, 16.0, 8.0] and new_good.tolist() == [0.0, 0.0, 1.0]


def test_the_strategy_zeroes_overflowing_gradients_and_counts_the_skipped_step():
    strategy = Precision(torch.float16, LossScaler(init_scale=2.0**14))
    form = formulations.choose(models.get_model("linear_1d"), "matrices", unroll=False)
    params = torch.tensor([[0.5, 0.0], [300.0, 0.0]])  # member 1: residual ~300, times 2^14 overflows float16
    X = torch.full((2, 4, 1), 1.0, dtype=torch.float16)
    Y = torch.zeros(2, 4, 1, dtype=torch.float16)
    grads, losses, finite, state = strategy.gradients(
        form, form.tree(params), form.layout(X), form.layout(Y), strategy.init(2, params.device)
    )
    assert finite.tolist() == [True, False] and state.skipped.tolist() == [0, 1]
    assert state.scale.tolist() == [2.0**14, 2.0**13]
    assert grads[0].dtype == torch.float32 and torch.equal(grads[0][1], torch.zeros(2))
    torch.testing.assert_close(grads[0][0], torch.tensor([1.0, 1.0]), rtol=1e-3, atol=1e-3)  # d/dw mean((w - 0)^2) = 2w


def test_grad_norms_are_recorded_for_marked_members_only():
    X, Y = _data(2, 8)
    s = _settings(2, epochs=2)._replace(record=torch.tensor([False, True]))
    run = train_linear(torch.zeros(2, 2), X, Y, adam(), s, batch_size=4)
    assert run.grad_norms.shape == (4, 1) and bool((run.grad_norms > 0).all())


def test_linear_mse_is_float64_mse():
    X, Y = _data(2, 10)
    params = torch.tensor([[1.0, 0.5], [2.0, 1.0]])
    expected = ((params[:, :1].double() * X + params[:, 1:].double() - Y) ** 2).mean(1)
    torch.testing.assert_close(linear_mse(params, X, Y), expected)


@pytest.mark.parametrize(
    "bad",
    [
        dict(params=torch.zeros(2, 3)),
        dict(params=torch.tensor([[math.nan, 0.0], [0.0, 0.0]])),
        dict(X=torch.zeros(3, 4)),
        dict(batch_size=0),
        dict(precision="bf16"),
        dict(optimizer=sgd()),
        dict(settings=_settings(3)),
        dict(Y=torch.full((2, 4), math.inf)),
    ],
    ids=["params_shape", "params_nan", "X_rows", "batch_size", "precision", "optimizer", "settings_shape", "Y_inf"],
)
def test_bad_input_raises_value_error(bad):
    args = dict(
        params=torch.zeros(2, 2),
        X=torch.zeros(2, 4),
        Y=torch.zeros(2, 4),
        optimizer=adam(),
        settings=_settings(2),
        batch_size=2,
        precision="fp32",
    )
    args.update(bad)
    with pytest.raises(ValueError):
        train_linear(
            args["params"],
            args["X"],
            args["Y"],
            args["optimizer"],
            args["settings"],
            batch_size=args["batch_size"],
            precision=args["precision"],
        )


def test_shuffling_needs_a_generator():
    with pytest.raises(ValueError, match="Generator"):
        train_linear(
            torch.zeros(1, 2), torch.zeros(1, 4), torch.zeros(1, 4), adam(), _settings(1, groups=[0]), batch_size=2
        )


@settings(deadline=None, max_examples=15)
@given(w=st.floats(-3, 3), b=st.floats(-3, 3), batch=st.integers(1, 9))
def test_loss_never_increases_at_tiny_learning_rate_full_batch(w, b, batch):
    # One epoch at a tiny rate moves the parameters downhill for a convex MSE (full batch: one step).
    X, Y = _data(1, 9, seed=7, noise=0.0)
    run = train_linear(torch.tensor([[w, b]]), X, Y, adam(), _settings(1, lr=1e-4, epochs=1), batch_size=9)
    assert float(run.final_mse[0]) <= float(run.initial_loss[0]) + 1e-9
    assert batch >= 1  # the drawn batch size only varies the example count


def test_training_restores_the_callers_thread_count():
    before = torch.get_num_threads()
    X, Y = _data(1, 8)
    train_linear(torch.zeros(1, 2), X, Y, adam(), _settings(1, epochs=1), batch_size=4)
    assert torch.get_num_threads() == before


def _mixed_population(B: int, seed: int):
    """Members that stop at different epochs (patience 2..6, caps 3..12), half shuffling in shared groups, some recorded."""
    g = torch.Generator().manual_seed(seed)
    X, Y = _data(B, 23, seed=seed, noise=0.3)
    params = torch.randn(B, 2, generator=g)
    epochs = torch.randint(3, 13, (B,), generator=g)
    s = _settings(B, lr=0.02, epochs=12, min_improvement=1e-4, clip=0.5)
    groups = torch.where(torch.rand(B, generator=g) < 0.5, torch.randint(0, 4, (B,), generator=g), -1)
    s = s._replace(
        max_epochs=epochs,
        patience=torch.randint(2, 7, (B,), generator=g).float(),
        shuffle_group=groups,
        record=torch.arange(B) % 3 == 0,
        weight_decay=torch.where(torch.arange(B) % 4 == 0, 0.01, 0.0),
    )
    return params, X, Y, s


def _member(s: MemberSettings, index: torch.Tensor) -> MemberSettings:
    """The settings of the members ``index``."""
    return MemberSettings(*(v[:, index] if name == "lr" else v[index] for name, v in s._asdict().items()))


@pytest.mark.parametrize("precision", ["fp32", "fp16", "fp16_dynamic"])
@pytest.mark.parametrize("B", [7, 29])
def test_a_member_trained_alone_gets_the_same_bits_as_in_its_population(precision, B):
    """Members never interact: not through stopping (others stop at other epochs), batching or reductions."""
    params, X, Y, s = _mixed_population(B, seed=B)
    s = s._replace(shuffle_group=torch.full((B,), -1))
    together = train_linear(params, X, Y, adam(), s, batch_size=5, precision=precision)
    assert len(set(together.epochs.tolist())) > 2  # members really stop at different epochs
    for k in (0, B // 2, B - 1):
        index = torch.tensor([k])
        alone = train_linear(
            params[index], X[index], Y[index], adam(), _member(s, index), batch_size=5, precision=precision
        )
        for name in ("params", "epochs", "reason", "final_mse", "skipped"):
            assert torch.equal(getattr(alone, name)[0], getattr(together, name)[k]), name
        steps = int(alone.epochs[0])
        assert torch.equal(alone.trajectory[: steps + 1, 0], together.trajectory[: steps + 1, k])


def test_a_shuffle_group_sees_the_same_orders_whoever_still_trains():
    X, Y = _data(1, 16, seed=6)
    X, Y = X.repeat(2, 1), Y.repeat(2, 1)
    params = torch.zeros(2, 2)
    s = _settings(2, epochs=6, groups=[0, 0])._replace(max_epochs=torch.tensor([2, 6]))
    both = train_linear(params, X, Y, adam(), s, batch_size=4, generator=torch.Generator().manual_seed(2))
    alone = train_linear(
        params[1:],
        X[1:],
        Y[1:],
        adam(),
        _settings(1, epochs=6, groups=[0]),
        batch_size=4,
        generator=torch.Generator().manual_seed(2),
    )
    torch.testing.assert_close(both.params[1:], alone.params, rtol=0, atol=0)


def test_recorded_gradient_norms_are_nan_once_a_member_stopped():
    params, X, Y, s = _mixed_population(9, seed=3)
    s = s._replace(record=torch.ones(9, dtype=torch.bool))
    run = train_linear(params, X, Y, adam(), s, batch_size=5, generator=torch.Generator().manual_seed(0))
    steps_per_epoch = -(-X.shape[1] // 5)
    assert run.grad_norms.shape == (int(run.epochs.max()) * steps_per_epoch, 9)
    for k in range(9):
        taken = int(run.epochs[k]) * steps_per_epoch
        assert bool(torch.isfinite(run.grad_norms[:taken, k]).all()) and bool(run.grad_norms[taken:, k].isnan().all())


def test_on_epoch_sees_every_epoch_loss_and_parameters():
    params, X, Y, s = _mixed_population(5, seed=4)
    seen = []
    run = train_linear(
        params,
        X,
        Y,
        adam(),
        s,
        batch_size=5,
        generator=torch.Generator().manual_seed(0),
        on_epoch=lambda epoch, loss, theta: seen.append((epoch, loss.clone(), theta.clone())),
    )
    assert [e for e, _, _ in seen] == list(range(int(run.epochs.max())))
    assert torch.equal(torch.stack([loss for _, loss, _ in seen]), run.epoch_loss)
    assert torch.equal(torch.stack([theta for _, _, theta in seen]), run.trajectory[1:])
