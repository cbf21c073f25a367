"""``claims.md``: the compact verdict sheet, per document in the document's order.

One table per top-level section of each document, one row per tested number (the columns of
``harness.evidence.reports.columns``), its readings and sweeps beside it; at the top of each
document the counts per reason category and the overview figures. Everything else about a claim
(test, p-values, power, protocol, figures) is in ``claims.html`` and ``claims.json``; each row
links to its details there. Every user-supplied string is escaped (``reports.text``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from harness.evidence.reports.categories import CATEGORIES
from harness.evidence.reports.columns import COLUMNS, Column
from harness.evidence.reports.context import RunContext
from harness.evidence.reports.records import ClaimRecord
from harness.evidence.reports.sheet import DocumentSheet, Row
from harness.evidence.reports.stability import StabilityRow
from harness.evidence.reports.text import environment_text, md_cell, md_code, md_text, selection_text

__all__ = ["claims_markdown", "document_heading"]

_INTRO = (
    "Each row is one number of a sentence of the source document, re-measured by a seeded test: what the "
    "document says, its number, our estimate in the same units with its confidence interval, the verdict "
    "(*confirmed*, *refuted* or *inconclusive* at the claim's significance level) and one reason. Other "
    "readings of a sentence and re-runs at other settings sit beside their claim (↳). Every claim's test, "
    "p-values, sample size, power, protocol and figures are in `claims.html` (one file, works offline; each "
    "claim id links there) and `claims.json`."
)


def document_heading(sheet: DocumentSheet) -> str:
    """``"000 — Results: Predicting …"``: a document's number and title (its file name without a title)."""
    return f"{sheet.doc} — {sheet.title}" if sheet.title else sheet.source


def _status_line(ctx: RunContext, records: Sequence[ClaimRecord]) -> str:
    docs = len({r.source for r in records})
    where = "complete run" if ctx.complete else "PARTIAL run"
    text = (
        f"**{where}** · tier **{ctx.tier}** · master seed **{ctx.master_seed}** · device {md_text(ctx.device)} · "
        f"{len(records)} claim{'s' if len(records) != 1 else ''} of {docs} document{'s' if docs != 1 else ''}"
    )
    return text + (f" · {md_text(ctx.created)}" if ctx.created else "")


def _partial_lines(ctx: RunContext) -> list[str]:
    if ctx.complete:
        return []
    return [
        f"**This is a partial run** ({md_text(ctx.partial_reason)}): it covers only the claims below. The last "
        "complete report is kept beside it, in `../claims.md` and `../claims.html`.",
        "",
    ]


def _category_table(counts: Mapping[str, int]) -> list[str]:
    lines = ["| Reason | Claims | Meaning |", "|---|---:|---|"]
    lines += [f"| {c.label} | {counts.get(c.key, 0)} | {c.meaning} |" for c in CATEGORIES]
    return lines + [""]


def _cell(column: Column, row: Row, first: bool) -> str:
    text = column.cell(row, first)
    if column.style == "claim":
        return f"[{md_code(text)}](claims.html#{text})"
    if column.style == "verdict" and text:
        verdict = f"**{text}**"
        if row.record.expected is not None and row.record.expected != text:
            verdict += f" (ledger: {row.record.expected})"
        return verdict
    return _own_text(text, row) if column.ours else md_text(text)


def _own_text(text: str, row: Row) -> str:
    """An ``ours`` cell is the harness's text except for one user-supplied part, a subset claim's name
    of its runs (issue 19 item 6): that part is escaped."""
    subset = row.record.subset
    return text.replace(subset, md_text(subset)) if subset else text


def _table(rows: list[tuple[Row, bool]], fragile: Mapping[str, StabilityRow]) -> list[str]:
    lines = [
        "| " + " | ".join(c.label for c in COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    for row, first in rows:
        cells = [_cell(c, row, first) for c in COLUMNS]
        stab = fragile.get(row.record.id)
        if stab is not None and stab.fragile:
            cells[[c.key for c in COLUMNS].index("verdict")] += f" (fragile: {stab.stability:.0%} of seeds)"
        lines.append("| " + " | ".join(md_cell(c) for c in cells) + " |")
    return lines + [""]


def _document(sheet: DocumentSheet, overviews: Sequence[tuple[str, str]], fragile: Mapping) -> list[str]:
    total = sum(sheet.counts.values())
    counts = ", ".join(f"{sheet.counts[c.key]} {c.label}" for c in CATEGORIES if sheet.counts.get(c.key))
    lines = [f"## {md_text(document_heading(sheet))}", ""]
    if sheet.quotes:
        lines += [f"*{md_text(sheet.quotes)}* (`{sheet.source}`).", ""]
    lines += [f"{total} claims: {counts}.", ""]
    if overviews:
        lines += [" ".join(f"![{md_text(alt)}](figures/{name})" for name, alt in overviews), ""]
    for section in sheet.sections:
        if section.heading:
            lines += [f"### {md_text(section.heading)}", ""]
        rows = [(row, i == 0) for s in section.statements for i, row in enumerate(s.rows)]
        lines += _table(rows, fragile)
    return lines


def _no_verdict(no_verdict: Sequence[ClaimRecord]) -> list[str]:
    if not no_verdict:
        return []
    lines = [
        "## Claims without a verdict",
        "",
        f"{len(no_verdict)} claim tests ran but did not end well, so they give no verdict here and their ledger "
        "entries were kept:",
        "",
    ]
    lines += [f"- {md_code(r.id)}: {md_text(r.no_verdict_reason)}" for r in sorted(no_verdict, key=lambda r: r.id)]
    return lines + [""]


def _stability(ctx: RunContext) -> list[str]:
    rows = ctx.stability_rows or ()
    if not rows:
        return []
    seeds = sorted({s for row in rows for s in row.seeds})
    lines = [
        "## Verdict stability over master seeds",
        "",
        f"Seeds {seeds[0]}..{seeds[-1]} ({len(seeds)} runs). Stability is the fraction of seeds giving the "
        "ledger's verdict (or the most frequent one for a claim not in the ledger).",
        "",
        "| Claim | Reference verdict | Stability | Fragile | Verdicts by seed |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {md_code(row.id)} | {row.reference}{'' if row.in_ledger else ' (not in ledger)'} | "
            f"{row.stability:.0%} | {'**yes**' if row.fragile else 'no'} | "
            + ", ".join(f"{s}: {v}" for s, v in zip(row.seeds, row.verdicts, strict=True))
            + " |"
        )
    return lines + [""]


def claims_markdown(
    records: Sequence[ClaimRecord],
    sheets: Sequence[DocumentSheet],
    ctx: RunContext,
    *,
    overviews: Mapping[str, Sequence[tuple[str, str]]] | None = None,
) -> str:
    """Text of ``claims.md`` for the run ``ctx``: ``records`` (this master seed's, with or without a
    verdict) laid out as ``sheets``; ``overviews``: per source, its overview figures ``(file name,
    caption)`` under ``figures/``. With no records it says plainly that nothing ran, and for which
    selection, so an empty run never looks like a report."""
    decided = [r for r in records if r.verdict is not None]
    no_verdict = [r for r in records if r.verdict is None]
    lines = ["# Claims report", "", _status_line(ctx, decided), ""]
    lines += _partial_lines(ctx)
    facts = []
    if ctx.selection is not None:
        facts.append(f"Selection: {md_code(selection_text(ctx.selection))}.")
    if ctx.environment:
        differ, text = environment_text(ctx.environment)
        facts.append(
            ("**Versions differ between processes** (--claims-allow-version-mismatch): " if differ else "Versions: ")
            + md_text(text)
            + "."
        )
    if facts:
        lines += [" ".join(facts), ""]
    lines += [_INTRO, ""]
    counts = {c.key: sum(s.counts.get(c.key, 0) for s in sheets) for c in CATEGORIES}
    if decided:
        lines += _category_table(counts)
        lines += ["Columns: " + "; ".join(f"**{c.label}**: {c.help}" for c in COLUMNS) + ".", ""]
        lines += ["Documents: " + " · ".join(md_text(document_heading(s)) for s in sheets) + ".", ""]
    else:
        collected = 0 if ctx.selection is None else ctx.selection["collected"]
        lines += [
            "## Nothing ran",
            "",
            f"This run selected no claim test of the {ctx.tier} tier ({collected} claim tests collected before "
            "deselection), so there are no verdicts.",
            "",
        ]
    lines += _no_verdict(no_verdict)
    fragile = {row.id: row for row in (ctx.stability_rows or ())}
    for sheet in sheets:
        lines += _document(sheet, (overviews or {}).get(sheet.source, ()), fragile)
    lines += _stability(ctx)
    if ctx.not_run:
        lines += [
            f"## Not run in the {ctx.tier} tier",
            "",
            f"{len(ctx.not_run)} claims belong to another tier (run with `--claims-tier full`): "
            + ", ".join(md_code(cid) for cid in ctx.not_run)
            + ".",
        ]
    return "\n".join(lines).rstrip("\n") + "\n"
