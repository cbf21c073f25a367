"""Report columns and JUnit properties, declared once as data.

:data:`COLUMNS` are the columns of the verdict sheet, rendered by ``claims.md`` and the HTML
report alike (each escapes the plain text a column gives); a new column is one entry here.
:data:`PROPERTIES` are what every claim test reports to CI systems as JUnit XML properties
(``record_property``): verdict, the document's number, our estimate in its units, the rule's
estimate and CI, n and rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from harness.evidence.reports.categories import measured
from harness.evidence.reports.records import ClaimRecord
from harness.evidence.reports.sheet import Row
from harness.evidence.reports.text import fmt, fmt_measured, fmt_reported, plain_quote, section_label, shorten

__all__ = ["COLUMNS", "PROPERTIES", "Column", "properties"]


@dataclass(frozen=True)
class Column:
    """One column of the verdict sheet: its heading, its legend line and its plain-text cell."""

    key: str  # stable name (HTML class, tests)
    label: str  # heading
    help: str  # one line for the legend
    cell: Callable[[Row, bool], str]  # (row, first row of its statement) -> plain text
    style: str = "text"  # how renderers mark it up: text, verdict, category or claim (a link to details)
    ours: bool = False  # the text is the harness's own (numbers, labels): Markdown needs no escaping


def _where(row: Row, first: bool) -> str:
    return section_label(row.record.section, row.record.line) if first else ""


def _says(row: Row, first: bool) -> str:
    if row.variant:
        return f"↳ under {row.variant}"
    if not first:
        return "″"
    prefix = "(prediction) " if row.record.prediction else ""  # a proposal's expectation, not a result
    return f"{prefix}“{shorten(plain_quote(row.record.statement), 110)}”"


def _ours(row: Row, first: bool) -> str:
    r = row.record
    notes = [row.measured.label] if row.measured.label and row.measured.value is not None else []
    if r.population_n is not None:  # the estimate is over a subset: say which, it changes its meaning
        notes.append(f"over {r.n} of {r.population_n} {r.subset or 'runs'}")
    level = r.detail.get("ci_level")
    if r.ci is not None and isinstance(level, float) and r.alpha is not None and abs(level - (1 - r.alpha)) > 1e-9:
        notes.append(f"{level:.4g} interval")  # a rule whose interval is not at 1 - alpha (e.g. Bonferroni)
    text = fmt_measured(row.measured)
    return f"{text} ({'; '.join(notes)})" if notes else text


def _reason(row: Row, first: bool) -> str:
    text = row.category.label
    fit = row.record.calibration
    if row.category.key == "calibration_target" and fit is not None:  # the fit achieved, never evidence
        text += f" (fit: {fit.fit_verdict})"
    if row.survives is False:
        text += ": the main claim's verdict does not hold here"
    return text


COLUMNS: tuple[Column, ...] = (
    Column("where", "Where", "the section of the document and the line of the quoted words", _where),
    Column(
        "says",
        "The document says",
        "its words, shortened (the whole quote is in the details); ″: the same passage",
        _says,
    ),
    Column("number", "Its number", "the numbers the document gives", lambda r, f: fmt_reported(r.record.reported)),
    Column(
        "ours",
        "Our estimate [CI]",
        "the same quantity measured by the seeded re-run, with its confidence interval (level 1 − α unless named)",
        _ours,
        ours=True,
    ),
    Column(
        "verdict",
        "Verdict",
        "confirmed, refuted or inconclusive at the claim's α (the ledger's verdict, where it differs, is named)",
        lambda r, f: r.record.verdict or "",
        "verdict",
    ),
    Column("reason", "Reason", "one reason per verdict (the categories above)", _reason, "category"),
    Column(
        "claim", "Claim", "the claim's id: its details (test, n, protocol, figures)", lambda r, f: r.record.id, "claim"
    ),
)


def _ci(record: ClaimRecord) -> str | None:
    return None if record.ci is None else f"[{fmt(record.ci[0])}, {fmt(record.ci[1])}]"


def _measured(record: ClaimRecord) -> str | None:
    """Our estimate in the document's units with its CI and what it is ("21 [17, 24] (our median)")."""
    m = measured(record)
    return None if m.value is None else fmt_measured(m) + (f" ({m.label})" if m.label else "")


# JUnit XML properties of every claim test: (name, value of a record; None: left out).
PROPERTIES: tuple[tuple[str, Callable[[ClaimRecord], str | None]], ...] = (
    ("claim", lambda r: r.id),
    ("verdict", lambda r: r.verdict or "no verdict"),
    ("expected", lambda r: r.expected or "not in ledger"),
    ("no_verdict_reason", lambda r: r.no_verdict_reason),
    ("reported", lambda r: fmt_reported(r.reported) if r.reported else None),
    ("measured", _measured),
    ("estimate", lambda r: None if r.estimate is None else fmt(r.estimate)),
    ("ci", _ci),
    ("n", lambda r: None if r.n is None else str(r.n)),
    ("alpha", lambda r: None if r.alpha is None else fmt(r.alpha)),
    ("rule", lambda r: r.rule or r.kind),
    ("test", lambda r: r.test),
    ("p_against", lambda r: None if r.p_value is None else fmt(r.p_value)),
    ("p_for", lambda r: None if r.p_confirm is None else fmt(r.p_confirm)),
    ("source", lambda r: r.source if r.line is None else f"{r.source}:{r.line}"),
)


def properties(record: ClaimRecord) -> list[tuple[str, str]]:
    """``(name, value)`` pairs of :data:`PROPERTIES` for ``record``, those without a value left out."""
    out = []
    for name, value in PROPERTIES:
        text = value(record)
        if text is not None:
            out.append((f"claims.{name}", " ".join(str(text).split())))
    return out
