"""The generated tables of docs/source-*.md (``claims.doc_tables``): the committed docs are what the
generator makes of the committed summary, and the summary is built from reports as documented."""

from __future__ import annotations

import json

import pytest

from claims import doc_tables as D


@pytest.mark.parametrize("doc", sorted(D.SECTIONS))
def test_committed_doc_equals_the_generators_output_on_the_committed_summary(doc):
    text = (D.ROOT / doc).read_text(encoding="utf-8")
    summary = json.loads(D.SUMMARY_PATH.read_text(encoding="utf-8"))
    assert D.render_sections(text, D.SECTIONS[doc], summary) == text, (
        f"{doc} differs from its generated tables: run python -m claims.doc_tables --quick Q.json --full F.json"
    )


def _record(cid, verdict, estimate, *, target=False):
    return {
        "id": cid,
        "verdict": "inconclusive" if target else verdict,
        "estimate": estimate,
        "ci": [estimate - 0.1, estimate + 0.1],
        "n": 200,
        "calibration_target": target,
        "calibration": {"fit_verdict": verdict} if target else None,
    }


def _report(tier, records, seed=0):
    return {"tier": tier, "master_seed": seed, "claims": records}


def test_summary_keeps_each_tiers_category_and_marks_calibration_targets():
    quick = _report("quick", [_record("003.a.x", "refuted", 1.0), _record("003.a.t", "confirmed", 2.0, target=True)])
    full = _report("full", [_record("003.a.x", "confirmed", 1.5)])
    s = D.summarise({"quick": quick, "full": full})
    assert s["claims"]["003.a.x"]["quick"]["category"] == "refuted"
    assert s["claims"]["003.a.x"]["full"]["category"] == "confirmed"
    assert s["claims"]["003.a.t"] == {
        "quick": {"category": "calibration target (fit: confirmed)", "estimate": 2.0, "ci": [1.9, 2.1], "n": 200}
    }


@pytest.mark.parametrize(
    "reports, match",
    [
        ({"quick": _report("quick", [], 0), "full": _report("full", [], 1)}, "master seed"),
        ({"quick": _report("full", []), "full": _report("full", [])}, "tier"),
    ],
)
def test_summary_rejects_reports_that_do_not_pair(reports, match):
    with pytest.raises(ValueError, match=match):
        D.summarise(reports)


def test_render_replaces_only_the_marked_sections_and_checks_their_names():
    text = "intro\n<!-- generated: t -->\nold\n<!-- end: t -->\noutro\n"
    out = D.render_sections(text, {"t": lambda s: "new table"}, {})
    assert out == "intro\n<!-- generated: t -->\nnew table\n<!-- end: t -->\noutro\n"
    with pytest.raises(ValueError, match="do not match"):
        D.render_sections(text, {"u": lambda s: ""}, {})


def test_the_readings_summary_says_under_which_reading_the_headline_reproduces():
    claims = {
        "000.table21_kfold.linear_regression": {
            "quick": {"category": "confirmed", "estimate": 0.97, "ci": [0.96, 0.98], "n": 100}
        },
        "000.table21_kfold.linear_regression_all_traces": {
            "quick": {"category": "refuted", "estimate": 0.9, "ci": [0.88, 0.92], "n": 100}
        },
    }
    text = D.readings_summary_000({"claims": claims})
    assert "reproduces (0.97 [0.96, 0.98], confirmed) under reading B" in text
    assert "it does not reproduce (0.9 [0.88, 0.92], refuted) under reading A" in text


def test_the_readings_summary_leaves_out_a_tier_without_a_report():
    claims = {
        "000.table21_kfold.linear_regression": {
            "quick": {"category": "confirmed", "estimate": 0.97, "ci": [0.96, 0.98], "n": 100}
        },
        "000.norms.mean_l2": {"full": {"category": "refuted", "estimate": 0.1, "ci": None, "n": 2000}},  # no row
    }
    text = D.readings_summary_000({"claims": claims})
    assert "quick tier" in text and "full" not in text


def test_the_other_readings_table_pairs_every_twinned_claim_outside_table_21_rows_and_observations():
    entry = {"quick": {"category": "inconclusive", "estimate": 0.5, "ci": None, "n": 100}}
    ids = [
        "000.table21_kfold.ranking",
        "000.norms.mean_l2",
        "000.table21_kfold.poly2",  # in the table-2.1 table, not here
        "000.norms.sqrt3",  # no reading-A twin
    ]
    claims = {cid: entry for cid in ids} | {f"{cid}_all_traces": entry for cid in ids[:3]}
    text = D.readings_other_000({"claims": claims})
    listed = {line.split("`")[1] for line in text.splitlines() if line.startswith("| `")}
    assert listed == {"table21_kfold.ranking", "norms.mean_l2"}
    counts = D.readings_summary_000({"claims": claims})  # the rankings are not rows of the table
    assert "| B | quick | 1 | 0 | 0 | 1 |" in counts and "| A | quick | 1 | 0 | 0 | 1 |" in counts


def test_a_partial_runs_summary_replaces_only_its_documents_entries():
    old = {"quick": {"category": "refuted", "estimate": 1.0, "ci": None, "n": 1}}
    new = {"full": {"category": "confirmed", "estimate": 2.0, "ci": None, "n": 1}}
    committed = {"master_seed": 0, "claims": {"000.a": old, "000.gone": old, "003.b": old}, "noise_figures": []}
    out = D.merged(committed, {"master_seed": 0, "claims": {"000.a": new}, "noise_figures": []})
    assert out["claims"] == {"000.a": new, "003.b": old}
    with pytest.raises(ValueError, match="master seeds differ"):
        D.merged(committed, {"master_seed": 1, "claims": {}, "noise_figures": []})
