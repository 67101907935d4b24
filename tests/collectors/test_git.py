"""The git collector on real repositories: HEAD states, changes, history, trailers, CODEOWNERS."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from govgate_collectors.git import GitCollector, git_failure
from jsonschema import Draft202012Validator

from govgate.core.evidence import Evidence, canonical_json
from govgate.run.check import CheckOptions, get_registry, run_check
from govgate.run.collect import Collection, collect_evidence
from govgate.support.git import GitError, one_line
from govgate.support.git.codeowners import codeowners_regex

from conftest import RepoBuilder, git

NOW = datetime(2026, 6, 1, tzinfo=UTC)
SCHEMAS = {kind.name: kind.schema for kind in GitCollector.kinds}
ALL_KINDS = tuple(SCHEMAS)


def collect(
    root: Path,
    kinds: tuple[str, ...] = ALL_KINDS,
    *,
    settings: dict[str, Any] | None = None,
    base_ref: str | None = None,
) -> Collection:
    registry = get_registry()
    return collect_evidence(
        registry,
        {name: registry.kinds[name] for name in kinds},
        set(kinds),
        root,
        system={},
        settings={"git": settings or {}},
        now=NOW,
        base_ref=base_ref,
    )


def only(collection: Collection, kind: str) -> Evidence:
    assert collection.evidence.failed_collectors == {}
    items = collection.evidence.by_kind[kind]
    assert len(items) == 1
    item = items[0]
    if item.problem is None:  # the engine validated it too; say so explicitly here
        assert list(Draft202012Validator(SCHEMAS[kind]).iter_errors(item.data)) == []
    return item


def commit_as(repo: RepoBuilder, name: str, email: str, message: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_DATE": "2026-02-03T04:05:06+02:00",
    }
    return repo.commit(message, env=env)


# --------------------------------------------------------------------------- git.head


def test_head_on_a_branch_with_an_unsigned_commit(make_repo: Callable[..., RepoBuilder]) -> None:
    repo = make_repo({"README.md": "hi\n"}, commit=False)
    sha = commit_as(repo, "Ann", "ann@example.com", "first")
    head = only(collect(repo.path, ("git.head",)), "git.head")
    assert head.data == {
        "in_repository": True,
        "has_commits": True,
        "commit": sha,
        "branch": "main",
        "detached": False,
        "shallow": False,
        "signed": False,
        "commit_date": "2026-02-03T02:05:06Z",  # committer date, in UTC
    }
    assert head.source.commit == sha
    assert head.dated == "2026-02-03T02:05:06Z"


def test_detached_head_has_no_branch(make_repo: Callable[..., RepoBuilder]) -> None:
    repo = make_repo({"a.txt": "1\n"})
    first = repo.git("rev-parse", "HEAD").strip()
    repo.write({"a.txt": "2\n"}).commit("second")
    repo.git("checkout", "-q", "--detach", first)
    data = only(collect(repo.path, ("git.head",)), "git.head").data
    assert (data["commit"], data["branch"], data["detached"]) == (first, None, True)


def test_repository_without_commits(make_repo: Callable[..., RepoBuilder]) -> None:
    repo = make_repo({"governance/dpia.md": "# DPIA\n"}, commit=False)
    collection = collect(repo.path, ("git.head", "git.governance_history"))
    assert only(collection, "git.head").data == {
        "in_repository": True,
        "has_commits": False,
        "commit": None,
        "branch": "main",
        "detached": False,
        "shallow": False,
        "signed": None,
        "commit_date": None,
    }
    history = only(collection, "git.governance_history").data
    assert history["files"][0]["path"] == "governance/dpia.md"
    assert history["files"][0]["committed"] is False
    assert history["files"][0]["last_commit"] is None
    assert (history["uncommitted_count"], history["unsigned_count"]) == (1, 0)


def test_outside_a_repository_is_evidence_not_a_crash(
    make_repo: Callable[..., RepoBuilder],
) -> None:
    folder = make_repo(
        {"governance/dpia.md": "x\n", "CODEOWNERS": "governance/ @org/privacy\n"}, init=False
    )
    collection = collect(folder.path, ("git.head", "git.governance_history", "git.codeowners"))
    assert only(collection, "git.head").data["in_repository"] is False
    history = only(collection, "git.governance_history")
    assert history.problem is not None and "not a git repository" in history.problem
    owners = only(collection, "git.codeowners").data  # a file, so still read
    assert owners["governance_paths"] == [
        {"path": "governance/dpia.md", "owners": ["@org/privacy"]}
    ]


def test_signed_commit_is_reported_signed(make_repo: Callable[..., RepoBuilder]) -> None:
    """A commit object carrying a signature header (written by hand: no gpg in tests)."""
    repo = make_repo({"governance/policy.md": "v1\n"})
    tree = repo.git("rev-parse", "HEAD^{tree}").strip()
    parent = repo.git("rev-parse", "HEAD").strip()
    body = (
        f"tree {tree}\nparent {parent}\n"
        "author Sig Ner <s@example.invalid> 1767225600 +0000\n"
        "committer Sig Ner <s@example.invalid> 1767225600 +0000\n"
        "gpgsig -----BEGIN SSH SIGNATURE-----\n U1NIU0lHAAAAAQ==\n -----END SSH SIGNATURE-----\n"
        "\nsigned change\n"
    )
    signed = subprocess.run(
        ["git", "-C", str(repo.path), "hash-object", "-t", "commit", "-w", "--stdin"],
        input=body,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    repo.git("update-ref", "refs/heads/main", signed)
    collection = collect(repo.path, ("git.head", "git.governance_history"))
    assert only(collection, "git.head").data["signed"] is True
    # governance/policy.md was last changed by the unsigned first commit, not the signed one
    history = only(collection, "git.governance_history").data
    assert [(f["path"], f["signed"]) for f in history["files"]] == [("governance/policy.md", False)]
    assert history["unsigned_count"] == 1


# --------------------------------------------------------------------------- history


def test_history_last_change_author_and_trailers(make_repo: Callable[..., RepoBuilder]) -> None:
    repo = make_repo(
        {"governance/dpia.md": "v1\n", "governance/fria.md": "v1\n", "src/app.py": "x\n"},
        commit=False,
    )
    commit_as(
        repo,
        "Ann Lee",
        "ann@example.com",
        "Add governance docs\n\nApproved-by: Old Approver <old@corp.example.com>\n",
    )
    repo.write({"governance/dpia.md": "v2\n"})
    dpia_commit = commit_as(
        repo,
        "Bob Roe <bob@corp.example.com>",  # a name that is really an e-mail address
        "bob@corp.example.com",
        "Update the DPIA\n\n"
        "Reviewed-by: in the body, not a trailer\n\n"
        "Approved-by: Jane Doe <jane.doe@corp.example.com>\n"
        "approved-by: Carl Chief\n"
        "Reviewed-by: Dana DPO\n",
    )
    repo.write({"src/app.py": "y\n"})
    commit_as(repo, "Eve", "eve@example.com", "Code only\n\nApproved-by: Not Relevant\n")
    repo.write({"governance/fria.md": "v1 edited, not committed\n", "governance/new.md": "n\n"})

    item = only(collect(repo.path, ("git.governance_history",)), "git.governance_history")
    files = {f["path"]: f for f in item.data["files"]}
    assert sorted(files) == ["governance/dpia.md", "governance/fria.md", "governance/new.md"]
    dpia = files["governance/dpia.md"]
    assert dpia["last_commit"] == dpia_commit
    assert dpia["last_author"] == "Bob Roe b***@c***.com"  # git itself drops the <>
    assert dpia["last_date"] == "2026-02-03T02:05:06Z"
    assert dpia["trailers"] == {
        "approved_by": ["Jane Doe <j***@c***.com>", "Carl Chief"],
        "reviewed_by": ["Dana DPO"],
    }
    assert (dpia["committed"], dpia["signed"], dpia["history_truncated"]) == (True, False, False)
    fria = files["governance/fria.md"]
    assert fria["last_author"] == "Ann Lee"
    assert fria["trailers"]["approved_by"] == ["Old Approver <o***@c***.com>"]
    assert fria["committed"] is False  # edited since its last commit
    assert files["governance/new.md"]["last_commit"] is None
    assert (item.data["uncommitted_count"], item.data["unsigned_count"]) == (2, 2)
    text = canonical_json(item.data).decode()
    assert "@corp.example.com" not in text and "ann@example.com" not in text


def test_ignored_files_are_not_governance_files(make_repo: Callable[..., RepoBuilder]) -> None:
    repo = make_repo({".gitignore": "docs/_build/\n", "docs/guide.md": "# Guide\n"})
    repo.write({"docs/_build/guide.md": "# generated\n"})
    data = only(
        collect(repo.path, ("git.governance_history", "git.codeowners")), "git.governance_history"
    ).data
    assert [f["path"] for f in data["files"]] == ["docs/guide.md"]


def test_history_settings_choose_governance_paths(make_repo: Callable[..., RepoBuilder]) -> None:
    repo = make_repo({"compliance/a.md": "a\n", "governance/b.md": "b\n"})
    collection = collect(
        repo.path, ("git.governance_history",), settings={"governance_paths": ["compliance/*"]}
    )
    data = only(collection, "git.governance_history").data
    assert data["patterns"] == ["compliance/*"]
    assert [f["path"] for f in data["files"]] == ["compliance/a.md"]


def test_bad_settings_fail_with_the_setting_named(make_repo: Callable[..., RepoBuilder]) -> None:
    repo = make_repo({"a.md": "a\n"})
    collection = collect(repo.path, ("git.head",), settings={"governance_paths": {"x": 1}})
    assert "collectors.git.governance_paths" in collection.evidence.failed_collectors["git"]


@pytest.mark.slow
def test_history_matches_git_log_on_a_large_repository(tmp_path: Path) -> None:
    """1,500 governance files, 400 commits: every file's last commit is what `git log -1` says."""
    repo = tmp_path / "big"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    stream: list[bytes] = []

    def data(text: str) -> bytes:
        raw = text.encode()
        return b"data %d\n%s\n" % (len(raw), raw)

    for number in range(400):
        stream.append(b"commit refs/heads/main\n")
        stamp = 1_700_000_000 + number * 60
        stream.append(b"author P%d <p%d@example.com> %d +0000\n" % (number % 5, number, stamp))
        stream.append(b"committer C <c@example.com> %d +0000\n" % stamp)
        stream.append(data(f"change {number}\n\nApproved-by: Boss {number % 3}\n"))
        touched = range(1500) if number == 0 else [(number * 37 + k * 101) % 1500 for k in range(4)]
        for index in touched:
            stream.append(b"M 644 inline governance/d%d/f%d.md\n" % (index // 100, index))
            stream.append(data(f"{index} {number}"))
        stream.append(b"\n")
    subprocess.run(
        ["git", "-C", str(repo), "fast-import", "--quiet"], input=b"".join(stream), check=True
    )
    git(repo, "checkout", "-q", "main")
    data_out = only(collect(repo, ("git.governance_history",)), "git.governance_history").data
    assert len(data_out["files"]) == 1500
    by_path = {f["path"]: f for f in data_out["files"]}
    for path in ["governance/d0/f0.md", "governance/d3/f337.md", "governance/d14/f1499.md"]:
        expected = git(
            repo, "log", "-1", "--format=%H|%an|%(trailers:key=Approved-by,valueonly)", "--", path
        ).strip()
        sha, author, approver = expected.split("|")
        assert by_path[path]["last_commit"] == sha
        assert by_path[path]["last_author"] == author
        assert by_path[path]["trailers"]["approved_by"] == [approver.strip()]


# --------------------------------------------------------------------------- shallow clones


def test_shallow_clone_marks_truncated_history(
    make_repo: Callable[..., RepoBuilder], tmp_path: Path
) -> None:
    origin = make_repo({"governance/a.md": "1\n", "governance/b.md": "1\n"})
    origin.write({"governance/a.md": "2\n"}).commit("second")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{origin.path}", str(clone))
    collection = collect(clone, ("git.head", "git.governance_history"))
    head = only(collection, "git.head").data
    assert (head["shallow"], head["branch"], head["has_commits"]) == (True, "main", True)
    history = only(collection, "git.governance_history").data
    assert history["shallow"] is True
    # b.md was really last changed in the first commit, which the clone does not have
    assert [(f["path"], f["history_truncated"]) for f in history["files"]] == [
        ("governance/a.md", True),
        ("governance/b.md", True),
    ]


# --------------------------------------------------------------------------- git.changes


def test_changes_against_base(make_repo: Callable[..., RepoBuilder]) -> None:
    repo = make_repo(
        {
            "governance/waivers.yaml": "waivers: []\n",
            "governance/old-name.md": "a long enough body for rename detection\n" * 5,
            "src/gone.py": "x = 1\n",
        }
    )
    base = repo.git("rev-parse", "HEAD").strip()
    repo.git("checkout", "-q", "-b", "feature")
    repo.git("mv", "governance/old-name.md", "governance/new-name.md")
    repo.git("rm", "-q", "src/gone.py")
    repo.write({"governance/waivers.yaml": "waivers: [x]\n", "docs/new.md": "# New\n"})
    repo.commit("feature work")
    repo.git("checkout", "-q", "main")
    repo.write({"main-only.txt": "later on main\n"}).commit("main moves on")
    repo.git("checkout", "-q", "feature")

    item = only(collect(repo.path, ("git.changes",), base_ref="main"), "git.changes")
    assert item.data["base"] == "main"
    assert item.data["merge_base"] == base
    assert item.data["note"] is None
    assert sorted(item.data["files"], key=lambda f: f["path"]) == [
        {"path": "docs/new.md", "status": "added", "old_path": None},
        {
            "path": "governance/new-name.md",
            "status": "renamed",
            "old_path": "governance/old-name.md",
        },
        {"path": "governance/waivers.yaml", "status": "modified", "old_path": None},
        {"path": "src/gone.py", "status": "deleted", "old_path": None},
    ]  # main-only.txt is not listed: it changed on main, not in this branch


def test_changes_need_a_base_ref(make_repo: Callable[..., RepoBuilder]) -> None:
    repo = make_repo({"a.md": "a\n"})
    collection = collect(repo.path, ("git.changes", "git.head"))
    assert "git.changes" not in collection.evidence.by_kind
    assert collection.diagnostics == []  # a hook run stays quiet
    assert "--base" in get_registry().kinds["git.changes"].description


def test_unknown_base_ref_names_the_ref_and_the_fix(
    make_repo: Callable[..., RepoBuilder],
) -> None:
    repo = make_repo({"a.md": "a\n"})
    collection = collect(repo.path, ("git.changes",), base_ref="origin/release")
    message = collection.evidence.failed_collectors["git"]
    assert message == (
        "base ref 'origin/release' is not known in this clone; "
        "fetch it first: git fetch origin release"
    )


def test_changes_in_a_shallow_clone_without_the_merge_base(
    make_repo: Callable[..., RepoBuilder], tmp_path: Path
) -> None:
    origin = make_repo({"governance/a.md": "1\n"})
    origin.git("checkout", "-q", "-b", "feature")
    origin.write({"governance/b.md": "new\n"}).commit("feature 1")
    origin.write({"governance/b.md": "newer\n"}).commit("feature 2")
    origin.git("checkout", "-q", "main")
    origin.write({"governance/a.md": "2\n"}).commit("main 2")
    origin.write({"governance/a.md": "3\n"}).commit("main 3")
    clone = tmp_path / "ci"
    git(
        tmp_path,
        "clone",
        "-q",
        "--depth",
        "1",
        "--branch",
        "feature",
        f"file://{origin.path}",
        str(clone),
    )
    git(clone, "fetch", "-q", "--depth", "1", "origin", "main:refs/remotes/origin/main")

    collection = collect(clone, ("git.changes",), base_ref="origin/main")
    item = only(collection, "git.changes")
    assert item.data["merge_base"] is None
    assert "not in this shallow clone" in item.data["note"]
    assert "git fetch --deepen" in item.data["note"]
    paths = {f["path"]: f["status"] for f in item.data["files"]}
    assert paths == {"governance/a.md": "modified", "governance/b.md": "added"}
    assert any("shallow clone" in d.message for d in collection.diagnostics)


def test_a_sub_folder_of_a_repository_sees_its_own_paths(
    make_repo: Callable[..., RepoBuilder],
) -> None:
    repo = make_repo({"svc/governance/a.md": "1\n", "other/governance/x.md": "1\n"})
    repo.git("checkout", "-q", "-b", "feature")
    repo.write({"svc/governance/a.md": "2\n", "other/governance/x.md": "2\n"}).commit("both")
    collection = collect(
        repo.path / "svc", ("git.changes", "git.governance_history"), base_ref="main"
    )
    changes = only(collection, "git.changes").data["files"]
    assert changes == [{"path": "governance/a.md", "status": "modified", "old_path": None}]
    history = only(collection, "git.governance_history").data["files"]
    assert [(f["path"], f["committed"]) for f in history] == [("governance/a.md", True)]


def test_git_failures_are_one_line_with_gits_own_fix() -> None:
    stderr = (
        b"fatal: detected dubious ownership in repository at '/w'\n"
        b"To add an exception for this directory, call:\n\n"
        b"\tgit config --global --add safe.directory /w\n"
    )
    error = GitError("rev-parse", one_line(stderr, 128), status=128)
    assert str(git_failure(error)) == (
        "git failed: fatal: detected dubious ownership in repository at '/w' "
        "(fix: git config --global --add safe.directory /w)"
    )


# --------------------------------------------------------------------------- CODEOWNERS


@pytest.mark.parametrize(
    ("pattern", "matches", "misses"),
    [
        ("*", ["a", "x/y/z.md"], []),
        ("*.md", ["a.md", "docs/x/b.md"], ["a.mdx", "md"]),
        ("/docs/", ["docs/a.md", "docs/x/y.md"], ["docs", "x/docs/a.md"]),
        ("docs/", ["docs/a.md", "x/docs/a.md"], ["docs"]),
        ("docs/*", ["docs/a.md"], ["docs/x/a.md"]),
        ("governance", ["governance", "governance/a.md", "x/governance/b"], ["governance.md"]),
        ("docs/dpia.md", ["docs/dpia.md"], ["x/docs/dpia.md"]),
        ("**/logs", ["logs", "a/logs", "a/b/logs/x.log"], ["alogs"]),
        ("apps/**/model_card.md", ["apps/model_card.md", "apps/a/b/model_card.md"], []),
        ("/build/logs/", ["build/logs/x", "build/logs/a/b"], ["x/build/logs/y"]),
        ("f?o.md", ["foo.md", "a/fxo.md"], ["fo.md", "fooo.md"]),
        (r"my\ file.md", ["my file.md"], ["my\\ file.md"]),
    ],
)
def test_codeowners_patterns_follow_github_semantics(
    pattern: str, matches: list[str], misses: list[str]
) -> None:
    regex = codeowners_regex(pattern)
    assert [p for p in matches if not regex.match(p)] == []
    assert [p for p in misses if regex.match(p)] == []


def test_codeowners_file_last_rule_wins_and_bad_lines_are_reported(
    make_repo: Callable[..., RepoBuilder],
) -> None:
    codeowners = (
        "\ufeff# Owners of governance material\r\n"
        "*                       @org/platform\r\n"
        "/governance/            @org/privacy   legal@corp.example.com  # inline comment\r\n"
        "governance/waivers.yaml\r\n"  # no owners: nobody owns the waivers
        "docs/*.md               @docs-team\r\n"
        "!governance/dpia.md     @someone\r\n"
        "policies/[ab]*          @org/policy\r\n"
        "govgate.yaml            not-an-owner\r\n"
        "\r\n"
        "model_card.*            @ml-lead"  # truncated last line: no newline
    )
    repo = make_repo(
        {
            ".github/CODEOWNERS": codeowners,
            "CODEOWNERS": "* @ignored\n",
            "governance/dpia.md": "x\n",
            "governance/waivers.yaml": "waivers: []\n",
            "docs/guide.md": "# g\n",
            "docs/deep/notes.md": "# n\n",
            "govgate.yaml": "system: {name: t, risk: high}\n",
            "model_card.md": "# card\n",
        }
    )
    collection = collect(
        repo.path,
        ("git.codeowners",),
        settings={"codeowners": [".github/CODEOWNERS", "CODEOWNERS"]},
    )
    item = only(collection, "git.codeowners")
    data = item.data
    assert data["file"] == ".github/CODEOWNERS"
    assert [(r["pattern"], r["line"]) for r in data["rules"]] == [
        ("*", 2),
        ("/governance/", 3),
        ("governance/waivers.yaml", 4),
        ("docs/*.md", 5),
        ("model_card.*", 10),
    ]
    assert data["rules"][1]["owners"] == ["@org/privacy", "l***@c***.com"]
    owners = {g["path"]: g["owners"] for g in data["governance_paths"]}
    assert owners == {
        "docs/deep/notes.md": ["@org/platform"],  # docs/*.md does not reach sub-folders
        "docs/guide.md": ["@docs-team"],
        "governance/dpia.md": ["@org/privacy", "l***@c***.com"],
        "governance/waivers.yaml": [],
        "govgate.yaml": ["@org/platform"],  # its own rule was invalid, so `*` applies
        "model_card.md": ["@ml-lead"],
    }
    assert data["unowned"] == ["governance/waivers.yaml"]
    assert [(e["line"], e["message"].split(" ")[0]) for e in data["errors"]] == [
        (6, "negated"),
        (7, "character"),
        (8, "owner"),
    ]
    reported = {(d.path, d.line) for d in collection.diagnostics}
    assert {(".github/CODEOWNERS", 6), (".github/CODEOWNERS", 7), (".github/CODEOWNERS", 8)} <= (
        reported
    )
    assert ("CODEOWNERS", None) in reported  # the second file is said to be ignored
    assert item.locations["/rules/4"] == 10


def test_codeowners_symlink_leaving_the_repository_is_refused(
    make_repo: Callable[..., RepoBuilder], tmp_path: Path
) -> None:
    outside = tmp_path / "outside-owners"
    outside.write_text("* @attacker\n")
    repo = make_repo({"governance/a.md": "a\n"})
    os.symlink(outside, repo.path / "CODEOWNERS")
    collection = collect(repo.path, ("git.codeowners",))
    item = only(collection, "git.codeowners")
    assert item.problem is not None
    assert "@attacker" not in json.dumps(item.data)
    assert any("outside the repository" in d.message for d in collection.diagnostics)


# --------------------------------------------------------------------------- `govgate check`

PACK = """\
pack: git-test
version: 0.1.0
title: Git evidence reaches rules
requirements:
  - {id: T-1, title: Traceable governance changes, source: {framework: Test, ref: "1"}}
controls:
  - {id: G-1, title: Governance changes are approved and owned, satisfies: [T-1]}
rules:
  - id: G-1.head
    control: G-1
    severity: high
    evidence: git.head
    assert:
      all: [{path: has_commits, op: eq, value: true}, {path: detached, op: eq, value: false}]
    message: HEAD is not a commit on a branch
    remediation: commit on a branch
  - id: G-1.signed
    control: G-1
    severity: medium
    evidence: git.head
    assert: {path: signed, op: eq, value: true}
    message: the HEAD commit is not signed
    remediation: sign commits (git commit -S)
  - id: G-1.approved
    control: G-1
    severity: high
    evidence: git.governance_history
    for_each: files
    item_label: path
    assert: {path: trailers.approved_by, op: not_empty}
    message: "{item.path} was last changed without an Approved-by trailer"
    remediation: add an Approved-by trailer
  - id: G-1.owned
    control: G-1
    severity: high
    evidence: git.codeowners
    assert: {path: unowned, op: empty}
    message: some governance files have no owner
    remediation: add them to CODEOWNERS
"""


def test_check_reads_git_evidence_through_rules(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any]
) -> None:
    repo = make_repo(
        {
            "govgate.yaml": "system: {name: t, risk: high}\npacks: [./packs/git-test]\n",
            "packs/git-test/pack.yaml": PACK,
            "CODEOWNERS": "/governance/ @org/privacy\n",
            "governance/dpia.md": "# DPIA\n",
        },
        commit=False,
    )
    commit_as(repo, "Ann", "ann@example.com", "governance\n\nApproved-by: Jane Doe\n")
    repo.write({"governance/fria.md": "# FRIA\n"})
    commit_as(repo, "Ann", "ann@example.com", "fria without approval")

    result = run_cli("check", repo.path, "--format", "json")
    assert result.exit_code == 1, result.stderr
    document = json.loads(result.stdout)
    statuses = {(f["rule"], f["item"]): f["status"] for f in document["findings"]}
    assert statuses == {
        ("G-1.head", "HEAD"): "pass",
        ("G-1.signed", "HEAD"): "fail",
        ("G-1.approved", "governance/dpia.md"): "pass",
        ("G-1.approved", "governance/fria.md"): "fail",
        ("G-1.approved", "govgate.yaml"): "pass",  # a governance file by default
        ("G-1.owned", "CODEOWNERS"): "fail",  # govgate.yaml has no owner
    }
    runs = {r["name"]: r["status"] for r in document["collectors"]}
    assert runs["git"] == "ok"


def test_check_with_base_reports_changes(make_repo: Callable[..., RepoBuilder]) -> None:
    pack = """\
pack: change-test
version: 0.1.0
title: Changes
requirements: [{id: T-2, title: t, source: {framework: Test, ref: "2"}}]
controls: [{id: C-1, title: c, satisfies: [T-2]}]
rules:
  - id: C-1.no-risk-edits
    control: C-1
    severity: high
    evidence: git.changes
    assert: {path: "files[?path=='governance/risks.yaml']", op: empty}
    message: this change edits the risk register
    remediation: have the risk register change reviewed separately
"""
    repo = make_repo(
        {
            "govgate.yaml": "system: {name: t, risk: high}\npacks: [./packs/c]\n",
            "packs/c/pack.yaml": pack,
            "governance/risks.yaml": "risks: [bias]\n",
        }
    )
    repo.git("checkout", "-q", "-b", "pr")
    repo.write({"governance/risks.yaml": "risks: []\n"}).commit("weaken")
    outcome = run_check(CheckOptions(root=repo.path, base_ref="main", use_locker=False))
    assert [(f.rule, f.status) for f in outcome.findings] == [("C-1.no-risk-edits", "fail")]


def test_cached_git_evidence_is_renewed_by_a_commit(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any]
) -> None:
    repo = make_repo(
        {
            "govgate.yaml": "system: {name: t, risk: high}\npacks: [./packs/git-test]\n",
            "packs/git-test/pack.yaml": PACK,
            "governance/dpia.md": "# DPIA\n",
        }
    )

    def head_and_status() -> tuple[str, str]:
        result = run_cli("check", repo.path, "--format", "json")
        document = json.loads(result.stdout)
        head = next(e for e in document["evidence"] if e["kind"] == "git.head")
        status = next(r["status"] for r in document["collectors"] if r["name"] == "git")
        return head["source"]["commit"], status

    first = repo.git("rev-parse", "HEAD").strip()
    assert head_and_status() == (first, "ok")
    assert head_and_status() == (first, "cached")
    second = repo.commit("nothing changed in the files, but HEAD moved")
    assert head_and_status() == (second, "ok")


def test_cached_git_evidence_is_renewed_by_a_commit_in_a_sub_folder_target(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any]
) -> None:
    """`.git` is outside the checked folder: HEAD's commit, read from git's files, keys the
    cache, so committing (which changes no file in the folder) still renews the history."""
    repo = make_repo(
        {
            "svc/govgate.yaml": "system: {name: t, risk: high}\npacks: [./packs/git-test]\n",
            "svc/packs/git-test/pack.yaml": PACK,
            "svc/governance/dpia.md": "# DPIA\n",
        }
    )
    target = repo.path / "svc"

    def record() -> tuple[str, dict[str, Any]]:
        document = json.loads(run_cli("check", target, "--format", "json").stdout)
        status = next(r["status"] for r in document["collectors"] if r["name"] == "git")
        return status, next(e for e in document["evidence"] if e["kind"] == "git.signoffs")

    assert record()[0] == "ok"
    status, cached = record()
    assert status == "cached"
    (target / "governance" / "dpia.md").write_text("# DPIA\n\nedited\n", encoding="utf-8")
    assert record()[0] == "ok"  # the file changed
    second = repo.commit("commit the edit")
    status, renewed = record()
    assert status == "ok" and renewed["source"]["commit"] == second
    assert renewed["digest"] != cached["digest"]


# --------------------------------------------------------------------------- git.signoffs


def test_the_signoff_record_covers_governance_and_waiver_files(
    make_repo: Callable[..., RepoBuilder],
) -> None:
    repo = make_repo(
        {"governance/dpia.md": "v1\n", "exceptions.yaml": "waivers: []\n", "src/a.py": "x\n"},
        commit=False,
    )
    sha = commit_as(repo, "Ann Lee", "ann@example.com", "init\n\nApproved-by: Dana DPO\n")
    registry = get_registry()
    kind = registry.kinds["git.signoffs"]
    collection = collect_evidence(
        registry,
        {"git.signoffs": replace(kind, paths=("exceptions.yaml",))},
        {"git.signoffs"},
        repo.path,
        system={},
        settings={},
        now=NOW,
    )
    record = only(collection, "git.signoffs")
    assert record.source.commit == sha and record.data["head"] == sha
    assert [f["path"] for f in record.data["files"]] == ["governance/dpia.md"]
    (waiver,) = record.data["waiver_files"]
    assert (waiver["path"], waiver["last_author"], waiver["committed"]) == (
        "exceptions.yaml",
        "Ann Lee",
        True,
    )
    assert record.data["files"][0]["trailers"]["approved_by"] == ["Dana DPO"]


def test_git_failing_is_a_problem_of_the_record_when_nothing_else_is_asked(
    make_repo: Callable[..., RepoBuilder], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    repo = make_repo({"governance/dpia.md": "v1\n"})
    outside = make_repo({"a.md": "a\n"}, init=False)
    assert only(collect(outside.path, ("git.signoffs",)), "git.signoffs").problem == (
        "not a git repository"
    )
    monkeypatch.setenv("PATH", str(tmp_path / "no-git-here"))
    alone = collect(repo.path, ("git.signoffs",))
    record = only(alone, "git.signoffs")
    assert record.problem == "git is not installed or not on PATH"
    with_head = collect(repo.path, ("git.signoffs", "git.head"))
    assert with_head.evidence.failed_collectors == {"git": "git is not installed or not on PATH"}
