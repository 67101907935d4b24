"""Running git: every git command any part of govgate runs goes through `Git`.

A repository handed to govgate is untrusted, so no command lets its configuration run a
program: fsmonitor, hooks, clean/smudge/process filters and signature checks are switched off
for every command, diffs never use an external diff or textconv, and objects are read as
stored (`CatFile`), never through a filter. Plain `git` processes (no GitPython), so nothing
heavy is imported on the commit-hook path. Bytes out, a timeout, one-line `GitError`s.

Here: running git (`Git`), reading objects (`CatFile`), the repository holding a folder
(`Repository`: HEAD, refs, blobs at a commit), `git_target` and `hooks_dir`.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, NamedTuple

from govgate.support.errors import GovgateError
from govgate.support.git.config import configured_filters

GIT_TIMEOUT_SECONDS = 300.0

#: Settings that would make git run a program named in the (untrusted) repository's config,
#: each overridden for every command. Hooks cover post-checkout, post-index-change and
#: reference-transaction; `log.showSignature` would run `gpg.program`.
NEUTRAL_CONFIG: tuple[tuple[str, str], ...] = (
    ("core.fsmonitor", "false"),
    ("core.hooksPath", os.devnull),
    ("log.showSignature", "false"),
)
#: Keys of a filter driver that name a program (`required` would fail on a disabled one).
FILTER_KEYS = ("clean", "smudge", "process")


class GitError(GovgateError):
    """A git command failed. `line` is git's own reason in one line, with any fix it names;
    the message says which command: `git rev-parse failed: fatal: ...`."""

    def __init__(
        self, command: str, line: str, *, status: int | None = None, message: str | None = None
    ) -> None:
        self.command = command
        self.line = line
        self.status = status
        super().__init__(message or f"git {command} failed: {line}")


class GitNotFound(GitError):
    """The `git` executable is not installed or not on PATH."""

    def __init__(self) -> None:
        text = "git is not installed or not on PATH"
        super().__init__("", text, message=text)


class GitTimeout(GitError):
    """A git command ran past its time limit (and was killed)."""

    def __init__(self, command: str, seconds: float) -> None:
        line = f"did not finish in {seconds:g} s"
        super().__init__(command, line, message=f"git {command} {line}")


def one_line(stderr: bytes | str, status: int | None) -> str:
    """git's `fatal:` (or `error:`) line from its stderr, plus the `git config ...` fix it
    suggests (dubious ownership says how to trust the folder)."""
    raw = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    lines = [line.strip() for line in raw.splitlines() if line.strip()]
    fatal = next((line for line in lines if line.startswith(("fatal:", "error:"))), None)
    hint = next((line for line in lines if line.startswith("git config")), None)
    message = fatal or (lines[0] if lines else f"exit status {status}")
    return message + (f" (fix: {hint})" if hint else "")


# NamedTuples and a plain class rather than dataclasses: this module is imported on every
# hook run, and each frozen dataclass costs about a millisecond to create.
class Done(NamedTuple):
    """A finished git command: exit status and both streams as bytes."""

    status: int
    stdout: bytes
    stderr: bytes

    @property
    def ok(self) -> bool:
        return self.status == 0

    def text(self) -> str:
        """stdout decoded (file names that are not UTF-8 get replacement characters), stripped."""
        return self.stdout.decode("utf-8", "replace").strip()


def _subcommand(args: Sequence[str]) -> str:
    return next((a for a in args if not a.startswith("-")), args[0] if args else "")


def failure(args: Sequence[str], done: Done) -> GitError:
    """The GitError of a finished command that failed."""
    return GitError(_subcommand(args), one_line(done.stderr, done.status), status=done.status)


def filter_drivers(raw: bytes) -> list[str]:
    """Names of the filter drivers in `git config -z --get-regexp '^filter\\.'` output."""
    names: list[str] = []
    for entry in raw.split(b"\0"):
        key = entry.split(b"\n", 1)[0].decode("utf-8", "surrogateescape")
        # filter.<name>.<key>: the name is everything between the first and the last dot.
        if key.count(".") >= 2:
            name = key[len("filter.") : key.rindex(".")]
            if name not in names:
                names.append(name)
    return names


class Git:
    """git commands run in one folder, with the repository's executable config neutralised.

    Every command gets `NEUTRAL_CONFIG`, and every filter driver configured anywhere (the
    repository's config, its includes, global and system config; found once per runner, see
    `overrides`) loses its programs. The overrides travel
    in `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_n`/`GIT_CONFIG_VALUE_n`, which beat every config
    file and take keys verbatim (a driver named `a=b` cannot escape a `-c` split); only the
    caller's own `git -c` (GIT_CONFIG_PARAMETERS) could override them. Commands also run
    without a pager, a terminal prompt, an external diff or optional index writes.
    """

    def __init__(
        self,
        cwd: Path,
        *,
        timeout: float = GIT_TIMEOUT_SECONDS,
        neutral: Sequence[tuple[str, str]] = NEUTRAL_CONFIG,
    ) -> None:
        self.cwd = cwd
        self.timeout = timeout
        self._neutral = tuple(neutral)
        self._env: dict[str, str] | None = None

    # -- the environment -----------------------------------------------------------------
    def overrides(self) -> list[tuple[str, str]]:
        """Every config override this runner applies (the filter drivers found now included).

        The drivers are read from the config files themselves when that is certain (no git
        process: the commit hook runs one `git status` and nothing more), else listed by
        `git config --get-regexp`, which reads config and runs nothing.
        """
        names = configured_filters(self.cwd)
        if names is None:
            names = self._listed_filters()
        pairs = list(self._neutral)
        for name in names:
            pairs += [(f"filter.{name}.{key}", "") for key in FILTER_KEYS]
            pairs.append((f"filter.{name}.required", "false"))
        return pairs

    def _listed_filters(self) -> list[str]:
        listed = self._spawn(["config", "-z", "--get-regexp", r"^filter\."], None, self.timeout)
        if listed.status not in (0, 1):  # 1: no filter configured
            raise failure(["config"], listed)
        return filter_drivers(listed.stdout)

    def environment(self) -> dict[str, str]:
        """The environment every command of this runner gets (computed once)."""
        if self._env is None:
            self._env = self._base_env(self.overrides())
        return self._env

    @staticmethod
    def _base_env(overrides: Sequence[tuple[str, str]] = ()) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "GIT_EXTERNAL_DIFF"}
        env.update(GIT_TERMINAL_PROMPT="0", GIT_PAGER="cat", GIT_OPTIONAL_LOCKS="0")
        try:
            start = int(env.get("GIT_CONFIG_COUNT", "0"))
        except ValueError:
            start = 0  # git would refuse the caller's broken value; ours must still apply
        for index, (key, value) in enumerate(overrides, start=start):
            env[f"GIT_CONFIG_KEY_{index}"] = key
            env[f"GIT_CONFIG_VALUE_{index}"] = value
        if overrides:
            env["GIT_CONFIG_COUNT"] = str(start + len(overrides))
        return env

    def argv(self, args: Sequence[str]) -> list[str]:
        """The command line of `git ARGS` in this runner's folder."""
        return ["git", "--no-pager", "-C", str(self.cwd), *args]

    def _spawn(
        self,
        args: Sequence[str],
        env: Mapping[str, str] | None,
        timeout: float,
        stdin: bytes | None = None,
    ) -> Done:
        try:
            done = subprocess.run(
                self.argv(args),
                input=stdin,
                stdin=None if stdin is not None else subprocess.DEVNULL,
                capture_output=True,
                timeout=timeout,
                check=False,
                env=dict(env) if env is not None else self._base_env(),
            )
        except FileNotFoundError:
            raise GitNotFound() from None
        except subprocess.TimeoutExpired:
            raise GitTimeout(_subcommand(args), timeout) from None
        return Done(done.returncode, done.stdout, done.stderr)

    # -- commands ------------------------------------------------------------------------
    def run(
        self,
        *args: str,
        check: bool = True,
        stdin: bytes | None = None,
        timeout: float | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Done:
        """Run `git ARGS` and wait; with `check`, a non-zero exit raises GitError."""
        full = {**self.environment(), **(env or {})}
        done = self._spawn(args, full, timeout or self.timeout, stdin)
        if check and not done.ok:
            raise failure(args, done)
        return done

    def output(self, *args: str) -> bytes:
        """stdout of `git ARGS`, which must succeed."""
        return self.run(*args).stdout

    def text(self, *args: str) -> str:
        """stdout of `git ARGS` as stripped text, which must succeed."""
        return self.run(*args).text()

    @contextmanager
    def stream(self, *args: str) -> Iterator[Stream]:
        """`git ARGS` with its stdout read as it comes (`Stream.read`).

        Leaving the block waits for git and raises GitError if it failed, unless the reader
        called `Stream.stop` (it has what it needs): then git is terminated, not waited on.
        """
        try:
            proc = subprocess.Popen(
                self.argv(args),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=self.environment(),
            )
        except FileNotFoundError:
            raise GitNotFound() from None
        stream = Stream(proc)
        try:
            yield stream
        except BaseException:
            stream.stop()
            raise
        finally:
            stream.close(_subcommand(args))


class Stream:
    """The stdout of a running git command, and the means to stop it early."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self._proc = proc
        self.stopped = False

    def read(self, size: int = 1 << 16) -> bytes:
        assert self._proc.stdout is not None
        return self._proc.stdout.read(size)

    def stop(self) -> None:
        """End git now: the rest of its output is not needed."""
        self.stopped = True
        if self._proc.poll() is None:
            self._proc.terminate()

    def close(self, command: str) -> None:
        proc = self._proc
        assert proc.stdout is not None and proc.stderr is not None
        try:
            if self.stopped:
                proc.wait()
                return
            proc.stdout.read()  # unread output would keep git blocked on a full pipe
            stderr = proc.stderr.read()
            status = proc.wait()
            if status != 0:
                raise GitError(command, one_line(stderr, status), status=status)
        finally:
            proc.stdout.close()
            proc.stderr.close()


# --------------------------------------------------------------------------- reading objects

#: Commit headers that carry a signature (SHA-1 and SHA-256 object formats).
SIGNATURE_HEADERS = (b"gpgsig", b"gpgsig-sha256")
_CHUNK = 1 << 16


class CatFile:
    """A `git cat-file --batch` process: ask for objects one at a time, read them as stored.

    Use it as a context manager; the process is started on the first request.
    """

    def __init__(self, git: Git) -> None:
        self.git = git
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> CatFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.close()
        proc.stdout.close()
        try:
            proc.wait(timeout=self.git.timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def _process(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            try:
                self._proc = subprocess.Popen(
                    self.git.argv(["cat-file", "--batch"]),
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    env=self.git.environment(),
                )
            except FileNotFoundError:
                raise GitNotFound() from None
        return self._proc

    def _header(self, name: str) -> tuple[str, int] | None:
        """Ask for `name` (an object id); (type, size) with its content next, or None."""
        if "\n" in name or not name:
            return None
        proc = self._process()
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(name.encode("utf-8", "surrogateescape") + b"\n")
            proc.stdin.flush()
        except BrokenPipeError:
            raise GitError("cat-file", "git cat-file stopped unexpectedly") from None
        line = proc.stdout.readline()
        if not line:
            raise GitError("cat-file", "git cat-file stopped unexpectedly")
        parts = line.split()
        if len(parts) != 3:  # "<name> missing" (or ambiguous)
            return None
        return parts[1].decode("ascii", "replace"), int(parts[2])

    def read(self, name: str) -> tuple[str, bytes] | None:
        """(type, content) of an object, or None when the repository does not have it."""
        header = self._header(name)
        if header is None:
            return None
        kind, size = header
        proc = self._process()
        assert proc.stdout is not None
        content = proc.stdout.read(size)
        proc.stdout.read(1)  # the newline after each object
        return kind, content

    def copy(self, name: str, handle: BinaryIO) -> str | None:
        """Write an object's content to `handle` in chunks; its type, or None when missing."""
        header = self._header(name)
        if header is None:
            return None
        kind, left = header
        proc = self._process()
        assert proc.stdout is not None
        while left:
            chunk = proc.stdout.read(min(left, _CHUNK))
            if not chunk:
                raise GitError("cat-file", "git cat-file stopped unexpectedly")
            handle.write(chunk)
            left -= len(chunk)
        proc.stdout.read(1)
        return kind


def commit_is_signed(raw: bytes) -> bool:
    """Whether a commit object carries a signature header (present, not verified)."""
    for line in raw.split(b"\n"):
        if not line:  # the headers end at the first empty line
            return False
        if line.split(b" ", 1)[0] in SIGNATURE_HEADERS:
            return True
    return False


def signed_commits(git: Git, commits: Iterable[str]) -> dict[str, bool]:
    """Whether each commit carries a signature, read through one `git cat-file` process.

    Only the presence of a signature is reported: no gpg, ssh or x509 program is run.
    """
    found: dict[str, bool] = {}
    with CatFile(git) as objects:
        for sha in sorted(set(commits)):
            read = objects.read(sha)
            found[sha] = read is not None and read[0] == "commit" and commit_is_signed(read[1])
    return found


# --------------------------------------------------------------------------- the repository

#: How long `git_target` may take: it runs on every hook run, and a hung git must not hang it.
TARGET_TIMEOUT_SECONDS = 10.0
#: Remotes a `REMOTE/BRANCH` ref is read as even when this clone does not list them.
USUAL_REMOTES = ("origin", "upstream")


class Head(NamedTuple):
    """What HEAD is: its commit (None before the first commit), branch, signature, date."""

    commit: str | None
    branch: str | None
    detached: bool
    signed: bool | None
    committed_at: datetime | None


class Repository:
    """The git repository holding `root`; commands run from `root`, so `--relative` paths are
    relative to it. Find one with `Repository.find`."""

    __slots__ = ("common_dir", "git", "git_dir", "prefix", "root", "shallow", "toplevel")

    def __init__(
        self,
        *,
        root: Path,
        git: Git,
        toplevel: Path,
        prefix: str,
        git_dir: Path,
        common_dir: Path,
        shallow: bool,
    ) -> None:
        self.root = root
        self.git = git
        self.toplevel = toplevel
        #: The target's folder inside the repository: "" or "sub/dir/".
        self.prefix = prefix
        self.git_dir = git_dir
        self.common_dir = common_dir
        self.shallow = shallow

    def __repr__(self) -> str:
        return f"Repository(root={self.root!r}, toplevel={self.toplevel!r}, prefix={self.prefix!r})"

    @classmethod
    def find(cls, root: Path, *, timeout: float = GIT_TIMEOUT_SECONDS) -> Repository | None:
        """The repository holding `root` (searching parents, as git does), or None outside one.

        Raises GitError when git refuses the repository (e.g. dubious ownership) or is missing.
        """
        git = Git(root, timeout=timeout)
        done = git.run(
            "rev-parse",
            "--is-shallow-repository",
            "--path-format=absolute",
            "--git-dir",
            "--git-common-dir",
            "--show-toplevel",
            "--show-prefix",
            check=False,
        )
        if not done.ok:
            line = one_line(done.stderr, done.status)
            if "not a git repository" in line or "cannot change to" in line:
                return None
            raise GitError("rev-parse", line, status=done.status)
        lines = done.stdout.decode("utf-8", "surrogateescape").split("\n")
        lines += [""] * (5 - len(lines))
        return cls(
            root=root,
            git=git,
            toplevel=Path(lines[3]),
            prefix=lines[4],
            git_dir=Path(lines[1]),
            common_dir=Path(lines[2]),
            shallow=lines[0] == "true",
        )

    # -- commits and refs -----------------------------------------------------------------
    def commit_of(self, ref: str) -> str | None:
        """The commit `ref` names, or None when this clone does not know it."""
        if not ref or ref.startswith("-"):
            return None
        done = self.git.run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
        return done.text() if done.ok and done.text() else None

    def has_commits(self) -> bool:
        return self.commit_of("HEAD") is not None

    def merge_base(self, commit: str, other: str = "HEAD") -> str | None:
        done = self.git.run("merge-base", commit, other, check=False)
        return done.text() if done.ok and done.text() else None

    def remotes(self) -> list[str]:
        return self.git.run("remote", check=False).text().split()

    def fetch_hint(self, ref: str) -> str:
        """The command that fetches `ref` into this clone: `git fetch origin main`."""
        return fetch_hint(ref, self.remotes())

    def head(self) -> Head:
        """HEAD's commit, branch (None when detached), signature and committer date."""
        symbolic = self.git.run("symbolic-ref", "--quiet", "HEAD", check=False)
        branch = branch_name(symbolic.text()) if symbolic.ok else None
        commit = self.commit_of("HEAD")
        if commit is None:
            return Head(None, branch, not symbolic.ok, None, None)
        raw = self.git.output("cat-file", "commit", commit)
        return Head(commit, branch, not symbolic.ok, commit_is_signed(raw), committer_date(raw))

    def shallow_boundaries(self) -> set[str]:
        """Commits whose parents a shallow clone cut off (their diffs list every file)."""
        try:
            return set((self.common_dir / "shallow").read_text("ascii").split())
        except (OSError, UnicodeDecodeError):
            return set()

    # -- content --------------------------------------------------------------------------
    def read(self, commit: str, relpath: str, *, from_top: bool = False) -> bytes | None:
        """A file's bytes at `commit` as stored (no filter), relative to the target or to the
        top of the repository; None when it is not there."""
        path = relpath if from_top else self.prefix + relpath
        done = self.git.run("cat-file", "blob", f"{commit}:{path}", check=False)
        return done.stdout if done.ok else None


def branch_name(ref: str) -> str:
    """`refs/heads/feature/x` → `feature/x` (the first two parts of a full ref dropped)."""
    parts = ref.split("/")
    return "/".join(parts[2:]) if len(parts) >= 3 else ref


def committer_date(raw: bytes) -> datetime | None:
    """The committer date of a raw commit object, in its own time zone."""
    for line in raw.split(b"\n"):
        if not line:
            return None
        if line.startswith(b"committer "):
            fields = line.rsplit(b" ", 2)
            try:
                seconds, zone = int(fields[1]), fields[2].decode("ascii")
                sign = -1 if zone.startswith("-") else 1
                offset = sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5]))
                return datetime.fromtimestamp(seconds, UTC).astimezone(timezone(offset))
            except (IndexError, ValueError, OverflowError, OSError):
                return None
    return None


def fetch_hint(ref: str, remotes: list[str]) -> str:
    """How to fetch `ref`: `origin/main` and `refs/remotes/origin/main` are `git fetch origin
    main` when origin is a remote of this clone (or a usual name); anything else is fetched
    by name from origin."""
    rest = ref.removeprefix("refs/remotes/")
    remote, _, branch = rest.partition("/")
    if branch and (rest != ref or remote in remotes or remote in USUAL_REMOTES):
        return f"git fetch {remote} {branch}"
    return f"git fetch origin {ref}"


def git_target(root: Path) -> dict[str, str | bool | None]:
    """Commit, branch and dirty state of the target, cheaply (one git status on the hook path).

    `dirty` is whether tracked files under `root` differ from HEAD (staged or not) when the
    run was made: the commit alone would misstate what was checked. Untracked files are not
    looked for (that walk is the slow part of `git status`); null outside a git repository.
    """
    unknown: dict[str, str | bool | None] = {"commit": None, "branch": None, "dirty": None}
    try:
        # One process for all three: the `--branch` headers give the commit ("(initial)" on
        # an unborn branch) and the branch ("(detached)" when detached), each other line is
        # a changed tracked file. `-- .`: only the target's folder. The runner sets
        # GIT_OPTIONAL_LOCKS=0: status never rewrites the index (a hook may run while git
        # holds its lock).
        done = Git(root, timeout=TARGET_TIMEOUT_SECONDS).run(
            "status", "--porcelain=v2", "--branch", "--untracked-files=no", "--", ".", check=False
        )
    except (GitError, OSError):
        return unknown
    if not done.ok:  # not a repository (or git failed): nothing is known
        return unknown
    commit = branch = None
    dirty = False
    # Bytes, decoded leniently: with core.quotePath off, file names come out unquoted.
    for line in done.stdout.decode("utf-8", errors="replace").splitlines():
        if line.startswith("# branch.oid "):
            value = line[len("# branch.oid ") :].strip()
            commit = value if value != "(initial)" else None
        elif line.startswith("# branch.head "):
            value = line[len("# branch.head ") :].strip()
            branch = value if value != "(detached)" else None
        elif line[:2] in ("1 ", "2 ", "u "):
            dirty = True
    return {"commit": commit, "branch": branch, "dirty": dirty}


def hooks_dir(root: Path) -> Path | None:
    """The hooks folder git really uses (honours core.hooksPath and worktrees), or None
    outside a repository.

    The one command that must see the repository's own `core.hooksPath`: it asks where hooks
    live and runs none, so that override alone is left out.
    """
    neutral = [(key, value) for key, value in NEUTRAL_CONFIG if key != "core.hooksPath"]
    git = Git(root, timeout=TARGET_TIMEOUT_SECONDS, neutral=neutral)
    try:
        done = git.run("rev-parse", "--git-path", "hooks", check=False)
    except (GitError, OSError):
        return None
    if not done.ok:
        return None
    path = Path(done.stdout.decode("utf-8", "surrogateescape").strip())
    return path if path.is_absolute() else root / path
