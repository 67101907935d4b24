"""The JSON Schemas of `decision_log.summary` and `decision_log.file` (one shape, the file's
with its `path`)."""

from __future__ import annotations

from typing import Any

from govgate.support.pii import PII_TYPES
from govgate_collectors.decision_logs.queries import MAX_SAMPLE_LINES, SAMPLE_CONDITIONS
from govgate_collectors.decision_logs.record import (
    MAX_DUPLICATES_LISTED,
    MAX_MALFORMED_LISTED,
    MAX_PII_SAMPLES,
    RECORD_FIELD_NAMES,
)
from govgate_collectors.decision_logs.timestamps import SETTING_VALUES, TIMESTAMP_FORMATS

_COUNT = {"type": "integer", "minimum": 0}
_SHARE_OR_NULL = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
_NUMBER_OR_NULL = {"type": ["number", "null"]}
_LOCATION = {
    "type": "object",
    "required": ["path", "line"],
    "additionalProperties": False,
    "properties": {"path": {"type": "string"}, "line": {"type": ["integer", "null"]}},
}


def _object(properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "required": sorted(properties),
        "additionalProperties": False,
        "properties": properties,
        **extra,
    }


def _summary_properties() -> dict[str, Any]:
    """The properties every summary has, in the order the schema lists them."""
    return {
        "records": _COUNT,
        "files": _COUNT,
        "malformed": _object(
            {
                "count": _COUNT,
                "first": {
                    "type": "array",
                    "maxItems": MAX_MALFORMED_LISTED,
                    "items": _object(
                        {
                            "path": {"type": "string"},
                            "line": {"type": ["integer", "null"], "minimum": 1},
                            "reason": {"type": "string"},
                        }
                    ),
                },
            }
        ),
        "duplicate_ids": _object(
            {
                "count": _COUNT,
                "samples": {
                    "type": "array",
                    "maxItems": MAX_DUPLICATES_LISTED,
                    "items": {"type": "string"},
                },
            }
        ),
        "time_range": _object(
            {"first": {"type": ["string", "null"]}, "last": {"type": ["string", "null"]}}
        ),
        "gaps": _object(
            {
                "count_over_threshold": _COUNT,
                "largest_hours": _NUMBER_OR_NULL,
                "threshold_hours": {"type": "number"},
            }
        ),
        "field_coverage": _object({name: _SHARE_OR_NULL for name in RECORD_FIELD_NAMES}),
        "missing_required": {
            "type": "object",
            "propertyNames": {"enum": list(RECORD_FIELD_NAMES)},
            "additionalProperties": _COUNT,
        },
        "by_decision_type": {"type": "object", "additionalProperties": _COUNT},
        "high_risk": _object(
            {
                "types": {"type": "array", "items": {"type": "string"}},
                "records": _COUNT,
                "with_reviewer": _COUNT,
                "with_action": _COUNT,
                "reviewed_share": _SHARE_OR_NULL,
                "review_before_decision": _COUNT,
            }
        ),
        "reasons_share": _SHARE_OR_NULL,
        "overrides": _object({"count": _COUNT, "share": _SHARE_OR_NULL}),
        "hash_chain": _object(
            {
                "present": _SHARE_OR_NULL,
                "verified": {"type": ["boolean", "null"]},
                "first_break": {"oneOf": [{"type": "null"}, _LOCATION]},
            }
        ),
        "oldest_record_age_days": _NUMBER_OR_NULL,
        "retention": _object(
            {"max_days": {"type": "integer", "minimum": 1}, "records_over": _COUNT}
        ),
        "pii": _object(
            {
                "counts": _object({kind: _COUNT for kind in PII_TYPES}),
                "samples": {
                    "type": "array",
                    "maxItems": MAX_PII_SAMPLES,
                    "items": {"type": "string"},
                },
            }
        ),
        "age_of_newest_days": _NUMBER_OR_NULL,
    }


def _summary_schema(per_file: bool) -> dict[str, Any]:
    """The summary's schema; a file's has its `path` too."""
    properties = _summary_properties()
    if per_file:
        properties["path"] = {"type": "string"}
    schema = _object(properties)
    # Present only when a remote backend summarised a lake (not required, so evidence of the
    # embedded path is unchanged): which backend, and what it could not compute, with why.
    schema["properties"]["backend"] = {"type": "string"}
    schema["properties"]["not_computed"] = {
        "type": "object",
        "additionalProperties": {"type": "string"},
    }
    # Counts with their denominators and first lines (optional, so that evidence written by
    # an older collector still validates).
    schema["properties"].update(_counted_properties())
    return schema


_LINES = {"type": "array", "maxItems": MAX_SAMPLE_LINES, "items": _LOCATION}


def _counted_properties() -> dict[str, Any]:
    where = {"oneOf": [_LOCATION]}
    return {
        "conflicts": _object(
            {
                "count": _COUNT,
                "first": {
                    "type": "array",
                    "maxItems": MAX_DUPLICATES_LISTED,
                    "items": _object(
                        {"decision_id": {"type": "string"}, "first": where, "differs": where}
                    ),
                },
            }
        ),
        "timestamps": _object(
            {
                "formats": _object({name: _COUNT for name in TIMESTAMP_FORMATS}),
                "timezone": {"type": "string"},
                "timestamp_format": {"enum": list(SETTING_VALUES)},
                "without_offset": _COUNT,
                "latest_future": {"type": ["string", "null"]},
            }
        ),
        "counts": _object(
            {
                name: _object(
                    {
                        "count": _COUNT,
                        "of": {"const": of},
                        "of_count": _COUNT,
                        "first": _LINES,
                    }
                )
                for name, of, _ in SAMPLE_CONDITIONS
            }
        ),
        "malformed_causes": {
            "type": "array",
            "maxItems": MAX_MALFORMED_LISTED,
            "items": _object({"cause": {"type": "string"}, "count": _COUNT, "first": _LINES}),
        },
    }


SUMMARY_SCHEMA = _summary_schema(per_file=False)
FILE_SCHEMA = _summary_schema(per_file=True)
