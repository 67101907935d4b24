"""Aggregation backends: the engines that compute heavy tabular aggregates where the data is.

The decision-log summary and the fairness counts are plain SQL kept in their own modules
(`govgate_collectors.decision_logs`, `govgate.analysis.fairness`) and run through an
`AggregationBackend`: DuckDB in process by default (`DuckDBBackend`, registered by
`govgate.builtin`), or another engine a plugin registers through
`govgate_aggregation_backends` (Spark: the `govgate-spark` distribution). A backend loads a
source (files or URIs in Parquet, JSONL or CSV) as a named relation, runs the shared SQL and
returns rows; only aggregates come back. The few functions whose spelling differs between
engines are a backend's `SqlDialect`, so each aggregate has one definition.

`backend:` and `backend_settings:` in govgate.yaml select the backend (`select_backend`); the
collectors reach it through `ctx.backend`, a `BackendHandle` that starts the engine on first
use and stops it when the collection ends. A backend that cannot run raises
`AggregationError` (one line); govgate never falls back to another backend or to partial data.
"""

from govgate.analysis.aggregate.backend import (
    DUCKDB_DIALECT,
    MAX_REJECTED_LISTED,
    NAMED_PARAMETER,
    AggregationBackend,
    AggregationError,
    RegisteredSource,
    SqlDialect,
    TableSource,
    bind_named,
    condense,
    source_format,
    used_parameters,
)
from govgate.analysis.aggregate.duckdb_predictions import (
    JSONL_SAMPLE_OBJECTS,
    duckdb_message,
    register_duckdb_predictions,
)
from govgate.analysis.aggregate.embedded import DuckDBBackend, duckdb_backend
from govgate.analysis.aggregate.handle import DEFAULT_BACKEND, BackendHandle, select_backend

__all__ = [
    "DEFAULT_BACKEND",
    "DUCKDB_DIALECT",
    "JSONL_SAMPLE_OBJECTS",
    "MAX_REJECTED_LISTED",
    "NAMED_PARAMETER",
    "AggregationBackend",
    "AggregationError",
    "BackendHandle",
    "DuckDBBackend",
    "RegisteredSource",
    "SqlDialect",
    "TableSource",
    "bind_named",
    "condense",
    "duckdb_backend",
    "duckdb_message",
    "register_duckdb_predictions",
    "select_backend",
    "source_format",
    "used_parameters",
]
