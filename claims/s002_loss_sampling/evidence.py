"""Evidence of every source-002 claim kind, computed from a :class:`LossSamplingStudy` (no training here).

``KINDS`` maps an entry's kind to a function ``(entry, study, rng) -> Evidence``; ``evaluate``
sets the evidence's ``n`` to the claim's declared runs (keeping the tested count in
``detail['n_tested']``) and Holm-corrects the claim's family.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from claims.s002_loss_sampling.catalogue import ALPHA, BY_ID, ENTRIES, Entry
from harness.engine.models import get_model
from harness.engine.trainer import StopReason
from harness.evidence import rules
from harness.evidence.verdicts import Evidence, Verdict
from harness.studies.loss_sampling import evidence as figures
from harness.studies.loss_sampling.calibration import BASELINE_N
from harness.studies.loss_sampling.study import ARMS, LossSamplingStudy

DOC_RUNS = 50
N_RESAMPLES = 1999


def _epochs(study: LossSamplingStudy, arm: str) -> np.ndarray:
    o = study.arm(arm).outcomes
    return o.epochs[o.success].astype(float)


def _baseline(study, entry):
    scheme = entry.args.get("scheme")
    if scheme is None:
        return study.baseline
    return study.initial_sample(scheme, study.sizes.baseline, "baseline")


def baseline_quantile(entry, study, rng):
    losses, _ = _baseline(study, entry)
    return rules.quantile_matches(losses, entry.args["value"], p=entry.args["p"], m=BASELINE_N, alpha=ALPHA)


def baseline_mean(entry, study, rng):
    losses, _ = _baseline(study, entry)
    return rules.mean_matches(losses, entry.args["value"], m=BASELINE_N, alpha=ALPHA)  # the document gives no sd


def baseline_accuracy(entry, study, rng):
    _, acc = _baseline(study, entry)
    hits = np.isin(np.round(acc, 6), np.round(entry.args["levels"], 6))
    return figures.rate_matches(int(hits.sum()), hits.size, entry.args["k"], BASELINE_N, alpha=ALPHA)


def arm_success(entry, study, rng):
    s = study.arm(entry.args["arm"]).outcomes.success
    return figures.rate_matches(int(s.sum()), s.size, entry.args["k"], DOC_RUNS, alpha=ALPHA)


def arm_stuck(entry, study, rng):
    s = study.arm(entry.args["arm"]).outcomes.success
    return figures.rate_matches(int((~s).sum()), s.size, entry.args["k"], DOC_RUNS, alpha=ALPHA)


def epochs_quantile(entry, study, rng):
    a = entry.args
    return rules.quantile_matches(_epochs(study, a["arm"]), a["value"], p=a["p"], m=a["m"], alpha=ALPHA)


def epochs_mean(entry, study, rng):
    a = entry.args
    return rules.mean_matches(_epochs(study, a["arm"]), a["value"], m=a["m"], sd=a["sd"], alpha=ALPHA)


def epochs_sd(entry, study, rng):
    a = entry.args
    return rules.sd_matches(_epochs(study, a["arm"]), a["value"], m=a["m"], alpha=ALPHA)


def _counts(study, arm, field="success", optimizer=None):
    values = getattr(study.arm(arm, optimizer).outcomes, field)
    return int(values.sum()), int(values.size)


def rates_differ(entry, study, rng):
    a = entry.args
    return rules.rates_differ(*_counts(study, a["a"]), *_counts(study, a["b"]), direction=a["direction"], alpha=ALPHA)


def speedup(entry, study, rng):
    """Median ratio of loss evaluations (epochs + 1, so a run that starts converged counts 1, not 0)
    inside the region around the stated factor (the claim's size, not only its direction)."""
    a = entry.args
    slow, fast = _epochs(study, a["slow"]), _epochs(study, a["fast"])
    ev = rules.median_ratio_in(slow + 1, fast + 1, a["region"], alpha=ALPHA)
    return replace(
        ev,
        test=f"{ev.test} on epochs + 1",
        detail={**ev.detail, "median_epochs": (float(np.median(slow)), float(np.median(fast)))},
    )


def dispersion(entry, study, rng):
    """Ratio of the two arms' epoch ranges at the document's numbers of successful runs, in the region
    around the stated ratio (a range grows with n, so it is read at the document's sizes)."""
    a = entry.args
    narrow, wide = _epochs(study, a["narrow"]), _epochs(study, a["wide"])
    m_wide, m_narrow = a["sizes"]
    ev = rules.range_ratio_in(
        wide, narrow, a["region"], m_x=m_wide, m_y=m_narrow, alpha=ALPHA, n_resamples=N_RESAMPLES, rng=rng
    )
    return replace(
        ev,
        detail={
            **ev.detail,
            "iqr_narrow": float(np.subtract(*np.percentile(narrow, [75, 25]))),
            "iqr_wide": float(np.subtract(*np.percentile(wide, [75, 25]))),
            "sd_ratio": float(np.std(wide, ddof=1) / np.std(narrow, ddof=1)),
        },
    )


def trend(entry, study, rng):
    """ "Monotonic": the success rate rises at every step of the arms ordered by initial loss."""
    counts = [_counts(study, arm) for arm in entry.args["order"]]
    return rules.monotone_steps([c[0] for c in counts], [c[1] for c in counts], direction="increasing", alpha=ALPHA)


def mirror(entry, study, rng):
    """Mirrored runs (at the protocol's tolerance, or the sweep's ``tol``) against the document's count."""
    o = study.arm(entry.args["arm"]).outcomes
    tol = entry.args.get("tol")
    mirrored = o.mirror if tol is None else o.asymmetry <= tol
    ev = figures.rate_matches(int(mirrored.sum()), len(o), entry.args["k"], DOC_RUNS, alpha=ALPHA)
    asym = o.asymmetry[o.success]
    return replace(
        ev,
        detail={
            **ev.detail,
            "successful_runs": int(o.success.sum()),
            "asymmetry_quartiles_of_successes": np.percentile(asym, [25, 50, 75]).tolist() if asym.size else None,
            "mirrored_at_tol_0.25": int((o.asymmetry <= 0.25).sum()),
            "mirrored_at_tol_0.5": int((o.asymmetry <= 0.5).sum()),
        },
    )


def _own_arms(study):
    return [study.arm(a.name).outcomes for a in ARMS[study.model.name]]


def dead_share(entry, study, rng):
    success = np.concatenate([o.success for o in _own_arms(study)])
    dead = np.concatenate([o.dead_final > 0 for o in _own_arms(study)])
    chosen = success == entry.args["success"]
    if not chosen.any():
        return _no_data("no runs with this outcome")
    ev = rules.rate_at_least(int(dead[chosen].sum()), int(chosen.sum()), entry.args["share"], alpha=ALPHA)
    return replace(
        ev,
        detail={
            **ev.detail,
            "reading": "'can have' = at least 5% of such runs have a dead unit at the end",
            "note": "model 1 solves XOR only with both units alive (one ReLU of an affine map cannot), "
            "and a unit dead on all four points gets no gradient, so a successful run has none",
        },
    )


def dead_differ(entry, study, rng):
    a = entry.args
    good, bad = study.arm(a["good"]).outcomes, study.arm(a["bad"]).outcomes
    return rules.rates_differ(
        int((good.dead_final > 0).sum()),
        len(good),
        int((bad.dead_final > 0).sum()),
        len(bad),
        direction="less",
        alpha=ALPHA,
    )


def no_dead(entry, study, rng):
    o = study.arm(entry.args["arm"]).outcomes
    return rules.always(int((o.dead_final == 0).sum()), len(o), alpha=ALPHA)


def _stuck(study):
    return [o.subset(~o.success) for o in _own_arms(study)]


def failures_hit_limit(entry, study, rng):
    stuck = _stuck(study)
    reasons = np.concatenate([o.reason for o in stuck])
    if reasons.size == 0:
        return _no_data("no run ended below 100% accuracy")
    m = entry.args["document_runs"]
    hit = int((reasons == int(StopReason.MAX_EPOCHS)).sum())
    return rules.always(hit, int(reasons.size), alpha=ALPHA, tolerance=figures.failure_tolerance(m, ALPHA))


def plateau_values(study) -> dict[str, int]:
    """How often each final loss (rounded to 3 decimals) occurs among stuck runs."""
    losses = np.concatenate([o.final_loss for o in _stuck(study)])
    values, counts = np.unique(np.round(losses, 3), return_counts=True)
    return {f"{v:.3f}": int(c) for v, c in sorted(zip(values, counts, strict=True), key=lambda vc: -vc[1])}


def plateau_outputs(entry, study, rng):
    outputs = np.concatenate([o.outputs for o in _stuck(study)])
    if outputs.size == 0:
        return _no_data("no stuck runs")
    hits = (np.abs(outputs - 0.5) <= entry.args["tol"]).all(axis=(1, 2))
    ev = rules.rate_at_least(int(hits.sum()), int(hits.size), entry.args["share"], alpha=ALPHA)
    return replace(
        ev,
        detail={
            **ev.detail,
            "plateau_losses": plateau_values(study),
            "reading": "most stuck runs (>= 50%) output [0.5, 0.5] (+-0.05) on every input",
        },
    )


def plateau_loss(entry, study, rng):
    losses = np.concatenate([o.final_loss for o in _stuck(study)])
    if losses.size == 0:
        return _no_data("no stuck runs")
    hits = np.abs(losses - entry.args["value"]) <= entry.args["tol"]
    ev = rules.rate_at_least(int(hits.sum()), int(hits.size), entry.args["share"], alpha=ALPHA)
    return replace(
        ev,
        detail={
            **ev.detail,
            "plateau_losses": plateau_values(study),
            "reading": "most stuck runs (>= 50%) end at loss 0.125 +- 0.005",
        },
    )


def adam_vs_sgd(entry, study, rng):
    totals = {}
    for opt in ("adam", "sgd"):
        pairs = [_counts(study, arm, optimizer=opt) for arm in ("control", "p0")]
        totals[opt] = (sum(p[0] for p in pairs), sum(p[1] for p in pairs))
    ev = rules.rates_differ(*totals["adam"], *totals["sgd"], direction="greater", alpha=ALPHA)
    return replace(ev, detail={**ev.detail, "arms": "control + p0 pooled, same architecture, each optimizer"})


def loss_distance(entry, study, rng):
    o = study.arm(entry.args["arm"]).outcomes.subset(study.arm(entry.args["arm"]).outcomes.success)
    return figures.rank_correlation_exceeds(o.initial_loss, o.distance, 0.0, alpha=ALPHA, rng=rng)


def distance_epochs(entry, study, rng):
    """Initial distance to the run's solution against its epochs, successful runs of one arm: Spearman's
    rho above 0 ('determines') or a straight line's R² above the threshold ('linear relationship holds')."""
    a = entry.args
    everything = study.arm(a["arm"]).outcomes
    o = everything.subset(everything.success)
    epochs = o.epochs.astype(float)
    if a["measure"] == "spearman":
        ev = figures.rank_correlation_exceeds(o.distance, epochs, a["threshold"], alpha=ALPHA, rng=rng)
    else:
        ev = figures.r2_exceeds(o.distance, epochs, a["threshold"], alpha=ALPHA, rng=rng)
    return ev.over_subset(len(everything))


def init_vs_optimizer(entry, study, rng):
    """'Better initialization > more complex optimizers': the 0th-percentile arm trained with SGD succeeds
    more often than the control arm trained with Adam (same model, 7.1's arms)."""
    ev = rules.rates_differ(
        *_counts(study, "p0", optimizer="sgd"),
        *_counts(study, "control", optimizer="adam"),
        direction="greater",
        alpha=ALPHA,
    )
    return replace(ev, detail={**ev.detail, "arms": "p0 with SGD vs control with Adam"})


def draws_mean(entry, study, rng):
    a = entry.args
    draws = study.arm(a["arm"]).sample.draws.numpy().astype(float)
    ev = rules.mean_equals(draws, a["claimed"], margin=a["margin"], alpha=ALPHA)
    p_hat = draws.size / draws.sum()
    return replace(
        ev,
        detail={
            **ev.detail,
            "acceptance_rate": p_hat,
            "geometric_mean_1_over_p": 1 / p_hat,
            "variance_ratio_to_geometric": float(draws.var(ddof=1) / ((1 - p_hat) / p_hat**2)) if p_hat < 1 else None,
            "max_draws": float(draws.max()),
            "capped": int(study.arm(a["arm"]).sample.capped.sum()),
        },
    )


def clear_win(entry, study, rng):
    a = entry.args
    saved = float(np.median(_epochs(study, "control")) - np.median(_epochs(study, "p0")))
    threshold = a["factor"] * a["epoch_cost"] * saved
    draws = study.arm("p0").sample.draws.numpy().astype(float)
    if threshold <= 0:
        threshold = 1e-9
    ev = rules.metric_below(draws, threshold, alpha=ALPHA, n_resamples=N_RESAMPLES, rng=rng)
    return replace(
        ev,
        detail={**ev.detail, "epochs_saved_median": saved, "forward_pass_equivalents_saved": saved * a["epoch_cost"]},
    )


def _exact(observed, claimed, *, rel_tol=0.0, abs_tol=0.5):
    return rules.exact_value(observed, claimed, rel_tol=rel_tol, abs_tol=abs_tol, alpha=ALPHA)


def relative_change(entry, study, rng):
    a = entry.args
    return _exact(100 * (a["new"] - a["old"]) / a["old"], a["claimed"])


def ratio_arithmetic(entry, study, rng):
    a = entry.args
    return _exact(a["num"] / a["den"], a["claimed"], rel_tol=a["rel_tol"], abs_tol=0.0)


def difference_arithmetic(entry, study, rng):
    a = entry.args
    return _exact(a["a"] - a["b"], a["claimed"])


def reduction_arithmetic(entry, study, rng):
    a = entry.args
    return _exact(100 * (1 - a["new"] / a["old"]), a["claimed"])


def param_count(entry, study, rng):
    a = entry.args
    return _exact(get_model(a["model"]).n_params, a["claimed"], abs_tol=0.0)


def terms(entry, study, rng):
    return _exact(sum(entry.args["terms"]), entry.args["claimed"], abs_tol=0.0)


def not_testable(entry, study, rng):
    return rules.not_testable(entry.args["reason"], alpha=ALPHA)


def _no_data(reason: str) -> Evidence:
    return Evidence(
        verdict=Verdict.INCONCLUSIVE,
        estimate=math.nan,
        ci=None,
        p_value=None,
        effect_size=None,
        n=1,
        alpha=ALPHA,
        test="no data for the rule",
        detail={"reason": reason},
    )


KINDS: dict[str, Callable[[Entry, LossSamplingStudy, np.random.Generator], Evidence]] = {
    f.__name__: f
    for f in (
        baseline_quantile,
        baseline_mean,
        baseline_accuracy,
        arm_success,
        arm_stuck,
        epochs_quantile,
        epochs_mean,
        epochs_sd,
        rates_differ,
        speedup,
        dispersion,
        trend,
        mirror,
        dead_share,
        dead_differ,
        no_dead,
        failures_hit_limit,
        plateau_outputs,
        plateau_loss,
        adam_vs_sgd,
        loss_distance,
        draws_mean,
        distance_epochs,
        init_vs_optimizer,
        clear_win,
        relative_change,
        ratio_arithmetic,
        difference_arithmetic,
        reduction_arithmetic,
        param_count,
        terms,
        not_testable,
    )
}
_missing = {e.kind for e in ENTRIES} - set(KINDS)
if _missing:
    raise ValueError(f"catalogue kinds without evidence: {sorted(_missing)}")


TEXT_KINDS = frozenset(
    {
        "relative_change",
        "ratio_arithmetic",
        "difference_arithmetic",
        "reduction_arithmetic",
        "param_count",
        "terms",
        "not_testable",
    }
)


def raw_evidence(entry: Entry, study: LossSamplingStudy | None, rng: np.random.Generator, n: int) -> Evidence:
    """The entry's evidence with ``n`` set to the claim's declared runs (tested count in detail); a subset
    claim's evidence keeps its own n and population."""
    ev = KINDS[entry.kind](entry, study, rng)
    if ev.population_n is not None:  # a subset claim: n is the subset tested, population_n the runs drawn
        return ev
    return replace(ev, n=n, detail={**ev.detail, "n_tested": ev.n})


def _family(entry: Entry) -> list[Entry]:
    """The entries Holm-adjusted with ``entry``: its family's; for another reading of a claim
    (``args['reading_of']``), that claim's family with the claim read this way."""
    main_id = entry.args.get("reading_of")
    if main_id is not None:
        return [entry if e.claim.id == main_id else e for e in _family(BY_ID[main_id])]
    return [e for e in ENTRIES if entry.claim.family and e.claim.family == entry.claim.family] or [entry]


def evaluate(
    entry: Entry, study_of: Callable[[str], LossSamplingStudy | None], rng_of, tier: str, cache: dict | None = None
) -> Evidence:
    """The entry's evidence, Holm-corrected over its family (each member computed from its own claim seed).

    ``cache`` (keyed by family) keeps a family's corrected evidences for its other members' tests.
    """
    key = entry.claim.family or entry.claim.id
    if cache is not None and key in cache:
        return cache[key][entry.claim.id]
    family = _family(entry)
    evs = [
        raw_evidence(e, None if e.kind in TEXT_KINDS else study_of(e.group), rng_of(e.claim), e.claim.n_for(tier))
        for e in family
    ]
    if entry.claim.family:  # a family adjusts together, even when one member runs in this tier
        evs = rules.holm(evs, alpha=ALPHA, family=entry.claim.family)
    results = {e.claim.id: ev for e, ev in zip(family, evs, strict=True)}
    if cache is not None:
        cache[key] = results
    return results[entry.claim.id]
