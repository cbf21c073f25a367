"""Source-002 study: per-member rejection sampling, per-parameter draws, memberwise optimizer, metrics, rules."""

import math

import numpy as np
import pytest
import torch
from scipy import stats as sps

from harness.engine import data, init, models
from harness.engine.optim import adam, sgd
from harness.engine.schedules import Constant
from harness.engine.trainer import StoppingRule, train
from harness.evidence.verdicts import Verdict
from harness.studies.loss_sampling import calibration as cal
from harness.studies.loss_sampling import evidence as rules
from harness.studies.loss_sampling.metrics import dead_units, mirror_symmetric
from harness.studies.loss_sampling.optimizers import MemberwiseOptimizer
from harness.studies.loss_sampling.schemes import SCHEMES, get_scheme, reference_percentiles

MODEL = models.get_model("relu_pair")
XOR = data.centered_xor()


def _propose(n, g):
    return init.per_param_uniform(n, [0.7071] * 6, generator=g)


def _sample(threshold, *, seed=0, population=400, **kw):
    return init.sample_until(
        MODEL,
        XOR,
        population=population,
        propose=_propose,
        accept=lambda loss: loss < threshold,
        generator=torch.Generator().manual_seed(seed),
        **kw,
    )


def test_sample_until_accepts_only_below_threshold():
    s = _sample(0.3)
    assert s.params.shape == (400, 6) and not s.capped.any()
    assert float(s.loss.max()) < 0.3
    recomputed = ((models.batched_forward(MODEL, s.params, XOR.X) - XOR.Y) ** 2).mean(dim=(1, 2))
    assert torch.allclose(recomputed.double(), s.loss, rtol=1e-5, atol=1e-7)


def test_sample_until_draws_are_geometric():
    s = _sample(0.3, population=3000)
    p_hat = 1 / float(s.draws.double().mean())
    counts = np.bincount(s.draws.numpy(), minlength=40)[1:40]
    expected = 3000 * sps.geom(p_hat).pmf(np.arange(1, 40))
    # Chi-square over the well-filled cells; a geometric count has no memory of block boundaries.
    cells = expected > 10
    stat = ((counts[cells] - expected[cells]) ** 2 / expected[cells]).sum()
    assert sps.chi2.sf(stat, cells.sum() - 2) > 1e-3


def test_sample_until_is_seeded():
    a, b, c = _sample(0.3, seed=1), _sample(0.3, seed=1), _sample(0.3, seed=2)
    assert torch.equal(a.params, b.params) and torch.equal(a.draws, b.draws) and not torch.equal(a.params, c.params)


def test_sample_until_reports_the_cap():
    s = _sample(1e-12, population=5, max_draws=20)
    assert s.capped.all() and (s.draws == 20).all() and s.total_draws == 100


@pytest.mark.parametrize("kw", [{"block": 0}, {"max_draws": 0}, {"population": 0}], ids=["block", "cap", "population"])
def test_sample_until_rejects_bad_settings(kw):
    with pytest.raises(ValueError):
        _sample(0.3, **kw)


def test_per_param_draws_respect_bounds_and_zero():
    g = torch.Generator().manual_seed(0)
    u = init.per_param_uniform(5000, [0.5, 0.0, 2.0], generator=g)
    assert float(u[:, 0].abs().max()) <= 0.5 and (u[:, 1] == 0).all() and float(u[:, 2].abs().max()) > 1.5
    n = init.per_param_normal(20000, [1.0, 0.0], generator=g)
    assert float(n[:, 0].std()) == pytest.approx(1.0, rel=0.03) and (n[:, 1] == 0).all()


@pytest.mark.parametrize("scales", [[], [1.0, -1.0], [float("nan")]], ids=["empty", "negative", "nan"])
def test_per_param_draws_reject_bad_scales(scales):
    with pytest.raises(ValueError):
        init.per_param_uniform(3, scales, generator=torch.Generator())


def test_memberwise_optimizer_matches_separate_training():
    p = init.per_param_uniform(6, [0.7071] * 6, generator=torch.Generator().manual_seed(3)).double()
    rule = StoppingRule(max_epochs=30)
    which, lrs = (0, 0, 0, 1, 1, 1), (0.01, 0.05, 0.01, 0.1, 0.2, 0.1)
    mixed = train(
        MODEL,
        p,
        XOR,
        MemberwiseOptimizer((adam(), sgd()), which, lrs),
        schedule=Constant(1.0),
        stopping=rule,
        compile=False,
    )
    for b, (w, lr) in enumerate(zip(which, lrs, strict=True)):
        alone = train(MODEL, p[b : b + 1], XOR, (adam(), sgd())[w], schedule=Constant(lr), stopping=rule, compile=False)
        assert torch.allclose(mixed.params[b], alone.params[0], rtol=1e-10, atol=1e-12)


def test_memberwise_optimizer_rejects_bad_configuration():
    with pytest.raises(ValueError):
        MemberwiseOptimizer((adam(),), (1,), (0.1,))
    with pytest.raises(ValueError):
        MemberwiseOptimizer((adam(),), (0, 0), (0.1,))


def test_dead_units_and_mirror():
    # |x0 - x1| / 2 as ReLU(z) + ReLU(-z): mirrored, no dead unit; second member has unit 1 dead.
    params = torch.tensor([[0.5, -0.5, -0.5, 0.5, 0.0, 0.0], [0.5, -0.5, 0.1, 0.1, 0.0, -1.0]])
    assert dead_units(MODEL, params, XOR.X).tolist() == [0, 1]
    assert mirror_symmetric(MODEL, params).tolist() == [True, False]


def test_rate_matches_reads_the_document_count():
    assert rules.rate_matches(580, 1000, 29, 50).verdict is Verdict.CONFIRMED
    assert rules.rate_matches(100, 1000, 29, 50).verdict is Verdict.REFUTED
    assert rules.rate_matches(40, 50, 50, 50).verdict is Verdict.REFUTED  # k = m: an "always" claim


def test_rank_correlation_exceeds_detects_a_monotone_relation():
    # A noisy monotone relation: a perfect one has no bootstrap spread, which the BCa rule leaves
    # undecided (inconclusive, estimate 1) rather than pretending to an interval.
    gen = np.random.default_rng(3)
    x = gen.uniform(size=200)
    ev = rules.rank_correlation_exceeds(x, x**2 + 0.05 * gen.normal(size=200), 0.0, rng=np.random.default_rng(4))
    assert ev.verdict is Verdict.CONFIRMED and ev.estimate > 0.9
    perfect = rules.rank_correlation_exceeds(x, x**2, 0.0, rng=np.random.default_rng(4))
    assert perfect.verdict is Verdict.INCONCLUSIVE and perfect.estimate == pytest.approx(1.0, abs=1e-12)


def test_rank_correlation_matches_scipy_spearman():
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=60), rng.normal(size=60)
    y[:10] = y[10:20]  # ties
    ev = rules.rank_correlation_exceeds(x, y + 0.5 * x, 0.0, rng=np.random.default_rng(6))
    assert ev.estimate == pytest.approx(sps.spearmanr(x, y + 0.5 * x).statistic, rel=1e-12)


def test_r2_exceeds_matches_scipy_linregress_and_decides_both_ways():
    rng = np.random.default_rng(7)
    x = rng.uniform(size=300)
    y = 2 * x + 0.1 * rng.normal(size=300)
    ev = rules.r2_exceeds(x, y, 0.5, rng=np.random.default_rng(8))
    assert ev.estimate == pytest.approx(sps.linregress(x, y).rvalue ** 2, rel=1e-12)
    assert ev.verdict is Verdict.CONFIRMED
    assert rules.r2_exceeds(x, y, 0.99, rng=np.random.default_rng(8)).verdict is Verdict.REFUTED
    with pytest.raises(ValueError):
        rules.r2_exceeds(x[:2], y[:2], 0.5, rng=np.random.default_rng(8))


def test_failure_tolerance_is_the_documents_own_clopper_pearson_bound():
    assert rules.failure_tolerance(50, 0.05) == pytest.approx(1 - 0.025 ** (1 / 50), rel=1e-12)
    assert rules.failure_tolerance(50, 0.05) == pytest.approx(0.0711, abs=1e-4)
    assert rules.rate_matches(50, 50, 50, 50).verdict is Verdict.CONFIRMED  # the document's own 50/50 again
    assert rules.rate_matches(49, 50, 50, 50).verdict is Verdict.REFUTED  # a counter-example


def test_log_distance_is_zero_at_the_target():
    target = cal.CONTROL_TARGETS["relu_pair"]
    assert cal.log_distance(dict(target), target) == pytest.approx(0.0, abs=1e-12)
    assert cal.log_distance({**target, "median": 246}, target) == pytest.approx(math.log(2) ** 2)
    assert cal.log_distance({**target, "converged": 0.0}, target) > 100  # successes that never converged: no fit


def test_schemes_and_reference_percentiles():
    assert get_scheme("pytorch_default").scales(MODEL) == [1 / math.sqrt(2)] * 6
    assert set(SCHEMES) >= {"standard_normal", "pytorch_default", "xavier_normal"}
    with pytest.raises(ValueError):
        get_scheme("nope")
    ref = reference_percentiles(np.arange(101.0), [0, 50])
    assert ref == {0.0: 0.0, 50.0: 50.0}


def test_typical_summary_uses_disjoint_samples_of_100():
    losses = np.tile(np.arange(100.0), 3)  # three identical samples of 100
    out = cal.typical_summary(losses)
    assert out == {"mean": 49.5, "median": 49.5, "p25": 24.75, "p0": 0.0, "max": 99.0}
    with pytest.raises(ValueError):
        cal.typical_summary(np.arange(10.0))


def test_settle_reads_stops_off_a_trajectory():
    # Two members: loss crosses 0.01 at epoch 2 for member 0, never for member 1.
    loss = torch.tensor([[1.0, 1.0], [0.5, 0.9], [0.005, 0.8], [0.001, 0.7]])
    good = torch.tensor([0.5, -0.5, -0.5, 0.5, 0.0, 0.0])  # solves XOR exactly
    bad = torch.zeros(6)
    params = torch.stack([torch.stack([good, bad])] * 4)  # (S, B, P)
    traj = type("T", (), {"loss": loss, "params": params})()
    success, epochs, converged = cal.settle(MODEL, XOR, traj, 0.01, 3)
    assert success.tolist() == [True, False] and epochs.tolist() == [2, 3] and converged.tolist() == [True, False]


def test_choose_training_prefers_the_closest_grid_point_and_ignores_nan():
    target = cal.CONTROL_TARGETS["mlp_2_2_2"]
    table = {
        (0.1, 0.01, 600): {**target, "p10": 820.0},
        (0.2, 0.01, 600): dict(target),
        (0.3, 0.01, 600): {**target, "p10": float("nan")},
    }
    assert cal.choose_training("mlp_2_2_2", table) == (0.2, 0.01, 600)


def test_epoch_summary_counts_only_successful_runs():
    out = cal.epoch_summary(np.array([True, True, False]), np.array([10, 30, 600]), np.array([True, False, False]))
    assert out["success"] == pytest.approx(2 / 3) and out["median"] == 20 and out["converged"] == 0.5


def test_rate_region_is_the_clopper_pearson_interval():
    lo, hi = rules.rate_region(29, 50, 0.05)
    assert lo == pytest.approx(sps.beta.ppf(0.025, 29, 22)) and hi == pytest.approx(sps.beta.ppf(0.975, 30, 21))
    with pytest.raises(ValueError):
        rules.rate_region(51, 50, 0.05)


def _study(lr=None, **kw):
    """A quick-tier model-1 study with a fixed short training protocol (no calibration run)."""
    from harness.studies.loss_sampling.study import LossSamplingStudy

    fixed = cal.TrainingCalibration(0.01, 1e-3, 40, {})
    return LossSamplingStudy(0, "quick", "relu_pair", lr=lr, calibration=fixed, **kw)


def _assert_same_outcomes(a, b):
    for field in a.__dict__:
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)


def test_studies_trained_together_equal_each_study_trained_alone():
    from harness.studies.loss_sampling.study import train_together

    base = _study()
    variant = _study(lr=0.02, samples=base.samples, own_optimizer_only=True)
    train_together([base, variant])
    alone, variant_alone = _study(), _study(lr=0.02, own_optimizer_only=True)
    for key, run in alone.runs.items():
        _assert_same_outcomes(base.runs[key].outcomes, run.outcomes)
    for key, run in variant_alone.runs.items():
        _assert_same_outcomes(variant.runs[key].outcomes, run.outcomes)
        assert variant.runs[key].sample is base.runs[key].sample  # the variant trains the base's very draws


def test_own_optimizer_only_plans_the_models_own_optimizer():
    assert {opt for _, opt in _study(own_optimizer_only=True).plan()} == {"adam"}
    assert {opt for _, opt in _study().plan()} == {"adam", "sgd"}


def test_train_together_needs_one_stopping_rule():
    from harness.studies.loss_sampling.study import LossSamplingStudy, train_together

    other = LossSamplingStudy(0, "quick", "relu_pair", calibration=cal.TrainingCalibration(0.01, 1e-3, 50, {}))
    with pytest.raises(ValueError, match="stopping rule"):
        train_together([_study(), other])


def test_train_group_needs_one_lr_per_member():
    from harness.studies.loss_sampling.study import train_group

    with pytest.raises(ValueError, match="learning rate per member"):
        train_group(MODEL, XOR, torch.zeros(3, 6), "adam", [0.1, 0.1], StoppingRule(max_epochs=1), record=False)
