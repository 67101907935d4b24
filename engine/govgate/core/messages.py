"""Rule messages and remediations: `{placeholder}` templates rendered per finding.

Each rule carries its own sentence (InSpec's lesson): reporters never build prose. The
placeholder syntax is deliberately tiny (no attribute access, no format specs, nothing that
could reach Python objects), and every placeholder is checked when the pack loads.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([a-z_]+)((?:\.[A-Za-z0-9_\-]+)*)\}")

#: Placeholder roots and what they mean (documented in docs/policies.md).
ROOTS = {
    "item": "the current for_each item (item.FIELD for one of its fields)",
    "source": "where the evidence came from: source.path, source.line",
    "value": "the expected value of the first condition that failed",
    "actual": "the value found by the first condition that failed",
    "path": "the selector of the first condition that failed",
    "failed": "every condition that failed, as 'field (value found)', comma-separated",
    "param": "a pack parameter: param.NAME",
    "system": "a field of govgate.yaml's system: system.name, system.risk",
    "evidence": "the evidence item: evidence.kind, evidence.subject",
    "data": "a field of the evidence data: data.FIELD.SUBFIELD",
    "age": "age of the evidence (with max_age)",
    "max_age": "the rule's max_age",
    "kind": "the evidence kind the rule reads",
    "expected_at": "where the evidence was expected (paths or collector)",
}


#: The fields of the placeholder roots that have a fixed shape (what evaluation fills in).
FIELDS = {
    "source": ("path", "line", "commit"),
    "evidence": ("kind", "subject", "digest"),
}


def placeholders(template: str) -> list[tuple[str, list[str]]]:
    """Every placeholder in a template as (root, [keys])."""
    found = []
    for match in _PLACEHOLDER.finditer(template):
        if match.group(1):
            keys = [k for k in match.group(2).split(".") if k]
            found.append((match.group(1), keys))
    return found


def check_template(
    template: str, *, params: Mapping[str, Any], has_item: bool, has_max_age: bool
) -> list[str]:
    """Problems that would leave a placeholder unresolved, as messages."""
    problems = []
    stray = _PLACEHOLDER.sub("", template)
    if "{" in stray or "}" in stray:
        problems.append("unbalanced or malformed '{...}' (write {{ or }} for a literal brace)")
    for root, keys in placeholders(template):
        if root not in ROOTS:
            problems.append(f"unknown placeholder '{{{root}}}'; known: {', '.join(sorted(ROOTS))}")
        elif root == "item" and not has_item:
            problems.append("'{item...}' needs for_each on the rule")
        elif root == "param":
            if not keys:
                problems.append("'{param}' needs a name: {param.NAME}")
            elif keys[0] not in params:
                problems.append(f"'{{param.{keys[0]}}}': the pack has no parameter '{keys[0]}'")
        elif root in ("age", "max_age") and not has_max_age:
            problems.append(f"'{{{root}}}' needs max_age on the rule")
        elif root in FIELDS and not keys:
            example = next(iter(FIELDS[root]))
            problems.append(f"'{{{root}}}' needs a field, e.g. {{{root}.{example}}}")
        elif root in FIELDS and keys[0] not in FIELDS[root]:
            known = ", ".join(f"{root}.{name}" for name in FIELDS[root])
            problems.append(f"'{{{root}.{keys[0]}}}' is never filled; known: {known}")
    return problems


def _lookup(value: Any, keys: list[str]) -> Any:
    for key in keys:
        if isinstance(value, Mapping):
            value = value.get(key)
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            return None
    return value


def _show(value: Any) -> str:
    if value is None:
        # A message reads "owner is not set", never "owner is <none>".
        return "not set"
    if value == "":
        return "empty"  # "controller.name is empty", not a sentence that stops short
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def render(
    template: str,
    values: Mapping[str, Any],
    *,
    unknown: Callable[[str, list[str]], str] | None = None,
) -> str:
    """Fill a template; an unresolvable field renders as "not set" rather than failing.

    `unknown(root, keys)` says what a placeholder whose root is not among `values` becomes
    instead (`govgate explain` names it: `<item.name>`).
    """

    def replace(match: re.Match[str]) -> str:
        text = match.group(0)
        if text == "{{":
            return "{"
        if text == "}}":
            return "}"
        root, keys = match.group(1), [k for k in match.group(2).split(".") if k]
        if root not in values:
            return unknown(root, keys) if unknown is not None else "not set"
        return _show(_lookup(values[root], keys))

    return _PLACEHOLDER.sub(replace, template)


def failed_list(failures: list[Any]) -> str:
    """Every failing condition as `field (value found)`, for the `{failed}` placeholder.

    The dotted prefix all the fields share is left out (`field_coverage.output` and
    `field_coverage.model_version` read "output (0.5), model_version (0.9)"): it names where
    the values sit in the evidence, which the message around them already says.
    """
    paths = [str(f.path) for f in failures]
    prefix = _common_prefix(paths)
    shown = []
    for failure, path in zip(failures, paths, strict=True):
        name = path[len(prefix) :].strip('"') or path
        shown.append(f"{name} ({_show(failure.actual)})")
    return ", ".join(dict.fromkeys(shown))


def _common_prefix(paths: list[str]) -> str:
    """The longest `a.b.` prefix every path starts with ("" when there is none)."""
    if not paths:
        return ""
    first = paths[0]
    cut = 0
    quoted = False
    for index, char in enumerate(first):
        quoted = not quoted if char == '"' else quoted
        # A dot inside a quoted key (`"human_review.required"`) is part of the name.
        if char == "." and not quoted and all(p.startswith(first[: index + 1]) for p in paths):
            cut = index + 1
    return first[:cut]
