"""What a locker file still shows of runs deleted from it (verify/traces.py): evidence no run
or cache entry cites, evidence-index rows of missing or pruned runs, entries stored after the
newest run, and heads in meta that the runs and tombstones no longer produce."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from locker.harness import (
    check,
    db,
    four_runs,
    fresh_collector,
    open_locker,
    recorded_ago,
    registry_with,
)

from govgate.core.evidence import canonical_json
from govgate.locker.chain import GENESIS_HASH, ledger_step, tombstone_hash

from conftest import RepoBuilder


def problems_of(repo: RepoBuilder) -> list[str]:
    with open_locker(repo) as locker:
        report = locker.verify()
    return [str(p) for p in report.problems]


def delete_newest_run_thoroughly(repo: RepoBuilder, *, cache_too: bool) -> None:
    """Delete run 4 with its index rows (and, with `cache_too`, the cache entries it stored),
    point meta's head at run 3 and rewind the ledger of start times to match: the naive traces
    gone, so only what is left can tell."""
    with db(repo) as conn:
        conn.execute("DELETE FROM runs WHERE seq = 4")
        conn.execute("DELETE FROM run_evidence WHERE seq = 4")
        if cache_too:
            newest = conn.execute("SELECT max(stored_at) FROM collector_cache").fetchone()[0]
            conn.execute(
                "DELETE FROM cache_evidence WHERE (collector, version, fingerprint) IN "
                "(SELECT collector, version, fingerprint FROM collector_cache "
                "WHERE stored_at = ?)",
                (newest,),
            )
            conn.execute("DELETE FROM collector_cache WHERE stored_at = ?", (newest,))
        head_hash = conn.execute("SELECT hash FROM runs WHERE seq = 3").fetchone()[0]
        started = GENESIS_HASH
        for seq, start in conn.execute("SELECT seq, started_at FROM runs ORDER BY seq"):
            started = ledger_step(started, seq, start)
        conn.executemany(
            "UPDATE meta SET value = ? WHERE key = ?",
            [("3", "head_seq"), (head_hash, "head_hash"), (started, "ledger_started")],
        )


def pruned_run_one(
    notes_repo: Callable[..., RepoBuilder], monkeypatch: pytest.MonkeyPatch
) -> RepoBuilder:
    """Two runs, the first recorded 40 days ago, then pruned at 30 days: run 1 is a tombstone."""
    repo = notes_repo()
    registry = registry_with(fresh_collector())
    with recorded_ago(monkeypatch, timedelta(days=40)):
        check(repo, registry)
    check(repo, registry)
    with open_locker(repo) as locker:
        assert locker.prune(30) is not None
    return repo


def test_evidence_only_a_deleted_run_cited_is_named(notes_repo) -> None:
    repo = four_runs(notes_repo)  # each run saw another notes/b.txt
    delete_newest_run_thoroughly(repo, cache_too=True)
    problems = problems_of(repo)
    assert len(problems) == 1, problems
    assert problems[0].startswith("evidence sha256:")
    assert problems[0].endswith(
        "(kind lt_notes, subject notes/b.txt) is cited by no run and no cache entry: left "
        "behind by a deleted run"
    )


def test_a_cache_entry_stored_after_the_newest_run_is_named(
    notes_repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = notes_repo()
    registry = registry_with(fresh_collector())
    for i in range(4):
        (repo.path / "notes/b.txt").write_text(f"version {i}\n")
        if i < 3:
            with recorded_ago(monkeypatch, timedelta(hours=3)):
                check(repo, registry)
        else:
            check(repo, registry)  # run 4, now: its cache entry stays behind
    delete_newest_run_thoroughly(repo, cache_too=False)
    with db(repo) as conn:
        finished = conn.execute("SELECT finished_at FROM runs WHERE seq = 3").fetchone()[0]
    problems = problems_of(repo)
    assert len(problems) == 1, problems
    assert problems[0].startswith("run 4: is missing: evidence or a cache entry was stored at ")
    assert problems[0].endswith(
        f"more than an hour after the newest run (run 3) finished at {finished}: a run "
        "recorded later was deleted"
    )


def test_index_rows_of_a_missing_or_a_pruned_run_are_named(
    notes_repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = pruned_run_one(notes_repo, monkeypatch)
    assert problems_of(repo) == []
    with db(repo) as conn:
        digest = conn.execute("SELECT digest FROM evidence LIMIT 1").fetchone()[0]
        conn.execute("INSERT INTO run_evidence (seq, digest) VALUES (1, ?), (9, ?)", (digest,) * 2)
    assert problems_of(repo) == [
        "run 9: is missing: the evidence index still lists what run 9 cited, but the locker "
        "holds no such run (deleted)",
        "run 1: is marked pruned, but its evidence index was left in place: retention removes "
        "it with the record (hidden by hand?)",
    ]


def test_a_tombstone_head_in_meta_that_the_tombstones_do_not_produce(
    notes_repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = pruned_run_one(notes_repo, monkeypatch)
    with db(repo) as conn:
        conn.execute("UPDATE meta SET value = '0' WHERE key = 'tombstone_count'")
    (problem,) = problems_of(repo)
    assert problem.startswith("the locker's tombstone head (meta) names '0' tombstone(s)")
    assert "but it holds 1 ending at " in problem


def test_a_tombstone_whose_evidence_removed_is_not_a_count_fails(
    notes_repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = pruned_run_one(notes_repo, monkeypatch)
    with db(repo) as conn:  # resealed consistently: only the value itself gives it away
        (text,) = conn.execute("SELECT document FROM tombstones").fetchone()
        document = {**json.loads(text), "evidence_removed": -3}
        sealed = tombstone_hash(document)
        conn.execute(
            "UPDATE tombstones SET document = ?, hash = ?, evidence_removed = -3",
            (canonical_json(document).decode(), sealed),
        )
        conn.execute("UPDATE meta SET value = ? WHERE key = 'tombstone_head'", (sealed,))
    assert problems_of(repo) == [
        "run 1: tombstone 1 (pruning run 1) states evidence_removed -3, not a count of "
        "evidence items"
    ]
