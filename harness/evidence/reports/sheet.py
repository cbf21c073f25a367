"""The verdict sheet: per document, in the document's order, its statements and the claims that test them.

The Markdown and HTML reports and the overview figures render this one model. A *statement* is
one quoted passage; each number of it tested is an *entry*: its main claim and the claims that
re-test it under another reading of the text or another setting (*variants*: a sweep, which
names its main claim in ``detail['main_claim']``; a claim declaring ``variant_of``; the other
reading of a sentence, whose id extends the main claim's and whose ``reading`` setting differs),
shown side by side. When a variant's verdict differs from its main claim's, both count as
"depends on a reading or setting" (``harness.evidence.reports.categories``).

Order: sections by the document's headings, statements by line (where the quote's own words
stand); without the document (not available) by claim id in one section.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.evidence.reports.categories import CATEGORIES, Category, Measured, categorise, measured
from harness.evidence.reports.records import ClaimRecord

__all__ = ["DocumentSheet", "Entry", "Row", "Section", "Statement", "build_sheet", "variant_settings"]


@dataclass(frozen=True)
class Row:
    """One claim in the sheet: its record, reason category and estimate in the document's units."""

    record: ClaimRecord
    category: Category
    measured: Measured
    variant: str = ""  # for a variant: the settings that differ from its main claim's ("" for a main claim)
    survives: bool | None = None  # for a variant: whether its main claim's verdict holds under it (None: undecided)


@dataclass(frozen=True)
class Entry:
    """A main claim and its variants (other readings, sweeps)."""

    main: Row
    variants: tuple[Row, ...] = ()

    @property
    def rows(self) -> tuple[Row, ...]:
        return (self.main, *self.variants)

    def survival(self) -> str:
        """``"the verdict holds under 4 of 6 other readings or settings (1 undecided)"``; "" without variants."""
        if not self.variants:
            return ""
        held = sum(v.survives is True for v in self.variants)
        undecided = sum(v.survives is None for v in self.variants)
        text = f"the verdict holds under {held} of {len(self.variants)} other readings or settings"
        return text + (f" ({undecided} undecided at fewer runs)" if undecided else "")


@dataclass(frozen=True)
class Statement:
    """One quoted passage of the document and the entries (numbers) tested in it."""

    text: str
    line: int | None
    entries: tuple[Entry, ...]

    @property
    def rows(self) -> tuple[Row, ...]:
        return tuple(row for entry in self.entries for row in entry.rows)


@dataclass(frozen=True)
class Section:
    """The statements under one top-level heading of the document ("" when the document is not available)."""

    heading: str
    statements: tuple[Statement, ...]

    @property
    def rows(self) -> tuple[Row, ...]:
        return tuple(row for s in self.statements for row in s.rows)


@dataclass(frozen=True)
class DocumentSheet:
    """One source document's sheet: its title, whether its quotes were verified, its sections."""

    source: str
    title: str | None
    quotes: str | None
    sections: tuple[Section, ...]
    counts: Mapping[str, int] = field(default_factory=dict)  # category key -> claims (mains and variants)

    @property
    def doc(self) -> str:
        return self.source[:3]

    @property
    def rows(self) -> tuple[Row, ...]:
        return tuple(row for s in self.sections for row in s.rows)


def _setting(record: ClaimRecord, name: str) -> Any:
    setting = record.protocol.get(name)
    return setting.get("value") if isinstance(setting, Mapping) else None


def _is_reading_of(record: ClaimRecord, main: ClaimRecord) -> bool:
    """``record`` is the other reading of ``main``'s sentence: same quote, an id extending main's,
    and a ``reading`` setting that differs."""
    theirs, ours = _setting(main, "reading"), _setting(record, "reading")
    return (
        record.id.startswith(main.id + "_")
        and record.statement == main.statement
        and record.source == main.source
        and theirs is not None
        and ours is not None
        and theirs != ours
    )


def _main_ids(records: Sequence[ClaimRecord]) -> dict[str, str]:
    """``{variant id: main claim id}`` for every variant whose main claim is among ``records``."""
    by_id = {r.id: r for r in records}
    by_quote: dict[tuple[str, str], list[ClaimRecord]] = {}
    for r in records:
        by_quote.setdefault((r.source, r.statement), []).append(r)
    direct: dict[str, str] = {}
    for r in records:
        if r.variant_of in by_id and r.variant_of != r.id:
            direct[r.id] = r.variant_of
            continue
        mains = [m for m in by_quote[(r.source, r.statement)] if _is_reading_of(r, m)]
        if mains:
            direct[r.id] = max(mains, key=lambda m: len(m.id)).id
    out = {}
    for cid in direct:
        main, seen = direct[cid], {cid}
        while main in direct and main not in seen:  # a variant of a variant belongs to the root
            seen.add(main)
            main = direct[main]
        out[cid] = main
    return out


def variant_settings(variant: ClaimRecord, main: ClaimRecord, *, limit: int = 3) -> str:
    """The settings of ``variant``'s protocol whose values differ from ``main``'s, in words."""
    parts = []
    for name, setting in variant.protocol.items():
        value = setting.get("value") if isinstance(setting, Mapping) else setting
        if _setting(main, name) != value:
            text = " ".join(str(value).split())
            parts.append(f"{name} = {text if len(text) <= 60 else text[:59] + '…'}")
    if not parts:
        return "another reading"
    return "; ".join(parts[:limit]) + (f"; {len(parts) - limit} more" if len(parts) > limit else "")


def _survives(variant: ClaimRecord, main: ClaimRecord) -> bool | None:
    """Whether ``main``'s verdict holds under ``variant``: a sweep's own ``survives`` when it has
    one (None: undecided on fewer runs), else whether the two verdicts agree."""
    if "survives" in variant.detail:
        value = variant.detail["survives"]
        return value if isinstance(value, bool) else None
    return variant.verdict == main.verdict


def _entries(records: Sequence[ClaimRecord]) -> list[Entry]:
    mains_of = _main_ids(records)
    by_id = {r.id: r for r in records}
    variants: dict[str, list[ClaimRecord]] = {}
    for cid, main_id in mains_of.items():
        variants.setdefault(main_id, []).append(by_id[cid])
    entries = []
    for r in records:
        if r.id in mains_of:
            continue
        mine = sorted(variants.get(r.id, []), key=lambda v: v.id)
        held = [_survives(v, r) for v in mine]
        differs = any(h is False for h in held)
        main = Row(r, categorise(r, differs=differs), measured(r))
        rows = tuple(
            Row(v, categorise(v, differs=h is False), measured(v), variant_settings(v, r), h)
            for v, h in zip(mine, held, strict=True)
        )
        entries.append(Entry(main, rows))
    return entries


def _order(line: int | None, cid: str) -> tuple[float, str]:
    return (math.inf if line is None else line, cid)


def _statements(entries: Iterable[Entry]) -> list[Statement]:
    by_quote: dict[str, list[Entry]] = {}
    for e in entries:
        by_quote.setdefault(e.main.record.statement, []).append(e)
    out = []
    for text, group in by_quote.items():
        group.sort(key=lambda e: _order(e.main.record.line, e.main.record.id))
        out.append(Statement(text, group[0].main.record.line, tuple(group)))
    out.sort(key=lambda s: _order(s.line, s.entries[0].main.record.id))
    return out


def _sections(statements: Sequence[Statement]) -> tuple[Section, ...]:
    """Consecutive statements under the same top-level heading, in document order."""
    sections: list[tuple[str, list[Statement]]] = []
    for s in statements:
        section = s.entries[0].main.record.section
        heading = section[0] if section else ""
        if not sections or sections[-1][0] != heading:
            sections.append((heading, []))
        sections[-1][1].append(s)
    return tuple(Section(h, tuple(ss)) for h, ss in sections)


def build_sheet(
    records: Iterable[ClaimRecord], sources: Mapping[str, Mapping[str, str]] | None = None
) -> tuple[DocumentSheet, ...]:
    """One :class:`DocumentSheet` per source document of ``records`` (those with a verdict), by
    document number; ``sources`` gives each document's title and quote status
    (``harness.evidence.sources.Sources.report``)."""
    by_source: dict[str, list[ClaimRecord]] = {}
    for r in records:
        if r.verdict is not None:
            by_source.setdefault(r.source, []).append(r)
    sheets = []
    for source in sorted(by_source):
        entries = _entries(sorted(by_source[source], key=lambda r: r.id))
        sections = _sections(_statements(entries))
        counts = Counter(row.category.key for s in sections for row in s.rows)
        info = (sources or {}).get(source, {})
        sheets.append(
            DocumentSheet(
                source=source,
                title=info.get("title"),
                quotes=info.get("quotes"),
                sections=sections,
                counts={c.key: counts.get(c.key, 0) for c in CATEGORIES},
            )
        )
    return tuple(sheets)
