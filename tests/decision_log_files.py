"""Decision logs for tests: records of the documented shape, a prev_hash chain written by the
documented rule (sha256 of the previous line's bytes), and the collector run on a folder."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import UTC, datetime, timedelta
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


# ------------------------------------------------------------------ a log as services write it

#: `fields:` for the renamed, nested variant of `real_shaped_log`.
MAPPED_FIELDS = {
    "decision_id": "id",
    "timestamp": "ts",
    "decision_type": "meta.type",
    "risk_tier": "meta.tier",
    "human_review.required": "review.required",
    "human_review.reviewer_id": "review.by",
    "human_review.action": "review.act",
    "human_review.timestamp": "review.at",
    "reasons": "why",
}


def _renamed(item: dict[str, Any]) -> dict[str, Any]:
    """A catalogue record written with MAPPED_FIELDS' names (nested where dotted)."""
    out: dict[str, Any] = {}
    flat = dict(item)
    review = flat.pop("human_review", None)
    if isinstance(review, dict):
        for key, value in review.items():
            flat[f"human_review.{key}"] = value
    for name, value in flat.items():
        target = MAPPED_FIELDS.get(name, name)
        *outer, inner = target.split(".")
        node = out
        for part in outer:
            node = node.setdefault(part, {})
        node[inner] = value
    return out


def real_shaped_log(seed: int, mapped: bool = False) -> tuple[bytes, dict[str, Any]]:
    """A decision log as a service that changed loggers writes it, and the truth about it.

    Timestamps mix RFC 3339 (with and without fractions and offsets), ISO 8601 without an
    offset, `YYYY-MM-DD HH:MM:SS` and epoch milliseconds (numbers and strings); some records are
    re-emitted byte for byte, a few lines are truncated, some reviews predate their decision,
    some records carry no reasons, some high-risk ones are not reviewed. The truth is counted
    here from what was written, line by line, without govgate's code.
    """
    import random

    rng = random.Random(seed)
    start = datetime(2026, 3, 1, 8, 0, tzinfo=UTC).timestamp()
    lines: list[bytes] = []
    kinds: list[str] = []  # per line: record / repeat / truncated
    facts: list[dict[str, Any]] = []  # per line: the record's facts (records only)
    pending: list[tuple[int, bytes, dict[str, Any]]] = []
    formats = dict.fromkeys(
        ("rfc3339", "iso_local", "space_local", "epoch_s", "epoch_ms", "epoch_us"), 0
    )
    for n in range(1, 81):
        t = start + n * 1000  # whole seconds: the time range is exact
        moment = datetime.fromtimestamp(t, tz=UTC)
        style = ("rfc3339", "frac", "iso_local", "space_local", "ms", "ms_text")[n % 6]
        if n in (1, 80):
            style = "rfc3339"  # the first and last carry an offset: the range is unambiguous
        stamp: Any = {
            "rfc3339": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "frac": (moment + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S") + ".000+02:00",
            "iso_local": moment.strftime("%Y-%m-%dT%H:%M:%S"),
            "space_local": moment.strftime("%Y-%m-%d %H:%M:%S"),
            "ms": int(t * 1000),
            "ms_text": str(int(t * 1000)),
        }[style]
        high = rng.random() < 0.7
        reviewed = high and rng.random() < 0.75
        early = reviewed and rng.random() < 0.15
        reasons = rng.random() < 0.8
        review: dict[str, Any] = {"required": high}
        if reviewed:
            review_at = t - 600 if early else t + 300
            review.update(
                reviewer_id=f"rev-{n % 4}",
                action="approve",
                timestamp=datetime.fromtimestamp(review_at, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            )
        item = record(
            n,
            stamp,
            "credit_decision" if high else "marketing_offer",
            human_review=review,
            reasons=["stable_income"] if reasons else ...,
        )
        raw = json.dumps(_renamed(item) if mapped else item).encode()
        fact = {
            "id": n,
            "t": t,
            "format": {"frac": "rfc3339", "ms": "epoch_ms", "ms_text": "epoch_ms"}.get(
                style, style
            ),
            "high": high,
            "reviewed": reviewed,
            "early": early,
            "reasons": reasons,
        }
        if n % 23 == 0:  # a writer crashed mid-line: the record is lost
            lines.append(raw[: len(raw) // 2])
            kinds.append("truncated")
            facts.append({})
            continue
        lines.append(raw)
        kinds.append("record")
        facts.append(fact)
        if n % 9 == 0:  # a retry will log this decision again, byte for byte, a bit later
            pending.append((n + 3, raw, fact))
        for due in [p for p in pending if p[0] == n]:
            lines.append(due[1])
            kinds.append("repeat")
            facts.append({})
            pending.remove(due)
    for _, raw, _ in pending:
        lines.append(raw)
        kinds.append("repeat")
        facts.append({})

    def where(predicate: Any) -> list[int]:
        return [i + 1 for i, f in enumerate(facts) if kinds[i] == "record" and predicate(f)]

    kept = [f for i, f in enumerate(facts) if kinds[i] == "record"]
    for fact in kept:
        formats[fact["format"]] += 1
    high_records = [f for f in kept if f["high"]]
    truth = {
        "records": len(kept),
        "lines": len(lines),
        "malformed_lines": [i + 1 for i, k in enumerate(kinds) if k == "truncated"],
        "repeated_lines": [i + 1 for i, k in enumerate(kinds) if k == "repeat"],
        "high_risk": len(high_records),
        "reviewed": sum(1 for f in high_records if f["reviewed"]),
        "missing_reasons": where(lambda f: not f["reasons"]),
        "review_before_decision": where(lambda f: f["early"]),
        "not_reviewed": where(lambda f: f["high"] and not f["reviewed"]),
        "first": datetime.fromtimestamp(min(f["t"] for f in kept), tz=UTC),
        "last": datetime.fromtimestamp(max(f["t"] for f in kept), tz=UTC),
        "formats": formats,
        # Each re-emitted decision is re-emitted once: as many ids on two lines as repeats.
        "duplicate_ids": sum(1 for k in kinds if k == "repeat"),
    }
    return b"\n".join(lines) + b"\n", truth
