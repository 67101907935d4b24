"""The parts of govgate.yaml that plugins define, and the JSON Schemas they are checked against.

Each collector declares the schema of its section, `collectors: {NAME: {...}}`, as its
`settings_schema`; an aggregation backend may declare the schema of `backend_settings` (used
when govgate.yaml selects it) as a `settings_schema` attribute of its factory. govgate.yaml is
validated against the shipped config schema with these put in place, in one pass, so an unknown
key anywhere in the file is exit 2 with its line and a did-you-mean.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from govgate.core.collector import Collector
from govgate.support.errors import PluginError
from govgate.support.yamlload import LoadedYaml

#: The backend when govgate.yaml names none (as govgate.analysis.aggregate has it).
DEFAULT_BACKEND = "duckdb"


@dataclass(frozen=True)
class SettingsSchemas:
    """Collector name -> the schema of its section; backend name -> that of `backend_settings`
    (only backends that declare one: the others check their settings when they start)."""

    collectors: Mapping[str, Mapping[str, Any]]
    backends: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def of(
        cls, collectors: Mapping[str, type[Collector]], backends: Mapping[str, Any] | None = None
    ) -> SettingsSchemas:
        """The schemas the installed collectors and backend factories declare."""
        declared = {
            name: schema
            for name, factory in (backends or {}).items()
            if (schema := getattr(factory, "settings_schema", None)) is not None
        }
        return cls({name: c.settings_schema for name, c in collectors.items()}, declared)

    def backend_schema(self, data: Any) -> Mapping[str, Any] | None:
        """The schema of `backend_settings` for the backend DATA (govgate.yaml) selects."""
        name = data.get("backend", DEFAULT_BACKEND) if isinstance(data, dict) else None
        return self.backends.get(name) if isinstance(name, str) else None

    def salt(self, data: Any) -> bytes:
        """What a validation mark adds to the file's bytes: the schemas the file was checked
        against (those of the collectors it configures and of its backend), so that a plugin
        upgrade that changes one, or installs a collector configured before, validates the
        file again."""
        from govgate.core.evidence import canonical_json

        configured = data.get("collectors") if isinstance(data, dict) else None
        names = sorted(str(name) for name in configured) if isinstance(configured, dict) else []
        used = {
            "collectors": {name: self.collectors.get(name) for name in names},
            "backend": self.backend_schema(data),
        }
        return b"\0settings\0" + hashlib.sha256(canonical_json(used)).digest()

    def check(self) -> None:
        """Refuse a plugin whose settings schema is not a JSON Schema, naming it."""
        from govgate.support.schemas import validator_class

        validator = validator_class()  # first: it decides how jsonschema is imported
        from jsonschema.exceptions import SchemaError

        named = [(f"collector '{n}'", s) for n, s in self.collectors.items()]
        named += [(f"backend '{n}'", s) for n, s in self.backends.items()]
        for who, schema in named:
            try:
                if not isinstance(schema, Mapping):
                    raise SchemaError(f"{schema!r} is not a mapping")
                validator.check_schema(schema)
            except SchemaError as exc:
                raise PluginError(
                    f"{who} declares an invalid settings_schema: {exc.message}"
                ) from None

    def applied(self, schema: Mapping[str, Any], data: Any) -> dict[str, Any]:
        """SCHEMA (the config schema) with each collector's schema under `collectors.NAME` and
        the selected backend's under `backend_settings`.

        Names without a schema (collectors not installed) stay as the config schema has them:
        whether such a name is a collector at all is the policy loader's question.
        """
        properties = dict(schema["properties"])
        collectors = dict(properties.get("collectors") or {})
        collectors["properties"] = {n: dict(s) for n, s in sorted(self.collectors.items())}
        properties["collectors"] = collectors
        backend = self.backend_schema(data)
        if backend is not None:
            properties["backend_settings"] = dict(backend)
        return {**schema, "properties": properties}

    def problems(self, loaded: LoadedYaml) -> list[tuple[int | None, str]]:
        """Each way LOADED breaks these schemas, as (line, message): for a config read without
        them (`policy test` cases, `--policies-from` files)."""
        from govgate.support.schemas import schema_errors

        self.check()
        return schema_errors(loaded, self.applied({"properties": {}}, loaded.data))
