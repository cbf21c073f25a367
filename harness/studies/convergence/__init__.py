"""Source 000/001's study: convergence time of ``y = |Wx + b|`` on centered XOR.

Modules, low to high: ``traces`` (the protocol, seeded population runs and the closed-form
landscape), ``calibration`` (the unstated settings, fitted to 000's baseline), ``features``
(the 18 features of 000), ``dataset`` (the regression rows), ``regression`` (the 11 regressors
of table 2.1, CV schemes, one BLAS-thread limiter), ``tables`` (table 2.1 cross-validated),
``findings_000`` (000's other analyses), ``questions_001`` (001's questions) and ``study`` (the
seeded, lazily built study both claim packages share). This ``__init__`` re-exports the public
names of the study modules, so ``from harness.studies import convergence as C`` gives them all.
"""

from harness.studies.convergence.calibration import (
    DEFAULT_GRID_LRS,
    DEFAULT_GRID_MAX_EPOCHS,
    DEFAULT_GRID_SCALES,
    DISTANCES,
    SHARED_CALIBRATION_TRACES,
    Calibration,
    CalibrationPoint,
    calibrate,
    calibration_distance,
    min_variance_given_range,
    shared_calibration,
)
from harness.studies.convergence.dataset import (
    Rows,
    build_dataset,
    gradient_alignment,
    member_gradients,
)
from harness.studies.convergence.findings_000 import (
    BEYOND_DISTANCE_FEATURES,
    FEATURE_FAMILIES,
    Ablation,
    GainResult,
    NormRatioStats,
    SmartInit,
    beyond_distance_gain,
    distance_form_comparison,
    feature_family_ablation,
    feature_importances,
    norm_ratio_stats,
    smart_init_experiment,
)
from harness.studies.convergence.questions_001 import (
    AlignmentCorrelation,
    HeatmapGrid,
    InitPredictability,
    KruskalResult,
    MarkovCheck,
    TrajectoryDivergence,
    activation_patterns,
    alignment_spearman,
    heatmap_grid,
    initial_state_predictability,
    markov_check,
    pattern_switches,
    predicted_heatmap,
    relevant_samples,
    spearman_by_traces,
    trajectory_divergence,
)
from harness.studies.convergence.tables import (
    FAST_GB_TREES,
    FAST_MLP_MAX_ITER,
    FAST_RF_TREES,
    ModelScore,
    ModelTable,
    bootstrap_r2_replicates,
    fit_model,
    fold_r2_sd_statistic,
    model_table,
    mse_gap_statistic,
    r2_statistic,
    table_model,
    trace_sums,
)
from harness.studies.convergence.traces import (
    MODEL_NAME,
    N_PARAMS,
    SPURIOUS_LOSS,
    TraceProtocol,
    Traces,
    convergence_counts,
    draw_inits,
    generate_solved_traces,
    generate_traces,
    geometric_epochs,
    region_minimum,
    run_traces,
    spurious_minimum_count,
)

__all__ = [
    "DEFAULT_GRID_LRS", "DEFAULT_GRID_MAX_EPOCHS", "DEFAULT_GRID_SCALES", "DISTANCES", "SHARED_CALIBRATION_TRACES",
    "Calibration", "CalibrationPoint", "calibrate", "calibration_distance", "min_variance_given_range",
    "shared_calibration",
    "Rows", "build_dataset", "gradient_alignment", "member_gradients",
    "BEYOND_DISTANCE_FEATURES", "FEATURE_FAMILIES", "Ablation", "GainResult", "NormRatioStats", "SmartInit",
    "beyond_distance_gain", "distance_form_comparison", "feature_family_ablation", "feature_importances",
    "norm_ratio_stats", "smart_init_experiment",
    "AlignmentCorrelation", "HeatmapGrid", "InitPredictability", "KruskalResult", "MarkovCheck",
    "TrajectoryDivergence", "activation_patterns", "alignment_spearman", "heatmap_grid",
    "initial_state_predictability", "markov_check", "pattern_switches", "predicted_heatmap", "relevant_samples",
    "spearman_by_traces", "trajectory_divergence",
    "FAST_GB_TREES", "FAST_MLP_MAX_ITER", "FAST_RF_TREES", "ModelScore", "ModelTable", "bootstrap_r2_replicates",
    "fit_model", "fold_r2_sd_statistic", "model_table", "mse_gap_statistic", "r2_statistic", "table_model",
    "trace_sums",
    "MODEL_NAME", "N_PARAMS", "SPURIOUS_LOSS", "TraceProtocol", "Traces", "convergence_counts", "draw_inits",
    "generate_solved_traces", "generate_traces", "geometric_epochs", "region_minimum", "run_traces", "spurious_minimum_count",
]
