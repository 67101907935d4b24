"""The check of every run's `ledger`: the start times and the tombstones it recorded are still
those before it, so a tombstone or a start time forged after a run was recorded is caught by
that run (and the newest run is never pruned).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

from govgate.locker.chain import GENESIS_HASH, ledger_step
from govgate.locker.verify.report import VerifyProblem, run_list_text, short
from govgate.locker.verify.stored import StoredRun, StoredTombstone, is_int


def verify_ledger(runs: list[StoredRun], tombstones: list[StoredTombstone]) -> list[VerifyProblem]:
    """Each run's `ledger` against what was there before it: the tombstones (whose newest run
    precedes it) and the start times of all earlier runs. `runs` in order."""
    audit = _LedgerAudit(runs, tombstones)
    for run in runs:
        audit.check(run)
    return audit.problems


@dataclass
class _LedgerAudit:
    """The runs checked so far: the ledger of their start times, and what is already broken
    (once a ledger disagrees, later ones disagree too; the first is the one to name)."""

    runs: list[StoredRun]
    tombstones: list[StoredTombstone]
    problems: list[VerifyProblem] = field(default_factory=list)
    started: str = GENESIS_HASH
    confirmed_below: int = 1  # runs before this one are covered by a ledger that matched
    first_ledger: int | None = None
    started_broken: bool = False
    tombstones_broken: bool = False
    blamed: set[int] = field(default_factory=set)
    #: The tombstone chain's head after each tombstone (the genesis before the first), and the
    #: newest run each names, in order: a run's ledger counts those that precede it.
    heads: list[str] = field(init=False)
    head_ids: list[int] = field(init=False)

    def __post_init__(self) -> None:
        self.heads = [GENESIS_HASH] + [t.hash or "" for t in self.tombstones]
        self.head_ids = sorted(t.head_id for t in self.tombstones if t.head_id is not None)

    def check(self, run: StoredRun) -> None:
        record = run.readable
        ledger = record.get("ledger") if record is not None else None
        if record is not None and ledger is None and self.first_ledger is not None:
            self.problems.append(
                VerifyProblem(
                    run.seq,
                    None,
                    f"its record has no ledger, but run {self.first_ledger}'s has: it was not "
                    f"recorded by govgate after run {self.first_ledger} (replaced)",
                )
            )
        elif ledger is not None and not isinstance(ledger, dict):
            self.problems.append(VerifyProblem(run.seq, None, "its record's ledger cannot be read"))
        elif isinstance(ledger, dict):
            self.first_ledger = self.first_ledger or run.seq
            if ledger.get("runs_before") != run.seq - 1:
                self.problems.append(
                    VerifyProblem(
                        run.seq,
                        None,
                        f"its ledger covers {ledger.get('runs_before')!r} earlier runs, not "
                        f"{run.seq - 1} (renumbered)",
                    )
                )
            self._check_start_times(run, ledger)
            self._check_tombstones(run, ledger)
        self.started = ledger_step(self.started, run.seq, run.start)

    def _check_start_times(self, run: StoredRun, ledger: dict[str, Any]) -> None:
        """The start times it recorded of the runs before it; when they no longer match, the
        pruned runs since the last ledger that matched are the suspects."""
        if self.started_broken:
            return
        if ledger.get("started_at_digest") == self.started:
            self.confirmed_below = run.seq
            return
        self.started_broken = True
        suspects = [r for r in self.runs if self.confirmed_below <= r.seq < run.seq and r.pruned]
        for suspect in suspects:
            self.problems.append(
                VerifyProblem(
                    suspect.seq,
                    None,
                    f"its start {suspect.start} may not be the one recorded: the start "
                    f"times run {run.seq} recorded for the runs before it no longer "
                    "match (edited, as if it were old enough to prune)",
                )
            )
        if not suspects:
            self.problems.append(
                VerifyProblem(
                    run.seq,
                    None,
                    "its ledger of the start times of earlier runs no longer matches "
                    "them (a start time was edited)",
                )
            )

    def _check_tombstones(self, run: StoredRun, ledger: dict[str, Any]) -> None:
        """The tombstones it recorded: as many as name a newest run before it, with the head
        the tombstone chain has after them."""
        expected = bisect.bisect_left(self.head_ids, run.seq)  # tombstones before it
        raw_count = ledger.get("tombstones")
        count = raw_count if is_int(raw_count) else -1
        declared = ledger.get("tombstone_head")
        if count < 0:
            self.problems.append(
                VerifyProblem(run.seq, None, "its ledger's tombstone count cannot be read")
            )
            return
        if count == expected and count < len(self.heads) and self.heads[count] == declared:
            return
        self._blame_unknown_tombstones(run, count, expected)
        if self.tombstones_broken:
            return
        if count > expected:
            self.tombstones_broken = True
            self.problems.append(
                VerifyProblem(
                    run.seq,
                    None,
                    f"its ledger has {count} tombstone(s) before it, but the locker has "
                    f"{expected} (a tombstone deleted, or its newest run edited)",
                )
            )
        elif count < len(self.heads) and self.heads[count] != declared:
            self.tombstones_broken = True
            self.problems.append(
                VerifyProblem(
                    run.seq,
                    None,
                    f"its ledger has tombstones 1-{count} with head {short(declared)}, "
                    f"but they now hash to {short(self.heads[count])} (a tombstone edited)",
                )
            )

    def _blame_unknown_tombstones(self, run: StoredRun, count: int, expected: int) -> None:
        """Tombstones that claim to precede the run but that its ledger does not count."""
        for tomb in self.tombstones[count:expected]:
            if tomb.number in self.blamed:
                continue
            self.blamed.add(tomb.number)
            ids = tomb.run_ids
            self.problems.append(
                VerifyProblem(
                    min(ids) if ids else run.seq,
                    f"tombstone {tomb.number}",
                    f"tombstone {tomb.number} (pruning {run_list_text(ids)}) is not one "
                    f"run {run.seq} knew: it says it pruned before run {run.seq} was "
                    f"recorded, but that run's ledger has {count} tombstone(s) (added "
                    "or back-dated afterwards)",
                )
            )
