"""Tests of ``harness.evidence.sweeps.survival``: what "survives" means for every source's sweep."""

from __future__ import annotations

import pytest

from harness.evidence.sweeps import survival
from harness.evidence.verdicts import Verdict

C, R, I = Verdict.CONFIRMED, Verdict.REFUTED, Verdict.INCONCLUSIVE


@pytest.mark.parametrize(
    "verdict, reference, n_sweep, expected",
    [
        (R, R, 1000, True),
        (C, R, 1000, False),
        (C, I, 1000, False),
        (I, I, 1000, True),
        (I, R, 1000, None),  # fewer runs: undecided may be lack of power
        (I, R, 5000, False),  # as many runs: undecided is a different verdict
    ],
)
def test_survives_only_for_the_same_verdict_and_withholds_judgement_on_a_smaller_undecided_sweep(
    verdict, reference, n_sweep, expected
):
    detail = survival("003.x.y", verdict, reference, reference_text="ledger verdict", n_sweep=n_sweep, n_reference=5000)
    assert detail["survives"] is expected
    assert detail["main_verdict"] == reference.value and detail["sweep_n"] == n_sweep
    assert ("survival_note" in detail) == (expected is None)


def test_without_a_reference_nothing_is_judged():
    detail = survival("003.x.y", C, None, reference_text="ledger verdict", n_sweep=10, n_reference=10)
    assert detail["survives"] is None and detail["reference"] == "none: no ledger verdict"
