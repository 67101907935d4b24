"""What the portable aggregates say about one file or all files (`Group`), and running them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from govgate_collectors.decision_logs.logfile import LogFile
from govgate_collectors.decision_logs.queries import (
    BY_DECISION_TYPE_SQL,
    DUPLICATES_SQL,
    GAPS_SQL,
    TOTALS_COLUMNS,
    TOTALS_SQL,
    QueryRunner,
)
from govgate_collectors.decision_logs.settings import DecisionLogSettings
from govgate_collectors.decision_logs.tally import PiiTally


@dataclass
class Group:
    """Everything aggregated for one file or for all files (path None)."""

    path: str | None
    totals: dict[str, Any] = field(default_factory=dict)
    by_type: dict[str, int] = field(default_factory=dict)
    duplicate_count: int = 0
    duplicate_samples: list[str] = field(default_factory=list)
    gaps_over: int = 0
    largest_gap: float | None = None
    malformed_rows: list[tuple[int, int | None, str]] = field(default_factory=list)
    malformed_listed: list[tuple[str, int | None, str]] = field(default_factory=list)
    malformed_extra: int = 0  # blank lines and unreadable files, not rows of the table
    links: int = 0
    broken: int = 0
    first_break_ord: int | None = None
    first_break_line: int | None = None
    first_break: tuple[str, int | None] | None = None
    chained: bool = False
    pii: PiiTally = field(default_factory=PiiTally)
    read_error: str | None = None

    def add_chain_to(self, summary: Group) -> None:
        """Count this file's hash-chain links into the summary; its first break if the first."""
        if not self.chained:
            return
        summary.chained = True
        summary.links += self.links
        summary.broken += self.broken
        if summary.first_break is None and self.first_break is not None:
            summary.first_break = self.first_break


def aggregate(
    runner: QueryRunner,
    settings: DecisionLogSettings,
    logs: list[LogFile],
    now: datetime,
) -> dict[str | None, Group]:
    """Run the portable aggregates; one Group per file and one for all (key None)."""
    groups: dict[str | None, Group] = {None: Group(None)}
    for log in logs:
        groups[log.path] = Group(log.path, read_error=log.read_error)
    params = {
        "retention_cutoff": now.timestamp() - settings.retention_max_days * 86400.0,
        "gap_seconds": settings.gap_hours * 3600.0,
    }
    columns = ["path", *(name for name, _ in TOTALS_COLUMNS)]
    for row in runner.rows(TOTALS_SQL, params):
        values = dict(zip(columns, row, strict=True))
        if values["path"] in groups:
            groups[values["path"]].totals = values
    for path, decision_type, count in runner.rows(BY_DECISION_TYPE_SQL):
        if path in groups:
            groups[path].by_type[decision_type] = int(count)
    for path, decision_id, duplicate_ids in runner.rows(DUPLICATES_SQL):
        if path in groups:
            groups[path].duplicate_count = int(duplicate_ids)
            groups[path].duplicate_samples.append(str(decision_id))
    for path, over, largest in runner.rows(GAPS_SQL, params):
        if path in groups:
            groups[path].gaps_over = int(over or 0)
            groups[path].largest_gap = None if largest is None else float(largest)
    return groups
