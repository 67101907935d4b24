"""The decision-log page: the decision_logs collector's summary laid out as an auditor reads
it (counts with their denominators, review coverage, field coverage as a chart, malformed
lines by cause), and whatever else the summary holds as a plain table."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from govgate.outputs.dossier.context.charts import bar_chart
from govgate.outputs.dossier.context.values import data_tree, display_text

#: Summary keys this page lays out itself; any other key goes to "Other figures".
SHOWN = frozenset(
    {"records", "files", "time_range", "by_decision_type", "high_risk", "field_coverage",
     "malformed", "duplicate_ids", "overrides", "gaps", "hash_chain", "missing_required"}
)  # fmt: skip


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def share(count: Any, total: Any) -> str:
    """`count of total (percent)`, or the count alone when there is no denominator."""
    n, of = _int(count), _int(total)
    if n is None:
        return display_text(count)
    if not of:
        return f"{n:,}"
    return f"{n:,} of {of:,} ({100 * n / of:.1f}%)"


def _figures(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The headline counts, each with the total it is a share of."""
    records = data.get("records")
    rows: list[tuple[str, str]] = [
        ("Records", share(records, None)),
        ("Files", share(data.get("files"), None)),
    ]
    span = data.get("time_range") or {}
    if span:
        rows.append(
            ("First and last record", f"{span.get('first', '—')} to {span.get('last', '—')}")
        )
    high = data.get("high_risk") or {}
    if high:
        rows.append(("High-risk decisions", share(high.get("records"), records)))
        rows.append(("… with a reviewer", share(high.get("with_reviewer"), high.get("records"))))
        rows.append(
            ("… with a reviewer action", share(high.get("with_action"), high.get("records")))
        )
    overrides = data.get("overrides") or {}
    if overrides:
        rows.append(("Overrides by a reviewer", share(overrides.get("count"), records)))
    duplicates = data.get("duplicate_ids") or {}
    if duplicates:
        rows.append(("Decision ids logged more than once", share(duplicates.get("count"), records)))
    malformed = data.get("malformed") or {}
    if malformed:
        lines = (_int(records) or 0) + (_int(malformed.get("count")) or 0)
        rows.append(
            ("Malformed lines (not counted as records)", share(malformed.get("count"), lines))
        )
    gaps = data.get("gaps") or {}
    if gaps:
        rows.append(
            (
                f"Gaps over {display_text(gaps.get('threshold_hours'))} h",
                f"{share(gaps.get('count_over_threshold'), None)} (largest "
                f"{display_text(gaps.get('largest_hours'))} h)",
            )
        )
    chain = data.get("hash_chain") or {}
    if chain:
        verified = "verified" if chain.get("verified") else "NOT verified"
        broken = chain.get("first_break")
        rows.append(("Hash chain", verified + (f", first break at {broken}" if broken else "")))
    return rows


def _types(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    types = data.get("by_decision_type") or {}
    return [(str(name), share(count, data.get("records"))) for name, count in sorted(types.items())]


def _malformed_causes(data: Mapping[str, Any]) -> list[tuple[str, int]]:
    """Malformed lines by cause, from the lines the summary lists (it lists the first ones)."""
    first = (data.get("malformed") or {}).get("first") or []
    causes = Counter(
        str(item.get("reason") or "?").split(":")[0] for item in first if isinstance(item, Mapping)
    )
    return sorted(causes.items(), key=lambda kv: (-kv[1], kv[0]))


def _coverage_chart(data: Mapping[str, Any]) -> dict[str, Any] | None:
    coverage = data.get("field_coverage") or {}
    rows = [
        (str(field), float(value), False)
        for field, value in sorted(coverage.items())
        if isinstance(value, int | float) and not isinstance(value, bool)
    ]
    if not rows:
        return None
    return bar_chart(rows, title="Share of records carrying each field", scale_max=1.0)


def decision_log_page(data: Any) -> dict[str, Any]:
    """One summary as the page shows it; `other` holds every key not laid out above."""
    if not isinstance(data, Mapping):
        return {"figures": [], "types": [], "causes": [], "chart": None, "listed": [],
                "other": data_tree(data)}  # fmt: skip
    malformed = data.get("malformed") or {}
    other = {k: v for k, v in data.items() if k not in SHOWN}
    return {
        "figures": _figures(data),
        "types": _types(data),
        "causes": _malformed_causes(data),
        "listed": [m for m in malformed.get("first") or [] if isinstance(m, Mapping)],
        "malformed_total": malformed.get("count"),
        "chart": _coverage_chart(data),
        "other": data_tree(other) if other else None,
    }
