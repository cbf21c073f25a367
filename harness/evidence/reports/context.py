"""What a report says about the run itself: tier, seed, device, completeness, selection, versions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.evidence.reports.stability import StabilityRow

__all__ = ["RunContext", "selection_record"]


@dataclass(frozen=True)
class RunContext:
    """The run a report describes (every renderer reads the same one)."""

    master_seed: int
    tier: str
    device: str
    complete: bool = True  # the run decided every claim of the tier that the project collects
    partial_reason: str | None = None  # why not complete (a -k selection, -x, a collection error, ...)
    selection: Mapping[str, Any] | None = None  # selection_record(); None when not given
    not_run: tuple[str, ...] = ()  # ids of claims collected but not run in this tier
    sources: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # Sources.report()
    environment: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # versions per process
    stability_rows: tuple[StabilityRow, ...] | None = None  # stability(); None: one seed
    stability_threshold: float | None = None
    created: str = ""  # UTC time the report was rendered, ISO 8601 ("" in tests)

    def __post_init__(self) -> None:
        if self.complete and self.partial_reason:
            raise ValueError("a complete run has no partial_reason")
        if not self.complete and not self.partial_reason:
            raise ValueError("a partial run needs partial_reason (what it left out)")
        object.__setattr__(self, "not_run", tuple(sorted(self.not_run)))


def selection_record(args: Sequence[str], keyword: str | None, markexpr: str | None, collected: int) -> dict[str, Any]:
    """What a run selected: its path/node-id arguments, ``-k`` and ``-m`` expressions (``None``
    when not given) and how many claim tests it collected before deselection."""
    return {
        "args": [str(a) for a in args],
        "keyword": keyword or None,
        "markexpr": markexpr or None,
        "collected": int(collected),
    }
