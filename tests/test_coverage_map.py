"""The coverage map ``claims/coverage.json`` (``claims.coverage``): every line of each source document that
states a number, and the other claim lines, names its claims or says why none; every id is a claim of
that document (a claim test declares it, in either tier) and every claim of a document is on some line. Checked whenever
the documents are present; the checker itself on toy documents always."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from claims import coverage

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT.parent / "shared" / "sources"
MANIFEST = json.loads((ROOT / "claims" / "sources.json").read_text(encoding="utf-8"))
DOCS = [entry["file"] for entry in MANIFEST["sources"]]


@pytest.mark.skipif(not all((SOURCES / d).is_file() for d in DOCS), reason="source documents not available")
def test_every_numeric_and_claim_line_of_every_document_is_mapped():
    texts = {d: (SOURCES / d).read_text(encoding="utf-8") for d in DOCS}
    assert coverage.check(coverage.load(), texts, coverage.declared_ids(ROOT / "claims")) == []


def test_the_map_covers_exactly_the_manifests_documents():
    assert sorted(coverage.load()) == sorted(DOCS)


TEXT = "# 1. Heading\nThe rate is 58%.\nno digits\nIt is 3x faster.\n"
KNOWN = {"900.a.rate", "900.a.speed", "901.b.other"}


def _problems(entries: dict) -> list[str]:
    return coverage.check({"900_x.txt": entries}, {"900_x.txt": TEXT}, KNOWN)


def test_a_complete_map_has_no_problems():
    entries = {1: {"reason": "heading"}, 2: {"claims": ["900.a.rate"]}, 4: {"claims": ["900.a.speed"]}}
    assert _problems(entries) == []


@pytest.mark.parametrize(
    "entries, problem",
    [
        ({1: {"reason": "heading"}, 2: {"claims": ["900.a.rate", "900.a.speed"]}}, "900_x.txt:4: states a number"),
        ({1: {"reason": "because"}, 2: {"claims": ["900.a.rate"]}, 4: {"claims": ["900.a.speed"]}}, "a reason starts"),
        ({1: {"reason": "heading"}, 2: {"claims": ["900.a.rat"]}, 4: {"claims": ["900.a.speed"]}}, "is no claim"),
        (
            {1: {"reason": "heading"}, 2: {"claims": ["901.b.other"]}, 4: {"claims": ["900.a.speed"]}},
            "another document",
        ),
        (
            {1: {"reason": "heading"}, 2: {"reason": "heading"}, 4: {"claims": ["900.a.speed"]}},
            "900.a.rate is on no line",
        ),
        ({1: {"reason": "heading"}, 2: {"claims": []}, 4: {"claims": ["900.a.speed", "900.a.rate"]}}, "non-empty list"),
        ({1: {"heading": "x"}, 2: {"claims": ["900.a.rate"]}, 4: {"claims": ["900.a.speed"]}}, "an entry is"),
        (
            {
                1: {"reason": "heading"},
                2: {"claims": ["900.a.rate"]},
                4: {"claims": ["900.a.speed"]},
                9: {"reason": "heading"},
            },
            "past",
        ),
    ],
)
def test_the_checker_names_what_is_wrong(entries, problem):
    assert any(problem in p for p in _problems(entries)), _problems(entries)


def test_variants_need_no_line_of_their_own():
    known = KNOWN | {"900.a.rate_noise0p25", "900.a.sweep_rate_lr_0p1", "900.sweep_lr0p1_s1.rate"}
    entries = {1: {"reason": "heading"}, 2: {"claims": ["900.a.rate"]}, 4: {"claims": ["900.a.speed"]}}
    assert coverage.check({"900_x.txt": entries}, {"900_x.txt": TEXT}, known) == []


def test_counts_sort_lines_by_kind():
    entries = {1: {"reason": "heading"}, 2: {"claims": ["900.a.rate"]}, 3: {"reason": "not testable: vague"}}
    c = coverage.counts({"900_x.txt": entries})["900_x.txt"]
    assert c["lines"] == 3 and c["claims"] == 1 and c["heading"] == 1 and c["not testable"] == 1


def test_load_rejects_a_malformed_map(tmp_path):
    bad = tmp_path / "coverage.json"
    bad.write_text(json.dumps({"schema": 2, "documents": {}}))
    with pytest.raises(ValueError, match="schema"):
        coverage.load(bad)
    bad.write_text(json.dumps({"schema": 1, "documents": {"900_x.txt": {"line 3": {"reason": "heading"}}}}))
    with pytest.raises(ValueError, match="positive line number"):
        coverage.load(bad)


def test_declared_ids_name_the_failure_of_a_collection(tmp_path):
    (tmp_path / "claims").mkdir()
    (tmp_path / "claims" / "test_broken.py").write_text("import no_such_module_here\n")
    with pytest.raises(RuntimeError, match="no_such_module_here"):
        coverage.declared_ids(tmp_path / "claims")
