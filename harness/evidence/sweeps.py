"""Sweeps: whether a main claim's ledger verdict survives a change of setting.

A sweep re-decides a main claim on a study run at another setting (learning rate, data noise,
threshold) and records, in its evidence's detail, how its verdict compares with the main claim's
ledger verdict. Shared by every source's sweep so that "survives" means the same everywhere.
"""

from __future__ import annotations

from typing import Any

from harness.evidence.verdicts import Verdict

__all__ = ["survival"]


def survival(
    main: str, verdict: Verdict, reference: Verdict | None, *, reference_text: str, n_sweep: int, n_reference: int
) -> dict[str, Any]:
    """Detail fields comparing a sweep's ``verdict`` (on ``n_sweep`` runs) with its main claim's
    ledger verdict ``reference`` (decided on ``n_reference`` runs; ``reference_text`` names it).

    ``survives``: True for the same verdict; False for a different decided verdict, or a decision
    where the main claim was undecided; None without a reference, and for an inconclusive sweep on
    fewer runs than decided the main claim (it may only lack power: ``survival_note`` says so).
    """
    if reference is None:
        return {"main_claim": main, "reference": f"none: no {reference_text}", "main_verdict": None, "survives": None}
    detail = {"main_claim": main, "reference": reference_text, "main_verdict": reference.value, "sweep_n": n_sweep}
    if verdict is Verdict.INCONCLUSIVE and reference is not Verdict.INCONCLUSIVE and n_sweep < n_reference:
        return {
            **detail,
            "survives": None,
            "survival_note": f"undecided on the sweep's {n_sweep} runs (the main claim "
            f"used {n_reference}): fewer runs, not necessarily a different verdict",
        }
    return {**detail, "survives": verdict == reference}
