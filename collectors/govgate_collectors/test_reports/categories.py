"""Test categories a policy asks about (adversarial, prompt injection, edge cases, load, human
override), recognised from a test's markers, name and class name."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from govgate.api import CollectContext
from govgate.support.errors import CollectorError

#: Keywords per category, matched against test names and class names as whole words (or word
#: prefixes: "edge" matches "edges" but not "knowledge"), and exactly against marker names.
#: A marker equal to the category name always counts. `load` has no bare "load" keyword on
#: purpose: `test_load_model` is not a load test.
DEFAULT_CATEGORIES: dict[str, tuple[str, ...]] = {
    "adversarial": ("adversarial", "evasion", "perturbation"),
    "prompt_injection": ("prompt_injection", "injection", "jailbreak"),
    "edge_case": ("edge", "boundary", "corner_case"),
    "load": ("load_test", "loadtest", "stress_test", "soak", "spike_test"),
    # A tested human override path (EU AI Act Art. 14(4)(d)); a bare "override" would also
    # match configuration overrides, so names must say whose override it is.
    "override": ("human_override", "reviewer_override", "manual_override", "override_decision"),
}


def _normalise(text: str) -> str:
    """`TestPromptInjection.test_edge[x]` -> `_test_prompt_injection_test_edge_x_`."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    tokens = [t for t in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if t]
    return "_" + "_".join(tokens) + "_"


class Categories:
    """Which categories a test belongs to, from its markers and names."""

    def __init__(self, keywords: Mapping[str, tuple[str, ...]]) -> None:
        self.keywords = dict(keywords)
        # Normalised once: a marker must equal one of `markers`; a name must contain a needle.
        self._markers = {
            name: {_normalise(name).strip("_")} | {_normalise(w).strip("_") for w in words}
            for name, words in self.keywords.items()
        }
        self._needles = {
            name: tuple("_" + _normalise(w).strip("_") for w in words if w.strip("_ "))
            for name, words in self.keywords.items()
        }

    def of(self, name: str, classname: str, markers: Iterable[str]) -> list[str]:
        text = _normalise(name) + _normalise(classname)
        marker_set = {_normalise(m).strip("_") for m in markers if m.strip()}
        return [
            category
            for category in self.keywords
            if marker_set & self._markers[category]
            or any(needle in text for needle in self._needles[category])
        ]


def categories_from_settings(ctx: CollectContext) -> Categories:
    raw = ctx.settings.get("categories")
    merged = dict(DEFAULT_CATEGORIES)
    if raw is None:
        return Categories(merged)
    if not isinstance(raw, dict):
        raise CollectorError(
            "govgate.yaml collectors.test_reports.categories: must map a category to keywords"
        )
    for name, words in raw.items():
        if isinstance(words, str):
            words = [words]
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise CollectorError(
                f"govgate.yaml collectors.test_reports.categories.{name}: must be a list of "
                "keywords"
            )
        merged[str(name)] = tuple(words)
    return Categories(merged)
