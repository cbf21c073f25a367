"""The claim tests of source 000: one pytest test per claim (ids are the claim ids).

Tests only fetch a claim's evidence from the module's :class:`~.evidence.Study` and record it
(with a figure where one explains the verdict); the arithmetic claims of the document, which
need no experiment, are computed here.
"""

from __future__ import annotations

import dataclasses
import math

import pytest

from harness.engine.models import get_model
from harness.evidence import rules
from harness.evidence.claims import Claim
from harness.evidence.plugin import claim_test
from harness.evidence.sweeps import survival
from harness.studies import convergence as C
from harness.studies.convergence.features import FEATURE_NAMES_000

from . import figures
from .catalogue import (
    BEYOND_CLAIMS,
    CONVERGENCE_GUARANTEED,
    CONVERGENCE_TO_SOLUTION,
    DATASET_MEAN_VARIANCE_RANGE,
    DATASET_ROWS_MINUS_TRACES,
    DATASET_ROWS_ONE_PER_EPOCH,
    DATASET_TOTAL_VS_MEAN,
    ERROR_CLAIMS,
    FEATURE_CLAIMS,
    FEATURE_COUNT,
    FEATURE_GROUPS,
    FULL_ONLY,
    LINEAR_VS_LOG,
    LINEARITY_CLAIMS,
    LOG_TRANSFORMS_DECREASE,
    NO_VANISHING,
    NORMS_CLAIMS,
    NORMS_RATIO_ARITHMETIC,
    NORMS_SQRT3,
    NOT_TESTABLE,
    OBSERVATION_CLAIMS,
    OVERFIT_CLAIMS,
    PARAM_COUNT,
    RANKING_CLAIMS,
    ROW_CLAIMS,
    SIMILAR_POWER,
    SMART_CLAIMS,
    SPEC_OF,
    STABILITY_CLAIMS,
    SWEEP_CLAIMS,
    SWEEP_MAIN,
    TABLE_SELF_CONSISTENCY,
)
from .evidence import Study, build_evidence
from .protocols import ALPHA, COMPLEX_MODELS, TABLE_21


@pytest.fixture(scope="module")
def studies(claims_tier):
    """``studies(master_seed, lr=None, init_scale=None)``: the :class:`Study` of a seed (one per
    process and module; deterministic, so test order and ``-n`` do not matter)."""
    cache: dict = {}

    def get(master_seed: int, lr: float | None = None, init_scale: float | None = None) -> Study:
        key = (master_seed, lr, init_scale)
        if key not in cache:
            base = None if lr is None else get(master_seed).calibration
            cache[key] = Study(master_seed, claims_tier, lr=lr, init_scale=init_scale, calibration=base)
        return cache[key]

    return get


@pytest.fixture
def study(studies, claims_master_seed) -> Study:
    """The main study of this run's master seed."""
    return studies(claims_master_seed)


def _table_group(claim: Claim) -> str | None:
    """The table 2.1 (CV scheme and reading) the claim's evidence needs (None: no table)."""
    spec = SPEC_OF.get(claim.id)
    scheme = getattr(spec, "scheme", None)
    if scheme is None:
        return None
    return f"{scheme}-{getattr(spec, 'reading', 'all')}"


def _params(claims):
    """One pytest param per claim; claims of one table share an xdist group (one worker fits it); claims
    whose quick-tier estimators underfit run in the full tier only (``catalogue.FULL_ONLY``)."""

    def marks(c: Claim):
        group = _table_group(c)
        return (
            [claim_test(c)]
            + ([pytest.mark.xdist_group(f"000-table-{group}")] if group else [])
            + ([pytest.mark.full] if c.id in FULL_ONLY else [])
        )

    return [pytest.param(c, marks=marks(c), id=c.id) for c in claims]


def _bound(study: Study, claim: Claim) -> Claim:
    """``claim`` with the test-time settings of the study of its reading (all traces or solved only)."""
    return study.reading(getattr(SPEC_OF.get(claim.id), "reading", "all")).bind(claim)


# --------------------------------------------------------------------------------------------
# 1.1-1.2
# --------------------------------------------------------------------------------------------


@claim_test(CONVERGENCE_GUARANTEED)
def test_convergence_guaranteed(study, claims_verdict):
    ev = study.evidence(CONVERGENCE_GUARANTEED)
    uncapped = study.uncapped
    claims_verdict.figure("epochs_histogram", figures.epochs_figure(study))
    claims_verdict(
        study.bind(CONVERGENCE_GUARANTEED),
        dataclasses.replace(
            ev,
            detail={
                **ev.detail,
                "uncapped_stops": C.convergence_counts(uncapped),
                "uncapped_at_spurious_minimum_loss_0.25": C.spurious_minimum_count(uncapped),
            },
        ),
    )


@claim_test(CONVERGENCE_TO_SOLUTION)
def test_convergence_to_solution(study, claims_verdict):
    claims_verdict(study.bind(CONVERGENCE_TO_SOLUTION), study.evidence(CONVERGENCE_TO_SOLUTION))


@claim_test(DATASET_TOTAL_VS_MEAN)
def test_dataset_total_epochs_match_mean(claims_verdict):
    r = DATASET_TOTAL_VS_MEAN.reported
    ev = rules.exact_value(
        r["total_epochs"] / r["n_traces"],
        r["mean"],
        rel_tol=0.0,
        abs_tol=DATASET_TOTAL_VS_MEAN.protocol.abs_tol.value,
        alpha=ALPHA,
    )
    claims_verdict(DATASET_TOTAL_VS_MEAN, ev)


@claim_test(DATASET_ROWS_ONE_PER_EPOCH)
def test_dataset_rows_one_per_epoch(claims_verdict):
    r = DATASET_ROWS_ONE_PER_EPOCH.reported
    ev = rules.exact_value(r["total_epochs"], r["data_points"], rel_tol=0.0, abs_tol=0.0, alpha=ALPHA)
    claims_verdict(
        DATASET_ROWS_ONE_PER_EPOCH,
        dataclasses.replace(ev, detail={**ev.detail, "difference": r["total_epochs"] - r["data_points"]}),
    )


@claim_test(DATASET_ROWS_MINUS_TRACES)
def test_dataset_rows_epochs_minus_traces(claims_verdict):
    r = DATASET_ROWS_MINUS_TRACES.reported
    ev = rules.exact_value(r["total_epochs"] - r["n_traces"], r["data_points"], rel_tol=0.0, abs_tol=0.0, alpha=ALPHA)
    claims_verdict(DATASET_ROWS_MINUS_TRACES, ev)


@claim_test(DATASET_MEAN_VARIANCE_RANGE)
def test_dataset_mean_variance_range(claims_verdict):
    r = DATASET_MEAN_VARIANCE_RANGE.reported
    n = r["n_traces"]
    # Every mean that rounds to 34.5: sums 3,445 ... 3,454 of n integers.
    totals = range(round((r["mean"] - 0.05) * n), round((r["mean"] + 0.05) * n))
    smallest = {t: C.min_variance_given_range(n, t / n, r["min"], r["max"]) for t in totals}
    excess = max(0.0, min(smallest.values()) - r["variance"])
    ev = rules.exact_value(
        excess, 0.0, rel_tol=0.0, abs_tol=DATASET_MEAN_VARIANCE_RANGE.protocol.abs_tol.value, alpha=ALPHA
    )
    claims_verdict(
        DATASET_MEAN_VARIANCE_RANGE,
        dataclasses.replace(
            ev,
            detail={
                **ev.detail,
                "smallest_variance_by_total": smallest,
                "smallest_variance_mean_34.5_ddof1": C.min_variance_given_range(
                    n, r["mean"], r["min"], r["max"], ddof=1
                ),
            },
        ),
    )


# --------------------------------------------------------------------------------------------
# 2.1-2.2, 8.1
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("claim", _params(ROW_CLAIMS.values()))
def test_table21_r2(claim, study, claims_verdict):
    spec = SPEC_OF[claim.id]
    if spec.model == "linear_regression":
        s = study.reading(spec.reading)
        for name, fig in zip(
            ("pred_vs_actual", "residuals"),
            figures.pred_figures(s.table_rows, s.score(spec.scheme, spec.model), spec.scheme),
            strict=True,
        ):
            claims_verdict.figure(name, fig)
    claims_verdict(_bound(study, claim), study.evidence(claim))


@claim_test(TABLE_SELF_CONSISTENCY)
def test_simple_beats_complex_in_table(claims_verdict):
    above = [m for m in COMPLEX_MODELS if TABLE_21[m][1] > TABLE_21["linear_regression"][1]]
    ev = rules.exact_value(len(above), 0.0, rel_tol=0.0, abs_tol=0.0, alpha=ALPHA)
    claims_verdict(TABLE_SELF_CONSISTENCY, dataclasses.replace(ev, detail={**ev.detail, "above_linear": above}))


# --------------------------------------------------------------------------------------------
# 3.1-3.3
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("claim", _params(LINEARITY_CLAIMS.values()))
def test_linearity(claim, study, claims_verdict):
    if claim is LINEAR_VS_LOG:
        s = study.reading(SPEC_OF[claim.id].reading)
        claims_verdict.figure("epochs_vs_l2", figures.distance_figure(s.rows, s.forms("l2_distance")))
    claims_verdict(_bound(study, claim), study.evidence(claim))


@claim_test(NORMS_RATIO_ARITHMETIC)
def test_norms_ratio_arithmetic(claims_verdict):
    r = NORMS_RATIO_ARITHMETIC.reported
    ev = rules.exact_value(
        r["mean_l1"] / r["mean_l2"],
        r["ratio"],
        rel_tol=0.0,
        abs_tol=NORMS_RATIO_ARITHMETIC.protocol.abs_tol.value,
        alpha=ALPHA,
    )
    claims_verdict(NORMS_RATIO_ARITHMETIC, ev)


@claim_test(NORMS_SQRT3)
def test_norms_sqrt3(claims_verdict):
    ev = rules.exact_value(
        math.sqrt(3),
        NORMS_SQRT3.reported["sqrt3"],
        rel_tol=0.0,
        abs_tol=NORMS_SQRT3.protocol.abs_tol.value,
        alpha=ALPHA,
    )
    claims_verdict(NORMS_SQRT3, ev)


# --------------------------------------------------------------------------------------------
# 4.1 / 6.1, 7.1-7.3, 5.1
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "claim",
    _params(
        [
            *ERROR_CLAIMS.values(),
            *RANKING_CLAIMS.values(),
            *OBSERVATION_CLAIMS.values(),
            *NORMS_CLAIMS.values(),
            *BEYOND_CLAIMS.values(),
            *STABILITY_CLAIMS.values(),
            *SMART_CLAIMS.values(),
        ]
    ),
)
def test_study_claim(claim, study, claims_verdict):
    """Table 2.1's tree errors and ranking, the 2.2/8.1 observations, the norms of 3.2, 4.1/6.1's
    beyond-distance claims, 7.2's stability and 5.1's smart init: each decided by the study alone."""
    claims_verdict(_bound(study, claim), study.evidence(claim))


@pytest.mark.parametrize("claim", _params([NO_VANISHING, SIMILAR_POWER, *OVERFIT_CLAIMS.values()]))
def test_further_sentence(claim, study, claims_verdict):
    """4.2's vanishing gradients, 3.2's similar predictive power, 7.1's overfitting: decided by the study."""
    claims_verdict(_bound(study, claim), build_evidence(study, SPEC_OF[claim.id], claim))


@claim_test(PARAM_COUNT)
def test_param_count(claims_verdict):
    observed = get_model(C.MODEL_NAME).n_params
    claims_verdict(
        PARAM_COUNT, rules.exact_value(observed, PARAM_COUNT.reported["params"], rel_tol=0.0, abs_tol=0.0, alpha=ALPHA)
    )


@claim_test(FEATURE_COUNT)
def test_feature_count(claims_verdict):
    listed = sum(FEATURE_GROUPS.values())
    ev = rules.exact_value(listed, FEATURE_COUNT.reported["features"], rel_tol=0.0, abs_tol=0.0, alpha=ALPHA)
    claims_verdict(
        FEATURE_COUNT,
        dataclasses.replace(ev, detail={**ev.detail, "suite_feature_columns": len(FEATURE_NAMES_000)}),
    )


@pytest.mark.parametrize("claim", _params(NOT_TESTABLE))
def test_not_testable(claim, claims_verdict):
    claims_verdict(claim, rules.not_testable(claim.protocol.reading.note, alpha=ALPHA))


@pytest.mark.parametrize("claim", _params(FEATURE_CLAIMS.values()))
def test_feature_importance(claim, study, claims_verdict):
    if claim is LOG_TRANSFORMS_DECREASE:
        claims_verdict.figure("feature_importance", figures.importance_figure(study.reading(SPEC_OF[claim.id].reading)))
    claims_verdict(_bound(study, claim), study.evidence(claim))


# --------------------------------------------------------------------------------------------
# Full tier: the sweep
# --------------------------------------------------------------------------------------------


@pytest.mark.full
@pytest.mark.parametrize("claim", _params(SWEEP_CLAIMS.values()))
def test_sweep(claim, studies, claims_master_seed, claims_verdict, claims_expected_verdicts):
    (sweep,) = [spec for spec, c in SWEEP_CLAIMS.items() if c is claim]
    s = studies(claims_master_seed, lr=sweep.lr, init_scale=sweep.scale)
    main = SWEEP_MAIN[sweep.kind]
    ev = build_evidence(s, SPEC_OF[main.id], claim)
    survives = survival(
        main.id,
        ev.verdict,
        claims_expected_verdicts.get(main.id),
        n_sweep=claim.n_for("full"),
        n_reference=main.n_for("full"),
        reference_text=f"ledger verdict of {main.id} in the full tier",
    )
    claims_verdict(s.bind(claim), dataclasses.replace(ev, detail={**ev.detail, **survives}))
