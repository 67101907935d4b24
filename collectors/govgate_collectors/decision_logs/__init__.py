"""The `decision_logs` collector: audit trails of AI decisions, summarised in bounded memory.

Reads decision-log records (docs/decision-records.md) from JSONL and CSV files, plain or gzip,
of any size, and reports one `decision_log.summary` over all files and one `decision_log.file`
per file: record and malformed-line counts with line numbers, duplicate ids, time range and
gaps, field coverage, human review of high-risk decisions, reasons, overrides, the `prev_hash`
chain, retention, and personal data found (counts and masked samples only).

It works in two steps, kept apart so that another engine (a remote backend such as Spark) can
run the second:

1. *Loading* (DuckDB-specific, `loader.DuckDBDecisionLogLoader`): every file becomes rows of one
   table of normalised columns (`normalise.DECISION_ROW_COLUMNS`), one row per non-blank line.
   JSONL is read by DuckDB's own parallel reader; CSV (and any JSONL whose lines DuckDB and
   Python count differently) goes through the Python readers (`readers`). A cheap pass over
   each JSONL file's bytes (`line_pass`) then finds blank lines, maps row ordinals to line
   numbers, explains invalid lines, and checks a sample of rows against DuckDB's (sha256 per
   line), so line numbers are never guessed.
2. *Aggregation* (portable SQL, `queries`): plain SELECTs over the view `decision_records`,
   with `:name` parameters, using only what DuckDB and Spark SQL both accept. Logs in a data
   lake skip step 1: a remote backend loads them and runs the same SQL (`lake`).

The hash chain (docs/collectors/decision_logs.md): a record's `prev_hash` is the lowercase hex
sha256 of the bytes of the previous non-blank line of the same file, without its line end and
without surrounding whitespace (space, tab, CR, VT, FF); the first line of a file is not
checked. Hashing the bytes as written makes the chain independent of any JSON serialiser and
checkable with `sha256sum`, and since each line carries its own `prev_hash`, every link covers
the whole history before it.
"""

from __future__ import annotations

from collections.abc import Sequence

from govgate.api import Collector, hookimpl
from govgate_collectors.decision_logs.collector import DecisionLogsCollector

__all__ = ["DecisionLogsCollector", "govgate_collectors"]


@hookimpl
def govgate_collectors() -> Sequence[type[Collector]]:
    return [DecisionLogsCollector]
