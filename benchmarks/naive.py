"""The naive baseline: one ``nn.Module`` + ``torch.optim`` per model in a Python loop, as the sources did."""

from __future__ import annotations

import torch
from torch import nn

from harness.engine.data import Dataset


def train_one_by_one(
    make_module, make_optimizer, params: torch.Tensor, data: Dataset, *, epochs: int, loss_below: float, grad_norm_below: float
) -> int:
    """Train each row of ``params`` (B, P) separately for up to ``epochs``; return member-epochs done.

    Stops a model when its loss < ``loss_below`` or its gradient norm < ``grad_norm_below``:
    source 000's convergence criterion, checked every epoch as a plain script must.
    """
    done = 0
    for row in params:
        module = make_module().to(row.dtype)
        nn.utils.vector_to_parameters(row.clone(), module.parameters())
        optimizer = make_optimizer(module.parameters())
        for _ in range(epochs):
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(module(data.X), data.Y)
            if loss.item() < loss_below:
                break
            loss.backward()
            grad_norm = torch.sqrt(sum((p.grad**2).sum() for p in module.parameters()))
            if grad_norm.item() < grad_norm_below:
                break
            optimizer.step()
            done += 1
    return done
