"""Dates after now: the clock-skew tolerance that every freshness check shares.

Evidence dated in the future cannot show that it is fresh: a report dated 2099 would satisfy
every `max_age` and `newer_than` for decades. A timestamp is in the future once it is later than
now plus the clock skew tolerance: 5 minutes by default, because the clock of the machine that
wrote the evidence and the one that checks it differ a little. `GOVGATE_CLOCK_SKEW_SECONDS` sets
another tolerance (0 to 86400), in the CI job rather than in the repository under review.

A date without a time of day (`2026-03-01`) is in the future only once that day has not begun
anywhere: the earliest time zone (UTC+14) starts a day 14 hours before UTC does, so a team there
dating a report today is not refused while it is still yesterday in UTC.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, timedelta

from govgate.support.dates import to_datetime
from govgate.support.errors import UsageError

DEFAULT_CLOCK_SKEW = timedelta(minutes=5)
MAX_CLOCK_SKEW = timedelta(days=1)
CLOCK_SKEW_ENV = "GOVGATE_CLOCK_SKEW_SECONDS"
#: How far the earliest time zone (UTC+14, Kiribati) runs ahead of UTC.
EARLIEST_ZONE_AHEAD = timedelta(hours=14)
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def clock_skew() -> timedelta:
    """The tolerance: GOVGATE_CLOCK_SKEW_SECONDS, else DEFAULT_CLOCK_SKEW.

    Raises UsageError (exit 2) for a value that is not a whole number of seconds from 0 to
    86400: a typo there must not widen, nor silently reset, what counts as the future.
    """
    raw = os.environ.get(CLOCK_SKEW_ENV)
    if raw is None or not raw.strip():
        return DEFAULT_CLOCK_SKEW
    text = raw.strip()
    limit = int(MAX_CLOCK_SKEW.total_seconds())
    if not text.isdigit() or int(text) > limit:
        raise UsageError(
            f"{CLOCK_SKEW_ENV}={raw!r}: not a number of seconds from 0 to {limit}; "
            f"unset it for the default ({int(DEFAULT_CLOCK_SKEW.total_seconds())} s)"
        )
    return timedelta(seconds=int(text))


def future_moment(value: object, now: datetime, skew: timedelta) -> datetime | None:
    """When VALUE lies after now (beyond `skew`): the moment it stands for, else None.

    VALUE is a datetime, a date, or an ISO 8601 text; anything that is not a date is None here
    (whether it is a date at all is for the caller to say).
    """
    if isinstance(value, str):
        text = value.strip()
        if _DATE_ONLY.match(text):
            try:
                value = date.fromisoformat(text)
            except ValueError:
                return None
        else:
            try:
                value = to_datetime(text)
            except (ValueError, OverflowError):
                return None
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment if moment > now + skew else None
    if isinstance(value, date):
        # The day has begun nowhere yet: not even in UTC+14.
        if value > (now + skew + EARLIEST_ZONE_AHEAD).date():
            return datetime(value.year, value.month, value.day, tzinfo=UTC)
        return None
    return None


def describe_skew(skew: timedelta) -> str:
    """`5 minutes`, `90 seconds`: the tolerance as messages say it."""
    seconds = int(skew.total_seconds())
    if seconds and seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hour" + ("s" if hours != 1 else "")
    if seconds and seconds % 60 == 0:
        minutes = seconds // 60
        return f"{minutes} minute" + ("s" if minutes != 1 else "")
    return f"{seconds} second" + ("s" if seconds != 1 else "")
