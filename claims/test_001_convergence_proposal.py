"""Claims of source 001, "Predicting Neural Network Convergence Time from Parameter State" (proposal).

A proposal states premises and asks questions rather than reporting numbers. Each premise that can
be checked and each question that can be answered is a claim here, read as the hypothesis the
proposal hopes for; the questions and the expected outcome are predictions of results the proposal
had not measured (``Claim.prediction``: the report labels them so, and their verdict says whether
the prediction came true here): the Markov property of vanilla full-batch gradient descent (1.2), "guaranteed
convergence" of ``|Wx + b|`` (2.1), gradient alignment (5.2.1), trajectory analysis (5.2.2),
predicting slow convergence from the initialisation alone (5.2.3, research question 4) and the
expected outcome "R² > 0.95" (6.1, research question 1). The parameter-space heatmap of 5.3 is a
figure of the outcome claim. Feature importance (5.1.2, 6.2) and model classes (6.3) are the
claims of the results document (source 000) and are tested there.

Setting. The experiment of source 000 (its results document), with the same calibrated learning
rate, init scale and epoch cap: this module calibrates with the seed stream ``("000",
"calibration")`` of the claims of source 000 (``claims/s000_convergence_time``) and the same grid,
so both use identical settings; its traces come from its own streams ``("001", ...)``. Tiers: 100
traces (quick) or 2,000 (full); fast estimators in both (only random forest and linear regression
are fitted here). The random forest on the raw state alone runs in the full tier only: at 100
traces it cannot learn the map (quick "refuted" against full "confirmed"), a verdict on the sample
size rather than on the question. "R² > 0.95" is decided over traces from the pooled out-of-fold
predictions (``rules.cv_by_units``), never from fold scores read as independent samples.

Thresholds (chosen from the questions' wording, not changed after the first verdict run): "predicts" as a rank correlation above 0;
"predictably different times" as at least 5% of traces deviating by a whole epoch or more from
what their initial distance predicts (on centered XOR the loss is isotropic inside each activation
region, Hessian 2I because the inputs' columns are orthogonal, so every direction contracts at the
same rate and a path that stays in one region takes a time fixed by its distance; on data with an
anisotropic Hessian, or paths that switch region, the rule would find deviations); "can we predict slow
convergence" as out-of-fold scores of a classifier ranking slow traces above fast ones (AUC > 1/2, Mann-Whitney).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from harness.engine.models import get_model
from harness.evidence import rules
from harness.evidence.claims import Claim, Protocol, Setting, runtime_setting
from harness.evidence.plugin import claim_test
from harness.evidence.verdicts import Evidence
from harness.studies import convergence as C
from harness.studies.convergence.study import NO_CAP, TraceStudy

SOURCE = "001_ce10673ba16755ba.txt"
ALPHA = 0.05

QUICK_TRACES = 100  # the sample size of the results document (000, 1.2)
FULL_TRACES = 2000
N_FOLDS = 10  # 4.3 "K-fold CV"; K = 10 as in 000, 7.1
N_RESAMPLES_SLOW = 999  # ... of the cluster bootstrap of a Spearman correlation (not vectorised)
R2_EXPECTED = 0.95  # 6.1 "High Prediction Accuracy (R² > 0.95)"
DEVIATION_EPOCHS = 1.0  # a trace "takes a different time" when its epochs miss the distance fit by >= 1
DEVIATING_SHARE = 0.05  # "predictably different times" when at least 5% of traces deviate
HEATMAP_FINAL = (0.5, -0.5, 0.0)  # a solution of centered XOR (harness.studies.convergence.traces.region_minimum)
HEATMAP_B = 0.1  # the heatmap's slice b = 0.1: off the solution's b = 0, where log|b - b_final| is log(1e-8)


@dataclass(frozen=True)
class ProposalSetup(Protocol):
    """Section 2 of source 001: traces of ``y = |Wx + b|`` on centered XOR."""

    network: Setting = Setting("y = |w0 x0 + w1 x1 + b| ('abs_neuron'), P = 3", "stated", "2.1")
    data: Setting = Setting("centered XOR, 4 points (harness.engine.data.centered_xor)", "stated", "2.1")
    optimizer: Setting = Setting("SGD, no momentum, constant lr", "stated", "2.2 'vanilla SGD (no momentum)'")
    batch: Setting = Setting("full batch (4 points)", "assumed", "4 data points; nothing suggests mini-batches")
    init: Setting = Setting("i.i.d. N(0, s²) on (w0, w1, b)", "assumed", "2.2 says 'random parameters'")
    convergence: Setting = Setting(
        "loss < 1e-6, or gradient norm < 1e-8, or max_epochs", "stated", "2.3 (its examples 'e.g. 1e-6', 'e.g. 1e-8')"
    )
    dtype: Setting = Setting("float64", "assumed", "the gradient criterion 1e-8 is below float32 resolution")
    calibration: Setting = Setting(
        f"convergence.calibrate, default grid, {C.SHARED_CALIBRATION_TRACES} traces per point, seed stream "
        "('000', 'calibration')",
        "assumed",
        "the proposal has no baseline; the settings are those calibrated for its results document (000, 1.2: "
        "mean 34.5, variance 9.11 epochs)",
    )
    lr: Setting = runtime_setting("calibrated", "convergence.calibrate")
    init_scale: Setting = runtime_setting("calibrated", "convergence.calibrate")
    max_epochs: Setting = runtime_setting("calibrated", "convergence.calibrate")
    n_traces: Setting = runtime_setting("assumed", "100 in the quick tier, 2,000 in the full tier")


@dataclass(frozen=True)
class QuestionProtocol(ProposalSetup):
    """One question of 001 turned into a hypothesis with a rule."""

    hypothesis: Setting = Setting("", "stated")  # the reading of the question (set per claim)
    statistic: Setting = Setting("", "stated")  # what is measured (set per claim)
    threshold: Setting = Setting(0.0, "assumed", "no effect")
    role: Setting = Setting("measurement", "assumed", "the verdict depends on the traces")


@dataclass(frozen=True)
class OutcomeProtocol(ProposalSetup):
    """6.1: R² of a regressor of epochs remaining, held-out traces."""

    rows: Setting = Setting(
        "states 0..e-1 of each trace, target epochs remaining >= 1",
        "stated",
        "2.2 'each epoch becomes a training example'",
    )
    features: Setting = Setting(
        "the 18 features of source 000 (harness.studies.convergence.features.FEATURE_NAMES_000)",
        "assumed",
        "3.1-3.2 list the families; 000 fixes the 18",
    )
    regressor: Setting = Setting("", "stated")  # set per claim
    cv: Setting = Setting(
        "GroupKFold by trace, 10 folds",
        "assumed",
        "4.3 'K-fold CV to assess generalization': to new traces, so whole traces are held out",
    )
    statistic: Setting = Setting(
        "pooled out-of-fold R², decided over traces: jackknife over traces, Nadeau-Bengio "
        "corrected variance (x (1 + 1/9)), t(traces - 1) (harness.evidence.rules.cv_by_units)",
        "assumed",
        "fold scores of one CV share training data and are not independent "
        "samples; traces are (calibrated in tests/test_stats_cv.py)",
    )
    threshold: Setting = Setting(R2_EXPECTED, "stated", "6.1 'R² > 0.95'")
    multiplicity: Setting = Setting(
        "Holm over the 001.outcome family", "assumed", "the regressors run in the tier (three in full, two in quick)"
    )
    tier: Setting = Setting("quick and full", "assumed", "the fit is not limited by the quick tier's 100 traces")


SETUP = ProposalSetup()


CORRELATION_RESOLUTION = 0.1  # power-plan resolution of a rank correlation: no figure in 001; Cohen's "small"


def _claim(
    id,
    statement,
    reported,
    protocol,
    test,
    *,
    n=QUICK_TRACES,
    n_full=FULL_TRACES,
    family=None,
    resolution=None,
    prediction=False,
) -> Claim:
    return Claim(
        id=id,
        source=SOURCE,
        statement=statement,
        reported=reported,
        protocol=protocol,
        test=test,
        alpha=ALPHA,
        n=n,
        n_full=n_full,
        family=family,
        resolution=resolution,
        prediction=prediction,
    )


MARKOV = _claim(
    "001.markov.restart_same_future",
    "Our approach exploits a fundamental property of vanilla stochastic gradient descent (SGD): the Markov "
    "property. Without momentum or adaptive learning rates, the future trajectory of SGD depends only on the "
    "current parameter state and the loss landscape.",
    {},
    QuestionProtocol(
        hypothesis=Setting(
            "a trace restarted from any of its recorded states repeats the rest of it exactly", "stated", "1.2"
        ),
        statistic=Setting(
            "traces whose restarted future matches in every parameter, loss, stop epoch and reason "
            "(convergence.markov_check, restart epoch uniform on 0..e)",
            "assumed",
            "exact comparison: no tolerance, the computation is deterministic",
        ),
        threshold=Setting(1.0, "stated", "'depends only on': every trace"),
        role=Setting(
            "sanity check",
            "assumed",
            "any deterministic update rule has the property; it can fail only if our trainer is "
            "non-deterministic or keeps hidden state between epochs, so a 'confirmed' checks our code",
        ),
    ),
    "always",
)

GUARANTEED = _claim(
    "001.model.guaranteed_convergence",
    "Guaranteed Convergence: The absolute value activation ensures no dead neurons or vanishing gradients",
    {"fraction_solved": 1.0},
    QuestionProtocol(
        hypothesis=Setting(
            "every trace reaches a solution of XOR (final loss < 1e-6)",
            "assumed",
            "'convergence' as fitting the data; a stop on the gradient criterion at loss 1/4 is a vanishing gradient",
        ),
        statistic=Setting(
            f"traces with final loss < 1e-6, epoch cap lifted to {NO_CAP}",
            "assumed",
            "no cap, so no failure is the cap's doing",
        ),
        threshold=Setting(1.0, "stated", "'guaranteed'"),
    ),
    "always",
)

ALIGNMENT = _claim(
    "001.alignment.predicts_remaining",
    "Gradient Alignment: Does (current - final) · ∇loss predict convergence speed?",
    {},
    QuestionProtocol(
        hypothesis=Setting(
            "alignment ranks states by epochs remaining: Spearman rho > 0",
            "assumed",
            "'predict' as a positive rank association",
        ),
        statistic=Setting(
            "Spearman rho of (current - final)·∇loss with epochs remaining over all rows; percentile "
            f"cluster bootstrap over traces ({N_RESAMPLES_SLOW} resamples)",
            "assumed",
            "rows of one trace are dependent, traces are not",
        ),
        threshold=Setting(0.0, "assumed", "no association"),
    ),
    "metric_exceeds",
    resolution=CORRELATION_RESOLUTION,
    prediction=True,
)

TRAJECTORY = _claim(
    "001.trajectory.paths_differ",
    "Trajectory Analysis: Do different paths to the same solution take predictably different times?",
    {},
    QuestionProtocol(
        hypothesis=Setting(
            f"at least {DEVIATING_SHARE:.0%} of traces take a time that differs from what their "
            "initial distance predicts",
            "assumed",
            "a path can only matter beyond the distance",
        ),
        statistic=Setting(
            f"traces whose epochs miss, by >= {DEVIATION_EPOCHS:g}, the OLS fit of epochs on log "
            "initial distance within their solution (convergence.trajectory_divergence), epoch cap "
            f"lifted to {NO_CAP}",
            "assumed",
            "integer epochs of a geometric contraction miss that fit by less than one epoch; no cap, "
            "so no epoch count is censored",
        ),
        threshold=Setting(DEVIATING_SHARE, "assumed", "a non-negligible share"),
    ),
    "rate_at_least",
    prediction=True,
)

INIT_PREDICTABLE = _claim(
    "001.init.slow_predictable",
    'Can we identify "slow" regions of parameter space before training? [...] Initialization Dependence: Can we '
    "predict slow convergence from initialization alone?",
    {},
    QuestionProtocol(
        hypothesis=Setting(
            "out-of-fold classifier scores from (w0, w1, b) at epoch 0 rank slow traces above fast ones (AUC > 1/2)",
            "assumed",
            "'predict' as better than chance",
        ),
        statistic=Setting(
            "gradient boosting classifier, 5-fold stratified CV over traces; 'slow' = epochs above the "
            "median (convergence.initial_state_predictability); Mann-Whitney of slow vs fast scores",
            "assumed",
            "a flexible classifier chosen before looking; logistic and the region rule "
            "|b| > |w0 - w1| are reported alongside",
        ),
        threshold=Setting(0.5, "assumed", "AUC of a random score"),
    ),
    "distributions_differ",
    prediction=True,
)

OUTCOME_STATEMENT = (
    "Can we accurately predict remaining training epochs from current parameter values? [...] Expected Outcomes "
    "and Implications [...] High Prediction Accuracy (R² > 0.95) Would suggest: [...] Optimization trajectories "
    "are highly regular"
)


@dataclass(frozen=True)
class FactProtocol(Protocol):
    """A premise of 001 checked without an experiment: arithmetic on the model or on |x|."""

    reading: Setting = Setting("", "stated")  # how the sentence is read (set per claim)
    check: Setting = Setting("", "stated")  # what is computed (set per claim)


PARAM_COUNT = _claim(
    "001.model.param_count",
    "3. **Minimal Parameters**: Only 3 parameters allow complete characterization of the state space",
    {"params": 3},
    FactProtocol(
        reading=Setting("y = |Wx + b| with W in R^2, b in R has 3 parameters", "stated", "2.1"),
        check=Setting("harness.engine.models 'abs_neuron'.n_params", "assumed", "the model every 001 claim trains"),
    ),
    "exact_value",
    n=1,
    n_full=1,
)
RELU_IDENTITY = _claim(
    "001.model.abs_is_two_relus",
    "4. **Relationship to ReLU**: Since `|x| = ReLU(x) + ReLU(-x)`",
    {"max_abs_difference": 0.0},
    FactProtocol(
        reading=Setting("|x| = ReLU(x) + ReLU(-x) for every real x", "stated", "2.1"),
        check=Setting(
            "max |abs(x) - relu(x) - relu(-x)| over 10,001 points of [-10, 10] (float64), 0 included",
            "assumed",
            "a sanity check of an identity: it can only fail if torch's abs or relu were wrong",
        ),
    ),
    "exact_value",
    n=1,
    n_full=1,
)
DEFINED_GRADIENTS = _claim(
    "001.model.gradients_everywhere",
    "5. **Clear Gradient Structure**: Piecewise linear with well-defined gradients everywhere",
    {},
    FactProtocol(
        reading=Setting(
            "|x| is differentiable at every x (its left and right derivatives agree)",
            "assumed",
            "'well-defined gradients everywhere'",
        ),
        check=Setting(
            "right minus left derivative of |x| at 0, by one-sided difference quotients with step 1e-8: must be 0",
            "assumed",
            "the one point where |x| bends",
        ),
    ),
    "exact_value",
    n=1,
    n_full=1,
)


def _not_testable(cid: str, statement: str, reason: str) -> Claim:
    return _claim(
        cid,
        statement,
        {},
        FactProtocol(reading=Setting("not testable", "assumed", reason), check=Setting("none", "assumed", reason)),
        "not_testable",
        n=1,
        n_full=1,
    )


NOT_TESTABLE = [
    _not_testable(
        "001.model.interesting_dynamics",
        "2. **Non-linear Dynamics**: Creates interesting optimization paths while remaining analyzable",
        "'interesting' and 'analyzable' name no measurable property of the paths",
    ),
    _not_testable(
        "001.limitations.activation_specific",
        "- Results may be specific to the absolute value activation",
        "a possibility about activations this proposal does not train; source 002 trains ReLU networks",
    ),
    _not_testable(
        "001.limitations.optimizers_differ",
        "- Vanilla SGD behavior differs from Adam/momentum-based optimizers",
        "'differs' names no quantity, and a comparison would need Adam's and momentum's settings (learning rate, "
        "betas), which neither the proposal nor its results give; every 001 and 000 claim trains vanilla SGD",
    ),
    _not_testable(
        "001.limitations.single_neuron",
        "- Single neuron simplicity may not capture deep network phenomena",
        "a possibility about deep networks; this proposal trains one neuron",
    ),
]


@dataclass(frozen=True)
class OutcomeSpec:
    """6.1: R² of ``model`` on feature set ``cols`` above R2_EXPECTED; ``full_only``: too few traces in quick."""

    model: str  # harness.studies.convergence.regression.MODEL_NAMES
    cols: str  # "features" (the 18 of source 000) or "current" (w0, w1, b)
    full_only: bool = False


CURRENT_ONLY_FULL = (
    "full tier only: a random forest on the raw state (w0, w1, b) must learn the epochs map "
    "itself, and 100 traces are too few for it (quick 'refuted', full 'confirmed' at 2,000 traces): "
    "the quick verdict would test the sample size, not the claim"
)
OUTCOMES = {
    "random_forest": OutcomeSpec("random_forest", "features"),
    "linear_regression": OutcomeSpec("linear_regression", "features"),
    "random_forest_current_only": OutcomeSpec("random_forest", "current", full_only=True),
}
OUTCOME_CLAIMS = {
    name: _claim(
        f"001.outcome.r2_above_095_{name}",
        OUTCOME_STATEMENT,
        {"r2_above": R2_EXPECTED},
        OutcomeProtocol(
            regressor=Setting(
                spec.model,
                "assumed",
                "000's top-ranked model" if spec.model == "random_forest" else "000's featured simple model",
            ),
            **(
                {
                    "features": Setting(
                        "current (w0, w1, b) only", "stated", "research question 1 'from current parameter values'"
                    )
                }
                if spec.cols == "current"
                else {}
            ),
            **({"tier": Setting("full only", "assumed", CURRENT_ONLY_FULL)} if spec.full_only else {}),
        ),
        "cv_by_units",
        family="001.outcome",
        prediction=True,
    )
    for name, spec in OUTCOMES.items()
}


# --------------------------------------------------------------------------------------------
# The study
# --------------------------------------------------------------------------------------------


class Study(TraceStudy):
    """Data and evidence of this module for one master seed and tier; each piece built once."""

    def __init__(self, master_seed: int, tier: str) -> None:
        super().__init__("001", master_seed, tier, n_traces=FULL_TRACES if tier == "full" else QUICK_TRACES)

    def runtime_settings(self) -> dict[str, Setting]:
        n_traces = Setting(
            self.n_traces,
            "assumed",
            "full tier: powered sample" if self.full else "the results document's 100 traces (000, 1.2)",
        )
        return {**super().runtime_settings(), "n_traces": n_traces}

    def in_tier(self, spec: OutcomeSpec) -> bool:
        """Whether the outcome claim of ``spec`` runs in this tier."""
        return self.full or not spec.full_only

    def table(self, cols: str) -> C.ModelTable:
        def build():
            rows = self.rows if cols == "features" else self.current_rows
            models = tuple(dict.fromkeys(s.model for s in OUTCOMES.values() if s.cols == cols and self.in_tier(s)))
            return C.model_table(
                rows,
                random_state=self.random_state("table"),
                grouped=True,
                fast=True,
                model_names=models,
                n_splits=N_FOLDS,
            )

        return self.memo(("table", cols), build)

    def outcome(self, spec: OutcomeSpec, claim: Claim) -> Evidence:
        """Raw evidence of one outcome claim: pooled out-of-fold R² above R2_EXPECTED, decided over traces."""
        rows = self.rows if spec.cols == "features" else self.current_rows
        score = self.table(spec.cols).scores[spec.model]
        sums = C.trace_sums(rows.epochs_remaining, rows.trace_id, [score.oof_pred])
        ev = rules.cv_by_units(sums, C.r2_statistic(0), region=(R2_EXPECTED, math.inf), n_splits=N_FOLDS, alpha=ALPHA)
        return dataclasses.replace(
            ev,
            detail={
                **ev.detail,
                "pooled_r2_bca_ci": (score.ci.low, score.ci.high),
                "document_protocol_fold_r2_mean": float(np.mean(score.fold_r2)),
                "document_protocol_note": "descriptive: mean of the 10 fold R² (folds are not independent samples)",
            },
        )

    @functools.cached_property
    def outcome_evidence(self) -> dict[str, Evidence]:
        """Holm-adjusted evidence of the outcome claims that run in this tier."""
        members = [(spec, OUTCOME_CLAIMS[name]) for name, spec in OUTCOMES.items() if self.in_tier(spec)]
        raw = [self.outcome(spec, claim) for spec, claim in members]
        return {
            claim.id: ev
            for (_, claim), ev in zip(members, rules.holm(raw, alpha=ALPHA, family="001.outcome"), strict=True)
        }


@pytest.fixture(scope="module")
def studies(claims_tier):
    """``studies(master_seed)``: the :class:`Study` of a seed, built once per process and module."""
    cache: dict[int, Study] = {}

    def get(master_seed: int) -> Study:
        if master_seed not in cache:
            cache[master_seed] = Study(master_seed, claims_tier)
        return cache[master_seed]

    return get


@pytest.fixture
def study(studies, claims_master_seed) -> Study:
    return studies(claims_master_seed)


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------


def _heatmap_figure(study: Study):
    """5.3: predicted epochs remaining over (w0, w1) at b = 0.1.

    Left two panels: 18-feature models, towards a recorded final state near (1/2, -1/2, 0) (not
    the exact point: ratio_p2 = b / (b_final + 1e-8) would be ~1e7 at b_final = 0, far outside
    the training rows); outside that solution's region w1 < w0 - b they predict for a final
    state gradient descent would not reach. Right: random forest on the raw state alone, a
    prediction made before the final state is known. Dashed: w1 = w0 +- b, the edges of the
    spurious basin |w0 - w1| < |b|.
    """
    tr = study.traces
    near = np.linalg.norm(tr.final_params - np.array(HEATMAP_FINAL), axis=1)
    final = tr.final_params[int(np.argmin(near))]
    panels = [
        ("linear_regression", study.rows, final),
        ("random_forest", study.rows, final),
        ("random_forest", study.current_rows, None),
    ]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    for ax, (name, rows, fin) in zip(axes, panels, strict=True):
        grid = C.predicted_heatmap(rows, name, random_state=study.random_state("heatmap", name), final=fin, b=HEATMAP_B)
        im = ax.pcolormesh(grid.w0, grid.w1, grid.predicted, shading="auto", cmap="viridis")
        fig.colorbar(im, ax=ax, label="predicted epochs remaining")
        if fin is not None:
            ax.plot(fin[0], fin[1], "r*", ms=10)
        for shift in (-HEATMAP_B, HEATMAP_B):
            ax.plot([-1, 1], [-1 + shift, 1 + shift], "w--", lw=0.8)
        what = f"final ≈ {HEATMAP_FINAL}" if fin is not None else "state (w0, w1, b) only"
        ax.set(xlim=(-1, 1), ylim=(-1, 1), xlabel="w0", ylabel="w1", title=f"{name}, b = {HEATMAP_B:g}, {what}")
    fig.tight_layout()
    return fig


def _alignment_figure(rows: C.Rows):
    fig, ax = plt.subplots(figsize=(5, 4))
    capped = rows.reason == 3  # StopReason.MAX_EPOCHS
    ax.scatter(rows.alignment[~capped], rows.epochs_remaining[~capped], s=3, alpha=0.3, label="converged traces")
    ax.scatter(rows.alignment[capped], rows.epochs_remaining[capped], s=3, alpha=0.3, label="capped traces")
    ax.set(
        xscale="symlog",
        xlabel="(current - final) · ∇loss",
        ylabel="epochs remaining",
        title="001 5.2.1 gradient alignment",
    )
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------


@claim_test(PARAM_COUNT)
def test_param_count(claims_verdict):
    observed = get_model(C.MODEL_NAME).n_params
    claims_verdict(PARAM_COUNT, rules.exact_value(observed, 3, rel_tol=0.0, abs_tol=0.0, alpha=ALPHA))


@claim_test(RELU_IDENTITY)
def test_abs_is_two_relus(claims_verdict):
    x = torch.linspace(-10.0, 10.0, 10_001, dtype=torch.float64)
    gap = float((x.abs() - torch.relu(x) - torch.relu(-x)).abs().max())
    claims_verdict(RELU_IDENTITY, rules.exact_value(gap, 0.0, rel_tol=0.0, abs_tol=0.0, alpha=ALPHA))


@claim_test(DEFINED_GRADIENTS)
def test_gradients_everywhere(claims_verdict):
    h = 1e-8
    right, left = (abs(h) - abs(0.0)) / h, (abs(0.0) - abs(-h)) / h
    ev = rules.exact_value(right - left, 0.0, rel_tol=0.0, abs_tol=1e-6, alpha=ALPHA)
    claims_verdict(
        DEFINED_GRADIENTS,
        dataclasses.replace(ev, detail={**ev.detail, "left_derivative": left, "right_derivative": right}),
    )


@pytest.mark.parametrize("claim", [pytest.param(c, marks=[claim_test(c)], id=c.id) for c in NOT_TESTABLE])
def test_not_testable(claim, claims_verdict):
    claims_verdict(claim, rules.not_testable(claim.protocol.reading.note, alpha=ALPHA))


@claim_test(MARKOV)
def test_markov_property(study, claims_verdict):
    m = C.markov_check(study.protocol, seed_seq=study.seq("markov"))
    ev = rules.always(m.n_restarts - m.n_failures, m.n_restarts, alpha=ALPHA)
    claims_verdict(study.bind(MARKOV), dataclasses.replace(ev, detail={**ev.detail, **m._asdict()}))


@claim_test(GUARANTEED)
def test_guaranteed_convergence(study, claims_verdict):
    claims_verdict(study.bind(GUARANTEED), study.solved_evidence(alpha=ALPHA))


@claim_test(ALIGNMENT)
def test_gradient_alignment(study, claims_verdict):
    rows = study.rows
    ev = rules.metric_exceeds(
        np.arange(rows.n_traces),
        0.0,
        statistic=lambda t: C.spearman_by_traces(rows, "alignment", t),
        alpha=ALPHA,
        n_resamples=N_RESAMPLES_SLOW,
        rng=study.rng(ALIGNMENT),
    )
    ref = C.alignment_spearman(rows)
    claims_verdict.figure("alignment_vs_epochs", _alignment_figure(rows))
    claims_verdict(
        study.bind(ALIGNMENT),
        dataclasses.replace(
            ev, detail={**ev.detail, "rho_distance": ref.rho_distance, "rho_cosine": ref.rho_cosine, "rows": ref.n_rows}
        ),
    )


@claim_test(TRAJECTORY)
def test_trajectory_paths(study, claims_verdict):
    td = C.trajectory_divergence(study.uncapped)
    deviating = int(np.sum(np.abs(td.residual) >= DEVIATION_EPOCHS))
    ev = rules.rate_at_least(deviating, int(td.residual.size), DEVIATING_SHARE, alpha=ALPHA)
    classes, sizes = np.unique(td.switches, return_counts=True)
    claims_verdict(
        study.bind(TRAJECTORY),
        dataclasses.replace(
            ev,
            detail={
                **ev.detail,
                "max_abs_residual": float(np.abs(td.residual).max()),
                "path_classes_by_switches": dict(zip(classes.tolist(), sizes.tolist(), strict=True)),
                "kruskal_by_path_p": td.by_path.p_value,
                "kruskal_by_solution_p": td.by_solution.p_value,
                "r2_log_distance": td.r2_log_distance,
                "r2_with_path": td.r2_with_path,
            },
        ),
    )


@claim_test(INIT_PREDICTABLE)
def test_slow_convergence_from_init(study, claims_verdict):
    res = C.initial_state_predictability(study.traces, random_state=study.random_state("init"))
    score = res.scores["gradient_boosting"]
    slow = res.label == 1
    ev = rules.distributions_differ(
        score[slow],
        score[~slow],
        direction="greater",
        alpha=ALPHA,
    )
    claims_verdict(
        study.bind(INIT_PREDICTABLE),
        dataclasses.replace(
            ev, detail={**ev.detail, "auc": res.auc, "slow_threshold_epochs": res.threshold, "n_slow": res.n_slow}
        ),
    )


@pytest.mark.parametrize(
    "claim",
    [
        pytest.param(
            OUTCOME_CLAIMS[name],
            id=OUTCOME_CLAIMS[name].id,
            marks=[claim_test(OUTCOME_CLAIMS[name])] + ([pytest.mark.full] if spec.full_only else []),
        )
        for name, spec in OUTCOMES.items()
    ],
)
def test_expected_accuracy(claim, study, claims_verdict):
    if claim is OUTCOME_CLAIMS["random_forest"]:
        claims_verdict.figure("heatmap", _heatmap_figure(study))
    claims_verdict(study.bind(claim), study.outcome_evidence[claim.id])
