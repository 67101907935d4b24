"""The output-format contract: a `Reporter` turns a finished result document into bytes.

Built-in formats (in `govgate.outputs.reporters`) and plugins' formats subclass it alike and
register through the `govgate_reporters` hook.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar


class Reporter(ABC):
    """Base class of every output format.

    A reporter reads only the result document: it never re-evaluates, never reads the
    repository, and never builds prose of its own beyond layout (each rule carries its own
    message and remediation).
    """

    #: `--format` name.
    name: ClassVar[str]
    #: File name used with `--output-dir` (fixed, so CI steps can rely on it).
    filename: ClassVar[str]
    media_type: ClassVar[str] = "text/plain"
    description: ClassVar[str] = ""

    @abstractmethod
    def render(self, result: dict[str, Any]) -> str:
        """The whole output for one result document."""
