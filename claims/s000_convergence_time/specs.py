"""Specs of the claims of source 000: one frozen dataclass per claim group, saying what its evidence computes.

A builder in ``evidence`` receives a claim's spec and computes from its fields alone: it never
parses a claim id or compares strings to decide what to compute.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConvergenceSpec:
    """1.1: every trace stops on a convergence criterion (``solved=False``) or reaches a solution
    with the cap lifted (``solved=True``)."""

    solved: bool


@dataclass(frozen=True)
class RowSpec:
    """A row of table 2.1: the R² of ``model`` under CV ``scheme`` is ``r2`` +- ``margin``."""

    scheme: str  # key of SCHEMES
    model: str  # harness.studies.convergence.regression.MODEL_NAMES
    r2: float  # the document's value
    margin: float  # equivalence margin (r2_margin)
    reading: str  # "solved": traces that reached a solution only (the main reading); "all": every trace (READINGS)


@dataclass(frozen=True)
class ErrorSpec:
    """A tree model's MSE or MAE of table 2.1 under CV ``scheme``, per trace, is ``value`` +- ``margin``."""

    scheme: str
    model: str
    metric: str  # "mse" or "mae": the per-row error is squared or absolute
    value: float
    margin: float
    reading: str  # as RowSpec.reading


@dataclass(frozen=True)
class RankingSpec:
    """Table 2.1's order of the 11 model classes under CV ``scheme``."""

    scheme: str
    reading: str  # as RowSpec.reading


@dataclass(frozen=True)
class ObservationSpec:
    """2.2 / 8.1: pooled R² of ``model`` (minus ``baseline``'s when given) above or below ``threshold``."""

    scheme: str
    model: str
    baseline: str | None  # None: the model's own R²; else a paired difference of fold R²
    above: bool  # True: claim "exceeds"; False: claim "stays below"
    threshold: float
    description: str  # the compared quantity, for the report
    reading: str  # as RowSpec.reading


@dataclass(frozen=True)
class FormSpec:
    """3.1: the linear form of ``distance`` errs less than ``alternative`` (held-out MSE)."""

    distance: str
    alternative: str  # "log" or "power" (harness.studies.convergence.regression.compare_forms)
    reading: str  # as RowSpec.reading


@dataclass(frozen=True)
class NormBoundSpec:
    """3.3: ``||x||2 <= ||x||1 <= sqrt(3) ||x||2`` on every row of every trace."""

    reading: str  # as RowSpec.reading


@dataclass(frozen=True)
class NormMeanSpec:
    """3.2-3.3: per-trace ``sum(numerator) / sum(denominator)`` (or the mean of ``numerator`` when
    ``denominator`` is None) is ``reported`` within ``REL_MARGIN``."""

    numerator: str  # a Rows column
    denominator: str | None
    reported: float
    reading: str  # as RowSpec.reading


@dataclass(frozen=True)
class GainSpec:
    """4.1 / 6.1: adding ``added`` to the ``baseline`` distance model gains less than NEGLIGIBLE_GAIN R²."""

    baseline: str  # "linear" or "flexible" (harness.studies.convergence.findings_000.beyond_distance_gain)
    added: tuple[str, ...]
    reading: str  # as RowSpec.reading


@dataclass(frozen=True)
class FeatureSpec:
    """7.2: fold R² of ablation subset ``minuend`` minus ``subtrahend`` above / below ``threshold``."""

    minuend: str  # keys of harness.studies.convergence.Ablation.fold_r2
    subtrahend: str
    above: bool
    threshold: float
    reading: str  # as RowSpec.reading


@dataclass(frozen=True)
class TightSpec:
    """7.3: the 95% interval of 50 bootstrap R² of the scheme's best model is narrower than TIGHT_CI_WIDTH."""

    scheme: str
    reading: str  # as RowSpec.reading


@dataclass(frozen=True)
class FoldsSpec:
    """7.1: the SD of linear regression's fold R² under ``scheme`` is below FOLD_SD_MAX."""

    scheme: str
    reading: str  # as RowSpec.reading


@dataclass(frozen=True)
class SmartFasterSpec:
    """5.1: the selected initialisations converge in fewer epochs than random ones."""


@dataclass(frozen=True)
class SmartGuaranteedSpec:
    """5.1: every selected initialisation converges faster than the control's median."""


@dataclass(frozen=True)
class VanishingSpec:
    """4.2: no trace stops on the gradient criterion away from a solution (epoch cap lifted)."""


@dataclass(frozen=True)
class SimilarPowerSpec:
    """3.2: the linear form's pooled R² on ``distance`` minus on ``other`` lies within +-``margin``."""

    distance: str
    other: str
    margin: float
    reading: str  # as RowSpec.reading


@dataclass(frozen=True)
class OverfitSpec:
    """7.1: linear regression's in-sample R² minus its pooled out-of-fold R² under ``scheme`` stays below
    ``threshold`` (no overfitting)."""

    scheme: str
    threshold: float
    reading: str  # as RowSpec.reading


@dataclass(frozen=True)
class SweepSpec:
    """Full tier: the main claim ``kind`` re-tested at learning rate ``lr`` and init scale ``scale``."""

    lr: float
    scale: float
    kind: str  # key of SWEEP_KINDS
