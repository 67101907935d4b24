"""What the locker hands back to its callers: a recorded run, a listed run, a tombstone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RecordedRun:
    """What `record_run` appended."""

    seq: int
    hash: str
    prev_hash: str
    evidence: int
    new_evidence: int


@dataclass(frozen=True)
class RunSummary:
    """One line of `govgate locker ls`."""

    seq: int
    command: str
    started_at: str
    finished_at: str
    tool_version: str
    target_commit: str | None
    gate: str | None
    evidence: int
    hash: str
    pruned_at: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.seq,
            "command": self.command,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "tool_version": self.tool_version,
            "target_commit": self.target_commit,
            "gate": self.gate,
            "evidence": self.evidence,
            "hash": self.hash,
            "pruned_at": self.pruned_at,
        }


@dataclass(frozen=True)
class Tombstone:
    """What a retention pass pruned, when and why, and its sealed document and hash."""

    pruned_at: str
    reason: str
    runs: list[dict[str, Any]]
    evidence_removed: int
    document: dict[str, Any] | None = None
    hash: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The sealed document plus its hash (what exports carry), else the listed columns."""
        if self.document is not None:
            return {**self.document, "hash": self.hash}
        listed: dict[str, Any] = {
            "pruned_at": self.pruned_at,
            "reason": self.reason,
            "runs": self.runs,
            "evidence_removed": self.evidence_removed,
        }
        if self.hash is not None:
            listed["hash"] = self.hash
        return listed
