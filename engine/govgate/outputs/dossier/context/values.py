"""How values are shown in every section: status symbols, short digests, `path:line`, bounded
text and rates, and arbitrary JSON as a small bounded tree."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

#: How deep and how long generic data (decision-log summaries, model cards) is shown.
MAX_DEPTH = 4
MAX_ITEMS = 40
MAX_TEXT = 1500

#: (symbol, words) per status: symbols and words, never colour alone (readable in B/W).
STATUS_LABELS: dict[str, tuple[str, str]] = {
    "met": ("✓", "met"),
    "partial": ("◐", "partial"),
    "not_met": ("✗", "not met"),
    "unverified": ("?", "unverified"),
    "not_applicable": ("–", "not applicable"),
    "satisfied": ("✓", "satisfied"),
    "not_satisfied": ("✗", "not satisfied"),
    "pass": ("✓", "pass"),
    "fail": ("✗", "fail"),
    "error": ("!", "error"),
    "waived": ("W", "waived"),
    "skipped": ("↷", "skipped"),
    "active": ("✓", "active"),
    "expired": ("✗", "expired"),
    "refused": ("✗", "refused"),
}


def short_digest(digest: str | None) -> str:
    if not digest:
        return "—"
    algo, _, hexdigest = digest.partition(":")
    return f"{algo}:{hexdigest[:12]}" if hexdigest else digest[:19]


def where(source: Mapping[str, Any] | None) -> str:
    """`path:line` of a source or location, or an em dash."""
    if not source or not source.get("path"):
        return "—"
    line = source.get("line")
    return f"{source['path']}:{line}" if line else str(source["path"])


def display_text(value: Any) -> str:
    """Any scalar as text: a dash for None, yes/no, four significant digits, cut at MAX_TEXT."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        return f"{value:.4g}"
    text = str(value)
    if len(text) > MAX_TEXT:
        return text[:MAX_TEXT] + f"… ({len(text) - MAX_TEXT} more characters)"
    return text


def display_rate(value: Any) -> str:
    """A rate or ratio to three decimals; "undefined" when the analysis could not compute it."""
    if value is None:
        return "undefined"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:.3f}"
    return display_text(value)


def data_tree(value: Any, depth: int = 0) -> dict[str, Any]:
    """Any JSON value as a small tree the `value` macro renders (bounded in depth and size).

    Lists of flat mappings become tables; deeper structures nest up to MAX_DEPTH and are then
    shown as JSON text, so arbitrary evidence data renders without inventing any structure.
    """
    if isinstance(value, Mapping):
        if depth >= MAX_DEPTH:
            return {"type": "scalar", "text": display_text(json.dumps(value, sort_keys=True))}
        rows = [(str(k), data_tree(v, depth + 1)) for k, v in list(value.items())[:MAX_ITEMS]]
        return {"type": "map", "rows": rows, "more": max(0, len(value) - MAX_ITEMS)}
    if isinstance(value, list | tuple):
        return _sequence_tree(value, depth)
    return {"type": "scalar", "text": display_text(value)}


def _sequence_tree(value: Sequence[Any], depth: int) -> dict[str, Any]:
    """A list as one line of scalars, a table of flat mappings, or nested trees."""
    if not value:
        return {"type": "scalar", "text": "(none)"}
    shown = list(value)[:MAX_ITEMS]
    more = max(0, len(value) - MAX_ITEMS)
    if all(not isinstance(v, Mapping | list | tuple) for v in shown):
        return {"type": "scalar", "text": ", ".join(display_text(v) for v in shown)} | (
            {"text": ", ".join(display_text(v) for v in shown) + f", … ({more} more)"}
            if more
            else {}
        )
    if all(isinstance(v, Mapping) for v in shown) and depth < MAX_DEPTH:
        table = _flat_table(shown, more)
        if table is not None:
            return table
    if depth >= MAX_DEPTH:
        return {"type": "scalar", "text": display_text(json.dumps(value, sort_keys=True))}
    return {"type": "list", "items": [data_tree(v, depth + 1) for v in shown], "more": more}


def _flat_table(rows: list[Mapping[str, Any]], more: int) -> dict[str, Any] | None:
    """Mappings of scalars as a table (at most 8 columns, in first-seen order), else None."""
    columns: list[str] = []
    for row in rows:
        for key in row:
            if str(key) not in columns:
                columns.append(str(key))
    flat = all(
        not isinstance(v, Mapping | list | tuple) or not v for row in rows for v in row.values()
    )
    if not flat or len(columns) > 8:
        return None
    return {
        "type": "table",
        "columns": columns,
        "rows": [[display_text(row.get(c)) for c in columns] for row in rows],
        "more": more,
    }
