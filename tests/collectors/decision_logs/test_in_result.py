"""The result document carries the decision-log figures: no locker export is needed to see
what the rules saw, and nothing personal is in them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from decision_log_files import record, write


@pytest.mark.slow
def test_govgate_json_carries_the_decision_log_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from govgate.cli.main import main

    lines = [
        record(1, "2026-03-01T09:00:00Z", reasons=["mail jane.doe@example.com"]),
        record(2, "2026-03-01T10:00:00Z", human_review={"required": True}),
    ]
    write(
        tmp_path, "logs/decisions/a.jsonl", b"".join(json.dumps(r).encode() + b"\n" for r in lines)
    )
    (tmp_path / "govgate.yaml").write_text(
        "version: 1\nsystem: {name: s, risk: high}\npacks: [audit-trail, human-oversight]\n"
    )
    monkeypatch.chdir(tmp_path)

    result = CliRunner().invoke(
        main, ["check", "--no-cache", "--format", "json", "-o", "out.json"], catch_exceptions=False
    )

    assert result.exit_code == 1, result.output
    document = json.loads((tmp_path / "out.json").read_text())
    summary = next(e for e in document["evidence"] if e["kind"] == "decision_log.summary")
    assert summary["data"]["records"] == 2
    assert summary["data"]["high_risk"]["records"] == 2
    assert summary["data"]["counts"]["high_risk_not_reviewed"]["first"] == [
        {"path": "logs/decisions/a.jsonl", "line": 2}
    ]
    assert "jane.doe" not in (tmp_path / "out.json").read_text()
    # Kinds whose data is not a summary stay a manifest entry only.
    others = [e for e in document["evidence"] if not e["kind"].startswith("decision_log.")]
    assert others and all("data" not in e for e in others)
