"""The locker file: it identifies itself, refuses a newer govgate's, and migrates a schema-1
locker so it keeps verifying."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from locker.harness import (
    check,
    db,
    fresh_collector,
    open_locker,
    registry_with,
    schema_1_locker,
)

from govgate.locker import EvidenceLocker, LockerError
from govgate.locker.records import RECORD_FORMAT
from govgate.locker.schema import APPLICATION_ID, SCHEMA_VERSION


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


# -- a locker written by schema 1 ----------------------------------------------------------


def test_a_schema_1_locker_is_migrated_and_keeps_verifying(tmp_path: Path) -> None:
    path = tmp_path / "locker.db"
    starts = ["2026-01-01T10:00:00Z", "2026-01-02T10:00:00Z", "2026-03-01T10:00:00Z"]
    schema_1_locker(path, starts, pruned=[1, 2], pruned_at="2026-03-05T00:00:00Z")
    record = {
        "format": RECORD_FORMAT,
        "command": "check",
        "started_at": "2026-04-10T10:00:00Z",
        "finished_at": "2026-04-10T10:00:01Z",
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
        locker.prune(30, now=datetime(2026, 4, 10, 10, 0, 5, tzinfo=UTC))  # right after run 4
        report = locker.verify()
        assert report.ok, report.problems
        assert (report.pruned, report.tombstones) == (3, 2)
    with sqlite3.connect(path) as conn:
        versions = conn.execute("SELECT version FROM schema_version").fetchall()
    assert versions == [(v,) for v in range(1, SCHEMA_VERSION + 1)]


def test_a_forged_tombstone_in_a_schema_1_locker_fails_after_migration(tmp_path: Path) -> None:
    path = tmp_path / "locker.db"
    starts = ["2026-01-01T10:00:00Z", "2026-03-04T10:00:00Z", "2026-03-04T11:00:00Z"]
    # run 2 started a day before the "prune": far too recent for 30 days
    schema_1_locker(path, starts, pruned=[2], pruned_at="2026-03-05T00:00:00Z")
    with EvidenceLocker.open(path, create=False) as locker:
        report = locker.verify()
    assert report.first is not None and report.first.run == 2, report.problems
    assert report.first.message.startswith("was not old enough to prune")


def test_verify_reads_a_schema_1_locker_without_migrating_it(tmp_path: Path, run_cli) -> None:
    # Verification must not write to the evidence it verifies: the migration happens in a
    # private copy, and the locker file (and its folder) stay byte for byte as they were.
    folder = tmp_path / "backup"
    folder.mkdir()
    path = folder / "locker.db"
    starts = ["2026-01-01T10:00:00Z", "2026-01-02T10:00:00Z", "2026-03-01T10:00:00Z"]
    schema_1_locker(path, starts, pruned=[1, 2], pruned_at="2026-03-01T10:00:05Z")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    result = run_cli("verify", path)
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("locker OK: 3 runs (2 pruned)")
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(1,)]
