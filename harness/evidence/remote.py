"""Scale-out of the claims plugin over xdist gateways (``--tx popen``, ``--tx ssh=...``): what each
worker runs on, what it inherits from the controller, and how its arguments reach it.

- **Versions.** Before a worker starts, the controller sends ``harness.evidence.probe`` to its
  interpreter (one ``remote_exec`` on the worker's gateway; it imports neither torch nor the
  harness) for its Python version, installed torch and a digest of the harness code it will
  import (:func:`probe_versions`). A
  worker whose versions differ from the controller's is refused (:func:`version_mismatch`)
  unless ``--claims-allow-version-mismatch``; every worker's versions go into the report.
- **Environment.** ``HARNESS_DEVICE`` and ``HARNESS_COMPILE`` (read by ``harness.engine``) are
  sent from the controller (:func:`forwarded_env`), since ssh does not carry the environment.
- **Restarts.** xdist bounds worker restarts only under ``-n``; with ``--tx`` alone a worker that
  cannot start (a remote Python without execnet) was restarted endlessly. :func:`bound_restarts`
  applies xdist's own ``-n`` default, four per worker.
- **Arguments.** xdist 3.x maps every command-line word that names an existing path onto an
  rsync root of the remote copy and stops with an INTERNALERROR ("not relative to an rsync
  root") for any other, e.g. ``--claims-report reports`` or a relative test path without
  ``--rsyncdir``. :func:`remote_args` maps a path inside the project onto
  ``<gateway chdir>/<project dir name>/...``, where a remote checkout of the same commit lives
  (``docs/scale-out.md``), exactly where ``--rsyncdir`` of the project puts its copy; a path
  outside both is a usage error naming it.

This module never imports torch; the hooks live in ``harness.evidence.plugin``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest

from harness.evidence import probe
from harness.evidence.probe import versions

__all__ = [
    "FORWARDED_ENV",
    "RESTARTS_PER_WORKER",
    "bound_restarts",
    "forwarded_env",
    "install_arg_mapping",
    "probe_versions",
    "remote_args",
    "tx_count",
    "version_mismatch",
    "versions",
]

# The engine's environment switches (harness.engine.device.DEVICE_ENV, harness.engine.compiling.COMPILE_ENV;
# named here because evidence never imports the engine; tests/test_remote.py checks they agree).
FORWARDED_ENV: tuple[str, ...] = ("HARNESS_DEVICE", "HARNESS_COMPILE")
# xdist's default bound under -n: four restarts per worker.
RESTARTS_PER_WORKER = 4


def probe_versions(gateway: Any, search_path: Sequence[str] | None, timeout: float = 60.0) -> dict[str, str]:
    """``harness.evidence.probe.versions`` of the interpreter behind an execnet ``gateway``, on the
    ``search_path`` its worker will use (None: the interpreter's own)."""
    channel = gateway.remote_exec(probe)
    channel.send(list(search_path) if search_path else None)
    result = channel.receive(timeout)
    channel.waitclose(timeout)
    return dict(result)


def version_mismatch(worker: str, theirs: dict[str, str], ours: dict[str, str]) -> str | None:
    """Why ``worker`` may not run claims beside the controller (None: same versions)."""
    differ = [f"{key} {theirs.get(key)} (controller: {ours[key]})" for key in ours if theirs.get(key) != ours[key]]
    if not differ:
        return None
    return (
        f"worker {worker} runs {', '.join(differ)}: its verdicts could differ from the controller's for the same "
        "seed. Install the same commit and the same torch on every host (docs/scale-out.md), or pass "
        "--claims-allow-version-mismatch to run anyway (the report records every worker's versions)"
    )


def forwarded_env(environ: dict[str, str] | os._Environ[str] = os.environ) -> dict[str, str]:
    """The engine's environment switches set on the controller, to be set on every worker."""
    return {name: environ[name] for name in FORWARDED_ENV if name in environ}


def tx_count(specs: Iterable[str]) -> int:
    """How many workers ``--tx`` values start (``2*popen`` counts 2)."""
    total = 0
    for spec in specs:
        head, star, _rest = spec.partition("*")
        total += int(head) if star and head.isdigit() else 1
    return total


def bound_restarts(option: Any) -> None:
    """With ``--tx`` and neither ``-n`` nor ``--max-worker-restart``, bound restarts as ``-n`` does (4 per worker)."""
    if getattr(option, "tx", None) and not getattr(option, "numprocesses", None) and option.maxworkerrestart is None:
        option.maxworkerrestart = str(RESTARTS_PER_WORKER * tx_count(option.tx))


def remote_args(args: Sequence[str], roots: Sequence[Path], *, base: Path, rootdir: Path) -> list[str]:
    """The command-line words as a remote worker (cwd: its gateway's ``chdir``) must see them.

    A word naming an existing path (relative to ``base``, the invocation dir) becomes
    ``<root name>/<path below it>`` for the first rsync root in ``roots`` that holds it (as xdist
    does), else ``<rootdir name>/<path below it>`` when the project's ``rootdir`` holds it (the
    remote checkout). Any other existing path is a ``pytest.UsageError`` naming the word.
    """
    out = []
    for arg in args:
        head, sep, tail = arg.partition("::")
        try:
            path = (base / head).resolve() if head and (base / head).exists() else None
        except OSError:
            path = None
        if path is None:
            out.append(arg)
            continue
        home = next((r for r in [*roots, rootdir] if path == r or r in path.parents), None)
        if home is None:
            raise pytest.UsageError(
                f"the argument {arg!r} names {path}, outside the project ({rootdir}) and every --rsyncdir: "
                "a remote worker cannot find it; give that option as --option=VALUE or a path inside the project"
            )
        below = path.relative_to(home).as_posix()
        out.append((home.name if below == "." else f"{home.name}/{below}") + sep + tail)
    return out


def install_arg_mapping(config: pytest.Config) -> Callable[[], None] | None:
    """Make xdist's workermanage map arguments with :func:`remote_args`; return the undo (None when
    xdist is absent or not a version whose ``make_reltoroot`` this replaces)."""
    try:
        from xdist import workermanage
    except ImportError:
        return None
    original = getattr(workermanage, "make_reltoroot", None)
    if original is None:
        return None
    base, rootdir = Path(config.invocation_params.dir), Path(config.rootpath)

    def make_reltoroot(roots: Sequence[Path], args: list[str]) -> list[str]:
        return remote_args(args, [Path(r) for r in roots], base=base, rootdir=rootdir)

    workermanage.make_reltoroot = make_reltoroot

    def undo() -> None:
        workermanage.make_reltoroot = original

    return undo
