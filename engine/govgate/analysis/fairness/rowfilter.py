"""The row filter of a fairness analysis (`--where`, `where:`): a tiny condition language parsed
here, never evaluated as code, and its translation to the portable aggregation SQL.

One condition per text; several conditions must all hold:

    column = value            the trimmed cell text equals value
    column != value           it differs (a missing cell is the empty text, so it differs)
    column in (v1, v2, ...)   it is one of the values
    column not in (v1, ...)   it is none of them
    column < number           the cell reads as a number below it (also <=, >, >=);
                              a cell that is not a number never holds

A value is written bare (`released = Yes`: the rest of the text, trimmed) or quoted with '...'
or "..." (doubling the quote to include it). A column is bare (letters, digits, `_`, `.`, `-`;
a dotted path reads a nested JSONL field) or quoted with "..." or `...`. Values are compared as
written: `Yes` is not `yes`, `01` is not `1`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from govgate.support.errors import UsageError

TEXT_OPERATORS = ("=", "!=", "in", "not in")
NUMBER_OPERATORS = ("<", "<=", ">", ">=")

_COLUMN = re.compile(
    r'\s*(?:"(?P<dq>(?:[^"]|"")*)"|`(?P<bq>(?:[^`]|``)*)`|(?P<bare>[A-Za-z0-9_.\-]+))\s*'
)
_OPERATOR = re.compile(r"(?P<op>!=|<>|<=|>=|=|<|>|not\s+in(?![\w.])|in(?![\w.]))\s*", re.I)
_QUOTED = re.compile(r"""'(?P<sq>(?:[^']|'')*)'|"(?P<dq>(?:[^"]|"")*)\"""")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_BARE_VALUE = re.compile(r"[^,()'\"]+")
_SAFE_BARE = re.compile(r"[^\s,()'\"]+(?: [^\s,()'\"]+)*")

GRAMMAR_HINT = "write COLUMN = VALUE, COLUMN != VALUE, COLUMN in (V1, V2), or COLUMN >= NUMBER"


@dataclass(frozen=True)
class RowCondition:
    """One parsed condition: a column, an operator and its value(s) as written."""

    column: str
    op: str
    values: tuple[str, ...]

    @property
    def numeric(self) -> bool:
        return self.op in NUMBER_OPERATORS

    @property
    def number(self) -> float:
        return float(self.values[0])

    def describe(self) -> str:
        """The condition in canonical spelling (shown in the document and the table)."""
        column = self.column if _COLUMN_BARE.fullmatch(self.column) else _quote(self.column, '"')
        if self.op in ("in", "not in"):
            return f"{column} {self.op} ({', '.join(_show(v) for v in self.values)})"
        return f"{column} {self.op} {_show(self.values[0])}"

    def sql(self, alias: str, marker: str, string_type: str) -> tuple[str, dict[str, Any]]:
        """(SQL predicate over the column `alias`, its named parameters).

        A numeric condition reads `alias` registered as a number (NULL when the cell is not
        one); a text condition compares the trimmed text, a missing cell reading as ''.
        """
        if self.numeric:
            return f"{alias} {self.op} :{marker}", {marker: self.number}
        text = f"COALESCE(TRIM(CAST({alias} AS {string_type})), '')"
        if self.op in ("=", "!="):
            sql_op = "=" if self.op == "=" else "<>"
            return f"{text} {sql_op} :{marker}", {marker: self.values[0]}
        names = [f"{marker}_{index}" for index in range(len(self.values))]
        markers = ", ".join(f":{name}" for name in names)
        negation = "NOT " if self.op == "not in" else ""
        return f"{text} {negation}IN ({markers})", dict(zip(names, self.values, strict=True))


_COLUMN_BARE = re.compile(r"[A-Za-z0-9_.\-]+")


def _quote(text: str, quote: str) -> str:
    return quote + text.replace(quote, quote * 2) + quote


def _show(value: str) -> str:
    return value if _SAFE_BARE.fullmatch(value) else _quote(value, "'")


def _unquote(match: re.Match[str]) -> str:
    if match.group("sq") is not None:
        return match.group("sq").replace("''", "'")
    return match.group("dq").replace('""', '"')


def parse_condition(text: str, option: str = "--where") -> RowCondition:
    """Parse one condition, or raise a UsageError naming the condition and the grammar."""

    def error(problem: str) -> UsageError:
        return UsageError(f"{option} {text!r}: {problem}; {GRAMMAR_HINT}")

    column_match = _COLUMN.match(text)
    if column_match is None or not column_match.group(0).strip():
        raise error("no column before the operator")
    column = (
        column_match.group("bare")
        or (column_match.group("dq") or "").replace('""', '"')
        or (column_match.group("bq") or "").replace("``", "`")
    )
    if not column:
        raise error("the column name is empty")
    operator_match = _OPERATOR.match(text, column_match.end())
    if operator_match is None:
        raise error(f"no operator after column {column!r}")
    op = re.sub(r"\s+", " ", operator_match.group("op").lower())
    op = "!=" if op == "<>" else op
    rest = text[operator_match.end() :].strip()
    if op in ("in", "not in"):
        return RowCondition(column, op, _parse_list(rest, error))
    value = _parse_value(rest, error)
    if op in NUMBER_OPERATORS and (not _NUMBER.fullmatch(value) or not math.isfinite(float(value))):
        raise error(f"{op} compares numbers and {value!r} is not one")
    return RowCondition(column, op, (value,))


def _parse_value(rest: str, error: Any) -> str:
    """A single value: quoted, or the rest of the text (trimmed)."""
    if not rest:
        raise error("no value after the operator (write '' for an empty cell)")
    quoted = _QUOTED.fullmatch(rest)
    if quoted is not None:
        return _unquote(quoted)
    if rest[0] in "'\"":
        raise error("a quoted value is not closed, or text follows it")
    return rest


def _parse_list(rest: str, error: Any) -> tuple[str, ...]:
    """`(v1, v2, ...)`: each value quoted or bare (bare values are trimmed)."""
    if not (rest.startswith("(") and rest.endswith(")")):
        raise error("in needs a list of values in parentheses")
    body = rest[1:-1]
    values: list[str] = []
    position = 0
    while True:
        while position < len(body) and body[position].isspace():
            position += 1
        quoted = _QUOTED.match(body, position)
        bare = _BARE_VALUE.match(body, position)
        if quoted is not None:
            values.append(_unquote(quoted))
            position = quoted.end()
        elif bare is not None and bare.group(0).strip():
            values.append(bare.group(0).strip())
            position = bare.end()
        else:
            raise error("a value in the list is missing")
        while position < len(body) and body[position].isspace():
            position += 1
        if position == len(body):
            return tuple(values)
        if body[position] != ",":
            raise error(f"unexpected {body[position]!r} in the list")
        position += 1


def parse_conditions(texts: Sequence[str], option: str = "--where") -> tuple[RowCondition, ...]:
    return tuple(parse_condition(text, option) for text in texts)


def filter_sql(
    conditions: Sequence[RowCondition], aliases: Sequence[str], string_type: str
) -> tuple[str, dict[str, Any]]:
    """(SQL predicate that holds when every condition holds, its named parameters)."""
    parts: list[str] = []
    params: dict[str, Any] = {}
    for index, (condition, alias) in enumerate(zip(conditions, aliases, strict=True)):
        predicate, used = condition.sql(alias, f"govgate_where_{index}", string_type)
        parts.append(f"({predicate})")
        params.update(used)
    return " AND ".join(parts), params
