"""Sample-size plans: the n at which a claim's rule reaches 80% power in both directions.

A rule's ``Evidence`` carries ``mde`` (the effect against the claim it refutes with 80% power)
and ``mde_confirm`` (the effect for the claim it confirms with 80% power) at the run's ``n``.
A claim is *powered* at its ``resolution`` (the smallest deviation from the claimed boundary
that matters, in the estimate's units) when both are at most the resolution; the plan gives the
smallest n for which that holds and compares it with the full tier's n (``Claim.n_for``):

- ``powered``: the full tier's n reaches 80% power both ways;
- ``underpowered``: more runs are needed than the full tier uses, but no more than
  ``MAX_PLANNED_N`` (the full tier could be enlarged);
- ``not feasible``: more than ``MAX_PLANNED_N`` runs, or more than a claim that fixes its n
  (``Claim.n_fixed``) has, or no n helps (``always`` without a failure tolerance never confirms);
- ``not applicable``: rules whose verdict does not depend on n (arithmetic, not testable).

How n is found. Every rule's MDE shrinks like 1 / sqrt(n) for large n (t, normal, binomial and
Brunner-Munzel standard errors all do), so ``n_needed = ceil(n * (max(mde, mde_confirm) /
resolution) ** 2)`` from the MDEs measured at this n (``basis = "sqrt-n scaling"``), a
large-sample approximation; the full tier's own evidence reports the MDEs actually reached.
For evidence over a subset of runs (``Evidence.population_n``) the plan counts the runs drawn,
assuming the subset keeps its share. Where confirmation is impossible at this n (``mde_confirm``
None), the refute-side MDE stands in for both (the two are equal for the symmetric interval rules). ``always`` is planned exactly:
n clean runs confirm a failure tolerance q iff (1 - q) ** n <= alpha / 2 and reveal a failure
rate q with probability 1 - (1 - q) ** n, so n = max(ln(alpha / 2) / ln(1 - q), ln 0.2 / ln(1 - q)).

The resolution is the claim's own (``Claim.resolution``) where declared. Otherwise it is read
off the rule's claimed region (``Evidence.claimed_region``, recorded as ``resolution_basis``):
half its width for an equivalence claim (value +- margin: the claim's own tolerance), else 10%
(``DEFAULT_RELATIVE_RESOLUTION``) of the boundary a one-sided claim is bounded by; where that
boundary is 0 (a difference), 10% of the estimate's magnitude. For ``always`` it is the stated
failure tolerance.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from harness.evidence.rules import POWER, REGISTRY  # POWER: the power both MDEs are defined at
from harness.evidence.verdicts import Evidence

__all__ = [
    "DEFAULT_RELATIVE_RESOLUTION",
    "MAX_PLANNED_N",
    "PLAN_STATUSES",
    "PowerPlan",
    "needed_text",
    "plan_lines",
    "power_plan",
]

DEFAULT_RELATIVE_RESOLUTION = 0.10  # resolution of a claim that declares none: 10% of its boundary (or estimate)
MIN_PLANNED_N = 2  # no rule decides from fewer runs; a rule may need more (``Rule.min_n``)
MAX_PLANNED_N = 50_000  # largest population the full tier could train: about 10x its largest arm today
PLAN_STATUSES: tuple[str, ...] = ("powered", "underpowered", "not feasible", "not applicable")


def _plan_basis(evidence: Evidence) -> str:
    """How the registry says to plan the rule behind ``evidence`` (``Rule.plan``; "region" for
    evidence no registered rule produced)."""
    rule = REGISTRY.get(evidence.rule or "")
    return "region" if rule is None else rule.plan


def _min_n(evidence: Evidence) -> int:
    """The fewest runs to plan for the rule behind ``evidence``: its ``Rule.min_n`` (e.g. a sign test
    decides from 7), at least ``MIN_PLANNED_N``."""
    rule = REGISTRY.get(evidence.rule or "")
    return max(MIN_PLANNED_N, 0 if rule is None else rule.min_n)


@dataclass(frozen=True)
class PowerPlan:
    """How many runs the claim's rule needs for 80% power both ways at ``resolution``, and
    whether the full tier (``n_full`` runs) has them; ``reason`` says why in words."""

    status: str
    n: int
    n_full: int
    n_needed: int | None
    resolution: float | None
    resolution_basis: str
    basis: str
    reason: str
    n_fixed: str | None = None  # the claim's reason why n_full cannot change (Claim.n_fixed)

    def __post_init__(self) -> None:
        if self.status not in PLAN_STATUSES:
            raise ValueError(f"plan status must be one of {PLAN_STATUSES}, got {self.status!r}")

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form for ``claims.json``."""
        return asdict(self)


def power_plan(
    evidence: Evidence, *, n_full: int, resolution: float | None = None, n_fixed: str | None = None
) -> PowerPlan:
    """The plan for a claim decided by ``evidence``, whose full tier uses ``n_full`` runs.

    ``resolution`` (estimate units, > 0) is the claim's declared one, if any; ``n_fixed`` the
    claim's reason why ``n_full`` cannot change (``Claim.n_fixed``). Raises ``ValueError`` for a
    non-positive ``n_full`` or resolution.
    """
    if isinstance(n_full, bool) or not isinstance(n_full, int) or n_full < 1:
        raise ValueError(f"n_full must be a positive integer, got {n_full!r}")
    if resolution is not None and not (math.isfinite(resolution) and resolution > 0):
        raise ValueError(f"resolution must be a finite number > 0 (estimate units), got {resolution!r}")
    plan_basis = _plan_basis(evidence)
    if plan_basis == "n-free":
        return _plan(
            _Sizes(int(evidence.n), n_full, None),
            "not applicable",
            n_needed=None,
            resolution=None,
            resolution_basis="—",
            basis="—",
            reason=f"the {evidence.rule} rule's verdict does not depend on n",
        )
    base = _Sizes(int(evidence.n), n_full, n_fixed)
    if plan_basis == "failure tolerance":
        return _always_plan(evidence, resolution, base)
    delta, delta_basis = _resolution(evidence, resolution, plan_basis)
    if delta is None:
        return _plan(
            base,
            "not feasible",
            n_needed=None,
            resolution=None,
            resolution_basis=delta_basis,
            basis="—",
            reason="no resolution: the estimate is 0 and the claim declares none",
        )
    mdes = [m for m in (evidence.mde, evidence.mde_confirm) if m is not None and math.isfinite(m)]
    if not mdes:
        return _plan(
            base,
            "not feasible",
            n_needed=None,
            resolution=delta,
            resolution_basis=delta_basis,
            basis="—",
            reason="the rule reports no MDE to plan from",
        )
    n_needed = max(_min_n(evidence), math.ceil(evidence.n * (max(mdes) / delta) ** 2))
    if evidence.population_n is not None:  # a subset rule: the population that yields n_needed in the subset
        n_needed = math.ceil(n_needed * evidence.population_n / evidence.n)
    basis = "sqrt-n scaling" + ("" if evidence.mde_confirm is not None else " (refute-side MDE for both)")
    return _judged(n_needed, delta, delta_basis, basis, base)


def _resolution(evidence: Evidence, declared: float | None, plan_basis: str) -> tuple[float | None, str]:
    """The claim's declared resolution, else one read off the claimed region (see the module
    docstring), else ``DEFAULT_RELATIVE_RESOLUTION`` of |estimate|."""
    if declared is not None:
        return float(declared), "declared with the claim"
    region = evidence.claimed_region
    if region is not None and plan_basis != "difference":
        lo, hi = (float(e) for e in region)
        if math.isfinite(lo) and math.isfinite(hi) and (plan_basis == "equivalence" or not (lo == 0.0 or hi == 1.0)):
            return (hi - lo) / 2.0, "half the claimed interval"
        edge = _boundary(lo, hi)
        if edge != 0.0:
            room = _room(edge, lo, hi)  # a rate or R² near 1 cannot move 10% of its boundary
            if 0.0 < room < DEFAULT_RELATIVE_RESOLUTION * abs(edge):
                return room, "half the distance from the claimed boundary to the end of its range"
            return DEFAULT_RELATIVE_RESOLUTION * abs(edge), f"{DEFAULT_RELATIVE_RESOLUTION:.0%} of the claimed boundary"
    if not math.isfinite(evidence.estimate) or evidence.estimate == 0.0:
        return None, "none (boundary and estimate 0)"
    return (
        DEFAULT_RELATIVE_RESOLUTION * abs(evidence.estimate),
        f"{DEFAULT_RELATIVE_RESOLUTION:.0%} of |estimate| (data-dependent: the claim declares no resolution)",
    )


def _room(edge: float, lo: float, hi: float) -> float:
    """Half the distance from ``edge`` to the far end of a region bounded by 0 or 1 (inf otherwise)."""
    if lo == edge and hi == 1.0:
        return (1.0 - edge) / 2.0
    if hi == edge and lo == 0.0:
        return edge / 2.0
    return math.inf


def _boundary(lo: float, hi: float) -> float:
    """The edge a one-sided claimed region is bounded by: its finite edge, or for a region that
    ends at a bound of the estimate's domain ((p0, 1), (0, p0), (0, 1) of rates, probabilities and
    ratios) the other edge."""
    if not math.isfinite(hi):
        return lo
    if not math.isfinite(lo) or lo == 0.0:
        return hi
    return lo


def _always_plan(evidence: Evidence, declared: float | None, base: _Sizes) -> PowerPlan:
    """Exact plan of ``always``: its resolution is the failure tolerance (see the module docstring)."""
    tolerance = evidence.detail.get("tolerance") if declared is None else declared
    if tolerance is None:
        return _plan(
            base,
            "not feasible",
            n_needed=None,
            resolution=None,
            resolution_basis="none",
            basis="exact",
            reason="'always' without a failure tolerance confirms at no n",
        )
    tolerance = float(tolerance)
    log_keep = math.log1p(-tolerance)
    n_needed = math.ceil(max(math.log(evidence.alpha / 2.0) / log_keep, math.log(1.0 - POWER) / log_keep))
    basis_of = "declared with the claim" if declared is not None else "the failure tolerance"
    return _judged(n_needed, tolerance, basis_of, "exact", base)


def _judged(n_needed: int, delta: float, delta_basis: str, basis: str, base: _Sizes) -> PowerPlan:
    """The plan's status from ``n_needed`` against the full tier's n and ``MAX_PLANNED_N``."""
    n_full = base.n_full
    needed = needed_text(n_needed)
    if n_needed <= n_full:
        status, reason = "powered", f"the full tier's {n_full} runs reach 80% power both ways ({n_needed} needed)"
    elif base.n_fixed:
        status, reason = "not feasible", f"needs {needed} runs; the claim fixes n at {n_full}: {base.n_fixed}"
    elif n_needed <= MAX_PLANNED_N:
        status, reason = "underpowered", f"needs {n_needed} runs; the full tier uses {n_full}"
    else:
        status, reason = "not feasible", f"needs {needed} runs, beyond what the harness plans for"
    return _plan(
        base, status, n_needed=n_needed, resolution=delta, resolution_basis=delta_basis, basis=basis, reason=reason
    )


@dataclass(frozen=True)
class _Sizes:
    """The run's n, the full tier's n and the claim's reason for fixing it (``Claim.n_fixed``)."""

    n: int
    n_full: int
    n_fixed: str | None


def _plan(
    sizes: _Sizes,
    status: str,
    *,
    n_needed: int | None,
    resolution: float | None,
    resolution_basis: str,
    basis: str,
    reason: str,
) -> PowerPlan:
    """A ``PowerPlan`` with the sizes filled in."""
    return PowerPlan(
        status,
        n=sizes.n,
        n_full=sizes.n_full,
        n_needed=n_needed,
        resolution=resolution,
        resolution_basis=resolution_basis,
        basis=basis,
        reason=reason,
        n_fixed=sizes.n_fixed,
    )


def needed_text(n_needed: int) -> str:
    """``n_needed`` as printed: the number, or "more than 50000" past what the harness plans for."""
    return f"{n_needed}" if n_needed <= MAX_PLANNED_N else f"more than {MAX_PLANNED_N}"


def plan_lines(records: list[dict[str, Any]]) -> list[str]:
    """The full tier's sizing from a report's claim records (``claims.json``): per source, every
    claim short of 80% power both ways with the runs it needs and why, and the n that would
    power each underpowered claim (the input for raising a study's ``n_full``)."""
    lines = []
    for source in sorted({r["source"] for r in records}):
        short = [
            r
            for r in records
            if r["source"] == source and (r.get("power_plan") or {}).get("status") in ("underpowered", "not feasible")
        ]
        lines.append(f"{source}: {len(short)} of {sum(r['source'] == source for r in records)} claims short of power")
        for r in sorted(short, key=lambda r: r["id"]):
            plan = r["power_plan"]
            resolution = "—" if plan["resolution"] is None else f"{plan['resolution']:g}"
            lines.append(
                f"  {r['id']}: {plan['status']} ({plan['reason']}; resolution {resolution}, {plan['resolution_basis']})"
            )
    return lines


def main(argv: list[str]) -> int:
    """``python -m harness.evidence.planning [reports/claims.json]``: print ``plan_lines``."""
    import json
    import sys
    from pathlib import Path

    if len(argv) > 2:
        print(main.__doc__, file=sys.stderr)
        return 2
    path = Path(argv[1] if len(argv) == 2 else "reports/claims.json")
    if not path.is_file():
        print(f"no report at {path}: run `pytest claims` (or --claims-tier full) first", file=sys.stderr)
        return 2
    print("\n".join(plan_lines(json.loads(path.read_text())["claims"])))
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv))
