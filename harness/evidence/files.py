"""Crash-safe file output: atomic single files, a lock per target, and atomically swapped file sets.

Two writers share these guarantees: the ledger (one file, read-modify-written under a lock) and
the report (a *set* of files that must change together). A report set is published like this::

    reports/
      sets/<run id>/claims.json, claims.md, figures/...   # one immutable directory per run
      current -> sets/<run id>                             # swapped with one os.replace
      claims.json -> current/claims.json                   # fixed links, never rewritten
      claims.md -> current/claims.md
      figures -> current/figures

The new set is written completely into its own directory first; a single ``os.replace`` of the
``current`` symlink then switches every fixed path at once. A reader (or a crash at any point)
therefore sees the whole old set or the whole new one, never a mix, and files of the old set
that the new one lacks (figures of deleted claims, ``stability.json``) disappear with it. This
was chosen over a manifest with a run id in every file because readers need not check
anything: ``cat reports/claims.md`` is always consistent. A reader that reads several files and
wants them from one set resolves ``current`` once (``os.path.realpath``) and reads inside it.
It needs symlinks (POSIX file systems); the set directory is named by the run id.

Temp files are ``.<name>.<random>.tmp`` (ignored by git); each writer removes stale ones of its
target, left by a killed process, while it holds the target's lock.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import filelock

__all__ = [
    "CURRENT_LINK",
    "LOCK_TIMEOUT_S",
    "SETS_DIR",
    "LockTimeout",
    "atomic_write_bytes",
    "atomic_write_text",
    "locked",
    "new_run_id",
    "publish_set",
    "remove_stale_temps",
]

SETS_DIR = "sets"
CURRENT_LINK = "current"
# How long a writer waits for another process's lock on the same ledger or report dir. Writers
# hold it for the read-modify-write only (well under a second), so waiting this long means the
# holder is stuck.
LOCK_TIMEOUT_S = 60.0


class LockTimeout(OSError):
    """Another process held a target's lock for longer than ``LOCK_TIMEOUT_S``."""


def _file_mode(path: Path) -> int:
    """Permission bits for ``path``: those of the file it replaces, else 0o666 minus the umask."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` via a temp file in the same directory and ``os.replace``.

    Readers see either the old file or the new one, never a partial write.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, _file_mode(path))  # mkstemp makes 0o600; keep the usual permissions
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """UTF-8 text version of :func:`atomic_write_bytes`."""
    atomic_write_bytes(path, text.encode("utf-8"))


def remove_stale_temps(directory: Path, name: str = "") -> list[Path]:
    """Delete the temp files ``.<name>*.tmp`` that a killed writer left in ``directory``.

    Call it only while holding the lock of the target, so no live writer's temp file is taken.
    Returns the paths removed.
    """
    removed = []
    for path in directory.glob(f".{name}*.tmp"):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed


@contextmanager
def locked(lock_path: Path, timeout: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold the inter-process lock file ``lock_path`` (``filelock``) for the ``with`` block.

    Raises :class:`LockTimeout` naming the lock when another process keeps it for ``timeout`` s.
    """
    lock = filelock.FileLock(lock_path, timeout=timeout)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise LockTimeout(
            f"could not lock {str(lock_path)!r} within {timeout:g} s: another run is writing the same target"
        ) from None
    try:
        yield
    finally:
        lock.release()


def new_run_id() -> str:
    """A sortable, unique name for one run's report set: UTC time, pid and a random suffix."""
    return f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{os.getpid()}-{secrets.token_hex(3)}"


def _write_tree(root: Path, files: Mapping[str, bytes]) -> None:
    """Write ``files`` (``{relative posix path: bytes}``) under the fresh directory ``root``, synced."""
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    _fsync_dir(root)


def _fsync_dir(directory: Path) -> None:
    """Flush a directory's entries to disk (so a rename that follows cannot outlive its contents)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _replace_with_link(path: Path, target: str) -> None:
    """Make ``path`` a symlink to ``target``, atomically when ``path`` is a file or a link.

    A real directory (a report written before sets existed) is moved aside first, then deleted.
    """
    if path.is_symlink() and os.readlink(path) == target:
        return
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    os.symlink(target, tmp)
    if path.is_dir() and not path.is_symlink():
        aside = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        os.rename(path, aside)
        os.replace(tmp, path)
        shutil.rmtree(aside, ignore_errors=True)
    else:
        os.replace(tmp, path)


def publish_set(
    report_dir: str | os.PathLike[str], files: Mapping[str, bytes], *, run_id: str, owned: Collection[str] = ()
) -> list[Path]:
    """Publish ``files`` (``{relative posix path: bytes}``) as the new set of ``report_dir``.

    Writes ``sets/<run_id>/``, points a fixed link ``report_dir/<top name>`` -> ``current/<top
    name>`` at every top-level entry, swaps ``current`` to the new set with one ``os.replace``,
    then deletes links to entries the new set lacks, entries named in ``owned`` that it lacks
    (files of a report written before sets existed), older sets and stale temp files. All of it
    under ``report_dir/.lock``, so concurrent writers publish one after the other. Returns the
    fixed paths of ``files``.
    """
    report_dir = Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    with locked(report_dir / ".lock"):
        remove_stale_temps(report_dir)
        new = report_dir / SETS_DIR / run_id
        new.mkdir(parents=True)
        try:
            _write_tree(new, files)
        except BaseException:
            shutil.rmtree(new, ignore_errors=True)
            raise
        tops = sorted({rel.split("/", 1)[0] for rel in files})
        for top in tops:  # dangling until the swap when the old set lacks it: absent either way
            _replace_with_link(report_dir / top, f"{CURRENT_LINK}/{top}")
        _replace_with_link(report_dir / CURRENT_LINK, f"{SETS_DIR}/{run_id}")
        _fsync_dir(report_dir)
        _remove_old(report_dir, keep=run_id, tops=tops, owned=owned)
    return [report_dir / rel for rel in files]


def _remove_old(report_dir: Path, *, keep: str, tops: list[str], owned: Collection[str]) -> None:
    """Delete links into ``current`` and ``owned`` entries that the new set does not fill, and
    every set but ``keep``."""
    prefix = f"{CURRENT_LINK}/"
    for entry in report_dir.iterdir():
        if entry.name in tops:
            continue
        if entry.is_symlink() and (os.readlink(entry).startswith(prefix) or entry.name in owned):
            entry.unlink()
        elif entry.name in owned and entry.is_dir():
            shutil.rmtree(entry)
        elif entry.name in owned:
            entry.unlink()
    for old in (report_dir / SETS_DIR).iterdir():
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True)
