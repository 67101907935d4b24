"""One `govgate check`: config → plugins → packs → collect → evaluate → waive → roll up.

Every stage takes plain data from the one before. The CLI, `policy test`, the dossier and the
benchmarks all go through `run_check`, so there is one definition of a run.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govgate.core.collector import Diagnostic, EvidenceKind, glob_to_regex
from govgate.core.config import Config, load_config
from govgate.core.evaluate import Evaluator, EvidenceSet
from govgate.core.evidence import Evidence, format_timestamp, utc_now
from govgate.core.findings import Finding
from govgate.core.loader import load_policy_set
from govgate.core.plugins import Registry, build_registry, get_plugin_manager
from govgate.core.policy import SEVERITIES, PolicySet, severity_rank
from govgate.core.result import (
    FAIRNESS_KIND,
    build_result,
    fairness_section,
    gate_status,
    git_target,
    mask_result,
)
from govgate.core.rollup import roll_up
from govgate.core.settings import SettingsSchemas
from govgate.core.waivers import DEFAULT_MAX_DAYS, Waiver, apply_waivers, load_waivers
from govgate.run.approvals import ApprovalSettings, approval_levels, load_approval_settings
from govgate.run.collect import Collection, CollectorCache, collect_evidence
from govgate.support.dates import to_datetime
from govgate.support.errors import GovgateError, UsageError
from govgate.support.masking import mask_document

if TYPE_CHECKING:
    from govgate.locker import EvidenceLocker, RecordedRun
    from govgate.run.changes import ChangeReview

#: The evidence kind of the sign-off record a dossier shows (the git collector's).
SIGNOFFS_KIND = "git.signoffs"


@dataclass
class CheckOptions:
    root: Path
    packs: list[str] | None = None
    fail_on: str | None = None
    plugin_options: tuple[str, ...] = ()
    now: datetime | None = None
    #: --base REF: what the change touched, and which findings it introduced (`new`).
    base_ref: str | None = None
    use_cache: bool = True
    use_locker: bool = True
    #: --new-only: gate on the findings the change introduced alone (needs base_ref).
    new_only: bool = False
    #: --policies-from REF: evaluate with the packs, parameters and waivers as they are at REF.
    policies_from: str | None = None
    param_overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    progress: Any = None
    #: The folder whose locker and caches the run uses, when it checks a copy of it: a git
    #: hook checks the staged files written out elsewhere, with the repository's own locker.
    home: Path | None = None
    #: Collect the sign-off record a dossier shows (`git.signoffs`) although no rule reads it.
    #: None: when the run is recorded in the locker, so a later dossier of it can show it.
    signoffs: bool | None = None


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
    policy_config: Config | None = None,
) -> CheckOutcome:
    """Run one check and return its outcome; raises only for usage errors and bugs.

    With `base_ref` or `policies_from` the run also reviews the change (`govgate.run.changes`):
    the result gets a `changes` section and, with `base_ref`, each finding its `new` flag.
    `policy_config` takes the packs, parameters, evidence locations, collector settings and
    waivers from another govgate.yaml (REF's, for --policies-from); the system stays ours.
    """
    if options.new_only and options.base_ref is None:
        raise UsageError("--new-only needs --base REF (new is decided against the base)")
    root = options.root.resolve()
    registry = registry or get_registry(options.plugin_options)
    config = load_config(
        root,
        validated_cache=options.use_cache and options.use_locker,
        cache_root=options.home.resolve() if options.home is not None else None,
        settings_schemas=SettingsSchemas.of(registry.collectors, registry.backends),
    )
    if options.base_ref is None and options.policies_from is None:
        return _run_check(options, config, registry, cache_factory, policy_config, None)
    from govgate.run.changes import ChangeReview

    with ChangeReview.open(root, options.base_ref, options.policies_from) as review:
        return _run_check(options, config, registry, cache_factory, policy_config, review)


def _run_check(
    options: CheckOptions,
    config: Config,
    registry: Registry,
    cache_factory: Callable[[Config], CollectorCache | None] | None,
    policy_config: Config | None,
    review: ChangeReview | None,
) -> CheckOutcome:
    now = options.now or utc_now()
    started = utc_now()
    root = config.root
    home = options.home.resolve() if options.home is not None else root
    policies = policy_config or (review.policy_config if review is not None else None) or config
    cache_dir = _pack_cache_dir(options, home, config)
    policy_set = _load_policies(options, registry, policies, now, cache_dir, review)
    # The locker is opened before collecting, so a damaged one stops the run before any work.
    # If the run then fails, the unclosed connection is released with the object; nothing
    # was written, because the run and its cache entries are committed together at the end.
    locker = open_locker(home, config) if options.use_locker else None
    cache = _collector_cache(options, config, locker, cache_factory)
    collection = _collect(
        options,
        config,
        registry,
        policy_set,
        root,
        now,
        cache,
        settings=policies.collectors,
        base_commit=review.base_commit if review is not None else None,
    )
    findings = evaluate_collection(policy_set, collection.evidence, config.system, now)
    trusted_fail_on, max_days = _gate_limits(policies, review, collection.diagnostics)
    waivers = _waive(findings, policies, now, cache_dir, review, max_days)
    if review is not None:
        base_policies = policy_config or review.policy_config
        _mark_new(review, options, registry, base_policies, collection, findings, now)
    fail_on = options.fail_on or trusted_fail_on
    result = _result(
        options, config, policy_set, collection, findings, waivers, fail_on, started, now
    )
    if review is not None:
        # Added after build_result masked the document: it names changed files and values.
        changes = review.section(
            config, policy_set, policies.root, registry, result, new_only=options.new_only
        )
        result["changes"] = mask_result({"system": result["system"], "changes": changes})["changes"]
    if locker is not None:
        recorded = record_run(
            locker, "check", options, config, policy_set, collection, now, result, fail_on
        )
        result["run"].update(id=recorded.seq, hash=recorded.hash)
    return CheckOutcome(result, config, policy_set, registry, collection, findings, waivers)


def _load_policies(
    options: CheckOptions,
    registry: Registry,
    policies: Config,
    now: datetime,
    cache_dir: Path | None,
    review: ChangeReview | None,
) -> PolicySet:
    """The packs `policies` enables; an error in REF's (--policies-from) says it is REF's."""
    try:
        return load_policy_set(
            registry,
            policies,
            options.packs,
            now=now,
            param_overrides=options.param_overrides,
            cache_dir=cache_dir,
        )
    except GovgateError as exc:
        if review is None or review.policy_config is None:
            raise
        raise review.relabel(exc) from None


def _collector_cache(
    options: CheckOptions,
    config: Config,
    locker: EvidenceLocker | None,
    cache_factory: Callable[[Config], CollectorCache | None] | None,
) -> CollectorCache | None:
    """Where collector output is reused from: the locker, or the caller's cache; none with
    --no-cache."""
    cache: CollectorCache | None = locker if options.use_cache else None
    if cache_factory is not None:
        cache = cache_factory(config) if options.use_cache else None
    return cache


def _gate_limits(
    policies: Config, review: ChangeReview | None, diagnostics: list[Diagnostic]
) -> tuple[str, int]:
    """`fail_on` and `waiver_max_days` as govgate.yaml writes them; under `--base` (without
    `--policies-from`, whose REF's are the ones read) never looser than where the change
    started, so a change cannot let itself through. A loosening is noted in `diagnostics`."""
    fail_on = policies.fail_on
    max_days = int(policies.raw.get("waiver_max_days", DEFAULT_MAX_DAYS))
    if review is None or review.policies_from is not None:
        return fail_on, max_days
    before = review.config_before
    base_fail_on = before.get("fail_on", "high")
    if base_fail_on in SEVERITIES and severity_rank(base_fail_on) < severity_rank(fail_on):
        diagnostics.append(_loosened("fail_on", base_fail_on, fail_on, review))
        fail_on = base_fail_on
    base_days = before.get("waiver_max_days", DEFAULT_MAX_DAYS)
    if type(base_days) is int and base_days < max_days:
        diagnostics.append(_loosened("waiver_max_days", base_days, max_days, review))
        max_days = base_days
    return fail_on, max_days


def _loosened(key: str, before: object, after: object, review: ChangeReview) -> Diagnostic:
    return Diagnostic(
        "govgate",
        "govgate.yaml",
        None,
        f"the change raises {key} from {before} to {after}; the gate keeps {before}, as at "
        f"{review.base}: a change cannot loosen its own gate (give --{key.replace('_', '-')} "
        "on the command line to choose)"
        if key == "fail_on"
        else f"the change raises {key} from {before} to {after}; waivers keep {before}, as at "
        f"{review.base}: a change cannot loosen its own gate",
    )


def _waive(
    findings: list[Finding],
    policies: Config,
    now: datetime,
    cache_dir: Path | None,
    review: ChangeReview | None,
    max_days: int,
) -> list[Waiver]:
    """Load the waivers and apply them to `findings`; a change's own need approval."""
    waivers = load_waivers(
        policies.root,
        policies.waivers,
        today=now.date(),
        max_days=max_days,
        cache_dir=cache_dir,
    )
    if review is not None:
        review.check_waiver_approvals(waivers, policies.waivers)
    settings = _approval_settings(policies, review)
    approval_levels(policies.root, waivers, findings, settings)
    apply_waivers(findings, waivers, now, settings.threshold())
    return waivers


def _approval_settings(policies: Config, review: ChangeReview | None) -> ApprovalSettings:
    """`approvals:` and its files as the trusted side has them under --base (a change cannot
    list its own key or lower the severity that needs a signed approval), else as written."""
    if review is None:
        return load_approval_settings(policies.raw.get("approvals") or {}, policies.root)
    raw = policies.raw if review.policies_from is not None else review.config_before
    trusted = (review.repo, review.trusted_commit, review.trusted_ref)
    return load_approval_settings(raw.get("approvals") or {}, policies.root, trusted)


def _mark_new(
    review: ChangeReview,
    options: CheckOptions,
    registry: Registry,
    base_policies: Config | None,
    collection: Collection,
    findings: list[Finding],
    now: datetime,
) -> None:
    """Flag each finding the change introduced as `new`, against a check of the base."""

    def check_base(tree: Path) -> list[Finding]:
        # The same check on the commit the change started from: nothing cached or
        # recorded there, the same policies (REF's with --policies-from) and the same time.
        base_options = replace(
            options,
            root=tree,
            now=now,
            base_ref=None,
            policies_from=None,
            new_only=False,
            use_cache=False,
            use_locker=False,
            progress=None,
        )
        return run_check(
            base_options,
            registry=registry,
            policy_config=base_policies,
        ).findings

    files_by_digest = {item.digest: item.source.all_files() for item in collection.evidence.all()}

    def read_from(finding: Finding) -> list[str]:
        return [f for ref in finding.evidence for f in files_by_digest.get(ref["digest"], [])]

    review.mark_new(findings, check_base, read_from)


def _result(
    options: CheckOptions,
    config: Config,
    policy_set: PolicySet,
    collection: Collection,
    findings: list[Finding],
    waivers: list[Waiver],
    fail_on: str,
    started: datetime,
    now: datetime,
) -> dict[str, Any]:
    """The result document (`govgate/result/v1`) of the run, before any review or recording."""
    root = config.root
    controls, requirements, readiness = roll_up(policy_set, findings, config.system)
    gate = gate_status(findings, fail_on, new_only=options.new_only)
    manifest = _evidence_manifest(collection.evidence, findings, policy_set)
    return build_result(
        # A hook's snapshot is named by the repository it was taken of, not its temporary copy.
        root=options.home.resolve() if options.home is not None else root,
        target={**git_target(root), "prefix": git_prefix(root)},
        started_at=format_timestamp(started),
        finished_at=format_timestamp(utc_now()),
        fail_on=fail_on,
        gate=gate,
        findings=findings,
        controls=[c.to_json() for c in controls],
        requirements=[r.to_json() for r in requirements],
        readiness=readiness,
        packs=_pack_entries(policy_set),
        params=policy_set.params,
        system=config.system,
        waivers=[w.to_json(now.date()) for w in waivers],
        diagnostics=[d.to_json() for d in collection.diagnostics],
        collectors=[r.to_json() for r in collection.runs],
        evidence=manifest,
        extra={"fairness": fairness_section(collection.evidence.by_kind.get(FAIRNESS_KIND, []))},
    )


def _pack_entries(policy_set: PolicySet) -> list[dict[str, Any]]:
    return [
        {
            "name": p.name,
            "version": p.version,
            "title": p.title,
            "digest": p.digest,
            "builtin": p.builtin,
        }
        for p in policy_set.packs.values()
    ]


def _evidence_manifest(
    evidence: EvidenceSet, findings: list[Finding], policy_set: PolicySet
) -> list[dict[str, Any]]:
    """One entry per evidence item, by kind and subject: where it came from, whether a finding
    cites it and, when a rule limits its age, when it goes stale."""
    used = {ref["digest"] for f in findings for ref in f.evidence}
    expiry = _expiry_limits(policy_set)
    summaries = {name for name, kind in policy_set.kinds.items() if kind.summary}
    manifest: list[dict[str, Any]] = []
    for item in sorted(evidence.all(), key=lambda e: (e.kind, e.subject, e.digest)):
        entry: dict[str, Any] = {
            "digest": item.digest,
            "kind": item.kind,
            "subject": item.subject,
            "source": item.source.to_json(),
            "collector": {"name": item.collector, "version": item.collector_version},
            "collected_at": item.collected_at,
            "dated": item.dated,
            "cited": item.digest in used,
        }
        expires = _expires(item, expiry.get(item.kind))
        if expires is not None:
            entry["expires"] = expires
        if item.kind in summaries:
            entry.update(_summary_data(item.data))
        manifest.append(entry)
    return manifest


#: The largest summary the result carries (as compact JSON); a larger one is left to the locker.
MAX_SUMMARY_BYTES = 64 * 1024


def _summary_data(data: Any) -> dict[str, Any]:
    """`data` of a summary kind for the manifest (masked with the whole result), or why not."""
    size = len(json.dumps(data, separators=(",", ":"), default=str))
    if size > MAX_SUMMARY_BYTES:
        return {
            "data_omitted": f"{size} bytes, more than the {MAX_SUMMARY_BYTES} a result carries; "
            "see govgate locker export"
        }
    return {"data": data}


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


def git_prefix(root: Path) -> str | None:
    """The target's folder inside its git repository: "" at the root, "svc/" in svc/.

    Found as git finds the top of a work tree (the nearest folder holding `.git`, a folder or
    a worktree's or submodule's file) rather than by a second git process: the hook path runs
    git once (`git_target`). None outside a repository. The SARIF and GitHub outputs put it in
    front of paths, which code scanning and annotations resolve from the repository root.
    """
    for top in (root, *root.parents):
        if (top / ".git").exists():
            rel = root.relative_to(top).as_posix()
            return "" if rel == "." else rel + "/"
    return None


def _expiry_limits(policy_set: PolicySet) -> dict[str, list[tuple[str | None, timedelta]]]:
    """Per evidence kind, the (subject glob, max_age) of every rule that limits its age."""
    limits: dict[str, list[tuple[str | None, timedelta]]] = {}
    for rule in policy_set.rules.values():
        if rule.max_age is not None:
            limits.setdefault(rule.evidence.kind, []).append((rule.evidence.subject, rule.max_age))
    return limits


def _expires(item: Evidence, limits: list[tuple[str | None, timedelta]] | None) -> str | None:
    """When `item` goes stale: its own date (`dated`) plus the strictest `max_age` of the rules
    that read it, as the evaluator judges staleness. None when no rule limits its age, or when
    it has no readable date of its own (such a rule errors or fails on it instead).

    `collected_at` is not a date to age from (the evaluator refuses it: it is always about
    now), and a collector's `ttl` is left out: it bounds how long cached output is reused,
    not how long the evidence itself is acceptable.
    """
    if not limits or item.dated is None:
        return None
    ages = [
        max_age
        for subject, max_age in limits
        if subject is None or glob_to_regex(subject).match(item.subject)
    ]
    if not ages:
        return None
    try:
        moment = to_datetime(item.dated)
    except ValueError:
        return None
    return format_timestamp(moment + min(ages))


def _collect(
    options: CheckOptions,
    config: Config,
    registry: Registry,
    policy_set: PolicySet,
    root: Path,
    now: datetime,
    cache: CollectorCache | None,
    *,
    settings: dict[str, dict[str, Any]] | None = None,
    base_commit: str | None = None,
) -> Collection:
    from govgate.analysis.aggregate import select_backend

    # An unknown `backend:` is a config error (exit 2), even when no collector needs it.
    backend = select_backend(registry, config)
    kinds, needed = policy_set.kinds, policy_set.needed_kinds()
    if options.use_locker if options.signoffs is None else options.signoffs:
        kinds, needed = _with_signoffs(kinds, needed, config)
    collection = collect_evidence(
        registry,
        kinds,
        needed,
        root,
        system=config.system,
        settings=config.collectors if settings is None else settings,
        now=now,
        base_ref=options.base_ref,
        base_commit=base_commit,
        cache=cache,
        timeout=config.raw.get("collector_timeout"),
        progress=options.progress,
        max_age_by_kind=freshness_limits(policy_set),
        backend=backend,
    )
    from govgate.locker import EvidenceLocker

    if isinstance(cache, EvidenceLocker):
        for name in dict.fromkeys(cache.damaged_cache):
            collection.diagnostics.append(
                Diagnostic(
                    name,
                    cache.display,
                    None,
                    f"the locker's cached output of collector '{name}' no longer matches its "
                    "digests (was the locker edited?); collected again. Run govgate verify "
                    "to see which run and item",
                    "error",
                )
            )
    return collection


def _with_signoffs(
    kinds: dict[str, EvidenceKind], needed: set[str], config: Config
) -> tuple[dict[str, EvidenceKind], set[str]]:
    """The kinds to collect plus the sign-off record, its paths naming the waiver file.

    What a dossier's sign-off page and exceptions register show from git is collected with the
    run and recorded with it, so the dossier never reads git itself. Its cached output is
    reused while HEAD and the files are unchanged.
    """
    kind = kinds.get(SIGNOFFS_KIND)
    if kind is None:  # no collector produces it (the git collector is not installed)
        return kinds, needed
    waivers = posixpath.normpath(config.waivers)
    if not posixpath.isabs(waivers) and ".." not in waivers.split("/"):
        kind = replace(kind, paths=tuple(dict.fromkeys([*kind.paths, waivers])))
    return {**kinds, SIGNOFFS_KIND: kind}, needed | {SIGNOFFS_KIND}


def open_locker(root: Path, config: Config) -> EvidenceLocker:
    """The repository's evidence locker, created on first use; its collector cache is
    authenticated with the user's cache key (none: nothing cached is used)."""
    from govgate.locker import EvidenceLocker, locker_path
    from govgate.support.cachekey import cache_key

    return EvidenceLocker.open(locker_path(root, config), cache_key=cache_key(root))


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
            # Masked like the result: --param values and plugin names are the user's text.
            parameters=mask_document(
                {
                    "params": policy_set.params,
                    "param_overrides": options.param_overrides,
                    "packs": options.packs,
                    "fail_on": fail_on,
                    "base_ref": options.base_ref,
                    "new_only": options.new_only,
                    "policies_from": options.policies_from,
                    "cache": options.use_cache,
                    "plugin_options": list(options.plugin_options),
                    "evaluated_at": format_timestamp(now),
                }
            ),
            collectors=mask_document([r.to_json() for r in collection.runs]),
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
