"""A document's dates: which fields hold one, how each reads (flagging ambiguous forms), and
which date says how current the document is."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from govgate.api import CollectContext
from govgate.support.clock import clock_skew, future_moment
from govgate.support.dates import ParsedDate, parse_date_loose
from govgate.support.pii import redact_text
from govgate.support.yamlload import pointer_join
from govgate_collectors.documents.options import DocumentOptions
from govgate_collectors.documents.text import lookup

#: Fields whose date best says how current a document is, most telling first.
DATED_PREFERENCE = (
    "last_updated",
    "updated",
    "last_reviewed",
    "reviewed",
    "approval_date",
    "approved",
    "date",
)
#: Default date fields: any front-matter field whose name contains one of these.
DATE_WORDS = ("date", "updated", "review")
#: Dates that point forward (next review, expiry) never stand for "how current".
_FORWARD_WORDS = ("next", "due", "expir", "until")


def _date_candidates(front: dict[str, Any], prefix: str = "", depth: int = 0) -> list[str]:
    """Dotted names of front-matter fields whose name says they hold a date."""
    names: list[str] = []
    for key, value in front.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and depth < 2:
            names.extend(_date_candidates(value, dotted + ".", depth + 1))
        elif any(word in str(key).lower() for word in DATE_WORDS):
            names.append(dotted)
    return names


def _line_of(lines: Mapping[str, int], dotted: str) -> int | None:
    pointer = ""
    for part in dotted.split("."):
        pointer = pointer_join(pointer, part)
    return lines.get(pointer) or lines.get(pointer_join("", dotted))


def read_dates(
    ctx: CollectContext,
    rel: str,
    body_dates: Mapping[str, tuple[str, int]],
    options: DocumentOptions,
    front: Any,
    front_lines: Mapping[str, int],
    locations: dict[str, int],
) -> tuple[dict[str, dict[str, Any]], dict[str, date]]:
    """(date field → how it reads, date field → its date) over the (redacted) front matter.

    Without `date_fields` every front-matter field named like a date is read, and then the
    dates written in the body; a date that does not read is a diagnostic when it has digits.
    """
    explicit = options.date_fields is not None
    names = list(options.date_fields or ()) if explicit else _date_candidates(front)
    if not explicit:
        names += [n for n in body_dates if n not in names]
    if options.dated_field and options.dated_field not in names:
        names.append(options.dated_field)
    dates: dict[str, dict[str, Any]] = {}
    values: dict[str, date] = {}
    for name in names:
        found, value = lookup(front, name)
        field_line = _line_of(front_lines, name) if found else None
        if not found and name in body_dates:
            value, field_line = body_dates[name]
            found = True
        entry, reading = _date_entry(ctx, rel, name, value if found else None, field_line, explicit)
        if reading is not None:
            values[name] = reading
        dates[name] = entry
        if field_line:
            locations[pointer_join("/dates", name)] = field_line
    return dates, values


def _date_entry(
    ctx: CollectContext,
    rel: str,
    name: str,
    value: Any,
    field_line: int | None,
    explicit: bool,
) -> tuple[dict[str, Any], date | None]:
    """(how one date field reads: date, raw text masked, ambiguity, note; its date if any)."""
    entry: dict[str, Any] = {
        "value": None,
        "raw": None,
        "ambiguous": False,
        "note": None,
        "line": field_line,
    }
    reading: ParsedDate | None = None
    if value is None or value == "":
        entry["note"] = "missing"
    elif isinstance(value, (dict, list, bool)):
        entry["note"] = f"not a date (a {type(value).__name__})"
    else:
        raw = str(value)
        entry["raw"] = redact_text(raw)
        reading = parse_date_loose(raw)
        if reading is None:
            entry["note"] = "not a date in a known format; write YYYY-MM-DD"
            if explicit or any(ch.isdigit() for ch in raw):
                ctx.problem(rel, field_line, f"{name}: {raw!r} is not a date; write YYYY-MM-DD")
        else:
            entry["value"] = reading.value.isoformat()
            entry["ambiguous"] = reading.ambiguous
            entry["note"] = reading.note
            if reading.ambiguous:
                ctx.problem(rel, field_line, f"{name}: {reading.note}")
    return entry, reading.value if reading is not None else None


def dated(
    options: DocumentOptions,
    values: Mapping[str, date],
    today: date,
    ctx: CollectContext,
    rel: str,
) -> str | None:
    """The date that says how current the document is (see DATED_PREFERENCE)."""
    if options.dated_field:
        if options.dated_field not in values:
            ctx.problem(
                rel, None, f"dated_field {options.dated_field} has no date; its age is unknown"
            )
            return None
        return values[options.dated_field].isoformat()
    for name in DATED_PREFERENCE:
        if name in values:
            return values[name].isoformat()
    past = [
        value
        for name, value in values.items()
        if value <= today and not any(word in name.lower() for word in _FORWARD_WORDS)
    ]
    return max(past).isoformat() if past else None


def future_dated(
    ctx: CollectContext, rel: str, dates: Mapping[str, Mapping[str, Any]], dated_on: str | None
) -> int | None:
    """The line of the date that says how current the document is, when it lies after today.

    The date stays the document's (a freshness rule on it is an error, never a pass); it is
    reported here, at its line, and the evidence points at that line.
    """
    if dated_on is None or future_moment(dated_on, ctx.now, clock_skew()) is None:
        return None
    name = next((n for n, entry in dates.items() if entry.get("value") == dated_on), None)
    line = dates[name].get("line") if name is not None else None
    ctx.problem(
        rel,
        line,
        f"{name or 'the document date'}: {dated_on} lies in the future; a document cannot be "
        "dated after today, so this date shows nothing about how current it is",
        level="error",
    )
    return line if isinstance(line, int) else None
