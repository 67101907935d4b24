"""When a report was produced, when the report itself does not say: git, else the file's mtime."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any


class FileDates:
    """When a report was produced, when the report itself does not say.

    The commit date of the last commit touching the file when it is committed and unchanged
    (a checkout resets mtimes, so git is the better witness), else the file's mtime.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._git: Any = None
        self._opened = False

    def _runner(self) -> Any:
        if not self._opened:
            self._opened = True
            try:
                from govgate.support.git import Repository

                self._git = Repository.find(self.root)
            except Exception:  # not a repository, or git missing: mtime it is
                self._git = None
        return self._git

    def of(self, path: Path) -> tuple[datetime, str]:
        runner = self._runner()
        if runner is not None:
            try:
                from govgate.support.git.history import is_unchanged, last_commit_date

                moment = last_commit_date(runner, [path]) if is_unchanged(runner, path) else None
                if moment is not None:
                    return moment, "git"
            except Exception:  # noqa: S110 - no commits yet or shallow oddities: use mtime
                pass
        return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC), "mtime"
