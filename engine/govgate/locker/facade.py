"""EvidenceLocker: the one object the other layers use. It holds the open file and hands each
job to its module (store, cache, prune, history, verify, export).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govgate.core.collector import Diagnostic
from govgate.core.evidence import Evidence
from govgate.locker.cache import CollectorCacheStore
from govgate.locker.database import LockerDatabase
from govgate.locker.export import export_locker
from govgate.locker.history import (
    latest_check,
    list_runs,
    list_tombstones,
    resolve_run,
    run_evidence,
    show_run,
)
from govgate.locker.models import RecordedRun, RunSummary, Tombstone
from govgate.locker.opening import open_database, open_snapshot
from govgate.locker.prune import prune
from govgate.locker.store import record_run
from govgate.support.cachekey import CacheKey

if TYPE_CHECKING:
    from govgate.locker.verify import VerifyReport


class EvidenceLocker:
    """The locker of one repository. Also the `CollectorCache` that `collect_evidence` uses.

    Open it with `EvidenceLocker.open(path)`; close it (or use `with`). Cache `put`s are held
    in memory and written in the same transaction as the run that produced them, so a run
    that fails or is killed leaves no trace at all.
    """

    def __init__(
        self, path: Path, database: LockerDatabase, cache_key: CacheKey | None = None
    ) -> None:
        self.path = path
        self.display = database.display
        self._db = database
        self._cache = CollectorCacheStore(database, cache_key)

    @classmethod
    def open(
        cls, path: Path, *, create: bool = True, cache_key: CacheKey | None = None
    ) -> EvidenceLocker:
        """Open (and with `create`, create) the locker at `path`; refuse anything else there.

        `cache_key` (`govgate.support.cachekey.cache_key`) authenticates the collector cache:
        without one, nothing is served from it or written to it.
        """
        return cls(path, open_database(path, create=create), cache_key)

    @classmethod
    def snapshot(cls, path: Path) -> EvidenceLocker:
        """A private copy of the locker at `path`, for reading it without writing to it (an
        older schema is migrated in the copy); no cache. Removed when closed."""
        return cls(path, open_snapshot(path))

    def close(self) -> None:
        self._cache.clear()
        self._db.close()

    def __enter__(self) -> EvidenceLocker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the collector cache (the `CollectorCache` protocol of govgate.run.collect) ----------
    @property
    def damaged_cache(self) -> list[str]:
        """Collectors whose cached output no longer matched its digests in this session:
        collected again, and said so (an edited locker must not pass unnoticed)."""
        return self._cache.damaged

    def get(
        self,
        collector: str,
        version: str,
        fingerprint: str,
        *,
        max_age: timedelta | None = None,
        now: datetime | None = None,
    ) -> tuple[list[Evidence], list[Diagnostic]] | None:
        """Cached output of a collector for these inputs, or None (a miss)."""
        return self._cache.get(collector, version, fingerprint, max_age=max_age, now=now)

    def put(
        self,
        collector: str,
        version: str,
        fingerprint: str,
        evidence: list[Evidence],
        diagnostics: list[Diagnostic],
        *,
        now: datetime | None = None,
    ) -> None:
        """Remember a collector's output; written with the run (`record_run`), not before."""
        self._cache.put(collector, version, fingerprint, evidence, diagnostics, now=now)

    # -- writing ---------------------------------------------------------------------------
    def record_run(self, record: dict[str, Any], evidence: Iterable[Evidence]) -> RecordedRun:
        """Append one run (and the cache entries it produced) in one transaction."""
        return record_run(self._db, self._cache, record, evidence)

    def prune(self, retention_days: int, *, now: datetime | None = None) -> Tombstone | None:
        """Prune runs started more than `retention_days` ago; leave a sealed tombstone."""
        return prune(self._db, retention_days, now=now)

    # -- reading ---------------------------------------------------------------------------
    def runs(self) -> list[RunSummary]:
        return list_runs(self._db)

    def latest_check(self) -> int | None:
        """The newest run recorded by `govgate check` that still holds its result, if any."""
        return latest_check(self._db)

    def run_evidence(self, seq: int) -> list[Evidence]:
        """The evidence items a run cited, each checked against its digest (LockerError if not)."""
        return run_evidence(self._db, seq)

    def resolve_run(self, ref: str) -> int:
        """A run number from `12`, `latest`, or a hash prefix (with or without `sha256:`)."""
        return resolve_run(self._db, ref)

    def show(self, seq: int) -> dict[str, Any]:
        return show_run(self._db, seq)

    def tombstones(self) -> list[Tombstone]:
        return list_tombstones(self._db)

    # -- verifying and exporting -------------------------------------------------------------
    def verify(self) -> VerifyReport:
        """Recompute every evidence digest, every run record digest and the whole chain."""
        # Imported here: every commit hook opens the locker, only `govgate verify` checks it.
        from govgate.locker.verify import verify_locker

        return verify_locker(self._db)

    def export(self, directory: Path) -> dict[str, Any]:
        """Write one JSON file per evidence item and per run record, plus `manifest.json`."""
        return export_locker(self._db, directory)
