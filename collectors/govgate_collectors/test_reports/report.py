"""What every report reader shares: `ReportProblem` (a report that cannot be used, and the
line where that became clear) and reading a report's ISO 8601 timestamps as UTC."""

from __future__ import annotations

from datetime import UTC, datetime


class ReportProblem(Exception):
    """A report file that cannot be used, with the line where that became clear."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def parse_moment(text: str) -> datetime | None:
    """An ISO 8601 timestamp; one without a zone is taken as UTC (documented)."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):  # not ISO 8601, or a zone shift past year 1 or 9999
        return None
