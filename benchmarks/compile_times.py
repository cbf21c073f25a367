"""Measure ``torch.compile`` time of one fused trainer chunk per (model, steps per call, mode).

Usage: ``python -m benchmarks.compile_times [--timeout S] [CASE ...]`` prints a Markdown table
(docs/compile-times.md holds the committed one). Each case runs in its own subprocess with an
empty inductor cache, after one trivial compile that pays the fixed cost all compiles share
(headers, ISA checks), so the time is the cold compile of the case itself (+ its first chunk);
wall and CPU seconds (process + compile workers) are both given. A case that exceeds
``--timeout`` is reported as such. The load average before and after is printed too: compiles
are CPU bound and wall times mean little without it. ``0`` steps per call: what the policy picks.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

# name: (model spec, samples N, batch_size (None: full batch), steps per call; 0: the policy's choice).
# The "auto" rows are what the trainer compiles; the fixed rows (cap lifted) calibrate the budget.
CASES: dict[str, tuple[str, int, int | None, int]] = {
    "abs_neuron auto": ("abs_neuron", 4, None, 0),
    "linear_1d auto": ("linear_1d", 4, None, 0),
    "relu_pair auto": ("relu_pair", 4, None, 0),
    "mlp_2_2_2 auto": ("mlp_2_2_2", 4, None, 0),
    "mlp_2_3_1_sigmoid auto": ("sigmoid", 4, None, 0),
    "mlp_2_3_1_sigmoid online auto": ("sigmoid", 4, 1, 0),
    "abs_neuron full x20": ("abs_neuron", 4, None, 20),
    "mlp_2_3_1_sigmoid full x2": ("sigmoid", 4, None, 2),
    "mlp_2_3_1_sigmoid full x5": ("sigmoid", 4, None, 5),
    "mlp_2_3_1_sigmoid full x10": ("sigmoid", 4, None, 10),
}

_CHILD = """
import resource, sys, time, torch
from harness.engine import compiling, data, models, optim, schedules
from harness.engine.trainer import StoppingRule, train, updates_per_epoch


def cpu():
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


name, n, batch, steps = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
batch = None if batch == "None" else int(batch)
model = models.mlp((2, 3, 1), ("sigmoid",), "sigmoid") if name == "sigmoid" else models.get_model(name)
if steps == 0:
    steps = compiling.plan_unroll(model.n_params, n, updates_per_epoch(n, batch), 20)
else:
    compiling.UNROLL_BUDGET = 10**9  # measure the requested unroll, not the policy's cap
X = torch.rand(n, model.n_inputs, generator=torch.Generator().manual_seed(0))
Y = torch.rand(n, model.n_outputs, generator=torch.Generator().manual_seed(1))
params = torch.randn(64, model.n_params, generator=torch.Generator().manual_seed(2))
torch.compile(lambda t: t * 2 + 1)(torch.ones(8))  # the fixed cost (headers, ISA checks) every compile shares
wall, used = time.perf_counter(), cpu()
train(model, params, data.Dataset(X, Y), optim.sgd(momentum=0.7), schedule=schedules.constant(0.1),
      stopping=StoppingRule(max_epochs=steps - 1 if batch is None else steps), batch_size=batch, compile=True,
      steps_per_call=steps)
print(f"{time.perf_counter() - wall:.1f} {cpu() - used:.1f} {steps} {model.n_params * (n + updates_per_epoch(n, batch)) * steps}")
"""


def _measure(spec: tuple[str, int, int | None, int], timeout: float) -> str:
    """Cold compile + first chunk of one case in a fresh process, as table cells."""
    name, n, batch, steps = spec
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, TORCHINDUCTOR_CACHE_DIR=cache, HARNESS_COMPILE="1")
        try:
            done = subprocess.run(
                [sys.executable, "-c", _CHILD, name, str(n), str(batch), str(steps)],
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return f"> {timeout:.0f} (stopped) | | {steps} |"
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()[-1][:80] if done.stderr.strip() else done.returncode
        return f"failed ({last}) | | {steps} |"
    wall, cpu, used, size = done.stdout.split()[-4:]
    return f"{wall} | {cpu} | {used} | {size}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("cases", nargs="*", default=list(CASES))
    args = parser.parse_args(argv)
    print(f"load average before: {os.getloadavg()}, {os.cpu_count()} cores")
    print("| case | wall s | CPU s | steps per call | size P(N+U)steps |\n|---|---|---|---|---|")
    for case in args.cases:
        print(f"| {case} | {_measure(CASES[case], args.timeout)} |", flush=True)
    print(f"load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
