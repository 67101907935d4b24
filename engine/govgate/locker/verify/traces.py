"""What a locker file still shows of runs deleted from it: evidence no run or cache entry
cites, evidence-index rows of runs that are gone or pruned, evidence and cache entries stored
after the newest run finished, and heads in `meta` that the runs and tombstones no longer
produce. Someone who removes all of these as well is caught only by a witness (witness.py).
"""

from __future__ import annotations

from govgate.locker.chain import GENESIS_HASH, ledger_step
from govgate.locker.database import LockerDatabase
from govgate.locker.verify.report import VerifyProblem, run_list_text, short
from govgate.locker.verify.stored import StoredRun, StoredTombstone, moment
from govgate.locker.verify.tombstones import PRUNE_CLOCK_SLACK


def trace_problems(
    db: LockerDatabase,
    runs: list[StoredRun],
    tombstones: list[StoredTombstone],
    labels: dict[str, str],
    cached: set[str],
) -> list[VerifyProblem]:
    """Every trace of a deleted run the file holds. `runs` in order; `cached`: the digests
    the collector cache cites."""
    problems = _index_problems(db, runs)
    problems += _orphan_problems(runs, labels, cached)
    problems += _stored_after_problems(db, runs)
    problems += _meta_problems(db, runs, tombstones)
    return problems


def _index_problems(db: LockerDatabase, runs: list[StoredRun]) -> list[VerifyProblem]:
    """Evidence-index rows naming a run the locker does not hold, or a pruned run (retention
    deletes a pruned run's rows with its record)."""
    by_seq = {run.seq: run for run in runs}
    indexed = sorted({int(seq) for (seq,) in db.read("SELECT DISTINCT seq FROM run_evidence")})
    problems: list[VerifyProblem] = []
    gone = [seq for seq in indexed if seq not in by_seq]
    if gone:
        problems.append(
            VerifyProblem(
                gone[0],
                "evidence index",
                f"is missing: the evidence index still lists what {run_list_text(gone)} cited, "
                "but the locker holds no such run (deleted)",
            )
        )
    for seq in indexed:
        run = by_seq.get(seq)
        if run is not None and run.pruned:
            problems.append(
                VerifyProblem(
                    seq,
                    "evidence index",
                    "is marked pruned, but its evidence index was left in place: retention "
                    "removes it with the record (hidden by hand?)",
                )
            )
    return problems


def _orphan_problems(
    runs: list[StoredRun], labels: dict[str, str], cached: set[str]
) -> list[VerifyProblem]:
    """Evidence no run and no cache entry cites: govgate deletes such rows whenever it drops
    what cited them, so one left is what a deleted run cited."""
    cited = {d for run in runs for d in run.evidence_digests} | cached
    return [
        VerifyProblem(
            None,
            digest,
            f"evidence {digest} ({label}) is cited by no run and no cache entry: left behind "
            "by a deleted run",
        )
        for digest, label in sorted(labels.items())
        if digest not in cited
    ]


def _stored_after_problems(db: LockerDatabase, runs: list[StoredRun]) -> list[VerifyProblem]:
    """Evidence and cache entries are stored with the run that produced them, so none can be
    newer than the newest run (beyond clock slack); nor can any exist without a run."""
    rows = db.read(
        "SELECT (SELECT max(stored_at) FROM evidence), (SELECT max(stored_at) FROM "
        "collector_cache), (SELECT count(*) FROM evidence), (SELECT count(*) FROM collector_cache)"
    )
    newest_evidence, newest_cache, evidence, entries = rows[0]
    if not runs:
        if evidence or entries:
            return [
                VerifyProblem(
                    None,
                    "runs",
                    f"the locker holds {evidence} evidence item(s) and {entries} cache "
                    "entr(ies) but no run: they are stored only with a run, so its runs were "
                    "deleted",
                )
            ]
        return []
    newest = runs[-1]
    end = moment(newest.end)
    stored = [s for s in (newest_evidence, newest_cache) if isinstance(s, str)]
    latest = max(stored, default=None)
    when = moment(latest)
    if end is None or when is None or when <= end + PRUNE_CLOCK_SLACK:
        return []
    return [
        VerifyProblem(
            newest.seq + 1,
            "stored after",
            f"is missing: evidence or a cache entry was stored at {latest}, more than an hour "
            f"after the newest run (run {newest.seq}) finished at {newest.end}: a run recorded "
            "later was deleted",
        )
    ]


def _meta_problems(
    db: LockerDatabase, runs: list[StoredRun], tombstones: list[StoredTombstone]
) -> list[VerifyProblem]:
    """The ledger of start times and the tombstone head in `meta` are what the runs and
    tombstones produce: each run and each prune moves them forward."""
    meta = db.meta()
    problems: list[VerifyProblem] = []
    started = GENESIS_HASH
    for run in runs:
        started = ledger_step(started, run.seq, run.start)
    declared = meta.get("ledger_started")
    if (declared is not None or runs) and declared != started:
        problems.append(
            VerifyProblem(
                runs[-1].seq + 1 if runs else 1,
                "meta",
                "is missing: the locker's ledger of start times (meta) is not the one its "
                f"{len(runs)} run(s) produce: it was moved forward by a run the locker no "
                "longer holds (the newest runs deleted), or edited",
            )
        )
    count = meta.get("tombstone_count")
    head = meta.get("tombstone_head")
    expected_head = tombstones[-1].hash if tombstones else GENESIS_HASH
    if count is None and head is None and not tombstones:
        return problems
    if count != str(len(tombstones)) or head != expected_head:
        problems.append(
            VerifyProblem(
                None,
                "meta",
                f"the locker's tombstone head (meta) names {count!r} tombstone(s) ending at "
                f"{short(head)}, but it holds {len(tombstones)} ending at "
                f"{short(expected_head)}: a tombstone deleted or edited",
            )
        )
    return problems
