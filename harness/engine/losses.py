"""Per-member losses and accuracy of a population: MSE and classification accuracy, shape (B,).

``member_mse`` is the one loss the trainer differentiates. It works on parameter *columns*
(P tensors of shape (B,)) and has two equivalent evaluation orders: broadcast over all samples
at once (fast in eager mode, any N, also per-member data of shape (B, N, D)), or an unrolled
loop over samples (elementwise only, so ``torch.compile`` fuses it; meant for small N).
"""

from __future__ import annotations

import torch

from harness.engine.models import Columns, Model, batched_forward, check_data


def member_mse(
    model: Model, columns: Columns, X: torch.Tensor, Y: torch.Tensor, *, unroll: bool = False
) -> torch.Tensor:
    """Mean squared error of each member over all samples and outputs: columns P x (B,) -> (B,).

    X is (N, D) shared by all members or (B, N, D) per member; Y likewise (N, O) or (B, N, O).
    """
    if unroll:
        return _member_mse_unrolled(model, columns, X, Y)
    wide = [column.unsqueeze(-1) for column in columns]  # P x (B, 1)
    outputs = model.forward(wide, X.unbind(-1))  # O x (B, N)
    targets = Y.unbind(-1)
    parts = [((out - target) ** 2).mean(dim=-1) for out, target in zip(outputs, targets, strict=True)]
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    return total / len(targets)


def _member_mse_unrolled(model: Model, columns: Columns, X: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
    """``member_mse`` as a Python loop over the N samples: only (B,)-shaped elementwise ops.

    Shared samples give 0-d input columns, per-member samples ((B, N, D)) give (B,) columns.
    """
    n_samples, n_outputs = Y.shape[-2:]
    total = torch.zeros_like(columns[0])
    for x_row, y_row in zip(X.unbind(-2), Y.unbind(-2), strict=True):
        for out, target in zip(model.forward(columns, x_row.unbind(-1)), y_row.unbind(-1), strict=True):
            total = total + (out - target) ** 2
    return total / (n_samples * n_outputs)


def mse(model: Model, params: torch.Tensor, X: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
    """MSE of each member: params (B, P), X (N, D), Y (N, O) -> (B,)."""
    check_data(model, X, Y)
    outputs = batched_forward(model, params, X)  # (B, N, O)
    return ((outputs - Y.to(outputs)) ** 2).mean(dim=(1, 2))


def accuracy(model: Model, params: torch.Tensor, X: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
    """Fraction of samples each member classifies right: (B,).

    One output: the prediction is ``output > 0.5`` against 0/1 targets. Several outputs (one-hot
    targets): the prediction is the argmax, compared with the target's argmax.
    """
    check_data(model, X, Y)
    outputs = batched_forward(model, params, X)  # (B, N, O)
    Y = Y.to(outputs)
    if model.n_outputs == 1:
        correct = (outputs[..., 0] > 0.5) == (Y[:, 0] > 0.5)
    else:
        correct = outputs.argmax(dim=-1) == Y.argmax(dim=-1)
    return correct.to(outputs.dtype).mean(dim=1)
