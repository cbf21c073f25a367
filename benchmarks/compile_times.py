"""Measure ``torch.compile`` time of one fused trainer chunk per (model, steps per call, mode).

Usage: ``python -m benchmarks.compile_times [--timeout S] [CASE ...]`` prints a Markdown table
(docs/compile-times.md holds the committed one). Each case runs in its own subprocess with an
empty inductor cache, so the time is a cold compile; a case that exceeds ``--timeout`` is
reported as such. The load average before and after is printed too: compiles are CPU bound and
the numbers mean little without it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

# name: (model spec, samples N, batch_size (None: full batch), steps per call)
CASES: dict[str, tuple[str, int, int | None, int]] = {
    "abs_neuron full x20": ("abs_neuron", 4, None, 20),
    "linear_1d full x20": ("linear_1d", 4, None, 20),
    "relu_pair full x20": ("relu_pair", 4, None, 20),
    "mlp_2_2_2 full x20": ("mlp_2_2_2", 4, None, 20),
    "mlp_2_3_1_sigmoid full x2": ("sigmoid", 4, None, 2),
    "mlp_2_3_1_sigmoid full x5": ("sigmoid", 4, None, 5),
    "mlp_2_3_1_sigmoid full x10": ("sigmoid", 4, None, 10),
    "mlp_2_3_1_sigmoid online x5": ("sigmoid", 4, 1, 5),
    "mlp_2_3_1_sigmoid auto": ("sigmoid", 4, None, 0),
    "mlp_2_3_1_sigmoid online auto": ("sigmoid", 4, 1, 0),
}

_CHILD = """
import sys, time, torch
from harness.engine import data, models, optim, schedules
from harness.engine.trainer import StoppingRule, train
name, n, batch, steps = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
batch = None if batch == "None" else int(batch)
model = models.mlp((2, 3, 1), ("sigmoid",), "sigmoid") if name == "sigmoid" else models.get_model(name)
X = torch.rand(n, model.n_inputs, generator=torch.Generator().manual_seed(0))
Y = torch.rand(n, model.n_outputs, generator=torch.Generator().manual_seed(1))
if steps == 0:
    from harness.engine.trainer import plan_unroll
    steps = plan_unroll(model.n_params, n, 20)
params = torch.randn(64, model.n_params, generator=torch.Generator().manual_seed(2))
t0 = time.perf_counter()
train(model, params, data.Dataset(X, Y), optim.sgd(momentum=0.7), schedule=schedules.constant(0.1),
      stopping=StoppingRule(max_epochs=steps - 1), batch_size=batch, compile=True, steps_per_call=steps)
print(f"{time.perf_counter() - t0:.1f} {steps}")
"""


def _measure(spec: tuple[str, int, int | None, int], timeout: float) -> str:
    """Cold compile + first chunk of one case in a fresh process, as a table cell."""
    name, n, batch, steps = spec
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, TORCHINDUCTOR_CACHE_DIR=cache, HARNESS_COMPILE="1", OMP_NUM_THREADS="1")
        try:
            done = subprocess.run([sys.executable, "-c", _CHILD, name, str(n), str(batch), str(steps)], env=env,
                                  capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return f"> {timeout:.0f} s (stopped) | {steps}"
    if done.returncode != 0:
        return f"failed ({done.stderr.strip().splitlines()[-1][:80] if done.stderr.strip() else done.returncode}) | {steps}"
    seconds, used = done.stdout.split()[-2:]
    return f"{seconds} s | {used}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("cases", nargs="*", default=list(CASES))
    args = parser.parse_args(argv)
    print(f"load average before: {os.getloadavg()}, {os.cpu_count()} cores, torch threads 1")
    print("| case | compile + first chunk | steps per call |\n|---|---|---|")
    for case in args.cases:
        print(f"| {case} | {_measure(CASES[case], args.timeout)} |", flush=True)
    print(f"load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
