"""Population trainer vs the naive per-model loop, and online vs full-batch training, in member-epochs per second.

Each benchmark sets ``extra_info["member_epochs"]``; throughput = member_epochs / mean time, and
``benchmarks/check_ratios.py`` turns the pairs of one run into ratios: population/naive speedups,
and online (one update per sample, fused) over full batch (one update per epoch), which should
stay near 1 for tiny data sets (an online epoch does N updates where full batch does one).

The population side is the fused path (``compile=True``: compiled once per process, in the warm-up
round): a single 100-epoch run is too short for the compile policy to compile on its own (the
compile takes longer than the eager run), but this pair measures what the fused kernel does once
compiled, e.g. for long runs. ``benchmarks/test_mlps.py`` measures the default policy's choice.

Both sides run on one torch thread (``one_thread``, benchmarks/conftest.py), as in test_mlps.py: at torch's
default two threads on the shared, loaded 2-core machine the pairs read 9,000-27,000x (issue 23's report).
"""

from __future__ import annotations

import pytest
import torch

from harness.engine import data, init, optim, schedules
from harness.engine.models import get_model
from harness.engine.trainer import StoppingRule, train
from tests.reference import train_one_by_one

POPULATION = 100_000
NAIVE_POPULATION = 8
EPOCHS = 100
# Source 000's criterion (loss < eps or gradient norm < delta) with thresholds far below what 100
# epochs reach, so both versions do the same checks and almost every member runs every epoch (a
# dead ReLU pair has an exactly zero gradient and stops at once; both versions count only the
# member-epochs actually run).
LOSS_BELOW = 1e-12
GRAD_NORM_BELOW = 1e-12

pytestmark = pytest.mark.usefixtures("one_thread")


CASES = {
    "absxor_sgd": ("abs_neuron", optim.sgd(), lambda ps: torch.optim.SGD(ps, lr=0.01), 0.01),
    "relupair_adam": ("relu_pair", optim.adam(), lambda ps: torch.optim.Adam(ps, lr=0.01), 0.01),
}


def _params(name: str, population: int) -> torch.Tensor:
    return init.normal(population, get_model(name).n_params, generator=torch.Generator().manual_seed(0), scale=0.5)


def _population_run(case: str, *, record: bool, batch_size: int | None):
    name, spec, _, lr = CASES[case]
    params, dataset = _params(name, POPULATION), data.centered_xor()
    rule = StoppingRule(max_epochs=EPOCHS, loss_below=LOSS_BELOW, grad_norm_below=GRAD_NORM_BELOW)

    def run():
        result = train(
            name,
            params,
            dataset,
            spec,
            schedule=schedules.constant(lr),
            stopping=rule,
            record=record,
            batch_size=batch_size,
            compile=True,
        )
        return int(result.epochs.sum())

    return run


def _bench_population(benchmark, rounds, case: str, *, record: bool = False, batch_size: int | None = None) -> None:
    run = _population_run(case, record=record, batch_size=batch_size)
    member_epochs = benchmark.pedantic(run, rounds=rounds(10), warmup_rounds=1)
    assert member_epochs > 0
    benchmark.extra_info["member_epochs"] = member_epochs
    benchmark.extra_info["population"] = POPULATION
    benchmark.extra_info["batch_size"] = batch_size


def _bench_naive(benchmark, rounds, case: str) -> None:
    name, _, make_optimizer, _ = CASES[case]
    params, dataset = _params(name, NAIVE_POPULATION), data.centered_xor()

    def run():
        return train_one_by_one(
            name, make_optimizer, params, dataset, epochs=EPOCHS, loss_below=LOSS_BELOW, grad_norm_below=GRAD_NORM_BELOW
        )

    member_epochs = benchmark.pedantic(run, rounds=rounds(3), warmup_rounds=1)
    assert member_epochs > 0
    benchmark.extra_info["member_epochs"] = member_epochs
    benchmark.extra_info["population"] = NAIVE_POPULATION


def test_population_absxor_sgd(benchmark, rounds):
    _bench_population(benchmark, rounds, "absxor_sgd")


def test_population_absxor_sgd_recording(benchmark, rounds):
    _bench_population(benchmark, rounds, "absxor_sgd", record=True)


def test_naive_absxor_sgd(benchmark, rounds):
    _bench_naive(benchmark, rounds, "absxor_sgd")


def test_population_relupair_adam(benchmark, rounds):
    _bench_population(benchmark, rounds, "relupair_adam")


def test_naive_relupair_adam(benchmark, rounds):
    _bench_naive(benchmark, rounds, "relupair_adam")


def test_population_absxor_sgd_online(benchmark, rounds):
    _bench_population(benchmark, rounds, "absxor_sgd", batch_size=1)


def test_population_relupair_adam_online(benchmark, rounds):
    _bench_population(benchmark, rounds, "relupair_adam", batch_size=1)
