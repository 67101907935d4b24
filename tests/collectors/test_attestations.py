"""The attestations collector on real records in real git repositories."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from govgate_collectors.attestations import ATTESTATION_SCHEMA
from jsonschema import Draft202012Validator

from govgate.core.evidence import Evidence, canonical_json
from govgate.run.check import get_registry
from govgate.run.collect import Collection, collect_evidence

from conftest import RepoBuilder, git

NOW = datetime(2026, 6, 1, tzinfo=UTC)

SPONSOR = """\
id: ATT-SPONSOR
topic: executive_sponsor
statement: >
  I sponsor the loan-approval system and hold its budget.
  Reach me on +44 20 7946 0958 or cfo@corp.example.com.
who: Maria Garcia <maria.garcia@corp.example.com>
role: Chief Financial Officer
date: 2026-03-01
expires: 2027-03-01
budget_authority: true
evidence:
  - https://wiki.corp.example.com/ai/loan-approval/sponsor
"""


def collect(
    root: Path, settings: dict[str, Any] | None = None
) -> tuple[list[Evidence], Collection]:
    registry = get_registry()
    collection = collect_evidence(
        registry,
        {"attestation": registry.kinds["attestation"]},
        {"attestation"},
        root,
        system={},
        settings={"attestations": settings or {}},
        now=NOW,
    )
    assert collection.evidence.failed_collectors == {}
    items = collection.evidence.by_kind.get("attestation", [])
    for item in items:
        if item.problem is None:
            assert list(Draft202012Validator(ATTESTATION_SCHEMA).iter_errors(item.data)) == []
    return items, collection


def commit_as(repo: RepoBuilder, name: str, message: str = "attest") -> str:
    env = {
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": "someone@corp.example.com",
        "GIT_COMMITTER_DATE": "2026-03-02T09:00:00+00:00",
    }
    return repo.commit(message, env=env)


def test_committed_record_is_corroborated_by_its_author(
    make_repo: Callable[..., RepoBuilder],
) -> None:
    repo = make_repo({"governance/attestations/sponsor.yaml": SPONSOR}, commit=False)
    sha = commit_as(repo, "maria  GARCIA")  # case and spacing differ: still the same person
    items, collection = collect(repo.path)
    assert len(items) == 1
    item = items[0]
    assert item.problem is None
    assert item.subject == "governance/attestations/sponsor.yaml"
    assert item.dated == "2026-03-01"
    assert item.source.commit == sha
    data = item.data
    assert data["who"] == "Maria Garcia <m***@c***.com>"  # the name stays, the address not
    assert data["role"] == "Chief Financial Officer"
    assert data["statement"] == (
        "I sponsor the loan-approval system and hold its budget. "
        "Reach me on +** ** **** **58 or c***@c***.com.\n"
    )
    assert (data["date_iso"], data["expires_iso"]) == ("2026-03-01", "2027-03-01")
    assert data["budget_authority"] is True
    assert data["evidence"] == ["https://wiki.corp.example.com/ai/loan-approval/sponsor"]
    assert data["git"] == {
        "author": "maria  GARCIA",
        "commit": sha,
        "date": "2026-03-02T09:00:00Z",
        "matches_who": True,
        "committed": True,
        "uncommitted_changes": False,
        "history_truncated": False,
    }
    assert (data["expired"], data["valid"], data["problems"]) == (False, True, [])
    assert item.locations["/who"] == 6
    assert collection.diagnostics == []
    text = canonical_json(item.data).decode()
    assert "maria.garcia@" not in text and "7946" not in text and "cfo@" not in text


def test_author_mismatch_and_uncommitted_edits(make_repo: Callable[..., RepoBuilder]) -> None:
    repo = make_repo(
        {
            "governance/attestations/sponsor.yaml": SPONSOR,
            "governance/attestations/raci.yaml": (
                "id: ATT-RACI\ntopic: raci_signed_off\nstatement: RACI agreed\n"
                "who: Tom Lee\nrole: Head of Operations\ndate: 2026-02-01\n"
            ),
        },
        commit=False,
    )
    commit_as(repo, "Someone Else")
    repo.write(
        {
            "governance/attestations/raci.yaml": (
                "id: ATT-RACI\ntopic: raci_signed_off\nstatement: RACI agreed, edited later\n"
                "who: Tom Lee\nrole: Head of Operations\ndate: 2026-02-01\n"
            ),
            "governance/attestations/new.yml": (
                "id: ATT-NEW\ntopic: budget_approved\nstatement: Budget approved\n"
                "who: Ana Ruiz\nrole: CFO\ndate: 2026-04-01\n"
            ),
        }
    )
    items, _ = collect(repo.path)
    gits = {i.data["id"]: i.data["git"] for i in items}
    assert gits["ATT-SPONSOR"]["matches_who"] is False
    assert gits["ATT-SPONSOR"]["committed"] is True
    # edited after its last commit: what is in the file is not what was committed
    assert (gits["ATT-RACI"]["committed"], gits["ATT-RACI"]["uncommitted_changes"]) == (
        False,
        True,
    )
    assert gits["ATT-NEW"] == {
        "author": None,
        "commit": None,
        "date": None,
        "matches_who": False,
        "committed": False,
        "uncommitted_changes": True,
        "history_truncated": False,
    }


def test_list_file_with_defects_keeps_every_record(make_repo: Callable[..., RepoBuilder]) -> None:
    text = (
        "\ufeffattestations:\r\n"
        "  - id: ATT-1\r\n"
        "    topic: raci_signed_off\r\n"
        "    statement: RACI agreed\r\n"
        "    who: Tom Lee\r\n"
        "    role: Head of Operations\r\n"
        "    date: 03/01/2026\r\n"  # ambiguous: a warning, still valid
        "  - id: ATT-2\r\n"
        "    topic: budget_approved\r\n"
        "    who: Ana Ruiz\r\n"
        "    date: last Tuesday\r\n"  # no statement, no role, no date
        "  - id: ATT-1\r\n"  # duplicate id
        "    topic: executive_sponsor\r\n"
        "    statement: s\r\n"
        "    who: Bo\r\n"
        "    role: CEO\r\n"
        "    date: 2026-01-01\r\n"
        "    budget_authority: yes please\r\n"
        "  - just a string\r\n"
        "  - id: ATT-OLD\r\n"
        "    topic: dpo_appointed\r\n"
        "    statement: DPO appointed\r\n"
        "    who: Kim\r\n"
        "    role: DPO\r\n"
        "    date: 1 March 2024\r\n"
        "    expires: March 1, 2025"  # truncated last line
    )
    repo = make_repo({"governance/attestations/team.yaml": text})
    items, collection = collect(repo.path)
    base = "governance/attestations/team.yaml#"
    assert [i.subject for i in items] == [
        base + "ATT-1",
        base + "ATT-2",
        base + "ATT-1 #2",  # a finding on the duplicate names it, not the first record
        base + "[3]",
        base + "ATT-OLD",
    ]
    first, second, duplicate, not_a_record, old = items
    assert first.problem is None and first.data["valid"] is True
    assert first.data["date_iso"] == "2026-03-01"
    assert second.problem == (
        "line 8: missing required field 'statement'; missing required field 'role'; "
        "date 'last Tuesday' is not a date; write YYYY-MM-DD"
    )
    assert second.data["valid"] is False and len(second.data["problems"]) == 3
    assert duplicate.problem == (
        "line 12: budget_authority must be true or false; "
        "duplicate id 'ATT-1' (first at governance/attestations/team.yaml:2)"
    )
    assert not_a_record.problem == "line 19: an attestation must be a mapping of fields"
    assert old.problem is None
    assert (old.data["expired"], old.data["valid"]) == (True, False)
    assert old.data["problems"] == ["expired on 2025-03-01"]
    assert old.dated == "2024-03-01"
    reported = sorted((d.line, d.level) for d in collection.diagnostics)
    assert reported == [
        (7, "warning"),  # ambiguous date
        (8, "error"),
        (8, "error"),
        (11, "error"),
        (12, "error"),
        (18, "error"),
        (19, "error"),
    ]
    assert all(d.path == "governance/attestations/team.yaml" for d in collection.diagnostics)


def test_malformed_files_are_evidence_with_their_problem(
    make_repo: Callable[..., RepoBuilder],
) -> None:
    repo = make_repo(
        {
            "governance/attestations/a-broken.yaml": "id: X\ntopic: [unclosed\nwho: Y\n",
            "governance/attestations/b-empty.yaml": "",
            "governance/attestations/c-binary.yaml": b"id: X\n\x00\x01\x02",
            "governance/attestations/d-latin1.yaml": "id: X\nwho: Jos\xe9\n".encode("latin-1"),
            "governance/attestations/e-dupkey.yaml": "id: X\nwho: A\nwho: B\n",
            "governance/attestations/f-list.yaml": "- id: X\n",
            "governance/attestations/g-future.yaml": (
                "id: F\ntopic: t\nstatement: s\nwho: W\nrole: R\ndate: 2030-01-01\n"
                "expires: 2029-01-01\ngit: mine\n"
            ),
        }
    )
    items, _ = collect(repo.path)
    problems = {i.subject.rsplit("/", 1)[1]: i.problem for i in items}
    assert problems == {
        "a-broken.yaml": "line 3: invalid YAML: did not find expected ',' or ']'",
        "b-empty.yaml": "line 1: empty file: expected an attestation (id, topic, statement, ...)",
        "c-binary.yaml": "line 2: contains NUL bytes: not a YAML text file",
        "d-latin1.yaml": "line 2: not valid UTF-8; save the file as UTF-8",
        "e-dupkey.yaml": "line 3: duplicate key 'who' (first at line 2); keep one of them",
        "f-list.yaml": (
            "line 1: expected one record (id, topic, statement, ...) or attestations: [records]"
        ),
        "g-future.yaml": "line 8: field 'git' is set by govgate; rename it",
    }
    future = next(i for i in items if i.subject.endswith("g-future.yaml"))
    assert future.data["problems"] == [
        "field 'git' is set by govgate; rename it",
        "date 2030-01-01 is in the future",
        "expires before its own date",
    ]
    assert future.data["git"]["committed"] is True  # the record's own `git:` is not used


def test_settings_paths_and_outside_a_repository(make_repo: Callable[..., RepoBuilder]) -> None:
    folder = make_repo(
        {
            "signoffs/sponsor.yaml": SPONSOR,
            "governance/attestations/ignored.yaml": "id: I\n",
        },
        init=False,
    )
    items, _ = collect(folder.path, {"paths": ["signoffs/*.yaml"]})
    assert [i.subject for i in items] == ["signoffs/sponsor.yaml"]
    assert items[0].data["git"]["committed"] is False
    assert items[0].data["valid"] is True


def test_symlink_leaving_the_repository_is_refused(
    make_repo: Callable[..., RepoBuilder], tmp_path: Path
) -> None:
    outside = tmp_path / "forged.yaml"
    outside.write_text(SPONSOR)
    repo = make_repo({"governance/attestations/real.yaml": SPONSOR.replace("ATT-", "REAL-")})
    os.symlink(outside, repo.path / "governance" / "attestations" / "forged.yaml")
    items, collection = collect(repo.path)
    assert [i.subject for i in items] == ["governance/attestations/real.yaml"]
    refused = [d for d in collection.diagnostics if d.path.endswith("forged.yaml")]
    assert refused and "outside the repository" in refused[0].message


# --------------------------------------------------------------------------- shallow clones

ATTESTATION = "governance/attestations/sponsor.yaml"


def sponsor_then_readme(
    make_repo: Callable[..., RepoBuilder], attester: str, readme_author: str
) -> RepoBuilder:
    """A repository where `attester` commits the record, then `readme_author` only a README."""
    origin = make_repo({"README.md": "# system\n"}, commit=False)
    commit_as(origin, "Ops Bot", "initial")
    origin.write({ATTESTATION: SPONSOR})
    commit_as(origin, attester, "sponsor attestation")
    origin.write({"README.md": "# system\n\nReadme edit.\n"})
    commit_as(origin, readme_author, "readme")
    return origin


def clone(origin: RepoBuilder, target: Path, *depth: str) -> Path:
    git(target.parent, "clone", "-q", *depth, f"file://{origin.path}", str(target))
    return target


def truncation_warnings(collection: Collection) -> list[tuple[str | None, int | None, str]]:
    return [
        (d.path, d.line, d.level)
        for d in collection.diagnostics
        if "history is truncated" in d.message
    ]


def test_shallow_clone_does_not_credit_the_newest_committer(
    make_repo: Callable[..., RepoBuilder], tmp_path: Path
) -> None:
    # `a` committed the record; the sponsor only committed a README change afterwards.
    origin = sponsor_then_readme(make_repo, attester="a", readme_author="Maria Garcia")
    shallow = clone(origin, tmp_path / "shallow", "--depth", "1")
    assert git(shallow, "rev-parse", "--is-shallow-repository").strip() == "true"
    items, collection = collect(shallow)
    (item,) = items
    assert item.problem is None
    assert item.data["git"] == {
        "author": None,  # the cut-off commit's author (Maria Garcia) is not who wrote it
        "commit": None,
        "date": None,
        "matches_who": False,
        "committed": True,  # the file is as HEAD has it; only its history is missing
        "uncommitted_changes": False,
        "history_truncated": True,
    }
    assert item.source.commit is None
    assert item.data["valid"] is True  # the record itself is fine; only git cannot vouch
    assert truncation_warnings(collection) == [(ATTESTATION, None, "warning")]
    (warning,) = collection.diagnostics
    assert warning.collector == "attestations"
    assert "fetch-depth: 0" in warning.message
    assert "git fetch --unshallow" in warning.message
    boundary = git(shallow, "rev-parse", "HEAD").strip()
    assert boundary[:12] in warning.message

    # The full clone sees the real last change: `a`, who is not the sponsor.
    full_items, full_collection = collect(clone(origin, tmp_path / "full"))
    full_git = full_items[0].data["git"]
    attested = git(origin.path, "rev-parse", "HEAD~1").strip()
    assert (full_git["author"], full_git["commit"]) == ("a", attested)
    assert (full_git["matches_who"], full_git["history_truncated"]) == (False, False)
    assert full_collection.diagnostics == []

    # Fetching the missing history restores the attribution in the same checkout.
    git(shallow, "fetch", "-q", "--unshallow")
    items, collection = collect(shallow)
    assert items[0].data["git"] == full_git
    assert collection.diagnostics == []


def test_shallow_clone_does_not_blame_the_newest_committer_either(
    make_repo: Callable[..., RepoBuilder], tmp_path: Path
) -> None:
    # The sponsor committed the record; someone else changed the README afterwards.
    origin = sponsor_then_readme(make_repo, attester="Maria Garcia", readme_author="Dev Eloper")
    items, collection = collect(clone(origin, tmp_path / "shallow", "--depth", "1"))
    shallow_git = items[0].data["git"]
    assert (shallow_git["author"], shallow_git["matches_who"]) == (None, False)
    assert shallow_git["history_truncated"] is True
    assert truncation_warnings(collection) == [(ATTESTATION, None, "warning")]

    items, collection = collect(clone(origin, tmp_path / "full"))
    full_git = items[0].data["git"]
    assert (full_git["author"], full_git["matches_who"]) == ("Maria Garcia", True)
    assert full_git["history_truncated"] is False
    assert collection.diagnostics == []


def test_shallow_clone_deep_enough_still_corroborates(
    make_repo: Callable[..., RepoBuilder], tmp_path: Path
) -> None:
    origin = sponsor_then_readme(make_repo, attester="Maria Garcia", readme_author="Dev Eloper")
    # depth 2: the record's own commit is the cut-off, whose diff cannot be told from a
    # snapshot of every file, so it is not trusted either.
    items, _ = collect(clone(origin, tmp_path / "depth2", "--depth", "2"))
    assert items[0].data["git"]["history_truncated"] is True
    assert items[0].data["git"]["matches_who"] is False
    # depth 3: the cut-off is an older commit; the record's commit is fully known.
    depth3 = clone(origin, tmp_path / "depth3", "--depth", "3")
    assert git(depth3, "rev-parse", "--is-shallow-repository").strip() == "true"
    items, collection = collect(depth3)
    git_info = items[0].data["git"]
    assert (git_info["author"], git_info["matches_who"]) == ("Maria Garcia", True)
    assert git_info["history_truncated"] is False
    assert collection.diagnostics == []


PACK = """\
pack: attest-test
version: 0.1.0
title: Sponsorship
requirements:
  - {id: R-1, title: An executive sponsor, source: {framework: Test, ref: "1"}}
controls:
  - {id: S-1, title: Sponsor attested, satisfies: [R-1]}
rules:
  - id: S-1.sponsor
    control: S-1
    severity: high
    evidence: {kind: attestation, where: {path: topic, op: eq, value: executive_sponsor}}
    max_age: 365d
    assert:
      all:
        - {path: valid, op: eq, value: true}
        - {path: budget_authority, op: eq, value: true}
        - {path: git.matches_who, op: eq, value: true}
    message: "{source.path}: the sponsor attestation is not valid or not corroborated"
    remediation: have the sponsor commit a current attestation
  - id: S-1.records-well-formed
    control: S-1
    severity: high
    evidence: attestation
    assert: {path: problems, op: empty}
    message: "{source.path}: {actual}"
    remediation: fix the record
"""


def test_check_reads_attestations_through_rules(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any]
) -> None:
    repo = make_repo(
        {
            "govgate.yaml": "system: {name: t, risk: high}\npacks: [./packs/attest-test]\n",
            "packs/attest-test/pack.yaml": PACK,
            "governance/attestations/sponsor.yaml": SPONSOR,
            "governance/attestations/raci.yaml": "id: R\ntopic: raci_signed_off\nwho: T\n",
        },
        commit=False,
    )
    commit_as(repo, "Maria Garcia")
    result = run_cli("check", repo.path, "--format", "json")
    assert result.exit_code == 1, result.stderr
    document = json.loads(result.stdout)
    findings = {(f["rule"], f["evidence"][0]["source"]["path"]): f for f in document["findings"]}
    assert {k: f["status"] for k, f in findings.items()} == {
        ("S-1.sponsor", "governance/attestations/sponsor.yaml"): "pass",
        ("S-1.records-well-formed", "governance/attestations/raci.yaml"): "fail",
        ("S-1.records-well-formed", "governance/attestations/sponsor.yaml"): "pass",
    }
    broken = findings[("S-1.records-well-formed", "governance/attestations/raci.yaml")]
    assert "missing required field 'statement'" in broken["message"]
    assert broken["location"] == {"path": "governance/attestations/raci.yaml", "line": 1}
    assert "maria.garcia@" not in result.stdout + result.stderr


def test_an_author_name_is_self_declared_and_anyone_can_type_the_sponsors(
    make_repo: Callable[..., RepoBuilder],
) -> None:
    # docs/collectors/attestations.md: the author name is what the committer typed, so a
    # developer committing with `--author` as "Maria Garcia" is credited as her
    repo = make_repo({"governance/attestations/sponsor.yaml": SPONSOR}, commit=False)
    git(repo.path, "add", ".")
    author = "--author=Maria Garcia <dev@corp.example.com>"
    git(repo.path, "commit", "-qm", "the developer commits the sponsor's attestation", author)
    [item] = collect(repo.path)[0]
    assert (item.data["git"]["author"], item.data["git"]["matches_who"]) == ("Maria Garcia", True)


SIGNERS = """\
attestations:
  - {id: alice@example.com, topic: security_test, statement: Pen test done., who: Alice Ng,
     role: CISO, date: 2026-05-01}
  - {id: anna@example.com, topic: security_test, statement: Pen test done., who: Anna Li,
     role: CISO, date: not-a-date}
"""
SIGN_OFFS = """\
id: ATT-SIGN
topic: raci_signed_off
statement: The RACI was signed off.
who: Tom Lee
role: Head of Operations
date: 2026-05-01
anna@example.com: refused
alice@example.com: approved
"""


def test_records_and_keys_that_mask_alike_stay_apart(make_repo: Callable[..., RepoBuilder]) -> None:
    """Masked, alice@ and anna@example.com read alike: merged, the record or the entry that
    fails could vanish behind the one that passes."""
    repo = make_repo(
        {
            "governance/attestations/signers.yaml": SIGNERS,
            "governance/attestations/sign-offs.yaml": SIGN_OFFS,
        }
    )
    items, _ = collect(repo.path)
    by_subject = {item.subject: item for item in items}
    signers = "governance/attestations/signers.yaml#a***@e***.com"
    assert by_subject[signers].data["valid"] is True
    assert by_subject[f"{signers} #2"].data["valid"] is False  # the undated one, on its own
    sign_offs = by_subject["governance/attestations/sign-offs.yaml"]
    assert sign_offs.data["a***@e***.com"] == "refused"
    assert sign_offs.data["a***@e***.com #2"] == "approved"
    assert sign_offs.locations["/a***@e***.com"] == 7
    assert sign_offs.locations["/a***@e***.com #2"] == 8
