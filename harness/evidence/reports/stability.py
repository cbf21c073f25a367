"""Verdict stability over master seeds (``--claims-seeds A:B``): how often each claim gives the ledger's verdict."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from harness.evidence.ledger import Ledger
from harness.evidence.reports.records import ClaimRecord, flat_json, sort_records

__all__ = ["NO_VERDICT", "StabilityRow", "stability"]

NO_VERDICT = "no verdict"  # what a seed whose claim test did not end well counts as


@dataclass(frozen=True)
class StabilityRow:
    """One claim over the run's master seeds: its reference verdict and how often the seeds give it."""

    id: str
    reference: str  # the ledger's verdict for the tier, else the most frequent one
    in_ledger: bool
    seeds: tuple[int, ...]
    verdicts: tuple[str, ...]  # per seed, in the order of ``seeds``; ``NO_VERDICT`` where the test did not end well
    stability: float  # fraction of seeds giving ``reference``
    fragile: bool  # ``stability`` below the run's threshold

    def to_json(self) -> dict[str, Any]:
        """Plain-JSON form (the rows of ``stability.json``), keys in field order."""
        return flat_json(self)


def stability(records: Iterable[ClaimRecord], ledger: Ledger, *, tier: str, threshold: float) -> list[StabilityRow]:
    """Per claim, sorted by id: the fraction of master seeds whose verdict equals the ledger's for ``tier``.

    A claim missing from the ledger is measured against its most frequent verdict (ties broken
    by verdict name). A seed whose test gave no verdict counts as ``"no verdict"``: never the
    reference, so it lowers the fraction instead of vanishing. ``fragile`` is true when the
    fraction is below ``threshold``.
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"stability threshold must lie in (0, 1], got {threshold}")
    by_id: dict[str, dict[int, str]] = {}
    for r in sort_records(records):
        by_id.setdefault(r.id, {})[r.master_seed] = r.verdict or NO_VERDICT
    out = []
    for cid, per_seed in sorted(by_id.items()):
        expected = ledger.get(cid, {}).get(tier)
        if expected is not None:
            reference = expected.value
        else:
            counts = Counter(v for v in per_seed.values() if v != NO_VERDICT) or Counter(per_seed.values())
            reference = sorted(counts, key=lambda v: (-counts[v], v))[0]
        fraction = sum(v == reference != NO_VERDICT for v in per_seed.values()) / len(per_seed)
        seeds = tuple(sorted(per_seed))
        out.append(
            StabilityRow(
                id=cid,
                reference=reference,
                in_ledger=expected is not None,
                seeds=seeds,
                verdicts=tuple(per_seed[s] for s in seeds),
                stability=fraction,
                fragile=fraction < threshold,
            )
        )
    return out
