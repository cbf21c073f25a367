"""Which formulation the trainer uses, and that both hold the same population."""

from __future__ import annotations

import pytest
import torch

from harness.engine import formulations, matrices, models
from harness.engine.models import Model

BIG = models.mlp((1, 8, 8, 1), ("relu", "relu"))  # P = 97
TINY = models.get_model("abs_neuron")


def test_small_models_train_in_columns_and_larger_ones_in_matrices():
    assert isinstance(formulations.choose(TINY, None, unroll=False), formulations.Columns)
    assert isinstance(formulations.choose(BIG, None, unroll=False), formulations.Matrices)
    assert BIG.n_params > formulations.COLUMN_MAX_PARAMS >= TINY.n_params


def test_a_compiled_run_uses_the_unrolled_column_form():
    chosen = formulations.choose(BIG, None, unroll=True)
    assert isinstance(chosen, formulations.Columns) and chosen.unroll and not chosen.eager().unroll


def test_an_explicit_request_wins():
    assert isinstance(formulations.choose(BIG, "columns", unroll=False), formulations.Columns)
    assert isinstance(formulations.choose(TINY, "matrices", unroll=False), formulations.Matrices)


@pytest.mark.parametrize(
    "model, requested, unroll, message",
    [
        (TINY, "rows", False, "formulation must be one of"),
        (Model("custom", ("a",), 1, 1, lambda p, x: (p[0] * x[0],)), "matrices", False, "no matrix formulation"),
        (TINY, "matrices", True, "never unrolled"),
    ],
    ids=["unknown-name", "not-an-mlp", "matrices-compiled"],
)
def test_impossible_requests_raise_clear_errors(model, requested, unroll, message):
    with pytest.raises(ValueError, match=message):
        formulations.choose(model, requested, unroll=unroll)


@pytest.mark.parametrize("name", formulations.FORMULATIONS)
def test_tree_round_trips_and_rows_are_parameter_major(name):
    form = formulations.choose(BIG, name, unroll=False)
    params = torch.randn(5, BIG.n_params, dtype=torch.float64)
    tree = form.tree(params)
    assert torch.equal(form.params(tree), params)
    assert torch.equal(form.rows(tree), params.t())
    assert all(leaf.shape[0] == 5 for leaf in tree)


@pytest.mark.parametrize("shared", [True, False], ids=["shared-data", "per-member-data"])
def test_both_formulations_give_the_same_losses_and_gradients(shared):
    gen = torch.Generator().manual_seed(0)
    params = torch.randn(4, BIG.n_params, generator=gen, dtype=torch.float64)
    lead = (6,) if shared else (4, 6)
    X, Y = (
        torch.randn(*lead, 1, generator=gen, dtype=torch.float64),
        torch.randn(*lead, 1, generator=gen, dtype=torch.float64),
    )
    results = {}
    for name in formulations.FORMULATIONS:
        form = formulations.choose(BIG, name, unroll=False)
        Xl, Yl = form.layout(X), form.layout(Y)
        grads, losses = form.loss_and_grad(form.tree(params), Xl, Yl)
        results[name] = (form.params(tuple(grads)), losses, form.loss(form.tree(params), Xl, Yl))
    for got, expected in zip(results["matrices"], results["columns"], strict=True):
        torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-12)


def test_a_formulation_object_is_used_as_given_and_unrolled_only_in_column_form():
    columns = formulations.Columns(BIG)
    unrolled = formulations.choose(BIG, columns, unroll=True)
    assert isinstance(unrolled, formulations.Columns) and unrolled.unroll and not columns.unroll
    as_matrices = formulations.Matrices(matrices.network(BIG), autograd_order=True)
    assert formulations.choose(BIG, as_matrices, unroll=False) is as_matrices
    with pytest.raises(ValueError, match="never unrolled"):
        formulations.choose(BIG, as_matrices, unroll=True)
