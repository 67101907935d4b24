"""Compiling rules: references to controls and evidence kinds checked, conditions, selectors,
`max_age` and message templates compiled, duplicate ids and unknown prerequisites refused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from govgate.core.applicability import reason_problems
from govgate.core.collector import EvidenceKind
from govgate.core.conditions import Clock, Env
from govgate.core.loader.expressions import compile_cond, compile_selector_at, system_only
from govgate.core.loader.problems import Problems
from govgate.core.loader.read import PackFiles
from govgate.core.messages import check_template
from govgate.core.plugins import Registry
from govgate.core.policy import Control, EvidenceSelector, Origin, Rule
from govgate.support.dates import parse_duration
from govgate.support.suggest import did_you_mean
from govgate.support.yamlload import LoadedYaml, pointer_join


def compile_rules(
    loaded_packs: dict[str, PackFiles],
    params: dict[str, dict[str, Any]],
    kinds: dict[str, EvidenceKind],
    controls: dict[str, Control],
    registry: Registry,
    clock: Clock,
    problems: Problems,
) -> dict[str, Rule]:
    """Every pack's rules by id; a rule with a problem is reported and left out."""
    rules: dict[str, Rule] = {}
    for name, pf in loaded_packs.items():
        env = Env(params=params[name], now=clock.now, operators=registry.operators, clock=clock)
        for doc in pf.documents:
            for index, raw in enumerate(doc.data.get("rules") or []):
                rule = compile_rule(
                    raw, name, doc, f"/rules/{index}", env, kinds, controls, problems
                )
                if rule is None:
                    continue
                if rule.id in rules:
                    problems.add(
                        rule.origin,
                        None,
                        f"duplicate rule id '{rule.id}' (first at {rules[rule.id].origin})",
                    )
                    continue
                rules[rule.id] = rule
    for rule in rules.values():
        for dep in rule.depends_on:
            if dep not in rules:
                problems.add(
                    rule.origin,
                    None,
                    f"rule '{rule.id}' depends on unknown rule '{dep}'" + did_you_mean(dep, rules),
                )
    return rules


def compile_rule(
    raw: dict[str, Any],
    pack: str,
    doc: LoadedYaml,
    pointer: str,
    env: Env,
    kinds: dict[str, EvidenceKind],
    controls: dict[str, Control],
    problems: Problems,
) -> Rule | None:
    """One rule, or None when any part of it has a problem (each one reported)."""
    before = len(problems.errors)
    evidence_raw = raw["evidence"]
    if isinstance(evidence_raw, str):
        evidence_raw = {"kind": evidence_raw}
    _check_references(raw, evidence_raw["kind"], doc, pointer, kinds, controls, problems)
    where = None
    if "where" in evidence_raw:
        where = compile_cond(evidence_raw["where"], env, doc, f"{pointer}/evidence/where", problems)
    when = None
    if "when" in raw:
        when = compile_cond(raw["when"], env, doc, f"{pointer}/when", problems)
    assertion = compile_cond(raw["assert"], env, doc, f"{pointer}/assert", problems, strict=True)
    for_each = compile_selector_at(raw, "for_each", env, doc, pointer, problems)
    item_label = compile_selector_at(raw, "item_label", env, doc, pointer, problems)
    max_age = _max_age(raw, doc, pointer, problems)
    _check_templates(raw, env, doc, pointer, problems)
    if len(problems.errors) > before or assertion is None:
        return None
    return Rule(
        id=raw["id"],
        control=raw["control"],
        severity=raw["severity"],
        evidence=EvidenceSelector(
            kind=evidence_raw["kind"], subject=evidence_raw.get("subject"), where=where
        ),
        assertion=assertion,
        message=raw["message"],
        remediation=raw["remediation"],
        origin=Origin(doc.path, doc.line_of(pointer)),
        pack=pack,
        title=raw.get("title", ""),
        when=when,
        # A `when` reading only system.* and params.* is decided before any evidence is read.
        when_needs_evidence=when is None or not system_only(when.paths()),
        for_each=for_each,
        for_each_text=raw.get("for_each"),
        item_label=item_label,
        max_age=max_age,
        max_age_text=raw.get("max_age"),
        depends_on=list(raw.get("depends_on", [])),
        on_missing=raw.get("on_missing", "fail"),
        source=raw.get("source"),
        tags=list(raw.get("tags", [])),
        raw=raw,
    )


def _check_references(
    raw: dict[str, Any],
    kind: str,
    doc: LoadedYaml,
    pointer: str,
    kinds: dict[str, EvidenceKind],
    controls: dict[str, Control],
    problems: Problems,
) -> None:
    """The rule's control and evidence kind must exist."""
    rule_id = raw["id"]
    if raw["control"] not in controls:
        problems.add(
            doc,
            f"{pointer}/control",
            f"rule '{rule_id}' names unknown control "
            f"'{raw['control']}'" + did_you_mean(raw["control"], controls),
        )
    if kind not in kinds:
        problems.add(
            doc,
            pointer_join(pointer, "evidence"),
            f"rule '{rule_id}' reads unknown evidence kind '{kind}'"
            + did_you_mean(kind, kinds)
            + " (declare it under evidence_kinds: or install its collector)",
        )


def _max_age(
    raw: dict[str, Any], doc: LoadedYaml, pointer: str, problems: Problems
) -> timedelta | None:
    if "max_age" not in raw:
        return None
    try:
        return parse_duration(raw["max_age"])
    except ValueError as exc:
        problems.add(doc, f"{pointer}/max_age", str(exc))
        return None


def _check_templates(
    raw: dict[str, Any], env: Env, doc: LoadedYaml, pointer: str, problems: Problems
) -> None:
    """The message, remediation and reasons may name only placeholders the rule can fill."""
    for field_name in ("message", "remediation", "none_selected"):
        if field_name not in raw:
            continue
        for problem in check_template(
            raw[field_name],
            params=env.params,
            # A for_each that selected nothing has no item to name.
            has_item="for_each" in raw and field_name != "none_selected",
            has_max_age="max_age" in raw,
        ):
            problems.add(
                doc, f"{pointer}/{field_name}", f"rule '{raw['id']}' {field_name}: {problem}"
            )
    for where, problem in reason_problems(raw.get("when"), params=env.params, pointer="/when"):
        problems.add(doc, f"{pointer}{where}", f"rule '{raw['id']}' when reason: {problem}")
