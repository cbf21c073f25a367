"""Claim records, experiment protocols, per-claim seeds and the verdict ledger.

A :class:`Claim` is one quantitative sentence of a source document turned into data: where it
comes from, what it says, the numbers it reports, the protocol used to test it and the rule
(``test``) that decides its verdict. The ledger (``claims/ledger.json``) stores the expected
verdict of every claim per tier; the pytest plugin (``harness.evidence.plugin``) gates on it.

This module is not the statistics (``harness.evidence.stats``) nor the reports (``harness.evidence.reports``), and
it never imports pytest.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from harness.evidence.verdicts import Verdict
from harness.seeds import seed_sequence

__all__ = [
    "CLAIM_ID_RE",
    "LEDGER_SCHEMA",
    "SETTING_STATUSES",
    "TEST_KINDS",
    "TIERS",
    "Claim",
    "Ledger",
    "LedgerError",
    "Protocol",
    "Setting",
    "atomic_write_bytes",
    "atomic_write_text",
    "check_source",
    "claim_seed_sequence",
    "compare_ledger",
    "jsonable",
    "ledger_to_json",
    "load_ledger",
    "protocol_to_dict",
    "runtime_setting",
    "save_ledger",
    "updated_ledger",
]

# Rule kinds a claim may name; each maps to a verdict rule in ``harness.evidence.stats``.
TEST_KINDS: frozenset[str] = frozenset(
    {
        "rate_at_least",  # a success rate is at least p0 (binomial test, exact CI)
        "rate_at_most",  # a rate is at most p0
        "rate_equals",  # a rate is approximately p0 (binomial TOST with a margin)
        "rates_differ",  # two rates differ in a stated direction
        "monotone_trend",  # rates trend monotonically across ordered groups (Cochran-Armitage)
        "mean_equals",  # a mean is approximately a value (TOST with a margin)
        "metric_exceeds",  # a metric exceeds a threshold (bootstrap CI lower bound)
        "metric_below",  # a metric stays below a threshold (bootstrap CI upper bound)
        "medians_differ",  # medians differ in a stated direction (bootstrap of the ratio)
        "distributions_differ",  # two samples differ in location (Mann-Whitney)
        "cv_by_units",  # a statistic of cross-validated predictions, jackknife over traces (NB-corrected t)
        "always",  # "always / guaranteed / 100%": any counter-example refutes
        "exact_value",  # arithmetic in the text, checked deterministically with a tolerance
        "self_consistency",  # numbers in the text agree with each other
    }
)

TIERS: tuple[str, ...] = ("quick", "full")

SETTING_STATUSES: tuple[str, ...] = ("stated", "calibrated", "assumed")

# "NNN.group.name": NNN the source document's number; group and name lower snake case.
CLAIM_ID_RE = re.compile(r"^(?P<doc>\d{3})\.(?P<group>[a-z][a-z0-9_]*)\.(?P<name>[a-z0-9][a-z0-9_]*)$")

LEDGER_SCHEMA = 1


# --------------------------------------------------------------------------------------------
# Protocols
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """One protocol setting: its value and whether the document stated it.

    ``status`` is ``"stated"`` (the document gives it), ``"calibrated"`` (we measured it, e.g. a
    percentile threshold) or ``"assumed"`` (the document is silent; we chose). ``note`` says where
    it is stated or why it was chosen.
    """

    value: Any
    status: str
    note: str = ""

    def __post_init__(self) -> None:
        if self.status not in SETTING_STATUSES:
            raise ValueError(
                f"setting status must be one of {', '.join(SETTING_STATUSES)}; got {self.status!r}"
            )
        if self.status != "stated" and not self.note.strip():
            raise ValueError(f"a {self.status!r} setting needs a note saying why (value={self.value!r})")


@dataclass(frozen=True)
class Protocol:
    """Base class of a claim's protocol: a frozen dataclass whose every field is a ``Setting``.

    Subclass it with ``@dataclass(frozen=True)`` and one ``Setting`` field per experimental
    choice, each with a comment; unpack ``.value``s into plain arguments at the call site.
    """

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, Setting):
                raise ValueError(
                    f"{type(self).__name__}.{f.name} must be a Setting(value, status, note); "
                    f"got {value!r}"
                )


def runtime_setting(status: str, note: str) -> Any:
    """A protocol field whose value is filled in at test time (calibration, tier).

    ``compare=False`` keeps it out of the claim's identity, which the plugin matches against the
    claim marked at collection time, before the value exists.
    """
    return field(default=Setting("filled in at test time", status, note), compare=False)


def jsonable(value: Any) -> Any:
    """Plain-JSON form of a protocol or reported value (tuples -> lists, numpy -> Python)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def protocol_to_dict(protocol: Protocol) -> dict[str, dict[str, Any]]:
    """``{field: {"value", "status", "note"}}`` for every setting of ``protocol``, in field order."""
    if not (dataclasses.is_dataclass(protocol) and isinstance(protocol, Protocol)):
        raise ValueError(f"protocol must be a Protocol dataclass instance; got {protocol!r}")
    out: dict[str, dict[str, Any]] = {}
    for f in dataclasses.fields(protocol):
        s: Setting = getattr(protocol, f.name)
        out[f.name] = {"value": jsonable(s.value), "status": s.status, "note": s.note}
    return out


# --------------------------------------------------------------------------------------------
# Claims
# --------------------------------------------------------------------------------------------

_SOURCE_RE = re.compile(r"^(?P<doc>\d{3})_[0-9a-f]+\.txt$")


@dataclass(frozen=True)
class Claim:
    """One quantitative claim of a source document, ready to be tested.

    ``id`` is ``"NNN.group.name"`` where NNN is the source's number; ``statement`` quotes the
    document; ``reported`` holds the numbers it gives; ``test`` names the rule kind (one of
    ``TEST_KINDS``); ``n`` is the sample size of the quick tier and ``n_full`` that of the full
    tier (``None``: same as ``n``); ``family`` groups claims for Holm correction.
    """

    id: str
    source: str  # file name in the sources dir, e.g. "002_12f8b00312862f98.txt"
    statement: str  # the document's own words, quoted
    reported: Mapping[str, Any] = field(hash=False)  # numbers the document gives
    protocol: Protocol = field(hash=False)  # every setting used, stated / calibrated / assumed
    test: str  # rule kind, one of TEST_KINDS
    alpha: float  # significance level of the verdict rule
    n: int  # sample size (quick tier)
    family: str | None = None  # Holm family; None = tested alone
    n_full: int | None = None  # sample size in the full tier; None = same as n

    def __post_init__(self) -> None:
        where = f"claim {self.id!r}"
        if not isinstance(self.id, str) or not CLAIM_ID_RE.match(self.id):
            raise ValueError(
                f"claim id {self.id!r} is malformed; expected 'NNN.group.name' "
                f"(NNN = source number, lower snake case parts), e.g. '002.relu2.plateau_mse'"
            )
        m = _SOURCE_RE.match(self.source) if isinstance(self.source, str) else None
        if m is None:
            raise ValueError(
                f"{where}: source {self.source!r} is not a source file name like '002_12f8b00312862f98.txt'"
            )
        if m["doc"] != self.id[:3]:
            raise ValueError(
                f"{where}: id number {self.id[:3]} does not match source document {self.source!r}"
            )
        if not isinstance(self.statement, str) or not self.statement.strip():
            raise ValueError(f"{where}: statement is empty; quote the document's sentence")
        if not isinstance(self.reported, Mapping):
            raise ValueError(f"{where}: reported must be a mapping of name -> number, got {self.reported!r}")
        if any(not isinstance(k, str) for k in self.reported):
            raise ValueError(f"{where}: reported keys must be strings, got {list(self.reported)!r}")
        object.__setattr__(self, "reported", MappingProxyType(dict(self.reported)))
        if not isinstance(self.protocol, Protocol):
            raise ValueError(
                f"{where}: protocol must be an instance of a Protocol dataclass, got {type(self.protocol).__name__}"
            )
        if self.test not in TEST_KINDS:
            raise ValueError(
                f"{where}: unknown test kind {self.test!r}; expected one of: {', '.join(sorted(TEST_KINDS))}"
            )
        if isinstance(self.alpha, bool) or not isinstance(self.alpha, (int, float)) or not 0.0 < self.alpha < 1.0:
            raise ValueError(f"{where}: alpha must lie strictly between 0 and 1, got {self.alpha!r}")
        for name in ("n", "n_full"):
            value = getattr(self, name)
            if name == "n_full" and value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{where}: {name} must be a positive integer sample size, got {value!r}")
        if self.family is not None and (not isinstance(self.family, str) or not self.family.strip()):
            raise ValueError(f"{where}: family must be a non-empty string or None, got {self.family!r}")

    @property
    def doc(self) -> str:
        """The source document's number, e.g. ``"002"``."""
        return self.id[:3]

    def n_for(self, tier: str) -> int:
        """Sample size to use in ``tier`` (``"quick"`` or ``"full"``)."""
        if tier not in TIERS:
            raise ValueError(f"unknown tier {tier!r}; expected one of {TIERS}")
        return self.n if tier == "quick" or self.n_full is None else self.n_full


def check_source(claim: Claim, sources_dir: str | os.PathLike[str]) -> None:
    """Raise ``ValueError`` unless ``claim.source`` exists in ``sources_dir``."""
    path = Path(sources_dir) / claim.source
    if not path.is_file():
        raise ValueError(
            f"claim {claim.id!r}: source file {claim.source!r} not found in sources dir {str(sources_dir)!r}"
        )


def claim_seed_sequence(master_seed: int, claim_id: str) -> np.random.SeedSequence:
    """Seed sequence of one claim: ``harness.seeds.seed_sequence(master_seed, claim_id)``.

    That is ``SeedSequence(master_seed, spawn_key=(crc32(claim_id),))``: stable across processes,
    platforms, test order and ``pytest -n`` (never Python's salted ``hash()``). Spawn children
    or use ``harness.seeds.numpy_generator`` / ``harness.engine.rng.torch_generator`` on it.
    """
    if not isinstance(claim_id, str) or not CLAIM_ID_RE.match(claim_id):
        raise ValueError(f"claim id {claim_id!r} is malformed; expected 'NNN.group.name'")
    return seed_sequence(master_seed, claim_id)


# --------------------------------------------------------------------------------------------
# Atomic writes
# --------------------------------------------------------------------------------------------


def _file_mode(path: Path) -> int:
    """Permission bits for ``path``: those of the file it replaces, else 0o666 minus the umask."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` via a temp file in the same directory and ``os.replace``.

    Readers see either the old file or the new one, never a partial write.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, _file_mode(path))  # mkstemp makes 0o600; keep the usual permissions
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """UTF-8 text version of :func:`atomic_write_bytes`."""
    atomic_write_bytes(path, text.encode("utf-8"))


# --------------------------------------------------------------------------------------------
# Ledger
# --------------------------------------------------------------------------------------------

# claim id -> tier -> expected verdict
Ledger = dict[str, dict[str, Verdict]]


class LedgerError(ValueError):
    """The ledger file is unreadable: bad JSON, wrong schema, unknown verdict or duplicate id."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise LedgerError(f"duplicate key {key!r}")
        seen[key] = value
    return seen


def load_ledger(path: str | os.PathLike[str]) -> Ledger:
    """Read the ledger at ``path``; a missing file is an empty ledger.

    Format: ``{"schema": 1, "claims": {id: {"quick": verdict, "full": verdict}}}`` (either tier
    may be absent). Raise :class:`LedgerError` naming the file and the problem otherwise.
    """
    path = Path(path)
    if not path.exists():
        return {}
    where = f"claims ledger {str(path)!r}"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_no_duplicates)
    except LedgerError as exc:
        raise LedgerError(f"{where}: {exc} (duplicate claim ids are not allowed)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise LedgerError(f"{where} is not valid JSON: {exc}") from None
    if not isinstance(raw, dict) or raw.get("schema") != LEDGER_SCHEMA or not isinstance(raw.get("claims"), dict):
        raise LedgerError(f"{where}: expected {{\"schema\": {LEDGER_SCHEMA}, \"claims\": {{...}}}}")
    extra = set(raw) - {"schema", "claims"}
    if extra:
        raise LedgerError(f"{where}: unexpected top-level keys {sorted(extra)}")
    ledger: Ledger = {}
    for claim_id, tiers in raw["claims"].items():
        if not CLAIM_ID_RE.match(claim_id):
            raise LedgerError(f"{where}: malformed claim id {claim_id!r}")
        if not isinstance(tiers, dict) or not tiers:
            raise LedgerError(f"{where}: claim {claim_id!r} must map tiers to verdicts, got {tiers!r}")
        entry: dict[str, Verdict] = {}
        for tier, text in tiers.items():
            if tier not in TIERS:
                raise LedgerError(f"{where}: claim {claim_id!r} has unknown tier {tier!r}; expected {TIERS}")
            if not isinstance(text, str):
                raise LedgerError(f"{where}: claim {claim_id!r} tier {tier!r}: verdict must be a string, got {text!r}")
            try:
                entry[tier] = Verdict.parse(text)
            except ValueError as exc:
                raise LedgerError(f"{where}: claim {claim_id!r} tier {tier!r}: {exc}") from None
        ledger[claim_id] = entry
    return ledger


def ledger_to_json(ledger: Ledger) -> str:
    """Canonical text of a ledger: ids sorted, tiers in TIERS order, trailing newline."""
    claims = {
        cid: {t: ledger[cid][t].value for t in TIERS if t in ledger[cid]}
        for cid in sorted(ledger)
        if ledger[cid]
    }
    return json.dumps({"schema": LEDGER_SCHEMA, "claims": claims}, indent=2) + "\n"


def save_ledger(path: str | os.PathLike[str], ledger: Ledger) -> None:
    """Write ``ledger`` atomically (temp file in the same directory, then ``os.replace``)."""
    atomic_write_text(path, ledger_to_json(ledger))


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
