"""The aggregation step: portable SQL over the view `decision_records`, run by any backend.

`decision_records` has path VARCHAR, ord BIGINT (0-based position among the file's non-blank
lines), seq BIGINT (file rank * 2^40 + ord: global order), line BIGINT (may be NULL), and the
DECISION_ROW_COLUMNS except file_id. Parameters are written `:name`. Only what DuckDB and
Spark SQL both accept is used (GROUPING SETS, LAG/ROW_NUMBER, min_by, CASE, bitwise `&`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Protocol

from govgate_collectors.decision_logs.record import (
    FIELD_BIT,
    MAX_DECISION_TYPES,
    MAX_DUPLICATES_LISTED,
    MAX_MALFORMED_LISTED,
    RECORD_FIELD_NAMES,
)


def _count_if(condition: str) -> str:
    return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"


def _has(*fields: str) -> str:
    mask = 0
    for name in fields:
        mask |= FIELD_BIT[name]
    return f"(present & {mask}) <> 0"


#: A usable record that is not an exact re-emission of an earlier one. SCOPE is replaced by
#: `file` in per-file queries and by `all` in the queries over all files, so that a record
#: re-emitted in another file counts once in the summary and once in each file's item.
_RECORD = "problem IS NULL AND NOT repeat_SCOPE"
_HIGH = f"{_RECORD} AND is_high_risk"
_REVIEWER = _has("human_review.reviewer_id")
_ACTION = _has("human_review.action")
_PAST = "ts <= :future_cutoff"

#: Records worth pointing at, by condition: each gets a count (in TOTALS_SQL) and the lines of
#: the first few (SAMPLES_SQL). The count's denominator is the second item.
SAMPLE_CONDITIONS: tuple[tuple[str, str, str], ...] = (
    ("future_timestamp", "records", f"{_RECORD} AND ts > :future_cutoff"),
    ("timestamp_without_offset", "records", f"{_RECORD} AND ts_format IN (2, 3)"),
    ("missing_reasons", "records", f"{_RECORD} AND NOT {_has('reasons', 'reason_codes')}"),
    ("high_risk_without_reviewer", "high_risk.records", f"{_HIGH} AND NOT {_REVIEWER}"),
    (
        "high_risk_not_reviewed",
        "high_risk.records",
        f"{_HIGH} AND NOT ({_REVIEWER} AND {_ACTION})",
    ),
    ("review_before_decision", "records", f"{_RECORD} AND review_ts < ts"),
    ("review_fields_unusable", "records", f"{_RECORD} AND review_issue IS NOT NULL"),
    ("repeated_record", "lines", "problem IS NULL AND repeat_SCOPE"),
)
#: How many lines each condition lists (the counts are exact).
MAX_SAMPLE_LINES = 5

#: The per-group counts: (column, SQL aggregate). TOTALS_SQL is built from this list so that
#: the names the caller reads and the SQL cannot drift apart.
TOTALS_COLUMNS: tuple[tuple[str, str], ...] = (
    ("line_rows", "COUNT(*)"),
    ("records", _count_if(_RECORD)),
    ("malformed", _count_if("problem IS NOT NULL")),
    # Time range and ages: records dated in the future are counted apart, never given an age.
    ("first_ts", f"MIN(CASE WHEN {_RECORD} AND {_PAST} THEN ts END)"),
    ("last_ts", f"MAX(CASE WHEN {_RECORD} AND {_PAST} THEN ts END)"),
    ("latest_future_ts", f"MAX(CASE WHEN {_RECORD} AND ts > :future_cutoff THEN ts END)"),
    *(
        (f"ts_format_{code}", _count_if(f"{_RECORD} AND ts_format = {code}"))
        for code in range(1, 7)
    ),
    *((name, _count_if(condition)) for name, _, condition in SAMPLE_CONDITIONS),
    ("high_risk", _count_if(_HIGH)),
    ("high_risk_with_reviewer", _count_if(f"{_HIGH} AND {_REVIEWER}")),
    ("high_risk_with_action", _count_if(f"{_HIGH} AND {_ACTION}")),
    ("high_risk_reviewed", _count_if(f"{_HIGH} AND {_REVIEWER} AND {_ACTION}")),
    ("with_reasons", _count_if(f"{_RECORD} AND {_has('reasons', 'reason_codes')}")),
    ("overrides", _count_if(f"{_RECORD} AND review_action = 'override'")),
    ("review_actions", _count_if(f"{_RECORD} AND review_action IS NOT NULL")),
    ("with_prev_hash", _count_if(f"{_RECORD} AND prev_hash IS NOT NULL")),
    ("over_retention", _count_if(f"{_RECORD} AND ts < :retention_cutoff")),
    *(
        (f"has_{index}", _count_if(f"{_RECORD} AND {_has(name)}"))
        for index, name in enumerate(RECORD_FIELD_NAMES)
    ),
)
_TOTALS_SELECT = ",\n    ".join(f"{sql} AS {name}" for name, sql in TOTALS_COLUMNS)
#: One row per file (path) and one for all files (path NULL).
TOTALS_FILE_SQL = f"""
SELECT path,
    {_TOTALS_SELECT.replace("SCOPE", "file")}
FROM decision_records
GROUP BY path
"""  # noqa: S608 - every piece is a module constant
TOTALS_SQL = f"""{TOTALS_FILE_SQL}
UNION ALL
SELECT NULL,
    {_TOTALS_SELECT.replace("SCOPE", "all")}
FROM decision_records
"""  # noqa: S608 - every piece is a module constant

_TYPES_FILE = f"""
    SELECT path, COALESCE(decision_type, '') AS decision_type, COUNT(*) AS n
    FROM decision_records WHERE {_RECORD.replace("SCOPE", "file")}
    GROUP BY path, COALESCE(decision_type, '')"""  # noqa: S608 - module constants
_TYPES_ALL = f"""
    UNION ALL
    SELECT NULL, COALESCE(decision_type, ''), COUNT(*)
    FROM decision_records WHERE {_RECORD.replace("SCOPE", "all")}
    GROUP BY COALESCE(decision_type, '')"""  # noqa: S608 - module constants
#: The most frequent decision types per file and overall (path NULL).
BY_DECISION_TYPE_SQL = f"""
WITH counted AS ({_TYPES_FILE}{_TYPES_ALL}
), ranked AS (
    SELECT path, decision_type, n,
        ROW_NUMBER() OVER (PARTITION BY path ORDER BY n DESC, decision_type) AS rn
    FROM counted
)
SELECT path, decision_type, n FROM ranked WHERE rn <= {MAX_DECISION_TYPES}
"""  # noqa: S608 - every piece is a module constant
BY_DECISION_TYPE_FILE_SQL = BY_DECISION_TYPE_SQL.replace(_TYPES_ALL, "")

#: Decision ids seen more than once: how many per file / overall, and the first few seen.
DUPLICATES_SQL = f"""
WITH ids AS (
    SELECT path, decision_id, COUNT(*) AS n, MIN(seq) AS first_seq
    FROM decision_records WHERE problem IS NULL AND decision_id IS NOT NULL
    GROUP BY GROUPING SETS ((path, decision_id), (decision_id))
), duplicated AS (
    SELECT path, decision_id,
        ROW_NUMBER() OVER (PARTITION BY path ORDER BY first_seq) AS rn,
        COUNT(*) OVER (PARTITION BY path) AS duplicate_ids
    FROM ids WHERE n > 1
)
SELECT path, decision_id, duplicate_ids FROM duplicated WHERE rn <= {MAX_DUPLICATES_LISTED}
"""  # noqa: S608 - every piece is a module constant

#: Gaps between consecutive decisions (by time) within each file (and across all files).
GAPS_FILE_SQL = f"""
WITH file_gaps AS (
    SELECT path, ts - LAG(ts) OVER (PARTITION BY path ORDER BY ts) AS gap
    FROM decision_records WHERE {_RECORD.replace("SCOPE", "file")} AND {_PAST}
)
SELECT path, {_count_if("gap > :gap_seconds")} AS over_threshold, MAX(gap) AS largest
FROM file_gaps GROUP BY path
"""  # noqa: S608 - every piece is a module constant
GAPS_SQL = f"""{GAPS_FILE_SQL}
UNION ALL
SELECT NULL, {_count_if("gap > :gap_seconds")}, MAX(gap) FROM (
    SELECT ts - LAG(ts) OVER (ORDER BY ts) AS gap
    FROM decision_records WHERE {_RECORD.replace("SCOPE", "all")} AND {_PAST}
) all_gaps
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

#: The first few rows of each file meeting each of SAMPLE_CONDITIONS: (path, name, ord, line).
SAMPLES_SQL = "\nUNION ALL\n".join(
    f"""SELECT path, '{name}' AS name, ord, line FROM (
    SELECT path, ord, line, ROW_NUMBER() OVER (PARTITION BY path ORDER BY ord) AS rn
    FROM decision_records WHERE {condition.replace("SCOPE", "file")}
) s{index} WHERE rn <= {MAX_SAMPLE_LINES}"""  # noqa: S608 - module constants
    for index, (name, _, condition) in enumerate(SAMPLE_CONDITIONS)
)

#: Malformed rows per file grouped by cause: (path, problem, count, ord, line) of the first.
CAUSES_SQL = f"""
SELECT path, problem, n, ord, line FROM (
    SELECT path, problem, ord, line,
        COUNT(*) OVER (PARTITION BY path, problem) AS n,
        ROW_NUMBER() OVER (PARTITION BY path, problem ORDER BY ord) AS rn
    FROM decision_records WHERE problem IS NOT NULL
) c WHERE rn <= {MAX_SAMPLE_LINES}
"""  # noqa: S608 - module constants

_CONFLICT_SCOPE = """
    SELECT {scope} AS scope, decision_id, path, ord, line, seq, content_hash,
        FIRST_VALUE(content_hash) OVER w AS content0, FIRST_VALUE(path) OVER w AS path0,
        FIRST_VALUE(ord) OVER w AS ord0, FIRST_VALUE(line) OVER w AS line0,
        FIRST_VALUE(seq) OVER w AS seq0
    FROM ids WINDOW w AS (PARTITION BY {partition} ORDER BY seq)"""
#: Decision ids with records of different content (a conflict, unlike an exact re-emission):
#: per file (scope = path) and over all files (scope NULL), how many, and for the first few the
#: first record and the first that differs from it: (scope, id, count, path0, ord0, line0,
#: path, ord, line).
CONFLICTS_SQL = f"""
WITH ids AS (
    SELECT path, ord, line, seq, decision_id, content_hash FROM decision_records
    WHERE problem IS NULL AND decision_id IN (
        SELECT decision_id FROM decision_records WHERE problem IS NULL
        GROUP BY decision_id HAVING COUNT(DISTINCT content_hash) > 1)
), scoped AS (
    {_CONFLICT_SCOPE.format(scope="path", partition="path, decision_id")}
    UNION ALL
    {_CONFLICT_SCOPE.format(scope="CAST(NULL AS STRING)", partition="decision_id")}
), differing AS (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY scope, decision_id ORDER BY seq) AS k
    FROM scoped WHERE content_hash <> content0
), listed AS (
    SELECT *, COUNT(*) OVER (PARTITION BY scope) AS ids,
        ROW_NUMBER() OVER (PARTITION BY scope ORDER BY seq0) AS rn
    FROM differing WHERE k = 1
)
SELECT scope, decision_id, ids, path0, ord0, line0, path, ord, line
FROM listed WHERE rn <= {MAX_DUPLICATES_LISTED}
"""  # noqa: S608 - module constants

#: Lines that may hold personal data, for the exact (Python) scan.
PII_CANDIDATES_SQL = """
SELECT path, pii_text FROM decision_records WHERE pii_text IS NOT NULL ORDER BY path, ord
"""


class QueryRunner(Protocol):
    """What the aggregation step needs from an engine: run portable SQL, stream the rows."""

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> Iterator[tuple[Any, ...]]:
        """Run `sql` (parameters written `:name`) and yield its rows."""
