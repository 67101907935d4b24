"""A decision log as real services write it, against the truth counted while writing it:
mixed timestamp formats, re-emitted records, truncated lines, reviews before decisions and
missing reasons, with no setting beyond `paths`; and the same log renamed and nested, read
through `fields:`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from govgate_collectors.decision_logs import DecisionLogsCollector

from govgate.core.collector import CollectContext, RepoFiles

from decision_log_files import MAPPED_FIELDS, NOW, real_shaped_log, write

PATH = "logs/service/decisions.jsonl"


def collect(root: Path, settings: dict[str, Any]) -> dict[str, Any]:
    collector = DecisionLogsCollector()
    ctx = CollectContext(
        root=root,
        collector=collector.name,
        collector_version=collector.version,
        kinds=list(collector.kinds),
        settings=settings,
        system={},
        files=RepoFiles(root),
        now=NOW,
    )
    items = list(collector.collect(ctx))
    return next(item.data for item in items if item.kind == "decision_log.summary")


def at(lines: list[int]) -> list[dict[str, Any]]:
    return [{"path": PATH, "line": line} for line in lines[:5]]


def assert_truth(data: dict[str, Any], truth: dict[str, Any]) -> None:
    assert data["records"] == truth["records"]
    assert data["malformed"]["count"] == len(truth["malformed_lines"])
    assert [m["line"] for m in data["malformed"]["first"]] == truth["malformed_lines"]
    assert data["counts"]["repeated_record"] == {
        "count": len(truth["repeated_lines"]),
        "of": "lines",
        "of_count": truth["lines"],
        "first": at(truth["repeated_lines"]),
    }
    assert data["duplicate_ids"]["count"] == truth["duplicate_ids"]
    assert data["conflicts"]["count"] == 0
    assert data["high_risk"]["records"] == truth["high_risk"]
    assert data["high_risk"]["with_reviewer"] == truth["reviewed"]
    assert data["high_risk"]["reviewed_share"] == round(truth["reviewed"] / truth["high_risk"], 6)
    assert data["high_risk"]["review_before_decision"] == len(truth["review_before_decision"])
    for name in ("missing_reasons", "review_before_decision"):
        assert data["counts"][name]["count"] == len(truth[name]), name
        assert data["counts"][name]["first"] == at(truth[name]), name
    assert data["counts"]["high_risk_not_reviewed"]["count"] == len(truth["not_reviewed"])
    assert data["counts"]["high_risk_not_reviewed"]["of_count"] == truth["high_risk"]
    assert data["counts"]["high_risk_not_reviewed"]["first"] == at(truth["not_reviewed"])
    assert data["reasons_share"] == round(
        (truth["records"] - len(truth["missing_reasons"])) / truth["records"], 6
    )
    assert data["time_range"] == {
        "first": truth["first"].strftime("%Y-%m-%dT%H:%M:%SZ"),
        "last": truth["last"].strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    assert data["timestamps"]["formats"] == truth["formats"]
    offsetless = truth["formats"]["iso_local"] + truth["formats"]["space_local"]
    assert data["timestamps"]["without_offset"] == offsetless
    assert data["counts"]["timestamp_without_offset"]["count"] == offsetless


def test_a_real_shaped_log_gives_the_truth_with_only_paths_set(tmp_path: Path) -> None:
    content, truth = real_shaped_log(seed=5)
    write(tmp_path, PATH, content)
    # The generator made every defect it promises.
    assert truth["malformed_lines"] and truth["repeated_lines"]
    assert truth["review_before_decision"] and truth["missing_reasons"]
    assert truth["formats"]["epoch_ms"] and truth["formats"]["iso_local"]

    data = collect(tmp_path, {"paths": [PATH]})

    assert_truth(data, truth)


def test_the_same_log_renamed_and_nested_gives_the_same_figures_through_fields(
    tmp_path: Path,
) -> None:
    content, truth = real_shaped_log(seed=5, mapped=True)
    write(tmp_path, PATH, content)

    data = collect(tmp_path, {"paths": [PATH], "fields": MAPPED_FIELDS})

    assert_truth(data, truth)
    # Without the mapping nothing is recognised: not a silent pass.
    unmapped = collect(tmp_path, {"paths": [PATH]})
    assert unmapped["field_coverage"]["decision_id"] == 0.0


def test_a_logs_entry_reads_its_files_its_own_way(tmp_path: Path) -> None:
    content, truth = real_shaped_log(seed=5, mapped=True)
    write(tmp_path, PATH, content)

    data = collect(tmp_path, {"paths": [], "logs": [{"paths": [PATH], "fields": MAPPED_FIELDS}]})

    assert_truth(data, truth)


def test_the_worked_example_of_the_documentation(tmp_path: Path) -> None:
    common = {
        "system_id": "pay",
        "model_name": "m",
        "model_version": "2",
        "input_hash": "0" * 64,
        "output": "approve",
        "final_outcome": "approve",
    }
    high = {"type": "credit_decision", "tier": "high"}
    low = {"type": "marketing_offer", "tier": "minimal"}
    lines = [
        {
            "id": "d-1",
            "ts": "2026-03-01T09:00:00Z",
            "meta": high,
            "review": {
                "required": True,
                "by": "rev-7",
                "act": "approve",
                "at": "2026-03-01T09:05:00Z",
            },
            "why": ["stable_income"],
            **common,
        },
        {
            "id": "d-2",
            "ts": "2026-03-01 10:00:00",
            "meta": high,
            "review": {"required": True, "by": " "},
            **common,
        },
        {"id": "d-3", "ts": 1772359200000, "meta": low, "review": {"required": False}, **common},
    ]
    import json

    text = [json.dumps(line) for line in lines]
    text.append(text[-1])
    write(tmp_path, "logs/service/decisions.jsonl", ("\n".join(text) + "\n").encode())
    settings = {
        "paths": ["logs/service/decisions.jsonl"],
        "timezone": "Europe/Berlin",
        "fields": {
            "decision_id": "id",
            "timestamp": "ts",
            "decision_type": "meta.type",
            "risk_tier": "meta.tier",
            "human_review.required": "review.required",
            "human_review.reviewer_id": "review.by",
            "human_review.action": "review.act",
            "human_review.timestamp": "review.at",
            "reasons": "why",
        },
    }

    data = collect(tmp_path, settings)

    where = "logs/service/decisions.jsonl"
    assert data["records"] == 3
    assert data["counts"]["repeated_record"]["count"] == 1
    assert data["counts"]["repeated_record"]["of_count"] == 4
    assert data["timestamps"]["formats"] == {
        "rfc3339": 1,
        "iso_local": 0,
        "space_local": 1,
        "epoch_s": 0,
        "epoch_ms": 1,
        "epoch_us": 0,
    }
    assert data["time_range"] == {"first": "2026-03-01T09:00:00Z", "last": "2026-03-01T10:00:00Z"}
    assert data["high_risk"]["records"] == 2
    assert data["high_risk"]["reviewed_share"] == 0.5
    assert data["counts"]["high_risk_not_reviewed"]["first"] == [{"path": where, "line": 2}]
    assert data["counts"]["review_fields_unusable"]["first"] == [{"path": where, "line": 2}]
    unmapped = collect(tmp_path, {"paths": settings["paths"]})
    assert unmapped["field_coverage"]["decision_id"] == 0.0


@pytest.mark.slow
def test_the_same_records_in_parquet_give_the_same_figures_through_fields(
    tmp_path: Path,
) -> None:
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    content, truth = real_shaped_log(seed=5, mapped=True)
    rows = []
    for line in content.splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue  # a truncated line has no Parquet row
        row["ts"] = str(row["ts"])  # a Parquet column has one type: epoch ms as text
        rows.append(row)
    keys = sorted({key for row in rows for key in row})
    table = pa.Table.from_pylist([{key: row.get(key) for key in keys} for row in rows])
    target = tmp_path / "logs" / "decisions" / "a.parquet"
    target.parent.mkdir(parents=True)
    pq.write_table(table, target)

    data = collect(tmp_path, {"fields": MAPPED_FIELDS})

    assert data["records"] == truth["records"]
    assert data["malformed"]["count"] == 0
    assert data["counts"]["repeated_record"]["count"] == len(truth["repeated_lines"])
    assert data["high_risk"]["records"] == truth["high_risk"]
    assert data["high_risk"]["with_reviewer"] == truth["reviewed"]
    assert data["counts"]["missing_reasons"]["count"] == len(truth["missing_reasons"])
    assert data["counts"]["review_before_decision"]["count"] == len(truth["review_before_decision"])
    assert data["timestamps"]["formats"] == truth["formats"]
    assert data["time_range"]["first"] == truth["first"].strftime("%Y-%m-%dT%H:%M:%SZ")
    # Rows, not lines: no line numbers, and no chain to verify; both said so.
    assert data["counts"]["missing_reasons"]["first"][0]["line"] is None
    assert data["hash_chain"]["verified"] is None
    assert set(data["not_computed"]) == {
        "malformed.first.line",
        "counts.first.line",
        "hash_chain.verified",
    }
