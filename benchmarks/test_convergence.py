"""Trace generation and feature extraction of the convergence-time study (sources 000 and 001).

One timed round generates 2,000 recorded traces of ``y = |Wx + b|`` on centered XOR (the full
tier's sample) and builds their regression rows: the 18 features of source 000, loss, gradient
and alignment per row (``convergence.generate_traces`` + ``convergence.build_dataset``). The
settings are fixed near the calibrated ones (no calibration inside the benchmark), so the work
per round does not depend on the seed. ``extra_info["member_epochs"]`` counts the updates run.
"""

from __future__ import annotations

from harness.seeds import seed_sequence
from harness.studies import convergence as C

N_TRACES = 2000
# Near the calibrated point of claims/s000_convergence_time (lr 0.09, scale 0.3, cap 38 for
# master seed 0): ~34 epochs per trace, ~68,000 rows.
PROTOCOL = C.TraceProtocol(lr=0.09, init_scale=0.3, max_epochs=38, n_traces=N_TRACES)


def _traces_and_rows() -> tuple[int, int]:
    traces = C.generate_traces(PROTOCOL, seed_seq=seed_sequence(0, "benchmark", "convergence"))
    rows = C.build_dataset(traces)
    return int(traces.epochs.sum()), rows.n_rows


def test_traces_and_features_2000(benchmark, rounds):
    member_epochs, n_rows = benchmark.pedantic(_traces_and_rows, rounds=rounds(5), warmup_rounds=1)
    assert member_epochs > 0 and n_rows == member_epochs  # one row per update
    benchmark.extra_info["member_epochs"] = member_epochs
    benchmark.extra_info["population"] = N_TRACES
    benchmark.extra_info["rows"] = n_rows
