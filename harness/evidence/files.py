"""Crash-safe file output: atomic single files, a lock per target, and atomically swapped file sets.

Two writers share these guarantees: the ledger (one file, read-modify-written under a lock) and
the report (a *set* of files that must change together). A report set is published like this::

    reports/
      sets/<run id>/claims.json, claims.md, figures/...   # one immutable directory per run
      current -> sets/<run id>                             # swapped with one os.replace
      claims.json -> current/claims.json                   # fixed links, never rewritten
      claims.md -> current/claims.md
      figures -> current/figures
      partial/                                             # a partial run's set, beside the complete one

The new set is written completely into its own directory first; a single ``os.replace`` of the
``current`` symlink then switches every fixed path at once. A reader (or a crash at any point)
therefore sees the whole old set or the whole new one, never a mix, and files of the old set
that the new one lacks (figures of deleted claims, ``stability.json``) disappear with it. This
was chosen over a manifest with a run id in every file because readers need not check
anything: ``cat reports/claims.md`` is always consistent. A reader that reads several files and
wants them from one set resolves ``current`` once (``os.path.realpath``) and reads inside it.
It needs symlinks (POSIX file systems); the set directory is named by the run id.

A *partial* run (one that left claims out: ``-k``, ``-x``, a node id) never replaces the last
complete report: it is published the same way into ``partial/`` (a report directory of its own,
marked like the parent), and the next complete run removes that directory's plugin entries.

Temp files are ``.<name>.<random>.tmp`` (ignored by git); each writer removes stale ones of its
target, left by a killed process, while it holds the target's lock.

**Only what the plugin made is ever removed.** A report directory is the plugin's when it holds
the mark file ``.claims-report`` (written when the plugin creates the directory or first
publishes into an empty one, or adopts a directory laid out as above by an earlier version:
``current`` linking to a run-id-named set, nothing but such sets in ``sets/``). A non-empty
directory without it (a ``sets/`` or a non-empty ``.lock`` alone included), or an entry at one of the
plugin's names that the plugin did not make (a regular ``claims.md``, a real ``figures/`` or
``current`` directory), is refused with :class:`ReportDirError` naming it, before anything is
written (its ``.lock`` is not even opened); the user's files stay as they are. Within its own
directory the plugin removes only its links, its run-id-named sets and its own temp files.
"""

from __future__ import annotations

import glob
import os
import re
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
    "OWNER_MARK",
    "PARTIAL_DIR",
    "SETS_DIR",
    "RUN_ID_RE",
    "LockTimeout",
    "ReportDirError",
    "atomic_write_bytes",
    "atomic_write_text",
    "locked",
    "locked_report_dir",
    "new_run_id",
    "publish_set",
    "read_utf8",
    "remove_stale_temps",
    "report_dir_problem",
    "report_lock_path",
]

SETS_DIR = "sets"
CURRENT_LINK = "current"
PARTIAL_DIR = "partial"  # a partial run's report set: a marked report directory inside the report directory
# The file that proves a report directory is the plugin's (see the module docstring).
OWNER_MARK = ".claims-report"
_OWNER_TEXT = (
    "This directory holds the reports of the claims pytest plugin (harness.evidence.files).\n"
    "The plugin replaces or deletes only what it made here: the links claims.json, claims.md, claims.html,\n"
    "figures, stability.json and current, the sets/ directory, the partial/ report directory, .lock and their\n"
    "temp files. Everything else is left alone.\n"
)
# The names new_run_id gives report sets: the only entries of sets/ the plugin adopts or removes.
RUN_ID_RE = re.compile(r"\A\d{8}T\d{6}Z-\d+-[0-9a-f]{6}\Z")
# How long a writer waits for another process's lock on the same ledger or report dir. Writers
# hold it for the read-modify-write only (well under a second), so waiting this long means the
# holder is stuck.
LOCK_TIMEOUT_S = 60.0


class LockTimeout(OSError):
    """Another process held a target's lock for longer than ``LOCK_TIMEOUT_S``."""


class ReportDirError(OSError):
    """A report directory (or an entry in it) that the plugin cannot prove it made: nothing is written."""


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


def read_utf8(path: Path, where: str, error: type[Exception]) -> str:
    """The UTF-8 text of ``path``; ``error`` naming ``where`` when it cannot be read (a directory,
    EACCES, EIO) or is not UTF-8 (the byte and its offset). A missing file raises ``FileNotFoundError``."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise error(f"{where} cannot be read: {exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{where} is not UTF-8 text: byte {data[exc.start]:#04x} at offset {exc.start}") from None


def remove_stale_temps(directory: Path, name: str) -> list[Path]:
    """Delete the temp files ``.<name>.*.tmp`` that a killed writer of ``name`` left in ``directory``.

    Only that target's temp names: other ``.*.tmp`` files may be the user's. Call it only while
    holding the lock of the target, so no live writer's temp file is taken. Returns the paths removed.
    """
    if not name or "/" in name:
        raise ValueError(f"name must be one file name, got {name!r}")
    removed = []
    for path in directory.glob(f".{glob.escape(name)}.*.tmp"):
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
    Re-entrant within a thread (one lock object per path), so a caller may hold a target's lock
    around a function that takes it again, e.g. the plugin holding the report's and the ledger's
    locks before it writes either.
    """
    lock = filelock.FileLock(Path(lock_path).absolute(), is_singleton=True)
    try:
        lock.acquire(timeout=timeout)
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


def report_lock_path(report_dir: str | os.PathLike[str]) -> Path:
    """The lock file that publishers of ``report_dir`` take in turn."""
    return Path(report_dir) / ".lock"


def _points_into(path: Path, prefix: str) -> bool:
    return path.is_symlink() and os.readlink(path).startswith(prefix)


def _is_ours(path: Path, name: str) -> bool:
    """Whether the entry ``path`` (named like one of the plugin's) is of the kind the plugin makes."""
    if not os.path.lexists(path):
        return True
    if name == CURRENT_LINK:
        return _points_into(path, f"{SETS_DIR}/")
    if name == SETS_DIR:
        return path.is_dir() and not path.is_symlink()
    if name == PARTIAL_DIR:
        return path.is_dir() and not path.is_symlink() and ((path / OWNER_MARK).is_file() or not any(path.iterdir()))
    return _points_into(path, f"{CURRENT_LINK}/")


def _run_sets(report_dir: Path) -> bool:
    """Whether ``current`` links to an existing ``sets/<run id>`` and ``sets/`` holds nothing but
    run-id-named directories: the set layout only the plugin makes (a user's ``sets/holiday`` is not)."""
    current, sets = report_dir / CURRENT_LINK, report_dir / SETS_DIR
    if not current.is_symlink() or sets.is_symlink() or not sets.is_dir():
        return False
    head, _, run_id = os.readlink(current).partition("/")
    entries = list(sets.iterdir())
    return (
        head == SETS_DIR
        and run_id in {e.name for e in entries}
        and all(RUN_ID_RE.match(e.name) and e.is_dir() and not e.is_symlink() for e in entries)
    )


def _earlier_layout(report_dir: Path, names: Collection[str]) -> bool:
    """Whether the unmarked ``report_dir`` holds only a report set of an earlier plugin version
    (``sets/<run id>/``, ``current`` linking to one, links into it, ``partial/``, ``.lock``, their temp
    files): adopted, not refused. A ``sets/`` or a non-empty ``.lock`` alone proves nothing: refused."""
    if not _run_sets(report_dir):
        return False
    ours = {SETS_DIR, CURRENT_LINK, PARTIAL_DIR, ".lock", *names}
    temps = tuple(f".{n}." for n in (CURRENT_LINK, *names))
    for entry in report_dir.iterdir():
        if entry.name.endswith(".tmp") and entry.name.startswith(temps):
            continue
        if entry.name not in ours or not (entry.name == ".lock" or _is_ours(entry, entry.name)):
            return False
    return True


def _fresh(entry: Path) -> bool:
    """Whether ``entry`` is all a directory holds while a plugin run makes it its own: an empty
    ``.lock`` (another run's, or one that opening, which truncates, cannot spoil) or the mark's temp file."""
    if entry.name == ".lock":
        return entry.is_file() and not entry.is_symlink() and entry.stat().st_size == 0
    return entry.name.startswith(f".{OWNER_MARK}.") and entry.name.endswith(".tmp")


def report_dir_problem(report_dir: str | os.PathLike[str], names: Collection[str]) -> str | None:
    """Why the plugin may not publish a set with top-level ``names`` into ``report_dir`` (None: it may).

    It may when the directory does not exist yet (and can be made), is empty (but for
    :func:`_fresh` entries: another run is making it its own), or is its own
    (:data:`OWNER_MARK`, or the layout of an earlier version), and every entry at the plugin's
    names is one it made. A path that is, or lies below, something other than a directory is refused.
    """
    report_dir = Path(report_dir)
    try:
        if not report_dir.is_dir():
            existing = next(p for p in (report_dir, *report_dir.parents) if os.path.lexists(p))
            if existing.is_dir():
                return None
            return f"report directory {str(report_dir)!r} cannot be made: {str(existing)!r} is not a directory"
        if all(_fresh(e) for e in report_dir.iterdir()):
            return None
        owned = (report_dir / OWNER_MARK).is_file() or _earlier_layout(report_dir, names)
    except OSError as exc:
        return f"report directory {str(report_dir)!r} cannot be read: {exc}"
    if not owned:
        return (
            f"report directory {str(report_dir)!r} is not empty and was not made by the claims plugin "
            f"(no {OWNER_MARK} in it): the plugin writes only into a new or empty directory or one it marked, "
            "so that it never replaces or deletes files it did not write; choose another --claims-report "
            "(ini claims_report)"
        )
    for name in (CURRENT_LINK, SETS_DIR, PARTIAL_DIR, *names):
        if not _is_ours(report_dir / name, name):
            kind = "symlink" if name not in (SETS_DIR, PARTIAL_DIR) else "directory"
            return (
                f"{str(report_dir / name)!r} was not made by the claims plugin (it makes {name!r} a {kind}); "
                "move it away or choose another --claims-report"
            )
    if (report_dir / PARTIAL_DIR).is_dir():
        return report_dir_problem(report_dir / PARTIAL_DIR, names)
    return None


def _refuse(report_dir: Path, names: Collection[str]) -> None:
    problem = report_dir_problem(report_dir, names)
    if problem:
        raise ReportDirError(problem)


@contextmanager
def locked_report_dir(report_dir: str | os.PathLike[str], names: Collection[str]) -> Iterator[None]:
    """Hold ``report_dir``'s lock for the ``with`` block, refusing (:class:`ReportDirError`) a
    directory the plugin may not publish ``names`` into (:func:`report_dir_problem`).

    Checked before the lock file is opened (opening truncates it: a user's ``.lock`` is never
    touched) and again under the lock, when no other writer can change the directory. Re-entered
    by the thread that holds it (the plugin holds it around :func:`publish_set`): no check again.
    """
    report_dir = Path(report_dir)
    lock_path = report_lock_path(report_dir)
    if filelock.FileLock(lock_path.absolute(), is_singleton=True).is_locked:
        with locked(lock_path):
            yield
        return
    _refuse(report_dir, names)
    report_dir.mkdir(parents=True, exist_ok=True)
    with locked(lock_path):
        _refuse(report_dir, names)
        yield


def _replace_with_link(path: Path, target: str) -> None:
    """Make ``path`` (absent, or a link the plugin made) a symlink to ``target``, atomically."""
    if path.is_symlink() and os.readlink(path) == target:
        return
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    os.symlink(target, tmp)
    os.replace(tmp, path)


def publish_set(
    report_dir: str | os.PathLike[str],
    files: Mapping[str, bytes],
    *,
    run_id: str,
    names: Collection[str] = (),
    partial: bool = False,
) -> list[Path]:
    """Publish ``files`` (``{relative posix path: bytes}``) as the new set of ``report_dir``.

    ``names`` are every top-level name a set of this kind may have (a name the new set lacks is
    unlinked); ``run_id`` is a :func:`new_run_id` name (``ValueError`` otherwise). Under
    :func:`locked_report_dir` (which refuses a directory or entry the plugin cannot prove it made
    with :class:`ReportDirError`): marks the directory as its own,
    writes ``sets/<run_id>/``, points a fixed link ``report_dir/<top name>`` -> ``current/<top
    name>`` at every top-level entry, swaps ``current`` to the new set with one ``os.replace``,
    then deletes its links to entries the new set lacks, older sets and its own stale temp
    files. Concurrent writers publish one after the other. Returns the fixed paths of ``files``.

    ``partial``: publish into ``report_dir/partial/`` instead (the same way, under both
    directories' locks), leaving the complete set as it is; a complete set, once published,
    retires ``partial/`` (:func:`_retire_partial`).
    """
    if not RUN_ID_RE.match(run_id):
        raise ValueError(f"run_id must be a name new_run_id() makes, got {run_id!r}")
    report_dir = Path(report_dir)
    if partial:
        with locked_report_dir(report_dir, names):
            if not (report_dir / OWNER_MARK).is_file():
                atomic_write_text(report_dir / OWNER_MARK, _OWNER_TEXT)
            return publish_set(report_dir / PARTIAL_DIR, files, run_id=run_id, names=names)
    tops = sorted({rel.split("/", 1)[0] for rel in files})
    names = sorted(set(names) | set(tops))
    with locked_report_dir(report_dir, names):
        if not (report_dir / OWNER_MARK).is_file():
            atomic_write_text(report_dir / OWNER_MARK, _OWNER_TEXT)
        for name in (CURRENT_LINK, *names):
            remove_stale_temps(report_dir, name)
        new = report_dir / SETS_DIR / run_id
        new.mkdir(parents=True)
        try:
            _write_tree(new, files)
        except BaseException:
            shutil.rmtree(new, ignore_errors=True)
            raise
        for top in tops:  # dangling until the swap when the old set lacks it: absent either way
            _replace_with_link(report_dir / top, f"{CURRENT_LINK}/{top}")
        _replace_with_link(report_dir / CURRENT_LINK, f"{SETS_DIR}/{run_id}")
        _fsync_dir(report_dir)
        _remove_old(report_dir, keep=run_id, unlink=[n for n in names if n not in tops])
        _retire_partial(report_dir / PARTIAL_DIR, names)
    return [report_dir / rel for rel in files]


def _retire_partial(partial: Path, names: Collection[str]) -> None:
    """Remove a partial run's set older than the complete one just published: the plugin's entries
    of ``partial/`` (links, ``current``, ``sets``, lock, mark, its temp files), then the directory
    if nothing else is in it (a file of the user's keeps it)."""
    if not partial.is_dir() or partial.is_symlink() or not (partial / OWNER_MARK).is_file():
        return
    for name in (*names, CURRENT_LINK):
        remove_stale_temps(partial, name)
        if os.path.lexists(partial / name) and _is_ours(partial / name, name):
            (partial / name).unlink()
    shutil.rmtree(partial / SETS_DIR, ignore_errors=True)
    for name in (".lock", OWNER_MARK):
        (partial / name).unlink(missing_ok=True)
    try:
        partial.rmdir()
    except OSError:
        atomic_write_text(partial / OWNER_MARK, _OWNER_TEXT)  # the user's files stay, in a directory still ours


def _remove_old(report_dir: Path, *, keep: str, unlink: Collection[str]) -> None:
    """Delete the plugin's links named in ``unlink`` (entries the new set lacks) and every set but
    ``keep``: only run-id-named directories, whatever else ``sets/`` may hold."""
    for name in unlink:
        if _points_into(report_dir / name, f"{CURRENT_LINK}/"):
            (report_dir / name).unlink()
    for old in (report_dir / SETS_DIR).iterdir():
        if old.name != keep and RUN_ID_RE.match(old.name) and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
