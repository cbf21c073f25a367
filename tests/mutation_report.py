"""Write ``docs/mutation-testing.md`` from a finished mutmut run of the verdict rules.

Run from the checkout after ``python -m mutmut run --max-children 2`` (config in pyproject)::

    python -m tests.mutation_report [--note NOTE.md]

``--note``: a Markdown file whose text is put under the header (how the run was made, when it was
not one plain ``mutmut run``: a partial run resumed, a narrower test mapping for its later part).

It reads mutmut's results (``mutants/harness/evidence/rules/<module>.py.meta``, one per module of
the rules package) and the mutated source
(each mutant is a function ``x_<name>__mutmut_<k>`` beside the original ``..._orig``), diffs
every surviving mutant against its original, and lists it with the reason it is harmless:
a reason from ``REASONS`` (keyed by mutant name) or, for a change confined to the text of an
error message, that category. A survivor without a reason is listed as "unexplained".

Outcomes are mutmut's own (``status_by_exit_code``). The kill rate counts every mutant that was
run or had no test (a mutant no test reaches is not killed). Exit status 1 when the run is
incomplete, the kill rate is below ``MIN_KILL_RATE`` or a survivor is unexplained (the file is
written either way), so the issue's bar is checked, not just reported.
"""

from __future__ import annotations

import ast
import difflib
import json
import re
import sys
from collections import Counter
from pathlib import Path

MUTANTS = Path("mutants/harness/evidence/rules")  # the mutated package: <module>.py and <module>.py.meta
OUT = Path("docs/mutation-testing.md")
MIN_KILL_RATE = 0.90  # issue 10: at least 90% of mutants killed
NOT_RUN = {"not checked", "check was interrupted by user", "skipped"}
KILLED = {"killed", "timeout", "caught by type check"}

# Survivors judged by hand: (function, regex the mutant's changed line matches) -> why the
# mutation is equivalent or harmless. Reviewed against the source; a survivor matching none is
# listed as "unexplained".
EQUIVALENT = "equivalent: "
REASONS: list[tuple[str, str, str]] = [
    (
        "_check_two_samples|_check_margin",
        r'_check_values\((x|y), (None|"XX|"X"|"Y")|_real\(margin, (None|"XX|"MARGIN)',
        "wording: the argument name only appears in the error message",
    ),
    (
        r"(medians|distributions)_differ|variance_ratio_equals",
        r"_check_(choice|values)\((direction|y), (None|\"XX|\"DIRECTION|\"Y)",
        "wording: the argument name only appears in the error message",
    ),
    (
        r"(medians|distributions)_differ",
        r"n_resamples: int = 10000",
        EQUIVALENT + "n_resamples is accepted for compatibility and unused (docstring)",
    ),
    ("_count_le_gt", r"searchsorted\(vs, t - band, \)", EQUIVALENT + "side='left' is numpy's default"),
    (
        "monotone_trend",
        r"counts\], (dtype=None)?\)|k.size, (dtype=None)?\)|np.asarray\(scores, (dtype=None)?\)",
        "harmless: with counts and scores in an integer dtype every p-value, estimate and MDE is the same float; only "
        "detail['scores'] would hold ints (and string scores would raise TypeError instead of being converted)",
    ),
    (
        "monotone_trend",
        r"k.ndim != 1 and n.ndim != 1",
        EQUIVALENT + "the shape comparison that follows rejects every input the 'or' would",
    ),
    (
        "_bca_constants",
        r"\(x.size [-+] [12]\)",
        EQUIVALENT + "the acceleration sum(u^3) / (6 sum(u^2)^1.5) "
        "is invariant to the positive scale factor of u (n >= 3)",
    ),
    ("_metric_bca", r"dtype=None|distribution, \)", EQUIVALENT + "scipy's bootstrap distribution is already float64"),
    ("_metric_bca", r"\(math.inf, 1.0\)", EQUIVALENT + "the acceleration is unused when z0 is infinite"),
    (
        "_metric_bca",
        r"method=\"PERCENTILE\"|n_resamples=int\(n_resamples\), rng=rng\)",
        EQUIVALENT + "only the bootstrap distribution is used, which the method does not change",
    ),
    (
        "_metric_bca",
        r"boot < mc.threshold\) \| eq|boot <= mc.threshold\) & ~eq",
        EQUIVALENT + "a resample equal to the threshold is in 'eq' (float tolerance) either way",
    ),
    ("_metric_bca", r"se >= 0|se > 0\) or True", EQUIVALENT + "se = 0 only without spread, which returned earlier"),
    (
        "holm",
        r"isclose\(e.alpha, alpha, (abs_tol=0.0|rel_tol=1e-12, )\)",
        "harmless: the alpha-consistency check only changes its tolerance (1e-9 instead of 1e-12)",
    ),
    ("holm", r'u.get\("p_value", (None|\))', EQUIVALENT + "every refuted evidence has an adjusted p_value entry"),
    ("rates_differ", r"errstate", EQUIVALENT + "only silences numpy's divide/invalid warnings"),
    (
        "rates_differ",
        r'"AGRESTI-CAFFO"|n2, value=None, method="agresti-caffo", compare="diff",$|'
        r'n2, value=0, method=None, compare="diff",$|n2, (value=0, )?compare="diff",$|'
        r'n2, method="agresti-caffo", compare="diff",$|n2, method="agresti-caffo", alpha=alpha$',
        EQUIVALENT
        + "statsmodels' defaults of test_proportions_2indep (value 0; agresti-caffo for a difference) and of "
        "both calls (compare 'diff'); method names are case-insensitive",
    ),
    (
        "_pitman_morgan_t",
        r"u \+ u.mean\(\)",
        EQUIVALENT + "shifting the regressor only moves the intercept; "
        "the slope and its HC3 standard error are unchanged",
    ),
    ("_pitman_morgan_t", r'cov_type="hc3"', EQUIVALENT + "statsmodels upper-cases cov_type"),
    ("_metric_t", r"p_larger = p_smaller = 1.5", EQUIVALENT + "the doubled p-values are capped at 1"),
    ("_no_spread_evidence", r"x\[1\]", EQUIVALENT + "the sample is constant: any value is the statistic"),
    (
        "_range_p|_tail_levels",
        r"min(imum)?\(2.0",
        EQUIVALENT + "tail levels reach the verdict only through "
        "_range_p, whose result is capped at 1 (and the levels are already at most 1 there)",
    ),
    (
        "_effect_at_power",
        r"hi = 1.001|hi \*= 3.0|<= POWER|2.0 if math.isnan|isnan\(value\)\) and False",
        EQUIVALENT + "only the bracket of the root search changes; power is monotone in the effect, so the same root "
        "is found",
    ),
    (
        "holm",
        r'u.get\("p_(value|confirm)", (None|\)|1.0)',
        EQUIVALENT + "every evidence with that verdict has that adjusted p-value, so the default is never read",
    ),
    ("holm", r">= alpha", "harmless: differs only when an adjusted p-value equals alpha exactly"),
    (
        "_holm_adjust",
        r'dtype=None|pvals, \)|"HOLM"|method="holm"\)\[1\]',
        EQUIVALENT + "the p-values are floats "
        "already; statsmodels lower-cases the method; multipletests' alpha does not change adjusted p-values",
    ),
    ("distributions_differ", r"errstate", EQUIVALENT + "only silences numpy's divide/invalid warnings"),
    (
        "distributions_differ",
        r"\(x >= 0\)|\(y >= 0\)|all\(\) or \(y",
        "harmless: changes only the informative "
        "detail 'median_ratio' of samples with non-positive values, never a p-value or verdict",
    ),
    ("rate_at_most|rate_at_least", r"at_least=None", EQUIVALENT + "None is falsy like False"),
    (
        "rate_at_most|rate_at_least|rate_equals",
        r'_check_rate\(claimed, (None|"XX|"CLAIMED)',
        "wording: the name only appears in the error message",
    ),
    ("rate_equals", r"open_interval=None", EQUIVALENT + "None is falsy like False"),
    ("monotone_trend", r"shift_zeros=None", EQUIVALENT + "None is falsy like False (no shift of zero cells)"),
    ("medians_differ", r"strict=None", EQUIVALENT + "None is falsy like False"),
    ("rates_differ", r"if h < math.pi:", "harmless: differs only when the detectable effect h equals pi exactly"),
    (
        "_metric_range",
        r"^mde_confirm=None,$|mde=None, cannot_confirm|^removed: mde(_confirm)?=None,$",
        EQUIVALENT + "mde and mde_confirm default to None",
    ),
    (
        "_metric_range",
        r"d <= t - tol|d >= t \+ tol|d < t \+ tol|d > t - tol",
        "harmless: differs only for a candidate width exactly at the threshold's float-tolerance edge (t +- 1e-9 |t|)",
    ),
    ("_counts_around", r"x <= t\) & ~eq", EQUIVALENT + "a value equal to t is in eq (float tolerance) either way"),
    (
        "_bm_se_df",
        r"var > 0.0 or math.isfinite|var >= 0.0",
        EQUIVALENT + "statsmodels returns df = NaN exactly when the "
        "Brunner-Munzel variance is 0, so the last condition decides alone",
    ),
    (
        "_t_equivalence_mde_confirm|variance_ratio_equals",
        r"power\(margin\) <= POWER|hi - lo > 2.0 \* reach",
        "harmless: differs only when the power (or the region's width) equals its bound exactly",
    ),
    ("_bca_shift", r"v <= 0.0", EQUIVALENT + "den = 1 + a v <= 0 needs a v <= -1, so v is never 0 there"),
    (
        "_equals_cuts",
        r"refute_lo=_lower_cut\(n, lo, a\) if (\(lo > 0.0\) or True|lo >= 0.0) else None,$|"
        r"refute_hi=_upper_cut\(n, hi, a\) if (\(hi < 1.0\) or True|hi <= 1.0|hi < 2.0) else None,$",
        EQUIVALENT
        + "at an edge at or beyond 0 (1) no count refutes: the cut is None either way (P(Bin(n, 0) <= c) = 1; "
        "a rate outside [0, 1] gives NaN probabilities, so no cut)",
    ),
    (
        "cv_by_units",
        r"not 0.0 <= alpha < 1.0:|0.0 < alpha <= 1.0:",
        EQUIVALENT + "an alpha of exactly 0 or 1 that "
        "gets past this check is rejected by the Evidence record with the same message",
    ),
    (
        "cv_by_units",
        r"lo < ci\[0\] and|ci\[1\] < hi:|ci\[1\] < lo or|ci\[0\] > hi:|hi - lo < 2.0 \* q",
        "harmless: differs only when an interval end (or the region's width) equals its bound exactly",
    ),
    (
        "cv_by_units",
        r"math.isnan\(lo\) and math.isnan\(hi\)",
        EQUIVALENT + "'not lo < hi' is true whenever an edge is NaN, so the check still rejects it",
    ),
    ("_cv_mde_confirm", r"power\(width / 2.0\) <= POWER", "harmless: differs only when the power equals 0.8 exactly"),
    ("_verdict_from_p", r"p_(confirm|refute) < alpha", "harmless: differs only when a p-value equals alpha exactly"),
    (
        "_root|_pitman_morgan_bound",
        r"brentq\(f, (lo, hi|min\(a, b\), max\(a, b\)), (rtol|xtol=1e-1[02], "
        r"(maxiter|rtol=1e-1[02], (\)|maxiter=(201|501))))",
        "harmless: only brentq's stopping rule changes (scipy's defaults: xtol 2e-12, rtol 8.9e-16, 100 iterations; "
        "brentq converges on a bracketed smooth root in far fewer); the root moves by less than the snapshots' 1e-9 "
        "relative tolerance",
    ),
    (
        "_effect_at_power",
        r"hi >= 1e9|hi > 1000000001.0|raise ValueError\(None\)",
        "harmless: a guard never reached: "
        "every power function used tends to 1 as the effect grows, so the bracket closes long before 1e9",
    ),
    ("_metric_kind", r'return "(XXbcaXX|BCA)"', EQUIVALENT + "'bca' is the fall-through kind, never compared"),
    (
        "metric_exceeds|metric_below|range_ratio_in",
        r"n_resamples: int = 10000",
        "harmless: the bootstrap's default size (9999 vs 10000 resamples) changes only its Monte-Carlo precision",
    ),
    ("metric_below", r"above=None", EQUIVALENT + "None is falsy like False"),
    ("xǁ_MetricClaimǁevidence", r'fields.pop\("detail", (None|)\)', EQUIVALENT + "every caller passes detail"),
    (
        "variance_ratio_equals",
        r'_check_values\(y, "y", \)',
        EQUIVALENT + "x is checked for at least 10 values first and y must have x's shape",
    ),
    (
        "variance_ratio_equals",
        r'_check_values\(x, (None|"XXxXX"|"X")|_real\(region\[[01]\], (None|"XX|"REGION)',
        "wording: the argument name only appears in the error message",
    ),
    (
        "variance_ratio_equals",
        r"abs\(estimate - lo\) < abs\(estimate - hi\)",
        "harmless: differs only for an "
        "estimate exactly midway between the edges (the sign of the effect size's reference edge)",
    ),
    (
        "variance_ratio_equals",
        r"se > 0\) or True|se >= 0",
        EQUIVALENT + "se is half the width of a ci with spread (checked before), so it is > 0",
    ),
    (
        "variance_ratio_equals",
        r"_pitman_morgan_bound\(x, y, estimate, -?q, [0-9.]+\)",
        EQUIVALENT + "only the "
        "bracketing step changes; the HC3 t is monotone in the ratio, so brentq finds the same root",
    ),
    (
        "_pitman_morgan_bound",
        r"b = a - math.log\(step\)|f\(b\) / f\(a\)|f\(b\) \* f\(a\) >= 0",
        EQUIVALENT
        + "f(a) = -target is never 0, so the same sign test brackets the same root (a first step the wrong way "
        "only costs one more step)",
    ),
    (
        "_pitman_morgan_bound",
        r"abs\(b\) >=? 6[01].0|return math.inf if|else 1.0$",
        "harmless: a guard that data "
        "with spread never reaches: the HC3 t goes to -inf (+inf) as the ratio goes to inf (0), since the slope's "
        "residuals stay O(1) while the regressor's scale grows, so the bracket closes long before |log r| = 60",
    ),
    (
        "range_ratio_in",
        r"fits = math.log\(hi / lo\) > 2 \* z \* s",
        "harmless: differs only when the region's log width equals 2 z s exactly",
    ),
    (
        "_metric_bca",
        r"_scale\(boot, (None)?\)\)$",
        "harmless: the float tolerance's absolute part uses the resamples' scale without |threshold|; it changes "
        "only when |threshold| exceeds every resample, and then by under 0.1% of the 1e-9 relative part "
        "(np.isclose adds both)",
    ),
    (
        "_metric_range",
        r"_scale\(x, (None)?\)\)$",
        EQUIVALENT + "the absolute part 1e-12 max(|x|, |t|) differs only when |t| > max |x|, and then both "
        "choices are below the relative part 1e-9 |t| that max() picks",
    ),
    (
        "monotone_trend",
        r"zip\(k, n, (strict=(None|False))?\)",
        EQUIVALENT + "k and n are checked to have the same shape just before, so zip never sees unequal lengths",
    ),
    (
        "holm",
        r"zip\((refute|confirm)_idx, adj_(refute|confirm), (strict=(None|False))?\)",
        EQUIVALENT + "the adjusted p-values are computed from the values of the dict whose keys are the indices, "
        "one per index, so zip never sees unequal lengths",
    ),
    (
        "_ratio_interval",
        r"xl < 0.0 or|yl < 0.0 else",
        EQUIVALENT + "medians_differ's samples are strictly positive (checked), so a median's interval end is "
        "-inf or a positive value, never 0",
    ),
    (
        "_paired_on_one_scale",
        r"scale = _scale\((x, None|y|x, )\)$",
        "harmless: the common scale only keeps squares from overflowing and the HC3 statistic is scale-invariant; "
        "dividing by max |x| or max |y| alone overflows only where |y| / |x| (or |x| / |y|) exceeds 1e154, "
        "where the variance ratio is outside the float range and rejected either way",
    ),
    (
        "_paired_on_one_scale",
        r"np.var\(x, (ddof=2)?\) / np.var\(y, ddof=1\)|np.var\(x, ddof=1\) / np.var\(y, (ddof=2)?\)|"
        r"np.var\(x, ddof=1\) \* np.var\(y, ddof=1\)|ratio <= math.inf|isfinite\((1.0 \*|2.0 /) ratio\)",
        "harmless: this ratio only feeds the float-range check (the rule recomputes the estimate); the variants "
        "(other ddof, the product of the scaled variances, no or a doubled reciprocal check; inf is excluded by "
        "isfinite already) differ only for variance ratios beyond 1e+-244 or within a factor 2 of the smallest "
        "normal float",
    ),
    (
        "_paired_on_one_scale",
        r"if not abs\(r\) <= 1.0 - 1e-12:",
        "harmless: differs only when |r| equals 1 - 1e-12 exactly",
    ),
    (
        "record",
        r'"a", encoding=None\)|"a", \)|encoding="UTF-8"\)',
        EQUIVALENT + "json.dumps escapes every non-ASCII character (ensure_ascii), so the line is ASCII and any "
        "ASCII-compatible encoding writes the same bytes; codec names are case-insensitive",
    ),
    (
        "variance_ratio_equals",
        r"kurtosis >= VARIANCE_RATIO_MAX_KURTOSIS",
        "harmless: differs only when the larger excess kurtosis equals the limit (3) exactly",
    ),
    (
        "_counts_around",
        r"_scale\(x, (None)?\)\)$",
        "harmless: the float tolerance's absolute part uses the data's scale without |t|; it changes only when "
        "|t| exceeds every value, and then by under 0.1% of the 1e-9 relative part (np.isclose adds both)",
    ),
    (
        "_interval_refute_p",
        r"if lower >= 0.0 else 1.0|if lower > 0.0 else 2.0",
        EQUIVALENT + "binom.cdf(a, n, 0) is 1, the else value; and p_a only enters min(p_a, p_b) with p_b <= 1, "
        "where p1 >= 1 returns 1 either way",
    ),
    (
        "_interval_refute_p",
        r"if \(upper < 1.0\) or True else 1.0|if upper (<= 1.0|< 2.0) else 1.0|if upper < 1.0 else 2.0|"
        r"if p1 (> 1.0|>= 2.0):|^return 2.0$|if lower >= 0.0 else None|if upper <= 1.0 else None|"
        r"min\(2.0, max\(p1, ",
        EQUIVALENT + "at an upper edge of 1 binom.sf(b - 1, n, 1) is 1 (the else value), beyond it NaN, which "
        "min(p_a, .) drops; p1 <= 1, and at p1 = 1 the result min(1, max(p1, .)) is 1 as the early return; "
        "both callers cap the returned p through _doubled (so 2.0 reads as 1); _lower_cut / _upper_cut at an "
        "edge of 0 / 1 give None (P(Bin(n, 0) <= c) = 1), as the else branch",
    ),
    (
        "_median_split_p",
        r"scale = _scale\((low, None|high|low, )\)",
        "harmless: only the float tolerance's absolute part (1e-12 x the data's scale) changes; it exceeds the "
        "relative part (1e-9 t, every split point t > 0) only for t below 1e-3 x the largest value, and then "
        "changes a count only for a value within 1e-12 x that scale of t but not equal to it (float rounding of "
        "positive data spanning more than three orders of magnitude)",
    ),
    (
        "always",
        r"_close\(p_confirm, alpha, 2.0\)",
        "harmless: the absolute tolerance (1e-12 x scale) only matters where it exceeds the relative one "
        "(1e-9 alpha), i.e. for alpha < 0.002, and then widens the band around p = alpha by 1e-12",
    ),
    # issue 20, stop 27, B
    (
        "monotone_steps",
        r'_check_choice\(direction, (None|"XXdirectionXX"|"DIRECTION"), ',
        "wording: the argument name only appears in _check_choice's error message",
    ),
    (
        "monotone_steps",
        r"zip\(successes, trials, (strict=(None|False))?\)\]",
        EQUIVALENT + "len(successes) == len(trials) is checked just before (ValueError otherwise), so zip never "
        "sees unequal lengths",
    ),
    (
        "_check_region",
        r'lo = _check_finite\(lo, (None|"XXregion boundXX"|"REGION BOUND")\)|'
        r'else _check_finite\(hi, "XXregion boundXX"\)',
        "wording: the name only appears in the error messages of _check_finite / _real (the key phrase "
        "'region bound' stays in the hi check's message)",
    ),
    (
        "_p",
        r"raise ValueError\(None\)",
        "harmless: a guard never reached: rates_differ always returns float p_value and p_confirm (both from "
        "_doubled), so no step's p is None",
    ),
    (
        "expected_range",
        r"np.arange\(1, n \+ 1, (dtype=None)?\)",
        EQUIVALENT + "i is then an integer array and i / n, (i - 1) / n, (n - i + 1) / n, (n - i) / n are true "
        "divisions to the same float64 values (integers below 2**53 are exact), so the weights are identical",
    ),
    (
        "_range_ratio_bootstrap",
        r"np.sort\(rng.choice\((x|y), size=\(n_resamples, (x|y).size\)\), \)",
        EQUIVALENT + "np.sort's default axis is -1, the last one (axis 1) of the (B, N) array of resamples",
    ),
    # issue 20, stop 27, A
    (
        "_decidable",
        r"np.abs\(g\) < limit|kurtosis\(x\) < kurtosis_limit",
        "harmless: differs only for a sample whose |skewness| (excess kurtosis) equals its limit exactly (or, under "
        "the measuring kurtosis_limit=inf, whose kurtosis overflowed to inf)",
    ),
    (
        "outside_domain",
        r"abs\(g\) >= limit:|k >= KURTOSIS_LIMIT:",
        "harmless: differs only for a sample whose |skewness| (excess kurtosis) equals its limit exactly; the rules "
        "ask only about samples they do not decide, and for those only the wording of the reason can change",
    ),
    (
        "_hall_inverse",
        r"^return v \+ b$",
        EQUIVALENT + "u = 3 a (v - b) is 0 only where a = g / (3 sqrt n) is 0 (or underflows), which makes "
        "b = a / 2 = 0 too, or where v = b: mean_interval's v = +-t quantile at alpha / 2.2 exceeds 0.11 for every "
        "alpha < 1, while |b| = |g| / (6 sqrt n) <= 2 / (6 sqrt 200) < 0.024 inside the domain, where alone its "
        "callers (mean_equals, mean_matches, metric_exceeds/below, cv_by_units) ask for an interval",
    ),
    (
        "_hall_inverse",
        r"if u >= -1.0:",
        EQUIVALENT + "at u = -1 the log1p branch gives 3 (v - b) expm1(-inf) / (-1) = 3 (v - b) = -1 / a, the value "
        "(cbrt(0) - 1) / a of the cube-root branch",
    ),
    (
        "skewness|kurtosis",
        r"errstate\((divide=None, invalid=\"ignore\"|divide=\"ignore\", invalid=None|invalid=\"ignore\"|"
        r"divide=\"ignore\", )\)",
        "harmless: only numpy's floating-point warnings change, never a value: scipy computes the ratio of moments "
        "under its own errstate(all='ignore'), so this block only keeps warnings of near-overflowing moments quiet",
    ),
    (
        "skewness|kurtosis",
        r"simplefilter\(\"ignore\", \)",
        "harmless: every warning of the block is ignored instead of RuntimeWarning only; the block computes one "
        "scipy moment ratio, whose values do not depend on warning filters",
    ),
    (
        "skewness|kurtosis",
        r"np.nan_to_num\(np.asarray\([gk], \), |np.asarray\([gk], dtype=None\)|nan_to_num\(np.asarray\(k, "
        r"dtype=float\), posinf=np.inf|nan_to_num\(np.asarray\(g, dtype=float\), posinf=0.0",
        EQUIVALENT + "scipy.stats.skew / kurtosis already return float64 for the float64 rows every caller passes "
        "(_check_values converts; the calibrations draw float64); nan=0.0 is nan_to_num's default",
    ),
    (
        "kurtosis",
        r"posinf=np.inf, (neginf=None|neginf=1.0|)\)$",
        EQUIVALENT + "the excess kurtosis m4 / m2^2 - 3 is at least -2 (m4 >= m2^2) or NaN, never -inf",
    ),
    (
        "kurtosis",
        r"nan=0.0, (posinf=None, )?neginf=0.0\)$",
        "harmless: a kurtosis that overflowed (m2^2 underflows, m4 does not) becomes the largest float instead of "
        "inf: both exceed KURTOSIS_LIMIT (and both are <= the measuring limit inf), so only the number in the "
        "undecided verdict's reason reads 1.8e+308 instead of inf",
    ),
    (
        "mean_equals_p",
        r"errstate\(divide=\"ignore\", (invalid=None)?\)",
        "harmless: only a warning changes, never a value: w = (hi - lo) / se is invalid only for inf / inf "
        "(a region's width and the sd both beyond the float range) or 0 / 0, never for hi > lo",
    ),
    (
        "mean_equals_p",
        r"np.nan_to_num\(other, (nan=1.0)?\)",
        EQUIVALENT + "nan=0.0 is nan_to_num's default; other = F(F^-1(p1) - w) is NaN only where p1 is NaN "
        "(p_refute NaN either way) or F^-1(p1) = w = inf, i.e. p1 = 1, where p_refute = min(1, 2.2 (1 + .)) is 1 "
        "either way",
    ),
    (
        "_pseudo_values",
        r"np.asarray\(statistic\((total|total\[..., None, :\] - u)\), (dtype=None)?\)",
        EQUIVALENT + "the statistic's values only enter float arithmetic (with math.sqrt's float factor) and "
        "isfinite: a float, integer or boolean array gives the same floats (integers exact below 2^53), a "
        "non-numeric output fails either way",
    ),
    ("cv_by_units", r"^where = None$", EQUIVALENT + "'where' is only tested for truth, and None is falsy like ''"),
    # issue 20, stop 27, C
    (
        "_barnard_p",
        r'method="BOUNDED"\)|bounds=\(lo, hi\), (method=None)?\)$',
        EQUIVALENT + "scipy's minimize_scalar lower-cases the method name and, given bounds, uses 'bounded' by default",
    ),
    ("_barnard_p", r"astype\(None\)", EQUIVALENT + "astype(None) is float64, as astype(float)"),
    (
        "_barnard_p",
        r"\(z > z_obs\) \| tie|\(z < z_obs\) \| tie",
        EQUIVALENT + "z == z_obs is inside tie (np.isclose of equal values; z is finite: 0 replaces the 0/0 of the "
        "tables with equal rates)",
    ),
    (
        "_barnard_p",
        r"out.append\(min\(2.0, ",
        "harmless: the one-sided p is a probability (above 1 by rounding at most) and reaches the Evidence only "
        "through _doubled, min(1, 2p): any p >= 0.5 gives 1 under either cap",
    ),
    (
        "_barnard_p",
        r"np.isclose\(z, z_obs, rtol=1e-12, \)",
        "harmless: atol 1e-8 (numpy's default) instead of 1e-12 also ties tables whose pooled z is within 1e-8 of "
        "the observed one (not a rounding tie); none exist at 2..60 per arm, and each of the 8 found up to 160 per "
        "arm moves p by one table's probability, at most 2.1e-8 relative",
    ),
    (
        "_barnard_p",
        r"linspace\(0.0, 1.0, NUISANCE_GRID (- 1|\+ 2)\)",
        "harmless: the grid only picks the bracket the bounded search refines; 199 or 202 rates instead of 201 "
        "reach the same maximum to that search's accuracy (p equal to 1e-9 relative at 5..40 per arm, within "
        "3e-7 relative up to 1000 per arm; the 201-rate p is itself 5e-8 below scipy's barnard_exact at 10 vs 300)",
    ),
    (
        "_barnard_p",
        r"max\(i - 2, 0\)|min\(i \+ 2, grid.size - 1\)",
        "harmless: a bracket one grid step wider on one side contains the original one, and the result is at "
        "least the best grid value either way; the bounded search lands on the same maximum to its accuracy "
        "(p equal to 1.6e-9 relative at 5..40 per arm, within 6.3e-7 relative up to 1000 per arm)",
    ),
    (
        "_barnard_p",
        r"max\(i - 1, 1\)",
        EQUIVALENT + "differs only when the best grid rate is 0 (i = 0): at pi = 0 only the table (0, 0) has mass, "
        "so values[0] is 0 or 1, and 0 is never the maximum (the observed table has mass at every interior rate); "
        "with values[0] = 1 the result is min(1, max(1, .)) = 1 either way (the bracket (grid[1], grid[1]) does "
        "not raise)",
    ),
    (
        "_barnard_p",
        r"grid.size \+ 1\)",
        EQUIVALENT + "differs only when the best grid rate is 1 (i = size - 1), never: the tables (0, 0) and "
        "(n1, n2) both have z = 0, so values[0] = values[-1] and argmax returns the first",
    ),
    (
        "_pooled_wald",
        r'errstate\((divide=None, )?invalid="ignore"\)',
        EQUIVALENT + "no nonzero is divided by 0: the denominator is 0 only where the pooled rate is 0 or 1, "
        "i.e. the tables (0, 0) and (n1, n2), whose numerator p1 - p2 is 0 too (0/0 is 'invalid', still ignored)",
    ),
    (
        "rates_differ",
        r'method="agresti-caffo", alpha=alpha\)',
        EQUIVALENT + "compare='diff' is the default of confint_proportions_2indep",
    ),
    (
        "_no_spread_rows",
        r"\) & \(np.abs\(u - first\)|\) < atol \+ rtol|<= atol - rtol",
        EQUIVALENT + "each mutant only makes 'near' stricter, so it differs only where some u meets exactly one of "
        "|u - first| <= atol + rtol |first| and <= atol + rtol |u| (or meets one with equality). Then the row's "
        "max-|x| element (u = +-1) must be near first, so every value involved lies within 2.1e-9 of +-1, where "
        "differences of float64 values are multiples of 2^-53 (1.1e-16) and the band between the two bounds "
        "(width rtol |u - first|, about 1e-18, around 1.001e-9) holds none: checked by enumerating every pair "
        "(first, u) of float64 values in [1 - 2.1e-9, 1] at that distance (issue 20, stop 27)",
    ),
    (
        "_scale",
        r"initial=None\)|dtype=float\)\), \) for",
        "harmless: initial=0.0 only matters for an empty array, which no caller passes (samples pass "
        "_check_values, which rejects empty input; bootstrap distributions and thresholds are never empty)",
    ),
    (
        "_scale",
        r"np.asarray\(v, (dtype=None)?\)",
        EQUIVALENT + "every caller passes float64 arrays (_check_values, bootstrap distributions) or float "
        "thresholds, which np.asarray leaves float64",
    ),
    # issue 20, stop 27, group D
    (
        "_close",
        r"math\.isclose\(float\(a\), float\(b\), abs_tol=",
        EQUIVALENT + "math.isclose's default rel_tol is 1e-09, the value of FLOAT_TOL['rel_tol']",
    ),
    (
        "_interval_refute_p",
        r"np\.linspace\(max\(lower, 0\.0\), min\(upper, 1\.0\), \)",
        EQUIVALENT + "a 50-point grid instead of 21, both holding the two edges exactly (linspace): with p1 < 1/2 "
        "both tails at t = lower are below 1/2, so they cannot cover every count and cut_b >= cut_a + 2; the "
        "sum's derivative n[C(n-1, cut_b-1) t^(cut_b-1) (1-t)^(n-cut_b) - C(n-1, cut_a) t^cut_a (1-t)^(n-1-cut_a)] "
        "changes sign at most once, from - to + (the terms' ratio grows as (t/(1-t))^(cut_b-1-cut_a)), so the "
        "max over any grid is at an edge; one absent cut leaves a monotone tail; with p1 >= 1/2 both callers "
        "(rates, documents) double the result to 1",
    ),
    (
        "_interval_refute_p",
        r"min\(upper, 2\.0\), _INTERVAL_REFUTE_GRID\)",
        EQUIVALENT + "differs only for upper > 1, where the upper tail is absent (cut_b None): the lower tail "
        "P_t(K <= cut_a) falls with t, so its max is at t = lower, <= p1 by cut_a's definition; the grid points "
        "t > 1 give NaN (scipy), which max(p1, nan) drops (Python's max keeps its first argument): p1 either way",
    ),
    (
        "_metric_t",
        r"_scale\(x, (None)?\)",
        EQUIVALENT + "the scale drops |threshold| only where |t| > max|x|, and there the absolute tolerance "
        "(1e-12 |t| or less) is below the relative one (1e-9 max(|mean|, |t|)), so it never decides closeness "
        "(np.asarray(None, float) is NaN, which Python's max(max|x|, nan) drops)",
    ),
    (
        "_metric_t",
        r"_scale\((None, )?mc\.threshold\)",
        "harmless: only shrinks the absolute tolerance (to |t|, or none: NaN), so a mean within 1e-12 x max|x| of "
        "t but beyond 1e-9 relative (|t|, |mean| < 1e-3 max|x|) goes to mean_tail_p instead of p = 1/2 per side; "
        "there sd >= (max|x| - |mean|) / sqrt(n - 1) bounds the t statistic by ~1e-12 n and Hall's skewness term "
        "g / (6 sqrt n) by 0.025 (SKEW_LIMITS), so each side's p x LEVEL_FACTOR 1.1 is >= 1.1 x t_sf(0.03) > 1/2 and "
        "both double to 1 as at the tie: same p-values and verdict for any n below ~1e10",
    ),
    (
        "median_ratio_in",
        r"math\.isfinite\(v\) or v > 0 for v|math\.isfinite\(v\) and v >= 0 for v",
        EQUIVALENT + "an unbounded median interval is (-inf, inf), so a tuple with an infinite end holds -inf, "
        "which fails 'or v > 0' too; finite ends are sample values, checked strictly positive, so v >= 0 is v > 0",
    ),
    # issue 20, stop 27, scaling code (lead)
    (
        "_row_scale",
        r"np.where\(scale > 0, scale, 2.0\)",
        EQUIVALENT + "the divisor of a row of zeros: any positive one leaves it zeros (its sd and moments are 0)",
    ),
    (
        "skewness|kurtosis",
        r"stats.(skew|kurtosis)\(x / _row_scale\(x\), axis=-1, (fisher=True, )?\)$|"
        r"stats.kurtosis\(x / _row_scale\(x\), axis=-1, bias=True\)$",
        EQUIVALENT + "scipy's defaults are bias=True and fisher=True",
    ),
    (
        "skewness",
        r"np.nan_to_num\(np.asarray\(g, dtype=float\), (nan=0.0, )?(posinf=(None|np.inf), )?(neginf=(None|-np.inf|\+np.inf))?\)",
        EQUIVALENT + "nan=0.0 is numpy's default; and on rows divided by their scale (values in [-1, 1]) the "
        "skewness is finite whenever the row has spread (m2 >= about 1e-32 at float64's relative precision), so "
        "the posinf / neginf replacements are never used",
    ),
    (
        "xǁStandardDeviationǁ__call__",
        r"np.asarray\(x, (dtype=None)?\)",
        EQUIVALENT + "x / scale is a true division, so an integer or boolean x gives the same float64 values",
    ),
    # issue 20, stop 29
    (
        "median_in",
        r'_check_values\(values, "XXvaluesXX"|_check_finite\(v, "XXregion boundXX"\)',
        "wording: the argument name only appears in the error message",
    ),
    ("median_in", r"^removed: mde_confirm=None,$", EQUIVALENT + "Evidence's mde_confirm defaults to None"),
    (
        "distributions_differ",
        r"p_(greater|less) = min\(2\.0, BM_LEVEL_FACTOR \*",
        EQUIVALENT + "p_greater and p_less are used only through _doubled, min(1, 2 p), to which every one-sided p "
        ">= 1/2 is 1: a factored p above 1 (at most BM_LEVEL_FACTOR = 1.1) doubles to 1 as the capped 1.0 does",
    ),
    # issue 20, stop 29: the binomial cuts, mutable since their lru_cache became a call (stop 29b)
    (
        "_upper_cut_uncached|_lower_cut_uncached",
        r"np\.clip\(stats\.binom\.(isf|ppf)\(a, n, p\), (None, n|-1, None|-2, n|0, None)\)",
        EQUIVALENT + "binom.isf and binom.ppf return a count in [-1, n] for every level, so these clip bounds never "
        "bind (ppf's -1 at a = 0 gives None either way: P(X <= 0) > 0 for p < 1)",
    ),
    (
        "_upper_cut_uncached|_lower_cut_uncached",
        r"np\.clip\(stats\.binom\.(isf|ppf)\(a, n, p\), (\+1|1), n\)",
        EQUIVALENT + "the start only seeds the two walks, which end at the exact cut from any start in [-1, n + 1]; "
        "a start of 1 or 2 where the quantile puts it lower is walked down to the cut (one tail evaluation more)",
    ),
    (
        "_upper_cut_uncached",
        r"while c (>= 0|> 1) and stats\.binom\.sf\(c - 2, n, p\) <= a:",
        EQUIVALENT + "the downward walk steps from 1 to 0 (and from 0 on) only where P(X >= 0) = 1 <= a; every "
        "caller passes a level below 1 (_interval_refute_p returns before its p1 reaches 1)",
    ),
    (
        "_upper_cut_uncached",
        r"^c = 1$|^c -= 2$",
        EQUIVALENT + "a downward step that lands below the cut is climbed back to it by the upward walk: the result "
        "is the cut, at more tail evaluations where isf overshoots (tail probabilities below ~1e-17)",
    ),
    (
        "_upper_cut_uncached",
        r"while c < n and stats\.binom\.sf\(c - 1, n, p\) > a:",
        EQUIVALENT + "the upward walk starts below the cut only where isf undershoots a cut that exists (<= n), and "
        "stops at it; where no count is a cut, isf returns n and the start n + 1 is past the walk",
    ),
    (
        "_lower_cut_uncached",
        r"while c (<=|<) n and stats\.binom\.cdf\(c [+-] [12], n, p\) <?=? ?a:|^c \+= 2$",
        EQUIVALENT + "binom.ppf(a) is the smallest k with P(X <= k) >= a, so the start is the cut or one above it "
        "(on every level tried: n to 2000, tail probabilities and their neighbouring floats) and the upward walk "
        "takes no step that the downward walk does not undo; only the number of tail evaluations changes",
    ),
]


def _functions(source: str) -> dict[str, str]:
    """``{function name: source}`` of every function of the mutated module, methods included
    (mutmut names a method's mutants ``xǁClassǁmethod__mutmut_<k>``, defined in the class body)."""
    tree = ast.parse(source)
    lines = source.splitlines()
    return {
        node.name: "\n".join(lines[node.lineno - 1 : node.end_lineno])
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }


def _changed_lines(original: str, mutant: str) -> tuple[list[str], list[str]]:
    """Lines removed from and added to ``original`` (the def line's name aside)."""
    a = original.splitlines()[1:]
    b = mutant.splitlines()[1:]
    removed, added = [], []
    for line in difflib.unified_diff(a, b, lineterm="", n=0):
        if line.startswith("-") and not line.startswith("---"):
            removed.append(line[1:].strip())
        elif line.startswith("+") and not line.startswith("+++"):
            added.append(line[1:].strip())
    if original.splitlines()[0].split("(", 1)[1] != mutant.splitlines()[0].split("(", 1)[1]:
        removed.insert(0, original.splitlines()[0].split("(", 1)[1].strip())
        added.insert(0, mutant.splitlines()[0].split("(", 1)[1].strip())
    return removed, added


_STRING = re.compile(r"""(f?["'])(?:\\.|(?!\1).)*\1""")


def _message_only(removed: list[str], added: list[str]) -> bool:
    """The mutation only changes the wording inside the string literals of a raised error, a
    warning or the evidence's human-readable ``test`` label (never a dict key or an option value)."""
    if len(removed) != len(added) or not removed:
        return False
    for r, a in zip(removed, added, strict=True):
        if not (r.startswith("raise ") or "warn(" in r or r.startswith("test=") or r.startswith('f"')):
            return False
        if _STRING.sub('""', r) != _STRING.sub('""', a):
            return False
    return True


def _subject(name: str, removed: list[str], added: list[str]) -> tuple[str, str]:
    """(function, changed text) of a mutant, as ``REASONS`` patterns match them."""
    function = name.rsplit(".", 1)[1].split("__mutmut_")[0].removeprefix("x_")
    return function, " / ".join(added) if added else "removed: " + " / ".join(removed)


def _reason(name: str, removed: list[str], added: list[str]) -> str:
    """Why a survivor is harmless: a judged reason, the message category, or 'unexplained'."""
    function, changed = _subject(name, removed, added)
    for fn_pattern, line_pattern, reason in REASONS:
        if re.fullmatch(fn_pattern, function) and re.search(line_pattern, changed):
            return reason
    if _message_only(removed, added):
        return (
            "wording of an error message or of the human-readable test label (tests match messages by their key phrase)"
        )
    return "unexplained"


def _selection() -> str:
    """The test files the mutation run used (``pytest_add_cli_args_test_selection`` of pyproject.toml)."""
    import tomllib

    config = tomllib.loads(Path("pyproject.toml").read_text()).get("tool", {}).get("mutmut", {})
    return " ".join(config.get("pytest_add_cli_args_test_selection", [])) or "all tests"


def _outcome_counts(codes: dict[str, int | None]) -> tuple[Counter, int, int]:
    """(count per mutmut status, decided mutants, killed mutants): decided is every mutant run or
    without a test; killed counts kills, timeouts and type-check catches."""
    from mutmut.__main__ import status_by_exit_code

    counts = Counter(status_by_exit_code[c] for c in codes.values())
    decided = sum(v for k, v in counts.items() if k not in NOT_RUN)
    killed = sum(counts[k] for k in KILLED)
    return counts, decided, killed


def _unused_reasons(subjects: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """``REASONS`` entries that match no survivor (stale: a test now kills what they excused)."""
    return [
        entry
        for entry in REASONS
        if not any(re.fullmatch(entry[0], f) and re.search(entry[1], changed) for f, changed in subjects)
    ]


def _untested_functions(codes: dict[str, int | None]) -> list[str]:
    """Names of the functions with a mutant that no selected test reaches (mutmut exit code 33)."""
    return sorted(
        {key.rsplit(".", 1)[1].split("__mutmut_")[0].removeprefix("x_") for key, code in codes.items() if code == 33}
    )


def _failures(counts: Counter, decided: int, killed: int, unexplained: int) -> list[str]:
    """Why the run does not meet issue 10's bar (empty when it does)."""
    failures = []
    if sum(counts[k] for k in NOT_RUN):
        failures.append(f"{sum(counts[k] for k in NOT_RUN)} mutants not run: the run is incomplete")
    if not decided or killed / decided < MIN_KILL_RATE:
        failures.append(f"kill rate {killed}/{decided} below {MIN_KILL_RATE:.0%}")
    if unexplained:
        failures.append(f"{unexplained} surviving mutants unexplained: add a test that kills them or a reason")
    return failures


def _load() -> tuple[dict[str, int | None], dict[str, str]]:
    """mutmut's exit code of every mutant of the package, and every function of the mutated
    modules by its mutant-key prefix (``harness.evidence.rules.<module>.<function>``)."""
    codes: dict[str, int | None] = {}
    functions: dict[str, str] = {}
    for meta in sorted(MUTANTS.glob("*.py.meta")):
        codes |= json.loads(meta.read_text())["exit_code_by_key"]
        module = "harness.evidence.rules." + meta.name.removesuffix(".py.meta")
        source = meta.with_name(meta.name.removesuffix(".meta")).read_text()
        functions |= {f"{module}.{name}": text for name, text in _functions(source).items()}
    if not codes:
        raise SystemExit(f"no mutmut results under {MUTANTS}: run `python -m mutmut run --max-children 2` first")
    return codes, functions


def _note(argv: list[str]) -> list[str]:
    """The lines of the ``--note`` file (with a blank line after), or none without the option."""
    if not argv:
        return []
    if len(argv) != 2 or argv[0] != "--note":
        raise SystemExit("usage: python -m tests.mutation_report [--note NOTE.md]")
    return [*Path(argv[1]).read_text().rstrip("\n").splitlines(), ""]


def main(argv: list[str] | None = None) -> int:
    note = _note(sys.argv[1:] if argv is None else argv)
    codes, functions = _load()
    counts, decided, killed = _outcome_counts(codes)
    rows, by_reason, subjects = [], Counter(), []
    for key, code in sorted(codes.items()):
        if code != 0:
            continue
        fname = key.rsplit(".", 1)[1]
        orig = functions.get(key.split("__mutmut_")[0] + "__mutmut_orig", "")
        removed, added = _changed_lines(orig, functions.get(key, "")) if orig else ([], [])
        subjects.append(_subject(key, removed, added))
        reason = _reason(key, removed, added)
        by_reason["unexplained" if reason == "unexplained" else "explained"] += 1
        rows.append(
            (
                fname.split("__mutmut_")[0].removeprefix("x_"),
                key.rsplit("__mutmut_", 1)[1],
                " / ".join(removed) or "?",
                " / ".join(added) or "?",
                reason,
            )
        )
    lines = [
        "# Mutation testing of the verdict rules (issue 10)",
        "",
        "Generated by `python -m tests.mutation_report` from the results of `python -m mutmut run` on",
        "the package `harness/evidence/rules/` (`[tool.mutmut]` in `pyproject.toml`). Test selection of the run:",
        f"`{_selection()}`.",
        "",
        *note,
        f"- mutants: {len(codes)}; decided: {decided}; killed (incl. timeouts): {killed}; survived: {counts['survived']}",
        f"- kill rate: {killed / decided:.1%} of decided mutants (a mutant with no test counts as not killed)"
        if decided
        else "- kill rate: —",
        "- outcomes (mutmut's): " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())),
        f"- survivors explained: {by_reason['explained']}; unexplained: {by_reason['unexplained']}",
        "- functions whose mutants no selected test reaches (counted as not killed): "
        + (", ".join(f"`{f}`" for f in _untested_functions(codes)) or "none"),
        "",
        "## Surviving mutants",
        "",
        "| function | # | original | mutant | why it is harmless |",
        "|---|---|---|---|---|",
    ]
    for fn, k, removed, added, reason in rows:
        cell = lambda s: s.replace("|", "\\|")[:160]  # noqa: E731
        why = reason.replace("|", "\\|")
        lines.append(f"| `{fn}` | {k} | `{cell(removed)}` | `{cell(added)}` | {why} |")
    OUT.write_text("\n".join(lines) + "\n")
    print(
        f"wrote {OUT}: {killed}/{decided} killed, {counts['survived']} survived, {by_reason['unexplained']} unexplained"
    )
    for fn_pattern, line_pattern, _why in _unused_reasons(subjects):
        print(f"note: the reason for {fn_pattern!r} / {line_pattern!r} matches no survivor (stale?)", file=sys.stderr)
    failures = _failures(counts, decided, killed, by_reason["unexplained"])
    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
