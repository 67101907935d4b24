"""The `git` collector: HEAD, changes against a base ref, governance-file history, CODEOWNERS.

Git is the one witness an auditor trusts for "who changed this, when, and who approved it".
GitPython is imported only inside `collect` so the pre-commit hook stays fast; the history of
every governance file comes from a single streamed `git log` pass, stopped as soon as each file
has been seen, so a repository with thousands of files costs one process, not thousands.
Author names and trailer values are passed through `govgate.support.pii` (e-mail addresses masked).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govgate import hookimpl
from govgate.core.collector import CollectContext, Collector, EvidenceKind
from govgate.core.evidence import Evidence, format_timestamp
from govgate.support.errors import CollectorError
from govgate.support.pii import redact_text

if TYPE_CHECKING:
    import git

DEFAULT_GOVERNANCE_PATHS = (
    "governance/**",
    "govgate.yaml",
    "docs/**/*.md",
    "model_card.*",
    "policies/**",
)
#: Where CODEOWNERS may live; the first one that exists is used (GitHub's search order).
DEFAULT_CODEOWNERS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")

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

HISTORY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["patterns", "shallow", "files", "unsigned_count", "uncommitted_count"],
    "properties": {
        "patterns": _NAMES,
        "shallow": {"type": "boolean"},
        "unsigned_count": {"type": "integer", "minimum": 0},
        "uncommitted_count": {"type": "integer", "minimum": 0},
        "files": {
            "type": "array",
            "items": {
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
            },
        },
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


# --------------------------------------------------------------------------- repository access


def open_repository(root: Path) -> git.Repo | None:
    """The git repository holding `root` (searching parents, as git does), or None."""
    import git

    try:
        return git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    except git.GitCommandNotFound as exc:
        raise CollectorError("git is not installed or not on PATH") from exc


def runner(root: Path) -> git.Git:
    """A git command runner whose working directory is the target root.

    Commands run from the target root with `--relative` where they print paths, so every path
    in the evidence is relative to the target even when it is a folder inside a larger repo.
    """
    import git

    return git.Git(str(root))


def git_failure(exc: git.GitCommandError) -> str:
    """One line from a failed git command: git's own `fatal:` line plus any fix it suggests."""
    raw = str(exc.stderr or "").strip().removeprefix("stderr:").strip().strip("'")
    lines = [line.strip() for line in raw.splitlines() if line.strip()]
    fatal = next((line for line in lines if line.startswith(("fatal:", "error:"))), None)
    hint = next((line for line in lines if line.startswith("git config")), None)
    message = fatal or (lines[0] if lines else f"exit status {exc.status}")
    return f"git failed: {message}" + (f" (fix: {hint})" if hint else "")


def has_commits(repo: git.Repo) -> bool:
    return bool(repo.head.is_valid())


def is_shallow(cmd: git.Git) -> bool:
    return str(cmd.rev_parse("--is-shallow-repository")).strip() == "true"


def shallow_boundaries(cmd: git.Git) -> set[str]:
    """Commits whose parents were cut off by a shallow clone (their diffs list every file)."""
    shallow_file = str(cmd.rev_parse("--git-path", "shallow")).strip()
    path = Path(shallow_file)
    if not path.is_absolute():
        path = Path(cmd.working_dir or ".") / path
    try:
        return set(path.read_text("ascii").split())
    except OSError:
        return set()


def git_state_patterns(root: Path) -> list[str]:
    """Files under `.git` whose content changes whenever HEAD, the branch or the clone depth do.

    The collector cache fingerprints files, so this is how a new commit invalidates cached git
    evidence. When `.git` is not a folder inside the target (a worktree, a submodule, or a
    target that is a sub-folder of the repository) git state cannot be fingerprinted from
    inside the target, so the whole tree is: slower, never stale.
    """
    dot_git = root / ".git"
    if not dot_git.is_dir() or dot_git.is_symlink():
        return ["**"]
    patterns = [".git/HEAD", ".git/packed-refs", ".git/shallow", ".git/logs/HEAD"]
    try:
        head = (dot_git / "HEAD").read_text("utf-8", errors="replace").strip()
    except OSError:
        return patterns
    if head.startswith("ref: refs/") and ".." not in head:
        patterns.append(".git/" + head[5:])
    return patterns


def _decode_path(raw: bytes) -> str:
    # Non-UTF-8 file names are shown with replacement characters: evidence is JSON text.
    return raw.decode("utf-8", errors="replace")


def _pathspecs(patterns: Sequence[str]) -> list[str]:
    """git pathspecs that select at least the files the repository globs select.

    git's `:(glob)` magic reads `*`, `?`, `[...]`, `**/` and `/**` as govgate globs do; a `**`
    anywhere else means something narrower to git, so such a pattern falls back to its
    literal folder (a superset; results are filtered by the exact globs afterwards).
    """
    specs: list[str] = []
    for pattern in patterns:
        pattern = pattern[2:] if pattern.startswith("./") else pattern
        stripped = pattern.replace("**/", "").removesuffix("/**")
        if "**" in stripped:
            folder = pattern.split("**", 1)[0].rsplit("/", 1)[0]
            specs.append(f":(literal){folder}" if folder else ".")
        else:
            specs.append(f":(glob){pattern}")
    return specs


# --------------------------------------------------------------------------- history


@dataclass(frozen=True)
class LastChange:
    """The most recent commit that touched one file (raw author name: redact before use)."""

    commit: str
    author: str
    date: str
    approved_by: tuple[str, ...]
    reviewed_by: tuple[str, ...]


_FIELD = "\x1f"
_VALUE = "\x1d"
# Trailers are parsed by git itself (`%(trailers)`), with its rules: only the last paragraph,
# keys case-insensitive, continuation lines unfolded.
_LOG_FORMAT = (
    "%x1e%H%x1f%an%x1f%cI"
    "%x1f%(trailers:key=Approved-by,valueonly,unfold,separator=%x1d)"
    "%x1f%(trailers:key=Reviewed-by,valueonly,unfold,separator=%x1d)"
)
_HEADER = re.compile(r"\A\n?\x1e([0-9a-f]{40,64})\x1f")


def _split_values(raw: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in raw.split(_VALUE) if v.strip())


def last_changes(
    cmd: git.Git, patterns: Sequence[str], wanted: Iterable[str]
) -> dict[str, LastChange]:
    """The last commit touching each wanted path, from one streamed `git log` pass.

    Reading stops (and git is terminated) once every wanted path has been seen, so the cost
    follows how far back the oldest governance change is, not the size of the history.
    """
    remaining = set(wanted)
    found: dict[str, LastChange] = {}
    if not remaining:
        return found
    proc = cmd.log(
        "-z",
        "--name-only",
        "--relative",
        "--no-renames",
        "--no-color",
        "--no-show-signature",
        f"--format={_LOG_FORMAT}",
        "HEAD",
        "--",
        *_pathspecs(patterns),
        as_process=True,
    )
    current: LastChange | None = None
    pending = b""
    finished = False
    try:
        stream = proc.stdout
        while remaining:
            chunk = stream.read(1 << 16)
            if not chunk:
                finished = True
                break
            tokens = (pending + chunk).split(b"\0")
            pending = tokens.pop()
            for token in tokens:
                current = _consume(token, current, remaining, found)
        if not remaining:
            return found
        if pending:
            _consume(pending, current, remaining, found)
    finally:
        if finished:
            proc.wait()  # raises GitCommandError (with git's stderr) on failure
        else:
            _stop(proc)
    return found


def _stop(proc: Any) -> None:
    """End a git process whose remaining output is not needed."""
    popen = proc.proc
    if popen is not None and popen.poll() is None:
        popen.terminate()
        popen.wait()


def _consume(
    token: bytes,
    current: LastChange | None,
    remaining: set[str],
    found: dict[str, LastChange],
) -> LastChange | None:
    text = token.decode("utf-8", errors="replace")
    header = _HEADER.match(text)
    if header:
        fields = text.lstrip("\n")[1:].split(_FIELD)
        fields += [""] * (5 - len(fields))
        return LastChange(
            commit=fields[0],
            author=fields[1],
            date=format_timestamp(datetime.fromisoformat(fields[2])),
            approved_by=_split_values(fields[3]),
            reviewed_by=_split_values(fields[4]),
        )
    path = _decode_path(token.lstrip(b"\n"))
    if current is not None and path in remaining:
        remaining.discard(path)
        found[path] = current
    return current


def signed_commits(repo: git.Repo, commits: Iterable[str]) -> dict[str, bool]:
    """Whether each commit carries a signature (present, not verified: no gpg is run)."""
    return {sha: bool(repo.commit(sha).gpgsig) for sha in set(commits)}


def uncommitted_paths(
    cmd: git.Git, patterns: Sequence[str], paths: Iterable[str], *, has_head: bool
) -> set[str]:
    """Those of `paths` that are untracked or differ from HEAD (staged or not).

    Two commands limited by the globs' pathspecs, whatever the number of paths: listing
    thousands of literal pathspecs makes git match each path against each spec.
    """
    wanted = set(paths)
    if not wanted:
        return set()
    if not has_head:
        return wanted
    specs = _pathspecs(patterns)
    untracked = str(cmd.ls_files("-z", "--others", "--", *specs))
    changed = str(cmd.diff("-z", "--name-only", "--relative", "--no-renames", "HEAD", "--", *specs))
    dirty = {p for p in untracked.split("\0") if p} | {p for p in changed.split("\0") if p}
    return wanted & dirty


def ignored_paths(cmd: git.Git, patterns: Sequence[str]) -> set[str]:
    """Untracked files under the globs that git ignores (build output, say)."""
    listed = str(
        cmd.ls_files(
            "-z", "--others", "--ignored", "--exclude-standard", "--", *_pathspecs(patterns)
        )
    )
    return {p for p in listed.split("\0") if p}


# --------------------------------------------------------------------------- CODEOWNERS


@dataclass(frozen=True)
class CodeownersRule:
    pattern: str
    owners: tuple[str, ...]
    line: int
    regex: re.Pattern[str]


_OWNER = re.compile(
    r"^(?:@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:/[A-Za-z0-9][A-Za-z0-9._-]*)?"
    r"|[^@\s]+@[^@\s]+\.[A-Za-z]{2,})$"
)


def codeowners_regex(pattern: str) -> re.Pattern[str]:
    """Regex for one CODEOWNERS pattern, with GitHub's gitignore-style semantics.

    A pattern without a slash (or with only a trailing one) matches at any depth; any other is
    anchored at the root. A trailing slash means "everything inside". A pattern whose last part
    is not a lone `*` also matches everything inside a folder of that name, while `docs/*`
    matches only the files directly in docs/ (GitHub's documented behaviour).
    """
    parts = pattern.split("/")
    if parts[0] == "":
        parts = parts[1:]
    elif (len(parts) == 1 or (len(parts) == 2 and parts[1] == "")) and parts[0] != "**":
        parts = ["**", *parts]
    if len(parts) > 1 and parts[-1] == "":
        parts[-1] = "**"
    out = [r"\A"]
    need_slash = False
    last = len(parts) - 1
    for index, part in enumerate(parts):
        if part == "**":
            if index == 0 and index == last:
                out.append(".+")
            elif index == 0:
                out.append("(?:.+/)?")
                need_slash = False
            elif index == last:
                out.append("/.*")
            else:
                out.append("(?:/.+)?")
                need_slash = True
            continue
        if need_slash:
            out.append("/")
        if part == "*":
            out.append("[^/]+")
        else:
            escaped = False
            for char in part:
                if escaped:
                    out.append(re.escape(char))
                    escaped = False
                elif char == "\\":
                    escaped = True
                elif char == "*":
                    out.append("[^/]*")
                elif char == "?":
                    out.append("[^/]")
                else:
                    out.append(re.escape(char))
            if index == last:
                out.append("(?:/.*)?")
        need_slash = True
    out.append(r"\Z")
    return re.compile("".join(out))


def _split_unescaped(line: str) -> list[str]:
    """Split on whitespace that is not escaped with a backslash (`docs/my\\ file.md`)."""
    tokens: list[str] = []
    current: list[str] = []
    index = 0
    while index < len(line):
        char = line[index]
        if char == "\\" and index + 1 < len(line):
            current.append(line[index : index + 2])
            index += 2
            continue
        if char.isspace():
            if current:
                tokens.append("".join(current))
                current = []
        else:
            current.append(char)
        index += 1
    if current:
        tokens.append("".join(current))
    return tokens


def parse_codeowners(text: str) -> tuple[list[CodeownersRule], list[tuple[int, str]]]:
    """Rules in file order plus (line, message) for each line GitHub would skip as invalid."""
    rules: list[CodeownersRule] = []
    errors: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        tokens = _split_unescaped(line)
        for index, token in enumerate(tokens):
            if token.startswith("#"):  # an inline comment ends the rule
                tokens = tokens[:index]
                break
        if not tokens:
            continue
        pattern, owners = tokens[0], tokens[1:]
        if re.fullmatch(r"\^?\[[^\]]+\](\[\d+\])?", pattern) and not owners:
            errors.append(
                (
                    number,
                    f"section header {pattern} (GitLab) is not understood; rules read in order",
                )
            )
            continue
        if pattern.startswith("!"):
            errors.append((number, f"negated pattern {pattern!r} is not supported; line ignored"))
            continue
        if "[" in pattern.replace("\\[", ""):
            errors.append(
                (number, f"character ranges in {pattern!r} are not supported; line ignored")
            )
            continue
        if "***" in pattern:
            errors.append((number, f"pattern {pattern!r} has three asterisks; line ignored"))
            continue
        bad = [o for o in owners if not _OWNER.match(o)]
        if bad:
            errors.append(
                (
                    number,
                    f"owner {redact_text(bad[0])!r} is not @user, @org/team or an e-mail "
                    "address; line ignored",
                )
            )
            continue
        rules.append(
            CodeownersRule(
                pattern=pattern,
                owners=tuple(redact_text(o) for o in owners),
                line=number,
                regex=codeowners_regex(pattern),
            )
        )
    return rules, errors


def owners_of(path: str, rules: Sequence[CodeownersRule]) -> tuple[str, ...]:
    """Owners of a path: the last matching rule wins (a rule without owners un-owns it)."""
    for rule in reversed(rules):
        if rule.regex.match(path):
            return rule.owners
    return ()


# --------------------------------------------------------------------------- the collector


def _settings_list(ctx: CollectContext, key: str, default: Sequence[str]) -> list[str]:
    value = ctx.settings.get(key, list(default))
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise CollectorError(
            f"govgate.yaml collectors.git.{key}: expected a list of globs, got {value!r}"
        )
    return value


def _fix_hint(cmd: git.Git, ref: str) -> str:
    remotes = [r for r in str(cmd.remote()).split() if r]
    remote, _, branch = ref.partition("/")
    if branch and (remote in remotes or remote in ("origin", "upstream")):
        return f"git fetch {remote} {branch}"
    if ref.startswith("refs/remotes/"):
        rest = ref[len("refs/remotes/") :]
        remote, _, branch = rest.partition("/")
        return f"git fetch {remote} {branch}"
    return f"git fetch origin {ref}"


_STATUS = {"A": "added", "C": "added", "M": "modified", "T": "modified", "D": "deleted"}


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
    )

    def input_patterns(self, ctx: CollectContext) -> list[str]:
        patterns = _settings_list(ctx, "governance_paths", DEFAULT_GOVERNANCE_PATHS)
        patterns += _settings_list(ctx, "codeowners", DEFAULT_CODEOWNERS)
        return patterns + git_state_patterns(ctx.root)

    def impact_patterns(self, ctx: CollectContext) -> list[str]:
        # Per kind: governance history is about the governance files, CODEOWNERS about the
        # CODEOWNERS files; HEAD and the diff are about the repository state, not a file.
        patterns: list[str] = []
        for kind in ctx.kinds:
            if kind.name == "git.governance_history":
                patterns += _settings_list(ctx, "governance_paths", DEFAULT_GOVERNANCE_PATHS)
            elif kind.name == "git.codeowners":
                patterns += _settings_list(ctx, "codeowners", DEFAULT_CODEOWNERS)
        return patterns

    def collect(self, ctx: CollectContext) -> Iterable[Evidence]:
        import git

        governance = _settings_list(ctx, "governance_paths", DEFAULT_GOVERNANCE_PATHS)
        codeowner_files = _settings_list(ctx, "codeowners", DEFAULT_CODEOWNERS)
        repo = open_repository(ctx.root)
        try:
            yield from self._collect(ctx, repo, governance, codeowner_files)
        except git.GitCommandError as exc:
            raise CollectorError(git_failure(exc)) from exc
        finally:
            if repo is not None:
                repo.close()

    def _collect(
        self,
        ctx: CollectContext,
        repo: git.Repo | None,
        governance: list[str],
        codeowner_files: list[str],
    ) -> Iterator[Evidence]:
        cmd = runner(ctx.root) if repo is not None else None
        files = self._governance_files(ctx, cmd, governance)
        if ctx.wants("git.head"):
            yield self._head(ctx, repo, cmd)
        if ctx.wants("git.changes"):
            changes = self._changes(ctx, repo, cmd)
            if changes is not None:
                yield changes
        if ctx.wants("git.governance_history"):
            yield self._history(ctx, repo, cmd, governance, files)
        if ctx.wants("git.codeowners"):
            yield self._codeowners(ctx, codeowner_files, files)

    def _governance_files(
        self, ctx: CollectContext, cmd: git.Git | None, patterns: list[str]
    ) -> list[str]:
        if not (ctx.wants("git.governance_history") or ctx.wants("git.codeowners")):
            return []
        found = ctx.glob(patterns)
        if cmd is None or not found:
            return found
        ignored = ignored_paths(cmd, patterns)
        return [p for p in found if p not in ignored]

    def _head(self, ctx: CollectContext, repo: git.Repo | None, cmd: git.Git | None) -> Evidence:
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
        if repo is None or cmd is None:
            return ctx.evidence("git.head", "HEAD", data)
        data["detached"] = bool(repo.head.is_detached)
        if not data["detached"]:
            data["branch"] = repo.head.reference.name
        data["shallow"] = is_shallow(cmd)
        if has_commits(repo):
            commit = repo.head.commit
            data.update(
                has_commits=True,
                commit=commit.hexsha,
                signed=bool(commit.gpgsig),
                commit_date=format_timestamp(commit.committed_datetime),
            )
        return ctx.evidence(
            "git.head", "HEAD", data, commit=data["commit"], dated=data["commit_date"]
        )

    def _changes(
        self, ctx: CollectContext, repo: git.Repo | None, cmd: git.Git | None
    ) -> Evidence | None:
        base = ctx.base_ref
        if not base:
            # Said by the kind's description in the "missing evidence" finding; a warning here
            # would be noise on every hook run of a pack that marks the rule not_applicable.
            return None
        if repo is None or cmd is None:
            raise CollectorError(f"--base {base}: {ctx.root.name} is not a git repository")
        if base.startswith("-"):
            raise CollectorError(f"--base {base}: not a git ref")
        status, out, _ = cmd.rev_parse(
            "--verify",
            "--quiet",
            f"{base}^{{commit}}",
            with_extended_output=True,
            with_exceptions=False,
        )
        if status != 0:
            raise CollectorError(
                f"base ref '{base}' is not known in this clone; fetch it first: "
                f"{_fix_hint(cmd, base)}"
            )
        base_commit = str(out).strip()
        if not has_commits(repo):
            raise CollectorError(f"--base {base}: HEAD has no commits yet; commit first")
        status, out, _ = cmd.merge_base(
            base_commit, "HEAD", with_extended_output=True, with_exceptions=False
        )
        merge_base: str | None = str(out).strip() if status == 0 and str(out).strip() else None
        note = None
        if merge_base is None:
            if is_shallow(cmd):
                note = (
                    f"the merge base of {base} and HEAD is not in this shallow clone; files are "
                    f"compared with {base} itself, so its own newer changes show up too "
                    "(fetch more history: git fetch --deepen=100, or fetch-depth: 0 in CI)"
                )
            else:
                note = f"{base} and HEAD have no common ancestor; compared with {base} itself"
            ctx.problem(None, None, f"git.changes: {note}")
        raw = cmd.diff(
            "-z",
            "--name-status",
            "--relative",
            "-M",
            "--no-color",
            "--no-ext-diff",
            merge_base or base_commit,
            "HEAD",
            "--",
        )
        files = _parse_name_status(str(raw))
        return ctx.evidence(
            "git.changes",
            f"{base}...HEAD",
            {
                "base": base,
                "base_commit": base_commit,
                "merge_base": merge_base,
                "note": note,
                "files": files,
            },
        )

    def _history(
        self,
        ctx: CollectContext,
        repo: git.Repo | None,
        cmd: git.Git | None,
        patterns: list[str],
        files: list[str],
    ) -> Evidence:
        if repo is None or cmd is None:
            return ctx.evidence(
                "git.governance_history",
                "governance files",
                None,
                problem="not a git repository, so the history of governance files is unknown",
            )
        committed = has_commits(repo)
        shallow = is_shallow(cmd)
        changes = last_changes(cmd, patterns, files) if committed else {}
        signed = signed_commits(repo, (c.commit for c in changes.values()))
        boundaries = shallow_boundaries(cmd) if shallow else set()
        dirty = uncommitted_paths(cmd, patterns, files, has_head=committed)
        listed: list[dict[str, Any]] = []
        for path in files:
            change = changes.get(path)
            if change is None:
                listed.append(
                    {
                        "path": path,
                        "committed": False,
                        "last_commit": None,
                        "last_author": None,
                        "last_date": None,
                        "signed": None,
                        "trailers": {"approved_by": [], "reviewed_by": []},
                        "history_truncated": False,
                    }
                )
                continue
            listed.append(
                {
                    "path": path,
                    "committed": path not in dirty,
                    "last_commit": change.commit,
                    "last_author": redact_text(change.author),
                    "last_date": change.date,
                    "signed": signed[change.commit],
                    "trailers": {
                        "approved_by": [redact_text(v) for v in change.approved_by],
                        "reviewed_by": [redact_text(v) for v in change.reviewed_by],
                    },
                    # The real last change may be older than a shallow clone's cut-off commit.
                    "history_truncated": change.commit in boundaries,
                }
            )
        return ctx.evidence(
            "git.governance_history",
            "governance files",
            {
                "patterns": patterns,
                "shallow": shallow,
                "files": listed,
                "unsigned_count": sum(1 for f in listed if f["signed"] is False),
                "uncommitted_count": sum(1 for f in listed if not f["committed"]),
            },
        )

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


def _parse_name_status(raw: str) -> list[dict[str, Any]]:
    """`git diff --name-status -z` output as [{path, status, old_path}]."""
    tokens = raw.split("\0")
    files: list[dict[str, Any]] = []
    index = 0
    while index < len(tokens):
        code = tokens[index].strip()
        if not code:
            index += 1
            continue
        letter = code[0]
        if letter in "RC":
            old, new = tokens[index + 1], tokens[index + 2]
            index += 3
            status = "renamed" if letter == "R" else "added"
            files.append({"path": new, "status": status, "old_path": old})
            continue
        path = tokens[index + 1]
        index += 2
        files.append({"path": path, "status": _STATUS.get(letter, "modified"), "old_path": None})
    return files


@hookimpl
def govgate_collectors() -> Sequence[type[Collector]]:
    return [GitCollector]
