"""Training configurations of source 003: baseline, full recipe, the cumulative ablation rows; data settings.

Every number comes from the document's code blocks and method sections (cited per field);
the unstated data settings live in :class:`DataSettings` and are chosen by
:mod:`harness.studies.linear_recipe.calibration`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch

from harness.engine.schedules import WarmupCosine, warmup_cosine

DOC_PI = 3.14159  # get_lr_schedule's literal for pi
TRUE_W, TRUE_B = 2.0, 1.0
TIMELINE_INIT = (-0.92, -0.85)  # epoch 0 of both "Loss Evolution Timeline" blocks
MAX_EPOCHS = 100


@dataclass(frozen=True)
class Config:
    """One training configuration (source 003's knobs, methods 1-9)."""

    lr: float  # peak learning rate (method 1: 1e-3 -> 0.01)
    epochs: int  # training epochs (method 2: 30 -> 100)
    warmup: int  # linear warmup epochs (method 3: 5 -> 10)
    decay_epochs: int  # get_lr_schedule's total_epochs: cosine reaches 0 there (method 4: 30 -> 100)
    shuffle: bool  # DataLoader shuffle (method 5: True -> False)
    patience: int  # early-stopping patience (method 6: 10 -> 20)
    min_improvement: float  # improvement threshold (method 7: 1e-6 -> 1e-7)
    clip: float | None  # gradient clipping threshold (method 8: none -> 1.0)
    weight_decay: float = 0.0  # Adam L2 (method 9 keeps 0; 0.01 is the document's counterfactual)

    def schedule(self) -> WarmupCosine:
        """The document's ``get_lr_schedule`` with these settings (pi = 3.14159)."""
        return warmup_cosine(self.lr, warmup_epochs=self.warmup, total_epochs=self.decay_epochs, pi=DOC_PI)


BASELINE = Config(
    lr=1e-3, epochs=30, warmup=5, decay_epochs=30, shuffle=True, patience=10, min_improvement=1e-6, clip=None
)

# Cumulative ablation: (table label, the method's change). Method 9 sets Adam's betas (0.9, 0.999),
# eps 1e-8, weight decay 0 explicitly: torch.optim.Adam's defaults, so it changes nothing here.
METHOD_CHANGES: tuple[tuple[str, dict], ...] = (
    ("Baseline", {}),
    ("+ Method 1 (LR 0.01)", {"lr": 0.01}),
    ("+ Method 2 (100 epochs)", {"epochs": 100}),
    ("+ Method 3 (Warmup 10)", {"warmup": 10}),
    ("+ Method 4 (Slow decay)", {"decay_epochs": 100}),
    ("+ Method 5 (No shuffle)", {"shuffle": False}),
    ("+ Method 6 (Patience 20)", {"patience": 20}),
    ("+ Method 7 (Threshold 1e-7)", {"min_improvement": 1e-7}),
    ("+ Method 8 (Grad clip)", {"clip": 1.0}),
    ("+ Method 9 (Adam params)", {"weight_decay": 0.0}),
    ("+ Method 10 (Logging) (cosmetic)", {}),
)


def ablation_rows() -> tuple[tuple[str, Config], ...]:
    """The 11 cumulative rows: each applies its method's change to the previous row."""
    rows, config = [], BASELINE
    for label, change in METHOD_CHANGES:
        config = dataclasses.replace(config, **change)
        rows.append((label, config))
    return tuple(rows)


RECIPE = ablation_rows()[-1][1]

# Method 1's two learning rates on their own: constant (no warmup, no decay) and no early stop over
# 100 epochs, so the epochs they need to converge are measured, not cut short.
CONSTANT_LR = {
    lr: dataclasses.replace(BASELINE, lr=lr, epochs=MAX_EPOCHS, warmup=0, decay_epochs=10**9, patience=MAX_EPOCHS)
    for lr in (1e-3, 1e-2)
}
NO_WARMUP = dataclasses.replace(RECIPE, warmup=0)  # Method 3's "No Warmup (eta = 0.01)" column


@dataclass(frozen=True)
class DataSettings:
    """Data and batching: N samples of x ~ N(0, x_std^2), y = 2x + 1 + noise * e, mini-batches of batch_size."""

    n: int = 1000  # stated: the theorem's N = 1000
    x_std: float = 1.0  # stated: the theorem's x ~ N(0, 1)
    noise: float = 0.0  # calibrated (see calibration.py)
    batch_size: int = 4  # calibrated (see calibration.py)


def draw_data(settings: DataSettings, seeds: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """One data set per seed: X, Y (seeds, N) in float64."""
    draws = torch.randn(2, seeds, settings.n, generator=generator, dtype=torch.float64)
    x = settings.x_std * draws[0]
    return x, TRUE_W * x + TRUE_B + settings.noise * draws[1]


def torch_default_init(seeds: int, generator: torch.Generator) -> torch.Tensor:
    """``nn.Linear(1, 1)``'s default init: w, b ~ U(-1, 1) (bound 1 / sqrt(fan_in), fan_in = 1): (seeds, 2)."""
    return torch.rand(seeds, 2, generator=generator, dtype=torch.float64) * 2 - 1


def xavier_init(seeds: int, generator: torch.Generator) -> torch.Tensor:
    """``xavier_uniform_`` on Linear(1, 1)'s weight (bound sqrt(6 / (1 + 1)) = sqrt 3), default U(-1, 1) bias: (seeds, 2)."""
    u = torch.rand(seeds, 2, generator=generator, dtype=torch.float64) * 2 - 1
    return u * torch.tensor([3.0**0.5, 1.0], dtype=torch.float64)
