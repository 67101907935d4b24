"""Markdown read by a line scanner: the heading outline with exact line numbers, words per
line, YAML front matter, and the dates written in the body (`Last updated: 1 March 2026`).

ATX and setext headings, fenced and indented code and HTML comments are recognised; the
outline is all that is needed, and scanning lines keeps every line number exact.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from govgate.support.dates import parse_date_loose
from govgate.support.errors import InputError
from govgate.support.structured import json_safe
from govgate.support.yamlload import load_yaml_text
from govgate_collectors.documents.dates import DATE_WORDS
from govgate_collectors.documents.text import count_words, normalise


@dataclass
class Heading:
    level: int
    text: str
    line: int  # 1-based line of the heading's (first) text line
    last_index: int  # 0-based index of the heading's last line (a setext underline, say)


@dataclass
class Outline:
    headings: list[Heading]
    words: list[int]  # words per line (0 for code, comments, markup)

    def section_words(self, index: int) -> int:
        """Words under heading `index` up to the next heading of the same or a higher level."""
        heading = self.headings[index]
        end = len(self.words)
        for later in self.headings[index + 1 :]:
            if later.level <= heading.level:
                end = later.line - 1
                break
        return sum(self.words[heading.last_index + 1 : end])


_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
_ATX_CLOSING = re.compile(r"(?:^|[ \t]+)#+[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_THEMATIC = re.compile(r"^ {0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$")
_BLOCK_START = re.compile(r"^ {0,3}(?:[-+*][ \t]|\d{1,9}[.)][ \t]|>|\||<)")


def scan_markdown(lines: Sequence[str], start: int) -> Outline:
    """Headings and per-line word counts of Markdown `lines`, from 0-based index `start`."""
    headings: list[Heading] = []
    words = [0] * len(lines)
    fence: tuple[str, int] | None = None
    in_comment = False
    paragraph: list[int] = []  # indexes of the open paragraph's lines (setext candidates)
    for index in range(start, len(lines)):
        line = lines[index]
        if fence is not None:
            match = _FENCE.match(line)
            closes = match is not None and not match.group(2).strip()
            if (
                closes
                and match
                and match.group(1)[0] == fence[0]
                and len(match.group(1)) >= fence[1]
            ):
                fence = None
            continue
        if in_comment:
            if "-->" in line:
                in_comment = False
            continue
        stripped = line.strip()
        if not stripped:
            paragraph = []
            continue
        fence_open = _FENCE.match(line)
        if fence_open and not (fence_open.group(1)[0] == "`" and "`" in fence_open.group(2)):
            fence = (fence_open.group(1)[0], len(fence_open.group(1)))
            paragraph = []
            continue
        if stripped.startswith("<!--"):
            in_comment = "-->" not in stripped[4:]
            paragraph = []
            continue
        atx = _ATX.match(line)
        if atx:
            text = _ATX_CLOSING.sub("", atx.group(2) or "").strip()
            headings.append(Heading(len(atx.group(1)), text, index + 1, index))
            words[index] = count_words(text)
            paragraph = []
            continue
        setext = _SETEXT.match(line)
        if setext and paragraph:
            text = " ".join(lines[i].strip() for i in paragraph)
            level = 1 if setext.group(1)[0] == "=" else 2
            headings.append(Heading(level, text, paragraph[0] + 1, index))
            paragraph = []
            continue
        if _THEMATIC.match(line):
            paragraph = []
            continue
        if not paragraph and (line.startswith(("    ", "\t"))):
            continue  # indented code block
        words[index] = count_words(line)
        if _BLOCK_START.match(line):
            paragraph = []  # a list item, quote, table or HTML line never becomes a heading
        else:
            paragraph.append(index)
    return Outline(headings, words)


@dataclass
class FrontMatter:
    data: dict[str, Any]
    lines: dict[str, int]
    error: str | None
    error_line: int | None
    body_start: int  # 0-based index of the first body line


def split_front_matter(lines: Sequence[str], display: str) -> FrontMatter:
    """YAML front matter between `---` lines at the top, parsed with its real line numbers."""
    if not lines or lines[0].rstrip() != "---":
        return FrontMatter({}, {}, None, None, 0)
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            break
    else:
        return FrontMatter({}, {}, "front matter opened at line 1 is never closed with ---", 1, 1)
    # A leading newline keeps YAML's line numbers equal to the file's (front matter starts
    # on line 2).
    text = "\n" + "\n".join(lines[1:index])
    try:
        loaded = load_yaml_text(text, display)
    except InputError as exc:
        return FrontMatter(
            {},
            {},
            f"line {exc.line}: {exc.message}" if exc.line else exc.message,
            exc.line,
            index + 1,
        )
    if loaded.data is None:
        return FrontMatter({}, {}, None, None, index + 1)
    if not isinstance(loaded.data, dict):
        return FrontMatter(
            {}, {}, "front matter must be a mapping of fields (key: value)", 2, index + 1
        )
    return FrontMatter(json_safe(loaded.data), loaded.lines, None, None, index + 1)


_META_LINE = re.compile(r"^\s*(?:[-+*]\s+)?([A-Za-z][A-Za-z /-]{1,40}?)\s*:\s*(.+?)\s*$")
_META_ROW = re.compile(r"^\s*\|\s*([A-Za-z][A-Za-z /-]{1,40}?)\s*\|\s*([^|]+?)\s*\|\s*$")


def body_dates(lines: Sequence[str], outline: Outline) -> dict[str, tuple[str, int]]:
    """`Last updated: 1 March 2026` lines and `| Approval date | ... |` rows in the body.

    Many governance documents carry their dates in the text, not in front matter. Only labels
    naming a date and values that read as a date count; the first occurrence wins.
    """
    found: dict[str, tuple[str, int]] = {}
    for index, line in enumerate(lines):
        if not outline.words[index] or (":" not in line and "|" not in line):
            continue
        plain = line.replace("**", "").replace("__", "")
        match = _META_LINE.match(plain) or _META_ROW.match(plain)
        if not match:
            continue
        label = normalise(match.group(1)).replace(" ", "_")
        if not any(word in label for word in (*DATE_WORDS, "approved")):
            continue
        value = match.group(2).strip().strip("*_ ")
        if label not in found and parse_date_loose(value) is not None:
            found[label] = (value, index + 1)
    return found
