"""How the locker's columns are written and read back: zlib-packed JSON for run records and
cache item lists, JSON text that may have been edited, and the listing columns of a run.
"""

from __future__ import annotations

import json
import zlib
from typing import Any


def pack(payload: bytes) -> bytes:
    """Run records and cache item lists are stored zlib-compressed (JSON repeats itself)."""
    return zlib.compress(payload, 6)


def unpack(blob: bytes) -> str:
    """The JSON text of a packed column; ValueError when it was damaged or edited."""
    try:
        return zlib.decompress(blob).decode("utf-8")
    except (zlib.error, TypeError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot be decoded: {exc}") from exc


def loads_or(text: Any, default: Any) -> Any:
    """The JSON value of a text column, or `default` when it is not JSON (edited by hand)."""
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return default


def sealed_document(text: str | None) -> dict[str, Any] | None:
    """A tombstone's sealed document, or None (none, or edited beyond reading)."""
    value = loads_or(text, None) if text is not None else None
    return value if isinstance(value, dict) else None


#: The columns of `runs` that repeat what a run's record says, for listing without decoding it.
LISTING_COLUMNS = (
    "command",
    "started_at",
    "finished_at",
    "tool_version",
    "target_commit",
    "gate",
)


def record_columns(record: Any) -> dict[str, Any]:
    """The listing columns of a run, as derived from its record."""
    if not isinstance(record, dict):
        return {}
    result = record.get("result") if isinstance(record.get("result"), dict) else None
    target = record.get("target") if isinstance(record.get("target"), dict) else {}
    tool = record.get("tool") if isinstance(record.get("tool"), dict) else {}
    return {
        "command": record.get("command"),
        "started_at": record.get("started_at"),
        "finished_at": record.get("finished_at"),
        "tool_version": (tool or {}).get("version"),
        "target_commit": (target or {}).get("commit"),
        "gate": result.get("gate") if result else None,
    }
