"""`govgate policy test` and `policy lint`: packs are code, so they have tests and a linter.

A pack's `tests/*.yaml` cases give evidence (inline, or a fixture repository that the real
collectors read) and the exact expected status of every finding. Matching is strict in both
directions (c7n-left's lesson): a finding nobody expected fails the case as much as an expected
one that did not appear. Coverage counts a rule as covered when some case expects it to pass
and some case expects it to fail.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from govgate.core.collector import EvidenceKind
from govgate.core.config import Config, config_from_loaded
from govgate.core.evaluate import Evaluator, EvidenceSet
from govgate.core.evidence import Evidence, Source
from govgate.core.findings import STATUSES, Finding
from govgate.core.loader import display_path, load_policy_set, pack_files
from govgate.core.plugins import Registry
from govgate.core.policy import PolicySet
from govgate.core.waivers import apply_waivers
from govgate.support.errors import InputError, InputErrors, PolicyError
from govgate.support.paths import refuse_link_outside
from govgate.support.yamlload import LoadedYaml, load_yaml_file

DEFAULT_NOW = "2026-06-01T00:00:00Z"
DEFAULT_SYSTEM: dict[str, Any] = {"name": "policy-test", "risk": "high"}
CASE_KEYS = {
    "case",
    "description",
    "now",
    "system",
    "params",
    "evidence",
    "collector_errors",
    "repo",
    "expect",
    "rules",
}


@dataclass
class CaseResult:
    pack: str
    file: str
    name: str
    problems: list[str]

    @property
    def passed(self) -> bool:
        return not self.problems


@dataclass
class PackTestReport:
    cases: list[CaseResult] = field(default_factory=list)
    #: rule id → set of expected statuses across all cases
    expected: dict[str, set[str]] = field(default_factory=dict)
    rules: dict[str, str] = field(default_factory=dict)  # rule id → pack

    @property
    def failed(self) -> int:
        return sum(1 for c in self.cases if not c.passed)

    def covered(self, rule: str) -> bool:
        # Both verdicts of the rule itself: a `skipped` or `error` inherited from elsewhere
        # does not show that the rule's own condition can fail.
        statuses = self.expected.get(rule, set())
        return {"pass", "fail"} <= statuses

    @property
    def coverage_percent(self) -> float:
        if not self.rules:
            return 100.0
        return 100.0 * sum(1 for r in self.rules if self.covered(r)) / len(self.rules)

    def lines(self, verbose: bool = False) -> list[str]:
        out = []
        for case in self.cases:
            if case.passed and not verbose:
                continue
            mark = "PASS" if case.passed else "FAIL"
            out.append(f"{mark} {case.file}: {case.name}")
            out.extend(f"     {p}" for p in case.problems)
        packs = sorted(set(self.rules.values()))
        for pack in packs:
            rules = [r for r, p in self.rules.items() if p == pack]
            covered = [r for r in rules if self.covered(r)]
            out.append(
                f"{pack}: {len(covered)}/{len(rules)} rules covered "
                f"({100.0 * len(covered) / max(len(rules), 1):.0f}%)"
            )
            for rule in rules:
                if rule not in covered:
                    seen = ", ".join(sorted(self.expected.get(rule, set()))) or "no case"
                    out.append(f"    not covered: {rule} (expected so far: {seen})")
        total = len(self.cases)
        out.append(
            f"{total - self.failed}/{total} cases passed; rule coverage "
            f"{self.coverage_percent:.1f}%"
        )
        return out


def _pack_folders(directory: Path | None, registry: Registry) -> list[tuple[str | None, Path]]:
    if directory is None:
        return [(name, folder) for name, folder in sorted(registry.packs.items())]
    if (directory / "pack.yaml").is_file():
        found = [directory]
    else:
        found = sorted(p for p in directory.iterdir() if (p / "pack.yaml").is_file())
    if not found:
        raise InputError(str(directory), None, "no pack.yaml here or in its sub-folders")
    for folder in found:  # the packs and their cases are the folder's files, not a link's
        tests = sorted((folder / "tests").glob("*.yaml")) if (folder / "tests").is_dir() else []
        for file in [*pack_files(folder), *tests]:
            refuse_link_outside(file, directory, display_path(file), display_path(directory))
    return [(None, p) for p in found]


def _load_single(
    folder: Path,
    registry: Registry,
    now: datetime,
    params: dict[str, dict[str, Any]] | None = None,
    config: Config | None = None,
) -> PolicySet:
    """Load one pack by folder (plus the packs it uses), with an optional fixture config."""
    name = folder.name
    if registry.packs.get(name) != folder:
        # A pack outside the registry (a folder being developed): register it for this load.
        header = load_yaml_file(folder / "pack.yaml", display=display_path(folder / "pack.yaml"))
        name = str((header.data or {}).get("pack", name))
        registry = Registry(**{**registry.__dict__, "packs": {**registry.packs, name: folder}})
    return load_policy_set(registry, config, [name], now=now, param_overrides=params)


def lint_packs(directory: Path | None, plugin_options: tuple[str, ...]) -> tuple[list[str], str]:
    """(problems, summary line) for the packs: load errors plus style checks."""
    from govgate.core.evidence import utc_now
    from govgate.run.check import get_registry

    registry = get_registry(plugin_options)
    problems: list[str] = []
    rules = 0
    for _name, folder in _pack_folders(directory, registry):
        try:
            policy_set = _load_single(folder, registry, utc_now())
        except InputErrors as exc:
            problems.extend(str(e) for e in exc.errors)
            continue
        except InputError as exc:
            problems.append(str(exc))
            continue
        own = [
            r
            for r in policy_set.rules.values()
            if Path(r.origin.path).resolve().parent == folder.resolve()
        ]
        rules += len(own)
        for rule in own:
            if not rule.id.startswith(rule.control + "."):
                problems.append(
                    f"{rule.origin}: rule id '{rule.id}' should start with its "
                    f"control id '{rule.control}.' (stable, prefixed ids)"
                )
        tests = folder / "tests"
        if not tests.is_dir() or not any(tests.glob("*.yaml")):
            problems.append(f"{display_path(folder)}: pack has no tests/*.yaml cases")
    return problems, f"{rules} rules checked, {len(problems)} problem(s)"


def _case_evidence(
    raw: Any, loaded: LoadedYaml, kinds: dict[str, EvidenceKind], now: datetime
) -> EvidenceSet:
    evidence = EvidenceSet()
    for kind_name, items in (raw or {}).items():
        if kind_name not in kinds:
            raise InputError(
                loaded.path,
                loaded.line_of(f"/evidence/{kind_name}"),
                f"evidence.{kind_name}: unknown evidence kind",
            )
        declared = kinds[kind_name]
        for index, item in enumerate(items if isinstance(items, list) else [items]):
            if not isinstance(item, dict) or ("data" not in item and "problem" not in item):
                raise InputError(
                    loaded.path,
                    loaded.line_of(f"/evidence/{kind_name}/{index}"),
                    f"evidence.{kind_name}[{index}]: needs data: (and optional "
                    "subject:, path:, line:, dated:, problem:)",
                )
            problem = _shape_problem(item.get("data"), declared.schema)
            if problem is not None and "problem" not in item:
                raise InputError(
                    loaded.path,
                    loaded.line_of(f"/evidence/{kind_name}/{index}/data{problem[0]}")
                    or loaded.line_of(f"/evidence/{kind_name}/{index}"),
                    f"evidence.{kind_name}[{index}].data: {problem[1]}; a case must hold data "
                    "a collector could produce",
                )
            subject = item.get("subject") or (declared.paths[0] if declared.paths else kind_name)
            evidence.add(
                Evidence.create(
                    kind=kind_name,
                    subject=subject,
                    data=item.get("data"),
                    source=Source(
                        path=item.get("path", subject if declared.paths else None),
                        line=item.get("line"),
                    ),
                    collector="policy-test",
                    collector_version="0",
                    collected_at=now
                    if "collected_at" not in item
                    else datetime.fromisoformat(str(item["collected_at"]).replace("Z", "+00:00")),
                    dated=item.get("dated"),
                    locations=item.get("locations"),
                    problem=item.get("problem"),
                )
            )
    return evidence


def _match(findings: list[Finding], expect: dict[str, Any]) -> list[str]:
    """Two-way strict comparison; returns problems (empty when the case passes)."""
    problems = []
    by_rule: dict[str, list[Finding]] = {}
    for finding in findings:
        by_rule.setdefault(finding.rule, []).append(finding)
    matched_keys: set[str] = set()
    for rule, produced in by_rule.items():
        for finding in produced:
            item_key = f"{rule}[{finding.item}]"
            if item_key in expect:
                wanted, key = expect[item_key], item_key
            elif rule in expect:
                wanted, key = expect[rule], rule
            else:
                problems.append(
                    f"unexpected finding {item_key}: {finding.status} ({finding.message})"
                )
                continue
            matched_keys.add(key)
            if finding.status != wanted:
                problems.append(
                    f"{item_key}: expected {wanted}, got {finding.status} ({finding.message})"
                )
    for key in expect:
        if key not in matched_keys:
            problems.append(f"expected finding {key}: {expect[key]} was not produced")
    return problems


@dataclass
class _CaseFile:
    """One test case file as read: where it is, its YAML (for line numbers) and its mapping."""

    file: Path
    display: str
    loaded: LoadedYaml
    raw: dict[str, Any]


def run_case(
    file: Path, pack_name: str, folder: Path, registry: Registry, report: PackTestReport
) -> CaseResult:
    """Run one case of a pack: its evidence through the pack's rules, matched strictly against
    what it expects. The pack's rules and the statuses expected are added to `report`."""
    case = _read_case(file)
    raw = case.raw
    name = str(raw.get("case", file.stem))
    now = datetime.fromisoformat(str(raw.get("now", DEFAULT_NOW)).replace("Z", "+00:00"))
    params = {pack_name: dict(raw.get("params") or {})}
    policy_set = _load_single(folder, registry, now, params)
    selected = _select_rules(policy_set, pack_name, raw.get("rules"), report)
    expect = dict(raw["expect"])
    _check_expected_rules(case, expect, policy_set, pack_name)
    if "repo" in raw:
        policy_set, system, evidence = _repo_evidence(
            case, folder, registry, now, params, policy_set
        )
    else:
        system = dict(raw.get("system") or DEFAULT_SYSTEM)
        evidence = _case_evidence(raw.get("evidence"), case.loaded, policy_set.kinds, now)
    for collector, message in (raw.get("collector_errors") or {}).items():
        evidence.failed_collectors[str(collector)] = str(message)
    findings = _evaluate_selected(policy_set, evidence, system, now, selected)
    for key, status in expect.items():
        report.expected.setdefault(key.split("[", 1)[0], set()).add(status)
    return CaseResult(pack_name, case.display, name, _match(findings, expect))


def _read_case(file: Path) -> _CaseFile:
    """The case file, refused with file and line unless it has only known keys and `expect:`
    maps rules to statuses."""
    display = display_path(file)
    loaded = load_yaml_file(file, display=display)
    raw = loaded.data
    if not isinstance(raw, dict):
        raise InputError(display, 1, "a test case is a mapping with case: and expect:")
    unknown = set(raw) - CASE_KEYS
    if unknown:
        key = sorted(unknown)[0]
        raise InputError(
            display,
            loaded.line_of(f"/{key}"),
            f"unknown key '{key}' (allowed: {', '.join(sorted(CASE_KEYS))})",
        )
    if "expect" not in raw or not isinstance(raw["expect"], dict):
        raise InputError(display, 1, "expect: {RULE or RULE[item]: status} is required")
    for key, status in raw["expect"].items():
        if status not in STATUSES:
            raise InputError(
                display,
                loaded.line_of(f"/expect/{key}"),
                f"expect.{key}: {status!r} is not a status ({', '.join(STATUSES)})",
            )
    return _CaseFile(file, display, loaded, raw)


def _select_rules(
    policy_set: PolicySet, pack_name: str, patterns: Any, report: PackTestReport
) -> list[str]:
    """The pack's own rules whose findings the case checks (all, or those `rules:` names);
    every one of the pack's rules counts towards its coverage."""
    own_rules = [r for r in policy_set.rules.values() if r.pack == pack_name]
    for rule in own_rules:
        report.rules[rule.id] = pack_name
    selected = [r.id for r in own_rules]
    if patterns:
        selected = [r for r in selected if any(fnmatch.fnmatchcase(r, p) for p in patterns)]
    return selected


def _check_expected_rules(
    case: _CaseFile, expect: dict[str, Any], policy_set: PolicySet, pack_name: str
) -> None:
    """Refuse an expectation about a rule the loaded packs do not have (a typo never passes)."""
    for key in expect:
        rule_id = key.split("[", 1)[0]
        if rule_id not in policy_set.rules:
            raise InputError(
                case.display,
                case.loaded.line_of(f"/expect/{key}"),
                f"expect.{key}: no rule '{rule_id}' in pack '{pack_name}'",
            )


def _repo_evidence(
    case: _CaseFile,
    folder: Path,
    registry: Registry,
    now: datetime,
    params: dict[str, dict[str, Any]],
    policy_set: PolicySet,
) -> tuple[PolicySet, dict[str, Any], EvidenceSet]:
    """What the real collectors read from the case's fixture repository (`repo:`), with the
    packs, system and collector settings of its govgate.yaml when it has one."""
    from govgate.run.collect import collect_evidence

    raw = case.raw
    repo = (case.file.parent / str(raw["repo"])).resolve()
    if not repo.is_dir():
        raise InputError(
            case.display, case.loaded.line_of("/repo"), f"repo: no folder {raw['repo']}"
        )
    system = dict(raw.get("system") or DEFAULT_SYSTEM)
    config: Config | None = None
    if (repo / "govgate.yaml").is_file():
        refuse_link_outside(repo / "govgate.yaml", repo, display_path(repo / "govgate.yaml"))
        config = config_from_loaded(
            repo,
            load_yaml_file(repo / "govgate.yaml", display=display_path(repo / "govgate.yaml")),
        )
        system = raw.get("system") or config.system
        policy_set = _load_single(folder, registry, now, params, config)
    collection = collect_evidence(
        registry,
        policy_set.kinds,
        policy_set.needed_kinds(),
        repo,
        system=system,
        settings=config.collectors if config else {},
        now=now,
    )
    return policy_set, system, collection.evidence


def _evaluate_selected(
    policy_set: PolicySet,
    evidence: EvidenceSet,
    system: dict[str, Any],
    now: datetime,
    selected: list[str],
) -> list[Finding]:
    """Evaluate every rule in order (a selected rule may depend on others), keeping the
    findings of the selected ones, with no waivers applied."""
    evaluator = Evaluator(policy_set, evidence, system, now)
    findings: list[Finding] = []
    for rule_id in policy_set.order:
        rule = policy_set.rules[rule_id]
        produced = evaluator.evaluate_rule(rule)
        evaluator.findings_by_rule[rule_id] = produced
        if rule_id in selected:
            findings.extend(produced)
    apply_waivers(findings, [], now)
    return findings


def run_pack_tests(directory: Path | None, plugin_options: tuple[str, ...]) -> PackTestReport:
    from govgate.run.check import get_registry

    registry = get_registry(plugin_options)
    report = PackTestReport()
    errors: list[InputError] = []
    for _name, folder in _pack_folders(directory, registry):
        header = load_yaml_file(pack_files(folder)[0], display=display_path(folder / "pack.yaml"))
        pack_name = str((header.data or {}).get("pack", folder.name))
        cases = sorted((folder / "tests").glob("*.yaml")) if (folder / "tests").is_dir() else []
        if not cases:
            # A pack with no tests: all its rules count as uncovered.
            try:
                policy_set = _load_single(
                    folder, registry, datetime.fromisoformat(DEFAULT_NOW.replace("Z", "+00:00"))
                )
            except InputErrors as exc:
                errors.extend(exc.errors)
                continue
            for rule in policy_set.rules.values():
                if rule.pack == pack_name:
                    report.rules[rule.id] = pack_name
            continue
        for case in cases:
            try:
                report.cases.append(run_case(case, pack_name, folder, registry, report))
            except InputErrors as exc:
                errors.extend(exc.errors)
            except (InputError, PolicyError) as exc:
                errors.append(exc)
    if errors:
        raise InputErrors(errors)
    return report


def _shape_problem(data: Any, schema: Any) -> tuple[str, str] | None:
    """(JSON pointer, message) of the first way `data` breaks its kind's schema, or None.

    Fields a case leaves out are fine (a case states only what its rules read), so `required`
    is not enforced; a wrong type, an unknown enum value or a negative count is a case that
    no collector could produce, and would make the pack test prove nothing.
    """
    if not schema or data is None:
        return None
    from govgate.run.collect import validator_for
    from govgate.support.schemas import json_path

    for error in sorted(
        validator_for(schema).iter_errors(data), key=lambda e: list(e.absolute_path)
    ):
        if error.validator == "required":
            continue
        pointer = "".join(f"/{part}" for part in error.absolute_path)
        return pointer, f"{json_path(error.absolute_path)}: {error.message}"
    return None
