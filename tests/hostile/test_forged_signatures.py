"""Forged approvals and forged signed verdicts: what a pull-request author could commit or
hand over to get a waiver honoured or a verdict believed. Each variant is recorded with what
govgate did; the features' own tests are tests/run/test_approvals.py, tests/outputs/test_attest.py
and tests/outputs/test_pdfsign.py."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from gates_pack import OWNED_PACK as PACK
from run.test_approvals import TEAMS, commit, signers, waiver_file

from conftest import git

CONFIG = """\
system: {name: gated, risk: high}
packs: [./packs/gates]
approvals: {allowed_signers: .github/allowed_signers, teams: .github/teams.yaml}
"""


def ssh_key(folder: Path, name: str) -> Path:
    path = folder / name
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)],
        check=True,
        capture_output=True,
    )
    return path


@pytest.mark.slow
def test_no_forged_approval_waives_a_high_finding(
    make_repo, run_cli, tmp_path, reliability
) -> None:
    keys = {name: ssh_key(tmp_path, name) for name in ("maria", "mallory")}

    def fresh() -> Any:
        return make_repo(
            {
                "govgate.yaml": CONFIG,
                "packs/gates/pack.yaml": PACK,
                "gates.yaml": "gates:\n  - {name: alpha, enabled: false}\n",
                ".github/allowed_signers": signers(keys, "maria"),
                ".github/teams.yaml": TEAMS,
                # maria owns the waiver file: under --base, only the signature stands between
                "CODEOWNERS": "/governance/ maria@example.com\n",
            }
        )

    def verdict(repo: Any, *args: str) -> tuple[int, str, str]:
        done = run_cli("check", repo.path, "--no-locker", "--format", "json", *args)
        result = json.loads(done.stdout)
        (found,) = [f for f in result["findings"] if f["rule"] == "G-1.enabled"]
        return done.exit_code, found["status"], found["message"]

    unsigned = fresh()
    unsigned.write({"governance/waivers.yaml": waiver_file("maria@example.com")})
    commit(unsigned, "waive")
    other_key = fresh()
    other_key.write({"governance/waivers.yaml": waiver_file("maria@example.com")})
    commit(other_key, "waive", keys["mallory"])
    team = fresh()
    team.write({"governance/waivers.yaml": waiver_file("@acme/release-managers")})
    commit(team, "waive", keys["maria"])
    own_key = fresh()
    own_key.git("checkout", "-q", "-b", "pr")
    own_key.write(
        {
            ".github/allowed_signers": signers(keys, "maria")
            + f"maria@example.com {Path(str(keys['mallory']) + '.pub').read_text()}",
            "governance/waivers.yaml": waiver_file("maria@example.com"),
        }
    )
    commit(own_key, "waive with my key", keys["mallory"])
    liar_repo = fresh()
    liar_repo.write({"governance/waivers.yaml": waiver_file("maria@example.com")})
    commit(liar_repo, "waive", keys["mallory"])
    maria = subprocess.run(
        ["ssh-keygen", "-l", "-f", str(keys["maria"]) + ".pub"], capture_output=True, text=True
    ).stdout.split()[1]
    liar = tmp_path / "liar.sh"
    liar.write_text(
        f"#!/bin/sh\necho 'Good \"git\" signature for maria with ED25519 key {maria}'\n"
    )
    liar.chmod(0o755)
    git(liar_repo.path, "config", "gpg.ssh.program", str(liar))
    cases = {
        "committed unsigned": (unsigned, ()),
        "signed by a key not listed for the approver": (other_key, ()),
        "approved by a team the teams file does not list": (team, ()),
        "the change adds its own key to the allowed signers (--base main)": (
            own_key,
            ("--base", "main"),
        ),
        "the repository's git config names a lying signature program": (liar_repo, ()),
    }
    for what, (repo, args) in cases.items():
        code, status, message = verdict(repo, *args)
        assert (code, status) == (1, "fail"), (what, message)
        assert "is self-reported" in message
        reliability.record("forged-approval", f"{what}: finding stays fail, exit 1; {message}")


@pytest.mark.slow
def test_no_forged_signed_verdict_verifies(make_repo, run_cli, tmp_path, reliability) -> None:
    subprocess.run(
        ["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(tmp_path / "k.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    public = ["openssl", "pkey", "-in", str(tmp_path / "k.pem"), "-pubout"]
    subprocess.run([*public, "-out", str(tmp_path / "k.pub")], check=True, capture_output=True)
    repo = make_repo(
        {
            "govgate.yaml": "system: {name: gated, risk: high}\npacks: [./packs/gates]\n",
            "packs/gates/pack.yaml": PACK,
            "gates.yaml": "gates:\n  - {name: alpha, enabled: false}\n",
        }
    )
    att, res = tmp_path / "att.json", tmp_path / "govgate.json"
    done = run_cli(
        "check", repo.path, "--no-locker", "--attest", att, "--key", tmp_path / "k.pem",
        "--format", "json", "-o", res,
    )  # fmt: skip
    assert done.exit_code == 1
    envelope = json.loads(att.read_text())
    payload = base64.b64decode(envelope["payload"]).replace(
        b'"verdict":"fail"', b'"verdict":"pass"'
    )
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps({**envelope, "payload": base64.b64encode(payload).decode()}))
    refused = run_cli("verify", forged, "--key", tmp_path / "k.pub")
    assert refused.exit_code == 1
    reliability.record(
        "forged-signed-verdict", f"payload edited to pass: exit 1; {refused.stderr.strip()}"
    )
    res.write_text(res.read_text().replace('"gate": "fail"', '"gate": "pass"'))
    edited = run_cli("verify", att, "--key", tmp_path / "k.pub", "--result", res)
    assert edited.exit_code == 1
    reliability.record(
        "forged-signed-verdict", f"result document edited to pass: exit 1; {edited.stderr.strip()}"
    )
