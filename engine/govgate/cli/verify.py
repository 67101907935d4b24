"""`govgate verify FILE`: check a signed attestation (or a signed dossier) offline and say
what it proves. Exit 0 only when the signature holds (and, asked to, the verdict passes)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from govgate.support.errors import ExitCode, UsageError


def register(main: click.Group) -> None:
    main.add_command(verify)


def _read(path: Path, option: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{option} {path}: cannot read it ({exc.strerror or exc})") from exc


@click.command("verify")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--key",
    "key_path",
    type=click.Path(path_type=Path),
    help="The signer's public key (PEM or OpenSSH .pub) an attestation must verify with.",
)
@click.option(
    "--result",
    "result_path",
    type=click.Path(path_type=Path),
    help="The result document (--format json) that must be the one the attestation signed.",
)
@click.option(
    "--require-pass",
    is_flag=True,
    help="Exit 1 unless the verdict is pass, of every pack, on a clean commit.",
)
def verify(file: Path, key_path: Path | None, result_path: Path | None, require_pass: bool) -> None:
    """Check the signature of an attestation (`check --attest`) or a signed dossier offline."""
    data = _read(file, "FILE")
    if key_path is None:
        raise UsageError(
            f"{file}: an attestation is verified with its signer's public key: give --key PUB"
        )
    from govgate.outputs.attest import describe, verify_attestation
    from govgate.support.signing import SignatureInvalid, load_public_key

    public = load_public_key(key_path)
    result = _read(result_path, "--result") if result_path is not None else None
    try:
        verified = verify_attestation(data, public, result)
    except SignatureInvalid as exc:
        click.echo(f"govgate: {file}: NOT VERIFIED: {exc}", err=True)
        sys.exit(int(ExitCode.GATE_FAILED))
    for line in describe(verified, file):
        click.echo(line)
    if verified.result_matches is False:
        click.echo(f"govgate: {result_path}: is not the result document that was signed", err=True)
        sys.exit(int(ExitCode.GATE_FAILED))
    if require_pass and (verified.predicate["verdict"] != "pass" or verified.warnings):
        click.echo(
            "govgate: --require-pass: the signed verdict is not a pass of every pack on a clean "
            "commit (see the verdict and warnings above)",
            err=True,
        )
        sys.exit(int(ExitCode.GATE_FAILED))
    sys.exit(int(ExitCode.OK))
