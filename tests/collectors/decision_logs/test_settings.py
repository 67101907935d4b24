"""`collectors.decision_logs` settings: what they change in the summary, and typos refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from govgate_collectors.decision_logs import DecisionLogsCollector

from govgate.core.collector import CollectContext, RepoFiles
from govgate.support.errors import CollectorError

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
