"""Evidence data of a decision-log summary (one file or all), and its malformed lines as
diagnostics."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from govgate.api import CollectContext, format_timestamp
from govgate.support.pii import redact_text
from govgate_collectors.decision_logs.groups import Group
from govgate_collectors.decision_logs.queries import SAMPLE_CONDITIONS
from govgate_collectors.decision_logs.record import MAX_MALFORMED_LISTED, RECORD_FIELD_NAMES
from govgate_collectors.decision_logs.settings import DecisionLogSettings
from govgate_collectors.decision_logs.timestamps import FORMAT_NAMES, OFFSETLESS


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 6) if whole else None


def _days(seconds: float) -> float:
    return round(seconds / 86400.0, 2)


def timestamp(epoch: float | None) -> str | None:
    """Seconds since the epoch as an evidence timestamp (None stays None)."""
    if epoch is None:
        return None
    return format_timestamp(datetime.fromtimestamp(epoch, tz=UTC))


def build_data(
    group: Group, settings: DecisionLogSettings, now: datetime, files: int
) -> dict[str, Any]:
    """The evidence data of one group (a file, or all `files` files), as SUMMARY_SCHEMA says."""
    totals = group.totals
    records = int(totals.get("records") or 0)
    present_counts = {
        name: int(totals.get(f"has_{index}") or 0) for index, name in enumerate(RECORD_FIELD_NAMES)
    }
    coverage = {name: _share(count, records) for name, count in present_counts.items()}
    first_ts, last_ts = totals.get("first_ts"), totals.get("last_ts")
    now_epoch = now.timestamp()
    high = int(totals.get("high_risk") or 0)
    review_actions = int(totals.get("review_actions") or 0)
    overrides = int(totals.get("overrides") or 0)
    malformed_count = int(totals.get("malformed") or 0) + group.malformed_extra
    if group.chained:
        verified: bool | None = group.broken == 0
    else:
        verified = None
    first_break = None
    if group.first_break is not None:
        first_break = {"path": group.first_break[0], "line": group.first_break[1]}
    data: dict[str, Any] = {
        "records": records,
        "files": files,
        "malformed": {
            "count": malformed_count,
            "first": [
                {"path": path, "line": line, "reason": reason}
                for path, line, reason in group.malformed_listed
            ],
        },
        "duplicate_ids": {
            "count": group.duplicate_count,
            "samples": [redact_text(sample) for sample in group.duplicate_samples],
        },
        "time_range": {"first": timestamp(first_ts), "last": timestamp(last_ts)},
        "gaps": {
            "count_over_threshold": group.gaps_over,
            "largest_hours": None
            if group.largest_gap is None
            else round(group.largest_gap / 3600, 3),
            "threshold_hours": settings.gap_hours,
        },
        "field_coverage": coverage,
        "missing_required": {
            name: records - present_counts[name] for name in settings.required_fields
        },
        "by_decision_type": {
            redact_text(name) if name else "(none)": count for name, count in group.by_type.items()
        },
        "high_risk": {
            "types": list(settings.high_risk_types),
            "records": high,
            "with_reviewer": int(totals.get("high_risk_with_reviewer") or 0),
            "with_action": int(totals.get("high_risk_with_action") or 0),
            "reviewed_share": _share(int(totals.get("high_risk_reviewed") or 0), high),
            "review_before_decision": int(totals.get("review_before_decision") or 0),
        },
        "reasons_share": _share(int(totals.get("with_reasons") or 0), records),
        "overrides": {"count": overrides, "share": _share(overrides, review_actions)},
        "hash_chain": {
            "present": _share(int(totals.get("with_prev_hash") or 0), records),
            "verified": verified,
            "first_break": first_break,
        },
        "oldest_record_age_days": None if first_ts is None else _days(now_epoch - first_ts),
        "retention": {
            "max_days": settings.retention_max_days,
            "records_over": int(totals.get("over_retention") or 0),
        },
        "pii": group.pii.to_json(),
        "age_of_newest_days": None if last_ts is None else _days(now_epoch - last_ts),
    }
    data.update(_counted(group, settings))
    return data


def _where(lines: Sequence[tuple[str, int | None]]) -> list[dict[str, Any]]:
    return [{"path": path, "line": line} for path, line in lines]


def _counted(group: Group, settings: DecisionLogSettings) -> dict[str, Any]:
    """Counts with their denominators and first lines: timestamps, coverage, causes."""
    totals = group.totals
    formats = {
        name: int(totals.get(f"ts_format_{code}") or 0) for code, name in FORMAT_NAMES.items()
    }
    denominators = {
        "records": int(totals.get("records") or 0),
        "high_risk.records": int(totals.get("high_risk") or 0),
        "lines": int(totals.get("line_rows") or 0),  # non-blank lines, records or not
    }
    counts = {
        name: {
            "count": int(totals.get(name) or 0),
            "of": of,
            "of_count": denominators[of],
            "first": _where(group.sample_lines.get(name, [])),
        }
        for name, of, _ in SAMPLE_CONDITIONS
    }
    latest = totals.get("latest_future_ts")
    # The most frequent causes first; the list is bounded (the malformed count is exact).
    causes = sorted(group.cause_lines.items(), key=lambda item: (-item[1][0], item[0]))
    causes = causes[:MAX_MALFORMED_LISTED]
    return {
        "conflicts": {
            "count": group.conflict_count,
            "first": [
                {
                    "decision_id": redact_text(decision_id),
                    "first": {"path": first[0], "line": first[1]},
                    "differs": {"path": other[0], "line": other[1]},
                }
                for decision_id, first, other in group.conflict_lines
            ],
        },
        "timestamps": {
            "formats": formats,
            "timezone": settings.timezone,
            "timestamp_format": settings.timestamp_format,
            "without_offset": sum(formats[name] for name in OFFSETLESS),
            "latest_future": timestamp(None if latest is None else float(latest)),
        },
        "counts": counts,
        "malformed_causes": [
            {"cause": redact_text(cause), "count": count, "first": _where(lines)}
            for cause, (count, lines) in causes
        ],
    }


def report_malformed(
    ctx: CollectContext, path: str, group: Group, entries: Sequence[tuple[int | None, str]]
) -> None:
    """A log's malformed lines as diagnostics: when they are more than are listed one by one,
    first one line per cause (count and first lines), so that a cause with 3 lines is as
    visible as one with 3,000 in a report that shows the first few problems; then the first
    lines one by one."""
    hidden = (
        int(group.totals.get("malformed") or 0)
        + group.malformed_extra
        - len(group.malformed_listed)
    )
    if hidden > 0:
        for cause, (count, lines) in sorted(
            group.cause_lines.items(), key=lambda item: (-item[1][0], item[0])
        ):
            shown = ", ".join(str(line) for _, line in lines if line is not None)
            ctx.problem(
                path,
                None,
                f"{count} malformed decision-log line{'s' if count != 1 else ''}: {cause}"
                + (f" (first at line{'s' if len(lines) > 1 else ''} {shown})" if shown else ""),
            )
    for line, reason in entries[:MAX_MALFORMED_LISTED]:
        ctx.problem(path, line, f"malformed decision-log line: {reason}")
    notes = {
        "timestamp_without_offset": (
            "decision-log timestamps have no offset and were read in the zone "
            "collectors.decision_logs.timezone names (default UTC); write them with an offset"
        ),
        "future_timestamp": (
            "decision-log records are dated in the future; they are left out of the time "
            "range and ages"
        ),
    }
    for name, note in notes.items():
        count = int(group.totals.get(name) or 0)
        if count:
            shown = ", ".join(str(line) for _, line in group.sample_lines.get(name, []))
            ctx.problem(path, None, f"{count} {note} (first at lines {shown})")


def report_conflicts(ctx: CollectContext, summary: Group) -> None:
    """Each listed conflict (one decision id, two different records) as a diagnostic."""
    for decision_id, first, other in summary.conflict_lines:
        ctx.problem(
            other[0],
            other[1],
            f"decision id {decision_id} is logged with different content here and at "
            f"{first[0]}:{first[1]}; a re-emitted record must be identical",
        )
    hidden = summary.conflict_count - len(summary.conflict_lines)
    if hidden > 0:
        ctx.problem(None, None, f"{hidden} more decision ids are logged with different content")
