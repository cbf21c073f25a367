"""pytest-benchmark suites; run serially (pytest-benchmark disables itself under xdist)."""
