""" "Did you mean ...?": the closest known names to a misspelled one, for one-line errors."""

from __future__ import annotations

from collections.abc import Iterable


def closest(name: str, known: Iterable[str], n: int = 1) -> list[str]:
    """Up to `n` known names close to `name`, best first (difflib's ratio ≥ 0.6)."""
    import difflib  # only when something is misspelt: not on every run's path

    return difflib.get_close_matches(name, list(known), n=n)


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """ "; did you mean 'x'?" naming the closest known name, or "" when none is close."""
    match = closest(name, known)
    return f"; did you mean '{match[0]}'?" if match else ""
