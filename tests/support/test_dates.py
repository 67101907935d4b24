"""Dates read from the forms people write (govgate.support.dates.parse_date_loose)."""

from __future__ import annotations

from datetime import date

import pytest

from govgate.support.dates import parse_date_loose


@pytest.mark.parametrize(
    ("text", "expected", "ambiguous"),
    [
        ("2026-03-01", date(2026, 3, 1), False),
        ("2026/03/01", date(2026, 3, 1), False),
        ("2026-3-1", date(2026, 3, 1), False),
        ("1 March 2026", date(2026, 3, 1), False),
        ("1-Mar-2026", date(2026, 3, 1), False),
        ("March 1st, 2026", date(2026, 3, 1), False),
        ("03/01/2026", date(2026, 3, 1), True),  # slashes: month first (US), flagged
        ("13/01/2026", date(2026, 1, 13), False),  # only one reading
        ("01.03.2026", date(2026, 3, 1), True),  # dots: day first, flagged
        ("31.12.2026", date(2026, 12, 31), False),
        ("05.05.2026", date(2026, 5, 5), False),  # both readings agree
    ],
)
def test_dates_people_write(text: str, expected: date, ambiguous: bool) -> None:
    parsed = parse_date_loose(text)
    assert parsed is not None
    assert (parsed.value, parsed.ambiguous) == (expected, ambiguous)
    if ambiguous:
        assert parsed.note is not None and "YYYY-MM-DD" in parsed.note


@pytest.mark.parametrize("text", ["2026.02.30", "31/31/2026", "soon", "Q3 2026", "1 Smarch 2026"])
def test_what_is_not_a_date_is_none(text: str) -> None:
    assert parse_date_loose(text) is None
