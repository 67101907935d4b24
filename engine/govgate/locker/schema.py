"""The locker's tables: the schema version this code writes, and the migrations that create a
locker or bring an older one forward.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

from govgate import __version__
from govgate.core.evidence import canonical_json, format_timestamp, utc_now
from govgate.locker.chain import (
    GENESIS_HASH,
    V1_REASON,
    ledger_step,
    tombstone_document,
    tombstone_hash,
)
from govgate.locker.failures import refusal

#: `PRAGMA application_id` of a govgate locker ("GvGt"): tells our file from any other SQLite.
APPLICATION_ID = 0x47764774
#: The schema this code writes; older lockers are migrated forward, newer ones refused.
SCHEMA_VERSION = 3


def _seal_schema_1(conn: sqlite3.Connection) -> None:
    """Schema 2: seal the tombstones of a schema-1 locker and start the ledger of start times.

    Its tombstones become chained documents whose `head` is the newest run at migration (when
    each really pruned is not known) and `migrated` is true; the first run recorded afterwards
    binds them, and the start times of all earlier runs, in its ledger.
    """
    started = GENESIS_HASH
    newest: dict[str, Any] | None = None
    for seq, run_hash, started_at in conn.execute(
        "SELECT seq, hash, started_at FROM runs ORDER BY seq"
    ).fetchall():
        started = ledger_step(started, seq, started_at)
        newest = {"id": seq, "hash": run_hash}
    prev = GENESIS_HASH
    count = 0
    for row_id, pruned_at, reason, runs_text, removed in conn.execute(
        "SELECT id, pruned_at, reason, runs, evidence_removed FROM tombstones ORDER BY id"
    ).fetchall():
        count += 1
        match = V1_REASON.match(str(reason))
        try:
            runs: Any = json.loads(runs_text)
        except (TypeError, ValueError):
            runs = runs_text  # sealed as found; verify says it names no run it can read
        document = tombstone_document(
            count,
            prev,
            pruned_at,
            int(match[1]) if match else None,
            match[2] if match else None,
            reason,
            runs,
            removed,
            newest,
            migrated=True,
        )
        prev = tombstone_hash(document)
        conn.execute(
            "UPDATE tombstones SET document = ?, hash = ? WHERE id = ?",
            (canonical_json(document).decode("utf-8"), prev, row_id),
        )
    if newest is not None or count:
        conn.executemany(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
            [
                ("ledger_started", started),
                ("tombstone_count", str(count)),
                ("tombstone_head", prev),
            ],
        )


Migration = str | Callable[[sqlite3.Connection], None]

#: Each schema version and the statements (or functions) that bring the previous one to it.
MIGRATIONS: tuple[tuple[int, tuple[Migration, ...]], ...] = (
    (
        1,
        (
            """CREATE TABLE schema_version (
                version INTEGER PRIMARY KEY,
                applied_at TEXT NOT NULL,
                tool_version TEXT NOT NULL)""",
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
            # data is the canonical JSON of the evidence data; digest covers (kind, subject, data).
            # A rowid table: rows are large, which WITHOUT ROWID stores poorly.
            """CREATE TABLE evidence (
                id INTEGER PRIMARY KEY,
                digest TEXT NOT NULL UNIQUE,
                kind TEXT NOT NULL,
                subject TEXT NOT NULL,
                data TEXT NOT NULL,
                stored_at TEXT NOT NULL)""",
            # record is the canonical JSON of the run record; NULL once pruned (see tombstones)
            """CREATE TABLE runs (
                seq INTEGER PRIMARY KEY,
                command TEXT NOT NULL,
                started_at TEXT NOT NULL,
                finished_at TEXT NOT NULL,
                tool_version TEXT NOT NULL,
                target_commit TEXT,
                gate TEXT,
                prev_hash TEXT NOT NULL,
                evidence_digests TEXT NOT NULL,
                results_digest TEXT NOT NULL,
                hash TEXT NOT NULL UNIQUE,
                record BLOB,
                pruned_at TEXT)""",
            """CREATE TABLE run_evidence (
                seq INTEGER NOT NULL,
                digest TEXT NOT NULL,
                PRIMARY KEY (seq, digest)) WITHOUT ROWID""",
            "CREATE INDEX run_evidence_by_digest ON run_evidence (digest)",
            """CREATE TABLE collector_cache (
                collector TEXT NOT NULL,
                version TEXT NOT NULL,
                fingerprint TEXT NOT NULL,
                collected_at TEXT NOT NULL,
                stored_at TEXT NOT NULL,
                items BLOB NOT NULL,
                diagnostics TEXT NOT NULL,
                PRIMARY KEY (collector, version, fingerprint)) WITHOUT ROWID""",
            """CREATE TABLE cache_evidence (
                collector TEXT NOT NULL,
                version TEXT NOT NULL,
                fingerprint TEXT NOT NULL,
                digest TEXT NOT NULL,
                PRIMARY KEY (collector, version, fingerprint, digest)) WITHOUT ROWID""",
            "CREATE INDEX cache_evidence_by_digest ON cache_evidence (digest)",
            """CREATE TABLE tombstones (
                id INTEGER PRIMARY KEY,
                pruned_at TEXT NOT NULL,
                reason TEXT NOT NULL,
                runs TEXT NOT NULL,
                evidence_removed INTEGER NOT NULL)""",
        ),
    ),
    (
        2,
        (
            # document: the canonical JSON of the sealed tombstone; hash: sha256 over it
            "ALTER TABLE tombstones ADD COLUMN document TEXT",
            "ALTER TABLE tombstones ADD COLUMN hash TEXT",
            _seal_schema_1,
        ),
    ),
    (
        3,
        (
            # mac: "<key id>:<HMAC>" under the user's cache key (govgate.locker.cache); entries
            # written before have none, so they are never served and are collected again
            "ALTER TABLE collector_cache ADD COLUMN mac TEXT",
        ),
    ),
)


def migrate(conn: sqlite3.Connection, display: str) -> None:
    """Create the locker, or bring it to SCHEMA_VERSION; run inside the write transaction."""
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    if app_id == APPLICATION_ID:
        current = int(conn.execute("SELECT max(version) FROM schema_version").fetchone()[0])
    elif conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0:
        current = 0  # still empty now that we hold the write lock: ours to create
    else:
        raise refusal(display, "is an SQLite database of another application")
    now = format_timestamp(utc_now())
    for version, statements in MIGRATIONS:
        if version <= current:
            continue
        for statement in statements:
            if callable(statement):
                statement(conn)
            else:
                conn.execute(statement)
        conn.execute(
            "INSERT INTO schema_version (version, applied_at, tool_version) VALUES (?, ?, ?)",
            (version, now, __version__),
        )
    if current == 0:
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('created_at', ?), ('created_by', ?)",
            (now, f"govgate {__version__}"),
        )
