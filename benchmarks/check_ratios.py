"""Gate on speedup ratios measured in one pytest-benchmark run (robust to noisy machines).

Usage: ``python -m benchmarks.check_ratios RESULTS.json [FLOORS.json] [--only TEXT]``. For every
pair in the floors file (with ``--only``, every pair whose benchmark name contains TEXT, e.g. a
run of one benchmark module), throughput = extra_info["member_epochs"] / fastest round's seconds; the ratio
population/naive must reach the committed floor (for the online pairs: online / full batch) and, where a
pair has a ``ceiling``, stay at or below it (a band: for pairs whose ratio should stay near a value,
e.g. the logging pair, where a ratio far above 1 means logging became expensive). The fastest round is the least-disturbed
estimate of what the code can do (intermittent load only adds time); absolute times vary
between machines, ratios of two benchmarks taken in the same run much less.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

DEFAULT_FLOORS = Path(__file__).with_name("floors.json")


def throughputs(results: dict) -> dict[str, float]:
    """Member-epochs per second (fastest round) of every benchmark in a pytest-benchmark JSON document."""
    return {
        bench["name"]: bench["extra_info"]["member_epochs"] / bench["stats"]["min"]
        for bench in results.get("benchmarks", [])
        if "member_epochs" in bench.get("extra_info", {})
    }


def ratio_text(value: float) -> str:
    """``154,000x`` for speedups, ``0.74x`` for ratios near 1 (online vs full batch)."""
    return f"{value:,.0f}x" if value >= 10 else f"{value:.2f}x"


def check(results: dict, floors: dict) -> list[str]:
    """One line per pair (``ok`` or ``FAIL``); a pair whose benchmarks are missing fails."""
    rates = throughputs(results)
    lines = []
    for pair in floors["pairs"]:
        fast, slow = pair["population"], pair["naive"]
        if fast not in rates or slow not in rates:
            lines.append(f"FAIL {fast} / {slow}: missing from the results or without extra_info['member_epochs']")
            continue
        ratio = rates[fast] / rates[slow]
        ceiling = pair.get("ceiling")
        status = "ok" if ratio >= pair["floor"] and (ceiling is None or ratio <= ceiling) else "FAIL"
        band = f"floor {ratio_text(pair['floor'])}" + ("" if ceiling is None else f", ceiling {ratio_text(ceiling)}")
        lines.append(
            f"{status} {fast} / {slow}: ratio {ratio_text(ratio)} ({band}, "
            f"committed measurement {ratio_text(pair['measured'])}); {rates[fast]:.3g} vs {rates[slow]:.3g} member-epochs/s"
        )
    return lines


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.check_ratios", description="Gate on speedup ratios of one pytest-benchmark run."
    )
    parser.add_argument("results", type=Path, help="pytest-benchmark JSON (--benchmark-json)")
    parser.add_argument("floors", type=Path, nargs="?", default=DEFAULT_FLOORS, help="floors file (default: committed)")
    parser.add_argument("--only", default=None, help="check only the pairs whose benchmark name contains this text")
    args = parser.parse_args(argv[1:])
    floors = json.loads(args.floors.read_text())
    if args.only is not None:
        floors = {**floors, "pairs": [p for p in floors["pairs"] if args.only in p["population"]]}
        if not floors["pairs"]:
            print(f"no pair's benchmark name contains {args.only!r}", file=sys.stderr)
            return 2
    lines = check(json.loads(args.results.read_text()), floors)
    print("\n".join(lines))
    return 1 if any(line.startswith("FAIL") for line in lines) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
