"""One matched decision-log file, and what loading it and its line pass found."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from govgate_collectors.decision_logs.line_pass import LinePassResult
from govgate_collectors.decision_logs.profiles import CATALOGUE_PROFILE, LogProfile
from govgate_collectors.decision_logs.tally import PiiTally


@dataclass
class LogFile:
    """One matched log file and what loading it found."""

    path: str
    absolute: Path
    rank: int
    size: int
    is_csv: bool
    is_parquet: bool = False
    file_id: int = -1
    via_lines: bool = False  # loaded through Python rather than DuckDB's reader
    read_error: str | None = None
    blank_lines: list[int] = field(default_factory=list)
    blank_count: int = 0
    # Personal data in lines the Python readers could not load as records (scanned there).
    pii: PiiTally = field(default_factory=PiiTally)
    line_pass: LinePassResult | None = None
    #: How the log is written (its `fields:` and timestamps).
    profile: LogProfile = CATALOGUE_PROFILE
