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


def test_every_claim_on_the_data_set_has_its_twin_under_the_other_reading():
    by_id = {c.id: c for members in cat.FAMILIES.values() for _, c in members}
    specs = {cid: cat.SPEC_OF[cid] for cid in by_id}
    main = [cid for cid, spec in specs.items() if getattr(spec, "reading", None) == cat.MAIN_READING]
    # rows under both schemes, tree errors, rankings, observations, linearity, norms, beyond distance,
    # features, stability
    assert len(main) == 2 * 11 + 4 + 2 + 2 * 8 + 3 + 4 + 3 + 6 + 4
    for cid in main:
        twin = by_id[f"{cid}_all_traces"]
        assert specs[twin.id].reading == "all" and twin.statement == by_id[cid].statement
        assert twin.family == f"{by_id[cid].family}_all_traces"
        assert by_id[cid].protocol.reading.value.startswith("reading B") and twin.protocol.reading.value.startswith(
            "reading A"
        )


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


def test_only_the_claims_on_every_random_initialisation_have_no_reading():
    untwinned = {c.id for members in cat.FAMILIES.values() for spec, c in members if not hasattr(spec, "reading")}
    assert untwinned == {c.id for c in cat.SMART_CLAIMS.values()}
    assert cat.CONVERGENCE_GUARANTEED.protocol.population.value.startswith("every random initialisation")


def test_unknown_spec_type_raises_value_error():
    with pytest.raises(ValueError, match="no evidence builder"):
        build_evidence(None, object(), cat.CONVERGENCE_GUARANTEED)
