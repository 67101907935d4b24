"""The one masking step between govgate and its outputs: whole documents and printed messages.

Every value that reaches a report, the dossier, the evidence locker or the terminal passes
through `mask_document` (a JSON document: the result, a run record, a fairness analysis) or
`mask_message` (an error printed on stderr), so no reporter, command or error has to remember
to mask. Both use `govgate.support.pii.redact_text`: a string the pre-filter turns away costs
one regex search.

A few fields are not free text, and masking could corrupt them: a digest or commit hash, a
timestamp or date, a version number (`1.2.3.4` has the shape of an IPv4 address). They are
listed in `KEPT_FIELDS` with the shape their value must have; a value of that shape is kept as
it is, and a value of any other shape is masked like free text, so a field name alone never
lets personal data through. Identifiers and statuses are masked like everything else: none
that govgate accepts has the shape of personal data, and one that did would be personal data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from govgate.support.pii import distinct_key, phone_regions, redact_text

_HEX = re.compile(r"(?:sha256:)?[0-9a-f]{7,64}")
_MOMENT = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?",
    re.ASCII,
)
_VERSION = re.compile(r"v?\d{1,9}(?:\.\d{1,9}){0,3}(?:[-+][0-9A-Za-z.-]{1,64})?", re.ASCII)

#: Fields kept as they are when their value has the shape given: hashes, moments, versions.
KEPT_FIELDS: dict[str, re.Pattern[str]] = {
    **dict.fromkeys(
        (
            "digest",
            "hash",
            "prev_hash",
            "results_digest",
            "input_sha256",
            "commit",
            "base_commit",
            "merge_base",
            "policies_commit",
            "target_commit",
        ),
        _HEX,
    ),
    **dict.fromkeys(
        (
            "started_at",
            "finished_at",
            "collected_at",
            "evaluated_at",
            "generated_at",
            "stored_at",
            "dated",
            "approved",
            "expires",
        ),
        _MOMENT,
    ),
    **dict.fromkeys(("version", "collector_version", "tool_version"), _VERSION),
}


def mask_document(value: Any, jurisdictions: Iterable[Any] | None = None) -> Any:
    """A copy of the JSON value `value` with personal data masked in every string, keys
    included, except the values of `KEPT_FIELDS` that have their field's shape.

    `jurisdictions` (the configuration's `system.jurisdictions`) add the regions national
    phone numbers are looked for in (`govgate.support.pii_numbers.phone_regions`)."""
    return _Masker(phone_regions(jurisdictions)).walk(value)


class _Masker:
    """One document's masking. A result repeats the same strings (rule ids, statuses, kinds,
    paths) thousands of times: each distinct string is masked once, since the commit hook
    masks every run's result."""

    def __init__(self, regions: tuple[str, ...]) -> None:
        self.regions = regions
        self.seen: dict[str, str] = {}

    def text(self, value: str) -> str:
        masked = self.seen.get(value)
        if masked is None:
            masked = self.seen[value] = redact_text(value, self.regions)
        return masked

    def walk(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            out: dict[Any, Any] = {}
            for key, item in value.items():
                shape = KEPT_FIELDS.get(key) if isinstance(key, str) else None
                if shape is not None and isinstance(item, str) and shape.fullmatch(item):
                    out[key] = item
                elif isinstance(key, str):
                    # Two keys that mask alike stay two entries (see `distinct_key`).
                    out[distinct_key(self.text(key), out)] = self.walk(item)
                else:
                    out[key] = self.walk(item)
            return out
        if isinstance(value, list | tuple):
            return [self.walk(item) for item in value]
        return value


def mask_message(text: str) -> str:
    """An error or warning message with the values it quotes masked (duplicate keys, enum
    values, unknown names and ids come from the user's files and can be personal data)."""
    return redact_text(text, phone_regions())
