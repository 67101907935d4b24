"""What counts as a date after now, and the clock-skew tolerance that says so."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from govgate.support.clock import CLOCK_SKEW_ENV, clock_skew, describe_skew, future_moment
from govgate.support.errors import UsageError

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SKEW = timedelta(minutes=5)


@pytest.mark.parametrize(
    ("value", "future"),
    [
        ("2099-01-04", True),
        ("2099-01-04T00:00:00Z", True),
        (datetime(2099, 1, 4), True),  # naive: read as UTC
        (date(2099, 1, 4), True),
        ("2026-06-01T12:04:59Z", False),  # within the skew
        ("2026-06-01T12:05:01Z", True),
        ("2026-06-01T14:00:00+02:00", False),  # 12:00 UTC
        ("2026-06-01", False),
        # A date without a time: still "today" in UTC+14 at 12:00 UTC on 1 June is 2 June.
        ("2026-06-02", False),
        ("2026-06-03", True),
        ("2020-01-01", False),
        ("next week", None),
        (42, None),
        (None, None),
        ("2026-02-30", None),
    ],
)
def test_future_moment(value: object, future: bool | None) -> None:
    moment = future_moment(value, NOW, SKEW)
    assert (moment is not None) is bool(future)
    if moment is not None:
        assert moment.tzinfo is not None and moment > NOW


def test_a_date_becomes_future_only_once_it_has_begun_nowhere() -> None:
    # 2 June begins in UTC+14 at 10:00 UTC on 1 June; with the skew, from 09:55.
    assert future_moment("2026-06-02", datetime(2026, 6, 1, 9, 56, tzinfo=UTC), SKEW) is None
    assert future_moment("2026-06-02", datetime(2026, 6, 1, 9, 54, tzinfo=UTC), SKEW) is not None


@pytest.mark.parametrize(
    ("raw", "skew"),
    [
        (None, timedelta(minutes=5)),
        ("", timedelta(minutes=5)),
        ("0", timedelta(0)),
        (" 90 ", timedelta(seconds=90)),
        ("86400", timedelta(days=1)),
    ],
)
def test_clock_skew_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, raw: str | None, skew: timedelta
) -> None:
    if raw is None:
        monkeypatch.delenv(CLOCK_SKEW_ENV, raising=False)
    else:
        monkeypatch.setenv(CLOCK_SKEW_ENV, raw)
    assert clock_skew() == skew


@pytest.mark.parametrize("raw", ["abc", "-5", "5m", "1.5", "86401", "99999999999"])
def test_a_clock_skew_that_is_not_seconds_up_to_a_day_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    monkeypatch.setenv(CLOCK_SKEW_ENV, raw)
    with pytest.raises(UsageError, match=rf"{CLOCK_SKEW_ENV}=.*not a number of seconds from 0"):
        clock_skew()


def test_describe_skew() -> None:
    assert describe_skew(timedelta(minutes=5)) == "5 minutes"
    assert describe_skew(timedelta(hours=1)) == "1 hour"
    assert describe_skew(timedelta(seconds=90)) == "90 seconds"
    assert describe_skew(timedelta(0)) == "0 seconds"
