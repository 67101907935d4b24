"""What `govgate explain RULE` needs about one rule: the rule, its control and requirements, and
the evidence kind it reads with whether that kind's collector is installed (`explain_rule`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from govgate.core.collector import EvidenceKind
from govgate.core.config import find_config, load_config
from govgate.core.evidence import utc_now
from govgate.core.loader import load_policy_set
from govgate.core.plugins import build_registry, get_plugin_manager
from govgate.core.policy import Control, Requirement, Rule
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


def explain_rule(
    rule_id: str, path: Path | None, plugin_options: tuple[str, ...]
) -> RuleExplanation:
    """The rule RULE_ID of the packs govgate.yaml at PATH enables (every installed pack without
    one); a UsageError with the closest id when there is no such rule."""
    registry = build_registry(get_plugin_manager(plugin_options))
    config = load_config(path) if path is not None and find_config(path) else None
    packs = None if config else sorted(registry.packs)
    policy_set = load_policy_set(registry, config, packs, now=utc_now())
    rule = policy_set.rules.get(rule_id)
    if rule is None:
        extra = did_you_mean(rule_id, policy_set.rules)
        raise UsageError(f"no rule '{rule_id}' in the loaded packs{extra}")
    control = policy_set.controls[rule.control]
    kind = policy_set.kinds.get(rule.evidence.kind)
    collector = kind.collector if kind else "?"
    return RuleExplanation(
        rule=rule,
        control=control,
        requirements=[policy_set.requirements[req_id] for req_id in control.satisfies],
        kind=kind,
        collector_installed=collector in registry.collectors,
    )
