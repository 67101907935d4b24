"""The evidence locker as a library: chain, content addressing, cache, freshness, retention.

Real SQLite files in throwaway git repositories, real `run_check` runs and a real collector
registered through the plugin manager (no mocks). The CLI, tampering, concurrency and crash
tests live in tests/test_cli_locker.py.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest

from govgate import hookimpl
from govgate.core.collector import CollectContext, Collector
from govgate.core.evidence import Evidence, canonical_json, format_timestamp, sha256_digest
from govgate.core.plugins import Registry, build_registry, get_plugin_manager
from govgate.locker import (
    _MIGRATIONS,
    APPLICATION_ID,
    GENESIS_HASH,
    RECORD_FORMAT,
    SCHEMA_VERSION,
    TOMBSTONE_FORMAT,
    EvidenceLocker,
    LockerError,
    chain_hash,
    tombstone_hash,
    verify_export,
)
from govgate.run.check import CheckOptions, CheckOutcome, run_check
from govgate.support.errors import UsageError

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
    produces_declared_kinds = True
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


@pytest.fixture
def notes_repo(make_repo: Callable[..., RepoBuilder]) -> Callable[..., RepoBuilder]:
    def build(pack: str = PACK, config: str = CONFIG) -> RepoBuilder:
        return make_repo(
            {
                "govgate.yaml": config,
                "packs/notes/pack.yaml": pack,
                "notes/a.txt": "first decision\nsecond decision\n",
                "notes/b.txt": "one line\n",
            }
        )

    return build


def check(
    repo: RepoBuilder, registry: Registry, now: datetime = T1, **options: Any
) -> CheckOutcome:
    # Runs of the counting collector alone: without the git sign-off record every recorded
    # run otherwise collects, so counts and citations are the notes'.
    options.setdefault("signoffs", False)
    return run_check(CheckOptions(root=repo.path, now=now, **options), registry=registry)


def collector_status(outcome: CheckOutcome, name: str = "lt-counting") -> str:
    return next(c["status"] for c in outcome.result["collectors"] if c["name"] == name)


def open_locker(repo: RepoBuilder) -> EvidenceLocker:
    return EvidenceLocker.open(repo.path / ".govgate" / "locker.db", create=False)


def db(repo: RepoBuilder) -> sqlite3.Connection:
    return sqlite3.connect(repo.path / ".govgate" / "locker.db")


# -- runs and the chain --------------------------------------------------------------------


def test_each_check_is_a_chained_run_and_evidence_is_stored_once(notes_repo) -> None:
    repo = notes_repo()
    registry = registry_with(fresh_collector())
    outcomes = [check(repo, registry, T1 + timedelta(minutes=i)) for i in range(3)]

    assert [o.result["run"]["id"] for o in outcomes] == [1, 2, 3]
    with open_locker(repo) as locker:
        runs = locker.runs()
        shown = [locker.show(run.seq) for run in runs]
        assert locker.verify().ok
    assert [r.seq for r in runs] == [1, 2, 3]
    assert shown[0]["prev_hash"] == GENESIS_HASH
    assert shown[1]["prev_hash"] == shown[0]["hash"]
    assert shown[2]["prev_hash"] == shown[1]["hash"]
    for run, outcome in zip(shown, outcomes, strict=True):
        assert outcome.result["run"]["hash"] == run["hash"]
        assert run["hash"] == chain_hash(
            run["prev_hash"], run["evidence_digests"], run["results_digest"]
        )
    # Two notes, cited by three runs, stored once each.
    with db(repo) as conn:
        assert conn.execute("SELECT count(*) FROM evidence").fetchone()[0] == 2
        assert conn.execute("SELECT count(*) FROM run_evidence").fetchone()[0] == 6


def test_a_run_records_what_an_auditor_asks_for(notes_repo) -> None:
    repo = notes_repo()
    outcome = check(repo, registry_with(fresh_collector()), fail_on="medium")
    with open_locker(repo) as locker:
        record = locker.show(1)["record"]

    assert record["command"] == "check"
    assert record["tool"]["name"] == "govgate" and record["tool"]["version"]
    assert record["started_at"] <= record["finished_at"]
    assert record["target"] == outcome.result["target"]
    assert record["packs"] == [
        {"name": "notes", "version": "1.0.0", "digest": outcome.policy_set.packs["notes"].digest}
    ]
    assert record["parameters"]["fail_on"] == "medium"
    assert record["parameters"]["evaluated_at"] == "2026-03-02T09:00:00Z"
    assert [(e["subject"], e["collected_at"]) for e in record["evidence"]] == [
        ("notes/a.txt", "2026-03-02T09:00:00Z"),
        ("notes/b.txt", "2026-03-02T09:00:00Z"),
    ]
    assert "data" not in record["evidence"][0]  # content lives once, in the evidence table
    assert record["result"]["gate"] == "pass"
    assert record["result"]["summary"]["pass"] == 2


def test_locker_file_identifies_itself_and_has_a_schema_version(notes_repo) -> None:
    repo = notes_repo()
    check(repo, registry_with(fresh_collector()))
    with db(repo) as conn:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        versions = conn.execute("SELECT version FROM schema_version").fetchall()
    assert versions == [(v,) for v in range(1, SCHEMA_VERSION + 1)]  # each migration, in order
    assert (repo.path / ".govgate" / ".gitignore").read_text().splitlines()[-1] == "*"
    assert repo.git("status", "--porcelain") == ""  # the locker never shows up as a change


def test_a_locker_from_a_newer_govgate_is_refused(notes_repo) -> None:
    repo = notes_repo()
    check(repo, registry_with(fresh_collector()))
    with db(repo) as conn:
        conn.execute(
            "INSERT INTO schema_version (version, applied_at, tool_version) "
            "VALUES (99, '2030-01-01T00:00:00Z', '9.0')"
        )
    with pytest.raises(LockerError, match=r"newer govgate .*schema 99"):
        open_locker(repo)


# -- the cache -----------------------------------------------------------------------------


def test_unchanged_inputs_hit_the_cache_and_keep_their_collected_at(notes_repo) -> None:
    repo = notes_repo()
    collector = fresh_collector()
    registry = registry_with(collector)
    first = check(repo, registry, T1)
    second = check(repo, registry, T1 + timedelta(hours=5))

    assert collector_status(first) == "ok"
    assert collector_status(second) == "cached"
    assert collector.calls == 1
    assert {e["collected_at"] for e in second.result["evidence"]} == {"2026-03-02T09:00:00Z"}
    assert second.result["summary"] == first.result["summary"]
    assert [e["digest"] for e in second.result["evidence"]] == [
        e["digest"] for e in first.result["evidence"]
    ]


def test_a_one_byte_change_misses_the_cache(notes_repo) -> None:
    repo = notes_repo()
    collector = fresh_collector()
    registry = registry_with(collector)
    check(repo, registry)
    content = (repo.path / "notes/b.txt").read_bytes()
    (repo.path / "notes/b.txt").write_bytes(content[:-2] + b"E\n")  # same size, one byte
    again = check(repo, registry, T1 + timedelta(minutes=1))

    assert collector_status(again) == "ok"
    assert collector.calls == 2


def test_a_collector_version_bump_misses_the_cache(notes_repo) -> None:
    repo = notes_repo()
    check(repo, registry_with(fresh_collector()))
    bumped = fresh_collector(version="1.0.1")
    again = check(repo, registry_with(bumped), T1 + timedelta(minutes=1))

    assert collector_status(again) == "ok"
    assert bumped.calls == 1
    assert {e["collector"]["version"] for e in again.result["evidence"]} == {"1.0.1"}


def test_a_govgate_upgrade_misses_the_cache(notes_repo, monkeypatch: pytest.MonkeyPatch) -> None:
    # Collectors share govgate's parsing and masking: a new govgate must not serve old output.
    repo = notes_repo()
    collector = fresh_collector()
    registry = registry_with(collector)
    check(repo, registry)
    monkeypatch.setattr("govgate.run.collect.__version__", "99.0.0")
    again = check(repo, registry, T1 + timedelta(minutes=1))

    assert collector_status(again) == "ok"
    assert collector.calls == 2


def test_no_cache_collects_again_but_still_records_the_run(notes_repo) -> None:
    repo = notes_repo()
    collector = fresh_collector()
    registry = registry_with(collector)
    check(repo, registry)
    again = check(repo, registry, T1 + timedelta(minutes=1), use_cache=False)

    assert collector_status(again) == "ok"
    assert collector.calls == 2
    assert again.result["run"]["id"] == 2


def test_no_locker_writes_nothing(notes_repo) -> None:
    repo = notes_repo()
    registry = registry_with(fresh_collector())
    outcome = check(repo, registry, use_locker=False)
    assert not (repo.path / ".govgate").exists()
    assert "id" not in outcome.result["run"]

    check(repo, registry)
    before = state_of(repo.path / ".govgate")
    assert "locker.db" in before and any(name.startswith("cache/packs/") for name in before)
    check(repo, registry, T1 + timedelta(minutes=1), use_locker=False)
    assert state_of(repo.path / ".govgate") == before


def state_of(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under `folder` with its bytes and modification time."""
    return {
        str(f.relative_to(folder)): (f.read_bytes(), f.stat().st_mtime_ns)
        for f in sorted(folder.rglob("*"))
        if f.is_file()
    }


def test_cached_output_older_than_the_collector_ttl_is_collected_again(notes_repo) -> None:
    repo = notes_repo()
    collector = fresh_collector(ttl=timedelta(hours=1))
    registry = registry_with(collector)
    check(repo, registry, T1)
    within = check(repo, registry, T1 + timedelta(minutes=30))
    expired = check(repo, registry, T1 + timedelta(hours=2))

    assert collector_status(within) == "cached"
    assert collector_status(expired) == "ok"
    assert collector.calls == 2
    assert {e["collected_at"] for e in expired.result["evidence"]} == {"2026-03-02T11:00:00Z"}


def test_max_age_on_undated_evidence_is_an_error_fresh_or_cached(notes_repo) -> None:
    # The notes carry no date of their own: their age would be the collection time, always
    # fresh, so max_age cannot be checked, whether they were just collected or come cached.
    pack = PACK.replace("    evidence: lt_notes\n", "    evidence: lt_notes\n    max_age: 1d\n")
    repo = notes_repo(pack=pack)
    collector = fresh_collector()
    registry = registry_with(collector)
    first = check(repo, registry, T1)
    cached = check(repo, registry, T1 + timedelta(minutes=30))

    assert collector_status(cached) == "cached"
    for outcome in (first, cached):
        assert outcome.result["summary"]["error"] == 2
        assert outcome.result["gate"] == "fail"
        assert all("carries no date of its own" in f["message"] for f in outcome.result["findings"])


def test_stale_evidence_still_fails_with_its_age_and_source(notes_repo) -> None:
    """Freshness is the evaluator's: a dated item older than max_age fails, cache or not."""

    class Dated(CountingCollector):
        calls: ClassVar[int] = 0

        def collect(self, ctx: CollectContext) -> Iterable[Evidence]:
            for item in super().collect(ctx):
                yield ctx.evidence(
                    item.kind, item.subject, item.data, path=item.source.path, dated="2025-01-01"
                )

    pack = PACK.replace("    evidence: lt_notes\n", "    evidence: lt_notes\n    max_age: 90d\n")
    repo = notes_repo(pack=pack)
    registry = registry_with(Dated)
    check(repo, registry, T1)
    outcome = check(repo, registry, T1 + timedelta(minutes=1))

    assert collector_status(outcome) == "cached"
    messages = [f["message"] for f in outcome.result["findings"]]
    assert all(m.startswith("stale evidence: notes/") for m in messages), messages
    assert "dated 2025-01-01; max_age 90d" in messages[0]


def test_edited_cached_evidence_is_a_miss_and_verify_reports_it(notes_repo) -> None:
    repo = notes_repo()
    collector = fresh_collector()
    registry = registry_with(collector)
    check(repo, registry)
    with db(repo) as conn:
        conn.execute("UPDATE evidence SET data = '{\"lines\":7}' WHERE subject = 'notes/a.txt'")
    again = check(repo, registry, T1 + timedelta(minutes=1))

    assert collector_status(again) == "ok"  # never served the edited item
    with open_locker(repo) as locker:
        report = locker.verify()
    assert not report.ok
    assert report.first is not None and report.first.run == 1
    assert "notes/a.txt" in str(report.first)


# -- retention -----------------------------------------------------------------------------


def test_retention_prunes_old_runs_leaves_a_tombstone_and_the_chain_verifies(notes_repo) -> None:
    repo = notes_repo()
    registry = registry_with(fresh_collector())
    check(repo, registry)
    (repo.path / "notes/b.txt").write_text("PRUNE-ME-MARKER, a rewritten note\nline two\n")
    check(repo, registry)
    (repo.path / "notes/b.txt").write_text("the current note\n")
    check(repo, registry)
    locker_files = (repo.path / ".govgate").glob("locker.db*")
    assert b"PRUNE-ME-MARKER" in b"".join(p.read_bytes() for p in locker_files)

    with EvidenceLocker.open(repo.path / ".govgate" / "locker.db") as locker:
        tombstone = locker.prune(30, now=datetime.now(UTC) + timedelta(days=31))
        assert tombstone is not None
        assert [r["id"] for r in tombstone.runs] == [1, 2]  # the newest run is never pruned
        assert tombstone.reason.startswith("retention_days: 30")
        # notes/b.txt as runs 1 and 2 saw it (the old cache entries citing them went too);
        # notes/a.txt stays: run 3 cites the same content, stored once.
        assert tombstone.evidence_removed == 2
        report = locker.verify()
        assert report.ok, report.problems
        assert report.pruned == 2
        assert locker.show(1)["record"] is None
        assert locker.show(1)["pruned_at"] == tombstone.pruned_at
        assert locker.show(3)["record"] is not None
        assert locker.prune(30, now=datetime.now(UTC) + timedelta(days=31)) is None
    # secure_delete plus a checkpoint: the pruned content is gone from the file itself.
    raw = b"".join(p.read_bytes() for p in (repo.path / ".govgate").glob("locker.db*"))
    assert b"PRUNE-ME-MARKER" not in raw


def test_a_pruned_run_without_tombstone_fails_verification(notes_repo) -> None:
    repo = notes_repo()
    registry = registry_with(fresh_collector())
    check(repo, registry)
    check(repo, registry)
    with db(repo) as conn:  # someone hides a run and pretends retention did it
        conn.execute(
            "UPDATE runs SET record = NULL, pruned_at = '2026-01-01T00:00:00Z' WHERE seq = 1"
        )
    with open_locker(repo) as locker:
        report = locker.verify()
    assert report.first is not None and report.first.run == 1
    assert "no tombstone" in report.first.message


# -- tamper-evident pruning ------------------------------------------------------------------


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


def problems_of(repo: RepoBuilder) -> list[str]:
    with open_locker(repo) as locker:
        report = locker.verify()
    assert not report.ok
    return [str(p) for p in report.problems]


def test_a_tombstone_written_by_hand_for_a_recent_run_fails_naming_it(notes_repo) -> None:
    repo = four_runs(notes_repo)
    now = format_timestamp(datetime.now(UTC))
    with db(repo) as conn:  # the reproduction: blank run 3, mark it pruned, add a tombstone row
        started = conn.execute("SELECT started_at FROM runs WHERE seq = 3").fetchone()[0]
        hide_run(conn, 3, now)
        conn.execute(
            "INSERT INTO tombstones (pruned_at, reason, runs, evidence_removed) "
            "VALUES (?, 'retention_days: 30 (runs started before 2026-01-01T00:00:00Z)', ?, 0)",
            (now, json.dumps([{"id": 3, "hash": "x", "command": "check", "started_at": started}])),
        )
    with open_locker(repo) as locker:
        report = locker.verify()
    assert not report.ok
    assert report.first is not None and report.first.run == 3
    assert "tombstone 1 (pruning run 3) is not sealed" in report.first.message
    shown = [str(p) for p in report.problems]
    assert any("run 3: was not old enough to prune" in p for p in shown), shown


def test_a_sealed_forged_tombstone_for_a_recent_run_fails_naming_it(notes_repo) -> None:
    repo = four_runs(notes_repo)
    with db(repo) as conn:
        forge_sealed_tombstone(conn, [3], pruned_at=format_timestamp(datetime.now(UTC)))
    with open_locker(repo) as locker:
        report = locker.verify()
    assert report.first is not None and report.first.run == 3, report.problems
    assert report.first.message.startswith("was not old enough to prune: it started at ")
    assert report.first.item == "tombstone 1"


def test_a_forged_tombstone_that_backdates_the_run_fails_naming_it(notes_repo) -> None:
    repo = four_runs(notes_repo)
    with db(repo) as conn:  # the hidden run's start rewritten, everywhere it is listed
        forge_sealed_tombstone(
            conn,
            [3],
            pruned_at=format_timestamp(datetime.now(UTC)),
            started_at="2020-01-01T00:00:00Z",
        )
    with open_locker(repo) as locker:
        report = locker.verify()
    assert report.first is not None and report.first.run == 3, report.problems
    # run 4 (the newest, never pruned) recorded the start times of every run before it
    assert "the start times run 4 recorded for the runs before it no longer match" in (
        report.first.message
    )


def test_a_forged_tombstone_dated_in_the_future_fails_once_a_run_follows_it(notes_repo) -> None:
    repo = four_runs(notes_repo)
    with db(repo) as conn:  # dated a year ahead, so the 30-day cutoff lies after run 3's start
        forge_sealed_tombstone(
            conn, [3], pruned_at=format_timestamp(datetime.now(UTC) + timedelta(days=365))
        )
    check(repo, registry_with(fresh_collector()))  # the next run binds it, with its own time
    problems = problems_of(repo)
    assert problems[0].startswith("run 3: tombstone 1 (pruning run 3) is dated "), problems
    assert "later than run 5 finished" in problems[0]


def test_pruning_the_newest_run_by_hand_fails(notes_repo) -> None:
    repo = four_runs(notes_repo)
    with db(repo) as conn:
        forge_sealed_tombstone(
            conn, [4], pruned_at=format_timestamp(datetime.now(UTC) + timedelta(days=31))
        )
    problems = problems_of(repo)
    assert "run 4: is the newest run but has no record: the newest run is never pruned" in (
        problems
    )
    assert any(
        p.startswith("run 4: was pruned by tombstone 1 while it was the newest run")
        for p in problems
    )


def pruned_repo(notes_repo, runs: int = 3) -> RepoBuilder:
    """`runs` checks, then a real retention pass (31 days later) pruning all but the newest."""
    repo = notes_repo()
    registry = registry_with(fresh_collector())
    for i in range(runs):
        (repo.path / "notes/b.txt").write_text(f"version {i}\n")
        check(repo, registry)
    with open_locker(repo) as locker:
        assert locker.prune(30, now=datetime.now(UTC) + timedelta(days=31)) is not None
        assert locker.verify().ok
    return repo


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            "UPDATE tombstones SET runs = '[{\"id\": 1}]'",
            "run 1: tombstone 1 (pruning runs 1-2) its listed runs differ from its sealed "
            "document (edited)",
        ),
        (
            "UPDATE tombstones SET pruned_at = '2099-01-01T00:00:00Z'",
            "run 1: tombstone 1 (pruning runs 1-2) its listed pruned_at differ from its sealed "
            "document (edited)",
        ),
        (
            "UPDATE tombstones SET document = replace(document, '\"id\":2,', '\"id\":9,')",
            "run 1: tombstone 1 (pruning runs 1, 9) was edited after it was written",
        ),
        (
            'UPDATE tombstones SET document = replace(document, \'"pruned_at":"\', '
            '\'"pruned_at":"1\')',
            "run 1: tombstone 1 (pruning runs 1-2) was edited after it was written",
        ),
    ],
)
def test_an_edited_tombstone_fails(notes_repo, edit: str, expected: str) -> None:
    repo = pruned_repo(notes_repo)
    with db(repo) as conn:
        conn.execute(edit)
    problems = problems_of(repo)
    assert any(p.startswith(expected) for p in problems), problems


def reseal_last_tombstone(conn: sqlite3.Connection, change: Callable[[dict[str, Any]], None]):
    row_id, text = conn.execute(
        "SELECT id, document FROM tombstones ORDER BY id DESC LIMIT 1"
    ).fetchone()
    document = json.loads(text)
    change(document)
    sealed = tombstone_hash(document)
    conn.execute(
        "UPDATE tombstones SET document = ?, hash = ?, pruned_at = ?, runs = ? WHERE id = ?",
        (
            canonical_json(document).decode(),
            sealed,
            document["pruned_at"],
            json.dumps(document["runs"]),
            row_id,
        ),
    )
    conn.execute("UPDATE meta SET value = ? WHERE key = 'tombstone_head'", (sealed,))


def test_a_resealed_tombstone_with_a_run_taken_out_fails(notes_repo) -> None:
    repo = pruned_repo(notes_repo)
    with db(repo) as conn:  # rewritten and re-hashed: run 2 no longer accounted for
        reseal_last_tombstone(conn, lambda d: d.update(runs=d["runs"][:1]))
    problems = problems_of(repo)
    assert "run 2: has no record and no tombstone says it was pruned" in problems, problems


def test_a_resealed_tombstone_fails_against_the_run_recorded_after_it(notes_repo) -> None:
    repo = pruned_repo(notes_repo)
    check(repo, registry_with(fresh_collector()))  # run 4 records the tombstone in its ledger
    with db(repo) as conn:  # a consistent redating, re-hashed: only run 4's ledger tells

        def redate(document: dict[str, Any]) -> None:
            document["pruned_at"] = document["pruned_at"][:-3] + "59Z"
            moment = datetime.fromisoformat(document["pruned_at"].replace("Z", "+00:00"))
            document["cutoff"] = format_timestamp(moment - timedelta(days=30))

        reseal_last_tombstone(conn, redate)
        conn.execute(
            "UPDATE runs SET pruned_at = (SELECT pruned_at FROM tombstones) "
            "WHERE pruned_at IS NOT NULL"
        )
    problems = problems_of(repo)
    assert any(p.startswith("run 4: its ledger has tombstones 1-1 with head ") for p in problems), (
        problems
    )


def synthetic_record(started: datetime) -> dict[str, Any]:
    return {
        "format": RECORD_FORMAT,
        "command": "check",
        "started_at": format_timestamp(started),
        "finished_at": format_timestamp(started + timedelta(seconds=2)),
        "tool": {"name": "govgate", "version": "1"},
        "target": {"path": "/x"},
        "result": None,
    }


def test_prunes_and_runs_interleaved_verify_and_export(tmp_path: Path) -> None:
    # Forty daily runs with a 30-day retention pass after each, as `govgate check` does.
    day = timedelta(days=1)
    with EvidenceLocker.open(tmp_path / "locker.db") as locker:
        tombstones = []
        for i in range(40):
            locker.record_run(synthetic_record(T1 + i * day), [])
            pruned = locker.prune(30, now=T1 + i * day + timedelta(seconds=5))
            if pruned is not None:
                tombstones.append(pruned)
        report = locker.verify()
        assert report.ok, report.problems
        assert (report.runs, report.pruned, report.tombstones) == (40, 10, 10)
        assert [r["id"] for t in tombstones for r in t.runs] == list(range(1, 11))
        assert report.tombstone_head == tombstones[-1].hash
        locker.export(tmp_path / "export")
        ledger = locker.show(40)["record"]["ledger"]
    # run 40 was recorded after 9 prunes; the 10th came after it (it was the newest then)
    assert ledger["tombstones"] == 9
    assert ledger["tombstone_head"] == tombstones[8].hash
    assert ledger["runs_before"] == 39
    exported = verify_export(tmp_path / "export")
    assert exported.ok, exported.problems
    assert (exported.pruned, exported.tombstones) == (10, 10)


def test_an_export_of_a_forged_tombstone_fails_verification(notes_repo, tmp_path: Path) -> None:
    repo = four_runs(notes_repo)
    with db(repo) as conn:
        forge_sealed_tombstone(conn, [3], pruned_at=format_timestamp(datetime.now(UTC)))
    with open_locker(repo) as locker:
        locker.export(tmp_path / "export")
    report = verify_export(tmp_path / "export")
    assert report.first is not None and report.first.run == 3, report.problems
    assert report.first.message.startswith("was not old enough to prune")


def test_a_tombstone_forged_inside_an_export_fails_verification(notes_repo, tmp_path: Path) -> None:
    repo = four_runs(notes_repo)
    out = tmp_path / "export"
    with open_locker(repo) as locker:
        locker.export(out)
    manifest = json.loads((out / "manifest.json").read_text())
    run = manifest["runs"][2]
    run["file"], run["pruned_at"] = None, format_timestamp(datetime.now(UTC))
    (out / "runs" / "000003.json").unlink()
    manifest["tombstones"].append(  # unsealed, like a schema-1 export's
        {
            "pruned_at": run["pruned_at"],
            "reason": "retention_days: 1 (runs started before 2099-01-01T00:00:00Z)",
            "runs": [{"id": 3, "hash": run["hash"], "started_at": "2000-01-01T00:00:00Z"}],
            "evidence_removed": 0,
        }
    )
    (out / "manifest.json").write_text(json.dumps(manifest))
    report = verify_export(out)
    assert report.first is not None and report.first.run == 3, report.problems
    assert "tombstone 1 (pruning run 3) is not sealed" in report.first.message


def test_retention_days_below_one_is_refused(notes_repo) -> None:
    repo = notes_repo()
    check(repo, registry_with(fresh_collector()))
    with open_locker(repo) as locker, pytest.raises(UsageError, match="use 1 or more"):
        locker.prune(0)


# -- a locker written by schema 1 ----------------------------------------------------------


def schema_1_locker(path: Path, starts: list[str], pruned: list[int], pruned_at: str) -> None:
    """A locker as govgate wrote it before tombstones were sealed (schema 1), built by hand."""
    conn = sqlite3.connect(path)
    for statement in _MIGRATIONS[0][1]:
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


def test_a_schema_1_locker_is_migrated_and_keeps_verifying(tmp_path: Path) -> None:
    path = tmp_path / "locker.db"
    starts = ["2026-01-01T10:00:00Z", "2026-01-02T10:00:00Z", "2026-03-01T10:00:00Z"]
    schema_1_locker(path, starts, pruned=[1, 2], pruned_at="2026-03-05T00:00:00Z")
    record = {
        "format": RECORD_FORMAT,
        "command": "check",
        "started_at": "2026-03-06T10:00:00Z",
        "finished_at": "2026-03-06T10:00:01Z",
        "tool": {"name": "govgate", "version": "1"},
        "target": {"path": "/x"},
        "result": None,
    }
    with EvidenceLocker.open(path, create=False) as locker:
        report = locker.verify()
        assert report.ok, report.problems
        assert report.pruned == 2 and report.tombstones == 1
        (migrated,) = locker.tombstones()
        assert migrated.document is not None and migrated.document["migrated"] is True
        assert migrated.document["head"]["id"] == 3
        assert migrated.document["cutoff"] == "2026-02-03T00:00:00Z"
        locker.record_run(record, [])
        assert locker.show(4)["record"]["ledger"]["tombstones"] == 1
        assert locker.verify().ok
        locker.prune(30, now=datetime(2026, 4, 10, tzinfo=UTC))
        report = locker.verify()
        assert report.ok, report.problems
        assert (report.pruned, report.tombstones) == (3, 2)
    with sqlite3.connect(path) as conn:
        versions = conn.execute("SELECT version FROM schema_version").fetchall()
    assert versions == [(1,), (2,)]


def test_a_forged_tombstone_in_a_schema_1_locker_fails_after_migration(tmp_path: Path) -> None:
    path = tmp_path / "locker.db"
    starts = ["2026-01-01T10:00:00Z", "2026-03-04T10:00:00Z", "2026-03-04T11:00:00Z"]
    # run 2 started a day before the "prune": far too recent for 30 days
    schema_1_locker(path, starts, pruned=[2], pruned_at="2026-03-05T00:00:00Z")
    with EvidenceLocker.open(path, create=False) as locker:
        report = locker.verify()
    assert report.first is not None and report.first.run == 2, report.problems
    assert report.first.message.startswith("was not old enough to prune")


# -- export --------------------------------------------------------------------------------


def test_export_writes_one_file_per_item_and_a_manifest(notes_repo, tmp_path: Path) -> None:
    repo = notes_repo()
    registry = registry_with(fresh_collector())
    check(repo, registry)
    check(repo, registry)
    out = tmp_path / "export"
    with open_locker(repo) as locker:
        summary = locker.export(out)
        again = locker.export(out)

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["schema"] == "govgate/locker-export/v1"
    assert [r["id"] for r in manifest["runs"]] == [1, 2]
    assert manifest["head"]["id"] == 2
    evidence_files = sorted(out.glob("evidence/*/*.json"))
    assert len(evidence_files) == 2 == summary["evidence"]
    item = json.loads(evidence_files[0].read_text())
    assert set(item) == {"digest", "kind", "subject", "data"}
    assert evidence_files[0].stem == item["digest"].split(":")[1]
    assert sorted(p.name for p in (out / "runs").iterdir()) == ["000001.json", "000002.json"]
    assert again["files_written"] == 1  # only the manifest (its export time) changes


def test_run_record_is_json_compatible_with_the_result(notes_repo) -> None:
    repo = notes_repo()
    outcome = check(repo, registry_with(fresh_collector()))
    with open_locker(repo) as locker:
        record = locker.show(outcome.result["run"]["id"])["record"]
    stored = dict(record["result"]["run"])
    assert stored == {
        "started_at": outcome.result["run"]["started_at"],
        "finished_at": outcome.result["run"]["finished_at"],
    }  # the record holds the result as evaluated; its id and hash come from the chain
    assert format_timestamp(T1) == record["parameters"]["evaluated_at"]


def test_the_cache_keeps_the_16_latest_entries_per_collector(notes_repo) -> None:
    repo = notes_repo()
    registry = registry_with(fresh_collector())
    for i in range(18):
        (repo.path / "notes/b.txt").write_text(f"version {i}\n")
        check(repo, registry, T1 + timedelta(minutes=i))
    with db(repo) as conn:
        kept = conn.execute("SELECT count(*) FROM collector_cache").fetchone()[0]
        evidence = conn.execute("SELECT count(*) FROM evidence").fetchone()[0]
    assert kept == 16
    assert evidence == 19  # notes/a.txt once, notes/b.txt 18 times: runs still cite them all
    with open_locker(repo) as locker:
        assert locker.verify().ok


# -- the validated-pack cache --------------------------------------------------------------


def test_validated_pack_files_are_reused_on_warm_runs(notes_repo) -> None:
    repo = notes_repo()
    registry = registry_with(fresh_collector())
    first = check(repo, registry)
    entries = state_of(repo.path / ".govgate" / "cache" / "packs")
    assert len(entries) == 1  # packs/notes/pack.yaml
    stored = json.loads(next(iter(entries.values()))[0])
    assert stored["data"]["pack"] == "notes"
    assert stored["lines"]["/rules/0"] == 17

    second = check(repo, registry, T1 + timedelta(minutes=1))
    assert state_of(repo.path / ".govgate" / "cache" / "packs") == entries  # read, not rewritten
    assert second.result["findings"] == first.result["findings"]
    assert second.policy_set.order == first.policy_set.order
    rule = second.policy_set.rules["LT-1.not-empty"]
    assert str(rule.origin) == "packs/notes/pack.yaml:17"


def test_pack_errors_are_identical_with_and_without_the_pack_cache(run_cli, notes_repo) -> None:
    repo = notes_repo()
    registry = registry_with(fresh_collector())
    check(repo, registry)  # the clean pack is cached
    pack = repo.path / "packs/notes/pack.yaml"
    pack.write_text(PACK.replace("    severity: high", "    sevrity: high"))

    warm = run_cli("check", repo.path)
    cold = run_cli("check", repo.path, "--no-cache")
    assert warm.exit_code == cold.exit_code == 2
    assert warm.stderr == cold.stderr
    assert "packs/notes/pack.yaml:19: $.rules[0].sevrity: unknown key" in warm.stderr
    assert len(state_of(repo.path / ".govgate" / "cache" / "packs")) == 1  # errors never cached
