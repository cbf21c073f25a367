"""Every field of every rule's evidence, pinned on fixed inputs that reach each branch.

The calibration, property and reference tests say the rules are *right*; this one says they
did not *change*: verdict, estimate, interval, both p-values, MDEs, flags, test label, rule name
and every detail entry, against ``tests/data/stats_snapshots.json`` (floats to 1e-9 relative).
A deliberate change of a rule's output regenerates the file, and the diff shows what changed::

    python -m tests.test_stats_snapshots
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats as sps

from harness.evidence import rules as S
from harness.evidence.claims import jsonable

SNAPSHOTS = Path(__file__).parent / "data" / "stats_snapshots.json"


def _normal(n: int, mean: float, sd: float, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(mean, sd, size=n)


def _trimmed(values, axis=-1):
    return sps.trim_mean(values, 0.1, axis=axis)


def _median_by_percentile(values, axis=-1):
    """The median as a generic callable: the BCa branch, whose resamples then sit on atoms."""
    return np.percentile(values, 50.0, axis=axis)


def _capped_mean(values, axis=-1):
    """A statistic that saturates: every resample of values >= 5 gives 3, though the sample has spread."""
    return np.minimum(np.mean(values, axis=axis), 3.0)


ATOMS = np.array([1.0] * 12 + [0.0] * 4 + [2.0] * 4)  # most bootstrap medians equal the threshold 1


def _units(values: np.ndarray) -> np.ndarray:
    return np.column_stack([np.ones_like(values), values])


def _unit_mean(sums: np.ndarray) -> np.ndarray:
    return sums[..., 1] / sums[..., 0]


EPOCHS = np.array([38, 41, 45, 49, 52, 60, 75, 90, 300, 300], dtype=float)
SKEWED = np.random.default_rng(3).lognormal(size=20)

# name -> a call of one rule that reaches one branch
CASES: dict[str, Callable[[], Any]] = {
    "rate_at_least-confirmed": lambda: S.rate_at_least(48, 50, 0.8),
    "rate_at_least-refuted": lambda: S.rate_at_least(20, 50, 0.8),
    "rate_at_least-all": lambda: S.rate_at_least(50, 50, 0.99),
    "rate_at_most-inconclusive": lambda: S.rate_at_most(3, 50, 0.1),
    "rate_at_most-none": lambda: S.rate_at_most(0, 50, 0.01, alpha=0.2),
    "rate_equals-confirmed": lambda: S.rate_equals(290, 500, 0.58, margin=0.1),
    "rate_equals-refuted": lambda: S.rate_equals(10, 50, 0.58, margin=0.05),
    "rate_equals-edge": lambda: S.rate_equals(0, 50, 0.0, margin=0.05),
    "rates_differ-greater": lambda: S.rates_differ(35, 50, 20, 50, direction="greater"),
    "rates_differ-less": lambda: S.rates_differ(35, 50, 20, 50, direction="less"),
    "rates_differ-equal-all": lambda: S.rates_differ(50, 50, 50, 50, direction="greater"),
    "monotone-increasing": lambda: S.monotone_trend([14, 29, 35, 43, 50], [50] * 5, direction="increasing"),
    "monotone-decreasing-scores": lambda: S.monotone_trend(
        [0, 5, 9], [10, 20, 10], direction="decreasing", scores=[0.0, 2.0, 5.0]
    ),
    "monotone-degenerate": lambda: S.monotone_trend([0, 0], [10, 10], direction="increasing"),
    "always-clean": lambda: S.always(100, 100),
    "always-tolerance": lambda: S.always(100, 100, tolerance=0.05),
    "always-counter-example": lambda: S.always(99, 100, tolerance=0.05),
    "mean_equals-confirmed": lambda: S.mean_equals(_normal(50, 1.0, 0.2, 1), 1.0, margin=0.2),
    "mean_equals-cannot": lambda: S.mean_equals(_normal(60, 1.0, 1.0, 2), 1.0, margin=0.1),
    "mean_equals-uncalibrated-n10": lambda: S.mean_equals(_normal(10, 1.0, 1.0, 2), 1.0, margin=0.1),
    "mean_equals-uncalibrated-skew": lambda: S.mean_equals(SKEWED, 1.0, margin=0.5),
    "mean_equals-constant": lambda: S.mean_equals(np.full(5, 2.0), 2.0, margin=0.1),
    "metric_exceeds-mean": lambda: S.metric_exceeds(_normal(60, 1.0, 0.5, 4), 0.9),
    "metric_below-mean": lambda: S.metric_below(_normal(60, 1.0, 0.5, 4), 0.9),
    "metric_exceeds-mean-skewed-decided": lambda: S.metric_exceeds(np.exp(0.25 * _normal(200, 0.0, 1.0, 24)), 1.0),
    "metric_exceeds-median": lambda: S.metric_exceeds(EPOCHS, 40.0, statistic=np.median),
    "metric_below-quantile": lambda: S.metric_below(EPOCHS, 100.0, statistic=S.Quantile(0.25)),
    "metric_below-sd": lambda: S.metric_below(_normal(10, 0.0, 1.0, 5), 2.0, statistic=S.SD),
    "metric_exceeds-sd": lambda: S.metric_exceeds(_normal(10, 0.0, 1.0, 5), 2.0, statistic=S.SD),
    "metric_exceeds-range": lambda: S.metric_exceeds(EPOCHS, 20.0, statistic=S.QuantileRange(0.25, 0.75)),
    "metric_below-range": lambda: S.metric_below(np.arange(1.0, 41.0), 30.0, statistic=S.QuantileRange(0.25, 0.75)),
    "metric_exceeds-bca": lambda: S.metric_exceeds(
        SKEWED, 0.5, statistic=_trimmed, rng=np.random.default_rng(9), n_resamples=999
    ),
    "metric_below-bca": lambda: S.metric_below(
        SKEWED, 5.0, statistic=_trimmed, rng=np.random.default_rng(9), n_resamples=999
    ),
    "metric_exceeds-bca-constant": lambda: S.metric_exceeds(
        np.full(8, 3.0), 1.0, statistic=_trimmed, rng=np.random.default_rng(9), n_resamples=999
    ),
    "medians_differ-less": lambda: S.medians_differ(EPOCHS[:8], EPOCHS * 3, direction="less"),
    "medians_differ-ties": lambda: S.medians_differ([38] * 9 + [20], [38] * 9 + [25], direction="greater"),
    "distributions_differ-greater": lambda: S.distributions_differ(
        np.tile(EPOCHS, 4) * 2, np.tile(EPOCHS, 4), direction="greater"
    ),
    "distributions_differ-less-negative": lambda: S.distributions_differ(
        _normal(40, -1, 1, 6), _normal(45, 0, 1, 7), direction="less"
    ),
    "distributions_differ-identical": lambda: S.distributions_differ([2.0] * 5, [2.0] * 6, direction="greater"),
    "distributions_differ-separated": lambda: S.distributions_differ(
        np.arange(40.0) + 100.0, np.arange(40.0) + 1.0, direction="greater"
    ),
    "distributions_differ-separated-small": lambda: S.distributions_differ(
        [5.0, 6.0, 7.0], [1.0, 2.0], direction="greater"
    ),
    "exact_value-equal": lambda: S.exact_value(0.96, 0.9600000000000002),
    "exact_value-different": lambda: S.exact_value(1.5, 1.498, abs_tol=1e-3),
    "not_testable": lambda: S.not_testable("a cited result"),
    "cv_by_units-inside": lambda: S.cv_by_units(
        _units(_normal(60, 0.0, 1.0, 8)), _unit_mean, region=(-1.0, 1.0), n_splits=10
    ),
    "cv_by_units-short-of-power": lambda: S.cv_by_units(
        _units(_normal(60, 0.0, 1.0, 8)), _unit_mean, region=(-0.4, 0.4), n_splits=10
    ),
    "cv_by_units-straddles-hi": lambda: S.cv_by_units(
        _units(_normal(60, 0.9, 1.0, 8)), _unit_mean, region=(-1.0, 1.0), n_splits=10
    ),
    "cv_by_units-refuted": lambda: S.cv_by_units(
        _units(_normal(60, 1.8, 1.0, 8)), _unit_mean, region=(-1.0, 1.0), n_splits=10
    ),
    "cv_by_units-whole-line": lambda: S.cv_by_units(
        _units(_normal(60, 0.0, 1.0, 8)), _unit_mean, region=(-math.inf, math.inf), n_splits=10
    ),
    "cv_by_units-narrow": lambda: S.cv_by_units(
        _units(_normal(60, 0.0, 1.0, 8)), _unit_mean, region=(-0.3, 0.3), n_splits=10
    ),
    "cv_by_units-just-powered": lambda: S.cv_by_units(
        _units(_normal(60, 0.0, 1.0, 8)), _unit_mean, region=(-0.66, 0.66), n_splits=10
    ),
    "cv_by_units-above": lambda: S.cv_by_units(
        _units(_normal(60, 0.5, 1.0, 8)), _unit_mean, region=(0.0, math.inf), n_splits=5
    ),
    "metric_exceeds-mean-constant": lambda: S.metric_exceeds(np.full(5, 2.0), 1.0),
    "metric_exceeds-range-confirmed": lambda: S.metric_exceeds(
        np.arange(1.0, 201.0), 50.0, statistic=S.QuantileRange(0.25, 0.75)
    ),
    "metric_below-range-confirmed": lambda: S.metric_below(
        np.arange(1.0, 201.0), 150.0, statistic=S.QuantileRange(0.25, 0.75)
    ),
    "metric_below-range-atoms": lambda: S.metric_below(
        np.array([0.0] * 20 + [10.0] * 20), 10.0, statistic=S.QuantileRange(0.1, 0.9)
    ),
    "metric_exceeds-range-atoms": lambda: S.metric_exceeds(
        np.array([0.0] * 20 + [10.0] * 20), 10.0, statistic=S.QuantileRange(0.1, 0.9)
    ),
    "metric_exceeds-range-near-tie": lambda: S.metric_exceeds(
        np.array([0.0] * 20 + [10.0 + 5e-9] * 20), 10.0, statistic=S.QuantileRange(0.1, 0.9)
    ),
    "metric_exceeds-range-small-n": lambda: S.metric_exceeds(
        np.arange(1.0, 7.0), 2.0, statistic=S.QuantileRange(0.25, 0.75)
    ),
    "rate_equals-zero-confirmed": lambda: S.rate_equals(0, 500, 0.0, margin=0.05),
    "rate_equals-near-lower-edge": lambda: S.rate_equals(245, 500, 0.58, margin=0.1),
    "rate_equals-upper-bound-1": lambda: S.rate_equals(50, 50, 0.98, margin=0.05),
    "rate_equals-upper-edge-1": lambda: S.rate_equals(49, 50, 0.95, margin=0.05),
    "rates_differ-alpha-0.2": lambda: S.rates_differ(30, 50, 22, 50, direction="greater", alpha=0.2),
    "rates_differ-extreme": lambda: S.rates_differ(50, 50, 0, 50, direction="greater"),
    "rates_differ-near-zero": lambda: S.rates_differ(0, 50, 1, 50, direction="greater"),
    "rate_equals-lower-edge-0-n250": lambda: S.rate_equals(0, 250, 0.05, margin=0.05),
    "rate_equals-upper-edge-1-n250": lambda: S.rate_equals(250, 250, 0.95, margin=0.05),
    "rate_equals-lower-edge-0-n500": lambda: S.rate_equals(0, 500, 0.05, margin=0.05),
    "rate_equals-upper-edge-1-n500": lambda: S.rate_equals(500, 500, 0.95, margin=0.05),
    "rate_equals-beyond-1-n500": lambda: S.rate_equals(495, 500, 0.98, margin=0.05),
    "rate_equals-beyond-0-n500": lambda: S.rate_equals(3, 500, 0.02, margin=0.05),
    "metric_exceeds-quantile90-n10": lambda: S.metric_exceeds(np.arange(10.0), 3.0, statistic=S.Quantile(0.9)),
    "metric_below-range-unbounded-low": lambda: S.metric_below(
        np.arange(10.0), 5.0, statistic=S.QuantileRange(0.1, 0.3)
    ),
    "metric_exceeds-bca-default-resamples": lambda: S.metric_exceeds(
        _normal(20, 1.0, 1.0, 3), 0.5, statistic=_trimmed, rng=np.random.default_rng(4)
    ),
    "metric_below-bca-default-resamples": lambda: S.metric_below(
        _normal(20, 1.0, 1.0, 3), 1.5, statistic=_trimmed, rng=np.random.default_rng(4)
    ),
    "metric_exceeds-bca-saturated": lambda: S.metric_exceeds(
        np.arange(5.0, 15.0), 2.0, statistic=_capped_mean, rng=np.random.default_rng(9), n_resamples=999
    ),
    "metric_exceeds-bca-equal-jackknife": lambda: S.metric_exceeds(
        np.array([0.0] * 4 + [10.0] * 6), 2.0, statistic=_capped_mean, rng=np.random.default_rng(9), n_resamples=999
    ),
    "metric_exceeds-bca-atoms-at-threshold": lambda: S.metric_exceeds(
        ATOMS, 1.0, statistic=_median_by_percentile, rng=np.random.default_rng(9), n_resamples=999
    ),
    "metric_below-bca-atoms-at-threshold": lambda: S.metric_below(
        ATOMS, 1.0, statistic=_median_by_percentile, rng=np.random.default_rng(9), n_resamples=999
    ),
    "variance_ratio_equals": lambda: S.variance_ratio_equals(
        _normal(1000, 0.0, 1.0, 10) + 0.3 * _normal(1000, 0.0, 1.0, 11), _normal(1000, 0.0, 1.0, 10), region=(0.9, 1.2)
    ),
    "variance_ratio_equals-confirmed": lambda: S.variance_ratio_equals(
        _normal(1200, 0.0, 1.0, 12) + 0.05 * _normal(1200, 0.0, 1.0, 13), _normal(1200, 0.0, 1.0, 12), region=(0.8, 1.4)
    ),
    "variance_ratio_equals-refuted-above": lambda: S.variance_ratio_equals(
        2.0 * _normal(1000, 0.0, 1.0, 14) + 0.1 * _normal(1000, 0.0, 1.0, 15),
        _normal(1000, 0.0, 1.0, 14),
        region=(0.9, 1.1),
    ),
    "variance_ratio_equals-open-above": lambda: S.variance_ratio_equals(
        3.0 * _normal(1000, 0.0, 1.0, 16) + 0.5 * _normal(1000, 0.0, 1.0, 17),
        _normal(1000, 0.0, 1.0, 16),
        region=(2.0, math.inf),
    ),
    "variance_ratio_equals-near-hi": lambda: S.variance_ratio_equals(
        1.1 * _normal(1000, 0.0, 1.0, 18) + 0.05 * _normal(1000, 0.0, 1.0, 19),
        _normal(1000, 0.0, 1.0, 18),
        region=(0.5, 1.3),
    ),
    "variance_ratio_equals-unpaired-noise": lambda: S.variance_ratio_equals(
        _normal(12, 0.0, 1.0, 20), _normal(12, 0.0, 5.0, 21), region=(0.9, 1.1)
    ),
    "distributions_differ-39-per-arm": lambda: S.distributions_differ(
        _normal(39, 0.5, 1.0, 25), _normal(60, 0.0, 1.0, 26), direction="greater"
    ),
    "cv_by_units-uncalibrated-skew": lambda: S.cv_by_units(
        _units(np.exp(2.0 * _normal(60, 0.0, 1.0, 27))), _unit_mean, region=(0.0, math.inf), n_splits=10
    ),
    "quantile_matches-atom-at-cap": lambda: S.quantile_matches(np.r_[EPOCHS, [300.0] * 5], 300.0, p=0.75, m=29),
    "quantile_matches-refuted": lambda: S.quantile_matches(np.arange(1.0, 101.0), 90.0, p=0.25, m=50),
    "quantile_matches-confirmed": lambda: S.quantile_matches(np.arange(1.0, 2001.0), 1000.0, p=0.5, m=30),
    "mean_matches-document-sd": lambda: S.mean_matches(_normal(200, 126.0, 50.0, 28), 126.3, m=29, sd=54.2),
    "mean_matches-no-sd": lambda: S.mean_matches(_normal(200, 1.0, 0.5, 29), 1.36, m=100),
    "sd_matches": lambda: S.sd_matches(_normal(50, 0.0, 40.0, 30), 54.2, m=29),
    "rates_differ-exact-small": lambda: S.rates_differ(7, 9, 2, 8, direction="greater"),
    "holm-mixed": lambda: S.holm(
        [
            S.exact_value(1.0, 1.0),
            S.rate_at_least(48, 50, 0.8),
            S.not_testable("cited"),
            S.rate_at_least(20, 50, 0.8),
            S.rate_at_least(44, 50, 0.8),
        ],
        family="toy",
    ),
    "mean_equals-refuted-below": lambda: S.mean_equals(_normal(50, 0.5, 0.2, 22), 1.0, margin=0.2),
    "metric_below-sd-constant": lambda: S.metric_below(np.full(6, 1.5), 2.0, statistic=S.SD),
    "medians_differ-tiny": lambda: S.medians_differ([1.0, 2.0, 3.0], [4.0, 5.0, 6.0], direction="less"),
    "mean_equals-marginal": lambda: S.mean_equals(_normal(50, 1.0, 1.0, 23), 1.0, margin=0.45),
    "distributions_differ-zero-in-y": lambda: S.distributions_differ(
        np.arange(40.0) + 3.0, np.arange(40.0) * 1.1, direction="greater"
    ),
    "holm-family": lambda: S.holm(
        [S.rate_at_least(48, 50, 0.8), S.rate_at_least(45, 50, 0.8), S.rate_at_least(20, 50, 0.8)], family="toy"
    ),
}


def _record(value: Any) -> Any:
    """The evidence (or list of evidence) as plain JSON."""
    if isinstance(value, list):
        return [_record(v) for v in value]
    return jsonable(value.to_dict())


def _close(actual: Any, expected: Any, where: str) -> None:
    """Recursive equality, floats to 1e-9 relative (NaN equals NaN)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and sorted(actual) == sorted(expected), f"{where}: keys {sorted(actual)}"
        for k in expected:
            _close(actual[k], expected[k], f"{where}.{k}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{where}: {actual!r}"
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            _close(a, e, f"{where}[{i}]")
    elif isinstance(expected, float) and not isinstance(expected, bool):
        assert isinstance(actual, (int, float)) and not isinstance(actual, bool), f"{where}: {actual!r}"
        assert (math.isnan(actual) and math.isnan(expected)) or actual == pytest.approx(
            expected, rel=1e-9, abs=1e-300
        ), where
    else:
        assert actual == expected and type(actual) is type(expected), f"{where}: {actual!r} != {expected!r}"


@pytest.mark.parametrize("case", sorted(CASES))
def test_rule_output_is_unchanged(case):
    expected = json.loads(SNAPSHOTS.read_text())[case]
    _close(json.loads(json.dumps(_record(CASES[case]()))), expected, case)


def test_every_case_has_a_snapshot():
    assert sorted(json.loads(SNAPSHOTS.read_text())) == sorted(CASES)


def main() -> int:
    """Regenerate the snapshots (a deliberate change of the rules' output)."""
    SNAPSHOTS.parent.mkdir(exist_ok=True)
    SNAPSHOTS.write_text(json.dumps({k: _record(CASES[k]()) for k in sorted(CASES)}, indent=1, sort_keys=True) + "\n")
    print(f"wrote {SNAPSHOTS} ({len(CASES)} cases)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
