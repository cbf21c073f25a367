"""When the trainer compiles, how far it unrolls, and what happens when a compile fails.

``torch.compile`` fuses a chunk of unrolled training steps of the column form into one kernel; its
compile time grows with the size of the unrolled program, which we measure as

    size = P x (N + U) x steps per call

(P parameters, N samples whose forward and backward passes are unrolled, U optimizer updates
per epoch: 1 for full batch, N / batch_size for mini-batch, N for online). ``UNROLL_BUDGET`` caps
that size: every compile uses at most ``plan_unroll`` steps per call, and a model whose *single*
step is over budget is never compiled (``compile=True`` then trains eagerly, with one warning).

Whether compiling pays is decided from a table of measured costs (``COSTS``, CPU seconds on the
2-core development machine; ``python -m benchmarks.compile_policy`` re-measures them,
docs/compile-times.md records them): the eager run's estimated time, in the formulation the eager run
would use (column form: dispatch per unit of size plus work per member and unit; batched matrices:
dispatch per layer plus work per member and unit), against the cold compile (per unit of the
compiled call's size) plus the fused run. A run compiles automatically only when the compile and the fused run
together take less than half the eager estimate and the compile stays under ``MAX_COMPILE_S``, so
no run spends minutes compiling what eager finishes in seconds. (With ``UNROLL_BUDGET`` and today's
``COSTS`` a compile is estimated at most 0.15 x 200 = 30 s, so ``MAX_COMPILE_S`` binds only if
re-measured costs or a larger budget raise that estimate: a guard, tested with patched costs.) The decision depends only on the
call's arguments (never on what this process compiled before), so results never depend on
test order.

A compile that fails for any reason falls back to eager execution with one warning line
(``CompileFallbackWarning``), never a crash and never the compiler's output.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import torch

COMPILE_ENV = "HARNESS_COMPILE"
MAX_UNROLLED_SAMPLES = 32
UNROLL_BUDGET = 200
MAX_COMPILE_S = 120.0  # CPU seconds: the longest compile the policy starts on its own
PAYBACK = 2.0  # compile only when compile + fused run take less than 1 / PAYBACK of the eager run


@dataclass(frozen=True)
class Costs:
    """Measured CPU seconds; a *unit* is one parameter times one sample or update (``unrolled_size``)."""

    compile_per_unit: float  # cold compile, per unit of the compiled call's size
    compile_fixed: float  # per compile, whatever its size (tracing, code loading)
    eager_per_unit: float  # eager column form, per unit and epoch (op dispatch)
    eager_per_member_unit: float  # eager column form, per unit, member and epoch
    fused_per_member_unit: float  # compiled, per unit, member and epoch
    matrices_per_layer: float  # eager batched matrices, per layer and epoch (op dispatch)
    matrices_per_member_unit: float  # eager batched matrices, per unit, member and epoch


# docs/compile-times.md: measured with benchmarks/compile_policy.py on 2026-12-05 (abs_neuron and the
# 2-3-1 sigmoid network, full batch, SGD with momentum; B = 1,000 to 100,000; 1 torch thread; load
# average 7-11): eager 5.1e-5 + 6.0e-9 B CPU s per unit and epoch (least squares), fused 4.8e-10 per
# unit and member-epoch, cold compiles 0.13 CPU s per unit (0.19-0.30 in the earlier measurements of
# docs/compile-times.md: 0.15 is used, with no fixed part, which the fit did not need).
COSTS = Costs(
    compile_per_unit=0.15,
    compile_fixed=0.0,
    eager_per_unit=5.1e-5,
    eager_per_member_unit=6.0e-9,
    fused_per_member_unit=4.8e-10,
    # docs/performance.md's crossover table (benchmarks/crossover.py, 2026-12-05 17:47 UTC, 1 torch thread, load
    # average 3.8-5.1; wall seconds): least squares in relative error over the 2-2-2, 2-3-1, 2-4-4-1 and 1-8-8-8-1
    # rows at B = 1,000 and 10,000, every row within 0.67-1.23x of the fit.
    matrices_per_layer=5.3e-4,
    matrices_per_member_unit=4.3e-9,
)


class CompileFallbackWarning(RuntimeWarning):
    """``torch.compile`` failed; the trainer ran the same steps eagerly."""


class CompileSkippedWarning(RuntimeWarning):
    """``compile=True`` was asked for a model whose single unrolled step is over the budget; it ran eagerly."""


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


@dataclass(frozen=True)
class Estimate:
    """Estimated CPU seconds of one run: eager, the cold compile, and the fused (compiled) run."""

    eager: float
    compile: float
    fused: float

    @property
    def pays(self) -> bool:
        """Whether compiling pays back within the run, by ``PAYBACK``, with a compile under ``MAX_COMPILE_S``."""
        return self.compile <= MAX_COMPILE_S and PAYBACK * (self.compile + self.fused) < self.eager


def estimate(
    *,
    population: int,
    n_params: int,
    n_samples: int,
    updates_per_epoch: int,
    epochs: int,
    eager_layers: int | None = None,
    costs: Costs | None = None,
) -> Estimate:
    """The costs of training ``population`` members for ``epochs`` epochs, eagerly and compiled (``COSTS``).

    ``eager_layers``: None when the eager run would use the column form; the network's layer count when it
    would use batched matrices (``formulations.choose``), whose cost is estimated from their own measurements.
    """
    costs = COSTS if costs is None else costs
    units = unrolled_size(n_params, n_samples, updates_per_epoch, 1)
    steps = plan_unroll(n_params, n_samples, updates_per_epoch, 20)
    evaluations = epochs + 1
    if eager_layers is None:
        eager = evaluations * units * (costs.eager_per_unit + population * costs.eager_per_member_unit)
    else:
        eager = evaluations * (
            eager_layers * costs.matrices_per_layer + units * population * costs.matrices_per_member_unit
        )
    return Estimate(
        eager=eager,
        compile=costs.compile_fixed + costs.compile_per_unit * units * steps,
        fused=evaluations * units * population * costs.fused_per_member_unit,
    )


def should_compile(
    requested: bool | None,
    *,
    population: int,
    n_params: int,
    n_samples: int,
    updates_per_epoch: int,
    dtype: torch.dtype,
    epochs: int = 0,
    eager_layers: int | None = None,
) -> bool:
    """Explicit request wins (within the limits below); otherwise compile where ``estimate`` says it pays.

    ``HARNESS_COMPILE=0`` turns compilation off even when requested. Half precision is never
    compiled: inductor evaluates fp16 expressions in fp32 and rounds only on stores, so a fused
    fp16 run would not show fp16's per-operation rounding (what source 003 studies). A requested
    compile of a model whose one step is over ``UNROLL_BUDGET`` trains eagerly, with one warning.
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
    small = unrolled_size(n_params, n_samples, updates_per_epoch, 1) <= UNROLL_BUDGET
    if requested and not small:
        size = unrolled_size(n_params, n_samples, updates_per_epoch, 1)
        warnings.warn(
            f"compile=True ignored: one unrolled step is {size} units, over the budget of {UNROLL_BUDGET} "
            f"(about {COSTS.compile_per_unit * size / 60:.0f} CPU minutes to compile); training eagerly",
            CompileSkippedWarning,
            stacklevel=3,
        )
        return False
    if requested is not None:
        return requested
    if not (full_precision and small and n_samples <= MAX_UNROLLED_SAMPLES):
        return False
    cost = estimate(
        population=population,
        n_params=n_params,
        n_samples=n_samples,
        updates_per_epoch=updates_per_epoch,
        epochs=epochs,
        eager_layers=eager_layers,
    )
    return cost.pays


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
