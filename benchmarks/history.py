"""Track the speedup ratios over time: compare a benchmark run with the stored history, plot it, gate on regressions.

Usage::

    python -m pytest benchmarks -p no:xdist --benchmark-autosave          # store a run (.benchmarks/<machine>/NNNN_*.json)
    python -m benchmarks.history                                           # the newest stored run against the older ones
    python -m benchmarks.history RUN.json [--storage .benchmarks] [--threshold 0.3] [--plot reports/benchmark-history.png]

pytest-benchmark's storage keeps every saved run with its machine info (host, CPU, Python) and
commit. This command reads the ratios that ``benchmarks.check_ratios`` gates on (population /
naive throughput of the pairs in ``floors.json``, both from the same run) from every stored run of
the *same machine* (``machine_info`` node, CPU and Python version equal: ratios of other machines
are not comparable), compares the run with the median of the earlier runs, draws every pair's
ratio over the runs into a PNG, and exits 1 when a pair's ratio fell below ``1 - threshold``
times its history median (default threshold 0.3: a drop of more than 30%, beyond the spread of
repeated runs on the shared 2-core machine, see ``floors.json``). A banded pair (``ceiling``) also
fails when its ratio rose above ``1 + threshold`` times the median. Exit 0: no regression (or no
history yet: nothing to compare, said so); 2: bad usage or no run to compare.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.check_ratios import DEFAULT_FLOORS, ratio_text, throughputs

DEFAULT_STORAGE = Path(".benchmarks")
DEFAULT_PLOT = Path("reports") / "benchmark-history.png"
DEFAULT_THRESHOLD = 0.3


@dataclass(frozen=True)
class Run:
    """One stored pytest-benchmark run: where it is, when, on which machine, at which commit, its ratios."""

    path: Path
    when: str  # ISO 8601 time of the run (pytest-benchmark's "datetime")
    machine: tuple[str, str, str]  # (node, CPU brand, Python version): runs are compared on one machine only
    commit: str  # short commit id ("" when unknown)
    ratios: dict[str, float]  # pair name ("population / naive") -> ratio of throughputs


def pair_name(pair: dict[str, Any]) -> str:
    return f"{pair['population']} / {pair['naive']}"


def _machine(doc: dict[str, Any]) -> tuple[str, str, str]:
    info = doc.get("machine_info", {})
    return str(info.get("node", "")), str(info.get("cpu", {}).get("brand_raw", "")), str(info.get("python_version", ""))


def load_run(path: Path, pairs: Sequence[dict[str, Any]]) -> Run:
    """The :class:`Run` of one pytest-benchmark JSON file; ``ValueError`` naming the file when it is not one."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        rates = throughputs(doc)
        when = str(doc["datetime"])
    except (OSError, ValueError, KeyError, TypeError, ZeroDivisionError) as exc:
        raise ValueError(f"{path}: not a pytest-benchmark results file ({exc})") from None
    ratios = {
        pair_name(p): rates[p["population"]] / rates[p["naive"]]
        for p in pairs
        if p["population"] in rates and p["naive"] in rates
    }
    commit = str((doc.get("commit_info") or {}).get("id") or "")[:8]
    return Run(path=path, when=when, machine=_machine(doc), commit=commit, ratios=ratios)


def stored_runs(storage: Path, pairs: Sequence[dict[str, Any]]) -> list[Run]:
    """Every run saved under ``storage`` (``--benchmark-autosave``/``--benchmark-save``), oldest first."""
    runs = [load_run(p, pairs) for p in sorted(storage.glob("*/*.json"))] if storage.is_dir() else []
    return sorted(runs, key=lambda r: r.when)


def compare(run: Run, history: Sequence[Run], pairs: Sequence[dict[str, Any]], threshold: float) -> list[str]:
    """One line per pair: ``ok``, ``REGRESSION`` (beyond ``threshold`` of the history median) or ``new``."""
    lines = []
    for pair in pairs:
        name = pair_name(pair)
        if name not in run.ratios:
            lines.append(f"missing {name}: not in this run")
            continue
        now = run.ratios[name]
        past = [r.ratios[name] for r in history if name in r.ratios]
        if not past:
            lines.append(f"new {name}: ratio {ratio_text(now)} (no earlier run of this pair on this machine)")
            continue
        median = statistics.median(past)
        low, high = (1 - threshold) * median, (1 + threshold) * median if "ceiling" in pair else None
        bad = now < low or (high is not None and now > high)
        band = f">= {ratio_text(low)}" + ("" if high is None else f" and <= {ratio_text(high)}")
        lines.append(
            f"{'REGRESSION' if bad else 'ok'} {name}: ratio {ratio_text(now)}, history median {ratio_text(median)} "
            f"over {len(past)} run(s), range {ratio_text(min(past))}-{ratio_text(max(past))}; must be {band}"
        )
    return lines


def plot(runs: Sequence[Run], pairs: Sequence[dict[str, Any]], path: Path) -> Path:
    """Every pair's ratio over ``runs`` (one panel per pair, the committed floor dashed) as a PNG at ``path``."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 2.2 * len(pairs)), layout="constrained")
    axes = fig.subplots(len(pairs), 1, squeeze=False)[:, 0]
    labels = [f"{r.when[:16].replace('T', ' ')}\n{r.commit}" for r in runs]
    for ax, pair in zip(axes, pairs, strict=True):
        name = pair_name(pair)
        xs = [i for i, r in enumerate(runs) if name in r.ratios]
        ax.plot(xs, [runs[i].ratios[name] for i in xs], "o-", ms=4, color="#1a56c4", label="ratio")
        ax.axhline(pair["floor"], color="#c62828", ls="--", lw=0.8, label="committed floor")
        if "ceiling" in pair:
            ax.axhline(pair["ceiling"], color="#c62828", ls=":", lw=0.8, label="committed ceiling")
        ax.set_title(name, fontsize=8)
        ax.set_ylabel("ratio", fontsize=8)
        ax.set_xticks(range(len(runs)), labels if ax is axes[-1] else [""] * len(runs), fontsize=6)
        ax.legend(fontsize=6, loc="best")
    fig.suptitle("Benchmark speedup ratios over stored runs (one machine)", fontsize=10)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=90)
    return path


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.history", description="Compare a benchmark run's ratios with the stored history."
    )
    parser.add_argument("run", type=Path, nargs="?", help="pytest-benchmark JSON (default: the newest stored run)")
    parser.add_argument("--storage", type=Path, default=DEFAULT_STORAGE, help="pytest-benchmark storage folder")
    parser.add_argument("--floors", type=Path, default=DEFAULT_FLOORS, help="pairs (and floors) to track")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD, help="fail below (1 - T) x median")
    parser.add_argument("--plot", type=Path, default=DEFAULT_PLOT, help="PNG of the ratios over the runs")
    args = parser.parse_args(list(argv))
    if not 0 < args.threshold < 1:
        parser.error(f"--threshold must lie strictly between 0 and 1, got {args.threshold}")
    pairs = json.loads(args.floors.read_text(encoding="utf-8"))["pairs"]
    try:
        stored = stored_runs(args.storage, pairs)
        run = load_run(args.run, pairs) if args.run is not None else (stored[-1] if stored else None)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    if run is None:
        print(f"no run given and none stored under {args.storage} (pytest benchmarks --benchmark-autosave)")
        return 2
    history = [r for r in stored if r.machine == run.machine and r.when < run.when and r.path != run.path]
    print(f"run {run.path} ({run.when}, commit {run.commit or '?'}) on {' / '.join(run.machine)}")
    print(
        f"history: {len(history)} earlier run(s) of this machine under {args.storage}; threshold {args.threshold:.0%}"
    )
    lines = compare(run, history, pairs, args.threshold)
    print("\n".join(lines))
    print(f"plot: {plot([*history, run], pairs, args.plot)}")
    return 1 if any(line.startswith("REGRESSION") for line in lines) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
