"""Per-member outcomes of a trained population: success, epochs, losses, outputs, dead units, mirror symmetry.

Definitions (source 002):

* success: 100% accuracy on the four XOR points at the end of training (2.3);
* dead unit: a hidden ReLU whose pre-activation is <= 0 on all four inputs, so it outputs 0 and
  passes no gradient, on every point (3.4);
* mirror symmetry (3.4, 5.2): model 1's two units learn |z| = ReLU(z) + ReLU(-z), i.e. W1 = -W0.
  A member is mirrored when ``|W0 + W1| <= tol * (|W0| + |W1|) / 2`` (Euclidean norms of the
  weight rows); ``MIRROR_TOL`` = 0.1 allows a 10% deviation relative to the average row norm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from harness.engine.data import Dataset
from harness.engine.losses import accuracy
from harness.engine.models import Model, batched_forward
from harness.engine.trainer import StopReason, TrainResult

MIRROR_TOL = 0.1


def first_layer(model: Model, params: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Hidden-layer weights (B, H, D) and biases (B, H) of either source-002 model (H = D = 2)."""
    if model.name not in ("relu_pair", "mlp_2_2_2"):
        raise ValueError(f"no hidden layer layout for model {model.name!r}")
    return params[:, :4].reshape(-1, 2, 2), params[:, 4:6]


def dead_units(model: Model, params: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
    """Number of dead hidden units of each member (B,): pre-activation <= 0 on all N inputs."""
    weights, biases = first_layer(model, params)
    pre = torch.einsum("bhd,nd->bhn", weights, X.to(params)) + biases.unsqueeze(-1)  # (B, H, N)
    return (pre <= 0).all(dim=-1).sum(dim=-1)


def mirror_asymmetry(model: Model, params: torch.Tensor) -> torch.Tensor:
    """``|W0 + W1| / ((|W0| + |W1|) / 2)`` of each member (B,): 0 for exact mirrors, inf for zero rows."""
    weights, _ = first_layer(model, params)
    w0, w1 = weights[:, 0], weights[:, 1]
    scale = (w0.norm(dim=-1) + w1.norm(dim=-1)) / 2
    return torch.where(scale > 0, (w0 + w1).norm(dim=-1) / scale, torch.full_like(scale, float("inf")))


def mirror_symmetric(model: Model, params: torch.Tensor, *, tol: float = MIRROR_TOL) -> torch.Tensor:
    """Whether each member's two weight rows mirror each other, W1 = -W0 within ``tol`` (B,) bool."""
    if not tol > 0:
        raise ValueError(f"tol must be > 0, got {tol}")
    return mirror_asymmetry(model, params) <= tol


@dataclass(frozen=True)
class Outcomes:
    """Per-member outcomes, numpy arrays of shape (B,) unless noted.

    ``initial_loss`` and ``final_loss`` are MSEs; ``outputs`` (B, N, O) the final outputs;
    ``reason`` the trainer's StopReason codes; ``converged``: stopped by the loss criterion.
    """

    initial_loss: np.ndarray
    initial_accuracy: np.ndarray
    final_loss: np.ndarray
    final_accuracy: np.ndarray
    success: np.ndarray
    converged: np.ndarray
    epochs: np.ndarray
    reason: np.ndarray
    outputs: np.ndarray
    dead_initial: np.ndarray
    dead_final: np.ndarray
    mirror: np.ndarray
    asymmetry: np.ndarray
    distance: np.ndarray

    def subset(self, mask: np.ndarray) -> Outcomes:
        """The members selected by a boolean mask (B,) or an index array."""
        return Outcomes(**{k: v[mask] for k, v in self.__dict__.items()})

    def __len__(self) -> int:
        return len(self.success)


def outcomes(model: Model, data: Dataset, initial: torch.Tensor, result: TrainResult) -> Outcomes:
    """Every per-member metric of one trained population (``initial`` (B, P) are the start params)."""
    X, Y = data.X.to(initial), data.Y.to(initial)
    final = result.params
    final_accuracy = accuracy(model, final, X, Y)
    init_out = batched_forward(model, initial, X)
    return Outcomes(
        initial_loss=((init_out - Y) ** 2).mean(dim=(1, 2)).numpy().astype(float),
        initial_accuracy=accuracy(model, initial, X, Y).numpy().astype(float),
        final_loss=result.final_loss.numpy().astype(float),
        final_accuracy=final_accuracy.numpy().astype(float),
        success=(final_accuracy == 1).numpy(),
        converged=result.stopped_by(StopReason.CONVERGED_LOSS).numpy(),
        epochs=result.epochs.numpy(),
        reason=result.reason.numpy(),
        outputs=batched_forward(model, final, X).numpy(),
        dead_initial=dead_units(model, initial, X).numpy(),
        dead_final=dead_units(model, final, X).numpy(),
        mirror=mirror_symmetric(model, final).numpy() if model.name == "relu_pair" else np.zeros(len(final), bool),
        asymmetry=mirror_asymmetry(model, final).numpy().astype(float),
        distance=(final - initial).to(torch.float64).norm(dim=1).numpy(),
    )
