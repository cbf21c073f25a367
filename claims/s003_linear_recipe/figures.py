"""Figures of source 003's report: trajectories against the document's timelines, ablation bars with CIs,
the learning-rate schedules, and the recipe's gradient-norm histogram with the clipping line."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from scipy import stats as sps

from claims.s003_linear_recipe.catalogue import (
    ABLATION_TABLE,
    BASELINE_TIMELINE,
    FAST_TIMELINE,
    RECIPE_TIMELINE,
    SLOW_TIMELINE,
)
from harness.studies.linear_recipe.study import LinearStudy, main_arms


def trajectories(study: LinearStudy) -> dict:
    """W(t) and b(t): population median and 5-95% band for baseline and recipe, with the document's points."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, col, name in zip(axes, (0, 1), ("W", "b"), strict=True):
        for arm, table, color in (("row0", BASELINE_TIMELINE, "tab:red"), ("row9", RECIPE_TIMELINE, "tab:blue")):
            traj = study.main[arm].trajectory[:, :, col]  # (T + 1, S)
            t = np.arange(len(traj))
            lo, med, hi = np.percentile(traj, [5, 50, 95], axis=1)
            ax.plot(t, med, color=color, label=f"{arm} median")
            ax.fill_between(t, lo, hi, color=color, alpha=0.2)
            ax.scatter(
                table["epochs"],
                [float(v) for v in table[name.lower()]],
                color=color,
                marker="x",
                label=f"document ({arm})",
            )
        ax.axhline(2.0 if col == 0 else 1.0, color="k", lw=0.8, ls=":")
        ax.set(xlabel="epoch", ylabel=name, title=f"{name}(t): ours (lines) vs the document (x)")
        ax.legend(fontsize=7)
    fig.tight_layout()
    return {"trajectories": fig}


def ablation_bars(study: LinearStudy) -> dict:
    """Mean final loss, W error and b error per ablation row with 95% t intervals, against the table."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    rows = np.arange(11)
    for ax, j, name in zip(axes, range(3), ("final loss", "W error", "b error"), strict=True):
        values = []
        for k in rows:
            arm = study.main[f"row{min(k, 9)}"]
            values.append((arm.final_loss, arm.w_error, arm.b_error)[j])
        means = np.array([v.mean() for v in values])
        half = np.array([sps.sem(v) * sps.t.ppf(0.975, len(v) - 1) if np.ptp(v) > 0 else 0.0 for v in values])
        ax.bar(rows, means, yerr=half, color="tab:blue", alpha=0.7, label="ours (mean, 95% CI)")
        ax.scatter(rows, [float(r[j]) for r in ABLATION_TABLE], color="tab:red", marker="x", label="document")
        ax.set(xlabel="ablation row (methods added)", ylabel=name, yscale="symlog", title=name)
        ax.set_yscale("symlog", linthresh=1e-4)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return {"ablation": fig}


def schedules(study: LinearStudy) -> dict:
    """get_lr_schedule of the fast (row 1) and slow (recipe) settings, with the document's timeline values."""
    arms = main_arms()
    fig, ax = plt.subplots(figsize=(6, 4))
    for arm, listed, step, color in (("row1", FAST_TIMELINE, 5, "tab:red"), ("row9", SLOW_TIMELINE, 10, "tab:blue")):
        config = arms[arm].config
        t = np.arange(101)
        ax.plot(t, [config.schedule()(int(e)) for e in t], color=color, label=f"code: {arm}")
        ax.scatter(np.arange(len(listed)) * step, [float(v) for v in listed], color=color, marker="x", label="document")
    ax.set(xlabel="epoch", ylabel="learning rate", title="get_lr_schedule (pi = 3.14159) vs the document's timelines")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return {"schedules": fig}


def grad_norm_histogram(study: LinearStudy) -> dict:
    """Per-step gradient norms of the recipe's recorded members, with the clip threshold and the document's percentiles."""
    norms = study.main["row9"].grad_norms
    norms = norms[np.isfinite(norms) & (norms > 0)]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.hist(np.log10(norms), bins=80, color="tab:blue", alpha=0.7)
    ax.axvline(0.0, color="k", label="clip threshold 1.0")
    for q, v in ((50, 1.05), (90, 1.85), (95, 2.35), (99, 3.5)):
        ax.axvline(np.log10(v), color="tab:red", ls="--", lw=0.8)
        ax.axvline(np.log10(np.percentile(norms, q)), color="tab:green", ls=":", lw=0.8)
    ax.set(
        xlabel="log10 gradient norm (per step, before clipping)",
        ylabel="steps",
        title="recipe gradient norms: percentiles, document (red) vs ours (green)",
    )
    ax.legend(fontsize=7)
    fig.tight_layout()
    return {"grad_norms": fig}
