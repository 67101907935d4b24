"""The condition language: every operator, all/any/not, params, value paths, safety checks."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from govgate.core.conditions import (
    BUILTIN_OPERATORS,
    ConditionCompileError,
    ConditionEvalError,
    Env,
    FutureDateError,
    OperatorError,
    compile_condition,
    regex_safety_problem,
)

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def env(**params: Any) -> Env:
    return Env(params=params, now=NOW, operators=BUILTIN_OPERATORS)


def holds(raw: dict[str, Any], data: Any, **params: Any) -> bool:
    return compile_condition(raw, env(**params)).evaluate(data)[0]


@pytest.mark.parametrize(
    ("op", "value", "actual", "expected"),
    [
        ("eq", 1, 1, True),
        ("eq", True, 1, False),  # a boolean is never equal to a number
        ("ne", "a", "b", True),
        ("lt", 5, 4, True),
        ("le", 5, 5, True),
        ("gt", 0.8, 0.79, False),
        ("ge", 0.8, 0.8, True),
        ("ge", 1, None, False),  # missing is never a pass
        ("in", ["high", "limited"], "high", True),
        ("not_in", ["high"], "minimal", True),
        ("not_in", ["high"], None, False),
        ("contains", "gate", ["gate", "log"], True),
        ("contains", "x", "a text with x", True),
        ("matches", r"^v\d+\.\d+$", "v1.2", True),
        ("matches", r"^v\d+$", None, False),
        ("len_eq", 2, [1, 2], True),
        ("len_ge", 1, [], False),
        ("len_le", 3, "abcd", False),
        ("within", [0, 1], 0.5, True),
        ("within", [0, 1], 1.5, False),
        ("older_than", "30d", "2026-01-01", True),
        ("older_than", "30d", "2026-05-20", False),
        ("newer_than", "365d", "2025-09-01T00:00:00Z", True),
        ("newer_than", "365d", "2024-09-01", False),
    ],
)
def test_operators(op: str, value: Any, actual: Any, expected: bool) -> None:
    assert holds({"path": "x", "op": op, "value": value}, {"x": actual}) is expected


@pytest.mark.parametrize(
    ("op", "actual", "expected"),
    [
        ("exists", 0, True),
        ("exists", None, False),
        ("not_exists", None, True),
        ("empty", [], True),
        ("empty", None, True),
        ("not_empty", "a", True),
        ("not_empty", "", False),
    ],
)
def test_unary_operators(op: str, actual: Any, expected: bool) -> None:
    assert holds({"path": "x", "op": op}, {"x": actual}) is expected


def test_combinators_report_failing_leaves_with_actual_values() -> None:
    condition = compile_condition(
        {
            "all": [
                {"path": "a", "op": "eq", "value": True},
                {"any": [{"path": "b", "op": "ge", "value": 2}, {"path": "c", "op": "exists"}]},
                {"not": {"path": "d", "op": "eq", "value": "x"}},
            ]
        },
        env(),
    )
    ok, failures = condition.evaluate({"a": False, "b": 1, "d": "x"})
    assert not ok
    assert [(f.path, f.op, f.actual) for f in failures] == [
        ("a", "eq", False),
        ("b", "ge", 1),
        ("c", "exists", None),
        ("d", "not", None),
    ]
    assert condition.evaluate({"a": True, "c": 1, "d": "y"}) == (True, [])


def test_param_and_path_values() -> None:
    assert holds(
        {"path": "share", "op": "ge", "value": {"param": "min"}}, {"share": 0.99}, min=0.95
    )
    assert holds(
        {"path": "names", "op": "contains", "value": {"path": "wanted"}},
        {"names": ["a", "b"], "wanted": "b"},
    )
    with pytest.raises(ConditionCompileError, match="unknown parameter 'mni'"):
        compile_condition({"path": "x", "op": "ge", "value": {"param": "mni"}}, env(min=1))


def test_compile_errors_are_precise() -> None:
    with pytest.raises(ConditionCompileError, match="unknown operator 'greater'"):
        compile_condition({"path": "x", "op": "greater", "value": 1}, env())
    with pytest.raises(ConditionCompileError, match="did you mean 'len_ge'"):
        compile_condition({"path": "x", "op": "len_gte", "value": 1}, env())
    with pytest.raises(ConditionCompileError, match="invalid selector"):
        compile_condition({"path": "a[?", "op": "exists"}, env())
    with pytest.raises(ConditionCompileError, match="takes no value"):
        compile_condition({"path": "x", "op": "exists", "value": 1}, env())
    with pytest.raises(ConditionCompileError, match="invalid duration"):
        compile_condition({"path": "x", "op": "older_than", "value": "3 months"}, env())
    with pytest.raises(ConditionCompileError, match="needs a list"):
        compile_condition({"path": "x", "op": "in", "value": "high"}, env())


def test_catastrophic_regex_refused_at_compile_time() -> None:
    assert regex_safety_problem(r"^(a+)+$") is not None
    assert regex_safety_problem(r"(\w*)*x") is not None
    assert regex_safety_problem(r"^[a-z]+@[a-z]+\.com$") is None
    with pytest.raises(ConditionCompileError, match="backtrack catastrophically"):
        compile_condition({"path": "x", "op": "matches", "value": "(a|aa)+(b+)+$"}, env())


def test_type_mismatch_is_an_evaluation_error_not_a_pass() -> None:
    condition = compile_condition({"path": "x", "op": "ge", "value": 3}, env())
    with pytest.raises(ConditionEvalError, match="cannot compare"):
        condition.evaluate({"x": "three"})
    dates = compile_condition({"path": "d", "op": "older_than", "value": "1d"}, env())
    with pytest.raises(ConditionEvalError):
        dates.evaluate({"d": "not a date"})


def test_time_and_set_functions() -> None:
    data = {"received": "2026-05-01", "closed": "2026-05-20T12:00:00Z", "ids": ["a", "b", "a"]}
    assert holds({"path": "days_between(received, closed)", "op": "le", "value": 30}, data)
    assert not holds({"path": "hours_between(received, closed)", "op": "le", "value": 72}, data)
    assert holds({"path": "age_days(received)", "op": "within", "value": [31, 31]}, data)
    assert holds({"path": "length(unique(ids))", "op": "eq", "value": 2}, data)
    assert holds({"path": "lower('ABC')", "op": "eq", "value": "abc"}, data)
    broken = compile_condition(
        {"path": "days_between(received, 'soon')", "op": "le", "value": 1}, env()
    )
    with pytest.raises(ConditionEvalError, match="days_between"):
        broken.evaluate(data)
    typed = compile_condition({"path": "length(missing)", "op": "eq", "value": 0}, env())
    with pytest.raises(ConditionEvalError, match="length"):
        typed.evaluate(data)


def asserts(raw: dict[str, Any], data: Any) -> bool:
    return compile_condition(raw, env(), strict=True).evaluate(data)[0]


@pytest.mark.parametrize(
    "raw",
    [
        {"path": "kill_swich.enabled", "op": "ne", "value": False},
        {"not": {"path": "kill_swich.enabled", "op": "eq", "value": False}},
        {"any": [{"path": "kill_swich.enabled", "op": "ne", "value": False}]},
        {"not": {"all": [{"path": "kill_swich.enabled", "op": "eq", "value": False}]}},
    ],
)
def test_a_misspelled_path_fails_an_assert_but_not_a_when(raw: dict[str, Any]) -> None:
    data = {"kill_switch": {"enabled": False}}
    assert asserts(raw, data) is False
    assert holds(raw, data) is True  # `when`: a missing value equals nothing
    _, failures = compile_condition(raw, env(), strict=True).evaluate(data)
    assert failures and failures[0].path == "kill_swich.enabled" and failures[0].actual is None


def test_absence_operators_still_see_a_missing_value_in_an_assert() -> None:
    data = {"kill_switch": {"enabled": False}}
    assert asserts({"path": "notified_at", "op": "empty"}, data) is True
    assert asserts({"path": "notified_at", "op": "not_exists"}, data) is True
    assert asserts({"not": {"path": "notified_at", "op": "exists"}}, data) is True
    assert asserts({"path": "kill_switch.enabled", "op": "ne", "value": True}, data) is True


# -- an operator that breaks its contract (a plugin's) --------------------------------------------


def _with_operator(fn: Any) -> Env:
    return Env(params={}, now=NOW, operators={**BUILTIN_OPERATORS, "odd": fn})


@pytest.mark.parametrize("returned", ["false", NotImplemented, None, 1, 0, [], "true"])
def test_an_operator_must_return_a_real_bool(returned: Any) -> None:
    # bool("false") is True: read as a verdict, a plugin's "false" would pass the rule.
    condition = compile_condition(
        {"path": "x", "op": "odd", "value": 1}, _with_operator(lambda a, e: returned)
    )
    with pytest.raises(OperatorError, match=r"operator 'odd' returned .*not True or False"):
        condition.evaluate({"x": 1})


@pytest.mark.parametrize(
    ("raised", "shown"),
    [
        (RuntimeError("licence server unreachable"), "RuntimeError: licence server unreachable"),
        (SystemExit(0), "SystemExit(0)"),
        (KeyboardInterrupt(), "KeyboardInterrupt"),  # raised by code, not a Ctrl-C
        (GeneratorExit(), "GeneratorExit"),
    ],
)
def test_an_operator_that_raises_is_an_error_naming_it(raised: BaseException, shown: str) -> None:
    def odd(actual: Any, expected: Any) -> bool:
        raise raised

    condition = compile_condition({"path": "x", "op": "odd", "value": 1}, _with_operator(odd))
    with pytest.raises(OperatorError, match=re.escape(f"x odd: operator 'odd' raised {shown}")):
        condition.evaluate({"x": 1})


def test_type_and_value_errors_stay_ordinary_evaluation_errors() -> None:
    def odd(actual: Any, expected: Any) -> bool:
        raise ValueError("not a version")

    condition = compile_condition({"path": "x", "op": "odd", "value": 1}, _with_operator(odd))
    with pytest.raises(ConditionEvalError, match="x odd: not a version") as raised:
        condition.evaluate({"x": 1})
    assert not isinstance(raised.value, OperatorError)


@pytest.mark.parametrize(
    "raw",
    [
        {"path": "date", "op": "newer_than", "value": "365d"},
        {"path": "date", "op": "newer_than", "value": {"param": "max_age"}},
        {"path": "date", "op": "within", "value": ["2026-01-01", "2099-12-31"]},
        {"any": [{"path": "date", "op": "newer_than", "value": "30d"}]},
        {"not": {"path": "date", "op": "newer_than", "value": "30d"}},
    ],
)
def test_a_date_after_now_never_satisfies_freshness_in_an_assert(raw: dict[str, Any]) -> None:
    future = {"date": "2099-01-04"}
    condition = compile_condition(raw, env(max_age="365d"), strict=True)
    with pytest.raises(FutureDateError) as raised:
        condition.evaluate(future)
    assert (raised.value.path, raised.value.value) == ("date", "2099-01-04")
    # In `when`, a date after now is an ordinary value: a rule may apply from a future date.
    compile_condition(raw, env(max_age="365d")).evaluate(future)


def test_the_clock_skew_lets_a_date_a_few_minutes_ahead_through() -> None:
    condition = compile_condition(
        {"path": "at", "op": "newer_than", "value": "1d"}, env(), strict=True
    )
    assert condition.evaluate({"at": "2026-06-01T00:04:00Z"})[0] is True
    with pytest.raises(FutureDateError):
        condition.evaluate({"at": "2026-06-01T00:06:00Z"})


def test_a_deadline_may_lie_ahead_but_a_parameter_cannot_make_one() -> None:
    # `newer_than 0d` written in the pack asks "not past yet" (next_review): the future is fine.
    deadline = compile_condition(
        {"path": "next_review", "op": "newer_than", "value": "0d"}, env(), strict=True
    )
    assert deadline.evaluate({"next_review": "2099-01-04"})[0] is True
    # A freshness limit set to 0d in govgate.yaml must not turn 2099 into a pass.
    limited = compile_condition(
        {"path": "date", "op": "newer_than", "value": {"param": "max_age"}},
        env(max_age="0d"),
        strict=True,
    )
    with pytest.raises(FutureDateError):
        limited.evaluate({"date": "2099-01-04"})


def test_an_empty_date_is_no_date_rather_than_an_error() -> None:
    # A template's `last_reviewed: ""` is not filled in yet: the condition fails, it does not
    # stop the rule from being evaluated.
    for op in ("older_than", "newer_than"):
        assert holds({"path": "d", "op": op, "value": "30d"}, {"d": ""}) is False
