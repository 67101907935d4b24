"""One `govgate check`: config → plugins → packs → collect → evaluate → waive → roll up.

Every stage takes plain data from the one before (DESIGN §2). The CLI, `policy test`, the
dossier and the benchmarks all go through `run_check`, so there is one definition of a run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from govgate.collect import Collection, CollectorCache, collect_evidence
from govgate.config import Config, load_config
from govgate.evaluate import Evaluator, EvidenceSet
from govgate.evidence import format_timestamp, utc_now
from govgate.findings import Finding
from govgate.loader import load_policy_set
from govgate.plugins import Registry, build_registry, get_plugin_manager
from govgate.policy import PolicySet
from govgate.result import build_result, gate_status, git_target
from govgate.rollup import roll_up
from govgate.waivers import DEFAULT_MAX_DAYS, Waiver, apply_waivers, load_waivers


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
        registry, config, options.packs, now=now, param_overrides=options.param_overrides
    )
    cache = cache_factory(config) if (cache_factory and options.use_cache) else None
    collection = collect_evidence(
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
    )
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
    )
    return CheckOutcome(result, config, policy_set, registry, collection, findings, waivers)
