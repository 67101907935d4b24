"""Verifying a locker file: every evidence row, run and tombstone as stored, read for the
shared checks, plus SQLite's own integrity check, the collector cache's evidence and the traces
deleted runs leave (traces.py). Verification reads a private copy and never writes the locker.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from govgate.locker.columns import LISTING_COLUMNS, loads_or, sealed_document, unpack
from govgate.locker.database import LockerDatabase, is_busy, sqlite_failure
from govgate.locker.evidence import all_evidence, check_evidence_row
from govgate.locker.failures import LockerRefused
from govgate.locker.history import TOMBSTONE_ROWS
from govgate.locker.opening import open_snapshot
from govgate.locker.verify.report import VerifyProblem, VerifyReport
from govgate.locker.verify.runs import uncited_problems, verify_chain
from govgate.locker.verify.stored import StoredRun, StoredTombstone
from govgate.locker.verify.traces import trace_problems
from govgate.locker.verify.witness import Witness, witness_problems
from govgate.support.errors import UsageError
from govgate.support.paths import display_path


def verify_locker_file(
    path: Path, *, witnesses: Sequence[Witness] = (), now: datetime | None = None
) -> VerifyReport:
    """Verify the locker at `path` without writing to it: a copy is read (and migrated, when
    its schema is older). A damaged locker is a failed report; a file that is not a locker at
    all is a UsageError saying so."""
    try:
        db = open_snapshot(path)
    except LockerRefused as exc:
        if not exc.damaged:
            raise UsageError(
                f"{exc.shown}: {exc.why}; `govgate verify` checks a repository folder, a "
                "locker file, a locker export folder, a dossier (PDF or HTML) or a report"
            ) from exc
        report = VerifyReport(source=display_path(path))
        report.problems.append(VerifyProblem(None, None, f"the locker {exc.why}"))
        return report
    try:
        return verify_locker(db, witnesses=witnesses, now=now)
    finally:
        db.close()


def verify_locker(
    db: LockerDatabase, *, witnesses: Sequence[Witness] = (), now: datetime | None = None
) -> VerifyReport:
    """Recompute every evidence digest, every run record digest and the whole chain; look for
    the traces of deleted runs; hold the chain to `witnesses`."""
    report = VerifyReport(source=db.display)
    try:
        _verify_into(db, report, now)
    except sqlite3.Error as exc:
        if is_busy(exc):
            raise sqlite_failure(db.display, exc, "verify the locker") from exc
        report.problems.insert(
            0, VerifyProblem(None, None, f"the locker database is damaged: {exc}")
        )
    report.witnesses = len(witnesses)
    report.problems[:0] = witness_problems(report.chain, list(witnesses))
    return report


def _verify_into(db: LockerDatabase, report: VerifyReport, now: datetime | None) -> None:
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
    runs = sorted(_stored_runs(db), key=lambda run: run.seq)
    report.chain = {run.seq: run.hash for run in runs}
    tombstones = _stored_tombstones(db)
    head = db.head()
    report.problems.extend(verify_chain(runs, status, labels, head, tombstones, now=now))
    report.tombstones = len(tombstones)
    report.tombstone_head = tombstones[-1].hash if tombstones else None
    cited = {d for run in runs for d in run.evidence_digests}
    cache_rows = db.read("SELECT collector, digest FROM cache_evidence")
    report.problems.extend(trace_problems(db, runs, tombstones, labels, {d for _, d in cache_rows}))
    report.problems.extend(_cache_problems(cache_rows, status, labels, cited))
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
    cache_rows: list[tuple[str, str]],
    status: dict[str, str | None],
    labels: dict[str, str],
    cited: set[str],
) -> list[VerifyProblem]:
    """Evidence the collector cache holds that no run cites: missing or changed. Adds what it
    names to `cited`, so it is not named again as uncited."""
    problems: list[VerifyProblem] = []
    for collector, digest in cache_rows:
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
