"""Text helpers: how headings are compared, how words are counted, and dotted field lookup."""

from __future__ import annotations

import re
import unicodedata
from typing import Any


def normalise(text: str) -> str:
    """Lower case, accents and punctuation gone, single spaces: how headings are compared."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[\W_]+", " ", plain.casefold()).split())


_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_HTML_TAG = re.compile(r"</?[A-Za-z][^>\n]*>")
_HAS_ALNUM = re.compile(r"[^\W_]")


def count_words(text: str) -> int:
    """Words as a word processor counts them: whitespace-separated, with a letter or digit.

    Markdown markup (`##`, `-`, `|`) is not a word; link targets and HTML tags are dropped.
    """
    text = _HTML_TAG.sub(" ", _LINK_TARGET.sub("]", text))
    return sum(1 for token in text.split() if _HAS_ALNUM.search(token))


def lookup(data: Any, dotted: str) -> tuple[bool, Any]:
    """(found, value) for `a.b.c` in nested mappings; a key containing dots wins if present."""
    if isinstance(data, dict) and dotted in data:
        return True, data[dotted]
    current = data
    for part in dotted.split("."):
        if not isinstance(current, dict) or part not in current:
            return False, None
        current = current[part]
    return True, current


def is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, dict)):
        return not any(
            not is_empty(v) for v in (value.values() if isinstance(value, dict) else value)
        )
    return False
