"""Issue 23's table: the population trainer against the plain batched loop, one run per network, best of two calls.

Usage: ``python -m benchmarks.mlp_table [CASE ...] [--threads T]`` prints a Markdown table (member-epochs
per second of both and their ratio) with the load average before and after; docs/performance.md keeps
the committed one. Same shape as the issue's measurement: ``train_arguments`` + ``trainer.train``
(default compile policy) against ``torch.baddbmm`` + autograd + ``torch.optim.SGD`` on (B, out, in)
weights, full-batch SGD (the example's case: online momentum), in one process, best of two calls each.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time

import torch

from benchmarks.plain import MLP_CASES, plain_batched_loop, trainer_arguments, trainer_run
from harness.engine import formulations


def _best_of_two(fn) -> tuple[float, int]:
    """Fastest of two calls (seconds) and the member-epochs one call ran."""
    times, work = [], 0
    for _ in range(2):
        start = time.perf_counter()
        work = fn()
        times.append(time.perf_counter() - start)
    return min(times), work


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", default=list(MLP_CASES))
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    args = parser.parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    print(f"load average before: {os.getloadavg()}, {os.cpu_count()} cores, {torch.get_num_threads()} torch threads")
    print("| network | P | B | N | epochs | formulation | trainer member-epochs/s | plain loop | trainer / plain |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in args.cases:
        case = MLP_CASES[name]
        params, dataset = case.params(), case.dataset()
        plain_s, plain_work = _best_of_two(functools.partial(plain_batched_loop, case, params, dataset))
        ours_s, ours_work = _best_of_two(functools.partial(trainer_run, case, params, dataset))
        form = formulations.choose(trainer_arguments(case)["model"], None, unroll=False).name
        plain_rate, ours_rate = plain_work / plain_s, ours_work / ours_s
        print(
            f"| {name} | {case.model.n_params} | {case.population:,} | {dataset.X.shape[0]} | {case.epochs} | {form} | "
            f"{ours_rate:.3g} | {plain_rate:.3g} | {ours_rate / plain_rate:.2f} |",
            flush=True,
        )
    print(f"load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
