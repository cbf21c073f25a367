"""The seeded population study of source 003: every arm trained over the same data and shuffle seeds.

Arm ``k`` of a population run holds one member per seed ``i``; member ``i`` of every arm trains on
data set ``i`` and (when it shuffles) sees permutation ``i`` of each epoch, so arms are paired over
seeds. Streams descend from the master seed (``"003"``, piece name), so results do not depend on
test order or ``pytest -n``; the study caches each piece per process.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import numpy as np
import torch

from harness.engine.optim import adam
from harness.engine.precision import LinearRun, LossScaler, MemberSettings, train_linear
from harness.engine.rng import torch_generator
from harness.seeds import seed_sequence
from harness.studies.linear_recipe.recipe import (
    CONSTANT_LR,
    MAX_EPOCHS,
    NO_WARMUP,
    RECIPE,
    TIMELINE_INIT,
    Config,
    DataSettings,
    ablation_rows,
    draw_data,
    torch_default_init,
    xavier_init,
)

TIER_SEEDS = {"quick": 200, "full": 5000}
MAX_MEMBERS_PER_RUN = 20_000  # members trained at once (memory: two (B, N) float32 data copies per run)
RECORDED_MEMBERS = 400  # members per arm whose per-step gradient norms are kept (all 200 of the quick tier; 400 in
# the full tier, from the power plan: 003.shuffle.without_std needs 288 for 80% power both ways)


@dataclass(frozen=True)
class Arm:
    """One arm: a configuration, its initialisation (``"timeline"``: the document's (-0.92, -0.85);
    ``"torch_default"``: nn.Linear's U(-1, 1)) and whether its gradient norms are recorded."""

    config: Config
    init: str = "timeline"
    record: bool = False


def main_arms() -> dict[str, Arm]:
    """The fp32 arms: the 11 ablation rows (row 10 = row 9: logging is cosmetic), random-init baseline and
    recipe, the recipe with weight decay 0.01, with patience 10 and without warmup, and Method 1's two
    learning rates held constant."""
    rows = ablation_rows()
    arms = {f"row{k}": Arm(config, record=k in (0, 9)) for k, (_, config) in enumerate(rows[:10])}
    arms["baseline_random"] = Arm(rows[0][1], init="torch_default")
    arms["recipe_random"] = Arm(RECIPE, init="torch_default")
    arms["recipe_wd"] = Arm(dataclasses.replace(RECIPE, weight_decay=0.01))
    arms["recipe_patience10"] = Arm(dataclasses.replace(RECIPE, patience=10))
    arms["recipe_nowarmup"] = Arm(NO_WARMUP)
    arms["const_lr_1e-3"] = Arm(CONSTANT_LR[1e-3])
    arms["const_lr_1e-2"] = Arm(CONSTANT_LR[1e-2])
    return arms


@dataclass(frozen=True)
class ArmResult:
    """One arm's members as numpy arrays: ``params`` (S, 2), ``final_loss`` (S,) last epoch's average
    batch loss, ``final_mse`` / ``initial_loss`` (S,) full-data MSE, ``epochs`` (S,), ``reason`` (S,),
    ``trajectory`` (T + 1, S, 2), ``epoch_loss`` (T, S), ``grad_norms`` (steps, K), ``skipped`` (S,)."""

    params: np.ndarray
    final_loss: np.ndarray
    final_mse: np.ndarray
    initial_loss: np.ndarray
    epochs: np.ndarray
    reason: np.ndarray
    trajectory: np.ndarray
    epoch_loss: np.ndarray
    grad_norms: np.ndarray
    skipped: np.ndarray

    @property
    def w_error(self) -> np.ndarray:
        """Relative weight error |W - 2| / 2 per member (S,)."""
        return np.abs(self.params[:, 0] - 2.0) / 2.0

    @property
    def b_error(self) -> np.ndarray:
        """Relative bias error |b - 1| / 1 per member (S,)."""
        return np.abs(self.params[:, 1] - 1.0)

    @property
    def loss_reduction(self) -> np.ndarray:
        """1 - final loss / initial loss per member (S,), the document's "Loss Reduction"."""
        return 1.0 - self.final_loss / self.initial_loss


def member_settings(configs: list[Config], records: list[bool], seeds: int) -> MemberSettings:
    """Per-member settings of arms ``configs`` (each ``seeds`` members, arm-major); shuffle group = seed."""

    def per_member(values, dtype=torch.float32):
        return torch.tensor(values, dtype=dtype).repeat_interleave(seeds)

    inf = float("inf")
    lr = torch.tensor([[c.schedule()(t) for c in configs] for t in range(MAX_EPOCHS)]).repeat_interleave(seeds, dim=1)
    groups = torch.arange(seeds).repeat(len(configs))
    shuffles = per_member([c.shuffle for c in configs], torch.bool)
    return MemberSettings(
        lr=lr.float(),
        max_epochs=per_member([c.epochs for c in configs], torch.int64),
        patience=per_member([float(c.patience) for c in configs]),
        min_improvement=per_member([c.min_improvement for c in configs]),
        clip=per_member([inf if c.clip is None else c.clip for c in configs]),
        weight_decay=per_member([c.weight_decay for c in configs]),
        shuffle_group=torch.where(shuffles, groups, -1),
        record=per_member(records, torch.bool) & (groups < RECORDED_MEMBERS),
    )


def _split(run: LinearRun, names: list[str], records: list[bool], seeds: int) -> dict[str, ArmResult]:
    """Cut a population run into its arms (arm-major blocks of ``seeds`` members)."""
    out, norm_col = {}, 0
    kept = min(seeds, RECORDED_MEMBERS)
    for k, (name, rec) in enumerate(zip(names, records, strict=True)):
        sl = slice(k * seeds, (k + 1) * seeds)
        norms = run.grad_norms[:, norm_col : norm_col + kept] if rec else run.grad_norms[:, :0]
        norm_col += kept if rec else 0
        out[name] = ArmResult(
            params=run.params[sl].numpy().astype(np.float64),
            final_loss=run.epoch_loss[-1, sl].numpy().astype(np.float64),
            final_mse=run.final_mse[sl].numpy(),
            initial_loss=run.initial_loss[sl].numpy(),
            epochs=run.epochs[sl].numpy(),
            reason=run.reason[sl].numpy(),
            trajectory=run.trajectory[:, sl].numpy().astype(np.float64),
            epoch_loss=run.epoch_loss[:, sl].numpy().astype(np.float64),
            grad_norms=norms.numpy().astype(np.float64),
            skipped=run.skipped[sl].numpy(),
        )
    return out


class LinearStudy:
    """All arms of source 003 for one master seed, tier and data setting (pieces built lazily, cached)."""

    def __init__(
        self, master_seed: int, tier: str, data: DataSettings, *, seeds: int | None = None, stream: str = "study"
    ) -> None:
        if tier not in TIER_SEEDS:
            raise ValueError(f"tier must be one of {tuple(TIER_SEEDS)}, got {tier!r}")
        self.master_seed, self.tier, self.data, self.stream = master_seed, tier, data, stream
        self.seeds = TIER_SEEDS[tier] if seeds is None else seeds
        if isinstance(self.seeds, bool) or not isinstance(self.seeds, int) or self.seeds < 2:
            raise ValueError(f"seeds must be an int >= 2, got {self.seeds!r}")

    def generator(self, piece: str) -> torch.Generator:
        """The torch generator of stream ("003", stream, piece) under the master seed."""
        return torch_generator(seed_sequence(self.master_seed, "003", self.stream, piece))

    @functools.cached_property
    def datasets(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Data set i of every seed: X, Y (S, N) float64."""
        return draw_data(self.data, self.seeds, self.generator("data"))

    @functools.cached_property
    def random_inits(self) -> torch.Tensor:
        """nn.Linear default initialisations, one per seed: (S, 2)."""
        return torch_default_init(self.seeds, self.generator("init"))

    @functools.cached_property
    def xavier_inits(self) -> torch.Tensor:
        """``xavier_uniform_`` weights of Linear(1, 1) (U(-sqrt 3, sqrt 3)) with default U(-1, 1) biases: (S, 2)."""
        return xavier_init(self.seeds, self.generator("xavier"))

    def inits(self, kind: str) -> torch.Tensor:
        """Initial (w, b) of every seed for init ``kind``: (S, 2) float64."""
        if kind == "timeline":
            return torch.tensor(TIMELINE_INIT, dtype=torch.float64).expand(self.seeds, 2)
        if kind == "torch_default":
            return self.random_inits
        raise ValueError(f"unknown init {kind!r}")

    def run_arms(
        self, arms: dict[str, Arm], *, precision: str = "fp32", piece: str = "shuffle"
    ) -> dict[str, ArmResult]:
        """Train ``arms`` as populations over the seeds (chunked to ``MAX_MEMBERS_PER_RUN``)."""
        names = list(arms)
        per_run = max(1, MAX_MEMBERS_PER_RUN // self.seeds)
        out: dict[str, ArmResult] = {}
        for start in range(0, len(names), per_run):
            chunk = names[start : start + per_run]
            out |= self._run_chunk({n: arms[n] for n in chunk}, precision, piece)
        return out

    def _run_chunk(self, arms: dict[str, Arm], precision: str, piece: str) -> dict[str, ArmResult]:
        """One population run of ``arms``; every chunk replays the same shuffle stream (pairing).

        Recorded arms go first, so the engine reads their gradient norms as one contiguous slice."""
        names = sorted(arms, key=lambda n: not arms[n].record)
        X, Y = self.datasets
        k = len(names)
        params = torch.cat([self.inits(arms[n].init) for n in names]).float()
        records = [arms[n].record for n in names]
        settings = member_settings([arms[n].config for n in names], records, self.seeds)
        run = train_linear(
            params,
            X.repeat(k, 1),
            Y.repeat(k, 1),
            adam(),
            settings,
            batch_size=self.data.batch_size,
            generator=self.generator(piece),
            precision=precision,
            scaler=LossScaler(),
        )
        return _split(run, names, records, self.seeds)

    @functools.cached_property
    def main(self) -> dict[str, ArmResult]:
        """Every fp32 arm of :func:`main_arms`, keyed by name."""
        return self.run_arms(main_arms())

    def fp16(self, precision: str) -> dict[str, ArmResult]:
        """The baseline at the timeline init and at random inits, in ``precision`` ('fp16' or 'fp16_dynamic')."""
        key = f"_fp16_{precision}"
        if key not in self.__dict__:
            base = ablation_rows()[0][1]
            arms = {"baseline": Arm(base), "baseline_random": Arm(base, init="torch_default")}
            self.__dict__[key] = self.run_arms(arms, precision=precision)
        return self.__dict__[key]
