"""Device choice: CUDA when available, else CPU; ``HARNESS_DEVICE`` overrides (e.g. ``cpu``, ``cuda:0``).

Under pytest-xdist each worker has an id ``gwK`` (env ``PYTEST_XDIST_WORKER``); with several GPUs
worker K trains on ``cuda:K mod device_count``, so ``-n <number of GPUs>`` puts one worker on each.
"""

from __future__ import annotations

import os
import re

import torch

DEVICE_ENV = "HARNESS_DEVICE"
WORKER_ENV = "PYTEST_XDIST_WORKER"  # set by pytest-xdist in each worker: gw0, gw1, ...


def xdist_worker_index() -> int | None:
    """K of this process's xdist worker id ``gwK``, or ``None`` outside an xdist worker."""
    worker = os.environ.get(WORKER_ENV, "").strip()
    if not worker:
        return None
    match = re.fullmatch(r"gw(\d+)", worker)
    if match is None:
        raise ValueError(f"{WORKER_ENV}={worker!r} is not an xdist worker id like 'gw0'")
    return int(match.group(1))


def default_device() -> torch.device:
    """The device populations train on: ``$HARNESS_DEVICE`` if set; else, with CUDA, ``cuda:K mod
    device_count`` in xdist worker ``gwK`` and ``cuda`` outside xdist; else ``cpu``."""
    requested = os.environ.get(DEVICE_ENV, "").strip()
    if not requested:
        if not torch.cuda.is_available():
            return torch.device("cpu")
        worker = xdist_worker_index()
        return torch.device("cuda") if worker is None else torch.device("cuda", worker % torch.cuda.device_count())
    try:
        device = torch.device(requested)
    except RuntimeError as error:
        raise ValueError(f"{DEVICE_ENV}={requested!r} is not a torch device: {error}") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"{DEVICE_ENV}={requested!r} asks for CUDA, but torch sees no CUDA device")
    if device.type not in ("cpu", "cuda"):
        raise ValueError(f"{DEVICE_ENV}={requested!r}: only cpu and cuda devices are supported")
    return device
