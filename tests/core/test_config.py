"""govgate.yaml: every collector's section is checked against that collector's settings schema,
on the cold path and through the validation marks of the warm one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest

from govgate.core.collector import Collector
from govgate.core.config import load_config
from govgate.core.loader import load_policy_set
from govgate.core.settings import SettingsSchemas
from govgate.run.check import get_registry
from govgate.support.errors import InputErrors, PluginError

from conftest import CliResult, RepoBuilder

BUILTIN_COLLECTORS = (
    "files",
    "config",
    "git",
    "documents",
    "attestations",
    "fairness",
    "decision_logs",
    "test_reports",
    "pii",
)


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def test_a_misspelled_collector_key_is_exit_2_naming_the_line_and_the_fix(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult]
) -> None:
    config = (
        "system: {name: x, risk: high}\n"
        "packs: [audit-trail]\n"
        "collectors:\n"
        "  decision_logs:\n"
        "    path: logs/*.jsonl\n"
    )
    repo = make_repo({"govgate.yaml": config})
    result = run_cli("check", repo.path, "--no-locker")
    assert result.exit_code == 2
    assert (
        "govgate.yaml:5: $.collectors.decision_logs.path: unknown key 'path'; did you mean 'paths'?"
    ) in result.stderr
    assert result.stdout == ""


def test_every_builtin_collector_declares_its_settings_and_refuses_others() -> None:
    from jsonschema import Draft202012Validator

    registry = get_registry()
    schemas = SettingsSchemas.of(registry.collectors, registry.backends)
    assert set(BUILTIN_COLLECTORS) <= set(schemas.collectors)
    for name in BUILTIN_COLLECTORS:
        Draft202012Validator.check_schema(schemas.collectors[name])
        assert schemas.collectors[name].get("additionalProperties") is False, name
    assert schemas.backends["duckdb"].get("additionalProperties") is False


@pytest.mark.parametrize("collector", BUILTIN_COLLECTORS)
def test_an_unknown_key_under_any_builtin_collector_is_refused(
    collector: str, make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult]
) -> None:
    config = f"system: {{name: x, risk: high}}\ncollectors:\n  {collector}:\n    colour: blue\n"
    repo = make_repo({"govgate.yaml": config})
    result = run_cli("check", repo.path, "--no-locker")
    assert result.exit_code == 2
    assert f"govgate.yaml:4: $.collectors.{collector}.colour: unknown key 'colour'" in (
        result.stderr
    )


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            "test_reports: {junit_path: [reports/*.xml]}",
            "test_reports.junit_path: unknown key 'junit_path'; did you mean 'junit_paths'?",
        ),
        ("git: {governance_paths: 3}", "governance_paths: 3 is not of type 'string', 'array'"),
        (
            "decision_logs: {required_fields: [decision_id, reviewer]}",
            "$.collectors.decision_logs.required_fields[1]: 'reviewer' is not one of",
        ),
        (
            "fairness: {analyses: [{name: a, path: p.csv, prediction: y, atrs: [sex]}]}",
            "$.collectors.fairness.analyses[0].atrs: unknown key 'atrs'; did you mean 'attrs'?",
        ),
    ],
)
def test_wrong_values_name_the_key(
    settings: str,
    message: str,
    make_repo: Callable[..., RepoBuilder],
    run_cli: Callable[..., CliResult],
) -> None:
    config = f"system: {{name: x, risk: high}}\ncollectors:\n  {settings}\n"
    repo = make_repo({"govgate.yaml": config})
    result = run_cli("check", repo.path, "--no-locker")
    assert result.exit_code == 2
    assert "govgate.yaml:3: " in result.stderr and message in result.stderr


def test_the_settings_the_examples_use_pass(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult]
) -> None:
    config = (
        "system: {name: x, risk: high}\n"
        "packs: [audit-trail]\n"
        "collectors:\n"
        "  decision_logs: {paths: logs/*.jsonl, retention_max_days: 1825, gap_hours: 12.5,\n"
        "                  required_fields: [decision_id], jsonl_reader: python}\n"
        "  test_reports: {junit_paths: reports/*.xml, categories: {resilience: [timeout]}}\n"
        "  git: {governance_paths: [governance/**], codeowners: CODEOWNERS}\n"
        "  pii: {paths: [data/**]}\n"
        "  attestations: {paths: governance/attest/*.yaml}\n"
    )
    repo = make_repo({"govgate.yaml": config})
    result = run_cli("check", repo.path, "--no-locker")
    assert result.exit_code == 1, result.stderr  # evidence is missing; the settings are fine


def test_a_misspelled_backend_setting_is_exit_2_naming_the_line(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult]
) -> None:
    config = "system: {name: x, risk: high}\nbackend_settings:\n  memory_limt: 1GB\n"
    repo = make_repo({"govgate.yaml": config})
    result = run_cli("check", repo.path, "--no-locker")
    assert result.exit_code == 2
    assert (
        "govgate.yaml:3: $.backend_settings.memory_limt: unknown key 'memory_limt'; "
        "did you mean 'memory_limit'?"
    ) in result.stderr


class _Takes(Collector):
    """A plugin collector with one setting, whose schema a test can swap."""

    name = "takes"
    version = "1"
    settings_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {"depth": {"type": "integer"}},
    }

    def collect(self, ctx: Any) -> list[Any]:
        return []


class _Silent(Collector):
    """A plugin collector that declares no settings schema."""

    name = "silent"
    version = "1"

    def collect(self, ctx: Any) -> list[Any]:
        return []


def test_a_mark_stands_for_the_settings_schemas_too(tmp_path: Path) -> None:
    (tmp_path / "govgate.yaml").write_text(
        "system: {name: x, risk: high}\ncollectors:\n  takes: {depth: 2}\n"
    )
    before = SettingsSchemas.of({"takes": _Takes})
    assert load_config(tmp_path, validated_cache=True, settings_schemas=before).settings_checked
    assert load_config(tmp_path, validated_cache=True, settings_schemas=before).settings_checked
    # The plugin is upgraded: `depth` is now a string. The mark made above must not hide it.
    after = SettingsSchemas(
        {"takes": {**_Takes.settings_schema, "properties": {"depth": {"type": "string"}}}}
    )
    with pytest.raises(InputErrors, match=r"govgate.yaml:3: \$.collectors.takes.depth: 2 is not"):
        load_config(tmp_path, validated_cache=True, settings_schemas=after)


def test_a_collector_without_a_settings_schema_takes_no_settings(tmp_path: Path) -> None:
    (tmp_path / "govgate.yaml").write_text(
        "system: {name: x, risk: high}\ncollectors:\n  silent: {depth: 2}\n"
    )
    with pytest.raises(InputErrors) as raised:
        load_config(tmp_path, settings_schemas=SettingsSchemas.of({"silent": _Silent}))
    assert str(raised.value) == (
        "govgate.yaml:3: $.collectors.silent.depth: unknown key 'depth'; no keys are allowed here"
    )


def test_an_invalid_settings_schema_names_the_collector(tmp_path: Path) -> None:
    (tmp_path / "govgate.yaml").write_text("system: {name: x, risk: high}\n")
    with pytest.raises(PluginError, match="collector 'broken' declares an invalid settings_schema"):
        load_config(tmp_path, settings_schemas=SettingsSchemas({"broken": {"type": "dictionary"}}))


def test_a_config_read_without_the_schemas_is_checked_by_the_policy_loader(
    tmp_path: Path,
) -> None:
    # `policy test` cases and `--policies-from` configs are loaded before the registry is at
    # hand: loading the packs checks their collector settings instead.
    (tmp_path / "govgate.yaml").write_text(
        "system: {name: x, risk: high}\ncollectors:\n  pii: {path: [data/**]}\n"
    )
    config = load_config(tmp_path)
    assert not config.settings_checked
    with pytest.raises(InputErrors) as raised:
        load_policy_set(get_registry(), config, ["audit-trail"], now=_now())
    assert "govgate.yaml:3: $.collectors.pii.path: unknown key 'path'; did you mean 'paths'?" in (
        str(raised.value)
    )


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime(2026, 6, 1, tzinfo=UTC)
