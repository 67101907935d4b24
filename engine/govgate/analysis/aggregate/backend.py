"""The aggregation-backend contract: sources, what registering one tells, the SQL dialect,
and the `AggregationBackend` an engine implements (DuckDB here, Spark in a plugin)."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from govgate.support.errors import CollectorError
from govgate.support.formats import TABULAR_FORMATS as FORMATS
from govgate.support.formats import tabular_format

#: `:name` parameter markers of the shared SQL (not `::` casts, not inside words), and
#: string literals, which are matched first so that a marker inside one is left alone.
NAMED_PARAMETER = re.compile(r"'(?:[^']|'')*'|(?<![:\w]):([A-Za-z_]\w*)")

T = TypeVar("T")
#: A JSON key a path may name without quotes.
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class AggregationError(CollectorError):
    """The backend could not compute an aggregate (engine unreachable, path missing, schema).

    The message is one line. Raised out of a collector, it makes every rule that needed the
    evidence `error`; it is never turned into partial evidence or a silent fallback.
    """


def condense(exc: BaseException, limit: int = 300) -> str:
    """An engine's exception as one line: the first meaningful line, without stack frames.

    JVM errors arrive as pages of `at org.apache...` frames and nested `Caused by:`; the user
    needs the first sentence and the exception class, not the stack.
    """
    text = str(exc).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith(("at ", "...", "JVM stacktrace"))]
    first = lines[0] if lines else type(exc).__name__
    if first.endswith(":") and len(lines) > 1:
        # "Failed merging schemas:" says what disagreed on the lines after it.
        first = " ".join(lines[: next((i for i, x in enumerate(lines) if "Caused by" in x), 8)])
    first = re.sub(r"\s+", " ", first)
    if len(first) > limit:
        first = first[: limit - 1] + "…"
    return first


def source_format(uri: str) -> str | None:
    """parquet, jsonl or csv from a file name or URI (compressed files included), else None."""
    return tabular_format(uri)


@dataclass(frozen=True)
class TableSource:
    """Files or URIs (a glob or a folder where the engine allows it) of one format.

    `display` names each URI in messages and evidence (the repository-relative path of a
    repository file); a URI without one is shown as written.
    """

    uris: tuple[str, ...]
    format: str
    display: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise AggregationError(
                f"{self.where}: unknown format {self.format!r}; use one of {', '.join(FORMATS)}"
            )
        if not self.uris:
            raise AggregationError("no files or URIs to read")

    @property
    def shown(self) -> tuple[str, ...]:
        return self.display if len(self.display) == len(self.uris) else self.uris

    @property
    def where(self) -> str:
        shown = self.display or self.uris
        if not shown:
            return "(no input)"
        return shown[0] if len(shown) == 1 else f"{shown[0]} (+{len(shown) - 1} more)"


@dataclass
class RegisteredSource:
    """What registering a source told: its columns, and what its reader rejected."""

    view: str
    columns: list[str]
    #: Cells arrive as JSON text (DuckDB's JSONL reader): decode before typing them.
    decode_json: bool = False
    rejected: Callable[[], tuple[int, list[dict[str, Any]]]] = field(default=lambda: (0, []))
    #: Files actually read, in order (a folder or glob expanded), as shown in evidence.
    files: list[str] = field(default_factory=list)


#: Rejected input lines a reader lists (all of them are counted).
MAX_REJECTED_LISTED = 100


class SqlDialect:
    """The few expressions whose spelling differs between engines; DuckDB's by default.

    Everything else in the shared SQL (GROUP BY, GROUPING SETS, CASE, windows, LIKE, `&`)
    is written once. A backend for another engine subclasses this and overrides what differs;
    tests compare the engines' results on the same data.
    """

    name: ClassVar[str] = "duckdb"
    string_type: ClassVar[str] = "VARCHAR"
    timestamp_type: ClassVar[str] = "TIMESTAMPTZ"

    def param(self, name: str) -> str:
        """A named parameter marker as the engine's driver expects it."""
        return f"${name}"

    def ident(self, name: str) -> str:
        """A quoted identifier (a column name from the user's data)."""
        return '"' + name.replace('"', '""') + '"'

    def regex_full(self, expr: str, pattern: str) -> str:
        """True when the whole of `expr` matches `pattern` (a SQL string literal or marker)."""
        return f"regexp_full_match({expr}, {pattern})"

    def regex_search(self, expr: str, pattern: str) -> str:
        """True when `pattern` matches anywhere in `expr`."""
        return f"regexp_matches({expr}, {pattern})"

    def unquote(self, json_text: str) -> str:
        """A JSON string's text without its quotes (exact unless it holds escapes)."""
        return f"trim(CAST({json_text} AS {self.string_type}), '\"')"

    def epoch(self, text: str) -> str:
        """Seconds since the epoch (DOUBLE) of an ISO date-time text; NULL when it is not one."""
        return f"epoch(TRY_CAST({text} AS {self.timestamp_type}))"

    def local_epoch(self, text: str, zone: str) -> str:
        """Seconds since the epoch of a date-time text without an offset (`YYYY-MM-DD
        HH:MM:SS[.f]`) read as wall-clock time in the IANA zone `zone` (a marker or literal)."""
        return f"epoch(timezone({zone}, TRY_CAST({text} AS TIMESTAMP)))"

    def contains(self, list_param: str, expr: str) -> str:
        """True when the list parameter holds `expr`."""
        return f"list_contains({list_param}, {expr})"

    def sha256_hex(self, expr: str) -> str:
        return f"sha256({expr})"

    def hash128(self, hex_text: str) -> str:
        """A comparable form of the first 128 bits of a hex digest."""
        return f"CAST('0x' || left({hex_text}, 32) AS UHUGEINT)"

    def hash128_zero(self) -> str:
        """The `hash128` value that matches no digest (a prev_hash that is not hex)."""
        return "CAST(0 AS UHUGEINT)"

    def json_valid(self, text: str) -> str:
        """True when `text` is one valid JSON value."""
        return f"json_valid({text})"

    def json_path(self, segments: Sequence[str]) -> str:
        """A JSON path (`$.a.b`) to a nested key; a key that is not a plain name is quoted."""
        return "$" + "".join(
            f".{name}" if _PLAIN_KEY.match(name) else '."' + name.replace('"', '\\"') + '"'
            for name in segments
        )

    def object_keys(self, json_text: str, paths: Sequence[str]) -> str:
        """A list with, for each of `paths` (`$`, `$.a`), the keys of the JSON object there in
        order and with repeats (NULL or empty when there is none). The document is parsed once."""
        listed = ", ".join(f"'{path}'" for path in paths)
        return f"json_keys({json_text}, [{listed}])"

    def list_item(self, list_expr: str, position: int) -> str:
        """The `position`-th (1-based) item of a list; NULL past its end."""
        return f"{list_expr}[{position}]"

    def first_repeated(self, list_expr: str) -> str:
        """The first element of a list that occurs earlier in it too (NULL when none)."""
        return f"list_filter({list_expr}, lambda k, i: list_position({list_expr}, k) < i)[1]"

    def json_fields(self, keys: str, paths: Sequence[str], paths_param: str) -> str:
        """CTEs `parsed` and `fields` over `src` (keys, json, raw_sha, pre_problem).

        `fields` has the keys, json, raw_sha, pre_problem, `not_object` (the line is not a
        JSON object) and c1..cN: the compact JSON text at each of the N `paths` (`$.a.b`),
        NULL when absent and 'null' for a JSON null. `paths_param` is a marker for the
        list of paths (DuckDB extracts them all in one call).
        """
        selects = ", ".join(f"v[{index}] AS c{index}" for index in range(1, len(paths) + 1))
        return f"""
parsed AS (
    SELECT {keys}, json, raw_sha, pre_problem,
        CASE WHEN json LIKE '{{%' THEN json_extract(json, {paths_param}) END AS v
    FROM src
), fields AS (
    SELECT {keys}, json, raw_sha, pre_problem, v IS NULL AS not_object, {selects}
    FROM parsed
)"""  # noqa: S608 - keys and the marker are govgate's own


DUCKDB_DIALECT = SqlDialect()


class AggregationBackend(ABC):
    """An engine that runs govgate's shared aggregate SQL over registered sources.

    Only aggregates (and the few rows the SQL itself limits, such as the first malformed
    lines) cross from the engine to govgate; raw rows never do. Every method raises
    `AggregationError` for a failure of the engine or the data, with a one-line message.
    """

    name: ClassVar[str]
    dialect: SqlDialect = DUCKDB_DIALECT
    #: Parts of the decision-log summary this backend cannot compute faithfully, with why;
    #: reported in the evidence as not computed (null) rather than guessed.
    not_computed: ClassVar[Mapping[str, str]] = {}

    @abstractmethod
    def register_predictions(
        self,
        view: str,
        source: TableSource,
        columns: Sequence[tuple[str, str, str]],
        *,
        numeric: Iterable[str] = (),
    ) -> RegisteredSource:
        """Define `view` over a prediction source with the columns renamed.

        `columns`: (alias, role, source column), e.g. ("a0", "attribute", "sex"); aliases in
        `numeric` are cast to DOUBLE (NULL when not a number). A missing column raises an
        error naming the role, the column and the columns that exist.
        """

    def register_records(self, view: str, source: TableSource) -> RegisteredSource:
        """Define `view` with one row per record: (path, file_rank, ord, line, text).

        `text` is a JSONL line as written (blank lines included, as empty text) or a
        Parquet/CSV row as a JSON object; `ord` its 0-based position in the file; `line` its
        line number when the format has lines (else NULL); `file_rank` the position of the
        file among all files read. Backends that read decision logs only from the
        repository (DuckDB, with its own loader) do not implement it.
        """
        raise AggregationError(
            f"backend {self.name!r} reads decision logs from the repository "
            "(collectors.decision_logs.paths), not from backend_settings.decision_logs"
        )

    @abstractmethod
    def create_view(self, view: str, sql: str, params: Mapping[str, Any] | None = None) -> None:
        """Define `view` as a query over registered views (parameters written `:name`)."""

    @abstractmethod
    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> Iterator[tuple[Any, ...]]:
        """Run shared SQL (parameters written `:name`) and yield its rows."""

    def fold(
        self,
        sql: str,
        params: Mapping[str, Any] | None,
        fn: Callable[[Iterator[tuple[Any, ...]]], T],
    ) -> list[T]:
        """Apply `fn` to the rows of `sql` where the data is; return its (small) results.

        A distributed engine runs `fn` once per partition on its workers, so rows never
        travel to govgate; `fn` must be a module-level function. In process it is one call.
        """
        return [fn(self.rows(sql, params))]

    def close(self) -> None:  # noqa: B027 - a backend without resources needs no close
        """Release the engine (stop a session, close a connection)."""

    def __enter__(self) -> AggregationBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def used_parameters(sql: str) -> set[str]:
    """The names of the `:name` markers in `sql` (outside string literals)."""
    return {name for name in NAMED_PARAMETER.findall(sql) if name}


def bind_named(
    sql: str, params: Mapping[str, Any] | None, marker: str = "$"
) -> tuple[str, dict[str, Any]]:
    """Rewrite `:name` markers to `marker + name` and keep only the parameters the SQL uses."""
    used = used_parameters(sql)
    rewritten = NAMED_PARAMETER.sub(
        lambda m: marker + m.group(1) if m.group(1) else m.group(0), sql
    )
    return rewritten, {k: v for k, v in (params or {}).items() if k in used}
