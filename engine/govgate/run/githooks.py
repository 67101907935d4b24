"""Git hooks: `govgate hook install [--pre-push]`, `hook uninstall`, and `hook run`, what
both the plain hooks and the pre-commit framework (`.pre-commit-hooks.yaml`) call.

`hook run` judges what git is about to record, never the working tree: the staged files for a
commit, each pushed ref's new tip for a push. Installing is idempotent, respects
`core.hooksPath`, and never loses a hook that was already there: it is kept beside ours and
run first, and `uninstall` puts it back.
"""

from __future__ import annotations

import os
import shlex
import stat
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govgate.run.snapshots import (
    Snapshot,
    commit_snapshot,
    framework_pushed_ref,
    pushed_refs,
    repository_of,
    staged_snapshot,
)
from govgate.support.errors import UsageError
from govgate.support.git import Repository
from govgate.support.git import hooks_dir as git_hooks_dir

if TYPE_CHECKING:
    from govgate.run.check import CheckOptions

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


def hook_script(hook: str, target: str = ".") -> str:
    """The shell script written for `hook`: run a chained hook first, then `govgate hook run`
    on `target` (relative to the top of the work tree, where git runs hooks)."""
    # The interpreter that installed the hook runs it: no PATH surprises in GUI git clients.
    # -P: git runs hooks at the top of the work tree, and `python -m` would otherwise put that
    # folder first on sys.path, so a committed govgate/, yaml.py or click.py would run as the
    # gate. (-I would also drop PYTHONPATH and the user site, where govgate may be installed.)
    command = (
        f"{shlex.quote(sys.executable)} -P -m govgate.cli.main hook run --stage {hook} "
        f"{shlex.quote(target)}"
    )
    chained = f'"$hook_dir/{hook}{CHAINED_SUFFIX}"'
    head = f"#!/bin/sh\n{MARKER}\n" + 'hook_dir=$(dirname "$0")\n'
    if hook != "pre-push":
        return f'{head}if [ -x {chained} ]; then\n  {chained} "$@" || exit $?\nfi\nexec {command}\n'
    # pre-push gets the pushed refs on stdin: read them once, hand both hooks a copy.
    return (
        f"{head}refs=$(cat)\n"
        f"if [ -x {chained} ]; then\n"
        f'  printf \'%s\\n\' "$refs" | {chained} "$@" || exit $?\n'
        "fi\n"
        f"printf '%s\\n' \"$refs\" | {command}\n"
    )


def _is_ours(path: Path) -> bool:
    try:
        return MARKER in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def install(repo: Path, hooks: tuple[str, ...] = ("pre-commit",)) -> list[HookChange]:
    folder = hooks_dir(repo)
    folder.mkdir(parents=True, exist_ok=True)
    found = Repository.find(repo)
    target = (found.prefix.rstrip("/") if found is not None else "") or "."
    changes = []
    for hook in hooks:
        path = folder / hook
        chained = folder / f"{hook}{CHAINED_SUFFIX}"
        action = "installed"
        if path.exists() or path.is_symlink():
            if _is_ours(path):
                action = "updated"
            elif chained.exists():
                raise UsageError(
                    f"{path}: a hook exists and {chained.name} is already taken; "
                    "merge them by hand, then run `govgate hook install` again"
                )
            else:
                path.rename(chained)  # keep the team's hook; ours runs it first
                action = "chained"
        tmp = path.with_name(f".{hook}.govgate.tmp")
        tmp.write_text(hook_script(hook, target), encoding="utf-8")
        tmp.chmod(tmp.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        tmp.replace(path)
        changes.append(HookChange(hook, path, action))
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


@dataclass(frozen=True)
class HookVerdict:
    """One judged snapshot: what it was (`label`) and its result document."""

    label: str
    result: dict[str, Any]

    @property
    def passed(self) -> bool:
        return bool(self.result["gate"] == "pass")


def hook_stage(stage: str | None) -> str:
    """The stage to judge: as given, else pre-push when the pre-commit framework names a
    pushed commit (PRE_COMMIT_TO_REF), else pre-commit."""
    if stage is not None:
        return stage
    return "pre-push" if framework_pushed_ref(os.environ) is not None else "pre-commit"


def snapshots(
    stage: str, target: Path, read_stdin: Callable[[], str]
) -> Iterator[AbstractContextManager[Snapshot]]:
    """What `stage` judges: the staged files, or each pushed ref's new tip (the pre-commit
    framework's one ref from its environment, else git's lines on stdin)."""
    if stage == "pre-commit":
        yield staged_snapshot(target)
        return
    if stage != "pre-push":
        raise UsageError(f"--stage {stage}: expected pre-commit or pre-push")
    framework = framework_pushed_ref(os.environ)
    pushed = [framework] if framework is not None else pushed_refs(read_stdin())
    seen: set[str] = set()
    for ref in pushed:
        commit = repository_of(target).commit_of(ref.local_commit)
        if commit is None:
            raise UsageError(f"pre-push: {ref.local_commit} is not a commit in this repository")
        if commit not in seen:  # two refs at one commit: one check
            seen.add(commit)
            yield commit_snapshot(target, replace(ref, local_commit=commit))


def run_hook(
    stage: str, target: Path, options: CheckOptions, read_stdin: Callable[[], str]
) -> list[HookVerdict]:
    """Check every snapshot `stage` judges with `options`, each with the target's locker."""
    from govgate.run.check import get_registry, run_check

    registry = get_registry(options.plugin_options)
    verdicts = []
    for opened in snapshots(stage, target.resolve(), read_stdin):
        with opened as snapshot:
            checked = replace(options, root=snapshot.root, home=snapshot.home)
            outcome = run_check(checked, registry=registry)
            verdicts.append(HookVerdict(snapshot.label, outcome.result))
    return verdicts
