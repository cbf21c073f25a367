"""Trainer arguments from a protocol's named values: every key used once, unknown and missing keys rejected."""

from dataclasses import dataclass

import pytest
import torch

from harness.engine import models, optim, schedules
from harness.engine.arguments import OPTIMIZERS, train_arguments
from harness.engine.data import xor01
from harness.engine.trainer import StoppingRule, train
from harness.evidence.claims import Protocol, Setting, protocol_values

XOR_VALUES = {
    "widths": (2, 3, 1),
    "activations": ("sigmoid",),
    "output_activation": "sigmoid",
    "optimizer": "sgd",
    "momentum": 0.7,
    "lr": 1.0,
    "max_epochs": 50,
    "loss_below": 0.0025,
    "batch_size": 1,
}


def test_values_become_the_trainer_objects():
    args = train_arguments(XOR_VALUES)
    assert args["model"] == models.mlp((2, 3, 1), ("sigmoid",), "sigmoid")
    assert args["optimizer"] == optim.sgd(momentum=0.7) and args["schedule"] == schedules.constant(1.0)
    assert args["stopping"] == StoppingRule(max_epochs=50, loss_below=0.0025)
    assert args["batch_size"] == 1 and args["shuffle"] is False


def test_arguments_run_the_trainer():
    params = torch.randn(4, 13, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    result = train(params=params, data=xor01(dtype=torch.float64), compile=False, **train_arguments(XOR_VALUES))
    assert result.params.shape == (4, 13)


@dataclass(frozen=True)
class _XorProtocol(Protocol):
    runs: Setting = Setting(1000, "stated", "")
    optimizer: Setting = Setting("rprop", "stated", "")
    eta_plus: Setting = Setting(1.3, "assumed", "the write-up does not give it")
    lr: Setting = Setting(0.1, "stated", "")
    max_epochs: Setting = Setting(100, "stated", "")
    model: Setting = Setting("abs_neuron", "stated", "")
    clip_norm: Setting = Setting(1.0, "assumed", "toy")


def test_protocol_values_map_onto_the_trainer_once():
    values = protocol_values(_XorProtocol())
    assert values == {
        "runs": 1000,
        "optimizer": "rprop",
        "eta_plus": 1.3,
        "lr": 0.1,
        "max_epochs": 100,
        "model": "abs_neuron",
        "clip_norm": 1.0,
    }
    args = train_arguments(values, other=("runs",))
    assert args["optimizer"] == optim.chain(optim.clip_by_member_norm(1.0), optim.rprop(eta_plus=1.3))
    assert args["model"] is models.get_model("abs_neuron")


def test_schedule_keywords_are_taken_from_the_values():
    args = train_arguments(
        {
            "model": "linear_1d",
            "optimizer": "adam",
            "lr": 0.1,
            "max_epochs": 5,
            "schedule": "warmup_cosine",
            "warmup_epochs": 2,
            "total_epochs": 5,
            "b1": 0.8,
        }
    )
    assert args["schedule"] == schedules.warmup_cosine(0.1, warmup_epochs=2, total_epochs=5)
    assert args["optimizer"] == optim.adam(b1=0.8)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizer_name_builds_its_default(name):
    args = train_arguments({"model": "linear_1d", "optimizer": name, "lr": 0.1, "max_epochs": 1})
    assert args["optimizer"] == OPTIMIZERS[name]()


BAD_VALUES = {
    "unknown-key": (dict(XOR_VALUES, runs=1000), r"unknown trainer settings \['runs'\]"),
    "other-optimizers-setting": (
        dict(XOR_VALUES, eta_plus=1.2),
        r"unknown trainer settings \['eta_plus'\] for optimizer 'sgd'",
    ),
    "missing-lr": ({k: v for k, v in XOR_VALUES.items() if k != "lr"}, "missing trainer setting 'lr'"),
    "missing-model": ({k: v for k, v in XOR_VALUES.items() if k != "widths"}, "missing the model"),
    "model-twice": (dict(XOR_VALUES, model="abs_neuron"), "either 'model'"),
    "unknown-optimizer": (dict(XOR_VALUES, optimizer="lbfgs"), "unknown optimizer 'lbfgs'; known: adagrad"),
    "unknown-schedule": (dict(XOR_VALUES, schedule="step"), "unknown schedule 'step'"),
    "bad-value": (dict(XOR_VALUES, momentum=-1.0), "momentum must be a finite number >= 0"),
    "not-a-mapping": ([("lr", 1.0)], "values must be a mapping"),
}


@pytest.mark.parametrize("values, message", BAD_VALUES.values(), ids=BAD_VALUES.keys())
def test_malformed_values_raise_a_clear_error(values, message):
    with pytest.raises(ValueError, match=message):
        train_arguments(values)
