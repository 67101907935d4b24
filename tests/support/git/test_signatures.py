"""The allowed-signers reader: principals with patterns, options, and the lines it refuses."""

from __future__ import annotations

import subprocess
from pathlib import Path

from govgate.support.git.signatures import parse_allowed_signers


def test_patterns_options_and_refused_lines(tmp_path: Path) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "k")],
        check=True,
        capture_output=True,
    )
    key = (tmp_path / "k.pub").read_text().strip()
    fingerprint = subprocess.run(
        ["ssh-keygen", "-l", "-f", str(tmp_path / "k.pub")], capture_output=True, text=True
    ).stdout.split()[1]
    text = "\n".join(
        [
            "# comment",
            f'*@example.com,!mallory@example.com namespaces="git",valid-after="20260101" {key}',
            f"ca@example.com cert-authority {key}",
            "nobody@example.com",
            "bad@example.com ssh-ed25519 !!!notbase64",
        ]
    )
    signers, problems = parse_allowed_signers(text)
    (signer,) = signers
    assert signer.fingerprint == fingerprint  # as ssh-keygen and git print it
    assert signer.lists("maria@example.com")
    assert signer.lists("MARIA@example.com")
    assert not signer.lists("mallory@example.com")  # negated
    assert not signer.lists("maria@example.org")
    assert [line for line, _ in problems] == [3, 4, 5]
    assert "cert-authority" in problems[0][1]
    assert "has no key" in problems[1][1]
    assert "not valid base64" in problems[2][1]
