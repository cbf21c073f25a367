"""``python -m harness.evidence.reports``: validate reports against the committed schema, or regenerate it.

python -m harness.evidence.reports reports/claims.json [...]   # exit 1 when one breaks the schema
python -m harness.evidence.reports --write-schema               # rewrite harness/evidence/reports/claims.schema.json
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

from harness.evidence.reports.schema import SCHEMA_PATH, schema_text, validate


def main(argv: Sequence[str]) -> int:
    """``--write-schema``: regenerate the committed schema; otherwise validate each ``claims.json`` given."""
    if list(argv) == ["--write-schema"]:
        SCHEMA_PATH.write_text(schema_text(), encoding="utf-8")
        print(f"wrote {SCHEMA_PATH}")
        return 0
    if not argv or any(a.startswith("-") for a in argv):
        print("usage: python -m harness.evidence.reports (--write-schema | CLAIMS_JSON ...)", file=sys.stderr)
        return 2
    status = 0
    for name in argv:
        errors = validate(json.loads(Path(name).read_text(encoding="utf-8")))
        print(f"{name}: {'valid against ' + SCHEMA_PATH.name if not errors else f'{len(errors)} schema violations'}")
        for error in errors[:20]:
            print(f"  {error}")
        status |= bool(errors)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
