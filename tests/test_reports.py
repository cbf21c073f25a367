"""Report artefacts (``harness.evidence.reports``): claims.json schema, claims.md, figures, stability."""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import re
from dataclasses import dataclass

import matplotlib.pyplot as plt
import pytest

from harness.evidence import files
from harness.evidence.claims import CalibrationTarget, Claim, Protocol, Setting
from harness.evidence.files import OWNER_MARK, ReportDirError, report_dir_problem
from harness.evidence.reports import (
    CLAIM_KEYS,
    REPORT_FILES,
    FigureRegistry,
    claims_json,
    claims_markdown,
    make_record,
    selection_record,
    stability,
    write_reports,
)
from harness.evidence.verdicts import Evidence, Verdict
from tests.helpers import tree

SRC_A = "002_12f8b00312862f98.txt"
SRC_B = "000_831d548a2327460f.txt"
RUN1, RUN2 = "20261205T100000Z-41-0a0b0c", "20261205T100100Z-42-0d0e0f"  # report set names (files.new_run_id)


@dataclass(frozen=True)
class P(Protocol):
    # Population size.
    population: Setting = Setting(50, "stated", "table 3.2")
    # Optimizer learning rate.
    lr: Setting = Setting(0.01, "assumed", "the document does not say")


def claim(cid: str, source: str = SRC_A, statement: str = "Success rate 100% (50/50)") -> Claim:
    return Claim(
        id=cid,
        source=source,
        statement=statement,
        reported={"rate": 1.0},
        protocol=P(),
        test="rate_at_least",
        alpha=0.05,
        n=50,
    )


def evidence(v: Verdict = Verdict.CONFIRMED, estimate: float = 0.98, p: float | None = 0.01) -> Evidence:
    return Evidence(
        verdict=v,
        estimate=estimate,
        ci=(0.9, 1.0),
        p_value=p,
        effect_size=0.1,
        n=50,
        alpha=0.05,
        test="binomtest",
        mde=0.12,
        detail={"successes": 49},
    )


def record(
    cid: str,
    v: Verdict = Verdict.CONFIRMED,
    *,
    source: str = SRC_A,
    seed: int = 0,
    expected: Verdict | None = Verdict.CONFIRMED,
    figures=None,
    statement: str = "Success rate 100% (50/50)",
    **ev,
) -> dict:
    return make_record(
        claim(cid, source, statement),
        evidence(v, **ev),
        tier="quick",
        master_seed=seed,
        expected=expected,
        duration_s=1.25,
        figures=figures,
    )


def test_claims_json_has_exactly_the_schema_keys():
    doc = json.loads(claims_json([record("002.b.x"), record("002.a.x")], master_seed=0, tier="quick", device="cpu"))
    assert list(doc) == [
        "schema",
        "master_seed",
        "tier",
        "device",
        "claims",
        "not_run",
        "no_verdict",
        "selection",
        "environment",
    ]
    assert doc["schema"] == 1 and doc["master_seed"] == 0 and doc["tier"] == "quick" and doc["device"] == "cpu"
    assert list(doc["claims"][0]) == [
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
        "family",
        "p_confirm",
        "mde_confirm",
        "cannot_confirm",
        "power_plan",
        "calibration_target",
        "calibration",
        "prediction",
    ]
    assert list(CLAIM_KEYS) == list(doc["claims"][0])
    assert [c["id"] for c in doc["claims"]] == ["002.a.x", "002.b.x"]  # sorted by id
    row = doc["claims"][0]
    assert row["ci"] == [0.9, 1.0] and row["verdict"] == "confirmed" and row["expected"] == "confirmed"
    assert row["protocol"]["lr"] == {"value": 0.01, "status": "assumed", "note": "the document does not say"}
    assert row["duration_s"] == 1.25


def _target_record(v: Verdict) -> dict:
    target = CalibrationTarget(("noise",), "fitted to this number (calibration.py)")
    return make_record(
        dataclasses.replace(claim("002.a.x"), calibration_target=target),
        evidence(v),
        tier="quick",
        master_seed=0,
        expected=None,
        duration_s=0.5,
    )


@pytest.mark.parametrize("fit", [Verdict.CONFIRMED, Verdict.REFUTED])
def test_calibration_target_is_recorded_inconclusive_with_its_fit(fit):
    row = json.loads(claims_json([_target_record(fit)], master_seed=0, tier="quick", device="cpu"))["claims"][0]
    assert row["verdict"] == "inconclusive" and row["calibration_target"] is True
    assert row["calibration"] == {
        "settings": ["noise"],
        "procedure": "fitted to this number (calibration.py)",
        "fit_verdict": fit.value,
        "fit_estimate": 0.98,
        "fit_ci": [0.9, 1.0],
    }
    assert record("002.b.x")["calibration_target"] is False and record("002.b.x")["calibration"] is None


def test_calibration_target_is_its_own_category_in_claims_md():
    md = claims_markdown(
        [_target_record(Verdict.CONFIRMED), record("002.b.x")], master_seed=0, tier="quick", device="cpu"
    )
    assert "2 claims: 1 confirmed, 0 refuted, 0 inconclusive, 1 calibration target." in md
    assert "**calibration target** (fit: confirmed, 0.98 [0.9, 1]; fitted: noise)" in md
    assert "Calibration target, not evidence (fit: confirmed" in md


def test_a_prediction_is_flagged_in_claims_json_and_claims_md():
    predicted = make_record(
        dataclasses.replace(claim("002.a.x"), prediction=True),
        evidence(),
        tier="quick",
        master_seed=0,
        expected=None,
        duration_s=0.5,
    )
    assert predicted["prediction"] is True and record("002.b.x")["prediction"] is False
    md = claims_markdown([predicted], master_seed=0, tier="quick", device="cpu")
    assert "| (prediction) “Success rate 100% (50/50)” |" in md


def test_claims_json_maps_nan_to_null_and_missing_ledger_to_null():
    doc = json.loads(
        claims_json(
            [record("002.a.x", estimate=float("nan"), p=None, expected=None)], master_seed=3, tier="full", device="cuda"
        )
    )
    row = doc["claims"][0]
    assert row["estimate"] is None and row["p_value"] is None and row["expected"] is None


def test_claims_json_rejects_duplicate_records():
    with pytest.raises(ValueError, match="recorded twice"):
        claims_json([record("002.a.x"), record("002.a.x")], master_seed=0, tier="quick", device="cpu")


def test_markdown_has_a_section_per_source_and_a_readable_row_per_claim(tmp_path):
    (tmp_path / SRC_A).write_text("# Results: Loss-Based Sampling\n\nbody\n")
    records = [
        record("002.a.x", statement="Perfect success | 100%"),
        record("002.a.y", Verdict.REFUTED, expected=Verdict.CONFIRMED),
        record("000.a.z", source=SRC_B),
    ]
    md = claims_markdown(records, master_seed=0, tier="quick", device="cpu", sources_dir=tmp_path)
    assert f"## {SRC_A} — Results: Loss-Based Sampling" in md
    assert f"## {SRC_B}" in md and md.index(SRC_B) < md.index(SRC_A)  # sources in order
    assert "“Perfect success \\| 100%”" in md  # statement quoted, pipe escaped inside the table
    assert "rate = 1" in md  # reported
    assert "| 0.98 [0.9, 1] | 0.01 | — |" in md  # measured estimate, CI, p against, p for
    assert "| p against | p for |" in md  # the two p-values in separate, named columns
    assert "| binomtest (rate_at_least) |" in md  # test and rule kind
    assert "| 0.12 |" in md  # MDE
    assert "**refuted** (changed)" in md  # verdict differing from the ledger is marked
    assert "*confirmed* (the data support the claim)" in " ".join(md.split())  # legend for a newcomer
    assert "- `lr` = `0.01` (*assumed*) — the document does not say" in md
    assert "Details: successes = 49." in md
    counts = "3 claims: 2 confirmed, 1 refuted, 0 inconclusive, 0 calibration target."
    assert f"Tier **quick**, master seed **0**, device **cpu**. {counts}" in md


def test_figure_registry_renders_png_and_closes_figure():
    reg = FigureRegistry()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    name = reg.add("002.a.x", "curve", fig)
    assert name == "002.a.x.curve.png"
    assert not plt.fignum_exists(fig.number)
    ((filename, png),) = reg.items()
    assert filename == name and png.startswith(b"\x89PNG")
    assert base64.b64decode(reg.to_json()[name]) == png


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


def test_write_reports_writes_json_md_and_linked_figures(tmp_path):
    reg = FigureRegistry()
    reg.add("002.a.x", "curve", plt.figure())
    written = write_reports(
        tmp_path / "reports", [record("002.a.x", figures=reg.to_json())], master_seed=0, tier="quick", device="cpu"
    )
    out = tmp_path / "reports"
    assert sorted(p.relative_to(out).as_posix() for p in written) == [
        "claims.json",
        "claims.md",
        "figures/002.a.x.curve.png",
    ]
    assert (out / "figures" / "002.a.x.curve.png").read_bytes().startswith(b"\x89PNG")
    assert "![002.a.x.curve.png](figures/002.a.x.curve.png)" in (out / "claims.md").read_text()
    assert json.loads((out / "claims.json").read_text())["claims"][0]["id"] == "002.a.x"
    leftovers = [p.name for p in out.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


def test_write_reports_renders_everything_before_writing(tmp_path):
    out = tmp_path / "reports"
    write_reports(out, [record("002.a.x")], master_seed=0, tier="quick", device="cpu")
    before = (out / "claims.json").read_text()
    bad = record("002.a.y")
    bad["estimate"] = float("nan")  # bypasses make_record: json with allow_nan=False must fail
    with pytest.raises(ValueError):
        write_reports(out, [record("002.a.x"), bad], master_seed=0, tier="quick", device="cpu")
    assert (out / "claims.json").read_text() == before


def test_write_reports_publishes_one_set_behind_fixed_links(tmp_path):
    out = tmp_path / "reports"
    reg = FigureRegistry()
    reg.add("002.a.x", "curve", plt.figure())
    write_reports(
        out, [record("002.a.x", figures=reg.to_json())], master_seed=0, tier="quick", device="cpu", run_id=RUN1
    )
    assert {p.name: os.readlink(p) for p in out.iterdir() if p.is_symlink()} == {
        "claims.json": "current/claims.json",
        "claims.md": "current/claims.md",
        "figures": "current/figures",
        "current": f"sets/{RUN1}",
    }
    write_reports(out, [record("002.a.y")], master_seed=0, tier="quick", device="cpu", run_id=RUN2)
    assert [p.name for p in (out / "sets").iterdir()] == [RUN2]  # the old set, its figure included, is gone
    assert not (out / "figures").exists() and not (out / "figures").is_symlink()
    assert json.loads((out / "claims.json").read_text())["claims"][0]["id"] == "002.a.y"


@pytest.mark.parametrize(
    "entries",
    [
        pytest.param({"figures/mine.png": "png", "notes.txt": "x"}, id="user-figures-tree"),
        pytest.param({"stability.json": "{}", "claims.md": "my notes"}, id="user-report-names"),
        pytest.param({"sets/keep/a.txt": "a", "current/b.txt": "b"}, id="user-sets-and-current"),
        pytest.param({".draft.tmp": "mine", "README.md": "kept"}, id="user-temp-file"),
        pytest.param({"claims.json": "{}"}, id="report-written-before-sets-existed"),
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
        write_reports(out, [record("002.a.x")], master_seed=0, tier="quick", device="cpu", run_id=RUN1)
    assert tree(out) == before


@pytest.mark.parametrize(
    "name, make",
    [
        pytest.param("claims.md", lambda p: p.write_text("mine"), id="regular-claims-md"),
        pytest.param("figures", lambda p: p.mkdir(), id="real-figures-dir"),
        pytest.param("current", lambda p: p.mkdir(), id="real-current-dir"),
        pytest.param("stability.json", lambda p: os.symlink("/etc/hostname", p), id="foreign-link"),
    ],
)
def test_write_reports_refuses_an_entry_it_did_not_make_in_its_own_directory(tmp_path, name, make):
    out = tmp_path / "reports"
    write_reports(out, [record("002.a.x")], master_seed=0, tier="quick", device="cpu", run_id=RUN1)
    if os.path.lexists(out / name):
        (out / name).unlink()
    make(out / name)
    before = tree(out)
    with pytest.raises(ReportDirError, match=f"'{out / name}' was not made by the claims plugin"):
        write_reports(out, [record("002.a.y")], master_seed=0, tier="quick", device="cpu", run_id=RUN2)
    assert tree(out) == before


def test_write_reports_marks_its_directory_and_leaves_the_users_files_in_it(tmp_path):
    out = tmp_path / "reports"
    write_reports(out, [record("002.a.x")], master_seed=0, tier="quick", device="cpu", run_id=RUN1)
    assert (out / OWNER_MARK).is_file()
    (out / "notes.md").write_text("mine")
    (out / ".notes.md.x.tmp").write_text("mine too")
    write_reports(out, [record("002.a.y")], master_seed=0, tier="quick", device="cpu", run_id=RUN2)
    assert (out / "notes.md").read_text() == "mine" and (out / ".notes.md.x.tmp").read_text() == "mine too"


def test_write_reports_adopts_the_set_layout_of_an_earlier_version(tmp_path):
    """A directory holding only an earlier version's set (no mark yet) is the plugin's: adopted and marked."""
    out = tmp_path / "reports"
    write_reports(out, [record("002.a.x")], master_seed=0, tier="quick", device="cpu", run_id=RUN1)
    (out / OWNER_MARK).unlink()
    (out / ".claims.md.abc123.tmp").write_text("left by a killed writer")
    write_reports(out, [record("002.a.y")], master_seed=0, tier="quick", device="cpu", run_id=RUN2)
    assert sorted(p.name for p in out.iterdir()) == [OWNER_MARK, ".lock", "claims.json", "claims.md", "current", "sets"]
    assert json.loads((out / "claims.json").read_text())["claims"][0]["id"] == "002.a.y"


def test_an_earlier_layout_is_adopted_only_with_current_linking_to_a_run_set_and_nothing_else_in_sets(tmp_path):
    """Review B2: ``sets/`` holding a user's folder beside a real earlier set is refused, untouched."""
    out = tmp_path / "reports"
    write_reports(out, [record("002.a.x")], master_seed=0, tier="quick", device="cpu", run_id=RUN1)
    (out / OWNER_MARK).unlink()
    (out / "sets" / "holiday").mkdir()
    (out / "sets" / "holiday" / "photo.txt").write_text("photo")
    before = tree(out)
    with pytest.raises(ReportDirError, match="is not empty and was not made by the claims plugin"):
        write_reports(out, [record("002.a.y")], master_seed=0, tier="quick", device="cpu", run_id=RUN2)
    assert tree(out) == before


def test_publishing_removes_only_run_id_named_sets_from_its_own_directory(tmp_path):
    """Review B2: ``_remove_old`` deleted every entry of ``sets/`` but the new set."""
    out = tmp_path / "reports"
    write_reports(out, [record("002.a.x")], master_seed=0, tier="quick", device="cpu", run_id=RUN1)
    (out / "sets" / "holiday").mkdir()
    (out / "sets" / "holiday" / "photo.txt").write_text("photo")
    write_reports(out, [record("002.a.y")], master_seed=0, tier="quick", device="cpu", run_id=RUN2)
    assert sorted(p.name for p in (out / "sets").iterdir()) == [RUN2, "holiday"]
    assert (out / "sets" / "holiday" / "photo.txt").read_text() == "photo"


def test_a_set_name_that_is_not_a_run_id_is_refused(tmp_path):
    with pytest.raises(ValueError, match="run_id must be a name new_run_id"):
        write_reports(tmp_path / "r", [record("002.a.x")], master_seed=0, tier="quick", device="cpu", run_id="x")
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
        write_reports(out, [record("002.a.x")], master_seed=0, tier="quick", device="cpu", run_id=RUN1)
    assert checks == [out, out]


def test_write_reports_to_a_file_raises_os_error_and_leaves_no_set(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(OSError):
        write_reports(tmp_path / "file" / "reports", [record("002.a.x")], master_seed=0, tier="quick", device="cpu")


def test_empty_report_names_the_selection_and_says_nothing_ran(tmp_path):
    selection = selection_record(["claims"], "plateau", "not slow", 12)
    write_reports(tmp_path, [], master_seed=0, tier="quick", device="cpu", selection=selection)
    doc = json.loads((tmp_path / "claims.json").read_text())
    assert doc["claims"] == [] and doc["selection"] == {
        "args": ["claims"],
        "keyword": "plateau",
        "markexpr": "not slow",
        "collected": 12,
    }
    md = (tmp_path / "claims.md").read_text()
    assert "Selection: `claims -k 'plateau' -m 'not slow'`." in md
    assert "## Nothing ran" in md and "12 claim tests collected before deselection" in md


def test_write_reports_refuses_records_of_another_seed(tmp_path):
    with pytest.raises(ValueError, match="seeds other than 0"):
        write_reports(tmp_path, [record("002.a.x", seed=1)], master_seed=0, tier="quick", device="cpu")


def test_stability_fraction_and_fragile_flag():
    V = Verdict
    records = [record("002.a.x", v, seed=s) for s, v in enumerate([V.CONFIRMED, V.CONFIRMED, V.REFUTED, V.CONFIRMED])]
    records += [record("002.a.y", V.INCONCLUSIVE, seed=s) for s in range(4)]
    ledger = {"002.a.x": {"quick": V.CONFIRMED}}
    rows = stability(records, ledger, tier="quick", threshold=0.8)
    assert rows[0] == {
        "id": "002.a.x",
        "reference": "confirmed",
        "in_ledger": True,
        "seeds": [0, 1, 2, 3],
        "verdicts": ["confirmed", "confirmed", "refuted", "confirmed"],
        "stability": 0.75,
        "fragile": True,
    }
    assert rows[1]["reference"] == "inconclusive" and not rows[1]["in_ledger"]
    assert rows[1]["stability"] == 1.0 and rows[1]["fragile"] is False
    assert stability(records, ledger, tier="quick", threshold=0.75)[0]["fragile"] is False


def test_stability_section_and_file(tmp_path):
    records = [record("002.a.x", Verdict.REFUTED if s == 1 else Verdict.CONFIRMED, seed=s) for s in range(2)]
    rows = stability(records, {}, tier="quick", threshold=0.8)
    write_reports(
        tmp_path,
        [r for r in records if r["master_seed"] == 0],
        master_seed=0,
        tier="quick",
        device="cpu",
        stability_rows=rows,
        stability_threshold=0.8,
    )
    md = (tmp_path / "claims.md").read_text()
    assert "## Verdict stability over master seeds" in md
    assert "| `002.a.x` | confirmed (not in ledger) | 50% | **yes** | 0: confirmed, 1: refuted |" in md
    assert "(fragile: 50% of seeds)" in md
    doc = json.loads((tmp_path / "stability.json").read_text())
    assert doc["threshold"] == 0.8 and doc["claims"][0]["fragile"] is True


def test_single_seed_report_removes_stale_stability_file(tmp_path):
    records = [record("002.a.x", seed=s) for s in range(2)]
    rows = stability(records, {}, tier="quick", threshold=0.8)
    write_reports(
        tmp_path, records[:1], master_seed=0, tier="quick", device="cpu", stability_rows=rows, stability_threshold=0.8
    )
    assert (tmp_path / "stability.json").exists()
    write_reports(tmp_path, records[:1], master_seed=0, tier="quick", device="cpu")
    assert not (tmp_path / "stability.json").exists()


def test_records_carry_the_power_plan_and_the_table_shows_it(tmp_path):
    r = record("002.a.x")  # n = 50, mde = 0.12 at estimate 0.98: 10% resolution 0.098
    plan = r["power_plan"]
    assert plan["n_needed"] == 75 and plan["resolution_basis"].startswith("10% of |estimate|")
    write_reports(tmp_path / "reports", [r], master_seed=0, tier="quick", device="cpu")
    md = (tmp_path / "reports" / "claims.md").read_text()
    assert "| n for 80% power |" in md
    assert f"| 75 (full {plan['n_full']}: {plan['status']}) |" in md


INJECTIONS = [
    "plain",
    "two\nlines",
    "x\n\n## Injected heading\n",
    "| a | b |\n|---|---|\n| c | d |",
    "`code` and ``double`` and a lone ` tick",
    "ends with a tick`",
    "- a list\n1. item",
    "<script>alert(1)</script> &amp; [link](http://x) *em* _em_ # not a heading",
]


@pytest.mark.parametrize("text", INJECTIONS, ids=range(len(INJECTIONS)))
def test_user_strings_cannot_inject_markdown_into_claims_md(text):
    """Issue 19 item 6: protocol notes and values, detail strings, statements, test names, reasons and
    the selection add no heading, table row, list item or HTML, wherever claims.md renders them."""
    r = record("002.a.x", statement=text)
    r["detail"] = {text: text}
    r["protocol"] = {"name`" + text: {"value": text, "status": "assumed", "note": text}}
    r["test"] = r["rule"] = text
    r["family"] = text
    md = claims_markdown(
        [r],
        master_seed=0,
        tier="quick",
        device="cpu",
        selection=selection_record(["claims"], text, None, 1),
        no_verdict=[{"id": "002.a.y", "reason": text}],
        sources={SRC_A: {"title": text, "quotes": text}},
    )
    lines = md.splitlines()
    assert [ln for ln in lines if ln.startswith("#")] == [
        "# Claims report",
        "## Claims without a verdict",
        f"## {SRC_A} — " + [ln for ln in lines if ln.startswith(f"## {SRC_A}")][0].split(" — ", 1)[1],
        "### `002.a.x`",
    ]
    table = [ln for ln in lines if ln.startswith("|")]
    assert len(table) == 3  # header, rule, one row
    assert all(ln.count("|") - ln.count("\\|") == table[0].count("|") for ln in table)  # no cell added or lost
    assert not any(ln.lstrip("> ").startswith(("<", "- ", "1.")) for ln in lines if not ln.startswith("- `"))
    for ln in lines:
        if ln.startswith("- ") and not ln.startswith("- Verdict"):
            assert ln.startswith(("- `", "- ``")), ln  # only protocol entries and no-verdict ids make list items
    outside_code = re.sub(r"(`+).*?\1", "", md)
    assert not re.search(r"(?<!\\)<", outside_code)  # no raw HTML outside code spans
