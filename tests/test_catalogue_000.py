"""Invariants of the claim catalogue of source 000 (claims/s000_convergence_time): specs, readings, tiers."""

from __future__ import annotations

import pytest

from claims.s000_convergence_time import catalogue as cat
from claims.s000_convergence_time.evidence import BUILDERS, build_evidence


def test_every_spec_of_a_claim_has_a_builder():
    missing = sorted({type(spec).__name__ for spec in cat.SPEC_OF.values()} - {t.__name__ for t in BUILDERS})
    assert not missing


def test_every_sweep_claim_retests_a_main_claim_with_a_spec():
    assert all(cat.SWEEP_MAIN[spec.kind].id in cat.SPEC_OF for spec in cat.SWEEP_CLAIMS)


def test_headline_claims_have_a_solved_only_twin_with_the_same_quote():
    by_id = {c.id: c for members in cat.FAMILIES.values() for _, c in members}
    headline = [
        cid
        for cid in by_id
        if cid.startswith(("000.table21_kfold.", "000.linearity."))
        and not cid.endswith("_solved_only")
        and not cid.endswith(("_mse", "_mae", ".ranking"))
    ]
    assert len(headline) == 14
    for cid in headline:
        twin = by_id[f"{cid}_solved_only"]
        assert twin.statement == by_id[cid].statement
        assert twin.family != by_id[cid].family


def test_full_only_claims_are_those_that_fit_an_underfit_fast_model():
    expected = set()
    for members in cat.FAMILIES.values():
        for spec, c in members:
            models = {getattr(spec, "model", None), getattr(spec, "baseline", None)}
            if models & set(cat.UNDERFIT_FAST) or isinstance(spec, cat.RankingSpec):
                expected.add(c.id)
    assert cat.FULL_ONLY == expected
    assert all(cat.SPEC_OF[cid] is not None for cid in cat.FULL_ONLY)


def test_claim_ids_are_unique():
    ids = [c.id for members in cat.FAMILIES.values() for _, c in members] + [c.id for c in cat.SWEEP_CLAIMS.values()]
    assert len(ids) == len(set(ids))


def test_unknown_spec_type_raises_value_error():
    with pytest.raises(ValueError, match="no evidence builder"):
        build_evidence(None, object(), cat.CONVERGENCE_GUARANTEED)
