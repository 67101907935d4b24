"""Recording a run: its record, its evidence and the cache entries it produced, appended in one
transaction and linked to the chain.

One run is one `BEGIN IMMEDIATE` transaction: the write lock is taken before the previous hash
is read, so concurrent processes append one after another and the chain stays linear, and a
process killed at any point leaves the earlier runs intact.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from govgate.core.evidence import Evidence, canonical_json, format_timestamp, sha256_digest, utc_now
from govgate.locker.cache import CollectorCacheStore
from govgate.locker.chain import GENESIS_HASH, chain_hash, ledger_before, ledger_step
from govgate.locker.columns import pack, record_columns
from govgate.locker.database import LockerDatabase
from govgate.locker.evidence import ContentRow, collect_garbage, content_row, insert_evidence
from govgate.locker.models import RecordedRun
from govgate.locker.records import citation


@dataclass
class _NewRun:
    """A run ready to append: everything that does not depend on what the locker holds."""

    base: dict[str, Any]  # the record without its ledger
    digests: list[str]
    contents: dict[str, ContentRow]  # the run's evidence and the pending cache entries'
    columns: dict[str, Any]
    stored_at: str

    def serialise(self, ledger: dict[str, Any]) -> tuple[bytes, str]:
        """The record's canonical JSON with this ledger, and its results digest."""
        payload = canonical_json({**self.base, "ledger": ledger})
        return payload, sha256_digest(payload)


def record_run(
    db: LockerDatabase,
    cache: CollectorCacheStore,
    record: dict[str, Any],
    evidence: Iterable[Evidence],
) -> RecordedRun:
    """Append one run (and the cache entries it produced) in one transaction.

    `record` is the run's document without its evidence; the citations of `evidence` are
    added here, in a stable order, so the record and the chain cite the same items.
    """
    run = _new_run(record, evidence, cache)
    # The ledger is only known under the write lock; serialise with the likely one first,
    # so the lock is held no longer than before unless another process wrote meanwhile.
    meta_now = db.meta()
    guessed = ledger_before(meta_now, int(meta_now.get("head_seq", "0")) + 1)
    prepared = run.serialise(guessed)

    def work(conn: sqlite3.Connection) -> RecordedRun:
        return _append(conn, run, cache, guessed, prepared)

    recorded = db.transaction(work, "record the run")
    cache.clear()
    return recorded


def _new_run(
    record: dict[str, Any], evidence: Iterable[Evidence], cache: CollectorCacheStore
) -> _NewRun:
    items = sorted(evidence, key=lambda e: (e.kind, e.subject, e.digest))
    base = dict(record)
    base["evidence"] = [citation(item) for item in items]
    contents = {row[0]: row for row in (content_row(item) for item in items)}
    for pending in cache.pending:
        for row in pending.contents:
            contents.setdefault(row[0], row)
    return _NewRun(
        base=base,
        digests=[item.digest for item in items],
        contents=contents,
        columns=record_columns(base),
        stored_at=format_timestamp(utc_now()),
    )


def _append(
    conn: sqlite3.Connection,
    run: _NewRun,
    cache: CollectorCacheStore,
    guessed: dict[str, Any],
    prepared: tuple[bytes, str],
) -> RecordedRun:
    """The write transaction's work: number and link the run, then store it and its cache."""
    head = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    prev_hash = head.get("head_hash", GENESIS_HASH)
    seq = int(head.get("head_seq", "0")) + 1
    last = conn.execute("SELECT max(seq) FROM runs").fetchone()[0]
    if last is not None and last >= seq:
        seq = last + 1  # never reuse a number, even if the head was edited
    ledger = ledger_before(head, seq)
    record_bytes, digest_of_results = prepared if ledger == guessed else run.serialise(ledger)
    run_hash = chain_hash(prev_hash, run.digests, digest_of_results)
    inserted = insert_evidence(conn, run.contents.values(), run.stored_at)
    _insert_run(conn, seq, run, prev_hash, digest_of_results, run_hash, record_bytes)
    evicted = cache.write(conn, run.stored_at)
    started = ledger_step(ledger["started_at_digest"], seq, run.columns["started_at"])
    conn.executemany(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
        [("head_seq", str(seq)), ("head_hash", run_hash), ("ledger_started", started)],
    )
    if evicted:
        collect_garbage(conn)
    return RecordedRun(seq, run_hash, prev_hash, len(run.digests), inserted)


def _insert_run(
    conn: sqlite3.Connection,
    seq: int,
    run: _NewRun,
    prev_hash: str,
    digest_of_results: str,
    run_hash: str,
    record_bytes: bytes,
) -> None:
    """The run's row (its listing columns, links and packed record) and its evidence index."""
    columns = run.columns
    conn.execute(
        "INSERT INTO runs (seq, command, started_at, finished_at, tool_version, "
        "target_commit, gate, prev_hash, evidence_digests, results_digest, hash, record) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            seq,
            columns["command"],
            columns["started_at"],
            columns["finished_at"],
            columns["tool_version"],
            columns["target_commit"],
            columns["gate"],
            prev_hash,
            json.dumps(run.digests),
            digest_of_results,
            run_hash,
            pack(record_bytes),
        ),
    )
    conn.executemany(
        "INSERT OR IGNORE INTO run_evidence (seq, digest) VALUES (?, ?)",
        [(seq, digest) for digest in set(run.digests)],
    )
