"""The evidence locker: tamper-evident run history and collector cache (DESIGN §6).

One SQLite file (`.govgate/locker.db`, WAL mode) per target repository holds:

- **evidence**, content-addressed by its digest (DESIGN §5) and stored once however many runs
  cite it; only what collectors produced (already redacted), never raw file contents;
- **runs**, one row per `govgate check` / `govgate collect`, each with a canonical JSON record
  (start and end, tool version, packs with digests, effective parameters, target commit, the
  evidence it used, its results) and chained by hash:
  `hash = sha256(canonical_json({"prev": prev_hash, "evidence": [digests], "results": digest}))`;
- **the collector cache**, keyed by collector, version and input fingerprint;
- **tombstones** for runs pruned by `retention_days`, so the chain still verifies.

One run is one `BEGIN IMMEDIATE` transaction: the write lock is taken before the previous hash
is read, so concurrent processes append one after another and the chain stays linear, and a
process killed at any point leaves the earlier runs intact. A file at the locker path that is
not a govgate locker is refused with a recovery hint and never overwritten.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from govgate import __version__
from govgate.collector import Diagnostic
from govgate.errors import UsageError
from govgate.evidence import (
    Evidence,
    canonical_json,
    evidence_digest,
    format_timestamp,
    parse_timestamp,
    sha256_digest,
    utc_now,
)

if TYPE_CHECKING:
    from govgate.config import Config

T = TypeVar("T")

#: `PRAGMA application_id` of a govgate locker ("GvGt"): tells our file from any other SQLite.
APPLICATION_ID = 0x47764774
#: The schema this code writes; older lockers are migrated forward, newer ones refused.
SCHEMA_VERSION = 1
#: prev_hash of the first run.
GENESIS_HASH = "sha256:" + "0" * 64
EXPORT_SCHEMA = "govgate/locker-export/v1"
RECORD_FORMAT = "govgate/run/v1"
#: SQLite's own wait for a lock, then our retries with jittered back-off up to the deadline.
BUSY_TIMEOUT_SECONDS = 30.0
LOCK_DEADLINE_SECONDS = 120.0
#: Cache entries kept per collector (recent branches and edits stay warm; older ones go).
CACHE_KEEP_PER_COLLECTOR = 16

_MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
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
)


class LockerError(UsageError):
    """The locker cannot be used (damaged, foreign, busy, disk full): one line, exit 2."""


# -- hashing -----------------------------------------------------------------------------------


def chain_hash(prev_hash: str, evidence_digests: list[str], results_digest: str) -> str:
    """A run's hash: sha256 over the previous hash, its evidence digests and its results."""
    return sha256_digest(
        canonical_json({"prev": prev_hash, "evidence": evidence_digests, "results": results_digest})
    )


def results_digest(record: Any) -> str:
    """Digest of a run record (its canonical JSON), the `results digest` of the chain."""
    return sha256_digest(canonical_json(record))


def citation(item: Evidence) -> dict[str, Any]:
    """Everything about an evidence item except its data (which is stored once, by digest)."""
    cited = item.to_json()
    cited.pop("data", None)
    return cited


def _short(digest: str | None) -> str:
    if not digest:
        return "-"
    return digest.split(":", 1)[-1][:12]


def _display(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(path)
    return str(path) if rel.startswith("..") else rel


def locker_path(root: Path, config: Config | None) -> Path:
    """Where the repository's locker lives: `locker:` from govgate.yaml, relative to the root."""
    from govgate.config import DEFAULT_LOCKER

    configured = Path(config.locker if config is not None else DEFAULT_LOCKER)
    return configured if configured.is_absolute() else root / configured


def cache_directory(root: Path, config: Config | None) -> Path:
    """`cache/` next to the locker (validated packs); its folder is created like the locker's."""
    path = locker_path(root, config)
    _make_parent(path, _display(path))
    return path.parent / "cache"


# -- what is read back --------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedRun:
    """What `record_run` appended."""

    seq: int
    hash: str
    prev_hash: str
    evidence: int
    new_evidence: int


@dataclass(frozen=True)
class RunSummary:
    """One line of `govgate locker ls`."""

    seq: int
    command: str
    started_at: str
    finished_at: str
    tool_version: str
    target_commit: str | None
    gate: str | None
    evidence: int
    hash: str
    pruned_at: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.seq,
            "command": self.command,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "tool_version": self.tool_version,
            "target_commit": self.target_commit,
            "gate": self.gate,
            "evidence": self.evidence,
            "hash": self.hash,
            "pruned_at": self.pruned_at,
        }


@dataclass(frozen=True)
class Tombstone:
    """What a retention pass pruned, when and why."""

    pruned_at: str
    reason: str
    runs: list[dict[str, Any]]
    evidence_removed: int

    def to_json(self) -> dict[str, Any]:
        return {
            "pruned_at": self.pruned_at,
            "reason": self.reason,
            "runs": self.runs,
            "evidence_removed": self.evidence_removed,
        }


@dataclass(frozen=True)
class VerifyProblem:
    """One mismatch found by `govgate verify`; `run` is the run it breaks (None: locker-wide)."""

    run: int | None
    item: str | None
    message: str

    def __str__(self) -> str:
        return f"run {self.run}: {self.message}" if self.run is not None else self.message

    def to_json(self) -> dict[str, Any]:
        return {"run": self.run, "item": self.item, "message": self.message}


@dataclass
class VerifyReport:
    """The outcome of verifying a locker or an export."""

    source: str
    runs: int = 0
    pruned: int = 0
    evidence: int = 0
    head_seq: int | None = None
    head_hash: str | None = None
    problems: list[VerifyProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> VerifyProblem | None:
        """The locker-wide problem, else the problem in the earliest run, else the first one."""
        if not self.problems:
            return None
        wide = [p for p in self.problems if p.run is None and p.item is None]
        if wide:
            return wide[0]
        in_runs = [p for p in self.problems if p.run is not None]
        if in_runs:
            return min(in_runs, key=lambda p: p.run if p.run is not None else 0)
        return self.problems[0]

    def summary(self) -> str:
        if self.ok:
            pruned = f" ({self.pruned} pruned)" if self.pruned else ""
            head = (
                f"head run {self.head_seq} {self.head_hash}"
                if self.head_seq is not None
                else "no runs yet"
            )
            return (
                f"locker OK: {self.runs} runs{pruned}, {self.evidence} evidence items, "
                f"{head} ({self.source})"
            )
        first = self.first
        assert first is not None
        count = len(self.problems)
        return f"locker verification FAILED ({count} problem{'s' if count != 1 else ''}): {first}"

    def to_json(self) -> dict[str, Any]:
        first = self.first
        return {
            "source": self.source,
            "ok": self.ok,
            "runs": self.runs,
            "pruned": self.pruned,
            "evidence": self.evidence,
            "head": {"id": self.head_seq, "hash": self.head_hash},
            "first_problem": first.to_json() if first else None,
            "problems": [p.to_json() for p in self.problems],
        }


@dataclass
class _StoredRun:
    """A run as verification sees it, from the database or from an export."""

    seq: int
    prev_hash: str
    hash: str
    results_digest: str
    evidence_digests: list[str]
    record: Any = None
    record_problem: str | None = None
    pruned: bool = False
    columns: dict[str, Any] = field(default_factory=dict)
    index: set[str] | None = None


@dataclass
class _PendingCache:
    collector: str
    version: str
    fingerprint: str
    collected_at: str
    items: list[dict[str, Any]]
    diagnostics: list[dict[str, Any]]
    contents: list[tuple[str, str, str, str]]


def _pack(payload: bytes) -> bytes:
    """Run records and cache item lists are stored zlib-compressed (JSON repeats itself)."""
    return zlib.compress(payload, 6)


def _unpack(blob: bytes) -> str:
    """The JSON text of a packed column; ValueError when it was damaged or edited."""
    try:
        return zlib.decompress(blob).decode("utf-8")
    except (zlib.error, TypeError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot be decoded: {exc}") from exc


def _content_row(item: Evidence) -> tuple[str, str, str, str]:
    return (item.digest, item.kind, item.subject, canonical_json(item.data).decode("utf-8"))


def _check_evidence_row(digest: str, kind: str, subject: str, data_text: str) -> str | None:
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


def _record_columns(record: Any) -> dict[str, Any]:
    """The listing columns of a run, as derived from its record."""
    if not isinstance(record, dict):
        return {}
    result = record.get("result") if isinstance(record.get("result"), dict) else None
    target = record.get("target") if isinstance(record.get("target"), dict) else {}
    tool = record.get("tool") if isinstance(record.get("tool"), dict) else {}
    return {
        "command": record.get("command"),
        "started_at": record.get("started_at"),
        "finished_at": record.get("finished_at"),
        "tool_version": (tool or {}).get("version"),
        "target_commit": (target or {}).get("commit"),
        "gate": result.get("gate") if result else None,
    }


def _uncited_problems(
    status: dict[str, str | None], labels: dict[str, str], cited: set[str]
) -> list[VerifyProblem]:
    """Damaged evidence no run cites (a run's own evidence is named with its run instead)."""
    return [
        VerifyProblem(None, digest, f"evidence {digest} ({labels[digest]}) {problem}")
        for digest, problem in status.items()
        if problem is not None and digest not in cited
    ]


def verify_chain(
    runs: list[_StoredRun],
    evidence_status: dict[str, str | None],
    labels: dict[str, str],
    head: tuple[int, str] | None,
    tombstoned: set[int],
) -> list[VerifyProblem]:
    """Check every run's record, evidence and link; shared by the locker and its exports."""
    problems: list[VerifyProblem] = []
    expected_prev = GENESIS_HASH
    expected_seq = 1
    for run in sorted(runs, key=lambda r: r.seq):
        if run.seq != expected_seq:
            gap = (
                f"run {expected_seq}"
                if run.seq == expected_seq + 1
                else f"runs {expected_seq}-{run.seq - 1}"
            )
            problems.append(
                VerifyProblem(
                    expected_seq,
                    None,
                    f"is missing: {gap} deleted from the locker (run {run.seq} follows "
                    f"run {expected_seq - 1 if expected_seq > 1 else 'none'})",
                )
            )
        if run.prev_hash != expected_prev:
            before = f"run {run.seq - 1}" if run.seq > 1 else "the start of the chain"
            problems.append(
                VerifyProblem(
                    run.seq,
                    None,
                    f"does not link to {before}: its previous hash is {_short(run.prev_hash)} "
                    f"but {before} has {_short(expected_prev)} "
                    "(runs deleted, reordered or edited)",
                )
            )
        if run.pruned:
            if run.seq not in tombstoned:
                problems.append(
                    VerifyProblem(
                        run.seq, None, "has no record and no tombstone says it was pruned"
                    )
                )
        elif run.record_problem is not None:
            problems.append(VerifyProblem(run.seq, None, run.record_problem))
        else:
            if results_digest(run.record) != run.results_digest:
                problems.append(
                    VerifyProblem(
                        run.seq, None, "its record (results) was changed after it was stored"
                    )
                )
            cited = [
                c.get("digest")
                for c in (run.record.get("evidence") or [] if isinstance(run.record, dict) else [])
                if isinstance(c, dict)
            ]
            if cited != run.evidence_digests:
                problems.append(
                    VerifyProblem(
                        run.seq, None, "its evidence list does not match the evidence it cites"
                    )
                )
            if run.columns:
                derived = _record_columns(run.record)
                edited = sorted(k for k, v in run.columns.items() if derived.get(k) != v)
                if edited:
                    problems.append(
                        VerifyProblem(
                            run.seq,
                            None,
                            f"its listed {', '.join(edited)} differ from its record (edited)",
                        )
                    )
            if run.index is not None and run.index != set(run.evidence_digests):
                problems.append(
                    VerifyProblem(run.seq, None, "its evidence index was edited or swapped")
                )
            for digest in run.evidence_digests:
                label = labels.get(digest, "")
                shown = f"evidence {digest}" + (f" ({label})" if label else "")
                if digest not in evidence_status:
                    problems.append(
                        VerifyProblem(run.seq, digest, f"{shown} is missing from the locker")
                    )
                elif evidence_status[digest] is not None:
                    problems.append(
                        VerifyProblem(run.seq, digest, f"{shown} {evidence_status[digest]}")
                    )
        if chain_hash(run.prev_hash, run.evidence_digests, run.results_digest) != run.hash:
            problems.append(
                VerifyProblem(
                    run.seq,
                    None,
                    "its hash does not match its previous hash, evidence and results (edited)",
                )
            )
        expected_prev = run.hash
        expected_seq = run.seq + 1
    if head is not None:
        head_seq, head_hash = head
        last = max(runs, key=lambda r: r.seq) if runs else None
        if last is None or (last.seq, last.hash) != (head_seq, head_hash):
            stored = f"run {last.seq}" if last else "no run at all"
            problems.append(
                VerifyProblem(
                    head_seq,
                    None,
                    f"is missing: the locker's head is run {head_seq} ({_short(head_hash)}) "
                    f"but the last stored run is {stored}",
                )
            )
    elif runs:
        problems.append(VerifyProblem(None, None, "the locker has runs but no recorded head"))
    return problems


# -- the locker ---------------------------------------------------------------------------------


def _is_busy(exc: sqlite3.Error) -> bool:
    name = getattr(exc, "sqlite_errorname", "") or ""
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in str(exc)


class EvidenceLocker:
    """The locker of one repository. Also the `CollectorCache` that `collect_evidence` uses.

    Open it with `EvidenceLocker.open(path)`; close it (or use `with`). Cache `put`s are held
    in memory and written in the same transaction as the run that produced them, so a run
    that fails or is killed leaves no trace at all.
    """

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        self.display = _display(path)
        self._conn = connection
        self._pending: list[_PendingCache] = []
        #: Collectors whose cached output no longer matched its digests in this session:
        #: collected again, and said so (an edited locker must not pass unnoticed).
        self.damaged_cache: list[str] = []

    # -- opening --------------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path, *, create: bool = True) -> EvidenceLocker:
        """Open (and with `create`, create) the locker at `path`; refuse anything else there."""
        shown = _display(path)
        if path.is_dir():
            raise _refusal(shown, "is a directory, not an evidence locker")
        exists = path.exists()
        if not exists and not create:
            raise LockerError(
                f"{shown}: no evidence locker here yet; `govgate check` or `govgate collect` "
                "creates it"
            )
        if exists:
            _check_header(path, shown)
        else:
            _make_parent(path, shown)
        try:
            connection = sqlite3.connect(
                str(path),
                timeout=BUSY_TIMEOUT_SECONDS,
                isolation_level=None,  # we issue BEGIN IMMEDIATE / COMMIT ourselves
                check_same_thread=False,
            )
        except sqlite3.Error as exc:
            raise _sqlite_failure(shown, exc, "open the locker") from exc
        locker = cls(path, connection)
        try:
            locker._prepare(create)
        except BaseException:
            connection.close()
            raise
        return locker

    def _prepare(self, create: bool) -> None:
        fresh = self._identify()
        if fresh and not create:
            raise LockerError(
                f"{self.display}: the evidence locker is empty; `govgate check` or "
                "`govgate collect` records runs in it"
            )
        for pragma in (
            "PRAGMA journal_mode=WAL",  # readers never block the writer, nor it them
            "PRAGMA synchronous=FULL",  # a committed run survives a power cut
            "PRAGMA secure_delete=ON",  # pruned evidence is overwritten, not just unlinked
        ):
            self._retrying(partial(self._conn.execute, pragma), "open the locker")
        version = 0 if fresh else self._schema_version()
        if version > SCHEMA_VERSION:
            raise LockerError(
                f"{self.display}: written by a newer govgate (locker schema {version}, this "
                f"govgate reads up to {SCHEMA_VERSION}); upgrade govgate to use it"
            )
        if version < SCHEMA_VERSION:
            self._transaction(self._migrate, "create the locker")

    def _identify(self) -> bool:
        """True for an empty new file; raise for anything that is not our locker."""
        # One statement, so one snapshot: read apart, another process creating the locker in
        # between would show "no application id" and then its tables, a foreign database.
        app_id, objects = self._retrying(
            lambda: self._conn.execute(
                "SELECT (SELECT application_id FROM pragma_application_id()), "
                "(SELECT count(*) FROM sqlite_master)"
            ).fetchone(),
            "open the locker",
        )
        if app_id == APPLICATION_ID:
            return False
        if app_id == 0 and objects == 0:
            return True

        # Tables but no application id: either a foreign database, or a locker another process
        # is creating this instant (SQLite may show the new schema before the header's id).
        # Holding the write lock settles it: that creation has then committed, or never began.
        def settle(conn: sqlite3.Connection) -> tuple[int, int]:
            row = conn.execute(
                "SELECT (SELECT application_id FROM pragma_application_id()), "
                "(SELECT count(*) FROM sqlite_master)"
            ).fetchone()
            return int(row[0]), int(row[1])

        app_id, objects = self._transaction(settle, "open the locker")
        if app_id == APPLICATION_ID:
            return False
        if app_id == 0 and objects == 0:
            return True
        raise _refusal(
            self.display, "is an SQLite database of another application, not an evidence locker"
        )

    def _schema_version(self) -> int:
        rows = self._retrying(
            lambda: self._conn.execute("SELECT max(version) FROM schema_version").fetchall(),
            "open the locker",
            # our application id but no version table: damaged, not a disk problem
            failure=lambda exc: _refusal(self.display, f"is damaged: no schema version ({exc})"),
        )
        return int(rows[0][0] or 0)

    def _migrate(self, conn: sqlite3.Connection) -> None:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        if app_id == APPLICATION_ID:
            current = int(conn.execute("SELECT max(version) FROM schema_version").fetchone()[0])
        elif conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0:
            current = 0  # still empty now that we hold the write lock: ours to create
        else:
            raise _refusal(self.display, "is an SQLite database of another application")
        now = format_timestamp(utc_now())
        for version, statements in _MIGRATIONS:
            if version <= current:
                continue
            for statement in statements:
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

    def close(self) -> None:
        self._pending.clear()
        self._conn.close()

    def __enter__(self) -> EvidenceLocker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- transactions ---------------------------------------------------------------------
    def _retrying(
        self,
        work: Callable[[], T],
        action: str,
        failure: Callable[[sqlite3.Error], LockerError] | None = None,
    ) -> T:
        """Run a statement, waiting out other processes' locks (with jitter) up to a deadline."""
        deadline = time.monotonic() + LOCK_DEADLINE_SECONDS
        delay = 0.005
        while True:
            try:
                return work()
            except sqlite3.Error as exc:
                if _is_busy(exc) and time.monotonic() < deadline:
                    import random  # only when another process holds the lock

                    time.sleep(delay * (1 + random.random()))  # noqa: S311 - jitter, not crypto
                    delay = min(delay * 2, 0.25)
                    continue
                if failure is not None and not _is_busy(exc):
                    raise failure(exc) from exc
                raise _sqlite_failure(self.display, exc, action) from exc

    def _transaction(self, work: Callable[[sqlite3.Connection], T], action: str) -> T:
        """One write transaction: BEGIN IMMEDIATE takes the write lock before anything is read."""

        def attempt() -> T:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                result = work(self._conn)
                self._conn.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise
            return result

        return self._retrying(attempt, action)

    def _rollback(self) -> None:
        # SQLite may already have rolled back (after an I/O error), or nothing was begun.
        with contextlib.suppress(sqlite3.Error):
            self._conn.execute("ROLLBACK")

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        return self._retrying(lambda: self._conn.execute(sql, params).fetchall(), "read the locker")

    # -- the collector cache --------------------------------------------------------------
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
        rows = self._read(
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
        try:
            items = json.loads(_unpack(items_blob))
        except ValueError:
            # An edited entry is a miss (collecting again is always safe), and is said.
            self.damaged_cache.append(collector)
            return None
        contents = self._contents({item["digest"] for item in items})
        evidence: list[Evidence] = []
        for item in items:
            content = contents.get(item["digest"])
            if content is None or _check_evidence_row(item["digest"], *content) is not None:
                self.damaged_cache.append(collector)
                return None
            data_text = content[2]
            evidence.append(Evidence.from_json({**item, "data": json.loads(data_text)}))
        diagnostics = [
            Diagnostic(d["collector"], d["path"], d["line"], d["message"], d["level"])
            for d in json.loads(diagnostics_text)
        ]
        return evidence, diagnostics

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
        self._pending.append(
            _PendingCache(
                collector=collector,
                version=version,
                fingerprint=fingerprint,
                collected_at=format_timestamp(now or utc_now()),
                items=[citation(item) for item in evidence],
                diagnostics=[d.to_json() for d in diagnostics],
                contents=[_content_row(item) for item in evidence],
            )
        )

    def _contents(self, digests: Iterable[str]) -> dict[str, tuple[str, str, str]]:
        wanted = sorted(digests)
        found: dict[str, tuple[str, str, str]] = {}
        for start in range(0, len(wanted), 500):  # stay under SQLite's variable limit
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for digest, kind, subject, data in self._read(
                f"SELECT digest, kind, subject, data FROM evidence WHERE digest IN ({marks})",  # noqa: S608
                tuple(chunk),
            ):
                found[digest] = (kind, subject, data)
        return found

    # -- recording runs -------------------------------------------------------------------
    def record_run(self, record: dict[str, Any], evidence: Iterable[Evidence]) -> RecordedRun:
        """Append one run (and the cache entries it produced) in one transaction.

        `record` is the run's document without its evidence; the citations of `evidence` are
        added here, in a stable order, so the record and the chain cite the same items.
        """
        items = sorted(evidence, key=lambda e: (e.kind, e.subject, e.digest))
        full = dict(record)
        full["evidence"] = [citation(item) for item in items]
        digests = [item.digest for item in items]
        record_bytes = canonical_json(full)
        digest_of_results = sha256_digest(record_bytes)
        contents = {row[0]: row for row in (_content_row(item) for item in items)}
        for pending in self._pending:
            for row in pending.contents:
                contents.setdefault(row[0], row)
        columns = _record_columns(full)
        stored_at = format_timestamp(utc_now())

        def work(conn: sqlite3.Connection) -> RecordedRun:
            head = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            prev_hash = head.get("head_hash", GENESIS_HASH)
            seq = int(head.get("head_seq", "0")) + 1
            last = conn.execute("SELECT max(seq) FROM runs").fetchone()[0]
            if last is not None and last >= seq:
                seq = last + 1  # never reuse a number, even if the head was edited
            run_hash = chain_hash(prev_hash, digests, digest_of_results)
            before = conn.total_changes
            conn.executemany(
                "INSERT OR IGNORE INTO evidence (digest, kind, subject, data, stored_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [(*row, stored_at) for row in contents.values()],
            )
            inserted = conn.total_changes - before
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
                    json.dumps(digests),
                    digest_of_results,
                    run_hash,
                    _pack(record_bytes),
                ),
            )
            conn.executemany(
                "INSERT OR IGNORE INTO run_evidence (seq, digest) VALUES (?, ?)",
                [(seq, digest) for digest in set(digests)],
            )
            evicted = self._write_cache(conn, stored_at)
            conn.executemany(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                [("head_seq", str(seq)), ("head_hash", run_hash)],
            )
            if evicted:
                _collect_garbage(conn)
            return RecordedRun(seq, run_hash, prev_hash, len(digests), inserted)

        recorded = self._transaction(work, "record the run")
        self._pending.clear()
        return recorded

    def _write_cache(self, conn: sqlite3.Connection, stored_at: str) -> bool:
        evicted = False
        for entry in self._pending:
            key = (entry.collector, entry.version, entry.fingerprint)
            conn.execute(
                "INSERT OR REPLACE INTO collector_cache (collector, version, fingerprint, "
                "collected_at, stored_at, items, diagnostics) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    *key,
                    entry.collected_at,
                    stored_at,
                    _pack(canonical_json(entry.items)),
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
            stale = conn.execute(
                "SELECT version, fingerprint FROM collector_cache WHERE collector = ? "
                "AND NOT (version = ? AND fingerprint = ?) "
                "ORDER BY stored_at DESC, fingerprint LIMIT -1 OFFSET ?",
                (*key, CACHE_KEEP_PER_COLLECTOR - 1),
            ).fetchall()
            for version, fingerprint in stale:
                old = (entry.collector, version, fingerprint)
                conn.execute(
                    "DELETE FROM collector_cache WHERE collector = ? AND version = ? "
                    "AND fingerprint = ?",
                    old,
                )
                conn.execute(
                    "DELETE FROM cache_evidence WHERE collector = ? AND version = ? "
                    "AND fingerprint = ?",
                    old,
                )
                evicted = True
        return evicted

    # -- retention ------------------------------------------------------------------------
    def prune(self, retention_days: int, *, now: datetime | None = None) -> Tombstone | None:
        """Prune runs started more than `retention_days` ago; leave a tombstone.

        A pruned run keeps its number, hashes and evidence digests (so the chain still
        verifies) but loses its record; cache entries stored before the cutoff are dropped,
        and evidence no run or cache entry cites any more is deleted (and overwritten:
        secure_delete). The newest run is never pruned.
        """
        moment = now or utc_now()
        cutoff = format_timestamp(moment - timedelta(days=retention_days))
        pruned_at = format_timestamp(moment)
        reason = f"retention_days: {retention_days} (runs started before {cutoff})"

        def work(conn: sqlite3.Connection) -> Tombstone | None:
            rows = conn.execute(
                "SELECT seq, hash, command, started_at FROM runs WHERE pruned_at IS NULL "
                "AND started_at < ? AND seq < (SELECT max(seq) FROM runs) ORDER BY seq",
                (cutoff,),
            ).fetchall()
            if not rows:
                return None
            seqs = [(row[0],) for row in rows]
            conn.executemany(
                "UPDATE runs SET record = NULL, pruned_at = ? WHERE seq = ?",
                [(pruned_at, seq) for (seq,) in seqs],
            )
            conn.executemany("DELETE FROM run_evidence WHERE seq = ?", seqs)
            # Cache entries as old as the pruned runs go too, or their evidence would live on.
            conn.execute(
                "DELETE FROM cache_evidence WHERE (collector, version, fingerprint) IN "
                "(SELECT collector, version, fingerprint FROM collector_cache "
                "WHERE stored_at < ?)",
                (cutoff,),
            )
            conn.execute("DELETE FROM collector_cache WHERE stored_at < ?", (cutoff,))
            removed = _collect_garbage(conn)
            runs = [
                {"id": seq, "hash": run_hash, "command": command, "started_at": started}
                for seq, run_hash, command, started in rows
            ]
            conn.execute(
                "INSERT INTO tombstones (pruned_at, reason, runs, evidence_removed) "
                "VALUES (?, ?, ?, ?)",
                (pruned_at, reason, canonical_json(runs).decode("utf-8"), removed),
            )
            return Tombstone(pruned_at, reason, runs, removed)

        tombstone = self._transaction(work, "prune old runs")
        if tombstone is not None:
            # Move the overwritten pages out of the WAL too; best effort.
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return tombstone

    # -- reading --------------------------------------------------------------------------
    def runs(self) -> list[RunSummary]:
        rows = self._read(
            "SELECT seq, command, started_at, finished_at, tool_version, target_commit, gate, "
            "evidence_digests, hash, pruned_at FROM runs ORDER BY seq"
        )
        return [
            RunSummary(
                seq=row[0],
                command=row[1],
                started_at=row[2],
                finished_at=row[3],
                tool_version=row[4],
                target_commit=row[5],
                gate=row[6],
                evidence=len(json.loads(row[7])),
                hash=row[8],
                pruned_at=row[9],
            )
            for row in rows
        ]

    def latest_check(self) -> int | None:
        """The newest run recorded by `govgate check` that still holds its result, if any."""
        rows = self._read("SELECT max(seq) FROM runs WHERE command = 'check' AND pruned_at IS NULL")
        return int(rows[0][0]) if rows and rows[0][0] is not None else None

    def run_evidence(self, seq: int) -> list[Evidence]:
        """The evidence items a run cited, with their data, each checked against its digest.

        Raises LockerError naming the run and item when one is missing or no longer matches
        (the dossier must never present evidence the locker cannot vouch for).
        """
        record = self.show(seq)["record"]
        if record is None:
            raise LockerError(f"{self.display}: run {seq} was pruned; its evidence is gone")
        cited = record.get("evidence") or []
        contents = self._contents({item["digest"] for item in cited})
        items: list[Evidence] = []
        for item in cited:
            content = contents.get(item["digest"])
            problem = (
                "is missing"
                if content is None
                else _check_evidence_row(item["digest"], content[0], content[1], content[2])
            )
            if problem is not None:
                raise LockerError(
                    f"{self.display}: run {seq}: evidence {item['digest'][:19]}… {problem}; "
                    "run `govgate verify`"
                )
            assert content is not None
            items.append(Evidence.from_json({**item, "data": json.loads(content[2])}))
        return items

    def resolve_run(self, ref: str) -> int:
        """A run number from `12`, `latest`, or a hash prefix (with or without `sha256:`)."""
        text = ref.strip()
        if text in ("latest", "last", "head"):
            rows = self._read("SELECT max(seq) FROM runs")
            if rows[0][0] is None:
                raise LockerError(f"{self.display}: no runs recorded yet")
            return int(rows[0][0])
        if text.isdigit():
            if self._read("SELECT 1 FROM runs WHERE seq = ?", (int(text),)):
                return int(text)
            raise LockerError(f"{self.display}: no run {text} (see `govgate locker ls`)")
        prefix = text.removeprefix("sha256:").lower()
        if len(prefix) < 6 or any(c not in "0123456789abcdef" for c in prefix):
            raise UsageError(f"RUN {ref!r}: give a run number, 'latest' or a hash prefix (6+ hex)")
        found = self._read("SELECT seq FROM runs WHERE hash LIKE ?", (f"sha256:{prefix}%",))
        if len(found) != 1:
            what = "no run has" if not found else f"{len(found)} runs have"
            raise LockerError(f"{self.display}: {what} a hash starting with {prefix}")
        return int(found[0][0])

    def show(self, seq: int) -> dict[str, Any]:
        rows = self._read(
            "SELECT seq, hash, prev_hash, results_digest, evidence_digests, record, pruned_at "
            "FROM runs WHERE seq = ?",
            (seq,),
        )
        if not rows:
            raise LockerError(f"{self.display}: no run {seq}")
        row = rows[0]
        return {
            "id": row[0],
            "hash": row[1],
            "prev_hash": row[2],
            "results_digest": row[3],
            "evidence_digests": json.loads(row[4]),
            "pruned_at": row[6],
            "record": json.loads(_unpack(row[5])) if row[5] is not None else None,
        }

    def tombstones(self) -> list[Tombstone]:
        return [
            Tombstone(pruned_at, reason, json.loads(runs), removed)
            for pruned_at, reason, runs, removed in self._read(
                "SELECT pruned_at, reason, runs, evidence_removed FROM tombstones ORDER BY id"
            )
        ]

    def _head(self) -> tuple[int, str] | None:
        meta = dict(self._read("SELECT key, value FROM meta"))
        if "head_seq" not in meta:
            return None
        return int(meta["head_seq"]), meta["head_hash"]

    def _iter_evidence(self) -> Iterator[tuple[str, str, str, str]]:
        cursor = self._conn.execute("SELECT digest, kind, subject, data FROM evidence")
        while True:
            rows = cursor.fetchmany(500)
            if not rows:
                return
            yield from rows

    # -- verification ---------------------------------------------------------------------
    def verify(self) -> VerifyReport:
        """Recompute every evidence digest, every run record digest and the whole chain."""
        report = VerifyReport(source=self.display)
        try:
            self._verify_into(report)
        except sqlite3.Error as exc:
            if _is_busy(exc):
                raise _sqlite_failure(self.display, exc, "verify the locker") from exc
            report.problems.insert(
                0, VerifyProblem(None, None, f"the locker database is damaged: {exc}")
            )
        return report

    def _verify_into(self, report: VerifyReport) -> None:
        integrity = [row[0] for row in self._read("PRAGMA quick_check")]
        if integrity != ["ok"]:
            report.problems.append(
                VerifyProblem(
                    None, None, "the locker database is damaged: " + "; ".join(integrity[:3])
                )
            )
        status: dict[str, str | None] = {}
        labels: dict[str, str] = {}
        for digest, kind, subject, data in self._iter_evidence():
            status[digest] = _check_evidence_row(digest, kind, subject, data)
            labels[digest] = f"kind {kind}, subject {subject}"
        report.evidence = len(status)
        index: dict[int, set[str]] = {}
        for seq, digest in self._read("SELECT seq, digest FROM run_evidence"):
            index.setdefault(seq, set()).add(digest)
        runs: list[_StoredRun] = []
        rows = self._read(
            "SELECT seq, prev_hash, hash, results_digest, evidence_digests, record, pruned_at, "
            "command, started_at, finished_at, tool_version, target_commit, gate FROM runs"
        )
        for row in rows:
            record: Any = None
            problem = None
            digests: list[str] = []
            try:
                digests = [str(d) for d in json.loads(row[4])]
            except (ValueError, TypeError):
                problem = "its evidence list was edited (not valid JSON)"
            if row[5] is not None:
                try:
                    record = json.loads(_unpack(row[5]))
                except ValueError:
                    problem = "its record was changed after it was stored (cannot be decoded)"
            elif row[6] is None:
                problem = "its record was deleted (and it is not marked as pruned)"
            runs.append(
                _StoredRun(
                    seq=row[0],
                    prev_hash=row[1],
                    hash=row[2],
                    results_digest=row[3],
                    evidence_digests=digests,
                    record=record,
                    record_problem=problem,
                    pruned=row[6] is not None and row[5] is None,
                    columns=dict(
                        zip(
                            (
                                "command",
                                "started_at",
                                "finished_at",
                                "tool_version",
                                "target_commit",
                                "gate",
                            ),
                            row[7:13],
                            strict=True,
                        )
                    ),
                    index=index.get(row[0], set()),
                )
            )
        tombstoned = {int(r["id"]) for t in self.tombstones() for r in t.runs}
        head = self._head()
        report.problems.extend(verify_chain(runs, status, labels, head, tombstoned))
        cited = {d for run in runs for d in run.evidence_digests}
        for collector, digest in self._read("SELECT collector, digest FROM cache_evidence"):
            if digest in cited:
                continue
            if digest not in status:
                report.problems.append(
                    VerifyProblem(
                        None,
                        digest,
                        f"evidence {digest} cached for collector '{collector}' is missing",
                    )
                )
            elif status[digest] is not None:
                report.problems.append(
                    VerifyProblem(
                        None,
                        digest,
                        f"evidence {digest} ({labels[digest]}) cached for collector "
                        f"'{collector}' {status[digest]}",
                    )
                )
                cited.add(digest)
        report.problems.extend(_uncited_problems(status, labels, cited))
        report.runs = len(runs)
        report.pruned = sum(1 for run in runs if run.pruned)
        if head is not None:
            report.head_seq, report.head_hash = head

    # -- export ---------------------------------------------------------------------------
    def export(self, directory: Path) -> dict[str, Any]:
        """Write one JSON file per evidence item and per run record, plus `manifest.json`.

        Files are content-addressed or numbered, written atomically, and the manifest last, so
        an export can be committed to git (re-exporting only adds files) or archived.
        """
        _prepare_export_dir(directory)
        runs_out: list[dict[str, Any]] = []
        evidence_out: list[dict[str, Any]] = []
        written = 0
        # One read snapshot, so a run recorded meanwhile cannot appear half-exported.
        self._conn.execute("BEGIN")
        try:
            for digest, kind, subject, data in self._iter_evidence():
                hexdigest = digest.split(":", 1)[-1]
                rel = f"evidence/{hexdigest[:2]}/{hexdigest}.json"
                try:
                    value: Any = json.loads(data)
                except ValueError:
                    value = data  # exported as stored; verifying the export reports it
                document = {"digest": digest, "kind": kind, "subject": subject, "data": value}
                written += _write_json(directory / rel, document)
                evidence_out.append(
                    {"digest": digest, "kind": kind, "subject": subject, "file": rel}
                )
            for row in self._conn.execute(
                "SELECT seq, prev_hash, hash, results_digest, evidence_digests, record, "
                "pruned_at, command, started_at, finished_at, gate, target_commit "
                "FROM runs ORDER BY seq"
            ):
                rel_run: str | None = None
                if row[5] is not None:
                    try:
                        stored = json.loads(_unpack(row[5]))
                    except ValueError:
                        stored = None  # damaged: listed without a file; verifying it says so
                    if stored is not None:
                        rel_run = f"runs/{row[0]:06d}.json"
                        written += _write_json(directory / rel_run, stored)
                runs_out.append(
                    {
                        "id": row[0],
                        "prev_hash": row[1],
                        "hash": row[2],
                        "results_digest": row[3],
                        "evidence": json.loads(row[4]),
                        "file": rel_run,
                        "pruned_at": row[6],
                        "command": row[7],
                        "started_at": row[8],
                        "finished_at": row[9],
                        "gate": row[10],
                        "target_commit": row[11],
                    }
                )
            head = self._head()
            tombstones = [t.to_json() for t in self.tombstones()]
        finally:
            self._conn.execute("COMMIT")
        manifest = {
            "schema": EXPORT_SCHEMA,
            "tool": {"name": "govgate", "version": __version__},
            "exported_at": format_timestamp(utc_now()),
            "locker": {"path": self.display, "schema_version": SCHEMA_VERSION},
            "chain": {
                "genesis": GENESIS_HASH,
                "run_hash": 'sha256(canonical_json({"prev": prev_hash, "evidence": '
                '[evidence digests], "results": results_digest}))',
                "results_digest": "sha256(canonical_json(run record))",
                "evidence_digest": "sha256(canonical_json({kind, subject, data}))",
            },
            "head": {"id": head[0], "hash": head[1]} if head else None,
            "runs": runs_out,
            "evidence": sorted(evidence_out, key=lambda e: e["digest"]),
            "tombstones": tombstones,
        }
        _write_json(directory / "manifest.json", manifest)
        return {
            "directory": str(directory),
            "runs": len(runs_out),
            "evidence": len(evidence_out),
            "files_written": written + 1,
        }


# -- helpers of the locker ------------------------------------------------------------------


def _refusal(shown: str, why: str) -> LockerError:
    return LockerError(
        f"{shown}: {why}; govgate never overwrites it. Move it aside "
        f"(mv {shown} {shown}.broken) and run again to start a new locker, "
        "or set `locker:` in govgate.yaml to another path"
    )


def _sqlite_failure(shown: str, exc: sqlite3.Error, action: str) -> LockerError:
    name = getattr(exc, "sqlite_errorname", "") or type(exc).__name__
    if _is_busy(exc):
        return LockerError(
            f"{shown}: cannot {action}: the locker stayed locked by another govgate process "
            f"for {LOCK_DEADLINE_SECONDS:g} s ({name}); try again"
        )
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return _refusal(shown, f"is damaged ({exc})")
    return LockerError(
        f"{shown}: cannot {action}: {exc} ({name}); earlier runs are intact. Free disk space "
        "or make the locker writable, or run with --no-locker"
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
        raise _refusal(shown, "is not an evidence locker (not an SQLite database)")
    if len(header) < 100:
        raise _refusal(shown, "is damaged (truncated SQLite header)")


def _make_parent(path: Path, shown: str) -> None:
    parent = path.parent
    if parent.is_dir():
        return
    try:
        parent.mkdir(parents=True, exist_ok=True)
        if parent.name == ".govgate":
            # Local state, not source: keep it out of commits (export it to commit it).
            (parent / ".gitignore").write_text(
                "# govgate's local state (evidence locker, caches); "
                "`govgate locker export DIR` writes a committable copy\n*\n",
                encoding="utf-8",
            )
    except OSError as exc:
        raise LockerError(
            f"{shown}: cannot create {parent}: {exc.strerror}; make it writable, "
            "or run with --no-locker"
        ) from exc


def _collect_garbage(conn: sqlite3.Connection) -> int:
    """Delete evidence no run and no cache entry cites; returns how many rows went."""
    before = conn.total_changes
    conn.execute(
        "DELETE FROM evidence WHERE NOT EXISTS "
        "(SELECT 1 FROM run_evidence r WHERE r.digest = evidence.digest) "
        "AND NOT EXISTS (SELECT 1 FROM cache_evidence c WHERE c.digest = evidence.digest)"
    )
    return conn.total_changes - before


def _prepare_export_dir(directory: Path) -> None:
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory}: exists and is not a directory")
    if directory.is_dir() and any(directory.iterdir()):
        manifest = directory / "manifest.json"
        try:
            schema = json.loads(manifest.read_text(encoding="utf-8")).get("schema")
        except (OSError, ValueError, AttributeError):
            schema = None
        if schema != EXPORT_SCHEMA:
            raise UsageError(
                f"{directory}: not empty and not a govgate locker export; "
                "choose an empty or new directory"
            )
    directory.mkdir(parents=True, exist_ok=True)


def _export_text(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _write_json(path: Path, value: Any) -> int:
    """Write a JSON file atomically; 0 when it already holds exactly this content."""
    text = _export_text(value)
    try:
        if path.read_text(encoding="utf-8") == text:
            return 0
    except (OSError, UnicodeDecodeError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return 1


def verify_export(directory: Path) -> VerifyReport:
    """Verify an export offline: the same digest and chain checks as the locker itself."""
    report = VerifyReport(source=_display(directory))
    try:
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(
            f"{directory}/manifest.json: cannot read the export manifest: {exc}"
        ) from exc
    if not isinstance(manifest, dict) or manifest.get("schema") != EXPORT_SCHEMA:
        raise UsageError(f"{directory}/manifest.json: not a govgate locker export")
    status: dict[str, str | None] = {}
    labels: dict[str, str] = {}
    for entry in manifest.get("evidence") or []:
        digest = str(entry.get("digest"))
        labels[digest] = f"kind {entry.get('kind')}, subject {entry.get('subject')}"
        try:
            document = json.loads((directory / str(entry.get("file"))).read_text("utf-8"))
            if document.get("digest") != digest:
                status[digest] = f"file {entry.get('file')} holds another digest"
            else:
                status[digest] = _check_export_evidence(document)
        except (OSError, ValueError, AttributeError) as exc:
            status[digest] = f"cannot be read from {entry.get('file')}: {exc}"
    runs: list[_StoredRun] = []
    for entry in manifest.get("runs") or []:
        record: Any = None
        problem = None
        if entry.get("file"):
            try:
                record = json.loads((directory / str(entry["file"])).read_text("utf-8"))
            except (OSError, ValueError) as exc:
                problem = f"its record {entry['file']} cannot be read: {exc}"
        elif not entry.get("pruned_at"):
            problem = "its record file is missing from the export"
        runs.append(
            _StoredRun(
                seq=int(entry["id"]),
                prev_hash=str(entry["prev_hash"]),
                hash=str(entry["hash"]),
                results_digest=str(entry["results_digest"]),
                evidence_digests=[str(d) for d in entry.get("evidence") or []],
                record=record,
                record_problem=problem,
                pruned=bool(entry.get("pruned_at")) and not entry.get("file"),
            )
        )
    tombstoned = {
        int(r["id"]) for t in manifest.get("tombstones") or [] for r in t.get("runs") or []
    }
    head_raw = manifest.get("head")
    head = (int(head_raw["id"]), str(head_raw["hash"])) if head_raw else None
    report.problems.extend(verify_chain(runs, status, labels, head, tombstoned))
    cited = {d for run in runs for d in run.evidence_digests}
    report.problems.extend(_uncited_problems(status, labels, cited))
    report.runs = len(runs)
    report.pruned = sum(1 for run in runs if run.pruned)
    report.evidence = len(status)
    if head is not None:
        report.head_seq, report.head_hash = head
    return report


def _check_export_evidence(document: dict[str, Any]) -> str | None:
    try:
        recomputed = evidence_digest(
            str(document["kind"]), str(document["subject"]), document["data"]
        )
    except (KeyError, ValueError):
        return "is incomplete or not JSON data"
    if recomputed != document["digest"]:
        return "was changed after it was exported: its content no longer matches its digest"
    return None


# -- building a run record -----------------------------------------------------------------


def build_run_record(
    *,
    command: str,
    started_at: str,
    finished_at: str,
    target: dict[str, Any],
    config: Config,
    packs: list[dict[str, Any]],
    parameters: dict[str, Any],
    collectors: list[dict[str, Any]],
    result: dict[str, Any] | None,
) -> dict[str, Any]:
    """The record of one run (its evidence citations are added by `record_run`)."""
    return {
        "format": RECORD_FORMAT,
        "command": command,
        "started_at": started_at,
        "finished_at": finished_at,
        "tool": {"name": "govgate", "version": __version__},
        "target": target,
        "config": {"file": Path(config.file).name, "digest": results_digest(config.raw)},
        "packs": [
            {"name": p["name"], "version": p["version"], "digest": p["digest"]} for p in packs
        ],
        "parameters": parameters,
        "collectors": collectors,
        "result": result,
    }
