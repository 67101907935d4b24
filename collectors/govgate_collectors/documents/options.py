"""A documents kind's `options:` (required sections and fields, date fields), checked once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from govgate.api import EvidenceKind
from govgate.support.errors import CollectorError


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
