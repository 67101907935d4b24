"""Approvals bound to keys: real SSH-signed commits (`git -c gpg.format=ssh`), an allowed-signers
file and a teams file; a waiver of a high finding applies only when the commit that added or
last changed it is signed by a key listed for its approver."""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from gates_pack import CONFIG as GATES_CONFIG

from conftest import CliResult, RepoBuilder, git

CONFIG = (
    GATES_CONFIG
    + """\
approvals: {allowed_signers: .github/allowed_signers, teams: .github/teams.yaml}
"""
)
TEAMS = "teams:\n  '@acme/compliance': [maria@example.com]\n"


def waiver_file(approver: str, rule: str = "G-1.enabled", expires: str = "2027-06-01") -> str:
    return (
        "waivers:\n"
        f"  - id: W-1\n    rule: {rule}\n    justification: Alpha ships disabled until Q3.\n"
        f"    approver: '{approver}'\n    approved: '2026-11-01'\n    expires: '{expires}'\n"
    )


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    """Private SSH keys by ssh-keygen: maria's and the dpo's are listed, mallory's is not."""
    made = {}
    for name in ("maria", "dpo", "mallory"):
        path = tmp_path / f"{name}_key"
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(path)],
            check=True,
            capture_output=True,
        )
        made[name] = path
    return made


def signers(keys: dict[str, Path], *names: str) -> str:
    """allowed-signers lines: `name@example.com ssh-ed25519 AAAA... name`."""
    return "".join(f"{n}@example.com {Path(str(keys[n]) + '.pub').read_text()}" for n in names)


def commit(repo: RepoBuilder, message: str, key: Path | None = None) -> str:
    """Commit everything, SSH-signed with `key` when given (git's own signing)."""
    git(repo.path, "add", "-A")
    signing = ["-c", "gpg.format=ssh", "-c", f"user.signingkey={key}"] if key else []
    git(repo.path, *signing, "commit", "-q", *(["-S"] if key else []), "-m", message)
    return git(repo.path, "rev-parse", "HEAD").strip()


@pytest.fixture
def gated(gates_repo: Callable[..., RepoBuilder], keys: dict[str, Path]) -> RepoBuilder:
    files = {".github/allowed_signers": signers(keys, "maria", "dpo"), ".github/teams.yaml": TEAMS}
    return gates_repo(owned=True, config=CONFIG, files=files)


def check(
    run_cli: Callable[..., CliResult], repo: RepoBuilder, *args: str
) -> tuple[int, dict[str, Any], str]:
    result = run_cli("check", repo.path, "--no-locker", "--format", "json", *args)
    return result.exit_code, json.loads(result.stdout), result.stderr


def finding(result: dict[str, Any], rule: str) -> dict[str, Any]:
    (found,) = [f for f in result["findings"] if f["rule"] == rule]
    return found


def test_an_unsigned_waiver_is_self_reported_and_does_not_waive_a_high_finding(
    gated, run_cli
) -> None:
    gated.write({"governance/waivers.yaml": waiver_file("maria@example.com")})
    sha = commit(gated, "waive alpha")
    code, result, text = check(run_cli, gated)
    assert code == 1
    enabled = finding(result, "G-1.enabled")
    assert enabled["status"] == "fail"
    assert (
        f"waiver W-1 is self-reported: commit {sha[:10]}: the commit is not signed"
        in (enabled["message"])
    )
    assert result["waivers"][0]["approval"]["level"] == "self-reported"
    assert "gate: FAIL" in text


def test_a_commit_signed_by_a_key_not_listed_for_the_approver_is_self_reported(
    gated, run_cli, keys
) -> None:
    gated.write({"governance/waivers.yaml": waiver_file("maria@example.com")})
    commit(gated, "waive alpha", keys["mallory"])
    code, result, _ = check(run_cli, gated)
    assert code == 1
    assert (
        "signed by a key the allowed-signers file does not list"
        in (finding(result, "G-1.enabled")["message"])
    )
    # the dpo's key is listed, but for the dpo: it does not stand for maria
    gated.write({"governance/waivers.yaml": waiver_file("maria@example.com", expires="2027-05-01")})
    commit(gated, "waive alpha again", keys["dpo"])
    code, result, _ = check(run_cli, gated)
    assert code == 1
    assert (
        "a key .github/allowed_signers does not list for m***@e***.com"
        in (finding(result, "G-1.enabled")["message"])
    )


def test_the_same_waiver_signed_by_the_listed_key_waives_it(gated, run_cli, keys) -> None:
    gated.write({"governance/waivers.yaml": waiver_file("maria@example.com")})
    sha = commit(gated, "waive alpha", keys["maria"])
    code, result, text = check(run_cli, gated)
    assert code == 0
    assert finding(result, "G-1.enabled")["status"] == "waived"
    approval = result["waivers"][0]["approval"]
    assert approval["level"] == "verified"
    assert approval["commit"] == sha
    fingerprint = subprocess.run(
        ["ssh-keygen", "-l", "-f", str(keys["maria"]) + ".pub"], capture_output=True, text=True
    ).stdout.split()[1]
    assert approval["key"] == fingerprint
    assert f"(verified: commit {sha[:10]} signed by {fingerprint})" in text
    # a signed attestation of the run records the level too
    attested = run_cli(
        "check", gated.path, "--no-locker", "--attest", gated.path.parent / "att.json",
        "--key", keys["maria"],
    )  # fmt: skip
    assert attested.exit_code == 0
    envelope = json.loads((gated.path.parent / "att.json").read_text())
    statement = json.loads(base64.b64decode(envelope["payload"]))
    assert statement["predicate"]["waivers"][0]["level"] == "verified"
    # a later unsigned edit of the same waiver is what counts now
    gated.write({"governance/waivers.yaml": waiver_file("maria@example.com", expires="2027-09-01")})
    commit(gated, "extend the waiver")
    code, result, _ = check(run_cli, gated)
    assert code == 1
    assert result["waivers"][0]["approval"]["level"] == "self-reported"


def test_a_team_handle_resolves_through_the_teams_file_only(gated, run_cli, keys) -> None:
    gated.write({"governance/waivers.yaml": waiver_file("@acme/compliance")})
    commit(gated, "waive alpha", keys["maria"])
    code, result, _ = check(run_cli, gated)
    assert code == 0
    assert result["waivers"][0]["approval"]["level"] == "verified"
    gated.write({"governance/waivers.yaml": waiver_file("@acme/credit-governance")})
    commit(gated, "waive alpha by another team", keys["maria"])
    code, result, _ = check(run_cli, gated)
    assert code == 1
    assert (
        "the team @acme/credit-governance is not in the teams file"
        in (finding(result, "G-1.enabled")["message"])
    )


def test_the_severity_setting_decides_what_needs_a_verified_approval(gated, run_cli) -> None:
    gated.write({"governance/waivers.yaml": waiver_file("maria@example.com", rule="G-1.owner")})
    commit(gated, "waive the owner")
    _, result, text = check(run_cli, gated)
    assert finding(result, "G-1.owner")["status"] == "waived"  # medium: below the default high
    assert "waiver W-1 by m***@e***.com (self-reported) until 2027-06-01" in text
    oscal = json.loads(run_cli("check", gated.path, "--no-locker", "--format", "oscal").stdout)
    (risk,) = oscal["assessment-results"]["results"][0]["risks"]
    assert {"name": "approval", "value": "self-reported"} in [
        {k: p[k] for k in ("name", "value")} for p in risk["props"]
    ]
    gated.write(
        {"govgate.yaml": CONFIG.replace("teams.yaml}", "teams.yaml, require_verified: medium}")}
    )
    commit(gated, "stricter")
    _, result, _ = check(run_cli, gated)
    assert finding(result, "G-1.owner")["status"] == "fail"


def test_without_an_allowed_signers_file_no_high_waiver_applies(gated, run_cli, keys) -> None:
    gated.write({"governance/waivers.yaml": waiver_file("maria@example.com")})
    (gated.path / ".github/allowed_signers").unlink()
    commit(gated, "waive alpha, drop the keys", keys["maria"])
    code, result, _ = check(run_cli, gated)
    assert code == 1
    assert (
        "the allowed-signers file .github/allowed_signers is missing or empty"
        in (finding(result, "G-1.enabled")["message"])
    )


def test_a_change_cannot_list_its_own_key_under_base(gated, run_cli, keys) -> None:
    gated.git("checkout", "-q", "-b", "pr")
    gated.write(
        {
            ".github/allowed_signers": signers(keys, "maria", "dpo")
            + f"maria@example.com {Path(str(keys['mallory']) + '.pub').read_text()}",
            "governance/waivers.yaml": waiver_file("maria@example.com"),
        }
    )
    commit(gated, "waive alpha with my own key", keys["mallory"])
    code, result, _ = check(run_cli, gated)  # the change's own file lists mallory's key
    assert code == 0
    code, result, _ = check(run_cli, gated, "--base", "main")  # the base's does not
    assert code == 1
    assert finding(result, "G-1.enabled")["status"] == "fail"


def test_the_environment_gives_an_allowed_signers_file_from_outside(
    gated, run_cli, keys, tmp_path, monkeypatch
) -> None:
    (gated.path / ".github/allowed_signers").write_text(signers(keys, "dpo"))
    gated.write({"governance/waivers.yaml": waiver_file("maria@example.com")})
    commit(gated, "waive alpha", keys["maria"])
    assert check(run_cli, gated)[0] == 1  # the repository's file does not list maria
    outside = tmp_path / "ci_signers"
    outside.write_text(signers(keys, "maria"))
    monkeypatch.setenv("GOVGATE_ALLOWED_SIGNERS", str(outside))
    assert check(run_cli, gated)[0] == 0


def test_the_repositorys_config_cannot_choose_the_verifying_program(gated, run_cli, keys) -> None:
    gated.write({"governance/waivers.yaml": waiver_file("maria@example.com")})
    commit(gated, "waive alpha", keys["mallory"])
    # a program that claims every signature is maria's, named by the repository's own config
    maria = subprocess.run(
        ["ssh-keygen", "-l", "-f", str(keys["maria"]) + ".pub"], capture_output=True, text=True
    ).stdout.split()[1]
    liar = gated.path.parent / "liar.sh"
    liar.write_text(
        f"#!/bin/sh\necho 'Good \"git\" signature for maria@example.com with ED25519 key {maria}'\n"
    )
    liar.chmod(0o755)
    lying = gated.path.parent / "lying_signers"
    lying.write_text(f"maria@example.com {Path(str(keys['mallory']) + '.pub').read_text()}")
    git(gated.path, "config", "gpg.ssh.program", str(liar))
    git(gated.path, "config", "gpg.ssh.allowedSignersFile", str(lying))
    code, result, _ = check(run_cli, gated)
    assert code == 1
    assert result["waivers"][0]["approval"]["level"] == "self-reported"


def test_an_unreadable_allowed_signers_line_stops_the_run(gated, run_cli, keys) -> None:
    gated.write(
        {
            ".github/allowed_signers": signers(keys, "maria") + "dpo@example.com\n",
            "governance/waivers.yaml": waiver_file("maria@example.com"),
        }
    )
    commit(gated, "waive alpha", keys["maria"])
    result = run_cli("check", gated.path, "--no-locker")
    assert result.exit_code == 2
    assert ".github/allowed_signers:2: has no key" in result.stderr


def test_a_path_outside_the_repository_is_refused(gated, run_cli, tmp_path) -> None:
    (tmp_path / "elsewhere").write_text("maria@example.com ssh-ed25519 AAAA\n")
    gated.write({"govgate.yaml": CONFIG.replace(".github/allowed_signers", "../elsewhere")})
    gated.write({"governance/waivers.yaml": waiver_file("maria@example.com")})
    commit(gated, "keys from elsewhere")
    result = run_cli("check", gated.path, "--no-locker")
    assert result.exit_code == 2
    assert "approvals: ../elsewhere is outside the repository" in result.stderr


def _approve_then_revoke(gated: RepoBuilder, keys: dict[str, Path]) -> str:
    """maria signs W-1, then signs its deletion; the signed approval's commit."""
    gated.write({"governance/waivers.yaml": waiver_file("maria@example.com")})
    approved = commit(gated, "maria approves W-1", keys["maria"])
    gated.write({"governance/waivers.yaml": "waivers: []\n"})
    commit(gated, "maria revokes W-1", keys["maria"])
    return approved


@pytest.mark.slow
def test_a_revoked_waiver_put_back_uncommitted_or_staged_is_self_reported(
    gated, run_cli, keys
) -> None:
    """Its old signed commit is history: HEAD no longer holds the entry."""
    _approve_then_revoke(gated, keys)
    gated.write({"governance/waivers.yaml": waiver_file("maria@example.com")})

    code, result, _ = check(run_cli, gated)
    assert code == 1
    approval = result["waivers"][0]["approval"]
    assert approval["level"] == "self-reported"
    assert "not in the file as committed at HEAD" in approval["reason"]

    gated.git("add", "governance/waivers.yaml")
    hooked = run_cli("hook", "run", "--stage", "pre-commit", gated.path)
    assert hooked.exit_code == 1
    assert "waiver W-1 is self-reported" in hooked.stderr


@pytest.mark.slow
def test_an_unsigned_merge_that_brings_a_revoked_waiver_back_is_self_reported(
    gated, run_cli, keys
) -> None:
    approved = _approve_then_revoke(gated, keys)
    gated.git("checkout", "-q", "-b", "side", approved)
    gated.write({"notes.md": "side work\n"})
    commit(gated, "mallory: side work")
    gated.git("checkout", "-q", "main")
    # The merge takes main's deletion; its author writes the entry back before committing.
    gated.git("merge", "-q", "--no-ff", "--no-commit", "side")
    gated.write({"governance/waivers.yaml": waiver_file("maria@example.com")})
    merge = commit(gated, "merge side")

    code, result, _ = check(run_cli, gated)

    assert code == 1
    assert finding(result, "G-1.enabled")["status"] == "fail"
    approval = result["waivers"][0]["approval"]
    assert approval["level"] == "self-reported" and approval["commit"] == merge


@pytest.mark.slow
def test_a_signed_waiver_merged_from_a_branch_by_an_unsigned_merge_stays_verified(
    gated, run_cli, keys
) -> None:
    """The usual flow: maria signs on a branch, the merge commit itself is nobody's."""
    gated.git("checkout", "-q", "-b", "waiver")
    gated.write({"governance/waivers.yaml": waiver_file("maria@example.com")})
    approved = commit(gated, "maria approves W-1", keys["maria"])
    gated.git("checkout", "-q", "main")
    gated.write({"notes.md": "main work\n"})
    commit(gated, "main work")
    gated.git("merge", "-q", "--no-ff", "-m", "merge waiver", "waiver")

    code, result, _ = check(run_cli, gated)

    assert code == 0
    approval = result["waivers"][0]["approval"]
    assert approval["level"] == "verified" and approval["commit"] == approved
