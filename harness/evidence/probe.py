"""What a claims worker runs on: Python, torch and the harness code, read without importing either.

Standard library only: the controller sends this module's source to each xdist worker's
interpreter (execnet ``remote_exec``, where it runs as ``__channelexec__``) before the worker
starts, and compares the answer with its own (``harness.evidence.remote``).
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.metadata
import os
import platform
from collections.abc import Sequence
from pathlib import Path

__all__ = ["harness_digest", "versions"]


def harness_digest(package_dir: str | os.PathLike[str]) -> str:
    """First 16 hex digits of the sha256 over every ``*.py`` file of the harness package (paths and
    bytes): equal digests mean the same harness code, whatever the checkout or the install."""
    root = Path(package_dir)
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def versions(search_path: Sequence[str] | None = None) -> dict[str, str]:
    """``{"python", "torch", "harness"}`` of this interpreter: torch's installed version (not
    imported) and :func:`harness_digest` of the ``harness`` package found on ``search_path``
    (default ``sys.path``), the one a worker with that path imports."""
    spec = importlib.machinery.PathFinder.find_spec("harness", list(search_path) if search_path else None)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    try:
        torch = importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        torch = "not installed"
    return {
        "python": platform.python_version(),
        "torch": torch,
        "harness": harness_digest(locations[0]) if locations else "not found",
    }


if __name__ == "__channelexec__":  # sent by harness.evidence.remote.probe_versions
    channel.send(versions(channel.receive()))  # type: ignore[name-defined]  # noqa: F821
