"""Applicability: whether a rule or requirement applies, in three values, and why not, in words.

A `when` is decided over govgate.yaml's `system`, the pack's parameters and, for some rules,
the evidence data. A fact govgate.yaml does not declare (`system.llm` left out) is neither true
nor false: a condition that it decides is *unknown*, and the rule is not evaluated rather than
called not applicable — an undeclared fact must never make a rule disappear. The logic is
Kleene's: `all` is false as soon as one part is false (whatever the unknowns), `any` is true as
soon as one part is true, and only what the unknown could flip stays unknown.

When a condition is false, `decide` says why in the user's terms: the `reason` a pack author
wrote on the condition (or on the part of it that failed), else a sentence built from the
simple field paths and values the condition read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from govgate.core.conditions import AllOf, AnyOf, Condition, Leaf, LeafFailure, Not
from govgate.core.messages import check_template, render

#: Operators that ask whether a fact is there: their answer about an absent fact is the
#: absence itself (`annex_iii not_exists` is "no Annex III area"), never an unknown.
PRESENCE_OPERATORS = frozenset({"exists", "not_exists"})
_SIMPLE_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_LEADING_FIELDS = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


@dataclass(frozen=True)
class Decision:
    """Whether a condition holds: True, False, or None (an undeclared fact decides it)."""

    applies: bool | None
    #: Why not, in words (when `applies` is False).
    reason: str | None = None
    #: The undeclared `system.*` facts that leave it open (when `applies` is None).
    undeclared: tuple[str, ...] = ()


def decide(
    condition: Condition,
    raw: Any,
    root: Mapping[str, Any],
    *,
    values: Mapping[str, Any] | None = None,
    pack: str | None = None,
) -> Decision:
    """Decide a compiled `when` (with its `raw` YAML, which carries the reasons) on `root`.

    `values` fill the placeholders of authored reasons; `pack` names the pack whose
    parameters `params.X` are (`params.<pack>.X` in govgate.yaml). Raises ConditionEvalError
    like `Condition.evaluate`.
    """
    return _Decider(root, values or {}, pack).decide(condition, raw)


class _Decider:
    def __init__(self, root: Mapping[str, Any], values: Mapping[str, Any], pack: str | None):
        self.root = root
        self.values = values
        self.pack = pack
        #: Inside an odd number of `not`s: a part that holds makes the whole not apply.
        self.negated = False

    def decide(self, condition: Condition, raw: Any) -> Decision:
        raw = raw if isinstance(raw, Mapping) else {}
        if isinstance(condition, AnyOf):
            decision = self._any(condition, raw.get("any") or [])
        elif isinstance(condition, AllOf):
            decision = self._all(condition, raw.get("all") or [])
        elif isinstance(condition, Not):
            decision = self._not(condition, raw.get("not"))
        elif isinstance(condition, Leaf):
            decision = self._leaf(condition)
        else:  # a plugin's own condition class: two-valued, explained by its failures
            held, failures = condition.evaluate(self.root)
            decision = Decision(True) if held else Decision(False, self._phrase(failures))
        authored = raw.get("reason")
        if decision.applies is False and isinstance(authored, str):
            return Decision(False, render(authored, self.values))
        return decision

    def _all(self, condition: AllOf, raws: list[Any]) -> Decision:
        parts = [self.decide(c, _at(raws, i)) for i, c in enumerate(condition.children)]
        false = [p for p in parts if p.applies is False]
        if false:
            return false[0]
        unknown = [p for p in parts if p.applies is None]
        if unknown:
            return Decision(None, undeclared=_union(unknown))
        return Decision(True)

    def _any(self, condition: AnyOf, raws: list[Any]) -> Decision:
        parts = [self.decide(c, _at(raws, i)) for i, c in enumerate(condition.children)]
        if any(p.applies is True for p in parts):
            return Decision(True)
        unknown = [p for p in parts if p.applies is None]
        if unknown:
            return Decision(None, undeclared=_union(unknown))
        reasons = list(dict.fromkeys(p.reason for p in parts if p.reason))
        return Decision(False, _join_or(reasons))

    def _not(self, condition: Not, raw: Any) -> Decision:
        self.negated = not self.negated
        try:
            inner = self.decide(condition.child, raw)
        finally:
            self.negated = not self.negated
        if inner.applies is None:
            return inner
        if inner.applies is False:
            return Decision(True)
        paths = ", ".join(self._show_path(p) for p in condition.child.paths()[:1])
        return Decision(False, f"{paths} matches a case this rule excludes")

    def _leaf(self, leaf: Leaf) -> Decision:
        held, failures = leaf.evaluate(self.root)
        # Under an odd number of `not`s a leaf that holds makes the rule not apply: one that
        # holds only because its fact is undeclared (`annex_iii empty`) is unknown there too.
        if held and not self.negated:
            return Decision(True)
        fact = _undeclared_fact(leaf, self.root)
        if fact is not None:
            return Decision(None, undeclared=(fact,))
        if held:
            return Decision(True)
        return Decision(False, self._phrase(failures))

    def _phrase(self, failures: list[LeafFailure]) -> str:
        if not failures:
            return "its applicability condition does not hold"
        return why_not(failures[0], self._show_path)

    def _show_path(self, path: str) -> str:
        """A path as the user writes it: `params.X` is `params.<pack>.X` in govgate.yaml."""
        if path.startswith("params.") and self.pack:
            return f"params.{self.pack}.{path[len('params.') :]}"
        if path.startswith("data."):
            return path[len("data.") :]
        return path


def _at(raws: list[Any], index: int) -> Any:
    return raws[index] if index < len(raws) else None


def _union(parts: list[Decision]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(fact for p in parts for fact in p.undeclared))


def _join_or(reasons: list[str]) -> str:
    if not reasons:
        return "none of its applicability conditions holds"
    # Each reason may hold commas of its own: semicolons keep them apart.
    return "; ".join(reasons)


def _undeclared_fact(leaf: Leaf, root: Mapping[str, Any]) -> str | None:
    """`system.X` when the leaf reads a fact of govgate.yaml's `system` that is not declared
    (and is not asking whether it is); None otherwise."""
    if leaf.op in PRESENCE_OPERATORS or not leaf.path.startswith("system."):
        return None
    fact = leading_fields(leaf.path)
    value: Any = root
    for key in fact.split("."):
        value = value.get(key) if isinstance(value, Mapping) else None
    return fact if value is None else None


def why_not(failure: LeafFailure, show_path: Any = str) -> str:
    """Why one leaf did not hold, as a sentence about the value found.

    A start date (`older_than` on a date still ahead) reads "applies from DATE (PATH)".
    """
    path = show_path(failure.path)
    actual, expected, op = failure.actual, failure.expected, failure.op
    if op == "older_than" and isinstance(actual, str):
        return f"applies from {actual} ({path})"
    if op == "newer_than" and isinstance(actual, str):
        return f"{path} ({actual}) is outside the window it applies in"
    found = show_value(actual)
    phrases = {
        "eq": f"{path} is {found}, not {show_value(expected)}",
        "ne": f"{path} is {found}",
        "in": f"{path} is {found}, not {_one_of(expected)}",
        "not_in": f"{path} is {found}",
        "gt": f"{path} is {found}, not above {show_value(expected)}",
        "ge": f"{path} is {found}, below {show_value(expected)}",
        "lt": f"{path} is {found}, not below {show_value(expected)}",
        "le": f"{path} is {found}, above {show_value(expected)}",
        "exists": f"{path} is not set",
        "not_exists": f"{path} is set ({found})",
        "empty": f"{path} is not empty",
        "not_empty": f"{path} is empty",
        "contains": f"{path} does not contain {show_value(expected)}",
        "matches": f"{path} ({found}) does not match {show_value(expected)}",
    }
    if op in phrases:
        return phrases[op]
    if op == "not":
        return f"{path} matches a case this rule excludes"
    return f"{path} is {found}; applies when {op} {show_value(expected)}"


def _one_of(expected: Any) -> str:
    if isinstance(expected, (list, tuple)):
        return "one of " + ", ".join(show_value(v) for v in expected)
    return show_value(expected)


def show_value(value: Any) -> str:
    """A value as a reason quotes it: strings quoted, booleans in YAML's words, None as
    "not set", dates as dates."""
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(show_value(v) for v in value) + "]" if value else "empty"
    return str(value)


def leading_fields(path: str) -> str:
    """The plain field path an expression starts with (`activities` of
    `activities[?special_categories]`), or the whole expression when it starts otherwise."""
    match = _LEADING_FIELDS.match(path)
    return match.group(0) if match else path


def declare_hint(fact: str) -> str:
    """How to declare an undeclared `system.*` fact, with what govgate.yaml's schema says of it."""
    from govgate.support.schemas import load_schema

    node: Any = load_schema("config").get("properties", {})
    spec: Any = None
    for key in fact.split("."):
        spec = node.get(key) if isinstance(node, Mapping) else None
        node = spec.get("properties", {}) if isinstance(spec, Mapping) else None
    spec = spec if isinstance(spec, Mapping) else {}
    if spec.get("type") == "boolean" or fact.startswith("system.labels."):
        values = "true or false"
    elif "enum" in spec:
        values = "one of " + ", ".join(str(v) for v in spec["enum"])
    elif spec.get("type") == "array":
        values = "a list, empty when there is none"
    else:
        values = "its value"
    about = f" — {spec['description'].rstrip('.')}" if spec.get("description") else ""
    return f"declare {fact} in govgate.yaml ({values}){about}"


def is_simple_path(path: str) -> bool:
    """True for a plain dotted field path, the kind a generated reason can quote."""
    return bool(_SIMPLE_PATH.match(path))


def unexplained_paths(raw: Any) -> list[str]:
    """Paths of a raw `when` that a generated reason would have to quote as an expression
    (a filter, a function): each needs a `reason` on its own condition or an enclosing one."""
    if not isinstance(raw, Mapping) or isinstance(raw.get("reason"), str):
        return []
    for key in ("all", "any"):
        if key in raw:
            return [p for child in raw[key] or [] for p in unexplained_paths(child)]
    if "not" in raw:
        return unexplained_paths(raw["not"])
    path = raw.get("path")
    return [path] if isinstance(path, str) and not is_simple_path(path) else []


def reason_problems(
    raw: Any, *, params: Mapping[str, Any], pointer: str = ""
) -> list[tuple[str, str]]:
    """(JSON pointer, problem) for each `reason` in a raw `when` whose placeholders a reason
    cannot fill (reasons know the system, the parameters and the evidence data)."""
    if not isinstance(raw, Mapping):
        return []
    problems: list[tuple[str, str]] = []
    reason = raw.get("reason")
    if isinstance(reason, str):
        for problem in check_template(reason, params=params, has_item=False, has_max_age=False):
            problems.append((f"{pointer}/reason", problem))
    for key in ("all", "any"):
        for index, child in enumerate(raw.get(key) or []):
            problems.extend(
                reason_problems(child, params=params, pointer=f"{pointer}/{key}/{index}")
            )
    if "not" in raw:
        problems.extend(reason_problems(raw["not"], params=params, pointer=f"{pointer}/not"))
    return problems
