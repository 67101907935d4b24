"""Decision-log timestamps as services write them: RFC 3339, ISO 8601 without an offset,
`YYYY-MM-DD HH:MM:SS`, epoch seconds/ms/µs as numbers or strings; and dates in the future."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from govgate.support.errors import CollectorError

from decision_log_files import NOW, record, run, write

BASE = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
EPOCH = int(BASE.timestamp())


def _log(tmp_path: Path, stamps: list[Any]) -> None:
    lines = [json.dumps(record(n, stamp)) for n, stamp in enumerate(stamps, start=1)]
    write(tmp_path, "logs/decisions/a.jsonl", ("\n".join(lines) + "\n").encode())


def test_every_documented_format_is_read_and_counted(tmp_path: Path) -> None:
    _log(
        tmp_path,
        [
            "2026-03-01T09:00:00Z",  # 1 rfc3339
            "2026-03-01T10:00:00.250+01:00",  # 2 rfc3339 with a fraction and an offset
            "2026-03-01T09:30:00",  # 3 no offset: read in UTC, a warning
            "2026-03-01 09:45:00",  # 4 space-separated, no offset
            EPOCH + 3600.5,  # 5 epoch seconds, a number with a fraction
            str((EPOCH + 7200) * 1000),  # 6 epoch milliseconds, a string
            (EPOCH + 10800) * 1_000_000,  # 7 epoch microseconds
            123,  # 8 out of every plausible range: malformed
            "2026-03-01 09:10:00+00:00",  # 9 an offset after a space: RFC 3339
            "2026-03-01t09:20:00z",  # 10 lower-case letters
        ],
    )

    data, _, _, ctx = run(tmp_path)

    assert data["records"] == 9
    assert data["timestamps"]["formats"] == {
        "rfc3339": 4,
        "iso_local": 1,
        "space_local": 1,
        "epoch_s": 1,
        "epoch_ms": 1,
        "epoch_us": 1,
    }
    assert data["timestamps"]["without_offset"] == 2
    assert data["counts"]["timestamp_without_offset"]["first"] == [
        {"path": "logs/decisions/a.jsonl", "line": 3},
        {"path": "logs/decisions/a.jsonl", "line": 4},
    ]
    # 10:00:00.250+01:00 is 09:00:00.250Z: the first; epoch µs is 12:00Z: the last.
    assert data["time_range"] == {"first": "2026-03-01T09:00:00Z", "last": "2026-03-01T12:00:00Z"}
    assert [(m["line"], m["reason"][:35]) for m in data["malformed"]["first"]] == [
        (8, "timestamp must be a date-time (RFC ")
    ]
    warnings = [d.message for d in ctx.diagnostics if d.line is None]
    assert any("2 decision-log timestamps have no offset" in w for w in warnings), warnings


def test_timestamps_without_offset_are_read_in_the_configured_zone(tmp_path: Path) -> None:
    _log(tmp_path, ["2026-03-01T09:00:00", "2026-03-01 10:00:00"])

    data, _, _, _ = run(tmp_path, {"timezone": "Europe/Berlin"})

    berlin = datetime(2026, 3, 1, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert data["time_range"]["first"] == berlin.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert data["time_range"]["first"] == "2026-03-01T08:00:00Z"
    assert data["timestamps"]["timezone"] == "Europe/Berlin"


def test_timestamp_format_overrides_detection(tmp_path: Path) -> None:
    # 1772355600 read as milliseconds is January 1970: the setting is obeyed, not second-guessed.
    _log(tmp_path, [EPOCH * 1000, "2026-03-01T09:00:00Z", EPOCH])

    data, _, _, _ = run(tmp_path, {"timestamp_format": "epoch_ms"})

    assert data["records"] == 2
    assert data["timestamps"]["formats"]["epoch_ms"] == 2
    assert [(m["line"], m["reason"]) for m in data["malformed"]["first"]] == [
        (2, "timestamp is not epoch_ms (collectors.decision_logs.timestamp_format)")
    ]
    assert data["time_range"]["first"] == "1970-01-21T12:19:15Z"


def test_future_dated_records_are_counted_with_lines_and_never_aged(tmp_path: Path) -> None:
    _log(
        tmp_path,
        [
            "2026-03-01T09:00:00Z",
            "2099-01-04T00:00:00Z",
            "2026-03-31T00:00:00Z",
            int(datetime(2031, 1, 1, tzinfo=UTC).timestamp() * 1000),
        ],
    )

    data, _, summary, ctx = run(tmp_path)

    assert data["records"] == 4
    assert data["counts"]["future_timestamp"] == {
        "count": 2,
        "of": "records",
        "of_count": 4,
        "first": [
            {"path": "logs/decisions/a.jsonl", "line": 2},
            {"path": "logs/decisions/a.jsonl", "line": 4},
        ],
    }
    assert data["timestamps"]["latest_future"] == "2099-01-04T00:00:00Z"
    assert data["time_range"]["last"] == "2026-03-31T00:00:00Z"
    assert data["age_of_newest_days"] == 1.0
    assert summary.dated == "2026-03-31T00:00:00Z"
    assert NOW.year == 2026
    assert any(
        "2 decision-log records are dated in the future" in d.message for d in ctx.diagnostics
    )


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timestamp_format": "unix"}, "timestamp_format"),
    ],
)
def test_a_bad_timestamp_setting_is_refused_naming_the_key(
    tmp_path: Path, settings: dict[str, Any], key: str
) -> None:
    _log(tmp_path, ["2026-03-01T09:00:00Z"])
    with pytest.raises(CollectorError, match=f"collectors.decision_logs.{key}"):
        run(tmp_path, settings)
