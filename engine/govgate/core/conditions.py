"""The condition language of rules: JMESPath selectors, operators, and all/any/not.

A condition is compiled (selectors parsed, `{param: X}` values substituted, durations parsed,
regexes checked) and then evaluated against many evidence items. The run's `now` is not part of
the compiled form: conditions read it from the run's `Clock` when they are evaluated, so a
compiled condition can be kept from one run to the next. Evaluation returns whether it held
and, when it did not, which leaves failed with the actual values, so messages can say exactly
what was wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import jmespath
import jmespath.exceptions
import jmespath.functions

from govgate.support.clock import clock_skew, future_moment
from govgate.support.dates import parse_duration, to_datetime
from govgate.support.errors import describe_exception, is_real_interrupt
from govgate.support.suggest import did_you_mean

Operator = Callable[[Any, Any], bool]

#: Regexes from policies run with a time limit as well as the static check below.
REGEX_TIMEOUT_SECONDS = 0.25


class ConditionCompileError(ValueError):
    """A condition that cannot be compiled; `pointer` is relative to the condition."""

    def __init__(self, message: str, pointer: str = "") -> None:
        super().__init__(message)
        self.pointer = pointer


class ConditionEvalError(Exception):
    """A condition that could not be evaluated on this data (type mismatch, bad date...).
    `field`: the path the failing leaf read, when one leaf failed (for its line)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class OperatorError(ConditionEvalError):
    """An operator broke its contract: it raised something other than TypeError, ValueError
    or KeyError, or returned something other than True or False. Never read as a verdict,
    not even by a `where` filter: the rule reports `error` naming the operator."""


class FutureDateError(ConditionEvalError):
    """A freshness condition in an assert met a date after now: it never shows freshness."""

    def __init__(self, path: str, value: Any, moment: datetime) -> None:
        super().__init__(f"{path}: {value} lies in the future")
        self.path = path
        self.value = value
        self.moment = moment


@dataclass(frozen=True)
class LeafFailure:
    """One leaf that did not hold: what was tested, expected and found."""

    path: str
    op: str
    expected: Any
    actual: Any


def _compare(name: str, fn: Callable[[Any, Any], bool]) -> Operator:
    def operator(actual: Any, expected: Any) -> bool:
        if actual is None:
            return False
        if isinstance(actual, bool) != isinstance(expected, bool):
            raise TypeError(f"cannot compare {actual!r} with {expected!r}")
        if isinstance(expected, datetime) or isinstance(actual, datetime):
            return fn(to_datetime(actual), to_datetime(expected))
        try:
            return fn(actual, expected)
        except TypeError:
            raise TypeError(f"cannot compare {actual!r} with {expected!r} using {name}") from None

    return operator


def _length(actual: Any) -> int | None:
    if actual is None:
        return None
    if isinstance(actual, (str, list, dict)):
        return len(actual)
    raise TypeError(f"{actual!r} has no length")


def _len_op(fn: Callable[[int, int], bool]) -> Operator:
    def operator(actual: Any, expected: Any) -> bool:
        size = _length(actual)
        return size is not None and fn(size, expected)

    return operator


def _in(actual: Any, expected: Any) -> bool:
    if not isinstance(expected, list):
        raise TypeError(f"'in' needs a list value, got {expected!r}")
    return actual in expected


def _not_in(actual: Any, expected: Any) -> bool:
    if not isinstance(expected, list):
        raise TypeError(f"'not_in' needs a list value, got {expected!r}")
    return actual is not None and actual not in expected


def _contains(actual: Any, expected: Any) -> bool:
    if actual is None:
        return False
    if isinstance(actual, str):
        return isinstance(expected, str) and expected in actual
    if isinstance(actual, (list, dict)):
        return expected in actual
    raise TypeError(f"'contains' needs a list, object or string, got {actual!r}")


def _matches(actual: Any, expected: Any) -> bool:
    if actual is None:
        return False
    if not isinstance(actual, (str, int, float)):
        raise TypeError(f"'matches' needs a string, got {type(actual).__name__}")
    try:
        return expected.search(str(actual), timeout=REGEX_TIMEOUT_SECONDS) is not None
    except TimeoutError:
        raise ValueError("regular expression took too long on this value") from None


def _empty(actual: Any, _expected: Any) -> bool:
    return actual is None or (isinstance(actual, (str, list, dict)) and len(actual) == 0)


def _within(actual: Any, expected: Any) -> bool:
    if actual is None:
        return False
    low, high = expected
    if isinstance(low, datetime):
        moment = to_datetime(actual)
        return bool(low <= moment <= high)
    return bool(low <= actual <= high)


def _older_than(actual: Any, cutoff: Any) -> bool:
    if actual is None or actual == "":  # an empty date is one not filled in yet: no date
        return False
    return bool(to_datetime(actual) < cutoff)


def _newer_than(actual: Any, cutoff: Any) -> bool:
    if actual is None or actual == "":
        return False
    return bool(to_datetime(actual) >= cutoff)


#: Words YAML 1.1 read as booleans. Read as written (YAML 1.2), they are text, and comparing
#: one with a boolean is no verdict: `profiling: yes` must not pass `profiling ne true`.
_YES_NO = frozenset({"yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF"})


def _equal(actual: Any, expected: Any) -> bool:
    if isinstance(expected, bool) and isinstance(actual, str) and actual in _YES_NO:
        meant = "true" if actual.lower() in ("yes", "on") else "false"
        raise TypeError(f"'{actual}' is text, not a boolean; write {meant}")
    return bool(actual == expected and isinstance(actual, bool) == isinstance(expected, bool))


BUILTIN_OPERATORS: dict[str, Operator] = {
    "eq": _equal,
    "ne": lambda a, e: not _equal(a, e),
    "lt": _compare("lt", lambda a, e: a < e),
    "le": _compare("le", lambda a, e: a <= e),
    "gt": _compare("gt", lambda a, e: a > e),
    "ge": _compare("ge", lambda a, e: a >= e),
    "in": _in,
    "not_in": _not_in,
    "contains": _contains,
    "matches": _matches,
    "exists": lambda a, _e: a is not None,
    "not_exists": lambda a, _e: a is None,
    "empty": _empty,
    "not_empty": lambda a, e: not _empty(a, e),
    "len_eq": _len_op(lambda n, e: n == e),
    "len_ge": _len_op(lambda n, e: n >= e),
    "len_le": _len_op(lambda n, e: n <= e),
    "within": _within,
    "older_than": _older_than,
    "newer_than": _newer_than,
}

#: Operators that take no `value`.
UNARY_OPERATORS = frozenset({"exists", "not_exists", "empty", "not_empty"})
#: Operators that say how recent a date is: in an assert, a date after now (beyond the clock
#: skew, govgate.support.clock) is an error rather than the freshest date of all.
FRESHNESS_OPERATORS = frozenset({"newer_than", "within"})
_DURATION_OPERATORS = frozenset({"older_than", "newer_than"})
_INTEGER_OPERATORS = frozenset({"len_eq", "len_ge", "len_le"})


def regex_safety_problem(pattern: str) -> str | None:
    """Why a regex could backtrack catastrophically (nested unbounded repeats), or None."""
    try:
        import re._parser as sre_parse
    except ImportError:  # pragma: no cover - Python < 3.11
        import sre_parse

    try:
        parsed = sre_parse.parse(pattern)
    except re.error as exc:
        return f"invalid regular expression: {exc}"
    repeat_codes = {sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT}
    possessive = getattr(sre_parse, "POSSESSIVE_REPEAT", None)
    if possessive is not None:
        repeat_codes.add(possessive)

    def walk(items: Any, inside_repeat: bool) -> str | None:
        for code, arg in items:
            if code in repeat_codes:
                _low, high, body = arg
                unbounded = high == sre_parse.MAXREPEAT or high > 100
                if unbounded and inside_repeat:
                    return "nested repetition such as (a+)+ can backtrack catastrophically"
                problem = walk(body, inside_repeat or unbounded)
                if problem:
                    return problem
            elif code == sre_parse.SUBPATTERN:
                problem = walk(arg[-1], inside_repeat)
                if problem:
                    return problem
            elif code == sre_parse.BRANCH:
                for branch in arg[1]:
                    problem = walk(branch, inside_repeat)
                    if problem:
                        return problem
        return None

    return walk(parsed, False)


@dataclass
class Clock:
    """The run's `now` and clock skew, read by conditions when they are evaluated (never baked
    into a compiled condition: a compiled policy set is reused by later runs)."""

    now: datetime
    #: How far after `now` a date may lie before freshness conditions refuse it.
    skew: timedelta = field(default_factory=clock_skew)


@dataclass
class _Cutoff:
    """A duration operator's value (`older_than 90d`): the moment that long before the run's
    now, worked out when the condition is evaluated."""

    duration: timedelta
    clock: Clock

    def moment(self) -> datetime:
        return self.clock.now - self.duration


class GovgateFunctions(jmespath.functions.Functions):
    """JMESPath functions govgate adds for compliance questions about time and sets.

    `days_between(a, b)` and `hours_between(a, b)`: b − a (dates or timestamps; negative when b
    is earlier); `age_days(a)`: days from `a` to the run's now; `unique(list)`: the list without
    repeats (keeps order); `lower(s)`: lower case. A value that is not a date raises, and the
    rule reports `error` rather than guessing.
    """

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock = clock

    @jmespath.functions.signature({"types": ["string"]}, {"types": ["string"]})
    def _func_days_between(self, start: str, end: str) -> float:
        return (to_datetime(end) - to_datetime(start)).total_seconds() / 86400

    @jmespath.functions.signature({"types": ["string"]}, {"types": ["string"]})
    def _func_hours_between(self, start: str, end: str) -> float:
        return (to_datetime(end) - to_datetime(start)).total_seconds() / 3600

    @jmespath.functions.signature({"types": ["string"]})
    def _func_age_days(self, moment: str) -> float:
        return (self.clock.now - to_datetime(moment)).total_seconds() / 86400

    @jmespath.functions.signature({"types": ["array"]})
    def _func_unique(self, values: list[Any]) -> list[Any]:
        seen: list[Any] = []
        for value in values:
            if value not in seen:
                seen.append(value)
        return seen

    @jmespath.functions.signature({"types": ["string"]})
    def _func_lower(self, text: str) -> str:
        return text.lower()


class Selector:
    """A compiled JMESPath expression bound to the run's functions (and its clock)."""

    def __init__(self, expression: str, options: Any) -> None:
        self.text = expression
        self.parsed = jmespath.compile(expression)
        self.options = options

    def search(self, data: Any) -> Any:
        try:
            return self.parsed.search(data, options=self.options)
        except (jmespath.exceptions.JMESPathError, ValueError, TypeError) as exc:
            reason = str(exc).splitlines()[0]
            raise ConditionEvalError(f"{self.text}: {reason}") from None


@dataclass
class Env:
    """What conditions are compiled against: a pack's parameters and the operators; `now` and
    the clock skew go into `clock`, which the compiled conditions read when evaluated."""

    params: Mapping[str, Any]
    now: datetime
    operators: Mapping[str, Operator]
    options: Any = None
    #: How far after `now` a date may lie before freshness conditions refuse it.
    clock_skew: timedelta = field(default_factory=clock_skew)
    clock: Clock | None = None

    def __post_init__(self) -> None:
        if self.clock is None:
            self.clock = Clock(self.now, self.clock_skew)
        if self.options is None:
            self.options = jmespath.Options(custom_functions=GovgateFunctions(self.clock))

    @property
    def run_clock(self) -> Clock:
        assert self.clock is not None  # set by __post_init__
        return self.clock


class Condition:
    """Base of compiled conditions."""

    def evaluate(self, root: Any) -> tuple[bool, list[LeafFailure]]:
        raise NotImplementedError

    def paths(self) -> list[str]:
        """Every selector the condition reads (to tell system-only `when`s apart)."""
        raise NotImplementedError


@dataclass
class _Ref:
    """A value read from the data at evaluation time (`value: {path: EXPR}`)."""

    expression: Any
    text: str


#: Operators that speak of absence (`empty` is "null or empty"): in an assert they still see
#: a missing value; every other operator fails on one there.
ABSENCE_OPERATORS = frozenset({"exists", "not_exists", "empty", "not_empty"})


class Leaf(Condition):
    def __init__(
        self,
        path: str,
        op: str,
        expected: Any,
        fn: Operator,
        selector: Selector,
        strict: bool = False,
    ) -> None:
        self.path = path
        self.op = op
        self.expected = expected
        self.fn = fn
        self.selector = selector
        #: In an assert a path that finds nothing fails whatever the operator (bar those of
        #: ABSENCE_OPERATORS): `kill_swich.enabled ne false` must not pass because of a typo.
        self.strict = strict and op not in ABSENCE_OPERATORS
        #: The run's clock for a freshness operator in an assert: later dates are refused.
        self.refuse_after: Clock | None = None

    def finds_nothing(self, root: Any) -> bool:
        return self.strict and self.selector.search(root) is None

    def evaluate(self, root: Any) -> tuple[bool, list[LeafFailure]]:
        actual = self.selector.search(root)
        expected = self.expected
        if isinstance(expected, _Ref):
            expected = expected.expression.search(root)
        elif isinstance(expected, _Cutoff):
            expected = expected.moment()
        if actual is None and self.strict:
            # What was expected still goes into the failure: "x is not set; expected 1".
            return False, [LeafFailure(self.path, self.op, _shown(expected), None)]
        if self.refuse_after is not None:
            clock = self.refuse_after
            moment = future_moment(actual, clock.now, clock.skew)
            if moment is not None:
                raise FutureDateError(self.path, actual, moment)
        held = self._call(actual, expected)
        if held:
            return True, []
        return False, [LeafFailure(self.path, self.op, _shown(expected), actual)]

    def _call(self, actual: Any, expected: Any) -> bool:
        """The operator's verdict, which must be True or False: `bool()` of what a plugin's
        operator returns would make "false", NotImplemented or a 1 pass a rule."""
        try:
            held = self.fn(actual, expected)
        except (TypeError, ValueError, KeyError) as exc:
            raise ConditionEvalError(f"{self.path} {self.op}: {exc}", self.path) from None
        except BaseException as exc:  # SystemExit and the like too: an operator never exits
            if is_real_interrupt(exc):
                raise
            raise OperatorError(
                f"{self.path} {self.op}: operator '{self.op}' raised {describe_exception(exc)}"
            ) from None
        if held is not True and held is not False:
            raise OperatorError(
                f"{self.path} {self.op}: operator '{self.op}' returned {_short_repr(held)} "
                f"({type(held).__name__}), not True or False; an operator must return a bool"
            )
        return held

    def paths(self) -> list[str]:
        extra = [self.expected.text] if isinstance(self.expected, _Ref) else []
        return [self.path, *extra]


def _short_repr(value: Any) -> str:
    """An operator's result for a message: short, and never raising (its __repr__ may)."""
    try:
        text = repr(value)
    except BaseException:
        text = "an object"
    return text if len(text) <= 60 else text[:57] + "..."


def _shown(expected: Any) -> Any:
    """An expected value as a message shows it: a compiled regex as its pattern."""
    if hasattr(expected, "pattern") and not isinstance(expected, str):
        return expected.pattern
    return expected


class AllOf(Condition):
    def __init__(self, children: Sequence[Condition]) -> None:
        self.children = list(children)

    def evaluate(self, root: Any) -> tuple[bool, list[LeafFailure]]:
        failures: list[LeafFailure] = []
        for child in self.children:
            held, child_failures = child.evaluate(root)
            if not held:
                failures.extend(child_failures)
        return not failures, failures

    def paths(self) -> list[str]:
        return [p for child in self.children for p in child.paths()]


class AnyOf(AllOf):
    def evaluate(self, root: Any) -> tuple[bool, list[LeafFailure]]:
        failures: list[LeafFailure] = []
        for child in self.children:
            held, child_failures = child.evaluate(root)
            if held:
                return True, []
            failures.extend(child_failures)
        return False, failures


class Not(Condition):
    op_name = "not"

    def __init__(self, child: Condition) -> None:
        self.child = child

    def evaluate(self, root: Any) -> tuple[bool, list[LeafFailure]]:
        held, _ = self.child.evaluate(root)
        missing = [leaf.path for leaf in _leaves(self.child) if leaf.finds_nothing(root)]
        if missing:  # not(x eq 1) on a misspelled x is not a pass
            return False, [LeafFailure(path, self.op_name, None, None) for path in missing[:1]]
        if not held:
            return True, []
        leaves = [p for p in self.child.paths()]
        return False, [LeafFailure(path, "not", None, None) for path in leaves[:1]]

    def paths(self) -> list[str]:
        return self.child.paths()


def compile_selector(expression: str, env: Env) -> Selector:
    """Compile a JMESPath expression; ConditionCompileError with the parser's reason."""
    try:
        return Selector(expression, env.options)
    except jmespath.exceptions.JMESPathError as exc:
        reason = str(exc).splitlines()[0]
        raise ConditionCompileError(f"invalid selector {expression!r}: {reason}") from None


def _leaves(condition: Condition) -> Iterator[Leaf]:
    if isinstance(condition, Leaf):
        yield condition
    elif isinstance(condition, AllOf):  # AnyOf too
        for child in condition.children:
            yield from _leaves(child)
    elif isinstance(condition, Not):
        yield from _leaves(condition.child)


def compile_condition(raw: Any, env: Env, pointer: str = "", *, strict: bool = False) -> Condition:
    """Compile a condition mapping (already schema-checked) into an evaluable tree.

    `strict` is for asserts: a path that finds nothing fails its leaf (and any `not` above
    it). `when` is lenient, so that an optional field left out means "applies as usual".
    """
    if "all" in raw:
        return AllOf(
            [
                compile_condition(c, env, f"{pointer}/all/{i}", strict=strict)
                for i, c in enumerate(raw["all"])
            ]
        )
    if "any" in raw:
        return AnyOf(
            [
                compile_condition(c, env, f"{pointer}/any/{i}", strict=strict)
                for i, c in enumerate(raw["any"])
            ]
        )
    if "not" in raw:
        return Not(compile_condition(raw["not"], env, f"{pointer}/not", strict=strict))
    return _compile_leaf(raw, env, pointer, strict)


def _compile_leaf(raw: Mapping[str, Any], env: Env, pointer: str, strict: bool = False) -> Leaf:

    path, op = raw["path"], raw["op"]
    fn = env.operators.get(op)
    if fn is None:
        extra = did_you_mean(op, env.operators)
        raise ConditionCompileError(f"unknown operator '{op}'{extra}", f"{pointer}/op")
    try:
        selector = compile_selector(path, env)
    except ConditionCompileError as exc:
        raise ConditionCompileError(str(exc), f"{pointer}/path") from None
    has_value = "value" in raw
    if op in UNARY_OPERATORS:
        if has_value:
            raise ConditionCompileError(f"operator '{op}' takes no value", f"{pointer}/value")
        return Leaf(path, op, None, fn, selector, strict)
    if not has_value and op in BUILTIN_OPERATORS:
        raise ConditionCompileError(f"operator '{op}' needs a value", pointer)
    value = raw.get("value")
    if isinstance(value, dict) and set(value) == {"param"}:
        name = value["param"]
        if name not in env.params:
            known = ", ".join(sorted(env.params)) or "none"
            raise ConditionCompileError(
                f"unknown parameter '{name}' (this pack's parameters: {known})", f"{pointer}/value"
            )
        value = env.params[name]
    elif isinstance(value, dict) and set(value) == {"path"}:
        reference = _Ref(compile_selector(value["path"], env), value["path"])
        return _refusing_future_dates(Leaf(path, op, reference, fn, selector, strict), raw, env)
    value = _prepare_value(op, value, env, pointer)
    return _refusing_future_dates(Leaf(path, op, value, fn, selector, strict), raw, env)


def _refusing_future_dates(leaf: Leaf, raw: Mapping[str, Any], env: Env) -> Leaf:
    """LEAF, set to refuse dates after now when it asserts freshness.

    `when` keeps them (a start date in the future is how a rule says "applies from"), and so
    does a deadline: `newer_than` with a literal zero duration in the pack (`next_review
    newer_than 0d`: not overdue yet) asks for a date that is not past. A duration that comes
    from a parameter is always about freshness, whatever govgate.yaml sets it to.
    """
    if not leaf.strict or leaf.op not in FRESHNESS_OPERATORS:
        return leaf
    literal = raw.get("value")
    if leaf.op == "newer_than" and isinstance(literal, str) and _is_zero_duration(literal):
        return leaf
    leaf.refuse_after = env.run_clock
    return leaf


def _is_zero_duration(text: str) -> bool:
    try:
        return parse_duration(text) == timedelta(0)
    except ValueError:
        return False


def _prepare_value(op: str, value: Any, env: Env, pointer: str) -> Any:
    where = f"{pointer}/value"
    if op in _DURATION_OPERATORS:
        try:
            return _Cutoff(parse_duration(value), env.run_clock)
        except ValueError as exc:
            raise ConditionCompileError(str(exc), where) from None
    if op in _INTEGER_OPERATORS and (not isinstance(value, int) or isinstance(value, bool)):
        raise ConditionCompileError(f"operator '{op}' needs an integer, got {value!r}", where)
    if op in ("in", "not_in") and not isinstance(value, list):
        raise ConditionCompileError(f"operator '{op}' needs a list, got {value!r}", where)
    if op == "within":
        if not (isinstance(value, list) and len(value) == 2):
            raise ConditionCompileError("operator 'within' needs [low, high]", where)
        return tuple(value)
    if op == "matches":
        if not isinstance(value, str):
            raise ConditionCompileError("operator 'matches' needs a regex string", where)
        problem = regex_safety_problem(value)
        if problem:
            raise ConditionCompileError(f"regex {value!r} refused: {problem}", where)
        return _Pattern(value)
    return value


class _Pattern:
    """A `matches` regex, compiled with the `regex` module (for its time limit) when compiling
    the condition, and again only when a value is tested after the compiled policy set was
    read back from the cache: importing `regex` and compiling costs a warm run milliseconds,
    spent only if a rule reaches the leaf. It compiled once, so it compiles again."""

    def __init__(self, pattern: str) -> None:
        import regex

        self.pattern = pattern
        self._compiled: Any = regex.compile(pattern)

    def search(self, text: str, timeout: float | None = None) -> Any:
        if self._compiled is None:
            import regex

            self._compiled = regex.compile(self.pattern)
        return self._compiled.search(text, timeout=timeout)

    def __getstate__(self) -> dict[str, Any]:
        return {"pattern": self.pattern, "_compiled": None}
