"""Overview figures of one document: its numbers against ours, and the reasons per section.

* ``overview-NNN-numbers.png``: every claim whose document number and our estimate are the same
  quantity (one number in the document, our estimate in its units: the claim's region contains
  the document's number, or the evidence declares its document units), the document's number on
  x, ours on y with its CI, the diagonal where they agree; coloured by reason category.
* ``overview-NNN-sections.png``: the claims of each top-level section by reason category.

Drawn with ``matplotlib.figure.Figure`` (never pyplot), so rendering changes no global state.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from harness.evidence.reports.categories import CATEGORIES
from harness.evidence.reports.figures import png_bytes
from harness.evidence.reports.sheet import DocumentSheet, Row
from harness.evidence.reports.text import shorten

__all__ = ["comparable", "overview_figures"]


def _document_number(row: Row) -> float | None:
    numbers = [v for v in row.record.reported.values() if isinstance(v, int | float) and not isinstance(v, bool)]
    return float(numbers[0]) if len(numbers) == 1 and math.isfinite(numbers[0]) else None


def comparable(row: Row) -> tuple[float, float, tuple[float, float] | None] | None:
    """``(document's number, our estimate, our CI)`` when both are the same quantity, else None."""
    number, ours = _document_number(row), row.measured.value
    if number is None or ours is None:
        return None
    region = row.record.claimed_region
    declared = bool(row.measured.label)  # ours was read off the record in the document's units
    inside = region is not None and all(
        (edge is None or (edge <= number + 1e-9 if i == 0 else number - 1e-9 <= edge)) for i, edge in enumerate(region)
    )
    if not (declared or inside):
        return None
    ci = row.measured.ci
    if ci is None or ci[0] is None or ci[1] is None:
        return number, ours, None
    return number, ours, (ci[0], ci[1])


def _numbers_figure(sheet: DocumentSheet):
    from matplotlib.figure import Figure

    points = [(row, p) for row in sheet.rows if not row.variant and (p := comparable(row)) is not None]
    if not points:
        return None
    fig = Figure(figsize=(5.6, 4.6))
    ax = fig.add_subplot()
    values = [abs(v) for _, (x, y, ci) in points for v in (x, y, *(ci or ())) if v]
    low = min(values, default=1.0)
    for category in CATEGORIES:
        mine = [p for row, p in points if row.category is category]
        if not mine:
            continue
        xs, ys = [p[0] for p in mine], [p[1] for p in mine]
        err = [
            [max(0.0, p[1] - p[2][0]) if p[2] else 0.0 for p in mine],
            [max(0.0, p[2][1] - p[1]) if p[2] else 0.0 for p in mine],
        ]
        ax.errorbar(
            xs, ys, yerr=err, fmt="o", ms=4, lw=1, color=category.color, label=f"{category.label} ({len(mine)})"
        )
    span = [min(min(p[0], p[1]) for _, p in points), max(max(p[0], p[1]) for _, p in points)]
    ax.plot(span, span, color="#888888", lw=0.8, ls="--", label="our estimate = the document's")
    for axis in ("x", "y"):
        getattr(ax, f"set_{axis}scale")("symlog", linthresh=low)
    ax.set_xlabel("the document's number")
    ax.set_ylabel("our estimate (CI)")
    ax.set_title(f"{sheet.doc}: the document's numbers and ours ({len(points)} claims)", fontsize=10)
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    return fig


def _sections_figure(sheet: DocumentSheet):
    from matplotlib.figure import Figure

    sections = [s for s in sheet.sections if s.rows]
    if not sections:
        return None
    fig = Figure(figsize=(5.6, 1.9 + 0.32 * len(sections)), layout="constrained")
    ax = fig.add_subplot()
    labels = [shorten(s.heading or "(document not available: by claim id)", 42) for s in sections]
    counts = [Counter(row.category.key for row in s.rows) for s in sections]
    left = [0] * len(sections)
    for category in CATEGORIES:
        widths = [c.get(category.key, 0) for c in counts]
        if any(widths):
            ax.barh(range(len(sections)), widths, left=left, color=category.color, label=category.label)
            left = [a + b for a, b in zip(left, widths, strict=True)]
    ax.set_yticks(range(len(sections)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("claims")
    ax.set_title(f"{sheet.doc}: reasons by section, in the document's order", fontsize=10)
    fig.legend(fontsize=7, loc="outside lower center", ncol=3, frameon=False)  # below: it never hides a bar
    return fig


def overview_figures(sheets: Sequence[DocumentSheet]) -> tuple[dict[str, bytes], dict[str, list[tuple[str, str]]]]:
    """``({file name: PNG bytes}, {source: [(file name, caption)]})`` of every document's overview figures."""
    files: dict[str, bytes] = {}
    captions: dict[str, list[tuple[str, str]]] = {}
    for sheet in sheets:
        for kind, draw, caption in (
            ("numbers", _numbers_figure, "the document's numbers against our estimates, with CIs"),
            ("sections", _sections_figure, "reason categories by section"),
        ):
            fig = draw(sheet)
            if fig is None:
                continue
            name = f"overview-{sheet.doc}-{kind}.png"
            files[name] = png_bytes(fig)
            captions.setdefault(sheet.source, []).append((name, f"{sheet.doc}: {caption}"))
    return files, captions
