"""The locker's SQLite connection: reads and write transactions that wait out other
processes' locks, and the one-line failure when they cannot.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from govgate.locker.failures import LockerError, refusal

T = TypeVar("T")

#: SQLite's own wait for a lock, then our retries with jittered back-off up to the deadline.
BUSY_TIMEOUT_SECONDS = 30.0
LOCK_DEADLINE_SECONDS = 120.0


def is_busy(exc: sqlite3.Error) -> bool:
    """Whether SQLite failed because another connection holds a lock."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in str(exc)


def sqlite_failure(shown: str, exc: sqlite3.Error, action: str) -> LockerError:
    """The one line said when SQLite fails: busy, damaged, or a disk that refuses writes."""
    name = getattr(exc, "sqlite_errorname", "") or type(exc).__name__
    if is_busy(exc):
        return LockerError(
            f"{shown}: cannot {action}: the locker stayed locked by another govgate process "
            f"for {LOCK_DEADLINE_SECONDS:g} s ({name}); try again"
        )
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return refusal(shown, f"is damaged ({exc})", damaged=True)
    return LockerError(
        f"{shown}: cannot {action}: {exc} ({name}); earlier runs are intact. Free disk space "
        "or make the locker writable, or run with --no-locker"
    )


class LockerDatabase:
    """One open connection to a locker file; `display` names the file in messages."""

    def __init__(
        self, connection: sqlite3.Connection, display: str, copy_of: Path | None = None
    ) -> None:
        self.connection = connection
        self.display = display
        #: The private folder of a snapshot copy (`opening.open_snapshot`), removed on close.
        self.copy_folder = copy_of

    def close(self) -> None:
        self.connection.close()
        if self.copy_folder is not None:
            shutil.rmtree(self.copy_folder, ignore_errors=True)

    def retrying(
        self,
        work: Callable[[], T],
        action: str,
        failure: Callable[[sqlite3.Error], LockerError] | None = None,
    ) -> T:
        """Run a statement, waiting out other processes' locks (with jitter) up to a deadline.

        `failure` phrases an error that is not a lock (default: `sqlite_failure`).
        """
        deadline = time.monotonic() + LOCK_DEADLINE_SECONDS
        delay = 0.005
        while True:
            try:
                return work()
            except sqlite3.Error as exc:
                if is_busy(exc) and time.monotonic() < deadline:
                    import random  # only when another process holds the lock

                    time.sleep(delay * (1 + random.random()))  # noqa: S311 - jitter, not crypto
                    delay = min(delay * 2, 0.25)
                    continue
                if failure is not None and not is_busy(exc):
                    raise failure(exc) from exc
                raise sqlite_failure(self.display, exc, action) from exc

    def transaction(self, work: Callable[[sqlite3.Connection], T], action: str) -> T:
        """One write transaction: BEGIN IMMEDIATE takes the write lock before anything is read."""

        def attempt() -> T:
            self.connection.execute("BEGIN IMMEDIATE")
            try:
                result = work(self.connection)
                self.connection.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise
            return result

        return self.retrying(attempt, action)

    def _rollback(self) -> None:
        # SQLite may already have rolled back (after an I/O error), or nothing was begun.
        with contextlib.suppress(sqlite3.Error):
            self.connection.execute("ROLLBACK")

    def read(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """All rows of a query, waiting out other processes' locks."""
        return self.retrying(
            lambda: self.connection.execute(sql, params).fetchall(), "read the locker"
        )

    def meta(self) -> dict[str, str]:
        """The `meta` table: the chain's head, the ledger's and the tombstones' heads."""
        return dict(self.read("SELECT key, value FROM meta"))

    def head(self) -> tuple[int, str] | None:
        """The last run's number and hash as `meta` records them; None before the first run."""
        meta = self.meta()
        if "head_seq" not in meta:
            return None
        return int(meta["head_seq"]), meta["head_hash"]
