"""Evidence rows: stored once by digest, read back checked against it, and deleted once no run
and no cache entry cites them.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator

from govgate.core.evidence import Evidence, canonical_json, evidence_digest
from govgate.locker.database import LockerDatabase

#: digest, kind, subject, and the data as canonical JSON: one row of the `evidence` table.
ContentRow = tuple[str, str, str, str]


def content_row(item: Evidence) -> ContentRow:
    return (item.digest, item.kind, item.subject, canonical_json(item.data).decode("utf-8"))


def check_evidence_row(digest: str, kind: str, subject: str, data_text: str) -> str | None:
    """Why a stored evidence row does not match its digest, or None."""
    try:
        data = json.loads(data_text)
    except ValueError:
        return "was changed after it was stored: its data is no longer valid JSON"
    try:
        recomputed = evidence_digest(kind, subject, data)
    except ValueError:
        return "was changed after it was stored: its data is not canonical JSON"
    if recomputed != digest:
        return "was changed after it was stored: its content no longer matches its digest"
    if canonical_json(data).decode("utf-8") != data_text:
        return "was changed after it was stored: its stored form is not the canonical one"
    return None


def all_evidence(db: LockerDatabase) -> Iterator[ContentRow]:
    """Every stored evidence row, a batch at a time (inside the caller's transaction, if any)."""
    cursor = db.connection.execute("SELECT digest, kind, subject, data FROM evidence")
    while True:
        rows = cursor.fetchmany(500)
        if not rows:
            return
        yield from rows


def stored_contents(db: LockerDatabase, digests: Iterable[str]) -> dict[str, tuple[str, str, str]]:
    """The kind, subject and data text stored for each of `digests` (absent when missing)."""
    wanted = sorted(digests)
    found: dict[str, tuple[str, str, str]] = {}
    for start in range(0, len(wanted), 500):  # stay under SQLite's variable limit
        chunk = wanted[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for digest, kind, subject, data in db.read(
            f"SELECT digest, kind, subject, data FROM evidence WHERE digest IN ({marks})",  # noqa: S608
            tuple(chunk),
        ):
            found[digest] = (kind, subject, data)
    return found


def insert_evidence(conn: sqlite3.Connection, rows: Iterable[ContentRow], stored_at: str) -> int:
    """Store the rows not stored yet (content-addressed); returns how many were new."""
    before = conn.total_changes
    conn.executemany(
        "INSERT OR IGNORE INTO evidence (digest, kind, subject, data, stored_at) "
        "VALUES (?, ?, ?, ?, ?)",
        [(*row, stored_at) for row in rows],
    )
    return conn.total_changes - before


def collect_garbage(conn: sqlite3.Connection) -> int:
    """Delete evidence no run and no cache entry cites; returns how many rows went."""
    before = conn.total_changes
    conn.execute(
        "DELETE FROM evidence WHERE NOT EXISTS "
        "(SELECT 1 FROM run_evidence r WHERE r.digest = evidence.digest) "
        "AND NOT EXISTS (SELECT 1 FROM cache_evidence c WHERE c.digest = evidence.digest)"
    )
    return conn.total_changes - before
