"""Helpers of the locker's tests: a notes repository checked by a counting collector
registered through the plugin manager (no mocks), and the forgeries of tampering tests.

The CLI, tampering, concurrency and crash tests live in tests/cli/test_locker.py.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest

from govgate import hookimpl
from govgate.core.collector import CollectContext, Collector
from govgate.core.evidence import Evidence, canonical_json, format_timestamp, sha256_digest
from govgate.core.plugins import Registry, build_registry, get_plugin_manager
from govgate.locker import EvidenceLocker
from govgate.locker.chain import GENESIS_HASH, TOMBSTONE_FORMAT, chain_hash, tombstone_hash
from govgate.locker.records import RECORD_FORMAT
from govgate.locker.schema import APPLICATION_ID, MIGRATIONS
from govgate.run.check import CheckOptions, CheckOutcome, run_check

from conftest import RepoBuilder

T1 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


CONFIG = """\
system: {name: notes-service, risk: high}
packs: [./packs/notes]
"""


PACK = """\
pack: notes
version: 1.0.0
title: Notes are written down
evidence_kinds:
  lt_notes:
    collector: lt-counting
    paths: ["notes/*.txt"]
requirements:
  - id: LT-REQ-1
    title: Decisions are documented
    source: {framework: Test, ref: "1"}
controls:
  - id: LT-1
    title: Every note has content
    satisfies: [LT-REQ-1]
rules:
  - id: LT-1.not-empty
    control: LT-1
    severity: high
    evidence: lt_notes
    assert: {path: lines, op: ge, value: 1}
    message: "{source.path} is empty"
    remediation: "write something in {source.path}"
"""


class CountingCollector(Collector):
    """Counts the lines of each note, keeps its title, and counts its own calls (cache hits)."""

    name = "lt-counting"
    version = "1.0.0"
    calls: ClassVar[int] = 0

    def collect(self, ctx: CollectContext) -> Iterable[Evidence]:
        type(self).calls += 1
        for kind in ctx.kinds:
            for rel, path in ctx.iter_files(kind.paths):
                lines = path.read_text(encoding="utf-8").splitlines()
                data = {"lines": len(lines), "title": lines[0] if lines else ""}
                yield ctx.evidence(kind.name, rel, data, path=rel)


class _Plugin:
    def __init__(self, collector: type[Collector]) -> None:
        self.collector = collector

    @hookimpl
    def govgate_collectors(self) -> list[type[Collector]]:
        return [self.collector]


def registry_with(collector: type[Collector]) -> Registry:
    pm = get_plugin_manager()
    pm.register(_Plugin(collector), name="locker-test-plugin")
    return build_registry(pm)


def fresh_collector(**attrs: Any) -> type[CountingCollector]:
    """A new subclass per test, so call counts and class attributes never leak."""
    return type("Counting", (CountingCollector,), {"calls": 0, **attrs})


def check(
    repo: RepoBuilder, registry: Registry, now: datetime = T1, **options: Any
) -> CheckOutcome:
    # Runs of the counting collector alone: without the git sign-off record every recorded
    # run otherwise collects, so counts and citations are the notes'.
    options.setdefault("signoffs", False)
    return run_check(CheckOptions(root=repo.path, now=now, **options), registry=registry)


@contextmanager
def recorded_ago(monkeypatch: pytest.MonkeyPatch, ago: timedelta) -> Iterator[datetime]:
    """Runs recorded inside start, end and are stored `ago` before now, as if the repository
    had been checked then: the times a run takes from the clock are read through these two
    modules. Retention needs runs that old, and a prune is dated when it really happens (right
    after the newest run), so this is how a test gets a prune govgate would write."""
    import govgate.locker.store
    import govgate.run.check

    moment = datetime.now(UTC).replace(microsecond=0) - ago
    with monkeypatch.context() as patched:
        for module in (govgate.run.check, govgate.locker.store):
            patched.setattr(module, "utc_now", lambda: moment)
        yield moment


def collector_status(outcome: CheckOutcome, name: str = "lt-counting") -> str:
    return next(c["status"] for c in outcome.result["collectors"] if c["name"] == name)


def open_locker(repo: RepoBuilder) -> EvidenceLocker:
    return EvidenceLocker.open(repo.path / ".govgate" / "locker.db", create=False)


def db(repo: RepoBuilder) -> sqlite3.Connection:
    return sqlite3.connect(repo.path / ".govgate" / "locker.db")


def four_runs(notes_repo) -> RepoBuilder:
    repo = notes_repo()
    registry = registry_with(fresh_collector())
    for i in range(4):
        (repo.path / "notes/b.txt").write_text(f"version {i}\n")
        check(repo, registry)
    return repo


def hide_run(conn: sqlite3.Connection, seq: int, pruned_at: str) -> None:
    conn.execute("UPDATE runs SET record = NULL, pruned_at = ? WHERE seq = ?", (pruned_at, seq))
    conn.execute("DELETE FROM run_evidence WHERE seq = ?", (seq,))


def forge_sealed_tombstone(
    conn: sqlite3.Connection,
    seqs: list[int],
    *,
    pruned_at: str,
    retention_days: int = 30,
    started_at: str | None = None,
) -> dict[str, Any]:
    """What someone who read docs/locker.md would write: a sealed, chained tombstone, with the
    meta the next run's ledger reads updated, and the runs hidden as retention would hide them.
    `started_at` also rewrites the hidden runs' listed start (to look old enough)."""
    meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    moment = datetime.fromisoformat(pruned_at.replace("Z", "+00:00"))
    cutoff = format_timestamp(moment - timedelta(days=retention_days))
    runs = []
    for seq in seqs:
        run_hash, command, started = conn.execute(
            "SELECT hash, command, started_at FROM runs WHERE seq = ?", (seq,)
        ).fetchone()
        if started_at is not None:
            started = started_at
            conn.execute("UPDATE runs SET started_at = ? WHERE seq = ?", (started, seq))
        runs.append({"id": seq, "hash": run_hash, "command": command, "started_at": started})
        hide_run(conn, seq, pruned_at)
    newest = conn.execute("SELECT seq, hash FROM runs ORDER BY seq DESC LIMIT 1").fetchone()
    number = int(meta.get("tombstone_count", "0")) + 1
    reason = f"retention_days: {retention_days} (runs started before {cutoff})"
    document = {
        "format": TOMBSTONE_FORMAT,
        "id": number,
        "prev": meta.get("tombstone_head", GENESIS_HASH),
        "pruned_at": pruned_at,
        "retention_days": retention_days,
        "cutoff": cutoff,
        "reason": reason,
        "runs": runs,
        "evidence_removed": 0,
        "head": {"id": newest[0], "hash": newest[1]},
        "migrated": False,
    }
    sealed = tombstone_hash(document)
    conn.execute(
        "INSERT INTO tombstones (pruned_at, reason, runs, evidence_removed, document, hash) "
        "VALUES (?, ?, ?, 0, ?, ?)",
        (pruned_at, reason, json.dumps(runs), canonical_json(document).decode(), sealed),
    )
    conn.executemany(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
        [("tombstone_count", str(number)), ("tombstone_head", sealed)],
    )
    return document


def schema_1_locker(path: Path, starts: list[str], pruned: list[int], pruned_at: str) -> None:
    """A locker as govgate wrote it before tombstones were sealed (schema 1), built by hand."""
    conn = sqlite3.connect(path)
    for statement in MIGRATIONS[0][1]:
        assert isinstance(statement, str)
        conn.execute(statement)
    conn.execute("INSERT INTO schema_version VALUES (1, '2026-01-01T00:00:00Z', '0.9')")
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    prev = GENESIS_HASH
    hashes = {}
    for seq, started in enumerate(starts, 1):
        record = {
            "format": RECORD_FORMAT,
            "command": "check",
            "started_at": started,
            "finished_at": started,
            "tool": {"name": "govgate", "version": "0.9"},
            "target": {"path": "/x"},
            "result": None,
            "evidence": [],
        }
        payload = canonical_json(record)
        results = sha256_digest(payload)
        run_hash = chain_hash(prev, [], results)
        conn.execute(
            "INSERT INTO runs (seq, command, started_at, finished_at, tool_version, prev_hash, "
            "evidence_digests, results_digest, hash, record) "
            "VALUES (?, 'check', ?, ?, '0.9', ?, '[]', ?, ?, ?)",
            (seq, started, started, prev, results, run_hash, zlib.compress(payload)),
        )
        prev = hashes[seq] = run_hash
    conn.executemany(
        "INSERT INTO meta VALUES (?, ?)", [("head_seq", str(len(starts))), ("head_hash", prev)]
    )
    moment = datetime.fromisoformat(pruned_at.replace("Z", "+00:00"))
    cutoff = format_timestamp(moment - timedelta(days=30))
    for seq in pruned:
        conn.execute("UPDATE runs SET record = NULL, pruned_at = ? WHERE seq = ?", (pruned_at, seq))
    listed = [
        {"id": seq, "hash": hashes[seq], "command": "check", "started_at": starts[seq - 1]}
        for seq in pruned
    ]
    conn.execute(
        "INSERT INTO tombstones (pruned_at, reason, runs, evidence_removed) VALUES (?, ?, ?, 0)",
        (pruned_at, f"retention_days: 30 (runs started before {cutoff})", json.dumps(listed)),
    )
    conn.commit()
    conn.close()
