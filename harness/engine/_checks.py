"""Argument checks shared by every engine module: one function, one message, per kind of mistake.

Every check raises ``ValueError`` naming the argument, what it must be and what it got, e.g.
``momentum must be a finite number >= 0, got -0.1``. Population and data checks know the model's
shapes (P parameters, D inputs, O outputs).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import torch


def is_int(value: Any) -> bool:
    """Whether ``value`` is a Python int (``bool`` excluded)."""
    return isinstance(value, int) and not isinstance(value, bool)


def check_int(name: str, value: Any, *, minimum: int) -> None:
    """Raise unless ``value`` is an int >= ``minimum``."""
    if not is_int(value) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")


def check_real(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> None:
    """Raise unless ``value`` is a finite real number in the given (closed unless ``*_open``) bounds."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        raise ValueError(f"{name} must be a finite number{_bounds(low, high, low_open, high_open)}, got {value!r}")


def _bounds(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    """`` >= 0``, `` > 0``, `` in [0, 1)`` or nothing."""
    if low is not None and high is not None:
        return f" in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
    if low is not None:
        return f" {'>' if low_open else '>='} {low}"
    if high is not None:
        return f" {'<' if high_open else '<='} {high}"
    return ""


def all_finite(values: torch.Tensor) -> bool:
    """Whether every entry is finite; a finite sum proves it at a fraction of ``isfinite().all()``'s cost."""
    return bool(torch.isfinite(values.sum())) or bool(torch.isfinite(values).all())


def check_population(name: str, n_params: int, params: Any) -> None:
    """Raise unless ``params`` is a finite floating (B, P) tensor with B >= 1 for model ``name``."""
    if not isinstance(params, torch.Tensor):
        raise ValueError(f"params must be a torch.Tensor, got {type(params).__name__}")
    if params.dim() != 2 or params.shape[1] != n_params:
        raise ValueError(f"params for {name} must have shape (B, {n_params}), got {tuple(params.shape)}")
    if params.shape[0] == 0:
        raise ValueError("empty population: params has B = 0 members")
    if not params.is_floating_point():
        raise ValueError(f"params must be floating point, got {params.dtype}")
    if not all_finite(params):
        raise ValueError("params contain NaN or inf")


def check_inputs(name: str, n_inputs: int, X: Any) -> None:
    """Raise unless ``X`` is an (N, D) tensor for model ``name``."""
    if not isinstance(X, torch.Tensor) or X.dim() != 2 or X.shape[1] != n_inputs:
        raise ValueError(f"X for {name} must have shape (N, {n_inputs}), got {tuple(getattr(X, 'shape', ()))}")


def check_data(name: str, n_inputs: int, n_outputs: int, X: Any, Y: Any) -> None:
    """Raise unless X is (N, D) and Y is (N, O) for model ``name``, N >= 1, all finite."""
    check_inputs(name, n_inputs, X)
    if not isinstance(Y, torch.Tensor) or Y.dim() != 2 or Y.shape[1] != n_outputs:
        raise ValueError(f"Y for {name} must have shape (N, {n_outputs}), got {tuple(getattr(Y, 'shape', ()))}")
    if X.shape[0] != Y.shape[0]:
        raise ValueError(f"X has {X.shape[0]} samples but Y has {Y.shape[0]}")
    if X.shape[0] == 0:
        raise ValueError("empty data set: N = 0 samples")
    if not (torch.isfinite(X).all() and torch.isfinite(Y).all()):
        raise ValueError("data contain NaN or inf")


def value_key(instance: Any) -> tuple:
    """A frozen dataclass's fields for ``__eq__``/``__hash__``: numbers by value, a tensor by its identity.

    Settings that may be per-member (B,) tensors compare equal when their numbers are equal and
    their tensors are the same objects; the compile cache keys on them.
    """
    values = (getattr(instance, field.name) for field in dataclasses.fields(instance))
    return (type(instance),) + tuple(("tensor", id(v)) if isinstance(v, torch.Tensor) else v for v in values)


def check_member_values(name: str, values: Any, *, low: float, low_open: bool = False) -> None:
    """Raise unless ``values`` is a non-empty 1-d real tensor (one value per member) above ``low``, no NaN."""
    if not isinstance(values, torch.Tensor) or values.dim() != 1 or values.numel() == 0:
        raise ValueError(f"{name} per member must be a non-empty 1-d tensor, got {getattr(values, 'shape', values)!r}")
    if values.is_complex() or values.dtype == torch.bool:
        raise ValueError(f"{name} per member must be real numbers, got {values.dtype}")
    below = (values <= low) if low_open else (values < low)
    if bool(torch.isnan(values).any()) or bool(below.any()):
        raise ValueError(f"{name} per member must be {'>' if low_open else '>='} {low}, got {values.tolist()[:8]}")
