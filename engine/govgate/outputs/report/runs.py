"""The recorded `govgate check` runs of one repository's locker, oldest first, read without
writing to it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govgate.core.evidence import Evidence
from govgate.locker import EvidenceLocker
from govgate.support.errors import UsageError


@dataclass(frozen=True)
class RecordedCheck:
    """One recorded check run: its number, its chain hash and its result document (with
    `run.id` and `run.hash` set as the dossier sets them)."""

    seq: int
    hash: str
    result: dict[str, Any]


def recorded_checks(locker_file: Path) -> tuple[list[RecordedCheck], tuple[Evidence, ...]]:
    """Every check run the locker still holds (pruned runs have no result left), and the
    evidence the newest one cited, each item checked against its digest.

    UsageError when there is no locker or no check run in it: a report of nothing would
    look like a clean history.
    """
    if not locker_file.is_file():
        raise UsageError(
            f"{locker_file}: no evidence locker; run `govgate check` first (the report shows "
            "the runs it records)"
        )
    checks: list[RecordedCheck] = []
    with EvidenceLocker.snapshot(locker_file) as locker:
        for summary in locker.runs():
            if summary.command != "check" or summary.pruned_at is not None:
                continue
            shown = locker.show(summary.seq)
            result = (shown.get("record") or {}).get("result")
            if isinstance(result, dict):
                run = {**result.get("run", {}), "id": shown["id"], "hash": shown["hash"]}
                checks.append(RecordedCheck(summary.seq, shown["hash"], {**result, "run": run}))
        evidence = tuple(locker.run_evidence(checks[-1].seq)) if checks else ()
    if not checks:
        raise UsageError(
            f"{locker_file}: the locker holds no `govgate check` run; run `govgate check` first"
        )
    return checks, evidence
