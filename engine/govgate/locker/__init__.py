"""The evidence locker: tamper-evident run history and collector cache (DESIGN §6).

One SQLite file (`.govgate/locker.db`, WAL mode) per target repository holds:

- **evidence**, content-addressed by its digest (DESIGN §5) and stored once however many runs
  cite it; only what collectors produced (already redacted), never raw file contents;
- **runs**, one row per `govgate check` / `govgate collect`, each with a canonical JSON record
  (start and end, tool version, packs with digests, effective parameters, target commit, the
  evidence it used, its results) and chained by hash:
  `hash = sha256(canonical_json({"prev": prev_hash, "evidence": [digests], "results": digest}))`;
- **the collector cache**, keyed by collector, version and input fingerprint;
- **tombstones** for runs pruned by `retention_days`, so the chain still verifies. Pruning is
  itself tamper-evident: each tombstone is a sealed document chained to the one before it and
  naming the pruned runs (hash, start) and the newest run when it pruned, and every run's
  record carries a `ledger` that binds the tombstones written before it and the start times of
  all earlier runs. `verify` checks that each pruned run was old enough, never the newest, and
  accounted for by a sealed tombstone the chain knows.

One run is one `BEGIN IMMEDIATE` transaction: the write lock is taken before the previous hash
is read, so concurrent processes append one after another and the chain stays linear, and a
process killed at any point leaves the earlier runs intact. A file at the locker path that is
not a govgate locker is refused with a recovery hint and never overwritten.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import os
import re
import sqlite3
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard, TypeVar

from govgate import __version__
from govgate.core.collector import Diagnostic
from govgate.core.evidence import (
    Evidence,
    canonical_json,
    evidence_digest,
    format_timestamp,
    parse_timestamp,
    sha256_digest,
    utc_now,
)
from govgate.support.errors import UsageError

if TYPE_CHECKING:
    from govgate.core.config import Config

T = TypeVar("T")

#: `PRAGMA application_id` of a govgate locker ("GvGt"): tells our file from any other SQLite.
APPLICATION_ID = 0x47764774
#: The schema this code writes; older lockers are migrated forward, newer ones refused.
SCHEMA_VERSION = 2
#: prev_hash of the first run (and the start of the tombstone chain and of the ledger).
GENESIS_HASH = "sha256:" + "0" * 64
EXPORT_SCHEMA = "govgate/locker-export/v1"
RECORD_FORMAT = "govgate/run/v1"
TOMBSTONE_FORMAT = "govgate/tombstone/v1"
#: How much later than the end of the run recorded next a prune may be dated: that run was
#: committed after the prune, at most a lock wait after it finished; the rest is clock jitter.
PRUNE_CLOCK_SLACK = timedelta(hours=1)
#: The reason a schema-1 prune wrote (read when such a locker is migrated).
_V1_REASON = re.compile(r"^retention_days: (\d+) \(runs started before (\S+)\)$")
#: SQLite's own wait for a lock, then our retries with jittered back-off up to the deadline.
BUSY_TIMEOUT_SECONDS = 30.0
LOCK_DEADLINE_SECONDS = 120.0
#: Cache entries kept per collector (recent branches and edits stay warm; older ones go).
CACHE_KEEP_PER_COLLECTOR = 16


def ledger_step(previous: str, seq: int, started_at: Any) -> str:
    """The ledger of start times after run `seq`: binds every run's start, pruned or not."""
    return sha256_digest(canonical_json({"prev": previous, "run": seq, "started_at": started_at}))


def tombstone_hash(document: dict[str, Any]) -> str:
    """A tombstone's hash: sha256 over its sealed document (which names the previous hash)."""
    return sha256_digest(canonical_json(document))


def _tombstone_document(
    number: int,
    prev: str,
    pruned_at: str,
    retention_days: int | None,
    cutoff: str | None,
    reason: str,
    runs: Any,
    evidence_removed: int,
    head: dict[str, Any] | None,
    *,
    migrated: bool,
) -> dict[str, Any]:
    return {
        "format": TOMBSTONE_FORMAT,
        "id": number,
        "prev": prev,
        "pruned_at": pruned_at,
        "retention_days": retention_days,
        "cutoff": cutoff,
        "reason": reason,
        "runs": runs,
        "evidence_removed": evidence_removed,
        "head": head,
        "migrated": migrated,
    }


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
        match = _V1_REASON.match(str(reason))
        try:
            runs: Any = json.loads(runs_text)
        except (TypeError, ValueError):
            runs = runs_text  # sealed as found; verify says it names no run it can read
        document = _tombstone_document(
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


_Migration = str | Callable[[sqlite3.Connection], None]

_MIGRATIONS: tuple[tuple[int, tuple[_Migration, ...]], ...] = (
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
    from govgate.core.config import DEFAULT_LOCKER

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
    """What a retention pass pruned, when and why, and its sealed document and hash."""

    pruned_at: str
    reason: str
    runs: list[dict[str, Any]]
    evidence_removed: int
    document: dict[str, Any] | None = None
    hash: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The sealed document plus its hash (what exports carry), else the listed columns."""
        if self.document is not None:
            return {**self.document, "hash": self.hash}
        listed: dict[str, Any] = {
            "pruned_at": self.pruned_at,
            "reason": self.reason,
            "runs": self.runs,
            "evidence_removed": self.evidence_removed,
        }
        if self.hash is not None:
            listed["hash"] = self.hash
        return listed


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
    tombstones: int = 0
    tombstone_head: str | None = None
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
            "tombstones": {"count": self.tombstones, "head": self.tombstone_head},
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
    #: As listed (locker columns or manifest): the only start and end a pruned run keeps.
    started_at: Any = None
    finished_at: Any = None
    pruned_at: Any = None

    @property
    def readable(self) -> dict[str, Any] | None:
        """Its record, when it has one that could be read."""
        if self.pruned or self.record_problem is not None or not isinstance(self.record, dict):
            return None
        return self.record

    @property
    def start(self) -> Any:
        """When it started: from its record (bound by its hash), else as listed."""
        record = self.readable
        return record.get("started_at") if record is not None else self.started_at

    @property
    def end(self) -> Any:
        record = self.readable
        return record.get("finished_at") if record is not None else self.finished_at


@dataclass
class _StoredTombstone:
    """A tombstone as verification sees it, from the database or from an export."""

    number: int
    document: dict[str, Any] | None
    hash: str | None
    #: pruned_at, reason, runs, evidence_removed as listed next to the document (locker only)
    listed: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None

    @property
    def facts(self) -> dict[str, Any]:
        """The sealed document, else what is listed (an unsealed or unreadable tombstone)."""
        if self.document is not None:
            return self.document
        facts = dict(self.listed)
        match = _V1_REASON.match(str(facts.get("reason")))
        facts.setdefault("retention_days", int(match[1]) if match else None)
        facts.setdefault("cutoff", match[2] if match else None)
        return facts

    @property
    def run_ids(self) -> list[int]:
        runs = self.facts.get("runs")
        if not isinstance(runs, list):
            return []
        return [r["id"] for r in runs if isinstance(r, dict) and _is_int(r.get("id"))]

    @property
    def head_id(self) -> int | None:
        head = self.document.get("head") if self.document is not None else None
        return head["id"] if isinstance(head, dict) and _is_int(head.get("id")) else None


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


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
    tombstones: list[_StoredTombstone],
    *,
    unsealed_ok: bool = False,
) -> list[VerifyProblem]:
    """Check every run's record, evidence and link, and every prune; shared by the locker and
    its exports. `unsealed_ok`: tombstones without a hash are accepted (an export of a schema-1
    locker, whose runs carry no ledger), with every check they allow.
    """
    problems: list[VerifyProblem] = []
    tombstoned = {seq for t in tombstones for seq in t.run_ids}
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
    ordered = sorted(runs, key=lambda r: r.seq)
    problems.extend(_verify_tombstones(ordered, tombstones, unsealed_ok))
    problems.extend(_verify_ledger(ordered, tombstones))
    return problems


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        return None


def run_list_text(ids: list[int]) -> str:
    """Run numbers as a reader wants them: "run 3", "runs 2-5", "runs 1, 4" or "no run"."""
    if not ids:
        return "no run"
    if len(ids) == 1:
        return f"run {ids[0]}"
    if ids == list(range(ids[0], ids[-1] + 1)):
        return f"runs {ids[0]}-{ids[-1]}"
    return "runs " + ", ".join(map(str, ids))


def _verify_tombstones(
    runs: list[_StoredRun], tombstones: list[_StoredTombstone], unsealed_ok: bool
) -> list[VerifyProblem]:
    """Each prune: sealed, chained, dated consistently, and each run it names was old enough,
    not the newest, and is the run the chain holds (same hash and start)."""
    problems: list[VerifyProblem] = []
    by_seq = {run.seq: run for run in runs}
    if runs and runs[-1].pruned:
        problems.append(
            VerifyProblem(
                runs[-1].seq,
                None,
                "is the newest run but has no record: the newest run is never pruned",
            )
        )
    prev = GENESIS_HASH
    last_head = 0
    named_by: dict[int, int] = {}
    for tomb in tombstones:
        number = tomb.number
        ids = tomb.run_ids
        item = f"tombstone {number}"

        def blame(message: str, ids: list[int] = ids, item: str = item) -> None:
            problems.append(
                VerifyProblem(
                    min(ids) if ids else None,
                    item,
                    f"{item} (pruning {run_list_text(ids)}) {message}",
                )
            )

        facts = tomb.facts
        doc = tomb.document
        if tomb.problem is not None:
            blame(tomb.problem)
        elif doc is None and not unsealed_ok:
            blame(
                "is not sealed (it has no document and hash): govgate's retention did not write it"
            )
        if doc is not None:
            if tomb.hash != tombstone_hash(doc):
                blame("was edited after it was written: its hash no longer matches it")
            if doc.get("format") != TOMBSTONE_FORMAT or doc.get("id") != number:
                blame(
                    f"is out of place: it says it is tombstone {doc.get('id')!r} "
                    "(tombstones deleted, reordered or rewritten)"
                )
            if doc.get("prev") != prev:
                before = f"tombstone {number - 1}" if number > 1 else "the start of the chain"
                blame(f"does not link to {before} (tombstones deleted, reordered or edited)")
            edited = sorted(k for k, v in tomb.listed.items() if doc.get(k) != v)
            if edited:
                blame(f"its listed {', '.join(edited)} differ from its sealed document (edited)")
            if not isinstance(doc.get("runs"), list):
                blame("names its pruned runs in a form that cannot be read")
        if tomb.hash is not None:
            prev = tomb.hash
        pruned_at = facts.get("pruned_at")
        moment = _moment(pruned_at)
        retention = facts.get("retention_days")
        cutoff = facts.get("cutoff")
        if moment is None:
            blame(f"is dated {pruned_at!r}, not a time")
        if retention is None or cutoff is None:
            blame("does not state the retention_days and cutoff it pruned by")
        elif not _is_int(retention) or retention < 1:
            blame(f"states retention_days {retention!r}; retention is a whole number of days")
        elif moment is not None and cutoff != format_timestamp(moment - timedelta(days=retention)):
            blame(
                f"states the cutoff {cutoff}, but {pruned_at} minus {retention} days is "
                f"{format_timestamp(moment - timedelta(days=retention))} (edited)"
            )
        head_id = tomb.head_id
        if doc is not None:
            head = doc.get("head")
            head_hash = head.get("hash") if isinstance(head, dict) else None
            newest = by_seq.get(head_id) if head_id is not None else None
            if head_id is None:
                blame("does not name the newest run when it pruned")
            elif newest is None or newest.hash != head_hash:
                has = f"run {head_id} has {_short(newest.hash)}" if newest else "there is none"
                blame(
                    f"names run {head_id} ({_short(head_hash)}) as the newest run when it "
                    f"pruned, but {has}"
                )
            if head_id is not None:
                if head_id < last_head:
                    blame(
                        f"names run {head_id} as the newest run when it pruned, before the "
                        f"run {last_head} the tombstone ahead of it names (reordered)"
                    )
                last_head = max(last_head, head_id)
                after = by_seq.get(head_id + 1)
                end = _moment(after.end) if after is not None else None
                if moment is not None and end is not None and moment > end + PRUNE_CLOCK_SLACK:
                    blame(
                        f"is dated {pruned_at}, later than run {head_id + 1} finished "
                        f"({after.end if after else '-'}), a run recorded after this prune: "
                        "its date is made up"
                    )
        for seq in ids:
            if seq in named_by:
                problems.append(
                    VerifyProblem(
                        seq, item, f"is pruned by both tombstone {named_by[seq]} and {item}"
                    )
                )
                continue
            named_by[seq] = number
            entry = next(r for r in facts["runs"] if isinstance(r, dict) and r.get("id") == seq)
            run = by_seq.get(seq)
            if run is None:
                problems.append(
                    VerifyProblem(seq, item, f"is pruned by {item} but the locker has no run {seq}")
                )
                continue
            if head_id is not None and seq >= head_id:
                problems.append(
                    VerifyProblem(
                        seq,
                        item,
                        f"was pruned by {item} while it was the newest run (the newest run is "
                        "never pruned)",
                    )
                )
            if entry.get("hash") != run.hash:
                problems.append(
                    VerifyProblem(
                        seq,
                        item,
                        f"has hash {_short(run.hash)}, but {item} pruned a run {seq} whose hash "
                        f"was {_short(entry.get('hash'))}",
                    )
                )
            if entry.get("started_at") != run.start:
                problems.append(
                    VerifyProblem(
                        seq,
                        item,
                        f"started at {run.start}, but {item} says the run it pruned started at "
                        f"{entry.get('started_at')}",
                    )
                )
            started, limit = _moment(run.start), _moment(cutoff)
            if limit is not None and (started is None or not started < limit):
                problems.append(
                    VerifyProblem(
                        seq,
                        item,
                        f"was not old enough to prune: it started at {run.start}, not before the "
                        f"cutoff {cutoff} of {item} ({pruned_at} minus {retention!r} days)",
                    )
                )
            if not run.pruned:
                problems.append(
                    VerifyProblem(seq, item, f"{item} says it was pruned, but it has its record")
                )
            elif run.pruned_at != pruned_at:
                problems.append(
                    VerifyProblem(
                        seq,
                        item,
                        f"is marked pruned at {run.pruned_at}, but {item} pruned it at "
                        f"{pruned_at} (edited)",
                    )
                )
    return problems


def _verify_ledger(
    runs: list[_StoredRun], tombstones: list[_StoredTombstone]
) -> list[VerifyProblem]:
    """Each run's `ledger` against what was there before it: the tombstones (whose newest run
    precedes it) and the start times of all earlier runs, so a tombstone or a start time
    forged after a run was recorded is caught by that run (the newest is never pruned)."""
    problems: list[VerifyProblem] = []
    heads = [GENESIS_HASH] + [t.hash or "" for t in tombstones]
    head_ids = sorted(t.head_id for t in tombstones if t.head_id is not None)
    started = GENESIS_HASH
    confirmed_below = 1  # runs before this one are covered by a ledger that matched
    first_ledger: int | None = None
    started_broken = tombstones_broken = False
    blamed: set[int] = set()
    for run in runs:
        record = run.readable
        ledger = record.get("ledger") if record is not None else None
        if record is not None and ledger is None and first_ledger is not None:
            problems.append(
                VerifyProblem(
                    run.seq,
                    None,
                    f"its record has no ledger, but run {first_ledger}'s has: it was not "
                    f"recorded by govgate after run {first_ledger} (replaced)",
                )
            )
        elif ledger is not None and not isinstance(ledger, dict):
            problems.append(VerifyProblem(run.seq, None, "its record's ledger cannot be read"))
        elif isinstance(ledger, dict):
            first_ledger = first_ledger or run.seq
            if ledger.get("runs_before") != run.seq - 1:
                problems.append(
                    VerifyProblem(
                        run.seq,
                        None,
                        f"its ledger covers {ledger.get('runs_before')!r} earlier runs, not "
                        f"{run.seq - 1} (renumbered)",
                    )
                )
            if started_broken:
                pass
            elif ledger.get("started_at_digest") == started:
                confirmed_below = run.seq
            else:
                started_broken = True
                suspects = [r for r in runs if confirmed_below <= r.seq < run.seq and r.pruned]
                for suspect in suspects:
                    problems.append(
                        VerifyProblem(
                            suspect.seq,
                            None,
                            f"its start {suspect.start} may not be the one recorded: the start "
                            f"times run {run.seq} recorded for the runs before it no longer "
                            "match (edited, as if it were old enough to prune)",
                        )
                    )
                if not suspects:
                    problems.append(
                        VerifyProblem(
                            run.seq,
                            None,
                            "its ledger of the start times of earlier runs no longer matches "
                            "them (a start time was edited)",
                        )
                    )
            expected = bisect.bisect_left(head_ids, run.seq)  # tombstones before it
            raw_count = ledger.get("tombstones")
            count = raw_count if _is_int(raw_count) else -1
            declared = ledger.get("tombstone_head")
            if count < 0:
                problems.append(
                    VerifyProblem(run.seq, None, "its ledger's tombstone count cannot be read")
                )
            elif count == expected and count < len(heads) and heads[count] == declared:
                pass
            else:
                for tomb in tombstones[count:expected]:
                    if tomb.number in blamed:
                        continue
                    blamed.add(tomb.number)
                    ids = tomb.run_ids
                    problems.append(
                        VerifyProblem(
                            min(ids) if ids else run.seq,
                            f"tombstone {tomb.number}",
                            f"tombstone {tomb.number} (pruning {run_list_text(ids)}) is not one "
                            f"run {run.seq} knew: it says it pruned before run {run.seq} was "
                            f"recorded, but that run's ledger has {count} tombstone(s) (added "
                            "or back-dated afterwards)",
                        )
                    )
                if not tombstones_broken and count > expected:
                    tombstones_broken = True
                    problems.append(
                        VerifyProblem(
                            run.seq,
                            None,
                            f"its ledger has {count} tombstone(s) before it, but the locker has "
                            f"{expected} (a tombstone deleted, or its newest run edited)",
                        )
                    )
                elif not tombstones_broken and count < len(heads) and heads[count] != declared:
                    tombstones_broken = True
                    problems.append(
                        VerifyProblem(
                            run.seq,
                            None,
                            f"its ledger has tombstones 1-{count} with head {_short(declared)}, "
                            f"but they now hash to {_short(heads[count])} (a tombstone edited)",
                        )
                    )
        started = ledger_step(started, run.seq, run.start)
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
        base = dict(record)
        base["evidence"] = [citation(item) for item in items]
        digests = [item.digest for item in items]
        contents = {row[0]: row for row in (_content_row(item) for item in items)}
        for pending in self._pending:
            for row in pending.contents:
                contents.setdefault(row[0], row)
        columns = _record_columns(base)
        stored_at = format_timestamp(utc_now())

        def serialise(ledger: dict[str, Any]) -> tuple[bytes, str]:
            payload = canonical_json({**base, "ledger": ledger})
            return payload, sha256_digest(payload)

        # The ledger is only known under the write lock; serialise with the likely one first,
        # so the lock is held no longer than before unless another process wrote meanwhile.
        meta_now = dict(self._read("SELECT key, value FROM meta"))
        guessed = _ledger(meta_now, int(meta_now.get("head_seq", "0")) + 1)
        prepared = serialise(guessed)

        def work(conn: sqlite3.Connection) -> RecordedRun:
            head = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            prev_hash = head.get("head_hash", GENESIS_HASH)
            seq = int(head.get("head_seq", "0")) + 1
            last = conn.execute("SELECT max(seq) FROM runs").fetchone()[0]
            if last is not None and last >= seq:
                seq = last + 1  # never reuse a number, even if the head was edited
            ledger = _ledger(head, seq)
            record_bytes, digest_of_results = prepared if ledger == guessed else serialise(ledger)
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
            started = ledger_step(ledger["started_at_digest"], seq, columns["started_at"])
            conn.executemany(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                [("head_seq", str(seq)), ("head_hash", run_hash), ("ledger_started", started)],
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

        The tombstone is sealed and chained (see `_verify_tombstones`). `now` (for tests) is
        when the prune happens: a tombstone dated more than PRUNE_CLOCK_SLACK after the end of
        a run recorded after it fails verification, as a forged date would.
        """
        if isinstance(retention_days, bool) or not isinstance(retention_days, int):
            raise UsageError(f"retention_days: {retention_days!r} is not a number of days")
        if retention_days < 1:
            raise UsageError(
                f"retention_days: {retention_days} prunes nothing safely; use 1 or more"
            )
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
            # Sealed and chained: the previous tombstone, and the newest run (never pruned),
            # which the next run's ledger follows with this tombstone's hash.
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            newest = conn.execute("SELECT seq, hash FROM runs ORDER BY seq DESC LIMIT 1").fetchone()
            number = _ledger(meta, 0)["tombstones"] + 1
            document = _tombstone_document(
                number,
                meta.get("tombstone_head", GENESIS_HASH),
                pruned_at,
                retention_days,
                cutoff,
                reason,
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
                    pruned_at,
                    reason,
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
            return Tombstone(pruned_at, reason, runs, removed, document, sealed)

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
            Tombstone(pruned_at, reason, _loads(runs, []), removed, _document(document), sealed)
            for pruned_at, reason, runs, removed, document, sealed in self._read(
                "SELECT pruned_at, reason, runs, evidence_removed, document, hash "
                "FROM tombstones ORDER BY id"
            )
        ]

    def _stored_tombstones(self) -> list[_StoredTombstone]:
        stored: list[_StoredTombstone] = []
        rows = self._read(
            "SELECT pruned_at, reason, runs, evidence_removed, document, hash "
            "FROM tombstones ORDER BY id"
        )
        for number, (pruned_at, reason, runs, removed, document, sealed) in enumerate(rows, 1):
            parsed = _document(document)
            stored.append(
                _StoredTombstone(
                    number=number,
                    document=parsed,
                    hash=sealed,
                    listed={
                        "pruned_at": pruned_at,
                        "reason": reason,
                        "runs": _loads(runs, runs),
                        "evidence_removed": removed,
                    },
                    problem=(
                        "was edited after it was written: its sealed document cannot be read"
                        if document is not None and parsed is None
                        else None
                    ),
                )
            )
        return stored

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
                    started_at=row[8],
                    finished_at=row[9],
                    pruned_at=row[6],
                )
            )
        tombstones = self._stored_tombstones()
        head = self._head()
        report.problems.extend(verify_chain(runs, status, labels, head, tombstones))
        report.tombstones = len(tombstones)
        report.tombstone_head = tombstones[-1].hash if tombstones else None
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
                "tombstone_hash": "sha256(canonical_json(tombstone without its hash)); its "
                "prev is the previous tombstone's hash, the genesis for the first",
                "ledger": 'each run record\'s "ledger": runs_before, started_at_digest '
                '(started(0) = genesis, started(n) = sha256(canonical_json({"prev": '
                'started(n-1), "run": n, "started_at": start of run n}))), tombstones '
                "(those whose head run precedes it) and tombstone_head (the hash of the "
                "last of them, else the genesis)",
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


def _ledger(meta: dict[str, str], seq: int) -> dict[str, Any]:
    """What run `seq` records of what came before it (see `_verify_ledger`)."""
    return {
        "runs_before": seq - 1,
        "started_at_digest": meta.get("ledger_started", GENESIS_HASH),
        "tombstones": int(meta["tombstone_count"])
        if meta.get("tombstone_count", "").isdigit()
        else 0,
        "tombstone_head": meta.get("tombstone_head", GENESIS_HASH),
    }


def _loads(text: Any, default: Any) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return default


def _document(text: str | None) -> dict[str, Any] | None:
    """A tombstone's sealed document, or None (none, or edited beyond reading)."""
    value = _loads(text, None) if text is not None else None
    return value if isinstance(value, dict) else None


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
                started_at=entry.get("started_at"),
                finished_at=entry.get("finished_at"),
                pruned_at=entry.get("pruned_at"),
            )
        )
    tombstones: list[_StoredTombstone] = []
    for number, entry in enumerate(manifest.get("tombstones") or [], 1):
        entry = entry if isinstance(entry, dict) else {}
        sealed = entry.get("hash")
        document = {k: v for k, v in entry.items() if k != "hash"}
        if sealed is None or "format" not in entry:
            tombstones.append(_StoredTombstone(number, None, sealed, listed=document))
        else:
            tombstones.append(_StoredTombstone(number, document, str(sealed)))
    # Tombstones without a hash come from a schema-1 locker; from a locker that seals them, or
    # once runs carry a ledger, a tombstone without one is forged.
    locker_info = manifest.get("locker")
    schema = locker_info.get("schema_version") if isinstance(locker_info, dict) else None
    unsealed_ok = (
        _is_int(schema)
        and schema < 2
        and not any(run.readable is not None and "ledger" in run.readable for run in runs)
    )
    head_raw = manifest.get("head")
    head = (int(head_raw["id"]), str(head_raw["hash"])) if head_raw else None
    report.problems.extend(
        verify_chain(runs, status, labels, head, tombstones, unsealed_ok=unsealed_ok)
    )
    report.tombstones = len(tombstones)
    report.tombstone_head = tombstones[-1].hash if tombstones else None
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
