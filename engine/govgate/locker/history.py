"""Reading the history back: the runs (`locker ls`), one run (`locker show`, the dossier), the
evidence a run cited, and the tombstones.
"""

from __future__ import annotations

import json
from typing import Any

from govgate.core.evidence import Evidence
from govgate.locker.columns import loads_or, sealed_document, unpack
from govgate.locker.database import LockerDatabase
from govgate.locker.evidence import check_evidence_row, stored_contents
from govgate.locker.failures import LockerError
from govgate.locker.models import RunSummary, Tombstone
from govgate.support.errors import UsageError


def list_runs(db: LockerDatabase) -> list[RunSummary]:
    rows = db.read(
        "SELECT seq, command, started_at, finished_at, tool_version, target_commit, gate, "
        "evidence_digests, hash, pruned_at FROM runs ORDER BY seq"
    )
    return [
        RunSummary(
            seq=row[0],
            command=row[1],
            started_at=row[2],
            finished_at=row[3],
            tool_version=row[4],
            target_commit=row[5],
            gate=row[6],
            evidence=len(_evidence_digests(db, row[0], row[7])),
            hash=row[8],
            pruned_at=row[9],
        )
        for row in rows
    ]


def _damaged(db: LockerDatabase, seq: int, what: str) -> LockerError:
    """A run that cannot be read back: one line naming it, and the command that says more."""
    return LockerError(
        f"{db.display}: run {seq}: {what}; run `govgate verify` to see what else changed"
    )


def _evidence_digests(db: LockerDatabase, seq: int, text: Any) -> list[str]:
    digests = loads_or(text, None)
    if not isinstance(digests, list) or not all(isinstance(d, str) for d in digests):
        raise _damaged(db, seq, "its evidence list was edited (not a JSON list of digests)")
    return digests


def _record(db: LockerDatabase, seq: int, blob: Any) -> dict[str, Any] | None:
    if blob is None:
        return None
    try:
        record = json.loads(unpack(blob))
    except ValueError:
        record = None
    if not isinstance(record, dict):
        raise _damaged(db, seq, "its record was changed after it was stored (cannot be read)")
    return record


def latest_check(db: LockerDatabase) -> int | None:
    """The newest run recorded by `govgate check` that still holds its result, if any."""
    rows = db.read("SELECT max(seq) FROM runs WHERE command = 'check' AND pruned_at IS NULL")
    return int(rows[0][0]) if rows and rows[0][0] is not None else None


def show_run(db: LockerDatabase, seq: int) -> dict[str, Any]:
    """One run: its hashes, its evidence digests, when it was pruned, and its record.

    A run whose stored columns cannot be read back is a LockerError naming it (never a crash).
    """
    rows = db.read(
        "SELECT seq, hash, prev_hash, results_digest, evidence_digests, record, pruned_at "
        "FROM runs WHERE seq = ?",
        (seq,),
    )
    if not rows:
        raise LockerError(f"{db.display}: no run {seq}")
    row = rows[0]
    return {
        "id": row[0],
        "hash": row[1],
        "prev_hash": row[2],
        "results_digest": row[3],
        "evidence_digests": _evidence_digests(db, seq, row[4]),
        "pruned_at": row[6],
        "record": _record(db, seq, row[5]),
    }


def run_evidence(db: LockerDatabase, seq: int) -> list[Evidence]:
    """The evidence items a run cited, with their data, each checked against its digest.

    Raises LockerError naming the run and item when one is missing or no longer matches
    (the dossier must never present evidence the locker cannot vouch for).
    """
    record = show_run(db, seq)["record"]
    if record is None:
        raise LockerError(f"{db.display}: run {seq} was pruned; its evidence is gone")
    cited = record.get("evidence") or []
    if not isinstance(cited, list) or not all(
        isinstance(item, dict) and isinstance(item.get("digest"), str) for item in cited
    ):
        raise _damaged(db, seq, "its record's evidence citations cannot be read")
    contents = stored_contents(db, {item["digest"] for item in cited})
    items: list[Evidence] = []
    for item in cited:
        content = contents.get(item["digest"])
        problem = (
            "is missing"
            if content is None
            else check_evidence_row(item["digest"], content[0], content[1], content[2])
        )
        if problem is not None:
            raise LockerError(
                f"{db.display}: run {seq}: evidence {item['digest'][:19]}… {problem}; "
                "run `govgate verify`"
            )
        assert content is not None
        try:
            items.append(Evidence.from_json({**item, "data": json.loads(content[2])}))
        except (KeyError, TypeError, ValueError) as exc:
            what = f"its citation of {item['digest'][:19]}… cannot be read"
            raise _damaged(db, seq, what) from exc
    return items


def resolve_run(db: LockerDatabase, ref: str) -> int:
    """A run number from `12`, `latest`, or a hash prefix (with or without `sha256:`)."""
    text = ref.strip()
    if text in ("latest", "last", "head"):
        rows = db.read("SELECT max(seq) FROM runs")
        if rows[0][0] is None:
            raise LockerError(f"{db.display}: no runs recorded yet")
        return int(rows[0][0])
    if text.isdigit():
        if db.read("SELECT 1 FROM runs WHERE seq = ?", (int(text),)):
            return int(text)
        raise LockerError(f"{db.display}: no run {text} (see `govgate locker ls`)")
    prefix = text.removeprefix("sha256:").lower()
    if len(prefix) < 6 or any(c not in "0123456789abcdef" for c in prefix):
        raise UsageError(f"RUN {ref!r}: give a run number, 'latest' or a hash prefix (6+ hex)")
    found = db.read("SELECT seq FROM runs WHERE hash LIKE ?", (f"sha256:{prefix}%",))
    if len(found) != 1:
        what = "no run has" if not found else f"{len(found)} runs have"
        raise LockerError(f"{db.display}: {what} a hash starting with {prefix}")
    return int(found[0][0])


#: The tombstone columns, oldest first: what `list_tombstones` and verification read.
TOMBSTONE_ROWS = (
    "SELECT pruned_at, reason, runs, evidence_removed, document, hash FROM tombstones ORDER BY id"
)


def list_tombstones(db: LockerDatabase) -> list[Tombstone]:
    """Every tombstone as listed; a `runs` column that is not a list of runs lists none (verify
    names the damage)."""
    tombstones = []
    for pruned_at, reason, runs, removed, document, sealed in db.read(TOMBSTONE_ROWS):
        listed = loads_or(runs, [])
        named = [r for r in listed if isinstance(r, dict)] if isinstance(listed, list) else []
        tombstones.append(
            Tombstone(pruned_at, reason, named, removed, sealed_document(document), sealed)
        )
    return tombstones
