"""When the trainer compiles, how far it unrolls, and what happens when a compile fails.

``torch.compile`` fuses a chunk of unrolled training steps into one kernel; its compile time grows
with the size of the unrolled program, which we measure as

    size = P x (N + U) x steps per call

(P parameters, N samples whose forward and backward passes are unrolled, U optimizer updates
per epoch: 1 for full batch, N / batch_size for mini-batch, N for online). ``UNROLL_BUDGET`` caps
that size: every compile (automatic or requested) uses at most ``plan_unroll`` steps per call, and
a model whose *single* step is over budget is never compiled automatically. The budget comes from
the cold-compile times in ``docs/compile-times.md`` (``python -m benchmarks.compile_times``): every
measured case cost 0.19-0.30 CPU seconds per unit of size, so 200 units compile in about a
minute of CPU time. A larger unroll runs faster (abs_neuron + SGD: 20 steps per call ran 2.5x
the member-epochs/s of 8), so the budget trades compile time for speed and is this one constant.

A compile that fails for any reason falls back to eager execution with one warning line
(``CompileFallbackWarning``), never a crash and never the compiler's output.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable

import torch

COMPILE_ENV = "HARNESS_COMPILE"
MAX_UNROLLED_SAMPLES = 32
MIN_COMPILED_POPULATION = 2048
UNROLL_BUDGET = 200


class CompileFallbackWarning(RuntimeWarning):
    """``torch.compile`` failed; the trainer ran the same steps eagerly."""


def unrolled_size(n_params: int, n_samples: int, updates_per_epoch: int, steps: int) -> int:
    """``P x (N + U) x steps``: the size of one compiled call's unrolled program."""
    return n_params * (n_samples + updates_per_epoch) * steps


def plan_unroll(n_params: int, n_samples: int, updates_per_epoch: int, most: int) -> int:
    """Steps per compiled call: at most ``most``, and within ``UNROLL_BUDGET`` (but at least 1)."""
    per_step = unrolled_size(n_params, n_samples, updates_per_epoch, 1)
    return max(1, min(most, UNROLL_BUDGET // per_step))


def compile_disabled() -> bool:
    """Whether ``HARNESS_COMPILE=0`` turns compilation off."""
    return os.environ.get(COMPILE_ENV, "1").strip() == "0"


def should_compile(
    requested: bool | None,
    *,
    population: int,
    n_params: int,
    n_samples: int,
    updates_per_epoch: int,
    dtype: torch.dtype,
    epochs: int | None = None,
) -> bool:
    """Explicit request wins (within the limits below); otherwise compile big float32/64 runs of small programs.

    ``HARNESS_COMPILE=0`` turns compilation off even when requested. Half precision is never
    compiled: inductor evaluates fp16 expressions in fp32 and rounds only on stores, so a fused
    fp16 run would not show fp16's per-operation rounding (what source 003 studies).
    """
    full_precision = dtype in (torch.float32, torch.float64)
    if requested and n_samples > MAX_UNROLLED_SAMPLES:
        raise ValueError(f"compile=True needs at most {MAX_UNROLLED_SAMPLES} samples, got {n_samples}")
    if requested and not full_precision:
        raise ValueError(
            f"compile=True supports float32/float64 only (fused {dtype} would not round like eager {dtype})"
        )
    if compile_disabled():
        return False
    if requested is not None:
        return requested
    small = unrolled_size(n_params, n_samples, updates_per_epoch, 1) <= UNROLL_BUDGET
    return full_precision and small and n_samples <= MAX_UNROLLED_SAMPLES and population >= MIN_COMPILED_POPULATION


class WithFallback:
    """Call ``compiled``; if it raises, warn once (one line) and use ``eager`` from then on.

    The chunk functions are pure (they never mutate their inputs), so re-running the failed call
    eagerly with the same arguments is exact.
    """

    def __init__(self, compiled: Callable, eager: Callable, what: str) -> None:
        self.compiled, self.eager, self.what = compiled, eager, what
        self.failed = False

    def __call__(self, *args):
        if not self.failed:
            try:
                return self.compiled(*args)
            except Exception as error:  # any compiler failure: dynamo, inductor, the C++ compiler
                self.failed = True
                warnings.warn(_one_line(self.what, error), CompileFallbackWarning, stacklevel=2)
        return self.eager(*args)


def _one_line(what: str, error: Exception) -> str:
    """``torch.compile failed for WHAT (Type: first line of the message); running eagerly``, at most ~300 chars."""
    lines = str(error).strip().splitlines()
    first = lines[0][:200] if lines else ""
    return f"torch.compile failed for {what} ({type(error).__name__}: {first}); running eagerly"
