"""Retention: pruning runs older than `retention_days`, and the sealed tombstone each prune
leaves so the chain still verifies and the prune itself is tamper-evident.
"""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from govgate.core.evidence import canonical_json, format_timestamp, utc_now
from govgate.locker.chain import GENESIS_HASH, ledger_before, tombstone_document, tombstone_hash
from govgate.locker.database import LockerDatabase
from govgate.locker.evidence import collect_garbage
from govgate.locker.models import Tombstone
from govgate.support.errors import UsageError


@dataclass(frozen=True)
class _Prune:
    """One retention pass: when it happens, and the cutoff it prunes by."""

    retention_days: int
    pruned_at: str
    cutoff: str

    @property
    def reason(self) -> str:
        return f"retention_days: {self.retention_days} (runs started before {self.cutoff})"


def prune(
    db: LockerDatabase, retention_days: int, *, now: datetime | None = None
) -> Tombstone | None:
    """Prune runs started more than `retention_days` ago; leave a tombstone.

    A pruned run keeps its number, hashes and evidence digests (so the chain still
    verifies) but loses its record; cache entries stored before the cutoff are dropped,
    and evidence no run or cache entry cites any more is deleted (and overwritten:
    secure_delete). The newest run is never pruned.

    The tombstone is sealed and chained (see `govgate.locker.verify.tombstones`). `now` (for
    tests) is when the prune happens: a tombstone dated more than PRUNE_CLOCK_SLACK after the
    end of a run recorded after it fails verification, as a forged date would.
    """
    _check_retention(retention_days)
    moment = now or utc_now()
    plan = _Prune(
        retention_days,
        pruned_at=format_timestamp(moment),
        cutoff=format_timestamp(moment - timedelta(days=retention_days)),
    )

    def work(conn: sqlite3.Connection) -> Tombstone | None:
        rows = conn.execute(
            "SELECT seq, hash, command, started_at FROM runs WHERE pruned_at IS NULL "
            "AND started_at < ? AND seq < (SELECT max(seq) FROM runs) ORDER BY seq",
            (plan.cutoff,),
        ).fetchall()
        if not rows:
            return None
        removed = _drop_records(conn, plan, [row[0] for row in rows])
        runs = [
            {"id": seq, "hash": run_hash, "command": command, "started_at": started}
            for seq, run_hash, command, started in rows
        ]
        return _seal(conn, plan, runs, removed)

    tombstone = db.transaction(work, "prune old runs")
    if tombstone is not None:
        # Move the overwritten pages out of the WAL too; best effort.
        with contextlib.suppress(sqlite3.Error):
            db.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return tombstone


def _check_retention(retention_days: int) -> None:
    if isinstance(retention_days, bool) or not isinstance(retention_days, int):
        raise UsageError(f"retention_days: {retention_days!r} is not a number of days")
    if retention_days < 1:
        raise UsageError(f"retention_days: {retention_days} prunes nothing safely; use 1 or more")


def _drop_records(conn: sqlite3.Connection, plan: _Prune, seqs: list[int]) -> int:
    """Blank the runs' records and drop what only they (or old cache entries) cite; returns
    how many evidence items were deleted."""
    conn.executemany(
        "UPDATE runs SET record = NULL, pruned_at = ? WHERE seq = ?",
        [(plan.pruned_at, seq) for seq in seqs],
    )
    conn.executemany("DELETE FROM run_evidence WHERE seq = ?", [(seq,) for seq in seqs])
    # Cache entries as old as the pruned runs go too, or their evidence would live on.
    conn.execute(
        "DELETE FROM cache_evidence WHERE (collector, version, fingerprint) IN "
        "(SELECT collector, version, fingerprint FROM collector_cache "
        "WHERE stored_at < ?)",
        (plan.cutoff,),
    )
    conn.execute("DELETE FROM collector_cache WHERE stored_at < ?", (plan.cutoff,))
    return collect_garbage(conn)


def _seal(
    conn: sqlite3.Connection, plan: _Prune, runs: list[dict[str, Any]], removed: int
) -> Tombstone:
    """Write the prune's tombstone, sealed and chained to the one before it."""
    # Sealed and chained: the previous tombstone, and the newest run (never pruned),
    # which the next run's ledger follows with this tombstone's hash.
    meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    newest = conn.execute("SELECT seq, hash FROM runs ORDER BY seq DESC LIMIT 1").fetchone()
    number = ledger_before(meta, 0)["tombstones"] + 1
    document = tombstone_document(
        number,
        meta.get("tombstone_head", GENESIS_HASH),
        plan.pruned_at,
        plan.retention_days,
        plan.cutoff,
        plan.reason,
        runs,
        removed,
        {"id": newest[0], "hash": newest[1]},
        migrated=False,
    )
    sealed = tombstone_hash(document)
    conn.execute(
        "INSERT INTO tombstones (pruned_at, reason, runs, evidence_removed, document, "
        "hash) VALUES (?, ?, ?, ?, ?, ?)",
        (
            plan.pruned_at,
            plan.reason,
            canonical_json(runs).decode("utf-8"),
            removed,
            canonical_json(document).decode("utf-8"),
            sealed,
        ),
    )
    conn.executemany(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
        [("tombstone_count", str(number)), ("tombstone_head", sealed)],
    )
    return Tombstone(plan.pruned_at, plan.reason, runs, removed, document, sealed)
