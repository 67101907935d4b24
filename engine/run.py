"""One `govgate check`: config → plugins → packs → collect → evaluate → waive → roll up.

Every stage takes plain data from the one before (DESIGN §2). The CLI, `policy test`, the
dossier and the benchmarks all go through `run_check`, so there is one definition of a run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govgate.collect import Collection, CollectorCache, collect_evidence
from govgate.config import Config, load_config
from govgate.evaluate import Evaluator, EvidenceSet
from govgate.evidence import format_timestamp, utc_now
from govgate.findings import Finding
from govgate.loader import load_policy_set
from govgate.plugins import Registry, build_registry, get_plugin_manager
from govgate.policy import PolicySet
from govgate.result import FAIRNESS_KIND, build_result, fairness_section, gate_status, git_target
from govgate.rollup import roll_up
from govgate.waivers import DEFAULT_MAX_DAYS, Waiver, apply_waivers, load_waivers

if TYPE_CHECKING:
    from govgate.locker import EvidenceLocker, RecordedRun


@dataclass
class CheckOptions:
    root: Path
    packs: list[str] | None = None
    fail_on: str | None = None
    plugin_options: tuple[str, ...] = ()
    now: datetime | None = None
    base_ref: str | None = None
    use_cache: bool = True
    use_locker: bool = True
    new_only: bool = False
    param_overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    progress: Any = None


@dataclass
class CheckOutcome:
    """A finished run: the result document plus the objects that built it."""

    result: dict[str, Any]
    config: Config
    policy_set: PolicySet
    registry: Registry
    collection: Collection
    findings: list[Finding]
    waivers: list[Waiver]

    @property
    def gate(self) -> str:
        return str(self.result["gate"])


def get_registry(plugin_options: tuple[str, ...] = ()) -> Registry:
    return build_registry(get_plugin_manager(plugin_options))


def evaluate_collection(
    policy_set: PolicySet,
    evidence: EvidenceSet,
    system: dict[str, Any],
    now: datetime,
) -> list[Finding]:
    return Evaluator(policy_set, evidence, system, now).run()


def run_check(
    options: CheckOptions,
    *,
    registry: Registry | None = None,
    cache_factory: Callable[[Config], CollectorCache | None] | None = None,
) -> CheckOutcome:
    """Run one check and return its outcome; raises only for usage errors and bugs."""
    now = options.now or utc_now()
    started = utc_now()
    root = options.root.resolve()
    config = load_config(root)
    registry = registry or get_registry(options.plugin_options)
    policy_set = load_policy_set(
        registry,
        config,
        options.packs,
        now=now,
        param_overrides=options.param_overrides,
        cache_dir=_pack_cache_dir(options, root, config),
    )
    # The locker is opened before collecting, so a damaged one stops the run before any work.
    # If the run then fails, the unclosed connection is released with the object; nothing
    # was written, because the run and its cache entries are committed together at the end.
    locker = open_locker(root, config) if options.use_locker else None
    cache: CollectorCache | None = locker if options.use_cache else None
    if cache_factory is not None:
        cache = cache_factory(config) if options.use_cache else None
    collection = _collect(options, config, registry, policy_set, root, now, cache)
    findings = evaluate_collection(policy_set, collection.evidence, config.system, now)
    waivers = load_waivers(
        root,
        config.waivers,
        today=now.date(),
        max_days=int(config.raw.get("waiver_max_days", DEFAULT_MAX_DAYS)),
    )
    apply_waivers(findings, waivers, now)
    controls, requirements, readiness = roll_up(policy_set, findings, config.system)
    fail_on = options.fail_on or config.fail_on
    gate = gate_status(findings, fail_on, new_only=options.new_only)
    used = {ref["digest"] for f in findings for ref in f.evidence}
    evidence_manifest = [
        {
            "digest": item.digest,
            "kind": item.kind,
            "subject": item.subject,
            "source": item.source.to_json(),
            "collector": {"name": item.collector, "version": item.collector_version},
            "collected_at": item.collected_at,
            "dated": item.dated,
            "cited": item.digest in used,
        }
        for item in sorted(collection.evidence.all(), key=lambda e: (e.kind, e.subject, e.digest))
    ]
    result = build_result(
        root=root,
        target=git_target(root),
        started_at=format_timestamp(started),
        finished_at=format_timestamp(utc_now()),
        fail_on=fail_on,
        gate=gate,
        findings=findings,
        controls=[c.to_json() for c in controls],
        requirements=[r.to_json() for r in requirements],
        readiness=readiness,
        packs=[
            {
                "name": p.name,
                "version": p.version,
                "title": p.title,
                "digest": p.digest,
                "builtin": p.builtin,
            }
            for p in policy_set.packs.values()
        ],
        params=policy_set.params,
        system=config.system,
        waivers=[w.to_json(now.date()) for w in waivers],
        diagnostics=[d.to_json() for d in collection.diagnostics],
        collectors=[r.to_json() for r in collection.runs],
        evidence=evidence_manifest,
        extra={"fairness": fairness_section(collection.evidence.by_kind.get(FAIRNESS_KIND, []))},
    )
    if locker is not None:
        recorded = record_run(
            locker, "check", options, config, policy_set, collection, now, result, fail_on
        )
        result["run"].update(id=recorded.seq, hash=recorded.hash)
    return CheckOutcome(result, config, policy_set, registry, collection, findings, waivers)


def _pack_cache_dir(options: CheckOptions, root: Path, config: Config) -> Path | None:
    """Where validated pack files are cached: next to the locker, when both are in use."""
    if not (options.use_locker and options.use_cache):
        return None  # --no-locker writes nothing; --no-cache validates everything again
    from govgate.locker import cache_directory

    return cache_directory(root, config)


def freshness_limits(policy_set: PolicySet) -> dict[str, timedelta]:
    """The strictest rule `max_age` per evidence kind (the cache never serves older output)."""
    limits: dict[str, timedelta] = {}
    for rule in policy_set.rules.values():
        if rule.max_age is not None:
            kind = rule.evidence.kind
            limits[kind] = min(limits.get(kind, rule.max_age), rule.max_age)
    return limits


def _collect(
    options: CheckOptions,
    config: Config,
    registry: Registry,
    policy_set: PolicySet,
    root: Path,
    now: datetime,
    cache: CollectorCache | None,
) -> Collection:
    return collect_evidence(
        registry,
        policy_set.kinds,
        policy_set.needed_kinds(),
        root,
        system=config.system,
        settings=config.collectors,
        now=now,
        base_ref=options.base_ref,
        cache=cache,
        timeout=config.raw.get("collector_timeout"),
        progress=options.progress,
        max_age_by_kind=freshness_limits(policy_set),
    )


def open_locker(root: Path, config: Config) -> EvidenceLocker:
    """The repository's evidence locker, created on first use."""
    from govgate.locker import EvidenceLocker, locker_path

    return EvidenceLocker.open(locker_path(root, config))


def record_run(
    locker: EvidenceLocker,
    command: str,
    options: CheckOptions,
    config: Config,
    policy_set: PolicySet,
    collection: Collection,
    now: datetime,
    result: dict[str, Any] | None,
    fail_on: str | None,
    started_at: str | None = None,
) -> RecordedRun:
    """Append the run to the locker (one transaction), apply retention, close the locker."""
    from govgate.locker import build_run_record

    try:
        run_times = result["run"] if result is not None else {}
        record = build_run_record(
            command=command,
            started_at=run_times.get("started_at") or started_at or format_timestamp(now),
            finished_at=run_times.get("finished_at") or format_timestamp(utc_now()),
            target={"path": str(options.root.resolve()), **git_target(options.root.resolve())}
            if result is None
            else dict(result["target"]),
            config=config,
            packs=[
                {"name": p.name, "version": p.version, "digest": p.digest}
                for p in policy_set.packs.values()
            ],
            parameters={
                "params": policy_set.params,
                "param_overrides": options.param_overrides,
                "packs": options.packs,
                "fail_on": fail_on,
                "base_ref": options.base_ref,
                "new_only": options.new_only,
                "cache": options.use_cache,
                "plugin_options": list(options.plugin_options),
                "evaluated_at": format_timestamp(now),
            },
            collectors=[r.to_json() for r in collection.runs],
            result=result,
        )
        recorded = locker.record_run(record, collection.evidence.all())
        retention = config.raw.get("retention_days")
        if retention:
            locker.prune(int(retention))
    finally:
        locker.close()
    return recorded


@dataclass
class CollectOutcome:
    """A finished `govgate collect`: what was collected and the run that recorded it."""

    config: Config
    policy_set: PolicySet
    collection: Collection
    run: RecordedRun


def run_collect(options: CheckOptions, *, registry: Registry | None = None) -> CollectOutcome:
    """Collect the evidence the configured packs need and record it in the locker as a run."""
    now = options.now or utc_now()
    started = format_timestamp(utc_now())
    root = options.root.resolve()
    config = load_config(root)
    registry = registry or get_registry(options.plugin_options)
    policy_set = load_policy_set(
        registry,
        config,
        options.packs,
        now=now,
        param_overrides=options.param_overrides,
        cache_dir=_pack_cache_dir(options, root, config),
    )
    locker = open_locker(root, config)
    cache = locker if options.use_cache else None
    collection = _collect(options, config, registry, policy_set, root, now, cache)
    recorded = record_run(
        locker, "collect", options, config, policy_set, collection, now, None, None, started
    )
    return CollectOutcome(config, policy_set, collection, recorded)
