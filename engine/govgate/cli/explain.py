"""`govgate explain RULE`: everything about one rule, for the engineer staring at a failure."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
import yaml

from govgate.cli.common import plugin_options

if TYPE_CHECKING:
    from govgate.core.explain import RuleExplanation


def register(main: click.Group) -> None:
    main.add_command(explain)


@click.command("explain")
@click.argument("rule_id")
@click.option(
    "--path",
    type=click.Path(path_type=Path),
    default=None,
    help="Repository whose govgate.yaml sets packs and parameters.",
)
@click.pass_context
def explain(ctx: click.Context, rule_id: str, path: Path | None) -> None:
    """Show what RULE checks, why, on which evidence, and how to fix it."""
    from govgate.core.explain import explain_rule

    click.echo(render_explanation(explain_rule(rule_id, path, plugin_options(ctx))))


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
    lines.append(f"message      {rule.message}")
    lines.append(f"remediation  {rule.remediation}")
    return "\n".join(lines)
