"""The hashes that make the locker tamper-evident: each run's hash chained to the one before,
the chain of sealed tombstones, and the ledger each run keeps of what came before it.
"""

from __future__ import annotations

import re
from typing import Any

from govgate.core.evidence import canonical_json, sha256_digest

#: prev_hash of the first run (and the start of the tombstone chain and of the ledger).
GENESIS_HASH = "sha256:" + "0" * 64
TOMBSTONE_FORMAT = "govgate/tombstone/v1"
#: The reason a schema-1 prune wrote (read when such a locker is migrated or verified).
V1_REASON = re.compile(r"^retention_days: (\d+) \(runs started before (\S+)\)$")


def chain_hash(prev_hash: str, evidence_digests: list[str], results_digest: str) -> str:
    """A run's hash: sha256 over the previous hash, its evidence digests and its results."""
    return sha256_digest(
        canonical_json({"prev": prev_hash, "evidence": evidence_digests, "results": results_digest})
    )


def results_digest(record: Any) -> str:
    """Digest of a run record (its canonical JSON), the `results digest` of the chain."""
    return sha256_digest(canonical_json(record))


def ledger_step(previous: str, seq: int, started_at: Any) -> str:
    """The ledger of start times after run `seq`: binds every run's start, pruned or not."""
    return sha256_digest(canonical_json({"prev": previous, "run": seq, "started_at": started_at}))


def ledger_before(meta: dict[str, str], seq: int) -> dict[str, Any]:
    """What run `seq` records of what came before it, from the locker's `meta` table (see
    `govgate.locker.verify.ledger`)."""
    return {
        "runs_before": seq - 1,
        "started_at_digest": meta.get("ledger_started", GENESIS_HASH),
        "tombstones": int(meta["tombstone_count"])
        if meta.get("tombstone_count", "").isdigit()
        else 0,
        "tombstone_head": meta.get("tombstone_head", GENESIS_HASH),
    }


def tombstone_hash(document: dict[str, Any]) -> str:
    """A tombstone's hash: sha256 over its sealed document (which names the previous hash)."""
    return sha256_digest(canonical_json(document))


def tombstone_document(
    number: int,
    prev: str,
    pruned_at: str,
    retention_days: int | None,
    cutoff: str | None,
    reason: str,
    runs: Any,
    evidence_removed: int,
    head: dict[str, Any] | None,
    *,
    migrated: bool,
) -> dict[str, Any]:
    """The sealed document of tombstone `number`; `prev` is the hash of the one before it."""
    return {
        "format": TOMBSTONE_FORMAT,
        "id": number,
        "prev": prev,
        "pruned_at": pruned_at,
        "retention_days": retention_days,
        "cutoff": cutoff,
        "reason": reason,
        "runs": runs,
        "evidence_removed": evidence_removed,
        "head": head,
        "migrated": migrated,
    }
