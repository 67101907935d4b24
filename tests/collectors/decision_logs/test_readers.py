"""The lines path: CSV logs (plain and gzip) and JSONL split by Python give the numbers
DuckDB's JSONL reader gives, with malformed rows at their lines."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path
from typing import Any

import pytest

from decision_log_files import chained, defect_log, record, run, write


def to_csv(records: list[dict[str, Any]]) -> bytes:
    columns = [
        "decision_id",
        "timestamp",
        "system_id",
        "model_name",
        "model_version",
        "decision_type",
        "risk_tier",
        "input_hash",
        "output",
        "score",
        "reasons",
        "human_review.required",
        "human_review.reviewer_id",
        "human_review.action",
        "human_review.timestamp",
        "final_outcome",
        "subject_ref",
    ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # as Excel writes it
    writer.writerow(columns)
    for item in records:
        row = []
        for column in columns:
            if column.startswith("human_review."):
                value = item.get("human_review", {}).get(column.split(".", 1)[1])
            else:
                value = item.get(column)
            if isinstance(value, list):
                value = ";".join(value)
            row.append("" if value is None else str(value).lower() if value is True else value)
        writer.writerow(row)
    return ("\ufeff" + out.getvalue()).encode()


def test_csv_gzip_and_jsonl_give_the_same_numbers(tmp_path: Path) -> None:
    records = [
        record(1, "2026-03-01T09:00:00Z"),
        record(2, "2026-03-01T10:00:00Z", "marketing_offer", reasons=[]),
        record(3, "2026-03-03T10:00:00Z", human_review={"required": True}),
        record(1, "2026-03-04T00:00:00Z", subject_ref=...),
    ]
    jsonl = b"".join(json.dumps(r).encode() + b"\n" for r in records)
    roots = {}
    for name, rel, content in [
        ("jsonl", "logs/decisions/x.jsonl", jsonl),
        ("jsonl.gz", "logs/decisions/x.jsonl.gz", gzip.compress(jsonl)),
        ("csv", "logs/decisions/x.csv", to_csv(records)),
        ("csv.gz", "logs/decisions/x.csv.gz", gzip.compress(to_csv(records))),
    ]:
        roots[name] = tmp_path / name
        write(roots[name], rel, content)

    results = {name: run(root)[0] for name, root in roots.items()}

    keys = [
        "records",
        "duplicate_ids",
        "time_range",
        "gaps",
        "by_decision_type",
        "high_risk",
        "reasons_share",
        "missing_required",
    ]
    expected = {key: results["jsonl"][key] for key in keys}
    assert expected["records"] == 4
    assert expected["high_risk"]["reviewed_share"] == round(2 / 3, 6)
    for name in ("jsonl.gz", "csv", "csv.gz"):
        assert {key: results[name][key] for key in keys} == expected, name
        assert results[name]["malformed"]["count"] == 0, name


def test_csv_rows_with_the_wrong_shape_are_malformed_with_their_lines(tmp_path: Path) -> None:
    content = (
        b"decision_id,timestamp,decision_type,score\r\n"
        b"a1,2026-03-01T09:00:00Z,credit_decision,0.5\r\n"
        b"\r\n"
        b"a2,2026-03-01T10:00:00Z,credit_decision\r\n"  # a field short
        b'a3,2026-03-01T11:00:00Z,"credit\r\ndecision",0.5\r\n'  # quoted newline: 2 lines
        b"a4,not a date,credit_decision,0.5\r\n"
        b"a5,2026-03-01T12:00:00Z,credit_decision,high\r\n"
        b"a6,2026-03-01T13:00:00Z,cr\xe9dit,0.5\r\n"  # Latin-1, not UTF-8
    )
    write(tmp_path, "logs/decisions/export.csv", content)

    data, _, _, _ = run(tmp_path)

    assert data["records"] == 2  # a1 and a3
    assert [(m["line"], m["reason"]) for m in data["malformed"]["first"]] == [
        (3, "blank line"),
        (4, "expected 4 fields (the header's), found 3"),
        (
            7,
            "timestamp must be a date-time (RFC 3339, ISO 8601, YYYY-MM-DD HH:MM:SS, "
            "epoch s/ms/µs 2000-2099)",
        ),
        (8, "score must be a number"),
        (9, "not valid UTF-8; save the log as UTF-8"),
    ]


def test_the_python_line_reader_agrees_with_duckdbs(tmp_path: Path) -> None:
    write(tmp_path, "logs/decisions/2026-03.jsonl", chained(defect_log(), endings={1: b"\r\n"}))

    fast, _, _, _ = run(tmp_path)
    slow, _, _, _ = run(tmp_path, {"jsonl_reader": "python"})

    assert slow == fast


@pytest.mark.slow
def test_a_line_too_long_for_duckdbs_reader_is_read_line_by_line(tmp_path: Path) -> None:
    # DuckDB's reader stops at lines over 32 MB; Python splits any line that fits in memory.
    huge = record(2, "2026-03-01T10:00:00Z", reasons=["x" * (33 << 20)])
    lines: list[bytes | dict[str, Any]] = [
        record(1, "2026-03-01T09:00:00Z"),
        huge,
        b"",
        b"{not json",
        record(3, "2026-03-01T11:00:00Z"),
    ]
    write(tmp_path, "logs/decisions/a.jsonl", chained(lines))

    # 2GB: the line is parsed once for its values and once for its keys (repeated keys).
    data, _, _, ctx = run(tmp_path, {"memory_limit": "2GB"})

    assert data["records"] == 3
    assert data["hash_chain"]["first_break"] == {"path": "logs/decisions/a.jsonl", "line": 4}
    assert [(m["line"], m["reason"]) for m in data["malformed"]["first"]] == [
        (3, "blank line"),
        (4, "invalid JSON: Expecting property name enclosed in double quotes (column 2)"),
    ]
    assert not [d for d in ctx.diagnostics if d.level == "error"]


@pytest.mark.slow
def test_a_line_too_long_for_the_default_memory_limit_makes_its_file_unreadable(
    tmp_path: Path,
) -> None:
    # docs/collectors/decision_logs.md: at the default memory_limit (256MB) a line of tens of
    # megabytes cannot be read; the file is reported once, naming the setting to raise.
    huge = record(2, "2026-03-01T10:00:00Z", reasons=["x" * (33 << 20)])
    write(tmp_path, "logs/decisions/a.jsonl", chained([record(1, "2026-03-01T09:00:00Z"), huge]))
    write(tmp_path, "logs/decisions/b.jsonl", chained([record(3, "2026-03-02T09:00:00Z")]))

    data, _, _, ctx = run(tmp_path)

    errors = [d for d in ctx.diagnostics if d.level == "error"]
    assert len(errors) == 1
    assert errors[0].path == "logs/decisions/a.jsonl"
    assert "raise collectors.decision_logs.memory_limit" in errors[0].message
    # the file is counted as malformed, not dropped; the other file's record is still read
    assert data["malformed"]["count"] == 1
    assert data["malformed"]["first"][0]["path"] == "logs/decisions/a.jsonl"
    assert (data["files"], data["records"]) == (2, 1)
