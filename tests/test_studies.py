from dataclasses import dataclass

import numpy as np
import pytest

from harness.evidence.claims import Claim, Protocol, Setting, runtime_setting
from harness.evidence.verdicts import Verdict
from harness.studies import convergence as C
from harness.studies.convergence.study import NO_CAP, TraceStudy


@pytest.fixture(scope="module")
def study():
    return TraceStudy("000", 0, "quick", n_traces=20)


def test_bad_tier_and_trace_count_are_rejected():
    with pytest.raises(ValueError, match="tier must be one of"):
        TraceStudy("000", 0, "slow", n_traces=10)
    with pytest.raises(ValueError, match="n_traces must be a positive int"):
        TraceStudy("000", 0, "quick", n_traces=0)


def test_seed_streams_depend_on_stream_seed_and_name_only():
    a, b = TraceStudy("000", 0, "quick", n_traces=5), TraceStudy("000", 0, "full", n_traces=5)
    assert a.random_state("table") == b.random_state("table")
    assert a.random_state("table") != a.random_state("forms")
    assert a.random_state("table") != TraceStudy("001", 0, "quick", n_traces=5).random_state("table")
    assert a.random_state("table") != TraceStudy("000", 1, "quick", n_traces=5).random_state("table")


def test_memo_builds_once(study):
    calls = []
    assert study.memo("k", lambda: calls.append(1) or 7) == 7
    assert study.memo("k", lambda: calls.append(1) or 8) == 7
    assert calls == [1]


def test_traces_follow_the_calibrated_protocol_and_uncapped_lifts_the_cap(study):
    p = study.protocol
    assert p.n_traces == 20 and p.lr == study.calibration.chosen.lr
    assert study.traces.n_traces == 20 and study.traces.epochs.max() <= p.max_epochs
    np.testing.assert_array_equal(study.uncapped.init_params, study.traces.init_params)
    assert study.uncapped.protocol.max_epochs == NO_CAP
    assert study.current_rows.feature_names == ("w0", "w1", "b")


def test_bind_fills_only_the_protocol_fields_a_claim_has(study):
    @dataclass(frozen=True)
    class P(Protocol):
        lr: Setting = runtime_setting("calibrated", "convergence.calibrate")
        data: Setting = Setting("xor", "stated")

    claim = Claim(
        id="000.test.bind",
        source="000_831d548a2327460f.txt",
        statement="s",
        reported={},
        protocol=P(),
        test="always",
        alpha=0.05,
        n=1,
    )
    bound = study.bind(claim)
    assert bound.protocol.lr.value == study.protocol.lr
    assert "34.5" in bound.protocol.lr.note
    assert bound.protocol.data == claim.protocol.data


def test_solved_evidence_counts_uncapped_traces_below_the_loss_criterion(study):
    tr = study.uncapped
    ev = study.solved_evidence(alpha=0.05)
    solved = int((tr.final_loss < tr.protocol.loss_below).sum())
    assert ev.n == tr.n_traces and ev.detail["failures"] == tr.n_traces - solved
    assert ev.verdict == (Verdict.CONFIRMED if solved == tr.n_traces else Verdict.REFUTED)
    assert ev.detail["at_spurious_minimum_loss_0.25"] == C.spurious_minimum_count(tr)
    assert ev.detail["max_epochs_used"] == int(tr.epochs.max())


def test_spurious_minimum_count_reads_the_final_loss(study):
    tr = study.uncapped
    expected = int(np.sum(np.abs(tr.final_loss - 0.25) <= 1e-6))
    assert C.spurious_minimum_count(tr) == expected
    solved = int((tr.final_loss < tr.protocol.loss_below).sum())
    assert solved + C.spurious_minimum_count(tr) == tr.n_traces  # a solution or the spurious minimum, nothing else


def test_solved_only_study_keeps_solved_traces_under_its_own_calibration():
    solved = TraceStudy("000", 0, "quick", n_traces=20, solved_only=True)
    assert solved.calibration.solved_only
    tr = solved.traces
    assert tr.n_traces == 20
    assert (tr.final_loss < tr.protocol.loss_below).all()
    assert "solved traces" in solved.calibration_note()
