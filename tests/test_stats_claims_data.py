"""Calibration of the rules on the data the claims feed them (issue 20, item 1).

``tests/data/rule_inputs.json.gz`` holds every rule input of a quick-tier run (``tests/rule_inputs.py``
says how it is captured). For each captured call the truth is put on the claim's edge by shifting
or scaling the captured sample itself, samples of the claim's n are drawn from it, and the rule
must keep each error direction (false refute, false confirm) at most alpha / 2 plus a Monte-Carlo
allowance. Only the cells the rule decides on the claim's own data are bounded (an undecided call is
checked to say "no rule calibrated"). Each bounded simulated rate gets the one-sided exact binomial
test of "rate <= alpha / 2" (its inversion is the one-sided Clopper-Pearson bound: p < 0.01 iff the
99% lower bound exceeds 0.025), Holm over the test's bounded rates (``statsmodels`` ``multipletests``)
at a family level of 1%; exact rates must not exceed alpha / 2. The default run uses R = 4000
resamples per decided mean and cv cell, the full tier (``--claims-tier full``) R = 20000. The two
captured populations that set ``means.KURTOSIS_LIMIT`` are checked to be undecided on their own data
and to err without the limit, and (a known limit, pinned) to err with it too.

- a mean (``mean_equals``, ``mean_matches``, ``metric_*`` of the mean): the sample shifted so its
  mean is on each finite edge; decided by ``means.mean_equals_p`` / ``means.region_p``, the code the
  rules call. A call the rule leaves undecided on the claim's own data ("no rule calibrated for
  this shape at this n") is checked to be so, its simulated errors reported, not bounded;
- ``cv_by_units``: the squared-error column of the statistic's model scaled so the statistic of
  the captured units sits on each finite edge; units resampled (traces of unequal noise, as the
  claims have them); decided on the pseudo-values like the rule. A resample on which the statistic is
  undefined (e.g. a fold of ``fold_r2_sd_statistic`` left without rows) is one on which the rule
  returns no verdict (it raises): it counts as undecided, neither error;
- rates (``rate_at_least``, ``rate_at_most``, ``rate_equals``, ``always``): every count enumerated
  at the claim's n with the rate on each edge (exact);
- ``rates_differ``: the exact worst case over the common rate at the claim's arms;
- ``distributions_differ`` / ``medians_differ``: both arms drawn from the pooled captured sample
  (P(X > Y) = 1/2, equal medians, the claim's ties and atoms);
- ``quantile_matches``: the captured sample reweighted so F(v) (or F(v-)) sits on its region's edge;
- ``median_ratio_in``: the slow arm scaled so the ratio of the medians sits on each finite edge,
  both arms resampled; ``median_in``: the sample shifted so its median sits on each end, resampled;
  ``monotone_steps``: each step flat (its edge), exact at the worst common rate. These are bounded
  like the others (Holm over their cells; exact cells outright).

``python -m tests.stats_calibration_table`` writes every cell into docs/stats-calibration.md.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
import pkgutil
import re
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from scipy import optimize, stats
from statsmodels.stats.multitest import multipletests

import claims as claims_package
from claims.s003_linear_recipe import catalogue as s003_catalogue
from harness.evidence import rules
from harness.evidence.claims import Claim
from harness.evidence.ledger import load_ledger_file
from harness.evidence.rules import cv, means, rates
from harness.evidence.verdicts import Verdict
from harness.studies import convergence as C
from harness.studies.convergence.tables import SUM_COLUMNS as _SUM_COLUMNS
from tests import rule_inputs
from tests import test_stats_cv as cvt

ALPHA = 0.05
R_QUICK, R_FULL = 1000, 10000  # two-sample and quantile cells (a rule call per resample)
R_BOUND, R_BOUND_FULL = 4000, 20000  # means and cv cells (vectorised): MC sd of a 0.025 rate 0.0025 / 0.0011
R_GATE = 2000  # replications per edge of the ungated cv cells
R_GRID = 8000  # replications per edge of the stricter-gate grid (full tier)
CONFIDENCE = 0.99  # one-sided Clopper-Pearson level of each bounded rate; Holm keeps the family's at 99%
CALLS = rule_inputs.load()
LEDGER = Path(claims_package.__file__).parent / "ledger.json"


@dataclass(frozen=True)
class Cell:
    """Error rates of one captured call at one edge: decided on the claim's own data or not."""

    name: str
    edge: str
    false_refute: float | None  # None: a refutation is no error at this edge
    false_confirm: float | None
    replications: int  # 0: exact
    decided: bool  # the rule decides on the claim's own data


def _rng(*parts: object) -> np.random.Generator:
    return np.random.default_rng([zlib.crc32(str(p).encode()) for p in parts])


def _name(call: dict) -> str:
    """The call's rule and the claim(s) running when it was made; from its first test in an older fixture."""
    if call.get("claims"):
        return f"{call['rule']}:{'+'.join(call['claims'])}"
    test = call["tests"][0] if call["tests"] else "?"
    claim = re.search(r"\[([^\]@]+)", test)
    return f"{call['rule']}:{claim.group(1) if claim else test.rsplit('::', 1)[-1]}"


def _calls(*names: str) -> list[dict]:
    return [c for c in CALLS if c["rule"] in names]


def _excess_p(rate: float, r: int) -> float:
    """Exact one-sided binomial p of "the error rate is at most alpha / 2" from a rate over r replications
    (below 1 - CONFIDENCE iff the one-sided Clopper-Pearson lower bound at CONFIDENCE exceeds alpha / 2)."""
    return float(stats.binomtest(int(round(rate * r)), r, ALPHA / 2, alternative="greater").pvalue)


def _lower_bound(rate: float, r: int) -> float:
    """One-sided Clopper-Pearson lower bound at CONFIDENCE of an error rate over r replications."""
    return float(stats.binomtest(int(round(rate * r)), r, alternative="greater").proportion_ci(CONFIDENCE).low)


def _lower_bound_exceeds_half_alpha(rate: float, r: int) -> bool:
    """Whether the one-sided 99% Clopper-Pearson lower bound of an error rate over r replications exceeds alpha / 2."""
    return _lower_bound(rate, r) > ALPHA / 2


# --------------------------------------------------------------------------------------------
# Means
# --------------------------------------------------------------------------------------------


def _mean_region(call: dict) -> tuple[float, float]:
    s = call["settings"]
    if call["rule"] == "mean_equals":
        return s["claimed"] - s["margin"], s["claimed"] + s["margin"]
    if call["rule"] == "mean_matches":
        margin = stats.t.ppf(1 - ALPHA / 2, s["m"] - 1) / math.sqrt(s["m"]) * s["sd"]
        return s["reported"] - margin, s["reported"] + margin
    threshold = s["threshold"]
    return (threshold, math.inf) if call["rule"] == "metric_exceeds" else (-math.inf, threshold)


def _mean_calls() -> list[dict]:
    mean_metrics = [c for c in _calls("metric_exceeds", "metric_below") if c["settings"]["statistic"] == "mean"]
    documents = [c for c in _calls("mean_matches") if c["settings"]["sd"] is not None]
    return _calls("mean_equals") + documents + mean_metrics


def mean_cells(r: int, *, decided_only: bool = False) -> list[Cell]:
    """The cells of every captured mean call, or (``decided_only``) of those the rule decides on their own sample."""
    cells = []
    for call in _mean_calls():
        x = np.asarray(call["data"]["values"], dtype=float)
        decided = bool(means.decidable(x[None, :])[0])
        if decided_only and not decided:
            continue
        cells += _mean_sample_cells(_name(call), x, _mean_region(call), r, decided)
    return cells


def _mean_sample_cells(
    name: str,
    x: np.ndarray,
    region: tuple[float, float],
    r: int,
    decided: bool,
    *,
    kurtosis_limit: float = means.KURTOSIS_LIMIT,
) -> list[Cell]:
    """The cells of one mean sample: shifted so its mean is on each finite edge of ``region``, resampled r times
    (another ``kurtosis_limit``: as if the rule decided up to it)."""
    lo, hi = region
    cells = []
    for label, edge in (("low edge", lo), ("high edge", hi)):
        if not math.isfinite(edge):
            continue
        draws = (x - x.mean() + edge)[_rng(name, label).integers(0, x.size, (r, x.size))]
        p_confirm, p_refute, ok = means.region_p(draws, lo, hi)
        if kurtosis_limit != means.KURTOSIS_LIMIT:
            ok = means.decidable(draws, kurtosis_limit=kurtosis_limit)
        cells.append(
            Cell(
                name,
                label,
                float(np.mean(ok & (p_refute <= ALPHA))),
                float(np.mean(ok & (p_confirm <= ALPHA))),
                r,
                decided,
            )
        )
    return cells


# --------------------------------------------------------------------------------------------
# Cross-validation over units
# --------------------------------------------------------------------------------------------


def _sse_columns(statistic: str, width: int) -> list[int]:
    """The squared-error columns of the statistic's model (``trace_sums`` layout)."""
    model = int(re.search(r"\((\d+)", statistic).group(1))
    if statistic.startswith("fold_r2_sd_statistic"):
        n_splits = int(re.search(r"n_splits=(\d+)", statistic).group(1))
        per_fold = width // n_splits
        return [k * per_fold + _SUM_COLUMNS + model for k in range(n_splits)]
    return [_SUM_COLUMNS + model]


def _scaled_units(u: np.ndarray, statistic: Callable, columns: list[int], edge: float) -> np.ndarray | None:
    """The units with the model's squared errors scaled so that the statistic of their total is ``edge``."""

    def at(log_c: float) -> np.ndarray:
        v = u.copy()
        v[:, columns] *= math.exp(log_c)
        return v

    try:
        log_c = optimize.brentq(lambda lc: float(statistic(at(lc).sum(axis=0))) - edge, -12.0, 12.0)
    except ValueError:
        return None
    return at(log_c)


@dataclass(frozen=True)
class CvDraws:
    """One captured cv call's resamples with the truth on one edge: what the rule would see on each."""

    label: str
    p_confirm: np.ndarray  # (R,)
    p_refute: np.ndarray  # (R,)
    skewness: np.ndarray  # (R,) |skewness| of the pseudo-values
    gated: np.ndarray  # (R,) the rule decides: statistic defined, jackknife mean in its support, the means' domain
    ungated: np.ndarray  # (R,) the same without the means' domain (skewness and kurtosis limits)
    skew_gated: np.ndarray  # (R,) the same within the skewness limit alone (no kurtosis limit)


def cv_call_draws(call: dict, r: int) -> list[CvDraws]:
    """R resamples of the captured call's units at each finite edge (squared errors scaled so the
    statistic of the units is the edge). A resample on which the statistic is undefined is one on
    which the rule gives no verdict: neither ``gated`` nor ``ungated``."""
    draws = []
    name, s = _name(call), call["settings"]
    u, statistic, n_splits = _cv_inputs(call)
    lo, hi = (float(v) for v in s["region"])
    low, high = getattr(statistic, "support", (-math.inf, math.inf))
    for label, edge in (("low edge", lo), ("high edge", hi)):
        bound_of_r2 = s["statistic"].startswith("r2_statistic(") and "minus" not in s["statistic"] and edge >= 1.0
        if not math.isfinite(edge) or bound_of_r2:
            continue
        scaled = _scaled_units(u, statistic, _sse_columns(s["statistic"], u.shape[1]), edge)
        if scaled is None:
            continue
        idx = _rng(name, label).integers(0, u.shape[0], (r, u.shape[0]))
        _, pseudo, defined = cv._pseudo_values(scaled[idx], statistic, n_splits)  # (R, G), (R,)
        pseudo = np.where(defined[:, None], pseudo, 0.0)
        with np.errstate(all="ignore"):
            p_confirm, p_refute, ok = means.region_p(pseudo, lo, hi)
        centre = pseudo.mean(axis=-1)
        valid = defined & (low <= centre) & (centre <= high)
        skew_gated = valid & means.decidable(pseudo, kurtosis_limit=math.inf)
        draws.append(CvDraws(label, p_confirm, p_refute, np.abs(means.skewness(pseudo)), valid & ok, valid, skew_gated))
    return draws


def cv_call_cells(call: dict, r: int, *, gate: bool = True, kurtosis_limit: bool = True) -> list[Cell]:
    """The cells of one captured cv call at each finite edge; ``gate=False`` counts every resample's
    verdict, as if the rule decided at any skewness of the pseudo-values (the evidence that the gate
    is needed); ``kurtosis_limit=False`` gates on the skewness limit alone."""
    decided = _decided_on_own_units(*_cv_inputs(call))
    cells = []
    for d in cv_call_draws(call, r):
        ok = d.ungated if not gate else d.gated if kurtosis_limit else d.skew_gated
        refuted, confirmed = ok & (d.p_refute <= ALPHA), ok & (d.p_confirm <= ALPHA)
        cells.append(Cell(_name(call), d.label, float(np.mean(refuted)), float(np.mean(confirmed)), r, decided))
    return cells


SKEW_GRID = (1.5, 1.25, 1.0, 0.75, 0.5)  # candidate skewness limits of the cv pseudo-values (the rule: 1.5 at G = 100)
LEVEL_GRID = (1.1, 1.5, 2.0)  # candidate level factors (the rule: means.LEVEL_FACTOR = 1.1)


@dataclass(frozen=True)
class GateCell:
    """The largest error rate of ``cv_by_units`` over a set of shapes, had it decided with a stricter gate."""

    skew_limit: float
    level_factor: float
    worst: float  # the largest one-sided error rate over the shapes and edges
    where: str  # the shape and edge with that rate
    shapes: int  # how many rates were compared
    replications: int


def _gate_cells(draws: list[tuple[str, CvDraws]], r: int) -> list[GateCell]:
    """``GateCell`` per (skewness limit, level factor) of ``SKEW_GRID`` x ``LEVEL_GRID`` over ``draws``.
    A p-value below 1 scales with the level factor, so a factor f decides at p <= alpha LEVEL_FACTOR / f."""
    cells = []
    for limit in SKEW_GRID:
        for factor in LEVEL_GRID:
            level = ALPHA * means.LEVEL_FACTOR / factor
            rates = []
            for name, d in draws:
                ok = d.gated & (d.skewness <= limit)
                rates += [
                    (float(np.mean(ok & (p <= level))), f"{name} at {d.label}") for p in (d.p_refute, d.p_confirm)
                ]
            worst, where = max(rates)
            cells.append(GateCell(limit, factor, worst, where, len(rates), r))
    return cells


def cv_gate_grid(r: int) -> list[GateCell]:
    """Stricter skewness limits and level factors for ``cv_by_units`` over every captured cv call (decided on
    its own units or not: each is a population of units the claims present) at each finite edge."""
    return _gate_cells([(_name(c), d) for c in _calls("cv_by_units") for d in cv_call_draws(c, r)], r)


def synthetic_cv_gate_grid(r: int) -> list[GateCell]:
    """The same grid on tests/test_stats_cv.py's heterogeneous units (100 traces of unequal noise, pooled
    R² on the edge of "R² > r" and of "R² < r"), r data sets per noise spread."""
    draws = []
    for spread in (0.3, 0.75):
        rng = _rng("synthetic heterogeneous units", spread)
        units = np.stack([cvt._heterogeneous_unit_sums(rng, spread) for _ in range(r)])  # (R, G, 4)
        _, pseudo, _ = cv._pseudo_values(units, cvt._r2, cvt.N_SPLITS)
        edge = cvt._true_r2(spread)
        for label, (lo, hi) in (("R² > r", (edge, math.inf)), ("R² < r", (-math.inf, edge))):
            p_confirm, p_refute, ok = means.region_p(pseudo, lo, hi)
            draws.append(
                (
                    f"noise spread {spread}",
                    CvDraws(label, p_confirm, p_refute, np.abs(means.skewness(pseudo)), ok, ok, ok),
                )
            )
    return _gate_cells(draws, r)


def _cv_inputs(call: dict) -> tuple[np.ndarray, Callable, int]:
    """(unit sums (G, S), statistic, n_splits) of a captured cv call."""
    statistic = eval("C." + call["settings"]["statistic"], {"C": C})  # a name the study gave its statistic
    return np.asarray(call["data"]["unit_sums"], dtype=float), statistic, int(call["settings"]["n_splits"])


def _decided_on_own_units(u: np.ndarray, statistic: Callable, n_splits: int) -> bool:
    """Whether ``cv_by_units`` decides on the captured units themselves (skewness gate and support)."""
    theta, pseudo, defined = cv._pseudo_values(u, statistic, n_splits)
    low, high = getattr(statistic, "support", (-math.inf, math.inf))
    return bool(defined) and low <= float(np.mean(pseudo)) <= high and bool(means.decidable(pseudo))


def cv_cells(r: int, *, decided_only: bool = False) -> list[Cell]:
    """The cells of every captured cv call, or (``decided_only``) of those the rule decides on their own units."""
    calls = _calls("cv_by_units")
    if decided_only:
        calls = [c for c in calls if _decided_on_own_units(*_cv_inputs(c))]
    return [cell for call in calls for cell in cv_call_cells(call, r)]


# --------------------------------------------------------------------------------------------
# Rates: exact
# --------------------------------------------------------------------------------------------


def _exact(rule: Callable[[int], rules.Evidence], n: int, p: float) -> dict[Verdict, float]:
    pmf = stats.binom.pmf(np.arange(n + 1), n, p)
    out = {v: 0.0 for v in Verdict}
    for k in range(n + 1):
        if pmf[k] > 1e-15:
            out[rule(k).verdict] += float(pmf[k])
    return out


def _rate_decider(rule: str, n: int, s: dict) -> Callable[[int], rules.Evidence]:
    """The captured rule at the claim's n and settings, as a function of the count."""
    if rule == "always":
        return lambda k: rules.always(k, n, tolerance=s["tolerance"])
    if rule == "rate_equals":
        return lambda k: rules.rate_equals(k, n, s["claimed"], margin=s["margin"])
    return lambda k: getattr(rules, rule)(k, n, s["claimed"])


def _rate_edges(rule: str, s: dict) -> list[tuple[float, str]]:
    """(true rate, label) on each edge of the claimed region inside (0, 1)."""
    if rule == "always":
        return [] if s["tolerance"] is None else [(1.0 - s["tolerance"], "failure rate = tolerance")]
    if rule == "rate_equals":
        lo, hi = s["claimed"] - s["margin"], s["claimed"] + s["margin"]
        return [(e, lbl) for e, lbl in ((lo, "low edge"), (hi, "high edge")) if 0.0 < e < 1.0]
    return [(s["claimed"], "claimed rate")]


def rate_cells() -> list[Cell]:
    cells, seen = [], set()
    for call in _calls("rate_at_least", "rate_at_most", "rate_equals", "always"):
        n, s = call["data"]["counts"][1], call["settings"]
        key = (call["rule"], n, json_key(s))
        if key in seen:
            continue
        seen.add(key)
        decide = _rate_decider(call["rule"], n, s)
        for p, label in _rate_edges(call["rule"], s):
            got = _exact(decide, n, p)
            refute = None if call["rule"] == "always" else got[Verdict.REFUTED]  # a failure refutes "always" truly
            cells.append(Cell(_name(call), label, refute, got[Verdict.CONFIRMED], 0, True))
    return cells


def json_key(settings: dict) -> str:
    return repr(sorted(settings.items()))


def rates_differ_cells() -> list[Cell]:
    """The exact worst case over the common rate of both errors at each claim's arms: Barnard's p is
    decreasing in the pooled Wald statistic, so each error region is {z >= z*} (or <= -z*)."""
    cells, seen = [], set()
    for call in _calls("rates_differ"):
        _, n1, _, n2 = call["data"]["counts"]
        if (n1, n2) in seen:
            continue
        seen.add((n1, n2))
        z = rates._pooled_wald(n1, n2)
        worst = []
        for larger in (True, False):
            region = _barnard_region(z, n1, n2, larger=larger)
            grid = np.linspace(0.0, 1.0, 1001)
            size = max(
                float(stats.binom.pmf(np.arange(n1 + 1), n1, p) @ region @ stats.binom.pmf(np.arange(n2 + 1), n2, p))
                for p in grid
            )
            worst.append(size)
        cells.append(Cell(f"rates_differ:{n1} vs {n2}", "worst common rate", worst[1], worst[0], 0, True))
    return cells


def _barnard_region(z: np.ndarray, n1: int, n2: int, *, larger: bool, level: float = ALPHA / 2) -> np.ndarray:
    """Tables (N1 + 1, N2 + 1) the rule counts as significant at ``level`` (one-sided; alpha / 2 unless
    given) that rate 1 is larger (or smaller): z beyond the least extreme observed z whose Barnard p
    (the rule's own ``_barnard_p``) is at most ``level``, found by bisection (the p is monotone in z)."""
    values = np.unique(z)[::-1] if larger else np.unique(z)  # most extreme first

    def significant(i: int) -> bool:
        k1, k2 = np.argwhere(z == values[i])[0]
        return rates._barnard_p(int(k1), n1, int(k2), n2)[0 if larger else 1] <= level

    if not significant(0):
        return np.zeros_like(z)
    lo, hi = 0, values.size - 1  # significant(lo) holds; find the last significant index
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if significant(mid) else (lo, mid - 1)
    return ((z >= values[lo]) if larger else (z <= values[lo])).astype(float)


# --------------------------------------------------------------------------------------------
# Two samples and quantiles
# --------------------------------------------------------------------------------------------


def _two_sample_calls(*rules_: str) -> list[dict]:
    """The captured calls of these two-sample rules whose pooled arms have spread; one without (003's
    noise-0 loss at epoch 10: every value at the FP32 floor) has nothing to resample: the rule says
    "all values identical" on it, not a decision."""
    return [c for c in _calls(*rules_) if np.ptp(np.concatenate([c["data"]["x"], c["data"]["y"]])) > 0]


def two_sample_cells(r: int) -> list[Cell]:
    """Each captured two-sample call on its two arms pooled and resampled independently (P(X > Y) = 1/2)."""
    cells = []
    for call in _two_sample_calls("distributions_differ", "medians_differ"):
        pooled = np.concatenate([call["data"]["x"], call["data"]["y"]]).astype(float)
        nx, ny = len(call["data"]["x"]), len(call["data"]["y"])
        rule = getattr(rules, call["rule"])
        rng = _rng(_name(call), "pooled")
        extra = {"rng": rng, "n_resamples": 999} if call["rule"] == "medians_differ" else {}  # its bootstrap
        counts = {v: 0 for v in Verdict}
        for _ in range(r):
            x, y = pooled[rng.integers(0, pooled.size, nx)], pooled[rng.integers(0, pooled.size, ny)]
            counts[rule(x, y, direction=call["settings"]["direction"], **extra).verdict] += 1
        refute = counts[Verdict.REFUTED] / r if call["rule"] == "distributions_differ" else None
        cells.append(Cell(_name(call), "pooled arms (P(X > Y) = 1/2)", refute, counts[Verdict.CONFIRMED] / r, r, True))
    return cells


def _paired_claim_ids() -> set[str]:
    """The claims whose protocol says their arms are paired by seed and calibrated with the pairs kept."""
    return {
        cid
        for cid, claim in _claims_defined().items()
        if getattr(claim.protocol, "comparison", None) is not None
        and claim.protocol.comparison.note == s003_catalogue.PAIRING["arm_compare"]
    }


def paired_calls() -> list[dict]:
    """The captured Brunner-Munzel calls (with spread) of claims whose arms are paired by seed."""
    paired = _paired_claim_ids()
    return [c for c in _two_sample_calls("distributions_differ") if paired.intersection(c.get("claims", []))]


def _relative_effect(x: np.ndarray, y: np.ndarray) -> float:
    """P(X > Y) + P(X = Y) / 2 over all pairs (x_i, y_j): Brunner-Munzel's estimand on the empirical arms
    (ties exact, as the rule's ranks count them)."""
    d = np.subtract.outer(x, y)
    return float(np.mean(d > 0) + 0.5 * np.mean(d == 0))


def _shift_to_even(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``y`` shifted by the median of all differences x_i - y_j (the Hodges-Lehmann shift), so that over the
    pairs' empirical distribution an x and an independent y have P(X > Y) + P(X = Y) / 2 = 1/2; an error
    where ties at that median keep it from 1/2 by more than one pair in n^2."""
    shifted = y + float(np.median(np.subtract.outer(x, y)))
    effect = _relative_effect(x, shifted)
    if abs(effect - 0.5) > 1.0 / (x.size * y.size):
        raise ValueError(f"the shifted arms' relative effect is {effect}, not 1/2: ties at the median difference")
    return shifted


def _paired_pairs(call: dict, *, shift: bool = True) -> np.ndarray:
    """A paired call's (n, 2) pairs, by default its second arm shifted so that P(X > Y) = 1/2."""
    x, y = (np.asarray(call["data"][k], dtype=float) for k in ("x", "y"))
    return np.column_stack([x, _shift_to_even(x, y) if shift else y])


def _resampled_pairs(pairs: np.ndarray, rng: np.random.Generator, *, swap: bool) -> np.ndarray:
    """n pairs drawn together with replacement; with ``swap``, each pair's two values swapped with
    probability 1/2 (P(X > Y) = 1/2 by symmetry; where the arms' locations differ, a large x then comes
    with a small y: negative dependence)."""
    drawn = pairs[rng.integers(0, len(pairs), len(pairs))]
    if swap:
        flip = rng.random(len(pairs)) < 0.5
        drawn[flip] = drawn[flip, ::-1]
    return drawn


def _paired_cell(call: dict, r: int, *, swap: bool = False) -> Cell:
    """The rule's error rates over r pair resamples of one paired call (see ``paired_two_sample_cells``);
    with ``swap``, of its unshifted pairs swapped at random (the negatively dependent control)."""
    pairs, counts = _paired_pairs(call, shift=not swap), {v: 0 for v in Verdict}
    rng = _rng(_name(call), "swapped" if swap else "paired")
    for _ in range(r):
        drawn = _resampled_pairs(pairs, rng, swap=swap)
        counts[
            rules.distributions_differ(drawn[:, 0], drawn[:, 1], direction=call["settings"]["direction"]).verdict
        ] += 1
    edge = "pairs swapped at random" if swap else "pairs kept, one arm shifted to P(X > Y) = 1/2"
    return Cell(_name(call), edge, counts[Verdict.REFUTED] / r, counts[Verdict.CONFIRMED] / r, r, True)


def paired_two_sample_cells(r: int) -> list[Cell]:
    """Each paired Brunner-Munzel call with its pairing kept: one arm shifted so that P(X > Y) = 1/2, then n
    pairs resampled together, so the arms keep their shapes and their dependence over seeds. The rule reads
    the arms as two independent samples; a positive correlation makes it conservative, a negative one not."""
    return [_paired_cell(call, r) for call in paired_calls()]


def quantile_cells(r: int) -> list[Cell]:
    cells = []
    for call in _calls("quantile_matches"):
        x = np.asarray(call["data"]["values"], dtype=float)
        s = call["settings"]
        lower, upper = rules.documents.quantile_region(s["p"], s["m"], ALPHA)
        v = s["reported"]
        below, at, above = x[x < v], x[x == v], x[x > v]
        for label, (p_below, p_at) in (
            ("F(v) on L", _weights(x, v, lower, "le")),
            ("F(v-) on U", _weights(x, v, upper, "lt")),
        ):
            if p_below is None:
                continue
            probs = np.r_[np.full(below.size, p_below / max(below.size, 1)), np.full(at.size, p_at / max(at.size, 1))]
            probs = np.r_[probs, np.full(above.size, (1.0 - p_below - p_at) / max(above.size, 1))]
            population = np.r_[below, at, above]
            rng = _rng(_name(call), label)
            refuted = confirmed = 0
            for _ in range(r):
                ev = rules.quantile_matches(rng.choice(population, x.size, p=probs), v, p=s["p"], m=s["m"])
                refuted += ev.verdict is Verdict.REFUTED
                confirmed += ev.verdict is Verdict.CONFIRMED
            cells.append(Cell(_name(call), label, refuted / r, confirmed / r, r, True))
    return cells


def _weights(x: np.ndarray, v: float, target: float, which: str) -> tuple[float | None, float]:
    """(P(X < v), P(X = v)) of a reweighting of the sample with P(X <= v) (``le``) or P(X < v) (``lt``)
    equal to ``target``, keeping the atom's share of the mass at or below v; (None, 0) if impossible."""
    n_below, n_at, n_above = int((x < v).sum()), int((x == v).sum()), int((x > v).sum())
    if which == "le":
        if n_below + n_at == 0 or n_above == 0:
            return None, 0.0
        share = n_at / (n_below + n_at)
        return target * (1.0 - share), target * share
    if n_below == 0 or n_at + n_above == 0:
        return None, 0.0
    rest = 1.0 - target
    return target, rest * n_at / (n_at + n_above)


# --------------------------------------------------------------------------------------------
# A stated size: ratio of medians, every step of a monotone claim
# --------------------------------------------------------------------------------------------


def _region(call: dict) -> tuple[float, float]:
    """The captured claimed region (an infinite end is captured as the string 'inf')."""
    lo, hi = (float(v) for v in call["settings"]["region"])
    return lo, hi


def median_ratio_cells(r: int) -> list[Cell]:
    """Each captured ``median_ratio_in`` call with the slow arm scaled so the ratio of the sample
    medians sits on each finite edge of its region; both arms resampled at their sizes, r times.
    A call with an arm without spread (003's shuffle arms: every seed 9 epochs) is left out: its
    resamples are that one ratio, exactly on the edge, where an interval touching the region's end
    refutes (the rule's convention), so it has no error rate to bound."""
    cells = []
    for call in _calls("median_ratio_in"):
        x, y = (np.asarray(call["data"][k], dtype=float) for k in ("x", "y"))
        if np.ptp(x) == 0 or np.ptp(y) == 0:
            continue
        region = _region(call)
        for label, edge in (("low edge", region[0]), ("high edge", region[1])):
            if not math.isfinite(edge):
                continue
            scaled = x * edge / (np.median(x) / np.median(y))
            rng = _rng(_name(call), label)
            counts = {v: 0 for v in Verdict}
            for _ in range(r):
                xb, yb = scaled[rng.integers(0, x.size, x.size)], y[rng.integers(0, y.size, y.size)]
                counts[rules.median_ratio_in(xb, yb, region).verdict] += 1
            cells.append(Cell(_name(call), label, counts[Verdict.REFUTED] / r, counts[Verdict.CONFIRMED] / r, r, True))
    return cells


def median_in_cells(r: int) -> list[Cell]:
    """Each captured ``median_in`` call (003's timed reduction) with the sample shifted so its median
    sits on each end of the region; resampled at its n, r times."""
    cells = []
    for call in _calls("median_in"):
        x = np.asarray(call["data"]["values"], dtype=float)
        region = _region(call)
        for label, edge in (("low edge", region[0]), ("high edge", region[1])):
            shifted = x - np.median(x) + edge
            rng = _rng(_name(call), label)
            counts = {v: 0 for v in Verdict}
            for _ in range(r):
                counts[rules.median_in(shifted[rng.integers(0, x.size, x.size)], region).verdict] += 1
            cells.append(Cell(_name(call), label, counts[Verdict.REFUTED] / r, counts[Verdict.CONFIRMED] / r, r, True))
    return cells


def _worst_size(region: np.ndarray, n1: int, n2: int) -> float:
    """The largest probability of a table in ``region`` (N1 + 1, N2 + 1) over a common rate of both arms."""
    k1, k2 = np.arange(n1 + 1), np.arange(n2 + 1)
    return max(float(stats.binom.pmf(k1, n1, p) @ region @ stats.binom.pmf(k2, n2, p)) for p in np.linspace(0, 1, 1001))


def monotone_step_cells() -> list[Cell]:
    """Each step of each captured ``monotone_steps`` call on its edge (the two rates equal), exact, at
    the worst common rate: false confirm = P(the step confirms), which bounds the rule's (it confirms
    only if every step does); false refute = P(the step is reversed at the rule's Bonferroni level
    alpha / (K - 1)); a last cell sums those over the steps (every step on its edge: the rule's
    false refute is at most that sum)."""
    cells = []
    for call in _calls("monotone_steps"):
        counts, increasing = call["data"]["counts"], call["settings"]["direction"] == "increasing"
        steps = len(counts) - 1
        reversed_rates = []
        for i in range(steps):
            (_, n_before), (_, n_after) = counts[i], counts[i + 1]
            z = rates._pooled_wald(n_after, n_before)  # rate 1: the later group
            claimed = _barnard_region(z, n_after, n_before, larger=increasing)
            reversed_ = _barnard_region(z, n_after, n_before, larger=not increasing, level=ALPHA / 2 / steps)
            reversed_rates.append(_worst_size(reversed_, n_after, n_before))
            confirm = _worst_size(claimed, n_after, n_before)
            cells.append(Cell(_name(call), f"step {i} -> {i + 1} flat", reversed_rates[-1], confirm, 0, True))
        cells.append(Cell(_name(call), "every step flat (union bound)", sum(reversed_rates), None, 0, True))
    return cells


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------


def _assert_calibrated(cells: list[Cell]) -> None:
    """Each rate of a decided cell at most alpha / 2: exact rates as they are, simulated ones by the exact
    binomial test of "rate <= alpha / 2" (the one-sided 99% Clopper-Pearson bound), Holm over them at 1%."""
    checks = [
        (cell, what, rate)
        for cell in cells
        if cell.decided
        for what, rate in (("false refute", cell.false_refute), ("false confirm", cell.false_confirm))
        if rate is not None
    ]
    bad = [
        f"{c.name} at {c.edge}: {what} {rate:.4f} (exact)"
        for c, what, rate in checks
        if c.replications == 0 and rate > ALPHA / 2 + 1e-12
    ]
    simulated = [(c, what, rate) for c, what, rate in checks if c.replications > 0]
    if simulated:
        p = [_excess_p(rate, c.replications) for c, _, rate in simulated]
        rejected, adjusted = multipletests(p, alpha=1.0 - CONFIDENCE, method="holm")[:2]
        bad += [
            f"{c.name} at {c.edge}: {what} {rate:.4f} (R = {c.replications}, 99% lower bound "
            f"{_lower_bound(rate, c.replications):.4f}, Holm-adjusted p {q:.2g} over {len(p)} rates)"
            for (c, what, rate), reject, q in zip(simulated, rejected, adjusted, strict=True)
            if reject
        ]
    assert not bad, "\n".join(bad)


def _claims_defined() -> dict[str, Claim]:
    """Every claim the claims packages define, found among their modules' globals (claims held in
    mappings, sequences and dataclasses such as a catalogue's entries, a few levels deep)."""
    found: dict[str, Claim] = {}

    def visit(obj: object, depth: int) -> None:
        if isinstance(obj, Claim):
            found[obj.id] = obj
        elif depth and isinstance(obj, Mapping):
            for o in (*obj.keys(), *obj.values()):
                visit(o, depth - 1)
        elif depth and isinstance(obj, (list, tuple, set, frozenset)):
            for o in obj:
                visit(o, depth - 1)
        elif depth and dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            for f in dataclasses.fields(obj):
                visit(getattr(obj, f.name), depth - 1)

    for info in pkgutil.walk_packages(claims_package.__path__, "claims."):
        for value in vars(importlib.import_module(info.name)).values():
            visit(value, 4)
    return found


def test_the_fixture_holds_every_kind_of_captured_rule_input():
    """Every kind of claim (``Claim.test``) decided from data, among the claims the capture's tier
    runs (those with a quick verdict in the ledger), has a rule that may decide it (``rules.KINDS``)
    among the fixture's captured calls: no rule a claim calls goes uncalibrated on the claims' data
    for want of a capture."""
    kinds = {c["rule"] for c in CALLS}
    data_rules = {name for name, rule in rules.REGISTRY.items() if rule.plan != "n-free"}
    quick = {cid for cid, tiers in load_ledger_file(LEDGER).claims.items() if "quick" in tiers}
    claimed = {c.test for cid, c in _claims_defined().items() if cid in quick}
    missing = {k for k in claimed if rules.KINDS[k] & data_rules and not rules.KINDS[k] & kinds}
    assert len(claimed) > 10 and not missing, f"claim kinds without a captured rule call: {sorted(missing)}"


@pytest.mark.parametrize("call", _mean_calls(), ids=_name)
def test_a_mean_undecided_on_the_claims_data_says_no_rule_is_calibrated(call):
    x = np.asarray(call["data"]["values"], dtype=float)
    if means._no_spread(x):
        pytest.skip(
            "no spread (up to the rules' float tolerance): the rule says 'not decided', not 'no rule calibrated'"
        )
    if bool(means.decidable(x[None, :])[0]):
        pytest.skip("decided on the claim's data: calibrated in test_means_are_calibrated_on_the_claims_data")
    lo, hi = _mean_region(call)
    ev = (
        rules.mean_equals(x, (lo + hi) / 2, margin=(hi - lo) / 2)
        if math.isfinite(lo + hi)
        else rules.metric_exceeds(x, lo if math.isfinite(lo) else hi)
    )
    assert ev.verdict is Verdict.INCONCLUSIVE and ev.detail["reason"] == rules.NO_CALIBRATED_RULE


def test_means_are_calibrated_on_the_claims_data():
    _assert_calibrated(mean_cells(R_BOUND, decided_only=True))


def test_cross_validation_over_units_is_calibrated_on_the_claims_traces():
    """Holm over every decided cv cell at R = 4000."""
    _assert_calibrated(cv_cells(R_BOUND, decided_only=True))


def test_rates_are_exact_at_the_claims_n():
    _assert_calibrated(rate_cells() + rates_differ_cells())


def test_two_sample_rules_are_calibrated_on_the_claims_arms():
    """Pooled arms (independent samples) and, for arms paired by seed, pairs kept: R = 1000 per cell."""
    paired = paired_two_sample_cells(R_QUICK)
    assert len(paired) >= 4, "the fixture lost 003's paired warmup calls"
    _assert_calibrated(two_sample_cells(R_QUICK) + paired)


@pytest.mark.full
def test_two_sample_rules_are_calibrated_on_the_claims_arms_with_more_replications():
    """The same cells at R = 10000 (Monte-Carlo sd of a 0.025 rate: 0.0016)."""
    _assert_calibrated(two_sample_cells(R_FULL) + paired_two_sample_cells(R_FULL))


def test_the_paired_check_can_fail_where_pairs_depend_negatively():
    """The paired cells can show an excess: swapping each resampled pair of 003's epoch-5 arms (unshifted, their
    locations differ) at random makes P(X > Y) = 1/2 and the arms depend negatively (a large x comes with a small
    y), and the two-sample rule then errs above alpha / 2 in each direction (about 0.06 at R = 1000)."""
    (call,) = [c for c in paired_calls() if c["claims"] == ["003.warmup.epoch5_update_larger_without"]]
    cell = _paired_cell(call, R_QUICK, swap=True)
    assert _lower_bound_exceeds_half_alpha(cell.false_confirm, R_QUICK), cell
    assert _lower_bound_exceeds_half_alpha(cell.false_refute, R_QUICK), cell


def test_paired_resamples_keep_the_arms_dependence_and_the_edge():
    """What the paired cells rest on: each resample keeps the captured rank correlation of the arms (mean
    over 20 resamples within 0.05), and the shifted arms sit on the edge, P(X > Y) = 1/2."""
    calls = paired_calls()
    assert {c["claims"][0] for c in calls} >= {
        "003.warmup.slower_first_10_epochs",
        "003.warmup.epoch1_update_larger_without",
    }
    for call in calls:
        pairs, rng = _paired_pairs(call), _rng(_name(call), "dependence")
        captured = stats.spearmanr(call["data"]["x"], call["data"]["y"]).statistic
        kept = np.mean([stats.spearmanr(*_resampled_pairs(pairs, rng, swap=False).T).statistic for _ in range(20)])
        assert abs(kept - captured) < 0.05, (_name(call), captured, kept)
        assert abs(_relative_effect(pairs[:, 0], pairs[:, 1]) - 0.5) <= 1.0 / len(pairs) ** 2


def test_the_shift_refuses_arms_whose_ties_keep_it_off_the_edge():
    """With ties at the median difference no shift gives P(X > Y) = 1/2 exactly: an error, not a silent cell."""
    with pytest.raises(ValueError, match="not 1/2"):
        _shift_to_even(np.array([0.0, 0.0, 1.0]), np.array([0.0, 0.0, 0.0]))


def test_quantile_matches_is_calibrated_on_the_claims_epochs():
    _assert_calibrated(quantile_cells(R_QUICK // 8))


def test_cv_skewness_gate_is_needed_on_the_claims_units():
    """With the gate off (every resample decided), at least one captured cv call whose pseudo-values
    are skewed beyond ``means.skew_limit(G)`` errs above alpha / 2 at 99% confidence: the committed
    evidence that ``cv_by_units`` must not decide there (R = 2000 per edge; docs/stats-calibration.md
    lists the rates). A resample on which the statistic is undefined counts as undecided."""
    exceeding = []
    for call in _calls("cv_by_units"):
        for cell in (c for c in cv_call_cells(call, R_GATE, gate=False) if not c.decided):
            for what, rate in (("false refute", cell.false_refute), ("false confirm", cell.false_confirm)):
                if rate is not None and _lower_bound_exceeds_half_alpha(rate, R_GATE):
                    exceeding.append(f"{cell.name} at {cell.edge}: {what} {rate:.4f}")
    assert exceeding, "no skewed cv call errs above alpha / 2 with the gate off: the gate is not shown needed"


KURTOSIS_MEAN_CLAIM = "003.clip.p95_noise0p25"  # mean_equals, n = 200, skewness -1.90, excess kurtosis 13.5
KURTOSIS_CV_CLAIM = "000.features.distances_beat_differences_all_traces"  # reading A; pseudo-value kurtosis 20.2
KURTOSIS_CV_SETTINGS = ("r2_statistic(0, minus=1)", (-math.inf, 0.0))


def _kurtosis_populations() -> list[dict]:
    """The two captured calls that set ``means.KURTOSIS_LIMIT`` (its docstring): decided within the skewness
    limit alone, and erring there."""
    statistic, region = KURTOSIS_CV_SETTINGS
    (mean_call,) = (c for c in _calls("mean_equals") if c["claims"] == [KURTOSIS_MEAN_CLAIM])
    (cv_call,) = (
        c
        for c in _calls("cv_by_units")
        if KURTOSIS_CV_CLAIM in c["claims"]
        and c["settings"]["statistic"] == statistic
        and tuple(float(v) for v in c["settings"]["region"]) == region
    )
    return [mean_call, cv_call]


def _own_evidence_and_pseudo(call: dict) -> tuple[rules.Evidence, np.ndarray]:
    """The rule's evidence on the call's own data, and the sample the means' domain is read off."""
    if call["rule"] == "mean_equals":
        x = np.asarray(call["data"]["values"], dtype=float)
        lo, hi = _mean_region(call)
        return rules.mean_equals(x, (lo + hi) / 2, margin=(hi - lo) / 2), x
    u, statistic, n_splits = _cv_inputs(call)
    region = tuple(float(v) for v in call["settings"]["region"])
    return cv.cv_by_units(u, statistic, region=region, n_splits=n_splits), cv._pseudo_values(u, statistic, n_splits)[1]


def _population_rates(call: dict, r: int, *, kurtosis_limit: bool) -> list[tuple[str, float]]:
    """Each error rate of the call's population (its data as the truth, on each finite edge) over r
    resamples, decided with or without ``means.KURTOSIS_LIMIT``."""
    if call["rule"] == "mean_equals":
        limit = means.KURTOSIS_LIMIT if kurtosis_limit else math.inf
        x = np.asarray(call["data"]["values"], dtype=float)
        cells = _mean_sample_cells(_name(call), x, _mean_region(call), r, True, kurtosis_limit=limit)
    else:
        cells = cv_call_cells(call, r, kurtosis_limit=kurtosis_limit)
    return [
        (f"{c.edge} false {what}", rate)
        for c in cells
        for what, rate in (("refute", c.false_refute), ("confirm", c.false_confirm))
        if rate is not None
    ]


@pytest.mark.parametrize("call", _kurtosis_populations(), ids=_name)
def test_the_kurtosis_limit_leaves_a_population_it_was_set_on_undecided(call):
    """On its own data the rule is inconclusive for the kurtosis ("no rule calibrated"); within the
    skewness limit alone it was decided there, and on the population (the data as the truth) it then
    erred above alpha / 2 at 99% (R = 20000 for the mean, 4000 for the cv call): why the limit exists."""
    ev, sample = _own_evidence_and_pseudo(call)
    assert ev.verdict is Verdict.INCONCLUSIVE and ev.detail.get("reason") == rules.NO_CALIBRATED_RULE
    assert "kurtosis" in ev.detail["outside_calibration"], ev.detail["outside_calibration"]
    assert bool(means.decidable(sample, kurtosis_limit=math.inf)), "no longer within the skewness limit"
    r = R_BOUND_FULL if call["rule"] == "mean_equals" else R_BOUND
    rates = _population_rates(call, r, kurtosis_limit=False)
    assert any(_lower_bound_exceeds_half_alpha(rate, r) for _, rate in rates), rates


@pytest.mark.parametrize("call", _kurtosis_populations(), ids=_name)
def test_the_kurtosis_limit_does_not_make_the_rules_valid_on_those_populations(call):
    """A known limit, pinned (Bahadur & Savage 1956): with the kurtosis limit the rule still errs above
    alpha / 2 at 99% on the population (R = 20000), through the resamples that miss its few extreme values
    and so pass both limits. The limit withholds a verdict where the sample shows such values; it
    cannot make a mean rule valid for such populations (``means`` module docstring)."""
    rates = _population_rates(call, R_BOUND_FULL, kurtosis_limit=True)
    assert any(_lower_bound_exceeds_half_alpha(rate, R_BOUND_FULL) for _, rate in rates), rates


@pytest.mark.parametrize("call", _calls("cv_by_units"), ids=_name)
def test_cv_interval_lies_in_the_statistics_support_and_holds_its_estimate(call):
    """Issue 20 item 2 (review B2): every cv interval lies inside the statistic's range and contains its estimate."""
    u, statistic, n_splits = _cv_inputs(call)
    ev = cv.cv_by_units(u, statistic, region=tuple(float(v) for v in call["settings"]["region"]), n_splits=n_splits)
    if ev.ci is None:
        return
    low, high = statistic.support
    assert low <= ev.ci[0] <= ev.estimate <= ev.ci[1] <= high, (ev.ci, ev.estimate, (low, high))


@pytest.mark.full
def test_means_and_quantiles_are_calibrated_with_more_replications():
    """Every decided mean cell at R = 20000, and the quantile cells at ten times the default."""
    _assert_calibrated(mean_cells(R_BOUND_FULL, decided_only=True) + quantile_cells(R_FULL // 8))


@pytest.mark.full
def test_cross_validation_over_units_is_calibrated_with_more_replications():
    """Every decided cv cell at R = 20000."""
    _assert_calibrated(cv_cells(R_BOUND_FULL, decided_only=True))


@pytest.mark.full
def test_no_stricter_skewness_limit_or_level_factor_calibrates_cv_on_every_captured_shape():
    """Issue 20 / review B1, the rule fix the review proposed: for every skewness limit of ``SKEW_GRID``
    (down to 0.5) and level factor of ``LEVEL_GRID`` (up to 2), some captured cv shape at an edge errs
    above alpha / 2 (its exact binomial p below 0.01 / rates compared, Bonferroni over them): a resample
    that misses the few units that dominate the statistic looks mildly skewed and is decided, wrongly.
    So no such gate is the fix; the numbers are in docs/stats-calibration.md."""
    for cell in cv_gate_grid(R_GRID):
        p = _excess_p(cell.worst, cell.replications)
        assert p < (1.0 - CONFIDENCE) / cell.shapes, (cell, p)


def test_median_ratio_in_is_calibrated_on_the_claims_arms():
    """The speedup claims' two arms, the ratio on each finite edge of the claim's region (about and
    at least the stated size), R = 1000 per edge: each error at most alpha / 2 per cell."""
    cells = median_ratio_cells(R_QUICK)
    assert cells, "no median_ratio_in call in the fixture"
    _assert_calibrated(cells)


def test_median_in_is_calibrated_on_the_claims_timings():
    """003's timed reduction, its median on each end of the claim's region, R = 1000 per edge: each
    error at most alpha / 2 per cell."""
    cells = median_in_cells(R_QUICK)
    assert cells, "no median_in call in the fixture"
    _assert_calibrated(cells)


def test_monotone_steps_are_exact_at_the_claims_arms():
    """002's "monotonic", each step on its edge, exact at the claim's arms: each error at most alpha / 2."""
    cells = monotone_step_cells()
    assert cells, "no monotone_steps call in the fixture"
    _assert_calibrated(cells)
