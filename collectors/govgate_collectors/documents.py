"""The `documents` collector: governance documents (DPIA, FRIA, model card, ...) as evidence.

Packs declare kinds bound to this collector with `paths` and `options`; every matching file
becomes one item: its YAML front matter, heading outline, which required sections it has
(matched by synonyms, case-, accent- and punctuation-insensitively), dates read from the forms
people write, and word counts. JSON model cards in the model-card-toolkit layout are read too.
Markdown is read by a line scanner (ATX and setext headings, fenced and indented code, HTML
comments): the outline is all that is needed, and the scanner keeps every line number exact.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from govgate.api import CollectContext, Collector, Evidence, EvidenceKind, hookimpl
from govgate.support.dates import ParsedDate, parse_date_loose
from govgate.support.errors import CollectorError, InputError
from govgate.support.pii import redact_json, redact_pointer, redact_text
from govgate.support.structured import ParseProblem, json_safe, parse_json
from govgate.support.yamlload import load_yaml_text, pointer_join

MAX_DOCUMENT_BYTES = 8 * 1024 * 1024

#: Fields whose date best says how current a document is, most telling first.
DATED_PREFERENCE = (
    "last_updated",
    "updated",
    "last_reviewed",
    "reviewed",
    "approval_date",
    "approved",
    "date",
)
#: Default date fields: any front-matter field whose name contains one of these.
DATE_WORDS = ("date", "updated", "review")
#: Dates that point forward (next review, expiry) never stand for "how current".
_FORWARD_WORDS = ("next", "due", "expir", "until")
#: Top-level sections of a model-card-toolkit JSON model card.
MODEL_CARD_SECTIONS = (
    "model_details",
    "model_parameters",
    "quantitative_analysis",
    "considerations",
)

_NULLABLE_STRING: dict[str, Any] = {"type": ["string", "null"]}
DOCUMENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "format",
        "front_matter",
        "front_matter_error",
        "title",
        "headings",
        "sections",
        "missing_sections",
        "missing_fields",
        "dates",
        "word_count",
    ],
    "properties": {
        "format": {"enum": ["markdown", "model_card_json"]},
        "front_matter": {"type": "object"},
        "front_matter_error": _NULLABLE_STRING,
        "title": _NULLABLE_STRING,
        "headings": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["level", "text", "line"],
                "properties": {
                    "level": {"type": "integer", "minimum": 1, "maximum": 6},
                    "text": {"type": "string"},
                    "line": {"type": ["integer", "null"], "minimum": 1},
                },
            },
        },
        "sections": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "required": ["present", "heading", "line", "words"],
                "properties": {
                    "present": {"type": "boolean"},
                    "heading": _NULLABLE_STRING,
                    "line": {"type": ["integer", "null"], "minimum": 1},
                    "words": {"type": "integer", "minimum": 0},
                },
            },
        },
        "missing_sections": {"type": "array", "items": {"type": "string"}},
        "missing_fields": {"type": "array", "items": {"type": "string"}},
        "dates": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "required": ["value", "raw", "ambiguous", "note", "line"],
                "properties": {
                    "value": {"type": ["string", "null"], "format": "date"},
                    "raw": _NULLABLE_STRING,
                    "ambiguous": {"type": "boolean"},
                    "note": _NULLABLE_STRING,
                    "line": {"type": ["integer", "null"], "minimum": 1},
                },
            },
        },
        "word_count": {"type": "integer", "minimum": 0},
    },
}


# --------------------------------------------------------------------------- options


@dataclass(frozen=True)
class DocumentOptions:
    """A kind's `options:`, checked once so a pack typo fails loudly, not as a silent pass."""

    required_sections: dict[str, tuple[str, ...]] = field(default_factory=dict)
    required_fields: tuple[str, ...] = ()
    date_fields: tuple[str, ...] | None = None
    dated_field: str | None = None


def _string_list(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
        return list(value)
    return None


def parse_options(kind: EvidenceKind) -> DocumentOptions:
    """Validate a kind's options; CollectorError names the kind and where it is declared."""
    raw = dict(kind.options or {})
    where = f"evidence kind '{kind.name}'" + (f" ({kind.declared_in})" if kind.declared_in else "")
    known = {"required_sections", "required_fields", "date_fields", "dated_field"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise CollectorError(
            f"{where}: unknown option '{unknown[0]}' for the documents collector "
            f"(known: {', '.join(sorted(known))})"
        )
    sections: dict[str, tuple[str, ...]] = {}
    required = raw.get("required_sections") or {}
    if isinstance(required, list):  # a plain list: each name is its own synonym
        if not all(isinstance(name, str) and name for name in required):
            raise CollectorError(f"{where}: options.required_sections must list section names")
        required = {name: [name] for name in required}
    if not isinstance(required, dict):
        raise CollectorError(f"{where}: options.required_sections must map keys to synonyms")
    for key, synonyms in required.items():
        names = _string_list(synonyms) if synonyms else [str(key).replace("_", " ")]
        if names is None:
            raise CollectorError(
                f"{where}: options.required_sections.{key} must be a list of headings"
            )
        sections[str(key)] = tuple(names)
    fields = _string_list(raw.get("required_fields") or [])
    if fields is None:
        raise CollectorError(f"{where}: options.required_fields must be a list of field names")
    date_fields = None
    if "date_fields" in raw:
        date_fields = _string_list(raw["date_fields"] or [])
        if date_fields is None:
            raise CollectorError(f"{where}: options.date_fields must be a list of field names")
    dated_field = raw.get("dated_field")
    if dated_field is not None and not (isinstance(dated_field, str) and dated_field):
        raise CollectorError(f"{where}: options.dated_field must be a field name")
    return DocumentOptions(
        required_sections=sections,
        required_fields=tuple(fields),
        date_fields=tuple(date_fields) if date_fields is not None else None,
        dated_field=dated_field,
    )


# --------------------------------------------------------------------------- text helpers


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


# --------------------------------------------------------------------------- Markdown


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


# --------------------------------------------------------------------------- evidence data


@dataclass
class Parsed:
    """One document, before options are applied."""

    format: str
    front_matter: dict[str, Any]
    front_lines: dict[str, int]
    front_error: str | None
    front_error_line: int | None
    title: str | None
    headings: list[Heading]
    section_words: list[int]
    present_words: list[int]  # for model cards: whether each heading's value is non-empty
    body_dates: dict[str, tuple[str, int]]
    word_count: int


def parse_markdown(text: str, display: str) -> Parsed:
    lines = text.splitlines()
    front = split_front_matter(lines, display)
    outline = scan_markdown(lines, front.body_start)
    title = front.data.get("title") if isinstance(front.data.get("title"), str) else None
    if title is None:
        firsts = [h for h in outline.headings if h.level == 1] or outline.headings
        title = firsts[0].text if firsts else None
    section_words = [outline.section_words(i) for i in range(len(outline.headings))]
    return Parsed(
        format="markdown",
        front_matter=front.data,
        front_lines=front.lines,
        front_error=front.error,
        front_error_line=front.error_line,
        title=title,
        headings=outline.headings,
        section_words=section_words,
        present_words=[1] * len(outline.headings),
        body_dates=body_dates(lines, outline),
        word_count=sum(outline.words),
    )


def _json_words(value: Any) -> int:
    if isinstance(value, str):
        return count_words(value)
    if isinstance(value, dict):
        return sum(_json_words(v) for v in value.values())
    if isinstance(value, list):
        return sum(_json_words(v) for v in value)
    return 0


def parse_model_card(data: dict[str, Any], lines: dict[str, int]) -> Parsed:
    """A model-card-toolkit JSON card: top-level keys are its sections."""
    headings: list[Heading] = []
    section_words: list[int] = []
    present: list[int] = []
    for key, value in data.items():
        line = lines.get(pointer_join("", key))
        headings.append(Heading(1, str(key), line or 0, 0))
        section_words.append(_json_words(value))
        present.append(0 if is_empty(value) else 1)
        if isinstance(value, dict):
            for child, child_value in value.items():
                child_line = lines.get(pointer_join(pointer_join("", key), child))
                headings.append(Heading(2, str(child), child_line or 0, 0))
                section_words.append(_json_words(child_value))
                present.append(0 if is_empty(child_value) else 1)
    details = data.get("model_details") if isinstance(data.get("model_details"), dict) else {}
    assert isinstance(details, dict)
    front: dict[str, Any] = {}
    front_lines: dict[str, int] = {}
    for name in ("name", "version", "owners"):
        if name in details:
            front[name] = json_safe(details[name])
            base = pointer_join(pointer_join("", "model_details"), name)
            for pointer, line in lines.items():
                if pointer == base or pointer.startswith(base + "/"):
                    front_lines["/" + name + pointer[len(base) :]] = line
    title = details.get("name") if isinstance(details.get("name"), str) else None
    return Parsed(
        format="model_card_json",
        front_matter=front,
        front_lines=front_lines,
        front_error=None,
        front_error_line=None,
        title=title,
        headings=headings,
        section_words=section_words,
        present_words=present,
        body_dates={},
        word_count=_json_words(data),
    )


def _date_candidates(front: dict[str, Any], prefix: str = "", depth: int = 0) -> list[str]:
    """Dotted names of front-matter fields whose name says they hold a date."""
    names: list[str] = []
    for key, value in front.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and depth < 2:
            names.extend(_date_candidates(value, dotted + ".", depth + 1))
        elif any(word in str(key).lower() for word in DATE_WORDS):
            names.append(dotted)
    return names


def _line_of(lines: Mapping[str, int], dotted: str) -> int | None:
    pointer = ""
    for part in dotted.split("."):
        pointer = pointer_join(pointer, part)
    return lines.get(pointer) or lines.get(pointer_join("", dotted))


def build_data(
    ctx: CollectContext, rel: str, parsed: Parsed, options: DocumentOptions
) -> tuple[dict[str, Any], dict[str, int], str | None]:
    """(evidence data, JSON pointer → line, dated) for one parsed document."""
    locations: dict[str, int] = {}
    headings = _headings(parsed, locations)
    sections, missing_sections = _sections(parsed, options, locations)
    # Everything below reads the redacted front matter: a date field's raw value or a key that
    # holds an e-mail address must reach neither a diagnostic nor a location.
    front = redact_json(parsed.front_matter)
    front_lines = {redact_pointer(pointer): line for pointer, line in parsed.front_lines.items()}
    for pointer, line in front_lines.items():
        if pointer:
            locations["/front_matter" + pointer] = line
    missing_fields = [name for name in options.required_fields if is_empty(lookup(front, name)[1])]
    dates, values = _dates(ctx, rel, parsed, options, front, front_lines, locations)
    dated = _dated(options, values, ctx.now.date(), ctx, rel)
    data = {
        "format": parsed.format,
        "front_matter": front,
        "front_matter_error": parsed.front_error,
        "title": redact_text(parsed.title) if parsed.title else None,
        "headings": headings,
        "sections": sections,
        "missing_sections": missing_sections,
        "missing_fields": missing_fields,
        "dates": dates,
        "word_count": parsed.word_count,
    }
    return data, locations, dated


def _headings(parsed: Parsed, locations: dict[str, int]) -> list[dict[str, Any]]:
    """The outline as evidence (heading texts masked), each heading located at its line."""
    for index, heading in enumerate(parsed.headings):
        if heading.line:
            locations[f"/headings/{index}"] = heading.line
    return [
        {"level": h.level, "text": redact_text(h.text), "line": h.line or None}
        for h in parsed.headings
    ]


def _sections(
    parsed: Parsed, options: DocumentOptions, locations: dict[str, int]
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """(section key → what was found for it, the required sections missing or empty)."""
    is_card = parsed.format == "model_card_json"
    required = dict(options.required_sections)
    if is_card and not required:
        required = {key: (key.replace("_", " "),) for key in MODEL_CARD_SECTIONS}
    normalised = [normalise(h.text) for h in parsed.headings]
    sections: dict[str, dict[str, Any]] = {}
    for key, synonyms in required.items():
        index = _matching_heading(parsed, normalised, synonyms)
        if index is None:
            sections[key] = {"present": False, "heading": None, "line": None, "words": 0}
            continue
        heading = parsed.headings[index]
        sections[key] = {
            "present": bool(parsed.present_words[index]),
            "heading": redact_text(heading.text),
            "line": heading.line or None,
            "words": parsed.section_words[index],
        }
        if heading.line:
            locations[pointer_join("/sections", key)] = heading.line
    if is_card:
        for key in MODEL_CARD_SECTIONS:  # always say which toolkit sections a card has
            if key not in sections:
                sections[key] = _toolkit_section(parsed, key)
    missing = [key for key in required if not sections[key]["present"]]
    return sections, missing


def _matching_heading(
    parsed: Parsed, normalised: Sequence[str], synonyms: Sequence[str]
) -> int | None:
    """Index of the first heading naming one of `synonyms` as whole words (a card: level 1)."""
    wanted = [normalise(s) for s in synonyms if normalise(s)]
    for index, heading_text in enumerate(normalised):
        if parsed.format == "model_card_json" and parsed.headings[index].level != 1:
            continue
        if any(f" {w} " in f" {heading_text} " for w in wanted):
            return index
    return None


def _toolkit_section(parsed: Parsed, key: str) -> dict[str, Any]:
    """A model-card-toolkit section by its exact key, present or not."""
    found_at = next(
        (i for i, h in enumerate(parsed.headings) if h.level == 1 and h.text == key),
        None,
    )
    if found_at is None:
        return {"present": False, "heading": None, "line": None, "words": 0}
    return {
        "present": bool(parsed.present_words[found_at]),
        "heading": key,
        "line": parsed.headings[found_at].line or None,
        "words": parsed.section_words[found_at],
    }


def _dates(
    ctx: CollectContext,
    rel: str,
    parsed: Parsed,
    options: DocumentOptions,
    front: Any,
    front_lines: Mapping[str, int],
    locations: dict[str, int],
) -> tuple[dict[str, dict[str, Any]], dict[str, date]]:
    """(date field → how it reads, date field → its date) over the (redacted) front matter.

    Without `date_fields` every front-matter field named like a date is read, and then the
    dates written in the body; a date that does not read is a diagnostic when it has digits.
    """
    explicit = options.date_fields is not None
    names = list(options.date_fields or ()) if explicit else _date_candidates(front)
    if not explicit:
        names += [n for n in parsed.body_dates if n not in names]
    if options.dated_field and options.dated_field not in names:
        names.append(options.dated_field)
    dates: dict[str, dict[str, Any]] = {}
    values: dict[str, date] = {}
    for name in names:
        found, value = lookup(front, name)
        field_line = _line_of(front_lines, name) if found else None
        if not found and name in parsed.body_dates:
            value, field_line = parsed.body_dates[name]
            found = True
        entry, reading = _date_entry(ctx, rel, name, value if found else None, field_line, explicit)
        if reading is not None:
            values[name] = reading
        dates[name] = entry
        if field_line:
            locations[pointer_join("/dates", name)] = field_line
    return dates, values


def _date_entry(
    ctx: CollectContext,
    rel: str,
    name: str,
    value: Any,
    field_line: int | None,
    explicit: bool,
) -> tuple[dict[str, Any], date | None]:
    """(how one date field reads: date, raw text masked, ambiguity, note; its date if any)."""
    entry: dict[str, Any] = {
        "value": None,
        "raw": None,
        "ambiguous": False,
        "note": None,
        "line": field_line,
    }
    reading: ParsedDate | None = None
    if value is None or value == "":
        entry["note"] = "missing"
    elif isinstance(value, (dict, list, bool)):
        entry["note"] = f"not a date (a {type(value).__name__})"
    else:
        raw = str(value)
        entry["raw"] = redact_text(raw)
        reading = parse_date_loose(raw)
        if reading is None:
            entry["note"] = "not a date in a known format; write YYYY-MM-DD"
            if explicit or any(ch.isdigit() for ch in raw):
                ctx.problem(rel, field_line, f"{name}: {raw!r} is not a date; write YYYY-MM-DD")
        else:
            entry["value"] = reading.value.isoformat()
            entry["ambiguous"] = reading.ambiguous
            entry["note"] = reading.note
            if reading.ambiguous:
                ctx.problem(rel, field_line, f"{name}: {reading.note}")
    return entry, reading.value if reading is not None else None


def _dated(
    options: DocumentOptions,
    values: Mapping[str, date],
    today: date,
    ctx: CollectContext,
    rel: str,
) -> str | None:
    """The date that says how current the document is (see DATED_PREFERENCE)."""
    if options.dated_field:
        if options.dated_field not in values:
            ctx.problem(
                rel, None, f"dated_field {options.dated_field} has no date; its age is unknown"
            )
            return None
        return values[options.dated_field].isoformat()
    for name in DATED_PREFERENCE:
        if name in values:
            return values[name].isoformat()
    past = [
        value
        for name, value in values.items()
        if value <= today and not any(word in name.lower() for word in _FORWARD_WORDS)
    ]
    return max(past).isoformat() if past else None


# --------------------------------------------------------------------------- the collector


class DocumentsCollector(Collector):
    name = "documents"
    version = "1.0.0"
    description = "Markdown governance documents and JSON model cards: front matter, outline, dates"
    produces_declared_kinds = True
    declared_kind_schema = DOCUMENT_SCHEMA

    def collect(self, ctx: CollectContext) -> Iterable[Evidence]:
        for kind in ctx.kinds:
            options = parse_options(kind)
            for rel, path in ctx.iter_files(kind.paths):
                yield self._one(ctx, kind.name, rel, path, options)

    def _one(
        self, ctx: CollectContext, kind: str, rel: str, path: Path, options: DocumentOptions
    ) -> Evidence:
        if path.stat().st_size > MAX_DOCUMENT_BYTES:
            message = f"larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB; not read"
            ctx.problem(rel, None, message, level="error")
            return ctx.evidence(kind, rel, None, path=rel, problem=message)
        raw = path.read_bytes()
        if b"\0" in raw:
            line = raw[: raw.index(b"\0")].count(b"\n") + 1
            message = "contains NUL bytes: a binary file, not a text document"
            ctx.problem(rel, line, message, level="error")
            return ctx.evidence(
                kind, rel, None, path=rel, line=line, problem=f"line {line}: {message}"
            )
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            message = "not valid UTF-8 (mixed or legacy encoding); save the file as UTF-8"
            ctx.problem(rel, line, message, level="error")
            return ctx.evidence(
                kind, rel, None, path=rel, line=line, problem=f"line {line}: {message}"
            )
        if rel.lower().endswith(".json"):
            try:
                document, lines = parse_json(text)
            except ParseProblem as exc:
                ctx.problem(rel, exc.line, exc.message, level="error")
                where = f"line {exc.line}: " if exc.line else ""
                return ctx.evidence(
                    kind, rel, None, path=rel, line=exc.line, problem=f"{where}{exc.message}"
                )
            if not isinstance(document, dict):
                message = "a JSON model card must be an object with model_details, ..."
                ctx.problem(rel, 1, message, level="error")
                return ctx.evidence(kind, rel, None, path=rel, line=1, problem=message)
            parsed = parse_model_card(json_safe(document), lines)
        else:
            parsed = parse_markdown(text, rel)
            if parsed.front_error:
                ctx.problem(rel, parsed.front_error_line, f"front matter: {parsed.front_error}")
        data, locations, dated = build_data(ctx, rel, parsed, options)
        return ctx.evidence(kind, rel, data, path=rel, dated=dated, locations=locations)


@hookimpl
def govgate_collectors() -> Sequence[type[Collector]]:
    return [DocumentsCollector]
