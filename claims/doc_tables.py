"""The tables of ``docs/source-*.md``, generated from the claims reports, never written by hand.

A run of the claims writes ``reports/claims.json`` for one tier. ``python -m claims.doc_tables
--quick Q.json --full F.json`` (a quick and a full report of the same master seed; without
``--full`` the full-tier cells say "not run"; with ``--keep-other-documents``, reports of some
claims modules only replace those documents' entries of the committed summary) keeps what the tables need of them in
``docs/data/claims-summary.json`` (per claim and tier: category, estimate, interval, n) with the
noise derivation of source 003, and rewrites every generated section of the docs: the lines
between ``<!-- generated: NAME -->`` and ``<!-- end: NAME -->``. ``tests/test_doc_tables.py``
checks that the committed docs equal what :func:`render_sections` makes of the committed summary,
so a table can change only by regenerating it from a report.
"""

from __future__ import annotations

import argparse
import json
import math
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SUMMARY_PATH = ROOT / "docs" / "data" / "claims-summary.json"
TIERS = ("quick", "full")
MARKER = re.compile(r"<!-- generated: (?P<name>[a-z0-9-]+) -->\n.*?<!-- end: (?P=name) -->", re.S)


# --------------------------------------------------------------------------------------------
# The summary: what the tables need of two reports
# --------------------------------------------------------------------------------------------


def _category(record: Mapping[str, Any]) -> str:
    """A record's category: its verdict, or "calibration target" (fit beside it)."""
    if record.get("calibration_target"):
        return f"calibration target (fit: {record['calibration']['fit_verdict']})"
    return record["verdict"]


def _entry(record: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "category": _category(record),
        "estimate": record["estimate"],
        "ci": record["ci"],
        "n": record["n"],
    }


def summarise(reports: Mapping[str, Mapping[str, Any]], extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``{"master_seed", "claims": {id: {tier: entry}}, **extra}`` from one ``claims.json`` per tier."""
    seeds = {tier: report["master_seed"] for tier, report in reports.items()}
    if len(set(seeds.values())) != 1:
        raise ValueError(f"the reports must share a master seed, got {seeds}")
    for tier, report in reports.items():
        if report["tier"] != tier:
            raise ValueError(f"the {tier!r} report is of the {report['tier']!r} tier")
    claims: dict[str, dict[str, Any]] = {}
    for tier, report in reports.items():
        for record in report["claims"]:
            claims.setdefault(record["id"], {})[tier] = _entry(record)
    return {"master_seed": next(iter(seeds.values())), "claims": dict(sorted(claims.items())), **(extra or {})}


def _document(cid: str) -> str:
    return cid.split(".", 1)[0]


def merged(committed: Mapping[str, Any], summary: Mapping[str, Any]) -> dict[str, Any]:
    """``summary`` with the claims of ``committed`` whose document it lacks (a run of some claims
    modules only replaces those documents' entries, never erases the others'); same master seed."""
    if committed["master_seed"] != summary["master_seed"]:
        raise ValueError(f"master seeds differ: committed {committed['master_seed']}, reports {summary['master_seed']}")
    ran = {_document(cid) for cid in summary["claims"]}
    kept = {cid: e for cid, e in committed["claims"].items() if _document(cid) not in ran}
    return {**summary, "claims": dict(sorted({**kept, **summary["claims"]}.items()))}


def noise_figures() -> list[dict[str, Any]]:
    """Source 003's noise derivation (``harness.studies.linear_recipe.noise.derive``) as plain rows."""
    from harness.studies.linear_recipe import noise

    return [
        {
            "label": r.figure.label,
            "line": r.figure.line,
            "w": r.figure.w,
            "b": r.figure.b,
            "loss": r.figure.loss,
            "sigma2": r.sigma2,
            "range": r.sigma_range,
        }
        for r in noise.derive()
    ]


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


def _num(x: Any) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "—"
    if isinstance(x, float):
        return f"{x:.4g}"
    return str(x)


def _ci(ci: Any) -> str:
    return "—" if not ci else f"[{_num(ci[0])}, {_num(ci[1])}]"


def _cell(entry: Mapping[str, Any] | None) -> str:
    """``"refuted: 0.22 [0.21, 0.23]"`` for one tier's entry (``"not run"`` when absent)."""
    if entry is None:
        return "not run"
    return f"{entry['category']}: {_num(entry['estimate'])} {_ci(entry['ci'])}"


def _table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _short(cid: str) -> str:
    return cid.split(".", 1)[1]


def appendix_003(summary: Mapping[str, Any]) -> str:
    """Every claim of source 003 but the noise readings: category, estimate, interval and n per tier."""
    rows = [
        [f"`{_short(cid)}`", _cell(t.get("full")), _num((t.get("full") or {}).get("n")), _cell(t.get("quick"))]
        for cid, t in summary["claims"].items()
        if cid.startswith("003.") and not re.search(r"_noise0", cid)
    ]
    return _table(["claim", "full tier (5000 seeds)", "n (full)", "quick tier (200 seeds)"], rows)


def noise_readings_003(summary: Mapping[str, Any]) -> str:
    """The noise-dependent claims under each supported noise level, per tier."""
    claims = summary["claims"]
    mains = sorted({re.sub(r"_noise0(p25)?$", "", cid) for cid in claims if re.search(r"_noise0(p25)?$", cid)})
    rows = []
    for cid in mains:
        for tier in TIERS:
            cells = [_cell(claims.get(f"{cid}{suffix}", {}).get(tier)) for suffix in ("_noise0", "", "_noise0p25")]
            rows.append([f"`{_short(cid)}`", tier, *cells])
    return _table(["claim", "tier", "noise 0", "noise 0.09 (main)", "noise 0.25"], rows)


def noise_derivation_003(summary: Mapping[str, Any]) -> str:
    """What each (W, b, loss) figure of source 003 says about the label noise."""
    rows = [
        [
            f["label"],
            str(f["line"]),
            f["w"],
            f["b"],
            f["loss"],
            f"{f['sigma2']:+.4f}",
            "none fits" if f["range"] is None else f"[{f['range'][0]:.3f}, {f['range'][1]:.3f}]",
        ]
        for f in summary["noise_figures"]
    ]
    return _table(["figure", "line", "W", "b", "loss", "sigma² (point)", "sigma allowed (95%)"], rows)


READING_SUFFIX_000 = {"B": "", "A": "_all_traces"}
HEADLINE_000 = "000.table21_kfold.linear_regression"
# table 2.1's rows and 2.2's observations under either reading (its rankings are not rows)
TABLE_ROWS_000 = re.compile(r"000\.(table21_(kfold|grouped)|obs_(kfold|grouped))\.(?!ranking(_all_traces)?$)")


def _phrase(entry: Mapping[str, Any] | None) -> str:
    if entry is None:
        return "was not run"
    verdict = entry["category"]
    said = {"confirmed": "reproduces", "refuted": "does not reproduce"}.get(verdict, "is not decided at this n")
    return f"{said} ({_num(entry['estimate'])} {_ci(entry['ci'])}, {verdict})"


def readings_summary_000(summary: Mapping[str, Any]) -> str:
    """The per-document summary of source 000: the headline row under each reading, and the counts
    of each reading's table 2.1 rows and observations by verdict, for each tier whose report has them."""
    claims = summary["claims"]
    tiers = [tier for tier in TIERS if any(tier in e for cid, e in claims.items() if TABLE_ROWS_000.match(cid))]
    lines = []
    for tier in tiers:
        b, a = (claims.get(HEADLINE_000 + READING_SUFFIX_000[r], {}).get(tier) for r in ("B", "A"))
        lines.append(
            f"- {tier} tier: table 2.1's headline R² = 0.9666 (linear regression, the document's 10-fold CV) "
            f"{_phrase(b)} under reading B (solved traces, the main reading); it {_phrase(a)} under reading A "
            "(all traces)."
        )
    rows = []
    for reading, suffix in READING_SUFFIX_000.items():
        ids = [cid for cid in claims if TABLE_ROWS_000.match(cid) and (cid.endswith("_all_traces") == bool(suffix))]
        for tier in tiers:
            decided = [claims[c][tier]["category"] for c in ids if tier in claims[c]]
            counts = {v: decided.count(v) for v in ("confirmed", "refuted", "inconclusive")}
            rows.append([reading, tier, str(len(decided)), *(str(counts[v]) for v in counts)])
    return (
        "\n".join(lines)
        + "\n\n"
        + _table(["reading", "tier", "row and observation claims", "confirmed", "refuted", "inconclusive"], rows)
    )


def _readings_rows_000(claims: Mapping[str, Any], mains: list[str]) -> str:
    """The table of ``mains`` (reading-B ids) beside their reading-A twins, per tier."""
    rows = []
    for cid in mains:
        for tier in TIERS:
            b, a = (claims.get(cid + READING_SUFFIX_000[r], {}).get(tier) for r in ("B", "A"))
            rows.append([f"`{_short(cid)}`", tier, _cell(b), _cell(a)])
    return _table(["claim", "tier", "reading B (solved traces, main)", "reading A (all traces)"], rows)


def readings_table_000(summary: Mapping[str, Any]) -> str:
    """Every table 2.1 row and observation of source 000 under both readings, per tier."""
    claims = summary["claims"]
    mains = sorted(cid for cid in claims if TABLE_ROWS_000.match(cid) and not cid.endswith("_all_traces"))
    return _readings_rows_000(claims, mains)


def readings_other_000(summary: Mapping[str, Any]) -> str:
    """Every other claim of source 000 that has a reading-A twin (rankings, linearity, norms, beyond
    distance, features, stability) under both readings, per tier."""
    claims = summary["claims"]
    mains = sorted(
        cid
        for cid in claims
        if cid.startswith("000.") and f"{cid}{READING_SUFFIX_000['A']}" in claims and not TABLE_ROWS_000.match(cid)
    )
    return _readings_rows_000(claims, mains)


SECTIONS: dict[str, dict[str, Callable[[Mapping[str, Any]], str]]] = {
    "docs/source-003.md": {
        "noise-derivation": noise_derivation_003,
        "noise-readings": noise_readings_003,
        "appendix": appendix_003,
    },
    "docs/source-000.md": {
        "readings-summary": readings_summary_000,
        "readings": readings_table_000,
        "readings-other": readings_other_000,
    },
}


def render_sections(text: str, sections: Mapping[str, Callable[[Mapping[str, Any]], str]], summary: Mapping) -> str:
    """``text`` with every generated section replaced by its renderer's output; a section the text
    lacks, or one it has that no renderer makes, is an error."""
    found = {m["name"] for m in MARKER.finditer(text)}
    if found != set(sections):
        raise ValueError(f"generated sections {sorted(found)} do not match the renderers {sorted(sections)}")

    def replace(m: re.Match) -> str:
        name = m["name"]
        return f"<!-- generated: {name} -->\n{sections[name](summary)}\n<!-- end: {name} -->"

    return MARKER.sub(replace, text)


def main() -> None:
    parser = argparse.ArgumentParser(description="Regenerate the tables of docs/source-*.md from two reports.")
    parser.add_argument("--quick", required=True, help="claims.json of a quick-tier run")
    parser.add_argument(
        "--full", help="claims.json of a full-tier run, same master seed (else its cells say 'not run')"
    )
    parser.add_argument(
        "--keep-other-documents",
        action="store_true",
        help="the reports are of some claims modules only: keep the committed summary's entries of the other documents",
    )
    args = parser.parse_args()
    reports = {
        tier: json.loads(Path(path).read_text(encoding="utf-8"))
        for tier in TIERS
        if (path := getattr(args, tier)) is not None
    }
    summary = summarise(reports, {"noise_figures": noise_figures()})
    if args.keep_other_documents:
        summary = merged(json.loads(SUMMARY_PATH.read_text(encoding="utf-8")), summary)
    SUMMARY_PATH.parent.mkdir(parents=True, exist_ok=True)
    SUMMARY_PATH.write_text(json.dumps(summary, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    for doc, sections in SECTIONS.items():
        path = ROOT / doc
        path.write_text(render_sections(path.read_text(encoding="utf-8"), sections, summary), encoding="utf-8")


if __name__ == "__main__":
    main()
