"""The collector cache: a collector's output reused while its inputs are unchanged, written in
the same transaction as the run that produced it.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from govgate.core.collector import Diagnostic
from govgate.core.evidence import (
    Evidence,
    canonical_json,
    format_timestamp,
    parse_timestamp,
    utc_now,
)
from govgate.locker.columns import pack, unpack
from govgate.locker.database import LockerDatabase
from govgate.locker.evidence import ContentRow, check_evidence_row, content_row, stored_contents
from govgate.locker.records import citation

#: Cache entries kept per collector (recent branches and edits stay warm; older ones go).
CACHE_KEEP_PER_COLLECTOR = 16


@dataclass
class PendingEntry:
    """A cache entry held in memory until the run that produced it is recorded."""

    collector: str
    version: str
    fingerprint: str
    collected_at: str
    items: list[dict[str, Any]]
    diagnostics: list[dict[str, Any]]
    contents: list[ContentRow]


class CollectorCacheStore:
    """The cache entries of one locker: read from it, and held until `write` stores them.

    `damaged` lists the collectors whose cached output no longer matched its digests in this
    session: collected again, and said so (an edited locker must not pass unnoticed).
    """

    def __init__(self, db: LockerDatabase) -> None:
        self._db = db
        self.pending: list[PendingEntry] = []
        self.damaged: list[str] = []

    def get(
        self,
        collector: str,
        version: str,
        fingerprint: str,
        *,
        max_age: timedelta | None = None,
        now: datetime | None = None,
    ) -> tuple[list[Evidence], list[Diagnostic]] | None:
        """Cached output of a collector for these inputs, or None (a miss).

        A miss also when the entry is older than `max_age` (the collector's ttl or a rule's
        max_age), or when any cached item no longer matches its digest (verify reports it).
        """
        rows = self._db.read(
            "SELECT collected_at, items, diagnostics FROM collector_cache "
            "WHERE collector = ? AND version = ? AND fingerprint = ?",
            (collector, version, fingerprint),
        )
        if not rows:
            return None
        collected_at, items_blob, diagnostics_text = rows[0]
        if max_age is not None:
            age = (now or utc_now()) - parse_timestamp(collected_at)
            if age > max_age:
                return None
        evidence = self._checked_items(items_blob)
        if evidence is None:
            # An edited entry is a miss (collecting again is always safe), and is said.
            self.damaged.append(collector)
            return None
        diagnostics = [
            Diagnostic(d["collector"], d["path"], d["line"], d["message"], d["level"])
            for d in json.loads(diagnostics_text)
        ]
        return evidence, diagnostics

    def _checked_items(self, items_blob: bytes) -> list[Evidence] | None:
        """The cached items with their data, or None when any no longer matches its digest."""
        try:
            items = json.loads(unpack(items_blob))
        except ValueError:
            return None
        contents = stored_contents(self._db, {item["digest"] for item in items})
        evidence: list[Evidence] = []
        for item in items:
            content = contents.get(item["digest"])
            if content is None or check_evidence_row(item["digest"], *content) is not None:
                return None
            data_text = content[2]
            evidence.append(Evidence.from_json({**item, "data": json.loads(data_text)}))
        return evidence

    def put(
        self,
        collector: str,
        version: str,
        fingerprint: str,
        evidence: list[Evidence],
        diagnostics: list[Diagnostic],
        *,
        now: datetime | None = None,
    ) -> None:
        """Remember a collector's output; written with the run (`record_run`), not before."""
        self.pending.append(
            PendingEntry(
                collector=collector,
                version=version,
                fingerprint=fingerprint,
                collected_at=format_timestamp(now or utc_now()),
                items=[citation(item) for item in evidence],
                diagnostics=[d.to_json() for d in diagnostics],
                contents=[content_row(item) for item in evidence],
            )
        )

    def clear(self) -> None:
        self.pending.clear()

    def write(self, conn: sqlite3.Connection, stored_at: str) -> bool:
        """Store the pending entries (in the run's transaction); True when older ones went."""
        evicted = False
        for entry in self.pending:
            key = (entry.collector, entry.version, entry.fingerprint)
            conn.execute(
                "INSERT OR REPLACE INTO collector_cache (collector, version, fingerprint, "
                "collected_at, stored_at, items, diagnostics) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    *key,
                    entry.collected_at,
                    stored_at,
                    pack(canonical_json(entry.items)),
                    canonical_json(entry.diagnostics).decode("utf-8"),
                ),
            )
            conn.execute(
                "DELETE FROM cache_evidence WHERE collector = ? AND version = ? "
                "AND fingerprint = ?",
                key,
            )
            conn.executemany(
                "INSERT OR IGNORE INTO cache_evidence (collector, version, fingerprint, digest) "
                "VALUES (?, ?, ?, ?)",
                [(*key, item["digest"]) for item in entry.items],
            )
            evicted = _evict(conn, key) or evicted
        return evicted


def _evict(conn: sqlite3.Connection, kept: tuple[str, str, str]) -> bool:
    """Drop a collector's entries beyond the newest CACHE_KEEP_PER_COLLECTOR (`kept` stays)."""
    collector = kept[0]
    stale = conn.execute(
        "SELECT version, fingerprint FROM collector_cache WHERE collector = ? "
        "AND NOT (version = ? AND fingerprint = ?) "
        "ORDER BY stored_at DESC, fingerprint LIMIT -1 OFFSET ?",
        (*kept, CACHE_KEEP_PER_COLLECTOR - 1),
    ).fetchall()
    for version, fingerprint in stale:
        old = (collector, version, fingerprint)
        conn.execute(
            "DELETE FROM collector_cache WHERE collector = ? AND version = ? AND fingerprint = ?",
            old,
        )
        conn.execute(
            "DELETE FROM cache_evidence WHERE collector = ? AND version = ? AND fingerprint = ?",
            old,
        )
    return bool(stale)
