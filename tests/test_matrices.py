"""The batched-matrix formulation: its losses and gradients equal autograd's, its network mirrors the MLP."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.engine import matrices, models
from harness.engine.losses import member_mse
from harness.engine.models import Model
from tests.helpers import assert_close
from tests.test_models import small_mlps


def _autograd(model: Model, params: torch.Tensor, X: torch.Tensor, Y: torch.Tensor):
    """Per-member MSE and gradient by autograd through the column form."""
    columns = [c.clone().requires_grad_(True) for c in params.unbind(1)]
    losses = member_mse(model, columns, X, Y)
    losses.sum().backward()
    return losses.detach(), torch.stack([c.grad for c in columns], dim=1)


@settings(deadline=None, max_examples=60)
@given(
    model=small_mlps(max_params=120),
    population=st.integers(1, 4),
    # few samples (batched products) and at least SHORT_SAMPLES (narrow layers as multiply-adds, plain sums)
    n_samples=st.one_of(st.integers(1, 7), st.integers(matrices.SHORT_SAMPLES, matrices.SHORT_SAMPLES + 8)),
    shared=st.booleans(),
    seed=st.integers(0, 2**31),
)
def test_loss_and_grad_match_autograd(model, population, n_samples, shared, seed):
    gen = torch.Generator().manual_seed(seed)
    params = torch.randn(population, model.n_params, generator=gen, dtype=torch.float64)
    lead = (n_samples,) if shared else (population, n_samples)
    X = torch.randn(*lead, model.n_inputs, generator=gen, dtype=torch.float64)
    Y = torch.randn(*lead, model.n_outputs, generator=gen, dtype=torch.float64)
    net = matrices.network(model)
    loss, grad = matrices.loss_and_grad(net, params, matrices.feature_major(X), matrices.feature_major(Y))
    expected_loss, expected_grad = _autograd(model, params, X, Y)
    assert_close(loss, expected_loss, rtol=1e-12, atol=1e-12)
    assert_close(grad, expected_grad, rtol=1e-10, atol=1e-12)


@settings(deadline=None, max_examples=30)
@given(model=small_mlps(max_params=120), population=st.integers(1, 4), seed=st.integers(0, 2**31))
def test_forward_matches_the_column_form(model, population, seed):
    gen = torch.Generator().manual_seed(seed)
    params = torch.randn(population, model.n_params, generator=gen, dtype=torch.float64)
    X = torch.randn(5, model.n_inputs, generator=gen, dtype=torch.float64)
    outputs = matrices.forward(matrices.network(model), params, matrices.feature_major(X))  # (B, O, N)
    assert_close(outputs.transpose(1, 2), models.batched_forward(model, params, X), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("n_samples", [6, matrices.SHORT_SAMPLES + 2], ids=["few_samples", "many_samples"])
@pytest.mark.parametrize("fan", [1, matrices.SMALL_FAN, matrices.SMALL_FAN + 3], ids=["one", "small", "wide"])
def test_narrow_and_wide_layers_agree_with_autograd(fan, n_samples):
    """Every code path of a layer on per-member inputs, fan-in and fan-out alike: batched products (few samples, or a
    fan over ``SMALL_FAN``) and broadcast multiply-adds with sums over samples (fan <= ``SMALL_FAN`` and at least
    ``SHORT_SAMPLES`` samples)."""
    model = models.mlp((2, fan, fan, 1), ("tanh", "relu"))
    gen = torch.Generator().manual_seed(fan)
    params = torch.randn(3, model.n_params, generator=gen, dtype=torch.float64)
    X, Y = (
        torch.randn(3, n_samples, 2, generator=gen, dtype=torch.float64),
        torch.randn(3, n_samples, 1, generator=gen, dtype=torch.float64),
    )
    loss, grad = matrices.loss_and_grad(
        matrices.network(model), params, matrices.feature_major(X), matrices.feature_major(Y)
    )
    expected_loss, expected_grad = _autograd(model, params, X, Y)
    assert_close(loss, expected_loss, rtol=1e-12, atol=1e-12)
    assert_close(grad, expected_grad, rtol=1e-10, atol=1e-12)


def test_network_offsets_follow_the_sequential_parameter_order():
    net = matrices.network(models.mlp((2, 3, 1), ("sigmoid",), "sigmoid"))
    assert [(layer.weight, layer.bias) for layer in net.layers] == [(0, 6), (9, 12)]
    assert net.n_params == 13
    params = torch.arange(13.0).expand(2, 13)
    assert torch.equal(net.layers[0].weight_view(params)[0], torch.arange(6.0).view(3, 2))
    assert torch.equal(net.layers[1].bias_view(params)[0], torch.tensor([12.0]))


def test_models_without_a_matrix_backward_have_no_network():
    custom = Model("custom", ("a",), 1, 1, lambda p, x: (p[0] * x[0],))
    assert matrices.network(custom) is None
    models.ACTIVATIONS["cube_for_test"] = lambda z: z**3
    try:
        assert matrices.network(models.mlp((1, 1), (), "cube_for_test")) is None
    finally:
        del models.ACTIVATIONS["cube_for_test"]


def test_feature_major_transposes_shared_and_per_member_samples():
    assert matrices.feature_major(torch.zeros(5, 2)).shape == (2, 5)
    samples = torch.arange(30.0).view(3, 5, 2)
    per_member = matrices.feature_major(samples)
    assert per_member.shape == (3, 2, 5) and per_member.data_ptr() == samples.data_ptr()  # a view: no copy per step
    assert torch.equal(per_member[1, 0], samples[1, :, 0])
