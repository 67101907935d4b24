"""Decision-log lines read one way only: repeated keys are malformed, and a high-risk record
whose review fields are blank or mistyped stays in the reviewed-share denominator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from decision_log_files import record, run, write


def _line(item: dict[str, Any]) -> bytes:
    return json.dumps(item).encode()


def test_a_repeated_key_makes_the_line_malformed_and_names_the_key(tmp_path: Path) -> None:
    reviewed = record(1, "2026-03-01T09:00:00Z")
    body = json.dumps({k: v for k, v in reviewed.items() if k != "human_review"})[:-1]
    # Python's json reads the last value (not reviewed); the first one says reviewed.
    twice_top = (
        body + ', "human_review": {"required": true, "reviewer_id": "rev-7", "action": "approve"'
        ', "timestamp": "2026-03-01T09:00:00Z"}, "human_review": {"required": true}}'
    ).encode()
    inner = record(2, "2026-03-01T10:00:00Z")
    body2 = json.dumps({k: v for k, v in inner.items() if k != "human_review"})[:-1]
    twice_inner = (
        body2 + ', "human_review": {"required": true, "reviewer_id": "rev-7", '
        '"reviewer_id": "", "action": "approve"}}'
    ).encode()
    assert json.loads(twice_top)["human_review"] == {"required": True}
    content = b"\n".join([_line(record(3, "2026-03-01T11:00:00Z")), twice_top, twice_inner])
    write(tmp_path, "logs/decisions/a.jsonl", content + b"\n")

    data, _, _, _ = run(tmp_path)

    assert data["records"] == 1
    assert data["malformed"]["count"] == 2
    assert [(m["line"], m["reason"]) for m in data["malformed"]["first"]] == [
        (2, "key human_review occurs twice; JSON readers disagree on which value counts"),
        (
            3,
            "key human_review.reviewer_id occurs twice; JSON readers disagree on which value "
            "counts",
        ),
    ]


@pytest.mark.parametrize(
    ("review", "issue"),
    [
        ({"required": True, "reviewer_id": " ", "action": "approve"}, "reviewer_id"),
        ({"required": True, "reviewer_id": "", "action": "approve"}, "reviewer_id"),
        ({"required": True, "reviewer_id": 0, "action": "approve"}, "reviewer_id"),
        ({"required": True, "reviewer_id": "rev-7", "action": 7}, "action"),
        ({"required": True, "reviewer_id": "rev-7", "action": "  "}, "action"),
        ({"required": "yes", "reviewer_id": "rev-7"}, "required"),
        ("approved", "human_review"),
    ],
)
def test_a_high_risk_record_with_unusable_review_fields_counts_as_not_reviewed(
    tmp_path: Path, review: Any, issue: str
) -> None:
    lines = [
        _line(record(1, "2026-03-01T09:00:00Z")),
        _line(record(2, "2026-03-01T10:00:00Z", human_review=review)),
    ]
    write(tmp_path, "logs/decisions/a.jsonl", b"\n".join(lines) + b"\n")

    data, _, _, _ = run(tmp_path)

    # Both records count; the second is high-risk and not reviewed: the share is 1 of 2.
    assert data["malformed"]["count"] == 0
    assert data["records"] == 2
    assert data["high_risk"]["records"] == 2
    assert data["high_risk"]["reviewed_share"] == 0.5
    assert data["counts"]["review_fields_unusable"]["count"] == 1, issue


def test_an_unreadable_review_timestamp_is_counted_and_not_compared(tmp_path: Path) -> None:
    review = {"required": True, "reviewer_id": "rev-7", "action": "approve", "timestamp": "soon"}
    lines = [
        _line(record(1, "2026-03-01T09:00:00Z")),
        _line(record(2, "2026-03-01T10:00:00Z", human_review=review)),
    ]
    write(tmp_path, "logs/decisions/a.jsonl", b"\n".join(lines) + b"\n")

    data, _, _, _ = run(tmp_path)

    assert data["malformed"]["count"] == 0
    assert data["high_risk"]["reviewed_share"] == 1.0  # reviewer and action are there
    assert data["high_risk"]["review_before_decision"] == 0
    assert data["counts"]["review_fields_unusable"]["count"] == 1
    assert data["counts"]["review_fields_unusable"]["first"] == [
        {"path": "logs/decisions/a.jsonl", "line": 2}
    ]


def test_a_repeated_key_on_the_way_to_a_mapped_nested_field_makes_the_line_malformed(
    tmp_path: Path,
) -> None:
    # `fields:` reads the decision time from meta.at: a second `at` inside `meta` (or a second
    # `meta`) is the same ambiguity as a repeated top-level key, one level down.
    def nested(n: int, body: str) -> bytes:
        item = record(n, "2026-03-01T09:00:00Z")
        del item["timestamp"]
        return (json.dumps(item)[:-1] + f', "meta": {body}}}').encode()

    lines = [
        nested(1, '{"at": "2026-03-01T09:00:00Z"}'),
        nested(2, '{"at": "2019-01-01T00:00:00Z", "at": "2026-03-01T10:00:00Z"}'),
        nested(3, '{"at": "2026-03-01T11:00:00Z"}, "meta": {"at": "2019-01-01T00:00:00Z"}'),
    ]
    assert json.loads(lines[1])["meta"]["at"] == "2026-03-01T10:00:00Z"
    write(tmp_path, "logs/decisions/a.jsonl", b"\n".join(lines) + b"\n")

    data, _, _, _ = run(tmp_path, {"fields": {"timestamp": "meta.at"}})

    assert data["records"] == 1
    assert [(m["line"], m["reason"]) for m in data["malformed"]["first"]] == [
        (2, "key meta.at occurs twice; JSON readers disagree on which value counts"),
        (3, "key meta occurs twice; JSON readers disagree on which value counts"),
    ]
