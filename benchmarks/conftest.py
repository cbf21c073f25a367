"""Benchmark options: ``--bench-scale`` shrinks the work for a CI smoke run without changing its shape."""

import pytest


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
