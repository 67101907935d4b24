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


#: A library jsonschema's format checkers call, which it imports with jsonschema itself:
#: rfc3987_syntax (installed with `cyclonedx-python-lib[json-validation]`, through jsonschema's
#: format extra) builds about forty grammars as it is imported, over a second of every cold
#: run, though only the `iri` and `iri-reference` formats use it.
_DEFERRED_FORMAT_LIBRARY = "rfc3987_syntax"


def validator_class() -> Any:
    """jsonschema's Draft 2020-12 validator, with rfc3987_syntax loaded only when used.

    Every govgate module that validates imports jsonschema through here. While jsonschema
    loads, rfc3987_syntax is a stand-in whose `is_valid_syntax` imports the real library on its
    first call, so the `iri` formats are checked exactly as before (the CycloneDX validators
    the aibom collector and `govgate bom` use check them) and only a run that checks one pays
    for the grammars. The stand-in is gone once jsonschema has loaded: code that imports the
    library itself gets the real one.
    """
    if "jsonschema" not in sys.modules and _DEFERRED_FORMAT_LIBRARY not in sys.modules:
        stand_in = _deferred_rfc3987_syntax()
        sys.modules[_DEFERRED_FORMAT_LIBRARY] = stand_in
        try:
            import jsonschema  # noqa: F401
        finally:
            if sys.modules.get(_DEFERRED_FORMAT_LIBRARY) is stand_in:
                del sys.modules[_DEFERRED_FORMAT_LIBRARY]
    from jsonschema import Draft202012Validator

    return Draft202012Validator


def _deferred_rfc3987_syntax() -> Any:
    """A module that stands in for rfc3987_syntax while jsonschema imports from it."""
    import importlib.util
    import types

    if importlib.util.find_spec(_DEFERRED_FORMAT_LIBRARY) is None:
        return None  # not installed: jsonschema's import fails as it would without us
    module = types.ModuleType(_DEFERRED_FORMAT_LIBRARY)

    def is_valid_syntax(*args: Any, **kwargs: Any) -> Any:
        real = importlib.import_module(_DEFERRED_FORMAT_LIBRARY)
        return real.is_valid_syntax(*args, **kwargs)

    module.is_valid_syntax = is_valid_syntax  # type: ignore[attr-defined]
    return module


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
