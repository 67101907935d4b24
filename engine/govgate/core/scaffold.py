"""`govgate init`: scaffold govgate.yaml and a template for every governance file the packs read.

The packs decide what is scaffolded: their rules name evidence kinds, a path-bound kind's first
path is where its file goes, and the file comes from `govgate/evidence_templates/init/<kind>.<ext>`
(or, for a kind without a shipped template, is built from the kind's declaration). Templates
hold placeholders that satisfy each kind's schema but fail its rules, with TODO comments, so a
first `govgate check` lists precisely what is missing. Existing files are never overwritten, and
a kind whose evidence already exists gets no second file: running init twice changes nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from importlib.resources import files
from pathlib import Path
from typing import Any

from govgate.core.applicability import decide
from govgate.core.collector import EvidenceKind, RepoFiles
from govgate.core.conditions import ConditionEvalError
from govgate.core.config import find_config, load_config
from govgate.core.detect import Seen, detect_llm, detect_owner, jurisdictions_for
from govgate.core.plugins import Registry
from govgate.core.policy import PolicySet
from govgate.support.errors import UsageError
from govgate.support.suggest import did_you_mean

#: Packs enabled when neither --pack nor an existing govgate.yaml says otherwise: production
#: readiness (with the audit-trail and human-oversight packs it uses), GDPR and the AI Act.
DEFAULT_PACKS = ("readiness", "human-oversight", "audit-trail", "gdpr", "eu-ai-act")
RISK_TIERS = ("prohibited", "high", "limited", "minimal")
TEMPLATE_FOLDER = "init"
#: When every application date in the packs has passed: init scaffolds what a system's tier
#: will need, not only what applies today.
FUTURE = datetime(2100, 1, 1, tzinfo=UTC)

#: Evidence that no template can stand in for: where it comes from, for the next steps.
PRODUCED_EVIDENCE = {
    "decision_log.summary": (
        "decision logs: one JSON line per decision with the fields "
        "docs/collectors/decision_logs.md lists under logs/decisions/*.jsonl "
        "(collectors.decision_logs.paths in govgate.yaml moves them)"
    ),
    "decision_log.file": "decision logs under logs/decisions/ (see above)",
    "test_results.summary": (
        "test reports: JUnit XML under reports/ (e.g. pytest --junitxml=reports/tests/junit.xml), "
        "with resilience, adversarial, edge_case and override tests marked as such"
    ),
    "load_test.result": (
        "a load test at production volume under reports/load/ (Locust --csv=reports/load/run, "
        "or k6 --summary-export=reports/load/k6.json)"
    ),
    "fairness.analysis": (
        "a bias analysis: the prediction file and its protected attributes under "
        "collectors.fairness.analyses in govgate.yaml (and params.bias.protected_attributes)"
    ),
    "pii.scan": (
        "a scan for personal data in data samples, logs, fixtures and notebooks "
        "(collectors.pii.paths in govgate.yaml; by default data/, logs/, tests/fixtures/, "
        "notebooks/)"
    ),
    "git.head": "a git repository with the governance files committed",
    "git.changes": "a git repository with the governance files committed",
    "git.governance_history": "a git repository with the governance files committed",
    "git.codeowners": "a CODEOWNERS file giving governance/ and docs/ an owner",
}

#: Evidence govgate finds by itself in any repository: nothing to point it at.
FOUND_BY_ITSELF = frozenset({"llm.usage", "template.placeholders"})

#: What each attestation topic asks of its author (the topics rules filter on).
ATTESTATION_TOPICS = {
    "executive_sponsor": (
        "I sponsor SYSTEM, hold its budget for this financial year and can stop it.",
        "the executive sponsor (a named executive with budget authority)",
    ),
    "security_test": (
        "A penetration test or vulnerability scan of SYSTEM was run; findings are tracked.",
        "whoever ran or commissioned the security test (e.g. the CISO)",
    ),
    "restore_test": (
        "The data and logs of SYSTEM were restored from backup in a test.",
        "whoever ran the restore test",
    ),
}


@dataclass
class PlannedFile:
    """One file init wants to write: where, what, and which evidence kind it serves."""

    path: str
    content: str
    kind: str | None
    description: str
    reason_skipped: str | None = None


@dataclass
class InitResult:
    """What `init_project` did, for the CLI to report."""

    root: Path
    name: str
    risk: str
    packs: list[str]
    created: list[PlannedFile] = field(default_factory=list)
    skipped: list[PlannedFile] = field(default_factory=list)
    #: (kind, where its evidence comes from) for kinds no template can provide.
    produced: list[tuple[str, str]] = field(default_factory=list)
    config_existed: bool = False
    #: The facts a new govgate.yaml declares from what init saw (None when one existed).
    facts: Facts | None = None


def slug(text: str) -> str:
    """A file-name-safe version of a system name."""
    cleaned = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return cleaned or "system"


def concrete_path(pattern: str, name: str) -> str:
    """The file to create for a kind's glob: `governance/dpia/*.md` -> `governance/dpia/NAME.md`."""
    parts = []
    for part in pattern.split("/"):
        if part == "**":
            continue
        # `*.md` becomes NAME.md; a partial wildcard (`incident*.md`) is dropped.
        stem_wildcard = part.startswith("*.")
        parts.append(slug(name) + part[1:] if stem_wildcard else re.sub(r"[*?\[\]]", "", part))
    return "/".join(parts)


def _template_env() -> Any:
    import jinja2

    folder = Path(str(files("govgate.evidence_templates"))) / TEMPLATE_FOLDER
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 - YAML, Markdown and JSON files, never HTML
    )


def _kind_template(env: Any, kind: EvidenceKind, target: str) -> str:
    """The name of a kind's shipped template, or of its collector's generic one."""
    suffix = Path(target).suffix
    if f"{kind.name}{suffix}" in env.list_templates():
        return f"{kind.name}{suffix}"
    if kind.collector == "documents" and suffix == ".md":
        return "_document.md"
    if kind.collector == "config" and suffix in (".yaml", ".yml"):
        return "_config.yaml"
    raise UsageError(
        f"no init template for evidence kind '{kind.name}' ({target}); "
        f"add evidence_templates/{TEMPLATE_FOLDER}/{kind.name}{suffix}"
    )


def _sections(kind: EvidenceKind) -> list[tuple[str, str]]:
    """(key, heading) for each required section: the heading is the first synonym."""
    raw = kind.options.get("required_sections") or {}
    if isinstance(raw, list):
        raw = {name: [name] for name in raw}
    sections = []
    for key, synonyms in raw.items():
        first = synonyms[0] if synonyms else key.replace("_", " ")
        sections.append((key, first[:1].upper() + first[1:]))
    return sections


def _front_matter_fields(kind: EvidenceKind, read: Sequence[str] = ()) -> list[str]:
    """The front matter a document template needs: the kind's required fields, its date,
    and every field a rule reads (`front_matter.notified_at`), so filling it in is enough."""
    fields = list(kind.options.get("required_fields") or [])
    dated = kind.options.get("dated_field")
    for field_name in [dated, *read]:
        if field_name and field_name not in fields:
            fields.append(field_name)
    return fields


def _front_matter_read(policy_set: PolicySet, kind_name: str) -> list[str]:
    """The front-matter fields the rules reading `kind_name` test (`front_matter.X`)."""
    found: list[str] = []

    def walk(raw: Any) -> None:
        if isinstance(raw, dict):
            path = raw.get("path")
            if isinstance(path, str) and path.startswith("front_matter."):
                name = path.split(".")[1]
                if name not in found:
                    found.append(name)
            for value in raw.values():
                walk(value)
        elif isinstance(raw, list):
            for value in raw:
                walk(value)

    for rule in policy_set.rules.values():
        if rule.evidence.kind == kind_name:
            walk(rule.raw.get("assert"))
    return found


def _schema_fields(kind: EvidenceKind) -> list[str]:
    schema = kind.schema or {}
    return list((schema.get("properties") or {}).keys())


def _attestation_topics(policy_set: PolicySet, rules: set[str] | None = None) -> list[str]:
    """Topics that rules select attestations by (`where: {path: topic, op: eq, value: X}`)."""
    topics: list[str] = []
    for rule in policy_set.rules.values():
        if rule.evidence.kind != "attestation" or (rules is not None and rule.id not in rules):
            continue
        raw = rule.raw.get("evidence")
        where = raw.get("where") if isinstance(raw, dict) else None
        if (
            isinstance(where, dict)
            and where.get("path") == "topic"
            and where.get("op") == "eq"
            and isinstance(where.get("value"), str)
            and where["value"] not in topics
        ):
            topics.append(where["value"])
    return topics


def _provided_by(kind: EvidenceKind, root: Path) -> str | None:
    """An existing file that already provides this kind's evidence, if any: found as the
    collectors find it (`governance/oversight.yml` provides `governance/oversight.yaml`)."""
    if not root.is_dir():
        return None
    files = RepoFiles(root)
    for pattern in kind.paths:
        for rel in files.glob([pattern]):
            candidate = root / rel
            if candidate.is_file() and not candidate.is_symlink():
                return rel
    return None


def _kinds_in_rule_order(policy_set: PolicySet, rules: set[str] | None = None) -> list[str]:
    kinds: list[str] = []
    for rule_id in policy_set.order or sorted(policy_set.rules):
        if rules is not None and rule_id not in rules:
            continue
        kind = policy_set.rules[rule_id].evidence.kind
        if kind not in kinds:
            kinds.append(kind)
    return kinds


def rules_that_may_apply(policy_set: PolicySet, system: Mapping[str, Any]) -> set[str]:
    """The rules that apply to SYSTEM now or once their obligations take effect, or whose
    applicability it does not decide (an undeclared fact, or a `when` on the evidence).

    `policy_set` is compiled at a far-future date (FUTURE), so an application date still
    ahead does not count: a high-risk system gets its AI Act files before the chapter applies
    to it, a limited-risk one never gets them.
    """
    kept = set()
    for rule in policy_set.rules.values():
        if rule.when is None or rule.when_needs_evidence:
            kept.add(rule.id)
            continue
        root = {"system": system, "params": policy_set.params.get(rule.pack, {})}
        try:
            applies = decide(rule.when, rule.raw.get("when"), root).applies
        except ConditionEvalError:
            applies = None
        if applies is not False:
            kept.add(rule.id)
    return kept


def _shared_document(
    policy_set: PolicySet, kind: EvidenceKind, kinds: Sequence[EvidenceKind], name: str
) -> tuple[list[tuple[str, str]], list[str]]:
    """The sections and front matter of KIND's document, with those of every other documents
    kind read from the same file: init writes the file once, so it must ask for all of them
    (a transparency notice answers Art. 50(1) and 50(3)-(4) alike)."""
    target = concrete_path(kind.paths[0], name)
    sections: list[tuple[str, str]] = []
    fields: list[str] = []
    for other in [kind, *kinds]:
        if other.collector != kind.collector or not other.paths:
            continue
        if concrete_path(other.paths[0], name) != target:
            continue
        read = _front_matter_read(policy_set, other.name)
        sections += [s for s in _sections(other) if s[0] not in {k for k, _ in sections}]
        fields += [f for f in _front_matter_fields(other, read) if f not in fields]
    return sections, fields


def plan_files(
    policy_set: PolicySet,
    *,
    name: str,
    risk: str,
    packs: Sequence[str],
    today: date,
    root: Path,
    config_text: str | None,
    rules: set[str] | None = None,
) -> tuple[list[PlannedFile], list[tuple[str, str]]]:
    """The files init would write for RULES (every rule when None), and the produced evidence
    it can only point at."""
    env = _template_env()
    common = {"name": name, "risk": risk, "today": today.isoformat(), "packs": list(packs)}
    planned: list[PlannedFile] = []
    produced: list[tuple[str, str]] = []
    kinds = _kinds_in_rule_order(policy_set, rules)
    if config_text is not None:
        planned.append(
            PlannedFile("govgate.yaml", config_text, None, "the system, its packs and settings")
        )
    for kind_name in sorted(kinds, key=lambda k: (k not in ("oversight_config", "dpia"), k)):
        kind = policy_set.kinds.get(kind_name)
        if kind is None:
            continue
        if kind_name == "attestation":
            for topic in _attestation_topics(policy_set, rules):
                statement, author = ATTESTATION_TOPICS.get(
                    topic, ("TODO: what is attested about SYSTEM.", "the person who attests it")
                )
                target = f"governance/attestations/{topic.replace('_', '-')}.yaml"
                content = env.get_template("attestation.yaml").render(
                    **common,
                    topic=topic,
                    statement=statement.replace("SYSTEM", name),
                    author=author,
                    record_id="ATT-" + topic.upper().replace("_", "-"),
                )
                planned.append(PlannedFile(target, content, kind_name, f"attestation: {topic}"))
            continue
        if kind_name in FOUND_BY_ITSELF:
            continue
        if not kind.paths or kind.collector == "files":
            # Evidence the system produces (logs, reports) or whose presence is the evidence
            # (an SBOM): a template would only fake it.
            where = PRODUCED_EVIDENCE.get(kind_name) or (
                f"{', '.join(kind.paths)}: {kind.description}"
                if kind.paths
                else f"produced by the {kind.collector} collector: {kind.description}"
            )
            if all(where != known for _kind, known in produced):
                produced.append((kind_name, where))
            continue
        target = concrete_path(kind.paths[0], name)
        if any(item.path == target for item in planned):
            continue  # a kind sharing the file: its sections are in the one document written
        template = _kind_template(env, kind, target)
        sharing = [policy_set.kinds[k] for k in kinds if k in policy_set.kinds]
        sections, front_matter = _shared_document(policy_set, kind, sharing, name)
        content = env.get_template(template).render(
            **common,
            kind=kind.name,
            description=" ".join(kind.description.split()),
            sections=sections,
            front_matter=front_matter,
            schema_fields=_schema_fields(kind),
        )
        item = PlannedFile(target, content, kind_name, " ".join(kind.description.split()))
        provider = _provided_by(kind, root)
        if provider is not None and provider != target:
            item.reason_skipped = f"{provider} already provides {kind_name}"
        planned.append(item)
    return planned, produced


@dataclass(frozen=True)
class Facts:
    """What init declares in a new govgate.yaml's `system`, with what it saw for each."""

    risk: str
    risk_saw: str
    llm: Seen | None = None
    owner: Seen | None = None
    jurisdictions: Seen | None = None

    def system(self, name: str) -> dict[str, Any]:
        """The system these facts declare (the role and gpai_provider as the template writes
        them: both are defaults with a TODO the user confirms)."""
        system: dict[str, Any] = {
            "name": name,
            "risk": self.risk,
            "role": "provider_and_deployer",
            "gpai_provider": False,
        }
        for key in ("llm", "owner", "jurisdictions"):
            seen = getattr(self, key)
            if seen is not None:
                system[key] = seen.value
        return system


def see_facts(root: Path, registry: Registry, risk: str | None, packs: Sequence[str]) -> Facts:
    """The facts of a repository nobody has described yet, from what init can see in it."""
    saw = (
        "from --risk"
        if risk is not None
        else "--risk was not given: high, the strictest tier that can apply, until the "
        "system is classified (governance/ai_inventory.yaml)"
    )
    return Facts(
        risk=risk or "high",
        risk_saw=saw,
        llm=detect_llm(root, registry),
        owner=detect_owner(root) if root.is_dir() else None,
        jurisdictions=jurisdictions_for(list(packs)),
    )


def config_template(
    *,
    name: str,
    risk: str,
    packs: Sequence[str],
    policy_set: PolicySet,
    today: date,
    facts: Facts | None = None,
) -> str:
    env = _template_env()
    kinds = set(_kinds_in_rule_order(policy_set))
    facts = facts or Facts(risk=risk, risk_saw="EU AI Act tier")
    return str(
        env.get_template("_govgate.yaml").render(
            name=name,
            risk=risk,
            risk_saw=facts.risk_saw,
            llm=facts.llm,
            owner=facts.owner,
            jurisdictions=facts.jurisdictions,
            packs=list(packs),
            today=today.isoformat(),
            test_reports="test_results.summary" in kinds,
            decision_logs="decision_log.summary" in kinds,
            fairness="fairness.analysis" in kinds,
        )
    )


def init_project(
    root: Path,
    *,
    registry: Registry,
    risk: str | None = None,
    packs: Sequence[str] | None = None,
    name: str | None = None,
    today: date | None = None,
) -> InitResult:
    """Scaffold `root` (created if missing) for the packs; never overwrite an existing file."""
    from govgate.core.loader import load_policy_set

    if root.exists() and not root.is_dir():
        raise UsageError(f"{root}: not a directory; pass the folder of the repository")
    if risk is not None and risk not in RISK_TIERS:
        raise UsageError(f"--risk {risk}: expected one of {', '.join(RISK_TIERS)}")
    today = today or datetime.now(UTC).date()
    now = datetime.combine(today, time(), tzinfo=UTC)
    existing_config = find_config(root) if root.is_dir() else None
    config = load_config(root) if existing_config is not None else None
    facts = None
    if config is not None:
        name = name or str(config.system.get("name"))
        risk = risk or str(config.system.get("risk"))
        chosen = list(packs or config.packs or DEFAULT_PACKS)
    else:
        name = name or root.resolve().name
        chosen = list(packs or DEFAULT_PACKS)
    _refuse_unknown_packs(chosen, registry)
    if config is None:
        facts = see_facts(root, registry, risk, chosen)
        risk = facts.risk
    assert risk is not None
    policy_set = load_policy_set(registry, config, chosen, now=now)
    if config is not None:
        system = dict(config.system)
    else:
        assert facts is not None
        system = facts.system(name)
    if risk != system.get("risk"):
        system["risk"] = risk  # --risk on an existing govgate.yaml: scaffold for that tier
    later = load_policy_set(registry, config, chosen, now=FUTURE)
    config_text = None
    if config is None:
        config_text = config_template(
            name=name, risk=risk, packs=chosen, policy_set=policy_set, today=today, facts=facts
        )
    planned, produced = plan_files(
        policy_set,
        name=name,
        risk=risk,
        packs=chosen,
        today=today,
        root=root,
        config_text=config_text,
        rules=rules_that_may_apply(later, system),
    )
    result = InitResult(
        root=root,
        name=name,
        risk=risk,
        packs=chosen,
        produced=produced,
        config_existed=config is not None,
        facts=facts,
    )
    if config is not None and existing_config is not None:
        result.skipped.append(
            PlannedFile(
                existing_config.name,
                "",
                None,
                "the system, its packs and settings",
                reason_skipped="exists (its system and packs were used)",
            )
        )
    _write_planned(root, planned, result)
    return result


def _refuse_unknown_packs(chosen: Sequence[str], registry: Registry) -> None:
    unknown = [p for p in chosen if p not in registry.packs]
    if unknown:
        extra = did_you_mean(unknown[0], registry.packs)
        available = ", ".join(sorted(registry.packs))
        raise UsageError(f"--pack {unknown[0]}: no such pack{extra} (available: {available})")


def _write_planned(root: Path, planned: list[PlannedFile], result: InitResult) -> None:
    """Write each planned file that is not there yet; record what was created and skipped."""
    root.mkdir(parents=True, exist_ok=True)
    for item in planned:
        target = root / item.path
        if item.reason_skipped is None and (target.exists() or target.is_symlink()):
            item.reason_skipped = "exists"
        if item.reason_skipped is not None:
            result.skipped.append(item)
            continue
        _write_new(root, item)
        result.created.append(item)


def _write_new(root: Path, item: PlannedFile) -> None:
    """Create the file, refusing to write through a symlinked folder that leaves the repo."""
    target = root / item.path
    resolved_root = root.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    if resolved_root not in target.parent.resolve().parents and (
        target.parent.resolve() != resolved_root
    ):
        raise UsageError(f"{item.path}: its folder points outside {root}; not written")
    # "x": fail rather than overwrite if the file appeared since we looked.
    with target.open("x", encoding="utf-8") as handle:
        handle.write(item.content)


def next_steps(result: InitResult) -> list[str]:
    """What to do after init, in order, as lines for the terminal."""
    steps = []
    todo_files = [f.path for f in result.created if f.kind is not None]
    if todo_files:
        steps.append(
            f"Fill in every TODO in the {len(todo_files)} files above: placeholders fail their "
            "rules until replaced (grep -rn TODO governance docs config reports)."
        )
    if result.produced:
        steps.append("Point govgate at the evidence your system produces:")
        steps.extend(f"   - {where}" for _kind, where in result.produced)
    if any(f.kind == "attestation" for f in result.created):
        steps.append(
            "Have each person named in governance/attestations/*.yaml commit their own record "
            "(git corroborates who: the commit author must be the person named)."
        )
    steps.append("Commit the files (git add -A && git commit), then run: govgate check")
    steps.append(
        "govgate check lists what is still missing, file by file; govgate explain RULE tells why."
    )
    return steps


def render_report(result: InitResult, shown_root: str) -> list[str]:
    """The human report of an init run (printed on stderr)."""
    lines = [
        f"govgate init: {result.name} (risk: {result.risk}) in {shown_root}",
        f"packs: {', '.join(result.packs)}",
    ]
    if result.created:
        lines.append(f"created {len(result.created)} files:")
        width = max(len(f.path) for f in result.created)
        for item in result.created:
            what = item.kind or "config"
            lines.append(f"  {item.path:<{width}}  {what}")
    else:
        lines.append("created nothing: every file is already there")
    lines += _facts_report(result.facts)
    if result.skipped:
        lines.append(f"skipped {len(result.skipped)} (left unchanged):")
        for item in result.skipped:
            lines.append(f"  {item.path}: {item.reason_skipped}")
    lines.append("next steps:")
    lines.extend(
        f"  {index}. {step}" if not step.startswith("   ") else f"  {step}"
        for index, step in _numbered(next_steps(result))
    )
    return lines


def _facts_report(facts: Facts | None) -> list[str]:
    """What govgate.yaml declares from what init saw, so the user can check it."""
    if facts is None:
        return []
    seen = [(key, getattr(facts, key)) for key in ("llm", "owner", "jurisdictions")]
    lines = [
        f"  {key}: {json.dumps(seen.value)} ({seen.saw})" for key, seen in seen if seen is not None
    ]
    return ["govgate.yaml declares what init saw (check it):", *lines] if lines else []


def _numbered(steps: Sequence[str]) -> list[tuple[int, str]]:
    numbered: list[tuple[int, str]] = []
    count = 0
    for step in steps:
        if not step.startswith("   "):
            count += 1
        numbered.append((count, step))
    return numbered


def summary_json(result: InitResult) -> dict[str, Any]:
    """A machine-readable account of the run (for --format json)."""
    return {
        "system": {"name": result.name, "risk": result.risk},
        "packs": result.packs,
        "created": [{"path": f.path, "kind": f.kind} for f in result.created],
        "skipped": [
            {"path": f.path, "kind": f.kind, "reason": f.reason_skipped} for f in result.skipped
        ],
        "produced_evidence": [{"kind": k, "where": w} for k, w in result.produced],
    }
