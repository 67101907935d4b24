"""The aggregation-backend interface and its embedded default, DuckDB.

What a user of `backend:` notices: an unknown name is a config error naming the installed
backends; the default starts nothing until a collector needs it and is closed afterwards;
errors are one line; the shared SQL runs unchanged with `:name` parameters.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from govgate.analysis.aggregate import (
    AggregationError,
    BackendHandle,
    DuckDBBackend,
    TableSource,
    bind_named,
    condense,
    source_format,
)
from govgate.analysis.fairness import FairnessSpec, analyse_source


def test_named_parameters_are_bound_and_casts_left_alone() -> None:
    sql, params = bind_named(
        "SELECT CAST(:x AS INTEGER)::VARCHAR, ':not_a_param'", {"x": 1, "unused": 2}
    )
    assert sql == "SELECT CAST($x AS INTEGER)::VARCHAR, ':not_a_param'"
    assert params == {"x": 1}
    with DuckDBBackend() as backend:
        assert list(backend.rows("SELECT :a + :b, :a", {"a": 2, "b": 3, "c": 9})) == [(5, 2)]


def test_duckdb_backend_registers_a_view_and_folds_in_process(tmp_path: Path) -> None:
    with DuckDBBackend({"memory_limit": "256MB", "threads": 1}) as backend:
        backend.create_view("numbers", "SELECT * FROM range(10) t(n)")
        totals = backend.fold(
            "SELECT n FROM numbers WHERE n > :low", {"low": 4}, lambda rows: sum(r[0] for r in rows)
        )
        assert totals == [5 + 6 + 7 + 8 + 9]
        connection = backend.connection
    with pytest.raises(Exception, match="closed"):
        connection.execute("SELECT 1")


def test_duckdb_settings_are_checked() -> None:
    with pytest.raises(AggregationError, match=r"backend_settings\.master: not a duckdb setting"):
        DuckDBBackend({"master": "local[2]"})
    with pytest.raises(AggregationError, match="duckdb: "):
        DuckDBBackend({"memory_limit": "lots"})


def test_duckdb_does_not_read_decision_logs_from_uris() -> None:
    with DuckDBBackend() as backend, pytest.raises(AggregationError, match="from the repository"):
        backend.register_records("lines", TableSource(("s3://lake/x.jsonl",), "jsonl"))


def test_condense_keeps_one_line_without_jvm_frames() -> None:
    java = (
        "An error occurred while calling o41.sql.\n"
        "\tat org.apache.spark.sql.Dataset.ofRows(Dataset.scala:99)\n"
        "\tat java.base/java.lang.Thread.run(Thread.java:840)\n"
    )
    assert condense(RuntimeError(java)) == "An error occurred while calling o41.sql."
    merged = condense(RuntimeError('Failed merging schemas:\nInitial schema:\n"STRUCT<a: INT>"'))
    assert merged == 'Failed merging schemas: Initial schema: "STRUCT<a: INT>"'
    assert len(condense(RuntimeError("x" * 1000))) == 300


@pytest.mark.parametrize(
    ("uri", "fmt"),
    [
        ("s3a://lake/preds/part-0001.snappy.parquet", "parquet"),
        ("/data/decisions.jsonl.gz", "jsonl"),
        ("abfss://c@a.dfs.core.windows.net/p.csv", "csv"),
        ("hdfs:///lake/decisions/", None),
    ],
)
def test_formats_are_read_from_names(uri: str, fmt: str | None) -> None:
    assert source_format(uri) == fmt


def test_a_table_source_refuses_an_unknown_format() -> None:
    with pytest.raises(AggregationError, match="unknown format 'orc'"):
        TableSource(("s3://x/y.orc",), "orc")


def test_the_handle_starts_the_backend_on_first_use_and_closes_it() -> None:
    started: list[DuckDBBackend] = []

    def factory(settings: Any) -> DuckDBBackend:
        backend = DuckDBBackend(settings)
        started.append(backend)
        return backend

    handle = BackendHandle("duckdb", {"threads": 1}, factory)
    assert not handle.opened and started == []
    first = handle.open()
    assert handle.open() is first and len(started) == 1 and handle.uses == 2
    handle.close()
    assert not handle.opened
    with pytest.raises(Exception, match="closed"):
        first.connection.execute("SELECT 1")


def test_a_factory_that_raises_or_returns_junk_is_an_aggregation_error() -> None:
    def broken(settings: Any) -> Any:
        raise ConnectionRefusedError("cluster down\n\tat somewhere")

    with pytest.raises(AggregationError, match="backend 'acme' could not start: Connection"):
        BackendHandle("acme", {}, broken).open()
    with pytest.raises(AggregationError, match="returned object, not a govgate"):
        BackendHandle("acme", {}, lambda s: object()).open()


def test_fairness_goes_through_the_backend_it_is_given(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(
        "".join(json.dumps({"g": g, "p": p}) + "\n" for g, p in [("a", 1), ("a", 0), ("b", 1)])
        + "not json\n"
    )
    spec = FairnessSpec(prediction="p", attributes=("g",), min_share=0)
    with DuckDBBackend() as backend:
        doc = analyse_source(
            TableSource((str(path),), "jsonl", ("p.jsonl",)), spec, backend=backend
        )
        # The backend stays open for the caller (a shared backend is closed by the collection).
        assert list(backend.rows("SELECT 1")) == [(1,)]
    assert doc["rows"] == 3 and doc["rejected_rows"] == 1
    assert doc["rejected_lines"] == [{"path": "p.jsonl", "line": 4, "error": "malformed JSON"}]
    rates = {g["value"]: g["selection_rate"] for g in doc["attributes"][0]["groups"]}
    assert rates == {"a": 0.5, "b": 1.0}


def _repo(make_repo: Callable[..., Any], extra: str) -> Path:
    builder = make_repo(
        {"govgate.yaml": "system: {name: loans, risk: high}\npacks: [audit-trail]\n" + extra}
    )
    return Path(builder.path)


def test_an_unknown_backend_is_a_config_error_naming_the_installed_ones(
    make_repo: Callable[..., Any], run_cli: Callable[..., Any]
) -> None:
    repo = _repo(make_repo, "backend: spork\n")
    result = run_cli("check", str(repo), "--no-cache")
    assert result.exit_code == 2
    assert "govgate.yaml:3: backend: unknown backend 'spork'; installed: duckdb" in result.stderr


def test_backend_spark_without_the_plugin_says_what_to_install(
    make_repo: Callable[..., Any], run_cli: Callable[..., Any]
) -> None:
    repo = _repo(make_repo, "backend: spark\n")
    result = run_cli("check", str(repo), "--no-cache")
    assert result.exit_code == 2
    assert "unknown backend 'spark'; installed: duckdb (pip install govgate-spark)" in result.stderr


def test_the_default_backend_changes_nothing_for_a_check(
    make_repo: Callable[..., Any], run_cli: Callable[..., Any]
) -> None:
    plain = _repo(make_repo, "")
    explicit = _repo(make_repo, "backend: duckdb\nbackend_settings: {memory_limit: 512MB}\n")
    first = run_cli("check", str(plain), "--no-cache", "--format", "json")
    second = run_cli("check", str(explicit), "--no-cache", "--format", "json")
    assert first.exit_code == second.exit_code

    def statuses(output: str) -> Iterator[tuple[str, str]]:
        for finding in json.loads(output)["findings"]:
            yield finding["rule"], finding["status"]

    assert sorted(statuses(first.stdout)) == sorted(statuses(second.stdout))
