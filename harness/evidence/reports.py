"""Claim reports: ``claims.json`` (schema 1), ``claims.md``, ``figures/*.png``, verdict stability.

A *record* is the plain-JSON dict of one claim tested once (:func:`make_record`); records cross
process boundaries (pytest-xdist workers) as JSON, and this module turns a list of them into the
report artefacts, every file written atomically (temp file in the same directory, then rename).
Figures are rendered to PNG bytes as soon as they are registered, so a worker process can hand
them to the process that writes the report.

This module does not decide verdicts (``harness.evidence.stats``) nor gate on the ledger (the pytest
plugin ``harness.evidence.plugin``), and it never imports pytest.
"""

from __future__ import annotations

import base64
import io
import json
import math
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.evidence.claims import (
    Claim,
    Ledger,
    atomic_write_bytes,
    jsonable,
    protocol_to_dict,
)
from harness.evidence.verdicts import Evidence, Verdict

__all__ = [
    "REPORT_SCHEMA",
    "CLAIM_KEYS",
    "FigureRegistry",
    "claims_json",
    "claims_markdown",
    "make_record",
    "stability",
    "write_reports",
]

REPORT_SCHEMA = 1

# Keys of one claim in ``claims.json``, in order (schema 1).
CLAIM_KEYS: tuple[str, ...] = (
    "id",
    "source",
    "statement",
    "reported",
    "estimate",
    "ci",
    "p_value",
    "test",
    "alpha",
    "n",
    "mde",
    "verdict",
    "expected",
    "protocol",
    "duration_s",
)

_FIGURE_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------


class FigureRegistry:
    """Figures registered by claim code, rendered to PNG at once: ``{file name: PNG bytes}``.

    File names are ``"<claim id>.<name>.png"``; registering the same file twice is an error.
    """

    def __init__(self) -> None:
        self._png: dict[str, bytes] = {}

    def add(self, claim_id: str, name: str, fig, *, dpi: int = 100) -> str:
        """Render ``fig`` (a matplotlib Figure) as PNG under ``"<claim_id>.<name>.png"``, close it.

        matplotlib is imported here, when a figure is drawn, never at import: importing the
        plugin must not change the process's matplotlib backend. Returns the file name.
        """
        from matplotlib.figure import Figure

        if not isinstance(fig, Figure):
            raise ValueError(f"expected a matplotlib Figure, got {type(fig).__name__}")
        if not _FIGURE_NAME_RE.match(name):
            raise ValueError(f"figure name {name!r} must be lower case letters, digits, '_' or '-'")
        filename = f"{claim_id}.{name}.png"
        if filename in self._png:
            raise ValueError(f"figure {filename!r} is already registered")
        buf = io.BytesIO()
        # Fixed metadata: the PNG bytes depend only on the figure, not on when it was drawn.
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
        import matplotlib.pyplot as plt

        plt.close(fig)
        self._png[filename] = buf.getvalue()
        return filename

    def items(self) -> list[tuple[str, bytes]]:
        """``(file name, PNG bytes)`` pairs sorted by file name."""
        return sorted(self._png.items())

    def to_json(self) -> dict[str, str]:
        """``{file name: base64 PNG}``: the form that travels inside a record."""
        return {k: base64.b64encode(v).decode("ascii") for k, v in self.items()}


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


def _num(x: Any) -> Any:
    """A JSON-safe number: numpy scalars to Python, NaN/inf to None."""
    x = jsonable(x)
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, str) and x in ("nan", "inf", "-inf"):
        return None
    return x


def make_record(
    claim: Claim,
    evidence: Evidence,
    *,
    tier: str,
    master_seed: int,
    expected: Verdict | None,
    duration_s: float,
    figures: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The plain-JSON record of ``claim`` tested once: the ``CLAIM_KEYS`` plus bookkeeping.

    Extra keys: ``tier``, ``master_seed``, ``effect_size``, ``rule`` (the claim's rule kind),
    ``detail`` (the evidence's named numbers) and ``figures`` (``{file name: base64 PNG}``).
    """
    ci = None if evidence.ci is None else [_num(evidence.ci[0]), _num(evidence.ci[1])]
    return {
        "id": claim.id,
        "source": claim.source,
        "statement": claim.statement,
        "reported": jsonable(dict(claim.reported)),
        "estimate": _num(evidence.estimate),
        "ci": ci,
        "p_value": _num(evidence.p_value),
        "test": evidence.test,
        "alpha": _num(evidence.alpha),
        "n": int(evidence.n),
        "mde": _num(evidence.mde),
        "verdict": evidence.verdict.value,
        "expected": None if expected is None else Verdict(expected).value,
        "protocol": protocol_to_dict(claim.protocol),
        "duration_s": float(duration_s),
        "tier": tier,
        "master_seed": int(master_seed),
        "effect_size": _num(evidence.effect_size),
        "rule": claim.test,
        "detail": jsonable(dict(evidence.detail)),
        "figures": dict(sorted((figures or {}).items())),
        "population_n": None if evidence.population_n is None else int(evidence.population_n),
        "subset": claim.subset,
    }


def _n_text(record: Mapping[str, Any]) -> str:
    """``"991 of 1000 (successful runs)"`` for evidence over a subset, else the plain n."""
    if record.get("population_n") is None:
        return _fmt(record["n"])
    return f"{_fmt(record['n'])} of {_fmt(record['population_n'])} ({record.get('subset') or 'subset'})"


def _sorted(records: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    records = sorted(records, key=lambda r: (r["id"], r["master_seed"]))
    seen: set[tuple[str, int]] = set()
    for r in records:
        key = (r["id"], r["master_seed"])
        if key in seen:
            raise ValueError(f"claim {r['id']!r} was recorded twice for master seed {r['master_seed']}")
        seen.add(key)
    return records


# --------------------------------------------------------------------------------------------
# claims.json
# --------------------------------------------------------------------------------------------


def claims_json(records: Iterable[Mapping[str, Any]], *, master_seed: int, tier: str, device: str,
                not_run: Sequence[str] = ()) -> str:
    """Text of ``claims.json`` (schema 1): claims sorted by id, exactly the ``CLAIM_KEYS`` each, and
    ``not_run``: the ids of claims collected but not run in this tier (sorted; a key added to
    schema 1 without breaking readers of the earlier keys)."""
    rows = [{k: r[k] for k in CLAIM_KEYS} for r in _sorted(records)]
    doc = {"schema": REPORT_SCHEMA, "master_seed": int(master_seed), "tier": tier, "device": str(device), "claims": rows,
           "not_run": sorted(not_run)}
    return json.dumps(doc, indent=2, allow_nan=False) + "\n"


# --------------------------------------------------------------------------------------------
# Stability over master seeds
# --------------------------------------------------------------------------------------------


def stability(
    records: Iterable[Mapping[str, Any]], ledger: Ledger, *, tier: str, threshold: float
) -> list[dict[str, Any]]:
    """Per claim: the fraction of master seeds whose verdict equals the ledger's for ``tier``.

    A claim missing from the ledger is measured against its most frequent verdict (ties broken
    by verdict name). A seed whose test crashed before giving a verdict (a ``crashed`` record)
    counts as ``"crashed"``: never the reference, so it lowers the fraction instead of vanishing.
    ``fragile`` is true when the fraction is below ``threshold``.
    Returns ``[{"id", "reference", "in_ledger", "seeds", "verdicts", "stability", "fragile"}]``
    sorted by id.
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"stability threshold must lie in (0, 1], got {threshold}")
    by_id: dict[str, dict[int, str]] = {}
    for r in _sorted(records):
        by_id.setdefault(r["id"], {})[int(r["master_seed"])] = r["verdict"]
    out = []
    for cid, per_seed in sorted(by_id.items()):
        expected = ledger.get(cid, {}).get(tier)
        if expected is not None:
            reference = expected.value
        else:
            counts = Counter(v for v in per_seed.values() if v != "crashed") or Counter(per_seed.values())
            reference = sorted(counts, key=lambda v: (-counts[v], v))[0]
        fraction = sum(v == reference != "crashed" for v in per_seed.values()) / len(per_seed)
        out.append(
            {
                "id": cid,
                "reference": reference,
                "in_ledger": expected is not None,
                "seeds": sorted(per_seed),
                "verdicts": [per_seed[s] for s in sorted(per_seed)],
                "stability": fraction,
                "fragile": fraction < threshold,
            }
        )
    return out


# --------------------------------------------------------------------------------------------
# claims.md
# --------------------------------------------------------------------------------------------


def _fmt(x: Any) -> str:
    if x is None:
        return "—"
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        return f"{x:.4g}"
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(_fmt(v) for v in x) + "]"
    return str(x)


def _cell(text: str) -> str:
    """Make ``text`` safe inside one Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _source_title(sources_dir: Path | None, source: str) -> str | None:
    if sources_dir is None:
        return None
    path = sources_dir / source
    try:
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("# "):
                    return line[2:].strip()
    except OSError:
        return None
    return None


_LEGEND = """\
Each row is one quantitative sentence of a source document, re-measured by a seeded test.
**Verdict** is what the data say at significance level α: *confirmed* (the data support the
claim), *refuted* (the data contradict it) or *inconclusive* (neither, at this sample size).
**Expected** is the verdict recorded in the ledger (`claims/ledger.json`); the test suite fails
when the two differ. **Measured** is the estimate with its confidence interval; **MDE** is the
smallest effect the test detects with 80% power at this n. Each claim's protocol lists every
setting used, marked *stated* (by the document), *calibrated* (measured by us) or *assumed*
(the document is silent; we chose).
"""


def claims_markdown(
    records: Iterable[Mapping[str, Any]],
    *,
    master_seed: int,
    tier: str,
    device: str,
    sources_dir: str | os.PathLike[str] | None = None,
    stability_rows: Sequence[Mapping[str, Any]] | None = None,
    figures_dir: str = "figures",
    not_run: Sequence[str] = (),
) -> str:
    """Text of ``claims.md``: one section per source document, one table row per claim.

    Below each table, every claim's protocol and figures (linked from ``figures_dir``); at the
    end, the claims of other tiers that this run did not run (``not_run``).
    """
    records = _sorted(records)
    sdir = Path(sources_dir) if sources_dir is not None else None
    counts = Counter(r["verdict"] for r in records)
    lines = [
        "# Claims report",
        "",
        f"Tier **{tier}**, master seed **{master_seed}**, device **{device}**. "
        f"{len(records)} claims: "
        + ", ".join(f"{counts.get(v.value, 0)} {v.value}" for v in Verdict)
        + ".",
        "",
        _LEGEND,
    ]
    fragile = {row["id"]: row for row in (stability_rows or [])}
    by_source: dict[str, list[Mapping[str, Any]]] = {}
    for r in records:
        by_source.setdefault(r["source"], []).append(r)
    for source in sorted(by_source):
        title = _source_title(sdir, source)
        lines += [f"## {source}" + (f" — {title}" if title else ""), ""]
        lines += [
            "| Claim | Statement | Reported | Measured (estimate [CI]) | Test | α | n | MDE | Expected | Verdict |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in by_source[source]:
            reported = ", ".join(f"{k} = {_fmt(v)}" for k, v in r["reported"].items()) or "—"
            measured = _fmt(r["estimate"]) + (f" [{_fmt(r['ci'][0])}, {_fmt(r['ci'][1])}]" if r["ci"] else "")
            if r["p_value"] is not None:
                measured += f", p = {_fmt(r['p_value'])}"
            verdict = f"**{r['verdict']}**"
            if r["expected"] is not None and r["expected"] != r["verdict"]:
                verdict += " (changed)"
            if r["id"] in fragile and fragile[r["id"]]["fragile"]:
                verdict += f" (fragile: {fragile[r['id']]['stability']:.0%} of seeds)"
            test = r["test"] if r["test"] == r["rule"] else f"{r['test']} ({r['rule']})"
            lines.append(
                "| "
                + " | ".join(
                    _cell(c)
                    for c in (
                        f"`{r['id']}`",
                        f"“{r['statement']}”",
                        reported,
                        measured,
                        test,
                        _fmt(r["alpha"]),
                        _n_text(r),
                        _fmt(r["mde"]),
                        r["expected"] or "— (not in ledger)",
                        verdict,
                    )
                )
                + " |"
            )
        lines.append("")
        for r in by_source[source]:
            lines.append(f"### `{r['id']}`")
            lines.append("")
            lines.append(f"> {' '.join(r['statement'].split())}")
            lines.append("")
            lines.append(
                f"Verdict **{r['verdict']}** by `{r['test']}` at α = {_fmt(r['alpha'])}, n = {_n_text(r)}; "
                f"measured {_fmt(r['estimate'])}"
                + (f" (CI [{_fmt(r['ci'][0])}, {_fmt(r['ci'][1])}])" if r["ci"] else "")
                + f"; {r['duration_s']:.2f} s."
            )
            if r["detail"]:
                lines.append("")
                lines.append("Details: " + "; ".join(f"{k} = {_fmt(v)}" for k, v in r["detail"].items()) + ".")
            lines.append("")
            lines.append("Protocol:")
            lines.append("")
            for name, s in r["protocol"].items():
                note = f" — {s['note']}" if s["note"] else ""
                lines.append(f"- `{name}` = `{_fmt(s['value'])}` (*{s['status']}*){note}")
            for filename in r["figures"]:
                lines += ["", f"![{filename}]({figures_dir}/{filename})"]
            lines.append("")
    if stability_rows:
        seeds = sorted({s for row in stability_rows for s in row["seeds"]})
        lines += [
            "## Verdict stability over master seeds",
            "",
            f"Seeds {seeds[0]}..{seeds[-1]} ({len(seeds)} runs). Stability is the fraction of seeds "
            "giving the ledger's verdict (or the most frequent one for a claim not in the ledger).",
            "",
            "| Claim | Reference verdict | Stability | Fragile | Verdicts by seed |",
            "|---|---|---|---|---|",
        ]
        for row in stability_rows:
            lines.append(
                f"| `{row['id']}` | {row['reference']}{'' if row['in_ledger'] else ' (not in ledger)'} | "
                f"{row['stability']:.0%} | {'**yes**' if row['fragile'] else 'no'} | "
                + ", ".join(f"{s}: {v}" for s, v in zip(row["seeds"], row["verdicts"]))
                + " |"
            )
        lines.append("")
    if not_run:
        lines += ["", f"## Not run in the {tier} tier", "",
                  f"{len(not_run)} claims belong to another tier (run with `--claims-tier full`): "
                  + ", ".join(f"`{cid}`" for cid in sorted(not_run)) + "."]
    return "\n".join(lines).rstrip("\n") + "\n"


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def write_reports(
    report_dir: str | os.PathLike[str],
    records: Iterable[Mapping[str, Any]],
    *,
    master_seed: int,
    tier: str,
    device: str,
    sources_dir: str | os.PathLike[str] | None = None,
    stability_rows: Sequence[Mapping[str, Any]] | None = None,
    stability_threshold: float | None = None,
    not_run: Sequence[str] = (),
) -> list[Path]:
    """Write ``claims.json``, ``claims.md``, ``figures/*.png`` (and ``stability.json`` when
    ``stability_rows`` is given) under ``report_dir``, each atomically; return the paths written.

    ``records`` are those of ``master_seed``; everything is rendered before the first write, so
    a failure while rendering leaves the previous report untouched.
    """
    report_dir = Path(report_dir)
    records = [r for r in _sorted(records)]
    if any(r["master_seed"] != master_seed for r in records):
        raise ValueError(f"write_reports got records of seeds other than {master_seed}")
    files: dict[Path, bytes] = {}
    for r in records:
        for filename, b64 in r["figures"].items():
            files[report_dir / "figures" / filename] = base64.b64decode(b64)
    files[report_dir / "claims.json"] = claims_json(
        records, master_seed=master_seed, tier=tier, device=device, not_run=not_run
    ).encode("utf-8")
    if stability_rows is not None:
        doc = {
            "schema": REPORT_SCHEMA,
            "tier": tier,
            "threshold": stability_threshold,
            "claims": [dict(row) for row in stability_rows],
        }
        files[report_dir / "stability.json"] = (json.dumps(doc, indent=2) + "\n").encode("utf-8")
    files[report_dir / "claims.md"] = claims_markdown(
        records,
        master_seed=master_seed,
        tier=tier,
        device=device,
        sources_dir=sources_dir,
        stability_rows=stability_rows,
        not_run=not_run,
    ).encode("utf-8")
    for path, data in files.items():  # figures first, then json, then the md that links them
        atomic_write_bytes(path, data)
    if stability_rows is None:  # a stability file of an earlier multi-seed run no longer applies
        (report_dir / "stability.json").unlink(missing_ok=True)
    return list(files)

