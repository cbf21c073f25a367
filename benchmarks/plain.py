"""The baselines the population trainer is measured against: the plain batched loop a user would write.

``MLP_CASES`` are the networks of issue 23's table and the example's 2-3-1 sigmoid network;
``plain_batched_loop`` trains B copies of one as a user would with batched matrices: (B, out, in)
weight tensors, ``torch.baddbmm`` per layer, autograd, ``torch.optim.SGD``; ``trainer_run`` trains
the same population with ``train_arguments`` + ``trainer.train`` (default compile policy), as a
claim's study would. Both run every member for every epoch (no early stop), so member-epochs are
B x epochs on both sides.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from harness.engine import data, init, models
from harness.engine.arguments import train_arguments
from harness.engine.trainer import train

_ACTIVATIONS = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "identity": lambda z: z}


@dataclass(frozen=True)
class MLPCase:
    """One network and training setting: widths, hidden and output activation, population, data and SGD settings."""

    widths: tuple[int, ...]
    activation: str
    output_activation: str
    population: int
    samples: int  # N: a grid of sin(x) on [-3, 3] for one input; XOR for two
    epochs: int
    lr: float
    momentum: float = 0.0
    batch_size: int | None = None  # None: full batch; 1: online
    dtype: torch.dtype = torch.float32

    @property
    def model(self) -> models.Model:
        hidden = (self.activation,) * (len(self.widths) - 2)
        return models.mlp(self.widths, hidden, self.output_activation)

    def dataset(self) -> data.Dataset:
        if self.widths[0] == 2:
            return data.xor01(dtype=self.dtype)
        return data.function_on_grid(torch.sin, low=-3.0, high=3.0, points=self.samples, dtype=self.dtype)

    def params(self) -> torch.Tensor:
        return init.layerwise(self.model, self.population, generator=torch.Generator().manual_seed(0), dtype=self.dtype)


MLP_CASES: dict[str, MLPCase] = {
    "deep_2x10": MLPCase((1,) + (2,) * 10 + (1,), "relu", "identity", 1_000, 64, 50, 0.05),
    "wide_16x16": MLPCase((1, 16, 16, 1), "relu", "identity", 1_000, 64, 50, 0.05),
    "three_8": MLPCase((1, 8, 8, 8, 1), "relu", "identity", 4_000, 16, 50, 0.05),
    "sigmoid_2_3_1": MLPCase((2, 3, 1), "sigmoid", "sigmoid", 20_000, 4, 100, 1.0),
    # examples/xor_rprop: online momentum (lr 1.0, momentum 0.7) on 0/1 XOR in float64, its full tier's 1,000 runs
    "example_online": MLPCase((2, 3, 1), "sigmoid", "sigmoid", 1_000, 4, 100, 1.0, 0.7, 1, torch.float64),
}


def _split(case: MLPCase, params: torch.Tensor) -> list[torch.Tensor]:
    """Leaf tensors W (B, out, in) and b (B, out) per layer, from the (B, P) population."""
    leaves, offset = [], 0
    for fan_in, fan_out in zip(case.widths[:-1], case.widths[1:], strict=True):
        leaves.append(
            params[:, offset : offset + fan_in * fan_out].reshape(-1, fan_out, fan_in).clone().requires_grad_()
        )
        offset += fan_in * fan_out
        leaves.append(params[:, offset : offset + fan_out].clone().requires_grad_())
        offset += fan_out
    return leaves


def plain_batched_loop(case: MLPCase, params: torch.Tensor, dataset: data.Dataset) -> int:
    """Train ``case`` the way a user would with batched matrices; returns member-epochs run."""
    leaves = _split(case, params)
    optimizer = torch.optim.SGD(leaves, lr=case.lr, momentum=case.momentum)
    X, Y = dataset
    B, N = params.shape[0], X.shape[0]
    size = case.batch_size or N
    layers = len(leaves) // 2
    for _ in range(case.epochs):
        for start in range(0, N, size):
            h = X[start : start + size].expand(B, -1, -1)
            for layer in range(layers):
                W, b = leaves[2 * layer], leaves[2 * layer + 1]
                name = case.activation if layer < layers - 1 else case.output_activation
                h = _ACTIVATIONS[name](torch.baddbmm(b.unsqueeze(1), h, W.transpose(1, 2)))
            loss = ((h - Y[start : start + size]) ** 2).mean(dim=(1, 2)).sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return B * case.epochs


def trainer_arguments(case: MLPCase) -> dict:
    """The trainer's arguments for ``case``, through ``train_arguments`` as a claim's protocol gives them."""
    values = {
        "widths": case.widths,
        "activations": (case.activation,) * (len(case.widths) - 2),
        "output_activation": case.output_activation,
        "optimizer": "sgd",
        "lr": case.lr,
        "momentum": case.momentum,
        "max_epochs": case.epochs,
        "batch_size": case.batch_size,
    }
    return train_arguments(values)


def trainer_run(case: MLPCase, params: torch.Tensor, dataset: data.Dataset) -> int:
    """Train ``case`` with the population trainer (default compile policy); returns member-epochs run."""
    result = train(params=params, data=dataset, **trainer_arguments(case))
    return int(result.epochs.sum())
