"""Opening a locker file: refusing anything at its path that is not a govgate locker, and
creating a new locker or migrating an older one.
"""

from __future__ import annotations

import sqlite3
from functools import partial
from pathlib import Path

from govgate.core.config import make_locker_folder
from govgate.locker.database import BUSY_TIMEOUT_SECONDS, LockerDatabase, sqlite_failure
from govgate.locker.failures import LockerError, refusal
from govgate.locker.schema import APPLICATION_ID, SCHEMA_VERSION, migrate
from govgate.support.errors import UsageError
from govgate.support.paths import display_path

#: One statement, so one snapshot: is the file ours, and does it hold anything at all?
_IDENTITY = (
    "SELECT (SELECT application_id FROM pragma_application_id()), "
    "(SELECT count(*) FROM sqlite_master)"
)


def open_database(path: Path, *, create: bool) -> LockerDatabase:
    """Open (and with `create`, create) the locker at `path`; refuse anything else there."""
    shown = display_path(path)
    if path.is_dir():
        raise refusal(shown, "is a directory, not an evidence locker")
    exists = path.exists()
    if not exists and not create:
        raise LockerError(
            f"{shown}: no evidence locker here yet; `govgate check` or `govgate collect` creates it"
        )
    if exists:
        _check_header(path, shown)
    else:
        try:
            make_locker_folder(path)
        except UsageError as exc:
            raise LockerError(str(exc)) from exc
    try:
        connection = sqlite3.connect(
            str(path),
            timeout=BUSY_TIMEOUT_SECONDS,
            isolation_level=None,  # we issue BEGIN IMMEDIATE / COMMIT ourselves
            check_same_thread=False,
        )
    except sqlite3.Error as exc:
        raise sqlite_failure(shown, exc, "open the locker") from exc
    db = LockerDatabase(connection, shown)
    try:
        _prepare(db, create)
    except BaseException:
        connection.close()
        raise
    return db


def _check_header(path: Path, shown: str) -> None:
    """Refuse a file that is not SQLite before SQLite touches it (and never write to it)."""
    try:
        with path.open("rb") as handle:
            header = handle.read(100)
    except OSError as exc:
        raise LockerError(f"{shown}: cannot read the locker: {exc.strerror}") from exc
    if not header:
        return  # empty: a locker another process is creating right now, or a fresh file
    if not header.startswith(b"SQLite format 3\x00"):
        raise refusal(shown, "is not an evidence locker (not an SQLite database)")
    if len(header) < 100:
        raise refusal(shown, "is damaged (truncated SQLite header)")


def _prepare(db: LockerDatabase, create: bool) -> None:
    """Set the connection up, then create or migrate the locker (refusing a newer one)."""
    fresh = _identify(db)
    if fresh and not create:
        raise LockerError(
            f"{db.display}: the evidence locker is empty; `govgate check` or "
            "`govgate collect` records runs in it"
        )
    for pragma in (
        "PRAGMA journal_mode=WAL",  # readers never block the writer, nor it them
        "PRAGMA synchronous=FULL",  # a committed run survives a power cut
        "PRAGMA secure_delete=ON",  # pruned evidence is overwritten, not just unlinked
    ):
        db.retrying(partial(db.connection.execute, pragma), "open the locker")
    version = 0 if fresh else _schema_version(db)
    if version > SCHEMA_VERSION:
        raise LockerError(
            f"{db.display}: written by a newer govgate (locker schema {version}, this "
            f"govgate reads up to {SCHEMA_VERSION}); upgrade govgate to use it"
        )
    if version < SCHEMA_VERSION:
        db.transaction(lambda conn: migrate(conn, db.display), "create the locker")


def _identify(db: LockerDatabase) -> bool:
    """True for an empty new file; raise for anything that is not our locker."""
    # One statement, so one snapshot: read apart, another process creating the locker in
    # between would show "no application id" and then its tables, a foreign database.
    app_id, objects = db.retrying(
        lambda: db.connection.execute(_IDENTITY).fetchone(), "open the locker"
    )
    if app_id == APPLICATION_ID:
        return False
    if app_id == 0 and objects == 0:
        return True

    # Tables but no application id: either a foreign database, or a locker another process
    # is creating this instant (SQLite may show the new schema before the header's id).
    # Holding the write lock settles it: that creation has then committed, or never began.
    def settle(conn: sqlite3.Connection) -> tuple[int, int]:
        row = conn.execute(_IDENTITY).fetchone()
        return int(row[0]), int(row[1])

    app_id, objects = db.transaction(settle, "open the locker")
    if app_id == APPLICATION_ID:
        return False
    if app_id == 0 and objects == 0:
        return True
    raise refusal(
        db.display, "is an SQLite database of another application, not an evidence locker"
    )


def _schema_version(db: LockerDatabase) -> int:
    rows = db.retrying(
        lambda: db.connection.execute("SELECT max(version) FROM schema_version").fetchall(),
        "open the locker",
        # our application id but no version table: damaged, not a disk problem
        failure=lambda exc: refusal(db.display, f"is damaged: no schema version ({exc})"),
    )
    return int(rows[0][0] or 0)
