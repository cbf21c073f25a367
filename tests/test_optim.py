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


@settings(deadline=None, max_examples=40)
@given(
    name=st.sampled_from(sorted(OPTIMIZERS)),
    population=st.integers(1, 5),
    width=st.integers(1, 4),
    seed=st.integers(0, 2**31),
)
def test_a_learning_rate_per_member_equals_separate_runs(name, population, width, seed):
    """A (B,) learning rate steps each member as its own rate would, for (B,) columns and (B, P) leaves alike."""
    gen = torch.Generator().manual_seed(seed)
    spec = OPTIMIZERS[name]
    params = torch.randn(population, width, generator=gen, dtype=torch.float64)
    grads = [torch.randn(population, width, generator=gen, dtype=torch.float64) for _ in range(3)]
    rates = torch.rand(population, generator=gen, dtype=torch.float64) * 0.1
    for as_columns in (False, True):
        split = (lambda t: tuple(t.t().unbind(0))) if as_columns else (lambda t: (t,))
        tree, state = split(params), spec.init(split(params))
        for grad in grads:
            tree, state = optim.apply(spec, split(grad), state, tree, rates)
        together = torch.stack(tree, dim=1) if as_columns else tree[0]
        for b in range(population):
            alone, alone_state = (params[b : b + 1],), spec.init((params[b : b + 1],))
            for grad in grads:
                alone, alone_state = optim.apply(spec, (grad[b : b + 1],), alone_state, alone, float(rates[b]))
            assert_close(together[b], alone[0][0], rtol=1e-12, atol=1e-14)


@settings(deadline=None, max_examples=30)
@given(population=st.integers(1, 4), width=st.integers(1, 5), steps=st.integers(1, 6), seed=st.integers(0, 2**31))
def test_torch_adam_follows_torch_optim_adam(population, width, steps, seed):
    """torch_adam's steps equal torch.optim.Adam's (float64: the per-member step size rounds differently, 1e-12)."""
    gen = torch.Generator().manual_seed(seed)
    params = torch.randn(population, width, generator=gen, dtype=torch.float64)
    grads = [torch.randn(population, width, generator=gen, dtype=torch.float64) for _ in range(steps)]
    spec = optim.torch_adam(b1=0.8, b2=0.99, eps=1e-6)
    tree, state = (params,), spec.init((params,))
    for grad in grads:
        tree, state = optim.apply(spec, (grad,), state, tree, 0.05)
    expected = torch.stack(
        [
            _torch_steps(optim.adam(b1=0.8, b2=0.99, eps=1e-6), params[b], [g[b] for g in grads], 0.05)
            for b in range(population)
        ]
    )
    assert_close(tree[0], expected, rtol=1e-12, atol=1e-14)
    assert torch.equal(state.steps, torch.full((population,), float(steps), dtype=torch.float64))


def test_torch_adam_in_float16_loses_updates_under_half_an_ulp():
    """Pure float16: a step far below half a float16 ulp of the parameter leaves it unchanged, as model.half() does."""
    params = (torch.tensor([[1.0, 1024.0]], dtype=torch.float16),)
    spec = optim.torch_adam()
    new, _ = optim.apply(spec, (torch.tensor([[1.0, 1.0]], dtype=torch.float16),), spec.init(params), params, 1e-3)
    # Adam's first step is lr = 1e-3: under half the ulp of 1024 (0.5), over half the ulp of 1 (2^-11)
    assert new[0][0, 1] == 1024.0 and new[0][0, 0] != 1.0


def test_torch_adam_update_is_the_difference_of_its_step():
    params, grads = (torch.tensor([[0.5, -1.0]]),), (torch.tensor([[0.1, 0.2]]),)
    spec = optim.torch_adam()
    new, _ = spec.step(grads, spec.init(params), params, 0.1)
    updates, _ = spec.update(grads, spec.init(params), params, 0.1)
    assert torch.equal(updates[0], new[0] - params[0])


@pytest.mark.parametrize("per_member", [False, True], ids=["number", "per-member"])
def test_added_decayed_weights_match_torch_weight_decay(per_member):
    params = torch.randn(3, 4, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    grads = torch.randn(3, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    decay = torch.tensor([0.0, 0.01, 0.5], dtype=torch.float64) if per_member else 0.01
    spec = optim.chain(optim.add_decayed_weights(decay), optim.sgd())
    new, _ = optim.apply(spec, (grads,), spec.init((params,)), (params,), 0.1)
    for b in range(3):
        wd = float(decay[b]) if per_member else decay
        expected = _torch_steps(optim.sgd(weight_decay=wd), params[b], [grads[b]], 0.1)
        assert_close(new[0][b], expected, rtol=1e-12, atol=1e-14)


def test_clipping_per_member_uses_each_members_threshold():
    grads = (torch.tensor([[3.0, 4.0], [3.0, 4.0], [3.0, 4.0]]),)  # norm 5
    spec = optim.clip_by_member_norm(torch.tensor([1.0, float("inf"), 10.0]))
    (clipped,), state = spec.update(grads, spec.init(grads), grads, 0.1)
    assert_close(clipped.norm(dim=1), torch.tensor([1.0, 5.0, 5.0]), rtol=1e-6, atol=1e-6)
    assert isinstance(state, optim.MemberValues)  # per-member values travel in the state (frozen, compacted)


def test_per_member_settings_must_match_the_population():
    with pytest.raises(ValueError, match="2 values but the population has 3"):
        optim.add_decayed_weights(torch.tensor([0.1, 0.2])).init((torch.zeros(3, 2),))


@pytest.mark.parametrize(
    "factory, message",
    [
        (lambda: optim.add_decayed_weights(torch.tensor([0.1, -0.1])), "weight_decay per member must be >= 0"),
        (lambda: optim.clip_by_member_norm(torch.tensor([0.0])), "max_norm per member must be > 0"),
        (lambda: optim.clip_by_member_norm(torch.zeros(2, 2)), "non-empty 1-d tensor"),
        (lambda: optim.add_decayed_weights(-1.0), "weight_decay must be a finite number >= 0"),
        (lambda: optim.torch_adam(b1=1.0), "b1 must be a finite number in"),
    ],
    ids=["negative-decay", "zero-clip", "matrix-clip", "negative-number", "b1-one"],
)
def test_bad_per_member_settings_raise(factory, message):
    with pytest.raises(ValueError, match=message):
        factory()


def test_settings_with_tensors_are_equal_only_to_themselves():
    values = torch.tensor([0.1, 0.2])
    assert optim.add_decayed_weights(values) == optim.add_decayed_weights(values)
    assert optim.add_decayed_weights(values) != optim.add_decayed_weights(values.clone())
    assert optim.clip_by_member_norm(1.0) == optim.clip_by_member_norm(1.0)
    assert hash(optim.clip_by_member_norm(1.0)) == hash(optim.clip_by_member_norm(1.0))


def test_member_norm_is_the_norm_over_all_leaves():
    tree = (torch.tensor([3.0, 0.0]), torch.tensor([[4.0, 0.0], [0.0, 2.0]]))
    assert torch.equal(optim.member_norm(tree), torch.tensor([5.0, 2.0]))
