"""How a file path is shown in messages (relative to the working directory when inside it),
and the one check that a file read as part of a folder does not leave it through a symlink."""

from __future__ import annotations

import os
from pathlib import Path

from govgate.support.errors import InputError


def display_path(path: Path) -> str:
    """`path` relative to the working directory when it lies inside it, else as given."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(path)
    return str(path) if rel.startswith("..") else rel


def link_target_outside(path: Path, root: Path) -> Path | None:
    """Where `path` really is, when a symlink (the file, or a folder on its way) takes it
    outside `root`; None when it stays inside, or does not exist (its reader says so)."""
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):  # missing, or a symlink loop: reading it will say which
        return None
    real_root = root.resolve()
    if resolved == real_root or real_root in resolved.parents:
        return None
    return resolved


def refuse_link_outside(path: Path, root: Path, shown: str, where: str = "the repository") -> None:
    """InputError naming the link and its target when `path` leads outside `root` through a
    symlink: a file read as part of the repository (govgate.yaml, a pack) must be in it, or
    a change could bring in content no review of the repository ever sees."""
    target = link_target_outside(path, root)
    if target is not None:
        raise InputError(
            shown,
            None,
            f"is a symlink to {target}, outside {where}; refused: "
            f"put the file itself in {where} instead of a link",
        )


def links_leaving(folder: Path) -> list[tuple[Path, Path]]:
    """(link, target) for every symlink under `folder` (files and folders, not followed)
    whose target lies outside it, in a stable order."""
    found: list[tuple[Path, Path]] = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        for name in sorted([*dirnames, *filenames]):
            entry = Path(dirpath) / name
            if entry.is_symlink():
                target = link_target_outside(entry, folder)
                if target is not None:
                    found.append((entry, target))
    return sorted(found)
