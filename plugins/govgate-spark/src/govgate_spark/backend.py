"""The Spark aggregation backend: govgate's shared aggregate SQL as Spark SQL.

Sources (lake URIs in Parquet, JSONL or CSV; anything Spark's readers accept) become temporary
views; the decision-log summary and fairness counts run on them as Spark SQL, with the few
spellings that differ from DuckDB in `SparkDialect`. Only aggregate rows are collected to
the driver; the PII scan of decision logs runs on the executors (`fold`) and returns counts
and masked samples. Every failure (an unreachable master, a missing path, a missing column, a
malformed CSV row) raises `AggregationError` with Spark's message on one line: the rules that
needed the evidence are `error`, and nothing falls back to DuckDB or to partial data.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, ClassVar, TypeVar

from govgate.api import (
    AggregationBackend,
    AggregationError,
    RegisteredSource,
    SqlDialect,
    TableSource,
    condense,
    used_parameters,
)

T = TypeVar("T")

SETTINGS = ("master", "app_name", "conf", "connect_timeout", "decision_logs", "predictions")
DEFAULT_MASTER = "local[2]"
#: Master URLs Spark understands; anything else is refused before a JVM is started.
_MASTER = re.compile(
    r"local(?:\[(?:\d+|\*)(?:,\s*\d+)?\])?|local-cluster\[\d+,\s*\d+,\s*\d+\]"
    r"|spark://[^\s/]+(?::\d+)?(?:,[^\s/]+(?::\d+)?)*|yarn|k8s://\S+|mesos://\S+"
)
#: What a JSONL line is stripped of, as the DuckDB path strips it (space, tab, CR, VT, FF).
_LINE_EDGES = r"^[ \t\r\x0B\x0C]+|[ \t\r\x0B\x0C]+$"
#: Defaults that keep a local session small and quiet; `conf` overrides any of them.
_DEFAULT_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",  # stdout/stderr are govgate's
    "spark.sql.shuffle.partitions": "8",
    # Timestamps without a zone are UTC, as in the DuckDB path.
    "spark.sql.session.timeZone": "UTC",
    # DuckDB's JSON reader keeps objects with a repeated key; so does the variant parser here.
    "spark.sql.variant.allowDuplicateKeys": "true",
    "spark.sql.ansi.enabled": "false",
}


class SparkDialect(SqlDialect):
    """Spark SQL spellings of the expressions govgate's shared SQL leaves to the dialect."""

    name = "spark"
    string_type = "STRING"
    timestamp_type = "TIMESTAMP"

    def param(self, name: str) -> str:
        return f":{name}"

    def ident(self, name: str) -> str:
        return "`" + name.replace("`", "``") + "`"

    def regex_full(self, expr: str, pattern: str) -> str:
        return f"({expr} RLIKE concat('^(?:', {pattern}, ')$'))"

    def regex_search(self, expr: str, pattern: str) -> str:
        return f"({expr} RLIKE {pattern})"

    def unquote(self, json_text: str) -> str:
        return f"trim(BOTH '\"' FROM CAST({json_text} AS STRING))"

    def epoch(self, text: str) -> str:
        return f"(CAST(unix_micros(TRY_CAST({text} AS TIMESTAMP)) AS DOUBLE) / 1e6)"

    def local_epoch(self, text: str, zone: str) -> str:
        # The session's zone is UTC: to_utc_timestamp reads the wall clock in `zone`.
        return (
            f"(CAST(unix_micros(to_utc_timestamp(TRY_CAST({text} AS TIMESTAMP), {zone})) "
            "AS DOUBLE) / 1e6)"
        )

    def contains(self, list_param: str, expr: str) -> str:
        # An empty list parameter has no element type; the cast gives it one.
        return f"array_contains(CAST({list_param} AS ARRAY<STRING>), {expr})"

    def sha256_hex(self, expr: str) -> str:
        return f"sha2({expr}, 256)"

    def hash128(self, hex_text: str) -> str:
        return f"lower(left({hex_text}, 32))"

    def hash128_zero(self) -> str:
        return "'0'"

    def json_valid(self, text: str) -> str:
        return f"(try_parse_json({text}) IS NOT NULL)"

    def json_path(self, segments: Sequence[str]) -> str:
        # Bracket notation for a key that is not a plain name (`$["@timestamp"]`); the path
        # is put in a single-quoted SQL literal.
        return "$" + "".join(
            f".{name}" if name.isidentifier() else '["' + name.replace('"', "") + '"]'
            for name in segments
        )

    def object_keys(self, json_text: str, paths: Sequence[str]) -> str:
        # The variant parser keeps one value of a repeated key; the JSON text keeps them all.
        lists = [
            f"json_object_keys({json_text})"
            if path == "$"
            else f"json_object_keys(get_json_object({json_text}, '{path}'))"
            for path in paths
        ]
        return f"array({', '.join(lists)})"

    def list_item(self, list_expr: str, position: int) -> str:
        return f"element_at({list_expr}, {position})"

    def first_repeated(self, list_expr: str) -> str:
        # `filter`'s index is 0-based, array_position's 1-based; element_at of an empty
        # array is NULL (ANSI mode is off in the session).
        return f"element_at(filter({list_expr}, (k, i) -> array_position({list_expr}, k) <= i), 1)"

    def json_fields(self, keys: str, paths: Sequence[str], paths_param: str) -> str:
        # try_variant_get with the `variant` type keeps each value's JSON type, and to_json
        # prints it compactly with strings quoted: the text DuckDB's json_extract gives.
        selects = ", ".join(
            f"to_json(try_variant_get(v, '{path}', 'variant')) AS c{index}"
            for index, path in enumerate(paths, start=1)
        )
        return f"""
parsed AS (
    SELECT {keys}, json, raw_sha, pre_problem,
        CASE WHEN json LIKE '{{%' THEN try_parse_json(json) END AS v
    FROM src
), fields AS (
    SELECT {keys}, json, raw_sha, pre_problem, v IS NULL AS not_object, {selects}
    FROM parsed
)"""  # noqa: S608 - paths and keys are govgate's constants


SPARK_DIALECT = SparkDialect()


def spark_message(exc: BaseException) -> str:
    """Spark's (or the JVM's) error on one line, with the exception's short class name."""
    java = getattr(exc, "java_exception", None)
    if java is not None:
        try:
            text = str(java.toString())
        except Exception:  # the gateway itself may be gone
            text = str(exc)
    else:
        text = str(exc)
    text = re.sub(r"\b(?:[a-z_]\w*\.)+([A-Z]\w*(?:Exception|Error))", r"\1", text)
    if "Python worker" in text:
        # The worker's own traceback is in the text; its last line says what went wrong.
        raised = re.findall(r"^(\w+(?:Error|Exception): .*)$", text, re.MULTILINE)
        if raised:
            return condense(Exception(f"on a Spark worker: {raised[-1]}"))
    return condense(Exception(text))


def _check_master(master: str, timeout: float) -> None:
    """Refuse a malformed master URL, and an unreachable standalone master, in seconds.

    Spark itself would retry registering with a dead standalone master for a minute before
    giving up; a TCP connect to each host:port answers at once.
    """
    if not _MASTER.fullmatch(master):
        raise AggregationError(
            f"backend_settings.master {master!r} is not a Spark master URL "
            "(local[N], spark://HOST:PORT, yarn, k8s://...)"
        )
    if not master.startswith("spark://"):
        return
    for hostport in master.removeprefix("spark://").split(","):
        host, _, port = hostport.partition(":")
        try:
            with socket.create_connection((host, int(port or 7077)), timeout=timeout):
                return
        except OSError as exc:
            last = f"{type(exc).__name__}: {exc.strerror or exc}"
    raise AggregationError(f"cannot reach the Spark master {master}: {last}")


def _shown_names(files: Sequence[str], source: TableSource) -> dict[str, str]:
    """Each file Spark read, named as the user wrote it when they named that very file."""
    from pathlib import Path

    written: dict[str, str] = {}
    for uri, shown in zip(source.uris, source.shown, strict=True):
        written[uri] = shown
        if "://" not in uri:
            written[Path(uri).absolute().as_uri()] = shown
        elif uri.startswith("file:/") and not uri.startswith("file:///"):
            written["file:///" + uri.removeprefix("file:/")] = shown
    return {path: written.get(path, path) for path in files}


class SparkBackend(AggregationBackend):
    """govgate's aggregates on a SparkSession (`backend: spark`).

    Settings: `master` (default local[2]), `app_name` (default govgate), `conf` (Spark
    configuration), `connect_timeout` (seconds, for the master check), and for the collectors
    `decision_logs` and `predictions` (the lake URIs; see docs/scale.md). A session already
    running in this process with the same master is joined and left running on close.
    """

    name = "spark"
    dialect = SPARK_DIALECT
    not_computed: ClassVar[Mapping[str, str]] = {}

    def __init__(self, settings: Mapping[str, Any] | None = None, *, session: Any = None) -> None:
        settings = dict(settings or {})
        unknown = sorted(set(settings) - set(SETTINGS))
        if unknown:
            raise AggregationError(
                f"backend_settings.{unknown[0]}: not a spark setting "
                f"(spark takes {', '.join(SETTINGS)})"
            )
        self.master = str(settings.get("master", DEFAULT_MASTER))
        conf = settings.get("conf") or {}
        if not isinstance(conf, dict):
            raise AggregationError("backend_settings.conf must map Spark keys to values")
        self._persisted: list[Any] = []
        self._owns_session = False
        if session is not None:
            self.spark = session
            return
        _check_master(self.master, float(settings.get("connect_timeout", 10)))
        self.spark = self._start(str(settings.get("app_name", "govgate")), conf)

    def _start(self, app_name: str, conf: Mapping[str, Any]) -> Any:
        from pyspark import SparkContext
        from pyspark.sql import SparkSession

        # One SparkContext per process, whatever thread asks: a running one is joined (and
        # left running), never silently used with another master.
        running = SparkContext._active_spark_context
        if running is not None:
            if running.master != self.master:
                raise AggregationError(
                    f"a Spark session with master {running.master} is already running in "
                    f"this process; backend_settings.master asks for {self.master}"
                )
            return SparkSession.builder.getOrCreate()
        builder = SparkSession.builder.master(self.master).appName(app_name)
        if self.master.startswith("local"):
            # Local workers run this interpreter, so they import the same govgate (the PII
            # scan runs on them). On a cluster, govgate must be installed on the workers.
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        for key, value in {**_DEFAULT_CONF, **{str(k): str(v) for k, v in conf.items()}}.items():
            builder = builder.config(key, value)
        try:
            session = builder.getOrCreate()
        except Exception as exc:
            message = f"cannot start Spark ({self.master}): {spark_message(exc)}"
            raise AggregationError(message) from None
        session.sparkContext.setLogLevel("ERROR")
        self._owns_session = True
        return session

    # -- running SQL ---------------------------------------------------------------------------
    def _sql(self, sql: str, params: Mapping[str, Any] | None) -> Any:
        used = used_parameters(sql)
        args = {k: v for k, v in (params or {}).items() if k in used}
        try:
            return self.spark.sql(sql, args=args or None)
        except Exception as exc:
            raise AggregationError(f"spark: {spark_message(exc)}") from None

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> Iterator[tuple[Any, ...]]:
        frame = self._sql(sql, params)
        try:
            collected = frame.collect()
        except Exception as exc:
            raise AggregationError(f"spark: {spark_message(exc)}") from None
        return iter([tuple(row) for row in collected])

    def create_view(self, view: str, sql: str, params: Mapping[str, Any] | None = None) -> None:
        from pyspark import StorageLevel

        frame = self._sql(sql, params)
        # Several aggregates read the view: computed once, kept on the executors.
        frame = frame.persist(StorageLevel.MEMORY_AND_DISK)
        self._persisted.append(frame)
        frame.createOrReplaceTempView(view)

    def fold(
        self,
        sql: str,
        params: Mapping[str, Any] | None,
        fn: Callable[[Iterator[tuple[Any, ...]]], T],
    ) -> list[T]:
        frame = self._sql(sql, params)

        def per_partition(rows: Iterable[Any]) -> Iterator[T]:
            yield fn(tuple(row) for row in rows)

        try:
            return list(frame.rdd.mapPartitions(per_partition).collect())
        except Exception as exc:
            raise AggregationError(f"spark: {spark_message(exc)}") from None

    # -- sources -------------------------------------------------------------------------------
    def _reader(self) -> Any:
        return self.spark.read

    def _load(self, source: TableSource, what: str) -> Any:
        """A DataFrame over the source; a missing path or unreadable file raises here."""
        uris = list(source.uris)
        reader = self._reader()
        try:
            if source.format == "parquet":
                return reader.option("mergeSchema", "true").parquet(*uris)
            if source.format == "csv":
                return (
                    reader.option("header", "true")
                    .option("inferSchema", "true")
                    .option("ignoreLeadingWhiteSpace", "true")
                    .option("ignoreTrailingWhiteSpace", "true")
                    # A row that does not parse fails the aggregate: never partial counts.
                    .option("mode", "FAILFAST")
                    .csv(uris)
                )
            if what == "lines":
                return reader.option("lineSep", "\n").text(uris)
            return reader.option("mode", "FAILFAST").json(uris)
        except Exception as exc:
            raise AggregationError(
                f"spark cannot read {source.where}: {spark_message(exc)}"
            ) from None

    def register_predictions(
        self,
        view: str,
        source: TableSource,
        columns: Sequence[tuple[str, str, str]],
        *,
        numeric: Iterable[str] = (),
    ) -> RegisteredSource:
        from pyspark.sql import functions as F

        frame = self._load(source, "table")
        available = list(frame.columns)
        numeric = set(numeric)
        selects = []
        for alias, role, column in columns:
            if column not in available:
                shown = ", ".join(available[:30]) + (" ..." if len(available) > 30 else "")
                raise AggregationError(
                    f"{source.where}: {role} column {column!r} not found (columns: {shown})"
                )
            expression = F.col(self.dialect.ident(column))
            if alias in numeric:
                expression = expression.try_cast("double")
            selects.append(expression.alias(alias))
        try:
            frame.select(*selects).createOrReplaceTempView(view)
            files = sorted(frame.inputFiles())
        except Exception as exc:
            raise AggregationError(f"spark: {spark_message(exc)}") from None
        return RegisteredSource(view=view, columns=available, files=files)

    def register_records(self, view: str, source: TableSource) -> RegisteredSource:
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        if source.format not in ("jsonl", "parquet"):
            raise AggregationError(
                f"{source.where}: spark reads decision logs as jsonl or parquet, not "
                f"{source.format}"
            )
        frame = self._load(source, "lines")
        try:
            files = sorted(frame.inputFiles())
        except Exception as exc:
            raise AggregationError(f"spark: {spark_message(exc)}") from None
        if not files:
            raise AggregationError(f"{source.where}: no files found")
        shown = _shown_names(files, source)
        ranks = F.create_map(*[F.lit(x) for rank, path in enumerate(files) for x in (path, rank)])
        names = F.create_map(*[F.lit(x) for path in files for x in (path, shown[path])])
        # The same spelling of each file as inputFiles() (file:///..., s3a://...).
        path = F.input_file_name()
        if source.format == "jsonl":
            # A line's place in its file: the split it was read from, then the order within
            # the split (monotonically_increasing_id grows along a partition).
            order = Window.partitionBy("path").orderBy("block", "mono")
            lines = (
                frame.select(
                    path.alias("path"),
                    F.col("_metadata.file_block_start").alias("block"),
                    F.monotonically_increasing_id().alias("mono"),
                    F.col("value"),
                )
                .withColumn("ord", F.row_number().over(order) - 1)
                .select(
                    "path",
                    "ord",
                    (F.col("ord") + 1).alias("line"),
                    # A byte-order mark is tolerated before the first line only.
                    F.when(F.col("ord") == 0, F.regexp_replace("value", "^\ufeff", ""))
                    .otherwise(F.col("value"))
                    .alias("value"),
                )
                .select(
                    "path", "ord", "line", F.regexp_replace("value", _LINE_EDGES, "").alias("text")
                )
            )
        else:
            columns = [F.col(self.dialect.ident(c)) for c in frame.columns]
            lines = frame.select(
                path.alias("path"),
                F.col("_metadata.row_index").alias("ord"),
                F.lit(None).cast("bigint").alias("line"),
                F.to_json(F.struct(*columns)).alias("text"),
            )
        lines = lines.select(
            names[F.col("path")].alias("path"),
            ranks[F.col("path")].cast("bigint").alias("file_rank"),
            "ord",
            "line",
            "text",
        )
        lines.createOrReplaceTempView(view)
        return RegisteredSource(
            view=view, columns=list(lines.columns), files=[shown[f] for f in files]
        )

    def close(self) -> None:
        for frame in self._persisted:
            with contextlib.suppress(Exception):  # the session may already be gone
                frame.unpersist()
        self._persisted.clear()
        if self._owns_session:
            self._owns_session = False
            self.spark.stop()
