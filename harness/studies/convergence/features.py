"""Features of a parameter state relative to its converged state (sources 000 and 001).

What this is: pure numpy functions that turn the recorded parameters of training traces into
the regression data set of source 000 ("Predicting Neural Network Convergence Time from
Parameter State"): one row per recorded state, features comparing ``current`` with ``final``
parameters, target ``epochs_remaining``. What this is not: a trainer (traces come from
``harness.engine.trainer``) or a model fitter (``harness.studies.convergence.regression``).

Shapes use fixed letters: ``R`` rows (recorded states), ``P`` parameters, ``F`` features,
``T`` epochs, ``B`` population members (traces). For ``y = |Wx + b|``, ``P = 3`` with
``p0 = W0``, ``p1 = W1``, ``p2 = b``. Appendix A.1 writes ``pi_init``; in the data set every
recorded state plays the role of ``init`` (section 1.2: "each epoch becomes a training
example"), so here it is ``current``.

How 18 features arise (a finding, not a convention). Section 1.3 of source 000 announces
"18 features" and lists five families: distance metrics (4), raw differences (3), ratios (3),
log transforms (3), interactions (3). Read literally that sums to 4 + 3 + 3 + 3 + 3 = 16, not
18. Appendix A.1 gives formulas for only three distance metrics (L1, L2, cosine); it has no
formula for "Parameter-wise". Source 001 (section 3.1) defines "Parameter-wise" as
"Individual ``|current_i - final_i|`` for each parameter", i.e. P = 3 columns. Counting that
family as 3 columns gives 3 (L1, L2, cosine) + 3 (parameter-wise) + 3 + 3 + 3 + 3 = 18, the
announced total, so that is the reading adopted in :data:`FEATURE_NAMES_000`. Consequences a
claim should know: the design matrix is rank-deficient by construction
(``l1_distance == absdiff_p0 + absdiff_p1 + absdiff_p2`` exactly), and ``log_diff_pi`` is a
monotone function of ``absdiff_pi``. Chebyshev distance (source 001 only, ``max_i |diff_i|``)
is available by name (``chebyshev_distance``) but is not one of the 18.

Conventions for the edge cases the sources leave open:

* cosine distance with a zero-norm ``current`` or ``final`` row is undefined; we raise
  ``ValueError`` rather than invent 0 or 1 (a zero parameter vector does not occur for
  random initialisations, so a silent convention would only hide a bug). Values are clipped
  to ``[0, 2]`` against round-off.
* ratios follow A.1 literally, ``current_i / (final_i + 1e-8)``; the ``+1e-8`` does not guard
  negative ``final_i``, so any non-finite feature value raises ``ValueError`` naming the
  feature instead of returning inf.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence

import numpy as np

EPS = 1e-8  # the epsilon of appendix A.1 (ratios and log transforms)


def _param_names(p: int) -> list[str]:
    return [f"p{i}" for i in range(p)]


def _pairs(p: int) -> list[tuple[int, int]]:
    return list(itertools.combinations(range(p), 2))


def feature_names_000(p: int = 3) -> tuple[str, ...]:
    """Names of the source-000 feature set for ``p`` parameters (18 names when ``p == 3``).

    Order: distances (``l1_distance``, ``l2_distance``, ``cosine_distance``), parameter-wise
    ``absdiff_pi``, ``diff_pi``, ``ratio_pi``, ``log_diff_pi``, ``interaction_pi_pj`` (i < j).
    """
    if p < 1:
        raise ValueError(f"p must be >= 1, got {p}")
    ps = _param_names(p)
    return (
        ("l1_distance", "l2_distance", "cosine_distance")
        + tuple(f"absdiff_{q}" for q in ps)
        + tuple(f"diff_{q}" for q in ps)
        + tuple(f"ratio_{q}" for q in ps)
        + tuple(f"log_diff_{q}" for q in ps)
        + tuple(f"interaction_p{i}_p{j}" for i, j in _pairs(p))
    )


FEATURE_NAMES_000: tuple[str, ...] = feature_names_000(3)
"""The 18 features of source 000 for ``y = |Wx + b|`` (P = 3); see the module docstring."""

EXTRA_FEATURE_NAMES: tuple[str, ...] = ("chebyshev_distance",)
"""Features available by name beyond the 18 (``chebyshev_distance`` from source 001)."""


def _check_pair(current: np.ndarray, final: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    current = np.asarray(current, dtype=np.float64)
    final = np.asarray(final, dtype=np.float64)
    if current.ndim != 2 or final.ndim != 2:
        raise ValueError(f"current and final must be 2-D (R, P); got shapes {current.shape} and {final.shape}")
    if current.shape[1] != final.shape[1]:
        raise ValueError(f"parameter count P mismatch: current has {current.shape[1]}, final has {final.shape[1]}")
    if current.shape[0] != final.shape[0]:
        raise ValueError(f"row count R mismatch: current has {current.shape[0]}, final has {final.shape[0]}")
    if current.shape[0] == 0:
        raise ValueError("no rows: R must be >= 1")
    if current.shape[1] == 0:
        raise ValueError("no parameters: P must be >= 1")
    if not (np.isfinite(current).all() and np.isfinite(final).all()):
        raise ValueError("current and final must be finite (no NaN or inf)")
    return current, final


def differences(current: np.ndarray, final: np.ndarray) -> np.ndarray:
    """Signed differences ``diff_i = current_i - final_i``: (R, P), (R, P) -> (R, P)."""
    current, final = _check_pair(current, final)
    return current - final


def abs_differences(current: np.ndarray, final: np.ndarray) -> np.ndarray:
    """Parameter-wise distances ``|current_i - final_i|`` (source 001, 3.1): -> (R, P)."""
    return np.abs(differences(current, final))


def l1_distance(current: np.ndarray, final: np.ndarray) -> np.ndarray:
    """``sum_i |current_i - final_i|``: (R, P), (R, P) -> (R,)."""
    return np.abs(differences(current, final)).sum(axis=1)


def l2_distance(current: np.ndarray, final: np.ndarray) -> np.ndarray:
    """``sqrt(sum_i (current_i - final_i)^2)``: (R, P), (R, P) -> (R,)."""
    return np.linalg.norm(differences(current, final), axis=1)


def chebyshev_distance(current: np.ndarray, final: np.ndarray) -> np.ndarray:
    """``max_i |current_i - final_i|`` (source 001 only): (R, P), (R, P) -> (R,)."""
    return np.abs(differences(current, final)).max(axis=1)


def cosine_distance(current: np.ndarray, final: np.ndarray) -> np.ndarray:
    """``1 - current.final / (||current|| ||final||)`` in ``[0, 2]``: -> (R,).

    Raises ``ValueError`` if any row of ``current`` or ``final`` has zero norm (undefined).
    """
    current, final = _check_pair(current, final)
    nc = np.linalg.norm(current, axis=1)
    nf = np.linalg.norm(final, axis=1)
    zero = (nc == 0.0) | (nf == 0.0)
    if zero.any():
        rows = np.flatnonzero(zero)[:5].tolist()
        raise ValueError(f"cosine distance undefined for zero-norm rows (first: {rows})")
    cos = np.einsum("rp,rp->r", current, final) / (nc * nf)
    return np.clip(1.0 - cos, 0.0, 2.0)


def ratios(current: np.ndarray, final: np.ndarray) -> np.ndarray:
    """``current_i / (final_i + 1e-8)`` exactly as appendix A.1: -> (R, P)."""
    current, final = _check_pair(current, final)
    with np.errstate(divide="ignore", invalid="ignore"):
        return current / (final + EPS)


def log_abs_differences(current: np.ndarray, final: np.ndarray) -> np.ndarray:
    """``log(|current_i - final_i| + 1e-8)`` (natural log): -> (R, P)."""
    return np.log(abs_differences(current, final) + EPS)


def interactions(current: np.ndarray, final: np.ndarray) -> np.ndarray:
    """``diff_i * diff_j`` for each pair ``i < j`` in lexicographic order: -> (R, P(P-1)/2)."""
    d = differences(current, final)
    pairs = _pairs(d.shape[1])
    if not pairs:
        return np.empty((d.shape[0], 0))
    i, j = np.array(pairs).T
    return d[:, i] * d[:, j]


_VECTOR_FEATURES: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "l1_distance": l1_distance,
    "l2_distance": l2_distance,
    "cosine_distance": cosine_distance,
    "chebyshev_distance": chebyshev_distance,
}
_PER_PARAM_FAMILIES: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "absdiff": abs_differences,
    "diff": differences,
    "ratio": ratios,
    "log_diff": log_abs_differences,
}
_PER_PARAM_RE = re.compile(r"^(absdiff|diff|ratio|log_diff)_p(\d+)$")
_PAIR_RE = re.compile(r"^interaction_p(\d+)_p(\d+)$")


def available_feature_names(p: int = 3) -> tuple[str, ...]:
    """Every name :func:`extract_features` accepts for ``p`` parameters."""
    return feature_names_000(p) + EXTRA_FEATURE_NAMES


def extract_features(
    current: np.ndarray,
    final: np.ndarray,
    names: Sequence[str] = FEATURE_NAMES_000,
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Named feature matrix for rows of (current, final) parameter states.

    Args:
        current: (R, P) parameters at each recorded state.
        final: (R, P) converged parameters of the trace each row belongs to.
        names: features to compute, in column order; see :func:`available_feature_names`.

    Returns:
        ``(X, names)`` with ``X`` of shape (R, F), ``F = len(names)``, float64.

    Raises:
        ValueError: shape or P mismatch, R == 0, NaN/inf input, unknown or duplicate names,
            zero-norm rows for ``cosine_distance``, or a non-finite feature value.
    """
    current, final = _check_pair(current, final)
    p = current.shape[1]
    names = tuple(names)
    if not names:
        raise ValueError("names must not be empty")
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate feature names in {names}")
    valid = available_feature_names(p)
    unknown = [n for n in names if n not in valid]
    if unknown:
        raise ValueError(f"unknown feature names {unknown} for P={p}; valid: {', '.join(valid)}")

    cache: dict[str, np.ndarray] = {}

    def family(key: str) -> np.ndarray:
        if key not in cache:
            cache[key] = _PER_PARAM_FAMILIES[key](current, final)
        return cache[key]

    columns = []
    for name in names:
        if name in _VECTOR_FEATURES:
            col = _VECTOR_FEATURES[name](current, final)
        elif (m := _PER_PARAM_RE.match(name)) is not None:
            col = family(m.group(1))[:, int(m.group(2))]
        else:
            m = _PAIR_RE.match(name)
            assert m is not None  # guaranteed by the `valid` check above
            d = family("diff")
            col = d[:, int(m.group(1))] * d[:, int(m.group(2))]
        columns.append(col)
    X = np.stack(columns, axis=1)  # (R, F)
    bad = ~np.isfinite(X).all(axis=0)
    if bad.any():
        raise ValueError(
            f"non-finite values in features {[n for n, b in zip(names, bad, strict=True) if b]} (e.g. ratio with final_i == -1e-8)"
        )
    return X, names


def rows_from_trajectory(
    params_traj: np.ndarray,
    epochs_used: np.ndarray,
    *,
    include_final: bool = False,
) -> dict[str, np.ndarray]:
    """Turn recorded population trajectories into the data set of source 000 (one row per state).

    Member ``b`` took ``e = epochs_used[b]`` updates, so its recorded states are
    ``params_traj[0..e, b]`` (state ``t`` is the parameters after ``t`` epochs) and its final
    state is ``params_traj[e, b]``. State ``t`` gives the row ``current = params_traj[t, b]``,
    ``final = params_traj[e, b]``, ``epochs_remaining = e - t``, ``trace_id = b``,
    ``epoch = t``. States after ``e`` (padding once a member has converged) are never used.

    ``include_final=False`` (default) keeps states ``0..e-1``: ``e`` rows per trace, targets
    ``1..e``. ``include_final=True`` also keeps the final state (target 0, all distances 0):
    ``e + 1`` rows per trace.

    The document's counts: 100 traces, "Total epochs: 3,445", "Data points created: 3,345"
    differ by exactly one row per trace. That is what ``include_final=False`` gives if the
    3,445 "epochs" count recorded states (``sum_b (e_b + 1)``, initial state included): then
    ``sum_b e_b = 3,345`` rows. If instead 3,445 counts updates (``sum_b e_b``),
    ``include_final=False`` gives 3,445 rows and ``True`` 3,545, and 3,345 would need two
    states dropped per trace (neither reading here). The reported target "Range from 1 to 38"
    also fits ``include_final=False`` (no zero targets). Note that "range 1 to 38, mean 34.5,
    variance 9.11" cannot all describe the 100 per-trace epoch counts: a single trace at 1
    with mean 34.45 already contributes ``(34.45 - 1)^2 / 100 = 11.2 > 9.11`` to the variance.

    Args:
        params_traj: (T+1, B, P) recorded parameters, state 0 = initialisation.
        epochs_used: (B,) integer updates per member, each in ``[0, T]``.
        include_final: keep the converged state itself as a row (target 0).

    Returns:
        dict with ``current`` (R, P), ``final`` (R, P) float64, ``epochs_remaining`` (R,),
        ``trace_id`` (R,), ``epoch`` (R,) int64; rows ordered by trace, then epoch.
    """
    traj = np.asarray(params_traj, dtype=np.float64)
    if traj.ndim != 3:
        raise ValueError(f"params_traj must be 3-D (T+1, B, P), got shape {traj.shape}")
    n_states, b, p = traj.shape
    e_raw = np.asarray(epochs_used)
    if e_raw.shape != (b,):
        raise ValueError(f"epochs_used must have shape ({b},), got {e_raw.shape}")
    if e_raw.size and not np.all(np.equal(np.mod(e_raw, 1), 0)):
        raise ValueError("epochs_used must hold whole numbers")
    e = e_raw.astype(np.int64)
    if e.size and (e.min() < 0 or e.max() > n_states - 1):
        raise ValueError(f"epochs_used must lie in [0, T={n_states - 1}], got [{e.min()}, {e.max()}]")
    # Only states 0..e_b are used, so only they need be finite.
    t = np.arange(n_states)[:, None]  # (T+1, 1)
    used = t <= e[None, :]  # (T+1, B)
    if not np.isfinite(traj[used]).all():
        raise ValueError("params_traj must be finite at every used state (t <= epochs_used[b])")

    keep = (t <= e[None, :]) if include_final else (t < e[None, :])  # (T+1, B)
    keep_bt = keep.T  # (B, T+1): trace-major row order
    trace_id, epoch = np.nonzero(keep_bt)
    current = traj[epoch, trace_id]  # (R, P)
    final = traj[e[trace_id], trace_id]  # (R, P)
    return {
        "current": current,
        "final": final,
        "epochs_remaining": (e[trace_id] - epoch).astype(np.int64),
        "trace_id": trace_id.astype(np.int64),
        "epoch": epoch.astype(np.int64),
    }
