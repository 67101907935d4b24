"""What the portable aggregates say about one file or all files (`Group`), and running them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from govgate.support.clock import clock_skew
from govgate_collectors.decision_logs.logfile import LogFile
from govgate_collectors.decision_logs.queries import (
    BY_DECISION_TYPE_FILE_SQL,
    BY_DECISION_TYPE_SQL,
    CAUSES_SQL,
    CONFLICTS_SQL,
    DUPLICATES_SQL,
    GAPS_FILE_SQL,
    GAPS_SQL,
    MAX_SAMPLE_LINES,
    SAMPLES_SQL,
    TOTALS_COLUMNS,
    TOTALS_FILE_SQL,
    TOTALS_SQL,
    QueryRunner,
)
from govgate_collectors.decision_logs.settings import DecisionLogSettings
from govgate_collectors.decision_logs.tally import PiiTally

#: Where a record is: (path, ord, line if the loader knows it).
Row = tuple[str, int, int | None]


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
    #: SAMPLE_CONDITIONS name -> the first rows meeting it, as (ord, line or None); for the
    #: summary, (path, line) after `_finish_groups`-style roll-ups.
    samples: dict[str, list[tuple[int, int | None]]] = field(default_factory=dict)
    #: malformed cause -> (count, first rows as (ord, line or None)).
    causes: dict[str, tuple[int, list[tuple[int, int | None]]]] = field(default_factory=dict)
    #: What the evidence lists, with line numbers resolved: name -> [(path, line)].
    sample_lines: dict[str, list[tuple[str, int | None]]] = field(default_factory=dict)
    cause_lines: dict[str, tuple[int, list[tuple[str, int | None]]]] = field(default_factory=dict)
    #: Decision ids whose records differ: how many, and the first few as
    #: (id, (path, ord, line) of its first record, (path, ord, line) of the first that differs).
    conflict_count: int = 0
    conflicts: list[tuple[str, Row, Row]] = field(default_factory=list)
    conflict_lines: list[tuple[str, tuple[str, int | None], tuple[str, int | None]]] = field(
        default_factory=list
    )

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
        # Later than now beyond the clock-skew tolerance: dated in the future.
        "future_cutoff": now.timestamp() + clock_skew().total_seconds(),
    }
    columns = ["path", *(name for name, _ in TOTALS_COLUMNS)]
    # With one file, the summary is that file's figures: the queries over all files are not
    # run again (their result would be the same), and the file's figures are copied.
    single = len(logs) == 1
    totals_sql = TOTALS_FILE_SQL if single else TOTALS_SQL
    types_sql = BY_DECISION_TYPE_FILE_SQL if single else BY_DECISION_TYPE_SQL
    gaps_sql = GAPS_FILE_SQL if single else GAPS_SQL
    for row in runner.rows(totals_sql, params):
        values = dict(zip(columns, row, strict=True))
        if values["path"] in groups:
            groups[values["path"]].totals = values
    for path, decision_type, count in runner.rows(types_sql):
        if path in groups:
            groups[path].by_type[decision_type] = int(count)
    for path, decision_id, duplicate_ids in runner.rows(DUPLICATES_SQL):
        if path in groups:
            groups[path].duplicate_count = int(duplicate_ids)
            groups[path].duplicate_samples.append(str(decision_id))
    for path, over, largest in runner.rows(gaps_sql, params):
        if path in groups:
            groups[path].gaps_over = int(over or 0)
            groups[path].largest_gap = None if largest is None else float(largest)
    for path, name, ordinal, line in runner.rows(SAMPLES_SQL, params):
        if path in groups:
            found = groups[path].samples.setdefault(str(name), [])
            found.append((int(ordinal), None if line is None else int(line)))
    for path, problem, count, ordinal, line in runner.rows(CAUSES_SQL):
        if path in groups:
            total, rows = groups[path].causes.get(str(problem), (int(count), []))
            rows.append((int(ordinal), None if line is None else int(line)))
            groups[path].causes[str(problem)] = (total, rows)
    for scope, decision_id, ids, path0, ord0, line0, path, ordinal, line in runner.rows(
        CONFLICTS_SQL
    ):
        if scope in groups:
            group = groups[scope]
            group.conflict_count = int(ids)
            group.conflicts.append(
                (
                    str(decision_id),
                    (str(path0), int(ord0), None if line0 is None else int(line0)),
                    (str(path), int(ordinal), None if line is None else int(line)),
                )
            )
    if single:
        only, summary = groups[logs[0].path], groups[None]
        summary.totals = {**only.totals, "path": None}
        summary.by_type = dict(only.by_type)
        summary.gaps_over, summary.largest_gap = only.gaps_over, only.largest_gap
    for group in groups.values():  # the rows in file order, whatever order the engine gave
        for rows in group.samples.values():
            rows.sort()
        for _, rows in group.causes.values():
            rows.sort()
    return groups


def resolve_lines(
    group: Group,
    path: str,
    line_of: Callable[[int, int | None], int | None],
    extra_causes: Mapping[str, tuple[int, Sequence[int | None]]],
) -> None:
    """Give a file's samples and causes their line numbers; add the causes found outside
    the table (blank lines, an unreadable file)."""
    for name, rows in group.samples.items():
        group.sample_lines[name] = [(path, line_of(o, line)) for o, line in rows]
    for cause, (count, rows) in group.causes.items():
        group.cause_lines[cause] = (count, [(path, line_of(o, line)) for o, line in rows])
    for cause, (count, lines) in extra_causes.items():
        if count:
            group.cause_lines[cause] = (count, [(path, line) for line in lines[:MAX_SAMPLE_LINES]])


def roll_up_lines(summary: Group, group: Group) -> None:
    """Add a file's listed lines to the summary (files in order; the first few are kept)."""
    for name, lines in group.sample_lines.items():
        kept = summary.sample_lines.setdefault(name, [])
        kept.extend(lines[: MAX_SAMPLE_LINES - len(kept)])
    for cause, (count, lines) in group.cause_lines.items():
        total, kept = summary.cause_lines.get(cause, (0, []))
        kept = kept + lines[: MAX_SAMPLE_LINES - len(kept)]
        summary.cause_lines[cause] = (total + count, kept)


def resolve_conflicts(group: Group, line_of: Callable[[str, int, int | None], int | None]) -> None:
    """Give both records of each listed conflict their line numbers."""
    group.conflict_lines = [
        (decision_id, (first[0], line_of(*first)), (other[0], line_of(*other)))
        for decision_id, first, other in group.conflicts
    ]
