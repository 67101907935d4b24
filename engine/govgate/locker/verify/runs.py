"""The checks of the run chain, shared by the locker and its exports: every run's number, link,
record, evidence and hash, and the head; then the prunes and the ledger.
"""

from __future__ import annotations

from datetime import datetime

from govgate.core.evidence import utc_now
from govgate.locker.chain import GENESIS_HASH, chain_hash, results_digest
from govgate.locker.columns import record_columns
from govgate.locker.verify.ledger import verify_ledger
from govgate.locker.verify.report import VerifyProblem, short
from govgate.locker.verify.stored import StoredRun, StoredTombstone
from govgate.locker.verify.tombstones import verify_tombstones


def verify_chain(
    runs: list[StoredRun],
    evidence_status: dict[str, str | None],
    labels: dict[str, str],
    head: tuple[int, str] | None,
    tombstones: list[StoredTombstone],
    *,
    unsealed_ok: bool = False,
    now: datetime | None = None,
) -> list[VerifyProblem]:
    """Check every run's record, evidence and link, and every prune; shared by the locker and
    its exports. `unsealed_ok`: tombstones without a hash are accepted (an export of a schema-1
    locker, whose runs carry no ledger), with every check they allow. `now` (default: the
    clock) is what a tombstone may not be dated after.
    """
    problems: list[VerifyProblem] = []
    tombstoned = {seq for t in tombstones for seq in t.run_ids}
    ordered = sorted(runs, key=lambda r: r.seq)
    expected_prev = GENESIS_HASH
    expected_seq = 1
    for run in ordered:
        problems.extend(_link_problems(run, expected_seq, expected_prev))
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
            problems.extend(_record_problems(run))
            problems.extend(_evidence_problems(run, evidence_status, labels))
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
    problems.extend(_head_problems(runs, head))
    problems.extend(verify_tombstones(ordered, tombstones, unsealed_ok, now or utc_now()))
    problems.extend(verify_ledger(ordered, tombstones))
    return problems


def _link_problems(run: StoredRun, expected_seq: int, expected_prev: str) -> list[VerifyProblem]:
    """A run missing before this one, and a previous hash that is not the run before's."""
    problems: list[VerifyProblem] = []
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
                f"does not link to {before}: its previous hash is {short(run.prev_hash)} "
                f"but {before} has {short(expected_prev)} "
                "(runs deleted, reordered or edited)",
            )
        )
    return problems


def _record_problems(run: StoredRun) -> list[VerifyProblem]:
    """A readable record against the run's digests, evidence list, columns and index."""
    problems: list[VerifyProblem] = []
    if results_digest(run.record) != run.results_digest:
        problems.append(
            VerifyProblem(run.seq, None, "its record (results) was changed after it was stored")
        )
    cited = [
        c.get("digest")
        for c in (run.record.get("evidence") or [] if isinstance(run.record, dict) else [])
        if isinstance(c, dict)
    ]
    if cited != run.evidence_digests:
        problems.append(
            VerifyProblem(run.seq, None, "its evidence list does not match the evidence it cites")
        )
    if run.columns:
        derived = record_columns(run.record)
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
        problems.append(VerifyProblem(run.seq, None, "its evidence index was edited or swapped"))
    return problems


def _evidence_problems(
    run: StoredRun, evidence_status: dict[str, str | None], labels: dict[str, str]
) -> list[VerifyProblem]:
    """Each evidence item the run lists: stored, and still matching its digest."""
    problems: list[VerifyProblem] = []
    for digest in run.evidence_digests:
        label = labels.get(digest, "")
        shown = f"evidence {digest}" + (f" ({label})" if label else "")
        if digest not in evidence_status:
            problems.append(VerifyProblem(run.seq, digest, f"{shown} is missing from the locker"))
        elif evidence_status[digest] is not None:
            problems.append(VerifyProblem(run.seq, digest, f"{shown} {evidence_status[digest]}"))
    return problems


def _head_problems(runs: list[StoredRun], head: tuple[int, str] | None) -> list[VerifyProblem]:
    """The recorded head is the last stored run (a deleted last run leaves it dangling)."""
    if head is None:
        return (
            [VerifyProblem(None, None, "the locker has runs but no recorded head")] if runs else []
        )
    head_seq, head_hash = head
    last = max(runs, key=lambda r: r.seq) if runs else None
    if last is not None and (last.seq, last.hash) == (head_seq, head_hash):
        return []
    stored = f"run {last.seq}" if last else "no run at all"
    return [
        VerifyProblem(
            head_seq,
            None,
            f"is missing: the locker's head is run {head_seq} ({short(head_hash)}) "
            f"but the last stored run is {stored}",
        )
    ]


def uncited_problems(
    status: dict[str, str | None], labels: dict[str, str], cited: set[str]
) -> list[VerifyProblem]:
    """Damaged evidence no run cites (a run's own evidence is named with its run instead)."""
    return [
        VerifyProblem(None, digest, f"evidence {digest} ({labels[digest]}) {problem}")
        for digest, problem in status.items()
        if problem is not None and digest not in cited
    ]
