"""Structured text into evidence-safe data: integers longer than Python converts."""

from __future__ import annotations

import pytest

from govgate.support.structured import ParseProblem, json_safe, long_integer_line


def test_the_first_integer_over_the_limit_is_found_with_its_line() -> None:
    assert long_integer_line("a = 1\nb = 2\n") is None
    assert long_integer_line("a = 1\nb = " + "1" * 4301 + "\n") == (2, 4301)
    assert long_integer_line("x = 1" + "_000" * 1500) == (1, 4501)  # TOML separators
    assert long_integer_line("n = " + "9" * 4300) is None  # at the limit: readable


def test_an_integer_too_long_to_write_out_is_a_parse_problem() -> None:
    assert json_safe({"n": 2**64, "m": [True, 1.5]}) == {"n": 2**64, "m": [True, 1.5]}
    with pytest.raises(ParseProblem, match="integer of about 4817 digits"):
        json_safe({"n": 1 << 16000})  # what TOML's 0x… gives: read fine, never writable
