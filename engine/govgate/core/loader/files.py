"""Where packs are: the folders a pack name or repository path means, the YAML files of a
pack folder, their digest, and how a file is named in messages."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

from govgate.core.config import Config
from govgate.core.plugins import Registry
from govgate.support.errors import PolicyError
from govgate.support.suggest import closest

PACK_FILE = "pack.yaml"


def display_path(path: Path) -> str:
    """How a file is named in messages: relative to the working directory when near it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # pragma: no cover - different drive on Windows
        return str(path)
    return str(path) if rel.startswith("../../..") else rel


def pack_files(folder: Path) -> list[Path]:
    """The YAML files of a pack folder (pack.yaml first), or the file itself."""
    if folder.is_file():
        return [folder]
    files = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    files.sort(key=lambda p: p.name != PACK_FILE)
    return files


def pack_digest(files: Iterable[Path]) -> str:
    """sha256 over the pack's files (name and bytes), recorded with every run."""
    digest = hashlib.sha256()
    for file in sorted(files, key=lambda p: p.name):
        digest.update(file.name.encode() + b"\0" + file.read_bytes() + b"\0")
    return "sha256:" + digest.hexdigest()


def resolve_pack_folders(
    names: list[str], registry: Registry, config: Config | None
) -> list[tuple[str, Path, bool]]:
    """(requested name, folder, builtin) for each pack name or repository path."""
    resolved = []
    for index, name in enumerate(names):
        if name in registry.packs:
            resolved.append((name, registry.packs[name], True))
            continue
        looks_like_path = "/" in name or name.startswith(".") or name.endswith((".yaml", ".yml"))
        if looks_like_path and config is not None:
            folder = (config.root / name).resolve()
            if config.root not in folder.parents and folder != config.root:
                raise PolicyError(
                    config.file,
                    config.line_of("packs", str(index)),
                    f"packs[{index}]: {name!r} points outside the repository",
                )
            if not folder.exists():
                raise PolicyError(
                    config.file,
                    config.line_of("packs", str(index)),
                    f"packs[{index}]: no pack folder at {name!r}",
                )
            resolved.append((name, folder, False))
            continue
        hint = closest(name, registry.packs)
        suggestion = f"did you mean '{hint[0]}'? " if hint else ""
        available = ", ".join(sorted(registry.packs))
        where = config.file if config else "--pack"
        line = config.line_of("packs", str(index)) if config and name in config.packs else None
        raise PolicyError(where, line, f"unknown pack '{name}'; {suggestion}available: {available}")
    return resolved
