"""Approvals bound to keys: a waiver is `verified` only when the commit that added or last
changed it is SSH-signed by a key the allowed-signers file lists for its approver (a team
handle resolves through the teams file); otherwise it is `self-reported` (docs/signing.md)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govgate.core.findings import Finding
from govgate.core.policy import severity_rank
from govgate.support.errors import ConfigError, GovgateError
from govgate.support.git import Repository
from govgate.support.git.signatures import (
    AllowedSigner,
    commit_signature,
    introducing_commit,
    parse_allowed_signers,
)
from govgate.support.yamlload import load_yaml_text

if TYPE_CHECKING:
    from govgate.core.waivers import Waiver

#: The environment variable CI sets to an allowed-signers file kept outside the repository.
SIGNERS_ENV = "GOVGATE_ALLOWED_SIGNERS"
DEFAULT_REQUIRED = "high"
VERIFIED = "verified"
SELF_REPORTED = "self-reported"


@dataclass
class ApprovalSettings:
    """`approvals:` of govgate.yaml: where the keys and teams are, and from which severity a
    waiver must be verified to apply ("none": never)."""

    allowed_signers: str | None = None
    teams: str | None = None
    require_verified: str = DEFAULT_REQUIRED
    #: Where the files were read: "the working tree", or the trusted ref of a review.
    source: str = "the working tree"
    signers_text: str | None = None
    teams_map: dict[str, list[str]] = field(default_factory=dict)

    def threshold(self) -> int | None:
        if self.require_verified == "none":
            return None
        return severity_rank(self.require_verified)


def _read(root: Path, relpath: str, trusted: tuple[Repository, str] | None) -> str | None:
    """A file of the repository, at the trusted commit of a review (never the change's own
    copy: a change may not list its own key), or in the working tree."""
    if trusted is not None:
        repo, commit = trusted
        data = repo.read(commit, relpath)
    else:
        path = root / relpath
        if root.resolve() not in path.resolve().parents:
            raise ConfigError(
                "govgate.yaml",
                None,
                f"approvals: {relpath} is outside the repository; keep it in the repository "
                f"(under CODEOWNERS), or give a file from outside in {SIGNERS_ENV}",
            )
        data = path.read_bytes() if path.is_file() else None
    return data.decode("utf-8-sig", "replace") if data is not None else None


def load_approval_settings(
    raw: dict[str, Any], root: Path, trusted: tuple[Repository, str, str] | None = None
) -> ApprovalSettings:
    """`approvals:` as written (`raw`) and the files it names, from the working tree at
    `root`, or under --base from the trusted commit: `trusted` = (repository, commit, ref).
    GOVGATE_ALLOWED_SIGNERS (a file outside the repository) beats the setting."""
    settings = ApprovalSettings(
        allowed_signers=raw.get("allowed_signers"),
        teams=raw.get("teams"),
        require_verified=str(raw.get("require_verified", DEFAULT_REQUIRED)),
    )
    at = (trusted[0], trusted[1]) if trusted is not None else None
    if trusted is not None:
        settings.source = trusted[2]
    outside = os.environ.get(SIGNERS_ENV)
    if outside:
        try:
            settings.signers_text = Path(outside).read_text("utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(SIGNERS_ENV, None, f"{outside}: cannot read it ({exc})") from exc
        settings.allowed_signers, settings.source = outside, SIGNERS_ENV
    elif settings.allowed_signers:
        settings.signers_text = _read(root, settings.allowed_signers, at)
    if settings.teams:
        text = _read(root, settings.teams, at)
        settings.teams_map = _teams(text, settings.teams) if text is not None else {}
    return settings


def _teams(text: str, relpath: str) -> dict[str, list[str]]:
    """`teams: {handle: [principal, ...]}`; anything else is a config error naming the file."""
    data = load_yaml_text(text, relpath).data or {}  # read as every YAML file is, or refused
    teams = data.get("teams") if isinstance(data, dict) else None
    if not isinstance(teams, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(p, str) for p in v)
        for k, v in teams.items()
    ):
        raise ConfigError(relpath, None, "write `teams:` as a mapping of handle to principals")
    return {k.casefold(): list(v) for k, v in teams.items()}


def principals_of(approver: str, settings: ApprovalSettings) -> tuple[list[str], str | None]:
    """The principals an approver stands for: a team's members (the teams file), else the
    approver itself; a handle no teams file resolves stands for nobody."""
    name = approver.strip()
    members = settings.teams_map.get(name.casefold())
    if members is not None:
        return members, None
    if name.startswith("@"):
        return [], f"the team {name} is not in the teams file ({settings.teams or 'none set'})"
    return [name], None


@contextmanager
def _signers_file(settings: ApprovalSettings) -> Iterator[Path]:
    """The allowed-signers text as a file git can read (it may come from a commit)."""
    with tempfile.TemporaryDirectory(prefix="govgate-signers-") as folder:
        path = Path(folder) / "allowed_signers"
        path.write_text(settings.signers_text or "", "utf-8")
        yield path


def _unverified(reason: str) -> dict[str, Any]:
    return {"level": SELF_REPORTED, "reason": reason}


def approval_levels(
    root: Path, waivers: list[Waiver], findings: list[Finding], settings: ApprovalSettings
) -> None:
    """Set each waiver's `approval` (level, and the signer or the reason). Only waivers that
    match a failing finding are checked (git runs only for them: the hook stays fast)."""
    failing = [f for f in findings if f.status == "fail"]
    matched = [w for w in waivers if any(w.matches(f) for f in failing)]
    for waiver in waivers:
        waiver.approval = _unverified("not checked: it matches no failing finding")
    if not matched:
        return
    if not settings.signers_text:
        why = (
            f"no allowed-signers file (approvals.allowed_signers in govgate.yaml, or {SIGNERS_ENV})"
            if not settings.allowed_signers
            else f"the allowed-signers file {settings.allowed_signers} is missing or empty "
            f"in {settings.source}"
        )
        for waiver in matched:
            waiver.approval = _unverified(why)
        return
    signers, problems = parse_allowed_signers(settings.signers_text)
    if problems:  # a line that lists nobody is never skipped in silence
        line, problem = problems[0]
        more = f" (and {len(problems) - 1} more lines)" if len(problems) > 1 else ""
        raise ConfigError(
            str(settings.allowed_signers),
            line,
            f"{problem}{more}; fix or remove the line (format: principals [options] key)",
        )
    repo = Repository.find(root)
    if repo is None:
        for waiver in matched:
            waiver.approval = _unverified("the repository is not a git repository")
        return
    with _signers_file(settings) as signers_file:
        for waiver in matched:
            waiver.approval = _level(repo, waiver, signers, signers_file, settings)


def _level(
    repo: Repository,
    waiver: Waiver,
    signers: list[AllowedSigner],
    signers_file: Path,
    settings: ApprovalSettings,
) -> dict[str, Any]:
    principals, problem = principals_of(waiver.approver, settings)
    if problem is not None:
        return _unverified(problem)

    def present(content: bytes | None) -> bool:
        return content is not None and _holds(content, waiver.raw)

    commit, why = introducing_commit(repo, waiver.file, present)
    if commit is None:
        return _unverified(str(why))
    signature = commit_signature(repo.root, commit, signers_file)
    if not signature.good:
        return {**_unverified(f"commit {commit[:10]}: {signature.problem}"), "commit": commit}
    keys = {s.fingerprint for s in signers if any(s.lists(p) for p in principals)}
    if signature.fingerprint not in keys:
        return {
            **_unverified(
                f"commit {commit[:10]} is signed by {signature.fingerprint}, a key "
                f"{settings.allowed_signers} does not list for {waiver.approver}"
            ),
            "commit": commit,
        }
    return {"level": VERIFIED, "commit": commit, "key": signature.fingerprint}


def _holds(content: bytes, entry: dict[str, Any]) -> bool:
    """Whether a version of the waiver file holds `entry` exactly as written now."""
    try:  # read as the waiver file itself is read, so the entries compare value for value
        data = load_yaml_text(content.decode("utf-8-sig", "replace"), "waivers").data
    except GovgateError:
        return False
    waivers = data.get("waivers") if isinstance(data, dict) else None
    return isinstance(waivers, list) and entry in waivers
