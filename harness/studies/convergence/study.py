"""What the claim modules of sources 000 and 001 share: one seeded, lazily built study of traces.

A claim module computes its evidence from a few expensive pieces (calibrated settings, traces,
the regression rows, model tables). :class:`TraceStudy` builds each piece once per master seed
and tier, from seed streams that depend only on the master seed and the piece's name, so the
verdicts do not depend on test order or on ``pytest -n``. A module subclasses it to add its own
pieces (``memo`` caches anything keyed by arguments).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

from harness.evidence import rules
from harness.evidence.claims import TIERS, Claim, Setting, claim_seed_sequence
from harness.evidence.verdicts import Evidence
from harness.seeds import numpy_generator, seed_sequence
from harness.studies import convergence as C

NO_CAP = 10_000  # an epoch cap no trace of the calibrated settings reaches: every trace stops on a criterion


class TraceStudy:
    """Traces of ``|Wx + b|`` on centered XOR under the shared calibration, for one seed and tier.

    ``stream`` names the module's seed streams (``"000"``, ``"001"``); ``n_traces`` is what the
    tier asks for. The calibration is the one both modules share
    (:func:`harness.studies.convergence.calibration.shared_calibration`), so their settings are identical.
    ``solved_only``: source 000's data set read as traces that reached a solution only: the
    calibration is matched on solved traces and :attr:`traces` keeps solved traces only (drawn
    from the stream ``(stream, 'solved_traces')``).
    """

    def __init__(self, stream: str, master_seed: int, tier: str, *, n_traces: int, solved_only: bool = False) -> None:
        if tier not in TIERS:
            raise ValueError(f"tier must be one of {TIERS}, got {tier!r}")
        if isinstance(n_traces, bool) or not isinstance(n_traces, int) or n_traces < 1:
            raise ValueError(f"n_traces must be a positive int, got {n_traces!r}")
        self.stream = stream
        self.master_seed = master_seed
        self.tier = tier
        self.full = tier == "full"
        self.n_traces = n_traces
        self.solved_only = bool(solved_only)
        self._cache: dict[Hashable, Any] = {}

    def seq(self, *path: str | int) -> np.random.SeedSequence:
        """The seed sequence of the piece named ``path`` in this module's stream."""
        return seed_sequence(self.master_seed, self.stream, *path)

    def random_state(self, *path: str) -> int:
        """An integer seed (for scikit-learn) of the piece named ``path``."""
        return int(self.seq(*path).generate_state(1)[0])

    def rng(self, claim: Claim) -> np.random.Generator:
        """The claim's own stream (what the ``claim_seed`` fixture gives)."""
        return numpy_generator(claim_seed_sequence(self.master_seed, claim.id))

    def memo(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """``build()``, computed on the first call with ``key`` and cached."""
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    @functools.cached_property
    def calibration(self) -> C.Calibration:
        """The calibration both claim modules share (one per master seed)."""
        return C.shared_calibration(self.master_seed, solved_only=self.solved_only)

    def make_protocol(self) -> C.TraceProtocol:
        """The trace settings: the calibrated ones with this tier's ``n_traces`` (override to vary them)."""
        return self.calibration.protocol(n_traces=self.n_traces)

    @functools.cached_property
    def protocol(self) -> C.TraceProtocol:
        """The trace settings of this study (:meth:`make_protocol`), built once."""
        return self.make_protocol()

    @functools.cached_property
    def traces(self) -> C.Traces:
        """The study's traces, from the seed stream ``(stream, 'traces')`` (solved ones only, from
        ``(stream, 'solved_traces')``, when ``solved_only``)."""
        if self.solved_only:
            return C.generate_solved_traces(self.protocol, seed_seq=self.seq("solved_traces"))
        return C.generate_traces(self.protocol, seed_seq=self.seq("traces"))

    @functools.cached_property
    def rows(self) -> C.Rows:
        """The regression rows of :attr:`traces` (one per state before the stop)."""
        return C.build_dataset(self.traces)

    @functools.cached_property
    def uncapped(self) -> C.Traces:
        """The same initialisations as :attr:`traces`, with the epoch cap lifted to :data:`NO_CAP`."""
        return C.generate_traces(dataclasses.replace(self.protocol, max_epochs=NO_CAP), seed_seq=self.seq("traces"))

    @functools.cached_property
    def current_rows(self) -> C.Rows:
        """:attr:`rows` with the raw current state (w0, w1, b) as the only features."""
        rows = self.rows
        return dataclasses.replace(rows, features=rows.current, feature_names=("w0", "w1", "b"))

    def solved_evidence(self, *, alpha: float) -> Evidence:
        """``always`` over the :attr:`uncapped` traces: did every one reach a solution (loss below the
        criterion)? Details: stops per reason, traces at the spurious minimum, the longest trace."""
        tr = self.uncapped
        solved = tr.final_loss < tr.protocol.loss_below
        ev = rules.always(int(solved.sum()), tr.n_traces, alpha=alpha)
        return dataclasses.replace(
            ev,
            detail={
                **ev.detail,
                **C.convergence_counts(tr),
                "at_spurious_minimum_loss_0.25": C.spurious_minimum_count(tr),
                "max_epochs_used": int(tr.epochs.max()),
            },
        )

    def calibration_note(self) -> str:
        """What the calibration aimed at and achieved, for the protocol record."""
        c = self.calibration.chosen
        if self.solved_only:
            return (
                f"grid point whose solved traces (stopped on the loss criterion) come closest to source 000's "
                f"mean 34.5 / variance 9.11 (1.2); achieved on them mean {c.mean:.2f}, variance {c.var:.2f}, "
                f"range {c.min}-{c.max}; {c.frac_converged_loss:.0%} of all traces solved (distance "
                f"{c.distance:.2f}, master seed {self.master_seed}); unsolved traces are left out of the data set"
            )
        return (
            f"grid point closest to source 000's mean 34.5 / variance 9.11 (1.2); achieved mean {c.mean:.2f}, "
            f"variance {c.var:.2f}, range {c.min}-{c.max}, {c.frac_max_epochs:.0%} of traces capped (distance "
            f"{c.distance:.2f}, master seed {self.master_seed})"
        )

    def runtime_settings(self) -> dict[str, Setting]:
        """Protocol settings known only at test time (override to add a module's own)."""
        p, note = self.protocol, self.calibration_note()
        return {
            "lr": Setting(p.lr, "calibrated", note),
            "init_scale": Setting(p.init_scale, "calibrated", note),
            "max_epochs": Setting(p.max_epochs, "calibrated", note),
        }

    def bind(self, claim: Claim) -> Claim:
        """``claim`` with its test-time settings filled in (equal to ``claim`` for the plugin: they are
        ``compare=False`` fields)."""
        names = {f.name for f in dataclasses.fields(claim.protocol)}
        values = {k: v for k, v in self.runtime_settings().items() if k in names}
        return dataclasses.replace(claim, protocol=dataclasses.replace(claim.protocol, **values))
