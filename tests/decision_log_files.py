"""Decision logs for tests: records of the documented shape, a prev_hash chain written by the
documented rule (sha256 of the previous line's bytes), and the collector run on a folder."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from govgate_collectors.decision_logs import DecisionLogsCollector
from jsonschema import Draft202012Validator

from govgate.core.collector import CollectContext, RepoFiles
from govgate.core.evidence import Evidence

NOW = datetime(2026, 4, 1, tzinfo=UTC)
HIGH = ["credit_decision", "limit_increase"]


def record(n: int, ts: str, decision_type: str = "credit_decision", **extra: Any) -> dict[str, Any]:
    """A complete decision record; `extra` overrides or (with value ...) removes fields."""
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
    if tier == "high":
        base["human_review"].update(reviewer_id="rev-7", action="approve", timestamp=ts)
    for key, value in extra.items():
        if value is ...:
            base.pop(key, None)
        else:
            base[key] = value
    return base


def chained(lines: list[bytes | dict[str, Any]], endings: dict[int, bytes] | None = None) -> bytes:
    """Serialise lines, giving each record the sha256 of the previous non-blank line.

    Raw `bytes` items are written as they are (blank or broken lines); they still take part in
    the chain, as the documented rule says.
    """
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


def run(
    root: Path,
    settings: dict[str, Any] | None = None,
    system: dict[str, Any] | None = None,
    progress: Any = None,
) -> tuple[dict[str, Any], dict[str, Evidence], Evidence, CollectContext]:
    collector = DecisionLogsCollector()
    ctx = CollectContext(
        root=root,
        collector=collector.name,
        collector_version=collector.version,
        kinds=list(collector.kinds),
        settings={"high_risk_types": HIGH, **(settings or {})},
        system=system or {},
        files=RepoFiles(root),
        now=NOW,
        progress=progress,
    )
    items = list(collector.collect(ctx))
    schemas = {kind.name: kind.schema for kind in collector.kinds}
    for item in items:  # every item validates against its kind's schema
        errors = list(Draft202012Validator(schemas[item.kind]).iter_errors(item.data))
        assert not errors, (item.subject, errors[0].message, list(errors[0].absolute_path))
    summary = next(item for item in items if item.kind == "decision_log.summary")
    files = {item.subject: item for item in items if item.kind == "decision_log.file"}
    return summary.data, files, summary, ctx


def write(root: Path, rel: str, content: bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def defect_log() -> list[bytes | dict[str, Any]]:
    """Eleven lines, one of each defect; line numbers are asserted below."""
    return [
        b"\xef\xbb\xbf"
        + json.dumps(record(1, "2026-03-01T09:00:00Z")).encode(),  # 1: BOM, no prev_hash
        record(2, "2026-03-01T10:00:00Z", "marketing_offer", reasons=[]),  # 2: CRLF ending
        b"",  # 3: blank line
        record(  # 4: high risk without review; PII in a reason; 48 h after the previous one
            3,
            "2026-03-03T10:00:00Z",
            human_review={"required": True},
            reasons=["applicant wrote from jane.doe@example.com"],
        ),
        b'{"decision_id": "broken", "timestamp": ',  # 5: invalid JSON
        record(  # 6: override, reviewed before the decision was made
            4,
            "2026-03-03T11:00:00Z",
            "limit_increase",
            human_review={
                "required": True,
                "reviewer_id": "rev-9",
                "action": "override",
                "timestamp": "2026-03-03T10:30:00Z",
            },
            final_outcome="decline",
        ),
        record(5, "2026-03-03T12:00:00Z", score="0.7"),  # 7: wrong type
        record(1, "2026-03-04T00:00:00Z"),  # 8: duplicate id of line 1
        record(6, "2026-03-04T01:00:00Z", subject_ref=..., output=..., reasons=...),  # 9
        b"   \t",  # 10: whitespace-only line
        b'{"decision_id": "00000000-0000-4000-8000-000000000009", "timest',  # 11: truncated
    ]
