"""`govgate schema NAME`: every shipped schema is a valid JSON Schema."""

from __future__ import annotations

import json

import jsonschema


def test_schema_commands_print_valid_json_schemas(run_cli) -> None:
    for name in ("policy", "config", "result", "waivers", "fairness"):
        result = run_cli("schema", name)
        assert result.exit_code == 0
        jsonschema.Draft202012Validator.check_schema(json.loads(result.stdout))
