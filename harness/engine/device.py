"""Device choice: CUDA when available, else CPU; ``HARNESS_DEVICE`` overrides (e.g. ``cpu``, ``cuda:0``)."""

from __future__ import annotations

import os

import torch

DEVICE_ENV = "HARNESS_DEVICE"


def default_device() -> torch.device:
    """The device populations train on: ``$HARNESS_DEVICE`` if set, else ``cuda`` if available, else ``cpu``."""
    requested = os.environ.get(DEVICE_ENV, "").strip()
    if not requested:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(requested)
    except RuntimeError as error:
        raise ValueError(f"{DEVICE_ENV}={requested!r} is not a torch device: {error}") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"{DEVICE_ENV}={requested!r} asks for CUDA, but torch sees no CUDA device")
    if device.type not in ("cpu", "cuda"):
        raise ValueError(f"{DEVICE_ENV}={requested!r}: only cpu and cuda devices are supported")
    return device
