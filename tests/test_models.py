"""Batched forward functions equal the per-model ``nn.Module`` references; bad input is rejected."""

from itertools import pairwise

import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from harness.engine import data, models
from tests.helpers import assert_close
from tests.reference import reference_module

MODEL_DATA = {
    "abs_neuron": data.centered_xor,
    "relu_pair": data.centered_xor,
    "mlp_2_2_2": data.one_hot_xor,
    "linear_1d": lambda dtype: data.linear_regression(
        7, noise=0.1, generator=torch.Generator().manual_seed(1), dtype=dtype
    ),
}
PARAM_COUNTS = {"abs_neuron": 3, "relu_pair": 6, "mlp_2_2_2": 12, "linear_1d": 2}


@pytest.mark.parametrize("name", sorted(PARAM_COUNTS))
def test_parameter_count_matches_module(name):
    module = reference_module(name, torch.zeros(PARAM_COUNTS[name], dtype=torch.float64))
    assert models.get_model(name).n_params == PARAM_COUNTS[name] == sum(p.numel() for p in module.parameters())


@settings(deadline=None, max_examples=25)
@given(name=st.sampled_from(sorted(MODEL_DATA)), population=st.integers(1, 6), seed=st.integers(0, 2**31))
def test_batched_forward_matches_module(name, population, seed):
    model = models.get_model(name)
    X, _ = MODEL_DATA[name](dtype=torch.float64)
    params = torch.randn(population, model.n_params, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    batched = models.batched_forward(model, params, X)
    expected = torch.stack([reference_module(name, row)(X) for row in params]).detach()
    assert_close(batched, expected, rtol=1e-12, atol=1e-12)


def test_abs_neuron_hand_example():
    params = torch.tensor([[1.0, -2.0, 0.5]], dtype=torch.float64)
    X = torch.tensor([[1.0, 1.0], [-1.0, 1.0]], dtype=torch.float64)
    out = models.batched_forward(models.get_model("abs_neuron"), params, X)
    assert_close(out, torch.tensor([[[0.5], [2.5]]], dtype=torch.float64), rtol=0, atol=1e-15)


def test_unknown_model_lists_known_names():
    with pytest.raises(ValueError, match="unknown model 'resnet'.*abs_neuron"):
        models.get_model("resnet")


@pytest.mark.parametrize(
    "params, message",
    [
        (torch.zeros(0, 3), "B = 0"),
        (torch.zeros(4, 2), r"shape \(B, 3\)"),
        (torch.zeros(3), r"shape \(B, 3\)"),
        (torch.tensor([[0.0, float("nan"), 0.0]]), "NaN or inf"),
        (torch.tensor([[float("inf"), float("-inf"), 0.0]]), "NaN or inf"),
        (torch.zeros(2, 3, dtype=torch.int64), "floating point"),
    ],
    ids=["empty", "wrong-P", "1d", "nan", "inf-minus-inf", "integer"],
)
def test_bad_population_is_rejected(params, message):
    with pytest.raises(ValueError, match=message):
        models.batched_forward(models.get_model("abs_neuron"), params, data.centered_xor().X)


def test_huge_finite_params_are_accepted_even_when_their_sum_overflows():
    params = torch.full((2, 3), 3e38, dtype=torch.float32)
    assert not torch.isfinite(params.sum())
    models.check_population(models.get_model("abs_neuron"), params)


def test_bad_input_width_is_rejected():
    with pytest.raises(ValueError, match=r"X for abs_neuron must have shape \(N, 2\)"):
        models.batched_forward(models.get_model("abs_neuron"), torch.zeros(1, 3), torch.zeros(4, 3))


ACTIVATION_NAMES = sorted(models.ACTIVATIONS)


@st.composite
def small_mlps(draw, max_params: int = 50):
    """A random small MLP (1-3 layers, widths 1-5) with at most ``max_params`` parameters."""
    widths = draw(st.lists(st.integers(1, 5), min_size=2, max_size=4))
    n_params = sum(a * b + b for a, b in pairwise(widths))
    # Larger networks are valid but slower to check; the property is the same.
    assume(n_params <= max_params)
    hidden = draw(st.lists(st.sampled_from(ACTIVATION_NAMES), min_size=len(widths) - 2, max_size=len(widths) - 2))
    output = draw(st.sampled_from(ACTIVATION_NAMES))
    return models.mlp(widths, hidden, output, sum_outputs=draw(st.booleans()))


@settings(deadline=None, max_examples=60)
@given(model=small_mlps(), population=st.integers(1, 4), n_samples=st.integers(1, 6), seed=st.integers(0, 2**31))
def test_mlp_forward_matches_nn_sequential(model, population, n_samples, seed):
    gen = torch.Generator().manual_seed(seed)
    params = torch.randn(population, model.n_params, generator=gen, dtype=torch.float64)
    X = torch.randn(n_samples, model.n_inputs, generator=gen, dtype=torch.float64)
    expected = torch.stack([reference_module(model, row)(X) for row in params]).detach()
    assert_close(models.batched_forward(model, params, X), expected, rtol=1e-12, atol=1e-12)


@settings(deadline=None, max_examples=30)
@given(model=small_mlps())
def test_mlp_parameter_order_is_the_sequential_state_dict_order(model):
    module = reference_module(model, torch.arange(model.n_params, dtype=torch.float64))
    flat = torch.cat([tensor.flatten() for tensor in module.state_dict().values()])
    assert torch.equal(flat, torch.arange(model.n_params, dtype=torch.float64))
    keys = [
        f"{key}[{','.join(map(str, index))}]"
        for key, tensor in module.state_dict().items()
        for index in torch.cartesian_prod(*[torch.arange(s) for s in tensor.shape]).reshape(tensor.numel(), -1).tolist()
    ]
    assert list(model.param_names) == keys


@pytest.mark.parametrize(
    "name, built",
    [
        ("abs_neuron", models.mlp((2, 1), (), "abs")),
        ("relu_pair", models.mlp((2, 2), (), "relu", sum_outputs=True)),
        ("mlp_2_2_2", models.mlp((2, 2, 2), ("relu",))),
        ("linear_1d", models.mlp((1, 1), ())),
    ],
)
def test_registered_models_are_mlp_instances(name, built):
    registered = models.get_model(name)
    assert registered.forward == built.forward and registered.param_names == built.param_names


def test_equal_architectures_build_equal_models_for_the_compile_cache():
    first, second = models.mlp((2, 3, 1), ("sigmoid",), "sigmoid"), models.mlp([2, 3, 1], ["sigmoid"], "sigmoid")
    assert first == second and hash(first) == hash(second) and first.name == "mlp_2_3_1_sigmoid_sigmoid"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(widths=(2,), activations=()), "at least two ints"),
        (dict(widths=(2, 0, 1), activations=("relu",)), "at least two ints"),
        (dict(widths=(2, 3, 1), activations=()), "1 hidden layers but 0 activations"),
        (dict(widths=(2, 1), activations=(), output_activation="softmax"), "unknown activation 'softmax'"),
    ],
    ids=["one-width", "zero-width", "missing-activation", "unknown-activation"],
)
def test_malformed_mlp_is_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        models.mlp(**kwargs)


def test_register_model_refuses_a_different_model_under_a_taken_name():
    with pytest.raises(ValueError, match="already registered as 'abs_neuron'"):
        models.register_model(models.mlp((2, 1), (), "relu", name="abs_neuron"))
    assert models.register_model(models.get_model("abs_neuron")) is models.get_model("abs_neuron")
