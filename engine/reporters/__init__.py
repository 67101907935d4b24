"""Reporters turn a finished result document into one output format.

Each is a small class registered through `govgate_reporters` (built-ins too). A reporter reads
only the result document: it never re-evaluates, never reads the repository, and never builds
prose of its own beyond layout (each rule carries its own message and remediation).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar


class ReporterError(Exception):
    """A reporter could not render the result (a bug in it, or an impossible option)."""


class Reporter(ABC):
    """Base class of every output format."""

    #: `--format` name.
    name: ClassVar[str]
    #: File name used with `--output-dir` (fixed, so CI steps can rely on it).
    filename: ClassVar[str]
    media_type: ClassVar[str] = "text/plain"
    description: ClassVar[str] = ""

    @abstractmethod
    def render(self, result: dict[str, Any]) -> str:
        """The whole output for one result document."""
