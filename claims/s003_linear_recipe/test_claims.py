"""Claim tests of source 003: one test per claim, grouped by the study piece it needs.

Every test asks the module-scoped ``studies`` cache for the study of its master seed (built once
per process: populations are deterministic in the seed, so test order and ``-n`` do not matter)
and submits the evidence of :mod:`claims.s003_linear_recipe.evidence`. Claims of one piece share
an xdist group, so ``-n 2`` trains each piece on one worker only. Claims that depend on the label
noise are also tested under its other supported values (``test_noise_reading``, both tiers). The
sweep (full tier) re-runs headline claims at the neighbouring batch sizes and reports whether each verdict
survives: its reference is the main claim's full-tier ledger verdict (record the main claims'
full-tier verdicts first, e.g. ``-k test_claim --claims-update``, then run the sweep).
"""

from __future__ import annotations

import dataclasses

import pytest

from claims.s003_linear_recipe import figures
from claims.s003_linear_recipe.catalogue import FULL_ONLY, NOISE_READINGS, READING_SEEDS, SPECS, Spec, with_protocol
from claims.s003_linear_recipe.evidence import Context, evidence_for, survival
from harness.evidence.claims import Setting
from harness.evidence.plugin import claim_test
from harness.studies.linear_recipe import calibration
from harness.studies.linear_recipe.recipe import DataSettings
from harness.studies.linear_recipe.study import LinearStudy

SWEEP_SETTINGS = (  # the batch sizes around the calibrated 4 (the noise readings are claims of their own)
    DataSettings(batch_size=3, noise=calibration.CHOSEN.noise),
    DataSettings(batch_size=5, noise=calibration.CHOSEN.noise),
)
SWEEP_SEEDS = 1000  # seeds per sweep study (the full tier's 5000 for the main study)
SWEEP_MAIN = (
    "003.baseline.final_loss",
    "003.recipe.w_error_below_1pct",
    "003.theorem.within_bounds_random_init",
    "003.theorem.convergence_99",
    "003.fp16.fp16_frozen",
    "003.ablation.method5_improves",
    "003.clip.top10_clipped",
)
FIGURE_OF = {
    "003.timeline.baseline_w_epoch30": figures.trajectories,
    "003.ablation.row9_final_loss": figures.ablation_bars,
    "003.schedule.slow_epoch50": figures.schedules,
    "003.clip.top10_clipped": figures.grad_norm_histogram,
}


@pytest.fixture(scope="module")
def studies(claims_tier):
    """``studies(master_seed, data)``: the study of a seed and data setting (one per process and module)."""
    cache: dict = {}

    def get(master_seed: int, data: DataSettings = calibration.CHOSEN, seeds: int | None = None) -> LinearStudy:
        key = (master_seed, data, seeds)
        if key not in cache:
            cache[key] = LinearStudy(master_seed, claims_tier, data, seeds=seeds)
        return cache[key]

    return get


def _params(specs):
    """One pytest param per spec, in its piece's xdist group (claims of ``FULL_ONLY`` marked ``full``)."""
    return [
        pytest.param(
            s,
            marks=[claim_test(s.claim), pytest.mark.xdist_group(f"003-{s.piece}")]
            + ([pytest.mark.full] if s.args.get("main", s.claim.id) in FULL_ONLY else []),
            id=s.claim.id,
        )
        for s in specs
    ]


@pytest.mark.parametrize("spec", _params(SPECS))
def test_claim(spec: Spec, studies, claims_master_seed, claims_verdict):
    ctx = Context(studies(claims_master_seed))
    evidence = evidence_for(spec.claim.id, ctx)
    draw = FIGURE_OF.get(spec.claim.id)
    if draw is not None:
        for name, fig in draw(ctx.study).items():
            claims_verdict.figure(name, fig)
    claims_verdict(spec.claim, evidence)


@pytest.mark.parametrize("spec", _params(NOISE_READINGS))
def test_noise_reading(spec: Spec, studies, claims_tier, claims_master_seed, claims_verdict):
    """A noise-dependent claim under another supported noise level (catalogue.NOISE_READINGS)."""
    seeds = READING_SEEDS if claims_tier == "full" else None
    ctx = Context(studies(claims_master_seed, spec.args["data"], seeds), family=spec.claim.family)
    claims_verdict(spec.claim, evidence_for(spec.args["main"], ctx))


def _sweep_specs() -> list[Spec]:
    """Headline claims re-run at each sweep setting, ids suffixed with the setting."""
    by_id = {s.claim.id: s for s in SPECS}
    out = []
    for data in SWEEP_SETTINGS:
        for cid in SWEEP_MAIN:
            spec = with_protocol(
                by_id[cid],
                batch_size=Setting(data.batch_size, "assumed", "sweep of the calibration grid"),
                noise=Setting(data.noise, "assumed", "sweep of the calibration grid"),
            )
            suffix = f"_sweep_bs{data.batch_size}_noise{str(data.noise).replace('.', 'p')}"
            claim = dataclasses.replace(
                spec.claim, id=spec.claim.id + suffix, family=None, n_full=min(spec.claim.n_for("full"), SWEEP_SEEDS)
            )
            out.append(
                dataclasses.replace(
                    spec,
                    claim=claim,
                    piece=f"sweep-{data.batch_size}-{data.noise}",
                    args={**spec.args, "data": data, "main": cid},
                )
            )
    return out


@pytest.mark.full
@pytest.mark.parametrize("spec", _params(_sweep_specs()))
def test_sweep(spec: Spec, studies, claims_tier, claims_master_seed, claims_verdict, claims_expected_verdicts):
    ctx = Context(studies(claims_master_seed, spec.args["data"], SWEEP_SEEDS))
    main = spec.args["main"]
    evidence = evidence_for(main, ctx)
    detail = survival(main, evidence.verdict, claims_expected_verdicts.get(main), claims_tier, SWEEP_SEEDS)
    claims_verdict(spec.claim, dataclasses.replace(evidence, detail={**evidence.detail, **detail}))


@pytest.mark.full
def test_calibration_reproduces():
    """The recorded calibration choice is what the documented grid procedure picks."""
    best, _ = calibration.calibrate()
    assert best.data == calibration.CHOSEN
