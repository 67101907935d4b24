"""Verifying a locker file: every evidence row, run and tombstone as stored, read for the
shared checks, plus SQLite's own integrity check and the collector cache's evidence.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from govgate.locker.columns import LISTING_COLUMNS, loads_or, sealed_document, unpack
from govgate.locker.database import LockerDatabase, is_busy, sqlite_failure
from govgate.locker.evidence import all_evidence, check_evidence_row
from govgate.locker.history import TOMBSTONE_ROWS
from govgate.locker.verify.report import VerifyProblem, VerifyReport
from govgate.locker.verify.runs import uncited_problems, verify_chain
from govgate.locker.verify.stored import StoredRun, StoredTombstone


def verify_locker(db: LockerDatabase) -> VerifyReport:
    """Recompute every evidence digest, every run record digest and the whole chain."""
    report = VerifyReport(source=db.display)
    try:
        _verify_into(db, report)
    except sqlite3.Error as exc:
        if is_busy(exc):
            raise sqlite_failure(db.display, exc, "verify the locker") from exc
        report.problems.insert(
            0, VerifyProblem(None, None, f"the locker database is damaged: {exc}")
        )
    return report


def _verify_into(db: LockerDatabase, report: VerifyReport) -> None:
    integrity = [row[0] for row in db.read("PRAGMA quick_check")]
    if integrity != ["ok"]:
        report.problems.append(
            VerifyProblem(None, None, "the locker database is damaged: " + "; ".join(integrity[:3]))
        )
    status: dict[str, str | None] = {}
    labels: dict[str, str] = {}
    for digest, kind, subject, data in all_evidence(db):
        status[digest] = check_evidence_row(digest, kind, subject, data)
        labels[digest] = f"kind {kind}, subject {subject}"
    report.evidence = len(status)
    runs = _stored_runs(db)
    tombstones = _stored_tombstones(db)
    head = db.head()
    report.problems.extend(verify_chain(runs, status, labels, head, tombstones))
    report.tombstones = len(tombstones)
    report.tombstone_head = tombstones[-1].hash if tombstones else None
    cited = {d for run in runs for d in run.evidence_digests}
    report.problems.extend(_cache_problems(db, status, labels, cited))
    report.problems.extend(uncited_problems(status, labels, cited))
    report.runs = len(runs)
    report.pruned = sum(1 for run in runs if run.pruned)
    if head is not None:
        report.head_seq, report.head_hash = head


def _stored_runs(db: LockerDatabase) -> list[StoredRun]:
    index: dict[int, set[str]] = {}
    for seq, digest in db.read("SELECT seq, digest FROM run_evidence"):
        index.setdefault(seq, set()).add(digest)
    rows = db.read(
        "SELECT seq, prev_hash, hash, results_digest, evidence_digests, record, pruned_at, "
        "command, started_at, finished_at, tool_version, target_commit, gate FROM runs"
    )
    return [_stored_run(row, index.get(row[0], set())) for row in rows]


def _stored_run(row: tuple[Any, ...], index: set[str]) -> StoredRun:
    """One row of `runs`, with what cannot be read of it said as its problem."""
    record: Any = None
    problem = None
    digests: list[str] = []
    try:
        digests = [str(d) for d in json.loads(row[4])]
    except (ValueError, TypeError):
        problem = "its evidence list was edited (not valid JSON)"
    if row[5] is not None:
        try:
            record = json.loads(unpack(row[5]))
        except ValueError:
            problem = "its record was changed after it was stored (cannot be decoded)"
    elif row[6] is None:
        problem = "its record was deleted (and it is not marked as pruned)"
    return StoredRun(
        seq=row[0],
        prev_hash=row[1],
        hash=row[2],
        results_digest=row[3],
        evidence_digests=digests,
        record=record,
        record_problem=problem,
        pruned=row[6] is not None and row[5] is None,
        columns=dict(zip(LISTING_COLUMNS, row[7:13], strict=True)),
        index=index,
        started_at=row[8],
        finished_at=row[9],
        pruned_at=row[6],
    )


def _stored_tombstones(db: LockerDatabase) -> list[StoredTombstone]:
    stored: list[StoredTombstone] = []
    rows = db.read(TOMBSTONE_ROWS)
    for number, (pruned_at, reason, runs, removed, document, sealed) in enumerate(rows, 1):
        parsed = sealed_document(document)
        stored.append(
            StoredTombstone(
                number=number,
                document=parsed,
                hash=sealed,
                listed={
                    "pruned_at": pruned_at,
                    "reason": reason,
                    "runs": loads_or(runs, runs),
                    "evidence_removed": removed,
                },
                problem=(
                    "was edited after it was written: its sealed document cannot be read"
                    if document is not None and parsed is None
                    else None
                ),
            )
        )
    return stored


def _cache_problems(
    db: LockerDatabase, status: dict[str, str | None], labels: dict[str, str], cited: set[str]
) -> list[VerifyProblem]:
    """Evidence the collector cache holds that no run cites: missing or changed. Adds what it
    names to `cited`, so it is not named again as uncited."""
    problems: list[VerifyProblem] = []
    for collector, digest in db.read("SELECT collector, digest FROM cache_evidence"):
        if digest in cited:
            continue
        if digest not in status:
            problems.append(
                VerifyProblem(
                    None, digest, f"evidence {digest} cached for collector '{collector}' is missing"
                )
            )
        elif status[digest] is not None:
            problems.append(
                VerifyProblem(
                    None,
                    digest,
                    f"evidence {digest} ({labels[digest]}) cached for collector "
                    f"'{collector}' {status[digest]}",
                )
            )
            cited.add(digest)
    return problems
