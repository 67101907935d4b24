"""The `decision_logs` collector: audit trails of AI decisions, summarised in bounded memory.

Reads decision-log records (CATALOG A.0) from JSONL and CSV files, plain or gzip, of any size,
and reports one `decision_log.summary` over all files and one `decision_log.file` per file:
record and malformed-line counts with line numbers, duplicate ids, time range and gaps, field
coverage, human review of high-risk decisions, reasons, overrides, the `prev_hash` chain,
retention, and personal data found (counts and masked samples only).

It works in two steps, kept apart so that another engine (Spark, issue 11) can run the second:

1. *Loading* (DuckDB-specific, `DuckDBDecisionLogLoader`): every file becomes rows of one table
   of normalised columns (`DECISION_ROW_COLUMNS`), one row per non-blank line. JSONL is read by
   DuckDB's own parallel reader; CSV (and any JSONL whose lines DuckDB and Python count
   differently) goes through Python's csv module / a line splitter. A cheap Python pass over
   each JSONL file then finds blank lines, maps row ordinals to line numbers, explains invalid
   lines, and checks a sample of rows against DuckDB's (sha256 per line), so line numbers are
   never guessed.
2. *Aggregation* (portable SQL, the `*_SQL` constants): plain SELECTs over the view
   `decision_records`, with `:name` parameters, using only what DuckDB and Spark SQL both
   accept (GROUPING SETS, LAG/ROW_NUMBER, min_by, CASE, bitwise `&`).

The hash chain (docs/collectors/decision_logs.md): a record's `prev_hash` is the lowercase hex
sha256 of the bytes of the previous non-blank line of the same file, without its line end and
without surrounding whitespace (space, tab, CR, VT, FF); the first line of a file is not
checked. Hashing the bytes as written makes the chain independent of any JSON serialiser and
checkable with `sha256sum`, and since each line carries its own `prev_hash`, every link covers
the whole history before it.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import hashlib
import io
import json
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Protocol, cast

from govgate import hookimpl
from govgate.analysis.aggregate import (
    DUCKDB_DIALECT,
    DuckDBBackend,
    SqlDialect,
    TableSource,
    source_format,
)
from govgate.core.collector import CollectContext, Collector, EvidenceKind
from govgate.core.evidence import Evidence, format_timestamp
from govgate.support.errors import CollectorError
from govgate.support.pii import PII_TYPES, PREFILTER_PATTERN, redact_text, scan_text

DEFAULT_PATHS = (
    "logs/decisions/**/*.jsonl",
    "logs/decisions/**/*.jsonl.gz",
    "logs/decisions/**/*.csv",
    "logs/decisions/**/*.csv.gz",
)
DEFAULT_RETENTION_MAX_DAYS = 1825
DEFAULT_GAP_HOURS = 24.0
#: How many malformed lines, duplicate ids and PII samples evidence lists (the counts are exact).
MAX_MALFORMED_LISTED = 20
MAX_DUPLICATES_LISTED = 10
MAX_PII_SAMPLES = 10
MAX_DECISION_TYPES = 100

RISK_TIERS = ("high", "limited", "minimal")
REVIEW_ACTIONS = ("approve", "override", "reject")

#: The fields of the A.0 decision-log record, in catalogue order, with the JSON type each must
#: have. `human_review` itself is only type-checked; its members are the fields.
A0_FIELDS: tuple[tuple[str, str], ...] = (
    ("decision_id", "id"),
    ("timestamp", "datetime"),
    ("system_id", "string"),
    ("model_name", "string"),
    ("model_version", "string"),
    ("model_artifact_sha256", "string"),
    ("decision_type", "string"),
    ("risk_tier", "risk_tier"),
    ("input_hash", "string"),
    ("input_ref", "string"),
    ("data_categories", "array"),
    ("output", "any"),
    ("score", "number"),
    ("threshold", "number"),
    ("reasons", "array"),
    ("reason_codes", "array"),
    ("human_review.required", "boolean"),
    ("human_review.reviewer_id", "string"),
    ("human_review.action", "review_action"),
    ("human_review.timestamp", "datetime"),
    ("final_outcome", "string"),
    ("subject_ref", "string"),
    ("legal_basis", "string"),
    ("policy_version", "string"),
    ("prev_hash", "string"),
    ("retention_until", "date"),
)
A0_FIELD_NAMES = tuple(name for name, _ in A0_FIELDS)
#: Required by A.0 unconditionally (reasons and the reviewer fields are conditional and are
#: reported through `reasons_share` and `high_risk`).
DEFAULT_REQUIRED_FIELDS = (
    "decision_id",
    "timestamp",
    "system_id",
    "model_name",
    "model_version",
    "decision_type",
    "risk_tier",
    "input_hash",
    "output",
    "human_review.required",
    "final_outcome",
)
#: Bit of each field in the `present` column (non-empty value: not null, "", [] or {}).
FIELD_BIT = {name: 1 << index for index, name in enumerate(A0_FIELD_NAMES)}

# ---------------------------------------------------------------------------------------------
# Step 1: loading (DuckDB dialect). One row per non-blank line, in file order.
# ---------------------------------------------------------------------------------------------

#: The normalised table every loader produces (a Spark loader produces the same columns).
DECISION_ROW_COLUMNS = """
    file_id INTEGER,
    line BIGINT,            -- set when the loader knows it; else mapped from ord afterwards
    problem VARCHAR,        -- NULL for a usable record; else why the line is malformed
    parsed BOOLEAN,         -- the line is valid JSON (a record may still have a problem)
    decision_id VARCHAR,
    ts DOUBLE,              -- decision time, seconds since the epoch (UTC)
    decision_type VARCHAR,
    risk_tier VARCHAR,
    is_high_risk BOOLEAN,
    present INTEGER,        -- FIELD_BIT of every non-empty A.0 field
    review_action VARCHAR,
    review_ts DOUBLE,
    prev_hash UHUGEINT,     -- first 128 bits of prev_hash; 0 when present but not 64 hex
    record_hash UHUGEINT,   -- first 128 bits of the sha256 of the line as written
    pii_text VARCHAR        -- the line, only when PREFILTER_PATTERN matches it
"""

_CHECKED_FIELDS: tuple[tuple[str, str], ...] = (
    *A0_FIELDS[:16],
    ("human_review", "object"),
    *A0_FIELDS[16:],
)
_VALUE_INDEX = {name: index + 1 for index, (name, _) in enumerate(_CHECKED_FIELDS)}
JSON_PATHS = ["$." + name for name, _ in _CHECKED_FIELDS]

_TYPE_TEXT = {
    "id": "a string or an integer",
    "string": "a string",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "an object",
    "datetime": "an RFC 3339 date-time",
    "date": "a date",
    "risk_tier": "one of " + ", ".join(RISK_TIERS),
    "review_action": "one of " + ", ".join(REVIEW_ACTIONS),
}


def _c(name: str) -> str:
    """The column holding a field's JSON text (NULL when the key is missing)."""
    return f"c{_VALUE_INDEX[name]}"


# Typed values, computed once per row in the `typed` layer of the normalisation. A JSON
# string's value is its text without the quotes: exact unless the value contains escapes,
# which ids, types, enums, timestamps and hex digests do not; parsing each value again (`->>`)
# cost a third of the load time.
def _typed_values(dialect: SqlDialect) -> dict[str, str]:
    def unquoted(name: str) -> str:
        return dialect.unquote(_c(name))

    timestamptz = dialect.timestamp_type
    return {
        "decision_id": unquoted("decision_id"),
        "ts": dialect.epoch(unquoted("timestamp")),
        "decision_type": unquoted("decision_type"),
        "risk_tier": f"lower({unquoted('risk_tier')})",
        "review_action": f"lower({unquoted('human_review.action')})",
        "review_ts": dialect.epoch(unquoted("human_review.timestamp")),
        "retention_date": (
            f"coalesce(TRY_CAST({unquoted('retention_until')} AS DATE), "
            f"CAST(TRY_CAST({unquoted('retention_until')} AS {timestamptz}) AS DATE))"
        ),
        "prev_text": unquoted("prev_hash"),
    }


def _type_violation(dialect: SqlDialect, name: str, kind: str) -> str | None:
    """SQL true when the field is present with the wrong JSON type (None: any type is fine).

    Types are read from the JSON text's first character (LIKE prefixes are cheap); a missing
    key is NULL and a JSON null is 'null', neither of which is a violation.
    """
    column = _c(name)
    present = f"{column} <> 'null'"
    not_string = f"{column} NOT LIKE '\"%'"
    integer = dialect.regex_full(column, "'-?[0-9]+'")
    number = dialect.regex_search(column, "'^-?[0-9]'")
    wrong = {
        "id": f"{not_string} AND NOT {integer}",
        "string": not_string,
        "number": f"NOT {number}",
        "boolean": f"{column} NOT IN ('true', 'false')",
        "array": f"{column} NOT LIKE '[%'",
        "object": f"{column} NOT LIKE '{{%'",
        "datetime": f"{not_string} OR {'ts' if name == 'timestamp' else 'review_ts'} IS NULL",
        "date": f"{not_string} OR retention_date IS NULL",
        "risk_tier": f"{not_string} OR risk_tier NOT IN {RISK_TIERS!r}",
        "review_action": f"{not_string} OR review_action NOT IN {REVIEW_ACTIONS!r}",
    }.get(kind)
    if wrong is None:
        return None
    return f"{present} AND ({wrong})"


def _present(name: str) -> str:
    column = _c(name)
    condition = f"{column} NOT IN ('null', '\"\"', '[]', '{{}}')"
    if name == "human_review.reviewer_id":  # a blank reviewer is no reviewer
        condition += f" AND NOT ({column} LIKE '\" %' AND trim({column}, '\" ') = '')"
    return condition


def _problem_sql(dialect: SqlDialect) -> str:
    cases = [
        "WHEN pre_problem IS NOT NULL THEN pre_problem",
        "WHEN json IS NULL THEN 'invalid JSON'",
        "WHEN not_object THEN 'not a JSON object'",
    ]
    for name, kind in _CHECKED_FIELDS:
        violation = _type_violation(dialect, name, kind)
        if violation is not None:
            message = f"{name} must be {_TYPE_TEXT[kind]}".replace("'", "''")
            cases.append(f"WHEN {violation} THEN '{message}'")
    return "CASE " + "\n        ".join(cases) + " END"


_PRESENT_SQL = " + ".join(
    f"(CASE WHEN {_present(name)} THEN {FIELD_BIT[name]} ELSE 0 END)" for name in A0_FIELD_NAMES
)


def normalise_sql(dialect: SqlDialect, keys: Sequence[str] = ("file_id", "line")) -> str:
    """Normalise the relation `src` into DECISION_ROW_COLUMNS (with `keys` in front).

    `src` (a CTE the loader puts in front) has the `keys`, `json` (the line's text when it is
    valid JSON, else NULL), `raw_sha` (the line's sha256 when the loader computed it, for
    invalid lines) and `pre_problem` (a problem the loader found). The document is parsed once
    (the dialect's `json_fields`); each field is then a column `cN` holding its JSON text, and
    every check below is the same text for every engine. Parameters: `paths`,
    `high_risk_types`, `prefilter`.
    """
    key_list = ", ".join(keys)
    typed = ", ".join(f"{sql} AS {name}" for name, sql in _typed_values(dialect).items())
    prev = _c("prev_hash")
    high_risk = dialect.contains(dialect.param("high_risk_types"), "decision_type")
    record_sha = "coalesce(raw_sha, CASE WHEN json IS NOT NULL THEN "
    record_sha += f"{dialect.sha256_hex('json')} END)"
    key_select = "".join(f"    {key},\n" for key in keys)
    pii = dialect.regex_search("json", dialect.param("prefilter"))
    fields = dialect.json_fields(key_list, JSON_PATHS, dialect.param("paths"))
    hex_digest = dialect.regex_full("prev_text", "'[0-9a-fA-F]{64}'")
    return f"""{fields}, typed AS (
    SELECT *, {typed} FROM fields
)
SELECT
{key_select}    {_problem_sql(dialect)} AS problem,
    json IS NOT NULL AS parsed,
    decision_id,
    ts,
    decision_type,
    risk_tier,
    coalesce(risk_tier = 'high' OR {high_risk}, false)
        AS is_high_risk,
    CASE WHEN not_object THEN 0 ELSE {_PRESENT_SQL} END AS present,
    review_action,
    review_ts,
    CASE WHEN {prev} IS NULL OR {prev} IN ('null', '""') THEN NULL
        WHEN {hex_digest}
            THEN {dialect.hash128("prev_text")}
        ELSE {dialect.hash128_zero()} END AS prev_hash,
    {dialect.hash128(record_sha)} AS record_hash,
    CASE WHEN json IS NOT NULL AND {pii} THEN json END AS pii_text
FROM typed
"""  # noqa: S608 - every piece is a module constant or the dialect's


#: The DuckDB loader's normalisation (see `normalise_sql`).
NORMALISE_SQL = normalise_sql(DUCKDB_DIALECT)

_READ_JSONL_SQL = """
SELECT $file_id AS file_id, CAST(NULL AS BIGINT) AS line, json,
    CAST(NULL AS VARCHAR) AS raw_sha, CAST(NULL AS VARCHAR) AS pre_problem
FROM read_json_objects($path, format = 'newline_delimited', ignore_errors = true,
    compression = $compression)
"""
_LINES_SQL = """
SELECT $file_id AS file_id, line, CASE WHEN json_valid(text) THEN text END AS json,
    raw_sha, pre_problem
FROM (SELECT unnest(CAST($lines AS BIGINT[])) AS line, unnest(CAST($texts AS VARCHAR[])) AS text,
             unnest(CAST($shas AS VARCHAR[])) AS raw_sha,
             unnest(CAST($problems AS VARCHAR[])) AS pre_problem)
"""

# ---------------------------------------------------------------------------------------------
# Step 2: aggregation (portable SQL over the view `decision_records`).
#
# decision_records: path VARCHAR, ord BIGINT (0-based position among the file's non-blank
# lines), seq BIGINT (file rank * 2^40 + ord: global order), line BIGINT (may be NULL), and the
# DECISION_ROW_COLUMNS except file_id. Parameters are written `:name`.
# ---------------------------------------------------------------------------------------------


def _count_if(condition: str) -> str:
    return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"


def _has(*fields: str) -> str:
    mask = 0
    for name in fields:
        mask |= FIELD_BIT[name]
    return f"(present & {mask}) <> 0"


_RECORD = "problem IS NULL"
_HIGH = f"{_RECORD} AND is_high_risk"
_REVIEWER = _has("human_review.reviewer_id")
_ACTION = _has("human_review.action")

#: The per-group counts: (column, SQL aggregate). TOTALS_SQL is built from this list so that
#: the names the caller reads and the SQL cannot drift apart.
TOTALS_COLUMNS: tuple[tuple[str, str], ...] = (
    ("line_rows", "COUNT(*)"),
    ("records", _count_if(_RECORD)),
    ("malformed", _count_if("problem IS NOT NULL")),
    ("first_ts", f"MIN(CASE WHEN {_RECORD} THEN ts END)"),
    ("last_ts", f"MAX(CASE WHEN {_RECORD} THEN ts END)"),
    ("high_risk", _count_if(_HIGH)),
    ("high_risk_with_reviewer", _count_if(f"{_HIGH} AND {_REVIEWER}")),
    ("high_risk_with_action", _count_if(f"{_HIGH} AND {_ACTION}")),
    ("high_risk_reviewed", _count_if(f"{_HIGH} AND {_REVIEWER} AND {_ACTION}")),
    ("review_before_decision", _count_if(f"{_RECORD} AND review_ts < ts")),
    ("with_reasons", _count_if(f"{_RECORD} AND {_has('reasons', 'reason_codes')}")),
    ("overrides", _count_if(f"{_RECORD} AND review_action = 'override'")),
    ("review_actions", _count_if(f"{_RECORD} AND review_action IS NOT NULL")),
    ("with_prev_hash", _count_if(f"{_RECORD} AND prev_hash IS NOT NULL")),
    ("over_retention", _count_if(f"{_RECORD} AND ts < :retention_cutoff")),
    *(
        (f"has_{index}", _count_if(f"{_RECORD} AND {_has(name)}"))
        for index, name in enumerate(A0_FIELD_NAMES)
    ),
)
_TOTALS_SELECT = ",\n    ".join(f"{sql} AS {name}" for name, sql in TOTALS_COLUMNS)
#: One row per file (path) and one for all files (path NULL).
TOTALS_SQL = f"""
SELECT path,
    {_TOTALS_SELECT}
FROM decision_records
GROUP BY GROUPING SETS ((path), ())
"""  # noqa: S608 - every piece is a module constant

#: The most frequent decision types per file and overall (path NULL).
BY_DECISION_TYPE_SQL = f"""
WITH typed AS (
    SELECT path, COALESCE(decision_type, '') AS decision_type
    FROM decision_records WHERE {_RECORD}
), counted AS (
    SELECT path, decision_type, COUNT(*) AS n
    FROM typed GROUP BY GROUPING SETS ((path, decision_type), (decision_type))
), ranked AS (
    SELECT path, decision_type, n,
        ROW_NUMBER() OVER (PARTITION BY path ORDER BY n DESC, decision_type) AS rn
    FROM counted
)
SELECT path, decision_type, n FROM ranked WHERE rn <= {MAX_DECISION_TYPES}
"""  # noqa: S608 - every piece is a module constant

#: Decision ids seen more than once: how many per file / overall, and the first few seen.
DUPLICATES_SQL = f"""
WITH ids AS (
    SELECT path, decision_id, COUNT(*) AS n, MIN(seq) AS first_seq
    FROM decision_records WHERE {_RECORD} AND decision_id IS NOT NULL
    GROUP BY GROUPING SETS ((path, decision_id), (decision_id))
), duplicated AS (
    SELECT path, decision_id,
        ROW_NUMBER() OVER (PARTITION BY path ORDER BY first_seq) AS rn,
        COUNT(*) OVER (PARTITION BY path) AS duplicate_ids
    FROM ids WHERE n > 1
)
SELECT path, decision_id, duplicate_ids FROM duplicated WHERE rn <= {MAX_DUPLICATES_LISTED}
"""  # noqa: S608 - every piece is a module constant

#: Gaps between consecutive decisions (by time) within each file, and across all files.
GAPS_SQL = f"""
WITH timed AS (
    SELECT path, ts FROM decision_records WHERE {_RECORD} AND ts IS NOT NULL
), gaps AS (
    SELECT path,
        ts - LAG(ts) OVER (PARTITION BY path ORDER BY ts) AS file_gap,
        ts - LAG(ts) OVER (ORDER BY ts) AS all_gap
    FROM timed
)
SELECT path, {_count_if("file_gap > :gap_seconds")} AS over_threshold, MAX(file_gap) AS largest
FROM gaps GROUP BY path
UNION ALL
SELECT NULL, {_count_if("all_gap > :gap_seconds")}, MAX(all_gap) FROM gaps
"""  # noqa: S608 - every piece is a module constant

_CHAIN_LINKS_CTE = """
WITH neighbours AS (
    SELECT path, ord, line, parsed, prev_hash,
        LAG(record_hash) OVER (PARTITION BY path ORDER BY ord) AS expected,
        ROW_NUMBER() OVER (PARTITION BY path ORDER BY ord) AS pos,
        MAX(CASE WHEN prev_hash IS NOT NULL THEN 1 ELSE 0 END)
            OVER (PARTITION BY path) AS chained
    FROM decision_records
), links AS (
    SELECT path, ord, line, prev_hash,
        CASE WHEN chained = 0 OR pos = 1 THEN NULL
            WHEN NOT parsed OR prev_hash IS NULL THEN 'broken'
            WHEN expected IS NULL THEN NULL
            WHEN prev_hash = expected THEN 'ok'
            ELSE 'broken' END AS link
    FROM neighbours
)
"""
#: Per file: links checked, broken, and where the first break is. A line that is not valid
#: JSON breaks the chain (its prev_hash cannot be read); the link after it is not counted when
#: the loader could not hash it (it cannot move the first break, which is that line).
CHAIN_SQL = f"""{_CHAIN_LINKS_CTE}
SELECT path,
    {_count_if("link IS NOT NULL")} AS links,
    {_count_if("link = 'broken'")} AS broken,
    MIN(CASE WHEN link = 'broken' THEN ord END) AS first_break_ord,
    min_by(line, CASE WHEN link = 'broken' THEN ord END) AS first_break_line
FROM links GROUP BY path
"""  # noqa: S608 - every piece is a module constant

#: The first malformed rows of each file (blank lines are counted by the loader).
MALFORMED_SQL = f"""
SELECT path, ord, line, problem FROM (
    SELECT path, ord, line, problem,
        ROW_NUMBER() OVER (PARTITION BY path ORDER BY ord) AS rn
    FROM decision_records WHERE problem IS NOT NULL
) first_rows WHERE rn <= {MAX_MALFORMED_LISTED} ORDER BY path, ord
"""  # noqa: S608 - every piece is a module constant

#: Lines that may hold personal data, for the exact (Python) scan.
PII_CANDIDATES_SQL = """
SELECT path, pii_text FROM decision_records WHERE pii_text IS NOT NULL ORDER BY path, ord
"""


class QueryRunner(Protocol):
    """What the aggregation step needs from an engine: run portable SQL, stream the rows."""

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> Iterator[tuple[Any, ...]]:
        """Run `sql` (parameters written `:name`) and yield its rows."""


# ---------------------------------------------------------------------------------------------
# Settings, progress and small helpers
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionLogSettings:
    """`collectors.decision_logs` in govgate.yaml, validated."""

    paths: tuple[str, ...]
    high_risk_types: tuple[str, ...]
    retention_max_days: int
    gap_hours: float
    required_fields: tuple[str, ...]
    memory_limit: str
    threads: int
    #: "duckdb" (default) or "python": split JSONL lines in Python (slower; for diagnosis).
    jsonl_reader: str = "duckdb"

    @classmethod
    def from_context(cls, ctx: CollectContext) -> DecisionLogSettings:
        raw = ctx.settings

        def fail(key: str, message: str) -> CollectorError:
            return CollectorError(f"govgate.yaml collectors.decision_logs.{key}: {message}")

        def string_list(key: str, default: Sequence[str]) -> tuple[str, ...]:
            value = raw.get(key, default)
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
                raise fail(key, "must be a list of strings")
            return tuple(value)

        declared_high = [
            str(item.get("name"))
            for item in ctx.system.get("decision_types") or []
            if isinstance(item, dict) and item.get("risk_tier") == "high" and item.get("name")
        ]
        required = string_list("required_fields", DEFAULT_REQUIRED_FIELDS)
        unknown = [name for name in required if name not in FIELD_BIT]
        if unknown:
            raise fail(
                "required_fields",
                f"unknown field {unknown[0]!r}; the A.0 fields are {', '.join(A0_FIELD_NAMES)}",
            )
        try:
            retention = int(raw.get("retention_max_days", DEFAULT_RETENTION_MAX_DAYS))
            gap_hours = float(raw.get("gap_hours", DEFAULT_GAP_HOURS))
            threads = int(raw.get("threads", os.cpu_count() or 2))
        except (TypeError, ValueError) as exc:
            raise fail("retention_max_days/gap_hours/threads", f"must be numbers ({exc})") from None
        if retention <= 0 or gap_hours <= 0 or threads <= 0:
            raise fail("retention_max_days/gap_hours/threads", "must be positive")
        reader = str(raw.get("jsonl_reader", "duckdb"))
        if reader not in ("duckdb", "python"):
            raise fail("jsonl_reader", f"{reader!r} is not one of duckdb, python")
        memory = str(raw.get("memory_limit", "256MB"))
        if not re.fullmatch(r"\d+(?:\.\d+)?\s*(?:[KMGT]i?B)", memory):
            raise fail("memory_limit", f"{memory!r} is not a size such as 256MB or 1GB")
        return cls(
            paths=string_list("paths", DEFAULT_PATHS),
            high_risk_types=string_list("high_risk_types", declared_high),
            retention_max_days=retention,
            gap_hours=gap_hours,
            required_fields=required,
            memory_limit=memory,
            threads=threads,
            jsonl_reader=reader,
        )


ProgressCallback = Callable[[int, int, str], None]


def terminal_progress(stream: Any = None) -> ProgressCallback | None:
    """A `(done, total, label)` printer for an interactive terminal; None in CI or when piped.

    Used when the caller gave no `ctx.progress`. It redraws one line at most five times a
    second and clears it when done, so nothing is left in logs.
    """
    out = stream or sys.stderr
    if os.environ.get("CI") or not getattr(out, "isatty", lambda: False)():
        return None
    last = [0.0]

    def show(done: int, total: int, label: str) -> None:
        now = time.monotonic()
        finished = total > 0 and done >= total
        if not finished and now - last[0] < 0.2:
            return
        last[0] = now
        percent = 100.0 * done / total if total else 100.0
        text = f"{label[:60]:<60} {percent:5.1f}%"
        out.write("\r" + (" " * len(text) + "\r" if finished else text))
        out.flush()

    return show


class _Progress:
    """Progress in bytes over all files, through ctx.progress or the terminal fallback."""

    def __init__(self, callback: ProgressCallback | None, total: int) -> None:
        self.callback = callback
        self.total = max(total, 1)
        self.base = 0

    def report(self, done_in_file: int, label: str) -> None:
        if self.callback is not None:
            self.callback(min(self.base + done_in_file, self.total), self.total, label)

    def finish_file(self, size: int) -> None:
        self.base += size

    def done(self) -> None:
        if self.callback is not None:
            self.callback(self.total, self.total, "decision_logs: done")


_LINE_WHITESPACE = b" \t\r\x0b\x0c"
#: A line that is empty or starts with whitespace (maybe a blank line): blocks without one
#: are only counted, which keeps the line pass near memory speed.
_LINE_STARTS_BLANK = re.compile(rb"\n(?=[\n \t\r\x0b\x0c])")
_BLANK_START = (b"\n", b" ", b"\t", b"\r", b"\x0b", b"\x0c")


def _open_binary(path: Path) -> IO[bytes]:
    if path.name.endswith(".gz"):
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def _invalid_line_reason(stripped: bytes, unterminated_last: bool, indent: int = 0) -> str:
    """Why a line that is not valid JSON is not (no values from the line are quoted).

    `indent`: whitespace stripped from the start of the line, so columns are the line's own.
    """
    try:
        text = stripped.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"not valid UTF-8 (byte {exc.start + 1}); save the log as UTF-8"
    if text.startswith("\ufeff"):
        return "byte-order mark in the middle of the file (files were concatenated?)"
    try:
        json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        if unterminated_last:
            return f"truncated last line (no newline at end of file): {exc.msg}"
        return f"invalid JSON: {exc.msg} (column {exc.colno + indent})"
    except ValueError as exc:
        return f"invalid JSON: {exc}"
    return "invalid JSON (rejected by the JSON reader)"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


@dataclass
class _PiiTally:
    """PII counts and masked samples; nothing else of a match is kept."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PII_TYPES, 0))
    samples: list[str] = field(default_factory=list)
    #: Samples kept (the lake scan keeps every distinct one of a line, then picks by position).
    limit: int = MAX_PII_SAMPLES

    def scan(self, text: str) -> None:
        for match in scan_text(text):
            self.counts[match.kind] += 1
            if len(self.samples) < self.limit and match.masked not in self.samples:
                self.samples.append(match.masked)

    def scan_json(self, value: Any) -> None:
        if isinstance(value, str):
            self.scan(value)
        elif isinstance(value, bool) or value is None:
            return
        elif isinstance(value, int):
            if abs(value) >= 10_000_000:  # long enough to be a phone or card number
                self.scan(str(value))
        elif isinstance(value, list):
            for item in value:
                self.scan_json(item)
        elif isinstance(value, dict):
            for key, item in value.items():
                self.scan(str(key))
                self.scan_json(item)

    def add(self, other: _PiiTally) -> None:
        for kind, count in other.counts.items():
            self.counts[kind] += count
        for sample in other.samples:
            if len(self.samples) < MAX_PII_SAMPLES and sample not in self.samples:
                self.samples.append(sample)

    def to_json(self) -> dict[str, Any]:
        return {"counts": dict(self.counts), "samples": list(self.samples)}


# ---------------------------------------------------------------------------------------------
# The line pass: what only the bytes can tell (blank lines, line numbers, invalid lines)
# ---------------------------------------------------------------------------------------------


@dataclass
class LinePassResult:
    """Facts about one JSONL file that need its bytes rather than DuckDB's rows."""

    rows: int = 0  # non-blank lines
    lines: int = 0
    blank_lines: list[int] = field(default_factory=list)
    blank_count: int = 0
    line_of: dict[int, int] = field(default_factory=dict)  # wanted ord -> line number
    reasons: dict[int, str] = field(default_factory=dict)  # invalid wanted ord -> reason
    sample_mismatches: int = 0
    pii: _PiiTally = field(default_factory=_PiiTally)


class _OrdStream:
    """Sorted ordinals pulled lazily from a generator (the invalid rows can be many)."""

    def __init__(self, source: Iterator[int]) -> None:
        self._source = source
        self.head: int | None = next(source, None)

    def pop_if(self, ordinal: int) -> bool:
        if self.head is not None and self.head == ordinal:
            self.head = next(self._source, None)
            return True
        return False


def line_pass(
    path: Path,
    *,
    invalid: Iterator[int],
    wanted: set[int],
    samples: Mapping[int, bytes],
    on_bytes: Callable[[int], None] | None = None,
    block_size: int = 8 << 20,
) -> LinePassResult:
    """One streaming pass over a JSONL file, cheap where nothing is asked of a block.

    `invalid`: sorted ordinals of the rows that are not valid JSON (explained when wanted, and
    PII-scanned); `wanted`: ordinals whose line numbers are needed; `samples`:
    ordinal -> first 16 bytes of the line's sha256, to prove the row order matches the file.
    """
    result = LinePassResult()
    invalid_rows = _OrdStream(invalid)
    targets = sorted(wanted | set(samples))
    target_index = 0
    ordinal = -1
    line_no = 0
    tail = b""
    first_block = True
    consumed = 0

    def next_target() -> int:
        candidates = [invalid_rows.head] if invalid_rows.head is not None else []
        if target_index < len(targets):
            candidates.append(targets[target_index])
        return min(candidates) if candidates else -1

    def examine(raw: bytes, line: int, row: int, unterminated_last: bool) -> None:
        """Everything asked about the non-blank line `line`, the row-th of the file."""
        nonlocal target_index
        while target_index < len(targets) and targets[target_index] <= row:
            target_index += 1
        is_invalid = invalid_rows.pop_if(row)
        stripped = raw.strip(_LINE_WHITESPACE)
        if row in wanted:
            result.line_of[row] = line
            if is_invalid:
                indent = len(raw) - len(raw.lstrip(_LINE_WHITESPACE))
                result.reasons[row] = _invalid_line_reason(stripped, unterminated_last, indent)
        if row in samples and hashlib.sha256(stripped).digest()[:16] != samples[row]:
            result.sample_mismatches += 1
        if is_invalid:
            result.pii.scan(stripped.decode("utf-8", errors="replace"))

    def note_blank(line: int) -> None:
        result.blank_count += 1
        if len(result.blank_lines) < MAX_MALFORMED_LISTED:
            result.blank_lines.append(line)

    with _open_binary(path) as handle:
        while True:
            chunk = handle.read(block_size)
            consumed += len(chunk)
            if on_bytes is not None:
                on_bytes(consumed)
            if not chunk:
                break
            data = tail + chunk
            cut = data.rfind(b"\n") + 1
            tail = data[cut:]
            data = data[:cut]
            if first_block:
                first_block = False
                if data.startswith(b"\xef\xbb\xbf") or (
                    not data and tail.startswith(b"\xef\xbb\xbf")
                ):
                    # A byte-order mark before the first record is tolerated (DuckDB skips it).
                    if data:
                        data = data[3:]
                    else:
                        tail = tail[3:]
            if not data:
                continue
            newlines = data.count(b"\n")
            blanks = _blank_line_indices(data)
            for index in blanks:
                note_blank(line_no + index + 1)
            last_row = ordinal + newlines - len(blanks)
            target = next_target()
            if 0 <= target <= last_row:
                # Only the asked-for rows are looked at: row r is the (r - ordinal)-th
                # non-blank piece of this block.
                pieces = data[:-1].split(b"\n")
                while 0 <= target <= last_row:
                    index = target - ordinal - 1
                    for blank in blanks:
                        if blank <= index:
                            index += 1
                        else:
                            break
                    examine(pieces[index], line_no + index + 1, target, False)
                    target = next_target()
            ordinal = last_row
            line_no += newlines
        if tail:
            line_no += 1
            if not tail.strip(_LINE_WHITESPACE):
                note_blank(line_no)
            else:
                ordinal += 1
                if next_target() == ordinal:
                    examine(tail, line_no, ordinal, True)
    result.rows = ordinal + 1
    result.lines = line_no
    return result


def _blank_line_indices(data: bytes) -> list[int]:
    """0-based indices of the blank lines of a block of whole lines (ending with a newline).

    Only lines that start with whitespace or are empty can be blank, and a regex over the
    block finds those starts at memory speed; most blocks of a real log have none.
    """
    found: list[int] = []
    if data[:1] in _BLANK_START and not data[: data.find(b"\n")].strip(_LINE_WHITESPACE):
        found.append(0)
    position, index = 0, 0
    for match in _LINE_STARTS_BLANK.finditer(data):
        start = match.start() + 1  # the line after this newline
        end = data.find(b"\n", start)
        if end < 0:
            break
        index += data.count(b"\n", position, start)
        position = start
        if not data[start:end].strip(_LINE_WHITESPACE):
            found.append(index)
    return found


def _line_for(ordinal: int, blank_lines_sorted: Sequence[int]) -> int:
    """Line number of the ordinal-th non-blank line given every blank line number before it."""
    line = ordinal + 1
    for blank in blank_lines_sorted:
        if blank <= line:
            line += 1
        else:
            break
    return line


# ---------------------------------------------------------------------------------------------
# Loading with DuckDB
# ---------------------------------------------------------------------------------------------


@dataclass
class LogFile:
    """One matched log file and what loading it found."""

    path: str
    absolute: Path
    rank: int
    size: int
    is_csv: bool
    file_id: int = -1
    via_lines: bool = False  # loaded through Python rather than DuckDB's reader
    read_error: str | None = None
    blank_lines: list[int] = field(default_factory=list)
    blank_count: int = 0
    # Malformed rows found by the loader itself (CSV structure): ord -> (line, reason)
    pii: _PiiTally = field(default_factory=_PiiTally)
    line_pass: LinePassResult | None = None


class DuckDBDecisionLogLoader:
    """Loads decision-log files into DuckDB's `decision_rows` and runs portable SQL over them.

    Memory is bounded by DuckDB's `memory_limit` (it spills to a private temporary folder) plus
    one read block; the folder is removed on close.
    """

    def __init__(self, settings: DecisionLogSettings) -> None:
        # The embedded aggregation backend, asked to keep row order = line order (checked).
        self.backend = DuckDBBackend(
            {"threads": settings.threads, "memory_limit": settings.memory_limit},
            preserve_insertion_order=True,
        )
        self.con = self.backend.connection
        # DuckDB would draw its own progress bar on stdout, which carries govgate's payload:
        # progress is tracked silently and reported through ctx.progress instead.
        self.con.execute("SET enable_progress_bar = true")
        self.con.execute("SET enable_progress_bar_print = false")
        self.con.execute("SET TimeZone = 'UTC'")
        self.settings = settings
        self.con.execute(f"CREATE TABLE decision_rows ({DECISION_ROW_COLUMNS})")
        self.con.execute(
            "CREATE TABLE decision_files (file_id INTEGER, path VARCHAR, file_rank INTEGER, "
            "first_rowid BIGINT)"
        )
        self.con.execute(
            "CREATE VIEW decision_records AS SELECT f.path, r.rowid - f.first_rowid AS ord, "
            "f.file_rank * 1099511627776 + (r.rowid - f.first_rowid) AS seq, "
            "r.* EXCLUDE (file_id) FROM decision_rows r JOIN decision_files f "
            "ON r.file_id = f.file_id"
        )
        self._next_id = 0

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.backend.close()

    # -- QueryRunner ---------------------------------------------------------------------------
    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> Iterator[tuple[Any, ...]]:
        return self.backend.rows(sql, params)

    # -- loading -------------------------------------------------------------------------------
    def _common_params(self) -> dict[str, Any]:
        return {
            "paths": JSON_PATHS,
            "high_risk_types": list(self.settings.high_risk_types),
            "prefilter": PREFILTER_PATTERN,
        }

    def _register(self, log: LogFile) -> int:
        self._next_id += 1
        file_id = self._next_id
        self.con.execute("DELETE FROM decision_files WHERE path = $path", {"path": log.path})
        self.con.execute(
            "INSERT INTO decision_files VALUES ($id, $path, $rank, NULL)",
            {"id": file_id, "path": log.path, "rank": log.rank},
        )
        log.file_id = file_id
        return file_id

    def _finish(self, log: LogFile) -> None:
        self.con.execute(
            "UPDATE decision_files SET first_rowid = (SELECT COALESCE(MIN(rowid), 0) "
            "FROM decision_rows WHERE file_id = $id) WHERE file_id = $id",
            {"id": log.file_id},
        )

    def drop(self, log: LogFile) -> None:
        """Forget a file's rows (before it is loaded again another way)."""
        self.con.execute("DELETE FROM decision_rows WHERE file_id = $id", {"id": log.file_id})
        self.con.execute("DELETE FROM decision_files WHERE file_id = $id", {"id": log.file_id})

    def load_jsonl(self, log: LogFile, on_progress: Callable[[float], None] | None) -> None:
        """Let DuckDB's parallel JSON reader load a JSONL file (the fast path)."""
        file_id = self._register(log)
        params = {
            **self._common_params(),
            "file_id": file_id,
            "path": str(log.absolute),
            "compression": "gzip" if log.path.endswith(".gz") else "none",
        }
        sql = f"INSERT INTO decision_rows WITH src AS ({_READ_JSONL_SQL}), {NORMALISE_SQL}"
        self._execute_watched(sql, params, on_progress)
        self._finish(log)

    def _execute_watched(
        self, sql: str, params: dict[str, Any], on_progress: Callable[[float], None] | None
    ) -> None:
        if on_progress is None:
            self.con.execute(sql, params)
            return
        # DuckDB releases the GIL while it works; report its own progress meanwhile.
        box: dict[str, BaseException] = {}

        def run() -> None:
            try:
                self.con.execute(sql, params)
            except BaseException as exc:  # re-raised below in the caller's thread
                box["error"] = exc

        worker = threading.Thread(target=run, name="govgate-duckdb", daemon=True)
        worker.start()
        while worker.is_alive():
            worker.join(0.2)
            with contextlib.suppress(Exception):
                fraction = self.con.query_progress()
                if fraction is not None and fraction >= 0:
                    on_progress(min(float(fraction), 100.0) / 100.0)
        if "error" in box:
            raise box["error"]

    def load_lines(
        self,
        log: LogFile,
        items: Iterable[tuple[int, str | None, str | None, str | None]],
        batch_size: int = 20_000,
    ) -> None:
        """Load rows given as (line, text, sha256 hex or None, problem or None), in order."""
        file_id = self._register(log)
        sql = f"INSERT INTO decision_rows WITH src AS ({_LINES_SQL}), {NORMALISE_SQL}"
        batch: list[tuple[int, str | None, str | None, str | None]] = []

        def flush() -> None:
            if not batch:
                return
            lines, texts, shas, problems = zip(*batch, strict=True)
            self.con.execute(
                sql,
                {
                    **self._common_params(),
                    "file_id": file_id,
                    "lines": list(lines),
                    "texts": list(texts),
                    "shas": list(shas),
                    "problems": list(problems),
                },
            )
            batch.clear()

        for item in items:
            batch.append(item)
            if len(batch) >= batch_size:
                flush()
        flush()
        self._finish(log)

    def invalid_ordinals(self, log: LogFile) -> Iterator[int]:
        """Sorted ordinals of the file's rows that are not valid JSON, streamed."""
        after = -1
        while True:
            batch = self.con.execute(
                "SELECT ord FROM decision_records WHERE path = $path AND NOT parsed "
                "AND ord > $after ORDER BY ord LIMIT 10000",
                {"path": log.path, "after": after},
            ).fetchall()
            if not batch:
                return
            for (ordinal,) in batch:
                yield int(ordinal)
            after = int(batch[-1][0])

    def sample_hashes(self, log: LogFile, every: int = 50_000) -> dict[int, bytes]:
        """sha256 of a spread of valid rows (first, every `every`-th, last) to check order."""
        rows = self.con.execute(
            "WITH r AS (SELECT ord, record_hash, MAX(ord) OVER () AS last_ord "
            "FROM decision_records WHERE path = $path AND parsed) "
            "SELECT ord, record_hash FROM r WHERE ord < 2 OR ord % $every = 0 OR ord = last_ord",
            {"path": log.path, "every": every},
        ).fetchall()
        return {int(ordinal): int(prefix).to_bytes(16, "big") for ordinal, prefix in rows}

    def row_count(self, log: LogFile) -> int:
        found = self.con.execute(
            "SELECT COUNT(*) FROM decision_rows WHERE file_id = $id", {"id": log.file_id}
        ).fetchone()
        return int(found[0]) if found else 0


# ---------------------------------------------------------------------------------------------
# Python readers for the lines path (CSV, and JSONL that DuckDB and Python split differently)
# ---------------------------------------------------------------------------------------------

_CSV_ALIASES = {
    name.replace(".", "_"): name for name in A0_FIELD_NAMES if name.startswith("human_review.")
}
_CSV_LIST_FIELDS = {"data_categories", "reasons", "reason_codes"}
_CSV_NUMBER_FIELDS = {"score", "threshold"}
_CSV_BOOLEANS = {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False}


def _csv_value(name: str, cell: str) -> Any:
    """A CSV cell as the JSON value A.0 expects, or the text itself (then a type error)."""
    if name in _CSV_LIST_FIELDS:
        if cell.startswith("["):
            with contextlib.suppress(ValueError):
                return json.loads(cell)
        return [part.strip() for part in re.split(r"[;|]", cell) if part.strip()]
    if name in _CSV_NUMBER_FIELDS:
        try:
            return float(cell)
        except ValueError:
            return cell
    if name == "human_review.required":
        return _CSV_BOOLEANS.get(cell.strip().lower(), cell)
    return cell


def _csv_record(header: Sequence[str], row: Sequence[str]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for name, cell in zip(header, row, strict=True):
        if cell.strip() == "":
            continue  # an empty cell is a missing field
        value = _csv_value(name, cell)
        if "." in name:
            outer, _, inner = name.partition(".")
            nested = record.setdefault(outer, {})
            if isinstance(nested, dict):
                nested[inner] = value
                continue
        record[name] = value
    return record


#: Longest line the Python readers (CSV, JSONL) hold: a longer one is not a decision record, and
#: buffering it (a 2 GB file without a newline) would cost its size in memory, several times.
MAX_LINE_BYTES = 64 << 20


class LineTooLong(ValueError):
    """A line longer than MAX_LINE_BYTES: the file is reported as unreadable, not buffered."""


def csv_rows(
    path: Path, log: LogFile, on_bytes: Callable[[int], None] | None = None
) -> Iterator[tuple[int, str | None, str | None, str | None]]:
    """(line, JSON text, sha256 of the record's bytes, problem) per non-blank CSV record.

    A record's bytes are its physical line(s) as written, without the final line end and
    surrounding whitespace, as for JSONL. Blank lines are counted on `log`, and personal data
    in records that cannot be used is counted there too (usable records are scanned in SQL).
    """
    with _open_binary(path) as raw_handle:
        text = io.TextIOWrapper(raw_handle, encoding="utf-8", errors="surrogateescape", newline="")
        pending: list[str] = []
        state = {"line": 0}

        def physical_lines() -> Iterator[str]:
            # readline with a limit: a line without an end (a sparse or binary file) is never
            # held whole; past MAX_LINE_BYTES characters the file is unreadable, as for JSONL.
            while physical := text.readline(MAX_LINE_BYTES + 1):
                if len(physical) > MAX_LINE_BYTES:
                    raise LineTooLong(
                        f"line {state['line'] + 1} is longer than {MAX_LINE_BYTES >> 20} MB; "
                        "one decision record per line is expected"
                    )
                if state["line"] == 0 and physical.startswith("\ufeff"):
                    physical = physical[1:]  # a byte-order mark before the header
                state["line"] += 1
                pending.append(physical)
                if on_bytes is not None and state["line"] % 10_000 == 0:
                    on_bytes(raw_handle.tell() if hasattr(raw_handle, "tell") else 0)
                yield physical

        reader = csv.reader(physical_lines())
        header: list[str] | None = None
        while True:
            start_line = state["line"] + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                record_text = "".join(pending)
                pending.clear()
                digest = _record_sha(record_text)
                log.pii.scan(record_text)
                yield start_line, None, digest, f"malformed CSV: {exc}"
                continue
            record_text = "".join(pending)
            pending.clear()
            if not record_text.strip(" \t\r\n\x0b\x0c"):
                log.blank_count += 1
                if len(log.blank_lines) < MAX_MALFORMED_LISTED:
                    log.blank_lines.append(start_line)
                continue
            if header is None:
                header = [_CSV_ALIASES.get(name.strip(), name.strip()) for name in row]
                continue
            digest = _record_sha(record_text)
            if _has_surrogates(record_text):
                log.pii.scan(
                    record_text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                )
                yield start_line, None, digest, "not valid UTF-8; save the log as UTF-8"
                continue
            if len(row) != len(header):
                log.pii.scan(record_text)
                yield (
                    start_line,
                    None,
                    digest,
                    f"expected {len(header)} fields (the header's), found {len(row)}",
                )
                continue
            record = _csv_record(header, row)
            yield start_line, json.dumps(record, ensure_ascii=False), digest, None


def _record_sha(record_text: str) -> str:
    stripped = record_text.encode("utf-8", "surrogateescape").strip(_LINE_WHITESPACE + b"\n")
    return hashlib.sha256(stripped).hexdigest()


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def jsonl_rows(
    path: Path, on_bytes: Callable[[int], None] | None = None
) -> Iterator[tuple[int, str | None, str | None, str | None]]:
    """(line, text, sha256, None) per non-blank JSONL line, split by Python (the slow path)."""
    line_no = 0
    tail = b""
    consumed = 0
    first = True
    with _open_binary(path) as handle:
        while True:
            chunk = handle.read(4 << 20)
            consumed += len(chunk)
            if on_bytes is not None:
                on_bytes(consumed)
            data = tail + chunk
            if chunk:
                cut = data.rfind(b"\n") + 1
                tail, data = data[cut:], data[:cut]
                pieces = data[:-1].split(b"\n") if data else []
                if len(tail) > MAX_LINE_BYTES:
                    raise LineTooLong(
                        f"line {line_no + len(pieces) + 1} is longer than "
                        f"{MAX_LINE_BYTES >> 20} MB; one decision record per line is expected"
                    )
            else:
                tail, pieces = b"", ([data] if data else [])
            for raw in pieces:
                line_no += 1
                if first:
                    first = False
                    if raw.startswith(b"\xef\xbb\xbf"):
                        raw = raw[3:]
                stripped = raw.strip(_LINE_WHITESPACE)
                if not stripped:
                    continue
                try:
                    text: str | None = stripped.decode("utf-8")
                except UnicodeDecodeError:
                    text = None
                yield line_no, text, hashlib.sha256(stripped).hexdigest(), None
            if not chunk:
                break


# ---------------------------------------------------------------------------------------------
# The summary
# ---------------------------------------------------------------------------------------------


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 6) if whole else None


def _days(seconds: float) -> float:
    return round(seconds / 86400.0, 2)


def _timestamp(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return format_timestamp(datetime.fromtimestamp(epoch, tz=UTC))


@dataclass
class _Group:
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
    pii: _PiiTally = field(default_factory=_PiiTally)
    read_error: str | None = None


def _build_data(
    group: _Group, settings: DecisionLogSettings, now: datetime, files: int
) -> dict[str, Any]:
    totals = group.totals
    records = int(totals.get("records") or 0)
    present_counts = {
        name: int(totals.get(f"has_{index}") or 0) for index, name in enumerate(A0_FIELD_NAMES)
    }
    coverage = {name: _share(count, records) for name, count in present_counts.items()}
    first_ts, last_ts = totals.get("first_ts"), totals.get("last_ts")
    now_epoch = now.timestamp()
    high = int(totals.get("high_risk") or 0)
    review_actions = int(totals.get("review_actions") or 0)
    overrides = int(totals.get("overrides") or 0)
    malformed_count = int(totals.get("malformed") or 0) + group.malformed_extra
    if group.chained:
        verified: bool | None = group.broken == 0
    else:
        verified = None
    first_break = None
    if group.first_break is not None:
        first_break = {"path": group.first_break[0], "line": group.first_break[1]}
    data: dict[str, Any] = {
        "records": records,
        "files": files,
        "malformed": {
            "count": malformed_count,
            "first": [
                {"path": path, "line": line, "reason": reason}
                for path, line, reason in group.malformed_listed
            ],
        },
        "duplicate_ids": {
            "count": group.duplicate_count,
            "samples": [redact_text(sample) for sample in group.duplicate_samples],
        },
        "time_range": {"first": _timestamp(first_ts), "last": _timestamp(last_ts)},
        "gaps": {
            "count_over_threshold": group.gaps_over,
            "largest_hours": None
            if group.largest_gap is None
            else round(group.largest_gap / 3600, 3),
            "threshold_hours": settings.gap_hours,
        },
        "field_coverage": coverage,
        "missing_required": {
            name: records - present_counts[name] for name in settings.required_fields
        },
        "by_decision_type": {
            redact_text(name) if name else "(none)": count for name, count in group.by_type.items()
        },
        "high_risk": {
            "types": list(settings.high_risk_types),
            "records": high,
            "with_reviewer": int(totals.get("high_risk_with_reviewer") or 0),
            "with_action": int(totals.get("high_risk_with_action") or 0),
            "reviewed_share": _share(int(totals.get("high_risk_reviewed") or 0), high),
            "review_before_decision": int(totals.get("review_before_decision") or 0),
        },
        "reasons_share": _share(int(totals.get("with_reasons") or 0), records),
        "overrides": {"count": overrides, "share": _share(overrides, review_actions)},
        "hash_chain": {
            "present": _share(int(totals.get("with_prev_hash") or 0), records),
            "verified": verified,
            "first_break": first_break,
        },
        "oldest_record_age_days": None if first_ts is None else _days(now_epoch - first_ts),
        "retention": {
            "max_days": settings.retention_max_days,
            "records_over": int(totals.get("over_retention") or 0),
        },
        "pii": group.pii.to_json(),
        "age_of_newest_days": None if last_ts is None else _days(now_epoch - last_ts),
    }
    return data


# ---------------------------------------------------------------------------------------------
# Decision logs in a data lake: the same aggregates on a remote backend (Spark)
# ---------------------------------------------------------------------------------------------

#: The backend's one-row-per-line relation (see AggregationBackend.register_records).
LINES_VIEW = "decision_lines"


def records_view_sql(dialect: SqlDialect) -> str:
    """`decision_records` over `decision_lines`, normalised by the shared rules.

    Blank lines are not records (they are counted by `scan_lake_partition`, as the line pass
    counts them). Invalid lines get no hash, exactly as DuckDB's JSONL reader gives none: the
    link after such a line is not counted, the line itself breaks the chain.
    """
    src = f"""
WITH src AS (
    SELECT path, ord, file_rank * 1099511627776 + ord AS seq, line,
        CASE WHEN {dialect.json_valid("text")} THEN text END AS json,
        CAST(NULL AS {dialect.string_type}) AS raw_sha,
        CAST(NULL AS {dialect.string_type}) AS pre_problem
    FROM {LINES_VIEW}
    WHERE text <> ''
), """  # noqa: S608 - every piece is a module constant or the dialect's
    return src + normalise_sql(dialect, ("path", "ord", "seq", "line"))


def lake_scan_sql(dialect: SqlDialect) -> str:
    """The lines `scan_lake_partition` must see: blank ones and those that may hold PII."""
    matches = dialect.regex_search("text", dialect.param("prefilter"))
    return (
        f"SELECT path, file_rank, ord, line, text FROM {LINES_VIEW} "  # noqa: S608
        f"WHERE text = '' OR {matches}"
    )


def scan_lake_partition(rows: Iterator[tuple[Any, ...]]) -> dict[str, dict[str, Any]]:
    """Blank lines and personal data of one partition of lines, per file (runs on a worker).

    Returns only counts, the first blank line numbers and masked samples keyed by where they
    occur, so that merging partitions in any order gives the order a single pass gives: per
    file, samples of parsed lines first, then of unparsable ones (as the DuckDB path scans).
    """
    out: dict[str, dict[str, Any]] = {}
    for path, rank, ordinal, line, text in rows:
        entry = out.setdefault(
            path, {"rank": int(rank), "blank": 0, "blank_lines": [], "counts": {}, "samples": {}}
        )
        if text == "":
            entry["blank"] += 1
            if line is not None:
                entry["blank_lines"] = sorted([*entry["blank_lines"], int(line)])[
                    :MAX_MALFORMED_LISTED
                ]
            continue
        tally = _PiiTally(limit=sys.maxsize)
        try:
            tally.scan_json(json.loads(text))
            parsed = 0
        except ValueError:
            tally.scan(text)
            parsed = 1
        for kind, count in tally.counts.items():
            if count:
                entry["counts"][kind] = entry["counts"].get(kind, 0) + count
        samples: dict[str, tuple[int, int, int]] = entry["samples"]
        for index, masked in enumerate(tally.samples):
            key = (parsed, int(ordinal), index)
            if masked not in samples or key < samples[masked]:
                samples[masked] = key
        if len(samples) > 1000:  # only the first few by position can ever be listed
            kept = sorted(samples.items(), key=lambda item: item[1])[:MAX_PII_SAMPLES]
            entry["samples"] = dict(kept)
    return out


@dataclass
class _LakeFile:
    blank: int = 0
    blank_lines: list[int] = field(default_factory=list)
    pii: _PiiTally = field(default_factory=_PiiTally)


def _merge_lake_scans(partials: Iterable[dict[str, dict[str, Any]]]) -> dict[str, _LakeFile]:
    merged: dict[str, _LakeFile] = {}
    samples: dict[str, dict[str, tuple[int, int, int]]] = {}
    for partial in partials:
        for path, entry in partial.items():
            found = merged.setdefault(path, _LakeFile())
            found.blank += int(entry["blank"])
            found.blank_lines = sorted([*found.blank_lines, *entry["blank_lines"]])[
                :MAX_MALFORMED_LISTED
            ]
            for kind, count in entry["counts"].items():
                found.pii.counts[kind] += int(count)
            known = samples.setdefault(path, {})
            for masked, key in entry["samples"].items():
                key = tuple(key)
                if masked not in known or key < known[masked]:
                    known[masked] = key
    for path, known in samples.items():
        ordered = sorted(known.items(), key=lambda item: item[1])
        merged[path].pii.samples = [masked for masked, _ in ordered[:MAX_PII_SAMPLES]]
    return merged


def lake_source(ctx: CollectContext) -> TableSource | None:
    """`backend_settings.decision_logs` ({paths, format}) as a source, or None when unset."""
    handle = ctx.backend
    if handle is None:
        return None
    raw = handle.settings.get("decision_logs")
    if raw is None:
        return None
    key = "govgate.yaml backend_settings.decision_logs"
    if isinstance(raw, str | list):
        raw = {"paths": raw}
    if not isinstance(raw, dict):
        raise CollectorError(f"{key} must be {{paths: [URI, ...], format: jsonl|parquet}}")
    uris = raw.get("paths")
    uris = [uris] if isinstance(uris, str) else uris
    if not isinstance(uris, list) or not uris or not all(isinstance(u, str) for u in uris):
        raise CollectorError(f"{key}.paths must be a list of paths or URIs")
    fmt = raw.get("format") or source_format(uris[0])
    if fmt is None:
        raise CollectorError(f"{key}.format: say jsonl or parquet ({uris[0]!r} does not)")
    if fmt not in ("jsonl", "parquet"):
        raise CollectorError(
            f"{key}.format: {fmt!r}; lake decision logs are read as jsonl or parquet "
            "(CSV logs are summarised from the repository, by the embedded DuckDB)"
        )
    if handle.is_default:
        raise CollectorError(
            f"{key}: lake URIs need a remote backend (backend: spark); with duckdb, "
            "collectors.decision_logs.paths names repository files"
        )
    return TableSource(tuple(uris), str(fmt))


#: What a lake summary cannot say, by format, and why (reported as `not_computed`).
LAKE_NOT_COMPUTED = {
    "jsonl": {
        "malformed.first.reason": (
            "a line that is not valid JSON is reported as 'invalid JSON', without the JSON "
            "parser's position, which needs the line's bytes in govgate"
        ),
    },
    "parquet": {
        "malformed.first.line": "Parquet rows have no line numbers",
        "hash_chain.verified": (
            "prev_hash is the sha256 of the previous JSONL line's bytes; Parquet rows have "
            "no such bytes, so the chain cannot be verified"
        ),
    },
}


# ---------------------------------------------------------------------------------------------
# Evidence kinds
# ---------------------------------------------------------------------------------------------

_COUNT = {"type": "integer", "minimum": 0}
_SHARE_OR_NULL = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
_NUMBER_OR_NULL = {"type": ["number", "null"]}
_LOCATION = {
    "type": "object",
    "required": ["path", "line"],
    "additionalProperties": False,
    "properties": {"path": {"type": "string"}, "line": {"type": ["integer", "null"]}},
}


def _object(properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "required": sorted(properties),
        "additionalProperties": False,
        "properties": properties,
        **extra,
    }


def _summary_schema(per_file: bool) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "records": _COUNT,
        "files": _COUNT,
        "malformed": _object(
            {
                "count": _COUNT,
                "first": {
                    "type": "array",
                    "maxItems": MAX_MALFORMED_LISTED,
                    "items": _object(
                        {
                            "path": {"type": "string"},
                            "line": {"type": ["integer", "null"], "minimum": 1},
                            "reason": {"type": "string"},
                        }
                    ),
                },
            }
        ),
        "duplicate_ids": _object(
            {
                "count": _COUNT,
                "samples": {
                    "type": "array",
                    "maxItems": MAX_DUPLICATES_LISTED,
                    "items": {"type": "string"},
                },
            }
        ),
        "time_range": _object(
            {"first": {"type": ["string", "null"]}, "last": {"type": ["string", "null"]}}
        ),
        "gaps": _object(
            {
                "count_over_threshold": _COUNT,
                "largest_hours": _NUMBER_OR_NULL,
                "threshold_hours": {"type": "number"},
            }
        ),
        "field_coverage": _object({name: _SHARE_OR_NULL for name in A0_FIELD_NAMES}),
        "missing_required": {
            "type": "object",
            "propertyNames": {"enum": list(A0_FIELD_NAMES)},
            "additionalProperties": _COUNT,
        },
        "by_decision_type": {"type": "object", "additionalProperties": _COUNT},
        "high_risk": _object(
            {
                "types": {"type": "array", "items": {"type": "string"}},
                "records": _COUNT,
                "with_reviewer": _COUNT,
                "with_action": _COUNT,
                "reviewed_share": _SHARE_OR_NULL,
                "review_before_decision": _COUNT,
            }
        ),
        "reasons_share": _SHARE_OR_NULL,
        "overrides": _object({"count": _COUNT, "share": _SHARE_OR_NULL}),
        "hash_chain": _object(
            {
                "present": _SHARE_OR_NULL,
                "verified": {"type": ["boolean", "null"]},
                "first_break": {"oneOf": [{"type": "null"}, _LOCATION]},
            }
        ),
        "oldest_record_age_days": _NUMBER_OR_NULL,
        "retention": _object(
            {"max_days": {"type": "integer", "minimum": 1}, "records_over": _COUNT}
        ),
        "pii": _object(
            {
                "counts": _object({kind: _COUNT for kind in PII_TYPES}),
                "samples": {
                    "type": "array",
                    "maxItems": MAX_PII_SAMPLES,
                    "items": {"type": "string"},
                },
            }
        ),
        "age_of_newest_days": _NUMBER_OR_NULL,
    }
    if per_file:
        properties["path"] = {"type": "string"}
    schema = _object(properties)
    # Present only when a remote backend summarised a lake (not required, so evidence of the
    # embedded path is unchanged): which backend, and what it could not compute, with why.
    schema["properties"]["backend"] = {"type": "string"}
    schema["properties"]["not_computed"] = {
        "type": "object",
        "additionalProperties": {"type": "string"},
    }
    return schema


SUMMARY_SCHEMA = _summary_schema(per_file=False)
FILE_SCHEMA = _summary_schema(per_file=True)


# ---------------------------------------------------------------------------------------------
# The collector
# ---------------------------------------------------------------------------------------------


class DecisionLogsCollector(Collector):
    name = "decision_logs"
    # 1.1.0: the summary lists the log files it was read from (source.files).
    version = "1.1.0"
    description = (
        "decision-log records (CATALOG A.0) in JSONL/CSV, plain or gzip: counts, malformed "
        "lines, duplicates, gaps, field coverage, human review, hash chain, retention, PII"
    )
    kinds = (
        EvidenceKind(
            "decision_log.summary",
            "decision_logs",
            SUMMARY_SCHEMA,
            description="one summary over every decision-log file matched by `paths`",
        ),
        EvidenceKind(
            "decision_log.file",
            "decision_logs",
            FILE_SCHEMA,
            description="the same summary for one decision-log file",
        ),
    )

    def input_patterns(self, ctx: CollectContext) -> list[str]:
        return list(ctx.settings.get("paths") or DEFAULT_PATHS)

    def collect(self, ctx: CollectContext) -> Iterable[Evidence]:
        settings = DecisionLogSettings.from_context(ctx)
        lake = lake_source(ctx)
        if lake is not None:
            yield from self._collect_from_lake(ctx, settings, lake)
            return
        found = list(ctx.iter_files(settings.paths))
        logs = [
            LogFile(
                path=rel,
                absolute=absolute,
                rank=rank,
                size=absolute.stat().st_size,
                is_csv=rel.endswith((".csv", ".csv.gz")),
            )
            for rank, (rel, absolute) in enumerate(found)
        ]
        progress = _Progress(ctx.progress or terminal_progress(), sum(log.size for log in logs) * 2)
        loader = DuckDBDecisionLogLoader(settings)
        try:
            groups = self._summarise(ctx, settings, loader, logs, progress)
        finally:
            loader.close()
            progress.done()
        summary = groups[None]
        unreadable = [log for log in logs if log.read_error]
        # The summary lists every log it covers (a refused file never reached `logs`); one
        # that could not be read is listed too, since the summary's problem comes from it.
        yield ctx.evidence(
            "decision_log.summary",
            subject=", ".join(settings.paths),
            data=_build_data(summary, settings, ctx.now, len(logs)),
            path=logs[0].path if len(logs) == 1 else None,
            dated=_timestamp(summary.totals.get("last_ts")),
            # A summary that left a file out is partial: rules reading it must not pass.
            problem=(
                f"cannot read {unreadable[0].path}: {unreadable[0].read_error}"
                + (f" (and {len(unreadable) - 1} more files)" if len(unreadable) > 1 else "")
                if unreadable
                else None
            ),
        ).with_files(log.path for log in logs)
        for log in logs:
            group = groups[log.path]
            data = _build_data(group, settings, ctx.now, 1)
            data["path"] = log.path
            yield ctx.evidence(
                "decision_log.file",
                subject=log.path,
                data=data,
                path=log.path,
                dated=_timestamp(group.totals.get("last_ts")),
                problem=f"cannot read {log.path}: {log.read_error}" if log.read_error else None,
            )

    def _collect_from_lake(
        self, ctx: CollectContext, settings: DecisionLogSettings, source: TableSource
    ) -> Iterable[Evidence]:
        """The summary of logs in a data lake, computed where they are (ctx.backend).

        The same aggregate SQL as the repository path runs on the backend; only aggregates,
        the first malformed lines of each file and masked PII samples come back. What the
        backend cannot compute faithfully is null and named in `not_computed`.
        """
        assert ctx.backend is not None  # lake_source returned a source
        backend = ctx.backend.open()
        registered = backend.register_records(LINES_VIEW, source)
        dialect = backend.dialect
        backend.create_view(
            "decision_records",
            records_view_sql(dialect),
            {
                "paths": JSON_PATHS,
                "high_risk_types": list(settings.high_risk_types),
                "prefilter": PREFILTER_PATTERN,
            },
        )
        logs = [
            LogFile(path=path, absolute=Path(path), rank=rank, size=0, is_csv=False)
            for rank, path in enumerate(registered.files)
        ]
        groups = self._aggregate(backend, settings, logs, ctx.now)
        has_lines = source.format == "jsonl"
        not_computed = dict(LAKE_NOT_COMPUTED[source.format])
        not_computed.update(getattr(backend, "not_computed", {}) or {})
        malformed: dict[str, list[tuple[int, int | None, str]]] = {}
        for path, ordinal, line, problem in backend.rows(MALFORMED_SQL):
            malformed.setdefault(path, []).append(
                (int(ordinal), None if line is None else int(line), str(problem))
            )
        chain: dict[str, tuple[int, int, int | None]] = {}
        if has_lines:
            for path, links, broken, _first_ord, first_line in backend.rows(CHAIN_SQL):
                chain[path] = (
                    int(links or 0),
                    int(broken or 0),
                    None if first_line is None else int(first_line),
                )
        scans = _merge_lake_scans(
            backend.fold(
                lake_scan_sql(dialect), {"prefilter": PREFILTER_PATTERN}, scan_lake_partition
            )
        )
        summary = groups[None]
        listed: list[tuple[str, int | None, str]] = []
        for log in logs:
            group = groups[log.path]
            scan = scans.get(log.path, _LakeFile())
            entries = [(line, problem) for _, line, problem in malformed.get(log.path, [])]
            entries.extend((line, "blank line") for line in scan.blank_lines)
            if not has_lines and scan.blank:
                entries.extend((None, "blank line") for _ in range(scan.blank))
            entries.sort(key=lambda item: (item[0] is None, item[0] or 0))
            group.malformed_listed = [
                (log.path, line, reason) for line, reason in entries[:MAX_MALFORMED_LISTED]
            ]
            group.malformed_extra = scan.blank
            summary.malformed_extra += scan.blank
            links, broken, first_line = chain.get(log.path, (0, 0, None))
            group.links, group.broken, group.chained = links, broken, links > 0
            if group.chained and broken:
                group.first_break = (log.path, first_line)
            if group.chained:
                summary.chained = True
                summary.links += links
                summary.broken += broken
                if summary.first_break is None and group.first_break is not None:
                    summary.first_break = group.first_break
            group.pii.add(scan.pii)
            summary.pii.add(group.pii)
            listed.extend(group.malformed_listed)
            _report_malformed(ctx, log.path, group, entries)
        summary.malformed_listed = listed[:MAX_MALFORMED_LISTED]
        extra = {"backend": backend.name, "not_computed": not_computed}
        data = _build_data(summary, settings, ctx.now, len(logs))
        data.update(extra)
        yield ctx.evidence(
            "decision_log.summary",
            subject=", ".join(source.uris),
            data=data,
            dated=_timestamp(summary.totals.get("last_ts")),
        )
        for log in logs:
            group = groups[log.path]
            data = _build_data(group, settings, ctx.now, 1)
            data["path"] = log.path
            data.update(extra)
            yield ctx.evidence(
                "decision_log.file",
                subject=log.path,
                data=data,
                dated=_timestamp(group.totals.get("last_ts")),
            )

    # -- steps ---------------------------------------------------------------------------------
    def _load(
        self,
        ctx: CollectContext,
        loader: DuckDBDecisionLogLoader,
        log: LogFile,
        progress: _Progress,
        *,
        via_lines: bool,
    ) -> None:
        label = f"decision_logs: {log.path}"
        size = max(log.size, 1)

        def on_fraction(fraction: float) -> None:
            progress.report(int(fraction * size), label)

        def on_bytes(done: int) -> None:
            progress.report(min(done, size), label)

        log.via_lines = via_lines or log.is_csv
        log.blank_lines, log.blank_count, log.pii = [], 0, _PiiTally()
        try:
            if log.is_csv:
                loader.load_lines(log, csv_rows(log.absolute, log, on_bytes))
            elif via_lines:
                loader.load_lines(log, jsonl_rows(log.absolute, on_bytes))
            else:
                try:
                    loader.load_jsonl(log, on_fraction if progress.callback else None)
                except _fast_path_errors():
                    # DuckDB's reader refuses some files Python can split (a line longer than
                    # its object-size limit, say): read them line by line instead.
                    loader.drop(log)
                    log.via_lines = True
                    loader.load_lines(log, jsonl_rows(log.absolute, on_bytes))
        except _read_errors() as exc:  # the file, not govgate, is broken: report it, go on
            message = _one_line(exc)
            if type(exc).__name__ == "OutOfMemoryException":
                limit = loader.settings.memory_limit
                message = (
                    f"{message} (memory_limit {limit}; a line this long needs more: raise "
                    "collectors.decision_logs.memory_limit)"
                )
            log.read_error = message
            ctx.problem(log.path, None, f"cannot read the decision log: {message}", level="error")
            if log.file_id >= 0:
                loader.drop(log)  # rows of a half-read file are not trusted
        progress.finish_file(log.size)

    def _summarise(
        self,
        ctx: CollectContext,
        settings: DecisionLogSettings,
        loader: DuckDBDecisionLogLoader,
        logs: list[LogFile],
        progress: _Progress,
    ) -> dict[str | None, _Group]:
        for log in logs:
            self._load(ctx, loader, log, progress, via_lines=settings.jsonl_reader == "python")
        groups = self._aggregate(loader, settings, logs, ctx.now)
        reload = self._line_passes(ctx, loader, logs, groups, progress)
        if reload:
            for log in reload:
                loader.drop(log)
                self._load(ctx, loader, log, progress, via_lines=True)
            groups = self._aggregate(loader, settings, logs, ctx.now)
            # Files loaded line by line carry their own line numbers: no second reload.
            self._line_passes(ctx, loader, logs, groups, progress)
        self._finish_groups(ctx, loader, logs, groups)
        return groups

    def _aggregate(
        self,
        runner: QueryRunner,
        settings: DecisionLogSettings,
        logs: list[LogFile],
        now: datetime,
    ) -> dict[str | None, _Group]:
        """Run the portable aggregates; one _Group per file and one for all (key None)."""
        groups: dict[str | None, _Group] = {None: _Group(None)}
        for log in logs:
            groups[log.path] = _Group(log.path, read_error=log.read_error)
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

    def _line_passes(
        self,
        ctx: CollectContext,
        loader: DuckDBDecisionLogLoader,
        logs: list[LogFile],
        groups: dict[str | None, _Group],
        progress: _Progress,
    ) -> list[LogFile]:
        """Run the line pass on every JSONL file; return those whose rows need reloading."""
        malformed: dict[str, list[tuple[int, int | None, str]]] = {}
        for path, ordinal, line, problem in loader.rows(MALFORMED_SQL):
            malformed.setdefault(path, []).append((int(ordinal), line, str(problem)))
        chain: dict[str, tuple[int, int, int | None, int | None]] = {}
        for path, links, broken, first_ord, first_line in loader.rows(CHAIN_SQL):
            chain[path] = (
                int(links or 0),
                int(broken or 0),
                None if first_ord is None else int(first_ord),
                None if first_line is None else int(first_line),
            )
        reload: list[LogFile] = []
        for log in logs:
            group = groups[log.path]
            group.malformed_rows = malformed.get(log.path, [])
            links, broken, first_ord, first_line = chain.get(log.path, (0, 0, None, None))
            group.links, group.broken = links, broken
            group.chained = links > 0
            group.first_break_ord, group.first_break_line = first_ord, first_line
            if log.is_csv or log.read_error:
                continue
            wanted = {o for o, _, _ in group.malformed_rows}
            if first_ord is not None:
                wanted.add(first_ord)
            samples = {} if log.via_lines else loader.sample_hashes(log)
            label = f"decision_logs: checking {log.path}"

            def on_bytes(done: int, label: str = label, size: int = log.size) -> None:
                progress.report(min(done, size), label)

            try:
                result = line_pass(
                    log.absolute,
                    invalid=loader.invalid_ordinals(log),
                    wanted=wanted,
                    samples=samples,
                    on_bytes=on_bytes,
                )
            except (OSError, EOFError) as exc:
                log.read_error = _one_line(exc)
                group.read_error = log.read_error
                ctx.problem(
                    log.path, None, f"cannot read the decision log: {log.read_error}", level="error"
                )
                progress.finish_file(log.size)
                continue
            progress.finish_file(log.size)
            rows = loader.row_count(log)
            if not log.via_lines and (result.rows != rows or result.sample_mismatches):
                # DuckDB's reader and this pass disagree about the lines: never guess line
                # numbers; load the file again line by line.
                reload.append(log)
                continue
            log.line_pass = result
            log.blank_lines, log.blank_count = result.blank_lines, result.blank_count
        return reload

    def _finish_groups(
        self,
        ctx: CollectContext,
        loader: DuckDBDecisionLogLoader,
        logs: list[LogFile],
        groups: dict[str | None, _Group],
    ) -> None:
        """Line numbers, reasons, the first chain break, PII, and the roll-up to all files."""
        summary = groups[None]
        per_file_pii: dict[str, _PiiTally] = {log.path: _PiiTally() for log in logs}
        for path, text in loader.rows(PII_CANDIDATES_SQL):
            tally = per_file_pii.get(path)
            if tally is None:
                continue
            try:
                tally.scan_json(json.loads(text))
            except ValueError:
                tally.scan(text)
        summary_listed: list[tuple[str, int | None, str]] = []
        any_chained = False
        for log in logs:
            group = groups[log.path]
            passed = log.line_pass
            blank_sorted = sorted(log.blank_lines)

            def line_of(
                ordinal: int,
                known: int | None,
                passed: LinePassResult | None = passed,
                blank_sorted: list[int] = blank_sorted,
            ) -> int | None:
                if known is not None:
                    return int(known)
                if passed is not None and ordinal in passed.line_of:
                    return passed.line_of[ordinal]
                if passed is not None and passed.blank_count <= len(blank_sorted):
                    return _line_for(ordinal, blank_sorted)
                return None

            entries: list[tuple[int | None, str]] = []
            for ordinal, known_line, problem in group.malformed_rows:
                reason = problem
                if passed is not None and problem == "invalid JSON" and ordinal in passed.reasons:
                    reason = passed.reasons[ordinal]
                entries.append((line_of(ordinal, known_line), reason))
            entries.extend((line, "blank line") for line in log.blank_lines)
            if log.read_error:
                entries.append((None, f"cannot read the file: {log.read_error}"))
            entries.sort(key=lambda item: (item[0] is None, item[0] or 0))
            group.malformed_listed = [
                (log.path, line, reason) for line, reason in entries[:MAX_MALFORMED_LISTED]
            ]
            group.malformed_extra = log.blank_count + (1 if log.read_error else 0)
            summary.malformed_extra += group.malformed_extra
            if group.first_break_ord is not None:
                group.first_break = (
                    log.path,
                    line_of(group.first_break_ord, group.first_break_line),
                )
            if group.chained:
                any_chained = True
                summary.links += group.links
                summary.broken += group.broken
                if summary.first_break is None and group.first_break is not None:
                    summary.first_break = group.first_break
            group.pii.add(per_file_pii[log.path])
            group.pii.add(log.pii)
            if passed is not None:
                group.pii.add(passed.pii)
            summary.pii.add(group.pii)
            summary_listed.extend(group.malformed_listed)
            _report_malformed(ctx, log.path, group, entries)
        summary.chained = any_chained
        summary.malformed_listed = summary_listed[:MAX_MALFORMED_LISTED]


#: Errors that mean a file cannot be read (I/O, corrupt gzip, not decodable). DuckDB's own
#: parser/binder errors are bugs in govgate and are deliberately not among them.
_READ_ERRORS: tuple[type[BaseException], ...] = (OSError, EOFError, UnicodeError, LineTooLong)


def _report_malformed(
    ctx: CollectContext, path: str, group: _Group, entries: Sequence[tuple[int | None, str]]
) -> None:
    """A log's malformed lines as diagnostics: the first ones at their lines, then a count."""
    for line, reason in entries[:MAX_MALFORMED_LISTED]:
        ctx.problem(path, line, f"malformed decision-log line: {reason}")
    hidden = (
        int(group.totals.get("malformed") or 0)
        + group.malformed_extra
        - len(group.malformed_listed)
    )
    if hidden > 0:
        ctx.problem(path, None, f"{hidden} more malformed decision-log lines")


def _read_errors() -> tuple[type[BaseException], ...]:
    import duckdb

    return (
        *_READ_ERRORS,
        duckdb.IOException,
        duckdb.InvalidInputException,
        duckdb.OutOfMemoryException,
    )


def _fast_path_errors() -> tuple[type[BaseException], ...]:
    import duckdb

    return (duckdb.InvalidInputException,)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".strip()


@hookimpl
def govgate_collectors() -> Sequence[type[Collector]]:
    return [DecisionLogsCollector]
