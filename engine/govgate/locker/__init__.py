"""The evidence locker: tamper-evident run history and collector cache (docs/locker.md).

One SQLite file (`.govgate/locker.db`, WAL mode) per target repository holds:

- **evidence**, content-addressed by its digest and stored once however many runs cite it;
  only what collectors produced (already redacted), never raw file contents;
- **runs**, one row per `govgate check` / `govgate collect`, each with a canonical JSON record
  (start and end, tool version, packs with digests, effective parameters, target commit, the
  evidence it used, its results) and chained by hash:
  `hash = sha256(canonical_json({"prev": prev_hash, "evidence": [digests], "results": digest}))`;
- **the collector cache**, keyed by collector, version and input fingerprint;
- **tombstones** for runs pruned by `retention_days`, so the chain still verifies. Pruning is
  itself tamper-evident: each tombstone is a sealed document chained to the one before it and
  naming the pruned runs (hash, start) and the newest run when it pruned, and every run's
  record carries a `ledger` that binds the tombstones written before it and the start times of
  all earlier runs. `verify` checks that each pruned run was old enough, never the newest, and
  accounted for by a sealed tombstone the chain knows.

One run is one `BEGIN IMMEDIATE` transaction: the write lock is taken before the previous hash
is read, so concurrent processes append one after another and the chain stays linear, and a
process killed at any point leaves the earlier runs intact. A file at the locker path that is
not a govgate locker is refused with a recovery hint and never overwritten.

`EvidenceLocker` (facade.py) is what the other layers use; each job has its module: opening
and schema (opening, schema, database), hashing (chain), records, the collector cache (cache),
appending runs (store), reading them back (history, and latest: a repository's newest check
run), retention (prune), the verifiers (verify/) and export. Where the locker and its cache
folder live is govgate.core.config's knowledge (`locker_path`, `cache_directory`): loading the
config already needs it.
"""

from typing import TYPE_CHECKING, Any

from govgate.core.config import cache_directory, locker_path
from govgate.locker.cache import CACHE_KEEP_PER_COLLECTOR
from govgate.locker.chain import (
    GENESIS_HASH,
    TOMBSTONE_FORMAT,
    chain_hash,
    ledger_step,
    results_digest,
    tombstone_hash,
)
from govgate.locker.database import BUSY_TIMEOUT_SECONDS, LOCK_DEADLINE_SECONDS
from govgate.locker.export import EXPORT_SCHEMA
from govgate.locker.facade import EvidenceLocker
from govgate.locker.failures import LockerError
from govgate.locker.latest import LatestCheck, latest_check_run
from govgate.locker.models import RecordedRun, RunSummary, Tombstone
from govgate.locker.records import RECORD_FORMAT, build_run_record, citation
from govgate.locker.schema import APPLICATION_ID, SCHEMA_VERSION

if TYPE_CHECKING:
    from govgate.locker.verify import (
        PRUNE_CLOCK_SLACK,
        VerifyProblem,
        VerifyReport,
        Witness,
        parse_witness,
        read_witness_file,
        run_list_text,
        verify_chain,
        verify_export,
        verify_locker_file,
    )

#: Names of `govgate.locker.verify`, imported on first use: every commit hook opens the
#: locker, only `govgate verify` and the dossier check it.
_VERIFY_NAMES = frozenset(
    {
        "PRUNE_CLOCK_SLACK",
        "VerifyProblem",
        "VerifyReport",
        "Witness",
        "parse_witness",
        "read_witness_file",
        "run_list_text",
        "verify_chain",
        "verify_export",
        "verify_locker_file",
    }
)


def __getattr__(name: str) -> Any:
    if name in _VERIFY_NAMES:
        from govgate.locker import verify

        return getattr(verify, name)
    raise AttributeError(f"module 'govgate.locker' has no attribute {name!r}")


__all__ = [
    "APPLICATION_ID",
    "BUSY_TIMEOUT_SECONDS",
    "CACHE_KEEP_PER_COLLECTOR",
    "EXPORT_SCHEMA",
    "GENESIS_HASH",
    "LOCK_DEADLINE_SECONDS",
    "PRUNE_CLOCK_SLACK",
    "RECORD_FORMAT",
    "SCHEMA_VERSION",
    "TOMBSTONE_FORMAT",
    "EvidenceLocker",
    "LatestCheck",
    "LockerError",
    "RecordedRun",
    "RunSummary",
    "Tombstone",
    "VerifyProblem",
    "VerifyReport",
    "Witness",
    "build_run_record",
    "cache_directory",
    "chain_hash",
    "citation",
    "latest_check_run",
    "ledger_step",
    "locker_path",
    "parse_witness",
    "read_witness_file",
    "results_digest",
    "run_list_text",
    "tombstone_hash",
    "verify_chain",
    "verify_export",
    "verify_locker_file",
]
