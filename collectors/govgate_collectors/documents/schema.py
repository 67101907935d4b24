"""The JSON Schema every kind bound to the `documents` collector follows."""

from __future__ import annotations

from typing import Any

_NULLABLE_STRING: dict[str, Any] = {"type": ["string", "null"]}
DOCUMENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "format",
        "front_matter",
        "front_matter_error",
        "title",
        "headings",
        "sections",
        "missing_sections",
        "missing_fields",
        "dates",
        "word_count",
    ],
    "properties": {
        "format": {"enum": ["markdown", "model_card_json"]},
        "front_matter": {"type": "object"},
        "front_matter_error": _NULLABLE_STRING,
        "title": _NULLABLE_STRING,
        "headings": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["level", "text", "line"],
                "properties": {
                    "level": {"type": "integer", "minimum": 1, "maximum": 6},
                    "text": {"type": "string"},
                    "line": {"type": ["integer", "null"], "minimum": 1},
                },
            },
        },
        "sections": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "required": ["present", "heading", "line", "words"],
                "properties": {
                    "present": {"type": "boolean"},
                    "heading": _NULLABLE_STRING,
                    "line": {"type": ["integer", "null"], "minimum": 1},
                    "words": {"type": "integer", "minimum": 0},
                },
            },
        },
        "missing_sections": {"type": "array", "items": {"type": "string"}},
        "missing_fields": {"type": "array", "items": {"type": "string"}},
        "dates": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "required": ["value", "raw", "ambiguous", "note", "line"],
                "properties": {
                    "value": {"type": ["string", "null"], "format": "date"},
                    "raw": _NULLABLE_STRING,
                    "ambiguous": {"type": "boolean"},
                    "note": _NULLABLE_STRING,
                    "line": {"type": ["integer", "null"], "minimum": 1},
                },
            },
        },
        "word_count": {"type": "integer", "minimum": 0},
    },
}
