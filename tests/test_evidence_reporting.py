"""Where the rules' new fields reach the reader (issue 10 items 6, 8, 10): the p-values against
and for the claim, the confirm-side MDE and the "cannot confirm at this n" flag in claims.json,
each claim's details in claims.html and the terminal summary's count, and the Holm family."""

from __future__ import annotations

import gc
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.evidence import plugin
from harness.evidence import rules as S
from harness.evidence.claims import Claim, Protocol, Setting
from harness.evidence.options import Options
from harness.evidence.reports import ClaimRecord, RunContext, make_record, render_reports
from harness.evidence.sources import Sources

SRC = "000_831d548a2327460f.txt"


@dataclass(frozen=True)
class P(Protocol):
    # Folds of the cross-validation.
    folds: Setting = Setting(10, "stated", "7.1")


def _claim(name: str, test: str, n: int, family: str | None = None) -> Claim:
    return Claim(
        id=f"000.toy.{name}",
        source=SRC,
        statement=f"toy {name}",
        reported={"r2": 0.9666},
        protocol=P(),
        test=test,
        alpha=0.05,
        n=n,
        family=family,
    )


def _records() -> list[ClaimRecord]:
    folds = [0.9666 + 0.008 * (i - 4.5) / 3.0 for i in range(10)]  # sd about 0.008
    narrow = _claim("r2_narrow", "mean_equals", 10, family="000.toy")
    always = _claim("always", "always", 50)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(gc, "collect", lambda *a, **k: 0)
        (ev_narrow,) = S.holm([S.mean_equals(folds, 0.9666, margin=0.005)], alpha=0.05, family="000.toy")
    ev_always = S.always(50, 50)
    return [
        make_record(c, e, tier="quick", master_seed=0, expected=None, duration_s=0.1)
        for c, e in ((narrow, ev_narrow), (always, ev_always))
    ]


def _report(name: str) -> str:
    return render_reports(_records(), RunContext(master_seed=0, tier="quick", device="cpu"))[name].decode("utf-8")


def test_claims_json_carries_family_p_confirm_mde_confirm_and_flag():
    doc = json.loads(_report("claims.json"))
    rows = {r["id"]: r for r in doc["claims"]}
    narrow, always = rows["000.toy.r2_narrow"], rows["000.toy.always"]
    assert narrow["family"] == "000.toy" and always["family"] is None
    assert narrow["cannot_confirm"] is True and narrow["mde_confirm"] is None
    assert 0.0 <= narrow["p_confirm"] <= 1.0 and narrow["p_value"] is not None
    assert always["cannot_confirm"] is True and always["mde_confirm"] > 0


def test_records_carry_the_claimed_region_as_a_field_not_a_detail():
    narrow, always = _records()
    assert narrow.claimed_region == pytest.approx((0.9616, 0.9716))
    assert always.claimed_region is None
    assert "claimed_region" not in narrow.detail and "p_confirm" not in narrow.detail
    assert "<dt>claimed region</dt><dd>[0.9616, 0.9716]</dd>" in _report("claims.html")


def test_claims_html_names_both_p_values_both_mdes_and_flags_unconfirmable_claims():
    html = _report("claims.html")
    assert "<dt>p against / for</dt>" in html and "<dt>MDE against / for</dt>" in html
    assert "cannot confirm at this n" in html and "<dt>Holm family</dt><dd>000.toy</dd>" in html


def test_terminal_summary_counts_claims_that_cannot_be_confirmed(tmp_path: Path):
    options = Options(
        tier="quick",
        master_seed=0,
        seeds=None,
        update=False,
        threshold=0.8,
        ledger_path=tmp_path / "ledger.json",
        sources_dir=tmp_path,
        manifest_path=tmp_path / "sources.json",
        report_dir=tmp_path,
    )
    state = plugin._State(options=options, sources=Sources(tmp_path / "sources.json", {}, {}), is_worker=False)
    plugin._summarise(state, _records(), {}, None, [f"report: {tmp_path / 'claims.html'}"])
    line = next(s for s in state.summary if s.startswith("verdicts:"))
    assert line.endswith("; 2 cannot be confirmed at this n (listed in the report)")
