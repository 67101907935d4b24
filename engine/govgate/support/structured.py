"""Reading structured text files (JSON, and values from YAML or TOML) into evidence-safe data.

`ParseProblem` says why a file does not parse and on which line; `parse_json` reads strict
JSON with the line of every key; `json_safe` turns parsed values into what evidence can store.
"""

from __future__ import annotations

import json
import math
import re
import sys
from typing import Any

from govgate.support.errors import InputError
from govgate.support.yamlload import (
    MAX_DEPTH,
    load_yaml_text,
    nesting_exceeds,
    unwritable_integer_digits,
)

#: Longest JSON text whose key lines are looked up (the lookup re-reads it as YAML).
MAX_LINE_LOOKUP_CHARS = 1_000_000


class ParseProblem(Exception):
    """A text that does not parse: the message, and its 1-based line when one is known."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def _json_lines(text: str) -> dict[str, int]:
    """Key lines of a JSON document, read through the YAML composer (JSON is nearly YAML).

    Best effort by design: if the YAML reader disagrees with the JSON, no lines are given.
    """
    if len(text) > MAX_LINE_LOOKUP_CHARS:
        return {}
    try:
        return load_yaml_text(text, "<json>").lines
    except InputError:
        return {}


def parse_json(text: str) -> tuple[Any, dict[str, int]]:
    """(data, JSON pointer → line) of a JSON document; ParseProblem when evidence cannot hold it.

    Stricter than `json.loads`: NaN, infinities, numbers too large for a float, nesting deeper
    than `MAX_DEPTH` and unpaired surrogates are refused, since no evidence can store or digest
    them.
    """
    try:
        data = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise ParseProblem(exc.lineno, f"invalid JSON: {exc.msg}") from None
    except RecursionError:
        raise ParseProblem(None, "JSON nested too deeply") from None
    except ValueError as exc:  # NaN / Infinity, or an integer of more digits than Python reads
        raise ParseProblem(None, f"invalid JSON: {str(exc).split(';')[0]}") from None
    if nesting_exceeds(data):
        raise ParseProblem(None, f"JSON nested more than {MAX_DEPTH} levels deep")
    try:  # "\ud800" is valid JSON but no Unicode text: nothing could store or digest it
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        code = ord(exc.object[exc.start])
        raise ParseProblem(None, f"invalid JSON: an unpaired surrogate (\\u{code:04x})") from None
    return data, _json_lines(text)


def long_integer_line(text: str) -> tuple[int, int] | None:
    """(line, digits) of the first integer in `text` longer than Python converts from text
    (`sys.get_int_max_str_digits()`, 4,300 by default; `_` separators allowed, as in TOML),
    or None. For parsers that fail on one with a ValueError that names no line."""
    limit = sys.get_int_max_str_digits()
    if not limit or len(text) <= limit:
        return None
    for match in re.finditer(rf"\d[\d_]{{{limit},}}", text):
        digits = sum(char.isdigit() for char in match.group())
        if digits > limit:
            return text.count("\n", 0, match.start()) + 1, digits
    return None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    # `1E400` is valid JSON but overflows to infinity, which no evidence can store or digest.
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is too large for a 64-bit float")
    return value


def json_safe(value: Any) -> Any:
    """Parsed values as JSON: keys become strings; NaN, infinities, dates and times their text.

    ParseProblem for an integer too long to be written out as decimal text (TOML's 0x…).
    """
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool):
        _storable_integer(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)  # dates and times from TOML or YAML front matter


def _storable_integer(value: int) -> None:
    """ParseProblem when `value` has more decimal digits than Python writes out as text: no
    evidence digest or report could hold it (`0x` followed by 4,000 digits reads fine)."""
    digits = unwritable_integer_digits(value)
    if digits is not None:
        raise ParseProblem(
            None,
            f"an integer of about {digits} digits is longer than can be stored "
            f"({sys.get_int_max_str_digits()}); quote it to keep it as text",
        )
