"""Rules without a sampling model (``exact_value``: arithmetic in the text; ``not_testable``)
and the Holm adjustment of a family's evidence."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from statsmodels.stats.multitest import multipletests

from harness.evidence.rules.core import (
    _check_alpha,
    _check_finite,
)
from harness.evidence.verdicts import Evidence, Verdict


def exact_value(
    observed: float,
    claimed: float,
    *,
    rel_tol: float = 1e-9,
    abs_tol: float = 0.0,
    alpha: float = 0.05,
) -> Evidence:
    """Deterministic check of an arithmetic claim ("average MSE = 0.125").

    Confirmed iff ``math.isclose(observed, claimed, rel_tol=rel_tol, abs_tol=abs_tol)``, else
    refuted. n = 1, no ci, p_value or mde; ``alpha`` is only recorded.
    effect_size: observed - claimed.
    """
    alpha = _check_alpha(alpha)
    observed = _check_finite(observed, "observed")
    claimed = _check_finite(claimed, "claimed")
    if not (rel_tol >= 0.0 and abs_tol >= 0.0):
        raise ValueError(f"rel_tol and abs_tol must be >= 0, got {rel_tol!r} and {abs_tol!r}")
    close = math.isclose(observed, claimed, rel_tol=rel_tol, abs_tol=abs_tol)
    return Evidence(
        verdict=Verdict.CONFIRMED if close else Verdict.REFUTED,
        estimate=observed,
        ci=None,
        p_value=None,
        effect_size=observed - claimed,
        n=1,
        alpha=alpha,
        test=f"exact arithmetic (rel_tol={rel_tol:g}, abs_tol={abs_tol:g})",
        rule="exact_value",
        detail={"claimed": claimed},
    )


def holm(evidences: Sequence[Evidence], *, family: str, alpha: float = 0.05) -> list[Evidence]:
    """Holm-correct a family of claims; returns new evidences in the input order.

    Two families, each adjusted with ``multipletests(method='holm')``:
    - refutations: every evidence whose ``p_value`` is not None (m = their count). ``p_value``
      becomes the adjusted p; a ``refuted`` verdict becomes ``inconclusive`` when the adjusted
      p exceeds ``alpha``.
    - confirmations: every evidence with a ``p_confirm``; it becomes the
      adjusted p and a ``confirmed`` verdict becomes ``inconclusive`` when it exceeds ``alpha``.
    Adjusted p's are never smaller than raw ones, so no verdict is ever created, only withdrawn.
    Evidences with no p-value (``exact_value``) pass through unchanged. Adjusted evidences keep
    the raw p's in ``detail['p_value_raw']`` / ``['p_confirm_raw']``, the family sizes in
    ``detail['holm_m']`` and the family name (``family``, the ``Claim.family`` of every claim
    adjusted together; the recorder checks it) in ``detail['holm_family']``; ``test`` gains
    " + Holm". Every evidence's ``alpha`` must equal ``alpha`` (the rules' verdicts were taken
    at it).
    """
    alpha = _check_alpha(alpha)
    if not isinstance(family, str) or not family.strip():
        raise ValueError(f"family must name the Holm family (a non-empty string), got {family!r}")
    evidences = list(evidences)
    for i, e in enumerate(evidences):
        if not isinstance(e, Evidence):
            raise ValueError(f"evidences[{i}] is not an Evidence: {type(e).__name__}")
        if not math.isclose(e.alpha, alpha, rel_tol=1e-12, abs_tol=0.0):
            raise ValueError(f"evidences[{i}] was decided at alpha={e.alpha}, holm got {alpha}")
    refute = {i: e.p_value for i, e in enumerate(evidences) if e.p_value is not None}
    confirm = {i: e.p_confirm for i, e in enumerate(evidences) if e.p_confirm is not None}
    refute_idx, confirm_idx = list(refute), list(confirm)
    adj_refute = _holm_adjust(list(refute.values()), alpha)
    adj_confirm = _holm_adjust(list(confirm.values()), alpha)
    updates: dict[int, dict[str, Any]] = {i: {} for i in set(refute_idx) | set(confirm_idx)}
    for i, p in zip(refute_idx, adj_refute, strict=True):
        updates[i]["p_value"] = p
    for i, p in zip(confirm_idx, adj_confirm, strict=True):
        updates[i]["p_confirm"] = p
    out = []
    for i, e in enumerate(evidences):
        if i not in updates:
            out.append(e)
            continue
        u = updates[i]
        verdict = e.verdict
        if verdict is Verdict.REFUTED and u.get("p_value", 0.0) > alpha:
            verdict = Verdict.INCONCLUSIVE
        if verdict is Verdict.CONFIRMED and u.get("p_confirm", 0.0) > alpha:
            verdict = Verdict.INCONCLUSIVE
        detail = dict(e.detail)
        detail["holm_m"] = {"refute": len(refute_idx), "confirm": len(confirm_idx)}
        detail["holm_family"] = family
        if "p_value" in u:
            detail["p_value_raw"] = e.p_value
        if "p_confirm" in u:
            detail["p_confirm_raw"] = e.p_confirm
        out.append(
            replace(
                e,
                verdict=verdict,
                p_value=u.get("p_value", e.p_value),
                p_confirm=u.get("p_confirm", e.p_confirm),
                test=f"{e.test} + Holm",
                detail=detail,
            )
        )
    return out


def _holm_adjust(pvals: list[float], alpha: float) -> list[float]:
    if not pvals:
        return []
    adjusted = multipletests(np.asarray(pvals, dtype=float), alpha=alpha, method="holm")[1]
    return [float(p) for p in adjusted]


def not_testable(reason: str, *, alpha: float = 0.05) -> Evidence:
    """A claim this suite cannot test (e.g. a cited result on another paper's models and data).

    Always ``inconclusive`` and ``cannot_confirm``, with ``reason`` in the detail: a recorded
    outcome, so the claim keeps a ledger entry and a report row instead of being dropped.
    """
    alpha = _check_alpha(alpha)
    if not isinstance(reason, str) or not reason.strip():
        raise ValueError(f"not_testable needs a non-empty reason, got {reason!r}")
    return Evidence(
        verdict=Verdict.INCONCLUSIVE,
        estimate=math.nan,
        ci=None,
        p_value=None,
        effect_size=None,
        n=1,
        alpha=alpha,
        test="not testable here (inconclusive by design)",
        rule="not_testable",
        cannot_confirm=True,
        detail={"reason": reason},
    )
