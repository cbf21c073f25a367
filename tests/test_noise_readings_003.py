"""Source 003's noise readings (review m5): ``catalogue.NOISE_DEPENDENT``, the claims also tested at
the other supported noise levels, is what ``python -m claims.s003_linear_recipe.noise_readings``
computes (quick tier, master seed 0), so a new noise-sensitive claim cannot miss its readings."""

from __future__ import annotations

from claims.s003_linear_recipe import noise_readings
from claims.s003_linear_recipe.catalogue import IMPROVES, NOISE_DEPENDENT


def test_dependent_adds_the_whole_holm_family_of_a_claim_whose_verdict_differs():
    family = [s.claim.id for s in IMPROVES]
    by_claim = {cid: ("confirmed",) * 3 for cid in ("003.recipe.w", *family)}
    assert noise_readings.dependent(by_claim) == ()
    by_claim["003.recipe.w"] = ("confirmed", "confirmed", "refuted")
    assert noise_readings.dependent(by_claim) == ("003.recipe.w",)
    by_claim[family[1]] = ("confirmed", "inconclusive", "inconclusive")
    assert set(noise_readings.dependent(by_claim)) == {"003.recipe.w", *family}


def test_noise_dependent_is_what_the_script_computes():
    computed = noise_readings.dependent(noise_readings.verdicts(master_seed=0, tier="quick"))
    assert len(set(NOISE_DEPENDENT)) == len(NOISE_DEPENDENT)
    assert set(computed) == set(NOISE_DEPENDENT), (
        f"missing from NOISE_DEPENDENT: {sorted(set(computed) - set(NOISE_DEPENDENT))}; "
        f"listed but not noise-dependent: {sorted(set(NOISE_DEPENDENT) - set(computed))}"
    )
