"""The recorded `govgate check` runs of one repository's locker, oldest first, read without
writing to it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from govgate.core.evidence import Evidence
from govgate.locker import EvidenceLocker
from govgate.support.errors import UsageError

#: The evidence kind of the decision_logs collector's summary.
DECISION_LOG_KIND = "decision_log.summary"


#: Decision-log figures are read for this many of the newest runs (each read checks every
#: item the run cited against its digest; a long history would make the report slow).
DECISION_LOG_RUNS = 30


@dataclass(frozen=True)
class RecordedCheck:
    """One recorded check run: its number, its chain hash, its result document (with
    `run.id` and `run.hash` set as the dossier sets them) and the data of the decision-log
    summaries it cited (for the newest DECISION_LOG_RUNS runs; empty otherwise)."""

    seq: int
    hash: str
    result: dict[str, Any]
    decision_logs: tuple[dict[str, Any], ...] = ()


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
        for index in range(max(0, len(checks) - DECISION_LOG_RUNS), len(checks)):
            cited = evidence if index == len(checks) - 1 else locker.run_evidence(checks[index].seq)
            summaries = tuple(
                e.data for e in cited if e.kind == DECISION_LOG_KIND and isinstance(e.data, dict)
            )
            checks[index] = replace(checks[index], decision_logs=summaries)
    if not checks:
        raise UsageError(
            f"{locker_file}: the locker holds no `govgate check` run; run `govgate check` first"
        )
    return checks, evidence
