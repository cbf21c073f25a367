"""The verdict ledger (``claims/ledger.json``): the expected verdict of every claim per tier.

The pytest plugin (``harness.evidence.plugin``) gates every claim test on it, and rewrites it
only under ``--claims-update``, through :func:`update_ledger_file`: under a lock file beside the
ledger, it re-reads the file and changes only the entries the run measured (or prunes the ones
named), so two concurrent updates of different claims both survive. Writes are atomic
(``harness.evidence.files``).

The ledger records the master seed whose verdicts it holds (``master_seed``, 0 when absent): the
plugin gates only runs at that seed, and :func:`update_ledger_file` refuses verdicts of another
seed, so an update at ``--claims-seed 1`` can never make the next default run fail.

This module never imports pytest.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.evidence.claims import CLAIM_ID_RE, TIERS
from harness.evidence.files import atomic_write_text, locked, remove_stale_temps
from harness.evidence.verdicts import Verdict

__all__ = [
    "LEDGER_SCHEMA",
    "Ledger",
    "LedgerError",
    "LedgerFile",
    "LedgerMissingError",
    "LedgerSeedError",
    "LedgerUpdate",
    "compare_ledger",
    "ledger_lock_path",
    "ledger_to_json",
    "load_ledger",
    "load_ledger_file",
    "save_ledger",
    "stale_ids",
    "stale_tier_ids",
    "update_ledger_file",
    "updated_ledger",
]

LEDGER_SCHEMA = 1

# claim id -> tier -> expected verdict
Ledger = dict[str, dict[str, Verdict]]


class LedgerError(ValueError):
    """The ledger file is unreadable: missing, bad JSON, wrong schema, unknown verdict or duplicate id."""


class LedgerMissingError(LedgerError):
    """There is no ledger file at the path given."""


class LedgerSeedError(LedgerError):
    """Verdicts of one master seed offered to a ledger that records another's."""


@dataclass(frozen=True)
class LedgerFile:
    """A ledger file's content: the expected verdicts and the master seed they were observed at."""

    claims: Ledger
    master_seed: int = 0


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise LedgerError(f"duplicate key {key!r}")
        seen[key] = value
    return seen


def load_ledger(path: str | os.PathLike[str]) -> Ledger:
    """The verdicts of the ledger at ``path`` (see :func:`load_ledger_file`)."""
    return load_ledger_file(path).claims


def load_ledger_file(path: str | os.PathLike[str]) -> LedgerFile:
    """Read the ledger at ``path``.

    Format: ``{"schema": 1, "master_seed": 0, "claims": {id: {"quick": verdict, "full": verdict}}}``
    (either tier may be absent; ``master_seed``, added to schema 1 later, defaults to 0). Raise
    :class:`LedgerError` naming the file and the problem otherwise, a missing file included
    (:class:`LedgerMissingError`): a mistyped path is not an empty ledger.
    """
    path = Path(path)
    where = f"claims ledger {str(path)!r}"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise LedgerMissingError(f"{where} not found") from None
    except OSError as exc:
        raise LedgerError(f"{where} cannot be read: {exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LedgerError(f"{where} is not UTF-8 text: byte {data[exc.start]:#04x} at offset {exc.start}") from None
    try:
        raw = json.loads(text, object_pairs_hook=_no_duplicates)
    except LedgerError as exc:
        raise LedgerError(f"{where}: {exc} (duplicate claim ids are not allowed)") from None
    except json.JSONDecodeError as exc:
        raise LedgerError(f"{where} is not valid JSON: {exc}") from None
    if not isinstance(raw, dict) or raw.get("schema") != LEDGER_SCHEMA or not isinstance(raw.get("claims"), dict):
        raise LedgerError(f'{where}: expected {{"schema": {LEDGER_SCHEMA}, "claims": {{...}}}}')
    extra = set(raw) - {"schema", "master_seed", "claims"}
    if extra:
        raise LedgerError(f"{where}: unexpected top-level keys {sorted(extra)}")
    seed = raw.get("master_seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise LedgerError(f"{where}: master_seed must be an integer >= 0, got {seed!r}")
    ledger: Ledger = {}
    for claim_id, tiers in raw["claims"].items():
        if not CLAIM_ID_RE.fullmatch(claim_id):
            raise LedgerError(f"{where}: malformed claim id {claim_id!r}")
        if not isinstance(tiers, dict) or not tiers:
            raise LedgerError(f"{where}: claim {claim_id!r} must map tiers to verdicts, got {tiers!r}")
        entry: dict[str, Verdict] = {}
        for tier, value in tiers.items():
            if tier not in TIERS:
                raise LedgerError(f"{where}: claim {claim_id!r} has unknown tier {tier!r}; expected {TIERS}")
            if not isinstance(value, str):
                raise LedgerError(f"{where}: claim {claim_id!r} tier {tier!r}: verdict must be a string, got {value!r}")
            try:
                entry[tier] = Verdict.parse(value)
            except ValueError as exc:
                raise LedgerError(f"{where}: claim {claim_id!r} tier {tier!r}: {exc}") from None
        ledger[claim_id] = entry
    return LedgerFile(ledger, seed)


def ledger_to_json(ledger: Ledger, master_seed: int = 0) -> str:
    """Canonical text of a ledger: ids sorted, tiers in TIERS order, trailing newline."""
    claims = {
        cid: {t: ledger[cid][t].value for t in TIERS if t in ledger[cid]} for cid in sorted(ledger) if ledger[cid]
    }
    return json.dumps({"schema": LEDGER_SCHEMA, "master_seed": master_seed, "claims": claims}, indent=2) + "\n"


def save_ledger(path: str | os.PathLike[str], ledger: Ledger, master_seed: int = 0) -> None:
    """Write ``ledger`` atomically (temp file in the same directory, then ``os.replace``)."""
    atomic_write_text(path, ledger_to_json(ledger, master_seed))


def compare_ledger(
    ledger: Ledger, observed: Mapping[str, Verdict], tier: str
) -> dict[str, tuple[Verdict | None, Verdict]]:
    """Claims whose observed verdict in ``tier`` differs from the ledger: ``{id: (expected, observed)}``.

    ``expected`` is ``None`` for a claim the ledger does not know in that tier.
    """
    if tier not in TIERS:
        raise ValueError(f"unknown tier {tier!r}; expected one of {TIERS}")
    changes: dict[str, tuple[Verdict | None, Verdict]] = {}
    for cid in sorted(observed):
        expected = ledger.get(cid, {}).get(tier)
        if expected != observed[cid]:
            changes[cid] = (expected, observed[cid])
    return changes


def updated_ledger(ledger: Ledger, observed: Mapping[str, Verdict], tier: str) -> Ledger:
    """A copy of ``ledger`` with ``observed`` verdicts accepted for ``tier`` (others kept)."""
    if tier not in TIERS:
        raise ValueError(f"unknown tier {tier!r}; expected one of {TIERS}")
    out: Ledger = {cid: dict(tiers) for cid, tiers in ledger.items()}
    for cid, verdict in observed.items():
        out.setdefault(cid, {})[tier] = Verdict(verdict)
    return out


def stale_ids(ledger: Ledger, known: Collection[str]) -> list[str]:
    """Sorted ids of ledger entries whose claim is not in ``known`` (claims that no longer exist)."""
    return sorted(set(ledger) - set(known))


def stale_tier_ids(ledger: Ledger, tier: str, not_in_tier: Collection[str]) -> list[str]:
    """Sorted ids in ``not_in_tier`` (claims this tier deselects) that still hold a ``tier`` verdict.

    Such an entry is stale: the claim moved to the other tier only (e.g. full-tier only) and no
    run of ``tier`` will ever read or refresh it.
    """
    if tier not in TIERS:
        raise ValueError(f"unknown tier {tier!r}; expected one of {TIERS}")
    return sorted(cid for cid in set(not_in_tier) if tier in ledger.get(cid, {}))


def ledger_lock_path(path: str | os.PathLike[str]) -> Path:
    """The lock file guarding the ledger at ``path``: ``.<name>.lock`` beside it (ignored by git)."""
    path = Path(path)
    return path.with_name(f".{path.name}.lock")


@dataclass(frozen=True)
class LedgerUpdate:
    """What :func:`update_ledger_file` did: file created, content changed, ids pruned, ids whose
    entry for the run's tier was pruned (claims that no longer run in that tier)."""

    created: bool
    changed: bool
    pruned: tuple[str, ...]
    pruned_tier: tuple[str, ...] = ()


def update_ledger_file(
    path: str | os.PathLike[str],
    observed: Mapping[str, Verdict],
    tier: str,
    *,
    master_seed: int = 0,
    keep_only: Collection[str] | None = None,
    not_in_tier: Collection[str] = (),
) -> LedgerUpdate:
    """Accept ``observed`` verdicts (of ``master_seed``) for ``tier`` into the ledger file at ``path``, merging.

    Under the lock :func:`ledger_lock_path`, re-read the file (a missing one is created and
    records ``master_seed``), set only the ``observed`` entries, and with ``keep_only`` drop the
    entries of every other id (``--claims-prune``), and the ``tier`` entry of every id in
    ``not_in_tier`` (claims the tier deselects, see :func:`stale_tier_ids`); write only when
    something changed. Stale temp files of a killed writer are removed first. Raises
    :class:`LedgerSeedError` when the ledger records another master seed (nothing is written),
    :class:`LedgerError` when the file became unreadable, ``OSError`` when it cannot be written or locked.
    """
    path = Path(path)
    with locked(ledger_lock_path(path)):
        remove_stale_temps(path.parent, path.name)
        created = not path.exists()
        if not created and not os.access(path, os.W_OK):  # a rename would replace it all the same
            raise PermissionError(f"the ledger {str(path)!r} is read-only")
        current = LedgerFile({}, master_seed) if created else load_ledger_file(path)
        if current.master_seed != master_seed:
            raise LedgerSeedError(seed_mismatch(path, current.master_seed, master_seed))
        new = updated_ledger(current.claims, observed, tier)
        pruned = tuple(stale_ids(new, keep_only)) if keep_only is not None else ()
        for cid in pruned:
            del new[cid]
        pruned_tier = tuple(stale_tier_ids(new, tier, not_in_tier))
        for cid in pruned_tier:
            del new[cid][tier]
            if not new[cid]:
                del new[cid]
        changed = new != current.claims
        if created or changed:
            save_ledger(path, new, master_seed)
    return LedgerUpdate(created=created, changed=changed, pruned=pruned, pruned_tier=pruned_tier)


def seed_mismatch(path: str | os.PathLike[str], recorded: int, offered: int) -> str:
    """Why verdicts of master seed ``offered`` may not go into the ledger at ``path`` (which records ``recorded``)."""
    return (
        f"the ledger {str(path)!r} holds the verdicts of master seed {recorded}, and this run used master seed "
        f"{offered}: an update would mix seeds and the next run at seed {recorded} would fail. Run the update at "
        f'--claims-seed {recorded}; to move the ledger to seed {offered}, set its "master_seed" to {offered} '
        "and rerun --claims-update in both tiers"
    )
