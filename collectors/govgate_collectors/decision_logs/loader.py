"""The DuckDB loader: decision-log files into one table of normalised rows, in file order.

JSONL is read by DuckDB's own parallel reader; CSV (and any JSONL whose lines DuckDB and Python
count differently) arrives as lines from the Python readers. Every row goes through the shared
`normalise_sql`, and the view `decision_records` over the table is what the portable
aggregates read.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from govgate.api import DuckDBBackend
from govgate.support.pii import PREFILTER_PATTERN
from govgate_collectors.decision_logs.logfile import LogFile
from govgate_collectors.decision_logs.normalise import (
    CHECKED_FIELDS,
    DECISION_ROW_COLUMNS,
    json_paths,
    normalise_sql,
)
from govgate_collectors.decision_logs.profiles import LogProfile
from govgate_collectors.decision_logs.settings import DecisionLogSettings


@functools.cache
def duckdb_normalise_sql(
    profile: LogProfile, keys: tuple[str, ...] = ("file_id", "line"), content: bool = True
) -> str:
    """The DuckDB loader's normalisation (see `normalise_sql`) for logs written one way."""
    return normalise_sql(DuckDBBackend.dialect, keys, profile=profile, content=content)


_READ_JSONL_SQL = """
SELECT $file_id AS file_id, CAST(NULL AS BIGINT) AS line, json,
    CAST(NULL AS VARCHAR) AS raw_sha, CAST(NULL AS VARCHAR) AS pre_problem
FROM read_json_objects($path, format = 'newline_delimited', ignore_errors = true,
    compression = $compression)
"""
#: A JSONL file read again, only the rows whose content hash may be wanted: those whose decision
#: id (read as the normalisation reads it) occurs twice. A filter, not a row number, picks them:
#: numbering every row of the file would hold all of it in one window (4.7 s of a 1 GB load).
_REREAD_JSONL_SQL = """
SELECT $file_id AS file_id, CAST(NULL AS BIGINT) AS line, json,
    CAST(NULL AS VARCHAR) AS raw_sha, CAST(NULL AS VARCHAR) AS pre_problem
FROM read_json_objects($path, format = 'newline_delimited', ignore_errors = true,
    compression = $compression)
WHERE json LIKE '{%' AND trim(CAST(json_extract(json, $id_path) AS VARCHAR), '"') IN (
    SELECT DISTINCT decision_id FROM content_needed WHERE file_id = $file_id)
"""
_READ_PARQUET_SQL = """
SELECT $file_id AS file_id, CAST(NULL AS BIGINT) AS line, CAST(to_json(t) AS VARCHAR) AS json,
    CAST(NULL AS VARCHAR) AS raw_sha, CAST(NULL AS VARCHAR) AS pre_problem
FROM read_parquet($path) t
"""
_LINES_SQL = """
SELECT $file_id AS file_id, line, CASE WHEN json_valid(text) THEN text END AS json,
    raw_sha, pre_problem
FROM (SELECT unnest(CAST($lines AS BIGINT[])) AS line, unnest(CAST($texts AS VARCHAR[])) AS text,
             unnest(CAST($shas AS VARCHAR[])) AS raw_sha,
             unnest(CAST($problems AS VARCHAR[])) AS pre_problem)
"""


def _columns(declaration: str) -> list[tuple[str, str]]:
    """(name, type) of each column of a table declaration (its `--` comments dropped)."""
    found = []
    for line in declaration.splitlines():
        words = line.split("--", 1)[0].strip().rstrip(",").split()
        if words:
            found.append((words[0], words[1]))
    return found


#: Columns kept at the top level of `decision_rows`: the ones UPDATE statements write or
#: filter on. Every other normalised column travels in one STRUCT `v`, because DuckDB gives an
#: order-preserving INSERT one thread per 4 MB x column of its memory budget: with twenty
#: columns, the default 256 MB made the load single-threaded; with seven it uses every core.
_TOP_LEVEL = ("file_id", "decision_id", "problem", "content_hash")
_PACKED = [(n, t) for n, t in _columns(DECISION_ROW_COLUMNS) if n not in _TOP_LEVEL]
_TABLE_COLUMNS = (
    "file_id INTEGER, decision_id VARCHAR, problem VARCHAR, content_hash UHUGEINT, "
    "repeat_file BOOLEAN DEFAULT false, repeat_all BOOLEAN DEFAULT false, "
    f"v STRUCT({', '.join(f'{n} {t}' for n, t in _PACKED)})"
)
#: The normalised columns as the view `decision_records` shows them (file_id aside).
_UNPACKED = ", ".join(
    ["r.decision_id", "r.problem", "r.content_hash"] + [f"r.v.{n} AS {n}" for n, _ in _PACKED]
)
_VIEW_SQL = (
    "CREATE VIEW decision_records AS SELECT f.path, r.rowid - f.first_rowid AS ord, "  # noqa: S608
    "f.file_rank * 1099511627776 + (r.rowid - f.first_rowid) AS seq, "
    f"{_UNPACKED}, r.repeat_file, r.repeat_all FROM decision_rows r "
    "JOIN decision_files f ON r.file_id = f.file_id"
)
#: The start of every load: the normalisation's flat columns packed into the table's layout.
_INSERT_PACKED = (
    "INSERT INTO decision_rows (file_id, decision_id, problem, content_hash, v) "
    "SELECT file_id, decision_id, problem, content_hash, "
    "{" + ", ".join(f"'{n}': {n}" for n, _ in _PACKED) + "}"
)


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
        # repeat_file / repeat_all: an exact re-emission of an earlier record of the same file /
        # of any file (same decision id, same content): set by `mark_repeats`.
        self.con.execute(f"CREATE TABLE decision_rows ({_TABLE_COLUMNS})")
        self.con.execute(
            "CREATE TABLE decision_files (file_id INTEGER, path VARCHAR, file_rank INTEGER, "
            "first_rowid BIGINT)"
        )
        self.con.execute(_VIEW_SQL)
        self._next_id = 0
        #: Files loaded by DuckDB's JSON reader, whose rows' content_hash is computed only
        #: where a decision id occurs twice (`fill_content_hashes`).
        self._lazy_content: dict[int, LogFile] = {}

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.backend.close()

    # -- QueryRunner ---------------------------------------------------------------------------
    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> Iterator[tuple[Any, ...]]:
        return self.backend.rows(sql, params)

    # -- loading -------------------------------------------------------------------------------
    def _common_params(self, profile: LogProfile) -> dict[str, Any]:
        return {
            "paths": json_paths(DuckDBBackend.dialect, profile),
            "high_risk_types": list(self.settings.high_risk_types),
            "prefilter": PREFILTER_PATTERN,
            "timezone": profile.timezone,
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
        self._lazy_content.pop(log.file_id, None)
        self.con.execute("DELETE FROM decision_rows WHERE file_id = $id", {"id": log.file_id})
        self.con.execute("DELETE FROM decision_files WHERE file_id = $id", {"id": log.file_id})

    def load_jsonl(self, log: LogFile, on_progress: Callable[[float], None] | None) -> None:
        """Let DuckDB's parallel JSON reader load a JSONL file (the fast path)."""
        file_id = self._register(log)
        params = {
            **self._common_params(log.profile),
            "file_id": file_id,
            "path": str(log.absolute),
            "compression": "gzip" if log.path.endswith(".gz") else "none",
        }
        sql = (
            f"{_INSERT_PACKED} FROM (WITH src AS ({_READ_JSONL_SQL}), "
            f"{duckdb_normalise_sql(log.profile, content=False)})"
        )
        self._execute_watched(sql, params, on_progress)
        self._lazy_content[file_id] = log
        self._finish(log)

    def load_parquet(self, log: LogFile) -> None:
        """Load a Parquet file: each row as the JSON object of its columns (nested columns as
        objects), in file order. Rows have no line numbers."""
        file_id = self._register(log)
        params = {**self._common_params(log.profile), "file_id": file_id, "path": str(log.absolute)}
        sql = (
            f"{_INSERT_PACKED} FROM (WITH src AS ({_READ_PARQUET_SQL}), "
            f"{duckdb_normalise_sql(log.profile)})"
        )
        self.con.execute(sql, params)
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
        sql = (
            f"{_INSERT_PACKED} FROM (WITH src AS ({_LINES_SQL}), "
            f"{duckdb_normalise_sql(log.profile)})"
        )
        batch: list[tuple[int, str | None, str | None, str | None]] = []

        def flush() -> None:
            if not batch:
                return
            lines, texts, shas, problems = zip(*batch, strict=True)
            self.con.execute(
                sql,
                {
                    **self._common_params(log.profile),
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

    def fill_content_hashes(self) -> None:
        """Compute content_hash where it decides something: for every usable record whose
        decision id occurs twice or more (repeats and conflicts compare nothing else).

        Files loaded by DuckDB's JSON reader are read once more for just those rows, through
        the same normalisation, so the hash is the one an eager load would have computed. A row
        read back must have the sha256 its first reading had; one that does not (or is not
        found) gets its line's own sha256 instead: equal lines are equal records, and any other
        difference is then reported as a conflict, never taken for a re-emission.
        """
        self.con.execute(
            """
CREATE OR REPLACE TEMP TABLE content_needed AS
SELECT r.rowid AS rid, r.file_id, r.decision_id, r.v.record_hash
FROM decision_rows r
WHERE r.problem IS NULL AND r.content_hash IS NULL AND r.decision_id IN (
    SELECT decision_id FROM decision_rows WHERE problem IS NULL
    GROUP BY decision_id HAVING COUNT(*) > 1)
"""
        )
        file_ids = [
            int(row[0])
            for row in self.con.execute(
                "SELECT DISTINCT file_id FROM content_needed ORDER BY file_id"
            ).fetchall()
        ]
        for file_id in file_ids:
            log = self._lazy_content.get(file_id)
            if log is not None:
                self._reread_content(file_id, log)
        self.con.execute(
            "UPDATE decision_rows SET content_hash = n.record_hash FROM content_needed n "
            "WHERE decision_rows.rowid = n.rid AND decision_rows.content_hash IS NULL"
        )
        self.con.execute("DROP TABLE content_needed")

    def _reread_content(self, file_id: int, log: LogFile) -> None:
        # Only the distinct (line hash, content hash) pairs are kept: a log that repeats one
        # record a million times (a compression bomb, say) keeps one pair, not a million rows.
        sql = (
            "CREATE OR REPLACE TEMP TABLE content_found AS "  # noqa: S608
            "SELECT DISTINCT record_hash, content_hash FROM ("
            f"WITH src AS ({_REREAD_JSONL_SQL}), {duckdb_normalise_sql(log.profile)}"
            ") WHERE problem IS NULL"
        )
        params = self._common_params(log.profile)
        id_index = [name for name, _ in CHECKED_FIELDS].index("decision_id")
        self.con.execute(
            sql,
            {
                **params,
                "id_path": params["paths"][id_index],
                "file_id": file_id,
                "path": str(log.absolute),
                "compression": "gzip" if log.path.endswith(".gz") else "none",
            },
        )
        # Matched by the line's own sha256: a row read back as other bytes matches nothing.
        self.con.execute(
            "UPDATE decision_rows SET content_hash = x.content_hash FROM content_needed n "
            "JOIN content_found x ON n.record_hash = x.record_hash "
            "WHERE n.file_id = $file_id AND decision_rows.rowid = n.rid",
            {"file_id": file_id},
        )
        self.con.execute("DROP TABLE content_found")

    def mark_repeats(self) -> None:
        """Flag exact re-emissions (same decision id and content as an earlier record of the
        file, or of all files in order), so each decision is counted once."""
        self.fill_content_hashes()
        self.con.execute(
            "UPDATE decision_rows SET repeat_file = false, repeat_all = false "
            "WHERE repeat_file OR repeat_all"
        )
        self.con.execute(
            """
UPDATE decision_rows SET repeat_file = m.in_file > 1, repeat_all = m.in_all > 1
FROM (
    SELECT r.rowid AS rid,
        ROW_NUMBER() OVER (PARTITION BY r.file_id, r.decision_id, r.content_hash
                           ORDER BY r.rowid) AS in_file,
        ROW_NUMBER() OVER (PARTITION BY r.decision_id, r.content_hash
                           ORDER BY f.file_rank, r.rowid) AS in_all
    FROM decision_rows r JOIN decision_files f ON r.file_id = f.file_id
    WHERE r.problem IS NULL AND r.decision_id IN (
        SELECT decision_id FROM decision_rows WHERE problem IS NULL
        GROUP BY decision_id HAVING COUNT(*) > 1)
) m
WHERE decision_rows.rowid = m.rid AND (m.in_file > 1 OR m.in_all > 1)
"""
        )

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
