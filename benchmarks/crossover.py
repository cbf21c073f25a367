"""Eager column form vs batched matrices: member-epochs/s of full-batch SGD per model size.

Usage: ``python -m benchmarks.crossover [--epochs T] [--repeats R]`` prints a Markdown table
(docs/performance.md holds the committed one): for each MLP and population size, the eager
throughput of both formulations of ``harness.engine.formulations`` in the same process, fastest of
``R`` interleaved calls, and their ratio. The eager matrices' costs of ``compiling.COSTS`` are fitted from
it; ``formulations.COLUMN_MAX_PARAMS`` is not a speed crossover (its comment says why).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import torch

from harness.engine import data, optim, schedules
from harness.engine.models import Model, get_model, mlp
from harness.engine.trainer import StoppingRule, train

# name: (model, samples N)
MODELS: dict[str, tuple[Model, int]] = {
    "linear_1d (P 2)": (get_model("linear_1d"), 4),
    "abs_neuron (P 3)": (get_model("abs_neuron"), 4),
    "relu_pair (P 6)": (get_model("relu_pair"), 4),
    "mlp_2_2_2 (P 12)": (get_model("mlp_2_2_2"), 4),
    "2-3-1 sigmoid (P 13)": (mlp((2, 3, 1), ("sigmoid",), "sigmoid"), 4),
    "2-4-4-1 relu (P 37)": (mlp((2, 4, 4, 1), ("relu", "relu")), 4),
    "1-8-8-8-1 relu (P 169)": (mlp((1, 8, 8, 8, 1), ("relu",) * 3), 16),
}
POPULATIONS = (1_000, 10_000)


def _run(model: Model, population: int, n_samples: int, formulation: str, epochs: int) -> float:
    """Seconds of one eager full-batch SGD run (stopping only at ``epochs``)."""
    generator = torch.Generator().manual_seed(0)
    params = 0.5 * torch.randn(population, model.n_params, generator=generator)
    X = torch.rand(n_samples, model.n_inputs, generator=generator) * 2 - 1
    Y = torch.rand(n_samples, model.n_outputs, generator=generator)
    start = time.perf_counter()
    train(
        model,
        params,
        data.Dataset(X, Y),
        optim.sgd(),
        schedule=schedules.constant(0.05),
        stopping=StoppingRule(max_epochs=epochs),
        compile=False,
        formulation=formulation,
    )
    return time.perf_counter() - start


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    args = parser.parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    print(f"load average before: {os.getloadavg()}, {os.cpu_count()} cores, {torch.get_num_threads()} torch threads")
    print("| model | B | N | columns member-epochs/s | matrices member-epochs/s | matrices / columns |")
    print("|---|---|---|---|---|---|")
    for name, (model, n_samples) in MODELS.items():
        for population in POPULATIONS:
            best = {"columns": float("inf"), "matrices": float("inf")}
            for _ in range(args.repeats):
                for formulation in best:
                    best[formulation] = min(
                        best[formulation], _run(model, population, n_samples, formulation, args.epochs)
                    )
            rate = {k: population * args.epochs / v for k, v in best.items()}
            print(
                f"| {name} | {population:,} | {n_samples} | {rate['columns']:.3g} | {rate['matrices']:.3g} | "
                f"{rate['matrices'] / rate['columns']:.2f} |",
                flush=True,
            )
    print(f"load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
