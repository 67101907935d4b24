"""The entry points: analyse a prediction source (`analyse_source`) or prediction files
(`analyse_files`) on an aggregation backend, in process DuckDB by default."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from govgate.analysis.aggregate import (
    AggregationBackend,
    DuckDBBackend,
    TableSource,
    duckdb_message,
)
from govgate.analysis.fairness.counts import (
    CellTable,
    cell_counts_query,
    cells_from_rows,
    numeric_aliases,
    prediction_columns,
)
from govgate.analysis.fairness.document import build_document
from govgate.analysis.fairness.spec import FairnessSpec
from govgate.support.errors import InputError
from govgate.support.formats import LOCAL_COMPRESSIONS, TABULAR_FORMATS, tabular_format

RELATION = "govgate_fairness_input"


def detect_format(path: str) -> str | None:
    """csv, jsonl or parquet from a file name (compressed CSV/JSONL included)."""
    return tabular_format(path, LOCAL_COMPRESSIONS)


def compute_cells(
    backend: AggregationBackend, source: TableSource, spec: FairnessSpec
) -> CellTable:
    """Register the source on the backend, run the shared aggregation, fold the counts."""
    import duckdb  # only to recognise the embedded backend's errors

    where = source.where
    registered = backend.register_predictions(
        RELATION, source, prediction_columns(spec), numeric=numeric_aliases(spec)
    )
    sql, params = cell_counts_query(spec, registered.view, backend.dialect.string_type)
    try:
        rows = list(backend.rows(sql, params))
    except duckdb.Error as exc:  # the embedded backend: the file cannot be read as declared
        raise InputError(where, None, f"cannot read: {duckdb_message(exc)}") from None
    rejected, lines = registered.rejected()
    if not rows and rejected:
        first = lines[0]
        raise InputError(
            where,
            None,
            f"no rows to analyse: all {rejected:,} rows were rejected (first: {first['path']} "
            f"line {first['line']}, {first['error']}); check the delimiter, decimal separator "
            "and column types",
        )
    table = cells_from_rows(
        rows,
        spec,
        where=where,
        decode_json=registered.decode_json,
        # A CSV cell is text as written, whatever it looks like; its numbers are decided
        # column by column (an engine that types CSV cells itself delivers no text to decide).
        text_values=source.format == "csv",
    )
    table.rejected_rows, table.rejected_lines = rejected, lines
    return table


def analyse_source(
    source: TableSource, spec: FairnessSpec, *, backend: AggregationBackend | None = None
) -> dict[str, Any]:
    """The `govgate/fairness/v1` document of a prediction source, computed by `backend`.

    Without a backend an in-process DuckDB is opened and closed (the default).
    """
    spec.validate(source.where)
    if backend is not None:
        return build_document(compute_cells(backend, source, spec), spec)
    with DuckDBBackend() as duckdb_backend:
        table = compute_cells(duckdb_backend, source, spec)
    return build_document(table, spec)


def analyse_files(
    paths: Sequence[Path],
    spec: FairnessSpec,
    *,
    fmt: str | None = None,
    display: Sequence[str] | None = None,
    backend: AggregationBackend | None = None,
) -> dict[str, Any]:
    """Read prediction files and return their `govgate/fairness/v1` document."""
    shown = list(display) if display is not None else [str(p) for p in paths]
    where = shown[0] if len(shown) == 1 else f"{shown[0]} (+{len(shown) - 1} more)"
    spec.validate(where)
    fmt = fmt or detect_format(str(paths[0]))
    if fmt not in TABULAR_FORMATS:
        raise InputError(
            where, None, "unknown input format: use .csv, .jsonl or .parquet (or --input-format)"
        )
    source = TableSource(tuple(str(p) for p in paths), fmt, tuple(shown))
    return analyse_source(source, spec, backend=backend)
