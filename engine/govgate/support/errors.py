"""Exceptions that end a run, and the exit codes they map to (the same for every format).

User errors (bad config, bad pack, bad arguments) print one line with the file, the line and
the fix, and no traceback. Anything else is a bug in govgate and keeps its traceback.
"""

from __future__ import annotations

from enum import IntEnum


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
