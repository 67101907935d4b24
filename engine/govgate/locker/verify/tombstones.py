"""The checks of every prune: each tombstone is sealed, chained and dated consistently, and
each run it names was old enough, not the newest, and is the run the chain holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from govgate.core.evidence import format_timestamp
from govgate.locker.chain import GENESIS_HASH, TOMBSTONE_FORMAT, tombstone_hash
from govgate.locker.verify.report import VerifyProblem, run_list_text, short
from govgate.locker.verify.stored import StoredRun, StoredTombstone, is_int, moment

#: How much later a prune may be dated than the end of the run it names as the newest (it runs
#: right after that run is recorded) or of the run recorded next (committed after the prune, at
#: most a lock wait after it finished), or than the verifier's clock: lock waits and clock skew.
PRUNE_CLOCK_SLACK = timedelta(hours=1)


def verify_tombstones(
    runs: list[StoredRun], tombstones: list[StoredTombstone], unsealed_ok: bool, now: datetime
) -> list[VerifyProblem]:
    """Each prune: sealed, chained, dated consistently (never after `now`, nor long after the
    newest run it names finished), and each run it names was old enough, not the newest, and
    is the run the chain holds (same hash and start). `runs` in order."""
    audit = _Audit({run.seq: run for run in runs}, unsealed_ok, now)
    if runs and runs[-1].pruned:
        audit.problems.append(
            VerifyProblem(
                runs[-1].seq,
                None,
                "is the newest run but has no record: the newest run is never pruned",
            )
        )
    for tomb in tombstones:
        audit.check(tomb)
    return audit.problems


@dataclass
class _Audit:
    """The tombstones checked so far, in order: the chain's hash, the newest run named, and
    which tombstone pruned each run."""

    by_seq: dict[int, StoredRun]
    unsealed_ok: bool
    now: datetime
    problems: list[VerifyProblem] = field(default_factory=list)
    prev: str = GENESIS_HASH
    last_head: int = 0
    named_by: dict[int, int] = field(default_factory=dict)

    def check(self, tomb: StoredTombstone) -> None:
        self._check_seal(tomb)
        if tomb.hash is not None:
            self.prev = tomb.hash
        when = self._check_dates(tomb)
        if tomb.document is not None:
            self._check_head(tomb, tomb.document, when)
        for seq in tomb.run_ids:
            self._check_pruned_run(tomb, seq)

    def _blame(self, tomb: StoredTombstone, message: str) -> None:
        """A problem of the tombstone itself, charged to the first run it prunes."""
        ids = tomb.run_ids
        item = f"tombstone {tomb.number}"
        self.problems.append(
            VerifyProblem(
                min(ids) if ids else None, item, f"{item} (pruning {run_list_text(ids)}) {message}"
            )
        )

    def _check_seal(self, tomb: StoredTombstone) -> None:
        """Sealed by govgate's retention, unedited, in its place in the tombstone chain."""
        number, doc = tomb.number, tomb.document
        if tomb.problem is not None:
            self._blame(tomb, tomb.problem)
        elif doc is None and not self.unsealed_ok:
            self._blame(
                tomb,
                "is not sealed (it has no document and hash): govgate's retention did not write it",
            )
        if doc is None:
            return
        if tomb.hash != tombstone_hash(doc):
            self._blame(tomb, "was edited after it was written: its hash no longer matches it")
        if doc.get("format") != TOMBSTONE_FORMAT or doc.get("id") != number:
            self._blame(
                tomb,
                f"is out of place: it says it is tombstone {doc.get('id')!r} "
                "(tombstones deleted, reordered or rewritten)",
            )
        if doc.get("prev") != self.prev:
            before = f"tombstone {number - 1}" if number > 1 else "the start of the chain"
            self._blame(
                tomb, f"does not link to {before} (tombstones deleted, reordered or edited)"
            )
        edited = sorted(k for k, v in tomb.listed.items() if doc.get(k) != v)
        if edited:
            self._blame(
                tomb, f"its listed {', '.join(edited)} differ from its sealed document (edited)"
            )
        if not isinstance(doc.get("runs"), list):
            self._blame(tomb, "names its pruned runs in a form that cannot be read")
        removed = doc.get("evidence_removed")
        if not is_int(removed) or removed < 0:
            self._blame(tomb, f"states evidence_removed {removed!r}, not a count of evidence items")

    def _check_dates(self, tomb: StoredTombstone) -> datetime | None:
        """A real date, and a cutoff that is that date minus a whole number of days; returns
        the date."""
        facts = tomb.facts
        pruned_at = facts.get("pruned_at")
        when = moment(pruned_at)
        retention = facts.get("retention_days")
        cutoff = facts.get("cutoff")
        if when is None:
            self._blame(tomb, f"is dated {pruned_at!r}, not a time")
        elif when > self.now + PRUNE_CLOCK_SLACK:
            self._blame(
                tomb,
                f"is dated {pruned_at}, in the future (it is {format_timestamp(self.now)} now): "
                "its date is made up",
            )
        if retention is None or cutoff is None:
            self._blame(tomb, "does not state the retention_days and cutoff it pruned by")
        elif not is_int(retention) or retention < 1:
            self._blame(
                tomb, f"states retention_days {retention!r}; retention is a whole number of days"
            )
        elif when is not None and cutoff != format_timestamp(when - timedelta(days=retention)):
            self._blame(
                tomb,
                f"states the cutoff {cutoff}, but {pruned_at} minus {retention} days is "
                f"{format_timestamp(when - timedelta(days=retention))} (edited)",
            )
        return when

    def _check_head(
        self, tomb: StoredTombstone, doc: dict[str, Any], when: datetime | None
    ) -> None:
        """The newest run it names is that run, no older than the one named before it, and
        no run recorded after the prune finished before the prune's date."""
        head_id = tomb.head_id
        head = doc.get("head")
        head_hash = head.get("hash") if isinstance(head, dict) else None
        newest = self.by_seq.get(head_id) if head_id is not None else None
        if head_id is None:
            self._blame(tomb, "does not name the newest run when it pruned")
            return
        if newest is None or newest.hash != head_hash:
            has = f"run {head_id} has {short(newest.hash)}" if newest else "there is none"
            self._blame(
                tomb,
                f"names run {head_id} ({short(head_hash)}) as the newest run when it "
                f"pruned, but {has}",
            )
        if head_id < self.last_head:
            self._blame(
                tomb,
                f"names run {head_id} as the newest run when it pruned, before the "
                f"run {self.last_head} the tombstone ahead of it names (reordered)",
            )
        self.last_head = max(self.last_head, head_id)
        after = self.by_seq.get(head_id + 1)
        end = moment(after.end) if after is not None else None
        if when is not None and end is not None and when > end + PRUNE_CLOCK_SLACK:
            self._blame(
                tomb,
                f"is dated {tomb.facts.get('pruned_at')}, later than run {head_id + 1} finished "
                f"({after.end if after else '-'}), a run recorded after this prune: "
                "its date is made up",
            )
            return
        # Retention prunes right after recording a run: a prune dated long after the run it
        # names as the newest finished was not written by govgate (forged after the newest run).
        # A migrated tombstone names the newest run at migration, which the prune never saw.
        own_end = moment(newest.end) if newest is not None and not doc.get("migrated") else None
        if when is not None and own_end is not None and when > own_end + PRUNE_CLOCK_SLACK:
            self._blame(
                tomb,
                f"is dated {tomb.facts.get('pruned_at')}, more than an hour after run "
                f"{head_id}, the newest run when it pruned, finished "
                f"({newest.end if newest else '-'}); retention prunes right after a run is "
                "recorded: its date is made up",
            )

    def _check_pruned_run(self, tomb: StoredTombstone, seq: int) -> None:
        """A run the tombstone prunes: named by no other tombstone, and present in the chain."""
        item = f"tombstone {tomb.number}"
        if seq in self.named_by:
            self.problems.append(
                VerifyProblem(
                    seq, item, f"is pruned by both tombstone {self.named_by[seq]} and {item}"
                )
            )
            return
        self.named_by[seq] = tomb.number
        facts = tomb.facts
        entry = next(r for r in facts["runs"] if isinstance(r, dict) and r.get("id") == seq)
        run = self.by_seq.get(seq)
        if run is None:
            self.problems.append(
                VerifyProblem(seq, item, f"is pruned by {item} but the locker has no run {seq}")
            )
            return
        self.problems.extend(_pruned_run_problems(run, entry, facts, item, tomb.head_id))


def _pruned_run_problems(
    run: StoredRun, entry: dict[str, Any], facts: dict[str, Any], item: str, head_id: int | None
) -> list[VerifyProblem]:
    """A pruned run against what its tombstone says: not the newest, the same hash and start,
    old enough for the cutoff, and marked pruned at the tombstone's time."""
    seq = run.seq
    pruned_at = facts.get("pruned_at")
    cutoff = facts.get("cutoff")
    retention = facts.get("retention_days")
    problems: list[VerifyProblem] = []
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
                f"has hash {short(run.hash)}, but {item} pruned a run {seq} whose hash "
                f"was {short(entry.get('hash'))}",
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
    started, limit = moment(run.start), moment(cutoff)
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
