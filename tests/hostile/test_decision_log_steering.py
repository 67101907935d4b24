"""Decision-log lines that would steer the verdict: a repeated key read one way by govgate and
another by other JSON readers, review fields that are present but unusable, and records dated
in the future. Each one fails the rule it was meant to pass."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from conftest import CliResult, RepoBuilder

PACK = """\
pack: logs
version: 1.0.0
title: Decision logs
requirements:
  - {id: L-1, title: Reviewed and current, source: {framework: T, ref: "1"}}
controls:
  - {id: LC-1, title: The log shows review, satisfies: [L-1]}
rules:
  - id: LC-1.well-formed
    control: LC-1
    severity: high
    evidence: decision_log.summary
    assert: {path: malformed.count, op: eq, value: 0}
    message: "{actual} malformed lines; first: {data.malformed.first.0.reason}"
    remediation: fix the writer
  - id: LC-1.reviewed
    control: LC-1
    severity: high
    evidence: decision_log.summary
    assert: {path: high_risk.reviewed_share, op: ge, value: 1}
    message: "reviewed share {actual} of {data.high_risk.records}"
    remediation: review every high-risk decision
  - id: LC-1.current
    control: LC-1
    severity: high
    evidence: decision_log.summary
    assert: {path: age_of_newest_days, op: le, value: 30}
    message: "the newest decision is {actual} days old"
    remediation: keep logging
"""


def record(n: int, when: datetime, review: Any) -> dict[str, Any]:
    return {
        "decision_id": f"d-{n}",
        "timestamp": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "decision_type": "credit_decision",
        "risk_tier": "high",
        "human_review": review,
        "reasons": ["income"],
    }


REVIEWED = {"required": True, "reviewer_id": "rev-1", "action": "approve"}


@pytest.fixture
def checked(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult]
) -> Callable[[bytes], tuple[int, dict[str, dict[str, Any]], dict[str, Any]]]:
    def run(log: bytes) -> tuple[int, dict[str, dict[str, Any]], dict[str, Any]]:
        repo = make_repo(
            {
                "govgate.yaml": "system: {name: x, risk: high}\npacks: [./packs/logs]\n",
                "packs/logs/pack.yaml": PACK,
                "logs/decisions/a.jsonl": log,
            }
        )
        repo.commit()
        result = run_cli("check", repo.path, "--no-locker", "--format", "json")
        document = json.loads(result.stdout)
        by_rule = {f["rule"]: f for f in document["findings"]}
        summary = next(e for e in document["evidence"] if e["kind"] == "decision_log.summary")
        return result.exit_code, by_rule, summary["data"]

    return run


NOW = datetime.now(UTC).replace(microsecond=0)


def lines(*items: dict[str, Any] | bytes) -> bytes:
    return b"".join((i if isinstance(i, bytes) else json.dumps(i).encode()) + b"\n" for i in items)


@pytest.mark.slow
def test_a_repeated_human_review_key_is_malformed_not_reviewed(
    checked: Callable[[bytes], tuple[int, dict[str, dict[str, Any]], dict[str, Any]]],
    reliability: Any,
) -> None:
    body = json.dumps(record(2, NOW - timedelta(hours=1), REVIEWED))[:-1]
    # Python's json (and most readers) keep the last value: not reviewed.
    twice = (body + ', "human_review": {"required": true}}').encode()
    assert json.loads(twice)["human_review"] == {"required": True}

    code, by_rule, data = checked(lines(record(1, NOW - timedelta(hours=2), REVIEWED), twice))

    assert code == 1
    well_formed = by_rule["LC-1.well-formed"]
    assert well_formed["status"] == "fail"
    assert "key human_review occurs twice" in well_formed["message"]
    assert data["malformed"]["first"][0]["line"] == 2
    reliability.record(
        "decision-log-duplicate-key",
        f"a high-risk line with human_review twice (reviewed first, unreviewed last): exit {code}, "
        f"LC-1.well-formed fail: {well_formed['message']}",
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    "review",
    [
        {"required": True, "reviewer_id": 0, "action": "approve"},
        {"required": True, "reviewer_id": " ", "action": "approve"},
        {"required": True, "reviewer_id": "rev-1", "action": 7},
    ],
    ids=["reviewer-0", "reviewer-blank", "action-7"],
)
def test_an_unusable_review_field_keeps_the_record_in_the_denominator(
    checked: Callable[[bytes], tuple[int, dict[str, dict[str, Any]], dict[str, Any]]],
    reliability: Any,
    review: dict[str, Any],
) -> None:
    code, by_rule, data = checked(
        lines(record(1, NOW - timedelta(hours=2), REVIEWED), record(2, NOW, review))
    )

    assert code == 1
    assert by_rule["LC-1.reviewed"]["status"] == "fail"
    assert data["high_risk"]["records"] == 2
    assert data["high_risk"]["reviewed_share"] == 0.5
    assert by_rule["LC-1.well-formed"]["status"] == "pass"
    reliability.record(
        "decision-log-unusable-review",
        f"a high-risk record with human_review {json.dumps(review)}: exit {code}, "
        f"LC-1.reviewed fail: {by_rule['LC-1.reviewed']['message']}",
    )


@pytest.mark.slow
def test_decisions_dated_2099_are_counted_and_never_make_the_log_current(
    checked: Callable[[bytes], tuple[int, dict[str, dict[str, Any]], dict[str, Any]]],
    reliability: Any,
) -> None:
    old = NOW - timedelta(days=90)
    future = datetime(2099, 1, 4, tzinfo=UTC)
    code, by_rule, data = checked(
        lines(record(1, old, REVIEWED), record(2, future, REVIEWED), record(3, future, REVIEWED))
    )

    assert code == 1
    current = by_rule["LC-1.current"]
    assert current["status"] == "fail"
    assert data["age_of_newest_days"] >= 90
    assert data["counts"]["future_timestamp"]["count"] == 2
    assert [w["line"] for w in data["counts"]["future_timestamp"]["first"]] == [2, 3]
    reliability.record(
        "decision-log-future-dated",
        f"decision-log records dated 2099 beside one 90 days old: exit {code}, LC-1.current "
        f"fail ({current['message']}); counts.future_timestamp = 2 at lines 2, 3",
    )
