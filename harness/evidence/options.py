"""Options of the claims plugin: each command-line option has an ini twin; defaults live in the project.

Every setting is read from the command line first, then from the ini file (``[pytest]``,
``[tool.pytest.ini_options]``), then from its default. Paths given on the command line are
relative to the directory pytest was started in; paths from the ini file and the defaults are
relative to the project's rootdir, so a default never points outside the project:

- ``--claims-tier`` / ``claims_tier``: ``quick``
- ``--claims-seed`` / ``claims_seed``: ``0``
- ``--claims-stability-threshold`` / ``claims_stability_threshold``: ``0.8``
- ``--claims-ledger`` / ``claims_ledger``: ``<rootdir>/claims/ledger.json``
- ``--claims-sources`` / ``claims_sources``: ``<rootdir>/sources`` (a missing dir: documents not available)
- ``--claims-manifest`` / ``claims_manifest``: ``<rootdir>/claims/sources.json``
- ``--claims-report`` / ``claims_report``: ``<rootdir>/reports``

``--claims-seeds A:B``, ``--claims-update``, ``--claims-prune`` and ``--claims-allow-version-mismatch``
describe one run and have no ini twin. With ``--claims-seeds A:B`` the master seed (reported and
gated) is ``--claims-seed`` when given, which must then lie in ``A..B-1`` (a usage error
otherwise), else ``A``.
This module only declares and resolves options; the hooks live in ``harness.evidence.plugin``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.evidence.claims import TIERS

__all__ = ["Options", "add_options", "resolve_options"]

# name -> (ini default, help); the command-line option is --claims-<name with - for _>.
_INI: dict[str, tuple[str, str]] = {
    "tier": ("quick", "quick: documents' sample sizes; full: powered sample sizes, also runs @full tests"),
    "seed": ("0", "master seed"),
    "stability_threshold": (
        "0.8",
        "with --claims-seeds: a claim is fragile when fewer seeds give the ledger's verdict",
    ),
    "ledger": ("claims/ledger.json", "ledger file (ini: relative to rootdir; command line: to the invocation dir)"),
    "sources": (
        "sources",
        "source documents directory (ini: relative to rootdir; command line: to the invocation dir); a missing one means not available",
    ),
    "manifest": (
        "claims/sources.json",
        "sources manifest: file, title and sha256 of each document (ini: relative to rootdir; command line: to the invocation dir)",
    ),
    "report": ("reports", "report directory (ini: relative to rootdir; command line: to the invocation dir)"),
}
_PATHS = ("ledger", "sources", "manifest", "report")
# --claims-seeds A:B parametrizes every claim test B - A times at collection; beyond this many
# seeds the items alone exhaust memory (0:100000000 did) long before a run could finish.
MAX_SEEDS = 1000


@dataclass(frozen=True)
class Options:
    """The resolved settings of one run (absolute paths)."""

    tier: str
    master_seed: int  # the seed of the report and of the ledger comparison
    seeds: list[int] | None  # --claims-seeds: every claim test runs once per seed
    update: bool
    threshold: float
    ledger_path: Path
    sources_dir: Path
    manifest_path: Path
    report_dir: Path
    allow_version_mismatch: bool = False  # --claims-allow-version-mismatch: xdist workers may run other versions


def add_options(parser: pytest.Parser) -> None:
    """Register the command-line options and their ini twins."""
    group = parser.getgroup("claims", "empirical claims suite")
    group.addoption(
        "--claims-tier", choices=TIERS, default=None, help=f"{_INI['tier'][1]} (ini claims_tier; default quick)"
    )
    group.addoption(
        "--claims-seed", type=int, default=None, metavar="N", help="master seed (ini claims_seed; default 0)"
    )
    group.addoption(
        "--claims-seeds",
        default=None,
        metavar="A:B",
        help="run every claim test once per master seed A..B-1 and report verdict stability",
    )
    group.addoption(
        "--claims-stability-threshold",
        type=float,
        default=None,
        metavar="F",
        help="with --claims-seeds: flag a claim fragile when fewer than F of the seeds give the ledger's verdict "
        "(ini claims_stability_threshold; default 0.8)",
    )
    group.addoption(
        "--claims-update",
        action="store_true",
        default=False,
        help="accept the observed verdicts into the ledger (the only way the ledger is rewritten)",
    )
    group.addoption(
        "--claims-prune",
        action="store_true",
        default=False,
        help=(
            "with --claims-update: remove ledger entries of claims that no longer exist, and this tier's entries "
            "of claims that no longer run in it (needs a run collecting every claim)"
        ),
    )
    group.addoption(
        "--claims-allow-version-mismatch",
        action="store_true",
        default=False,
        help="run even when an xdist worker's Python, torch or harness code differs from the controller's "
        "(refused by default; the report records every worker's versions)",
    )
    for name in _PATHS:
        default, text = _INI[name]
        group.addoption(
            f"--claims-{name}", default=None, metavar="PATH", help=f"{text} (ini claims_{name}; default {default})"
        )
    for name, (default, text) in _INI.items():
        parser.addini(f"claims_{name}", f"claims plugin: {text}", default=default)


def _given(config: pytest.Config, name: str) -> bool:
    """Whether setting ``name`` was given on the command line or in the ini file (not defaulted)."""
    return config.getoption(f"--claims-{name.replace('_', '-')}") is not None or f"claims_{name}" in config.inicfg


def _value(config: pytest.Config, name: str) -> tuple[str, bool]:
    """The raw value of setting ``name`` and whether it came from the command line."""
    cli = config.getoption(f"--claims-{name.replace('_', '-')}")
    if cli is not None:
        return str(cli), True
    return str(config.getini(f"claims_{name}")), False


def _label(name: str) -> str:
    """How error messages name a setting: both its option and its ini key."""
    return f"--claims-{name.replace('_', '-')} (ini claims_{name})"


def _number(config: pytest.Config, name: str, kind: type):
    text, _ = _value(config, name)
    try:
        return kind(text)
    except ValueError:
        noun = {int: "an integer", float: "a number"}[kind]
        raise pytest.UsageError(f"{_label(name)} must be {noun}, got {text!r}") from None


def _path(config: pytest.Config, name: str) -> Path:
    """An absolute path: command-line values against the invocation dir, ini values against rootdir."""
    text, from_cli = _value(config, name)
    base = config.invocation_params.dir if from_cli else config.rootpath
    return (Path(base) / Path(text).expanduser()).resolve()


def _parse_seeds(text: str) -> list[int]:
    try:
        a, b = (int(p) for p in text.split(":"))
    except ValueError:
        raise pytest.UsageError(f"--claims-seeds expects A:B with integers A < B, got {text!r}") from None
    if not 0 <= a < b:
        raise pytest.UsageError(f"--claims-seeds expects 0 <= A < B, got {text!r}")
    if b - a > MAX_SEEDS:
        raise pytest.UsageError(
            f"--claims-seeds {text} asks for {b - a} seeds; at most {MAX_SEEDS}: every claim test is collected "
            "once per seed, so more would exhaust memory at collection before any test ran"
        )
    return list(range(a, b))


def resolve_options(config: pytest.Config) -> Options:
    """Read every setting (command line > ini > default); raise ``pytest.UsageError`` on a bad value."""
    tier, _ = _value(config, "tier")
    if tier not in TIERS:
        raise pytest.UsageError(f"{_label('tier')} must be one of {', '.join(TIERS)}; got {tier!r}")
    seed = _number(config, "seed", int)
    if seed < 0:
        raise pytest.UsageError(f"{_label('seed')} must be >= 0, got {seed}")
    text = config.getoption("--claims-seeds")
    seeds = _parse_seeds(text) if text else None
    if seeds is not None and _given(config, "seed") and seed not in seeds:
        raise pytest.UsageError(
            f"{_label('seed')} {seed} is not one of --claims-seeds {text}: the master seed (the one reported and "
            "gated) must be among the seeds run; drop one of the two or pick a seed in the range"
        )
    update = bool(config.getoption("--claims-update"))
    if seeds is not None and update:
        raise pytest.UsageError(
            "--claims-update cannot be combined with --claims-seeds: the ledger holds one seed's verdicts"
        )
    threshold = _number(config, "stability_threshold", float)
    if not 0.0 < threshold <= 1.0:
        raise pytest.UsageError(f"{_label('stability_threshold')} must lie in (0, 1], got {threshold}")
    return Options(
        tier=tier,
        master_seed=seed if seeds is None or _given(config, "seed") else seeds[0],
        seeds=seeds,
        update=update,
        threshold=threshold,
        allow_version_mismatch=bool(config.getoption("--claims-allow-version-mismatch")),
        ledger_path=_path(config, "ledger"),
        sources_dir=_path(config, "sources"),
        manifest_path=_path(config, "manifest"),
        report_dir=_path(config, "report"),
    )
