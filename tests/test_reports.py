"""Report artefacts (``harness.evidence.reports``): typed records, claims.json, claims.md, claims.html,
figures, stability, and publishing a set (complete, or partial beside the complete one)."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, replace
from html.parser import HTMLParser

import matplotlib.pyplot as plt
import pytest

from harness.evidence import files
from harness.evidence.claims import CalibrationTarget, Claim, Protocol, Setting
from harness.evidence.files import OWNER_MARK, PARTIAL_DIR, ReportDirError, report_dir_problem
from harness.evidence.reports import (
    REPORT_FILES,
    REPORT_SCHEMA,
    CalibrationFit,
    ClaimRecord,
    FigureRegistry,
    RunContext,
    build_sheet,
    make_record,
    no_verdict_record,
    render_reports,
    selection_record,
    stability,
    write_reports,
)
from harness.evidence.sources import Location
from harness.evidence.verdicts import Evidence, Verdict
from tests.helpers import tree

SRC_A = "002_12f8b00312862f98.txt"
SRC_B = "000_831d548a2327460f.txt"
RUN1, RUN2, RUN3 = (f"20261205T10000{i}Z-4{i}-0a0b0{i}" for i in range(3))  # report set names (files.new_run_id)


@dataclass(frozen=True)
class P(Protocol):
    # Population size.
    population: Setting = Setting(50, "stated", "table 3.2")
    # Optimizer learning rate.
    lr: Setting = Setting(0.01, "assumed", "the document does not say")


def claim(cid: str, source: str = SRC_A, statement: str = "Success rate 100% (50/50)", **kw) -> Claim:
    args = dict(id=cid, source=source, statement=statement, reported={"rate": 1.0}, protocol=P(), test="rate_at_least")
    return Claim(**{**args, "alpha": 0.05, "n": 50, **kw})


def evidence(v: Verdict = Verdict.CONFIRMED, estimate: float = 0.98, p: float | None = 0.01, **kw) -> Evidence:
    args = dict(verdict=v, estimate=estimate, ci=(0.9, 1.0), p_value=p, effect_size=0.1, n=50, alpha=0.05)
    return Evidence(
        **{**args, "test": "binomtest", "mde": 0.12, "detail": {"successes": 49}, "rule": "rate_at_least", **kw}
    )


def record(
    cid: str,
    v: Verdict = Verdict.CONFIRMED,
    *,
    source: str = SRC_A,
    seed: int = 0,
    expected: Verdict | None = Verdict.CONFIRMED,
    figures: tuple[str, ...] = (),
    statement: str = "Success rate 100% (50/50)",
    line: int | None = None,
    section: tuple[str, ...] = ("3. Results", "3.2 Performance"),
    claim_kw: dict | None = None,
    **ev,
) -> ClaimRecord:
    return make_record(
        claim(cid, source, statement, **(claim_kw or {})),
        evidence(v, **ev),
        tier="quick",
        master_seed=seed,
        expected=expected,
        duration_s=1.25,
        figures=figures,
        location=None if line is None else Location(line, section),
    )


def ctx(**kw) -> RunContext:
    return RunContext(**{"master_seed": 0, "tier": "quick", "device": "cpu", **kw})


def render(records, **kw) -> dict[str, str]:
    files = render_reports(records, ctx(**kw.pop("context", {})), **kw)
    return {k: v.decode("utf-8") for k, v in files.items() if not k.startswith("figures/")}


# ---------------------------------------------------------------------------- records


def test_record_round_trips_through_json_and_rejects_unknown_keys():
    r = record("002.a.x", line=12)
    assert ClaimRecord.from_json(json.loads(json.dumps(r.to_json()))) == r
    assert r.line == 12 and r.section == ("3. Results", "3.2 Performance") and r.kind == "rate_at_least"
    with pytest.raises(ValueError, match="unknown keys"):
        ClaimRecord.from_json({**r.to_json(), "surprise": 1})


def test_a_record_has_a_verdict_or_a_reason_never_both():
    with pytest.raises(ValueError, match="not both"):
        replace(record("002.a.x"), no_verdict_reason="failed")
    nv = no_verdict_record(
        claim("002.a.x"), tier="quick", master_seed=0, reason="failed in call: boom", expected=None, location=None
    )
    assert nv.verdict is None and nv.no_verdict_reason == "failed in call: boom" and nv.estimate is None
    assert ClaimRecord.from_json(nv.to_json()) == nv


def test_nan_becomes_null_and_a_missing_ledger_entry_is_null():
    r = record("002.a.x", estimate=float("nan"), p=None, expected=None)
    assert r.estimate is None and r.p_value is None and r.expected is None


# ---------------------------------------------------------------------------- claims.json


def test_claims_json_has_the_schema_keys_records_and_reason_categories():
    doc = json.loads(render([record("002.b.x"), record("002.a.x", Verdict.REFUTED)])["claims.json"])
    assert doc["schema"] == REPORT_SCHEMA == 2
    assert doc["complete"] is True and doc["partial_reason"] is None
    assert [c["id"] for c in doc["claims"]] == ["002.a.x", "002.b.x"]  # sorted by id
    row = doc["claims"][0]
    assert set(row) == set(ClaimRecord.__dataclass_fields__) | {"category", "measured", "variant"}
    assert row["category"] == "not_replicated" and doc["claims"][1]["category"] == "replicates"
    assert row["measured"] == {"value": 0.98, "ci": [0.9, 1.0], "label": "", "percent": True}
    assert row["protocol"]["lr"] == {"value": 0.01, "status": "assumed", "note": "the document does not say"}
    assert [c["key"] for c in doc["categories"]][:2] == ["replicates", "not_replicated"]


def test_claims_json_rejects_duplicate_records():
    with pytest.raises(ValueError, match="recorded twice"):
        render([record("002.a.x"), record("002.a.x")])


# ---------------------------------------------------------------------------- the sheet


def test_sheet_follows_the_documents_order_and_groups_a_statement():
    records = [
        record("002.z.first", line=5, section=("1. Setup",), statement="first sentence"),
        record("002.a.later", line=40, section=("3. Results",), statement="later sentence"),
        record("002.a.later_b", line=40, section=("3. Results",), statement="later sentence"),
        record("000.a.other", source=SRC_B, line=3, section=("Intro",), statement="other"),
    ]
    sheets = build_sheet(records)
    assert [s.source for s in sheets] == [SRC_B, SRC_A]
    a = sheets[1]
    assert [s.heading for s in a.sections] == ["1. Setup", "3. Results"]
    (statement,) = a.sections[1].statements
    assert [e.main.record.id for e in statement.entries] == ["002.a.later", "002.a.later_b"]


def test_sheet_without_the_document_orders_by_id_in_one_section():
    sheets = build_sheet([record("002.b.x"), record("002.a.x", statement="other")])
    assert [s.heading for s in sheets[0].sections] == [""]
    assert [r.record.id for r in sheets[0].rows] == ["002.a.x", "002.b.x"]


@dataclass(frozen=True)
class Reading(Protocol):
    # Which traces the data set holds.
    reading: Setting = Setting("all traces", "assumed", "reading A")


def _reading_record(cid: str, reading: str, v: Verdict) -> ClaimRecord:
    c = Claim(
        id=cid,
        source=SRC_B,
        statement="R2 0.9666",
        reported={"r2": 0.9666},
        protocol=Reading(reading=Setting(reading, "assumed", "a reading")),
        test="mean_equals",
        alpha=0.05,
        n=10,
    )
    ev = evidence(v, estimate=0.95, rule="mean_equals", ci=(0.94, 0.96))
    return make_record(c, ev, tier="quick", master_seed=0, expected=v, duration_s=0.1)


def test_two_readings_side_by_side_and_a_disagreement_depends_on_the_reading():
    main = _reading_record("000.t.r2", "solved traces", Verdict.CONFIRMED)
    other = _reading_record("000.t.r2_all_traces", "all traces", Verdict.REFUTED)
    (sheet,) = build_sheet([main, other])
    (entry,) = sheet.sections[0].statements[0].entries
    assert entry.main.record.id == "000.t.r2" and [v.record.id for v in entry.variants] == ["000.t.r2_all_traces"]
    assert entry.main.category.key == "depends" and entry.variants[0].category.key == "depends"
    assert entry.variants[0].variant == "reading = all traces" and entry.variants[0].survives is False
    assert "holds under 0 of 1" in entry.survival()
    agree = _reading_record("000.t.r2_all_traces", "all traces", Verdict.CONFIRMED)
    (sheet,) = build_sheet([main, agree])
    assert sheet.rows[0].category.key == "replicates" and sheet.rows[1].survives is True


def test_a_sweep_names_its_main_claim_and_its_survival_counts():
    main = record("002.s.main")
    sweeps = [
        record(f"002.s.sweep_{i}", v, detail={"main_claim": "002.s.main", "survives": s})
        for i, (v, s) in enumerate([(Verdict.CONFIRMED, True), (Verdict.REFUTED, False), (Verdict.INCONCLUSIVE, None)])
    ]
    (sheet,) = build_sheet([main, *sweeps])
    (entry,) = [e for s in sheet.sections for st in s.statements for e in st.entries]
    assert [v.survives for v in entry.variants] == [True, False, None]
    assert entry.main.category.key == "depends"
    assert [v.category.key for v in entry.variants] == ["replicates", "depends", "undecided"]
    assert entry.survival() == "the verdict holds under 1 of 3 other readings or settings (1 undecided at fewer runs)"


@pytest.mark.parametrize(
    "kw, rule_kw, category",
    [
        ({"v": Verdict.REFUTED}, {"test": "self_consistency"}, "contradicts_itself"),
        ({"v": Verdict.CONFIRMED}, {"test": "self_consistency"}, "replicates"),
        ({"v": Verdict.INCONCLUSIVE, "rule": "not_testable"}, {}, "not_testable"),
        ({"v": Verdict.INCONCLUSIVE}, {}, "undecided"),
        ({"v": Verdict.REFUTED}, {}, "not_replicated"),
    ],
)
def test_one_reason_category_per_verdict(kw, rule_kw, category):
    v = kw.pop("v")
    r = record("002.a.x", v, claim_kw=rule_kw, **({"rule": "exact_value"} if rule_kw else {}), **kw)
    (sheet,) = build_sheet([r])
    assert sheet.rows[0].category.key == category


def _target_record(v: Verdict) -> ClaimRecord:
    target = CalibrationTarget(("noise",), "fitted to this number (calibration.py)")
    return record("002.a.x", v, claim_kw={"calibration_target": target})


@pytest.mark.parametrize("fit", [Verdict.CONFIRMED, Verdict.REFUTED])
def test_a_calibration_target_is_recorded_inconclusive_with_its_fit(fit):
    row = json.loads(render([_target_record(fit)])["claims.json"])["claims"][0]
    assert row["verdict"] == "inconclusive" and row["calibration_target"] is True
    assert row["category"] == "calibration_target"
    assert row["calibration"] == {
        "settings": ["noise"],
        "procedure": "fitted to this number (calibration.py)",
        "fit_verdict": fit.value,
        "fit_estimate": 0.98,
        "fit_ci": [0.9, 1.0],
    }
    plain = record("002.b.x")
    assert plain.calibration_target is False and plain.calibration is None


def test_a_calibration_targets_fit_is_typed_and_round_trips_through_json():
    target = _target_record(Verdict.CONFIRMED)
    assert isinstance(target.calibration, CalibrationFit) and target.calibration.settings == ("noise",)
    assert ClaimRecord.from_json(json.loads(json.dumps(target.to_json()))) == target
    with pytest.raises(ValueError, match="fit_verdict"):
        ClaimRecord.from_json(
            {**target.to_json(), "calibration": {**target.calibration.to_json(), "fit_verdict": "maybe"}}
        )


def test_a_calibration_target_is_its_own_category_with_its_fit_in_claims_md():
    md = render([_target_record(Verdict.CONFIRMED), record("002.b.x")])["claims.md"]
    assert "| calibration target | 1 |" in md  # the counts table
    assert "| **inconclusive** (ledger: confirmed) | calibration target (fit: confirmed) |" in md


def test_a_prediction_is_flagged_in_claims_json_and_claims_md():
    predicted = record("002.a.x", claim_kw={"prediction": True})
    assert predicted.prediction is True and record("002.b.x").prediction is False
    md = render([predicted])["claims.md"]
    assert "| (prediction) “Success rate 100% (50/50)” |" in md


def test_estimate_in_the_documents_units_when_the_evidence_declares_them():
    units = {"in_document_units": {"value": 21.0, "ci": [19.0, 24.0], "label": "our median"}}
    r = record("002.a.median", estimate=1.0, detail=units, rule="rate_equals")
    md = render([r])["claims.md"]
    assert "| 21 [19, 24] (our median) |" in md and "| 100% [" not in md


def test_a_sample_quantile_claim_shows_our_quantile_not_the_rules_rate():
    detail = {"quantile_level": 0.5, "document_n": 50, "our_quantile": 21.0}
    r = record("002.a.median", estimate=0.98, detail=detail, rule="quantile_matches")
    md, html = (render([r])[name] for name in ("claims.md", "claims.html"))
    assert "| 21 (our median) |" in md and "98%" not in md
    assert "rule&#x27;s statistic [CI]" in html  # the rule's own estimate stays in the details, labelled apart


# ---------------------------------------------------------------------------- claims.md


def test_markdown_is_a_compact_sheet_per_document_with_counts_and_links():
    records = [
        record("002.a.x", statement="Perfect success | 100%", line=70, section=("3. Results", "3.2 Performance")),
        record("002.a.y", Verdict.REFUTED, expected=Verdict.CONFIRMED, line=71),
        record("000.a.z", source=SRC_B, line=4, section=("1. Setup",)),
    ]
    sources = {SRC_A: {"title": "Results: Loss-Based Sampling", "sha256": "0" * 64, "quotes": "verified"}}
    md = render(records, context={"sources": sources})["claims.md"]
    assert "## 002 — Results: Loss\\-Based Sampling" in md or "## 002 — Results: Loss-Based Sampling" in md
    assert md.index(f"## {SRC_B}") < md.index("## 002")  # documents in order
    assert "### 3\\. Results" in md or "### 3. Results" in md
    assert "“Perfect success \\| 100%”" in md  # statement quoted, pipe escaped inside the table
    assert "| 98% [90%, 100%] |" in md  # a rate in the document's units
    assert "**refuted** (ledger: confirmed)" in md  # a verdict that differs from the ledger is named
    assert "[`002.a.x`](claims.html#002.a.x)" in md  # details live in the HTML
    assert "| replicates | 2 |" in md and "| does not replicate | 1 |" in md
    assert "3.2 Performance, line 70" in md
    assert "**complete run** · tier **quick** · master seed **0**" in md


def test_markdown_stays_within_two_kilobytes_per_claim():
    records = [record(f"002.a.x{i}", statement=f"sentence {i} " + "words " * 30, line=i + 1) for i in range(20)]
    assert len(render(records)["claims.md"].encode("utf-8")) < 2048 * len(records)


def test_empty_report_names_the_selection_and_says_nothing_ran():
    selection = selection_record(["claims"], "plateau", "not slow", 12)
    out = render([], context={"selection": selection, "complete": False, "partial_reason": "-k 'plateau'"})
    doc = json.loads(out["claims.json"])
    assert doc["claims"] == [] and doc["selection"] == {
        "args": ["claims"],
        "keyword": "plateau",
        "markexpr": "not slow",
        "collected": 12,
    }
    md = out["claims.md"]
    assert "Selection: `claims -k 'plateau' -m 'not slow'`." in md
    assert "## Nothing ran" in md and "12 claim tests collected before deselection" in md
    assert "**This is a partial run**" in md and "Nothing ran" in out["claims.html"]


def test_claims_without_a_verdict_are_listed_in_every_report():
    nv = no_verdict_record(
        claim("002.a.y"), tier="quick", master_seed=0, reason="failed in call: boom", expected=None, location=None
    )
    out = render([record("002.a.x"), nv])
    assert "- `002.a.y`: failed in call: boom" in out["claims.md"]
    assert json.loads(out["claims.json"])["no_verdict"][0]["no_verdict_reason"] == "failed in call: boom"
    assert "failed in call: boom" in out["claims.html"]


INJECTIONS = [
    "plain",
    "two\nlines",
    "x\n\n## Injected heading\n",
    "| a | b |\n|---|---|\n| c | d |",
    "`code` and ``double`` and a lone ` tick",
    "ends with a tick`",
    "- a list\n1. item",
    "<script>alert(1)</script> &amp; [link](http://x) *em* _em_ # not a heading",
    "\"><img src=x onerror=alert(1)> ' onmouseover='x",
]


def _hostile(text: str) -> list[ClaimRecord]:
    r = record("002.a.x", statement=text, line=3, section=(text, text))
    r = replace(
        r,
        detail={text: text},
        protocol={"name`" + text: {"value": text, "status": "assumed", "note": text}},
        test=text,
        rule=text,
        family=text,
        reported={text: text},
        subset=text,
        population_n=r.n + 7,
    )
    nv = no_verdict_record(claim("002.a.y"), tier="quick", master_seed=0, reason=text, expected=None, location=None)
    return [r, nv]


@pytest.mark.parametrize("text", INJECTIONS, ids=range(len(INJECTIONS)))
def test_user_strings_cannot_inject_markdown_into_claims_md(text):
    """Issue 19 item 6: statements, headings, numbers, reasons, titles, subsets and the selection add no heading,
    table row, list item or HTML, wherever claims.md renders them."""
    sources = {SRC_A: {"title": text, "sha256": "0" * 64, "quotes": text}}
    md = render(_hostile(text), context={"selection": selection_record(["claims"], text, None, 1), "sources": sources})[
        "claims.md"
    ]
    lines = md.splitlines()
    headings = [ln for ln in lines if ln.startswith("#")]
    assert headings[0] == "# Claims report" and headings[1] == "## Claims without a verdict"
    assert len(headings) == 4 and headings[2].startswith("## 002 — ") and headings[3].startswith("### ")
    table = [ln for ln in lines if ln.startswith("|") and "002.a.x" in ln]
    header = next(ln for ln in lines if ln.startswith("| Where |"))
    assert len(table) == 1
    assert all(ln.count("|") - ln.count("\\|") == header.count("|") for ln in table)  # no cell added or lost
    assert [ln for ln in lines if ln.startswith("- ")] == [ln for ln in lines if ln.startswith("- `002.a.y`")]
    outside_code = re.sub(r"(`+).*?\1", "", md)
    assert not re.search(r"(?<!\\)<", outside_code)  # no raw HTML outside code spans


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


@pytest.mark.parametrize("text", INJECTIONS, ids=range(len(INJECTIONS)))
def test_user_strings_cannot_inject_html_into_claims_html(text):
    sources = {SRC_A: {"title": text, "sha256": "0" * 64, "quotes": text}}
    html = render(
        _hostile(text), context={"selection": selection_record(["claims"], text, None, 1), "sources": sources}
    )["claims.html"]
    parser = _Tags()
    parser.feed(html)
    tags = [t for t, _ in parser.tags]
    assert tags.count("script") == 1  # only the page's own script
    assert not any(k.startswith("on") for _, attrs in parser.tags for k in attrs)  # no event handler attribute
    assert all(a["src"].startswith("data:image/png;base64,") for t, a in parser.tags if t == "img")


def test_html_is_self_contained_and_embeds_figures():
    reg = FigureRegistry()
    reg.add("002.a.x", "curve", plt.figure())
    r = record("002.a.x", figures=reg.names(), line=3)
    html = render_reports([r], ctx(), figures=dict(reg.items()))["claims.html"].decode()
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # nothing loaded from elsewhere
    assert html.count("data:image/png;base64,") >= 2  # the claim's figure and the overview
    assert 'id="002.a.x"' in html and 'data-category="replicates"' in html


# ---------------------------------------------------------------------------- figures


def test_figure_registry_renders_png_and_closes_figure():
    reg = FigureRegistry()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    name = reg.add("002.a.x", "curve", fig)
    assert name == "002.a.x.curve.png" and reg.names() == (name,)
    assert not plt.fignum_exists(fig.number)
    ((filename, png),) = reg.items()
    assert filename == name and png.startswith(b"\x89PNG")


def test_figure_png_bytes_are_deterministic():
    def draw():
        fig, ax = plt.subplots()
        ax.bar(["a", "b"], [1, 2])
        return fig

    a, b = FigureRegistry(), FigureRegistry()
    a.add("002.a.x", "bars", draw())
    b.add("002.a.x", "bars", draw())
    assert a.items() == b.items()


def test_figure_registry_rejects_bad_input():
    reg = FigureRegistry()
    fig = plt.figure()
    with pytest.raises(ValueError, match="figure name"):
        reg.add("002.a.x", "Bad Name", fig)
    reg.add("002.a.x", "ok", fig)
    with pytest.raises(ValueError, match="already registered"):
        reg.add("002.a.x", "ok", plt.figure())
    with pytest.raises(ValueError, match="matplotlib Figure"):
        reg.add("002.a.x", "other", object())
    plt.close("all")


def test_a_record_naming_a_figure_that_was_not_rendered_is_an_error():
    with pytest.raises(ValueError, match="not rendered"):
        render_reports([record("002.a.x", figures=("002.a.x.gone.png",))], ctx())


def test_overview_figures_per_document():
    records = [record(f"002.a.x{i}", estimate=0.9 + i / 100, line=i + 1, claimed_region=(0.95, 1.0)) for i in range(3)]
    files = render_reports(records, ctx())
    assert {"figures/overview-002-numbers.png", "figures/overview-002-sections.png"} <= set(files)
    assert (
        "![002: the document's numbers against our estimates, with CIs](figures/overview-002-numbers.png)"
        in files["claims.md"].decode()
    )


# ---------------------------------------------------------------------------- writing


def test_write_reports_writes_json_md_html_and_linked_figures(tmp_path):
    reg = FigureRegistry()
    reg.add("002.a.x", "curve", plt.figure())
    out = tmp_path / "reports"
    written = write_reports(out, [record("002.a.x", figures=reg.names())], ctx(), figures=dict(reg.items()))
    names = sorted(p.relative_to(out).as_posix() for p in written)
    assert names[:3] == ["claims.html", "claims.json", "claims.md"] and "figures/002.a.x.curve.png" in names
    assert (out / "figures" / "002.a.x.curve.png").read_bytes().startswith(b"\x89PNG")
    assert json.loads((out / "claims.json").read_text())["claims"][0]["figures"] == ["002.a.x.curve.png"]
    assert [p.name for p in out.rglob("*") if p.name.endswith(".tmp")] == []


def test_write_reports_renders_everything_before_writing(tmp_path):
    out = tmp_path / "reports"
    write_reports(out, [record("002.a.x")], ctx())
    before = (out / "claims.json").read_text()
    bad = replace(record("002.a.y"), estimate=float("nan"))  # bypasses make_record: allow_nan=False must fail
    with pytest.raises(ValueError):
        write_reports(out, [record("002.a.x"), bad], ctx())
    assert (out / "claims.json").read_text() == before


def test_write_reports_publishes_one_set_behind_fixed_links(tmp_path):
    out = tmp_path / "reports"
    reg = FigureRegistry()
    reg.add("002.a.x", "curve", plt.figure())
    write_reports(out, [record("002.a.x", figures=reg.names())], ctx(), figures=dict(reg.items()), run_id=RUN1)
    assert {p.name: os.readlink(p) for p in out.iterdir() if p.is_symlink()} == {
        "claims.json": "current/claims.json",
        "claims.md": "current/claims.md",
        "claims.html": "current/claims.html",
        "figures": "current/figures",
        "current": f"sets/{RUN1}",
    }
    write_reports(out, [record("002.a.y")], ctx(), run_id=RUN2)
    assert [p.name for p in (out / "sets").iterdir()] == [RUN2]  # the old set, its figure included, is gone
    assert not (out / "figures" / "002.a.x.curve.png").exists()
    assert json.loads((out / "claims.json").read_text())["claims"][0]["id"] == "002.a.y"


def test_a_partial_run_is_published_beside_the_complete_report_and_retired_by_the_next(tmp_path):
    out = tmp_path / "reports"
    write_reports(out, [record("002.a.x"), record("002.a.y")], ctx(), run_id=RUN1)
    complete = (out / "claims.json").read_text()
    partial = ctx(complete=False, partial_reason="1 of 2 claims of the quick tier did not run: -k 'y'")
    written = write_reports(out, [record("002.a.y", Verdict.REFUTED)], partial, run_id=RUN2)
    assert (out / "claims.json").read_text() == complete  # the last complete report is untouched
    assert all(PARTIAL_DIR in p.parts for p in written)
    doc = json.loads((out / PARTIAL_DIR / "claims.json").read_text())
    assert doc["complete"] is False and doc["partial_reason"].startswith("1 of 2 claims")
    assert "PARTIAL run" in (out / PARTIAL_DIR / "claims.html").read_text()
    assert (out / PARTIAL_DIR / OWNER_MARK).is_file()
    write_reports(out, [record("002.a.x"), record("002.a.y")], ctx(), run_id=RUN3)
    assert not (out / PARTIAL_DIR).exists()  # a newer complete report retires the partial one


def test_retiring_a_partial_report_keeps_the_users_files_in_it(tmp_path):
    out = tmp_path / "reports"
    write_reports(out, [record("002.a.y")], ctx(complete=False, partial_reason="-k"), run_id=RUN2)
    (out / PARTIAL_DIR / "notes.txt").write_text("mine")
    write_reports(out, [record("002.a.x")], ctx(), run_id=RUN1)
    assert tree(out / PARTIAL_DIR) == {OWNER_MARK: (out / PARTIAL_DIR / OWNER_MARK).read_text(), "notes.txt": "mine"}


@pytest.mark.parametrize(
    "entries",
    [
        pytest.param({"figures/mine.png": "png", "notes.txt": "x"}, id="user-figures-tree"),
        pytest.param({"stability.json": "{}", "claims.md": "my notes"}, id="user-report-names"),
        pytest.param({"sets/keep/a.txt": "a", "current/b.txt": "b"}, id="user-sets-and-current"),
        pytest.param({".draft.tmp": "mine", "README.md": "kept"}, id="user-temp-file"),
        pytest.param({"claims.json": "{}"}, id="report-written-before-sets-existed"),
        pytest.param({"partial/mine.txt": "x"}, id="user-partial-dir"),
        pytest.param({"sets/holiday/photo.txt": "photo"}, id="user-sets-only"),
        pytest.param({".lock": "mine"}, id="user-lock-only"),
        pytest.param({f"sets/{RUN1}/claims.md": "x", "sets/holiday/photo.txt": "p"}, id="user-set-beside-a-run-id"),
    ],
)
def test_write_reports_refuses_a_directory_it_did_not_make_and_touches_nothing(tmp_path, entries):
    """Issue 19 item 1: a folder that holds the user's files is refused, naming it; nothing in it changes."""
    out = tmp_path / "reports"
    for rel, text in entries.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text)
    before = tree(out)
    with pytest.raises(ReportDirError, match=f"'{out}' is not empty and was not made by the claims plugin"):
        write_reports(out, [record("002.a.x")], ctx(), run_id=RUN1)
    assert tree(out) == before


@pytest.mark.parametrize(
    "name, make",
    [
        pytest.param("claims.md", lambda p: p.write_text("mine"), id="regular-claims-md"),
        pytest.param("claims.html", lambda p: p.write_text("mine"), id="regular-claims-html"),
        pytest.param("figures", lambda p: p.mkdir(), id="real-figures-dir"),
        pytest.param("current", lambda p: p.mkdir(), id="real-current-dir"),
        pytest.param("stability.json", lambda p: os.symlink("/etc/hostname", p), id="foreign-link"),
        pytest.param("partial", lambda p: (p.mkdir(), (p / "x").write_text("mine")), id="unmarked-partial-dir"),
    ],
)
def test_write_reports_refuses_an_entry_it_did_not_make_in_its_own_directory(tmp_path, name, make):
    out = tmp_path / "reports"
    write_reports(out, [record("002.a.x")], ctx(), run_id=RUN1)
    if os.path.lexists(out / name):
        (out / name).unlink()
    make(out / name)
    before = tree(out)
    with pytest.raises(ReportDirError, match=f"'{out / name}' was not made by the claims plugin"):
        write_reports(out, [record("002.a.y")], ctx(), run_id=RUN2)
    assert tree(out) == before


def test_write_reports_marks_its_directory_and_leaves_the_users_files_in_it(tmp_path):
    out = tmp_path / "reports"
    write_reports(out, [record("002.a.x")], ctx(), run_id=RUN1)
    assert (out / OWNER_MARK).is_file()
    (out / "notes.md").write_text("mine")
    (out / ".notes.md.x.tmp").write_text("mine too")
    write_reports(out, [record("002.a.y")], ctx(), run_id=RUN2)
    assert (out / "notes.md").read_text() == "mine" and (out / ".notes.md.x.tmp").read_text() == "mine too"


def test_write_reports_adopts_the_set_layout_of_an_earlier_version(tmp_path):
    """A directory holding only an earlier version's set (no mark yet) is the plugin's: adopted and marked."""
    out = tmp_path / "reports"
    write_reports(out, [record("002.a.x")], ctx(), run_id=RUN1)
    (out / OWNER_MARK).unlink()
    (out / "claims.html").unlink()  # an earlier version wrote no HTML
    (out / ".claims.md.abc123.tmp").write_text("left by a killed writer")
    write_reports(out, [record("002.a.y")], ctx(), run_id=RUN2)
    assert sorted(p.name for p in out.iterdir()) == [
        OWNER_MARK,
        ".lock",
        "claims.html",
        "claims.json",
        "claims.md",
        "current",
        "figures",
        "sets",
    ]
    assert json.loads((out / "claims.json").read_text())["claims"][0]["id"] == "002.a.y"


def test_an_earlier_layout_is_adopted_only_with_current_linking_to_a_run_set_and_nothing_else_in_sets(tmp_path):
    """Review B2: ``sets/`` holding a user's folder beside a real earlier set is refused, untouched."""
    out = tmp_path / "reports"
    write_reports(out, [record("002.a.x")], ctx(), run_id=RUN1)
    (out / OWNER_MARK).unlink()
    (out / "sets" / "holiday").mkdir()
    (out / "sets" / "holiday" / "photo.txt").write_text("photo")
    before = tree(out)
    with pytest.raises(ReportDirError, match="is not empty and was not made by the claims plugin"):
        write_reports(out, [record("002.a.y")], ctx(), run_id=RUN2)
    assert tree(out) == before


def test_publishing_removes_only_run_id_named_sets_from_its_own_directory(tmp_path):
    """Review B2: ``_remove_old`` deleted every entry of ``sets/`` but the new set."""
    out = tmp_path / "reports"
    write_reports(out, [record("002.a.x")], ctx(), run_id=RUN1)
    (out / "sets" / "holiday").mkdir()
    (out / "sets" / "holiday" / "photo.txt").write_text("photo")
    write_reports(out, [record("002.a.y")], ctx(), run_id=RUN2)
    assert sorted(p.name for p in (out / "sets").iterdir()) == [RUN2, "holiday"]
    assert (out / "sets" / "holiday" / "photo.txt").read_text() == "photo"


def test_a_set_name_that_is_not_a_run_id_is_refused(tmp_path):
    with pytest.raises(ValueError, match="run_id must be a name new_run_id"):
        write_reports(tmp_path / "r", [record("002.a.x")], ctx(), run_id="x")
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("below", ["", "reports"], ids=["the-file", "below-the-file"])
def test_a_report_path_that_is_or_lies_below_a_file_is_a_problem_before_any_write(tmp_path, below):
    """Review M5: it was "left to fail when written", after the whole run."""
    (tmp_path / "file").write_text("mine")
    problem = report_dir_problem(tmp_path / "file" / below, ["claims.json"])
    assert problem == (
        f"report directory {str(tmp_path / 'file' / below)!r} cannot be made: {str(tmp_path / 'file')!r} is not a directory"
    )
    assert report_dir_problem(tmp_path / "new" / "reports", ["claims.json"]) is None


def test_the_folder_is_checked_once_before_and_once_under_the_lock_that_the_plugin_holds(tmp_path, monkeypatch):
    """Review M9: it was checked four times a run; publishing inside the held lock checks nothing again."""
    checks = []
    check = files.report_dir_problem
    monkeypatch.setattr(files, "report_dir_problem", lambda *a, **k: checks.append(a[0]) or check(*a, **k))
    out = tmp_path / "reports"
    with files.locked_report_dir(out, REPORT_FILES):
        write_reports(out, [record("002.a.x")], ctx(), run_id=RUN1)
    assert checks == [out, out]


def test_write_reports_to_a_file_raises_os_error_and_leaves_no_set(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(OSError):
        write_reports(tmp_path / "file" / "reports", [record("002.a.x")], ctx())


def test_write_reports_refuses_records_of_another_seed(tmp_path):
    with pytest.raises(ValueError, match="seeds other than 0"):
        write_reports(tmp_path, [record("002.a.x", seed=1)], ctx())


# ---------------------------------------------------------------------------- stability


def test_stability_fraction_and_fragile_flag():
    V = Verdict
    records = [record("002.a.x", v, seed=s) for s, v in enumerate([V.CONFIRMED, V.CONFIRMED, V.REFUTED, V.CONFIRMED])]
    records += [record("002.a.y", V.INCONCLUSIVE, seed=s) for s in range(4)]
    ledger = {"002.a.x": {"quick": V.CONFIRMED}}
    rows = stability(records, ledger, tier="quick", threshold=0.8)
    assert rows[0].to_json() == {
        "id": "002.a.x",
        "reference": "confirmed",
        "in_ledger": True,
        "seeds": [0, 1, 2, 3],
        "verdicts": ["confirmed", "confirmed", "refuted", "confirmed"],
        "stability": 0.75,
        "fragile": True,
    }
    assert rows[1].reference == "inconclusive" and not rows[1].in_ledger
    assert rows[1].stability == 1.0 and rows[1].fragile is False
    assert stability(records, ledger, tier="quick", threshold=0.75)[0].fragile is False


def test_stability_section_and_file(tmp_path):
    records = [record("002.a.x", Verdict.REFUTED if s == 1 else Verdict.CONFIRMED, seed=s) for s in range(2)]
    rows = tuple(stability(records, {}, tier="quick", threshold=0.8))
    write_reports(tmp_path, records[:1], ctx(stability_rows=rows, stability_threshold=0.8))
    md = (tmp_path / "claims.md").read_text()
    assert "## Verdict stability over master seeds" in md
    assert "| `002.a.x` | confirmed (not in ledger) | 50% | **yes** | 0: confirmed, 1: refuted |" in md
    assert "(fragile: 50% of seeds)" in md
    doc = json.loads((tmp_path / "stability.json").read_text())
    assert doc["threshold"] == 0.8 and doc["claims"][0]["fragile"] is True


def test_single_seed_report_removes_stale_stability_file(tmp_path):
    records = [record("002.a.x", seed=s) for s in range(2)]
    rows = tuple(stability(records, {}, tier="quick", threshold=0.8))
    write_reports(tmp_path, records[:1], ctx(stability_rows=rows, stability_threshold=0.8))
    assert (tmp_path / "stability.json").exists()
    write_reports(tmp_path, records[:1], ctx())
    assert not (tmp_path / "stability.json").exists()


def test_records_carry_the_power_plan_and_the_html_shows_it():
    r = record("002.a.x")  # n = 50, mde = 0.12 at estimate 0.98: 10% resolution 0.098
    plan = r.power_plan
    assert plan is not None and plan["n_needed"] == 75 and plan["resolution_basis"].startswith("10% of |estimate|")
    html = render([r])["claims.html"]
    assert f"75 (full {plan['n_full']}: {plan['status']})" in html


def test_an_interval_not_at_one_minus_alpha_names_its_level_in_the_estimate_cell():
    """The header promises level 1 - alpha "unless named": a rule whose interval is another level
    (median_in's 0.975, Brunner-Munzel's 1 - alpha / 1.1) says it beside the estimate; 0.95 is not named."""
    other = record("002.a.x", detail={"ci_level": 0.975})
    usual = record("002.a.y", detail={"ci_level": 0.95})
    md = render([other, usual])["claims.md"]
    row_x = next(line for line in md.splitlines() if "002.a.x" in line and "|" in line)
    row_y = next(line for line in md.splitlines() if "002.a.y" in line and "|" in line)
    assert "0.975 interval" in row_x and "interval" not in row_y
