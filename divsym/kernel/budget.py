"""Time budgets for the symbolic routes of :func:`~divsym.kernel.verify.verify`.

SymPy cannot be cancelled cooperatively: a ``cancel(together(…))`` over a written-out Sum may
run for minutes. The only way to stop it from the same process is a signal, so
:func:`time_budget` arms ``SIGALRM`` with :func:`signal.setitimer` and raises
:class:`RouteTimeout` from the handler when the budget is spent. That works only in the main
thread of the main interpreter on a platform with ``setitimer`` (not Windows); elsewhere the
route runs without a budget and :attr:`Budget.enforced` is False, so that the caller can say
so in its report.

A timer already armed by someone else (an outer budget, a test timeout) is respected: it keeps
its handler and fires at its own time, re-armed with what is left of it on exit.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any

__all__ = ["ROUTE_BUDGET_SECONDS", "Budget", "RouteTimeout", "budget_available", "time_budget"]

#: Seconds each symbolic route-attempt (rules, decided by SymPy, canonical form, fixed n for
#: one n) may take. Every route of the 23 lecture derivations takes under 0.1 s here.
ROUTE_BUDGET_SECONDS = 2.0


class RouteTimeout(BaseException):
    """A route ran out of its budget.

    A ``BaseException`` (like ``KeyboardInterrupt``), so that SymPy's own ``except Exception``
    blocks, which are many, cannot swallow it and carry on.
    """

    def __init__(self, seconds: float) -> None:
        super().__init__(f"timed out after {seconds:g} s")
        self.seconds = seconds


@dataclass
class Budget:
    """What :func:`time_budget` could do: ``enforced`` is False when the route runs unbounded."""

    seconds: float | None
    enforced: bool
    why_not: str = ""


def budget_available() -> str:
    """Why a budget cannot be enforced here, or ``""`` when it can."""
    if not hasattr(signal, "setitimer") or not hasattr(signal, "SIGALRM"):
        return "no SIGALRM timer on this platform"
    if threading.current_thread() is not threading.main_thread():
        return "not in the main thread"
    return ""


@contextmanager
def time_budget(seconds: float | None) -> Iterator[Budget]:
    """Run the body with at most ``seconds`` of wall time, else raise :class:`RouteTimeout`.

    ``seconds=None`` means no budget. When the budget cannot be enforced (see the module
    docstring) the body runs without one and the yielded :class:`Budget` says why.
    """
    if seconds is None:
        yield Budget(None, False, "no budget requested")
        return
    if not seconds > 0:
        raise ValueError(f"seconds must be positive or None, got {seconds!r}")
    why_not = budget_available()
    if why_not:
        yield Budget(seconds, False, why_not)
        return
    started = time.monotonic()
    outer_delay, outer_interval = signal.getitimer(signal.ITIMER_REAL)
    outer_fired = False
    try:
        outer_handler = signal.getsignal(signal.SIGALRM)

        def on_alarm(signum: int, frame: FrameType | None) -> Any:
            nonlocal outer_fired
            left = seconds - (time.monotonic() - started)
            if left <= 0.001 * seconds or not callable(outer_handler):
                raise RouteTimeout(seconds)
            # The outer timer came first: its handler runs, then our budget goes on.
            outer_fired = True
            signal.setitimer(signal.ITIMER_REAL, left)
            return outer_handler(signum, frame)

        signal.signal(signal.SIGALRM, on_alarm)
    except ValueError as error:  # e.g. a sub-interpreter
        yield Budget(seconds, False, f"cannot install a signal handler ({error})")
        return
    signal.setitimer(signal.ITIMER_REAL, min(seconds, outer_delay) if outer_delay else seconds)
    try:
        yield Budget(seconds, True)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, outer_handler)
        if outer_delay and (not outer_fired or outer_interval):
            left = outer_delay - (time.monotonic() - started)
            if outer_fired or left <= 0:
                left = outer_interval or 1e-6
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-6), outer_interval)
