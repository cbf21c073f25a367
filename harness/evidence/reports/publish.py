"""Render a run's report set and publish it whole: complete runs replace the report, partial runs sit beside it.

The set is ``claims.json``, ``claims.md``, ``claims.html``, ``figures/*.png`` (each claim's and
each document's overview) and, with ``--claims-seeds``, ``stability.json``. Everything is
rendered in memory first; ``harness.evidence.files.publish_set`` then swaps it in as one set, so a
reader sees the whole previous report or the whole new one. A partial run (``RunContext.complete``
false) is published into ``partial/`` and leaves the last complete report as it is.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from harness.evidence.files import new_run_id, publish_set
from harness.evidence.reports.context import RunContext
from harness.evidence.reports.html import claims_html
from harness.evidence.reports.markdown import claims_markdown
from harness.evidence.reports.overview import overview_figures
from harness.evidence.reports.records import ClaimRecord, sort_records
from harness.evidence.reports.schema import REPORT_SCHEMA, claims_json
from harness.evidence.reports.sheet import build_sheet

__all__ = ["REPORT_FILES", "render_reports", "write_reports"]

# Top-level entries of a report set; the link to any of them is removed when a new set lacks it.
REPORT_FILES: tuple[str, ...] = ("claims.json", "claims.md", "claims.html", "figures", "stability.json")


def render_reports(
    records: Sequence[ClaimRecord], ctx: RunContext, *, figures: Mapping[str, bytes] | None = None
) -> dict[str, bytes]:
    """The report set as ``{relative path: bytes}`` for ``records`` (all of ``ctx.master_seed``, with
    or without a verdict); ``figures``: the claims' PNGs by file name (those a record names are kept)."""
    records = sort_records(records)
    if any(r.master_seed != ctx.master_seed for r in records):
        raise ValueError(f"the report got records of seeds other than {ctx.master_seed}")
    named = {name for r in records for name in r.figures}
    missing = sorted(named - set(figures or {}))
    if missing:
        raise ValueError(f"records name figures that were not rendered: {', '.join(missing)}")
    pngs = {name: png for name, png in (figures or {}).items() if name in named}
    sheets = build_sheet(records, ctx.sources)
    overview_pngs, overviews = overview_figures(sheets)
    pngs.update(overview_pngs)
    files = {f"figures/{name}": png for name, png in sorted(pngs.items())}
    files["claims.json"] = claims_json(records, sheets, ctx).encode("utf-8")
    if ctx.stability_rows is not None:
        doc = {
            "schema": REPORT_SCHEMA,
            "tier": ctx.tier,
            "threshold": ctx.stability_threshold,
            "claims": [row.to_json() for row in ctx.stability_rows],
        }
        files["stability.json"] = (json.dumps(doc, indent=2) + "\n").encode("utf-8")
    files["claims.md"] = claims_markdown(records, sheets, ctx, overviews=overviews).encode("utf-8")
    files["claims.html"] = claims_html(records, sheets, ctx, figures=pngs, overviews=overviews).encode("utf-8")
    return files


def write_reports(
    report_dir: str | os.PathLike[str],
    records: Sequence[ClaimRecord],
    ctx: RunContext,
    *,
    figures: Mapping[str, bytes] | None = None,
    run_id: str | None = None,
) -> list[Path]:
    """Publish the report set of ``records`` (:func:`render_reports`) into ``report_dir`` — into
    ``report_dir/partial/`` for a partial run — and return the fixed paths written.

    A failure or a kill at any point leaves the previous report complete; figures or a
    ``stability.json`` that this run did not make are gone with the old set. ``run_id`` names the
    set (default: :func:`harness.evidence.files.new_run_id`).
    """
    return publish_set(
        report_dir,
        render_reports(records, ctx, figures=figures),
        run_id=run_id or new_run_id(),
        names=REPORT_FILES,
        partial=not ctx.complete,
    )
