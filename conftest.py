"""Root conftest: loads the claims-suite pytest plugin (``pytest_claims.py``) for every test."""

pytest_plugins = ["pytest_claims"]
