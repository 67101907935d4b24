"""DuckDB's loading of prediction files (CSV, JSONL, Parquet) as a view with the role columns
renamed, and the rows its readers rejected, listed by file and line."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from govgate.analysis.aggregate.backend import MAX_REJECTED_LISTED, RegisteredSource, TableSource
from govgate.support.errors import InputError, UsageError
from govgate.support.suggest import closest

#: JSONL objects read to learn the keys (a key first seen later is reported as missing).
JSONL_SAMPLE_OBJECTS = 20_000


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _json_path(keys: Sequence[str], where: str) -> str:
    """A JSON path literal reading the key, or nested keys, `keys` (`$."a"."b"`)."""
    for key in keys:
        if '"' in key or "\\" in key:
            raise UsageError(f"{where}: JSON key {key!r} contains a quote or backslash")
    return _sql_string("$" + "".join(f'."{key}"' for key in keys))


def _column_error(where: str, role: str, column: str, available: Sequence[str]) -> UsageError:
    close = closest(column, available)
    folded = [a for a in available if a.casefold() == column.casefold()]
    hint = folded or close
    suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
    shown = ", ".join(list(available)[:30]) + (" ..." if len(available) > 30 else "")
    return InputError(
        where, None, f"{role} column {column!r} not found{suggestion} (columns: {shown})"
    )


#: DuckDB's reject error types, in words (the row's content is never repeated).
_REJECT_REASONS = {
    "CAST": "value not of the column's type",
    "MISSING COLUMNS": "missing columns",
    "TOO MANY COLUMNS": "too many columns",
    "UNQUOTED VALUE": "unterminated or stray quote",
    "LINE SIZE OVER MAXIMUM": "line too long",
    "INVALID UNICODE": "not valid UTF-8",
    "INVALID ENCODING": "not valid UTF-8",
}


def _duckdb_rejected(
    connection: Any, fmt: str, paths: Sequence[str], display: Sequence[str], reject_tables: bool
) -> tuple[int, list[dict[str, Any]]]:
    """(count, first lines) of rows DuckDB's reader could not parse; call after the scan."""
    if fmt == "csv" and reject_tables:
        # A relation scanned twice (the score median) logs its rejects twice: count lines.
        total = connection.execute(
            "SELECT COUNT(*) FROM (SELECT DISTINCT file_id, line FROM govgate_reject_errors)"
        ).fetchone()[0]
        listed = connection.execute(
            "SELECT e.file_id, e.line, MIN(e.error_type), MIN(e.column_name) "  # noqa: S608
            "FROM govgate_reject_errors e GROUP BY e.file_id, e.line "
            f"ORDER BY e.file_id, e.line LIMIT {MAX_REJECTED_LISTED}"
        ).fetchall()
        files = dict(
            connection.execute(
                "SELECT DISTINCT file_id, file_path FROM govgate_reject_scans"
            ).fetchall()
        )
        by_path = dict(zip(paths, display, strict=True))
        lines = []
        for file_id, line, error_type, column in listed:
            path = by_path.get(str(files.get(file_id)), str(files.get(file_id)))
            error = _REJECT_REASONS.get(str(error_type), str(error_type).lower())
            if column:
                error += f" in column {column}"
            lines.append({"path": path, "line": int(line), "error": error})
        return int(total), lines
    if fmt == "jsonl":
        return _jsonl_rejected(connection, paths, display)
    return 0, []


def _jsonl_rejected(
    connection: Any, paths: Sequence[str], display: Sequence[str]
) -> tuple[int, list[dict[str, Any]]]:
    files = ", ".join(_sql_string(p) for p in paths)
    total = connection.execute(
        f"SELECT COUNT(*) FROM read_json_objects([{files}], format='newline_delimited', "  # noqa: S608
        "ignore_errors=true) WHERE json IS NULL OR json_type(json) <> 'OBJECT'"
    ).fetchone()[0]
    if not total:
        return 0, []
    # DuckDB does not say which lines; only then are the files read again to find them.
    lines: list[dict[str, Any]] = []
    for path, shown in zip(paths, display, strict=True):
        for number, line in _iter_lines(Path(path)):
            if len(lines) >= MAX_REJECTED_LISTED:
                return int(total), lines
            if not line.strip():
                continue
            try:
                parsed = json.loads(line)
            except ValueError:
                lines.append({"path": shown, "line": number, "error": "malformed JSON"})
                continue
            if not isinstance(parsed, dict):
                lines.append({"path": shown, "line": number, "error": "not a JSON object"})
    return int(total), lines


def _iter_lines(path: Path) -> Iterator[tuple[int, str]]:
    import gzip

    opener: Any = gzip.open if path.name.lower().endswith((".gz", ".gzip")) else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
        yield from enumerate(handle, start=1)


def register_duckdb_predictions(
    connection: Any,
    view: str,
    source: TableSource,
    columns: Sequence[tuple[str, str, str]],
    numeric: set[str],
) -> RegisteredSource:
    """DuckDB's loading of prediction files: `view` with the role columns renamed.

    CSV cells are read as the text written (`Yes` stays `Yes`, `02139` keeps its zero); which
    columns hold numbers is decided later, column by column. CSV rows the reader rejects are
    logged in reject tables and reported with their lines; JSONL lines that are not objects are
    counted, and their cells stay JSON text (decoded by the fairness analysis's
    `cells_from_rows`) so that a JSON `true` is not confused with the text "true". A column
    named with dots that is not itself a column reads a nested field: a JSONL object's
    (`applicant.age_band`) or a Parquet struct's. A `filter` column is delivered as text (the
    JSON string without its quotes) for the row filter to compare.
    """
    fmt = source.format
    where = source.where
    paths = list(source.uris)
    files = "[" + ", ".join(_sql_string(p) for p in paths) + "]"
    reader = _reader(fmt, files)
    available = _input_columns(connection, fmt, files, reader, where)
    selects = []
    for alias, role, column in columns:
        keys = _column_keys(connection, fmt, reader, column, role, available, where)
        selects.append(f"{_expression(fmt, keys, alias in numeric, role, where)} AS {alias}")
    where_clause = (
        " WHERE json IS NOT NULL AND json_type(json) = 'OBJECT'" if fmt == "jsonl" else ""
    )
    connection.execute(
        # Every name and path in it went through _sql_ident / _sql_string / _json_path.
        f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT {', '.join(selects)} "  # noqa: S608
        f"FROM {reader}{where_clause}"
    )
    shown = list(source.shown)
    return RegisteredSource(
        view=view,
        columns=available,
        decode_json=fmt == "jsonl",
        rejected=lambda: _duckdb_rejected(connection, fmt, paths, shown, fmt == "csv"),
        files=shown,
    )


def _reader(fmt: str, files: str) -> str:
    """The DuckDB table function that reads the files (a SQL list of quoted paths)."""
    if fmt == "csv":
        # all_varchar: DuckDB's sniffer would turn Yes/No into booleans and `02139` into
        # 2139; the cells are read as written and typed by govgate, column by column. Every
        # prediction file has a header naming its columns.
        return (
            f"read_csv({files}, header=true, all_varchar=true, store_rejects=true, "
            "rejects_table='govgate_reject_errors', rejects_scan='govgate_reject_scans')"
        )
    if fmt == "parquet":
        return f"read_parquet({files}, union_by_name=true)"
    return f"read_json_objects({files}, format='newline_delimited', ignore_errors=true)"


def _expression(fmt: str, keys: Sequence[str], numeric: bool, role: str, where: str) -> str:
    """The SQL expression reading one input column (a DOUBLE, NULL if not a number, if numeric)."""
    if fmt == "jsonl":
        path = _json_path(keys, where)
        if numeric:
            return f"TRY_CAST(json ->> {path} AS DOUBLE)"
        return f"json ->> {path}" if role == "filter" else f"json -> {path}"
    expression = ".".join(_sql_ident(key) for key in keys)
    return f"TRY_CAST({expression} AS DOUBLE)" if numeric else expression


def _column_keys(
    connection: Any,
    fmt: str,
    reader: str,
    column: str,
    role: str,
    available: Sequence[str],
    where: str,
) -> list[str]:
    """The key path reading `column`: itself when it is a column, else its dotted parts when
    they name a nested JSONL field or Parquet struct field; else a not-found error."""
    if column in available:
        return [column]
    parts = column.split(".")
    if fmt == "csv" or len(parts) < 2 or not all(parts) or parts[0] not in available:
        raise _column_error(where, role, column, available)
    if fmt == "jsonl":
        nested = _jsonl_nested_keys(connection, reader, parts[:-1], where)
        if parts[-1] not in nested:
            parent = ".".join(parts[:-1])
            candidates = [f"{parent}.{key}" for key in nested] or list(available)
            raise _column_error(where, role, column, candidates)
        return parts
    import duckdb

    expression = ".".join(_sql_ident(part) for part in parts)
    try:
        connection.execute(f"DESCRIBE SELECT {expression} FROM {reader}")  # noqa: S608
    except duckdb.Error:
        raise _column_error(where, role, column, available) from None
    return parts


def _jsonl_nested_keys(
    connection: Any, reader: str, parents: Sequence[str], where: str
) -> list[str]:
    """Keys of the object at `parents` in the first JSONL objects, in order of appearance."""
    path = _json_path(parents, where)
    rows = connection.execute(
        "SELECT key FROM (SELECT unnest(json_keys(json, " + path + ")) AS key, "  # noqa: S608
        "MIN(row) AS first FROM (SELECT json, row_number() OVER () AS row "
        f"FROM (SELECT json FROM {reader} WHERE json_type(json) = 'OBJECT' "
        f"AND json_type(json, {path}) = 'OBJECT' LIMIT {JSONL_SAMPLE_OBJECTS})) "
        "GROUP BY key) ORDER BY first"
    ).fetchall()
    return [str(row[0]) for row in rows]


def _input_columns(connection: Any, fmt: str, files: str, reader: str, where: str) -> list[str]:
    import duckdb

    try:
        if fmt == "jsonl":
            # Keys seen in the first objects (a malformed line must not hide them).
            keys = connection.execute(
                "SELECT key FROM (SELECT unnest(json_keys(json)) AS key, MIN(row) AS first "  # noqa: S608
                "FROM (SELECT json, row_number() OVER () AS row "
                f"FROM (SELECT json FROM {reader} WHERE json_type(json) = 'OBJECT' "
                f"LIMIT {JSONL_SAMPLE_OBJECTS})) GROUP BY key) ORDER BY first"
            ).fetchall()
            return [str(row[0]) for row in keys]
        else:
            described = connection.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()  # noqa: S608
    except duckdb.Error as exc:
        raise InputError(where, None, f"cannot read: {duckdb_message(exc)}") from None
    return [str(row[0]) for row in described]


def duckdb_message(exc: Exception) -> str:
    """DuckDB's message condensed to one line, without the data it quotes."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]
