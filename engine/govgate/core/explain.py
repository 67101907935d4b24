"""`govgate explain RULE`: everything about one rule, for the engineer staring at a failure."""

from __future__ import annotations

import difflib
from pathlib import Path

import yaml

from govgate.core.config import find_config, load_config
from govgate.core.evidence import utc_now
from govgate.core.loader import load_policy_set
from govgate.run.check import get_registry
from govgate.support.errors import UsageError


def explain_rule(rule_id: str, path: Path | None, plugin_options: tuple[str, ...]) -> str:
    registry = get_registry(plugin_options)
    config = load_config(path) if path is not None and find_config(path) else None
    packs = None if config else sorted(registry.packs)
    policy_set = load_policy_set(registry, config, packs, now=utc_now())
    rule = policy_set.rules.get(rule_id)
    if rule is None:
        hint = difflib.get_close_matches(rule_id, list(policy_set.rules), n=1)
        extra = f"; did you mean '{hint[0]}'?" if hint else ""
        raise UsageError(f"no rule '{rule_id}' in the loaded packs{extra}")
    control = policy_set.controls[rule.control]
    kind = policy_set.kinds.get(rule.evidence.kind)
    lines = [
        f"{rule.id}  ({rule.severity}, pack {rule.pack}, {rule.origin})",
        f"  {rule.title or control.title}",
        "",
        f"control   {control.id}: {control.title}",
    ]
    for req_id in control.satisfies:
        req = policy_set.requirements[req_id]
        lines.append(f"satisfies {req.id}: {req.title} — {req.framework} {req.ref}")
    if rule.source:
        lines.append(f"source    {rule.source}")
    lines.append("")
    where = ", ".join(kind.paths) if kind and kind.paths else "-"
    collector = kind.collector if kind else "?"
    installed = "installed" if collector in registry.collectors else "NOT INSTALLED"
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
