"""The coverage map of the source documents: every line that states a number, and every other line
that makes a claim, names the claims that test it or says why none does.

``claims/coverage.json`` (schema 1)::

    {"schema": 1, "documents": {"<file>": {"<line>": {"claims": ["<id>", ...]} | {"reason": "<why>"}}}}

Lines are 1-based. A reason starts with one of :data:`REASON_KINDS` ("heading", "setting", ...)
followed by ": " and the particulars, so the map can be counted by kind. Claims quoting a line that
only sets the context (a table's header, a section's first words) are listed where they test it.
``check`` lists what is wrong with a map against the documents' texts and the ids of the claims
declared (:func:`declared_ids`: every claim test collected, in either tier);
``tests/test_coverage_map.py`` runs it whenever the documents are present, and
``python -m claims.coverage`` prints the counts per document.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

COVERAGE_PATH = Path(__file__).with_name("coverage.json")
IDS_FILE_ENV = "CLAIMS_COVERAGE_IDS_FILE"  # where this module, loaded as a plugin, writes the collected ids
SCHEMA = 1
DIGIT = re.compile(r"[0-9]")
# What a line without a claim is: the first word of its reason.
REASON_KINDS = (
    "heading",  # a section or table heading, a figure's caption: states nothing
    "setting",  # a setting the claims use (named in their protocols): not itself a claim
    "definition",  # a formula or a definition the claims compute with
    "restates",  # a number or statement tested on another line (named)
    "question",  # a question, a plan or a recommendation: no claim
    "not testable",  # a statement no experiment here can decide (the reason says why)
)
# Claims that re-test a claim of the map under another setting (sweeps, 003's noise readings): they
# are reported beside their main claim and need no line of their own.
VARIANT = re.compile(r"(^\d{3}\.sweep_|\.sweep_|_noise0(p\d+)?$)")


def digit_lines(text: str) -> list[int]:
    """1-based numbers of the lines of ``text`` that contain an ASCII digit."""
    return [i for i, line in enumerate(text.split("\n"), 1) if DIGIT.search(line)]


def load(path: str | Path = COVERAGE_PATH) -> dict[str, dict[int, dict]]:
    """The map at ``path``: ``{file: {line: entry}}``; ValueError naming the problem when malformed."""
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or raw.get("schema") != SCHEMA or not isinstance(raw.get("documents"), dict):
        raise ValueError(f'{path}: expected {{"schema": {SCHEMA}, "documents": {{...}}}}')
    out: dict[str, dict[int, dict]] = {}
    for doc, lines in raw["documents"].items():
        if not isinstance(lines, dict):
            raise ValueError(f"{path}: {doc}: expected an object of lines")
        out[doc] = {}
        for key, entry in lines.items():
            if not key.isdigit() or int(key) < 1:
                raise ValueError(f"{path}: {doc}: line {key!r} is not a positive line number")
            out[doc][int(key)] = entry
    return out


def _entry_problems(doc: str, line: int, entry: object, known: set[str]) -> list[str]:
    where = f"{doc}:{line}"
    if not isinstance(entry, dict) or len(entry) != 1 or next(iter(entry)) not in ("claims", "reason"):
        return [f"{where}: an entry is {{'claims': [...]}} or {{'reason': '...'}}, got {entry!r}"]
    if "reason" in entry:
        reason = entry["reason"]
        if not isinstance(reason, str) or not any(reason == k or reason.startswith(f"{k}: ") for k in REASON_KINDS):
            return [f"{where}: a reason starts with one of {REASON_KINDS} (then ': ...'), got {reason!r}"]
        return []
    ids = entry["claims"]
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        return [f"{where}: 'claims' must be a non-empty list of claim ids"]
    wrong_doc = [i for i in ids if not i.startswith(doc[:3] + ".")]
    unknown = [i for i in ids if i not in known]
    return [f"{where}: {i} belongs to another document" for i in wrong_doc] + [
        f"{where}: {i} is no claim (no claim test declares it)" for i in unknown
    ]


def check(coverage: Mapping[str, Mapping[int, dict]], texts: Mapping[str, str], known: Iterable[str]) -> list[str]:
    """Everything wrong with ``coverage`` for the documents ``texts`` ({file: text}) and the claim ids
    ``known``: a line with a digit and no entry, an entry past the end of its document, a malformed
    entry or reason, an id that is no claim of that document, and a claim of a document (variants
    aside) that no line lists."""
    known = set(known)
    problems: list[str] = []
    for doc, text in sorted(texts.items()):
        entries = coverage.get(doc, {})
        n_lines = len(text.split("\n"))
        problems += [
            f"{doc}:{line}: states a number but has no entry" for line in digit_lines(text) if line not in entries
        ]
        problems += [f"{doc}:{line}: past the document's {n_lines} lines" for line in entries if line > n_lines]
        for line, entry in sorted(entries.items()):
            problems += _entry_problems(doc, line, entry, known)
        listed = {i for entry in entries.values() for i in entry.get("claims", [])}
        own = {i for i in known if i.startswith(doc[:3] + ".") and not VARIANT.search(i)}
        problems += [f"{doc}: claim {i} is on no line of the map" for i in sorted(own - listed)]
    problems += [f"{doc}: not a document of this project" for doc in sorted(set(coverage) - set(texts))]
    return problems


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Loaded as a plugin (``-p claims.coverage``): write the id of every claim test collected,
    before the tier or ``-k`` deselect any, to the file named by ``$CLAIMS_COVERAGE_IDS_FILE``."""
    path = os.environ.get(IDS_FILE_ENV)
    if path:
        ids = sorted({mark.args[0].id for item in items for mark in item.iter_markers("claim")})
        Path(path).write_text("\n".join(ids) + "\n", encoding="utf-8")


def _own_root_first() -> str:
    """``$PYTHONPATH`` with the folder holding this ``claims`` package first, so that ``-p claims.coverage``
    loads this module even where ``claims_dir`` is another project's ``claims`` folder (``-P`` keeps the
    subprocess's working directory off ``sys.path``, where that folder would shadow this one)."""
    own = str(Path(__file__).resolve().parents[1])
    return os.pathsep.join([own, *filter(None, [os.environ.get("PYTHONPATH")])])


def declared_ids(claims_dir: str | Path = COVERAGE_PATH.parent) -> set[str]:
    """The ids of every claim test under ``claims_dir`` (both tiers), from a ``--collect-only``
    run in a subprocess (the ledger is no list of claims: it lacks the entries of claims not yet
    run in a tier and keeps stale ones until pruned). RuntimeError with pytest's output when the
    collection fails."""
    claims_dir = Path(claims_dir)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ids.txt"
        proc = subprocess.run(
            [sys.executable, "-P", "-m", "pytest", str(claims_dir), "--collect-only", "-q", "-p", "claims.coverage"],
            cwd=claims_dir.parent,
            env={**os.environ, IDS_FILE_ENV: str(out), "PYTHONPATH": _own_root_first()},
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0 or not out.is_file():
            raise RuntimeError(f"collecting the claims of {claims_dir} failed:\n{proc.stdout}{proc.stderr}")
        return set(out.read_text(encoding="utf-8").split())


def counts(coverage: Mapping[str, Mapping[int, dict]]) -> dict[str, dict[str, int]]:
    """Per document: the lines mapped, those covered by claims, and those with a reason, by kind."""
    out = {}
    for doc, entries in sorted(coverage.items()):
        kinds = Counter(
            next(k for k in REASON_KINDS if e["reason"] == k or e["reason"].startswith(f"{k}: "))
            for e in entries.values()
            if "reason" in e
        )
        out[doc] = {
            "lines": len(entries),
            "claims": sum("claims" in e for e in entries.values()),
            **{kind: kinds.get(kind, 0) for kind in REASON_KINDS},
        }
    return out


def main() -> None:
    """Print the counts of the committed map per document."""
    for doc, c in counts(load()).items():
        sys.stdout.write(f"{doc}: " + ", ".join(f"{k} {v}" for k, v in c.items()) + "\n")


if __name__ == "__main__":
    main()
