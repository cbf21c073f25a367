"""Initialisation strategies: seeded draws, rejection sampling acceptance and proposal counts."""

import pytest
import torch
from scipy import stats

from harness.engine import data, init, losses, models


def test_normal_is_seeded_and_scaled():
    draw = lambda seed: init.normal(20000, 3, generator=torch.Generator().manual_seed(seed), scale=0.5)  # noqa: E731
    sample = draw(0)
    assert sample.shape == (20000, 3) and torch.equal(sample, draw(0)) and not torch.equal(sample, draw(1))
    assert float(sample.std()) == pytest.approx(0.5, rel=0.02)


def test_uniform_stays_in_range():
    sample = init.uniform(1000, 2, generator=torch.Generator().manual_seed(0), low=-0.5, high=0.25)
    assert float(sample.min()) >= -0.5 and float(sample.max()) < 0.25


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda g: init.normal(0, 3, generator=g), "population"),
        (lambda g: init.normal(5, 3, generator=g, scale=float("nan")), "scale"),
        (lambda g: init.uniform(5, 3, generator=g, low=1.0, high=1.0), "low < high"),
    ],
    ids=["empty", "nan-scale", "empty-interval"],
)
def test_bad_init_settings_raise(call, message):
    with pytest.raises(ValueError, match=message):
        call(torch.Generator())


def _xor_setup():
    model = models.get_model("relu_pair")
    dataset = data.centered_xor(dtype=torch.float64)

    def propose(n, generator):
        return init.normal(n, model.n_params, generator=generator, dtype=torch.float64)

    return model, dataset, propose


def test_rejection_sample_only_accepts_below_threshold():
    model, dataset, propose = _xor_setup()
    sample = init.rejection_sample(
        model,
        dataset,
        population=300,
        propose=propose,
        accept=lambda loss: loss < 0.3,
        generator=torch.Generator().manual_seed(0),
        chunk=256,
    )
    assert sample.params.shape == (300, 6)
    assert (losses.mse(model, sample.params, *dataset) < 0.3).all()
    assert int(sample.proposals_per_member.sum()) == sample.total_proposals


def test_proposal_counts_are_geometric_in_the_acceptance_rate():
    model, dataset, propose = _xor_setup()
    reference = losses.mse(model, propose(200000, torch.Generator().manual_seed(9)), *dataset)
    threshold = float(reference.quantile(0.25))
    sample = init.rejection_sample(
        model,
        dataset,
        population=2000,
        propose=propose,
        accept=lambda loss: loss < threshold,
        generator=torch.Generator().manual_seed(1),
        chunk=1024,
    )
    counts = sample.proposals_per_member.numpy()
    # Mean of Geometric(0.25) is 4; the sample mean of 2000 draws has sd sqrt(0.75)/0.25/sqrt(2000) ~ 0.08.
    assert counts.mean() == pytest.approx(4.0, abs=0.35)
    assert (
        stats.chisquare(
            [int((counts == k).sum()) for k in (1, 2, 3)] + [int((counts > 3).sum())],
            [2000 * p for p in (0.25, 0.1875, 0.140625, 0.421875)],
        ).pvalue
        > 1e-4
    )


def test_impossible_acceptance_raises_clear_error():
    model, dataset, propose = _xor_setup()
    with pytest.raises(ValueError, match="acceptance region is too small"):
        init.rejection_sample(
            model,
            dataset,
            population=1,
            propose=propose,
            accept=lambda loss: loss < 0,
            generator=torch.Generator(),
            chunk=100,
            max_proposals=1000,
        )
