"""Initialisation schemes of the two source-002 models and the loss thresholds of its arms.

A scheme maps (model, population, generator) to parameters (B, P) through the per-parameter
draws of :mod:`harness.engine.init`. Every layer of both models has fan_in = fan_out = 2, so each
common scheme reduces to one scale for weights and one for biases.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from harness.engine.data import Dataset, centered_xor, one_hot_xor
from harness.engine.init import per_param_normal, per_param_uniform
from harness.engine.models import Model, get_model

FAN = 2  # fan_in and fan_out of every layer of both models

# Which parameters are weights (True) and which biases (False), in the models' parameter order.
WEIGHT_MASK: dict[str, tuple[bool, ...]] = {
    "relu_pair": (True,) * 4 + (False,) * 2,
    "mlp_2_2_2": (True,) * 4 + (False,) * 2 + (True,) * 4 + (False,) * 2,
}

# The data set of each model (2.1): centered XOR, scalar targets for model 1, one-hot for model 2.
DATA: dict[str, Callable[[], Dataset]] = {"relu_pair": centered_xor, "mlp_2_2_2": one_hot_xor}


@dataclass(frozen=True)
class Scheme:
    """An initialisation scheme: ``kind`` 'uniform' (bound) or 'normal' (std), scale of weights and biases."""

    name: str
    kind: str
    weight_scale: float
    bias_scale: float
    note: str

    def scales(self, model: Model) -> list[float]:
        """(P,) bound or std of each parameter of ``model``."""
        mask = WEIGHT_MASK[model.name]
        return [self.weight_scale if is_weight else self.bias_scale for is_weight in mask]

    def draw(self, model: Model, population: int, generator: torch.Generator) -> torch.Tensor:
        """(B, P) float32 parameters of ``population`` members."""
        sampler = per_param_uniform if self.kind == "uniform" else per_param_normal
        return sampler(population, self.scales(model), generator=generator)


SCHEMES: dict[str, Scheme] = {
    s.name: s
    for s in (
        Scheme("standard_normal", "normal", 1.0, 1.0, "every parameter N(0, 1): the document's stated control"),
        Scheme(
            "pytorch_default",
            "uniform",
            1 / math.sqrt(FAN),
            1 / math.sqrt(FAN),
            "nn.Linear default: kaiming_uniform(a=sqrt(5)) weights and bias, both U(+-1/sqrt(fan_in))",
        ),
        Scheme("xavier_uniform", "uniform", math.sqrt(6 / (2 * FAN)), 0.0, "Glorot uniform weights, zero biases"),
        Scheme("xavier_normal", "normal", math.sqrt(2 / (2 * FAN)), 0.0, "Glorot normal weights, zero biases"),
        Scheme("kaiming_uniform", "uniform", math.sqrt(6 / FAN), 0.0, "He uniform (ReLU gain) weights, zero biases"),
        Scheme("kaiming_normal", "normal", math.sqrt(2 / FAN), 0.0, "He normal (ReLU gain) weights, zero biases"),
    )
}


def get_scheme(name: str) -> Scheme:
    """The scheme called ``name``; ``ValueError`` listing the known ones otherwise."""
    try:
        return SCHEMES[name]
    except KeyError:
        raise ValueError(f"unknown scheme {name!r}; known: {', '.join(SCHEMES)}") from None


def model_and_data(model_name: str) -> tuple[Model, Dataset]:
    """The model and its data set (float32)."""
    if model_name not in DATA:
        raise ValueError(f"no source-002 data set for model {model_name!r}; known: {', '.join(DATA)}")
    return get_model(model_name), DATA[model_name]()


def reference_percentiles(losses: np.ndarray, percentiles) -> dict[float, float]:
    """Percentiles (numpy's linear interpolation) of a reference sample of initial losses (N,).

    The 0th percentile is the sample's minimum: "better than best of 100" (2.2)."""
    values = np.asarray(losses, dtype=float)
    if values.ndim != 1 or values.size < 2 or not np.isfinite(values).all():
        raise ValueError(f"need a finite 1-d reference sample of >= 2 losses, got shape {values.shape}")
    return {float(q): float(np.percentile(values, q)) for q in percentiles}
