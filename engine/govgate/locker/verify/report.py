"""What verification reports: each problem found, the report of a locker or an export, and how
hashes and run numbers are written in the messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class VerifyProblem:
    """One mismatch found by `govgate verify`; `run` is the run it breaks (None: locker-wide)."""

    run: int | None
    item: str | None
    message: str

    def __str__(self) -> str:
        return f"run {self.run}: {self.message}" if self.run is not None else self.message

    def to_json(self) -> dict[str, Any]:
        return {"run": self.run, "item": self.item, "message": self.message}


@dataclass
class VerifyReport:
    """The outcome of verifying a locker or an export."""

    source: str
    runs: int = 0
    pruned: int = 0
    evidence: int = 0
    head_seq: int | None = None
    head_hash: str | None = None
    tombstones: int = 0
    tombstone_head: str | None = None
    problems: list[VerifyProblem] = field(default_factory=list)
    #: Every run's number and hash as stored (what witnesses are held to).
    chain: dict[int, str] = field(default_factory=dict, repr=False)
    #: How many witnesses the locker was held to (`govgate verify --witness`).
    witnesses: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> VerifyProblem | None:
        """The locker-wide problem, else the problem in the earliest run, else the first one."""
        if not self.problems:
            return None
        wide = [p for p in self.problems if p.run is None and p.item is None]
        if wide:
            return wide[0]
        in_runs = [p for p in self.problems if p.run is not None]
        if in_runs:
            return min(in_runs, key=lambda p: p.run if p.run is not None else 0)
        return self.problems[0]

    def summary(self) -> str:
        if self.ok:
            pruned = f" ({self.pruned} pruned)" if self.pruned else ""
            head = (
                f"head run {self.head_seq} {self.head_hash}"
                if self.head_seq is not None
                else "no runs yet"
            )
            # Said every time without a witness: the one tampering the file cannot show.
            witnessed = (
                f"; matches {self.witnesses} witness{'es' if self.witnesses != 1 else ''}"
                if self.witnesses
                else "; no witness given: runs deleted after the head cannot be ruled out"
                if self.head_seq is not None
                else ""
            )
            return (
                f"locker OK: {self.runs} runs{pruned}, {self.evidence} evidence items, "
                f"{head} ({self.source}){witnessed}"
            )
        first = self.first
        assert first is not None
        count = len(self.problems)
        return f"locker verification FAILED ({count} problem{'s' if count != 1 else ''}): {first}"

    def to_json(self) -> dict[str, Any]:
        first = self.first
        return {
            "source": self.source,
            "ok": self.ok,
            "runs": self.runs,
            "pruned": self.pruned,
            "evidence": self.evidence,
            "head": {"id": self.head_seq, "hash": self.head_hash},
            "tombstones": {"count": self.tombstones, "head": self.tombstone_head},
            "witnesses": self.witnesses,
            "first_problem": first.to_json() if first else None,
            "problems": [p.to_json() for p in self.problems],
        }


def short(digest: str | None) -> str:
    """The first 12 hex digits of a digest, as messages show it ("-" for none)."""
    if not digest:
        return "-"
    return digest.split(":", 1)[-1][:12]


def run_list_text(ids: list[int]) -> str:
    """Run numbers as a reader wants them: "run 3", "runs 2-5", "runs 1, 4" or "no run"."""
    if not ids:
        return "no run"
    if len(ids) == 1:
        return f"run {ids[0]}"
    if ids == list(range(ids[0], ids[-1] + 1)):
        return f"runs {ids[0]}-{ids[-1]}"
    return "runs " + ", ".join(map(str, ids))
