"""Source-002 catalogue and full-tier sweep: mirror-tolerance sweep entries and how their evidence reads the runs."""

from types import SimpleNamespace

import numpy as np
import pytest

from claims.s002_loss_sampling.catalogue import BY_ID
from claims.s002_loss_sampling.evidence import mirror
from claims.s002_loss_sampling.sweep import MIRROR, MIRROR_TOLS, SWEEP, _tolerance_id
from harness.studies.loss_sampling.metrics import MIRROR_TOL, Outcomes


@pytest.mark.parametrize("tol, expected", [(0.01, "0p01"), (0.05, "0p05"), (0.2, "0p2"), (0.5, "0p5")])
def test_tolerance_id_format(tol, expected):
    assert _tolerance_id(tol) == expected


def test_mirror_sweep_has_one_entry_per_claim_and_tolerance_never_the_main_one():
    entries = [e for e in SWEEP if "tol" in e.args]
    assert {(e.args["main"], e.args["tol"]) for e in entries} == {(m, t) for m in MIRROR for t in MIRROR_TOLS}
    assert MIRROR_TOL not in MIRROR_TOLS
    for e in entries:
        assert e.claim.protocol.mirror_tol.value == e.args["tol"] and e.args["overrides"] == {}
        assert e.claim.family is None and e.kind == "mirror"
    assert all(BY_ID[m].claim.protocol.mirror_tol.value == MIRROR_TOL for m in MIRROR)


def _study_with_asymmetry(asymmetry):
    n = len(asymmetry)
    zeros = np.zeros(n)
    outcomes = Outcomes(
        initial_loss=zeros,
        initial_accuracy=zeros,
        final_loss=zeros,
        final_accuracy=np.ones(n),
        success=np.ones(n, bool),
        converged=np.ones(n, bool),
        epochs=zeros.astype(int),
        reason=zeros.astype(int),
        outputs=np.zeros((n, 4, 1)),
        dead_initial=zeros,
        dead_final=zeros,
        mirror=asymmetry <= MIRROR_TOL,
        asymmetry=asymmetry,
        distance=zeros,
    )
    return SimpleNamespace(arm=lambda name, optimizer=None: SimpleNamespace(outcomes=outcomes))


def test_mirror_evidence_counts_at_the_sweep_tolerance():
    study = _study_with_asymmetry(np.repeat([0.005, 0.08, 0.15, 0.4], [10, 10, 10, 20]))
    by_tol = {e.args["tol"]: e for e in SWEEP if e.args.get("main") == "002.relu1.mirror_control" and "tol" in e.args}
    counts = {tol: mirror(e, study, None).estimate * 50 for tol, e in by_tol.items()}
    assert counts == pytest.approx({0.01: 10, 0.05: 10, 0.2: 30, 0.5: 50})
    assert mirror(BY_ID["002.relu1.mirror_control"], study, None).estimate * 50 == pytest.approx(20)


def test_sweep_studies_train_every_variant_on_the_base_calibration_and_draws():
    from claims.s002_loss_sampling.sweep import VARIANTS, sweep_studies
    from harness.studies.loss_sampling import calibration as cal
    from harness.studies.loss_sampling.study import LossSamplingStudy

    base = LossSamplingStudy(0, "quick", "relu_pair", calibration=cal.TrainingCalibration(0.01, 1e-3, 20, {}))
    swept = sweep_studies(base)
    assert set(swept) == {tuple(sorted(ov.items())) for ov in VARIANTS["relu1"].values()}
    for study in swept.values():
        assert study.training_calibration is base.training_calibration
        assert {opt for _, opt in study.runs} == {"adam"}
    lr_variant = swept[(("lr", 0.005),)]
    assert lr_variant.lr == 0.005
    assert lr_variant.arm("p0").sample is base.arm("p0").sample  # the lr variant trains the base's very draws
