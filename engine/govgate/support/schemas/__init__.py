"""Load the shipped JSON Schemas and validate documents with messages that name file:line.

jsonschema's raw messages say what is wrong but not where in the file; these helpers turn each
error into `file:line: json.path: message`, point unknown keys at the key itself and suggest
the closest allowed name, so a typo never passes silently.
"""

from __future__ import annotations

import json
import sys
from functools import cache
from importlib.resources import files
from typing import Any

from govgate.support.suggest import did_you_mean
from govgate.support.yamlload import LoadedYaml, pointer_from_path


@cache
def load_schema(name: str) -> dict[str, Any]:
    """A shipped schema by short name (`policy`, `config`, `result`, ...)."""
    text = files("govgate.support.schemas").joinpath(f"{name}.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


#: Libraries jsonschema's format checkers use when installed, kept out of its import: govgate
#: never checks `format`, and rfc3987_syntax (which `cyclonedx-python-lib[json-validation]`
#: installs through jsonschema's format extra) builds about forty grammars as it is imported,
#: over a second of every cold run.
_UNUSED_FORMAT_LIBRARIES = ("rfc3987_syntax",)


def validator_class() -> Any:
    """jsonschema's Draft 2020-12 validator, imported without the format checkers' libraries.

    Every govgate module that validates imports jsonschema through here, so whichever runs
    first keeps those libraries out. They are hidden only while jsonschema loads: code that
    imports one of them itself later gets it as usual. Validation is unchanged, since no
    govgate validator is given a format checker (`format` is an annotation to them).
    """
    if "jsonschema" not in sys.modules:
        hidden = [name for name in _UNUSED_FORMAT_LIBRARIES if name not in sys.modules]
        for name in hidden:
            sys.modules[name] = None  # type: ignore[assignment]  # import raises ImportError
        try:
            import jsonschema  # noqa: F401
        finally:
            for name in hidden:
                if sys.modules.get(name, ...) is None:
                    del sys.modules[name]
    from jsonschema import Draft202012Validator

    return Draft202012Validator


def json_path(parts: Any) -> str:
    """`$.rules[3].severity` from a jsonschema absolute path."""
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _best_errors(error: Any) -> list[Any]:
    """Descend into oneOf/anyOf to the errors a person can act on."""
    if error.validator in ("oneOf", "anyOf") and error.context:
        # Prefer the branch that got furthest (deepest path), as jsonschema's best_match does.
        deepest = max(len(e.absolute_path) for e in error.context)
        if deepest > len(error.absolute_path):
            chosen = [e for e in error.context if len(e.absolute_path) == deepest]
            return [leaf for e in chosen for leaf in _best_errors(e)]
    return [error]


def schema_errors(
    loaded: LoadedYaml, schema: dict[str, Any], instance: Any = None
) -> list[tuple[int | None, str]]:
    """Every schema violation of `loaded.data` as (line, "json.path: message"), sorted by line."""
    validator = validator_class()(schema)  # heavy import, kept off the warm path
    data = loaded.data if instance is None else instance
    found: list[tuple[int | None, str]] = []
    seen: set[tuple[int | None, str]] = set()
    for top in validator.iter_errors(data):
        for error in _best_errors(top):
            for line, text in _describe(loaded, error):
                if (line, text) not in seen:
                    seen.add((line, text))
                    found.append((line, text))
    found.sort(key=lambda item: (item[0] or 0, item[1]))
    return found


def _describe(loaded: LoadedYaml, error: Any) -> list[tuple[int | None, str]]:
    path = list(error.absolute_path)
    pointer = pointer_from_path(path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        out = []
        for key in error.instance:
            if key in allowed:
                continue
            listed = f"; allowed: {', '.join(allowed)}" if allowed else "; no keys are allowed here"
            suggestion = did_you_mean(str(key), allowed) or listed
            line = loaded.line_of(pointer_from_path([*path, key]))
            out.append((line, f"{json_path([*path, key])}: unknown key '{key}'{suggestion}"))
        if out:
            return out
    if error.validator == "required":
        return [(loaded.line_of(pointer), f"{json_path(path)}: {error.message}")]
    if error.validator == "enum":
        choices = ", ".join(map(str, error.validator_value))
        return [
            (
                loaded.line_of(pointer),
                f"{json_path(path)}: {error.instance!r} is not one of: {choices}",
            )
        ]
    message = error.message
    if len(message) > 200:
        message = message[:197] + "..."
    return [(loaded.line_of(pointer), f"{json_path(path)}: {message}")]
