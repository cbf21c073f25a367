"""Signals during a claims run: SIGTERM ends it as Ctrl-C does, and nothing is published half-way.

pytest turns Ctrl-C (SIGINT) into an orderly stop: xdist workers are shut down, the session
finishes and the claims plugin says that nothing was written. SIGTERM (what ``kill``, CI runners
and container stops send) killed the controller at once instead, leaving xdist workers running
their current test to the end. :func:`sigterm_as_interrupt` makes SIGTERM raise
``KeyboardInterrupt`` too, in the controller (or serial) process only.

While the plugin publishes the report and updates the ledger (both locks held), an interrupt
would leave one written and the other not; :func:`deferred_interrupts` holds SIGINT and SIGTERM
for those few milliseconds and tells the caller which arrived.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["deferred_interrupts", "sigterm_as_interrupt"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"received {signal.Signals(signum).name}")


def sigterm_as_interrupt() -> Callable[[], None] | None:
    """Make SIGTERM raise ``KeyboardInterrupt`` in this process; return the undo.

    Only from the main thread and only over the default handler (a handler the user or another
    plugin installed is left alone): None then.
    """
    if threading.current_thread() is not threading.main_thread():
        return None
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return None
    signal.signal(signal.SIGTERM, _raise_interrupt)

    def undo() -> None:
        if signal.getsignal(signal.SIGTERM) is _raise_interrupt:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)

    return undo


@contextmanager
def deferred_interrupts() -> Iterator[list[str]]:
    """Hold SIGINT and SIGTERM for the ``with`` block; yield the list of the signals' names that arrived.

    Outside the main thread (where handlers cannot be set) the block runs as it is.
    """
    received: list[str] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def remember(signum: int, frame: FrameType | None) -> None:
        received.append(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, remember) for sig in _SIGNALS}
    try:
        yield received
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
