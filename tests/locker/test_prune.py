"""Retention: old runs pruned with a sealed tombstone, and the chain still verifying."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from locker.harness import (
    T1,
    check,
    fresh_collector,
    open_locker,
    recorded_ago,
    registry_with,
)

from govgate.core.evidence import format_timestamp
from govgate.locker import EvidenceLocker
from govgate.locker.records import RECORD_FORMAT
from govgate.locker.verify import verify_export
from govgate.support.errors import UsageError


def test_retention_prunes_old_runs_leaves_a_tombstone_and_the_chain_verifies(
    notes_repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = notes_repo()
    registry = registry_with(fresh_collector())
    with recorded_ago(monkeypatch, timedelta(days=40)):
        check(repo, registry)
        (repo.path / "notes/b.txt").write_text("PRUNE-ME-MARKER, a rewritten note\nline two\n")
        check(repo, registry)
    (repo.path / "notes/b.txt").write_text("the current note\n")
    check(repo, registry)
    locker_files = (repo.path / ".govgate").glob("locker.db*")
    assert b"PRUNE-ME-MARKER" in b"".join(p.read_bytes() for p in locker_files)

    with EvidenceLocker.open(repo.path / ".govgate" / "locker.db") as locker:
        tombstone = locker.prune(30)
        assert tombstone is not None
        assert [r["id"] for r in tombstone.runs] == [1, 2]  # the newest run is never pruned
        assert tombstone.reason.startswith("retention_days: 30")
        # notes/b.txt as runs 1 and 2 saw it (the cache entries they stored went too);
        # notes/a.txt stays: run 3 cites the same content, stored once.
        assert tombstone.evidence_removed == 2
        report = locker.verify()
        assert report.ok, report.problems
        assert report.pruned == 2
        assert locker.show(1)["record"] is None
        assert locker.show(1)["pruned_at"] == tombstone.pruned_at
        assert locker.show(3)["record"] is not None
        assert locker.prune(30) is None
    # secure_delete plus a checkpoint: the pruned content is gone from the file itself.
    raw = b"".join(p.read_bytes() for p in (repo.path / ".govgate").glob("locker.db*"))
    assert b"PRUNE-ME-MARKER" not in raw


def test_retention_days_below_one_is_refused(notes_repo) -> None:
    repo = notes_repo()
    check(repo, registry_with(fresh_collector()))
    with open_locker(repo) as locker, pytest.raises(UsageError, match="use 1 or more"):
        locker.prune(0)


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
