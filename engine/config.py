"""govgate.yaml: the target repository's description of its AI system and how to check it.

Loaded once per run and validated against the shipped schema (`govgate schema config`); every
problem is reported as `govgate.yaml:LINE: key: message` with exit 2.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govgate.errors import ConfigError, InputError, InputErrors
from govgate.yamlload import LoadedYaml, load_yaml_file

CONFIG_NAMES = ("govgate.yaml", "govgate.yml")
DEFAULT_WAIVERS = "governance/waivers.yaml"
DEFAULT_LOCKER = ".govgate/locker.db"


@dataclass
class Config:
    """The validated project configuration."""

    root: Path
    file: str
    system: dict[str, Any]
    packs: list[str]
    params: dict[str, dict[str, Any]]
    evidence: dict[str, list[str]]
    collectors: dict[str, dict[str, Any]]
    waivers: str
    fail_on: str
    locker: str
    raw: dict[str, Any] = field(default_factory=dict)
    loaded: LoadedYaml | None = None

    def line_of(self, *keys: str) -> int | None:
        if self.loaded is None:
            return None
        return self.loaded.line_of("".join(f"/{k}" for k in keys))


def find_config(root: Path) -> Path | None:
    for name in CONFIG_NAMES:
        candidate = root / name
        if candidate.is_file():
            return candidate
    return None


def load_config(root: Path) -> Config:
    """Load and validate `govgate.yaml` at the repository root."""
    if not root.exists():
        raise ConfigError(str(root), None, "no such directory")
    if not root.is_dir():
        raise ConfigError(str(root), None, "not a directory; pass the repository's folder")
    file = find_config(root)
    if file is None:
        raise ConfigError(
            str(root / "govgate.yaml"), None, "not found; run `govgate init` to create one"
        )
    loaded = load_yaml_file(file, display=file.name)
    return config_from_loaded(root, loaded)


def config_from_loaded(root: Path, loaded: LoadedYaml) -> Config:
    """Validate an already parsed config document (used by `policy test` cases too)."""
    from govgate.schema import load_schema, schema_errors

    data = loaded.data
    if data is None:
        raise ConfigError(loaded.path, 1, "file is empty; it needs at least `system: {name, risk}`")
    if not isinstance(data, dict):
        raise ConfigError(loaded.path, 1, "must be a mapping of keys (system:, packs:, ...)")
    problems = schema_errors(loaded, load_schema("config"))
    if problems:
        raise InputErrors([ConfigError(loaded.path, line, text) for line, text in problems])
    evidence = {
        kind: [paths] if isinstance(paths, str) else list(paths)
        for kind, paths in (data.get("evidence") or {}).items()
    }
    for kind, paths in evidence.items():
        for pattern in paths:
            if pattern.startswith("/") or ".." in pattern.split("/"):
                raise ConfigError(
                    loaded.path,
                    loaded.line_of(f"/evidence/{kind}"),
                    f"evidence.{kind}: {pattern!r} points outside the repository; "
                    "use a path relative to it",
                )
    return Config(
        root=root.resolve(),
        file=loaded.path,
        system=dict(data["system"]),
        packs=list(data.get("packs") or []),
        params={k: dict(v) for k, v in (data.get("params") or {}).items()},
        evidence=evidence,
        collectors={k: dict(v) for k, v in (data.get("collectors") or {}).items()},
        waivers=data.get("waivers", DEFAULT_WAIVERS),
        fail_on=data.get("fail_on", "high"),
        locker=data.get("locker", DEFAULT_LOCKER),
        raw=data,
        loaded=loaded,
    )


def config_error(config: Config, keys: tuple[str, ...], message: str) -> InputError:
    """An error about a key of govgate.yaml, pointing at its line."""
    return ConfigError(config.file, config.line_of(*keys), f"{'.'.join(keys)}: {message}")
