"""Calibration of source 003's unstated data settings: label noise from the document, batch size by a grid.

Noise: derived from the document's own (W, b, loss) figures (:mod:`harness.studies.linear_recipe.noise`):
both printed run summaries agree on sigma ~ 0.09 (the recipe's final loss 0.008234 pins it; the
baseline's 0.271536 allows it). Batch size (fixed before any claim was looked at): at that noise,
train the FP32 baseline (lr 1e-3, 30 epochs, warmup 5, fast cosine, shuffling, patience 10; the
timeline init W = -0.92, b = -0.85) on ``CALIBRATION_SEEDS`` data/shuffle seeds from the dedicated
stream ("003", "calibration", ...) - disjoint from every claim's stream - for each batch size of
the grid, and score it by the distance of the population's mean final (W, b) to the document's
baseline W = 1.497988, b = 0.855068, each relative to the document's value:
``sqrt(sum(((mean - doc) / doc) ** 2))``. The closest batch size is chosen. Noise barely moves W
and b (batch size 4: W 1.542 / 1.539 and b 0.936 / 0.933 at noise 0 / 0.25), so the loss is left to
the noise and is not a target of the grid: a first version scored the loss too, on a grid of noise
as well, and picked noise 0.25 to make up for our baseline's W and b missing the document's
(its loss floor 0.0625 then refuted the recipe's 0.008234 by construction). The targets of both
fits are the claims listed in ``claims/s003_linear_recipe/protocols.py`` (calibration targets,
never evidence). The document's initial loss (1.118762) is no target: at the timeline init no data
setting reaches it (the MSE there is at least (b - 1)^2 = 3.42 for any zero-mean x), so it is
tested as a claim instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from harness.studies.linear_recipe.noise import NOISE
from harness.studies.linear_recipe.recipe import BASELINE, DataSettings
from harness.studies.linear_recipe.study import Arm, LinearStudy

TARGETS = {"w": 1.497988, "b": 0.855068}  # the document's FP32 baseline summary (its loss pins the noise)
BATCH_SIZES = (2, 3, 4, 5, 6)
CALIBRATION_SEEDS = 64
CALIBRATION_MASTER_SEED = 0

# The grid's choice, recorded by running :func:`calibrate` (the full tier re-runs it and checks
# it is reproduced). Measured: batch size 2: W 2.000, b 1.000 (distance 0.41); 3: 1.896, 0.996
# (0.31); 4: 1.542, 0.936 (0.10); 5: 1.222, 0.823 (0.19); 6: 0.970, 0.700 (0.40).
CHOSEN = DataSettings(batch_size=4, noise=NOISE)


@dataclass(frozen=True)
class GridPoint:
    """One calibration grid point: its settings, the population means (the loss recorded, not scored)
    and the distance of (W, b) to the targets."""

    data: DataSettings
    w: float
    b: float
    loss: float
    distance: float


def distance(w: float, b: float) -> float:
    """Relative Euclidean distance of (W, b) to the document's baseline figures."""
    got = {"w": w, "b": b}
    return math.sqrt(sum(((got[k] - v) / v) ** 2 for k, v in TARGETS.items()))


def evaluate(
    data: DataSettings, *, seeds: int = CALIBRATION_SEEDS, master_seed: int = CALIBRATION_MASTER_SEED
) -> GridPoint:
    """Train the baseline at ``data`` on the calibration stream and score it."""
    study = LinearStudy(master_seed, "quick", data, seeds=seeds, stream="calibration")
    res = study.run_arms({"baseline": Arm(BASELINE)})["baseline"]
    w, b, loss = (float(np.mean(v)) for v in (res.params[:, 0], res.params[:, 1], res.final_loss))
    return GridPoint(data, w, b, loss, distance(w, b))


def calibrate(
    batch_sizes=BATCH_SIZES, *, noise: float = NOISE, seeds: int = CALIBRATION_SEEDS
) -> tuple[GridPoint, list[GridPoint]]:
    """Evaluate the batch sizes at ``noise``; return the closest point and all points (in grid order)."""
    points = [evaluate(DataSettings(batch_size=bs, noise=noise), seeds=seeds) for bs in batch_sizes]
    return min(points, key=lambda p: p.distance), points
