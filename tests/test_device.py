"""Device per xdist worker (``harness.engine.device``): worker gwK uses cuda:K mod the GPU count."""

import pytest
import torch

from harness.engine import device


@pytest.fixture
def gpus(monkeypatch):
    """Pretend torch sees ``n`` CUDA devices; no environment override, no xdist worker."""
    monkeypatch.delenv(device.DEVICE_ENV, raising=False)
    monkeypatch.delenv(device.WORKER_ENV, raising=False)

    def set_count(n: int) -> None:
        monkeypatch.setattr(torch.cuda, "is_available", lambda: n > 0)
        monkeypatch.setattr(torch.cuda, "device_count", lambda: n)

    return set_count


@pytest.mark.parametrize("worker, count, expected", [("gw0", 4, 0), ("gw3", 4, 3), ("gw5", 4, 1), ("gw7", 1, 0)])
def test_worker_k_uses_cuda_k_modulo_the_gpu_count(gpus, monkeypatch, worker, count, expected):
    gpus(count)
    monkeypatch.setenv(device.WORKER_ENV, worker)
    assert device.default_device() == torch.device("cuda", expected)


def test_outside_xdist_the_current_cuda_device_is_used(gpus):
    gpus(4)
    assert device.default_device() == torch.device("cuda")


def test_harness_device_wins_over_the_worker_index(gpus, monkeypatch):
    gpus(4)
    monkeypatch.setenv(device.WORKER_ENV, "gw1")
    monkeypatch.setenv(device.DEVICE_ENV, "cuda:3")
    assert device.default_device() == torch.device("cuda", 3)


def test_without_cuda_every_worker_uses_the_cpu(gpus, monkeypatch):
    gpus(0)
    monkeypatch.setenv(device.WORKER_ENV, "gw2")
    assert device.default_device() == torch.device("cpu")


@pytest.mark.parametrize("worker", ["gwx", "worker1", "gw-1"])
def test_malformed_worker_id_is_a_clear_error(gpus, monkeypatch, worker):
    gpus(2)
    monkeypatch.setenv(device.WORKER_ENV, worker)
    with pytest.raises(ValueError, match="is not an xdist worker id like 'gw0'"):
        device.default_device()


def test_worker_index_outside_xdist_is_none(monkeypatch):
    monkeypatch.delenv(device.WORKER_ENV, raising=False)
    assert device.xdist_worker_index() is None
