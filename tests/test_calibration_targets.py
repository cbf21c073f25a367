"""Calibration targets (issue: a calibration number is never evidence): every claim whose number a
calibrated setting was fitted to carries ``calibration_target``, and that setting's note lists it."""

from __future__ import annotations

import pytest

from claims.s002_loss_sampling import catalogue as c002
from claims.s002_loss_sampling import protocols as p002
from claims.s002_loss_sampling.sweep import SWEEP
from claims.s003_linear_recipe import catalogue as c003
from claims.s003_linear_recipe import protocols as p003

CLAIMS = {e.claim.id: e.claim for e in c002.ENTRIES} | {s.claim.id: s.claim for s in c003.SPECS}
TARGETS = {**p002.CALIBRATION_TARGETS, **p003.CALIBRATION_TARGETS}


@pytest.mark.parametrize("cid", sorted(TARGETS))
def test_every_target_is_a_claim_marked_as_one_and_listed_in_its_settings_notes(cid):
    claim = CLAIMS[cid]
    assert claim.calibration_target == TARGETS[cid]
    for name in claim.calibration_target.settings:
        setting = getattr(claim.protocol, name)
        assert setting.status == "calibrated" and cid in setting.note, (cid, name)


def test_only_the_listed_claims_are_targets():
    assert {cid for cid, c in CLAIMS.items() if c.calibration_target is not None} == set(TARGETS)


def test_a_sweep_keeps_the_target_only_where_the_fitted_setting_and_arm_are_unchanged():
    kept = {e.claim.id for e in SWEEP if e.claim.calibration_target is not None}
    assert kept == {f"002.{g}.sweep_success_control_reference_thresholds" for g in ("relu1", "relu2")}


def test_noise_readings_of_003_are_never_targets_and_name_their_main_claim():
    assert c003.NOISE_READINGS and all(s.claim.calibration_target is None for s in c003.NOISE_READINGS)
    assert {s.args["main"] for s in c003.NOISE_READINGS} == set(c003.NOISE_DEPENDENT)
    assert all(s.claim.id.startswith(s.args["main"] + "_noise") for s in c003.NOISE_READINGS)
