"""Source-002 rejection sampling and one arm's sampling + training: population vs naive per-model loops.

Sampling throughput is candidates drawn per second (``extra_info["draws"]``); the arm benchmark
samples the "< 0th percentile" arm of model 1 (initial MSE < 0.072, ~200 draws per member under
PyTorch's default init) and trains it with Adam for up to 300 epochs, reporting
``extra_info["member_epochs"]`` like ``test_trainer.py`` so ratios come out of one run. The eager
pair trains model 1's five full-tier arms (10,000 members, the study's draws) with Adam for up to
600 epochs with and without ``compact_stopped`` (the study's eager path): the p0 and p25 arms
converge early while failing runs go on to the limit.
"""

from __future__ import annotations

import functools
import math

import torch
from torch import nn

from harness.engine import data, init, optim, schedules
from harness.engine.models import get_model
from harness.engine.trainer import StoppingRule, train
from harness.studies.loss_sampling.calibration import TrainingCalibration
from harness.studies.loss_sampling.study import LossSamplingStudy
from tests.reference import train_one_by_one

THRESHOLD = 0.072  # 3.2: the 0th-percentile filter of model 1
BOUND = 1 / math.sqrt(2)  # nn.Linear(2, 2) default init bound
POPULATION = 2000
NAIVE_POPULATION = 4
EPOCHS = 300
LOSS_BELOW = 1e-3


class _ReluPair(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(2, 2)

    def forward(self, x):
        return torch.relu(self.linear(x)).sum(dim=-1, keepdim=True)


def _propose(n: int, generator: torch.Generator) -> torch.Tensor:
    return init.per_param_uniform(n, [BOUND] * 6, generator=generator)


def _population_sample(population: int) -> init.MemberSample:
    return init.sample_until(
        get_model("relu_pair"),
        data.centered_xor(),
        population=population,
        propose=_propose,
        accept=lambda loss: loss < THRESHOLD,
        generator=torch.Generator().manual_seed(0),
    )


def _naive_sample(population: int) -> tuple[torch.Tensor, int]:
    """One nn.Module per candidate, re-initialised until its loss is below the threshold, member by member."""
    X, Y = data.centered_xor()
    rows, draws = [], 0
    with torch.random.fork_rng():  # a plain script's global RNG, restored afterwards
        torch.manual_seed(0)
        module = _ReluPair()
        for _ in range(population):
            while True:
                module.linear.reset_parameters()
                draws += 1
                with torch.no_grad():
                    if nn.functional.mse_loss(module(X), Y).item() < THRESHOLD:
                        break
            rows.append(nn.utils.parameters_to_vector(module.parameters()).detach().clone())
    return torch.stack(rows), draws


def test_population_sampling(benchmark, rounds):
    sample = benchmark.pedantic(lambda: _population_sample(POPULATION), rounds=rounds(5), warmup_rounds=1)
    assert not sample.capped.any() and float(sample.loss.max()) < THRESHOLD
    benchmark.extra_info["draws"] = sample.total_draws


def test_naive_sampling(benchmark, rounds):
    params, draws = benchmark.pedantic(lambda: _naive_sample(NAIVE_POPULATION * 5), rounds=rounds(3), warmup_rounds=1)
    assert params.shape == (NAIVE_POPULATION * 5, 6)
    benchmark.extra_info["draws"] = draws


def _arm_population() -> int:
    sample = _population_sample(POPULATION)
    result = train(
        "relu_pair",
        sample.params,
        data.centered_xor(),
        optim.adam(),
        schedule=schedules.Constant(0.01),
        stopping=StoppingRule(max_epochs=EPOCHS, loss_below=LOSS_BELOW),
    )
    return int(result.epochs.sum())


def _arm_naive() -> int:
    params, _ = _naive_sample(NAIVE_POPULATION)
    return train_one_by_one(
        _ReluPair,
        lambda ps: torch.optim.Adam(ps, lr=0.01),
        params,
        data.centered_xor(),
        epochs=EPOCHS,
        loss_below=LOSS_BELOW,
        grad_norm_below=1e-12,
    )


def test_population_arm_sample_and_train(benchmark, rounds):
    member_epochs = benchmark.pedantic(_arm_population, rounds=rounds(3), warmup_rounds=1)
    assert member_epochs > 0
    benchmark.extra_info["member_epochs"] = member_epochs
    benchmark.extra_info["population"] = POPULATION


def test_naive_arm_sample_and_train(benchmark, rounds):
    member_epochs = benchmark.pedantic(_arm_naive, rounds=rounds(2), warmup_rounds=1)
    assert member_epochs > 0
    benchmark.extra_info["member_epochs"] = member_epochs
    benchmark.extra_info["population"] = NAIVE_POPULATION


EAGER_EPOCHS = 600


@functools.lru_cache(maxsize=1)
def _full_tier_arms() -> torch.Tensor:
    """Initial parameters of model 1's five full-tier arms (5 x 2,000 members: control, p50, p25, p0, anti_p50)."""
    fixed = TrainingCalibration(0.01, LOSS_BELOW, EAGER_EPOCHS, {})
    study = LossSamplingStudy(
        0, "full", "relu_pair", scheme="pytorch_default", calibration=fixed, own_optimizer_only=True
    )
    return torch.cat([study.sample_arm(arm, optimizer)[0] for arm, optimizer in study.plan()])


def _eager_arms(compact: bool) -> int:
    """Eager Adam training of the five arms as one population, optionally compacting stopped members."""
    result = train(
        "relu_pair",
        _full_tier_arms(),
        data.centered_xor(),
        optim.adam(),
        schedule=schedules.Constant(0.01),
        stopping=StoppingRule(max_epochs=EAGER_EPOCHS, loss_below=LOSS_BELOW),
        compile=False,
        compact_stopped=compact,
    )
    return int(result.epochs.sum())


def test_eager_arms_compacted(benchmark, rounds):
    _full_tier_arms()  # sampled outside the timed rounds
    member_epochs = benchmark.pedantic(lambda: _eager_arms(True), rounds=rounds(2), warmup_rounds=0)
    benchmark.extra_info["member_epochs"] = member_epochs
    benchmark.extra_info["population"] = len(_full_tier_arms())


def test_eager_arms_plain(benchmark, rounds):
    _full_tier_arms()  # sampled outside the timed rounds
    member_epochs = benchmark.pedantic(lambda: _eager_arms(False), rounds=rounds(2), warmup_rounds=0)
    benchmark.extra_info["member_epochs"] = member_epochs
    benchmark.extra_info["population"] = len(_full_tier_arms())
