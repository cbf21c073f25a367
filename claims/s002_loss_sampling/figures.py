"""Figures of the source-002 claims: success per arm, epochs per arm, initial-loss histogram, stuck loss curves."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from statsmodels.stats.proportion import proportion_confint

from harness.studies.loss_sampling.study import ARMS, STATED_THRESHOLDS, LossSamplingStudy

DOC_SUCCESS = {
    "relu_pair": {"control": 29, "p50": 35, "p25": 43, "p0": 50, "anti_p50": 14},
    "mlp_2_2_2": {"control": 10, "p0": 19},
}


def success_figure(study: LossSamplingStudy):
    """Success rate per arm with exact (Clopper-Pearson) 95% CIs, ours and the document's (n = 50)."""
    names = [a.name for a in ARMS[study.model.name]]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for offset, label, counts in (
        (-0.15, "measured", [(int(study.arm(n).outcomes.success.sum()), len(study.arm(n).outcomes)) for n in names]),
        (0.15, "document", [(DOC_SUCCESS[study.model.name][n], 50) for n in names]),
    ):
        rates = np.array([k / n for k, n in counts])
        lo, hi = np.array([proportion_confint(k, n, alpha=0.05, method="beta") for k, n in counts]).T
        ax.errorbar(
            np.arange(len(names)) + offset, rates, yerr=[rates - lo, hi - rates], fmt="o", capsize=4, label=label
        )
    ax.set_xticks(range(len(names)), names)
    ax.set(ylabel="success rate (100% accuracy)", ylim=(0, 1.05), title=f"002 {study.model.name}: success per arm")
    ax.legend()
    fig.tight_layout()
    return fig


def epochs_figure(study: LossSamplingStudy):
    """Epochs to convergence of the successful runs of each arm (box plots)."""
    names = [a.name for a in ARMS[study.model.name]]
    data = [study.arm(n).outcomes.epochs[study.arm(n).outcomes.success] for n in names]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.boxplot([d if len(d) else [np.nan] for d in data], whis=(0, 100))
    ax.set_xticks(range(1, len(names) + 1), names)
    ax.set(ylabel="epochs to convergence", title=f"002 {study.model.name}: epochs of successful runs (whiskers: range)")
    fig.tight_layout()
    return fig


def histogram_figure(study: LossSamplingStudy):
    """Histogram of the baseline initial losses with the document's percentile thresholds marked."""
    losses, _ = study.baseline
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.hist(losses, bins=np.linspace(0, np.quantile(losses, 0.99), 60), color="tab:blue", alpha=0.7)
    for q, value in STATED_THRESHOLDS[study.model.name].items():
        ax.axvline(value, color="tab:red", linestyle="--")
        ax.text(value, ax.get_ylim()[1] * 0.9, f" p{q:g} = {value}", color="tab:red", fontsize=8)
    ax.set(xlabel="initial MSE", ylabel="count", title=f"002 {study.model.name}: initial loss ({study.scheme.name})")
    fig.tight_layout()
    return fig


def stuck_curves_figure(study: LossSamplingStudy, arm: str = "control"):
    """Loss curves of the stuck runs (< 100% accuracy) of one arm; None when not recorded."""
    curves = study.loss_curves(arm)
    if curves is None:
        return None
    stuck = ~study.arm(arm).outcomes.success
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(curves[:, stuck], color="tab:gray", alpha=0.4, lw=0.8)
    ax.axhline(0.125, color="tab:red", linestyle="--", label="0.125 (document)")
    ax.set(xlabel="epoch", ylabel="MSE", yscale="log", title=f"002 {study.model.name}: stuck runs of the {arm} arm")
    ax.legend()
    fig.tight_layout()
    return fig
