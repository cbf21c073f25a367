"""Calibration of source 003's unstated data settings (batch size, label noise) against its baseline figures.

Procedure (fixed before any claim was looked at): for every grid point, train the FP32 baseline
(lr 1e-3, 30 epochs, warmup 5, fast cosine, shuffling, patience 10; the timeline init W = -0.92,
b = -0.85) on ``CALIBRATION_SEEDS`` data/shuffle seeds from the dedicated stream
("003", "calibration", ...) - disjoint from every claim's stream - and score the point by the
distance of the population's mean final (W, b, loss) to the document's baseline figures
W = 1.497988, b = 0.855068, final loss 0.271536, each relative to the document's value:
``sqrt(sum(((mean - doc) / doc) ** 2))``. The closest point is chosen. (A first, coarser pass over batch sizes 2-8 and noise 0-0.2 put
the optimum at batch size 4 with noise on the grid's edge, 0.2; batch sizes 2, 6 and 8 were far
(distance >= 0.93), so the recorded grid narrows the batch size and extends the noise.) The document's initial
loss (1.118762) is not a target: at the timeline init no data setting reaches it (the MSE there
is at least (b - 1)^2 = 3.42 for any zero-mean x), so it is tested as a claim instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from harness.studies.linear_recipe.recipe import BASELINE, DataSettings
from harness.studies.linear_recipe.study import Arm, LinearStudy

TARGETS = {"w": 1.497988, "b": 0.855068, "loss": 0.271536}  # the document's FP32 baseline summary
BATCH_SIZES = (3, 4, 5)
NOISES = (0.0, 0.1, 0.2, 0.25, 0.3)
CALIBRATION_SEEDS = 64
CALIBRATION_MASTER_SEED = 0

# The grid's choice, recorded by running :func:`calibrate` (``tests/test_linear_recipe.py`` and the
# full tier re-run it and check it is reproduced).
CHOSEN = DataSettings(batch_size=4, noise=0.25)  # distance 0.0997: W 1.539, b 0.933, loss 0.279


@dataclass(frozen=True)
class GridPoint:
    """One calibration grid point: its settings, the population means and the distance to the targets."""

    data: DataSettings
    w: float
    b: float
    loss: float
    distance: float


def distance(w: float, b: float, loss: float) -> float:
    """Relative Euclidean distance of (W, b, final loss) to the document's baseline figures."""
    got = {"w": w, "b": b, "loss": loss}
    return math.sqrt(sum(((got[k] - v) / v) ** 2 for k, v in TARGETS.items()))


def evaluate(
    data: DataSettings, *, seeds: int = CALIBRATION_SEEDS, master_seed: int = CALIBRATION_MASTER_SEED
) -> GridPoint:
    """Train the baseline at ``data`` on the calibration stream and score it."""
    study = LinearStudy(master_seed, "quick", data, seeds=seeds, stream="calibration")
    res = study.run_arms({"baseline": Arm(BASELINE)})["baseline"]
    w, b, loss = (float(np.mean(v)) for v in (res.params[:, 0], res.params[:, 1], res.final_loss))
    return GridPoint(data, w, b, loss, distance(w, b, loss))


def calibrate(
    batch_sizes=BATCH_SIZES, noises=NOISES, *, seeds: int = CALIBRATION_SEEDS
) -> tuple[GridPoint, list[GridPoint]]:
    """Evaluate the grid; return the closest point and all points (in grid order)."""
    points = [evaluate(DataSettings(batch_size=bs, noise=noise), seeds=seeds) for bs in batch_sizes for noise in noises]
    return min(points, key=lambda p: p.distance), points
