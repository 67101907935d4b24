"""`govgate check --attest FILE --key KEY` and `govgate verify FILE --key PUB`: keys made with
openssl and ssh-keygen, envelopes checked by govgate and by securesystemslib's DSSE verifier."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from gates_pack import CONFIG, FAILING, PACK, PASSING
from securesystemslib.dsse import Envelope
from securesystemslib.exceptions import VerificationError
from securesystemslib.signer import SSlibKey

from govgate.support.signing import IN_TOTO_PAYLOAD_TYPE, load_signing_key, sign_envelope

from conftest import CliResult


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, tuple[Path, Path]]:
    """{kind: (private, public)}: Ed25519 and P-256 PEM by openssl, Ed25519 by ssh-keygen."""
    folder = tmp_path / "keys"
    folder.mkdir()
    made = {}
    openssl("genpkey", "-algorithm", "ed25519", "-out", str(folder / "ed.pem"))
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(folder / "ec.pem"))
    for name in ("ed", "ec"):
        openssl(
            "pkey",
            "-in",
            str(folder / f"{name}.pem"),
            "-pubout",
            "-out",
            str(folder / f"{name}.pub"),
        )
        made[name] = (folder / f"{name}.pem", folder / f"{name}.pub")
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / "ssh")],
        check=True,
        capture_output=True,
    )
    made["ssh"] = (folder / "ssh", folder / "ssh.pub")
    return made


def sslib_verify(envelope_file: Path, public_file: Path) -> dict[str, Any]:
    """The statement, once securesystemslib (an independent DSSE implementation) verifies it."""
    envelope = json.loads(envelope_file.read_text())
    data = public_file.read_bytes()
    if data.startswith(b"ssh-"):
        public: Any = serialization.load_ssh_public_key(data)
    else:
        public = serialization.load_pem_public_key(data)
    key = SSlibKey.from_crypto(public, keyid=envelope["signatures"][0]["keyid"])
    parsed = Envelope.from_dict(envelope)
    parsed.verify([key], 1)
    statement: dict[str, Any] = json.loads(parsed.pae().split(b" ", 4)[4])
    return statement


def change_payload(envelope_file: Path, edit: Callable[[bytes], bytes]) -> None:
    envelope = json.loads(envelope_file.read_text())
    payload = base64.b64decode(envelope["payload"])
    envelope["payload"] = base64.b64encode(edit(payload)).decode()
    envelope_file.write_text(json.dumps(envelope))


def attest(
    run_cli: Callable[..., CliResult], repo: Path, key: Path, out: Path, *extra: str
) -> CliResult:
    return run_cli(
        "check", repo, "--no-locker", "--attest", out / "att.json", "--key", key,
        "--format", "json", "-o", out / "govgate.json", *extra,
    )  # fmt: skip


@pytest.mark.parametrize("kind", ["ed", "ec", "ssh"])
def test_each_key_kind_signs_and_both_verifiers_accept(
    kind, keys, gates_repo, run_cli, tmp_path
) -> None:
    repo = gates_repo(PASSING)
    private, public = keys[kind]
    assert attest(run_cli, repo.path, private, tmp_path).exit_code == 0
    verified = run_cli("verify", tmp_path / "att.json", "--key", public)
    assert verified.exit_code == 0, verified.output
    assert "signature OK" in verified.stdout
    assert "verdict: PASS (fail-on high)" in verified.stdout
    statement = sslib_verify(tmp_path / "att.json", public)
    assert statement["predicate"]["verdict"] == "pass"


def test_the_statement_binds_commit_result_packs_and_evidence(
    keys, gates_repo, run_cli, tmp_path
) -> None:
    repo = gates_repo(FAILING)
    head = repo.git("rev-parse", "HEAD").strip()
    assert attest(run_cli, repo.path, keys["ed"][0], tmp_path).exit_code == 1  # the gate fails
    statement = sslib_verify(tmp_path / "att.json", keys["ed"][1])
    result_bytes = (tmp_path / "govgate.json").read_bytes()
    result = json.loads(result_bytes)
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["subject"] == [
        {"name": "govgate.json", "digest": {"sha256": hashlib.sha256(result_bytes).hexdigest()}},
        {"name": "repository commit", "digest": {"gitCommit": head}},
    ]
    predicate = statement["predicate"]
    assert predicate["verdict"] == "fail"
    assert predicate["verificationResult"] == "FAILED"
    assert predicate["packs"] == [
        {"name": "gates", "version": "1.0.0", "digest": result["packs"][0]["digest"]}
    ]
    assert [e["digest"] for e in predicate["evidence"]] == [e["digest"] for e in result["evidence"]]
    assert predicate["target"]["dirty"] is False
    assert predicate["locker"] is None  # --no-locker
    verified = run_cli(
        "verify",
        tmp_path / "att.json",
        "--key",
        keys["ed"][1],
        "--result",
        tmp_path / "govgate.json",
    )
    assert verified.exit_code == 0
    assert "verdict: FAIL" in verified.stdout
    assert "result document: matches the signed digest" in verified.stdout
    named = run_cli("verify", tmp_path / "att.json", "--key", keys["ed"][1], "--commit", head[:12])
    assert named.exit_code == 0
    repo.write({"gates.yaml": PASSING}).commit("a later commit")
    later = repo.git("rev-parse", "HEAD").strip()
    old = run_cli("verify", tmp_path / "att.json", "--key", keys["ed"][1], "--commit", later)
    assert old.exit_code == 1
    assert f"the attestation names commit {head}; it is not a verdict of that commit" in old.stderr


def test_the_locker_head_is_signed(keys, gates_repo, run_cli, tmp_path) -> None:
    repo = gates_repo(PASSING)
    result = run_cli(
        "check", repo.path, "--attest", tmp_path / "att.json", "--key", keys["ed"][0],
        "--format", "json", "-o", tmp_path / "govgate.json",
    )  # fmt: skip
    assert result.exit_code == 0
    run = json.loads((tmp_path / "govgate.json").read_text())["run"]
    predicate = sslib_verify(tmp_path / "att.json", keys["ed"][1])["predicate"]
    assert predicate["locker"] == {"run": run["id"], "head": run["hash"]}


def test_one_changed_payload_byte_fails_both_verifiers(keys, gates_repo, run_cli, tmp_path) -> None:
    repo = gates_repo(FAILING)
    attest(run_cli, repo.path, keys["ec"][0], tmp_path)
    att = tmp_path / "att.json"
    original = att.read_text()
    for edit in (
        lambda p: p.replace(b'"verdict":"fail"', b'"verdict":"pass"'),  # the forgery one wants
        lambda p: p[:100] + bytes([p[100] ^ 1]) + p[101:],  # any one byte
    ):
        att.write_text(original)
        change_payload(att, edit)
        refused = run_cli("verify", att, "--key", keys["ec"][1])
        assert refused.exit_code == 1
        assert "NOT VERIFIED" in refused.stderr
        assert "signature OK" not in refused.stdout
        with pytest.raises(VerificationError):
            sslib_verify(att, keys["ec"][1])


def test_another_key_or_another_result_is_refused(keys, gates_repo, run_cli, tmp_path) -> None:
    repo = gates_repo(PASSING)
    attest(run_cli, repo.path, keys["ed"][0], tmp_path)
    other = run_cli("verify", tmp_path / "att.json", "--key", keys["ssh"][1])
    assert other.exit_code == 1
    assert "NOT VERIFIED: no signature verifies with key" in other.stderr
    forged = tmp_path / "govgate.json"
    forged.write_text(forged.read_text().replace('"gate": "pass"', '"gate": "pass" '))
    mismatch = run_cli("verify", tmp_path / "att.json", "--key", keys["ed"][1], "--result", forged)
    assert mismatch.exit_code == 1
    assert "DOES NOT match the signed digest" in mismatch.stdout


def test_require_pass_refuses_a_failing_verdict_and_a_dirty_tree(
    keys, gates_repo, run_cli, tmp_path
) -> None:
    repo = gates_repo(FAILING)
    attest(run_cli, repo.path, keys["ed"][0], tmp_path)
    failing = run_cli("verify", tmp_path / "att.json", "--key", keys["ed"][1], "--require-pass")
    assert failing.exit_code == 1
    assert "--require-pass" in failing.stderr
    # the gate passes only thanks to an uncommitted edit: the commit does not say so
    (repo.path / "gates.yaml").write_text(PASSING)
    assert attest(run_cli, repo.path, keys["ed"][0], tmp_path).exit_code == 0
    dirty = run_cli("verify", tmp_path / "att.json", "--key", keys["ed"][1], "--require-pass")
    assert "verdict: PASS" in dirty.stdout
    assert "warning: the working tree had uncommitted changes" in dirty.stdout
    assert dirty.exit_code == 1
    repo.commit("enable alpha")
    assert attest(run_cli, repo.path, keys["ed"][0], tmp_path).exit_code == 0
    clean = run_cli("verify", tmp_path / "att.json", "--key", keys["ed"][1], "--require-pass")
    assert clean.exit_code == 0, clean.output


def test_a_new_only_verdict_says_so(keys, gates_repo, run_cli, tmp_path) -> None:
    repo = gates_repo(FAILING)
    repo.git("checkout", "-q", "-b", "pr")
    repo.write({"README.md": "docs\n"}).commit("docs")
    result = attest(run_cli, repo.path, keys["ed"][0], tmp_path, "--base", "main", "--new-only")
    assert result.exit_code == 0  # the disabled gate is old: --new-only passes
    verified = run_cli("verify", tmp_path / "att.json", "--key", keys["ed"][1], "--require-pass")
    assert "warning: gated on new findings only (since main)" in verified.stdout
    assert verified.exit_code == 1


def test_bad_keys_stop_the_run_before_it_starts(keys, gates_repo, run_cli, tmp_path) -> None:
    repo = gates_repo(PASSING)
    openssl(
        "ecparam", "-name", "secp384r1", "-genkey", "-noout", "-out", str(tmp_path / "p384.pem")
    )
    openssl(
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:1024",
        "-out",
        str(tmp_path / "rsa.pem"),
    )
    cases = {
        (tmp_path / "p384.pem"): "ECDSA key on secp384r1",
        (tmp_path / "rsa.pem"): "key; govgate signs with Ed25519 or ECDSA P-256 only",
        keys["ed"][1]: "is a public key; signing needs the private key",
        (tmp_path / "missing.pem"): "cannot read it",
    }
    for key, message in cases.items():
        result = attest(run_cli, repo.path, key, tmp_path)
        assert result.exit_code == 2, result.output
        assert message in result.stderr
        assert not (tmp_path / "att.json").exists()
        assert not (tmp_path / "govgate.json").exists()  # refused before the run
    alone = run_cli("check", repo.path, "--no-locker", "--attest", tmp_path / "att.json")
    assert alone.exit_code == 2
    assert "--attest needs --key KEY" in alone.stderr
    attest(run_cli, repo.path, keys["ed"][0], tmp_path)
    keyless = run_cli("verify", tmp_path / "att.json")
    assert keyless.exit_code == 2
    assert (
        "an attestation is verified with its signer's public key: give --key PUB" in keyless.stderr
    )
    (tmp_path / "x.json").write_text("{}")
    private = run_cli("verify", tmp_path / "x.json", "--key", keys["ed"][0])
    assert private.exit_code == 2
    assert "is a private key; verify with the public one" in private.stderr


def test_the_environment_gives_attest_and_key_in_ci(
    keys, gates_repo, run_cli, tmp_path, monkeypatch
) -> None:
    repo = gates_repo(PASSING)
    monkeypatch.setenv("GOVGATE_ATTEST", str(tmp_path / "ci.json"))
    monkeypatch.setenv("GOVGATE_SIGNING_KEY", str(keys["ec"][0]))
    assert run_cli("check", repo.path, "--no-locker").exit_code == 0
    assert run_cli("verify", tmp_path / "ci.json", "--key", keys["ec"][1]).exit_code == 0
    # a key in the environment alone (a developer's shell, a hook run) changes nothing
    monkeypatch.delenv("GOVGATE_ATTEST")
    assert run_cli("check", repo.path, "--no-locker").exit_code == 0
    explicit = run_cli("check", repo.path, "--no-locker", "--key", keys["ec"][0])
    assert explicit.exit_code == 2
    assert "--key signs an attestation: give --attest FILE too" in explicit.stderr


@pytest.mark.slow
def test_the_examples_attestation_verifies_and_a_changed_byte_fails(
    keys, example_repo, run_cli, tmp_path
) -> None:
    repo = example_repo("loan-approval")
    assert attest(run_cli, repo, keys["ed"][0], tmp_path).exit_code == 1
    verified = run_cli(
        "verify",
        tmp_path / "att.json",
        "--key",
        keys["ed"][1],
        "--result",
        tmp_path / "govgate.json",
    )
    assert verified.exit_code == 0
    assert "verdict: FAIL" in verified.stdout
    assert "packs: readiness 1.0.0, human-oversight" in verified.stdout
    statement = sslib_verify(tmp_path / "att.json", keys["ed"][1])
    assert len(statement["predicate"]["evidence"]) == len(
        json.loads((tmp_path / "govgate.json").read_text())["evidence"]
    )
    change_payload(tmp_path / "att.json", lambda p: p.replace(b"FAILED", b"PASSED"))
    assert run_cli("verify", tmp_path / "att.json", "--key", keys["ed"][1]).exit_code == 1
    with pytest.raises(VerificationError):
        sslib_verify(tmp_path / "att.json", keys["ed"][1])


def test_an_encrypted_key_needs_its_passphrase(gates_repo, run_cli, tmp_path, monkeypatch) -> None:
    repo = gates_repo(PASSING)
    key = tmp_path / "locked.pem"
    openssl(
        "genpkey", "-algorithm", "ed25519", "-aes-256-cbc", "-pass", "pass:s3cret", "-out", str(key)
    )
    openssl(
        "pkey",
        "-in",
        str(key),
        "-passin",
        "pass:s3cret",
        "-pubout",
        "-out",
        str(tmp_path / "locked.pub"),
    )
    refused = attest(run_cli, repo.path, key, tmp_path)
    assert refused.exit_code == 2
    assert "GOVGATE_KEY_PASSPHRASE" in refused.stderr
    monkeypatch.setenv("GOVGATE_KEY_PASSPHRASE", "s3cret")
    assert attest(run_cli, repo.path, key, tmp_path).exit_code == 0
    assert run_cli("verify", tmp_path / "att.json", "--key", tmp_path / "locked.pub").exit_code == 0


def test_require_pass_refuses_a_verdict_of_some_packs(keys, gates_repo, run_cli, tmp_path) -> None:
    repo = gates_repo(PASSING)
    partial = attest(run_cli, repo.path, keys["ed"][0], tmp_path, "--pack", "./packs/gates")
    assert partial.exit_code == 0
    verified = run_cli("verify", tmp_path / "att.json", "--key", keys["ed"][1], "--require-pass")
    assert "warning: only some packs were run: ./packs/gates" in verified.stdout
    assert verified.exit_code == 1


MIXED = (
    PACK
    + """\
  - id: G-1.named
    control: G-1
    severity: medium
    evidence: gate_list
    for_each: gates
    assert: {path: name, op: matches, value: "^[a-z]+$"}
    message: "gate {item.name} is badly named"
    remediation: "rename {item.name} in {source.path}"
"""
)


def test_require_pass_refuses_a_lenient_fail_on(keys, make_repo, run_cli, tmp_path) -> None:
    repo = make_repo(
        {
            "govgate.yaml": CONFIG + "fail_on: critical\n",
            "packs/gates/pack.yaml": MIXED,
            "gates.yaml": "gates:\n  - {name: alpha, enabled: false}\n",
        }
    )
    # fail_on: critical committed: the disabled gate (high) no longer fails the run...
    assert attest(run_cli, repo.path, keys["ed"][0], tmp_path).exit_code == 0
    statement = sslib_verify(tmp_path / "att.json", keys["ed"][1])
    assert statement["predicate"]["failures"] == {
        "info": 0, "low": 0, "medium": 0, "high": 1, "critical": 0,
    }  # fmt: skip
    verified = run_cli("verify", tmp_path / "att.json", "--key", keys["ed"][1], "--require-pass")
    assert "verdict: PASS (fail-on critical)" in verified.stdout
    assert "warning: gated at fail-on critical: failures of severity high do not fail it" in (
        verified.stdout
    )
    assert "warning: the verdict holds 1 high severity failure(s)" in verified.stdout
    assert verified.exit_code == 1
    # ...while a medium failure under the default fail_on high limits nothing.
    repo.write(
        {"govgate.yaml": CONFIG, "gates.yaml": "gates:\n  - {name: Alpha1, enabled: true}\n"}
    ).commit("enable, rename")
    assert attest(run_cli, repo.path, keys["ed"][0], tmp_path).exit_code == 0
    medium = run_cli("verify", tmp_path / "att.json", "--key", keys["ed"][1], "--require-pass")
    assert "warning:" not in medium.stdout
    assert medium.exit_code == 0, medium.output


def test_an_attestation_without_signed_severities_counts_every_failure(
    keys, make_repo, run_cli, tmp_path
) -> None:
    repo = make_repo(
        {
            "govgate.yaml": CONFIG + "fail_on: critical\n",
            "packs/gates/pack.yaml": PACK,
            "gates.yaml": FAILING,
        }
    )
    assert attest(run_cli, repo.path, keys["ed"][0], tmp_path).exit_code == 0
    statement = sslib_verify(tmp_path / "att.json", keys["ed"][1])
    statement["predicate"].pop("failures", None)  # as an older govgate signed it
    statement["predicate"]["failOn"] = "high"
    payload = json.dumps(statement).encode()
    envelope = sign_envelope(payload, load_signing_key(keys["ed"][0]), IN_TOTO_PAYLOAD_TYPE)
    (tmp_path / "old.json").write_text(json.dumps(envelope))
    verified = run_cli("verify", tmp_path / "old.json", "--key", keys["ed"][1], "--require-pass")
    assert "warning: the verdict holds 1 failure(s) of unsigned severity" in verified.stdout
    assert verified.exit_code == 1
