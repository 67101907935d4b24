"""The embedded default backend: an in-memory DuckDB database in this process."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, ClassVar

from govgate.analysis.aggregate.backend import (
    DUCKDB_DIALECT,
    AggregationBackend,
    AggregationError,
    RegisteredSource,
    TableSource,
    bind_named,
    condense,
)
from govgate.analysis.aggregate.duckdb_predictions import register_duckdb_predictions


class DuckDBBackend(AggregationBackend):
    """The embedded default: an in-memory DuckDB database in this process.

    Settings (`backend_settings` in govgate.yaml when `backend: duckdb`): `memory_limit`
    (default 2GB; DuckDB spills to a private temporary folder beyond it), `threads`.
    """

    name = "duckdb"
    dialect = DUCKDB_DIALECT

    def __init__(
        self,
        settings: Mapping[str, Any] | None = None,
        *,
        preserve_insertion_order: bool = False,
    ) -> None:
        import duckdb

        settings = dict(settings or {})
        unknown = sorted(set(settings) - {"memory_limit", "threads", "temp_directory"})
        if unknown:
            raise AggregationError(
                f"backend_settings.{unknown[0]}: not a duckdb setting "
                "(duckdb takes memory_limit, threads)"
            )
        self._tmp = tempfile.TemporaryDirectory(prefix="govgate-duckdb-")
        config: dict[str, Any] = {
            "memory_limit": str(settings.get("memory_limit", "2GB")),
            # Row order does not matter to counts; not keeping it saves memory. The
            # decision-log loader asks for it: its row order is the file's line order.
            "preserve_insertion_order": preserve_insertion_order,
            "temp_directory": str(settings.get("temp_directory") or self._tmp.name),
            "autoinstall_known_extensions": False,  # never reach for the network
        }
        if "threads" in settings:
            config["threads"] = int(settings["threads"])
        try:
            self.connection = duckdb.connect(config=config)
        except duckdb.Error as exc:
            self._tmp.cleanup()
            raise AggregationError(f"duckdb: {condense(exc)}") from None

    def register_predictions(
        self,
        view: str,
        source: TableSource,
        columns: Sequence[tuple[str, str, str]],
        *,
        numeric: Iterable[str] = (),
    ) -> RegisteredSource:
        return register_duckdb_predictions(self.connection, view, source, columns, set(numeric))

    def create_view(self, view: str, sql: str, params: Mapping[str, Any] | None = None) -> None:
        if params:
            # DuckDB views cannot hold prepared parameters; nothing govgate defines needs them.
            raise AggregationError("duckdb views cannot take parameters")
        self.connection.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS {sql}")

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> Iterator[tuple[Any, ...]]:
        duck_sql, used = bind_named(sql, params)
        cursor = self.connection.execute(duck_sql, used)
        while True:
            batch = cursor.fetchmany(10_000)
            if not batch:
                return
            yield from batch

    def close(self) -> None:
        try:
            self.connection.close()
        finally:
            self._tmp.cleanup()


class DuckDBFactory:
    """The factory `govgate.builtin` registers under the name `duckdb`."""

    #: `backend_settings` with `backend: duckdb` (the default), checked when govgate.yaml is
    #: loaded; DuckDBBackend refuses other keys too, for callers that build it directly.
    settings_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "memory_limit": {"type": "string", "minLength": 1},
            "threads": {"type": "integer", "minimum": 1},
            "temp_directory": {"type": "string", "minLength": 1},
        },
    }

    def __call__(self, settings: Mapping[str, Any]) -> AggregationBackend:
        return DuckDBBackend(settings)


duckdb_backend = DuckDBFactory()
