"""`govgate plugins`: the built-in plugins and what each provides."""

from __future__ import annotations

import json


def test_plugins_lists_builtins(run_cli) -> None:
    result = run_cli("plugins", "--format", "json")
    assert result.exit_code == 0
    plugins = {p["name"]: p for p in json.loads(result.stdout)}
    assert "config" in plugins["govgate_collectors.config"]["collectors"]
    assert "human-oversight" in plugins["govgate.builtin"]["packs"]
    assert plugins["govgate.builtin"]["builtin"] is True
