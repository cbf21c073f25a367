"""Trainer arguments from flat named values, so that a claim's protocol states every number once.

``train_arguments({"widths": (2, 3, 1), "activations": ("sigmoid",), "output_activation": "sigmoid",
"optimizer": "sgd", "momentum": 0.7, "lr": 1.0, "max_epochs": 10_000, "loss_below": 0.0025},
other=("runs",))`` returns the keyword arguments ``model, optimizer, schedule, stopping,
batch_size, shuffle`` of ``harness.engine.trainer.train``. The evidence layer's
``harness.evidence.claims.protocol_values(protocol)`` gives such a dict from a claim's protocol.

Keys (anything else is an error unless listed in ``other``, the caller's non-trainer settings):

* the model: ``model`` (a registered name) or ``widths`` + ``activations`` (+ ``output_activation``);
* ``optimizer`` (a name of ``OPTIMIZERS``) and that optimizer's own hyperparameters by their
  factory's keyword names (``momentum``, ``eta_plus``, ...), plus ``clip_norm`` (per-member
  gradient clipping before the optimizer);
* ``lr`` and ``schedule`` (a name of ``SCHEDULES``, default ``"constant"``) with its keywords;
* the stopping rule: ``max_epochs`` and ``loss_below``, ``grad_norm_below``, ``patience``,
  ``min_improvement``;
* ``batch_size`` (None or absent: full batch; 1: online) and ``shuffle``.

This module never sees pytest or the evidence layer; it only builds engine objects.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from harness.engine import optim, schedules
from harness.engine.models import get_model, mlp
from harness.engine.trainer import StoppingRule

OPTIMIZERS: dict[str, Callable[..., Any]] = {
    "sgd": optim.sgd,
    "adam": optim.adam,
    "rprop": optim.rprop,
    "rmsprop": optim.rmsprop,
    "adagrad": optim.adagrad,
}
SCHEDULES: dict[str, Callable[..., Any]] = {
    "constant": schedules.constant,
    "linear_warmup": schedules.linear_warmup,
    "cosine_decay": schedules.cosine_decay,
    "warmup_cosine": schedules.warmup_cosine,
}
_MODEL_KEYS = ("model", "widths", "activations", "output_activation")
_STOPPING_KEYS = ("max_epochs", "loss_below", "grad_norm_below", "patience", "min_improvement")
_OTHER_TRAIN_KEYS = ("optimizer", "clip_norm", "lr", "schedule", "batch_size", "shuffle")


def _keywords(factory: Callable[..., Any]) -> tuple[str, ...]:
    """Keyword-only parameter names of an optimizer or schedule factory (``lr`` excluded)."""
    return tuple(
        name
        for name, p in inspect.signature(factory).parameters.items()
        if p.kind is inspect.Parameter.KEYWORD_ONLY and name != "lr"
    )


def _choice(table: Mapping[str, Any], kind: str, name: Any) -> Any:
    """``table[name]`` or a ``ValueError`` listing the known names."""
    if name not in table:
        raise ValueError(f"unknown {kind} {name!r}; known: {', '.join(sorted(table))}")
    return table[name]


def _model(values: Mapping[str, Any]):
    """The registered model named ``model``, or the MLP of ``widths``/``activations``/``output_activation``."""
    if "model" in values:
        if any(k in values for k in _MODEL_KEYS[1:]):
            raise ValueError("give either 'model' (a registered name) or 'widths'/'activations', not both")
        return get_model(values["model"])
    if "widths" not in values:
        raise ValueError("missing the model: give 'model' (a registered name) or 'widths' and 'activations'")
    return mlp(values["widths"], values.get("activations", ()), values.get("output_activation"))


def train_arguments(values: Mapping[str, Any], *, other: Iterable[str] = ()) -> dict[str, Any]:
    """``train(...)`` keyword arguments (model, optimizer, schedule, stopping, batch_size, shuffle) from ``values``.

    ``other`` names the keys that are not the trainer's (population size, success threshold,
    ...); they are ignored. Any other unknown key, or a missing ``optimizer``/``lr``/``max_epochs``
    or model, is a ``ValueError`` naming it.
    """
    if not isinstance(values, Mapping):
        raise ValueError(f"values must be a mapping of setting name -> value, got {type(values).__name__}")
    values = {k: v for k, v in values.items() if k not in set(other)}
    for required in ("optimizer", "lr", "max_epochs"):
        if required not in values:
            raise ValueError(f"missing trainer setting {required!r}")
    factory = _choice(OPTIMIZERS, "optimizer", values["optimizer"])
    schedule_name = values.get("schedule", "constant")
    schedule_factory = _choice(SCHEDULES, "schedule", schedule_name)
    known = set(_MODEL_KEYS + _STOPPING_KEYS + _OTHER_TRAIN_KEYS + _keywords(factory) + _keywords(schedule_factory))
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(
            f"unknown trainer settings {unknown} for optimizer {values['optimizer']!r} and schedule {schedule_name!r}; "
            f"list non-trainer settings in other=(...)"
        )
    optimizer = factory(**{k: values[k] for k in _keywords(factory) if k in values})
    if values.get("clip_norm") is not None:
        optimizer = optim.chain(optim.clip_by_member_norm(values["clip_norm"]), optimizer)
    schedule = schedule_factory(values["lr"], **{k: values[k] for k in _keywords(schedule_factory) if k in values})
    stopping = StoppingRule(**{k: values[k] for k in _STOPPING_KEYS if k in values})
    return {
        "model": _model(values),
        "optimizer": optimizer,
        "schedule": schedule,
        "stopping": stopping,
        "batch_size": values.get("batch_size"),
        "shuffle": bool(values.get("shuffle", False)),
    }
