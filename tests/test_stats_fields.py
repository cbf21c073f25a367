"""The documented fields of every rule's ``Evidence``: estimate, effect size, ci level, claimed
region, named details and the wording of the test, each computed independently here (what
``claims.md`` shows a reader must be what the docstrings promise)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize, stats
from statsmodels.stats import proportion as smp

from harness.evidence import rules as S
from harness.evidence.verdicts import Verdict

C, R, I = Verdict.CONFIRMED, Verdict.REFUTED, Verdict.INCONCLUSIVE
X = 1.0 + 0.3 * stats.norm.ppf((np.arange(25) + 0.5) / 25)  # (25,) deterministic, sd about 0.3
Y = np.exp(stats.norm.ppf((np.arange(30) + 0.5) / 30))  # (30,) positive
Y40 = np.exp(stats.norm.ppf((np.arange(40) + 0.5) / 40))  # (40,) positive: Brunner-Munzel decides from 40 per arm


def _median_mde(x: np.ndarray, c: int) -> float:
    """median_in's mde: the rate pi at which Bin(n, pi) reaches the cut c with 80% power, through the
    sample quantile function (the larger side)."""
    pi = optimize.brentq(lambda p: stats.binom.sf(c - 1, x.size, p) - 0.8, 0.5, 1.0)
    return max(np.quantile(x, pi) - np.median(x), np.median(x) - np.quantile(x, 1 - pi))


def _trimmed(x, axis=-1):
    return stats.trim_mean(x, 0.1, axis=axis)


# (id, evidence, {field or detail key: expected})
CASES = [
    (
        "rate_at_least",
        lambda: S.rate_at_least(150, 200, 0.8, alpha=0.1),
        {
            "estimate": 0.75,
            "n": 200,
            "ci_level": 0.9,
            "claimed_region": (0.8, 1.0),
            "successes": 150,
            "effect_size": smp.proportion_effectsize(0.75, 0.8),
            "test~": "rate >= 0.8",
        },
    ),
    (
        "rate_at_most",
        lambda: S.rate_at_most(30, 200, 0.2),
        {"estimate": 0.15, "claimed_region": (0.0, 0.2), "successes": 30, "ci_level": 0.95, "test~": "rate <= 0.2"},
    ),
    (
        "rate_equals",
        lambda: S.rate_equals(52, 100, 0.5, margin=0.1),
        {
            "estimate": 0.52,
            "claimed_region": (0.4, 0.6),
            "successes": 52,
            "ci_level": 0.95,
            "effect_size": smp.proportion_effectsize(0.52, 0.5),
            "test~": "rate = 0.5 +- 0.1",
        },
    ),
    (
        "rates_differ",
        lambda: S.rates_differ(30, 50, 20, 50, direction="less"),
        {
            "estimate": 0.2,
            "n": 100,
            "claimed_region": (-1.0, 0.0),
            "rates": (0.6, 0.4),
            "ci_level": 0.95,
            "effect_size": smp.proportion_effectsize(0.6, 0.4),
            "test~": "rate1 < rate2",
        },
    ),
    (
        "monotone_trend",
        lambda: S.monotone_trend([10, 20, 30], [50, 50, 50], direction="decreasing"),
        {
            "estimate": 0.2,
            "n": 150,
            "rates": [0.2, 0.4, 0.6],
            "scores": [0.0, 1.0, 2.0],
            "test~": "rate decreasing with score",
        },
    ),
    (
        "mean_equals",
        lambda: S.mean_equals(X, 1.1, margin=0.2, alpha=0.1),
        {
            "estimate": X.mean(),
            "n": 25,
            "ci_level": 0.9,
            "claimed_region": (0.9, 1.3),
            "sd": X.std(ddof=1),
            "effect_size": (X.mean() - 1.1) / X.std(ddof=1),
            "test~": "mean = 1.1 +- 0.2",
        },
    ),
    (
        "metric_exceeds-mean",
        lambda: S.metric_exceeds(X, 0.9),
        {
            "estimate": X.mean(),
            "n": 25,
            "claimed_region": (0.9, math.inf),
            "sd": X.std(ddof=1),
            "effect_size": (X.mean() - 0.9) / X.std(ddof=1),
            "test~": "statistic > 0.9",
        },
    ),
    (
        "metric_below-median",
        lambda: S.metric_below(X, 1.2, statistic=np.median, alpha=0.1),
        {
            "estimate": np.median(X),
            "claimed_region": (-math.inf, 1.2),
            "ci_level": 0.9,
            "counts_below_equal_above": (int((X < 1.2).sum()), 0, int((X > 1.2).sum())),
            "test~": "0.5-quantile",
        },
    ),
    (
        "metric_below-sd",
        lambda: S.metric_below(X, 0.5, statistic=S.SD),
        {
            "estimate": X.std(ddof=1),
            "effect_size": X.std(ddof=1) / 0.5,
            "chi2_statistic": 24 * X.var(ddof=1) / 0.25,
            "test~": "chi-square",
        },
    ),
    (
        "metric_exceeds-range",
        lambda: S.metric_exceeds(X, 0.5, statistic=S.QuantileRange(0.1, 0.9)),
        {"estimate": np.quantile(X, 0.9) - np.quantile(X, 0.1), "test~": "0.1-0.9 quantile range"},
    ),
    (
        "metric_exceeds-bca",
        lambda: S.metric_exceeds(X, 0.9, statistic=_trimmed, n_resamples=999, rng=np.random.default_rng(1)),
        {"estimate": _trimmed(X), "n": 25, "test~": "BCa bootstrap, 999 resamples"},
    ),
    (
        "medians_differ",
        lambda: S.medians_differ(2 * Y, Y, direction="greater"),
        {
            "estimate": 2.0,
            "n": 60,
            "claimed_region": (1.0, math.inf),
            "ci_level": 0.95,
            "median_x_ci": tuple(stats.quantile_test(2 * Y, p=0.5).confidence_interval(0.975)),
            "median_y_ci": tuple(stats.quantile_test(Y, p=0.5).confidence_interval(0.975)),
            "test~": "median(x) > median(y)",
        },
    ),
    (
        "median_in",
        lambda: S.median_in(Y, (0.5, 3.0)),
        {
            "estimate": np.median(Y),
            "n": 30,
            "claimed_region": (0.5, 3.0),
            "ci_level": 0.975,  # the dual of the alpha / 4 per end decisions: cut c = 22 of 30
            "p_confirm": 4 * max(stats.binom.sf(int((Y > 0.5).sum()) - 1, 30, 0.5), stats.binom.sf(26 - 1, 30, 0.5)),
            "mde": _median_mde(Y, 22),
            "mde_confirm": None,
            "counts_below_lo_above_hi": (int((Y < 0.5).sum()), int((Y > 3.0).sum())),
            "test~": "median in [0.5, 3]",
        },
    ),
    (
        "distributions_differ",
        lambda: S.distributions_differ(2 * Y40, Y40, direction="less"),
        {
            "n": 80,
            "claimed_region": (0.0, 0.5),
            "median_ratio": 2.0,
            "ci_level": 1 - 0.05 / 1.1,
            "level_factor": 1.1,
            "se_method": "Brunner-Munzel",
            "estimate": stats.mannwhitneyu(2 * Y40, Y40).statistic / 1600,
            "test~": "x < y",
        },
    ),
    (
        "always-clean",
        lambda: S.always(40, 40, alpha=0.1),
        {
            "estimate": 1.0,
            "n": 40,
            "failures": 0,
            "tolerance": None,
            "ci_level": 0.9,
            "rate_lower_bound": 0.05 ** (1 / 40),
            "mde": 1 - 0.2 ** (1 / 40),
            "mde_confirm": 1 - 0.05 ** (1 / 40),
            "outcome": f"no counter-example in 40 runs; rate >= {0.05 ** (1 / 40):.4g} at 0.95",
            "test~": "counter-example search (claim: rate = 1)",
        },
    ),
    (
        "always-failures",
        lambda: S.always(38, 40, tolerance=0.05),
        {
            "estimate": 0.95,
            "failures": 2,
            "tolerance": 0.05,
            "outcome": "2 counter-example(s) in 40 runs",
            "test~": "failure tolerance 0.05",
        },
    ),
    (
        "exact_value",
        lambda: S.exact_value(0.126, 0.125, abs_tol=0.01),
        {"estimate": 0.126, "n": 1, "claimed": 0.125, "effect_size": 0.126 - 0.125, "test~": "abs_tol=0.01"},
    ),
]


def _field(e, key):
    fields = ("estimate", "n", "effect_size", "mde", "mde_confirm", "p_confirm", "claimed_region")
    return getattr(e, key) if key in fields else e.detail[key]


@pytest.mark.parametrize("run, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_evidence_fields_are_the_documented_ones(run, expected):
    e = run()
    for key, value in expected.items():
        if key == "test~":
            assert value in e.test, (e.test, value)
        elif isinstance(value, str) or value is None:
            assert _field(e, key) == value, key
        else:
            np.testing.assert_allclose(
                np.asarray(_field(e, key), float), np.asarray(value, float), rtol=1e-9, atol=1e-12, err_msg=key
            )


def test_always_confirms_exactly_from_the_smallest_confirmable_tolerance():
    smallest = S.always(60, 60).mde_confirm
    assert S.always(60, 60, tolerance=smallest * (1 + 1e-6)).verdict is C
    assert S.always(60, 60, tolerance=smallest * (1 - 1e-6)).verdict is I
    assert S.always(60, 60, tolerance=smallest * (1 - 1e-6)).cannot_confirm
    assert not S.always(60, 60, tolerance=smallest * (1 + 1e-6)).cannot_confirm


@pytest.mark.parametrize("n", range(1, 30))
def test_always_confirms_at_a_tolerance_of_exactly_its_smallest_confirmable_one(n):
    """A tolerance equal to 1 - L (L the Clopper-Pearson bound of n clean runs) confirms them, as
    documented: p_confirm = 2 (1 - tolerance) ** n is alpha up to float rounding, which at n = 1,
    2, 3, 6, 7, 9, ... lands just above alpha and must not decide."""
    ev = S.always(n, n, tolerance=S.always(n, n).mde_confirm)
    assert ev.verdict is C and ev.p_confirm == pytest.approx(0.05, rel=1e-12)


def test_exact_value_uses_the_relative_tolerance():
    assert S.exact_value(1.0, 1.0005, rel_tol=1e-3).verdict is C
    assert S.exact_value(1.0, 1.002, rel_tol=1e-3).verdict is R


@pytest.mark.parametrize("q", [0.0, 1.0, -0.5, "0.5"])
def test_quantile_outside_the_open_unit_interval_is_rejected(q):
    with pytest.raises(ValueError, match="quantile q must lie in"):
        S.Quantile(q)


def test_bca_matches_scipy_on_tied_data():
    x = np.round(X, 1)  # ties: resampled statistics often equal the estimate
    ours = S.metric_below(x, 2.0, statistic=_trimmed, n_resamples=999, rng=np.random.default_rng(5)).ci
    res = stats.bootstrap((x,), _trimmed, n_resamples=999, method="BCa", rng=np.random.default_rng(5))
    np.testing.assert_allclose(ours, tuple(res.confidence_interval), rtol=1e-9)


@pytest.mark.parametrize(
    "name, call",
    [
        ("exact_value-observed", lambda: S.exact_value(math.nan, 1.0)),
        ("exact_value-claimed", lambda: S.exact_value(1.0, math.inf)),
        ("mean_equals-claimed", lambda: S.mean_equals([1.0, 2.0], math.nan, margin=1.0)),
        ("metric-threshold", lambda: S.metric_exceeds([1.0, 2.0], math.inf)),
    ],
)
def test_non_finite_numbers_are_named(name, call):
    with pytest.raises(ValueError, match=name.split("-")[1] + " must be finite"):
        call()


TREND_K, TREND_N = [12, 20, 31, 35], [50, 50, 50, 50]


def _trend_association():
    from statsmodels.stats.contingency_tables import Table

    table = np.column_stack([TREND_K, np.subtract(TREND_N, TREND_K)])
    return Table(table, shift_zeros=False).test_ordinal_association(
        row_scores=np.arange(4.0), col_scores=np.array([1.0, 0.0])
    )


def test_monotone_trend_reports_z_and_an_mde_with_80_percent_power():
    from statsmodels.stats.power import NormalIndPower

    e = S.monotone_trend(TREND_K, TREND_N, direction="decreasing")
    res = _trend_association()
    assert e.effect_size == pytest.approx(res.zscore, rel=1e-12) == pytest.approx(e.detail["zscore"], rel=1e-12)
    sxx = float(np.sum(np.asarray(TREND_N) * (np.arange(4.0) - 1.5) ** 2))
    power = NormalIndPower().power(
        effect_size=e.mde * sxx / res.null_sd, nobs1=1, alpha=0.025, ratio=0, alternative="larger"
    )
    assert power == pytest.approx(0.8, abs=1e-8) and e.mde_confirm == e.mde
    assert e.verdict is R and e.p_confirm == pytest.approx(min(1.0, 2 * stats.norm.cdf(res.zscore)))


def test_monotone_trend_without_information_reports_no_mde():
    e = S.monotone_trend([50, 50], [50, 50], direction="increasing")
    assert (e.verdict, e.p_value, e.p_confirm, e.mde) == (I, 1.0, 1.0, None)
    assert e.detail["note"] == "all trials had the same outcome" and e.detail["rates"] == [1.0, 1.0]


@pytest.mark.parametrize("scores, match", [([1.0, 1.0], "must not all be equal"), ([0.0, math.nan], "NaN or inf")])
def test_monotone_trend_rejects_degenerate_scores(scores, match):
    with pytest.raises(ValueError, match=match):
        S.monotone_trend([1, 2], [5, 5], direction="increasing", scores=scores)


def test_bca_details_are_the_bootstrap_se_bias_and_jackknife_acceleration():
    e = S.metric_exceeds(X, 0.9, statistic=_trimmed, n_resamples=999, rng=np.random.default_rng(2))
    res = stats.bootstrap((X,), _trimmed, n_resamples=999, method="percentile", rng=np.random.default_rng(2))
    boot, theta = res.bootstrap_distribution, _trimmed(X)
    z0 = stats.norm.ppf((np.sum(boot < theta) + np.sum(boot <= theta)) / (2 * boot.size))
    jack = np.array([_trimmed(np.delete(X, i)) for i in range(X.size)])
    d = jack.mean() - jack
    a = np.sum(d**3) / (6 * np.sum(d**2) ** 1.5)
    assert e.detail["bootstrap_se"] == pytest.approx(res.standard_error, rel=1e-12)
    assert e.detail["bca_z0"] == pytest.approx(z0, rel=1e-9, abs=1e-12)
    assert e.detail["bca_acceleration"] == pytest.approx(a, rel=1e-9, abs=1e-15)
    assert e.effect_size == pytest.approx((theta - 0.9) / res.standard_error, rel=1e-12)
    assert e.detail["effect_size_kind"] == "(estimate - threshold) / bootstrap se"


def test_bca_p_values_invert_the_interval_at_its_ends():
    kw = {"statistic": _trimmed, "n_resamples": 1999}
    e = S.metric_exceeds(X, 0.9, rng=np.random.default_rng(3), **kw)
    lo, hi = e.ci
    at_low = S.metric_exceeds(X, lo, rng=np.random.default_rng(3), **kw)
    at_high = S.metric_below(X, hi, rng=np.random.default_rng(3), **kw)
    assert at_low.p_confirm == pytest.approx(0.05, abs=0.005)  # quantile interpolation
    assert at_high.p_confirm == pytest.approx(0.05, abs=0.005)


def _verdict_rate(decide, n, p, verdict):
    pmf = stats.binom.pmf(np.arange(n + 1), n, p)
    return sum(float(pmf[k]) for k in range(n + 1) if decide(k).verdict is verdict)


@pytest.mark.parametrize(
    "claimed, margin", [(0.5, 0.1), (0.08, 0.1), (0.3, 0.15)], ids=["centre", "edge-below-0", "wide"]
)
def test_rate_equals_mdes_have_exact_80_percent_power(claimed, margin):
    n = 400
    decide = lambda k: S.rate_equals(k, n, claimed, margin=margin)  # noqa: E731
    e = decide(int(n * claimed))
    lo, hi = claimed - margin, claimed + margin
    refute_power = [
        _verdict_rate(decide, n, edge + sign * e.mde, R)
        for edge, sign in ((hi, 1.0), (lo, -1.0))
        if 0.0 < edge < 1.0 and 0.0 <= edge + sign * e.mde <= 1.0
    ]
    assert min(refute_power) == pytest.approx(0.8, abs=1e-6)  # the side that sets the mde; the other has more
    assert e.mde_confirm is not None and not e.cannot_confirm
    confirm_power = [
        _verdict_rate(decide, n, p, C) for p in (max(lo + e.mde_confirm, 0.0), min(hi - e.mde_confirm, 1.0))
    ]
    assert min(confirm_power) == pytest.approx(0.8, abs=1e-6)


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("p_confirm", 1.5, "p_confirm must lie in"),
        ("p_confirm", float("nan"), "p_confirm must lie in"),
        ("claimed_region", (1.0, 0.0), "claimed_region must be"),
        ("claimed_region", (0.0,), "claimed_region must be"),
    ],
)
def test_evidence_rejects_a_malformed_p_confirm_or_claimed_region(field, value, message):
    from harness.evidence.verdicts import Evidence, Verdict

    with pytest.raises(ValueError, match=message):
        Evidence(Verdict.CONFIRMED, 0.5, None, 0.5, None, 5, 0.05, "hand-made", **{field: value})


def test_capture_records_each_rule_call_only_when_its_folder_is_set(tmp_path, monkeypatch):
    import json

    from harness.evidence.rules import capture

    monkeypatch.delenv(capture.CAPTURE_ENV, raising=False)
    S.mean_equals([1.0, 2.0, 3.0], 2.0, margin=1.0)
    assert not list(tmp_path.iterdir())
    monkeypatch.setenv(capture.CAPTURE_ENV, str(tmp_path / "inputs"))
    monkeypatch.setenv("PYTEST_CURRENT_TEST", "claims/x.py::test_claim[000.toy.claim] (call)")
    S.metric_below([1.0, 2.0, 3.0], 2.5, statistic=S.Quantile(0.5))
    S.rates_differ(3, 5, 1, 5, direction="greater")
    lines = [json.loads(line) for f in sorted((tmp_path / "inputs").iterdir()) for line in f.read_text().splitlines()]
    by_rule = {line["rule"]: line for line in lines}
    assert set(by_rule) == {"metric_below", "rates_differ"}
    assert by_rule["metric_below"]["data"]["values"] == [1.0, 2.0, 3.0]
    assert by_rule["metric_below"]["settings"] == {"threshold": 2.5, "statistic": "Quantile(q=0.5)", "alpha": 0.05}
    assert by_rule["rates_differ"]["data"]["counts"] == [3, 5, 1, 5]
    assert by_rule["rates_differ"]["test"] == "claims/x.py::test_claim[000.toy.claim]"


_UNITS = np.column_stack([np.ones(4), np.arange(4.0)])  # (4, 2): (count, sum) of 4 units
_PAIRED_X, _PAIRED_Y = np.arange(10.0), np.sqrt(np.arange(10.0))


def _unit_mean(sums):
    """The mean per unit of (count, sum) unit totals (..., 2) -> (...)."""
    return sums[..., 1] / sums[..., 0]


# rule -> (a call of it, the settings and the data it must capture): every rule that decides from data
CAPTURED = {
    "rate_at_least": (lambda: S.rate_at_least(3, 5, 0.5), {"claimed": 0.5, "alpha": 0.05}, {"counts": [3, 5]}),
    "rate_at_most": (lambda: S.rate_at_most(3, 5, 0.4, alpha=0.1), {"claimed": 0.4, "alpha": 0.1}, {"counts": [3, 5]}),
    "rate_equals": (
        lambda: S.rate_equals(3, 5, 0.5, margin=0.1),
        {"claimed": 0.5, "margin": 0.1, "alpha": 0.05},
        {"counts": [3, 5]},
    ),
    "rates_differ": (
        lambda: S.rates_differ(3, 5, 1, 5, direction="greater"),
        {"direction": "greater", "alpha": 0.05},
        {"counts": [3, 5, 1, 5]},
    ),
    "monotone_trend": (
        lambda: S.monotone_trend([1, 2], [5, 6], direction="increasing", scores=[1.0, 3.0]),
        {"direction": "increasing", "alpha": 0.05},
        {"successes": [1.0, 2.0], "trials": [5.0, 6.0], "scores": [1.0, 3.0]},
    ),
    "always": (lambda: S.always(5, 6, tolerance=0.05), {"tolerance": 0.05, "alpha": 0.05}, {"counts": [5, 6]}),
    "monotone_steps": (
        lambda: S.monotone_steps([1, 2, 4], [5, 5, 5], direction="increasing"),
        {"direction": "increasing", "alpha": 0.05},
        {"counts": [[1, 5], [2, 5], [4, 5]]},
    ),
    "median_in": (
        lambda: S.median_in([2.0, 4.0, 6.0], (1.5, 2.5)),
        {"region": [1.5, 2.5], "alpha": 0.05},
        {"values": [2.0, 4.0, 6.0]},
    ),
    "median_ratio_in": (
        lambda: S.median_ratio_in([2.0, 4.0, 6.0], [1.0, 2.0, 3.0], (1.5, 2.5)),
        {"region": [1.5, 2.5], "alpha": 0.05},
        {"x": [2.0, 4.0, 6.0], "y": [1.0, 2.0, 3.0]},
    ),
    "range_ratio_in": (
        lambda: S.range_ratio_in([1.0, 2.0, 4.0], [1.0, 3.0], (1.0, 2.0), m_x=2, m_y=3, rng=np.random.default_rng(0)),
        {"region": [1.0, 2.0], "m_x": 2, "m_y": 3, "alpha": 0.05},
        {"x": [1.0, 2.0, 4.0], "y": [1.0, 3.0]},
    ),
    "medians_differ": (
        lambda: S.medians_differ([1.0, 2.0, 3.0], [2.0, 3.0, 4.0], direction="less"),
        {"direction": "less", "alpha": 0.05},
        {"x": [1.0, 2.0, 3.0], "y": [2.0, 3.0, 4.0]},
    ),
    "distributions_differ": (
        lambda: S.distributions_differ([1.0, 2.0, 3.0], [2.0, 3.0, 4.0], direction="less"),
        {"direction": "less", "alpha": 0.05},
        {"x": [1.0, 2.0, 3.0], "y": [2.0, 3.0, 4.0]},
    ),
    "variance_ratio_equals": (
        lambda: S.variance_ratio_equals(_PAIRED_X, _PAIRED_Y, region=(0.5, 2.0)),
        {"region": [0.5, 2.0], "alpha": 0.05},
        {"x": _PAIRED_X.tolist(), "y": _PAIRED_Y.tolist()},
    ),
    "mean_equals": (
        lambda: S.mean_equals([1.0, 2.0, 3.0], 2.0, margin=1.0),
        {"claimed": 2.0, "margin": 1.0, "alpha": 0.05},
        {"values": [1.0, 2.0, 3.0]},
    ),
    "metric_exceeds": (
        lambda: S.metric_exceeds([1.0, 2.0, 3.0], 2.0, statistic=np.median),
        {"threshold": 2.0, "statistic": "median", "alpha": 0.05},
        {"values": [1.0, 2.0, 3.0]},
    ),
    "metric_below": (
        lambda: S.metric_below([1.0, 2.0, 3.0], 2.5, statistic=S.SD, alpha=0.1),
        {"threshold": 2.5, "statistic": "StandardDeviation()", "alpha": 0.1},
        {"values": [1.0, 2.0, 3.0]},
    ),
    "quantile_matches": (
        lambda: S.quantile_matches([1.0, 2.0, 3.0], 2.0, p=0.5, m=5),
        {"reported": 2.0, "p": 0.5, "m": 5, "alpha": 0.05},
        {"values": [1.0, 2.0, 3.0]},
    ),
    "mean_matches": (
        lambda: S.mean_matches([1.0, 2.0, 3.0], 2.0, m=5, sd=0.5),
        {"reported": 2.0, "m": 5, "sd": 0.5, "alpha": 0.05},
        {"values": [1.0, 2.0, 3.0]},
    ),
    "sd_matches": (
        lambda: S.sd_matches([1.0, 2.0, 3.0], 1.5, m=5),
        {"reported": 1.5, "m": 5, "alpha": 0.05},
        {"values": [1.0, 2.0, 3.0]},
    ),
    "cv_by_units": (
        lambda: S.cv_by_units(_UNITS, _unit_mean, region=(0.0, 3.0), n_splits=2),
        {"region": [0.0, 3.0], "n_splits": 2, "statistic": "_unit_mean", "alpha": 0.05},
        {"unit_sums": _UNITS.tolist()},
    ),
}


@pytest.mark.parametrize("rule", sorted(CAPTURED))
def test_capture_records_each_rules_name_settings_and_data(rule, tmp_path, monkeypatch):
    """Each rule's captured line, in its own file: what ``tests/rule_inputs.py`` turns into the
    fixture the rules are calibrated on, so a wrong name, key or value would calibrate on other data."""
    import json

    from harness.evidence.rules import capture

    call, settings, data = CAPTURED[rule]
    monkeypatch.setenv(capture.CAPTURE_ENV, str(tmp_path))
    monkeypatch.setenv("PYTEST_CURRENT_TEST", "claims/x.py::test_claim (call)")
    call()
    (path,) = tmp_path.glob(f"{rule}.*.jsonl")
    line = json.loads(path.read_text().splitlines()[0])
    assert line == {"rule": rule, "test": "claims/x.py::test_claim", "claim": None, "settings": settings, "data": data}


def test_capture_makes_its_folder_with_parents_and_records_no_test_outside_pytest(tmp_path, monkeypatch):
    """A capture folder that does not exist yet is made, parents included; a call outside a pytest
    test (no ``PYTEST_CURRENT_TEST``) records an empty test, which ``tests/rule_inputs.py`` reads as none."""
    import json

    from harness.evidence.rules import capture

    monkeypatch.setenv(capture.CAPTURE_ENV, str(tmp_path / "runs" / "inputs"))
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    S.rate_at_least(3, 5, 0.5)
    (path,) = (tmp_path / "runs" / "inputs").glob("rate_at_least.*.jsonl")
    assert json.loads(path.read_text())["test"] == ""


def test_capture_records_the_running_claim(tmp_path, monkeypatch):
    import json

    from harness.evidence.rules import capture

    monkeypatch.setenv(capture.CAPTURE_ENV, str(tmp_path))
    with capture.claim_running("000.toy.claim"):
        S.rates_differ(3, 5, 1, 5, direction="greater")
    S.rates_differ(4, 5, 1, 5, direction="greater")
    lines = [json.loads(line) for f in sorted(tmp_path.iterdir()) for line in f.read_text().splitlines()]
    assert [line["claim"] for line in lines] == ["000.toy.claim", None]


def test_capture_writes_infinities_as_text():
    from harness.evidence.rules import capture

    assert capture._plain((1.0, float("inf"), np.float64(2.5))) == [1.0, "inf", 2.5]
    assert capture._plain(np.array([[1, 2]])) == [[1, 2]]


def test_rule_inputs_merge_drops_repeated_calls_and_keeps_their_tests(tmp_path):
    import json

    from tests import rule_inputs

    call = {"rule": "mean_equals", "settings": {"claimed": 1.0}, "data": {"values": [1.0, 2.0]}}
    lines = [{**call, "test": "t::b"}, {**call, "test": "t::a"}, {**call, "data": {"values": [3.0]}, "test": ""}]
    (tmp_path / "mean_equals.1.jsonl").write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    merged = rule_inputs.merge(tmp_path)
    assert [m["tests"] for m in merged] == [[], ["t::a", "t::b"]] or [m["tests"] for m in merged] == [
        ["t::a", "t::b"],
        [],
    ]
    assert all("test" not in m for m in merged) and len(merged) == 2


# --------------------------------------------------------------------------------------------
# issue 20, stop 27, group D
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rule, region", [(S.metric_exceeds, (2.0, math.inf)), (S.metric_below, (-math.inf, 2.0))], ids=["exceeds", "below"]
)
def test_an_uncalibrated_mean_claim_still_records_its_test_and_claimed_region(rule, region):
    """Five values are outside the corrected t's calibrated domain (n < 10): the inconclusive record still
    names the test and the claim's one-sided region, as a decided one does."""
    ev = rule([1.0, 2.0, 3.0, 4.0, 9.0], 2.0, statistic=np.mean)
    assert ev.verdict is Verdict.INCONCLUSIVE and ev.cannot_confirm
    assert ev.test.startswith("skewness-corrected t") and ev.claimed_region == region
