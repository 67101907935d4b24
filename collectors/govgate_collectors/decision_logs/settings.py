"""`collectors.decision_logs` in govgate.yaml: which logs to read and what the summary checks."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from govgate.api import CollectContext
from govgate.support.errors import CollectorError
from govgate_collectors.decision_logs.profiles import (
    CATALOGUE_PROFILE,
    FIELDS_SCHEMA,
    LogProfile,
    check_fields,
)
from govgate_collectors.decision_logs.record import (
    DEFAULT_REQUIRED_FIELDS,
    FIELD_BIT,
    RECORD_FIELD_NAMES,
)
from govgate_collectors.decision_logs.timestamps import SETTING_VALUES

DEFAULT_PATHS = (
    "logs/decisions/**/*.jsonl",
    "logs/decisions/**/*.jsonl.gz",
    "logs/decisions/**/*.csv",
    "logs/decisions/**/*.csv.gz",
    "logs/decisions/**/*.parquet",
)
DEFAULT_RETENTION_MAX_DAYS = 1825
DEFAULT_GAP_HOURS = 24.0

_STRINGS: dict[str, Any] = {"type": ["string", "array"], "items": {"type": "string"}}

#: `collectors.decision_logs` in govgate.yaml, checked when govgate.yaml is loaded (the
#: collector's `settings_schema`; `from_context` checks the values again for direct callers).
SETTINGS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "paths": {**_STRINGS, "description": "globs of the decision-log files"},
        "high_risk_types": {
            **_STRINGS,
            "description": "decision types counted as high-risk (default: system.decision_types "
            "with risk_tier high)",
        },
        "retention_max_days": {"type": "integer", "minimum": 1},
        "gap_hours": {"type": "number", "exclusiveMinimum": 0},
        "required_fields": {
            "anyOf": [
                {"enum": list(RECORD_FIELD_NAMES)},
                {"type": "array", "items": {"enum": list(RECORD_FIELD_NAMES)}},
            ]
        },
        "memory_limit": {"type": "string", "pattern": r"^\d+(?:\.\d+)?\s*(?:[KMGT]i?B)$"},
        "threads": {"type": "integer", "minimum": 1},
        "jsonl_reader": {"enum": ["duckdb", "python"]},
        "timezone": {
            "type": "string",
            "description": "IANA zone that timestamps without an offset are read in (UTC)",
        },
        "timestamp_format": {
            "enum": list(SETTING_VALUES),
            "description": "auto (recognise each value) or the one format timestamps use",
        },
        "fields": FIELDS_SCHEMA,
        "logs": {
            "type": "array",
            "description": "logs written differently: their own paths, fields and timestamps",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["paths"],
                "properties": {
                    "paths": _STRINGS,
                    "fields": FIELDS_SCHEMA,
                    "timezone": {"type": "string"},
                    "timestamp_format": {"enum": list(SETTING_VALUES)},
                },
            },
        },
    },
}


@dataclass(frozen=True)
class DecisionLogSettings:
    """`collectors.decision_logs` in govgate.yaml, validated."""

    paths: tuple[str, ...]
    high_risk_types: tuple[str, ...]
    retention_max_days: int
    gap_hours: float
    required_fields: tuple[str, ...]
    memory_limit: str
    threads: int
    #: "duckdb" (default) or "python": split JSONL lines in Python (slower; for diagnosis).
    jsonl_reader: str = "duckdb"
    #: IANA zone for timestamps without an offset; `auto` or one format (timestamps.py).
    timezone: str = "UTC"
    timestamp_format: str = "auto"
    #: How the logs matched by `paths` are written, and the logs written otherwise (`logs`).
    profile: LogProfile = CATALOGUE_PROFILE
    logs: tuple[tuple[tuple[str, ...], LogProfile], ...] = ()

    def all_paths(self) -> list[str]:
        """Every glob read: `paths`, then each `logs` entry's."""
        return [*self.paths, *(p for paths, _ in self.logs for p in paths)]

    @classmethod
    def from_context(cls, ctx: CollectContext) -> DecisionLogSettings:
        raw = ctx.settings

        def fail(key: str, message: str) -> CollectorError:
            return CollectorError(f"govgate.yaml collectors.decision_logs.{key}: {message}")

        def string_list(key: str, default: Sequence[str]) -> tuple[str, ...]:
            value = raw.get(key, default)
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
                raise fail(key, "must be a list of strings")
            return tuple(value)

        declared_high = [
            str(item.get("name"))
            for item in ctx.system.get("decision_types") or []
            if isinstance(item, dict) and item.get("risk_tier") == "high" and item.get("name")
        ]
        required = string_list("required_fields", DEFAULT_REQUIRED_FIELDS)
        unknown = [name for name in required if name not in FIELD_BIT]
        if unknown:
            raise fail(
                "required_fields",
                f"unknown field {unknown[0]!r}; the decision-record fields "
                f"(docs/decision-records.md) are {', '.join(RECORD_FIELD_NAMES)}",
            )
        try:
            retention = int(raw.get("retention_max_days", DEFAULT_RETENTION_MAX_DAYS))
            gap_hours = float(raw.get("gap_hours", DEFAULT_GAP_HOURS))
            threads = int(raw.get("threads", os.cpu_count() or 2))
        except (TypeError, ValueError) as exc:
            raise fail("retention_max_days/gap_hours/threads", f"must be numbers ({exc})") from None
        if retention <= 0 or gap_hours <= 0 or threads <= 0:
            raise fail("retention_max_days/gap_hours/threads", "must be positive")
        reader = str(raw.get("jsonl_reader", "duckdb"))
        if reader not in ("duckdb", "python"):
            raise fail("jsonl_reader", f"{reader!r} is not one of duckdb, python")
        memory = str(raw.get("memory_limit", "256MB"))
        if not re.fullmatch(r"\d+(?:\.\d+)?\s*(?:[KMGT]i?B)", memory):
            raise fail("memory_limit", f"{memory!r} is not a size such as 256MB or 1GB")
        profile = _profile(raw, "", CATALOGUE_PROFILE)
        return cls(
            paths=string_list("paths", DEFAULT_PATHS),
            high_risk_types=string_list("high_risk_types", declared_high),
            retention_max_days=retention,
            gap_hours=gap_hours,
            required_fields=required,
            memory_limit=memory,
            threads=threads,
            jsonl_reader=reader,
            timezone=profile.timezone,
            timestamp_format=profile.timestamp_format,
            profile=profile,
            logs=_logs(raw.get("logs"), profile),
        )


def _fail(key: str, message: str) -> CollectorError:
    return CollectorError(f"govgate.yaml collectors.decision_logs.{key}: {message}")


def _profile(raw: Mapping[str, Any], where: str, default: LogProfile) -> LogProfile:
    """`fields`, `timestamp_format` and `timezone` of the collector or of one `logs` entry
    (`where` is its key prefix, such as `logs[0].`), with `default` for what is not set."""
    zone = raw.get("timezone", default.timezone)
    if not isinstance(zone, str) or not _known_zone(zone):
        raise _fail(
            f"{where}timezone", f"{zone!r} is not an IANA time zone (such as UTC or Europe/Berlin)"
        )
    ts_format = raw.get("timestamp_format", default.timestamp_format)
    if ts_format not in SETTING_VALUES:
        raise _fail(
            f"{where}timestamp_format", f"{ts_format!r} is not one of {', '.join(SETTING_VALUES)}"
        )
    if "fields" in raw:
        fields, problem = check_fields(raw.get("fields"))
        if problem:
            raise _fail(f"{where}fields", problem)
    else:
        fields = dict(default.mapping)
    return LogProfile.of(fields, str(ts_format), zone)


def _logs(raw: Any, default: LogProfile) -> tuple[tuple[tuple[str, ...], LogProfile], ...]:
    """`logs`: logs written differently, each with its own paths and profile."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _fail("logs", "must be a list of {paths, fields, timestamp_format, timezone}")
    entries = []
    for index, entry in enumerate(raw):
        if not isinstance(entry, dict) or not entry.get("paths"):
            raise _fail(f"logs[{index}]", "needs paths: the globs of the logs it describes")
        paths = entry["paths"]
        paths = [paths] if isinstance(paths, str) else paths
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            raise _fail(f"logs[{index}].paths", "must be a list of strings")
        entries.append((tuple(paths), _profile(entry, f"logs[{index}].", default)))
    return tuple(entries)


def _known_zone(name: str) -> bool:
    """True for a zone the standard library's tz database knows (DuckDB and Spark do too)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
