"""The terminal summary of a claims run: about 25 lines a reader takes in at a glance.

Per document the claims in each reason category, the verdict totals, every claim without a
verdict and every changed verdict (those are what a reader must act on), fragile claims, and
where the reports are. Long lists (claims that cannot be confirmed at this n, power plans,
claims not run in this tier) live in the reports; the summary gives their counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from harness.evidence.reports.categories import CATEGORIES
from harness.evidence.reports.records import ClaimRecord
from harness.evidence.reports.sheet import DocumentSheet
from harness.evidence.reports.stability import StabilityRow
from harness.evidence.reports.text import shorten
from harness.evidence.verdicts import Verdict

__all__ = ["MAX_LISTED", "SummaryInput", "summary_lines"]

MAX_LISTED = 10  # fragile claims listed by id; more are counted and left to the report


@dataclass(frozen=True)
class SummaryInput:
    """What the summary reports about one run (the plugin fills it at the end of the session)."""

    tier: str
    master_seed: int
    records: Sequence[ClaimRecord]  # this master seed's records, with or without a verdict
    sheets: Sequence[DocumentSheet]
    changes: Mapping[str, tuple[Verdict | None, Verdict]] = field(default_factory=dict)  # id -> (ledger, observed)
    changes_how: str = "ledger -> observed"  # how the changes were handled
    seeds: Sequence[int] | None = None  # --claims-seeds
    stability_rows: Sequence[StabilityRow] | None = None
    threshold: float | None = None
    not_run: int = 0
    absent_documents: Sequence[str] = ()  # documents whose quotes could not be verified
    absent_text: str = ""


def _table(sheets: Sequence[DocumentSheet]) -> list[str]:
    names = [f"{s.doc} {shorten(s.title or s.source, 22)}" for s in sheets]
    width = max([len("document"), *map(len, names)])
    widths = [max(len(c.short), 3) + 1 for c in CATEGORIES]
    head = f"{'document':<{width}} " + "".join(f"{c.short:>{w}}" for c, w in zip(CATEGORIES, widths, strict=True))
    lines = [head + f"{'total':>7}"]
    totals: Counter[str] = Counter()
    for name, sheet in zip(names, sheets, strict=True):
        totals.update(sheet.counts)
        cells = "".join(f"{sheet.counts.get(c.key, 0):>{w}}" for c, w in zip(CATEGORIES, widths, strict=True))
        lines.append(f"{name:<{width}} {cells}{sum(sheet.counts.values()):>7}")
    if len(sheets) > 1:
        cells = "".join(f"{totals.get(c.key, 0):>{w}}" for c, w in zip(CATEGORIES, widths, strict=True))
        lines.append(f"{'all documents':<{width}} {cells}{sum(totals.values()):>7}")
    return lines


def summary_lines(s: SummaryInput) -> list[str]:
    """The summary's lines, before the lines saying what was written (report, ledger)."""
    decided = [r for r in s.records if r.verdict is not None]
    no_verdict = sorted((r for r in s.records if r.verdict is None), key=lambda r: r.id)
    seeds = f", seeds {s.seeds[0]}..{s.seeds[-1]}" if s.seeds else ""
    docs = f"{len(s.sheets)} document{'' if len(s.sheets) == 1 else 's'}"
    lines = [f"tier {s.tier}, master seed {s.master_seed}{seeds}: {len(decided)} claims of {docs}"]
    if s.sheets:
        lines += _table(s.sheets)
    verdicts = Counter(r.verdict for r in decided)
    unconfirmable = sum(r.cannot_confirm for r in decided)
    lines.append(
        "verdicts: "
        + ", ".join(f"{verdicts.get(v.value, 0)} {v.value}" for v in Verdict)
        + (f"; {unconfirmable} cannot be confirmed at this n (listed in the report)" if unconfirmable else "")
    )
    if s.absent_documents:
        lines.append(f"{s.absent_text}: {', '.join(s.absent_documents)}")
    if no_verdict:
        lines.append(f"no verdict (the test did not end well; its ledger entry is kept): {len(no_verdict)} claim(s)")
        lines += [f"  {r.id}: {r.no_verdict_reason}" for r in no_verdict]
    if s.changes:
        lines.append(f"changed verdicts ({s.changes_how}):")
        for cid, (expected, observed) in s.changes.items():
            lines.append(f"  {cid}: {expected.value if expected else '(not in ledger)'} -> {observed.value}")
    else:
        lines.append("changed verdicts: none")
    if s.stability_rows is not None and s.threshold is not None:
        fragile = [row for row in s.stability_rows if row.fragile]
        lines.append(f"fragile claims (stability < {s.threshold:.0%}): {len(fragile)}")
        lines += [
            f"  {row.id}: {row.stability:.0%} of seeds give {row.reference}" for row in fragile[:MAX_LISTED]
        ]
        if len(fragile) > MAX_LISTED:
            lines.append(f"  ... {len(fragile) - MAX_LISTED} more in the report")
    plans = Counter((r.power_plan or {}).get("status", "not applicable") for r in decided)
    if plans:
        lines.append(
            "power plans (80% both ways at each claim's resolution, against the full tier's n): "
            + ", ".join(f"{status} {n}" for status, n in sorted(plans.items()))
            + " (python -m harness.evidence.planning lists them)"
        )
    if s.not_run:
        lines.append(f"not run in this tier: {s.not_run} claim(s) (--claims-tier full runs them)")
    return lines
