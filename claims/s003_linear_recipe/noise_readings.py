"""Which claims of source 003 depend on the label noise: ``python -m claims.s003_linear_recipe.noise_readings``.

Computes every main-study claim's verdict under each supported noise level
(``harness.studies.linear_recipe.noise.READINGS``, batch size as calibrated) for one master seed and
tier, and prints the claims whose verdict differs, then each whole Holm family one of them is in
(:func:`dependent`); ``catalogue.NOISE_DEPENDENT`` is that list (quick tier, master seed 0;
``tests/test_noise_readings_003.py`` recomputes it). A tool for whoever revises the readings, not a claim.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence

from claims.s003_linear_recipe.catalogue import SPECS
from claims.s003_linear_recipe.evidence import Context, evidence_for
from harness.studies.linear_recipe import calibration, noise
from harness.studies.linear_recipe.recipe import DataSettings
from harness.studies.linear_recipe.study import LinearStudy


def verdicts(master_seed: int, tier: str) -> dict[str, tuple[str, ...]]:
    """Claim id -> its verdicts under each reading of ``noise.READINGS`` (main-study claims only)."""
    out: dict[str, list[str]] = {}
    for value in noise.READINGS:
        data = DataSettings(batch_size=calibration.CHOSEN.batch_size, noise=value)
        study = LinearStudy(master_seed, tier, data)
        for spec in SPECS:
            if spec.piece != "main":
                continue
            out.setdefault(spec.claim.id, []).append(evidence_for(spec.claim.id, Context(study)).verdict.value)
    return {cid: tuple(v) for cid, v in out.items()}


def dependent(by_claim: Mapping[str, Sequence[str]]) -> tuple[str, ...]:
    """The claims to test under every noise reading, in catalogue order: those whose verdicts
    (``by_claim``, from :func:`verdicts`) differ between the readings, and every member of a Holm
    family one of them is in (a reading's family is adjusted as a whole)."""
    differs = {cid for cid, v in by_claim.items() if len(set(v)) > 1}
    families = {s.claim.family for s in SPECS if s.claim.id in differs} - {None}
    return tuple(s.claim.id for s in SPECS if s.claim.id in differs or s.claim.family in families)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tier", default="quick", choices=("quick", "full"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    by_claim = verdicts(args.seed, args.tier)
    for cid, v in by_claim.items():
        if len(set(v)) > 1:
            print(cid, " / ".join(f"{value:g}: {verdict}" for value, verdict in zip(noise.READINGS, v, strict=True)))
    print("NOISE_DEPENDENT (with whole Holm families):", ", ".join(dependent(by_claim)))


if __name__ == "__main__":
    main()
