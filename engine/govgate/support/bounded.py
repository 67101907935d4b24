"""Running code that may never return (a plugin's collector or hook) with a deadline.

`run_bounded` runs a function in a daemon thread and stops waiting for it at the deadline, so
a plugin that sleeps or loops becomes an error instead of a hung gate. `timeout_setting`
reads the deadline from `GOVGATE_COLLECTOR_TIMEOUT` (or the value govgate.yaml gives),
refusing one that is not a positive number of seconds.
"""

from __future__ import annotations

import faulthandler
import math
import os
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from govgate.support.errors import UsageError

T = TypeVar("T")

#: Seconds a collector or a plugin hook may take when nothing else is configured.
DEFAULT_TIMEOUT_SECONDS = 300.0
TIMEOUT_ENV = "GOVGATE_COLLECTOR_TIMEOUT"


class Overrun(TimeoutError):
    """The function did not finish within its deadline (it may still be running)."""


def timeout_setting(configured: float | None = None) -> float:
    """The deadline in seconds: `configured` (govgate.yaml's `collector_timeout`) when given,
    else `GOVGATE_COLLECTOR_TIMEOUT`, else 300. A value that is not a positive, finite number
    of seconds is a usage error naming where it came from."""
    if configured is not None:
        return float(configured)
    raw = os.environ.get(TIMEOUT_ENV)
    if raw is None or not raw.strip():
        return DEFAULT_TIMEOUT_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise UsageError(
            f"{TIMEOUT_ENV}={raw[:40]!r}: not a number of seconds; "
            f"set it to a positive number such as {DEFAULT_TIMEOUT_SECONDS:g}, or unset it"
        )
    return seconds


def run_bounded(fn: Callable[[], T], seconds: float, name: str = "govgate-bounded") -> T:
    """`fn()`, or `Overrun` once `seconds` have passed; whatever `fn` raised, re-raised here.

    Every exception is carried over, BaseExceptions too (SystemExit, KeyboardInterrupt,
    GeneratorExit): the caller decides what each means. A function stuck in C code that holds
    the GIL (Python's `re` on a catastrophic pattern) would keep this thread from ever waking
    up to say so; for that case a watchdog outside the interpreter (faulthandler's own thread)
    ends the process with exit 1, the gate failing, after printing the stuck frames, if
    control has not come back well after `seconds`.
    """
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = fn()
        except BaseException as exc:  # delivered to the caller below
            box["error"] = exc

    thread = threading.Thread(target=target, name=name, daemon=True)
    watchdog = _arm_watchdog(seconds * 1.5 + 5)  # before start: the thread may never yield
    try:
        thread.start()
        thread.join(seconds)
    finally:
        if watchdog:
            faulthandler.cancel_dump_traceback_later()
    if thread.is_alive():
        raise Overrun(f"did not finish within {seconds:g} s")
    if "error" in box:
        raise box["error"]
    result: T = box["result"]
    return result


def _arm_watchdog(seconds: float) -> bool:
    """Exit 1 after `seconds` unless cancelled; False where no real stderr exists to report on."""
    stream = sys.__stderr__
    try:
        faulthandler.dump_traceback_later(seconds, exit=True, file=stream)  # type: ignore[arg-type]
    except (AttributeError, OSError, ValueError):  # no stderr file descriptor (pythonw, ...)
        return False
    return True
