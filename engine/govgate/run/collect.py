"""Run the collectors a set of rules needs, and only those.

Each needed evidence kind is mapped to its collector; a kind whose collector is not installed
becomes a clear `fail` naming the collector, a collector that raises or hangs becomes `error`
for every rule that needed it, and evidence whose data does not match its kind's schema is
flagged rather than used. A collector's output can be served from a cache while its inputs and
version are unchanged (the locker provides one).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from govgate import __version__
from govgate.analysis.aggregate import BackendHandle
from govgate.core.collector import CollectContext, Collector, Diagnostic, EvidenceKind, RepoFiles
from govgate.core.evaluate import EvidenceSet
from govgate.core.evidence import Evidence
from govgate.core.plugins import Registry
from govgate.support.bounded import Overrun, run_bounded, timeout_setting
from govgate.support.errors import (
    CollectorError,
    PluginError,
    describe_exception,
    is_real_interrupt,
)


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
    from govgate.core.evidence import canonical_json

    digest = hashlib.sha256(canonical_json(extra))
    for rel in files.glob(patterns):
        path = root / rel
        try:
            info = path.lstat()
            digest.update(f"{rel}\0{info.st_size}\0{info.st_mtime_ns}\0".encode())
            if path.is_symlink():
                # A link's own size and mtime do not change when its target does: hash where it
                # points and the bytes a collector's open() would read through it.
                digest.update(f"link\0{path.readlink()}\0".encode())
            if path.is_file():
                with path.open("rb") as handle:
                    digest.update(hashlib.file_digest(handle, "sha256").digest())
        except OSError:
            digest.update(f"{rel}\0unreadable\0".encode())
    return "sha256:" + digest.hexdigest()


def schemas_digest(cls: type[Collector], wanted: list[EvidenceKind]) -> str:
    """Digest of every schema the collector's output is checked against in this run.

    Part of the cache fingerprint: cached output is stored after those checks and served
    without repeating them, which is only right while the schemas are the same.
    """
    from govgate.core.evidence import canonical_json

    schemas = {
        "own": {k.name: k.schema for k in cls.kinds},
        "declared": cls.declared_kind_schema,
        "wanted": {k.name: k.schema for k in wanted},
    }
    return hashlib.sha256(canonical_json(schemas)).hexdigest()


def base_fingerprint(fingerprint: str, base_ref: str | None, base_commit: str | None) -> str | None:
    """The cache key of output that depends on `--base`: the inputs plus the base commit.

    None when the base is given by name only: a branch name moves, so output keyed by it
    could go stale; such output is not cached.
    """
    if base_ref is None:
        return fingerprint + "+nobase"
    if base_commit is None:
        return None
    return fingerprint + f"+base:{base_commit}"


class BaseWatchingContext(CollectContext):
    """A collection context that notes whether the collector read `base_ref`.

    Only output that depends on the base (the git collector's `git.changes`) must be keyed by
    it; everything else is served from the cache in `--base` runs just as in hook runs. A
    collector is code, so whether it reads the base is decided by its inputs and version,
    which the fingerprint already covers: output stored by a run that did not read the base
    is keyed without it, output that did with the base commit.
    """

    read_base = False

    @property
    def base_ref(self) -> str | None:
        self.read_base = True
        return self._base_ref

    @base_ref.setter
    def base_ref(self, value: str | None) -> None:
        self._base_ref = value


_VALIDATORS: dict[int, tuple[Any, Any]] = {}


def validator_for(schema: Any) -> Any:
    """One compiled validator per schema object (schemas live as long as the registry)."""
    cached = _VALIDATORS.get(id(schema))
    if cached is None or cached[0] is not schema:
        from govgate.support.schemas import validator_class

        cached = (schema, validator_class()(schema))
        _VALIDATORS[id(schema)] = cached
    return cached[1]


def validate_evidence(item: Evidence, schema: Any) -> str | None:
    """First schema problem of an item's data, as one line, or None."""
    if not schema or item.problem is not None:
        return None
    from govgate.support.schemas import json_path

    errors = sorted(
        validator_for(schema).iter_errors(item.data), key=lambda e: list(e.absolute_path)
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


def _bounded_collect(collector: Collector, ctx: CollectContext, seconds: float) -> list[Evidence]:
    """The collector's items, its generator run to the end in a thread with a deadline."""
    return run_bounded(lambda: list(collector.collect(ctx)), seconds, name="govgate-collector")


def _not_evidence(item: object) -> str:
    """Why an item a collector produced is refused: it is not an `Evidence`."""
    try:
        shown = repr(item)
    except BaseException:  # the object's own __repr__ is plugin code
        shown = "an object"
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return (
        f"produced {shown} ({type(item).__name__}) where an evidence item was expected; "
        "yield items built with ctx.evidence(kind, subject, data)"
    )


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
    base_commit: str | None = None,
    cache: CollectorCache | None = None,
    timeout: float | None = None,
    progress: Any = None,
    max_age_by_kind: Mapping[str, timedelta] | None = None,
    backend: BackendHandle | None = None,
) -> Collection:
    """Collect every needed kind once; never raises for a collector's own failure.

    `base_commit` is the commit `base_ref` names (its output is cached under it). Output is
    cached only after it passed its schemas, so a cache hit is not validated again.
    `backend` is the aggregation backend govgate.yaml selected; it is started by the first
    collector that uses it and stopped here when collecting ends.
    """
    try:
        return _collect_evidence(
            registry,
            kinds,
            needed,
            root,
            system=system,
            settings=settings,
            now=now,
            base_ref=base_ref,
            base_commit=base_commit,
            cache=cache,
            timeout=timeout,
            progress=progress,
            max_age_by_kind=max_age_by_kind,
            backend=backend,
        )
    finally:
        if backend is not None:
            _close_backend(backend)


def _close_backend(backend: BackendHandle) -> None:
    """Stop the aggregation backend; one whose plugin fails to stop fails the run, naming it
    (its collectors' output came from an engine that misbehaved)."""
    try:
        backend.close()
    except BaseException as exc:
        if is_real_interrupt(exc):
            raise
        raise PluginError(
            f"aggregation backend '{backend.name}' failed to stop: {describe_exception(exc)}"
        ) from None


def _collect_evidence(
    registry: Registry,
    kinds: dict[str, EvidenceKind],
    needed: set[str],
    root: Path,
    *,
    system: dict[str, Any],
    settings: dict[str, dict[str, Any]],
    now: datetime,
    base_ref: str | None,
    base_commit: str | None,
    cache: CollectorCache | None,
    timeout: float | None,
    progress: Any,
    max_age_by_kind: Mapping[str, timedelta] | None,
    backend: BackendHandle | None,
) -> Collection:
    collecting = _Collecting(
        registry=registry,
        kinds=kinds,
        needed=needed,
        files=RepoFiles(root),
        system=system,
        settings=settings,
        now=now,
        base_ref=base_ref,
        base_commit=base_commit,
        cache=cache,
        progress=progress,
        max_age_by_kind=max_age_by_kind or {},
        backend=backend,
    )
    by_collector = collecting.plan()
    limit = timeout_setting(timeout)
    for collector_name, wanted in sorted(by_collector.items()):
        collecting.run_collector(registry.collectors[collector_name], wanted, limit)
    collecting.finish(by_collector)
    return collecting.collection


@dataclass
class _Collecting:
    """One collection in progress: what every collector of the run shares, and its result."""

    registry: Registry
    kinds: dict[str, EvidenceKind]
    needed: set[str]
    files: RepoFiles
    system: dict[str, Any]
    settings: dict[str, dict[str, Any]]
    now: datetime
    base_ref: str | None
    base_commit: str | None
    cache: CollectorCache | None
    progress: Any
    max_age_by_kind: Mapping[str, timedelta]
    backend: BackendHandle | None
    collection: Collection = field(default_factory=lambda: Collection(evidence=EvidenceSet()))

    @property
    def evidence(self) -> EvidenceSet:
        return self.collection.evidence

    def plan(self) -> dict[str, list[EvidenceKind]]:
        """The needed kinds by installed collector; a kind whose collector is missing is
        recorded as unavailable (its rules fail naming the collector) instead."""
        by_collector: dict[str, list[EvidenceKind]] = {}
        for name in sorted(self.needed):
            declared = self.kinds.get(name)
            if declared is None:
                continue  # the loader already refused undeclared kinds
            if declared.collector not in self.registry.collectors:
                # The kind's install hint is the finding's remediation (the fix line), so the
                # message leaves it out: printed once.
                self.evidence.unavailable_kinds[name] = (
                    f"evidence kind '{name}' is produced by collector '{declared.collector}', "
                    "which is not installed"
                )
                self.collection.runs.append(
                    CollectorRun(
                        declared.collector, "-", [name], "missing", message="not installed"
                    )
                )
                continue
            by_collector.setdefault(declared.collector, []).append(declared)
        return by_collector

    def run_collector(self, cls: type[Collector], wanted: list[EvidenceKind], limit: float) -> None:
        """Collect (or serve from the cache) one collector's kinds, check and keep its output.

        Whatever goes wrong becomes the collector's `error` status, never an exception.
        """
        ctx = self._context(cls, wanted)
        run = CollectorRun(cls.name, cls.version, [k.name for k in wanted], "ok")
        uses = self.backend.uses if self.backend is not None else 0
        started = time.perf_counter()
        try:
            produced, fingerprint = self._produce(cls, ctx, wanted, run, limit)
            run.fingerprint = fingerprint
        except CollectorError as exc:
            self._fail(cls, run, str(exc))
        except Overrun as exc:
            self._fail(cls, run, f"TimeoutError: {exc} (collector_timeout)")
        except BaseException as exc:  # a crashing collector must never look like a pass
            if is_real_interrupt(exc):
                raise  # Ctrl-C stops govgate; anything else a collector raises is its failure
            # SystemExit, GeneratorExit and the like included: a plugin never ends the run.
            self._fail(cls, run, describe_exception(exc))
        else:
            checked = self._accept(cls, wanted, produced, run)
            if fingerprint is not None and run.status == "ok" and not self._read_remote(uses):
                self._remember(cls, ctx, fingerprint, checked)
        run.seconds = time.perf_counter() - started
        self.collection.runs.append(run)
        self.collection.diagnostics.extend(ctx.diagnostics)

    def finish(self, by_collector: dict[str, list[EvidenceKind]]) -> None:
        """Report the files the repository view refused; drop a failed collector's evidence;
        name the files close to the paths of kinds that found none."""
        for kind in (k for wanted in by_collector.values() for k in wanted):
            if kind.paths and kind.name not in self.evidence.by_kind:
                near = self.files.near_names(kind.paths)
                if near:
                    self.evidence.near_names[kind.name] = near
        for path, reason in sorted(self.files.refused.items()):
            self.collection.diagnostics.append(Diagnostic("govgate", path, None, reason, "warning"))
        if any(name in self.evidence.failed_collectors for name in by_collector):
            # Evidence from a collector that failed half-way is not trusted at all.
            for name in self.evidence.failed_collectors:
                for kind_name in [k.name for k in by_collector.get(name, [])]:
                    self.evidence.by_kind.pop(kind_name, None)

    def _context(self, cls: type[Collector], wanted: list[EvidenceKind]) -> BaseWatchingContext:
        return BaseWatchingContext(
            root=self.files.root,
            collector=cls.name,
            collector_version=cls.version,
            kinds=wanted,
            settings=dict(self.settings.get(cls.name, {})),
            system=self.system,
            files=self.files,
            base_ref=self.base_ref,
            now=self.now,
            progress=self.progress,
            backend=self.backend,
            run_kinds=[
                self.kinds[name]
                for name in sorted(self.needed)
                if name in self.kinds and self.kinds[name].paths
            ],
        )

    def _fail(self, cls: type[Collector], run: CollectorRun, message: str) -> None:
        self.evidence.failed_collectors[cls.name] = message
        run.status, run.message = "error", message

    def _produce(
        self,
        cls: type[Collector],
        ctx: BaseWatchingContext,
        wanted: list[EvidenceKind],
        run: CollectorRun,
        limit: float,
    ) -> tuple[list[Evidence], str | None]:
        """The collector's output, from the cache when it holds it, and the inputs' fingerprint
        (None without a cache). Raises whatever the collector raised."""
        collector = cls()
        if self.cache is None:
            return _bounded_collect(collector, ctx, limit), None
        fingerprint = self._fingerprint(cls, collector, ctx, wanted)
        cached = self._from_cache(self.cache, cls, ctx, wanted, fingerprint)
        if cached is not None:
            run.status = "cached"
            return cached, fingerprint
        return _bounded_collect(collector, ctx, limit), fingerprint

    def _fingerprint(
        self,
        cls: type[Collector],
        collector: Collector,
        ctx: BaseWatchingContext,
        wanted: list[EvidenceKind],
    ) -> str:
        """The cache key of this collector's output: its inputs and everything that shapes it."""
        backend = self.backend
        return fingerprint_inputs(
            self.files.root,
            self.files,
            collector.input_patterns(ctx),
            {
                "kinds": sorted((k.name, k.paths, repr(k.options)) for k in wanted),
                "settings": repr(sorted(ctx.settings.items())),
                "system": repr(sorted(self.system.items())),
                "schemas": schemas_digest(cls, wanted),
                # Collectors share govgate's parsers, masking and date reading: an
                # upgrade that fixes one of them must not serve output it would redo.
                "govgate": __version__,
                # Only when a non-default backend is configured, so that existing
                # cache keys stay valid.
                **(
                    {"backend": backend.fingerprint()}
                    if backend is not None and backend.fingerprint() is not None
                    else {}
                ),
                # Likewise only when the collector names state beyond its files.
                **({"state": state} if (state := collector.state_key(ctx)) else {}),
            },
        )

    def _from_cache(
        self,
        cache: CollectorCache,
        cls: type[Collector],
        ctx: BaseWatchingContext,
        wanted: list[EvidenceKind],
        fingerprint: str,
    ) -> list[Evidence] | None:
        """Cached output for these inputs, its diagnostics added to `ctx`; None on a miss."""
        max_age = _freshness_limit(cls, wanted, self.max_age_by_kind)
        # Output that did not read the base first (the common case), then output
        # keyed by the base commit (see BaseWatchingContext).
        keys = [fingerprint, base_fingerprint(fingerprint, self.base_ref, self.base_commit)]
        for key in keys:
            hit = None
            if key is not None:
                hit = cache.get(cls.name, cls.version, key, max_age=max_age, now=self.now)
            if hit is not None:
                produced, cached_diagnostics = hit
                ctx.diagnostics.extend(cached_diagnostics)
                return produced
        return None

    def _accept(
        self,
        cls: type[Collector],
        wanted: list[EvidenceKind],
        produced: list[Evidence],
        run: CollectorRun,
    ) -> list[Evidence]:
        """Add the needed items of `produced` to the evidence, checked against their schemas;
        returns the items checked now (what may be cached). Stops at the first broken item."""
        wanted_names = {k.name: k for k in wanted}
        own = {k.name: k for k in cls.kinds}
        from_cache = run.status == "cached"
        checked: list[Evidence] = []
        for item in produced:
            if not isinstance(item, Evidence):
                self._fail(cls, run, _not_evidence(item))
                break
            kind = wanted_names.get(item.kind) or own.get(item.kind)
            if kind is None:
                if item.kind in self.kinds:
                    continue  # a kind another run asked for; this run does not need it
                self._fail(cls, run, f"produced undeclared evidence kind '{item.kind}'")
                break
            if item.kind not in self.needed:
                continue
            if not from_cache:  # cached output passed these checks when it was stored
                bug = validate_evidence(
                    item,
                    own[item.kind].schema if item.kind in own else cls.declared_kind_schema,
                )
                if bug is not None:
                    message = f"evidence of kind '{item.kind}' breaks its schema: {bug}"
                    self._fail(cls, run, message)
                    break
                if item.kind not in own:
                    item = self._with_format_problem(item)
                checked.append(item)
            self.evidence.add(item)
            run.items += 1
        return checked

    def _with_format_problem(self, item: Evidence) -> Evidence:
        """A declared kind's item marked as a problem when the user's file lacks the
        documented shape (its rules then say so, rather than the collector erring)."""
        if item.problem is not None:
            return item
        declared_schema = self.kinds[item.kind].schema if item.kind in self.kinds else None
        problem = validate_evidence(item, declared_schema)
        if problem is None:
            return item
        return replace(item, problem=f"does not match the expected format: {problem}")

    def _read_remote(self, uses_before: int) -> bool:
        """True when a remote backend was used: it read data outside the repository, which the
        fingerprint cannot see change, so the output is never reused."""
        backend = self.backend
        return backend is not None and not backend.is_default and backend.uses > uses_before

    def _remember(
        self,
        cls: type[Collector],
        ctx: BaseWatchingContext,
        fingerprint: str,
        checked: list[Evidence],
    ) -> None:
        """Cache checked output, keyed by the base commit only when the collector read it."""
        if self.cache is None:
            return
        key = (
            base_fingerprint(fingerprint, self.base_ref, self.base_commit)
            if ctx.read_base
            else fingerprint
        )
        if key is not None:
            self.cache.put(cls.name, cls.version, key, checked, ctx.diagnostics, now=self.now)
