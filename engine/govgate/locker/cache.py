"""The collector cache: a collector's output reused while its inputs are unchanged, written in
the same transaction as the run that produced it, and served only when the user's cache key
authenticates it.
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
from govgate.support.cachekey import CacheKey

#: Cache entries kept per collector (recent branches and edits stay warm; older ones go).
CACHE_KEEP_PER_COLLECTOR = 16
#: What an entry's MAC is over, besides its fields: a MAC of this cache, not of another.
_PURPOSE = "govgate collector cache v1"


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

    Every entry carries an HMAC under the user's cache key (`govgate.support.cachekey`) over
    all it serves back: its key, `collected_at`, the citations of its items (source, dates,
    digests; each item's data is bound by its digest) and its diagnostics. The locker file sits
    in the work tree, where a commit can put an edited copy; an entry the key does not
    authenticate is a miss, collected again. Without a key (`key` None) nothing is read or
    written.

    `damaged` lists the collectors whose cached output was edited after this key wrote it, or
    no longer matched its digests, in this session: collected again, and said so (an edited
    locker must not pass unnoticed). An entry another key wrote is a plain miss.
    """

    def __init__(self, db: LockerDatabase, key: CacheKey | None = None) -> None:
        self._db = db
        self._key = key
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

        A miss also when the key does not authenticate the entry, when it is older than
        `max_age` (the collector's ttl or a rule's max_age), or when any cached item no longer
        matches its digest (verify reports it).
        """
        if self._key is None:
            return None
        rows = self._db.read(
            "SELECT collected_at, items, diagnostics, mac FROM collector_cache "
            "WHERE collector = ? AND version = ? AND fingerprint = ?",
            (collector, version, fingerprint),
        )
        if not rows:
            return None
        collected_at, mac = rows[0][0], rows[0][3]
        entry = _authentic(self._key, (collector, version, fingerprint), rows[0])
        if entry is None:
            if isinstance(mac, str) and mac.startswith(f"{self._key.key_id}:"):
                self.damaged.append(collector)  # ours, edited since: said, never served
            return None  # written by another key (another user, a committed copy) or none
        items_text, diagnostics = entry
        if max_age is not None:
            age = (now or utc_now()) - parse_timestamp(collected_at)
            if age > max_age:
                return None
        evidence = self._checked_items(items_text)
        if evidence is None:
            # An edited entry is a miss (collecting again is always safe), and is said.
            self.damaged.append(collector)
            return None
        return evidence, diagnostics

    def _checked_items(self, items_text: str) -> list[Evidence] | None:
        """The cached items with their data, or None when any no longer matches its digest."""
        try:
            items = json.loads(items_text)
            contents = stored_contents(self._db, {item["digest"] for item in items})
            evidence: list[Evidence] = []
            for item in items:
                content = contents.get(item["digest"])
                if content is None or check_evidence_row(item["digest"], *content) is not None:
                    return None
                data_text = content[2]
                evidence.append(Evidence.from_json({**item, "data": json.loads(data_text)}))
        except (ValueError, TypeError, KeyError, AttributeError):
            return None  # not what this code writes: treated as edited
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
        if self._key is None:
            return  # an entry no key authenticates would never be served
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
        """Store the pending entries (in the run's transaction); True when older ones went
        (evicted, or replaced by a new entry for the same inputs), so their evidence may be
        left uncited."""
        dropped = False
        for entry in self.pending:
            key = (entry.collector, entry.version, entry.fingerprint)
            items = canonical_json(entry.items)
            diagnostics = canonical_json(entry.diagnostics).decode("utf-8")
            assert self._key is not None  # put() holds nothing without a key
            mac = f"{self._key.key_id}:" + self._key.sign(
                _PURPOSE, *key, entry.collected_at, items, diagnostics
            )
            dropped = (
                bool(
                    conn.execute(
                        "SELECT 1 FROM collector_cache WHERE collector = ? AND version = ? "
                        "AND fingerprint = ?",
                        key,
                    ).fetchone()
                )
                or dropped
            )
            conn.execute(
                "INSERT OR REPLACE INTO collector_cache (collector, version, fingerprint, "
                "collected_at, stored_at, items, diagnostics, mac) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (*key, entry.collected_at, stored_at, pack(items), diagnostics, mac),
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
            dropped = _evict(conn, key) or dropped
        return dropped


def _authentic(
    key: CacheKey, entry_key: tuple[str, str, str], row: tuple[Any, ...]
) -> tuple[str, list[Diagnostic]] | None:
    """An entry's item list (JSON text) and diagnostics, when `key` authenticates the row
    (collected_at, items, diagnostics, mac) exactly as stored; else None."""
    collected_at, items_blob, diagnostics_text, mac = row
    if not isinstance(mac, str) or not isinstance(collected_at, str):
        return None
    tag = mac.partition(":")[2]
    try:
        items_text = unpack(items_blob)
        if not key.verify(tag, _PURPOSE, *entry_key, collected_at, items_text, diagnostics_text):
            return None
        diagnostics = [
            Diagnostic(d["collector"], d["path"], d["line"], d["message"], d["level"])
            for d in json.loads(diagnostics_text)
        ]
    except (ValueError, TypeError, KeyError):
        return None
    return items_text, diagnostics


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
