"""``claims.json`` (schema 2) and its committed JSON Schema, ``claims.schema.json`` (shipped with the package).

The schema's claim properties are built from the fields of
:class:`harness.evidence.reports.records.ClaimRecord` (each declares its description and JSON
type), so the committed file can be regenerated, and ``tests/test_report_schema.py`` fails when
it is out of date::

    python -m harness.evidence.reports --write-schema                 # regenerate claims.schema.json
    python -m harness.evidence.reports reports/claims.json [...]      # validate reports (needs jsonschema)

Validation uses the ``jsonschema`` package (a dev extra); the plugin itself never needs it.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.evidence.reports.categories import CATEGORIES, Measured
from harness.evidence.reports.context import RunContext
from harness.evidence.reports.records import ClaimRecord
from harness.evidence.reports.sheet import DocumentSheet

__all__ = ["REPORT_SCHEMA", "SCHEMA_PATH", "claims_json", "claims_schema", "schema_text", "validate"]

REPORT_SCHEMA = 2  # schema 2: typed claim records, reason categories, completeness (schema 1 had 20 claim keys)
SCHEMA_PATH = Path(__file__).with_name("claims.schema.json")

_NULLABLE_STRING = {"type": ["string", "null"]}


def _record_schema(extra: Mapping[str, Any]) -> dict[str, Any]:
    props = {}
    for f in dataclasses.fields(ClaimRecord):
        props[f.name] = {"description": f.metadata["doc"], **f.metadata["schema"]}
    props.update(extra)
    return {"type": "object", "required": list(props), "additionalProperties": False, "properties": props}


_DERIVED = {
    "category": {
        "description": "the claim's reason category (one per verdict; see 'categories')",
        "enum": [c.key for c in CATEGORIES],
    },
    "measured": {
        "description": "our estimate in the document's units: value, CI, what it is, whether a rate (percent)",
        "type": "object",
        "required": ["value", "ci", "label", "percent"],
        "additionalProperties": False,
        "properties": {
            "value": {"type": ["number", "null"]},
            "ci": {"type": ["array", "null"], "items": {"type": ["number", "null"]}, "minItems": 2, "maxItems": 2},
            "label": {"type": "string"},
            "percent": {"type": "boolean"},
        },
    },
    "variant": {
        "description": "for a reading or sweep of another claim (variant_of): the settings that differ; '' otherwise",
        "type": "string",
    },
}


def claims_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``claims.json``, schema :data:`REPORT_SCHEMA`."""
    claim = _record_schema(_DERIVED)
    no_verdict = _record_schema({})
    no_verdict["properties"]["verdict"] = {"description": "no verdict", "type": "null"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "claims.schema.json",
        "title": "claims.json: the verdicts of one run of the claims suite",
        "type": "object",
        "additionalProperties": False,
        "required": [
            "schema",
            "complete",
            "partial_reason",
            "master_seed",
            "tier",
            "device",
            "created",
            "selection",
            "environment",
            "sources",
            "categories",
            "claims",
            "no_verdict",
            "not_run",
        ],
        "properties": {
            "schema": {"const": REPORT_SCHEMA},
            "complete": {
                "description": "true when the run decided every claim of its tier the project collects; a partial "
                "run is published beside the last complete report (reports/partial/)",
                "type": "boolean",
            },
            "partial_reason": {"description": "what a partial run left out; null when complete", **_NULLABLE_STRING},
            "master_seed": {"type": "integer"},
            "tier": {"enum": ["quick", "full"]},
            "device": {"type": "string"},
            "created": {"description": "UTC time the report was written (ISO 8601)", "type": "string"},
            "selection": {
                "description": "what the run selected: arguments, -k, -m, claim tests collected before deselection",
                "type": ["object", "null"],
                "required": ["args", "keyword", "markexpr", "collected"],
                "properties": {
                    "args": {"type": "array", "items": {"type": "string"}},
                    "keyword": _NULLABLE_STRING,
                    "markexpr": _NULLABLE_STRING,
                    "collected": {"type": "integer"},
                },
            },
            "environment": {
                "description": "Python, torch and harness versions of the controller and each xdist worker",
                "type": "object",
                "additionalProperties": {"type": "object", "additionalProperties": {"type": "string"}},
            },
            "sources": {
                "description": "per document: title, sha256 and whether the quotes were verified",
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "required": ["title", "sha256", "quotes"],
                    "properties": {
                        "title": {"type": "string"},
                        "sha256": {"type": "string"},
                        "quotes": {"type": "string"},
                    },
                },
            },
            "categories": {
                "description": "the reason categories, in the order reports show them",
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["key", "label", "meaning"],
                    "additionalProperties": False,
                    "properties": {
                        "key": {"type": "string"},
                        "label": {"type": "string"},
                        "meaning": {"type": "string"},
                    },
                },
            },
            "claims": {
                "description": "claims with a verdict, sorted by id",
                "type": "array",
                "items": {
                    **claim,
                    "properties": {
                        **claim["properties"],
                        "verdict": {"enum": ["confirmed", "refuted", "inconclusive"]},
                    },
                },
            },
            "no_verdict": {
                "description": "claim tests that ran but did not end well",
                "type": "array",
                "items": no_verdict,
            },
            "not_run": {
                "description": "ids of claims collected but not run in this tier",
                "type": "array",
                "items": {"type": "string"},
            },
        },
    }


def _measured_json(m: Measured) -> dict[str, Any]:
    return {"value": m.value, "ci": None if m.ci is None else list(m.ci), "label": m.label, "percent": m.percent}


def claims_json(records: Sequence[ClaimRecord], sheets: Sequence[DocumentSheet], ctx: RunContext) -> str:
    """Text of ``claims.json`` (schema :data:`REPORT_SCHEMA`): claims with a verdict sorted by id,
    each with its reason category and estimate in the document's units (from ``sheets``), the
    records without a verdict, and the run's context."""
    rows = {row.record.id: row for sheet in sheets for row in sheet.rows}
    claims = []
    for r in sorted((r for r in records if r.verdict is not None), key=lambda r: r.id):
        row = rows[r.id]
        claims.append(
            {
                **r.to_json(),
                "category": row.category.key,
                "measured": _measured_json(row.measured),
                "variant": row.variant,
            }
        )
    doc = {
        "schema": REPORT_SCHEMA,
        "complete": ctx.complete,
        "partial_reason": ctx.partial_reason,
        "master_seed": int(ctx.master_seed),
        "tier": ctx.tier,
        "device": str(ctx.device),
        "created": ctx.created,
        "selection": None if ctx.selection is None else dict(ctx.selection),
        "environment": {name: dict(env) for name, env in sorted(ctx.environment.items())},
        "sources": {name: dict(ctx.sources[name]) for name in sorted(ctx.sources)},
        "categories": [{"key": c.key, "label": c.label, "meaning": c.meaning} for c in CATEGORIES],
        "claims": claims,
        "no_verdict": [r.to_json() for r in sorted((r for r in records if r.verdict is None), key=lambda r: r.id)],
        "not_run": list(ctx.not_run),
    }
    return json.dumps(doc, indent=1, allow_nan=False, ensure_ascii=False) + "\n"


def validate(document: Any) -> list[str]:
    """Every way ``document`` (a parsed ``claims.json``) breaks the committed schema (empty: valid).

    Needs ``jsonschema`` (``pip install -e ".[dev]"``)."""
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(document)'}: {error.message}"
        for error in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    ]


def schema_text() -> str:
    """The text of the committed schema file (:func:`claims_schema` as indented JSON)."""
    return json.dumps(claims_schema(), indent=2, ensure_ascii=False) + "\n"
