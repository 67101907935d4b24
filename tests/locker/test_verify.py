"""Tamper-evident pruning: runs hidden behind tombstones that retention did not write, and
edited or resealed tombstones, fail verification naming the run."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from locker.harness import (
    check,
    db,
    forge_sealed_tombstone,
    four_runs,
    fresh_collector,
    hide_run,
    open_locker,
    recorded_ago,
    registry_with,
)

from govgate.core.evidence import canonical_json, format_timestamp
from govgate.locker.chain import tombstone_hash

from conftest import RepoBuilder


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


def test_a_forged_tombstone_dated_in_the_future_fails_before_and_after_a_run(
    notes_repo,
) -> None:
    repo = four_runs(notes_repo)
    with db(repo) as conn:  # dated a year ahead, so the 30-day cutoff lies after run 3's start
        forged = forge_sealed_tombstone(
            conn, [3], pruned_at=format_timestamp(datetime.now(UTC) + timedelta(days=365))
        )
    problems = problems_of(repo)  # written after the newest run: no run binds it yet
    assert problems[0].startswith(
        f"run 3: tombstone 1 (pruning run 3) is dated {forged['pruned_at']}, in the future"
    ), problems
    check(repo, registry_with(fresh_collector()))  # the next run binds it, with its own time
    problems = problems_of(repo)
    assert any("later than run 5 finished" in p for p in problems), problems


def test_a_forged_tombstone_written_after_the_newest_run_fails(
    notes_repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Runs 1-3 three days old, run 4 two days old; then a tombstone dated now, claiming a
    # one-day retention, hides run 3: sealed, chained, old enough for its cutoff, not the
    # newest, no run after it. Only its date gives it away: retention prunes right after a
    # run is recorded, and the newest run finished two days before.
    repo = notes_repo()
    registry = registry_with(fresh_collector())
    for i, days in enumerate((3, 3, 3, 2)):
        (repo.path / "notes/b.txt").write_text(f"version {i}\n")
        with recorded_ago(monkeypatch, timedelta(days=days)):
            check(repo, registry)
    with db(repo) as conn:
        forged = forge_sealed_tombstone(
            conn, [3], pruned_at=format_timestamp(datetime.now(UTC)), retention_days=1
        )
        (finished,) = conn.execute("SELECT finished_at FROM runs WHERE seq = 4").fetchone()
    problems = problems_of(repo)
    assert problems == [
        f"run 3: tombstone 1 (pruning run 3) is dated {forged['pruned_at']}, more than an hour "
        "after run 4, the newest run when it pruned, finished "
        f"({finished}); retention prunes right after a run is recorded: its "
        "date is made up"
    ]


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


def pruned_repo(notes_repo, monkeypatch: pytest.MonkeyPatch, runs: int = 3) -> RepoBuilder:
    """`runs` checks, all but the last 40 days ago, then a real retention pass pruning those."""
    repo = notes_repo()
    registry = registry_with(fresh_collector())
    for i in range(runs):
        (repo.path / "notes/b.txt").write_text(f"version {i}\n")
        if i < runs - 1:
            with recorded_ago(monkeypatch, timedelta(days=40)):
                check(repo, registry)
        else:
            check(repo, registry)
    with open_locker(repo) as locker:
        assert locker.prune(30) is not None
        report = locker.verify()
        assert report.ok, report.problems
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
def test_an_edited_tombstone_fails(notes_repo, monkeypatch, edit: str, expected: str) -> None:
    repo = pruned_repo(notes_repo, monkeypatch)
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


def test_a_resealed_tombstone_with_a_run_taken_out_fails(notes_repo, monkeypatch) -> None:
    repo = pruned_repo(notes_repo, monkeypatch)
    with db(repo) as conn:  # rewritten and re-hashed: run 2 no longer accounted for
        reseal_last_tombstone(conn, lambda d: d.update(runs=d["runs"][:1]))
    problems = problems_of(repo)
    assert "run 2: has no record and no tombstone says it was pruned" in problems, problems


def test_a_resealed_tombstone_fails_against_the_run_recorded_after_it(
    notes_repo, monkeypatch
) -> None:
    repo = pruned_repo(notes_repo, monkeypatch)
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
