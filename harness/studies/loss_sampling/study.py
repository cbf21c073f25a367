"""The source-002 study of one model: calibration, baseline draws, the arms sampled and trained as one population.

Arms (2.2): ``control`` (plain draws of the scheme), ``p50`` / ``p25`` / ``p0`` (draw until the
initial loss is below the 50th / 25th / 0th percentile threshold) and ``anti_p50`` (above the
50th). Thresholds are the document's stated loss values (3.2 / 4.2 "Initial Loss Filter") or,
with ``threshold_mode="reference"``, the percentiles of a fresh reference sample of 100
initialisations (the document's own procedure). Every stream descends from the master seed via
``seed_sequence(master_seed, "002", model, piece)``; claim seeds use other paths, so calibration
and claims never share draws.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch

from harness.engine.init import MemberSample, sample_until
from harness.engine.losses import accuracy, mse
from harness.engine.optim import adam, sgd
from harness.engine.rng import torch_generator
from harness.engine.schedules import Constant
from harness.engine.trainer import StoppingRule, TrainResult, train
from harness.seeds import seed_sequence
from harness.studies.loss_sampling import calibration as cal
from harness.studies.loss_sampling.metrics import Outcomes, outcomes
from harness.studies.loss_sampling.optimizers import MemberwiseOptimizer
from harness.studies.loss_sampling.schemes import get_scheme, model_and_data, reference_percentiles

# 3.2 / 4.2 "Initial Loss Filter" values, keyed by percentile.
STATED_THRESHOLDS = {"relu_pair": {50.0: 0.468, 25.0: 0.325, 0.0: 0.072}, "mlp_2_2_2": {0.0: 0.326}}
OPTIMIZER_OF = {"relu_pair": "adam", "mlp_2_2_2": "sgd"}  # 2.1
OPTIMIZERS = {"adam": adam(), "sgd": sgd()}
MAX_DRAWS = 100_000  # cap on candidates per member (reported; A.3's rarest arm needs ~100)


@dataclass(frozen=True)
class Arm:
    """An initialisation strategy: sample until the initial loss is below (``above``: above) a percentile."""

    name: str
    percentile: float | None = None
    above: bool = False


ARMS = {
    "relu_pair": (Arm("control"), Arm("p50", 50.0), Arm("p25", 25.0), Arm("p0", 0.0), Arm("anti_p50", 50.0, True)),
    "mlp_2_2_2": (Arm("control"), Arm("p0", 0.0)),
}

# Learning-rate / threshold grids of the training calibration; model 1's epoch limit is calibrated
# too (model 2's 600 is stated in 4.2).
GRID = {
    "relu_pair": {"lr": (0.002, 0.005, 0.01, 0.02, 0.05), "threshold": (1e-2, 1e-3, 1e-4), "limit": (300, 600)},
    "mlp_2_2_2": {"lr": (0.01, 0.02, 0.05, 0.1, 0.2), "threshold": (1e-2, 1e-3, 1e-4), "limit": (600,)},
}
# 7.1 "Better results with Adam than SGD": the other optimizer's learning rate on each model.
OTHER_LR = {"relu_pair": 0.1, "mlp_2_2_2": 0.01}


@dataclass(frozen=True)
class Sizes:
    """Population sizes of one tier: members per arm, baseline draws, calibration members per lr, scheme draws."""

    arm: int
    baseline: int
    calibration: int
    scheme_draws: int


SIZES = {
    "quick": Sizes(arm=50, baseline=2000, calibration=400, scheme_draws=20_000),
    "full": Sizes(arm=2000, baseline=20_000, calibration=1000, scheme_draws=100_000),
}


@dataclass(frozen=True)
class ArmRun:
    """One arm's members: its sampling record (draws per member), per-member outcomes and, when the
    population was small enough to record, the loss curves (S, B_arm)."""

    arm: Arm
    optimizer: str
    threshold: float | None
    sample: MemberSample | None
    outcomes: Outcomes
    loss_curves: np.ndarray | None = None


RECORD_LIMIT = 4096  # populations up to this size keep their loss curves (the stuck-runs figure)


class LossSamplingStudy:
    """Everything the claims of one model need, built lazily once per (seed, tier, overrides).

    ``scheme`` / ``lr`` / ``threshold_mode`` override the calibrated or stated setting (the full
    tier's sweep); ``calibration`` reuses another study's training calibration (threshold, limit, lr);
    ``samples`` shares a cache of sampled arms with studies of the same seed, tier and model (an
    arm's draws depend only on its scheme, threshold and stream); ``own_optimizer_only`` plans
    only the arms trained with the model's own optimizer (a sweep needs no 7.1 arms).
    """

    def __init__(
        self,
        master_seed: int,
        tier: str,
        model_name: str,
        *,
        scheme: str | None = None,
        lr: float | None = None,
        threshold_mode: str = "stated",
        calibration: cal.TrainingCalibration | None = None,
        samples: dict | None = None,
        own_optimizer_only: bool = False,
    ) -> None:
        if tier not in SIZES:
            raise ValueError(f"tier must be one of {tuple(SIZES)}, got {tier!r}")
        if threshold_mode not in ("stated", "reference"):
            raise ValueError(f"threshold_mode must be 'stated' or 'reference', got {threshold_mode!r}")
        self.model, self.data = model_and_data(model_name)
        self.master_seed, self.tier, self.sizes = master_seed, tier, SIZES[tier]
        self.scheme_override, self.lr_override, self.threshold_mode = scheme, lr, threshold_mode
        self.samples = {} if samples is None else samples
        self.own_optimizer_only = own_optimizer_only
        self._runs: dict[tuple[str, str], ArmRun] | None = None
        if calibration is not None:
            self.training_calibration = calibration  # a sweep reuses its base study's (cached_property slot)

    def seq(self, *path: str | int) -> np.random.SeedSequence:
        """The seed sequence of the study piece ``path``."""
        return seed_sequence(self.master_seed, "002", self.model.name, *path)

    def generator(self, *path: str | int) -> torch.Generator:
        return torch_generator(self.seq(*path))

    # -- calibration ---------------------------------------------------------------------------

    @functools.cached_property
    def scheme_calibration(self) -> cal.SchemeCalibration:
        return cal.calibrate_scheme(
            self.model, self.data, generator=self.generator("calibration", "scheme"), n_draws=self.sizes.scheme_draws
        )

    @property
    def scheme(self):
        return get_scheme(self.scheme_override or self.scheme_calibration.chosen)

    @functools.cached_property
    def training_calibration(self) -> cal.TrainingCalibration:
        """One recorded run of every grid learning rate on the same calibration draws of the control arm."""
        grid = GRID[self.model.name]
        n = self.sizes.calibration
        initial = self.scheme.draw(self.model, n, self.generator("calibration", "training"))
        lrs = np.repeat(np.asarray(grid["lr"], dtype=float), n)
        params = initial.repeat(len(grid["lr"]), 1)
        stopping = StoppingRule(max_epochs=int(max(grid["limit"])), loss_below=min(grid["threshold"]))
        result = train_group(
            self.model, self.data, params, OPTIMIZER_OF[self.model.name], lrs.tolist(), stopping, record=True
        )
        table = cal.grid_table(
            self.model, self.data, result.trajectory, lrs, grid["lr"], grid["threshold"], grid["limit"]
        )
        lr, threshold, limit = cal.choose_training(self.model.name, table)
        return cal.TrainingCalibration(lr, threshold, limit, table)

    @property
    def lr(self) -> float:
        return self.lr_override if self.lr_override is not None else self.training_calibration.lr

    # -- baseline and thresholds ---------------------------------------------------------------

    def initial_sample(self, scheme_name: str, n: int, piece: str) -> tuple[np.ndarray, np.ndarray]:
        """Initial losses and accuracies (n,) of ``n`` plain draws of a scheme."""
        params = get_scheme(scheme_name).draw(self.model, n, self.generator(piece, scheme_name))
        loss = mse(self.model, params, self.data.X, self.data.Y).numpy().astype(float)
        acc = accuracy(self.model, params, self.data.X, self.data.Y).numpy().astype(float)
        return loss, acc

    @functools.cached_property
    def baseline(self) -> tuple[np.ndarray, np.ndarray]:
        """Initial losses and accuracies of the tier's baseline sample of the calibrated scheme."""
        return self.initial_sample(self.scheme.name, self.sizes.baseline, "baseline")

    @functools.cached_property
    def reference(self) -> np.ndarray:
        """A reference sample of 100 initial losses (3.1 / 4.1: 'From 100 sampled initializations')."""
        return self.initial_sample(self.scheme.name, cal.BASELINE_N, "reference")[0]

    def threshold(self, arm: Arm) -> float | None:
        if arm.percentile is None:
            return None
        if self.threshold_mode == "stated":
            return STATED_THRESHOLDS[self.model.name][arm.percentile]
        return reference_percentiles(self.reference, [arm.percentile])[arm.percentile]

    # -- arms ----------------------------------------------------------------------------------

    def sample_arm(self, arm: Arm, optimizer: str) -> tuple[torch.Tensor, MemberSample | None]:
        """The arm's initial parameters (B_arm, P) and sampling record, drawn once per cache key."""
        threshold = self.threshold(arm)
        key = (self.master_seed, self.tier, self.model.name, self.scheme.name, arm, threshold, optimizer)
        if key not in self.samples:
            self.samples[key] = self._draw_arm(arm, optimizer, threshold)
        return self.samples[key]

    def _draw_arm(self, arm: Arm, optimizer: str, threshold: float | None) -> tuple[torch.Tensor, MemberSample | None]:
        """Plain draws (control) or per-member rejection sampling against the arm's threshold."""
        generator = self.generator("arm", arm.name, optimizer)
        n = self.sizes.arm
        if threshold is None:
            return self.scheme.draw(self.model, n, generator), None

        def propose(count: int, g: torch.Generator) -> torch.Tensor:
            return self.scheme.draw(self.model, count, g)

        accept = (lambda loss: loss > threshold) if arm.above else (lambda loss: loss < threshold)
        sample = sample_until(
            self.model,
            self.data,
            population=n,
            propose=propose,
            accept=accept,
            generator=generator,
            max_draws=MAX_DRAWS,
        )
        return sample.params, sample

    def plan(self) -> list[tuple[Arm, str]]:
        """(arm, optimizer) pairs trained together: every arm with the model's optimizer, plus (unless
        ``own_optimizer_only``) the control and p0 arms with the other optimizer (7.1)."""
        own = OPTIMIZER_OF[self.model.name]
        other = "sgd" if own == "adam" else "adam"
        arms = ARMS[self.model.name]
        extra = [] if self.own_optimizer_only else [(a, other) for a in arms if a.name in ("control", "p0")]
        return [(a, own) for a in arms] + extra

    def member_lr(self, optimizer: str) -> float:
        """Learning rate of a member trained with ``optimizer``: the study's for the model's own, else OTHER_LR."""
        return self.lr if optimizer == OPTIMIZER_OF[self.model.name] else OTHER_LR[self.model.name]

    @property
    def runs(self) -> dict[tuple[str, str], ArmRun]:
        """Every planned (arm, optimizer), keyed by (arm name, optimizer); trained on first use."""
        if self._runs is None:
            train_together([self])
        if self._runs is None:
            raise RuntimeError("train_together left this study untrained")
        return self._runs

    def arm(self, name: str, optimizer: str | None = None) -> ArmRun:
        """The run of arm ``name`` with ``optimizer`` (default: the model's own, 2.1)."""
        return self.runs[(name, optimizer or OPTIMIZER_OF[self.model.name])]

    def loss_curves(self, name: str, optimizer: str | None = None) -> np.ndarray | None:
        """Recorded loss curves (S, B_arm) of one arm, or None when the population was too large to record."""
        return self.arm(name, optimizer).loss_curves


def train_group(
    model, data, params: torch.Tensor, optimizer: str, lrs: list[float], stopping: StoppingRule, *, record: bool
) -> TrainResult:
    """Train members (B, P) with one optimizer and a learning rate each (B,), eagerly.

    Eager on purpose: at most a few 10k members for a few hundred epochs, where compiling each
    distinct (optimizer, rule, record) spec would cost more than it saves. Stopped members are
    dropped from the computation when not recording (``compact_stopped``: same results)."""
    if len(lrs) != len(params):
        raise ValueError(f"need one learning rate per member, got {len(lrs)} for {len(params)}")
    memberwise = MemberwiseOptimizer((OPTIMIZERS[optimizer],), (0,) * len(lrs), tuple(float(lr) for lr in lrs))
    return train(
        model,
        params,
        data,
        memberwise,
        schedule=Constant(1.0),
        stopping=stopping,
        record=record,
        compile=False,
        compact_stopped=not record,
    )


def train_together(studies: list[LossSamplingStudy]) -> None:
    """Sample every study's planned arms and train all their members as one population per optimizer.

    One population per optimizer, not one for all: a mixed population computes every optimizer for
    every member (model 2, 8,000 SGD members, 60 epochs: 75 ms per epoch with Adam computed too vs
    14 ms alone, measured at load ~4; unused Adam moments going subnormal are a likely part of it).
    Members never interact, so each member's outcome equals training it alone. The studies must share the stopping rule (their
    training calibration's threshold and limit); each study's ``runs`` are then set. Loss curves
    are recorded when all studies together have at most RECORD_LIMIT members.
    """
    rules = {(s.training_calibration.loss_below, s.training_calibration.max_epochs) for s in studies}
    if len(rules) != 1 or len({s.model.name for s in studies}) != 1:
        raise ValueError("studies trained together need one model and one stopping rule")
    ((loss_below, max_epochs),) = rules
    jobs = [(study, arm, opt, *study.sample_arm(arm, opt)) for study in studies for arm, opt in study.plan()]
    params = torch.cat([p for *_, p, _ in jobs])
    optimizers = [opt for _, _, opt, p, _ in jobs for _ in range(len(p))]
    lrs = [study.member_lr(opt) for study, _, opt, p, _ in jobs for _ in range(len(p))]
    stopping = StoppingRule(max_epochs=max_epochs, loss_below=loss_below)
    model, data = studies[0].model, studies[0].data
    record = len(params) <= RECORD_LIMIT
    names = np.asarray(optimizers)
    groups = {}
    for name in sorted(set(optimizers)):
        index = np.flatnonzero(names == name)
        groups[name] = (
            index,
            train_group(model, data, params[index], name, [lrs[i] for i in index], stopping, record=record),
        )
    everything = {name: outcomes(model, data, params[index], result) for name, (index, result) in groups.items()}
    position = {name: np.full(len(params), -1) for name in groups}
    for name, (index, _) in groups.items():
        position[name][index] = np.arange(len(index))
    runs: dict[int, dict[tuple[str, str], ArmRun]] = {id(study): {} for study in studies}
    start = 0
    for study, arm, opt, p, sample in jobs:
        rows = position[opt][start : start + len(p)]  # this arm's rows in its optimizer's group
        trajectory = groups[opt][1].trajectory
        curves = None if trajectory is None else trajectory.loss[:, rows].numpy()
        runs[id(study)][(arm.name, opt)] = ArmRun(
            arm, opt, study.threshold(arm), sample, everything[opt].subset(rows), curves
        )
        start += len(p)
    for study in studies:
        study._runs = runs[id(study)]
