"""Calibration of every verdict rule in ``harness.evidence.stats`` under simulation.

For each rule, R = 1000 data sets are drawn twice from seeded numpy Generators:
- *null*: the claim holds, at the edge of the claimed region (the hardest true case); the rule
  may say ``refuted`` in at most alpha of runs (checked with a one-sided 99% Clopper-Pearson
  lower bound on the observed rate, so Monte-Carlo noise alone does not fail the test);
- *alt*: the truth sits 1.2 x the rule's own reported ``mde`` beyond the claimed region; the rule
  must say ``refuted`` in at least 80% of runs (one-sided 99% upper bound >= 0.8).

The directional rules refute at alpha / 2 per side by design (see the ``harness.evidence.stats``
docstring), so their measured false-refute rates sit near 0.025. Bootstrap rules use 999
resamples here (9999 by default) to keep this file fast; the verdicts at these n do not hinge
on the resample count. ``python -m tests.test_stats_calibration`` prints the table of rates.
"""

from __future__ import annotations

import functools
import gc
import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from scipy import stats

from harness.evidence import stats as S
from harness.evidence.verdicts import Evidence, Verdict

R = 1000  # simulated data sets per (rule, scenario)
ALPHA = 0.05
POWER = 0.8
MC_CONFIDENCE = 0.99  # one-sided confidence of the Monte-Carlo bounds
BOOT = 999  # bootstrap resamples in calibration (rules default to 9999)

Draw = Callable[[np.random.Generator], tuple[tuple[Any, ...], dict[str, Any]]]


def _is_refuted(e: Evidence) -> bool:
    return e.verdict is Verdict.REFUTED


@dataclass(frozen=True)
class Calibration:
    """One rule's simulation design."""

    name: str  # test id
    rule: Callable[..., Any]  # the public rule under test
    null: Draw  # rng -> (args, kwargs) with the claim true, at its boundary
    alt: Draw  # rng -> (args, kwargs) with the truth 1.2 x mde beyond the claimed region
    refuted_null: Callable[[Any], bool] = _is_refuted  # does a null result count as refuting?
    refuted_alt: Callable[[Any], bool] = _is_refuted  # does an alt result count as refuting?


def _fixed_rng(name: str) -> np.random.Generator:
    """A generator for one-off design computations (e.g. a bootstrap mde); never reused."""
    return np.random.default_rng(zlib.crc32(name.encode()))


def _standard_sample(n: int) -> np.ndarray:
    """n evenly spaced normal quantiles rescaled to mean 0, sd 1 exactly: a design sample."""
    q = stats.norm.ppf((np.arange(n) + 0.5) / n)
    return (q - q.mean()) / q.std(ddof=1)


# --------------------------------------------------------------------------------------------
# Designs: one block per rule. Each ``_mde_*`` asks the rule itself at the null design.
# --------------------------------------------------------------------------------------------

# rate_at_least / rate_at_most: N = 200 trials.
N_RATE = 200


@functools.cache
def _mde_rate(rule_name: str, claimed: float) -> float:
    return getattr(S, rule_name)(int(N_RATE * claimed), N_RATE, claimed, alpha=ALPHA).mde


def _binomial_draw(rule_name: str, claimed: float, shift_sign: int, shifted: bool) -> Draw:
    def draw(rng):
        p = claimed + shift_sign * 1.2 * _mde_rate(rule_name, claimed) if shifted else claimed
        return (int(rng.binomial(N_RATE, p)), N_RATE, claimed), {"alpha": ALPHA}

    return draw


# rate_equals: N = 300, claim 0.5 +- 0.1; null at the upper edge 0.6.
N_EQ, C_EQ, M_EQ = 300, 0.5, 0.1


@functools.cache
def _mde_rate_equals() -> float:
    return S.rate_equals(int(N_EQ * (C_EQ + M_EQ)), N_EQ, C_EQ, margin=M_EQ, alpha=ALPHA).mde


def _rate_equals_draw(shifted: bool) -> Draw:
    def draw(rng):
        p = C_EQ + M_EQ + (1.2 * _mde_rate_equals() if shifted else 0.0)
        return (int(rng.binomial(N_EQ, p)), N_EQ, C_EQ), {"margin": M_EQ, "alpha": ALPHA}

    return draw


# rate_equals with a margin far below one standard error (0.5 +- 0.005, N = 300), truth at the
# centre: both sides can refute, so this is where a size-alpha/2-per-side rule earns its keep.
M_NARROW = 0.005


@functools.cache
def _mde_rate_equals_narrow() -> float:
    return S.rate_equals(int(N_EQ * C_EQ), N_EQ, C_EQ, margin=M_NARROW, alpha=ALPHA).mde


def _rate_equals_narrow_draw(shifted: bool) -> Draw:
    def draw(rng):
        p = C_EQ + (M_NARROW + 1.2 * _mde_rate_equals_narrow() if shifted else 0.0)
        return (int(rng.binomial(N_EQ, p)), N_EQ, C_EQ), {"margin": M_NARROW, "alpha": ALPHA}

    return draw


# rates_differ: 150 per arm, claim rate1 > rate2; null p1 = p2 = 0.5.
N_ARM, P_BASE = 150, 0.5


@functools.cache
def _mde_rates_differ() -> float:
    k = int(N_ARM * P_BASE)
    return S.rates_differ(k, N_ARM, k, N_ARM, direction="greater", alpha=ALPHA).mde


def _rates_differ_draw(shifted: bool) -> Draw:
    def draw(rng):
        half = 0.6 * _mde_rates_differ() if shifted else 0.0  # truth: rate1 < rate2
        s1 = int(rng.binomial(N_ARM, P_BASE - half))
        s2 = int(rng.binomial(N_ARM, P_BASE + half))
        return (s1, N_ARM, s2, N_ARM), {"direction": "greater", "alpha": ALPHA}

    return draw


# monotone_trend: 4 groups x 100 trials, claim increasing; null flat at 0.5.
TREND_N = np.full(4, 100)
TREND_SCORES = np.arange(4.0)


@functools.cache
def _mde_trend() -> float:
    k = (TREND_N // 2).tolist()
    return S.monotone_trend(k, TREND_N.tolist(), direction="increasing", alpha=ALPHA).mde


def _trend_draw(shifted: bool) -> Draw:
    def draw(rng):
        slope = -1.2 * _mde_trend() if shifted else 0.0  # truth: decreasing
        p = 0.5 + slope * (TREND_SCORES - TREND_SCORES.mean())
        k = rng.binomial(TREND_N, p)
        return (k.tolist(), TREND_N.tolist()), {"direction": "increasing", "alpha": ALPHA}

    return draw


# mean_equals: N = 30 normal(sd 1), claim 0 +- 0.5; null mean at the edge 0.5.
N_MEAN, M_MEAN = 30, 0.5


@functools.cache
def _mde_mean() -> float:
    return S.mean_equals(_standard_sample(N_MEAN), 0.0, margin=M_MEAN, alpha=ALPHA).mde


def _mean_draw(shifted: bool) -> Draw:
    def draw(rng):
        mu = M_MEAN + (1.2 * _mde_mean() if shifted else 0.0)
        return (rng.normal(mu, 1.0, N_MEAN), 0.0), {"margin": M_MEAN, "alpha": ALPHA}

    return draw


# metric_exceeds / metric_below: N = 40 normal(sd 1), threshold 0; null mean exactly 0.
N_METRIC = 40


@functools.cache
def _mde_metric(rule_name: str) -> float:
    rule = getattr(S, rule_name)
    return rule(
        _standard_sample(N_METRIC), 0.0, alpha=ALPHA, n_resamples=BOOT, rng=_fixed_rng(rule_name)
    ).mde


def _metric_draw(rule_name: str, shift_sign: int, shifted: bool) -> Draw:
    def draw(rng):
        mu = shift_sign * 1.2 * _mde_metric(rule_name) if shifted else 0.0
        kwargs = {"alpha": ALPHA, "n_resamples": BOOT, "rng": rng}
        return (rng.normal(mu, 1.0, N_METRIC), 0.0), kwargs

    return draw


# medians_differ / distributions_differ: 40 per sample, lognormal(0, 1); claim x > y.
N_TWO = 40


@functools.cache
def _mde_two(rule_name: str) -> float:
    z = np.exp(_standard_sample(N_TWO))
    rule = getattr(S, rule_name)
    return rule(
        z, z, direction="greater", alpha=ALPHA, n_resamples=BOOT, rng=_fixed_rng(rule_name)
    ).mde


def _medians_draw(shifted: bool) -> Draw:
    def draw(rng):
        ratio = 1.0 - 1.2 * _mde_two("medians_differ") if shifted else 1.0  # truth: x < y
        x = ratio * rng.lognormal(0.0, 1.0, N_TWO)
        y = rng.lognormal(0.0, 1.0, N_TWO)
        kwargs = {"direction": "greater", "alpha": ALPHA, "n_resamples": BOOT, "rng": rng}
        return (x, y), kwargs

    return draw


def _distributions_draw(shifted: bool) -> Draw:
    def draw(rng):
        # P(X > Y) = Phi(shift / sqrt 2) for a log-scale shift: aim it 1.2 mde below 1/2.
        cles = 0.5 - 1.2 * _mde_two("distributions_differ") if shifted else 0.5
        shift = math.sqrt(2.0) * stats.norm.ppf(cles)
        x = rng.lognormal(shift, 1.0, N_TWO)
        y = rng.lognormal(0.0, 1.0, N_TWO)
        # the bootstrap only feeds detail['median_ratio_ci'], not the verdict: 99 resamples
        kwargs = {"direction": "greater", "alpha": ALPHA, "n_resamples": 99, "rng": rng}
        return (x, y), kwargs

    return draw


# always: N = 50 trials; null never fails.
N_ALWAYS = 50


def _always_draw(shifted: bool) -> Draw:
    def draw(rng):
        q = 1.2 * S.always(N_ALWAYS, N_ALWAYS, alpha=ALPHA).mde if shifted else 0.0
        return (N_ALWAYS - int(rng.binomial(N_ALWAYS, q)), N_ALWAYS), {"alpha": ALPHA}

    return draw


# exact_value: rel_tol 1e-6. Null: the same mean summed in another order (float noise only);
# alt: off by 1.2 x the tolerance (it has no mde; the tolerance plays that role).
REL_TOL = 1e-6


def _exact_draw(shifted: bool) -> Draw:
    def draw(rng):
        parts = rng.uniform(0.0, 1.0, 64)
        claimed = math.fsum(parts) / parts.size
        observed = float(np.sum(rng.permutation(parts))) / parts.size
        if shifted:
            observed = claimed * (1.0 + 1.2 * REL_TOL * rng.choice([-1.0, 1.0]))
        return (observed, claimed), {"rel_tol": REL_TOL, "alpha": ALPHA}

    return draw


# holm: a family of 4 rate_at_least claims (claimed 0.8, N = 200). Null: all 4 true at the
# boundary, and "refuted" means any claim in the family refuted (family-wise error). Alt: the
# first claim is false by 1.2 x the mde of the rule at alpha / 4 (Holm's first step), the rest
# true; "refuted" means that first claim is refuted after correction.
HOLM_M, HOLM_C = 4, 0.8


@functools.cache
def _mde_holm() -> float:
    return S.rate_at_least(int(N_RATE * HOLM_C), N_RATE, HOLM_C, alpha=ALPHA / HOLM_M).mde


def _holm_draw(shifted: bool) -> Draw:
    def draw(rng):
        p = np.full(HOLM_M, HOLM_C)
        if shifted:
            p[0] -= 1.2 * _mde_holm()
        k = rng.binomial(N_RATE, p)
        family = [S.rate_at_least(int(ki), N_RATE, HOLM_C, alpha=ALPHA) for ki in k]
        return (family,), {"alpha": ALPHA}

    return draw


def _holm_any_refuted(family: list[Evidence]) -> bool:
    return any(_is_refuted(e) for e in family)


def _holm_first_refuted(family: list[Evidence]) -> bool:
    return _is_refuted(family[0])


CALIBRATIONS: tuple[Calibration, ...] = (
    Calibration(
        "rate_at_least", S.rate_at_least,
        _binomial_draw("rate_at_least", 0.8, -1, False), _binomial_draw("rate_at_least", 0.8, -1, True),
    ),
    Calibration(
        "rate_at_most", S.rate_at_most,
        _binomial_draw("rate_at_most", 0.2, +1, False), _binomial_draw("rate_at_most", 0.2, +1, True),
    ),
    Calibration("rate_equals", S.rate_equals, _rate_equals_draw(False), _rate_equals_draw(True)),
    Calibration(
        "rate_equals-narrow-centre", S.rate_equals,
        _rate_equals_narrow_draw(False), _rate_equals_narrow_draw(True),
    ),
    Calibration("rates_differ", S.rates_differ, _rates_differ_draw(False), _rates_differ_draw(True)),
    Calibration("monotone_trend", S.monotone_trend, _trend_draw(False), _trend_draw(True)),
    Calibration("mean_equals", S.mean_equals, _mean_draw(False), _mean_draw(True)),
    Calibration(
        "metric_exceeds", S.metric_exceeds,
        _metric_draw("metric_exceeds", -1, False), _metric_draw("metric_exceeds", -1, True),
    ),
    Calibration(
        "metric_below", S.metric_below,
        _metric_draw("metric_below", +1, False), _metric_draw("metric_below", +1, True),
    ),
    Calibration("medians_differ", S.medians_differ, _medians_draw(False), _medians_draw(True)),
    Calibration(
        "distributions_differ", S.distributions_differ,
        _distributions_draw(False), _distributions_draw(True),
    ),
    Calibration("always", S.always, _always_draw(False), _always_draw(True)),
    Calibration("exact_value", S.exact_value, _exact_draw(False), _exact_draw(True)),
    Calibration(
        "holm", S.holm, _holm_draw(False), _holm_draw(True),
        refuted_null=_holm_any_refuted, refuted_alt=_holm_first_refuted,
    ),
)


def refute_count(cal: Calibration, scenario: str) -> int:
    """Number of the R simulated runs of ``scenario`` ('null' or 'alt') that refute."""
    draw = cal.null if scenario == "null" else cal.alt
    rng = np.random.default_rng([zlib.crc32(cal.name.encode()), 0 if scenario == "null" else 1])
    refuted = cal.refuted_null if scenario == "null" else cal.refuted_alt
    count = 0
    for _ in range(R):
        args, kwargs = draw(rng)
        count += refuted(cal.rule(*args, **kwargs))
    return count


@pytest.fixture(autouse=True)
def _skip_gc_collect(monkeypatch):
    """statsmodels' Holm branch of ``multipletests`` calls ``gc.collect()`` on every call
    (~0.1 s with a full heap); it has no effect on results, so the simulations skip it."""
    monkeypatch.setattr(gc, "collect", lambda *args, **kwargs: 0)


@pytest.mark.parametrize("cal", CALIBRATIONS, ids=lambda c: c.name)
def test_false_refute_rate_is_at_most_alpha(cal, record_property):
    k = refute_count(cal, "null")
    record_property("false_refute_rate", k / R)
    low = stats.binomtest(k, R, alternative="greater").proportion_ci(MC_CONFIDENCE).low
    assert low <= ALPHA, f"{cal.name}: refuted {k}/{R} true claims (99% lower bound {low:.4f})"


@pytest.mark.parametrize("cal", CALIBRATIONS, ids=lambda c: c.name)
def test_refute_power_at_1_2_mde_is_at_least_80_percent(cal, record_property):
    k = refute_count(cal, "alt")
    record_property("power", k / R)
    high = stats.binomtest(k, R, alternative="less").proportion_ci(MC_CONFIDENCE).high
    assert high >= POWER, f"{cal.name}: refuted {k}/{R} false claims (99% upper bound {high:.4f})"


if __name__ == "__main__":
    gc.collect = lambda *args, **kwargs: 0  # see _skip_gc_collect
    print(f"{'rule':26s} {'R':>5s} {'false-refute':>13s} {'power':>7s}")
    for c in CALIBRATIONS:
        print(f"{c.name:26s} {R:5d} {refute_count(c, 'null') / R:13.3f} {refute_count(c, 'alt') / R:7.3f}")
