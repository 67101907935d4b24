"""The option handling `check` and `verify` share (govgate.cli.common): `--key` and the options
that only mean something beside another, through both real commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from gates_pack import PASSING

from conftest import CliResult, RepoBuilder


def options_help(run_cli: Callable[..., CliResult], command: str) -> str:
    result = run_cli(command, "--help")
    assert result.exit_code == 0
    return " ".join(result.stdout.split())  # click wraps to the terminal's width


def test_each_command_keeps_its_own_key_help(run_cli: Callable[..., CliResult]) -> None:
    check = options_help(run_cli, "check")
    assert (
        "--key PATH Private key (Ed25519 or ECDSA P-256, PEM or OpenSSH) that signs --attest."
        in check
    )
    assert (
        "--attest PATH Write a signed in-toto attestation of the verdict here (needs --key)."
        in check
    )
    verify = options_help(run_cli, "verify")
    assert (
        "--key PATH An attestation's signer's public key (PEM or OpenSSH .pub): PATH is checked "
        "with it." in verify
    )
    assert "--require-pass With --key: exit 1 unless the signed verdict is a pass" in verify
    assert "--commit SHA With --key: the commit the attestation must name" in verify


def test_check_pairs_attest_and_key_whichever_is_missing(
    gates_repo: Callable[..., RepoBuilder],
    run_cli: Callable[..., CliResult],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo = gates_repo(PASSING)
    alone = run_cli("check", repo.path, "--no-locker", "--key", tmp_path / "k.pem")
    assert (alone.exit_code, alone.stderr.strip()) == (
        2,
        "govgate: error: --key signs an attestation: give --attest FILE too",
    )
    monkeypatch.setenv("GOVGATE_ATTEST", str(tmp_path / "att.json"))  # CI's --attest, no key
    keyless = run_cli("check", repo.path, "--no-locker")
    assert keyless.exit_code == 2
    assert "--attest needs --key KEY (a private Ed25519 or ECDSA P-256 key" in keyless.stderr
    assert not (tmp_path / "att.json").exists()


@pytest.mark.parametrize(
    "option", [("--require-pass",), ("--result", "govgate.json"), ("--commit", "abcdef1")]
)
def test_verify_refuses_a_signed_verdict_check_without_the_key(
    option: tuple[str, ...],
    gates_repo: Callable[..., RepoBuilder],
    run_cli: Callable[..., CliResult],
) -> None:
    repo = gates_repo(PASSING)
    assert run_cli("check", repo.path).exit_code == 0  # a locker with a passing run
    assert run_cli("verify", repo.path).exit_code == 0
    refused = run_cli("verify", repo.path, *option)
    assert refused.exit_code == 2, refused.output  # not the locker's exit 0 read as a pass
    assert refused.stderr.strip() == (
        f"govgate: error: {option[0]} checks a signed attestation: give --key PUB (its "
        "signer's public key) too"
    )
