"""Source 003's Method 10 measured: what logging every epoch instead of every 10 epochs costs in wall time.

The document's script prints a three-line summary (loss, W, b) per logged epoch. Timing whole
100-epoch runs per variant is too slow for the quick tier, so each round times its two parts:
one training epoch of the full recipe on one member (``t_epoch``) and one summary print to
``os.devnull`` with the values read back from the tensors (``t_log``). Both are CPU time of this
process (``time.process_time``), not wall time: on a loaded machine (``pytest -n 2`` beside other
work) wall time counts the other processes' turns too, and the verdict moved with the load
(issue 19 item 10); CPU time of the measured code does not. One untimed round first warms the
allocator and the first-call paths. The
document's two totals then follow from its own formula: every epoch ``E (t_epoch + t_log)``,
every 10 epochs ``E t_epoch + (E / 10) t_log``; the reduction is ``1 - T_10 / T_1``.
"""

from __future__ import annotations

import os
import time

import numpy as np
import torch

from harness.engine.optim import adam
from harness.engine.precision import train_linear
from harness.studies.linear_recipe.recipe import RECIPE, TIMELINE_INIT, DataSettings, draw_data
from harness.studies.linear_recipe.study import member_settings

LOG_REPEATS = 200  # summary prints timed per round (one print is microseconds)
CLOCK = time.process_time  # CPU time of this process: the load of other processes does not count


def log_summary(stream, epoch: int, loss: torch.Tensor, params: torch.Tensor) -> None:
    """The document's epoch summary (Method 10's code block), written to ``stream``."""
    print(f"\n📈 Epoch {epoch:3d} Summary:", file=stream)
    print(f"   - Avg Loss: {loss[0].item():.6f}", file=stream)
    print(f"   - Parameters: W={params[0, 0].item():.6f}, b={params[0, 1].item():.6f}", file=stream)


def _one_member(data: DataSettings):
    """Inputs of a one-member recipe run: params, X, Y, settings (the recipe's 'timing' data stream)."""
    X, Y = draw_data(data, 1, torch.Generator().manual_seed(0))
    return torch.tensor([TIMELINE_INIT], dtype=torch.float32), X, Y, member_settings([RECIPE], [False], 1)


def train_epochs(data: DataSettings, epochs: int, every: int | None, stream) -> None:
    """Train one member for ``epochs`` epochs (stopping disabled by the cap), logging every ``every`` epochs."""
    params, X, Y, settings = _one_member(data)
    settings = settings._replace(max_epochs=torch.tensor([epochs]), patience=torch.tensor([float("inf")]))

    def on_epoch(epoch, loss, theta):
        if every is not None and (epoch % every == 0 or epoch == epochs - 1):
            log_summary(stream, epoch, loss, theta)

    train_linear(params, X, Y, adam(), settings, batch_size=data.batch_size, on_epoch=on_epoch)


def logging_reductions(data: DataSettings, *, rounds: int, epochs: int = 100) -> tuple[np.ndarray, dict]:
    """Per round: the wall-time reduction ``1 - T_10 / T_1`` of an ``epochs``-epoch run, from timed parts."""
    if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 2:
        raise ValueError(f"rounds must be an int >= 2, got {rounds!r}")
    params, loss = _one_member(data)[0], torch.ones(1)
    t_epoch, t_log = [], []
    with open(os.devnull, "w", encoding="utf-8") as sink:
        for i in range(rounds + 1):  # round 0 warms up and is not kept
            start = CLOCK()
            train_epochs(data, 1, None, sink)
            epoch = CLOCK() - start
            start = CLOCK()
            for k in range(LOG_REPEATS):
                log_summary(sink, k, loss, params)
            log = (CLOCK() - start) / LOG_REPEATS
            if i > 0:
                t_epoch.append(epoch)
                t_log.append(log)
    te, tl = np.array(t_epoch), np.array(t_log)
    every_epoch = epochs * (te + tl)
    every_tenth = epochs * te + (epochs / 10) * tl
    reductions = 1 - every_tenth / every_epoch
    return reductions, {
        "t_epoch_s_median": float(np.median(te)),
        "t_log_s_median": float(np.median(tl)),
        "log_to_compute_ratio": float(np.median(tl / te)),
    }
