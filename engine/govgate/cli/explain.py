"""`govgate explain ID`: everything about one rule, for the engineer staring at a failure; for a
control or a requirement id, what it is and the rules that check it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
import yaml

from govgate.cli.common import plugin_options

if TYPE_CHECKING:
    from govgate.core.explain import (
        ControlExplanation,
        Explanation,
        RequirementExplanation,
        RuleExplanation,
    )
    from govgate.core.policy import Rule


def register(main: click.Group) -> None:
    main.add_command(explain)


@click.command("explain")
@click.argument("rule_id", metavar="ID")
@click.option(
    "--path",
    type=click.Path(path_type=Path),
    default=None,
    help="Repository whose govgate.yaml sets packs and parameters.",
)
@click.pass_context
def explain(ctx: click.Context, rule_id: str, path: Path | None) -> None:
    """Show what rule ID checks, why, on which evidence, and how to fix it (for a control or
    requirement ID: what it is and the rules that check it)."""
    from govgate.core.explain import explain_id

    click.echo(render_any(explain_id(rule_id, path, plugin_options(ctx))))


def render_any(facts: Explanation) -> str:
    """The explanation of a rule, a control or a requirement, whichever was asked for."""
    from govgate.core.explain import ControlExplanation, RuleExplanation

    if isinstance(facts, RuleExplanation):
        return render_explanation(facts)
    if isinstance(facts, ControlExplanation):
        return render_control(facts)
    return render_requirement(facts)


def render_explanation(facts: RuleExplanation) -> str:
    """The rule, its control and requirements, its evidence, its conditions and its messages."""
    rule, control, kind = facts.rule, facts.control, facts.kind
    lines = [
        f"{rule.id}  ({rule.severity}, pack {rule.pack}, {rule.origin})",
        f"  {rule.title or control.title}",
        "",
        f"control   {control.id}: {control.title}",
    ]
    for req in facts.requirements:
        lines.append(f"satisfies {req.id}: {req.title} — {req.framework} {req.ref}")
    if rule.source:
        lines.append(f"source    {rule.source}")
    lines.append("")
    where = ", ".join(kind.paths) if kind and kind.paths else "-"
    collector = kind.collector if kind else "?"
    installed = "installed" if facts.collector_installed else "NOT INSTALLED"
    lines.append(
        f"evidence  {rule.evidence.kind} from collector '{collector}' ({installed}); "
        f"looked for at: {where}"
    )
    if rule.max_age_text:
        lines.append(f"max age   {rule.max_age_text}")
    if rule.depends_on:
        lines.append(f"needs     {', '.join(rule.depends_on)} to pass first")
    conditions = {k: rule.raw[k] for k in ("when", "for_each", "assert") if k in rule.raw}
    lines.append("")
    lines.append(yaml.safe_dump(conditions, sort_keys=False, allow_unicode=True).rstrip())
    lines.append("")
    # Rendered as far as they can be before a run: what only a finding knows stays named.
    lines.append(f"message      {facts.shown(rule.message)}")
    lines.append(f"remediation  {facts.shown(rule.remediation)}")
    return "\n".join(lines)


def render_control(facts: ControlExplanation) -> str:
    """A control: what it satisfies, who owns it, and its rules."""
    control = facts.control
    lines = [
        f"{control.id}  (control, pack {control.pack}, {control.origin})",
        f"  {control.title}",
    ]
    if control.owner:
        lines.append(f"  owner: {control.owner}")
    lines.append("")
    for req in facts.requirements:
        lines.append(f"satisfies {req.id}: {req.title} — {req.framework} {req.ref}")
    lines += ["", *_rule_lines(facts.rules), "", "govgate explain RULE for one of them."]
    return "\n".join(lines)


def render_requirement(facts: RequirementExplanation) -> str:
    """A requirement: its source, the controls that satisfy it, and their rules."""
    req = facts.requirement
    lines = [
        f"{req.id}  (requirement, {req.framework} {req.ref}, pack {req.pack})",
        f"  {req.title}",
        "",
    ]
    if req.when_raw is not None:
        applies = yaml.safe_dump({"when": req.when_raw}, sort_keys=False, allow_unicode=True)
        lines += [applies.rstrip(), ""]
    if not facts.controls:
        lines.append("no control satisfies it: it is unverified in every run")
    for control in facts.controls:
        lines.append(f"control   {control.id}: {control.title}")
    lines += ["", *_rule_lines(facts.rules), "", "govgate explain RULE for one of them."]
    return "\n".join(lines)


def _rule_lines(rules: list[Rule]) -> list[str]:
    if not rules:
        return ["no rule checks it"]
    width = max(len(rule.id) for rule in rules)
    return [
        f"rule      {rule.id:<{width}}  {rule.severity:<8} {rule.title or rule.message}"
        for rule in rules
    ]
