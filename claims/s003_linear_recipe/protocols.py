"""Protocol records of source 003's claims: what was trained, on what data, and how a figure is compared.

Shared conventions (assumed; the document states none of them):

* A reported point figure (a loss, a parameter, an error, a statistic) is compared with the
  population mean over seeds by a t TOST with margin ``FIGURE_MARGIN`` x the figure; for a
  parameter value the margin is that fraction of the figure's distance to the truth, at least
  ``PARAM_FLOOR`` (the timelines print two decimals).
* A reported rate ("25% chance") is compared with margin ``RATE_MARGIN`` (absolute).
* "The recipe achieves X" claims are read as "at least ``ACHIEVE_RATE`` of seeds achieve X", the
  probability level of the document's own theorem.
* Arithmetic in the text is checked to half a unit of its last printed digit.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.evidence.claims import CalibrationTarget, Protocol, Setting
from harness.studies.linear_recipe import calibration, noise
from harness.studies.linear_recipe.recipe import DOC_PI, TIMELINE_INIT
from harness.studies.linear_recipe.study import TIER_SEEDS

FIGURE_MARGIN = 0.10
PARAM_FLOOR = 0.005
RATE_MARGIN = 0.05
ACHIEVE_RATE = 0.95
ALPHA = 0.05

# Claims whose numbers the calibrated data settings were fitted to: calibration targets, never evidence.
NOISE_TARGETS = (  # the recipe's printed final loss 0.008234 and its restatements at 0.008
    "003.recipe.final_loss",
    "003.ablation.row9_final_loss",
    "003.ablation.row10_final_loss",
    "003.timeline.recipe_loss_epoch100",
)
BATCH_TARGETS = (  # the baseline's printed W = 1.497988, b = 0.855068 and their restatements
    "003.baseline.w",
    "003.baseline.b",
    "003.timeline.baseline_w_epoch30",
    "003.timeline.baseline_b_epoch30",
    "003.ablation.row0_w_error",
    "003.ablation.row0_b_error",
)
NOISE_PROCEDURE = (
    "harness.studies.linear_recipe.noise: sigma from the identity loss = (2 - W)^2 + (1 - b)^2 + sigma^2 on the "
    "recipe's printed summary (W 2.001234, b 0.998765, loss 0.008234: sigma in [0.087, 0.094], rounded 0.09), "
    "checked against the baseline's (sigma in [0, 0.159])"
)
BATCH_PROCEDURE = (
    f"harness.studies.linear_recipe.calibration: batch sizes {calibration.BATCH_SIZES} at noise {noise.NOISE}, "
    f"FP32 baseline from the timeline init on {calibration.CALIBRATION_SEEDS} seeds of the separate 'calibration' "
    "stream; chosen: mean final (W, b) closest (relative distance) to the document's W = 1.497988, b = 0.855068"
)
CALIBRATION_TARGETS = {
    **{cid: CalibrationTarget(("noise",), NOISE_PROCEDURE) for cid in NOISE_TARGETS},
    **{cid: CalibrationTarget(("batch_size",), BATCH_PROCEDURE) for cid in BATCH_TARGETS},
}
_NOISE_NOTE = (
    f"{NOISE_PROCEDURE}; {len(noise.SUPPORT[noise.NOISE])} of the document's {len(noise.FIGURES)} (W, b, loss) "
    f"figures allow it, {len(noise.SUPPORT[0.0])} allow 0 and {len(noise.SUPPORT[0.25])} allow 0.25 (the "
    f"noise-dependent claims are also reported under those: suffixes _noise0, _noise0p25). "
    f"Fitted to: {', '.join(NOISE_TARGETS)}"
)
_BATCH_NOTE = f"{BATCH_PROCEDURE}. Fitted to: {', '.join(BATCH_TARGETS)}"


@dataclass(frozen=True)
class TrainingProtocol(Protocol):
    # The model: one linear layer y = w x + b.
    model: Setting = Setting("linear_1d (w, b)", "stated", "Problem Statement: 'a single linear layer'")
    # Arm: the configuration trained (see harness.studies.linear_recipe.recipe).
    arm: Setting = Setting("row9 (full recipe)", "stated", "the document's code blocks")
    # Initial parameters.
    init: Setting = Setting(TIMELINE_INIT, "stated", "Loss Evolution Timeline, epoch 0: W = -0.92, b = -0.85")
    # Optimizer.
    optimizer: Setting = Setting("Adam(betas=(0.9, 0.999), eps=1e-8)", "stated", "Method 9's config block")
    # Learning-rate schedule.
    schedule: Setting = Setting(f"get_lr_schedule with pi = {DOC_PI}", "stated", "Method 3's code block")
    # Data: N samples, x ~ N(0, 1), y = 2x + 1 + noise.
    n_samples: Setting = Setting(1000, "stated", "theorem: 'N=1000'")
    x_distribution: Setting = Setting("N(0, 1)", "stated", "theorem: 'x ~ N(0, 1)'")
    noise: Setting = Setting(calibration.CHOSEN.noise, "calibrated", _NOISE_NOTE)
    batch_size: Setting = Setting(calibration.CHOSEN.batch_size, "calibrated", _BATCH_NOTE)
    # Precision of training.
    precision: Setting = Setting("fp32", "stated", "'After FP32 Fix'")
    # Population: one member per data/shuffle seed.
    seeds: Setting = Setting(TIER_SEEDS, "assumed", "issue: quick >= 200 seeds, full >= 5,000")
    # How the figure is compared (see module docstring).
    comparison: Setting = Setting("mean over seeds, t TOST", "assumed", "no spread reported: a population mean")
    margin: Setting = Setting(FIGURE_MARGIN, "assumed", "10% of the figure (of its distance to the truth for W, b)")


@dataclass(frozen=True)
class ArithmeticProtocol(Protocol):
    # What is recomputed: the document's own numbers or formula.
    inputs: Setting = Setting("the document's numbers", "stated", "quoted in the claim")
    # Tolerance: half a unit of the last printed digit of the claimed value.
    abs_tol: Setting = Setting(0.0, "assumed", "half a unit in the last printed digit")
    # Arithmetic precision.
    dtype: Setting = Setting("float64", "assumed", "far below any printed digit")


@dataclass(frozen=True)
class TimingProtocol(Protocol):
    # What is timed per round: one training epoch of the full recipe on one member (t_epoch) and the
    # document's summary print (t_log, mean of 200 prints); totals follow the document's own formula.
    workload: Setting = Setting(
        "train_linear, 1 member, full recipe, 1 epoch + 200 prints per round",
        "assumed",
        "the document's script trains one model; whole 100-epoch runs per variant are too slow",
    )
    epochs: Setting = Setting(100, "stated", "Method 10: 100 epochs, logged every epoch vs every 10 epochs")
    # Logging: the document's three print lines per logged epoch, to a file (os.devnull).
    logging: Setting = Setting("3 f-string prints per logged epoch to os.devnull", "stated", "Method 10's code block")
    rounds: Setting = Setting(
        {"quick": 10, "full": 30},
        "assumed",
        "paired rounds, variants interleaved; quick: 10 (the sign tests decide from 7 rounds: 2^-n <= alpha / 4)",
    )
    # Which reduction the sentence's single figure is read as: the median over rounds, not the mean.
    statistic: Setting = Setting(
        "median of the rounds' reductions (exact sign tests, median_in)",
        "assumed",
        "timing noise changes the rounds' skewness from run to run; the mean rule's skewness gate moved "
        "the full tier's verdict between CI runs (inconclusive, then refuted at skewness -0.39 vs its "
        "0.5 limit); the sign test assumes no shape. The mean is reported beside it (detail)",
    )
    clock: Setting = Setting(
        "CPU time of the measuring process (time.process_time), one untimed warm-up round",
        "assumed",
        "wall time counted other processes' load: the verdict moved between -n 2 and a serial run",
    )
    margin: Setting = Setting(0.01, "assumed", "3.5% +- 1 percentage point")
