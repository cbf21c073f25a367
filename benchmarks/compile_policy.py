"""Measure the costs the compile policy decides from (``harness.engine.compiling.COSTS``), in CPU seconds.

Usage: ``python -m benchmarks.compile_policy [--epochs T]`` prints, for abs_neuron (P 3) and the 2-3-1
sigmoid network (P 13) on 4 samples with full-batch SGD + momentum: the eager column form's CPU
seconds per epoch at B = 1,000, 10,000 and 100,000 (fitted as ``units x (dispatch + B x work)``), the
fused (compiled) run's CPU seconds per member-epoch, and the cold compile's CPU seconds (inductor
cache in a fresh temporary directory, compile threads 1, so the compile runs in this process).
A *unit* is one parameter times one sample or update (``compiling.unrolled_size``). Load average
before and after is printed: CPU seconds are steadier than wall time on a shared machine, not immune.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", tempfile.mkdtemp(prefix="compile-policy-"))
os.environ.setdefault("TORCHINDUCTOR_COMPILE_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from harness.engine import compiling, data, optim, schedules  # noqa: E402
from harness.engine.models import Model, get_model, mlp  # noqa: E402
from harness.engine.trainer import StoppingRule, train  # noqa: E402

MODELS: dict[str, Model] = {
    "abs_neuron": get_model("abs_neuron"),
    "2-3-1 sigmoid": mlp((2, 3, 1), ("sigmoid",), "sigmoid"),
}
POPULATIONS = (1_000, 10_000, 100_000)


def _cpu_seconds(model: Model, population: int, epochs: int, *, compiled: bool) -> float:
    """Process CPU seconds of one full-batch run (``epochs`` steps, no early stop)."""
    generator = torch.Generator().manual_seed(0)
    params = 0.5 * torch.randn(population, model.n_params, generator=generator)
    X = torch.rand(4, model.n_inputs, generator=generator) * 2 - 1
    Y = torch.rand(4, model.n_outputs, generator=generator)
    start = time.process_time()
    train(
        model,
        params,
        data.Dataset(X, Y),
        optim.sgd(momentum=0.7),
        schedule=schedules.constant(0.05),
        stopping=StoppingRule(max_epochs=epochs),
        compile=compiled,
        formulation="columns" if not compiled else None,
    )
    return time.process_time() - start


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    print(f"load average before: {os.getloadavg()}, {os.cpu_count()} cores, 1 torch thread")
    rows, fused, compiles = [], [], []
    print("| model | units | B | eager CPU s per epoch | fused CPU s per member-epoch | cold compile CPU s |")
    print("|---|---|---|---|---|---|")
    for name, model in MODELS.items():
        units = compiling.unrolled_size(model.n_params, 4, 1, 1)
        steps = compiling.plan_unroll(model.n_params, 4, 1, 20)
        for population in POPULATIONS:
            eager = min(_cpu_seconds(model, population, args.epochs, compiled=False) for _ in range(2))
            rows.append((units, population, eager / (args.epochs + 1)))
            cells = ["", ""]
            if population == POPULATIONS[-1]:
                first = _cpu_seconds(model, population, args.epochs, compiled=True)
                run = min(_cpu_seconds(model, population, args.epochs, compiled=True) for _ in range(3))
                fused.append(run / ((args.epochs + 1) * population * units))
                compiles.append((units * steps, first - run))
                cells = [f"{fused[-1] * units:.3g}", f"{first - run:.1f} (size {units * steps})"]
            print(f"| {name} | {units} | {population:,} | {rows[-1][2]:.3g} | {cells[0]} | {cells[1]} |", flush=True)
    design = np.array([[u, u * b] for u, b, _ in rows], dtype=float)
    per_epoch = np.array([t for _, _, t in rows])
    (dispatch, work), *_ = np.linalg.lstsq(design, per_epoch, rcond=None)
    sizes, seconds = np.array(compiles, dtype=float).T
    print(f"\neager_per_unit = {dispatch:.3g}, eager_per_member_unit = {work:.3g} (least squares over the table)")
    print(f"fused_per_member_unit = {np.mean(fused):.3g} (mean of the two models)")
    print(
        f"compile CPU s per unit = {', '.join(f'{s / z:.3g}' for z, s in compiles)} (sizes {sizes.astype(int).tolist()})"
    )
    print(f"load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
