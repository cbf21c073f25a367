"""Benchmark options and fixtures: ``--bench-scale`` shrinks the work for a CI smoke run without changing its shape;
``one_thread`` pins torch to one intra-op thread for a module."""

import pytest
import torch


def pytest_addoption(parser):
    parser.addoption(
        "--bench-scale",
        type=float,
        default=1.0,
        help="multiply benchmark rounds by this factor (CI smoke runs use < 1); population sizes never change",
    )


@pytest.fixture
def rounds(request):
    """``rounds(n)``: the number of timed rounds to use, scaled by ``--bench-scale`` (at least 2)."""
    scale = request.config.getoption("--bench-scale")
    return lambda n: max(2, round(n * scale))


@pytest.fixture(scope="module")
def one_thread():
    """One torch intra-op thread for the module, restored afterwards: both sides of a pair measured per core.

    On the shared 2-core machine two threads on busy cores made every op wait for the other thread
    (4-12x slower than one thread at load ~10, measured), the side with more, smaller ops most.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
