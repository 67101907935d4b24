"""Exceptions that end a run, and the exit codes they map to (the same for every format).

User errors (bad config, bad pack, bad arguments) print one line with the file, the line and
the fix, and no traceback. Anything else is a bug in govgate and keeps its traceback.

Exceptions from code govgate does not own (a plugin) are described on one line by
`describe_exception`, and a real Ctrl-C is told apart from a KeyboardInterrupt some code raised
by `is_real_interrupt` (after `watch_for_interrupts`): only govgate decides its exit code.
"""

from __future__ import annotations

import signal
from enum import IntEnum
from types import FrameType


class ExitCode(IntEnum):
    """The process exit codes, identical for every output format."""

    OK = 0
    GATE_FAILED = 1
    USAGE_ERROR = 2
    INTERNAL_ERROR = 3


class GovgateError(Exception):
    """Base class of every error govgate raises on purpose."""

    exit_code: ExitCode = ExitCode.INTERNAL_ERROR


class UsageError(GovgateError):
    """The user asked for something that cannot be done: printed as one line, exit 2."""

    exit_code = ExitCode.USAGE_ERROR


class InputError(UsageError):
    """A file the user gave us is malformed. Carries the file and line for the message."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")


class ConfigError(InputError):
    """govgate.yaml is missing or invalid."""


class PolicyError(InputError):
    """A policy pack is invalid (schema, unknown key, dangling reference, cycle)."""


class PluginError(GovgateError):
    """A plugin failed to import or broke its contract. Fails the run (exit 1), never skipped."""

    exit_code = ExitCode.GATE_FAILED


class CollectorError(GovgateError):
    """Raised by a collector for a failure it understands; the rules that needed it get `error`."""


class InputErrors(UsageError):
    """Several problems found in one pass (a pack with three typos reports all three)."""

    def __init__(self, errors: list[InputError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(error) for error in errors))


class OutputClosed(GovgateError):
    """The report's reader went away (a closed pipe, a closed stdout): nothing reached it.

    Exit 1, the code of a failing gate, whatever the verdict was: a PASS nobody received is
    not a pass (`govgate check --format json | true`).
    """

    exit_code = ExitCode.GATE_FAILED


# -- exceptions from code govgate does not own -------------------------------------------------

#: Set by the SIGINT handler `watch_for_interrupts` installs: a KeyboardInterrupt is a real
#: Ctrl-C only when this is set; one raised by a plugin (`raise KeyboardInterrupt`) is not.
_sigint_received = False


def _note_sigint(signum: int, frame: FrameType | None) -> None:
    global _sigint_received
    _sigint_received = True
    signal.default_int_handler(signum, frame)  # raises KeyboardInterrupt, as Python does


def watch_for_interrupts() -> None:
    """Note a real Ctrl-C (SIGINT) before it raises KeyboardInterrupt, as Python's default
    handler does; a handler someone else installed is left alone."""
    try:
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            signal.signal(signal.SIGINT, _note_sigint)
    except ValueError:  # not the main thread: signals are only ever handled there
        pass


def is_real_interrupt(exc: BaseException) -> bool:
    """True for a KeyboardInterrupt that a delivered SIGINT raised: it must stop govgate.

    Any other exception from plugin code, KeyboardInterrupt included, is the plugin's failure.
    """
    return isinstance(exc, KeyboardInterrupt) and _sigint_received


def describe_exception(exc: BaseException) -> str:
    """One line for an exception from code govgate does not own: `RuntimeError: text`, or
    what a plugin that tries to end the process did (`SystemExit(0)`, `GeneratorExit`), with
    what to do instead.

    Never raises: the exception's own `__str__` is plugin code too.
    """
    shown = _exception_text(exc)
    if isinstance(exc, Exception):
        return shown
    return f"{shown} (plugin code must not end or interrupt govgate: raise an Exception instead)"


def _exception_text(exc: BaseException) -> str:
    name = type(exc).__name__
    if isinstance(exc, SystemExit):
        code = exc.code
        if isinstance(code, (int, str)) and not isinstance(code, bool):
            return f"{name}({code!r:.200})"
        return name
    try:
        text = str(exc)
    except BaseException:  # a __str__ that raises is still described
        text = "<the exception cannot be shown>"
    first = text.strip().splitlines()[0] if text.strip() else ""
    return f"{name}: {first[:500]}" if first else name
