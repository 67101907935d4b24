"""One red-team scan as the readers see it: the tests it ran, how many attempts failed, and the
`genai.redteam` item built from it through the mapping table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from govgate.api import format_timestamp
from govgate.support.dates import to_datetime
from govgate_collectors.redteam.mapping import OWASP_LLM_2025

#: At most this many tests are listed one by one in an item (all are counted).
MAX_TESTS_LISTED = 200


class ScanProblem(Exception):
    """Output that cannot be read as a scan; `line` is 1-based where known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class TestTally:
    """Attempts and failures (successful attacks) of one probe, plugin or task."""

    name: str
    categories: tuple[str, ...]
    attempts: int = 0
    failures: int = 0

    __test__ = False  # not a pytest test class


@dataclass
class Scan:
    """What one tool run says, before it is turned into evidence."""

    tool: str
    tool_version: str | None = None
    model: str | None = None
    model_version: str | None = None
    date: datetime | None = None
    date_line: int | None = None
    complete: bool = True
    tests: dict[str, TestTally] = field(default_factory=dict)
    #: Problems that make the scan unusable as evidence (`problem` of the item).
    problems: list[str] = field(default_factory=list)
    #: Values under `owasp_llm` that name no OWASP LLM risk.
    unknown_tags: list[str] = field(default_factory=list)
    #: Tests whose risks govgate.yaml's `mapping` set rather than the table or the test itself.
    locally_mapped: set[str] = field(default_factory=set)
    #: Tests that tag their own `owasp_llm` risks without any red-team plugin, strategy or task:
    #: test name -> the risks it claims. Counted for no risk (an eval assertion is no attack).
    self_tagged: dict[str, list[str]] = field(default_factory=dict)

    def tally(self, name: str, categories: Sequence[str]) -> TestTally:
        if name not in self.tests:
            self.tests[name] = TestTally(name, tuple(categories))
        return self.tests[name]


def _rate(failures: int, attempts: int) -> float | None:
    return round(failures / attempts, 6) if attempts else None


def scan_data(scan: Scan, path: str, mapping_version: str) -> dict[str, Any]:
    """The `genai.redteam` data of one scan (schema: REDTEAM_SCHEMA)."""
    categories: dict[str, dict[str, Any]] = {}
    for category in OWASP_LLM_2025:
        attempts = sum(t.attempts for t in scan.tests.values() if category in t.categories)
        failures = sum(t.failures for t in scan.tests.values() if category in t.categories)
        if attempts:
            categories[category] = {
                "attempts": attempts,
                "failures": failures,
                "attack_success_rate": _rate(failures, attempts),
            }
    attempts = sum(t.attempts for t in scan.tests.values())
    failures = sum(t.failures for t in scan.tests.values())
    ordered = sorted(scan.tests.values(), key=lambda t: t.name)
    return {
        "tool": scan.tool,
        "tool_version": scan.tool_version,
        "path": path,
        "model": scan.model,
        "model_version": scan.model_version,
        "date": format_timestamp(scan.date) if scan.date else None,
        "complete": scan.complete,
        "mapping_version": mapping_version,
        "attempts": attempts,
        "failures": failures,
        "attack_success_rate": _rate(failures, attempts),
        "categories": categories,
        "covered": list(categories),
        "not_covered": [c for c in OWASP_LLM_2025 if c not in categories],
        "tests_count": len(ordered),
        "tests": [
            {
                "name": t.name,
                "categories": list(t.categories),
                "attempts": t.attempts,
                "failures": t.failures,
            }
            for t in ordered[:MAX_TESTS_LISTED]
        ],
        "unmapped": [t.name for t in ordered if not t.categories],
        "locally_mapped": sorted(scan.locally_mapped),
        "self_tagged": sorted(scan.self_tagged),
    }


def lookup_override(
    overrides: Mapping[str, Sequence[str]], name: str, separator: str
) -> tuple[str, ...] | None:
    """The categories govgate.yaml gives `name` (or a prefix of it), None when it says nothing."""
    parts = name.split(separator)
    for end in range(len(parts), 0, -1):
        key = separator.join(parts[:end])
        if key in overrides:
            return tuple(overrides[key])
    return None


def parse_moment(value: object) -> datetime | None:
    """An RFC 3339 / ISO 8601 timestamp as the tool wrote it (no offset: UTC), else None."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return to_datetime(value)
    except ValueError:
        return None


def as_object(value: object) -> dict[str, Any]:
    """VALUE when it is a JSON object, else an empty one (a field the tool left out)."""
    return value if isinstance(value, dict) else {}
