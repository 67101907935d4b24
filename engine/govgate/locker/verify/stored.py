"""Runs and tombstones as verification sees them, read from a locker or from an export, so
both are checked by the same code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeGuard

from govgate.core.evidence import parse_timestamp
from govgate.locker.chain import V1_REASON


def is_int(value: Any) -> TypeGuard[int]:
    """An integer that is not a bool (JSON true must not pass for a run number)."""
    return isinstance(value, int) and not isinstance(value, bool)


def moment(value: Any) -> datetime | None:
    """A stored timestamp as a time, or None when it is not one (edited)."""
    if not isinstance(value, str):
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        return None


@dataclass
class StoredRun:
    """A run as verification sees it, from the database or from an export."""

    seq: int
    prev_hash: str
    hash: str
    results_digest: str
    evidence_digests: list[str]
    record: Any = None
    record_problem: str | None = None
    pruned: bool = False
    columns: dict[str, Any] = field(default_factory=dict)
    index: set[str] | None = None
    #: As listed (locker columns or manifest): the only start and end a pruned run keeps.
    started_at: Any = None
    finished_at: Any = None
    pruned_at: Any = None

    @property
    def readable(self) -> dict[str, Any] | None:
        """Its record, when it has one that could be read."""
        if self.pruned or self.record_problem is not None or not isinstance(self.record, dict):
            return None
        return self.record

    @property
    def start(self) -> Any:
        """When it started: from its record (bound by its hash), else as listed."""
        record = self.readable
        return record.get("started_at") if record is not None else self.started_at

    @property
    def end(self) -> Any:
        record = self.readable
        return record.get("finished_at") if record is not None else self.finished_at


@dataclass
class StoredTombstone:
    """A tombstone as verification sees it, from the database or from an export."""

    number: int
    document: dict[str, Any] | None
    hash: str | None
    #: pruned_at, reason, runs, evidence_removed as listed next to the document (locker only)
    listed: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None

    @property
    def facts(self) -> dict[str, Any]:
        """The sealed document, else what is listed (an unsealed or unreadable tombstone)."""
        if self.document is not None:
            return self.document
        facts = dict(self.listed)
        match = V1_REASON.match(str(facts.get("reason")))
        facts.setdefault("retention_days", int(match[1]) if match else None)
        facts.setdefault("cutoff", match[2] if match else None)
        return facts

    @property
    def run_ids(self) -> list[int]:
        runs = self.facts.get("runs")
        if not isinstance(runs, list):
            return []
        return [r["id"] for r in runs if isinstance(r, dict) and is_int(r.get("id"))]

    @property
    def head_id(self) -> int | None:
        head = self.document.get("head") if self.document is not None else None
        return head["id"] if isinstance(head, dict) and is_int(head.get("id")) else None
