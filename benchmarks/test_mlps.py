"""Population trainer vs the plain batched loop on the networks of issue 23 and the example's 2-3-1 sigmoid network.

Each pair trains the same population for the same epochs in the same run: the trainer through
``train_arguments`` + ``trainer.train`` (default compile policy), the plain loop with (B, out, in)
weights, ``torch.baddbmm``, autograd and ``torch.optim.SGD`` (``benchmarks/plain.py``).
``benchmarks/check_ratios.py`` gates trainer / plain (member-epochs per second of the fastest rounds)
against ``floors.json``; ``python -m benchmarks.mlp_table`` prints the same comparison as a table.

Both sides run on one torch thread (``one_thread``, benchmarks/conftest.py): the ratio compares what
each does per core.
"""

from __future__ import annotations

import pytest

from benchmarks.plain import MLP_CASES, plain_batched_loop, trainer_run

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def inputs():
    """Parameters and data of every case, built once (outside the timed rounds)."""
    return {name: (case.params(), case.dataset()) for name, case in MLP_CASES.items()}


def _bench(benchmark, rounds, inputs, name: str, run) -> None:
    case = MLP_CASES[name]
    params, dataset = inputs[name]
    member_epochs = benchmark.pedantic(run, args=(case, params, dataset), rounds=rounds(3), warmup_rounds=1)
    assert member_epochs == case.population * case.epochs
    benchmark.extra_info["member_epochs"] = member_epochs
    benchmark.extra_info["population"] = case.population
    benchmark.extra_info["parameters"] = case.model.n_params


@pytest.mark.parametrize("name", list(MLP_CASES))
def test_population_mlp(benchmark, rounds, inputs, name):
    _bench(benchmark, rounds, inputs, name, trainer_run)


@pytest.mark.parametrize("name", list(MLP_CASES))
def test_plain_mlp(benchmark, rounds, inputs, name):
    _bench(benchmark, rounds, inputs, name, plain_batched_loop)
