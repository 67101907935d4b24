"""One document read into a common shape (`Parsed`): from Markdown, or from a JSON model card
in the model-card-toolkit layout, whose top-level keys are its sections."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from govgate.support.structured import json_safe
from govgate.support.yamlload import pointer_join
from govgate_collectors.documents.markdown import (
    Heading,
    body_dates,
    scan_markdown,
    split_front_matter,
)
from govgate_collectors.documents.text import count_words, is_empty

#: Top-level sections of a model-card-toolkit JSON model card.
MODEL_CARD_SECTIONS = (
    "model_details",
    "model_parameters",
    "quantitative_analysis",
    "considerations",
)


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
    """A Markdown document; its title is the front matter's, else its first top heading."""
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
