"""Claim reports: the typed record of each claim, the verdict sheet and the files a run publishes.

Modules: ``records`` (:class:`ClaimRecord`: what the recorder makes, xdist carries and every
report reads), ``figures`` (figures registered by claim code, as PNG bytes), ``categories`` (one
reason per verdict, declared once; the estimate in the document's units), ``sheet`` (per
document, in its order: statements, claims, readings and sweeps side by side), ``columns`` (the
sheet's columns and the JUnit properties, declared once), ``context`` (what a report says about
its run), ``markdown`` (``claims.md``), ``html`` (``claims.html``, self-contained), ``overview``
(per-document figures), ``schema`` (``claims.json`` and its committed JSON Schema), ``stability``
(verdicts over master seeds), ``summary`` (the terminal summary) and ``publish`` (render and
publish a set; partial runs beside the complete one).

This package does not decide verdicts (``harness.evidence.rules``) nor gate on the ledger (the
pytest plugin ``harness.evidence.plugin``), and it never imports pytest; matplotlib is imported
only when a figure is drawn.
"""

from harness.evidence.reports.categories import CATEGORIES, CATEGORY, DOCUMENT_UNITS, Category, categorise, measured
from harness.evidence.reports.columns import COLUMNS, PROPERTIES, properties
from harness.evidence.reports.context import RunContext, selection_record
from harness.evidence.reports.figures import FigureRegistry
from harness.evidence.reports.publish import REPORT_FILES, render_reports, write_reports
from harness.evidence.reports.records import CalibrationFit, ClaimRecord, make_record, no_verdict_record, sort_records
from harness.evidence.reports.schema import REPORT_SCHEMA, claims_json, claims_schema
from harness.evidence.reports.sheet import build_sheet
from harness.evidence.reports.stability import StabilityRow, stability
from harness.evidence.reports.summary import SummaryInput, summary_lines

__all__ = [
    "CATEGORIES",
    "CATEGORY",
    "COLUMNS",
    "DOCUMENT_UNITS",
    "PROPERTIES",
    "REPORT_FILES",
    "REPORT_SCHEMA",
    "Category",
    "CalibrationFit",
    "ClaimRecord",
    "FigureRegistry",
    "RunContext",
    "SummaryInput",
    "build_sheet",
    "categorise",
    "claims_json",
    "claims_schema",
    "make_record",
    "measured",
    "no_verdict_record",
    "properties",
    "render_reports",
    "selection_record",
    "sort_records",
    "StabilityRow",
    "stability",
    "summary_lines",
    "write_reports",
]
