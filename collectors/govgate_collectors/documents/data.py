"""A parsed document as evidence data: outline, required sections, front matter (masked),
missing fields and dates, with the source line of each."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from govgate.api import CollectContext
from govgate.support.pii import redact_json, redact_pointer, redact_text
from govgate.support.yamlload import pointer_join
from govgate_collectors.documents.dates import dated, read_dates
from govgate_collectors.documents.options import DocumentOptions
from govgate_collectors.documents.parsed import MODEL_CARD_SECTIONS, Parsed
from govgate_collectors.documents.text import is_empty, lookup, normalise


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
    dates, values = read_dates(ctx, rel, parsed.body_dates, options, front, front_lines, locations)
    dated_on = dated(options, values, ctx.now.date(), ctx, rel)
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
    return data, locations, dated_on


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
