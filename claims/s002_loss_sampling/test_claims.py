"""Source 002 claims measured on populations: each test names its claim and asks the study for the evidence.

Claims are data (``catalogue.ENTRIES``); the study (``harness.studies.loss_sampling``) samples
and trains every arm of a model once per worker (xdist group per model), and ``evidence``
applies the claim's rule. The full tier adds a sweep of the calibrated settings.
"""

from __future__ import annotations

import dataclasses

import pytest

from claims.s002_loss_sampling import figures
from claims.s002_loss_sampling.catalogue import ENTRIES, MODEL_OF, Entry
from claims.s002_loss_sampling.evidence import TEXT_KINDS, evaluate
from claims.s002_loss_sampling.sweep import SWEEP, VARIANTS, sweep_evidence, sweep_studies
from harness.evidence.claims import Claim, Setting, claim_seed_sequence
from harness.evidence.plugin import claim_test
from harness.seeds import numpy_generator
from harness.studies.loss_sampling.study import LossSamplingStudy

FIGURES = {
    "002.relu1.monotonic": [("success_per_arm", figures.success_figure)],
    "002.relu2.improvement": [("success_per_arm", figures.success_figure)],
    "002.relu1.speedup": [("epochs_per_arm", figures.epochs_figure)],
    "002.relu2.p10_epochs_control": [("epochs_per_arm", figures.epochs_figure)],
    "002.relu1.initial_loss_median": [("initial_loss_histogram", figures.histogram_figure)],
    "002.relu2.initial_loss_median": [("initial_loss_histogram", figures.histogram_figure)],
    "002.relu2.plateau_loss": [("stuck_loss_curves", figures.stuck_curves_figure)],
}


@pytest.fixture(scope="module")
def studies(claims_tier):
    """``studies(master_seed, group, **overrides)``: the study of a model (one per process and key).

    A swept study (overrides) is one of ``sweep.VARIANTS``: the first request builds and trains all
    variants of the model at once (``sweep_studies``), on the base study's calibration and draws."""
    cache: dict = {}

    def get(master_seed: int, group: str, **overrides) -> LossSamplingStudy:
        key = (master_seed, group, tuple(sorted(overrides.items())))
        if key not in cache and not overrides:
            cache[key] = LossSamplingStudy(master_seed, claims_tier, MODEL_OF[group])
        if key not in cache:
            swept = sweep_studies(get(master_seed, group))
            cache.update({(master_seed, group, variant): study for variant, study in swept.items()})
        if key not in cache:
            raise ValueError(f"no sweep variant {overrides} of {group}; known: {list(VARIANTS[group].values())}")
        return cache[key]

    return get


@pytest.fixture(scope="module")
def families():
    """Holm-corrected evidence per (master seed, family), shared by the family's tests in one process."""
    cache: dict = {}
    return lambda master_seed: cache.setdefault(master_seed, {})


def bind(entry: Entry, study: LossSamplingStudy | None) -> Claim:
    """The entry's claim with the study's calibrated settings filled in (compare=False fields)."""
    claim = entry.claim
    if study is None:
        return claim
    names = {f.name for f in dataclasses.fields(claim.protocol)}
    calib = study.training_calibration if "lr" in names else None
    values = {"scheme": entry.args.get("scheme", study.scheme.name)}
    if calib is not None:
        values |= {"lr": study.lr, "loss_below": calib.loss_below, "max_epochs": calib.max_epochs}
    settings = {k: dataclasses.replace(getattr(claim.protocol, k), value=v) for k, v in values.items() if k in names}
    if "scheme" in entry.args:
        settings["scheme"] = Setting(entry.args["scheme"], "stated", "2.2: 'Control: Standard normal initialization'")
    return dataclasses.replace(claim, protocol=dataclasses.replace(claim.protocol, **settings))


def _params(entries):
    def marks(e: Entry):
        extra = [] if e.kind in TEXT_KINDS else [pytest.mark.xdist_group(f"002-{e.group}")]
        return [claim_test(e.claim)] + extra

    return [pytest.param(e, marks=marks(e), id=e.claim.id) for e in entries]


@pytest.mark.parametrize("entry", _params(ENTRIES))
def test_claim(entry, studies, families, claims_master_seed, claims_tier, claims_verdict):
    measured = entry.kind not in TEXT_KINDS
    study = studies(claims_master_seed, entry.group) if measured else None
    evidence = evaluate(
        entry,
        lambda group: studies(claims_master_seed, group),
        lambda claim: numpy_generator(claim_seed_sequence(claims_master_seed, claim.id)),
        claims_tier,
        families(claims_master_seed),
    )
    for name, draw in FIGURES.get(entry.claim.id, []):
        fig = draw(study)
        if fig is not None:
            claims_verdict.figure(name, fig)
    claims_verdict(bind(entry, study), evidence)


@pytest.mark.full
@pytest.mark.parametrize("entry", _params(SWEEP))
def test_sweep(entry, studies, claims_master_seed, claims_tier, claims_verdict, claims_expected_verdicts):
    study = studies(claims_master_seed, entry.group, **entry.args["overrides"])
    evidence = sweep_evidence(entry, study, claims_master_seed, claims_tier, claims_expected_verdicts)
    claims_verdict(bind(entry, study), evidence)
