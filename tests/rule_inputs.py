"""The rules' inputs captured from a claims run: the fixture the calibration on the claims' own data reads.

Regenerate (the quick tier, plus the one full-tier-only rule input, 003's paired variance ratio)::

    CLAIMS_RULE_CAPTURE=/tmp/rule-inputs python -m pytest claims -n 2
    CLAIMS_RULE_CAPTURE=/tmp/rule-inputs python -m pytest claims -n 2 --claims-tier full -k variance_reduction
    python -m tests.rule_inputs /tmp/rule-inputs

``harness.evidence.rules.capture`` writes one JSON line per rule call; this module merges the
lines, drops repeated calls (the same rule on the same data and settings, e.g. a Holm family
built by several tests) and writes ``tests/data/rule_inputs.json.gz``: a list of
``{"rule", "tests", "claims", "settings", "data"}`` sorted by rule and first test (``claims``: the
ids of the claims running when the call was made; absent in a fixture captured before they were).
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).parent / "data" / "rule_inputs.json.gz"


def merge(folder: Path) -> list[dict[str, Any]]:
    """Every distinct rule call in the capture ``folder``, with the tests that made it."""
    calls: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            call = json.loads(line)
            key = json.dumps([call["rule"], call["settings"], call["data"]], sort_keys=True)
            entry = calls.setdefault(key, {**call, "tests": [], "claims": []})
            if call["test"] and call["test"] not in entry["tests"]:
                entry["tests"].append(call["test"])
            if call.get("claim") and call["claim"] not in entry["claims"]:
                entry["claims"].append(call["claim"])
    merged = [{k: v for k, v in c.items() if k not in ("test", "claim")} for c in calls.values()]
    for c in merged:
        c["tests"].sort()
        c["claims"].sort()
    return sorted(merged, key=lambda c: (c["rule"], c["tests"][:1], json.dumps(c["settings"], sort_keys=True)))


def load() -> list[dict[str, Any]]:
    """The committed fixture: every captured rule call."""
    with gzip.open(FIXTURE, "rt", encoding="utf-8") as f:
        return json.load(f)


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not Path(argv[1]).is_dir():
        print(__doc__, file=sys.stderr)
        return 2
    calls = merge(Path(argv[1]))
    FIXTURE.parent.mkdir(exist_ok=True)
    with gzip.GzipFile(FIXTURE, "wb", mtime=0) as f:
        f.write(json.dumps(calls, separators=(",", ":")).encode("utf-8"))
    counts: dict[str, int] = {}
    for c in calls:
        counts[c["rule"]] = counts.get(c["rule"], 0) + 1
    print(f"wrote {FIXTURE}: {len(calls)} calls " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
