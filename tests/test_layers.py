"""The layers import one way (engine <- evidence <- studies <- claims) and evidence never loads torch."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HARNESS = REPO / "harness"

# What each layer may import from the harness (besides itself and harness.seeds).
ALLOWED = {
    "engine": set(),
    "evidence": set(),
    "studies": {"engine", "evidence"},
}
FORBIDDEN_THIRD_PARTY = {"engine": {"pytest", "scipy", "statsmodels", "sklearn"}, "evidence": {"torch"}}
# The plugin's device fixture and ``gpu`` marker ask the engine where populations live, lazily
# (inside the fixture / hook), so that importing the plugin never loads torch.
LAZY_EXCEPTIONS = {("harness/evidence/plugin.py", "harness.engine.device"), ("harness/evidence/plugin.py", "torch")}


def _imports(path: Path) -> set[str]:
    """Absolute module names imported anywhere in ``path``, less the declared lazy exceptions."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    where = path.relative_to(REPO).as_posix()
    return {n for n in names if not any((where, prefix) in LAZY_EXCEPTIONS for prefix in _prefixes(n))}


def _prefixes(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def _layer_files(layer: str) -> list[Path]:
    return sorted((HARNESS / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_lower_layers(layer):
    bad = []
    for path in _layer_files(layer):
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] != "harness" or len(parts) < 2 or parts[1] in ("seeds", layer):
                continue
            if parts[1] not in ALLOWED[layer]:
                bad.append(f"{path.relative_to(REPO)} imports {name}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("layer", sorted(FORBIDDEN_THIRD_PARTY))
def test_layer_avoids_forbidden_packages(layer):
    bad = [
        f"{path.relative_to(REPO)} imports {name}"
        for path in _layer_files(layer)
        for name in _imports(path)
        if name.split(".")[0] in FORBIDDEN_THIRD_PARTY[layer]
    ]
    assert not bad, "\n".join(bad)


def test_importing_the_evidence_layer_loads_neither_torch_nor_matplotlib():
    code = (
        "import sys\n"
        "import harness.evidence.plugin, harness.evidence.rules, harness.evidence.reports, harness.evidence.claims\n"
        "print(sorted(m for m in ('torch', 'matplotlib') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
