"""Each optimizer step equals the matching ``torch.optim`` step, member by member; bad hyperparameters fail."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.engine import optim
from tests.helpers import assert_close
from tests.reference import torch_optimizer
from tests.test_trainer import OPTIMIZERS


def _torch_steps(spec, param: torch.Tensor, grads: list[torch.Tensor], lr: float) -> torch.Tensor:
    """Apply ``grads`` one after another to a copy of ``param`` with torch.optim (+ clip_grad_norm_)."""
    leaf = torch.nn.Parameter(param.clone())
    optimizer, clip = torch_optimizer(spec, [leaf], lr)
    for grad in grads:
        leaf.grad = grad.clone()
        if clip is not None:
            torch.nn.utils.clip_grad_norm_([leaf], clip)
        optimizer.step()
    return leaf.detach()


def _assert_batched_steps_match_torch(spec, population, width, steps, lr, seed, as_columns) -> None:
    """``steps`` random-gradient steps of B members at once equal B separate torch.optim runs."""
    gen = torch.Generator().manual_seed(seed)
    params = torch.randn(population, width, generator=gen, dtype=torch.float64)
    grads = [torch.randn(population, width, generator=gen, dtype=torch.float64) for _ in range(steps)]
    tree = tuple(params.t().unbind(0)) if as_columns else (params,)
    state = spec.init(tree)
    for grad in grads:
        grad_tree = tuple(grad.t().unbind(0)) if as_columns else (grad,)
        updates, state = spec.update(grad_tree, state, tree, torch.tensor(lr, dtype=torch.float64))
        tree = tuple(p + u for p, u in zip(tree, updates, strict=True))
    ours = torch.stack(tree, dim=1) if as_columns else tree[0]
    expected = torch.stack([_torch_steps(spec, params[b], [g[b] for g in grads], lr) for b in range(population)])
    assert_close(ours, expected, rtol=1e-10, atol=1e-12)


@settings(deadline=None, max_examples=100)
@given(
    name=st.sampled_from(sorted(OPTIMIZERS)),
    population=st.integers(1, 5),
    width=st.integers(1, 6),
    steps=st.integers(1, 6),
    lr=st.floats(1e-4, 1.0),
    seed=st.integers(0, 2**31),
    as_columns=st.booleans(),
)
def test_optimizer_steps_match_torch_optim(name, population, width, steps, lr, seed, as_columns):
    _assert_batched_steps_match_torch(OPTIMIZERS[name], population, width, steps, lr, seed, as_columns)


@pytest.mark.parametrize("name", ["rprop", "rprop-narrow", "rmsprop-centered-momentum-wd", "adagrad-decay-wd"])
@settings(deadline=None, max_examples=30)
@given(
    population=st.integers(1, 5),
    width=st.integers(1, 6),
    steps=st.integers(1, 8),
    lr=st.floats(1e-3, 1.0),
    seed=st.integers(0, 2**31),
)
def test_batched_step_matches_torch_per_member(name, population, width, steps, lr, seed):
    """Each new optimizer on its own (not only sampled among all): B members == B torch.optim runs."""
    _assert_batched_steps_match_torch(OPTIMIZERS[name], population, width, steps, lr, seed, as_columns=True)


def test_rprop_learning_rate_only_sets_the_first_step_size():
    spec, params = optim.rprop(), (torch.zeros(2, dtype=torch.float64),)
    state = spec.init(params)
    first, state = spec.update((torch.tensor([1.0, -1.0], dtype=torch.float64),), state, params, 0.1)
    second, _ = spec.update((torch.tensor([1.0, -1.0], dtype=torch.float64),), state, params, 100.0)
    assert_close(first[0], torch.tensor([-0.1, 0.1], dtype=torch.float64), rtol=0, atol=1e-12)
    assert_close(second[0], torch.tensor([-0.12, 0.12], dtype=torch.float64), rtol=1e-12, atol=0)


def test_update_does_not_mutate_inputs():
    params, grads = (torch.ones(3, 2),), (torch.full((3, 2), 0.5),)
    spec = optim.chain(optim.clip_by_member_norm(0.1), optim.adam())
    state = spec.init(params)
    snapshot = [t.clone() for t in (*params, *grads)]
    spec.update(grads, state, params, 0.1)
    assert all(torch.equal(a, b) for a, b in zip(snapshot, (*params, *grads), strict=True))


def test_adam_state_leaves_are_distinct_tensors():
    state = optim.adam().init((torch.zeros(4), torch.zeros(4)))
    leaves = [state.b1_power, state.b2_power, *state.mu, *state.nu]
    assert len({leaf.data_ptr() for leaf in leaves}) == len(leaves)


def test_clipping_is_per_member():
    grads = (torch.tensor([[3.0, 4.0], [0.3, 0.4]]),)  # norms 5 and 0.5
    clipped, _ = optim.clip_by_member_norm(1.0).update(grads, optim.EmptyState(), grads, 0.0)
    norms = clipped[0].norm(dim=1)
    assert_close(norms, torch.tensor([1.0, 0.5]), rtol=1e-5, atol=1e-6)


def test_member_sq_norm_sums_over_leaves_and_trailing_dims():
    tree = (torch.tensor([1.0, 2.0]), torch.tensor([[2.0, 2.0], [0.0, 1.0]]))
    assert_close(optim.member_sq_norm(tree), torch.tensor([9.0, 5.0]), rtol=0, atol=0)


@pytest.mark.parametrize(
    "factory, message",
    [
        (lambda: optim.sgd(momentum=float("nan")), "momentum must be a finite"),
        (lambda: optim.sgd(momentum=-0.1), ">= 0"),
        (lambda: optim.sgd(nesterov=True), "nesterov"),
        (lambda: optim.adam(b1=1.0), r"b1 must be a finite number in \[0, 1\)"),
        (lambda: optim.adam(eps=float("inf")), "eps must be a finite"),
        (lambda: optim.clip_by_member_norm(0.0), "max_norm must be a finite number > 0"),
        (lambda: optim.chain(), "at least one"),
        (lambda: optim.rprop(eta_minus=1.0), r"eta_minus must be a finite number in \(0, 1\)"),
        (lambda: optim.rprop(eta_plus=1.0), "eta_plus must be a finite number > 1"),
        (lambda: optim.rprop(step_size_min=1.0, step_size_max=0.5), "step_size_max must be a finite number >= 1.0"),
        (lambda: optim.rmsprop(alpha=1.5), "alpha must be a finite number in"),
        (lambda: optim.rmsprop(momentum=-1.0), "momentum must be a finite number >= 0"),
        (lambda: optim.adagrad(lr_decay=float("nan")), "lr_decay must be a finite number"),
        (lambda: optim.adagrad(initial_accumulator_value=-0.1), "initial_accumulator_value must be"),
    ],
    ids=[
        "nan-momentum",
        "negative-momentum",
        "nesterov-without-momentum",
        "beta-one",
        "inf-eps",
        "zero-clip",
        "empty-chain",
        "rprop-eta-minus-one",
        "rprop-eta-plus-one",
        "rprop-sizes-inverted",
        "rmsprop-alpha",
        "rmsprop-negative-momentum",
        "adagrad-nan-decay",
        "adagrad-negative-accumulator",
    ],
)
def test_bad_hyperparameters_raise(factory, message):
    with pytest.raises(ValueError, match=message):
        factory()
