"""Helpers the CI-facing reporters share: finding order, labels, paths, the policy-edit notice.

They read only the result document (`govgate/result/v1`), like the reporters themselves.
"""

from __future__ import annotations

import json
import re
from typing import Any

from govgate.core.policy import severity_rank

#: C0/C1 control characters (tab, LF and CR excepted) and the bidirectional overrides that
#: let hostile text display differently from what it says ("Trojan Source").
UNPRINTABLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def printable(text: str) -> str:
    """`text` with control, bidi-override and lone-surrogate characters shown as `\\uXXXX`."""
    return UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def one_line(text: str) -> str:
    """`text` on a single printable line (newlines and tabs become spaces)."""
    return " ".join(printable(text).split())


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, ending in an ellipsis when cut."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)].rstrip() + "…"


def blocks_gate(finding: dict[str, Any], fail_on: str) -> bool:
    """True when this finding alone fails the gate (an error always does; a skipped rule at or
    above `fail_on` does, as `govgate.core.result.gate_status` decides)."""
    if finding["status"] == "error":
        return True
    return finding["status"] in ("fail", "skipped") and severity_rank(
        finding["severity"]
    ) >= severity_rank(fail_on)


def blocking_skip(finding: dict[str, Any], fail_on: str) -> bool:
    """A skipped rule at or above `fail_on`: never judged, and the gate fails because of it."""
    return finding["status"] == "skipped" and blocks_gate(finding, fail_on)


def blocking_skip_note(finding: dict[str, Any], fail_on: str) -> str:
    """What the reader of a CI report is told about a skipped rule that fails the gate: listed
    with the skips alone, it would leave a failed gate with no reason in sight."""
    return (
        f"This blocks the gate: a {finding['severity']} rule (fail-on {fail_on}) that was "
        "never judged fails the gate as a failure would."
    )


def severity_order(fail_on: str) -> Any:
    """Sort key: gate-blocking findings first, then by severity, rule and item."""

    def key(finding: dict[str, Any]) -> tuple[int, int, int, str, str]:
        return (
            0 if blocks_gate(finding, fail_on) else 1,
            -severity_rank(finding["severity"]),
            0 if finding["status"] == "error" else 1,
            finding["rule"],
            finding.get("item") or "",
        )

    return key


def finding_label(finding: dict[str, Any]) -> str:
    """`rule[item]`, or the rule alone when the finding has no item."""
    item = finding.get("item")
    return f"{finding['rule']}[{item}]" if item else finding["rule"]


def location_text(finding: dict[str, Any]) -> str | None:
    """`path:line`, `path`, or None when the finding points nowhere."""
    location = finding.get("location") or {}
    if not location.get("path"):
        return None
    line = location.get("line")
    return f"{location['path']}:{line}" if line else str(location["path"])


def repository_prefix(result: dict[str, Any]) -> str:
    """The target's folder inside its git repository ("svc/"), or "" (at the root, or unknown).

    Code scanning and workflow annotations resolve paths from the repository root, while a
    finding's path is relative to the target: a target in a sub-folder (a monorepo) needs it.
    """
    prefix = (result.get("target") or {}).get("prefix")
    if not isinstance(prefix, str) or not prefix.strip("/"):
        return ""
    return prefix.replace("\\", "/").strip("/") + "/"


def repository_path(result: dict[str, Any], path: str) -> str:
    """A target-relative path as a path relative to the root of the target's git repository."""
    return repository_prefix(result) + path.removeprefix("./")


def repository_root(result: dict[str, Any]) -> str | None:
    """The absolute path of the target's repository root (the target path without its prefix).

    None when the target path is not known or does not end in the prefix.
    """
    path = (result.get("target") or {}).get("path")
    if not path:
        return None
    prefix = repository_prefix(result).rstrip("/")
    text = str(path).replace("\\", "/").rstrip("/")
    if not prefix:
        return str(path)
    if not text.endswith("/" + prefix):
        return None
    return text[: -len(prefix) - 1] or "/"


def _named(value: Any) -> list[str]:
    """The names a `*_changed` entry carries: a list, a mapping's keys, or none for a bool."""
    if isinstance(value, dict):
        return [str(k) for k in value]
    if isinstance(value, list | tuple):
        return [str(v) if not isinstance(v, dict) else str(v.get("name", v)) for v in value]
    return []


#: System keys named in the notice; the rest are counted (all are in the JSON `changes`).
SYSTEM_EDITS_SHOWN = 5
#: Characters of a system value shown in the notice.
SYSTEM_VALUE_LIMIT = 60


def _system_value(entry: dict[str, Any], side: str) -> str:
    if side not in entry:
        return "(unset)" if side == "before" else "(removed)"
    value = entry[side]
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return shorten(one_line(text), SYSTEM_VALUE_LIMIT)


def system_edits(result: dict[str, Any]) -> list[str]:
    """`system.risk: high -> minimal` for each key of `system:` the change edits."""
    value = (result.get("changes") or {}).get("system_changed")
    if not isinstance(value, list):
        return []
    return [
        f"{shorten(one_line(str(e.get('key'))), 100)}: "
        f"{_system_value(e, 'before')} -> {_system_value(e, 'after')}"
        for e in value
        if isinstance(e, dict)
    ]


def policy_edits(result: dict[str, Any]) -> list[str]:
    """What the change under review edits among packs, parameters, waivers and the system
    description (with --base or --policies-from; a lowered risk tier makes rules not apply).

    Empty when the result has no `changes` section or the change touches none of them.
    """
    changes = result.get("changes") or {}
    parts = []
    for key, noun in (
        ("packs_changed", "policy packs"),
        ("params_changed", "parameters"),
        ("waivers_changed", "waivers"),
    ):
        value = changes.get(key)
        if not value:
            continue
        names = _named(value)
        parts.append(f"{noun} ({', '.join(names)})" if names else noun)
    system = system_edits(result)
    if system:
        shown = "; ".join(system[:SYSTEM_EDITS_SHOWN])
        if len(system) > SYSTEM_EDITS_SHOWN:
            shown += f"; and {len(system) - SYSTEM_EDITS_SHOWN} more"
        parts.append(f"the system description ({shown})")
    return parts


def policy_edit_notice(result: dict[str, Any]) -> str | None:
    """One sentence saying the change edits its own policies, or None when it does not."""
    parts = policy_edits(result)
    if not parts:
        return None
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    base = (result.get("changes") or {}).get("base")
    against = f" compared with {base}" if base else ""
    return (
        f"This change edits {listed}{against}: review those edits on their own, "
        "a change must not approve itself."
    )


def reason_of(finding: dict[str, Any]) -> str:
    """Why a not-applicable finding does not apply (a result written before findings carried
    their reason: the message, which then says it)."""
    reason = finding.get("reason")
    if reason:
        return str(reason)
    message = str(finding.get("message") or "")
    return message.removeprefix("not applicable: ") or "no reason recorded"


def not_applicable_groups(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The not-applicable findings grouped by their reason, largest group first: each with the
    reason, its rules, and the requirements that are not applicable because of it."""
    na_requirements = {
        r["id"] for r in result.get("requirements", []) if r.get("status") == "not_applicable"
    }
    groups: dict[str, dict[str, Any]] = {}
    for finding in result.get("findings", []):
        if finding["status"] != "not_applicable":
            continue
        reason = reason_of(finding)
        group = groups.setdefault(reason, {"reason": reason, "rules": [], "requirements": []})
        if finding["rule"] not in group["rules"]:
            group["rules"].append(finding["rule"])
        for req in finding.get("requirements") or []:
            if req in na_requirements and req not in group["requirements"]:
                group["requirements"].append(req)
    return sorted(groups.values(), key=lambda g: (-len(g["rules"]), g["reason"]))


def requirement_reasons(result: dict[str, Any]) -> dict[str, list[str]]:
    """Requirement id → why it is not applicable (its not-applicable findings' reasons)."""
    reasons: dict[str, list[str]] = {}
    for group in not_applicable_groups(result):
        for req in group["requirements"]:
            reasons.setdefault(req, []).append(group["reason"])
    return reasons


def listed(ids: list[str], limit: int) -> str:
    """Ids joined by commas, the ones past `limit` counted ("and 7 more")."""
    shown = ", ".join(ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")
