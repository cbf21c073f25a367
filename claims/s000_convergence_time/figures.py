"""Figures of the claims of source 000 (drawn into the report next to a claim's verdict)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from harness.engine.trainer import StopReason
from harness.studies import convergence as C

from .evidence import Study


def pred_figures(rows: C.Rows, score: C.ModelScore, scheme: str):
    """Out-of-fold predictions against the truth, and residuals (capped traces in red)."""
    y = rows.epochs_remaining
    pred = score.oof_pred
    fig1, ax = plt.subplots(figsize=(4.5, 4))
    ax.scatter(y, pred, s=4, alpha=0.3)
    lim = (0, float(y.max()) + 1)
    ax.plot(lim, lim, color="tab:red", lw=1, label="y = x")
    ax.set(
        xlabel="actual epochs remaining",
        ylabel="out-of-fold prediction",
        title=f"linear regression, {scheme}: R² {score.pooled_r2:.4f}",
    )
    ax.legend()
    fig1.tight_layout()
    fig2, ax = plt.subplots(figsize=(4.5, 4))
    ax.scatter(pred, y - pred, s=4, alpha=0.3, c=rows.reason == int(StopReason.MAX_EPOCHS), cmap="coolwarm")
    ax.axhline(0, color="k", lw=0.8)
    ax.set(
        xlabel="out-of-fold prediction",
        ylabel="residual (actual - predicted)",
        title=f"residuals, {scheme} (red: capped traces)",
    )
    fig2.tight_layout()
    return fig1, fig2


def distance_figure(rows: C.Rows, forms):
    """Epochs remaining against L2 distance, linear and log axes, with the linear and log fits."""
    d, y = rows.l2_distance, rows.epochs_remaining
    capped = rows.reason == int(StopReason.MAX_EPOCHS)
    fig, axes = plt.subplots(1, 2, figsize=(9, 4))
    order = np.argsort(d)
    for ax, xscale in zip(axes, ("linear", "log"), strict=True):
        ax.scatter(d[~capped], y[~capped], s=3, alpha=0.3, label="converged traces")
        ax.scatter(d[capped], y[capped], s=3, alpha=0.3, color="tab:orange", label="capped traces")
        for form, color in (("linear", "tab:red"), ("log", "tab:green")):
            ax.plot(
                d[order],
                forms.oof_pred[form][order],
                color=color,
                lw=1,
                label=f"{form} form (out-of-fold), R² {forms.pooled_r2[form]:.3f}",
            )
        ax.set(
            xscale=xscale, xlabel="L2 distance to the final state", ylabel="epochs remaining", title=f"{xscale} axis"
        )
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def importance_figure(study: Study):
    """7.2: ablation R² per feature family and the random forest's impurity importances."""
    ab = study.ablation
    importance = C.feature_importances(study.rows, random_state=study.random_state("importance"))
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    fams = list(C.FEATURE_FAMILIES)
    x = np.arange(len(fams))
    axes[0].bar(x - 0.2, [ab.pooled_r2[f"only_{f}"] for f in fams], 0.4, label="family alone")
    axes[0].bar(x + 0.2, [ab.pooled_r2[f"without_{f}"] for f in fams], 0.4, label="all but the family")
    axes[0].axhline(ab.pooled_r2["all"], color="k", lw=0.8, label="all 18")
    axes[0].set_xticks(x, fams, rotation=30, ha="right", fontsize=8)
    axes[0].set(ylim=(min(0.0, *ab.pooled_r2.values()), 1.0), ylabel="grouped-CV R² (linear regression)")
    axes[0].legend(fontsize=7)
    ranked = sorted(importance.items(), key=lambda item: item[1], reverse=True)
    axes[1].bar(np.arange(len(ranked)), [value for _, value in ranked])
    axes[1].set_xticks(np.arange(len(ranked)), [name for name, _ in ranked], rotation=70, fontsize=7)
    axes[1].set(ylabel="impurity importance", title="random forest (fast), all rows")
    fig.tight_layout()
    return fig


def epochs_figure(study: Study):
    """Histogram of epochs per trace by stop reason, against the document's mean."""
    tr = study.traces
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for reason, color in (
        (StopReason.CONVERGED_LOSS, "tab:blue"),
        (StopReason.CONVERGED_GRAD, "tab:green"),
        (StopReason.MAX_EPOCHS, "tab:orange"),
    ):
        m = tr.stopped_by(reason)
        if m.any():
            ax.hist(
                tr.epochs[m],
                bins=np.arange(0, tr.epochs.max() + 2),
                color=color,
                alpha=0.7,
                label=f"{reason.name.lower()} ({int(m.sum())})",
            )
    ax.axvline(34.5, color="k", ls="--", lw=1, label="document's mean 34.5")
    ax.set(
        xlabel="epochs per trace",
        ylabel="traces",
        title=f"calibrated traces: lr {study.protocol.lr:g}, "
        f"scale {study.protocol.init_scale:g}, cap {study.protocol.max_epochs}",
    )
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
