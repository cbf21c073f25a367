"""Tests of ``harness.evidence.rules.cv_by_units``: calibration at the claims' data shape, and contracts.

The claims of source 000/001 decide statements about cross-validated R² from 100 traces of ~34
recorded states each, 10 folds. The calibration test simulates exactly that shape, with a trace
effect in the target and in both features (states of one trace are correlated), and two linear
models whose true R² are equal: a claim "R²(a) - R²(b) > 0" must then be confirmed and refuted
each at most alpha/2 of the time (+ a Monte-Carlo allowance of 3 standard errors), under
GroupKFold by trace and under the document's KFold over rows.
"""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
from scipy import stats

from harness.evidence import rules
from harness.evidence.rules import capture, cv
from harness.evidence.verdicts import Verdict

ALPHA = 0.05
N_TRACES, ROWS_PER_TRACE, N_SPLITS = 100, 34, 10
REPLICATIONS = 2000  # MC sd of a 0.025 rate: 0.0035; a rule erring at alpha (0.05) fails the bound w.p. > 0.99


def _r2_difference(sums: np.ndarray) -> np.ndarray:
    """R²(a) - R²(b) from summed columns (..., 5): rows, sum y, sum y², SSE a, SSE b."""
    n, s_y, s_yy, sse_a, sse_b = np.moveaxis(sums, -1, 0)
    return (sse_b - sse_a) / (s_yy - s_y**2 / n)


def _held_out_ols(x: np.ndarray, y: np.ndarray, fold: np.ndarray) -> np.ndarray:
    """Out-of-fold predictions of the OLS line y ~ a + b x, each fold fitted on the others (closed form)."""
    per_fold = np.stack(
        [np.bincount(fold, weights=w, minlength=N_SPLITS) for w in (np.ones_like(x), x, y, x * x, x * y)]
    )  # (5, K)
    n, s_x, s_y, s_xx, s_xy = per_fold.sum(axis=1, keepdims=True) - per_fold  # training sums (5, K)
    slope = (s_xy - s_x * s_y / n) / (s_xx - s_x**2 / n)
    intercept = (s_y - slope * s_x) / n
    return intercept[fold] + slope[fold] * x


def _simulated_unit_sums(rng: np.random.Generator, *, grouped: bool) -> np.ndarray:
    """Per-trace sums (G, 5) of one simulated 10-fold CV of two equally good one-feature OLS models."""
    trace = np.repeat(np.arange(N_TRACES), ROWS_PER_TRACE)  # (R,)
    x_a = rng.normal(size=N_TRACES)[trace] + rng.normal(size=trace.size)
    x_b = rng.normal(size=N_TRACES)[trace] + rng.normal(size=trace.size)
    y = rng.normal(size=N_TRACES)[trace] + x_a + x_b + rng.normal(size=trace.size)
    fold = (rng.permutation(N_TRACES)[trace] if grouped else rng.permutation(trace.size)) % N_SPLITS
    columns = [np.ones_like(y), y, y**2] + [(y - _held_out_ols(x, y, fold)) ** 2 for x in (x_a, x_b)]
    return np.stack([np.bincount(trace, weights=c, minlength=N_TRACES) for c in columns], axis=1)


def _assert_errors_within_half_alpha(verdicts: list[Verdict]) -> None:
    """Both errors (the truth is on the edge) at most alpha / 2 plus 3 Monte-Carlo standard errors."""
    bound = ALPHA / 2 + 3 * math.sqrt(ALPHA / 2 * (1 - ALPHA / 2) / REPLICATIONS)
    false_confirm = verdicts.count(Verdict.CONFIRMED) / REPLICATIONS
    false_refute = verdicts.count(Verdict.REFUTED) / REPLICATIONS
    assert false_confirm <= bound and false_refute <= bound, (false_confirm, false_refute, bound)


@pytest.mark.parametrize("grouped", [True, False], ids=["group_kfold_by_trace", "kfold_over_rows"])
def test_each_one_sided_error_is_at_most_half_alpha_at_the_claims_shape(grouped):
    rng = np.random.default_rng(20261130)
    verdicts = [
        rules.cv_by_units(
            _simulated_unit_sums(rng, grouped=grouped),
            _r2_difference,
            region=(0.0, math.inf),
            n_splits=N_SPLITS,
            alpha=ALPHA,
        ).verdict
        for _ in range(REPLICATIONS)
    ]
    _assert_errors_within_half_alpha(verdicts)


def _r2(sums: np.ndarray) -> np.ndarray:
    """Pooled R² from summed columns (..., 4): rows, sum y, sum y², SSE."""
    n, s_y, s_yy, sse = np.moveaxis(sums, -1, 0)
    return 1.0 - sse / (s_yy - s_y**2 / n)


def _heterogeneous_unit_sums(rng: np.random.Generator, noise_spread: float) -> np.ndarray:
    """Per-trace sums (G, 4) of y = a_g + 3 x + e with trace noise sd sigma_g ~ lognormal(0, noise_spread)
    (traces of unequal noise), predicted by a_g + 3 x: the pooled R² tends to
    1 - E[sigma²] / (10 + E[sigma²]), E[sigma²] = exp(2 noise_spread²)."""
    trace = np.repeat(np.arange(N_TRACES), ROWS_PER_TRACE)  # (R,)
    sigma = rng.lognormal(0.0, noise_spread, size=N_TRACES)[trace]
    error = sigma * rng.normal(size=trace.size)
    y = rng.normal(size=N_TRACES)[trace] + 3.0 * rng.normal(size=trace.size) + error
    columns = [np.ones_like(y), y, y**2, error**2]
    return np.stack([np.bincount(trace, weights=c, minlength=N_TRACES) for c in columns], axis=1)


def _true_r2(noise_spread: float) -> float:
    noise = math.exp(2.0 * noise_spread**2)
    return 1.0 - noise / (10.0 + noise)


@pytest.mark.parametrize("noise_spread", [0.3, 0.75], ids=["mildly_unequal_noise", "strongly_unequal_noise"])
@pytest.mark.parametrize("above", [True, False], ids=["claim_above", "claim_below"])
def test_heterogeneous_units_keep_each_one_sided_error_at_most_half_alpha(noise_spread, above):
    """Issue 20: units of unequal noise make R² and its jackknife se correlated, which a symmetric
    (exchangeable) design cannot show. Truth on the edge of "R² > r" (or "< r"): both errors count."""
    rng = np.random.default_rng([20, int(noise_spread * 100), int(above)])
    edge = _true_r2(noise_spread)
    region = (edge, math.inf) if above else (-math.inf, edge)
    verdicts = [
        rules.cv_by_units(
            _heterogeneous_unit_sums(rng, noise_spread), _r2, region=region, n_splits=N_SPLITS, alpha=ALPHA
        ).verdict
        for _ in range(REPLICATIONS)
    ]
    _assert_errors_within_half_alpha(verdicts)


def _mean_statistic(sums: np.ndarray) -> np.ndarray:
    """Mean of a per-unit quantity from summed columns (..., 2): count, sum."""
    return sums[..., 1] / sums[..., 0]


def _units(values: np.ndarray) -> np.ndarray:
    return np.column_stack([np.ones_like(values), values])


def test_jackknife_se_of_a_mean_is_the_t_standard_error_times_the_correction():
    values = np.random.default_rng(1).normal(size=40)
    ev = rules.cv_by_units(_units(values), _mean_statistic, region=(-1.0, 1.0), n_splits=10)
    expected = values.std(ddof=1) / math.sqrt(values.size) * math.sqrt(1 + 1 / 9)
    assert ev.detail["se"] == pytest.approx(expected, rel=1e-9)
    assert ev.estimate == pytest.approx(values.mean(), rel=1e-12)


def test_verdict_agrees_with_its_p_values():
    rng = np.random.default_rng(2)
    for shift in (-1.0, -0.2, 0.0, 0.2, 1.0):
        ev = rules.cv_by_units(
            _units(rng.normal(shift, 1.0, size=30)), _mean_statistic, region=(0.0, math.inf), n_splits=10
        )
        assert (ev.verdict is Verdict.REFUTED) == (ev.p_value <= ALPHA)
        assert (ev.verdict is Verdict.CONFIRMED) == (ev.p_confirm <= ALPHA)


def test_clear_effects_confirm_and_refute():
    values = np.random.default_rng(3).normal(5.0, 1.0, size=50)
    assert (
        rules.cv_by_units(_units(values), _mean_statistic, region=(0.0, math.inf), n_splits=10).verdict
        is Verdict.CONFIRMED
    )
    assert (
        rules.cv_by_units(_units(values), _mean_statistic, region=(-math.inf, 0.0), n_splits=10).verdict
        is Verdict.REFUTED
    )


def test_a_region_narrower_than_the_interval_is_flagged_cannot_confirm():
    values = np.random.default_rng(4).normal(0.0, 1.0, size=20)
    ev = rules.cv_by_units(_units(values), _mean_statistic, region=(-0.01, 0.01), n_splits=10)
    assert ev.detail["cannot_confirm_at_n"] is True
    assert ev.verdict is not Verdict.CONFIRMED


@pytest.mark.parametrize("region", [(-1.0, 1.0), (0.0, math.inf)], ids=["two_edges", "one_edge"])
def test_a_true_value_mde_confirm_inside_an_edge_is_confirmed_with_80_percent_power(region):
    units, sd = 60, 1.0  # at 60 units normal samples pass the skewness limit (1.0) all but ~0.2% of the time
    standardised = stats.norm.ppf((np.arange(units) + 0.5) / units)  # symmetric: skewness 0
    standardised = (standardised - standardised.mean()) / standardised.std(ddof=1) * sd  # se = the true se
    reference = rules.cv_by_units(_units(standardised), _mean_statistic, region=region, n_splits=N_SPLITS)
    truth = region[0] + reference.mde_confirm
    rng = np.random.default_rng(7)
    confirmed = np.mean(
        [
            rules.cv_by_units(
                _units(rng.normal(truth, sd, size=units)), _mean_statistic, region=region, n_splits=N_SPLITS
            ).verdict
            is Verdict.CONFIRMED
            for _ in range(REPLICATIONS)
        ]
    )
    assert confirmed == pytest.approx(0.8, abs=0.04), confirmed  # se estimated, not fixed: t approximation


def test_a_region_too_narrow_for_80_percent_power_at_its_centre_has_no_mde_confirm():
    values = stats.norm.ppf((np.arange(60) + 0.5) / 60)  # symmetric: inside the skewness limit
    ev = rules.cv_by_units(_units(values), _mean_statistic, region=(-0.4, 0.4), n_splits=N_SPLITS)
    assert ev.mde_confirm is None and ev.cannot_confirm
    assert ev.detail["cannot_confirm_at_n"] is False  # a lucky sample could still confirm


@pytest.mark.parametrize(
    "bad, match",
    [
        (dict(unit_sums=np.ones((2, 2))), "shape"),
        (dict(unit_sums=np.full((5, 2), np.nan)), "finite"),
        (dict(region=(1.0, 0.0)), "region"),
        (dict(n_splits=1), "n_splits"),
        (dict(alpha=1.5), "alpha"),
    ],
)
def test_bad_input_raises_value_error(bad, match):
    kwargs = dict(unit_sums=_units(np.arange(6.0)), statistic=_mean_statistic, region=(0.0, 1.0), n_splits=10)
    kwargs.update(bad)
    with pytest.raises(ValueError, match=match):
        rules.cv_by_units(**kwargs)


def test_constant_units_have_no_interval():
    with pytest.raises(ValueError, match="standard error is 0"):
        rules.cv_by_units(_units(np.ones(6)), _mean_statistic, region=(0.0, 2.0), n_splits=10)


def test_effect_size_is_measured_from_the_nearest_edge():
    values = np.random.default_rng(5).normal(0.9, 1.0, size=30)
    ev = rules.cv_by_units(_units(values), _mean_statistic, region=(-1.0, 1.0), n_splits=10)
    assert ev.effect_size == pytest.approx((ev.estimate - 1.0) / ev.detail["se"], rel=1e-12)


class _MeanOnSupport:
    """The mean statistic declaring the values it can take (``support``); an instance has no ``__name__``."""

    def __init__(self, low: float, high: float) -> None:
        self.support = (low, high)

    def __call__(self, sums: np.ndarray) -> np.ndarray:
        return _mean_statistic(sums)


def test_a_jackknife_estimate_outside_the_statistics_support_gets_no_rule():
    """Docstring: a bias correction that moves the estimate where the statistic cannot be is not decided."""
    values = np.random.default_rng(6).normal(-1.0, 1.0, size=30)
    ev = rules.cv_by_units(_units(values), _MeanOnSupport(0.0, math.inf), region=(0.5, math.inf), n_splits=10)
    assert ev.verdict is Verdict.INCONCLUSIVE and ev.detail["reason"] == rules.NO_CALIBRATED_RULE
    assert "support" in ev.detail["outside_calibration"]


@pytest.mark.parametrize("low_edge", [True, False], ids=["on_lower_end", "on_upper_end"])
def test_a_jackknife_estimate_on_the_end_of_the_support_is_decided_and_its_interval_clipped(low_edge):
    """The support is closed ([low, high]); an estimate on its end is possible (an SD of 0), the interval stops there."""
    values = np.tile([-3.0, -1.0, 1.0, 3.0], 10)  # mean exactly 0; symmetric: inside the skewness limit
    support = (0.0, math.inf) if low_edge else (-math.inf, 0.0)
    ev = rules.cv_by_units(_units(values), _MeanOnSupport(*support), region=(-5.0, 5.0), n_splits=10)
    assert ev.detail["jackknife_estimate"] == 0.0 and "reason" not in ev.detail
    assert ev.ci == ((0.0, pytest.approx(ev.ci[1])) if low_edge else (pytest.approx(ev.ci[0]), 0.0))


@pytest.mark.parametrize(
    "bad, match",
    [
        (dict(alpha=1.5), "alpha"),
        (dict(alpha=0.0), "alpha"),
        (dict(region=(1.0, 0.0)), "region"),
        (dict(region=(1.0, 1.0)), "region"),
    ],
)
def test_bad_arguments_are_named_before_the_data_are_judged(bad, match):
    """Constant units have no standard error; an invalid alpha or region must still be the error reported."""
    kwargs = dict(unit_sums=_units(np.ones(6)), statistic=_mean_statistic, region=(0.0, 2.0), n_splits=10)
    kwargs.update(bad)
    with pytest.raises(ValueError, match=match):
        rules.cv_by_units(**kwargs)


def test_the_capture_names_a_statistic_without_a_name_by_its_repr(tmp_path, monkeypatch):
    """A callable object has no ``__name__``; the captured settings still say which statistic was used."""
    monkeypatch.setenv(capture.CAPTURE_ENV, str(tmp_path))
    statistic = _MeanOnSupport(-math.inf, math.inf)
    rules.cv_by_units(_units(np.arange(12.0)), statistic, region=(0.0, 20.0), n_splits=10)
    (line,) = (
        json.loads(text) for path in tmp_path.glob("cv_by_units.*.jsonl") for text in path.read_text().splitlines()
    )
    assert line["settings"]["statistic"] == repr(statistic)


def test_pseudo_values_of_a_batch_of_resamples_are_those_of_each_resample_alone():
    """The calibration jackknifes many resamples at once: each keeps its own centre and definedness, and a
    statistic undefined on one leave-one-out total (0 / 0) marks that resample only, without a warning."""
    rng = np.random.default_rng(8)
    u = np.stack([_units(rng.normal(size=6)) for _ in range(3)])  # (R, G, S)
    u[2] = [[5.0, 2.5]] + [[0.0, 0.0]] * 5  # one unit holds every row: without it the mean is 0 / 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        theta, pseudo, defined = cv._pseudo_values(u, _mean_statistic, 10)
    assert pseudo.shape == (3, 6) and defined.tolist() == [True, True, False]
    for r in range(3):
        alone = cv._pseudo_values(u[r], _mean_statistic, 10)
        assert float(theta[r]) == pytest.approx(float(alone[0]), rel=1e-12)
        np.testing.assert_allclose(pseudo[r], alone[1], rtol=1e-12, equal_nan=True)
