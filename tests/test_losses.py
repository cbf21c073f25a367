"""Per-member MSE and accuracy: batched values equal per-model references; both loss orders agree."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.engine import data, losses, models
from tests.helpers import assert_close
from tests.reference import reference_module
from tests.test_models import MODEL_DATA


@settings(deadline=None, max_examples=25)
@given(name=st.sampled_from(sorted(MODEL_DATA)), population=st.integers(1, 5), seed=st.integers(0, 2**31))
def test_member_mse_matches_module(name, population, seed):
    model = models.get_model(name)
    X, Y = MODEL_DATA[name](dtype=torch.float64)
    params = torch.randn(population, model.n_params, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    expected = torch.stack([torch.nn.functional.mse_loss(reference_module(name, row)(X), Y) for row in params]).detach()
    assert_close(losses.mse(model, params, X, Y), expected, rtol=1e-12, atol=1e-14)


@settings(deadline=None, max_examples=25)
@given(name=st.sampled_from(sorted(MODEL_DATA)), seed=st.integers(0, 2**31))
def test_unrolled_loss_equals_broadcast_loss(name, seed):
    model = models.get_model(name)
    X, Y = MODEL_DATA[name](dtype=torch.float64)
    columns = torch.randn(model.n_params, 3, generator=torch.Generator().manual_seed(seed), dtype=torch.float64).unbind(
        0
    )
    broadcast = losses.member_mse(model, columns, X, Y)
    unrolled = losses.member_mse(model, columns, X, Y, unroll=True)
    assert_close(unrolled, broadcast, rtol=1e-12, atol=1e-14)


def test_member_mse_accepts_per_member_data():
    model = models.get_model("linear_1d")
    X, Y = data.linear_regression(5, noise=0.0, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    params = torch.tensor([[2.0, 1.0], [0.0, 0.0]], dtype=torch.float64)
    per_member = losses.member_mse(model, params.unbind(1), X.expand(2, 5, 1), Y.expand(2, 5, 1))
    assert_close(per_member, losses.mse(model, params, X, Y), rtol=1e-12, atol=1e-14)


def test_constant_half_output_gives_mse_one_quarter():
    # mlp_2_2_2 with zero weights and output biases 0.5 outputs [0.5, 0.5] everywhere (source 002, A.2):
    # both outputs miss their one-hot target by 0.5, so the MSE over samples and outputs is 0.25.
    params = torch.zeros(1, 12, dtype=torch.float64)
    params[0, 10:] = 0.5
    X, Y = data.one_hot_xor(dtype=torch.float64)
    assert_close(losses.mse(models.get_model("mlp_2_2_2"), params, X, Y), torch.tensor([0.25]), rtol=0, atol=1e-15)


@pytest.mark.parametrize(
    "name, params, expected",
    [
        ("abs_neuron", [[0.0, 0.0, 0.0]], 0.5),  # predicts 0 everywhere: right on the two 0-labels
        ("abs_neuron", [[1.0, -1.0, 0.0]], 1.0),  # |x0 - x1| in {0, 2}: > 0.5 exactly on the 1-labels
        ("abs_neuron", [[0.1, -0.1, 0.0]], 0.5),  # |0.1 (x0 - x1)| <= 0.2: predicts 0 everywhere
        ("mlp_2_2_2", [[0.0] * 10 + [1.0, 0.0]], 0.5),  # always class 0
    ],
    ids=["zero", "abs-diff", "abs-diff-small", "constant-class"],
)
def test_accuracy_hand_examples(name, params, expected):
    X, Y = (data.one_hot_xor if name == "mlp_2_2_2" else data.centered_xor)(dtype=torch.float64)
    params = torch.tensor(params, dtype=torch.float64)
    assert losses.accuracy(models.get_model(name), params, X, Y).item() == pytest.approx(expected, abs=1e-12)


def test_mismatched_targets_are_rejected():
    X, _ = data.centered_xor()
    with pytest.raises(ValueError, match=r"Y for abs_neuron must have shape \(N, 1\)"):
        losses.mse(models.get_model("abs_neuron"), torch.zeros(1, 3), X, torch.zeros(4, 2))
    with pytest.raises(ValueError, match="X has 4 samples but Y has 3"):
        losses.mse(models.get_model("abs_neuron"), torch.zeros(1, 3), X, torch.zeros(3, 1))
