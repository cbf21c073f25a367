"""claims.json against its committed JSON Schema (``harness/evidence/reports/claims.schema.json``).

The schema is generated from :class:`harness.evidence.reports.ClaimRecord`'s field declarations;
these tests fail when the committed file is out of date, and validate reports the plugin really
writes, in the quick and the full tier, complete and partial (a toy project run through
``pytester``), besides hand-made records of every shape (no verdict, calibration target).
``.ci/run`` validates the project's own quick and full reports with the same command.
"""

pytest_plugins = ["pytester"]

import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import pytest  # noqa: E402

from harness.evidence.claims import Claim, Protocol, Setting  # noqa: E402
from harness.evidence.reports import RunContext, make_record, no_verdict_record, render_reports  # noqa: E402
from harness.evidence.reports.schema import SCHEMA_PATH, schema_text, validate  # noqa: E402
from harness.evidence.verdicts import Evidence, Verdict  # noqa: E402
from tests.toy import REPO, ledger_path, ledger_text, make_project, run  # noqa: E402

pytest.importorskip("jsonschema", reason="jsonschema is a dev extra: pip install -e '.[dev]'")


@dataclass(frozen=True)
class P(Protocol):
    # Optimizer learning rate.
    lr: Setting = Setting(0.01, "calibrated", "fitted to the document's median")


def _claim(cid: str, **kw) -> Claim:
    args = dict(id=cid, source="002_12f8b00312862f98.txt", statement="<b>median</b> 21 epochs", reported={"x": 21})
    return Claim(**{**args, "protocol": P(), "test": "exact_value", "alpha": 0.05, "n": 10, **kw})


def _evidence(v: Verdict) -> Evidence:
    return Evidence(
        verdict=v, estimate=float("nan"), ci=(0.1, None), p_value=0.2, effect_size=0.0, n=10, alpha=0.05, test="toy"
    )


def _document(*, complete: bool = True) -> dict:
    records = [
        make_record(
            _claim("002.a.x"), _evidence(Verdict.REFUTED), tier="full", master_seed=3, expected=None, duration_s=1
        ),
        no_verdict_record(
            _claim("002.a.y"),
            tier="full",
            master_seed=3,
            reason="failed: boom",
            expected=Verdict.CONFIRMED,
            location=None,
        ),
    ]
    ctx = RunContext(
        master_seed=3, tier="full", device="cpu", complete=complete, partial_reason=None if complete else "-k x"
    )
    return json.loads(render_reports(records, ctx)["claims.json"])


def test_the_committed_schema_is_generated_from_the_record_fields():
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), (
        "claims.schema.json is out of date: python -m harness.evidence.reports --write-schema"
    )


@pytest.mark.parametrize("complete", [True, False], ids=["complete", "partial"])
def test_a_report_with_every_record_shape_is_valid(complete):
    doc = _document(complete=complete)
    assert doc["no_verdict"] and doc["claims"][0]["estimate"] is None  # NaN became null
    assert validate(doc) == []


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        (lambda d: d["claims"][0].update(verdict="maybe"), "claims/0/verdict: 'maybe' is not one of"),
        (lambda d: d["claims"][0].update(category="fine"), "claims/0/category: 'fine' is not one of"),
        (lambda d: d["claims"][0].pop("n"), "claims/0: 'n' is a required property"),
        (lambda d: d["claims"][0].update(surprise=1), "claims/0: Additional properties are not allowed"),
        (lambda d: d["no_verdict"][0].update(verdict="confirmed"), "no_verdict/0/verdict: 'confirmed' is not of type"),
        (lambda d: d.update(complete="yes"), "complete: 'yes' is not of type 'boolean'"),
    ],
    ids=["verdict", "category", "missing_key", "extra_key", "no_verdict_with_verdict", "complete"],
)
def test_a_report_that_breaks_the_schema_is_named(break_it, message):
    doc = _document()
    break_it(doc)
    assert any(error.startswith(message) for error in validate(doc)), validate(doc)


@pytest.mark.parametrize("tier", ["quick", "full"])
def test_the_plugins_reports_are_valid_in_both_tiers_complete_and_partial(pytester, monkeypatch, tier):
    project = make_project(pytester, monkeypatch)
    both = {cid: {"quick": v, "full": v} for cid, v in (("002.toy.a", "confirmed"), ("002.toy.b", "refuted"))}
    ledger_path(project).write_text(ledger_text(both))
    run(project, "--claims-tier", tier).assert_outcomes(passed=2)
    run(project, "--claims-tier", tier, "-k", "test_a").assert_outcomes(passed=1, deselected=1)
    complete = json.loads((project.path / "reports" / "claims.json").read_text())
    partial = json.loads((project.path / "reports" / "partial" / "claims.json").read_text())
    assert (complete["tier"], complete["complete"], len(complete["claims"])) == (tier, True, 2)
    assert (partial["complete"], len(partial["claims"])) == (False, 1)
    assert validate(complete) == [] and validate(partial) == []


def test_the_validation_command_exits_1_on_a_broken_report(tmp_path):
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(_document()))
    broken = _document()
    broken["claims"][0]["verdict"] = "maybe"
    bad.write_text(json.dumps(broken))
    cmd = [sys.executable, "-m", "harness.evidence.reports"]
    ok = subprocess.run([*cmd, str(good)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0 and "valid against claims.schema.json" in ok.stdout
    fail = subprocess.run([*cmd, str(good), str(bad)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert fail.returncode == 1 and "1 schema violations" in fail.stdout and "claims/0/verdict" in fail.stdout
