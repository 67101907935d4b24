"""Durations (`365d`) and dates as people really write them.

Policies speak in durations (`max_age: 365d`); documents and logs carry dates in every format
(`2026-03-01`, `1 March 2026`, `03/01/2026`). Parsing is strict about what it accepts and says
when a date is ambiguous (is 03/01 the 1st of March or the 3rd of January?) instead of guessing
silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

_DURATION = re.compile(r"^(\d+)(h|d|w|y)$")
_UNITS = {
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
    "y": timedelta(days=365),
}


def parse_duration(text: str) -> timedelta:
    """`12h`, `30d`, `6w`, `1y` (365 days). Raises ValueError with the accepted forms."""
    match = _DURATION.match(str(text).strip())
    if not match:
        raise ValueError(f"invalid duration {text!r}; write e.g. 12h, 30d, 6w or 1y")
    return int(match.group(1)) * _UNITS[match.group(2)]


def format_duration(delta: timedelta) -> str:
    """Short human form of an age: `400 days`, `5 hours`."""
    days = delta.days
    if days >= 1:
        return f"{days} day" + ("s" if days != 1 else "")
    hours = int(delta.total_seconds() // 3600)
    return f"{hours} hour" + ("s" if hours != 1 else "")


_MONTHS = {
    name: index
    for index, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_DAY_MONTH_YEAR = re.compile(
    r"^(\d{1,2})(?:st|nd|rd|th)?(?:\s+|-)([A-Za-z]+)\.?,?(?:\s+|-)(\d{4})$"
)
_MONTH_DAY_YEAR = re.compile(r"^([A-Za-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")
#: `2026/03/01`, `2026-3-1`: year first is never ambiguous.
_YEAR_FIRST = re.compile(r"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})$")
_SLASHED = re.compile(r"^(\d{1,2})([/.])(\d{1,2})\2(\d{4})$")


@dataclass(frozen=True)
class ParsedDate:
    """A date read from free text, with a note when the reading was a guess."""

    value: date
    ambiguous: bool = False
    note: str | None = None


def parse_date_loose(value: object) -> ParsedDate | None:
    """Read a date from the forms people write; None when it is not a date at all.

    `03/01/2026` is ambiguous: both readings are valid, so it is read month-first (US) and
    flagged; `13/01/2026` can only be day-first and is not flagged. Dotted `01.03.2026` is
    read day-first, the convention where dots are used, and flagged too; `2026/03/01`,
    `2026-3-1` and `1-Mar-2026` are not ambiguous.
    """
    if isinstance(value, datetime):
        return ParsedDate(value.date())
    if isinstance(value, date):
        return ParsedDate(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    try:
        return ParsedDate(to_datetime(text).date())
    except ValueError:
        pass
    for pattern, order in ((_DAY_MONTH_YEAR, "dmy"), (_MONTH_DAY_YEAR, "mdy")):
        match = pattern.match(text)
        if match:
            if order == "dmy":
                day, month_name, year = match.groups()
            else:
                month_name, day, year = match.groups()
            month = _MONTHS.get(month_name.lower())
            if month is None:
                return None
            try:
                return ParsedDate(date(int(year), month, int(day)))
            except ValueError:
                return None
    match = _YEAR_FIRST.match(text)
    if match:
        try:
            return ParsedDate(date(int(match[1]), int(match[3]), int(match[4])))
        except ValueError:
            return None
    match = _SLASHED.match(text)
    if match:
        first, second, year = int(match[1]), int(match[3]), int(match[4])
        if match[2] == ".":  # 01.03.2026: dotted dates are written day first
            first, second = second, first
        if first > 12 and second <= 12:
            try:
                return ParsedDate(date(year, second, first))
            except ValueError:
                return None
        if second > 12 and first <= 12:
            try:
                return ParsedDate(date(year, first, second))
            except ValueError:
                return None
        try:
            read = date(year, first, second)
        except ValueError:
            return None
        if first == second:
            return ParsedDate(read)
        return ParsedDate(
            read,
            ambiguous=True,
            note=f"{text!r} is ambiguous (month/day or day/month); read as {read.isoformat()}; "
            "write dates as YYYY-MM-DD",
        )
    return None


def to_datetime(value: object) -> datetime:
    """An aware UTC datetime from an ISO 8601 date or timestamp (`Z` allowed).

    Raises ValueError for anything else; a date without time is midnight UTC.
    """
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a date")
    text = value.strip()
    if len(text) == 10:
        parsed_date = date.fromisoformat(text)
        return datetime(parsed_date.year, parsed_date.month, parsed_date.day, tzinfo=UTC)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
