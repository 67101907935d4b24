"""What `govgate verify` does with a signed file: an attestation (`check --attest`) checked
with its signer's public key, offline; the `verify` command itself (govgate.cli.locker) decides
which kind of file it was given."""

from __future__ import annotations

import json
from pathlib import Path

import click

from govgate.support.errors import ExitCode, UsageError


def _read(path: Path, option: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{option} {path}: cannot read it ({exc.strerror or exc})") from exc


def is_envelope(path: Path) -> bool:
    """Whether `path` holds a DSSE envelope (JSON with a payloadType), read to decide only."""
    try:
        with path.open("rb") as handle:
            head = handle.read(64).lstrip()[:1]
            if head not in (b"{", b"\xef"):  # an object, or a UTF-8 byte order mark
                return False
            document = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(document, dict) and "payloadType" in document


def verify_attestation_file(
    file: Path,
    key_path: Path | None,
    result_path: Path | None,
    require_pass: bool,
    expected_commit: str | None = None,
) -> int:
    """Check an attestation, print what it says; the exit code: 0 only when the signature
    holds, the result document (if given) is the one signed, the commit (if given) is the one
    it names, and with `require_pass` the signed verdict is a pass of every pack on a clean
    commit."""
    if key_path is None:
        raise UsageError(
            f"{file}: an attestation is verified with its signer's public key: give --key PUB"
        )
    from govgate.outputs.attest import describe, verify_attestation
    from govgate.support.signing import SignatureInvalid, load_public_key

    data = _read(file, "FILE")
    public = load_public_key(key_path)
    result = _read(result_path, "--result") if result_path is not None else None
    try:
        verified = verify_attestation(data, public, result)
    except SignatureInvalid as exc:
        click.echo(f"govgate: {file}: NOT VERIFIED: {exc}", err=True)
        return int(ExitCode.GATE_FAILED)
    for line in describe(verified, file):
        click.echo(line)
    if verified.result_matches is False:
        click.echo(f"govgate: {result_path}: is not the result document that was signed", err=True)
        return int(ExitCode.GATE_FAILED)
    if expected_commit is not None:
        named = str((verified.predicate.get("target") or {}).get("commit") or "")
        wanted = expected_commit.strip().lower()
        if len(wanted) < 7 or not named.startswith(wanted):
            click.echo(
                f"govgate: --commit {expected_commit}: the attestation names commit "
                f"{named or 'none'}; it is not a verdict of that commit (give 7+ hex digits)",
                err=True,
            )
            return int(ExitCode.GATE_FAILED)
    if require_pass and (verified.predicate["verdict"] != "pass" or verified.warnings):
        click.echo(
            "govgate: --require-pass: the signed verdict is not a pass of every pack on a clean "
            "commit (see the verdict and warnings above)",
            err=True,
        )
        return int(ExitCode.GATE_FAILED)
    return int(ExitCode.OK)


def report_pdf_signatures(pdf: Path, trust: list[Path]) -> int:
    """Print each signature of a dossier on stderr (signer, and what holds); the exit code:
    1 when one fails, or when `trust` is given and none chains to it (an unsigned dossier
    included), else 0. Without `trust`, an unsigned dossier is said to be unsigned."""
    from govgate.outputs.pdfsign import INSTALL_HINT, pdf_signatures, pyhanko_missing

    if pyhanko_missing():  # what cannot be checked is said, and fails when it was asked for
        click.echo(
            f"{'FAIL' if trust else 'skip'} signature: not checked, pyHanko is not installed; "
            f"{INSTALL_HINT}",
            err=True,
        )
        return int(ExitCode.GATE_FAILED if trust else ExitCode.OK)
    signatures, problem = pdf_signatures(pdf, trust)
    if problem is not None:
        click.echo(f"FAIL signature: {problem}", err=True)
        return int(ExitCode.GATE_FAILED)
    if not signatures:
        click.echo(
            "signature  none: nothing in the file says who produced it"
            + ("; --ca asks for a signed dossier" if trust else ""),
            err=True,
        )
        return int(ExitCode.GATE_FAILED if trust else ExitCode.OK)
    for signature in signatures:
        trusted = {True: "; chains to --ca", False: "", None: "; signer not checked (no --ca)"}
        verdict = "ok  " if signature.ok else "FAIL"
        click.echo(
            f"{verdict} signature {signature.name} by {signature.signer} at "
            f"{signature.signed_at or 'an unstated time'} (the signer's clock)"
            f"{trusted[signature.trusted]}"
            + "".join(f"; {problem}" for problem in signature.problems),
            err=True,
        )
    return int(ExitCode.OK if all(s.ok for s in signatures) else ExitCode.GATE_FAILED)
