"""Claim reports: ``claims.json`` (schema 1), ``claims.md``, ``figures/*.png``, verdict stability.

A *record* is the plain-JSON dict of one claim tested once (:func:`make_record`); records cross
process boundaries (pytest-xdist workers) as JSON, and this module turns a list of them into the
report artefacts, published as one set (``harness.evidence.files.publish_set``): a reader sees
the whole previous report or the whole new one, never a mix. Figures are rendered to PNG bytes as soon as they are registered, so a worker
process can hand them to the process that writes the report.

This module does not decide verdicts (``harness.evidence.rules``) nor gate on the ledger (the pytest
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

from harness.evidence.claims import Claim, counted_verdict, jsonable, protocol_to_dict
from harness.evidence.files import new_run_id, publish_set
from harness.evidence.ledger import Ledger
from harness.evidence.planning import needed_text, power_plan
from harness.evidence.verdicts import Evidence, Verdict

__all__ = [
    "CALIBRATION_TARGET",
    "REPORT_FILES",
    "REPORT_SCHEMA",
    "CLAIM_KEYS",
    "FigureRegistry",
    "category",
    "claims_json",
    "claims_markdown",
    "make_record",
    "render_reports",
    "selection_record",
    "stability",
    "write_reports",
]

REPORT_SCHEMA = 1

# Top-level entries of a report set; the link to any of them is removed when a new set lacks it.
REPORT_FILES: tuple[str, ...] = ("claims.json", "claims.md", "figures", "stability.json")

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
    "family",  # Holm family declared with the claim (None: tested alone)
    "p_confirm",  # p-value for the claim (``p_value`` is the one against it)
    "mde_confirm",  # smallest effect for the claim confirmed with 80% power
    "cannot_confirm",  # true when no true value is confirmed with 80% power at this n
    "power_plan",  # n for 80% power both ways at the claim's resolution, against the full tier's n
    "calibration_target",  # true when a calibrated setting was fitted to the claim's number (verdict: inconclusive)
    "calibration",  # for a calibration target: the settings fitted, how, and the fit achieved; else null
    "prediction",  # true for a proposal's prediction (a hypothesis it expects), not a reported result
)

CALIBRATION_TARGET = "calibration target"  # the report category of a claim whose number was fitted

_FIGURE_NAME_RE = re.compile(r"\A[a-z0-9][a-z0-9_-]*\Z")  # \Z: "$" accepts a trailing newline


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
    ``claimed_region`` (where the claim holds, in the estimate's units; None for rules without
    one), ``detail`` (the evidence's named numbers) and ``figures`` (``{file name: base64 PNG}``).
    ``verdict`` is :func:`harness.evidence.claims.counted_verdict`: for a calibration target
    ``inconclusive``, its rule's verdict kept in ``calibration['fit_verdict']`` as the achieved fit.
    """
    ci = None if evidence.ci is None else [_num(evidence.ci[0]), _num(evidence.ci[1])]
    target = claim.calibration_target
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
        "verdict": counted_verdict(claim, evidence).value,
        "expected": None if expected is None else Verdict(expected).value,
        "protocol": protocol_to_dict(claim.protocol),
        "duration_s": float(duration_s),
        "tier": tier,
        "master_seed": int(master_seed),
        "effect_size": _num(evidence.effect_size),
        "rule": claim.test,
        "family": claim.family,
        "p_confirm": _num(evidence.p_confirm),
        "mde_confirm": _num(evidence.mde_confirm),
        "cannot_confirm": bool(evidence.cannot_confirm),
        "power_plan": jsonable(
            power_plan(
                evidence, n_full=claim.n_for("full"), resolution=claim.resolution, n_fixed=claim.n_fixed
            ).to_dict()
        ),
        "calibration_target": target is not None,
        "calibration": None
        if target is None
        else {
            "settings": list(target.settings),
            "procedure": target.procedure,
            "fit_verdict": evidence.verdict.value,
            "fit_estimate": _num(evidence.estimate),
            "fit_ci": ci,
        },
        "prediction": claim.prediction,
        "claimed_region": None if evidence.claimed_region is None else jsonable(evidence.claimed_region),
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


def _plan_text(plan: Mapping[str, Any] | None) -> str:
    """``"420 (full 2000: powered)"``: runs needed for 80% power both ways, and the full tier's verdict."""
    if not plan:
        return "—"
    if plan["n_needed"] is None:
        return plan["status"]
    return f"{needed_text(plan['n_needed'])} (full {_fmt(plan['n_full'])}: {plan['status']})"


def category(record: Mapping[str, Any]) -> str:
    """What a record counts as in a report: its verdict, or ``"calibration target"``."""
    return CALIBRATION_TARGET if record.get("calibration_target") else record["verdict"]


def _fit_text(record: Mapping[str, Any]) -> str:
    """``"fit: confirmed, 0.2777 [0.27, 0.28]"``: the rule's verdict on a calibration target's number."""
    fit = record["calibration"]
    ci = f" [{_fmt(fit['fit_ci'][0])}, {_fmt(fit['fit_ci'][1])}]" if fit["fit_ci"] else ""
    return f"fit: {fit['fit_verdict']}, {_fmt(fit['fit_estimate'])}{ci}; fitted: {', '.join(fit['settings'])}"


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


def claims_json(
    records: Iterable[Mapping[str, Any]],
    *,
    master_seed: int,
    tier: str,
    device: str,
    not_run: Sequence[str] = (),
    selection: Mapping[str, Any] | None = None,
    sources: Mapping[str, Mapping[str, str]] | None = None,
    no_verdict: Sequence[Mapping[str, str]] = (),
    environment: Mapping[str, Mapping[str, str]] | None = None,
) -> str:
    """Text of ``claims.json`` (schema 1): claims sorted by id, exactly the ``CLAIM_KEYS`` each,
    ``no_verdict``: ``[{"id", "reason"}]`` of claim tests that ran but did not end well (sorted),
    ``environment``: Python, torch and harness versions of the controller and each xdist worker,
    ``not_run``: the ids of claims collected but not run in this tier (sorted), ``selection``:
    what the run selected (:func:`selection_record`; ``null`` when not given) and, when given,
    ``sources``: per document its title, sha256 and whether the quotes were verified
    (``harness.evidence.sources.Sources.report``). These keys were added to schema 1 without
    breaking readers of the earlier keys."""
    rows = [{k: r[k] for k in CLAIM_KEYS} for r in _sorted(records)]
    doc = {
        "schema": REPORT_SCHEMA,
        "master_seed": int(master_seed),
        "tier": tier,
        "device": str(device),
        "claims": rows,
        "not_run": sorted(not_run),
        "no_verdict": [dict(r) for r in sorted(no_verdict, key=lambda r: r["id"])],
        "selection": None if selection is None else dict(selection),
        "environment": {name: dict(env) for name, env in sorted((environment or {}).items())},
    }
    if sources is not None:
        doc["sources"] = {name: dict(sources[name]) for name in sorted(sources)}
    return json.dumps(doc, indent=2, allow_nan=False) + "\n"


def selection_record(args: Sequence[str], keyword: str | None, markexpr: str | None, collected: int) -> dict[str, Any]:
    """What a run selected: its path/node-id arguments, ``-k`` and ``-m`` expressions (``None``
    when not given) and how many claim tests it collected before deselection."""
    return {
        "args": [str(a) for a in args],
        "keyword": keyword or None,
        "markexpr": markexpr or None,
        "collected": int(collected),
    }


def _selection_text(selection: Mapping[str, Any]) -> str:
    """One line naming a selection, e.g. ``claims -k 'plateau'`` (the shell form of the options)."""
    parts = [" ".join(selection["args"]) or "(no arguments)"]
    if selection["keyword"]:
        parts.append(f"-k {selection['keyword']!r}")
    if selection["markexpr"]:
        parts.append(f"-m {selection['markexpr']!r}")
    return " ".join(parts)


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
    """Make ``text`` (already escaped by :func:`_text` or :func:`_code` where user-supplied) safe
    inside one Markdown table cell."""
    return re.sub(r"(?<!\\)\|", r"\\|", " ".join(str(text).split()))


# Characters that Markdown (CommonMark, GFM tables) gives a meaning anywhere in a line; a backslash makes
# each literal ('_' only at a word's edge: inside a word, as in rate_at_least, it emphasises nothing).
# A list marker (``-``, ``+``, ``1.``) means something only at the start: _LIST_START.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*\[\]<>#|~&]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z]))")
_LIST_START = re.compile(r"^([-+]|\d+[.)])")


def _text(value: Any, *, line_start: bool = False) -> str:
    """A user-supplied string (statement, title, note, detail, reason) as inline Markdown text:
    one line, every Markdown character escaped, so it can open no heading, table, list, code span
    or HTML tag wherever it is put; ``line_start``: it begins a line (or a quote), where a list
    marker would start a list, so that is escaped too."""
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(value).split()))
    if line_start:
        text = _LIST_START.sub(lambda m: m.group(1)[:-1] + "\\" + m.group(1)[-1], text)
    return text


def _code(value: Any) -> str:
    """A user-supplied string as one inline code span: one line, fenced by more backticks than it
    holds in a row (CommonMark), padded when it starts or ends with a backtick."""
    text = " ".join(str(value).split())
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _environment_text(environment: Mapping[str, Mapping[str, str]]) -> str:
    """One line naming the Python, torch and harness versions of the run (per process when they differ)."""
    keys = ("python", "torch", "harness")
    distinct = {tuple(env.get(k, "?") for k in keys) for env in environment.values()}
    if len(distinct) == 1:
        python, torch, harness = next(iter(distinct))
        return f"Run with Python {_text(python)}, torch {_text(torch)}, harness code {_text(harness)}."
    parts = [
        f"{_text(name)}: Python {_text(env.get('python', '?'))}, torch {_text(env.get('torch', '?'))}, "
        f"harness {_text(env.get('harness', '?'))}"
        for name, env in sorted(environment.items())
    ]
    return "**Versions differ between processes** (--claims-allow-version-mismatch): " + "; ".join(parts) + "."


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
when the two differ. **Measured** is the estimate with its confidence interval. **p against**
is the p-value of the test against the claim (refuted when it is at most α), **p for** the
p-value of the test for it (confirmed when it is at most α). **MDE against** is the smallest
effect against the claim that the test refutes with 80% power at this n, **MDE for** the
smallest effect for it that the test confirms with 80% power; *cannot confirm at this n* marks
a claim that no true value would confirm with 80% power. A *calibration target* is a claim whose
number a calibrated setting was fitted to: it is recorded as inconclusive and counted apart, never as
confirmed or refuted, with the fit achieved beside it. A *(prediction)* is a proposal's expectation
of results it had not measured: its verdict says whether it came true here. **Family** is the Holm family whose
p-values were adjusted together (declared with the claims). Each claim's protocol lists every
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
    selection: Mapping[str, Any] | None = None,
    sources: Mapping[str, Mapping[str, str]] | None = None,
    no_verdict: Sequence[Mapping[str, str]] = (),
    environment: Mapping[str, Mapping[str, str]] | None = None,
) -> str:
    """Text of ``claims.md``: one section per source document, one table row per claim.

    Every user-supplied string (statements, titles, protocol names, values and notes, details,
    reasons, the selection) is escaped (:func:`_text`, :func:`_code`), so none can add a heading,
    a table row or markup. Claim tests that ran without giving a verdict (``no_verdict``) are
    listed with their reasons, and the run's versions (``environment``) are named.

    A section's title comes from ``sources`` (the manifest), else from the document's first
    heading in ``sources_dir``; under it, whether its quotes were verified. Below each table,
    every claim's protocol and figures (linked from ``figures_dir``); at the end, the claims of
    other tiers that this run did not run (``not_run``). With no records it says plainly that
    nothing ran, and for which ``selection``, so an empty run never leaves an earlier report
    looking current.
    """
    records = _sorted(records)
    sdir = Path(sources_dir) if sources_dir is not None else None
    counts = Counter(category(r) for r in records)
    lines = [
        "# Claims report",
        "",
        f"Tier **{tier}**, master seed **{master_seed}**, device **{device}**. "
        f"{len(records)} claims: "
        + ", ".join(f"{counts.get(c, 0)} {c}" for c in [*(v.value for v in Verdict), CALIBRATION_TARGET])
        + ".",
        "",
        _LEGEND,
    ]
    if selection is not None:
        lines[4:4] = [f"Selection: {_code(_selection_text(selection))}.", ""]
    if environment:
        lines[4:4] = [_environment_text(environment), ""]
    if no_verdict:
        lines += [
            "## Claims without a verdict",
            "",
            f"{len(no_verdict)} claim tests ran but did not end well, so they give no verdict here and their "
            "ledger entries were kept:",
            "",
        ]
        lines += [f"- {_code(r['id'])}: {_text(r['reason'])}" for r in sorted(no_verdict, key=lambda r: r["id"])]
        lines.append("")
    if not records:
        lines += [
            "## Nothing ran",
            "",
            f"This run selected no claim test of the {tier} tier "
            f"({0 if selection is None else selection['collected']} claim tests collected before "
            "deselection), so there are no verdicts. The previous report was replaced so that it "
            "does not look current.",
            "",
        ]
    fragile = {row["id"]: row for row in (stability_rows or [])}
    by_source: dict[str, list[Mapping[str, Any]]] = {}
    for r in records:
        by_source.setdefault(r["source"], []).append(r)
    for source in sorted(by_source):
        info = (sources or {}).get(source, {})
        title = info.get("title") or _source_title(sdir, source)
        name = " ".join(source.split())  # validated by Claim: digits, '_', hex, '.txt'
        lines += [f"## {name}" + (f" — {_text(title)}" if title else ""), ""]
        if info.get("quotes"):
            lines += [f"*Source: {_text(info['quotes'])}.*", ""]
        lines += [
            "| Claim | Statement | Reported | Measured (estimate [CI]) | p against | p for | Test | Family | α | n "
            "| MDE against | MDE for | n for 80% power | Expected | Verdict |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in by_source[source]:
            reported = ", ".join(f"{_text(k)} = {_text(_fmt(v))}" for k, v in r["reported"].items()) or "—"
            measured = _fmt(r["estimate"]) + (f" [{_fmt(r['ci'][0])}, {_fmt(r['ci'][1])}]" if r["ci"] else "")
            mde_for = "cannot confirm at this n" if r.get("cannot_confirm") else _fmt(r.get("mde_confirm"))
            verdict = f"**{r['verdict']}**"
            if r.get("calibration_target"):
                verdict = f"**{CALIBRATION_TARGET}** ({_fit_text(r)})"
            if r["expected"] is not None and r["expected"] != r["verdict"]:
                verdict += " (changed)"
            if r["id"] in fragile and fragile[r["id"]]["fragile"]:
                verdict += f" (fragile: {fragile[r['id']]['stability']:.0%} of seeds)"
            test = _text(r["test"] if r["test"] == r["rule"] else f"{r['test']} ({r['rule']})")
            lines.append(
                "| "
                + " | ".join(
                    _cell(c)
                    for c in (
                        _code(r["id"]),
                        ("(prediction) " if r.get("prediction") else "") + f"“{_text(r['statement'])}”",
                        reported,
                        measured,
                        _fmt(r["p_value"]),
                        _fmt(r.get("p_confirm")),
                        test,
                        _text(r["family"]) if r.get("family") else "—",
                        _fmt(r["alpha"]),
                        _n_text(r),
                        _fmt(r["mde"]),
                        mde_for,
                        _plan_text(r.get("power_plan")),
                        r["expected"] or "— (not in ledger)",
                        verdict,
                    )
                )
                + " |"
            )
        lines.append("")
        for r in by_source[source]:
            lines.append(f"### {_code(r['id'])}")
            lines.append("")
            lines.append(f"> {_text(r['statement'], line_start=True)}")
            lines.append("")
            lines.append(
                f"Verdict **{r['verdict']}** by {_code(r['test'])} at α = {_fmt(r['alpha'])}, n = {_n_text(r)}; "
                f"measured {_fmt(r['estimate'])}"
                + (f" (CI [{_fmt(r['ci'][0])}, {_fmt(r['ci'][1])}])" if r["ci"] else "")
                + (
                    f"; claimed region [{_fmt(r['claimed_region'][0])}, {_fmt(r['claimed_region'][1])}]"
                    if r.get("claimed_region")
                    else ""
                )
                + f"; {r['duration_s']:.2f} s."
            )
            if r.get("calibration_target"):
                lines += ["", f"Calibration target, not evidence ({_fit_text(r)}): {r['calibration']['procedure']}"]
            if r["detail"]:
                lines.append("")
                details = "; ".join(f"{_text(k)} = {_text(_fmt(v))}" for k, v in r["detail"].items())
                lines.append(f"Details: {details}.")
            lines.append("")
            lines.append("Protocol:")
            lines.append("")
            for name, s in r["protocol"].items():
                note = f" — {_text(s['note'])}" if s["note"] else ""
                lines.append(f"- {_code(name)} = {_code(_fmt(s['value']))} (*{_text(s['status'])}*){note}")
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
                + ", ".join(f"{s}: {v}" for s, v in zip(row["seeds"], row["verdicts"], strict=True))
                + " |"
            )
        lines.append("")
    if not_run:
        lines += [
            "",
            f"## Not run in the {tier} tier",
            "",
            f"{len(not_run)} claims belong to another tier (run with `--claims-tier full`): "
            + ", ".join(_code(cid) for cid in sorted(not_run))
            + ".",
        ]
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
    selection: Mapping[str, Any] | None = None,
    run_id: str | None = None,
    sources: Mapping[str, Mapping[str, str]] | None = None,
    no_verdict: Sequence[Mapping[str, str]] = (),
    environment: Mapping[str, Mapping[str, str]] | None = None,
) -> list[Path]:
    """Publish ``claims.json``, ``claims.md``, ``figures/*.png`` (and ``stability.json`` when
    ``stability_rows`` is given) as one new report set of ``report_dir``; return the paths.

    ``records`` are those of ``master_seed``. Everything is rendered before the first write, and
    the set replaces the previous one as a whole (``harness.evidence.files.publish_set``, under
    ``report_dir``'s lock), so a failure or a kill at any point leaves the previous report
    complete, and figures or a ``stability.json`` that this run did not make are gone with it.
    ``run_id`` names the set (default: :func:`harness.evidence.files.new_run_id`).
    """
    return publish_set(
        report_dir,
        render_reports(
            records,
            master_seed=master_seed,
            tier=tier,
            device=device,
            sources_dir=sources_dir,
            stability_rows=stability_rows,
            stability_threshold=stability_threshold,
            not_run=not_run,
            selection=selection,
            sources=sources,
            no_verdict=no_verdict,
            environment=environment,
        ),
        run_id=run_id or new_run_id(),
        names=REPORT_FILES,
    )


def render_reports(
    records: Iterable[Mapping[str, Any]],
    *,
    master_seed: int,
    tier: str,
    device: str,
    sources_dir: str | os.PathLike[str] | None = None,
    stability_rows: Sequence[Mapping[str, Any]] | None = None,
    stability_threshold: float | None = None,
    not_run: Sequence[str] = (),
    selection: Mapping[str, Any] | None = None,
    sources: Mapping[str, Mapping[str, str]] | None = None,
    no_verdict: Sequence[Mapping[str, str]] = (),
    environment: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, bytes]:
    """The report set as ``{relative path: bytes}``: figures, ``claims.json``, ``stability.json``
    (with ``stability_rows``) and ``claims.md`` (see :func:`write_reports`)."""
    records = _sorted(records)
    if any(r["master_seed"] != master_seed for r in records):
        raise ValueError(f"write_reports got records of seeds other than {master_seed}")
    files: dict[str, bytes] = {}
    for r in records:
        for filename, b64 in r["figures"].items():
            files[f"figures/{filename}"] = base64.b64decode(b64)
    files["claims.json"] = claims_json(
        records,
        master_seed=master_seed,
        tier=tier,
        device=device,
        not_run=not_run,
        selection=selection,
        sources=sources,
        no_verdict=no_verdict,
        environment=environment,
    ).encode("utf-8")
    if stability_rows is not None:
        doc = {
            "schema": REPORT_SCHEMA,
            "tier": tier,
            "threshold": stability_threshold,
            "claims": [dict(row) for row in stability_rows],
        }
        files["stability.json"] = (json.dumps(doc, indent=2) + "\n").encode("utf-8")
    files["claims.md"] = claims_markdown(
        records,
        master_seed=master_seed,
        tier=tier,
        device=device,
        sources_dir=sources_dir,
        stability_rows=stability_rows,
        not_run=not_run,
        selection=selection,
        sources=sources,
        no_verdict=no_verdict,
        environment=environment,
    ).encode("utf-8")
    return files
