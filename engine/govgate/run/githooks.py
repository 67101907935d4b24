"""Plain git hooks: `govgate hook install [--pre-push]` and `hook uninstall`.

For teams that do not use the pre-commit framework (which uses `.pre-commit-hooks.yaml` at the
repository root instead). Installing is idempotent, respects `core.hooksPath`, and never loses
a hook that was already there: it is kept beside ours and run first, and `uninstall` puts it
back.
"""

from __future__ import annotations

import shlex
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

from govgate.support.errors import UsageError
from govgate.support.git import hooks_dir as git_hooks_dir

MARKER = "# managed by govgate (govgate hook uninstall removes it)"
CHAINED_SUFFIX = ".govgate-chained"
HOOK_NAMES = ("pre-commit", "pre-push")


@dataclass(frozen=True)
class HookChange:
    hook: str
    path: Path
    action: str  # "installed", "updated", "chained", "removed", "restored", "absent"

    def describe(self) -> str:
        return f"{self.hook}: {self.action} ({self.path})"


def hooks_dir(repo: Path) -> Path:
    """The hooks folder git really uses (honours core.hooksPath and worktrees)."""
    folder = git_hooks_dir(repo)
    if folder is None:
        raise UsageError(f"{repo}: not a git repository (run `git init` first)")
    return folder


def hook_script(hook: str) -> str:
    """The shell script written for `hook`: run a chained hook first, then govgate."""
    # The interpreter that installed the hook runs it: no PATH surprises in GUI git clients.
    # pre-push receives `remote url` as arguments; it gates on everything, as CI will.
    command = f"{shlex.quote(sys.executable)} -m govgate.cli.main check --quiet ."
    return (
        "#!/bin/sh\n"
        f"{MARKER}\n"
        'hook_dir=$(dirname "$0")\n'
        f'if [ -x "$hook_dir/{hook}{CHAINED_SUFFIX}" ]; then\n'
        f'  "$hook_dir/{hook}{CHAINED_SUFFIX}" "$@" || exit $?\n'
        "fi\n"
        f"exec {command}\n"
    )


def _is_ours(path: Path) -> bool:
    try:
        return MARKER in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def install(repo: Path, hooks: tuple[str, ...] = ("pre-commit",)) -> list[HookChange]:
    folder = hooks_dir(repo)
    folder.mkdir(parents=True, exist_ok=True)
    changes = []
    for hook in hooks:
        target = folder / hook
        chained = folder / f"{hook}{CHAINED_SUFFIX}"
        action = "installed"
        if target.exists() or target.is_symlink():
            if _is_ours(target):
                action = "updated"
            elif chained.exists():
                raise UsageError(
                    f"{target}: a hook exists and {chained.name} is already taken; "
                    "merge them by hand, then run `govgate hook install` again"
                )
            else:
                target.rename(chained)  # keep the team's hook; ours runs it first
                action = "chained"
        tmp = target.with_name(f".{hook}.govgate.tmp")
        tmp.write_text(hook_script(hook), encoding="utf-8")
        tmp.chmod(tmp.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        tmp.replace(target)
        changes.append(HookChange(hook, target, action))
    return changes


def uninstall(repo: Path, hooks: tuple[str, ...] = HOOK_NAMES) -> list[HookChange]:
    folder = hooks_dir(repo)
    changes = []
    for hook in hooks:
        target = folder / hook
        chained = folder / f"{hook}{CHAINED_SUFFIX}"
        if not _is_ours(target):
            changes.append(HookChange(hook, target, "absent"))
            continue
        target.unlink()
        if chained.exists():
            chained.rename(target)
            changes.append(HookChange(hook, target, "restored"))
        else:
            changes.append(HookChange(hook, target, "removed"))
    return changes
