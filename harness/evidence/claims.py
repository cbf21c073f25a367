"""Claim records, experiment protocols and per-claim seeds.

A :class:`Claim` is one quantitative sentence of a source document turned into data: where it
comes from, what it says, the numbers it reports, the protocol used to test it and the rule
(``test``) that decides its verdict. The ledger of expected verdicts is ``harness.evidence.ledger``.

This module is not the statistics (``harness.evidence.rules``) nor the reports
(``harness.evidence.reports``), and it never imports pytest.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from harness.evidence.rules import KINDS
from harness.evidence.verdicts import Evidence, Verdict
from harness.seeds import seed_sequence

__all__ = [
    "CLAIM_ID_RE",
    "SETTING_STATUSES",
    "TEST_KINDS",
    "TIERS",
    "CalibrationTarget",
    "Claim",
    "Protocol",
    "Setting",
    "check_evidence",
    "claim_seed_sequence",
    "counted_verdict",
    "jsonable",
    "protocol_to_dict",
    "protocol_values",
    "runtime_setting",
]

# Rule kinds a claim may name (``Claim.test``): the kinds of the rules registry
# (``harness.evidence.rules.KINDS`` maps each to the rules whose evidence may decide it).
TEST_KINDS: frozenset[str] = frozenset(KINDS)

TIERS: tuple[str, ...] = ("quick", "full")

SETTING_STATUSES: tuple[str, ...] = ("stated", "calibrated", "assumed")

# "NNN.group.name": NNN the source document's number; group and name lower snake case. Anchored
# with \A and \Z, so ``match`` is a full match: ``$`` would accept a trailing newline.
CLAIM_ID_RE = re.compile(r"\A(?P<doc>\d{3})\.(?P<group>[a-z][a-z0-9_]*)\.(?P<name>[a-z0-9][a-z0-9_]*)\Z")


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
            raise ValueError(f"setting status must be one of {', '.join(SETTING_STATUSES)}; got {self.status!r}")
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
                    f"{type(self).__name__}.{f.name} must be a Setting(value, status, note); got {value!r}"
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


def protocol_values(protocol: Protocol) -> dict[str, Any]:
    """``{field: value}`` of every setting of ``protocol``, in field order: the plain numbers to run with.

    Map them onto the trainer with ``harness.engine.arguments.train_arguments(values, other=...)``
    so each number is written once, in the protocol.
    """
    if not (dataclasses.is_dataclass(protocol) and isinstance(protocol, Protocol)):
        raise ValueError(f"protocol must be a Protocol dataclass instance; got {protocol!r}")
    return {f.name: getattr(protocol, f.name).value for f in dataclasses.fields(protocol)}


# --------------------------------------------------------------------------------------------
# Claims
# --------------------------------------------------------------------------------------------

_SOURCE_RE = re.compile(r"\A(?P<doc>\d{3})_[0-9a-f]+\.txt\Z")


@dataclass(frozen=True)
class CalibrationTarget:
    """The claim's number was a target of a calibration: a fit, never evidence.

    A setting the document leaves open (``"calibrated"``) was chosen so that the study reproduces
    some of the document's numbers; a claim on one of those numbers then only says how well the
    fit came out. ``settings`` names the protocol settings fitted to it (with other targets);
    ``procedure`` says where and how (module, distance). Such a claim is recorded as
    ``inconclusive`` with the rule's verdict kept as the achieved fit (:func:`counted_verdict`).
    """

    settings: tuple[str, ...]  # protocol settings fitted to this number (among others)
    procedure: str  # where the fit is done and how it scores a setting

    def __post_init__(self) -> None:
        if (
            not isinstance(self.settings, tuple)
            or not self.settings
            or not all(isinstance(s, str) and s.strip() for s in self.settings)
        ):
            raise ValueError(f"calibration target: settings must be a non-empty tuple of names, got {self.settings!r}")
        if not isinstance(self.procedure, str) or not self.procedure.strip():
            raise ValueError("calibration target: procedure must say where and how the settings were fitted")


@dataclass(frozen=True)
class Claim:
    """One quantitative claim of a source document, ready to be tested.

    ``id`` is ``"NNN.group.name"`` where NNN is the source's number; ``statement`` quotes the
    document; ``reported`` holds the numbers it gives; ``test`` names the rule kind (one of
    ``TEST_KINDS``); ``n`` is the sample size of the quick tier and ``n_full`` that of the full
    tier (``None``: same as ``n``); ``family`` names the Holm family the claim belongs to,
    declared here with the claim, before any data: its evidence must come out of
    ``rules.holm(..., family=claim.family)`` (see :func:`check_evidence`). ``subset``
    (e.g. ``"successful runs"``) declares that the rule sees only the runs that satisfy it: ``n``
    and ``n_full`` are then the population drawn, and the evidence's n is the realised subset size
    (``Evidence.population_n`` must equal the population). ``resolution`` is the smallest
    deviation from the claimed boundary that matters, in the units of the rule's estimate: the
    target of the sample-size plan (``harness.evidence.planning``; default read off the claimed region).
    ``n_fixed`` says why the claim itself fixes the full tier's n (e.g. a table computed on the
    document's 100-trace data set: more traces change the quantity claimed); the plan then reports
    a claim short of power at that n as "not feasible" with this reason, never as "raise n".
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
    subset: str | None = None  # "the runs that satisfy X": n is the population, the evidence's n the subset
    resolution: float | None = None  # smallest deviation that matters (estimate units): the power plan's target
    n_fixed: str | None = None  # why the claim fixes its full-tier n (the plan never asks to raise it)
    calibration_target: CalibrationTarget | None = None  # its number was fitted: a fit, never evidence
    prediction: bool = False  # a proposal's prediction or question read as a hypothesis, not a reported result

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
            raise ValueError(f"{where}: id number {self.id[:3]} does not match source document {self.source!r}")
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
        if self.resolution is not None and (
            isinstance(self.resolution, bool)
            or not isinstance(self.resolution, (int, float))
            or not (math.isfinite(self.resolution) and self.resolution > 0)
        ):
            raise ValueError(
                f"{where}: resolution must be a finite number > 0 (estimate units) or None, got {self.resolution!r}"
            )
        if self.n_fixed is not None and (not isinstance(self.n_fixed, str) or not self.n_fixed.strip()):
            raise ValueError(f"{where}: n_fixed must be a non-empty reason why the claim fixes its n, or None")
        if self.subset is not None and (not isinstance(self.subset, str) or not self.subset.strip()):
            raise ValueError(f"{where}: subset must be a non-empty description (e.g. 'successful runs') or None")
        if self.calibration_target is not None and not isinstance(self.calibration_target, CalibrationTarget):
            raise ValueError(f"{where}: calibration_target must be a CalibrationTarget or None")
        if not isinstance(self.prediction, bool):
            raise ValueError(f"{where}: prediction must be a bool, got {self.prediction!r}")

    @property
    def doc(self) -> str:
        """The source document's number, e.g. ``"002"``."""
        return self.id[:3]

    def n_for(self, tier: str) -> int:
        """Sample size to use in ``tier`` (``"quick"`` or ``"full"``)."""
        if tier not in TIERS:
            raise ValueError(f"unknown tier {tier!r}; expected one of {TIERS}")
        return self.n if tier == "quick" or self.n_full is None else self.n_full


def counted_verdict(claim: Claim, evidence: Evidence) -> Verdict:
    """The verdict ``claim`` counts with: its rule's, except ``inconclusive`` for a calibration target.

    A calibration target's number was fitted, so the data cannot confirm or refute it; its rule's
    verdict is kept in the record as the achieved fit (``harness.evidence.reports.make_record``).
    """
    return Verdict.INCONCLUSIVE if claim.calibration_target is not None else evidence.verdict


def check_evidence(claim: Claim, evidence: Any) -> None:
    """Raise ``ValueError`` unless ``evidence`` may decide ``claim``.

    - ``evidence.rule`` must be one of the rules ``rules.KINDS[claim.test]`` allows (every rule
      of ``harness.evidence.rules`` records its name; hand-made evidence has none);
    - a claim with a ``family`` needs Holm-adjusted evidence (``rules.holm``), adjusted within
      that family: ``detail['holm_family']`` must equal ``claim.family`` (``holm`` requires the
      family's name, so every adjustment is checked). Evidence without any p-value (a deterministic rule such as
      ``exact_value``, which Holm leaves unchanged) needs no adjustment.
    """
    allowed = KINDS[claim.test]
    rule = getattr(evidence, "rule", None)
    if rule not in allowed:
        raise ValueError(
            f"claim {claim.id!r} declares test={claim.test!r} but its evidence was produced by rule "
            f"{rule!r}; expected one of {sorted(allowed)} (build evidence with harness.evidence.rules)"
        )
    if claim.family is None:
        return
    detail = getattr(evidence, "detail", {}) or {}
    if evidence.p_value is None and evidence.p_confirm is None:
        return
    adjusted = detail.get("holm_family")
    if "holm_m" not in detail or adjusted != claim.family:
        how = "was not Holm-adjusted" if "holm_m" not in detail else f"was Holm-adjusted in family {adjusted!r}"
        raise ValueError(
            f"claim {claim.id!r} belongs to family {claim.family!r} but its evidence {how}; "
            f"use rules.holm(evidences, alpha=..., family={claim.family!r}) over the family's claims"
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
