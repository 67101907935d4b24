"""Opening a locker file: refusing anything at its path that is not a govgate locker, and
creating a new locker or migrating an older one; or opening a private copy to verify.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from functools import partial
from pathlib import Path

from govgate.core.config import make_locker_folder, not_a_file
from govgate.locker.database import BUSY_TIMEOUT_SECONDS, LockerDatabase, sqlite_failure
from govgate.locker.failures import LockerError, LockerRefused, refusal
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
    _check_kind(path, shown)
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
    return _connect(path, shown, create)


def open_snapshot(path: Path) -> LockerDatabase:
    """A private copy of the locker at `path`, opened for reading it whole (verification).

    Nothing is written beside or into `path`: a locker of an older schema is migrated in the
    copy, and SQLite's journal and shared-memory files are the copy's. The copy is consistent
    (SQLite's backup when another process may have the locker open, a file copy otherwise) and
    removed when the database is closed.
    """
    shown = display_path(path)
    _check_kind(path, shown)
    if not path.exists():
        raise LockerError(
            f"{shown}: no evidence locker here yet; `govgate check` or `govgate collect` creates it"
        )
    _check_header(path, shown)
    folder = Path(tempfile.mkdtemp(prefix="govgate-verify-"))
    try:
        copy = folder / "locker.db"
        _copy_locker(path, copy, shown)
        db = _connect(copy, shown, create=False)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    db.copy_folder = folder
    return db


def _copy_locker(path: Path, copy: Path, shown: str) -> None:
    """Copy the locker: with its write-ahead log through SQLite (which applies it), else as
    bytes. Opening the source read-only with its log present creates no file beside it."""
    if not Path(f"{path}-wal").exists():
        try:
            shutil.copyfile(path, copy)
        except OSError as exc:
            raise LockerError(f"{shown}: cannot copy the locker to read it: {exc}") from exc
        return
    try:
        source = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
        target = sqlite3.connect(copy)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    except sqlite3.Error as exc:
        raise sqlite_failure(shown, exc, "read the locker") from exc


def _connect(path: Path, shown: str, create: bool) -> LockerDatabase:
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


def _check_kind(path: Path, shown: str) -> None:
    """Refuse a directory, a device, a FIFO or a socket at the locker path, before anything
    opens it (a FIFO would block; SQLite would put its journal beside a device)."""
    kind = not_a_file(path)
    if kind == "a directory":
        raise refusal(shown, "is a directory, not an evidence locker")
    if kind is not None:
        raise LockerRefused(
            shown,
            f"is {kind}, not a regular file, so it cannot be the evidence locker",
            advice="set `locker:` in govgate.yaml to a file path, or run with --no-locker",
        )


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
        raise refusal(shown, "is damaged (truncated SQLite header)", damaged=True)


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
        failure=lambda exc: refusal(
            db.display, f"is damaged: no schema version ({exc})", damaged=True
        ),
    )
    return int(rows[0][0] or 0)
