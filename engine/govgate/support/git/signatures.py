"""Who signed a commit: SSH commit signatures checked by git itself (ssh-keygen) against an
allowed-signers file (git's `gpg.ssh.allowedSignersFile` format), and the commit that added an
entry to a file. Signature programs come from here, never from the repository's config."""

from __future__ import annotations

import base64
import binascii
import fnmatch
import hashlib
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from govgate.support.git.command import (
    NEUTRAL_CONFIG,
    SIGNATURE_HEADERS,
    Git,
    Repository,
)

SSH_SIGNATURE = b"-----BEGIN SSH SIGNATURE-----"
_KEY_TYPES = ("ssh-", "ecdsa-", "sk-ssh-", "sk-ecdsa-")


@dataclass(frozen=True)
class AllowedSigner:
    """One line of an allowed-signers file: who (patterns), and the key's fingerprint."""

    principals: tuple[str, ...]
    fingerprint: str
    line: int

    def lists(self, principal: str) -> bool:
        """Whether `principal` matches one of the line's patterns (`*`, `?`; a negated
        pattern, `!x`, never makes a match: it can only take one away)."""
        wanted = principal.casefold()
        matched = False
        for pattern in self.principals:
            if pattern.startswith("!"):
                if fnmatch.fnmatchcase(wanted, pattern[1:].casefold()):
                    return False
                continue
            matched = matched or fnmatch.fnmatchcase(wanted, pattern.casefold())
        return matched


def ssh_fingerprint(blob_b64: str) -> str:
    """`SHA256:...` as ssh-keygen and git print it, of a base64 public-key blob."""
    digest = hashlib.sha256(base64.b64decode(blob_b64, validate=True)).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def parse_allowed_signers(text: str) -> tuple[list[AllowedSigner], list[tuple[int, str]]]:
    """The signers of an allowed-signers file, and (line, problem) for each line that is not
    one. `cert-authority` lines are reported, not used: a CA's key signs no commit itself."""
    signers: list[AllowedSigner] = []
    problems: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            tokens = shlex.split(line, posix=True)
        except ValueError as exc:
            problems.append((number, f"cannot be read ({exc})"))
            continue
        at = next((i for i, t in enumerate(tokens) if i > 0 and t.startswith(_KEY_TYPES)), None)
        if at is None or at + 1 >= len(tokens):
            problems.append((number, "has no key (principals [options] key-type base64-key)"))
            continue
        if any("cert-authority" in option for option in tokens[1:at]):
            problems.append((number, "is a cert-authority line; govgate matches keys, not CAs"))
            continue
        try:
            fingerprint = ssh_fingerprint(tokens[at + 1])
        except (binascii.Error, ValueError):
            problems.append((number, "its key is not valid base64"))
            continue
        signers.append(AllowedSigner(tuple(tokens[0].split(",")), fingerprint, number))
    return signers, problems


@dataclass(frozen=True)
class CommitSignature:
    """What git says of a commit's signature: `good` only for a valid SSH signature by a key
    in the allowed-signers file; `fingerprint` is the signing key's, `problem` why not good."""

    commit: str
    good: bool
    fingerprint: str | None
    problem: str | None


def _signature_kind(raw: bytes) -> bytes | None:
    """The signature block of a commit object (first line), or None when unsigned."""
    for line in raw.split(b"\n"):
        if not line:
            return None
        name, _, value = line.partition(b" ")
        if name in SIGNATURE_HEADERS:
            return value.strip()
    return None


def commit_signature(root: Path, commit: str, allowed_signers: Path) -> CommitSignature:
    """Check `commit`'s signature with git's own SSH verification against `allowed_signers`.

    The signing programs and the allowed-signers file are set here over anything the
    repository configures; GPG and X.509 signatures are not checked (no program is run)."""
    git = Git(
        root,
        neutral=(
            *NEUTRAL_CONFIG,
            ("gpg.ssh.program", "ssh-keygen"),
            ("gpg.ssh.allowedSignersFile", str(allowed_signers)),
            ("gpg.program", "gpg"),
            ("gpg.openpgp.program", "gpg"),
            ("gpg.x509.program", "gpgsm"),
        ),
    )
    raw = git.output("cat-file", "commit", commit)
    kind = _signature_kind(raw)
    if kind is None:
        return CommitSignature(commit, False, None, "the commit is not signed")
    if not kind.startswith(SSH_SIGNATURE):
        return CommitSignature(
            commit, False, None, "the commit is signed with GPG or X.509; only SSH is checked"
        )
    done = git.run("show", "-s", "--format=%G?%x00%GF", commit, check=False)
    status, _, fingerprint = done.stdout.decode("utf-8", "replace").strip().partition("\0")
    if done.ok and status == "G":
        return CommitSignature(commit, True, fingerprint or None, None)
    reasons = {
        "U": "signed by a key the allowed-signers file does not list",
        "B": "the signature does not verify",
        "X": "the signature has expired",
        "Y": "signed by an expired key",
        "R": "signed by a revoked key",
        "E": "the signature cannot be checked",
    }
    return CommitSignature(
        commit, False, fingerprint or None, reasons.get(status, "the signature cannot be checked")
    )


def introducing_commit(
    repo: Repository, relpath: str, present: Callable[[bytes | None], bool]
) -> tuple[str | None, str | None]:
    """(the newest commit whose version of `relpath` satisfies `present` while none of its
    parents' does, None) — the commit that added or last changed an entry — or (None, why).

    The entry must be in the file as committed at HEAD: one only in the working tree or the
    staged files was written by whoever runs the check, whatever an older commit held. A merge
    whose first parent's line deleted the entry (a revocation) and that keeps it from another
    parent puts it back: that merge is its introducing commit."""
    if not present(repo.read("HEAD", relpath)):
        return None, (
            "it is not in the file as committed at HEAD (only in the working tree or the "
            "staged files)"
        )
    # Every parent of a merge is followed (--full-history): the default simplification skips
    # a merge that took the file from one side, which is how a revoked entry comes back.
    listed = repo.git.run(
        "log",
        "--full-history",
        "--topo-order",
        "--format=%H %P",
        "HEAD",
        "--",
        f":(literal){relpath}",
        check=False,
    )
    if not listed.ok:
        return None, "git log cannot read the file's history"
    boundaries = repo.shallow_boundaries()
    for line in listed.text().splitlines():
        commit, *parents = line.split()
        if not present(repo.read(commit, relpath)):
            continue
        holding = [parent for parent in parents if present(repo.read(parent, relpath))]
        if holding and (
            parents[0] in holding or not _deleted_since(repo, relpath, present, parents[0], holding)
        ):
            continue
        if commit in boundaries:
            return None, "the history is cut off by a shallow clone; fetch it whole"
        return commit, None
    return None, "no commit holds it as it is written now: it is not committed"


def _deleted_since(
    repo: Repository,
    relpath: str,
    present: Callable[[bytes | None], bool],
    first: str,
    holding: list[str],
) -> bool:
    """Whether a commit reachable from `first` but from none of `holding` deleted the entry:
    the merge's mainline revoked it, and the side that still holds it predates that."""
    listed = repo.git.run(
        "log",
        "--full-history",
        "--format=%H %P",
        first,
        "--not",
        *holding,
        "--",
        f":(literal){relpath}",
        check=False,
    )
    if not listed.ok:
        return True  # the history cannot be read: the merge must carry the signature itself
    for line in listed.text().splitlines():
        commit, *parents = line.split()
        if present(repo.read(commit, relpath)):
            continue
        if any(present(repo.read(parent, relpath)) for parent in parents):
            return True
    return False
