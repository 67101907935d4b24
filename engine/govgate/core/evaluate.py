"""Rule evaluation: evidence in, findings out. Never reads files, never re-collects.

The order of checks for one rule is fixed and fail-closed:
prerequisites → applicability from the system → collector failure (error) → missing evidence
(fail, naming where it was expected) → per evidence item: applicability → freshness →
for_each → assertion. Nothing in this chain can turn an unknown into a pass.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from govgate.core.applicability import decide, declare_hint, is_simple_path, leading_fields
from govgate.core.collector import EvidenceKind, glob_to_regex
from govgate.core.conditions import (
    ConditionEvalError,
    FutureDateError,
    LeafFailure,
    OperatorError,
)
from govgate.core.evidence import Evidence
from govgate.core.findings import Finding
from govgate.core.messages import failed_list, placeholders, render
from govgate.core.policy import PolicySet, Rule
from govgate.support.clock import CLOCK_SKEW_ENV, clock_skew, describe_skew, future_moment
from govgate.support.dates import format_duration, to_datetime
from govgate.support.pii import redact_text

_SIMPLE_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
#: Names a rule's selectors can always use, whatever the evidence data holds.
RESERVED_ROOTS = ("data", "system", "params", "item", "evidence")


@dataclass
class EvidenceSet:
    """What collection produced for one run: evidence by kind, and what went wrong."""

    by_kind: dict[str, list[Evidence]] = field(default_factory=dict)
    #: collector name → why it failed (every rule needing it reports `error`).
    failed_collectors: dict[str, str] = field(default_factory=dict)
    #: kind → why it cannot be produced here (collector not installed).
    unavailable_kinds: dict[str, str] = field(default_factory=dict)
    #: kind without evidence → files whose names come close to its paths (for the message).
    near_names: dict[str, list[str]] = field(default_factory=dict)

    def add(self, item: Evidence) -> None:
        self.by_kind.setdefault(item.kind, []).append(item)

    def all(self) -> list[Evidence]:
        return [item for items in self.by_kind.values() for item in items]


def _pointer_index(data: Any) -> dict[int, str]:
    """id(container) → JSON pointer, so for_each items can be located in the source file."""
    index: dict[int, str] = {}
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        value, pointer = stack.pop()
        if isinstance(value, dict):
            index.setdefault(id(value), pointer)
            for key, child in value.items():
                if isinstance(child, (dict, list)):
                    token = str(key).replace("~", "~0").replace("/", "~1")
                    stack.append((child, f"{pointer}/{token}"))
        elif isinstance(value, list):
            index.setdefault(id(value), pointer)
            for position, child in enumerate(value):
                if isinstance(child, (dict, list)):
                    stack.append((child, f"{pointer}/{position}"))
    return index


def _not_computed(root: Any, failures: list[LeafFailure]) -> tuple[str, str] | None:
    """(path, reason) when a failing leaf found nothing at a path the collector declared in
    its data's `not_computed` (path -> why), else None. A `for_each` element's own
    `not_computed` (merged into `root`) is the nearer declaration and replaces the data's."""
    declared = root.get("not_computed") if isinstance(root, dict) else None
    if not isinstance(declared, dict) or not declared:
        return None
    for failure in failures:
        if failure.actual is None and failure.path in declared:
            return failure.path, str(declared[failure.path])
    return None


def _line_for(evidence: Evidence, pointer: str | None) -> int | None:
    if pointer is not None and evidence.locations:
        probe = pointer
        while True:
            if probe in evidence.locations:
                return evidence.locations[probe]
            if not probe:
                break
            probe = probe.rsplit("/", 1)[0]
    return evidence.source.line


def _label(item: Any, index: int, rule: Rule) -> str:
    if rule.item_label is not None:
        try:
            label = rule.item_label.search(
                item if not isinstance(item, dict) else {**item, "item": item}
            )
        except ConditionEvalError:
            label = None  # fall back to the default label rather than lose the finding
        if label is not None:
            return str(label)
    if isinstance(item, dict):
        for key in ("id", "name", "key", "decision_type", "path", "title"):
            value = item.get(key)
            if isinstance(value, (str, int)) and not isinstance(value, bool):
                return str(value)
    elif isinstance(item, (str, int, float)) and not isinstance(item, bool):
        return str(item)
    return f"#{index}"


class Evaluator:
    """Evaluates every rule of a PolicySet against an EvidenceSet."""

    def __init__(
        self,
        policy_set: PolicySet,
        evidence: EvidenceSet,
        system: Mapping[str, Any],
        now: datetime,
        *,
        skew: timedelta | None = None,
    ) -> None:
        self.policy_set = policy_set
        self.evidence = evidence
        self.system = dict(system)
        self.now = now
        #: How far after `now` evidence may be dated (govgate.support.clock).
        self.skew = clock_skew() if skew is None else skew
        self.findings_by_rule: dict[str, list[Finding]] = {}

    # -- public ---------------------------------------------------------------------------
    def run(self) -> list[Finding]:
        findings: list[Finding] = []
        for rule_id in self.policy_set.order:
            rule = self.policy_set.rules[rule_id]
            produced = self.evaluate_rule(rule)
            self.findings_by_rule[rule_id] = produced
            findings.extend(produced)
        return findings

    def evaluate_rule(self, rule: Rule) -> list[Finding]:
        params = self.policy_set.params.get(rule.pack, {})
        base = {"system": self.system, "params": params}
        blocked = self._prerequisites(rule)
        if blocked is not None:
            return [blocked]
        if rule.when is not None and not rule.when_needs_evidence:
            decided = self._applicability(rule, base, None)
            if decided is not None:
                return [decided]
        kind = rule.evidence.kind
        declared = self.policy_set.kinds.get(kind)
        collector = declared.collector if declared else "?"
        if collector in self.evidence.failed_collectors:
            reason = self.evidence.failed_collectors[collector]
            return [
                self._finding(
                    rule,
                    "error",
                    f"collector '{collector}' failed, so {kind} evidence "
                    f"could not be read: {reason}",
                    remediation="fix the collector error above and run again",
                )
            ]
        if kind in self.evidence.unavailable_kinds:
            hint = declared.install_hint if declared and declared.install_hint else None
            return [
                self._finding(
                    rule,
                    "fail",
                    self.evidence.unavailable_kinds[kind],
                    remediation=hint or f"install a plugin that provides collector '{collector}'",
                )
            ]
        try:
            items, judged = self._select(rule)
        except OperatorError as exc:  # a broken operator in `where` drops no item silently
            return [self._finding(rule, "error", f"cannot evaluate where: {exc}")]
        if not items and not judged:
            authored = self._none_selected_by_where(rule)
            if rule.on_missing == "not_applicable":
                reason = authored or f"no {kind} evidence at {_expected_at(kind, declared)}"
                return [
                    self._finding(
                        rule, "not_applicable", f"not applicable: {reason}", reason=reason
                    )
                ]
            missing = _missing_message(kind, declared, self.evidence.near_names.get(kind, []))
            if authored and self.evidence.by_kind.get(kind):
                # The collector produced evidence, but none the rule reads: "produced no X"
                # would be false; the rule's own sentence says what is not there.
                missing = f"missing evidence: {authored}"
            return [
                self._finding(
                    rule,
                    "fail",
                    missing,
                    remediation=self._render_remediation(rule, None, {}),
                )
            ]
        findings = list(judged)
        for item in items:
            findings.extend(self._evaluate_item(rule, item, params))
        return findings

    # -- steps ----------------------------------------------------------------------------
    def _prerequisites(self, rule: Rule) -> Finding | None:
        for dep in rule.depends_on:
            statuses = {f.status for f in self.findings_by_rule.get(dep, [])}
            if not statuses or statuses == {"pass"}:
                continue
            if statuses == {"not_applicable"}:
                # The prerequisite's own reason is this rule's: "prerequisite X is not
                # applicable" alone would send the reader looking for it.
                theirs = next(
                    (f.reason for f in self.findings_by_rule.get(dep, []) if f.reason), None
                )
                reason = f"{dep} does not apply" + (f": {theirs}" if theirs else "")
                return self._finding(
                    rule, "not_applicable", f"not applicable: {reason}", reason=reason
                )
            worst = next(
                s for s in ("error", "fail", "waived", "skipped", "not_applicable") if s in statuses
            )
            return self._finding(
                rule,
                "skipped",
                f"skipped: prerequisite {dep} did not pass ({worst})",
                remediation=f"make {dep} pass: {rule.id} is judged only once it does",
            )
        return None

    def _applicability(self, rule: Rule, root: Any, item: Evidence | None) -> Finding | None:
        """The finding that ends a rule whose `when` does not hold (not_applicable, with its
        reason) or depends on a fact govgate.yaml does not declare (error); None if it applies."""
        assert rule.when is not None
        try:
            decision = decide(
                rule.when,
                rule.raw.get("when"),
                root,
                values=self._values(rule, item, None, None, None),
                pack=rule.pack,
            )
        except ConditionEvalError as exc:
            return self._finding(rule, "error", f"cannot evaluate when: {exc}", evidence=item)
        if decision.applies is None:
            facts = ", ".join(decision.undeclared)
            return self._finding(
                rule,
                "error",
                f"cannot tell whether {rule.id} applies: govgate.yaml does not declare {facts}",
                evidence=item,
                remediation="; ".join(declare_hint(fact) for fact in decision.undeclared),
            )
        if decision.applies:
            return None
        reason = decision.reason or "its applicability condition does not hold"
        return self._finding(
            rule, "not_applicable", f"not applicable: {reason}", evidence=item, reason=reason
        )

    def _none_selected(self, rule: Rule, item: Evidence) -> str:
        """Why a rule whose for_each selected nothing does not apply, in the user's terms."""
        authored = rule.raw.get("none_selected")
        if isinstance(authored, str):
            return render(authored, self._values(rule, item, None, None, None))
        assert rule.for_each_text is not None
        path = rule.for_each_text
        if is_simple_path(path):
            if path.startswith("system."):
                return f"govgate.yaml lists no {path}"
            if path.startswith("params."):
                return f"the parameter params.{rule.pack}.{path[len('params.') :]} is empty"
            return f"{item.subject} lists no {path.removeprefix('data.')}"
        return f"nothing in {item.subject} matches the rule's selection ({rule.for_each_text})"

    def _none_selected_by_where(self, rule: Rule) -> str | None:
        """The rule's `none_selected` sentence when its evidence `where` (not a for_each)
        is what it explains: there is no item to name, only govgate.yaml and the params."""
        authored = rule.raw.get("none_selected")
        if rule.evidence.where is None or rule.for_each is not None:
            return None
        if not isinstance(authored, str):
            return None
        return render(authored, self._values(rule, None, None, None, None))

    def _nothing_to_check(self, rule: Rule, item: Evidence) -> Finding:
        """A for_each whose list is not there at all: the file (or govgate.yaml) lacks it."""
        assert rule.for_each_text is not None
        lead = leading_fields(rule.for_each_text)
        if lead.startswith("system."):
            message = f"govgate.yaml declares no {lead}, so there is nothing to check {rule.id} on"
            remediation = f"declare {lead} in govgate.yaml"
        else:
            shown = lead.removeprefix("data.")
            message = f"{item.subject} has no {shown}"
            values = self._values(rule, item, None, None, None)
            if {root for root, _ in placeholders(rule.remediation)} <= set(values):
                remediation = render(rule.remediation, values)
            else:  # the rule's own sentence speaks of an item, and there is none
                remediation = f"add {shown} to {item.subject} (`govgate explain {rule.id}`)"
        return self._finding(rule, "fail", message, evidence=item, remediation=remediation)

    def _select(self, rule: Rule) -> tuple[list[Evidence], list[Finding]]:
        """The items the rule checks, and a finding for each item its `where` cannot judge:
        an unreadable file, or a value of the wrong type (`risk_score: "9"` under `gt 5`).
        Neither is ever dropped."""
        items = list(self.evidence.by_kind.get(rule.evidence.kind, []))
        if rule.evidence.subject:
            regex = glob_to_regex(rule.evidence.subject)
            items = [e for e in items if regex.match(e.subject)]
        judged: list[Finding] = []
        if rule.evidence.where is not None:
            kept = []
            for item in items:
                try:
                    held, failed = rule.evidence.where.evaluate(self._root(item, None, rule))
                except OperatorError:
                    raise
                except ConditionEvalError as exc:
                    if item.problem is not None:
                        judged.append(self._unreadable(rule, item))
                        continue
                    where = item.source.path or item.subject
                    judged.append(
                        self._finding(
                            rule,
                            "error",
                            f"cannot evaluate where on {where}: {exc}",
                            evidence=item,
                            remediation=f"write the value in {where} as the type `where` "
                            "compares (a number without quotes, true or false), or fix the "
                            f"rule's `where` (`govgate explain {rule.id}`)",
                        )
                    )
                    continue
                if held:
                    kept.append(item)
                elif item.problem is not None and (
                    not failed or any(leaf.actual is None for leaf in failed)
                ):
                    # A file that could not be read lacks the values `where` reads: dropping
                    # it would leave "missing evidence", or let an older item speak for it.
                    judged.append(self._unreadable(rule, item))
            items = kept
        return items, judged

    def _unreadable(self, rule: Rule, item: Evidence) -> Finding:
        return self._finding(
            rule,
            "fail",
            f"{item.subject}: could not be read, so `where` cannot tell whether this rule "
            f"checks it: {item.problem}",
            evidence=item,
            remediation="fix the file so it matches the documented format",
        )

    def _root(self, item: Evidence, element: Any, rule: Rule, has_element: bool = False) -> Any:
        data = item.data
        root: dict[str, Any] = dict(data) if isinstance(data, dict) else {}
        if has_element and isinstance(element, dict):
            root.update(element)
        root.update(
            data=data,
            system=self.system,
            params=self.policy_set.params.get(rule.pack, {}),
            evidence={
                "kind": item.kind,
                "subject": item.subject,
                "source": item.source.to_json(),
                "collected_at": item.collected_at,
                "dated": item.dated,
            },
        )
        if has_element:
            root["item"] = element
        return root

    def _evaluate_item(
        self, rule: Rule, item: Evidence, params: Mapping[str, Any]
    ) -> list[Finding]:
        root = self._root(item, None, rule)
        decided = self._item_gate(rule, item, root)
        if decided is not None:
            return [decided]
        if rule.for_each is None:
            return [self._assert(rule, item, root, element=None, label=None, pointer=None)]
        return self._for_each(rule, item, root)

    def _item_gate(self, rule: Rule, item: Evidence, root: Any) -> Finding | None:
        """The finding that ends an item before its assertion: unusable, not applicable, stale."""
        if item.problem is not None:
            return self._finding(
                rule,
                "fail",
                f"{item.subject}: {item.problem}",
                evidence=item,
                remediation=self._problem_remediation(rule, item),
            )
        if rule.when is not None and rule.when_needs_evidence:
            decided = self._applicability(rule, root, item)
            if decided is not None:
                return decided
        if rule.max_age is not None:
            return self._staleness(rule, item)
        return None

    def _problem_remediation(self, rule: Rule, item: Evidence) -> str:
        """What to do about an unusable item: its file's format, its file's reading, or (no
        file: a repository that is not one) the rule's own remediation."""
        path = item.source.path
        if path is None:
            return self._render_remediation(rule, None, {})
        if (item.problem or "").startswith("cannot"):  # "cannot read ...": not its format
            return f"make {path} a readable regular file inside the repository"
        return f"fix {path} so it matches the documented format (`govgate explain {rule.id}`)"

    def _for_each(self, rule: Rule, item: Evidence, root: Any) -> list[Finding]:
        """One finding per element `for_each` selects (or one saying why there are none)."""
        assert rule.for_each is not None
        try:
            elements = rule.for_each.search(root)
        except Exception as exc:  # a JMESPath runtime type error on odd data
            return [self._finding(rule, "error", f"for_each failed: {exc}", evidence=item)]
        if elements is None:
            return [self._nothing_to_check(rule, item)]
        if not isinstance(elements, list):
            return [
                self._finding(
                    rule,
                    "error",
                    f"for_each '{rule.for_each_text}' did not select a list",
                    evidence=item,
                )
            ]
        if not elements:
            reason = self._none_selected(rule, item)
            return [
                self._finding(
                    rule,
                    "not_applicable",
                    f"not applicable: {reason}",
                    evidence=item,
                    reason=reason,
                )
            ]
        pointers = _pointer_index(item.data) if item.locations else {}
        return [
            self._assert(
                rule,
                item,
                self._root(item, element, rule, has_element=True),
                element=element,
                label=_label(element, index, rule),
                pointer=pointers.get(id(element)),
            )
            for index, element in enumerate(elements)
        ]

    def _staleness(self, rule: Rule, item: Evidence) -> Finding | None:
        if item.dated is None:
            # Without a date of its own, the only age is the collection time, which is "now"
            # (or the cache entry's, collected again whenever older): max_age would always
            # pass. Undated evidence cannot show it is fresh, so the rule is not evaluated.
            return self._finding(
                rule,
                "error",
                f"cannot evaluate max_age {rule.max_age_text}: {item.subject} ({item.kind} "
                f"from collector '{item.collector}') carries no date of its own; assert on "
                "a date field with newer_than instead, or record the date in the file",
                evidence=item,
            )
        stamp = item.dated
        try:
            moment = to_datetime(stamp)
        except ValueError:
            return self._finding(
                rule,
                "fail",
                f"{item.subject}: evidence date {stamp!r} is not a date, so its age is unknown",
                evidence=item,
            )
        if future_moment(stamp, self.now, self.skew) is not None:
            return self._future_date(rule, item, "its date", stamp, item.source.line, None)
        age = self.now - moment
        assert rule.max_age is not None
        if age > rule.max_age:
            values = self._values(rule, item, None, None, None)
            values.update(age=format_duration(age), max_age=rule.max_age_text)
            return self._finding(
                rule,
                "fail",
                f"stale evidence: {item.subject} is {format_duration(age)} old "
                f"(dated {moment.date().isoformat()}; max_age {rule.max_age_text})",
                evidence=item,
                remediation=render(rule.remediation, values),
            )
        return None

    def _assert(
        self,
        rule: Rule,
        item: Evidence,
        root: Any,
        *,
        element: Any,
        label: str | None,
        pointer: str | None,
    ) -> Finding:
        try:
            held, failures = rule.assertion.evaluate(root)
        except FutureDateError as exc:
            failed = LeafFailure(exc.path, "newer_than", None, exc.value)
            line = _line_for(item, _failure_pointer(pointer, failed))
            return self._future_date(rule, item, exc.path, exc.value, line, label)
        except ConditionEvalError as exc:
            # The line of the field that could not be judged (`enabled: yes`), when known.
            read = LeafFailure(exc.field, "", None, None) if exc.field else None
            return self._finding(
                rule,
                "error",
                f"cannot evaluate: {exc}",
                evidence=item,
                item=label,
                line=_line_for(item, _failure_pointer(pointer, read)),
            )
        first = failures[0] if failures else None
        uncomputed = _not_computed(root, failures) if not held else None
        if uncomputed is not None:
            # The collector said it could not compute this field (a Parquet log has no line
            # bytes to chain): the rule is unevaluated, not failed, and never passed.
            path, reason = uncomputed
            return self._finding(
                rule,
                "error",
                f"cannot evaluate: {path} was not computed by collector "
                f"'{item.collector}': {reason}",
                evidence=item,
                item=label,
                line=_line_for(item, pointer),
            )
        values = self._values(rule, item, element, first, label)
        values["failed"] = failed_list(failures)
        line = _line_for(item, _failure_pointer(pointer, first))
        if held:
            title = rule.title or self.policy_set.controls[rule.control].title
            return self._finding(
                rule, "pass", title, evidence=item, item=label, line=line, remediation=None
            )
        return self._finding(
            rule,
            "fail",
            render(rule.message, values),
            evidence=item,
            item=label,
            line=line,
            remediation=render(rule.remediation, values),
        )

    def _future_date(
        self,
        rule: Rule,
        item: Evidence,
        what: str,
        value: Any,
        line: int | None,
        label: str | None,
    ) -> Finding:
        """`error` for evidence dated after now: such a date never shows that it is fresh."""
        path = item.source.path
        where = f"{path}:{line}" if path and line else path or item.subject
        return self._finding(
            rule,
            "error",
            f"{where}: {what} is {value}, a date in the future (now is "
            f"{self.now:%Y-%m-%d %H:%M} UTC); a date after now cannot show that evidence is "
            "fresh",
            evidence=item,
            item=label,
            line=line,
            remediation=(
                f"correct {what} in {where} to when the evidence was really produced (dates up "
                f"to {describe_skew(self.skew)} ahead are accepted as clock skew; "
                f"{CLOCK_SKEW_ENV} sets that tolerance)"
            ),
        )

    # -- helpers --------------------------------------------------------------------------
    def _values(
        self,
        rule: Rule,
        item: Evidence | None,
        element: Any,
        failure: LeafFailure | None,
        label: str | None,
    ) -> dict[str, Any]:
        declared = self.policy_set.kinds.get(rule.evidence.kind)
        values: dict[str, Any] = {
            "param": self.policy_set.params.get(rule.pack, {}),
            "system": self.system,
            "kind": rule.evidence.kind,
            "expected_at": _expected_at(rule.evidence.kind, declared),
        }
        if item is not None:
            values.update(
                source=item.source.to_json(),
                evidence={"kind": item.kind, "subject": item.subject, "digest": item.digest},
                data=item.data,
            )
        if element is not None:
            values["item"] = element
        if failure is not None:
            values.update(value=failure.expected, actual=failure.actual, path=failure.path)
        return values

    def _render_remediation(self, rule: Rule, item: Evidence | None, extra: dict[str, Any]) -> str:
        values = self._values(rule, item, None, None, None)
        values.update(extra)
        missing = {root for root, _ in placeholders(rule.remediation)} - set(values)
        if not missing:
            return render(rule.remediation, values)
        # The rule's own sentence talks about an item or value that does not exist here: say
        # what to do instead of printing "<none>".
        if item is None:
            declared = self.policy_set.kinds.get(rule.evidence.kind)
            what = " ".join(declared.description.split()) if declared else ""
            where = values["expected_at"]
            return f"create {where}" + (f" ({_first_clause(what)})" if what else "")
        return f"fix {item.subject} as `govgate explain {rule.id}` describes"

    def _finding(
        self,
        rule: Rule,
        status: str,
        message: str,
        *,
        evidence: Evidence | None = None,
        item: str | None = None,
        line: int | None = None,
        remediation: str | None = "",
        reason: str | None = None,
    ) -> Finding:
        if remediation == "":
            remediation = (
                self._render_remediation(rule, evidence, {})
                if status in ("fail", "error")
                else None
            )
        location = None
        if evidence is not None and evidence.source.path:
            location = {"path": evidence.source.path, "line": line or evidence.source.line}
        elif status == "fail" and evidence is None:
            declared = self.policy_set.kinds.get(rule.evidence.kind)
            if (
                declared is not None
                and declared.paths
                and not any(ch in declared.paths[0] for ch in "*?[")
            ):
                location = {"path": declared.paths[0], "line": None}
        if item is None and evidence is not None:
            item = evidence.subject
        # Messages quote govgate.yaml's `system` and parameters as well as evidence: redacted
        # here, where every finding is made, so nothing personal reaches a report.
        return Finding(
            rule=rule.id,
            status=status,
            severity=rule.severity,
            control=rule.control,
            requirements=self.policy_set.requirements_of_rule(rule),
            message=redact_text(message),
            remediation=redact_text(remediation) if remediation else remediation,
            pack=rule.pack,
            location=location,
            evidence=[evidence.reference()] if evidence is not None else [],
            item=redact_text(item) if item else item,
            reason=redact_text(reason) if reason else reason,
        )


def _failure_pointer(item_pointer: str | None, failure: LeafFailure | None) -> str | None:
    """JSON pointer of the field a failed leaf read, when the selector is a plain field path."""
    if failure is None or not _SIMPLE_PATH.match(failure.path):
        return item_pointer
    parts = failure.path.split(".")
    if parts[0] in RESERVED_ROOTS:
        if parts[0] != "data":
            return item_pointer
        return "/" + "/".join(parts[1:]) if len(parts) > 1 else ""
    return (item_pointer or "") + "/" + "/".join(parts)


def _first_clause(text: str) -> str:
    """The first sentence of a kind's description, without its full stop: a full stop inside
    brackets ("(EU AI Act Art. 17)") ends no sentence."""
    depth = 0
    for index, char in enumerate(text):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth = max(0, depth - 1)
        elif char == "." and depth == 0 and text[index + 1 : index + 2] in (" ", ""):
            return text[:index]
    return text


def _expected_at(kind: str, declared: EvidenceKind | None) -> str:
    if declared is None:
        return f"a collector for {kind}"
    if declared.paths:
        return ", ".join(declared.paths)
    return f"the {declared.collector} collector"


def _missing_message(kind: str, declared: EvidenceKind | None, near: list[str]) -> str:
    if declared is not None and declared.paths:
        where = ", ".join(declared.paths)
        if near:
            # A file is there under a name close to the expected one: say which, and both fixes.
            return (
                f"missing evidence: no {kind} found at {where}; found {', '.join(near)} — "
                f"rename it, or set evidence.{kind}: {near[0]} in govgate.yaml "
                f"(collector '{declared.collector}')"
            )
        return (
            f"missing evidence: no {kind} found at {where} "
            f"(collector '{declared.collector}'; set evidence.{kind} in govgate.yaml "
            "if it lives elsewhere)"
        )
    collector = declared.collector if declared else "?"
    return f"missing evidence: collector '{collector}' produced no {kind}"
