"""What `govgate explain ID` needs: about a rule, the rule, its control and requirements, and the
evidence kind it reads with whether that kind's collector is installed (`explain_rule`); about a
control or a requirement, what it is and the rules that check it (`explain_id`). The rule's
sentences are rendered as far as they can be before a run (`shown`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govgate.core.collector import EvidenceKind
from govgate.core.config import find_config, load_config
from govgate.core.evidence import utc_now
from govgate.core.loader import load_policy_set
from govgate.core.messages import render
from govgate.core.plugins import Registry, build_registry, get_plugin_manager
from govgate.core.policy import Control, PolicySet, Requirement, Rule
from govgate.support.errors import UsageError
from govgate.support.suggest import did_you_mean


@dataclass(frozen=True)
class RuleExplanation:
    """One rule with what it rests on, as the loaded packs and installed plugins define it."""

    rule: Rule
    control: Control
    requirements: list[Requirement]
    #: The evidence kind the rule reads (None when no pack or plugin declares it).
    kind: EvidenceKind | None
    collector_installed: bool
    #: What the rule's sentences can already say before a run: its pack's parameters, the
    #: system of govgate.yaml, where its evidence is looked for.
    values: dict[str, Any] = field(default_factory=dict)

    def shown(self, template: str) -> str:
        """A message or remediation as a person reads it: literal braces as braces, what is
        known filled in, and what only a finding knows named (`<item.name>`, `<actual>`)."""
        return render(template, self.values, unknown=_named)


@dataclass(frozen=True)
class ControlExplanation:
    """A control: what it satisfies and the rules that check it."""

    control: Control
    requirements: list[Requirement]
    rules: list[Rule]


@dataclass(frozen=True)
class RequirementExplanation:
    """A requirement: the controls that satisfy it, and their rules."""

    requirement: Requirement
    controls: list[Control]
    rules: list[Rule]


Explanation = RuleExplanation | ControlExplanation | RequirementExplanation


def _named(root: str, keys: list[str]) -> str:
    return "<" + ".".join([root, *keys]) + ">"


def _load(path: Path | None, plugin_options: tuple[str, ...]) -> tuple[Registry, PolicySet, Any]:
    """The registry, the packs govgate.yaml at PATH enables (every installed pack without one)
    and that configuration (None without one)."""
    registry = build_registry(get_plugin_manager(plugin_options))
    config = load_config(path) if path is not None and find_config(path) else None
    packs = None if config else sorted(registry.packs)
    return registry, load_policy_set(registry, config, packs, now=utc_now()), config


def explain_rule(
    rule_id: str, path: Path | None, plugin_options: tuple[str, ...]
) -> RuleExplanation:
    """The rule RULE_ID of the packs govgate.yaml at PATH enables (every installed pack without
    one); a UsageError with the closest id when there is no such rule."""
    registry, policy_set, config = _load(path, plugin_options)
    rule = policy_set.rules.get(rule_id)
    if rule is None:
        extra = did_you_mean(rule_id, policy_set.rules)
        raise UsageError(f"no rule '{rule_id}' in the loaded packs{extra}")
    return _rule_explanation(rule, policy_set, registry, config)


def explain_id(wanted: str, path: Path | None, plugin_options: tuple[str, ...]) -> Explanation:
    """The rule, control or requirement WANTED (in that order); a UsageError with the closest
    id of any of the three when there is none."""
    registry, policy_set, config = _load(path, plugin_options)
    if wanted in policy_set.rules:
        return _rule_explanation(policy_set.rules[wanted], policy_set, registry, config)
    if wanted in policy_set.controls:
        control = policy_set.controls[wanted]
        return ControlExplanation(
            control=control,
            requirements=[
                policy_set.requirements[r]
                for r in control.satisfies
                if r in policy_set.requirements
            ],
            rules=policy_set.rules_of_control(control.id),
        )
    if wanted in policy_set.requirements:
        controls = policy_set.controls_of_requirement(wanted)
        return RequirementExplanation(
            requirement=policy_set.requirements[wanted],
            controls=controls,
            rules=[rule for c in controls for rule in policy_set.rules_of_control(c.id)],
        )
    known = [*policy_set.rules, *policy_set.controls, *policy_set.requirements]
    extra = did_you_mean(wanted, known)
    raise UsageError(f"no rule, control or requirement '{wanted}' in the loaded packs{extra}")


def _rule_explanation(
    rule: Rule, policy_set: PolicySet, registry: Registry, config: Any
) -> RuleExplanation:
    control = policy_set.controls[rule.control]
    kind = policy_set.kinds.get(rule.evidence.kind)
    collector = kind.collector if kind else "?"
    values: dict[str, Any] = {
        "param": policy_set.params.get(rule.pack, {}),
        "kind": rule.evidence.kind,
    }
    if config is not None:
        values["system"] = config.system
    if kind is not None and kind.paths:
        values["expected_at"] = ", ".join(kind.paths)
        if len(kind.paths) == 1 and not any(ch in kind.paths[0] for ch in "*?["):
            values["source"] = {"path": kind.paths[0]}
    return RuleExplanation(
        rule=rule,
        control=control,
        requirements=[
            policy_set.requirements[r] for r in control.satisfies if r in policy_set.requirements
        ],
        kind=kind,
        collector_installed=collector in registry.collectors,
        values=values,
    )
