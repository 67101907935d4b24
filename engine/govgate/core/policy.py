"""The policy model: packs, requirements, controls and rules as plain, typed data.

These objects are what the loader produces after validation and what the evaluator, the graph
and the reporters read. They know where they were written (`origin`), so every later message
can point at the pack file and line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from govgate.core.collector import EvidenceKind
from govgate.core.conditions import Condition

SEVERITIES = ("info", "low", "medium", "high", "critical")


def severity_rank(severity: str) -> int:
    """0 for info … 4 for critical."""
    return SEVERITIES.index(severity)


@dataclass(frozen=True)
class Origin:
    """Where something was declared: pack file (as shown to users) and line."""

    path: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass
class Requirement:
    id: str
    title: str
    framework: str
    ref: str
    origin: Origin
    pack: str
    description: str = ""
    url: str | None = None
    when: Condition | None = None
    when_raw: Any = None


@dataclass
class Control:
    id: str
    title: str
    satisfies: list[str]
    origin: Origin
    pack: str
    description: str = ""
    owner: str | None = None


@dataclass
class EvidenceSelector:
    """Which evidence a rule reads: a kind, optionally narrowed by subject glob or condition."""

    kind: str
    subject: str | None = None
    where: Condition | None = None


@dataclass
class Rule:
    id: str
    control: str
    severity: str
    evidence: EvidenceSelector
    assertion: Condition
    message: str
    remediation: str
    origin: Origin
    pack: str
    title: str = ""
    when: Condition | None = None
    when_needs_evidence: bool = True
    for_each: Any = None  # compiled JMESPath
    for_each_text: str | None = None
    item_label: Any = None
    max_age: timedelta | None = None
    max_age_text: str | None = None
    depends_on: list[str] = field(default_factory=list)
    on_missing: str = "fail"
    source: str | None = None
    tags: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class Pack:
    name: str
    version: str
    title: str
    description: str
    folder: str
    files: list[str]
    digest: str
    params: dict[str, Any]
    param_descriptions: dict[str, str]
    uses: list[str] = field(default_factory=list)
    builtin: bool = True


@dataclass
class PolicySet:
    """Everything loaded for one run, validated and cross-referenced."""

    packs: dict[str, Pack]
    requirements: dict[str, Requirement]
    controls: dict[str, Control]
    rules: dict[str, Rule]
    kinds: dict[str, EvidenceKind]
    #: Rule ids in evaluation order (prerequisites first).
    order: list[str]
    #: Effective parameters per pack (defaults, then govgate.yaml overrides).
    params: dict[str, dict[str, Any]]

    def rules_of_control(self, control_id: str) -> list[Rule]:
        return [rule for rule in self.rules.values() if rule.control == control_id]

    def controls_of_requirement(self, requirement_id: str) -> list[Control]:
        return [c for c in self.controls.values() if requirement_id in c.satisfies]

    def requirements_of_rule(self, rule: Rule) -> list[str]:
        """In-scope requirements the rule's control satisfies."""
        control = self.controls.get(rule.control)
        if control is None:
            return []
        return [req for req in control.satisfies if req in self.requirements]

    def needed_kinds(self) -> set[str]:
        return {rule.evidence.kind for rule in self.rules.values()}
