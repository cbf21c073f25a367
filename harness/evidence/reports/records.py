"""One claim tested once: the typed record that the recorder makes, xdist carries and reports read.

A :class:`ClaimRecord` is frozen and plain-JSON round-trippable (:meth:`ClaimRecord.to_json`,
:meth:`ClaimRecord.from_json`): workers send records to the controller as JSON, and
``claims.json`` lists them in the same form. A claim test that ran without ending well gives a
record of the same type, with ``verdict`` None and ``no_verdict_reason`` saying why
(:func:`no_verdict_record`).

Each field's metadata holds its description and its JSON Schema; ``harness.evidence.reports.schema``
builds the committed schema of ``claims.json`` from them, so a new field is one declaration here.
Figures travel beside the records as PNG bytes (``FigureRegistry``); a record names its files.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from harness.evidence.claims import Claim, counted_verdict, jsonable, protocol_to_dict
from harness.evidence.planning import power_plan
from harness.evidence.sources import Location
from harness.evidence.verdicts import Evidence, Verdict

__all__ = ["CalibrationFit", "ClaimRecord", "make_record", "no_verdict_record", "sort_records"]

_NUMBER = {"type": ["number", "null"]}
_TEXT = {"type": ["string", "null"]}
_PAIR = {"type": ["array", "null"], "items": {"type": ["number", "null"]}, "minItems": 2, "maxItems": 2}
_VERDICTS = [v.value for v in Verdict]


def _field(doc: str, schema: Mapping[str, Any], **kw: Any) -> Any:
    """A record field with its description and JSON Schema (read by ``reports.schema``)."""
    return field(metadata={"doc": doc, "schema": dict(schema)}, **kw)


def flat_json(record: Any) -> dict[str, Any]:
    """A flat frozen dataclass of plain values as plain JSON, keys in field order (tuples as lists)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(record).items()}


@dataclass(frozen=True)
class CalibrationFit:
    """What a calibration target's record keeps: the settings fitted to its number, how, and the fit achieved
    (the rule's verdict and estimate on the fitted number: a measure of the fit, never evidence)."""

    settings: tuple[str, ...]
    procedure: str
    fit_verdict: str
    fit_estimate: float | None = None
    fit_ci: tuple[float | None, float | None] | None = None

    def __post_init__(self) -> None:
        if self.fit_verdict not in _VERDICTS:
            raise ValueError(f"calibration fit_verdict must be one of {_VERDICTS}, got {self.fit_verdict!r}")
        object.__setattr__(self, "settings", tuple(self.settings))
        if self.fit_ci is not None:
            object.__setattr__(self, "fit_ci", tuple(self.fit_ci))

    def to_json(self) -> dict[str, Any]:
        """Plain-JSON form, keys in field order (tuples as lists)."""
        return flat_json(self)


@dataclass(frozen=True)
class ClaimRecord:
    """Everything known about one claim tested once (one master seed), in plain-JSON types."""

    id: str = _field("claim id, NNN.group.name", {"type": "string"})
    source: str = _field("source document file name", {"type": "string"})
    statement: str = _field("the document's words, quoted ([...] marks an elision)", {"type": "string"})
    tier: str = _field("tier the claim ran in", {"enum": ["quick", "full"]})
    master_seed: int = _field("master seed of this run of the claim", {"type": "integer"})
    verdict: str | None = _field(
        "confirmed, refuted or inconclusive; null when the test gave no verdict", {"enum": [*_VERDICTS, None]}
    )
    no_verdict_reason: str | None = _field(
        "why the claim test gave no verdict (failed, skipped, timed out, submitted twice); null otherwise",
        _TEXT,
        default=None,
    )
    expected: str | None = _field(
        "the ledger's verdict for this tier (null: not in the ledger)", {"enum": [*_VERDICTS, None]}, default=None
    )
    reported: Mapping[str, Any] = _field("the numbers the document gives", {"type": "object"}, default_factory=dict)
    estimate: float | None = _field("the rule's estimate (units of the rule's statistic)", _NUMBER, default=None)
    ci: tuple[float | None, float | None] | None = _field(
        "confidence interval of the estimate (level 1 - alpha unless the test says otherwise)", _PAIR, default=None
    )
    p_value: float | None = _field("p-value against the claim (refuted when <= alpha)", _NUMBER, default=None)
    p_confirm: float | None = _field("p-value for the claim (confirmed when <= alpha)", _NUMBER, default=None)
    effect_size: float | None = _field("standardised effect size, where the rule has one", _NUMBER, default=None)
    alpha: float | None = _field("significance level", _NUMBER, default=None)
    n: int | None = _field("sample size the rule saw", {"type": ["integer", "null"]}, default=None)
    population_n: int | None = _field(
        "for a subset claim: the runs drawn (n of them passed the subset)", {"type": ["integer", "null"]}, default=None
    )
    subset: str | None = _field("which runs a subset claim tests", _TEXT, default=None)
    test: str | None = _field("the statistical test, in words", _TEXT, default=None)
    kind: str | None = _field("the claim kind declared with the claim (Claim.test)", _TEXT, default=None)
    rule: str | None = _field("the rule of harness.evidence.rules that decided it", _TEXT, default=None)
    family: str | None = _field("Holm family the p-values were adjusted in (null: tested alone)", _TEXT, default=None)
    mde: float | None = _field("smallest effect against the claim refuted with 80% power", _NUMBER, default=None)
    mde_confirm: float | None = _field("smallest effect for the claim confirmed with 80% power", _NUMBER, default=None)
    cannot_confirm: bool = _field(
        "no true value is confirmed with 80% power at this n", {"type": "boolean"}, default=False
    )
    claimed_region: tuple[float | None, float | None] | None = _field(
        "where the estimate must lie for the claim to hold (null edge: unbounded)", _PAIR, default=None
    )
    power_plan: Mapping[str, Any] | None = _field(
        "runs needed for 80% power both ways, against the full tier's n", {"type": ["object", "null"]}, default=None
    )
    detail: Mapping[str, Any] = _field("the rule's further named numbers", {"type": "object"}, default_factory=dict)
    protocol: Mapping[str, Any] = _field(
        "every setting used: {name: {value, status (stated, calibrated, assumed), note}}",
        {"type": "object"},
        default_factory=dict,
    )
    calibration_target: bool = _field(
        "a calibrated setting was fitted to the claim's number: recorded inconclusive, the fit in 'calibration'",
        {"type": "boolean"},
        default=False,
    )
    calibration: CalibrationFit | None = _field(
        "for a calibration target (a number a calibrated setting was fitted to): settings, procedure and the fit "
        "achieved; null otherwise",
        {
            "type": ["object", "null"],
            "properties": {
                "settings": {"type": "array", "items": {"type": "string"}},
                "procedure": {"type": "string"},
                "fit_verdict": {"enum": _VERDICTS},
                "fit_estimate": _NUMBER,
                "fit_ci": _PAIR,
            },
            "required": ["settings", "procedure", "fit_verdict", "fit_estimate", "fit_ci"],
            "additionalProperties": False,
        },
        default=None,
    )
    prediction: bool = _field("a proposal's prediction, not a reported result", {"type": "boolean"}, default=False)
    variant_of: str | None = _field(
        "the main claim this one re-tests under another reading or setting (a sweep, the other reading)",
        _TEXT,
        default=None,
    )
    line: int | None = _field(
        "1-based line of the document where the quote starts (null: document not available)",
        {"type": ["integer", "null"]},
        default=None,
    )
    section: tuple[str, ...] = _field(
        "the document's headings above that line, outermost first",
        {"type": "array", "items": {"type": "string"}},
        default=(),
    )
    duration_s: float | None = _field("seconds from the test's start to its verdict", _NUMBER, default=None)
    figures: tuple[str, ...] = _field(
        "file names of the claim's figures (under figures/)", {"type": "array", "items": {"type": "string"}}, default=()
    )

    def __post_init__(self) -> None:
        if self.verdict is not None and self.verdict not in _VERDICTS:
            raise ValueError(f"claim {self.id!r}: verdict must be one of {_VERDICTS} or None, got {self.verdict!r}")
        if (self.verdict is None) == (self.no_verdict_reason is None):
            raise ValueError(f"claim {self.id!r}: a record has a verdict or a reason why it has none, not both")
        for name in ("ci", "claimed_region", "section", "figures"):
            value = getattr(self, name)
            if isinstance(value, list):
                object.__setattr__(self, name, tuple(value))
        if isinstance(self.calibration, Mapping):  # from JSON
            object.__setattr__(self, "calibration", CalibrationFit(**self.calibration))

    @property
    def doc(self) -> str:
        """The source document's number, e.g. ``"002"``."""
        return self.id[:3]

    @property
    def has_verdict(self) -> bool:
        """Whether the claim test ended well and gave a verdict."""
        return self.verdict is not None

    def to_json(self) -> dict[str, Any]:
        """Plain-JSON form, keys in field order (tuples as lists)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, CalibrationFit):
                value = value.to_json()
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ClaimRecord:
        """The record of :meth:`to_json`'s output; ``ValueError`` naming unknown or missing keys."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"claim record {data.get('id')!r} has unknown keys {unknown}")
        try:
            return cls(**dict(data))
        except TypeError as exc:
            raise ValueError(f"claim record {data.get('id')!r}: {exc}") from None


def _num(x: Any) -> Any:
    """A JSON-safe number: numpy scalars to Python, NaN/inf to None."""
    x = jsonable(x)
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, str) and x in ("nan", "inf", "-inf"):
        return None
    return x


def _pair(pair: Any) -> tuple[Any, Any] | None:
    return None if pair is None else (_num(pair[0]), _num(pair[1]))


def _calibration(claim: Claim, evidence: Evidence) -> CalibrationFit | None:
    """A calibration target's settings, procedure and the rule's verdict on the fit (None for other claims)."""
    target = claim.calibration_target
    if target is None:
        return None
    return CalibrationFit(
        settings=tuple(target.settings),
        procedure=target.procedure,
        fit_verdict=evidence.verdict.value,
        fit_estimate=_num(evidence.estimate),
        fit_ci=_pair(evidence.ci),
    )


def make_record(
    claim: Claim,
    evidence: Evidence,
    *,
    tier: str,
    master_seed: int,
    expected: Verdict | None,
    duration_s: float,
    figures: tuple[str, ...] = (),
    location: Location | None = None,
) -> ClaimRecord:
    """The record of ``claim`` decided by ``evidence`` at ``master_seed``.

    A calibration target (``claim.calibration_target``) counts as ``inconclusive``: its number
    was fitted, so the data cannot confirm or refute it; its rule's verdict is kept as the fit
    achieved (``calibration.fit_verdict``). ``location`` is where the statement stands in its
    document (None when the document is not available).
    """
    calibration = _calibration(claim, evidence)
    verdict = counted_verdict(claim, evidence)
    detail = jsonable(dict(evidence.detail))
    plan = power_plan(evidence, n_full=claim.n_for("full"), resolution=claim.resolution, n_fixed=claim.n_fixed)
    return ClaimRecord(
        **_claim_fields(claim, tier=tier, master_seed=master_seed, expected=expected, location=location),
        verdict=verdict.value,
        no_verdict_reason=None,
        estimate=_num(evidence.estimate),
        ci=_pair(evidence.ci),
        p_value=_num(evidence.p_value),
        p_confirm=_num(evidence.p_confirm),
        effect_size=_num(evidence.effect_size),
        alpha=_num(evidence.alpha),
        n=int(evidence.n),
        population_n=None if evidence.population_n is None else int(evidence.population_n),
        test=evidence.test,
        rule=evidence.rule,
        mde=_num(evidence.mde),
        mde_confirm=_num(evidence.mde_confirm),
        cannot_confirm=bool(evidence.cannot_confirm),
        claimed_region=_pair(evidence.claimed_region),
        power_plan=jsonable(plan.to_dict()),
        detail=detail,
        calibration=calibration,
        variant_of=getattr(claim, "variant_of", None) or _sweep_main(detail),
        duration_s=float(duration_s),
        figures=tuple(sorted(figures)),
    )


def _claim_fields(
    claim: Claim, *, tier: str, master_seed: int, expected: Verdict | None, location: Location | None
) -> dict[str, Any]:
    """The fields every record of ``claim`` has, with or without a verdict: what the claim declares and where it stands."""
    return {
        "id": claim.id,
        "source": claim.source,
        "statement": claim.statement,
        "tier": tier,
        "master_seed": int(master_seed),
        "expected": None if expected is None else Verdict(expected).value,
        "reported": jsonable(dict(claim.reported)),
        "subset": claim.subset,
        "kind": claim.test,
        "family": claim.family,
        "protocol": protocol_to_dict(claim.protocol),
        "calibration_target": claim.calibration_target is not None,
        "prediction": claim.prediction,
        "line": None if location is None else location.line,
        "section": () if location is None else location.section,
    }


def _sweep_main(detail: Mapping[str, Any]) -> str | None:
    """The main claim a sweep re-decides (``harness.evidence.sweeps.survival`` records it), else None."""
    main = detail.get("main_claim")
    return main if isinstance(main, str) else None


def no_verdict_record(
    claim: Claim, *, tier: str, master_seed: int, reason: str, expected: Verdict | None, location: Location | None
) -> ClaimRecord:
    """The record of a claim test that ran but did not end well: no verdict, and why."""
    return ClaimRecord(
        **_claim_fields(claim, tier=tier, master_seed=master_seed, expected=expected, location=location),
        verdict=None,
        no_verdict_reason=reason,
        variant_of=getattr(claim, "variant_of", None),
    )


def sort_records(records: Iterable[ClaimRecord]) -> list[ClaimRecord]:
    """``records`` sorted by (id, master seed); ``ValueError`` when a claim is recorded twice for one seed."""
    out = sorted(records, key=lambda r: (r.id, r.master_seed))
    for a, b in pairwise(out):
        if (a.id, a.master_seed) == (b.id, b.master_seed):
            raise ValueError(f"claim {a.id!r} was recorded twice for master seed {a.master_seed}")
    return out
