"""The Spark backend against the embedded DuckDB, for real, in local mode (local[2]).

One SparkSession serves the module (a JVM start costs ~10 s); every backend in a test joins
it. The DuckDB side is govgate's own path: the decision_logs collector on repository files,
and `analyse_source` on the embedded backend. Inputs are generated here with the defects real
logs have (BOM, CRLF, blank, invalid and mistyped lines, duplicates, PII), plus the real UCI
Adult data through govgate's test fetcher (`tests/realdata.py`, imported by path).
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import math
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from govgate_collectors.decision_logs import DecisionLogsCollector
from govgate_spark.backend import SparkBackend

from govgate.analysis.aggregate import AggregationError, BackendHandle, DuckDBBackend, TableSource
from govgate.analysis.fairness import FairnessSpec, analyse_source
from govgate.core.collector import CollectContext, RepoFiles
from govgate.core.plugins import build_registry, get_plugin_manager
from govgate.run.check import CheckOptions, run_check
from govgate.run.collect import collect_evidence
from govgate.support.errors import InputErrors

#: Every test starts or reuses a local Spark session (a JVM): left out of `make test-fast`.
pytestmark = pytest.mark.slow

NOW = datetime(2026, 4, 1, tzinfo=UTC)
HIGH = ["credit_decision", "limit_increase"]
ROOT = Path(__file__).resolve().parents[3]


def _realdata() -> Any:
    spec = importlib.util.spec_from_file_location("realdata", ROOT / "tests" / "realdata.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkBackend]:
    backend = SparkBackend({"master": "local[2]", "conf": {"spark.sql.shuffle.partitions": "2"}})
    yield backend
    backend.close()


def joined(spark: SparkBackend, settings: dict[str, Any]) -> BackendHandle:
    """A handle whose backend joins the module's session (closing it leaves the session)."""
    return BackendHandle("spark", settings, lambda s: SparkBackend(s, session=spark.spark))


# ---------------------------------------------------------------------------- generated logs


def record(n: int, ts: str, decision_type: str = "credit_decision", **extra: Any) -> dict[str, Any]:
    tier = "minimal" if decision_type == "marketing_offer" else "high"
    base: dict[str, Any] = {
        "decision_id": f"00000000-0000-4000-8000-{n:012d}",
        "timestamp": ts,
        "system_id": "loan-approval",
        "model_name": "credit-scorer",
        "model_version": "2.3.0",
        "decision_type": decision_type,
        "risk_tier": tier,
        "input_hash": hashlib.sha256(str(n).encode()).hexdigest(),
        "output": "approve",
        "score": 0.71,
        "reasons": ["stable_income"],
        "human_review": {"required": tier == "high"},
        "final_outcome": "approve",
        "subject_ref": f"subj-{n}",
    }
    if tier == "high" and n % 4:
        base["human_review"].update(
            reviewer_id="rev-7", action="override" if n % 5 == 0 else "approve", timestamp=ts
        )
    for key, value in extra.items():
        if value is ...:
            base.pop(key, None)
        else:
            base[key] = value
    return base


def chained(lines: list[Any], endings: dict[int, bytes] | None = None) -> bytes:
    """JSONL with each record's prev_hash the sha256 of the previous non-blank line."""
    out = io.BytesIO()
    previous: bytes | None = None
    for index, item in enumerate(lines):
        if isinstance(item, dict):
            item = dict(item)
            if previous is not None:
                item["prev_hash"] = hashlib.sha256(previous).hexdigest()
            raw = json.dumps(item).encode()
        else:
            raw = item
        out.write(raw + (endings or {}).get(index, b"\n"))
        if raw.strip():
            previous = raw.strip(b" \t\r\x0b\x0c").removeprefix(b"\xef\xbb\xbf")
    return out.getvalue()


def generated_records(count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    types = ["credit_decision", "limit_increase", "marketing_offer"]
    out = []
    for n in range(count):
        day, hour = 1 + rng.randrange(20), rng.randrange(24)
        extra: dict[str, Any] = {}
        if rng.random() < 0.1:
            extra["reasons"] = ...
        if rng.random() < 0.05:
            extra["subject_ref"] = f"jane.doe{n}@example.com"
        if rng.random() < 0.05:
            extra["retention_until"] = "2027-01-01"
        out.append(record(n, f"2026-03-{day:02d}T{hour:02d}:00:00Z", rng.choice(types), **extra))
    out.sort(key=lambda r: r["timestamp"])
    return out


def defective_log(records: list[dict[str, Any]]) -> bytes:
    lines: list[Any] = list(records)
    lines[3] = b'{"decision_id": "broken'  # invalid JSON
    lines[6] = b"   \t"  # blank
    lines[9] = dict(records[9], score="0.7")  # wrong type
    lines[12] = dict(records[12], decision_id=records[11]["decision_id"])  # duplicate id
    lines[15] = dict(records[15], risk_tier="severe")  # not an enum value
    lines[18] = b"[1, 2]"  # not an object
    lines.append(b"")  # a blank line at the end
    return b"\xef\xbb\xbf" + chained(lines, endings={2: b"\r\n", 5: b"\r\n"})


def collect_logs(
    root: Path, backend: BackendHandle | None
) -> tuple[dict[str, Any], dict[str, Any], list[Any]]:
    """(summary data, per-file data by subject, diagnostics) of the decision_logs collector."""
    collector = DecisionLogsCollector()
    ctx = CollectContext(
        root=root,
        collector=collector.name,
        collector_version=collector.version,
        kinds=list(collector.kinds),
        settings={"high_risk_types": HIGH, "retention_max_days": 20},
        system={},
        files=RepoFiles(root),
        now=NOW,
        backend=backend,
    )
    items = list(collector.collect(ctx))
    summary = next(item.data for item in items if item.kind == "decision_log.summary")
    files = {item.subject: item.data for item in items if item.kind == "decision_log.file"}
    return summary, files, ctx.diagnostics


def assert_close(left: Any, right: Any, where: str = "") -> None:
    """Equal, numbers to 1e-9."""
    if isinstance(left, dict) and isinstance(right, dict):
        assert sorted(left) == sorted(right), where
        for key in left:
            assert_close(left[key], right[key], f"{where}.{key}")
    elif isinstance(left, list) and isinstance(right, list):
        assert len(left) == len(right), where
        for index, (a, b) in enumerate(zip(left, right, strict=True)):
            assert_close(a, b, f"{where}[{index}]")
    elif isinstance(left, float) or isinstance(right, float):
        assert left is not None and right is not None, (where, left, right)
        assert math.isclose(left, right, rel_tol=0, abs_tol=1e-9), (where, left, right)
    else:
        assert left == right, (where, left, right)


def without_lake_fields(data: dict[str, Any], rename: dict[str, str]) -> dict[str, Any]:
    """The summary with paths named as in the repository and the Spark-only keys apart."""
    text = json.dumps(data)
    for lake, repo in rename.items():
        text = text.replace(json.dumps(lake)[1:-1], repo)
    out = json.loads(text)
    out.pop("backend", None)
    out.pop("not_computed", None)
    return out


def test_decision_log_summary_on_spark_equals_duckdbs(tmp_path: Path, spark: SparkBackend) -> None:
    records = generated_records(400, seed=7)
    logs = tmp_path / "logs" / "decisions"
    logs.mkdir(parents=True)
    (logs / "a.jsonl").write_bytes(defective_log(records[:250]))
    (logs / "b.jsonl").write_bytes(chained(records[250:]))
    # b.jsonl gets one edited record: its successor's link breaks.
    edited = (logs / "b.jsonl").read_bytes().replace(b'"subj-', b'"SUBJ-', 1)
    (logs / "b.jsonl").write_bytes(edited)
    duck_summary, duck, duck_problems = collect_logs(tmp_path, None)
    uris = [str(logs / "a.jsonl"), str(logs / "b.jsonl")]
    handle = joined(spark, {"decision_logs": {"paths": uris, "format": "jsonl"}})
    started = time.perf_counter()
    lake_summary, lake, lake_problems = collect_logs(tmp_path, handle)
    print(f"spark decision-log summary: {time.perf_counter() - started:.1f} s")
    rename = {uri: f"logs/decisions/{Path(uri).name}" for uri in uris}

    assert lake_summary["backend"] == "spark"
    assert "malformed.first.reason" in lake_summary["not_computed"]
    expected = without_lake_fields(duck_summary, {})
    got = without_lake_fields(lake_summary, rename)
    # The parser's detail of an invalid line needs its bytes in govgate (reported as such).
    for entry in expected["malformed"]["first"]:
        if entry["reason"].startswith("invalid JSON"):
            entry["reason"] = "invalid JSON"
    assert_close(got, expected)
    assert got["malformed"]["count"] == 6 and got["records"] == 395
    assert got["hash_chain"]["verified"] is False
    assert got["hash_chain"]["first_break"] == {"path": "logs/decisions/a.jsonl", "line": 4}
    assert got["duplicate_ids"]["count"] == 1
    assert got["pii"]["counts"]["email"] > 0
    for uri in uris:
        expected_file = without_lake_fields(duck[rename[uri]], {})
        for entry in expected_file["malformed"]["first"]:
            if entry["reason"].startswith("invalid JSON"):
                entry["reason"] = "invalid JSON"
        assert_close(without_lake_fields(lake[uri], rename), expected_file, uri)
    assert [(d.line, d.level) for d in lake_problems] == [(d.line, d.level) for d in duck_problems]


def test_parquet_logs_give_the_numbers_of_the_same_records_in_jsonl(
    tmp_path: Path, spark: SparkBackend
) -> None:
    records = generated_records(300, seed=11)
    logs = tmp_path / "logs" / "decisions"
    logs.mkdir(parents=True)
    (logs / "all.jsonl").write_bytes(chained(records))
    with_hashes = [json.loads(line) for line in chained(records).splitlines()]
    parquet = tmp_path / "lake" / "decisions.parquet"
    parquet.parent.mkdir()
    # Every key in every row (pyarrow takes the columns from the first row): absent is null.
    keys = sorted({key for row in with_hashes for key in row})
    pq.write_table(
        pa.Table.from_pylist([{k: r.get(k) for k in keys} for r in with_hashes]), parquet
    )
    expected, _, _ = collect_logs(tmp_path, None)
    got, _, _ = collect_logs(tmp_path, joined(spark, {"decision_logs": {"paths": [str(parquet)]}}))
    # Parquet rows have no lines and no line bytes: said so, and left null.
    assert set(got["not_computed"]) == {
        "malformed.first.line",
        "counts.first.line",
        "malformed_causes.first.line",
        "conflicts.first.line",
        "hash_chain.verified",
    }
    assert expected["hash_chain"]["verified"] is True
    assert got["hash_chain"] == {
        "present": expected["hash_chain"]["present"],
        "verified": None,
        "first_break": None,
    }
    for key in expected:
        if key in ("counts", "malformed_causes", "conflicts"):
            # The same records are listed, at Parquet rows rather than lines.
            assert_close(without_places(got[key]), without_places(expected[key]), key)
        elif key not in ("hash_chain",):
            assert_close(got[key], expected[key], key)


def without_places(value: Any) -> Any:
    """`value` with every {path, line} replaced by None (the rows are compared by count)."""
    if isinstance(value, dict):
        if set(value) == {"path", "line"}:
            return None
        return {key: without_places(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_places(item) for item in value]
    return value


# --------------------------------------------------------------------------------- fairness


def write_predictions(folder: Path, rows: int, seed: int) -> dict[str, Path]:
    rng = random.Random(seed)
    table = []
    for _ in range(rows):
        sex = rng.choice(["F", "M", "M", "X", None])
        band = rng.choice(["18-25", "26-40", "41-65", "?"])
        score = round(rng.random(), 4)
        table.append(
            {
                "sex": sex,
                "age_band": band,
                "approved": int(score + (0.1 if sex == "M" else 0) > 0.55),
                "repaid": int(rng.random() < 0.6),
                "score": score,
            }
        )
    out = {
        "parquet": folder / "preds.parquet",
        "jsonl": folder / "preds.jsonl",
        "csv": folder / "preds.csv",
    }
    pq.write_table(pa.Table.from_pylist(table), out["parquet"])
    out["jsonl"].write_text("".join(json.dumps(row) + "\n" for row in table))
    lines = ["sex,age_band,approved,repaid,score"]
    lines += [
        f"{r['sex'] or ''},{r['age_band']},{r['approved']},{r['repaid']},{r['score']}"
        for r in table
    ]
    out["csv"].write_text("\n".join(lines) + "\n")
    return out


SPEC = FairnessSpec(
    prediction="approved",
    label="repaid",
    score="score",
    attributes=("sex", "age_band"),
    min_share=0.0,
)


@pytest.mark.parametrize("fmt", ["parquet", "jsonl", "csv"])
def test_fairness_numbers_on_spark_equal_duckdbs(
    tmp_path: Path, spark: SparkBackend, fmt: str
) -> None:
    path = write_predictions(tmp_path, 3000, seed=3)[fmt]
    source = TableSource((str(path),), fmt)
    with DuckDBBackend() as duck:
        expected = analyse_source(source, SPEC, backend=duck)
    got = analyse_source(source, SPEC, backend=SparkBackend({}, session=spark.spark))
    assert_close(got, expected)
    assert got["rows"] == 3000 and got["attributes"][0]["unknown"] > 0


@pytest.mark.slow
def test_adult_fairness_on_spark_equals_duckdb(tmp_path: Path, spark: SparkBackend) -> None:
    realdata = _realdata()
    path = realdata.with_rule_prediction(realdata.adult(), tmp_path / "adult.csv")
    spec = FairnessSpec(
        prediction="predicted",
        label="income",
        label_positive=(">50K",),
        attributes=("sex", "race", "workclass"),
    )
    source = TableSource((str(path),), "csv")
    with DuckDBBackend() as duck:
        expected = analyse_source(source, spec, backend=duck)
    got = analyse_source(source, spec, backend=SparkBackend({}, session=spark.spark))
    assert_close(got, expected)
    assert got["rows"] == 32561
    workclass = got["attributes"][2]
    assert workclass["unknown"] == 1836  # the `?` cells, on both engines


# ---------------------------------------------------------------------- govgate.yaml, end to end


def test_check_with_backend_spark_reads_the_lake_and_names_the_backend(
    tmp_path: Path, spark: SparkBackend
) -> None:
    lake = tmp_path / "lake"
    lake.mkdir()
    paths = write_predictions(lake, 500, seed=5)
    (lake / "decisions.jsonl").write_bytes(chained(generated_records(50, seed=1)))
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "govgate.yaml").write_text(
        json.dumps(
            {
                "system": {"name": "loans", "risk": "high"},
                "packs": [],
                "backend": "spark",
                "backend_settings": {
                    "master": "local[2]",
                    "decision_logs": {"paths": [str(lake / "decisions.jsonl")]},
                    "predictions": {"credit": {"paths": [str(paths["parquet"])]}},
                },
                "collectors": {
                    "fairness": {
                        "analyses": [
                            {
                                "name": "credit",
                                "path": "unused.csv",
                                "prediction": "approved",
                                "attrs": ["sex"],
                            }
                        ]
                    }
                },
            }
        )
    )
    registry = build_registry(get_plugin_manager(["spark"]))
    from govgate.core.config import load_config

    config = load_config(repo)
    from govgate.analysis.aggregate import select_backend

    handle = select_backend(registry, config)
    assert handle.name == "spark" and not handle.opened
    collection = collect_evidence(
        registry,
        registry.kinds,
        {"decision_log.summary", "fairness.analysis"},
        repo,
        system=config.system,
        settings=config.collectors,
        now=NOW,
        backend=handle,
    )
    assert not collection.evidence.failed_collectors
    summary = collection.evidence.by_kind["decision_log.summary"][0]
    assert summary.data["backend"] == "spark" and summary.data["records"] == 50
    analysis = collection.evidence.by_kind["fairness.analysis"][0]
    assert analysis.data["backend"] == "spark" and analysis.data["rows"] == 500
    assert analysis.data["input_sha256"] is None
    # The collection closed the backend; the module's session (joined) is still alive.
    assert not handle.opened
    assert spark.spark.range(1).count() == 1


# ------------------------------------------------------------------------------------ failures


def test_a_missing_lake_path_fails_the_collector_with_one_line(
    tmp_path: Path, spark: SparkBackend
) -> None:
    missing = str(tmp_path / "nowhere" / "decisions.jsonl")
    handle = joined(spark, {"decision_logs": {"paths": [missing]}})
    with pytest.raises(AggregationError) as raised:
        collect_logs(tmp_path, handle)
    message = str(raised.value)
    assert "\n" not in message and "PATH_NOT_FOUND" in message and "nowhere" in message
    assert " at org." not in message


def test_a_missing_column_on_spark_is_an_error_naming_it(
    tmp_path: Path, spark: SparkBackend
) -> None:
    path = write_predictions(tmp_path, 50, seed=1)["parquet"]
    spec = FairnessSpec(prediction="approved", attributes=("gender",))
    with pytest.raises(AggregationError, match=r"attribute column 'gender' not found \(columns: "):
        analyse_source(
            TableSource((str(path),), "parquet"),
            spec,
            backend=SparkBackend({}, session=spark.spark),
        )


def test_parquet_files_whose_schemas_disagree_are_an_error(
    tmp_path: Path, spark: SparkBackend
) -> None:
    lake = tmp_path / "lake"
    lake.mkdir()
    pq.write_table(pa.Table.from_pylist([{"decision_id": "a", "score": 0.5}]), lake / "1.parquet")
    pq.write_table(
        pa.Table.from_pylist([{"decision_id": "b", "score": "high"}]), lake / "2.parquet"
    )
    handle = joined(spark, {"decision_logs": {"paths": [str(lake)], "format": "parquet"}})
    with pytest.raises(AggregationError) as raised:
        collect_logs(tmp_path, handle)
    message = str(raised.value)
    assert "\n" not in message and "score" in message.lower()


def test_a_failing_backend_makes_the_collectors_rules_error_not_pass(
    tmp_path: Path, spark: SparkBackend
) -> None:
    handle = joined(spark, {"decision_logs": {"paths": [str(tmp_path / "none.jsonl")]}})
    registry = build_registry(get_plugin_manager(["spark"]))
    collection = collect_evidence(
        registry,
        registry.kinds,
        {"decision_log.summary"},
        tmp_path,
        system={},
        settings={},
        now=NOW,
        backend=handle,
    )
    assert "PATH_NOT_FOUND" in collection.evidence.failed_collectors["decision_logs"]
    assert "decision_log.summary" not in collection.evidence.by_kind


@pytest.mark.parametrize(
    ("master", "expected"),
    [
        ("spark://127.0.0.1:9", "cannot reach the Spark master spark://127.0.0.1:9"),
        ("sparkk://cluster:7077", "is not a Spark master URL"),
    ],
)
def test_a_bad_master_fails_at_once_with_one_line(master: str, expected: str) -> None:
    started = time.perf_counter()
    with pytest.raises(AggregationError) as raised:
        SparkBackend({"master": master, "connect_timeout": 2})
    assert time.perf_counter() - started < 5
    assert expected in str(raised.value) and "\n" not in str(raised.value)


def test_an_unknown_setting_is_refused() -> None:
    with pytest.raises(AggregationError, match=r"backend_settings\.mastr: not a spark setting"):
        SparkBackend({"mastr": "local[2]"})


def test_a_misspelled_backend_setting_is_exit_2_before_spark_starts(tmp_path: Path) -> None:
    (tmp_path / "govgate.yaml").write_text(
        "system: {name: loans, risk: high}\npacks: [audit-trail]\nbackend: spark\n"
        "backend_settings:\n  mastr: local[1]\n"
        "  decision_logs: {paths: [s3a://lake/decisions/], fromat: jsonl}\n"
    )
    options = CheckOptions(root=tmp_path, use_locker=False, plugin_options=("spark",))
    with pytest.raises(InputErrors) as raised:
        run_check(options)
    assert str(raised.value).splitlines() == [
        "govgate.yaml:5: $.backend_settings.mastr: unknown key 'mastr'; did you mean 'master'?",
        "govgate.yaml:6: $.backend_settings.decision_logs.fromat: unknown key 'fromat'; "
        "did you mean 'format'?",
    ]


def test_run_check_with_an_unreachable_master_errors_the_rules(tmp_path: Path) -> None:
    (tmp_path / "govgate.yaml").write_text(
        "system: {name: loans, risk: high}\npacks: [audit-trail]\nbackend: spark\n"
        "backend_settings:\n  master: spark://127.0.0.1:9\n  connect_timeout: 1\n"
        "  decision_logs: {paths: [s3a://lake/decisions/], format: jsonl}\n"
    )
    options = CheckOptions(root=tmp_path, use_locker=False, plugin_options=("spark",))
    outcome = run_check(options)
    errored = [f for f in outcome.findings if f.status == "error"]
    assert errored, "rules that needed decision-log evidence must be error"
    assert any("cannot reach the Spark master" in (f.message or "") for f in errored)
    assert outcome.result["gate"] == "fail"


def _decision_log_files() -> Any:
    spec = importlib.util.spec_from_file_location(
        "decision_log_files", ROOT / "tests" / "decision_log_files.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_renamed_nested_log_through_fields_gives_duckdbs_figures_on_spark(
    tmp_path: Path, spark: SparkBackend
) -> None:
    # Mixed timestamps, re-emitted records, truncated lines; renamed and nested fields.
    files = _decision_log_files()
    plain, truth = files.real_shaped_log(seed=5)
    mapped, _ = files.real_shaped_log(seed=5, mapped=True)
    (tmp_path / "logs" / "decisions").mkdir(parents=True)
    (tmp_path / "logs" / "decisions" / "a.jsonl").write_bytes(plain)
    lake = tmp_path / "lake" / "a.jsonl"
    lake.parent.mkdir()
    lake.write_bytes(mapped)

    def summary(settings: dict[str, Any], backend: BackendHandle | None) -> dict[str, Any]:
        collector = DecisionLogsCollector()
        ctx = CollectContext(
            root=tmp_path,
            collector=collector.name,
            collector_version=collector.version,
            kinds=list(collector.kinds),
            settings=settings,
            system={},
            files=RepoFiles(tmp_path),
            now=NOW,
            backend=backend,
        )
        items = list(collector.collect(ctx))
        return next(item.data for item in items if item.kind == "decision_log.summary")

    expected = summary({}, None)
    handle = joined(spark, {"decision_logs": {"paths": [str(lake)], "format": "jsonl"}})
    got = summary({"fields": files.MAPPED_FIELDS}, handle)

    assert expected["records"] == truth["records"]
    assert expected["counts"]["repeated_record"]["count"] == len(truth["repeated_lines"])
    rename = {str(lake): "logs/decisions/a.jsonl"}
    want = without_lake_fields(expected, {})
    have = without_lake_fields(got, rename)
    # The parser's detail of an invalid line needs its bytes in govgate (reported as such).
    for entry in want["malformed"]["first"]:
        entry["reason"] = "invalid JSON"
    # The renamed fields are named both ways in messages; PII samples are the same values.
    assert_close(have, want)
