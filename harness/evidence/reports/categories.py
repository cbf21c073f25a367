"""Reason categories: one plain reason per verdict, declared once, and the estimate in the document's units.

A verdict alone does not say *why*: a refuted arithmetic check means the document contradicts
itself, a refuted measurement that it does not replicate, a verdict that flips under another
reading of the text that it depends on that reading. :data:`CATEGORIES` lists the reasons in the
order reports show them; :func:`categorise` gives a claim exactly one, by the first rule of
:data:`PRECEDENCE` that applies. Reports, the terminal summary and the overview figures read
this table and nothing else, so a new category is one entry here.

:func:`measured` is the claim's estimate in the document's units: the rule's own estimate, or,
where the rule's statistic is not the document's number (the share of runs below a median the
document reports), ours in the document's units as :data:`DOCUMENT_READINGS` read it off the
record: what the evidence declares under ``detail[DOCUMENT_UNITS]`` (value, CI, label), or a
sample quantile's own value (``our_quantile``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from harness.evidence.reports.records import ClaimRecord

__all__ = [
    "CATEGORIES",
    "CATEGORY",
    "DOCUMENT_READINGS",
    "DOCUMENT_UNITS",
    "PERCENT_RULES",
    "PRECEDENCE",
    "Category",
    "Measured",
    "categorise",
    "measured",
]

# Evidence detail key a rule or study fills when its estimate is not in the document's units:
# {"value": number, "ci": [lo, hi] or null, "label": "median epochs"}.
DOCUMENT_UNITS = "in_document_units"

# Rules whose estimate is a rate: shown as a percentage, as the documents print them.
PERCENT_RULES = frozenset({"rate_at_least", "rate_at_most", "rate_equals", "always"})


@dataclass(frozen=True)
class Category:
    """One reason a claim got its verdict, as a reader of the document would put it."""

    key: str  # stable identifier (claims.json, HTML filters, JUnit)
    label: str  # what reports print
    short: str  # column heading of the terminal summary (at most 10 characters)
    meaning: str  # one line for the legend
    color: str  # the same colour in the HTML and the figures


CATEGORIES: tuple[Category, ...] = (
    Category("replicates", "replicates", "replicates", "our data confirm the sentence", "#2e7d32"),
    Category("not_replicated", "does not replicate", "not repl.", "our data contradict the sentence", "#c62828"),
    Category(
        "contradicts_itself",
        "the document contradicts itself",
        "self-contr",
        "the document's own numbers disagree (its arithmetic or a summary of its own table)",
        "#8e24aa",
    ),
    Category(
        "depends",
        "depends on a reading or setting",
        "depends",
        "the verdict changes with the reading of the text or a setting the document leaves open",
        "#ef6c00",
    ),
    Category(
        "calibration_target",
        "calibration target",
        "calib.",
        "an open setting was fitted to this number: the fit achieved, never evidence",
        "#546e7a",
    ),
    Category(
        "not_testable",
        "not testable",
        "untestable",
        "no experiment here can decide it (the reason is given)",
        "#9e9e9e",
    ),
    Category(
        "undecided",
        "cannot decide at this n",
        "undecided",
        "neither confirmed nor refuted by the runs of this tier",
        "#c49000",
    ),
)

# Category by key.
CATEGORY: Mapping[str, Category] = MappingProxyType({c.key: c for c in CATEGORIES})

_VERDICT_CATEGORY = {"confirmed": "replicates", "refuted": "not_replicated", "inconclusive": "undecided"}


def _calibration_target(record: ClaimRecord, differs: bool) -> bool:
    return record.calibration_target


def _not_testable(record: ClaimRecord, differs: bool) -> bool:
    return record.rule == "not_testable"


def _depends(record: ClaimRecord, differs: bool) -> bool:
    return differs


def _contradicts_itself(record: ClaimRecord, differs: bool) -> bool:
    return record.kind == "self_consistency" and record.verdict == "refuted"


# (category key, applies?) in order: the first that applies is the claim's reason; ``differs``
# says whether the verdict differs between the claim and a reading or sweep of it.
PRECEDENCE: tuple[tuple[str, Callable[[ClaimRecord, bool], bool]], ...] = (
    ("calibration_target", _calibration_target),
    ("not_testable", _not_testable),
    ("depends", _depends),
    ("contradicts_itself", _contradicts_itself),
)


def categorise(record: ClaimRecord, *, differs: bool = False) -> Category:
    """The one reason category of ``record`` (a record with a verdict); ``differs``: its verdict
    differs between it and another reading or a sweep of the same sentence."""
    if record.verdict is None:
        raise ValueError(f"claim {record.id!r} has no verdict, so no reason category")
    for key, applies in PRECEDENCE:
        if applies(record, differs):
            return CATEGORY[key]
    return CATEGORY[_VERDICT_CATEGORY[record.verdict]]


@dataclass(frozen=True)
class Measured:
    """A claim's estimate as the document would print it: value, CI, what it is, and whether a rate."""

    value: float | None
    ci: tuple[float | None, float | None] | None
    label: str  # what the number is when it is not the rule's own estimate ("our median"); "" otherwise
    percent: bool  # a rate, printed as a percentage


def _finite(x: Any) -> float | None:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) else None


def _declared(record: ClaimRecord) -> Measured | None:
    """What the evidence declares under ``detail[DOCUMENT_UNITS]`` (value, CI, label)."""
    units = record.detail.get(DOCUMENT_UNITS)
    if not isinstance(units, Mapping) or _finite(units.get("value")) is None:
        return None
    ci = units.get("ci")
    pair = (_finite(ci[0]), _finite(ci[1])) if isinstance(ci, (list, tuple)) and len(ci) == 2 else None
    return Measured(_finite(units["value"]), pair, str(units.get("label") or "in the document's units"), False)


def _sample_quantile(record: ClaimRecord) -> Measured | None:
    """A document's sample quantile (``rules.quantile_matches``): our quantile, recorded without a CI
    (the rule's CI bounds our distribution function at the document's value, not the quantile)."""
    value, level = _finite(record.detail.get("our_quantile")), _finite(record.detail.get("quantile_level"))
    if value is None or level is None:
        return None
    name = {0.0: "minimum", 0.5: "median", 1.0: "maximum"}.get(level, f"{level:.0%} quantile")
    return Measured(value, None, f"our {name}", False)


# Where a rule's estimate is not the document's quantity, how a record gives ours in the document's
# units, tried in order (the first that applies); a new reading is one entry here.
DOCUMENT_READINGS: tuple[Callable[[ClaimRecord], Measured | None], ...] = (_declared, _sample_quantile)


def measured(record: ClaimRecord) -> Measured:
    """``record``'s estimate in the document's units (see the module docstring); no value for a
    claim without an estimate (not testable, no verdict)."""
    if record.verdict is not None:
        for reading in DOCUMENT_READINGS:
            found = reading(record)
            if found is not None:
                return found
    if record.rule == "not_testable" or record.verdict is None:
        return Measured(None, None, "", False)
    ci = None if record.ci is None else (_finite(record.ci[0]), _finite(record.ci[1]))
    return Measured(_finite(record.estimate), ci, "", record.rule in PERCENT_RULES)
