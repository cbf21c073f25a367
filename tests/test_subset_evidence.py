"""Evidence over a subset of runs (``Claim.subset``) and crashed seeds in the stability report."""

pytest_plugins = ["pytester"]

import json  # noqa: E402
import os  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from harness.evidence.claims import Claim, Protocol, Setting  # noqa: E402
from harness.evidence.reports import ClaimRecord, RunContext, make_record, render_reports, stability  # noqa: E402
from harness.evidence.verdicts import Evidence, Verdict  # noqa: E402
from tests.helpers import write_manifest  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SOURCE = "002_12f8b00312862f98.txt"


@dataclass(frozen=True)
class _P(Protocol):
    runs: Setting = Setting(1000, "stated", "")


def _claim(**kw) -> Claim:
    args = dict(
        id="002.toy.mean",
        source=SOURCE,
        statement="mean epochs of successful runs",
        reported={"mean": 10.0},
        protocol=_P(),
        test="mean_equals",
        alpha=0.05,
        n=1000,
        subset="successful runs",
    )
    args.update(kw)
    return Claim(**args)


def _evidence(n: int = 991, **kw) -> Evidence:
    return Evidence(
        verdict=Verdict.CONFIRMED,
        estimate=10.1,
        ci=(9.9, 10.3),
        p_value=0.01,
        effect_size=None,
        n=n,
        alpha=0.05,
        test="tost",
        **kw,
    )


def test_over_subset_keeps_everything_but_adds_the_population():
    evidence = _evidence().over_subset(1000)
    assert evidence.population_n == 1000 and evidence.n == 991 and evidence.estimate == 10.1
    assert evidence.to_dict()["population_n"] == 1000


def test_a_subset_larger_than_its_population_is_rejected():
    with pytest.raises(ValueError, match="population_n must be an int >= n = 991"):
        _evidence().over_subset(990)


def test_empty_subset_description_is_rejected():
    with pytest.raises(ValueError, match="subset must be a non-empty description"):
        _claim(subset="  ")


def test_report_row_shows_realised_and_population_n():
    record = make_record(
        _claim(), _evidence().over_subset(1000), tier="quick", master_seed=0, expected=None, duration_s=0.1
    )
    assert record.n == 991 and record.population_n == 1000
    html = render_reports([record], RunContext(master_seed=0, tier="quick", device="cpu"))["claims.html"].decode()
    assert "991 of 1000 (successful runs)" in html


def _crashed(cid: str, seed: int) -> ClaimRecord:
    return ClaimRecord(
        id=cid, source=SOURCE, statement="s", tier="quick", master_seed=seed, verdict=None, no_verdict_reason="failed"
    )


def _verdict_record(cid: str, seed: int, verdict: str) -> ClaimRecord:
    return ClaimRecord(
        id=cid, source=SOURCE, statement="s", tier="quick", master_seed=seed, verdict=verdict, no_verdict_reason=None
    )


def test_a_crashed_seed_counts_as_a_failure_in_stability():
    records = [
        _verdict_record("002.a.x", 0, "confirmed"),
        _crashed("002.a.x", 1),
        _verdict_record("002.a.x", 2, "confirmed"),
    ]
    (row,) = stability(records, {}, tier="quick", threshold=0.8)
    assert row.seeds == (0, 1, 2) and row.verdicts == ("confirmed", "no verdict", "confirmed")
    assert row.reference == "confirmed" and row.stability == pytest.approx(2 / 3) and row.fragile


def test_a_claim_crashing_at_every_seed_has_stability_zero():
    (row,) = stability([_crashed("002.a.x", s) for s in range(3)], {}, tier="quick", threshold=0.5)
    assert row.stability == 0.0 and row.fragile


# ---------------------------------------------------------------------------- through the plugin

MODULE = """
from dataclasses import dataclass

from harness.evidence.claims import Claim, Protocol, Setting
from harness.evidence.plugin import claim_test
from harness.evidence.verdicts import Evidence, Verdict


@dataclass(frozen=True)
class P(Protocol):
    runs: Setting = Setting(10, "stated", "")


SUBSET = Claim(id="002.toy.subset", source="002_12f8b00312862f98.txt", statement="toy", reported={}, protocol=P(),
               test="mean_equals", alpha=0.05, n=10, subset="successful runs")
PLAIN = Claim(id="002.toy.plain", source="002_12f8b00312862f98.txt", statement="toy", reported={}, protocol=P(),
              test="mean_equals", alpha=0.05, n=10)


def ev(n, **kw):
    return Evidence(verdict=Verdict.CONFIRMED, estimate=1.0, ci=None, p_value=None, effect_size=None, n=n,
                    alpha=0.05, test="toy", rule="mean_equals", **kw)


@claim_test(SUBSET)
def test_subset(claims_verdict, claims_master_seed):
    if claims_master_seed == 1:
        raise RuntimeError("this seed's run crashed")
    claims_verdict(SUBSET, ev(7).over_subset(10))


@claim_test(PLAIN)
def test_plain(claims_verdict):
    claims_verdict(PLAIN, ev(7).over_subset(10))
"""


@pytest.fixture
def project(pytester, monkeypatch):
    """A throw-away project with one source document and the module above (plugin from this checkout)."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider\n")
    document = "# Toy source document\n\ntoy\n"
    (pytester.mkdir("sources") / SOURCE).write_text(document)
    pytester.mkdir("claims")
    write_manifest(pytester.path / "claims" / "sources.json", document, SOURCE)
    (pytester.path / "claims" / "test_toy.py").write_text(MODULE)
    ledger = {
        "schema": 1,
        "claims": {"002.toy.subset": {"quick": "confirmed"}, "002.toy.plain": {"quick": "confirmed"}},
    }
    (pytester.path / "claims" / "ledger.json").write_text(json.dumps(ledger))
    return pytester


def test_recorder_accepts_subset_evidence_and_rejects_it_for_a_plain_claim(project):
    result = project.runpytest_subprocess("--claims-sources=sources", "claims", "-p", "no:xdist")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*claim '002.toy.plain' declares n=10 for tier 'quick' but the evidence has n=7*"])
    html = (project.path / "reports" / "claims.html").read_text()
    assert "7 of 10 (successful runs)" in html


def test_crashed_seed_is_a_failure_in_the_stability_report(project):
    result = project.runpytest_subprocess(
        "--claims-sources=sources", "claims", "-p", "no:xdist", "--claims-seeds", "0:3", "-k", "subset"
    )
    result.assert_outcomes(passed=2, failed=1)
    stability_json = project.path / "reports" / "partial" / "stability.json"  # -k: a partial run
    rows = {row["id"]: row for row in json.loads(stability_json.read_text())["claims"]}
    assert rows["002.toy.subset"]["verdicts"] == ["confirmed", "no verdict", "confirmed"]
    assert rows["002.toy.subset"]["fragile"]
