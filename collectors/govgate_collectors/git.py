"""The `git` collector: HEAD, changes against a base ref, governance-file history, CODEOWNERS,
and the sign-off record a dossier shows.

Git is the one witness an auditor trusts for "who changed this, when, and who approved it".
Every git command goes through `govgate.support.git`, which keeps the repository's own config
from running anything; the history of every governance file comes from a single streamed
`git log` pass, stopped as soon as each file has been seen, so a repository with thousands of
files costs one process, not thousands. Author names and trailer values are passed through
`redact_text` (e-mail addresses masked).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from govgate.api import (
    CollectContext,
    Collector,
    CollectorError,
    Evidence,
    EvidenceKind,
    format_timestamp,
    hookimpl,
    redact_text,
)
from govgate.support.git import GitError, GitNotFound, GitTimeout, Repository, signed_commits
from govgate.support.git.codeowners import CODEOWNERS_FILES, owners_of, parse_codeowners
from govgate.support.git.history import (
    LastChange,
    changes_between,
    ignored_paths,
    last_changes,
    uncommitted_paths,
)
from govgate.support.git.state import head_state, state_patterns

DEFAULT_GOVERNANCE_PATHS = (
    "governance/**",
    "govgate.yaml",
    "docs/**/*.md",
    "model_card.*",
    "policies/**",
)
#: Where CODEOWNERS may live; the first one that exists is used (GitHub's search order).
DEFAULT_CODEOWNERS = CODEOWNERS_FILES
_GLOBS: dict[str, Any] = {
    "type": ["string", "array"],
    "minLength": 1,
    "items": {"type": "string", "minLength": 1},
}
#: The kind a dossier's sign-off page and exceptions register read; its `paths` name the
#: waiver files (the run sets them from govgate.yaml `waivers:`).
SIGNOFFS_KIND = "git.signoffs"

_NULLABLE_STRING: dict[str, Any] = {"type": ["string", "null"]}
_NAMES: dict[str, Any] = {"type": "array", "items": {"type": "string"}}

HEAD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "in_repository",
        "has_commits",
        "commit",
        "branch",
        "detached",
        "shallow",
        "signed",
        "commit_date",
    ],
    "properties": {
        "in_repository": {"type": "boolean"},
        "has_commits": {"type": "boolean"},
        "commit": {"type": ["string", "null"], "pattern": "^[0-9a-f]{40,64}$"},
        "branch": _NULLABLE_STRING,
        "detached": {"type": "boolean"},
        "shallow": {"type": "boolean"},
        "signed": {"type": ["boolean", "null"]},
        "commit_date": {"type": ["string", "null"], "format": "date-time"},
    },
}

CHANGES_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["base", "base_commit", "merge_base", "note", "files"],
    "properties": {
        "base": {"type": "string"},
        "base_commit": {"type": "string"},
        "merge_base": _NULLABLE_STRING,
        "note": _NULLABLE_STRING,
        "files": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["path", "status", "old_path"],
                "properties": {
                    "path": {"type": "string"},
                    "status": {"enum": ["added", "modified", "deleted", "renamed"]},
                    "old_path": _NULLABLE_STRING,
                },
            },
        },
    },
}

#: One file's last change, in `git.governance_history` and `git.signoffs`.
HISTORY_ENTRY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "path",
        "committed",
        "last_commit",
        "last_author",
        "last_date",
        "signed",
        "trailers",
        "history_truncated",
    ],
    "properties": {
        "path": {"type": "string"},
        "committed": {"type": "boolean"},
        "last_commit": _NULLABLE_STRING,
        "last_author": _NULLABLE_STRING,
        "last_date": {"type": ["string", "null"], "format": "date-time"},
        "signed": {"type": ["boolean", "null"]},
        "history_truncated": {"type": "boolean"},
        "trailers": {
            "type": "object",
            "additionalProperties": False,
            "required": ["approved_by", "reviewed_by"],
            "properties": {"approved_by": _NAMES, "reviewed_by": _NAMES},
        },
    },
}

HISTORY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["patterns", "shallow", "files", "unsigned_count", "uncommitted_count"],
    "properties": {
        "patterns": _NAMES,
        "shallow": {"type": "boolean"},
        "unsigned_count": {"type": "integer", "minimum": 0},
        "uncommitted_count": {"type": "integer", "minimum": 0},
        "files": {"type": "array", "items": HISTORY_ENTRY_SCHEMA},
    },
}

SIGNOFFS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["head", "patterns", "shallow", "files", "waiver_files"],
    "properties": {
        "head": {"type": ["string", "null"], "pattern": "^[0-9a-f]{40,64}$"},
        "patterns": _NAMES,
        "shallow": {"type": "boolean"},
        "files": {"type": "array", "items": HISTORY_ENTRY_SCHEMA},
        "waiver_files": {"type": "array", "items": HISTORY_ENTRY_SCHEMA},
    },
}

CODEOWNERS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["file", "rules", "errors", "governance_paths", "unowned"],
    "properties": {
        "file": _NULLABLE_STRING,
        "rules": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["pattern", "owners", "line"],
                "properties": {
                    "pattern": {"type": "string"},
                    "owners": _NAMES,
                    "line": {"type": "integer", "minimum": 1},
                },
            },
        },
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["line", "message"],
                "properties": {
                    "line": {"type": ["integer", "null"]},
                    "message": {"type": "string"},
                },
            },
        },
        "governance_paths": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["path", "owners"],
                "properties": {"path": {"type": "string"}, "owners": _NAMES},
            },
        },
        "unowned": _NAMES,
    },
}


# --------------------------------------------------------------------------- helpers


def git_failure(exc: GitError) -> CollectorError:
    """The collector's one-line failure for a git error: git's own reason and any fix."""
    if isinstance(exc, (GitNotFound, GitTimeout)):
        return CollectorError(str(exc))
    return CollectorError(f"git failed: {exc.line}")


def _settings_list(ctx: CollectContext, key: str, default: Sequence[str]) -> list[str]:
    value = ctx.settings.get(key, list(default))
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise CollectorError(
            f"govgate.yaml collectors.git.{key}: expected a list of globs, got {value!r}"
        )
    return value


def _kind_paths(ctx: CollectContext, name: str) -> list[str]:
    kind = ctx.kind(name)
    return list(kind.paths) if kind is not None else []


def history_entry(
    path: str,
    change: LastChange | None,
    *,
    dirty: set[str],
    signed: dict[str, bool],
    boundaries: set[str],
) -> dict[str, Any]:
    """One file's entry in `git.governance_history` / `git.signoffs` (names masked)."""
    if change is None:
        return {
            "path": path,
            "committed": False,
            "last_commit": None,
            "last_author": None,
            "last_date": None,
            "signed": None,
            "trailers": {"approved_by": [], "reviewed_by": []},
            "history_truncated": False,
        }
    return {
        "path": path,
        "committed": path not in dirty,
        "last_commit": change.commit,
        "last_author": redact_text(change.author),
        "last_date": format_timestamp(change.date),
        "signed": signed[change.commit],
        "trailers": {
            "approved_by": [redact_text(v) for v in change.approved_by],
            "reviewed_by": [redact_text(v) for v in change.reviewed_by],
        },
        # The real last change may be older than a shallow clone's cut-off commit.
        "history_truncated": change.commit in boundaries,
    }


def history_entries(
    repo: Repository, patterns: Sequence[str], files: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """The last change of each file, by path: one `git log` pass, one `cat-file` process."""
    committed = repo.has_commits()
    changes = last_changes(repo, patterns, files) if committed else {}
    signed = signed_commits(repo.git, (c.commit for c in changes.values()))
    boundaries = repo.shallow_boundaries() if repo.shallow else set()
    dirty = uncommitted_paths(repo, patterns, files, has_head=committed)
    return {
        path: history_entry(
            path, changes.get(path), dirty=dirty, signed=signed, boundaries=boundaries
        )
        for path in files
    }


# --------------------------------------------------------------------------- the collector


#: `collectors.git` in govgate.yaml (the collector's `settings_schema`).
SETTINGS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "governance_paths": {**_GLOBS, "description": "globs of the governance files"},
        "codeowners": {**_GLOBS, "description": "where CODEOWNERS files are looked for"},
    },
}


class GitCollector(Collector):
    name = "git"
    version = "1.0.0"
    description = "HEAD, changes against --base, governance-file history and CODEOWNERS"
    kinds = (
        EvidenceKind(
            "git.head",
            "git",
            HEAD_SCHEMA,
            "HEAD commit, branch, detached/shallow state and whether HEAD is signed",
        ),
        EvidenceKind(
            "git.changes",
            "git",
            CHANGES_SCHEMA,
            "files changed between the merge base with the base ref and HEAD "
            "(collected only with `govgate check --base REF`)",
        ),
        EvidenceKind(
            "git.governance_history",
            "git",
            HISTORY_SCHEMA,
            "last commit, author, date, signature and Approved-by/Reviewed-by trailers "
            "of every governance file",
        ),
        EvidenceKind(
            "git.codeowners",
            "git",
            CODEOWNERS_SCHEMA,
            "CODEOWNERS rules and the owners of every governance file",
        ),
        EvidenceKind(
            SIGNOFFS_KIND,
            "git",
            SIGNOFFS_SCHEMA,
            "HEAD and the last change (author, date, signature, trailers) of every governance "
            "file and waiver file, as a dossier shows them (collected whenever a run is "
            "recorded in the locker)",
        ),
    )
    settings_schema = SETTINGS_SCHEMA

    def input_patterns(self, ctx: CollectContext) -> list[str]:
        patterns = _settings_list(ctx, "governance_paths", DEFAULT_GOVERNANCE_PATHS)
        patterns += _settings_list(ctx, "codeowners", DEFAULT_CODEOWNERS)
        patterns += _kind_paths(ctx, SIGNOFFS_KIND)
        return patterns + state_patterns(ctx.root)

    def impact_patterns(self, ctx: CollectContext) -> list[str]:
        # Per kind: governance history is about the governance files, CODEOWNERS about the
        # CODEOWNERS files; HEAD and the diff are about the repository state, not a file.
        patterns: list[str] = []
        for kind in ctx.kinds:
            if kind.name in ("git.governance_history", SIGNOFFS_KIND):
                patterns += _settings_list(ctx, "governance_paths", DEFAULT_GOVERNANCE_PATHS)
                patterns += list(kind.paths)
            elif kind.name == "git.codeowners":
                patterns += _settings_list(ctx, "codeowners", DEFAULT_CODEOWNERS)
        return patterns

    def state_key(self, ctx: CollectContext) -> str | None:
        # The commit HEAD names, from git's files: a commit renews cached output even where
        # `.git` is outside the checked folder (a worktree, a sub-folder of the repository).
        return head_state(ctx.root)

    def collect(self, ctx: CollectContext) -> Iterable[Evidence]:
        governance = _settings_list(ctx, "governance_paths", DEFAULT_GOVERNANCE_PATHS)
        codeowner_files = _settings_list(ctx, "codeowners", DEFAULT_CODEOWNERS)
        try:
            repo = Repository.find(ctx.root)
            return self._collect(ctx, repo, governance, codeowner_files)
        except GitError as exc:
            if [kind.name for kind in ctx.kinds] == [SIGNOFFS_KIND]:
                # Only the sign-off record was asked for (no rule reads git): git failing is a
                # fact the record carries, not a failed collector in the run's result.
                why = str(git_failure(exc))
                return [ctx.evidence(SIGNOFFS_KIND, "sign-offs", None, problem=why)]
            raise git_failure(exc) from exc

    def _collect(
        self,
        ctx: CollectContext,
        repo: Repository | None,
        governance: list[str],
        codeowner_files: list[str],
    ) -> list[Evidence]:
        files = self._governance_files(ctx, repo, governance)
        produced: list[Evidence] = []
        if ctx.wants("git.head"):
            produced.append(self._head(ctx, repo))
        if ctx.wants("git.changes"):
            changes = self._changes(ctx, repo)
            if changes is not None:
                produced.append(changes)
        if ctx.wants("git.governance_history") or ctx.wants(SIGNOFFS_KIND):
            produced += self._histories(ctx, repo, governance, files)
        if ctx.wants("git.codeowners"):
            produced.append(self._codeowners(ctx, codeowner_files, files))
        return produced

    def _governance_files(
        self, ctx: CollectContext, repo: Repository | None, patterns: list[str]
    ) -> list[str]:
        wanted = ("git.governance_history", "git.codeowners", SIGNOFFS_KIND)
        if not any(ctx.wants(name) for name in wanted):
            return []
        found = ctx.glob(patterns)
        if repo is None or not found:
            return found
        ignored = ignored_paths(repo, patterns)
        return [p for p in found if p not in ignored]

    def _head(self, ctx: CollectContext, repo: Repository | None) -> Evidence:
        data: dict[str, Any] = {
            "in_repository": repo is not None,
            "has_commits": False,
            "commit": None,
            "branch": None,
            "detached": False,
            "shallow": False,
            "signed": None,
            "commit_date": None,
        }
        if repo is None:
            return ctx.evidence("git.head", "HEAD", data)
        head = repo.head()
        data.update(detached=head.detached, branch=head.branch, shallow=repo.shallow)
        if head.commit is not None:
            data.update(
                has_commits=True,
                commit=head.commit,
                signed=head.signed,
                commit_date=format_timestamp(head.committed_at) if head.committed_at else None,
            )
        return ctx.evidence(
            "git.head", "HEAD", data, commit=data["commit"], dated=data["commit_date"]
        )

    def _changes(self, ctx: CollectContext, repo: Repository | None) -> Evidence | None:
        base = ctx.base_ref
        if not base:
            # Said by the kind's description in the "missing evidence" finding; a warning here
            # would be noise on every hook run of a pack that marks the rule not_applicable.
            return None
        if repo is None:
            raise CollectorError(f"--base {base}: {ctx.root.name} is not a git repository")
        if base.startswith("-"):
            raise CollectorError(f"--base {base}: not a git ref")
        base_commit = repo.commit_of(base)
        if base_commit is None:
            raise CollectorError(
                f"base ref '{base}' is not known in this clone; fetch it first: "
                f"{repo.fetch_hint(base)}"
            )
        if not repo.has_commits():
            raise CollectorError(f"--base {base}: HEAD has no commits yet; commit first")
        merge_base = repo.merge_base(base_commit)
        note = None
        if merge_base is None:
            if repo.shallow:
                note = (
                    f"the merge base of {base} and HEAD is not in this shallow clone; files are "
                    f"compared with {base} itself, so its own newer changes show up too "
                    "(fetch more history: git fetch --deepen=100, or fetch-depth: 0 in CI)"
                )
            else:
                note = f"{base} and HEAD have no common ancestor; compared with {base} itself"
            ctx.problem(None, None, f"git.changes: {note}")
        data = {
            "base": base,
            "base_commit": base_commit,
            "merge_base": merge_base,
            "note": note,
            "files": changes_between(repo, merge_base or base_commit),
        }
        return ctx.evidence("git.changes", f"{base}...HEAD", data)

    def _histories(
        self,
        ctx: CollectContext,
        repo: Repository | None,
        patterns: list[str],
        files: list[str],
    ) -> list[Evidence]:
        """`git.governance_history` and `git.signoffs`, as wanted, from one history pass."""
        waivers = ctx.glob(_kind_paths(ctx, SIGNOFFS_KIND)) if ctx.wants(SIGNOFFS_KIND) else []
        if repo is None:
            return [
                ctx.evidence(name, subject, None, problem=why)
                for name, subject, why in self._outside_a_repository(ctx)
            ]
        everything = list(dict.fromkeys([*files, *waivers]))
        entries = history_entries(repo, [*patterns, *waivers], everything)
        listed = [entries[path] for path in files]
        produced = []
        if ctx.wants("git.governance_history"):
            data = {
                "patterns": patterns,
                "shallow": repo.shallow,
                "files": listed,
                "unsigned_count": sum(1 for f in listed if f["signed"] is False),
                "uncommitted_count": sum(1 for f in listed if not f["committed"]),
            }
            produced.append(ctx.evidence("git.governance_history", "governance files", data))
        if ctx.wants(SIGNOFFS_KIND):
            head = repo.commit_of("HEAD")
            data = {
                "head": head,
                "patterns": patterns,
                "shallow": repo.shallow,
                "files": listed,
                "waiver_files": [entries[path] for path in waivers],
            }
            produced.append(ctx.evidence(SIGNOFFS_KIND, "sign-offs", data, commit=head))
        return produced

    @staticmethod
    def _outside_a_repository(ctx: CollectContext) -> list[tuple[str, str, str]]:
        """(kind, subject, problem) of the history kinds wanted, outside a repository."""
        kinds = [
            (
                "git.governance_history",
                "governance files",
                "not a git repository, so the history of governance files is unknown",
            ),
            (SIGNOFFS_KIND, "sign-offs", "not a git repository"),
        ]
        return [kind for kind in kinds if ctx.wants(kind[0])]

    def _codeowners(self, ctx: CollectContext, candidates: list[str], files: list[str]) -> Evidence:
        present = [c for c in candidates if ctx.glob([c])]
        if len(present) > 1:
            ctx.problem(
                present[1],
                None,
                f"ignored: {present[0]} takes precedence (only the first CODEOWNERS is used)",
            )
        data: dict[str, Any] = {
            "file": None,
            "rules": [],
            "errors": [],
            "governance_paths": [{"path": p, "owners": []} for p in files],
            "unowned": list(files),
        }
        if not present:
            return ctx.evidence("git.codeowners", "CODEOWNERS", data)
        rel = present[0]
        data["file"] = rel
        absolute = ctx.safe_path(rel)
        if absolute is None:
            return ctx.evidence(
                "git.codeowners", rel, data, path=rel, problem=f"{rel} cannot be read safely"
            )
        raw = absolute.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            ctx.problem(rel, line, "not valid UTF-8; save CODEOWNERS as UTF-8", level="error")
            return ctx.evidence(
                "git.codeowners", rel, data, path=rel, line=line, problem=f"line {line}: not UTF-8"
            )
        rules, errors = parse_codeowners(text)
        for line, message in errors:
            ctx.problem(rel, line, message)
        owned = [{"path": p, "owners": list(owners_of(p, rules))} for p in files]
        data.update(
            rules=[{"pattern": r.pattern, "owners": list(r.owners), "line": r.line} for r in rules],
            errors=[{"line": line, "message": message} for line, message in errors],
            governance_paths=owned,
            unowned=[o["path"] for o in owned if not o["owners"]],
        )
        return ctx.evidence(
            "git.codeowners",
            rel,
            data,
            path=rel,
            locations={f"/rules/{i}": r.line for i, r in enumerate(rules)},
        )


@hookimpl
def govgate_collectors() -> Sequence[type[Collector]]:
    return [GitCollector]
