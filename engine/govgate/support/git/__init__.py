"""govgate's one git layer: every git command any part of govgate runs goes through it.

A repository handed to govgate is untrusted, so no command lets its configuration run a
program (fsmonitor, hooks, filters, textconv, external diff, pager are all switched off).
`command` runs git and reads objects; beside it `history` (the last change of each file),
`materialize` (a commit's tree or the index written out as plain files, through no filter),
`state` (HEAD read from `.git` files without running git, for the collector cache), `config`
(which filter drivers a repository configures), `codeowners` (the one CODEOWNERS reader) and
`signatures` (SSH commit signatures checked against an allowed-signers file).
"""

from govgate.support.git.command import (
    CatFile,
    Git,
    GitError,
    GitNotFound,
    GitTimeout,
    Repository,
    branch_name,
    committer_date,
    fetch_hint,
    filter_drivers,
    git_target,
    hooks_dir,
    one_line,
    signed_commits,
)

__all__ = [
    "CatFile",
    "Git",
    "GitError",
    "GitNotFound",
    "GitTimeout",
    "Repository",
    "branch_name",
    "committer_date",
    "fetch_hint",
    "filter_drivers",
    "git_target",
    "hooks_dir",
    "one_line",
    "signed_commits",
]
