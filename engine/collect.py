"""Run the collectors a set of rules needs, and only those.

Each needed evidence kind is mapped to its collector; a kind whose collector is not installed
becomes a clear `fail` naming the collector, a collector that raises or hangs becomes `error`
for every rule that needed it, and evidence whose data does not match its kind's schema is
flagged rather than used. A collector's output can be served from a cache while its inputs and
version are unchanged (the locker provides one).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from govgate.collector import CollectContext, Collector, Diagnostic, EvidenceKind, RepoFiles
from govgate.errors import CollectorError
from govgate.evaluate import EvidenceSet
from govgate.evidence import Evidence
from govgate.plugins import Registry

DEFAULT_TIMEOUT_SECONDS = 300.0


class CollectorCache(Protocol):
    """Where collector output is reused from (implemented by the evidence locker)."""

    def get(
        self,
        collector: str,
        version: str,
        fingerprint: str,
        *,
        max_age: timedelta | None = None,
        now: datetime | None = None,
    ) -> tuple[list[Evidence], list[Diagnostic]] | None:
        """Cached output, or None; an entry collected more than `max_age` before `now` is a miss.

        Served evidence keeps its original `collected_at`, so freshness rules see its real age.
        """
        ...

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
        """Remember output for these inputs; `now` is when it was collected (for max_age)."""
        ...


@dataclass
class CollectorRun:
    """What happened to one collector in this run."""

    name: str
    version: str
    kinds: list[str]
    status: str  # "ok", "cached", "error", "missing"
    seconds: float = 0.0
    items: int = 0
    message: str | None = None
    fingerprint: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "kinds": self.kinds,
            "status": self.status,
            "seconds": round(self.seconds, 4),
            "items": self.items,
            "message": self.message,
        }


@dataclass
class Collection:
    evidence: EvidenceSet
    diagnostics: list[Diagnostic] = field(default_factory=list)
    runs: list[CollectorRun] = field(default_factory=list)


def fingerprint_inputs(
    root: Path, files: RepoFiles, patterns: list[str], extra: dict[str, Any]
) -> str:
    """Digest of the inputs a collector reads: paths, sizes, mtimes and content hashes.

    Content is hashed too because mtimes lie (git checkout, copies): a cache hit must mean the
    same bytes. Settings and requested kinds are part of it, so a config change re-collects.
    """
    from govgate.evidence import canonical_json

    digest = hashlib.sha256(canonical_json(extra))
    for rel in files.glob(patterns):
        path = root / rel
        try:
            info = path.lstat()
            digest.update(f"{rel}\0{info.st_size}\0{info.st_mtime_ns}\0".encode())
            if path.is_file() and not path.is_symlink():
                with path.open("rb") as handle:
                    digest.update(hashlib.file_digest(handle, "sha256").digest())
        except OSError:
            digest.update(f"{rel}\0unreadable\0".encode())
    return "sha256:" + digest.hexdigest()


_VALIDATORS: dict[int, tuple[Any, Any]] = {}


def _validator_for(schema: Any) -> Any:
    """One compiled validator per schema object (schemas live as long as the registry)."""
    cached = _VALIDATORS.get(id(schema))
    if cached is None or cached[0] is not schema:
        from jsonschema import Draft202012Validator

        cached = (schema, Draft202012Validator(schema))
        _VALIDATORS[id(schema)] = cached
    return cached[1]


def validate_evidence(item: Evidence, schema: Any) -> str | None:
    """First schema problem of an item's data, as one line, or None."""
    if not schema or item.problem is not None:
        return None
    from govgate.schema import json_path

    errors = sorted(
        _validator_for(schema).iter_errors(item.data), key=lambda e: list(e.absolute_path)
    )
    if not errors:
        return None
    first = errors[0]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    line = item.locations.get("/" + "/".join(str(p) for p in first.absolute_path))
    where = f" at line {line}" if line else ""
    return f"{json_path(first.absolute_path)}{where}: {first.message}{more}"


def _freshness_limit(
    cls: type[Collector], wanted: list[EvidenceKind], max_age_by_kind: Mapping[str, timedelta]
) -> timedelta | None:
    """How old cached output may be: the collector's ttl, or less when a rule's max_age is.

    Cached evidence keeps its original collected_at, so serving an entry older than a rule's
    max_age would fail that rule as stale although collecting again would pass it.
    """
    limits = [cls.ttl, *(max_age_by_kind.get(kind.name) for kind in wanted)]
    present = [limit for limit in limits if limit is not None]
    return min(present) if present else None


def _run_with_timeout(fn: Callable[[], list[Evidence]], seconds: float) -> list[Evidence]:
    """Run a collector; a hang becomes an error instead of a hung gate."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = fn()
        except BaseException as exc:  # delivered to the caller below
            box["error"] = exc

    thread = threading.Thread(target=target, name="govgate-collector", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise TimeoutError(f"did not finish within {seconds:g} s (collector_timeout)")
    if "error" in box:
        raise box["error"]
    result: list[Evidence] = box["result"]
    return result


def collect_evidence(
    registry: Registry,
    kinds: dict[str, EvidenceKind],
    needed: set[str],
    root: Path,
    *,
    system: dict[str, Any],
    settings: dict[str, dict[str, Any]],
    now: datetime,
    base_ref: str | None = None,
    cache: CollectorCache | None = None,
    timeout: float | None = None,
    progress: Any = None,
    max_age_by_kind: Mapping[str, timedelta] | None = None,
) -> Collection:
    """Collect every needed kind once; never raises for a collector's own failure."""
    import time

    evidence = EvidenceSet()
    collection = Collection(evidence=evidence)
    files = RepoFiles(root)
    by_collector: dict[str, list[EvidenceKind]] = {}
    for name in sorted(needed):
        declared = kinds.get(name)
        if declared is None:
            continue  # the loader already refused undeclared kinds
        if declared.collector not in registry.collectors:
            hint = f" ({declared.install_hint})" if declared.install_hint else ""
            evidence.unavailable_kinds[name] = (
                f"evidence kind '{name}' is produced by collector '{declared.collector}', "
                f"which is not installed{hint}"
            )
            collection.runs.append(
                CollectorRun(declared.collector, "-", [name], "missing", message="not installed")
            )
            continue
        by_collector.setdefault(declared.collector, []).append(declared)
    limit = timeout or float(os.environ.get("GOVGATE_COLLECTOR_TIMEOUT", DEFAULT_TIMEOUT_SECONDS))
    for collector_name, wanted in sorted(by_collector.items()):
        cls: type[Collector] = registry.collectors[collector_name]
        ctx = CollectContext(
            root=files.root,
            collector=cls.name,
            collector_version=cls.version,
            kinds=wanted,
            settings=dict(settings.get(cls.name, {})),
            system=system,
            files=files,
            base_ref=base_ref,
            now=now,
            progress=progress,
        )
        run = CollectorRun(cls.name, cls.version, [k.name for k in wanted], "ok")
        started = time.perf_counter()
        try:
            collector = cls()
            fingerprint = None
            produced: list[Evidence] | None = None
            if cache is not None and base_ref is None:
                fingerprint = fingerprint_inputs(
                    files.root,
                    files,
                    collector.input_patterns(ctx),
                    {
                        "kinds": sorted((k.name, k.paths, repr(k.options)) for k in wanted),
                        "settings": repr(sorted(ctx.settings.items())),
                        "system": repr(sorted(system.items())),
                    },
                )
                hit = cache.get(
                    cls.name,
                    cls.version,
                    fingerprint,
                    max_age=_freshness_limit(cls, wanted, max_age_by_kind or {}),
                    now=now,
                )
                if hit is not None:
                    produced, cached_diagnostics = hit
                    ctx.diagnostics.extend(cached_diagnostics)
                    run.status = "cached"
            if produced is None:
                produced = _run_with_timeout(
                    lambda c=collector, x=ctx: list(c.collect(x)),  # type: ignore[misc]
                    limit,
                )
                if cache is not None and fingerprint is not None:
                    cache.put(
                        cls.name, cls.version, fingerprint, produced, ctx.diagnostics, now=now
                    )
            run.fingerprint = fingerprint
        except CollectorError as exc:
            evidence.failed_collectors[cls.name] = str(exc)
            run.status, run.message = "error", str(exc)
        except Exception as exc:  # a crashing collector must never look like a pass
            message = f"{type(exc).__name__}: {exc}"
            evidence.failed_collectors[cls.name] = message
            run.status, run.message = "error", message
        else:
            wanted_names = {k.name: k for k in wanted}
            own = {k.name: k for k in cls.kinds}
            for item in produced:
                kind = wanted_names.get(item.kind) or own.get(item.kind)
                if kind is None:
                    if item.kind in kinds:
                        continue  # a kind another run asked for; this run does not need it
                    message = f"produced undeclared evidence kind '{item.kind}'"
                    evidence.failed_collectors[cls.name] = message
                    run.status, run.message = "error", message
                    break
                if item.kind not in needed:
                    continue
                bug = None
                if item.kind in own:
                    bug = validate_evidence(item, own[item.kind].schema)
                else:
                    bug = validate_evidence(item, cls.declared_kind_schema)
                if bug is not None:
                    message = f"evidence of kind '{item.kind}' breaks its schema: {bug}"
                    evidence.failed_collectors[cls.name] = message
                    run.status, run.message = "error", message
                    break
                if item.kind not in own and item.problem is None:
                    declared_schema = kinds[item.kind].schema if item.kind in kinds else None
                    problem = validate_evidence(item, declared_schema)
                    if problem is not None:  # the user's file does not have the documented shape
                        item = replace(
                            item, problem=f"does not match the expected format: {problem}"
                        )
                evidence.add(item)
                run.items += 1
        run.seconds = time.perf_counter() - started
        collection.runs.append(run)
        collection.diagnostics.extend(ctx.diagnostics)
    for path, reason in sorted(files.refused.items()):
        collection.diagnostics.append(Diagnostic("govgate", path, None, reason, "warning"))
    if any(name in evidence.failed_collectors for name in by_collector):
        # Evidence from a collector that failed half-way is not trusted at all.
        for name in evidence.failed_collectors:
            for kind_name in [k.name for k in by_collector.get(name, [])]:
                evidence.by_kind.pop(kind_name, None)
    return collection
