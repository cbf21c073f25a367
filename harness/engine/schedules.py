"""Learning-rate schedules: the learning rate as a function of the (0-based) epoch.

Schedules are per epoch, as in source 003's ``get_lr_schedule(epoch)``: every step of epoch
``t`` uses ``schedule(t)``. Each is a frozen dataclass; ``values(start, count)`` gives a tensor of
consecutive epochs' rates for the trainer. Equivalent ``torch.optim.lr_scheduler.LambdaLR``
factors are ``schedule(t) / schedule.lr``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from harness.engine._checks import check_int, check_real


def _check_rate(lr: float) -> None:
    """A learning rate is a finite number >= 0."""
    check_real("learning rate", lr, low=0)


def _cosine(lr: float, min_lr: float, progress: float, pi: float) -> float:
    """``min_lr + (lr - min_lr) / 2 * (1 + cos(pi * progress))``."""
    return min_lr + (lr - min_lr) * 0.5 * (1.0 + math.cos(pi * progress))


class _Schedule:
    """Shared ``values`` for all schedules."""

    def __call__(self, epoch: int) -> float:
        raise NotImplementedError

    def values(self, start: int, count: int, *, dtype: torch.dtype = torch.float64, device="cpu") -> torch.Tensor:
        """Rates of epochs ``start .. start + count - 1`` as a (count,) tensor."""
        return torch.tensor([self(start + k) for k in range(count)], dtype=dtype, device=device)


@dataclass(frozen=True)
class Constant(_Schedule):
    """The same rate every epoch."""

    lr: float

    def __post_init__(self) -> None:
        _check_rate(self.lr)

    def __call__(self, epoch: int) -> float:
        return self.lr


@dataclass(frozen=True)
class LinearWarmup(_Schedule):
    """``lr * (t + 1) / warmup`` for ``t < warmup`` (source 003's formula), then ``lr``."""

    lr: float
    warmup_epochs: int

    def __post_init__(self) -> None:
        _check_rate(self.lr)
        check_int("warmup_epochs", self.warmup_epochs, minimum=1)

    def __call__(self, epoch: int) -> float:
        return self.lr * min(1.0, (epoch + 1) / self.warmup_epochs)


@dataclass(frozen=True)
class CosineDecay(_Schedule):
    """``min_lr + (lr - min_lr) / 2 * (1 + cos(pi * t / total))``, held at ``min_lr`` after ``total``."""

    lr: float
    total_epochs: int
    min_lr: float = 0.0

    def __post_init__(self) -> None:
        _check_rate(self.lr)
        _check_rate(self.min_lr)
        check_int("total_epochs", self.total_epochs, minimum=1)

    def __call__(self, epoch: int) -> float:
        return _cosine(self.lr, self.min_lr, min(1.0, epoch / self.total_epochs), math.pi)


@dataclass(frozen=True)
class WarmupCosine(_Schedule):
    """Source 003's ``get_lr_schedule``: linear warmup ``lr * (t + 1) / warmup``, then cosine decay.

    After warmup, ``progress = (t - warmup) / (total - warmup)`` and the rate is
    ``min_lr + (lr - min_lr) / 2 * (1 + cos(pi * progress))``. Source 003 writes ``pi`` as 3.14159;
    pass ``pi=3.14159`` to reproduce it to the digit.
    """

    lr: float
    warmup_epochs: int
    total_epochs: int
    min_lr: float = 0.0
    pi: float = math.pi

    def __post_init__(self) -> None:
        _check_rate(self.lr)
        _check_rate(self.min_lr)
        check_int("warmup_epochs", self.warmup_epochs, minimum=0)
        check_int("total_epochs", self.total_epochs, minimum=self.warmup_epochs + 1)
        check_real("pi", self.pi, low=0, low_open=True)

    def __call__(self, epoch: int) -> float:
        if epoch < self.warmup_epochs:
            return self.lr * (epoch + 1) / self.warmup_epochs
        progress = min(1.0, (epoch - self.warmup_epochs) / (self.total_epochs - self.warmup_epochs))
        return _cosine(self.lr, self.min_lr, progress, self.pi)


class PerMember(_Schedule):
    """One rate per member and epoch: ``rates`` (T, B); epoch t >= T keeps the last row.

    For populations whose members follow different schedules (e.g. source 003's arms); each
    epoch's rate is a (B,) tensor, which every optimizer applies per member.
    """

    def __init__(self, rates: torch.Tensor) -> None:
        if not isinstance(rates, torch.Tensor) or rates.dim() != 2 or 0 in rates.shape:
            raise ValueError(f"rates must be a (T, B) tensor with T, B >= 1, got {getattr(rates, 'shape', rates)!r}")
        if not rates.is_floating_point() or not bool(torch.isfinite(rates).all()) or bool((rates < 0).any()):
            raise ValueError("rates must be finite floating-point numbers >= 0")
        self.rates = rates

    @property
    def population(self) -> int:
        """B, the number of members."""
        return self.rates.shape[1]

    def __call__(self, epoch: int) -> torch.Tensor:  # type: ignore[override]
        return self.rates[min(epoch, len(self.rates) - 1)]

    def values(self, start: int, count: int, *, dtype: torch.dtype = torch.float64, device="cpu") -> torch.Tensor:
        """Rates of epochs ``start .. start + count - 1``: (count, B)."""
        index = torch.arange(start, start + count).clamp(max=len(self.rates) - 1)
        return self.rates[index].to(dtype=dtype, device=device)


def constant(lr: float) -> Constant:
    """Constant learning rate."""
    return Constant(lr)


def linear_warmup(lr: float, *, warmup_epochs: int) -> LinearWarmup:
    """Linear warmup to ``lr`` over ``warmup_epochs``, then constant."""
    return LinearWarmup(lr, warmup_epochs)


def cosine_decay(lr: float, *, total_epochs: int, min_lr: float = 0.0) -> CosineDecay:
    """Cosine decay from ``lr`` to ``min_lr`` over ``total_epochs``."""
    return CosineDecay(lr, total_epochs, min_lr)


def warmup_cosine(
    lr: float, *, warmup_epochs: int, total_epochs: int, min_lr: float = 0.0, pi: float = math.pi
) -> WarmupCosine:
    """Linear warmup then cosine decay, as source 003."""
    return WarmupCosine(lr, warmup_epochs, total_epochs, min_lr, pi)


def per_member(rates: torch.Tensor) -> PerMember:
    """A rate per member and epoch, from a (T, B) table."""
    return PerMember(rates)
