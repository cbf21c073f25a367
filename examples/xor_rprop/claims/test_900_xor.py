"""Claims of sources/900_3d11bde729472725.txt (online momentum vs Rprop on 0/1 XOR): a worked example."""

from dataclasses import dataclass, replace
from functools import cache

import numpy as np
import torch

from harness.engine import data, init, rng, trainer
from harness.engine.arguments import train_arguments
from harness.evidence import rules
from harness.evidence.claims import Claim, Protocol, Setting, protocol_values
from harness.evidence.plugin import claim_test
from harness.seeds import seed_sequence


@dataclass(frozen=True)
class Xor(Protocol):
    widths: Setting = Setting((2, 3, 1), "stated", "a 2-3-1 network")
    activations: Setting = Setting(("sigmoid",), "stated", "sigmoid hidden units")
    output_activation: Setting = Setting("sigmoid", "stated", "sigmoid output unit")
    init_range: Setting = Setting(1.0, "stated", "uniform in [-1, 1]")
    loss_below: Setting = Setting(0.0025, "stated", "RMS error below 0.05 = MSE below 0.0025")
    max_epochs: Setting = Setting(300, "stated", "within 300 epochs")
    optimizer: Setting = Setting("sgd", "stated", "online momentum: learning rate 1.0, momentum 0.7")
    lr: Setting = Setting(1.0, "stated")
    momentum: Setting = Setting(0.7, "stated")
    batch_size: Setting = Setting(1, "stated", "one update per pattern, fixed order")
    margin: Setting = Setting(0.1, "assumed", "'about' = within 10% (of a rate or of a mean)")


ONLINE = Xor()
RPROP = replace(
    ONLINE,
    optimizer=Setting("rprop", "stated", "factors 1.2 up, 0.5 down"),
    lr=Setting(0.1, "stated", "initial step"),
    momentum=Setting(None, "stated", "none"),
    batch_size=Setting(None, "stated", "one full-batch update per epoch"),
)


@cache
def runs(arm: Xor, n: int, master_seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Success flags and epochs (n,) of n runs of ``arm``; the stream is named by the master seed and optimizer."""
    values = {k: v for k, v in protocol_values(arm).items() if v is not None}
    args, r = train_arguments(values, other=("init_range", "margin")), values["init_range"]
    gen = rng.torch_generator(seed_sequence(master_seed, "900", values["optimizer"]))
    params = init.uniform(n, args["model"].n_params, generator=gen, low=-r, high=r, dtype=torch.float64)
    result = trainer.train(params=params, data=data.xor01(dtype=torch.float64), compile=False, **args)
    return result.stopped_by(trainer.StopReason.CONVERGED_LOSS).numpy(), result.epochs.numpy()


def claim(name, statement, reported, test, arm=ONLINE, n=100, **kw) -> Claim:
    return Claim(
        f"900.xor.{name}", "900_3d11bde729472725.txt", statement, reported, arm, test, 0.05, n, n_full=10 * n, **kw
    )


RATE = claim("online_success", "Online momentum succeeded in 80% of runs.", {"rate": 0.8}, "rate_equals")
MEAN = claim(
    "online_mean_epochs",
    "Among its successful runs, the mean time to success was about 180 epochs.",
    {"mean_epochs": 180},
    "mean_equals",
    subset="successful runs",
)
FASTER = claim(
    "rprop_faster",
    "Rprop needed fewer epochs than online momentum",
    {},
    "medians_differ",
    RPROP,
    n=200,
    subset="successful runs of both methods",
)


@claim_test(RATE)
def test_online_success_rate(claims_verdict, claims_master_seed, claims_tier):
    ok, _ = runs(ONLINE, RATE.n_for(claims_tier), claims_master_seed)
    rate = RATE.reported["rate"]
    claims_verdict(RATE, rules.rate_equals(int(ok.sum()), ok.size, rate, margin=rate * ONLINE.margin.value))


@claim_test(MEAN)
def test_online_mean_epochs(claims_verdict, claims_master_seed, claims_tier):
    ok, epochs = runs(ONLINE, MEAN.n_for(claims_tier), claims_master_seed)
    mean = MEAN.reported["mean_epochs"]
    claims_verdict(MEAN, rules.mean_equals(epochs[ok], mean, margin=mean * ONLINE.margin.value).over_subset(ok.size))


@claim_test(FASTER)
def test_rprop_needs_fewer_epochs(claims_verdict, claims_master_seed, claims_tier, claims_seed):
    (ok_r, ep_r), (ok_o, ep_o) = (
        runs(arm, FASTER.n_for(claims_tier) // 2, claims_master_seed) for arm in (RPROP, ONLINE)
    )
    evidence = rules.medians_differ(ep_r[ok_r], ep_o[ok_o], direction="less", rng=np.random.default_rng(claims_seed))
    claims_verdict(FASTER, evidence.over_subset(ok_r.size + ok_o.size))
