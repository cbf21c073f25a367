"""The kit a new family starts from: regression data on any function, and per-layer initialisers in parameter order."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from harness.engine import data, init, models
from tests.reference import reference_module

DEEP = models.mlp((2, 4, 3, 1), ("relu", "relu"))  # P = 12 + 15 + 4 = 31


def test_a_function_on_a_one_input_grid():
    X, Y = data.function_on_grid(torch.sin, low=-3.0, high=3.0, points=7, dtype=torch.float64)
    assert torch.equal(X[:, 0], torch.linspace(-3, 3, 7, dtype=torch.float64))
    assert torch.equal(Y, torch.sin(X))


def test_a_grid_over_two_inputs_holds_every_pair_and_several_outputs():
    X, Y = data.function_on_grid(lambda X: torch.stack([X.prod(1), X.sum(1)], 1), low=0, high=1, points=3, inputs=2)
    assert X.shape == (9, 2) and Y.shape == (9, 2)
    assert {tuple(row) for row in X.tolist()} == {(a, b) for a in (0.0, 0.5, 1.0) for b in (0.0, 0.5, 1.0)}
    torch.testing.assert_close(Y[:, 0], X[:, 0] * X[:, 1])


def test_random_points_are_seeded_in_the_box_and_noise_is_added_to_the_targets():
    draw = lambda seed, noise=0.0: data.function_at_random(  # noqa: E731
        torch.cos, 500, low=-2, high=5, generator=torch.Generator().manual_seed(seed), noise=noise
    )
    X, Y = draw(0)
    assert X.shape == (500, 1) and bool((X >= -2).all() and (X <= 5).all())
    assert torch.equal(X, draw(0).X) and not torch.equal(X, draw(1).X)
    torch.testing.assert_close(Y, torch.cos(X.double()).float())
    noisy = draw(0, noise=0.3)
    assert torch.equal(noisy.X, X) and 0.25 < float((noisy.Y - Y).std()) < 0.35


def test_random_points_do_not_depend_on_the_dtype():
    gen = lambda: torch.Generator().manual_seed(3)  # noqa: E731
    single = data.function_at_random(torch.sin, 20, low=0, high=1, generator=gen(), dtype=torch.float32)
    double = data.function_at_random(torch.sin, 20, low=0, high=1, generator=gen(), dtype=torch.float64)
    assert torch.equal(single.X, double.X.float())


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: data.function_on_grid(torch.sin, low=1, high=1, points=3), "low < high"),
        (lambda: data.function_on_grid(torch.sin, low=0, high=1, points=0), "points must be an int >= 1"),
        (lambda: data.function_on_grid(torch.sin, low=0, high=1, points=3, inputs=0), "inputs must be an int >= 1"),
        (lambda: data.function_on_grid(lambda X: X[:2], low=0, high=1, points=3), r"to a tensor \(N,\) or \(N, O\)"),
        (lambda: data.function_on_grid(torch.log, low=-1, high=1, points=3), "NaN or inf targets"),
        (
            lambda: data.function_at_random(torch.sin, 5, low=0, high=1, generator=torch.Generator(), noise=-1),
            "noise must be a finite number >= 0",
        ),
    ],
    ids=["empty-box", "no-points", "no-inputs", "wrong-rows", "nan-targets", "negative-noise"],
)
def test_bad_regression_data_settings_raise(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_layerwise_draws_land_in_the_sequential_parameter_order():
    """A marking initialiser (value = layer code) shows each block where nn.Sequential keeps it."""

    def mark(offset):
        return lambda fan_in, fan_out, shape, generator: torch.full(
            shape, offset + 10.0 * fan_in + fan_out, dtype=torch.float64
        )

    params = init.layerwise(
        DEEP, 2, generator=torch.Generator(), weights=mark(0.0), biases=mark(0.5), dtype=torch.float64
    )
    module = reference_module(DEEP, params[0])
    linears = [m for m in module if isinstance(m, nn.Linear)]
    for (fan_in, fan_out), linear in zip([(2, 4), (4, 3), (3, 1)], linears, strict=True):
        assert bool((linear.weight == 10.0 * fan_in + fan_out).all())
        assert bool((linear.bias == 0.5 + 10.0 * fan_in + fan_out).all())


@pytest.mark.parametrize(
    "name, spread",
    [
        ("he_normal", lambda i, o: math.sqrt(2 / i)),
        ("he_uniform", lambda i, o: math.sqrt(2 / i)),
        ("xavier_uniform", lambda i, o: math.sqrt(2 / (i + o))),
        ("xavier_normal", lambda i, o: math.sqrt(2 / (i + o))),
        ("torch_default", lambda i, o: 1 / math.sqrt(3 * i)),
        (init.normal_layer(0.3), lambda i, o: 0.3),
    ],
    ids=["he_normal", "he_uniform", "xavier_uniform", "xavier_normal", "torch_default", "normal_layer"],
)
def test_named_initialisers_have_their_documented_spread(name, spread):
    model = models.mlp((16, 8), ())
    params = init.layerwise(model, 4000, generator=torch.Generator().manual_seed(0), weights=name, biases="zeros")
    weights = params[:, : 16 * 8]
    assert abs(float(weights.std()) / spread(16, 8) - 1) < 0.03
    assert bool((params[:, 16 * 8 :] == 0).all())


def test_one_initialiser_per_layer_and_the_pytorch_default_bound():
    params = init.layerwise(
        DEEP,
        500,
        generator=torch.Generator().manual_seed(1),
        weights=["he_normal", init.uniform_layer(0.1), "zeros"],
        biases="torch_default",
        dtype=torch.float64,
    )
    w2 = params[:, 12:24]
    assert float(w2.abs().max()) <= 0.1 and float(w2.abs().max()) > 0.09
    assert bool((params[:, 27:30] == 0).all())
    b1 = params[:, 8:12]
    assert float(b1.abs().max()) <= 1 / math.sqrt(2)


def test_layerwise_is_seeded():
    draw = lambda seed: init.layerwise(DEEP, 3, generator=torch.Generator().manual_seed(seed))  # noqa: E731
    assert torch.equal(draw(0), draw(0)) and not torch.equal(draw(0), draw(1))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(weights="glorot"), "unknown weights initialiser 'glorot'"),
        (dict(biases=["zeros", "zeros"]), "biases has 2 initialisers for 3 layers"),
        (dict(weights=lambda i, o, shape, g: torch.zeros(2)), "must return a float tensor of shape"),
        (dict(weights=lambda i, o, shape, g: torch.full(shape, math.inf)), "NaN or inf"),
        (dict(weights=3.0), "initialiser names or callables"),
    ],
    ids=["unknown-name", "wrong-count", "wrong-shape", "infinite", "not-callable"],
)
def test_bad_initialisers_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        init.layerwise(DEEP, 3, generator=torch.Generator(), **kwargs)


def test_layerwise_needs_an_mlp():
    custom = models.Model("custom", ("a",), 1, 1, lambda p, x: (p[0] * x[0],))
    with pytest.raises(ValueError, match="needs a models.mlp network"):
        init.layerwise(custom, 2, generator=torch.Generator())
