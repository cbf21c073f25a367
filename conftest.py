"""Root conftest. The claims plugin itself is loaded through its ``pytest11`` entry point
(``claims = harness.evidence.plugin`` in ``pyproject.toml``), so nothing needs loading here."""
