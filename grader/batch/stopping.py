"""Stopping a command cleanly: Ctrl-C, a batch scheduler's SIGTERM, a closed terminal's SIGHUP.

Python turns Ctrl-C into ``KeyboardInterrupt`` in the main thread; the other two stop
signals end the process at once by default, without letting go of kernels, evaluation
workers or the output folder. :func:`stop_signals` makes them raise :class:`Stopped`, a
``KeyboardInterrupt``, so every command ends the same way whichever signal came.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class Stopped(KeyboardInterrupt):
    """A stop signal other than Ctrl-C, raised in the main thread as Ctrl-C's interrupt is.

    Attributes:
        signum: the signal's number.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    def __reduce__(self) -> tuple[type[Stopped], tuple[int]]:
        return type(self), (self.signum,)


def _raise_stopped(signum: int, frame: object) -> None:
    raise Stopped(signum)


@contextlib.contextmanager
def stop_signals() -> Iterator[None]:
    """Within it, SIGTERM and SIGHUP raise :class:`Stopped` in the main thread.

    A signal that was ignored when it began (``nohup`` ignores SIGHUP) stays ignored;
    the handlers before it are put back at its end. Outside the main thread it does
    nothing: only that thread may set handlers.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    for sig, handler in before.items():
        if handler is not signal.SIG_IGN:
            signal.signal(sig, _raise_stopped)
    try:
        yield
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)


def signal_name(exc: KeyboardInterrupt) -> str:
    """``Ctrl-C`` for Python's own interrupt, else the signal's name (``SIGTERM``)."""
    return signal.Signals(exc.signum).name if isinstance(exc, Stopped) else "Ctrl-C"


def exit_code(exc: KeyboardInterrupt) -> int:
    """What a shell reports for a process a signal ended: 128 + the signal's number."""
    return 128 + (exc.signum if isinstance(exc, Stopped) else signal.SIGINT)
