"""pytest-xdist distribution for the claims plugin: groups that really group, crashes that never hang.

Claims computed from one expensive piece (a table of cross-validated models) share an
``xdist_group``; under ``-n`` the plugin distributes by group (xdist's ``loadgroup``), so each
piece is computed on one worker. Three things in xdist 3.8 stood in the way:

1. **Hook order.** The plugin turns ``-n`` without ``--dist`` into ``loadgroup`` in
   ``pytest_cmdline_main``; xdist's own ``tryfirst`` implementation of that hook turns it into
   ``load`` first whenever xdist registers after this plugin. A hook *wrapper* runs before every
   plain implementation, whatever the registration order (``harness.evidence.plugin``).
2. **Group tags.** ``loadgroup`` learns an item's group from a ``@group`` suffix that xdist's
   worker writes into the private ``item._nodeid``. pytest 9.2 keeps node ids in a structured
   ``item._id`` instead (pytest-dev/pytest-xdist#1386), so the suffix is lost and groups are
   silently ignored. :func:`tag_groups` writes the suffix through whichever of the two this
   pytest reads, checks that ``item.nodeid`` shows it, and reports the items it could not tag.
3. **Crashes.** When a worker dies, ``LoadScopeScheduling.remove_node`` puts every work unit the
   worker ever had back in the queue: the crashing test included (each replacement crashes on
   it in turn) and units already finished (a replacement is sent an empty unit, is never given
   more work and idles forever: issue 12 item 1). :class:`CrashSafeLoadGroupScheduling` marks the crashing test
   done and re-queues only units with tests left to run; and it gives work only to workers whose
   collection is in (two workers dying at once left a replacement that was still collecting in the
   rescheduling loop: ``KeyError``, issue 19 item 9).

Both use private state of pytest or xdist, so both check the versions they were written against
(:data:`KNOWN_PYTEST`, :data:`KNOWN_XDIST`) and the attributes they touch. On other versions
the plugin falls back: items keep their ids (each test is its own unit, as with ``--dist load``)
and the scheduler is xdist's plain ``LoadScheduling``, each with a warning saying so.
"""

from __future__ import annotations

import importlib
import re
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import pytest

__all__ = ["KNOWN_PYTEST", "KNOWN_XDIST", "group_suffix", "make_scheduler", "tag_groups"]

# Versions whose private state this module reads: pytest [8.0, 9.3) (``_nodeid`` up to 9.1,
# structured ``_id`` from 9.2), pytest-xdist [3.5, 4.0) (``LoadScopeScheduling`` internals).
KNOWN_PYTEST = ((8, 0), (9, 3))
KNOWN_XDIST = ((3, 5), (4, 0))


def _version(text: str) -> tuple[int, int]:
    """``(major, minor)`` of a version string such as ``"9.2.0"``, ``"9.2.0.dev340"`` or ``"4.0rc1"``."""
    numbers = [int(m.group(0)) if (m := re.match(r"\d+", piece)) else 0 for piece in text.split(".")[:2]]
    return (numbers + [0, 0])[0], (numbers + [0, 0])[1]


def _within(version: tuple[int, int], bounds: tuple[tuple[int, int], tuple[int, int]]) -> bool:
    return bounds[0] <= version < bounds[1]


def group_suffix(item: pytest.Item) -> str | None:
    """The ``@``-suffix xdist's ``loadgroup`` expects for ``item`` (its group names sorted and
    joined by ``_``), or ``None`` when the item has no ``xdist_group`` mark."""
    names = {str(m.args[0] if m.args else m.kwargs.get("name", "default")) for m in item.iter_markers("xdist_group")}
    return "_".join(sorted(names)) if names else None


def _id_setter(pytest_version: str) -> Callable[[pytest.Item, str], None] | None:
    """How this pytest lets an item's node id be changed, or ``None`` for an unknown pytest."""
    version = _version(pytest_version)
    if not _within(version, KNOWN_PYTEST):
        return None
    if version < (9, 2):

        def set_legacy(item: pytest.Item, nodeid: str) -> None:
            item._nodeid = nodeid

        return set_legacy
    try:
        nodeid_module: Any = importlib.import_module("_pytest.nodeid")  # pytest >= 9.2 only
    except ImportError:
        return None

    def set_structured(item: pytest.Item, nodeid: str) -> None:
        target: Any = item  # ``_id`` is private and typed only where pytest declares it
        target._id = nodeid_module.NodeId.parse(nodeid)

    return set_structured


def tag_groups(items: Iterable[pytest.Item], pytest_version: str = pytest.__version__) -> list[str]:
    """Give every grouped item its ``@group`` node-id suffix; return the ids of those left untagged.

    Items xdist already tagged are left alone. An untagged item still runs, as its own unit.
    """
    setter = _id_setter(pytest_version)
    untagged: list[str] = []
    for item in items:
        suffix = group_suffix(item)
        if suffix is None or item.nodeid.endswith(f"@{suffix}"):
            continue
        wanted = f"{item.nodeid}@{suffix}"
        if setter is not None:
            setter(item, wanted)
        if item.nodeid != wanted:
            untagged.append(item.nodeid)
    return untagged


def untagged_warning(untagged: list[str]) -> pytest.PytestWarning:
    """The warning for items whose group could not be written into their node id."""
    return pytest.PytestWarning(
        f"claims plugin: xdist_group marks ignored for {len(untagged)} test(s) (e.g. {untagged[0]}): "
        f"pytest {pytest.__version__} is outside the versions whose node ids the plugin knows how to tag "
        f"({KNOWN_PYTEST[0]}..{KNOWN_PYTEST[1]}, exclusive); they are distributed one by one, as with --dist load"
    )


def make_scheduler(config: pytest.Config, log, xdist_version: str | None = None):
    """A crash-safe ``loadgroup`` scheduler, or xdist's ``LoadScheduling`` (with a warning) when
    the installed xdist is not one whose scheduler internals this module was written against."""
    import xdist
    from xdist.scheduler import LoadGroupScheduling, LoadScheduling

    version = xdist_version or xdist.__version__
    known = _within(_version(version), KNOWN_XDIST) and all(
        hasattr(LoadGroupScheduling, name) for name in ("remove_node", "_split_scope", "_pending_of", "_reschedule")
    )
    if not known:
        warnings.warn(
            pytest.PytestWarning(
                f"claims plugin: pytest-xdist {version} is outside {KNOWN_XDIST[0]}..{KNOWN_XDIST[1]} (exclusive); "
                "xdist_group marks are ignored and tests are distributed one by one (--dist load)"
            ),
            stacklevel=1,
        )
        return LoadScheduling(config, log)
    return _crash_safe_class(LoadGroupScheduling)(config, log)


def _crash_safe_class(base: type) -> type:
    """``base`` (xdist's ``LoadGroupScheduling``) with :meth:`remove_node` made crash-safe."""

    class CrashSafeLoadGroupScheduling(base):
        """``loadgroup`` that drops the test that crashed a worker and re-queues only unfinished units."""

        def remove_node(self, node):
            """Forget ``node``; if it crashed, return the test it was running (reported as the crash).

            Marks that test done, so no replacement runs it again, and drops the node's finished
            work units, so the queue holds only units with tests left to run.
            """
            workload = self.assigned_work.get(node)
            if workload is None:
                return super().remove_node(node)  # raises KeyError, as xdist expects
            crashed = next((nodeid for unit in workload.values() for nodeid, done in unit.items() if not done), None)
            for unit in workload.values():
                if crashed in unit:
                    unit[crashed] = True
            for scope in [scope for scope, unit in workload.items() if all(unit.values())]:
                del workload[scope]
            super().remove_node(node)
            return crashed

        def _reschedule(self, node):
            """Give ``node`` more work only once its collection is in: a replacement worker that is
            ready but still collecting has no index for any test (xdist raised KeyError for it when
            another worker finished collecting or died: issue 19 item 9)."""
            if node not in self.registered_collections:
                return
            super()._reschedule(node)

    return CrashSafeLoadGroupScheduling
