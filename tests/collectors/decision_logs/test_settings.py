"""`collectors.decision_logs` settings: what they change in the summary, and typos refused."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from govgate_collectors.decision_logs import DecisionLogsCollector

from govgate.core.collector import CollectContext, RepoFiles
from govgate.support.errors import CollectorError

from conftest import CliResult, RepoBuilder
from decision_log_files import NOW, record, run, write


def test_retention_high_risk_types_and_required_fields_come_from_settings(tmp_path: Path) -> None:
    write(
        tmp_path,
        "logs/decisions/old.jsonl",
        b"".join(
            json.dumps(r).encode() + b"\n"
            for r in [
                record(1, "2020-01-01T00:00:00Z", "marketing_offer"),
                record(2, "2026-03-01T00:00:00Z", "marketing_offer", human_review={}),
            ]
        ),
    )
    system = {"decision_types": [{"name": "marketing_offer", "risk_tier": "high"}]}
    collector = DecisionLogsCollector()
    ctx = CollectContext(
        root=tmp_path,
        collector=collector.name,
        collector_version=collector.version,
        kinds=list(collector.kinds),
        settings={"retention_max_days": 365, "required_fields": ["legal_basis", "output"]},
        system=system,
        files=RepoFiles(tmp_path),
        now=NOW,
    )
    data = next(iter(collector.collect(ctx))).data

    assert data["retention"] == {"max_days": 365, "records_over": 1}
    assert data["high_risk"]["types"] == ["marketing_offer"]  # from govgate.yaml system
    assert data["high_risk"]["records"] == 2
    assert data["high_risk"]["with_reviewer"] == 0
    assert data["missing_required"] == {"legal_basis": 2, "output": 0}
    assert data["oldest_record_age_days"] == 2282.0


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"required_fields": ["decision_id", "reviewer"]}, "unknown field 'reviewer'"),
        ({"memory_limit": "lots"}, "is not a size such as 256MB"),
        ({"gap_hours": "soon"}, "must be numbers"),
        ({"jsonl_reader": "pandas"}, "is not one of duckdb, python"),
    ],
)
def test_bad_settings_fail_the_collector_with_the_key(
    tmp_path: Path, settings: dict[str, Any], message: str
) -> None:
    with pytest.raises(CollectorError, match=message) as raised:
        run(tmp_path, settings)
    assert "collectors.decision_logs." in str(raised.value)


@pytest.mark.parametrize(
    ("section", "line", "expected"),
    [
        (
            "    path: logs/x.jsonl\n",
            6,
            "decision_logs.path: unknown key 'path'; did you mean 'paths'?",
        ),
        (
            "    logs:\n      - paths: [a.jsonl]\n        field: {decision_id: id}\n",
            8,
            "decision_logs.logs[0].field: unknown key 'field'; did you mean 'fields'?",
        ),
        # A name that is no field name or dotted path is refused before anything is read.
        (
            "    fields:\n      decision_id: 'request id'\n",
            7,
            "decision_logs.fields.decision_id: 'request id' does not match",
        ),
    ],
)
def test_a_misspelled_decision_logs_key_is_exit_2_naming_the_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, section: str, line: int, expected: str
) -> None:
    from click.testing import CliRunner

    from govgate.cli.main import main

    (tmp_path / "govgate.yaml").write_text(
        "version: 1\nsystem: {name: s, risk: high}\npacks: [audit-trail]\n"
        "collectors:\n  decision_logs:\n" + section
    )
    monkeypatch.chdir(tmp_path)

    result = CliRunner().invoke(main, ["check", "--no-cache"])

    assert result.exit_code == 2
    assert f"govgate.yaml:{line}: $.collectors.{expected}" in result.output


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"decision_id": "id", "timestamp": "id"},
            "fields: decision_id and timestamp would both read 'id' (decision_id is mapped to "
            "it, timestamp is mapped to it); map each field to its own name in the log",
        ),
        # A field left out of `fields:` keeps its own name: mapping another one to that name
        # makes both read it (the review timestamp would be the decision's own, never earlier).
        (
            {"human_review.timestamp": "timestamp", "human_review.reviewer_id": "system_id"},
            "fields: system_id and human_review.reviewer_id would both read 'system_id' "
            "(system_id keeps its own name, human_review.reviewer_id is mapped to it); timestamp "
            "and human_review.timestamp would both read 'timestamp' (timestamp keeps its own "
            "name, human_review.timestamp is mapped to it); map each field to its own name",
        ),
        (
            {"human_review.reviewer_id": "system_id"},
            "system_id and human_review.reviewer_id would both read 'system_id'",
        ),
        # A member left unmapped follows its mapped human_review object.
        ({"human_review": "review", "output": "review.action"}, "would both read 'review.action'"),
        ({"logs": [{"paths": ["x/*.jsonl"], "fields": {"score": "threshold"}}]}, "logs[0].fields"),
        ({"decision_id": "a..b"}, "is not a field name or dotted path"),
    ],
)
def test_a_fields_mapping_that_cannot_be_read_one_way_is_refused(
    tmp_path: Path, fields: dict[str, str], message: str
) -> None:
    write(tmp_path, "logs/decisions/a.jsonl", b"{}\n")
    settings = fields if "logs" in fields else {"fields": fields}
    with pytest.raises(CollectorError, match=re.escape(message)):
        run(tmp_path, settings)


def test_a_forged_review_mapping_fails_the_gate_and_every_mapping_is_said(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult]
) -> None:
    """The reviewer's case: a review "timestamped" with the decision's own time and "signed" by
    the system id would satisfy the review-order rule; the mapping is refused instead."""
    line = {
        **record(1, "2026-03-01T10:00:00Z", "credit_decision"),
        "human_review": {
            "required": True,
            "action": "approve",
            "timestamp": "2026-03-01T09:00:00Z",
        },
    }
    config = (
        "system: {name: s, risk: high}\npacks: [human-oversight]\n"
        "collectors:\n  decision_logs:\n    high_risk_types: [credit_decision]\n"
        "    fields: {FIELDS}\n"
    )
    forged = "{human_review.timestamp: timestamp, human_review.reviewer_id: system_id}"
    repo = make_repo(
        {
            "govgate.yaml": config.replace("{FIELDS}", forged),
            "logs/decisions/a.jsonl": json.dumps(line) + "\n",
        }
    )
    done = run_cli("check", repo.path, "--no-locker", "--format", "json")
    result = json.loads(done.stdout)
    [order] = [f for f in result["findings"] if f["rule"] == "HO-3.review-after-decision"]
    assert order["status"] == "error"
    assert "timestamp and human_review.timestamp would both read 'timestamp'" in order["message"]
    assert (result["gate"], done.exit_code) == ("fail", 1)
    # An honest mapping reads, and is said on every run.
    repo.write({"govgate.yaml": config.replace("{FIELDS}", "{decision_id: id}")})
    line["id"] = line.pop("decision_id")
    repo.write({"logs/decisions/a.jsonl": json.dumps(line) + "\n"}).commit("map the id")
    result = json.loads(run_cli("check", repo.path, "--no-locker", "--format", "json").stdout)
    said = [d["message"] for d in result["diagnostics"] if d["collector"] == "decision_logs"]
    assert "govgate.yaml collectors.decision_logs.fields: decision_id <- id" in said
    [order] = [f for f in result["findings"] if f["rule"] == "HO-3.review-after-decision"]
    assert order["status"] == "fail"  # the review predates the decision, read as written


def test_a_csv_log_is_read_through_fields_with_nested_headers(tmp_path: Path) -> None:
    content = (
        "id,ts,meta.type,meta.tier,review.by,review.act,why\n"
        "d-1,1772355600000,credit_decision,high,rev-1,approve,income;tenure\n"
        "d-2,2026-03-01 10:00:00,credit_decision,high,,,\n"
        "d-3,2026-03-01T11:00:00Z,marketing_offer,minimal,,,offer\n"
    )
    write(tmp_path, "logs/decisions/a.csv", content.encode())
    fields = {
        "decision_id": "id",
        "timestamp": "ts",
        "decision_type": "meta.type",
        "risk_tier": "meta.tier",
        "human_review.reviewer_id": "review.by",
        "human_review.action": "review.act",
        "reasons": "why",
    }

    data, _, _, _ = run(tmp_path, {"fields": fields})

    assert data["records"] == 3
    assert data["malformed"]["count"] == 0
    assert data["high_risk"]["records"] == 2
    assert data["high_risk"]["reviewed_share"] == 0.5
    assert data["timestamps"]["formats"]["epoch_ms"] == 1
    assert data["timestamps"]["formats"]["space_local"] == 1
    assert data["counts"]["missing_reasons"]["first"] == [
        {"path": "logs/decisions/a.csv", "line": 3}
    ]


def test_a_file_matched_by_two_logs_entries_is_read_the_first_ones_way(tmp_path: Path) -> None:
    item = {"id": "d-1", "ts": "2026-03-01T09:00:00Z"}
    write(tmp_path, "logs/decisions/a.jsonl", (json.dumps(item) + "\n").encode())
    first = {
        "paths": ["logs/decisions/a.jsonl"],
        "fields": {"decision_id": "id", "timestamp": "ts"},
    }
    second = {"paths": ["logs/decisions/*.jsonl"]}

    data, _, _, _ = run(tmp_path, {"logs": [first, second]})
    swapped, _, _, _ = run(tmp_path, {"logs": [second, first]})

    assert data["field_coverage"]["decision_id"] == 1.0
    assert swapped["field_coverage"]["decision_id"] == 0.0
