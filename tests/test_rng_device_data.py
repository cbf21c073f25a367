"""Seed derivation, device choice and data sets."""

import zlib

import numpy as np
import pytest
import torch

from harness import seeds
from harness.engine import data, device, rng


def test_same_path_same_stream_different_path_different_stream():
    a = seeds.numpy_generator(seeds.seed_sequence(0, "000", "traces")).random(5)
    b = seeds.numpy_generator(seeds.seed_sequence(0, "000", "traces")).random(5)
    c = seeds.numpy_generator(seeds.seed_sequence(0, "000", "init")).random(5)
    d = seeds.numpy_generator(seeds.seed_sequence(1, "000", "traces")).random(5)
    assert np.array_equal(a, b) and not np.array_equal(a, c) and not np.array_equal(a, d)


def test_torch_generator_is_reproducible():
    draw = lambda: torch.randn(4, generator=rng.torch_generator(seeds.seed_sequence(3, "x")))  # noqa: E731
    assert torch.equal(draw(), draw())


def test_path_keys_are_stable_across_processes():
    # Keys are CRC-32 of the names (fixed forever); Python's salted hash() would change per process.
    assert seeds.seed_sequence(0, "000", 7).spawn_key == (zlib.crc32(b"000"), 7)


@pytest.mark.parametrize("bad", [-1, 1.5, True, "0"], ids=["negative", "float", "bool", "str"])
def test_bad_master_seed_raises(bad):
    with pytest.raises(ValueError, match="master_seed"):
        seeds.seed_sequence(bad)


def test_bad_path_element_raises():
    with pytest.raises(ValueError, match="seed path"):
        seeds.seed_sequence(0, 1.5)


def test_device_env_override(monkeypatch):
    monkeypatch.setenv(device.DEVICE_ENV, "cpu")
    assert device.default_device() == torch.device("cpu")


def test_device_default_without_env(monkeypatch):
    monkeypatch.delenv(device.DEVICE_ENV, raising=False)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert device.default_device().type == expected


@pytest.mark.parametrize(
    "value, message", [("tpu", "not a torch device|only cpu and cuda"), ("meta", "only cpu and cuda")]
)
def test_bad_device_env_raises(monkeypatch, value, message):
    monkeypatch.setenv(device.DEVICE_ENV, value)
    with pytest.raises(ValueError, match=message):
        device.default_device()


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-CUDA error")
def test_cuda_request_without_cuda_raises(monkeypatch):
    monkeypatch.setenv(device.DEVICE_ENV, "cuda")
    with pytest.raises(ValueError, match="no CUDA"):
        device.default_device()


def test_centered_xor_values():
    X, Y = data.centered_xor()
    assert X.tolist() == [[-1, -1], [-1, 1], [1, -1], [1, 1]]
    assert Y.flatten().tolist() == [0, 1, 1, 0]
    assert X.sum(0).tolist() == [0, 0], "inputs are centered"


def test_one_hot_xor_values():
    _, Y = data.one_hot_xor(dtype=torch.float64)
    assert Y.tolist() == [[1, 0], [0, 1], [0, 1], [1, 0]]


def test_linear_regression_recovers_line_and_is_seeded():
    def make(seed):
        return data.linear_regression(
            20000, noise=0.1, generator=torch.Generator().manual_seed(seed), dtype=torch.float64
        )

    X, Y = make(0)
    slope, intercept = np.polyfit(X[:, 0].numpy(), Y[:, 0].numpy(), 1)
    assert slope == pytest.approx(2.0, abs=0.01) and intercept == pytest.approx(1.0, abs=0.01)
    assert torch.equal(make(0).X, X) and not torch.equal(make(1).X, X)


def test_linear_regression_sample_does_not_depend_on_dtype():
    make = lambda dtype: data.linear_regression(8, noise=0.3, generator=torch.Generator().manual_seed(4), dtype=dtype)  # noqa: E731
    torch.testing.assert_close(make(torch.float32).Y, make(torch.float64).Y.float(), rtol=0, atol=0)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(n=0), "n must be"),
        (dict(n=5, noise=-1.0), "noise must be a finite number >= 0"),
        (dict(n=5, noise=float("nan")), "noise must be a finite"),
    ],
    ids=["zero-n", "negative-noise", "nan-noise"],
)
def test_bad_regression_settings_raise(kwargs, message):
    kwargs.setdefault("noise", 0.1)
    with pytest.raises(ValueError, match=message):
        data.linear_regression(generator=torch.Generator(), **kwargs)
