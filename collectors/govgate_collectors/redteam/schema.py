"""The JSON Schemas of `genai.redteam` and of the `redteam` collector's settings."""

from __future__ import annotations

from typing import Any

from govgate_collectors.redteam.mapping import OWASP_LLM_2025
from govgate_collectors.redteam.scan import MAX_TESTS_LISTED

TOOLS = ("garak", "promptfoo", "inspect")
_COUNT = {"type": "integer", "minimum": 0}
_RATE = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
_CATEGORY_NAME = {"enum": list(OWASP_LLM_2025)}
_CATEGORY = {
    "type": "object",
    "required": ["attempts", "failures", "attack_success_rate"],
    "additionalProperties": False,
    "properties": {"attempts": _COUNT, "failures": _COUNT, "attack_success_rate": _RATE},
}
_TEXT_OR_NULL = {"type": ["string", "null"]}

REDTEAM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "tool",
        "tool_version",
        "path",
        "model",
        "model_version",
        "date",
        "complete",
        "mapping_version",
        "attempts",
        "failures",
        "attack_success_rate",
        "categories",
        "covered",
        "not_covered",
        "tests_count",
        "tests",
        "unmapped",
        "locally_mapped",
    ],
    "properties": {
        # "unknown": a file under `paths` that no reader recognised (an item with a problem).
        "tool": {"enum": [*TOOLS, "unknown"]},
        "tool_version": _TEXT_OR_NULL,
        "path": {"type": "string"},
        "model": _TEXT_OR_NULL,
        "model_version": _TEXT_OR_NULL,
        "date": {"type": ["string", "null"], "description": "RFC 3339, UTC"},
        "complete": {"type": "boolean"},
        "mapping_version": {"type": "string"},
        "attempts": _COUNT,
        "failures": _COUNT,
        "attack_success_rate": _RATE,
        "categories": {
            "type": "object",
            "propertyNames": _CATEGORY_NAME,
            "additionalProperties": _CATEGORY,
        },
        "covered": {"type": "array", "items": _CATEGORY_NAME},
        "not_covered": {"type": "array", "items": _CATEGORY_NAME},
        "tests_count": _COUNT,
        "tests": {
            "type": "array",
            "maxItems": MAX_TESTS_LISTED,
            "items": {
                "type": "object",
                "required": ["name", "categories", "attempts", "failures"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string"},
                    "categories": {"type": "array", "items": _CATEGORY_NAME},
                    "attempts": _COUNT,
                    "failures": _COUNT,
                },
            },
        },
        "unmapped": {"type": "array", "items": {"type": "string"}},
        "locally_mapped": {"type": "array", "items": {"type": "string"}},
        "self_tagged": {"type": "array", "items": {"type": "string"}},
    },
}

_GLOBS = {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
_OVERRIDES = {
    "type": "object",
    "additionalProperties": {
        "type": "array",
        "items": {"type": "string", "pattern": "^LLM(0[1-9]|10)$"},
    },
}
SETTINGS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "paths": _GLOBS,
        "mapping": {
            "type": "object",
            "additionalProperties": False,
            "properties": {name: _OVERRIDES for name in TOOLS},
        },
    },
}
