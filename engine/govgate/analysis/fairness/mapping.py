"""Cell values as typed tokens, attribute groups, and the explicit mapping of prediction and
label values to 1 (favourable) and 0 (`build_mapping`)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from govgate.support.errors import InputError

Token = tuple[str, Any]  # ("null", None) | ("bool", b) | ("num", float) | ("str", text)
NULL: Token = ("null", None)


def value_token(value: Any) -> Token:
    """A typed, hashable form of a cell value (True and 1 must not collide as dict keys)."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        number = float(value)
        return NULL if math.isnan(number) else ("num", number)
    if isinstance(value, str):
        return ("str", value.strip())
    try:  # Decimal and friends
        return ("num", float(value))
    except (TypeError, ValueError):
        return ("str", str(value).strip())


def show_token(token: Token) -> str:
    kind, value = token
    if kind == "null":
        return "<empty>"
    if kind == "bool":
        return "true" if value else "false"
    if kind == "num":
        return str(int(value)) if float(value).is_integer() else repr(value)
    return str(value)


def attribute_text(value: Any, unknown: frozenset[str]) -> str | None:
    """The group name of an attribute value, or None when the value is unknown or missing."""
    token = value_token(value)
    if token[0] == "null":
        return None
    text = show_token(token)
    return None if text.strip().casefold() in unknown else text


#: A number as people write one in a text file: no thousands separator, no `inf` or `nan`.
_NUMBER_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def number_of(token: Token) -> float | None:
    """The number a token holds (a number, or text that is wholly a number), else None."""
    kind, value = token
    if kind == "num":
        return float(value)
    if kind == "str" and _NUMBER_TEXT.fullmatch(value):
        number = float(value)
        return number if math.isfinite(number) else None
    return None


def numbers_if_all_numeric(counts: Iterable[Token]) -> dict[Token, Token] | None:
    """Text tokens as numbers when every non-empty value of the column is a number, else None.

    A text file's column is numeric only as a whole: `1`/`0` are numbers, but in a column that
    also holds `Yes` every value stays the text written.
    """
    tokens = list(counts)
    texts = [token for token in tokens if token[0] == "str"]
    if not texts or any(kind not in ("str", "num", "null") for kind, _ in tokens):
        return None
    converted: dict[Token, Token] = {}
    for token in texts:
        number = number_of(token)
        if number is None:
            return None
        converted[token] = ("num", number)
    return converted


def _matches(token: Token, text: str) -> bool:
    kind, value = token
    wanted = text.strip()
    if kind == "str":
        return str(value) == wanted
    if kind == "bool":
        lowered = wanted.lower()
        return (lowered in ("true", "1")) if value else (lowered in ("false", "0"))
    if kind == "num":
        try:
            return bool(float(wanted) == value)
        except ValueError:
            return False
    return False


def _quoted(tokens: Iterable[Token], limit: int = 5) -> str:
    shown = sorted(show_token(t) for t in tokens)
    text = ", ".join(repr(s) for s in shown[:limit])
    return text + (f" and {len(shown) - limit} more" if len(shown) > limit else "")


@dataclass(frozen=True)
class BinaryMapping:
    """Which cell values of a prediction or label column mean 1 (favourable) and 0."""

    positive: frozenset[Token]
    negative: frozenset[Token]

    def to_json(self) -> dict[str, list[str]]:
        return {
            "positive": sorted(show_token(t) for t in self.positive),
            "negative": sorted(show_token(t) for t in self.negative),
        }


@dataclass(frozen=True)
class _Column:
    """The column being mapped, and how its errors name it and the options that fix them."""

    column: str
    role: str
    positive_option: str
    negative_option: str
    where: str

    @property
    def named(self) -> str:
        return f"{self.role} column {self.column!r}"

    def error(self, message: str) -> InputError:
        return InputError(self.where, None, message)


def build_mapping(
    counts: Mapping[Token, int],
    *,
    column: str,
    role: str,
    positive: Sequence[str] | None,
    negative: Sequence[str] | None,
    positive_option: str,
    negative_option: str,
    where: str,
) -> BinaryMapping:
    """Map the distinct values of a column to 1/0, or raise an InputError naming the problem.

    Without an explicit positive value only booleans (true is 1) and the numbers 0/1 are
    accepted; text needs `positive` (fairlearn silently scores text labels as all-negative).
    With `positive` and no `negative`, the column must hold exactly one other value.
    """
    col = _Column(column, role, positive_option, negative_option, where)
    missing = counts.get(NULL, 0)
    if missing:
        raise col.error(
            f"{col.named} is empty in {missing:,} row(s); every row needs a "
            f"{role} (drop or fill those rows before the audit)"
        )
    tokens = set(counts)
    if positive is None:
        pos, neg = _implicit_mapping(tokens, col)
    else:
        pos, neg = _explicit_mapping(tokens, positive, negative, col)
    _check_mapping(counts, pos, neg, col, one_negative=positive is not None and negative is None)
    return BinaryMapping(frozenset(pos), frozenset(neg))


def _implicit_mapping(tokens: set[Token], col: _Column) -> tuple[set[Token], set[Token]]:
    """Booleans (true is 1) or the numbers 0/1; anything else needs an explicit value."""
    kinds = {kind for kind, _ in tokens}
    if kinds <= {"bool"}:
        return {("bool", True)}, {("bool", False)}
    if kinds <= {"num"}:
        return {("num", 1.0)}, {("num", 0.0)}
    raise col.error(
        f"{col.named} holds values such as {_quoted(tokens, 3)}; say which "
        f"one is the favourable outcome with {col.positive_option} VALUE"
    )


def _explicit_mapping(
    tokens: set[Token],
    positive: Sequence[str],
    negative: Sequence[str] | None,
    col: _Column,
) -> tuple[set[Token], set[Token]]:
    """The values named positive, and those named negative (else every other value)."""
    pos = {t for t in tokens if any(_matches(t, p) for p in positive)}
    if negative is not None:
        neg = {t for t in tokens if any(_matches(t, n) for n in negative)}
    else:
        neg = tokens - pos
        if not pos:
            raise col.error(
                f"{col.positive_option} {', '.join(map(repr, positive))} does not occur in "
                f"{col.named} (its values: {_quoted(tokens)})"
            )
    return pos, neg


def _check_mapping(
    counts: Mapping[Token, int],
    pos: set[Token],
    neg: set[Token],
    col: _Column,
    *,
    one_negative: bool,
) -> None:
    """Refuse a value mapped both ways, a value not mapped, or several implied negatives."""
    both = pos & neg
    if both:
        raise col.error(
            f"{col.named}: value(s) {_quoted(both)} given as both positive and negative"
        )
    unmapped = set(counts) - pos - neg
    if unmapped:
        rows = sum(counts[t] for t in unmapped)
        raise col.error(
            f"{col.named} has unmapped value(s) {_quoted(unmapped)} in {rows:,} "
            f"row(s); map them with {col.positive_option} / {col.negative_option} (or fix the "
            "data)"
        )
    if one_negative and len(neg) > 1:
        raise col.error(
            f"{col.named} has more than two values: {_quoted(pos)} is positive but "
            f"{_quoted(neg)} are all left over; an analysis needs one negative value, so name "
            f"the negatives with {col.negative_option} (or fix the data)"
        )
