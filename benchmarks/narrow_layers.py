"""The measurements behind ``matrices.SMALL_FAN`` and ``matrices.SHORT_SAMPLES``: each code path against the other.

Usage: ``python -m benchmarks.narrow_layers [--repeats R]`` prints two Markdown tables of seconds per
``matrices.loss_and_grad`` call (fastest of ``R`` interleaved calls, one torch thread):

* fan: a 1-f-f-1 ReLU network (its f x f hidden layer reads per-member inputs), B = 1,000, N = 64,
  its narrow layers as broadcast multiply-adds (``SMALL_FAN`` = f) against batched products
  (``SMALL_FAN`` = 0);
* samples: the 2-2-2-1 ReLU network, B = 20,000, N = 4 to 64, its narrow-layer paths (multiply-adds and
  plain sums over samples, ``SHORT_SAMPLES`` = 1) against batched products and products with ones
  (``SHORT_SAMPLES`` above N).

docs/performance.md records the output. The constants are patched for the call only.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from unittest import mock

import torch

from harness.engine import matrices, models


def _seconds(model: models.Model, population: int, n_samples: int, repeats: int, **constants: int) -> float:
    """Fastest of ``repeats`` ``loss_and_grad`` calls with the module constants set to ``constants``."""
    generator = torch.Generator().manual_seed(0)
    params = torch.randn(population, model.n_params, generator=generator)
    XT = torch.randn(model.n_inputs, n_samples, generator=generator)
    YT = torch.randn(model.n_outputs, n_samples, generator=generator)
    net = matrices.network(model)
    best = float("inf")
    with mock.patch.multiple(matrices, **constants):
        matrices.loss_and_grad(net, params, XT, YT)
        for _ in range(repeats):
            start = time.perf_counter()
            matrices.loss_and_grad(net, params, XT, YT)
            best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    print(f"load average before: {os.getloadavg()}, {os.cpu_count()} cores, 1 torch thread")
    print("| network | B | N | multiply-adds s | batched products s | products / multiply-adds |")
    print("|---|---|---|---|---|---|")
    for fan in range(1, 7):
        model = models.mlp((1, fan, fan, 1), ("relu", "relu"))
        adds = _seconds(model, 1_000, 64, args.repeats, SMALL_FAN=fan)
        products = _seconds(model, 1_000, 64, args.repeats, SMALL_FAN=0)
        print(f"| 1-{fan}-{fan}-1 | 1,000 | 64 | {adds:.3g} | {products:.3g} | {products / adds:.2f} |", flush=True)
    print()
    print("| network | B | N | sums over samples s | products s | products / sums |")
    print("|---|---|---|---|---|---|")
    model = models.mlp((2, 2, 2, 1), ("relu", "relu"))
    for n_samples in (4, 8, 16, 32, 64):
        sums = _seconds(model, 20_000, n_samples, args.repeats, SHORT_SAMPLES=1)
        products = _seconds(model, 20_000, n_samples, args.repeats, SHORT_SAMPLES=n_samples + 1)
        print(f"| 2-2-2-1 | 20,000 | {n_samples} | {sums:.3g} | {products:.3g} | {products / sums:.2f} |", flush=True)
    print(f"load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
