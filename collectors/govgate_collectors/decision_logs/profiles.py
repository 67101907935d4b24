"""How one decision log is written: its field names (`fields:`, catalogue name -> the log's own
name or dotted path), its timestamp format and the zone of timestamps without an offset."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from govgate_collectors.decision_logs.record import RECORD_FIELD_NAMES

#: Names `fields:` may map: the record's fields, and the `human_review` object itself.
MAPPABLE = ("human_review", *RECORD_FIELD_NAMES)
#: One name in a dotted path: what JSON keys, CSV headers and Parquet columns are in practice
#: (`@timestamp`, `review-by`, `ts`). A dot always separates two levels.
_SEGMENT = re.compile(r"^[A-Za-z0-9_@$\-]+$")


@dataclass(frozen=True)
class LogProfile:
    """One log's field names and timestamp reading (the defaults: the catalogue's, auto, UTC)."""

    fields: tuple[tuple[str, str], ...] = ()
    timestamp_format: str = "auto"
    timezone: str = "UTC"
    mapping: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def of(cls, fields: Mapping[str, str], timestamp_format: str, timezone: str) -> LogProfile:
        return cls(tuple(sorted(fields.items())), timestamp_format, timezone, dict(fields))

    def source_of(self, name: str) -> str:
        """The log's own (dotted) name of a catalogue field."""
        if name in self.mapping:
            return self.mapping[name]
        if name == "human_review" or not name.startswith("human_review."):
            return name
        # A review member not mapped itself lives in the mapped human_review object.
        parent = self.mapping.get("human_review", "human_review")
        return f"{parent}.{name.partition('.')[2]}"

    def segments(self, name: str) -> list[str]:
        return self.source_of(name).split(".")

    def describe(self) -> str:
        """The mapped fields as `field <- the log's name`, in catalogue order (for a notice)."""
        return ", ".join(
            f"{name} <- {self.source_of(name)}"
            for name in MAPPABLE
            if name in self.mapping and self.source_of(name) != name
        )

    def catalogue_names(self) -> dict[str, str]:
        """The log's own name of each mapped field -> the catalogue name (for CSV headers)."""
        return {self.source_of(name): name for name in MAPPABLE}


#: A log written with the catalogue's own names, timestamps detected, UTC.
CATALOGUE_PROFILE = LogProfile()


def check_fields(raw: Any) -> tuple[dict[str, str], str | None]:
    """`fields:` validated: (mapping, None), or ({}, what is wrong)."""
    if raw is None:
        return {}, None
    if not isinstance(raw, dict):
        return {}, "must be a mapping of record field -> the log's own name"
    mapping: dict[str, str] = {}
    for name, source in raw.items():
        if name not in MAPPABLE:
            return {}, (
                f"{name!r} is not a field of the decision record; the fields are "
                f"{', '.join(MAPPABLE)}"
            )
        if not isinstance(source, str) or not all(
            _SEGMENT.match(part) for part in source.split(".")
        ):
            return {}, (
                f"{name}: {source!r} is not a field name or dotted path (letters, digits, "
                "_ @ $ -, levels separated by dots)"
            )
        mapping[str(name)] = source
    # A review member that is not mapped itself follows the mapped human_review object; the
    # human_review object follows its mapped members when only they are mapped.
    if "human_review" not in mapping:
        parents = {
            source.rpartition(".")[0]
            for name, source in mapping.items()
            if name.startswith("human_review.") and "." in source
        }
        if len(parents) == 1:
            mapping["human_review"] = parents.pop()
    clash = _shared_source(mapping)
    if clash:
        return {}, clash
    return mapping, None


def _shared_source(mapping: dict[str, str]) -> str | None:
    """Every pair of catalogue fields that would read the same name of the log, or None.

    Every field is resolved, mapped or not: a field left out of `fields:` keeps its own name, so
    `human_review.reviewer_id: system_id` would read the system id as the reviewer (and
    `human_review.timestamp: timestamp` the decision's time as the review's).
    """
    profile = LogProfile.of(mapping, "auto", "UTC")
    seen: dict[str, str] = {}
    clashes = []
    for name in MAPPABLE:
        source = profile.source_of(name)
        if source not in seen:
            seen[source] = name
            continue
        first = seen[source]
        how = [
            f"{field} is mapped to it" if field in mapping else f"{field} keeps its own name"
            for field in (first, name)
        ]
        clashes.append(f"{first} and {name} would both read {source!r} ({how[0]}, {how[1]})")
    if not clashes:
        return None
    return "; ".join(clashes) + "; map each field to its own name in the log"


FIELDS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "record field -> the log's own name (dotted for nested fields)",
    "propertyNames": {"enum": list(MAPPABLE)},
    # Checked here too, so a malformed name is a usage error naming the line of govgate.yaml.
    "additionalProperties": {
        "type": "string",
        "pattern": r"^[A-Za-z0-9_@$\-]+(\.[A-Za-z0-9_@$\-]+)*$",
    },
}
