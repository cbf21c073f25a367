"""A per-member optimizer: each member of one population trains with its own optimizer and learning rate.

The trainer's cost on these tiny models is almost all per-epoch overhead, independent of the
population size B, so every arm, learning rate and optimizer of a study is packed into one
population and trained in one call. ``MemberwiseOptimizer`` implements the engine's
``init``/``update`` interface (``harness.engine.optim``): it runs every candidate optimizer with
learning rate 1 and keeps, per member, the chosen one's update times that member's rate. Adam's and
SGD's updates are linear in the learning rate, so this equals training each member alone.
Use it with ``schedules.Constant(1.0)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import torch

from harness.engine.optim import Tree


class MemberwiseState(NamedTuple):
    """Inner optimizer states, the member's optimizer index (B,) and learning rate (B,)."""

    inner: tuple[Any, ...]
    which: torch.Tensor
    lr: torch.Tensor


@dataclass(frozen=True)
class MemberwiseOptimizer:
    """Member b uses ``choices[which[b]]`` with learning rate ``lrs[b]`` (tuples of length B)."""

    choices: tuple[Any, ...]
    which: tuple[int, ...]
    lrs: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.choices:
            raise ValueError("need at least one optimizer")
        if len(self.which) != len(self.lrs) or not self.which:
            raise ValueError(
                f"which and lrs must be non-empty and of equal length, got {len(self.which)} and {len(self.lrs)}"
            )
        if any(not 0 <= w < len(self.choices) for w in self.which):
            raise ValueError(f"which must index choices (0..{len(self.choices) - 1})")
        if any(not (lr >= 0 and lr < float("inf")) for lr in self.lrs):
            raise ValueError("learning rates must be finite and >= 0")

    def init(self, params: Tree) -> MemberwiseState:
        first = params[0]
        if first.shape[0] != len(self.which):
            raise ValueError(f"population has {first.shape[0]} members but {len(self.which)} were configured")
        which = torch.tensor(self.which, dtype=torch.int64, device=first.device)
        lr = torch.tensor(self.lrs, dtype=first.dtype, device=first.device)
        return MemberwiseState(tuple(opt.init(params) for opt in self.choices), which, lr)

    def update(self, grads: Tree, state: MemberwiseState, params: Tree, lr) -> tuple[Tree, MemberwiseState]:
        results = [opt.update(grads, inner, params, 1.0) for opt, inner in zip(self.choices, state.inner, strict=True)]
        updates = results[0][0]
        for index, (candidate, _) in enumerate(results[1:], start=1):
            updates = tuple(torch.where(state.which == index, c, u) for c, u in zip(candidate, updates, strict=True))
        scaled = tuple(u * state.lr * lr for u in updates)
        return scaled, MemberwiseState(tuple(r[1] for r in results), state.which, state.lr)
