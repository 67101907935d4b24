"""The JSON Schemas of `test_results.summary` and `load_test.result`, and of the collector's
settings."""

from __future__ import annotations

from typing import Any

from govgate_collectors.test_reports.categories import DEFAULT_CATEGORIES
from govgate_collectors.test_reports.junit import MAX_FAILING_LISTED

_COUNT = {"type": "integer", "minimum": 0}
_CATEGORY = {
    "type": "object",
    "required": ["tests", "failures", "errors", "skipped", "passed"],
    "additionalProperties": False,
    "properties": {
        "tests": _COUNT,
        "failures": _COUNT,
        "errors": _COUNT,
        "skipped": _COUNT,
        "passed": _COUNT,
    },
}
_RUN_DATE_SOURCE = {"enum": ["report", "git", "mtime", None]}

TEST_RESULTS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "files",
        "tests",
        "failures",
        "errors",
        "skipped",
        "passed",
        "suites",
        "categories",
        "run_date",
        "run_date_source",
        "failing",
    ],
    "properties": {
        "files": _COUNT,
        "tests": _COUNT,
        "failures": _COUNT,
        "errors": _COUNT,
        "skipped": _COUNT,
        "passed": _COUNT,
        "suites": _COUNT,
        "categories": {
            "type": "object",
            "required": list(DEFAULT_CATEGORIES),
            "additionalProperties": _CATEGORY,
        },
        "run_date": {"type": ["string", "null"]},
        "run_date_source": _RUN_DATE_SOURCE,
        "category_dates": {
            "type": "object",
            "description": "per category, when the oldest report with tests of it ran",
            "additionalProperties": {"type": ["string", "null"]},
        },
        "failing": {
            "type": "array",
            "maxItems": MAX_FAILING_LISTED,
            "items": {
                "type": "object",
                "required": ["path", "test", "outcome"],
                "additionalProperties": False,
                "properties": {
                    "path": {"type": "string"},
                    "test": {"type": "string"},
                    "outcome": {"enum": ["failure", "error"]},
                },
            },
        },
    },
}

_NUMBER_OR_NULL = {"type": ["number", "null"], "minimum": 0}
LOAD_TEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "tool",
        "path",
        "requests",
        "failures",
        "error_rate",
        "rps",
        "p95_ms",
        "p99_ms",
        "duration_s",
        "run_date",
        "run_date_source",
    ],
    "properties": {
        "tool": {"enum": ["locust", "k6"]},
        "path": {"type": "string"},
        "requests": _COUNT,
        "failures": _COUNT,
        "error_rate": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
        "rps": _NUMBER_OR_NULL,
        "p95_ms": _NUMBER_OR_NULL,
        "p99_ms": _NUMBER_OR_NULL,
        "duration_s": _NUMBER_OR_NULL,
        "run_date": {"type": ["string", "null"]},
        "run_date_source": _RUN_DATE_SOURCE,
    },
}

_GLOBS: dict[str, Any] = {"type": ["string", "array"], "items": {"type": "string"}}

#: `collectors.test_reports` in govgate.yaml (the collector's `settings_schema`).
SETTINGS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "junit_paths": {**_GLOBS, "description": "globs of the JUnit XML reports"},
        "load_paths": {**_GLOBS, "description": "globs of the Locust and k6 results"},
        "categories": {
            "type": "object",
            "description": "category -> the keywords that put a test in it",
            "additionalProperties": _GLOBS,
        },
    },
}
