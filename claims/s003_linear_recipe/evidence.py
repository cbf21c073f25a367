"""Evidence for source 003's claims: one function per evidence kind, registered in ``EVIDENCE``.

Each takes the claim's :class:`~claims.s003_linear_recipe.catalogue.Spec` and a :class:`Context`
(the study of this master seed and tier) and returns an Evidence whose ``n`` is
the claim's sample size. No training happens here: populations come from the study.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from claims.s003_linear_recipe.catalogue import BY_ID, IMPROVES, SCHEDULE_CONFIGS, Spec
from claims.s003_linear_recipe.protocols import ALPHA
from harness.engine.trainer import StopReason
from harness.evidence import rules, sweeps
from harness.evidence.reports import DOCUMENT_UNITS
from harness.evidence.verdicts import Evidence, Verdict
from harness.studies.linear_recipe.study import TIER_SEEDS, ArmResult, LinearStudy, main_arms
from harness.studies.linear_recipe.timing import logging_reductions


@dataclass
class Context:
    """What evidence functions read: the study and, for a claim run under another id (a noise
    reading), the Holm family its evidence is adjusted in. No evidence function draws random
    numbers (the studies are seeded from the master seed)."""

    study: LinearStudy
    family: str | None = None  # None: the main claim's own family


def figure_evidence(values: np.ndarray, claimed: float, margin: float) -> Evidence:
    """``mean_equals`` with margin; a constant or non-finite sample falls back to ``always`` on
    "every seed within the margin" (a t interval needs spread and finite values)."""
    values = np.asarray(values, dtype=float)
    if np.isfinite(values).all() and np.ptp(values) > 0:
        return rules.mean_equals(values, claimed, margin=margin, alpha=ALPHA)
    within = np.abs(values - claimed) <= margin
    ev = rules.always(int(within.sum()), int(values.size), alpha=ALPHA)
    return dataclasses.replace(
        ev,
        estimate=float(np.nanmean(values)),
        claimed_region=(claimed - margin, claimed + margin),
        detail={
            **ev.detail,
            "fallback": "constant or non-finite sample: every seed within the margin?",
            "non_finite": int((~np.isfinite(values)).sum()),
        },
    )


def _at_epoch(arm: ArmResult, quantity: str, epoch: int) -> np.ndarray:
    """W, b, the document's loss (at 0: initial MSE; at t >= 1: epoch t - 1's average) or the update
    magnitude (|theta(t + 1) - theta(t)|) at ``epoch``."""
    if quantity == "loss":
        return arm.initial_loss if epoch == 0 else arm.epoch_loss[min(epoch, len(arm.epoch_loss)) - 1]
    if quantity == "update":  # parameter change over epoch t
        last = len(arm.trajectory) - 1
        return np.linalg.norm(arm.trajectory[min(epoch + 1, last)] - arm.trajectory[min(epoch, last)], axis=1)
    state = arm.trajectory[min(epoch, len(arm.trajectory) - 1)]
    return state[:, 0] if quantity == "w" else state[:, 1]


THEOREM_W, THEOREM_B = 0.02, 0.05  # the theorem's bounds |W - 2| < 0.02, |b - 1| < 0.05: "converged"


def _epochs_to_bounds(arm: ArmResult) -> np.ndarray:
    """First epoch (S,) at which (W, b) lie within the theorem's bounds, T + 1 where they never do."""
    traj = arm.trajectory  # (T + 1, S, 2)
    inside = (np.abs(traj[..., 0] - 2.0) < THEOREM_W) & (np.abs(traj[..., 1] - 1.0) < THEOREM_B)  # (T + 1, S)
    return np.where(inside.any(0), inside.argmax(0), len(traj)).astype(float)


OSCILLATION_EPOCHS = 5  # "parameter oscillation" read as half the range of W over a run's last 5 epochs


def _oscillation(arm: ArmResult) -> np.ndarray:
    """Half the range of W (S,) over the last OSCILLATION_EPOCHS epochs before each member stopped."""
    last = np.minimum(arm.epochs.astype(int), len(arm.trajectory) - 1)  # (S,)
    idx = np.clip(last[None, :] - np.arange(OSCILLATION_EPOCHS)[:, None], 0, None)  # (E, S)
    w = arm.trajectory[idx, np.arange(idx.shape[1]), 0]  # (E, S)
    return np.ptp(w, axis=0) / 2.0


def _loss_decrease(arm: ArmResult, start: int, stop: int) -> np.ndarray:
    """Average loss decrease per epoch (S,) from epoch ``start`` to ``stop`` (the document's loss at t)."""
    return (_at_epoch(arm, "loss", start) - _at_epoch(arm, "loss", stop)) / (stop - start)


def _power_law_exponent(arm: ArmResult) -> np.ndarray:
    """Per member (S,): minus the OLS slope of log(L_t - L_{t+1}) on log t over the epochs t >= 1 with a
    positive decrease (the document's Delta L_t ~ t^-alpha); NaN with fewer than 3 such epochs."""
    loss = arm.epoch_loss  # (T, S): loss of epoch t at row t - 1
    drop = loss[:-1] - loss[1:]  # (T - 1, S): L_t - L_{t+1}, t = 1..T-1
    t = np.arange(1, len(loss), dtype=float)[:, None] * np.ones((1, loss.shape[1]))
    ok = drop > 0
    out = np.full(loss.shape[1], np.nan)
    for s in range(loss.shape[1]):
        if ok[:, s].sum() >= 3:
            out[s] = -np.polyfit(np.log(t[ok[:, s], s]), np.log(drop[ok[:, s], s]), 1)[0]
    return out


def _hessian_eigs(study: LinearStudy) -> np.ndarray:
    """Eigenvalues (S, 2) of each data set's MSE Hessian 2 [[mean x^2, mean x], [mean x, 1]]."""
    x = study.datasets[0].numpy()
    h = np.stack([np.stack([np.mean(x * x, 1), np.mean(x, 1)], -1), np.stack([np.mean(x, 1), np.ones(len(x))], -1)], -2)
    return np.linalg.eigvalsh(2 * h)


ARM_METRICS: dict[str, Callable[[ArmResult], np.ndarray]] = {
    "w": lambda a: a.params[:, 0],
    "b": lambda a: a.params[:, 1],
    "final_loss": lambda a: a.final_loss,
    "initial_loss": lambda a: a.initial_loss,
    "loss_reduction": lambda a: a.loss_reduction,
    "w_error": lambda a: a.w_error,
    "b_error": lambda a: a.b_error,
    "max_error": lambda a: np.maximum(a.w_error, a.b_error),
    "epochs": lambda a: a.epochs.astype(float),
    "epochs_to_bounds": _epochs_to_bounds,
    "oscillation": _oscillation,
    "loss_power_law": _power_law_exponent,
}
STUDY_METRICS: dict[str, Callable[[LinearStudy], np.ndarray]] = {
    "lambda_max": lambda s: _hessian_eigs(s)[:, 1],
    "lambda_min": lambda s: _hessian_eigs(s)[:, 0],
    "condition_number": lambda s: _hessian_eigs(s)[:, 1] / _hessian_eigs(s)[:, 0],
    "xavier_distance": lambda s: np.linalg.norm(s.xavier_inits.numpy() - np.array([2.0, 1.0]), axis=1),
}


def metric_values(study: LinearStudy, arm: ArmResult | None, metric: str) -> np.ndarray:
    """Per-seed values (S,) of ``metric`` ('w', 'w@50', 'lambda_max', ...) on ``arm``."""
    if metric in STUDY_METRICS:
        return STUDY_METRICS[metric](study)
    if metric.startswith("decrease@"):  # "decrease@0-20": average loss decrease per epoch over 0..20
        start, stop = (int(v) for v in metric.split("@")[1].split("-"))
        return _loss_decrease(arm, start, stop)
    if metric.startswith("param_error@"):  # ||(W - 2, b - 1)|| at that epoch
        epoch = int(metric.split("@")[1])
        return np.hypot(_at_epoch(arm, "w", epoch) - 2.0, _at_epoch(arm, "b", epoch) - 1.0)
    if "@" in metric:
        quantity, epoch = metric.split("@")
        return _at_epoch(arm, quantity, int(epoch))
    return ARM_METRICS[metric](arm)


EVENTS: dict[str, Callable[[ArmResult], np.ndarray]] = {
    "loss_reduction>0.95": lambda a: a.loss_reduction > 0.95,
    "w_error<0.01": lambda a: a.w_error < 0.01,
    "b_error<0.05": lambda a: a.b_error < 0.05,
    "b_error<0.01": lambda a: a.b_error < 0.01,
    "both_errors<0.01": lambda a: (a.w_error < 0.01) & (a.b_error < 0.01),
    "diverged": lambda a: a.reason == int(StopReason.DIVERGED),
    "epoch100_window": lambda a: (
        (a.final_loss < 0.05) & (np.abs(a.params[:, 0] - 2) <= 0.02) & (np.abs(a.params[:, 1] - 1) <= 0.05)
    ),
    "theorem": lambda a: (np.abs(a.params[:, 0] - 2) < 0.02) & (np.abs(a.params[:, 1] - 1) < 0.05),
    "not_diverged": lambda a: a.reason != int(StopReason.DIVERGED),
    "false_stop": lambda a: (a.reason == int(StopReason.PATIENCE)) & ~((a.w_error < 0.01) & (a.b_error < 0.05)),
}


def arith(spec: Spec, ctx: Context) -> Evidence:
    """The document's own inputs recomputed against its printed value ("at least" claims: observed >= claimed)."""
    a = spec.args
    observed = float(a["observed"]())
    if a["at_least"]:
        ev = rules.exact_value(
            min(observed, a["claimed"]), a["claimed"], rel_tol=0.0, abs_tol=a["abs_tol"], alpha=ALPHA
        )
        return dataclasses.replace(ev, estimate=observed, detail={**ev.detail, "reading": "observed >= claimed"})
    return rules.exact_value(observed, a["claimed"], rel_tol=0.0, abs_tol=a["abs_tol"], alpha=ALPHA)


def schedule(spec: Spec, ctx: Context) -> Evidence:
    """get_lr_schedule (the document's code, pi = 3.14159) at the listed epoch against the listed rate."""
    a = spec.args
    config = main_arms()[SCHEDULE_CONFIGS[a["which"]]].config
    observed = config.schedule()(a["epoch"])
    ev = rules.exact_value(observed, a["claimed"], rel_tol=0.0, abs_tol=a["abs_tol"], alpha=ALPHA)
    return dataclasses.replace(ev, detail={**ev.detail, "warmup": config.warmup, "total_epochs": config.decay_epochs})


def figure(spec: Spec, ctx: Context) -> Evidence:
    """A reported figure against the population mean over seeds."""
    a = spec.args
    arm = ctx.study.main.get(a["arm"])
    values = metric_values(ctx.study, arm, a["metric"])
    population = values.size
    if spec.claim.subset is not None:  # the members on which the metric is defined (finite)
        values = values[np.isfinite(values)]
    ev = figure_evidence(values, a["claimed"], a["margin"])
    if spec.claim.subset is not None:
        ev = ev.over_subset(population)
    return dataclasses.replace(
        ev,
        detail={
            **ev.detail,
            "median": float(np.nanmedian(values)),
            "p05_p95": tuple(float(q) for q in np.nanpercentile(values, [5, 95])),
        },
    )


def rate(spec: Spec, ctx: Context) -> Evidence:
    """A rate over seeds (exact binomial rules with Clopper-Pearson intervals)."""
    a = spec.args
    hits = EVENTS[a["event"]](ctx.study.main[a["arm"]])
    k, n = int(hits.sum()), int(hits.size)
    if a["equals"]:
        return rules.rate_equals(k, n, a["claimed"], margin=0.05, alpha=ALPHA)
    return rules.rate_at_least(k, n, a["claimed"], alpha=ALPHA)


def arm_compare(spec: Spec, ctx: Context) -> Evidence:
    """One arm's metric stochastically larger (or smaller) than another's (Brunner-Munzel, paired seeds read
    as two samples); values below the spec's ``floor`` (a resolution) are read as equal, at the floor."""
    a = spec.args
    x, y = (metric_values(ctx.study, ctx.study.main[arm], a["metric"]) for arm in a["arms"])
    if "floor" not in a:
        return rules.distributions_differ(x, y, direction=a["direction"], alpha=ALPHA)
    at_floor = [int(np.sum(v <= a["floor"])) for v in (x, y)]
    ev = rules.distributions_differ(
        np.maximum(x, a["floor"]), np.maximum(y, a["floor"]), direction=a["direction"], alpha=ALPHA
    )
    unclipped = rules.distributions_differ(x, y, direction=a["direction"], alpha=ALPHA)
    detail = {**ev.detail, "floor": a["floor"], "at_floor": at_floor, "unclipped_estimate": unclipped.estimate}
    if at_floor == [x.size, y.size]:
        detail["note"] = (
            f"{ev.detail.get('note', '')}: every value of both arms at or below the floor {a['floor']:g}, "
            "equal within round-off"
        )
    return dataclasses.replace(ev, detail=detail)


def arm_ratio(spec: Spec, ctx: Context) -> Evidence:
    """The ratio of two arms' medians of a metric inside a stated region (a claimed size)."""
    a = spec.args
    x, y = (metric_values(ctx.study, ctx.study.main[arm], a["metric"]) for arm in a["arms"])
    return rules.median_ratio_in(x, y, a["region"], alpha=ALPHA)


def event_differ(spec: Spec, ctx: Context) -> Evidence:
    """An event's rate in one arm above (or below) another's."""
    a = spec.args
    (k1, n1), (k2, n2) = (
        (int(EVENTS[a["event"]](ctx.study.main[arm]).sum()), ctx.study.main[arm].params.shape[0]) for arm in a["arms"]
    )
    return rules.rates_differ(k1, n1, k2, n2, direction=a["direction"], alpha=ALPHA)


def improves_family(study: LinearStudy, family: str) -> dict[str, Evidence]:
    """Paired sign tests "row k's final loss is below row k - 1's" for k = 1..9, Holm-corrected
    together as ``family``."""
    raw = []
    for spec in IMPROVES:
        k = spec.args["row"]
        now, before = study.main[f"row{k}"].final_loss, study.main[f"row{k - 1}"].final_loss
        ev = rules.rate_at_least(int((now < before).sum()), int(now.size), 0.5, alpha=ALPHA)
        raw.append(
            dataclasses.replace(
                ev,
                detail={
                    **ev.detail,
                    "ties": int((now == before).sum()),
                    "median_ratio": float(np.median(now) / np.median(before)),
                },
            )
        )
    return dict(zip((s.claim.id for s in IMPROVES), rules.holm(raw, alpha=ALPHA, family=family), strict=True))


def improves(spec: Spec, ctx: Context) -> Evidence:
    """This row's share of the Holm-corrected family."""
    return improves_family(ctx.study, ctx.family or spec.claim.family)[spec.claim.id]


def share(spec: Spec, ctx: Context) -> Evidence:
    """Per-seed share of the final-loss drop from row 0 to row 9 that rows a..b bring."""
    a, b = spec.args["rows"]
    loss = {k: ctx.study.main[f"row{k}"].final_loss for k in range(10)}
    shares = (loss[a - 1] - loss[b]) / (loss[0] - loss[9])
    return figure_evidence(shares, spec.args["claimed"], spec.args["margin"])


def contribution(spec: Spec, ctx: Context) -> Evidence:
    """A method's stated contribution range, read per seed from ablation rows k - 1 and k."""
    a = spec.args
    now, before = ctx.study.main[f"row{a['row']}"], ctx.study.main[f"row{a['row'] - 1}"]
    if a["reading"] == "points":
        values = now.loss_reduction - before.loss_reduction
    else:
        values = 1 - now.final_loss / before.final_loss
    return figure_evidence(values, (a["low"] + a["high"]) / 2, (a["high"] - a["low"]) / 2)


def variance_ratio(spec: Spec, ctx: Context) -> Evidence:
    """Var over seeds of one row's final loss / another row's, paired by seed (HC3 Pitman-Morgan)."""
    top, bottom = spec.args["rows"]
    x, y = (ctx.study.main[f"row{k}"].final_loss for k in (top, bottom))
    return rules.variance_ratio_equals(x, y, region=spec.args["region"], alpha=ALPHA)


def _norm_stat(norms: np.ndarray, stat: str) -> np.ndarray:
    """Per-member statistic of the per-step norms (steps, K), ignoring steps after the member stopped."""
    if stat == "mean":
        return np.nanmean(norms, 0)
    if stat == "std":
        return np.nanstd(norms, 0, ddof=1)
    if stat == "clipped_fraction":
        taken = np.isfinite(norms)
        return (np.where(taken, norms, 0) > 1.0).sum(0) / taken.sum(0)
    return np.nanpercentile(norms, float(stat[1:]), axis=0)


def gradnorm(spec: Spec, ctx: Context) -> Evidence:
    """A per-member gradient-norm statistic, averaged over the recorded members."""
    a = spec.args
    if a["stat"] == "std_ratio":
        values = _norm_stat(ctx.study.main["row0"].grad_norms, "std") / _norm_stat(
            ctx.study.main["row9"].grad_norms, "std"
        )
    else:
        values = _norm_stat(ctx.study.main[a["arm"]].grad_norms, a["stat"])
    ev = figure_evidence(values, a["claimed"], a["margin"])
    return dataclasses.replace(ev, detail={**ev.detail, "median": float(np.nanmedian(values))})


def frozen(spec: Spec, ctx: Context) -> Evidence:
    """``always``: did every member end with exactly its initial parameters?"""
    res = ctx.study.fp16(spec.args["precision"])
    base = res["baseline"]
    still = (base.params == base.trajectory[0]).all(axis=1)
    ev = rules.always(int(still.sum()), int(still.size), alpha=ALPHA)
    rand = res["baseline_random"]
    return dataclasses.replace(
        ev,
        detail={
            **ev.detail,
            "mean_w": float(base.params[:, 0].mean()),
            "mean_b": float(base.params[:, 1].mean()),
            "mean_skipped_steps": float(base.skipped.mean()),
            "random_init_frozen_share": float((rand.params == rand.trajectory[0]).all(axis=1).mean()),
            "random_init_mean_loss_reduction": float(np.nanmean(rand.loss_reduction)),
        },
    )


def fp16_figure(spec: Spec, ctx: Context) -> Evidence:
    """An fp16 baseline figure against the population mean."""
    a = spec.args
    values = metric_values(ctx.study, ctx.study.fp16(a["precision"])["baseline"], a["metric"])
    return figure_evidence(values, a["claimed"], a["margin"])


def timing(spec: Spec, ctx: Context) -> Evidence:
    """Measured wall-time reduction from logging every 10 epochs instead of every epoch (paired rounds):
    the median round's reduction inside claimed +- margin (``TimingProtocol.statistic``)."""
    tier = ctx.study.tier
    rounds = spec.claim.n_for(tier)
    reductions, detail = logging_reductions(ctx.study.data, rounds=rounds, epochs=spec.claim.protocol.epochs.value)
    claimed, margin = spec.args["claimed"], spec.args["margin"]
    ev = rules.median_in(reductions, (claimed - margin, claimed + margin), alpha=ALPHA)
    units = {  # the document prints a percentage, its number is recorded as a fraction: say which
        "value": ev.estimate,
        "ci": ev.ci,
        "label": "median round's reduction, a fraction: 3.5% = 0.035",
    }
    extra = {"mean_reduction": float(np.mean(reductions)), DOCUMENT_UNITS: units}
    return dataclasses.replace(ev, detail={**ev.detail, **detail, **extra})


EVIDENCE: dict[str, Callable[[Spec, Context], Evidence]] = {
    "arith": arith,
    "schedule": schedule,
    "figure": figure,
    "rate": rate,
    "improves": improves,
    "share": share,
    "contribution": contribution,
    "variance_ratio": variance_ratio,
    "gradnorm": gradnorm,
    "frozen": frozen,
    "fp16_figure": fp16_figure,
    "timing": timing,
    "arm_compare": arm_compare,
    "arm_ratio": arm_ratio,
    "event_differ": event_differ,
    "not_testable": lambda spec, ctx: rules.not_testable(spec.args["reason"], alpha=ALPHA),
}


def evidence_for(claim_id: str, ctx: Context) -> Evidence:
    """The evidence of the claim ``claim_id``."""
    spec = BY_ID[claim_id]
    return EVIDENCE[spec.kind](spec, ctx)


def survival(main: str, verdict: Verdict, reference: Verdict | None, tier: str, sweep_seeds: int) -> dict:
    """``sweeps.survival`` against the main claim's ledger verdict in ``tier`` (the sweep runs in the
    full tier: the reference is the main claim's full-tier verdict at the calibrated data setting)."""
    return sweeps.survival(
        main,
        verdict,
        reference,
        n_sweep=sweep_seeds,
        n_reference=TIER_SEEDS[tier],
        reference_text=f"ledger verdict of {main} in the {tier} tier (calibrated data setting, "
        f"{TIER_SEEDS[tier]} seeds)",
    )


__all__ = ["Context", "EVIDENCE", "evidence_for", "figure_evidence", "metric_values", "survival"]
