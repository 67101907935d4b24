"""A PAdES signature on a written dossier (pyHanko, an incremental update that leaves the PDF/A-3b
file and its attachments as they were), and the check of a dossier's signatures.

pyHanko is imported inside the functions: only `--sign` and `verify` of a PDF load it.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govgate.support.destinations import write_payload
from govgate.support.errors import UsageError, describe_exception
from govgate.support.signing import PASSPHRASE_ENV

#: The signature field govgate adds (invisible: PDF/A allows it without an appearance).
FIELD_NAME = "govgate-signature"


@contextlib.contextmanager
def _quiet_pyhanko() -> Iterator[None]:
    """pyHanko logs a traceback for a chain it cannot build (there are no trust roots without
    --ca) and its import warns of DSA: what it found is reported once, by govgate."""
    logger = logging.getLogger("pyhanko")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="DSA is deprecated")
            yield
    finally:
        logger.setLevel(level)


#: What to install when pyHanko is missing (it is the optional `sign` extra).
INSTALL_HINT = "install it with `pip install 'govgate[sign]'`"


def pyhanko_missing() -> bool:
    """Whether pyHanko (the `sign` extra) is not installed."""
    import importlib.util

    return importlib.util.find_spec("pyhanko") is None


def load_pdf_signer(key: Path, cert: Path) -> Any:
    """A pyHanko signer from a PEM/DER private key and its certificate; checked before the
    dossier is rendered, so a wrong key costs no rendering. Usage errors name the file."""
    if pyhanko_missing():
        raise UsageError(f"--sign needs pyHanko, which is not installed; {INSTALL_HINT}")
    with _quiet_pyhanko():
        from pyhanko.keys import load_cert_from_pemder, load_private_key_from_pemder
        from pyhanko.sign.signers import SimpleSigner
        from pyhanko_certvalidator.registry import SimpleCertificateStore

    passphrase = os.environ.get(PASSPHRASE_ENV)
    try:
        private = load_private_key_from_pemder(
            str(key), passphrase=passphrase.encode() if passphrase else None
        )
    except (OSError, ValueError, TypeError) as exc:
        raise UsageError(
            f"--sign {key}: not a readable PEM or DER private key ({exc}); an encrypted key's "
            f"passphrase goes in {PASSPHRASE_ENV}"
        ) from exc
    try:
        certificate = load_cert_from_pemder(str(cert))  # type: ignore[no-untyped-call]
    except (OSError, ValueError, TypeError) as exc:
        raise UsageError(f"--cert {cert}: not a readable PEM or DER certificate ({exc})") from exc
    if certificate.public_key.dump() != _public_der(key, passphrase):
        raise UsageError(
            f"--cert {cert}: certifies another key than --sign {key}; give the certificate "
            "issued for that key"
        )
    return SimpleSigner(
        signing_cert=certificate,
        signing_key=private,
        cert_registry=SimpleCertificateStore(),  # type: ignore[no-untyped-call]
    )


def _public_der(key: Path, passphrase: str | None) -> bytes:
    """The DER SubjectPublicKeyInfo of the private key in `key` (already read once by pyHanko)."""
    from cryptography.hazmat.primitives import serialization

    data = key.read_bytes()
    password = passphrase.encode() if passphrase else None
    loader = (
        serialization.load_pem_private_key
        if b"-----BEGIN" in data
        else serialization.load_der_private_key
    )
    return (
        loader(data, password)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def sign_pdf(path: Path, signer: Any) -> None:
    """Sign the PDF at `path` in place: a PAdES baseline B-B signature over the whole file,
    appended as an incremental update (the signed bytes stay the bytes written before)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    writer = IncrementalPdfFileWriter(io.BytesIO(path.read_bytes()))
    metadata = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason="govgate audit dossier",
    )
    signed = signers.sign_pdf(writer, metadata, signer=signer)
    write_payload(signed.getvalue(), path, "the signed dossier", "--out")


@dataclass
class PdfSignature:
    """One signature of a PDF, as a verifier reports it."""

    name: str
    signer: str
    intact: bool
    valid: bool
    trusted: bool | None
    whole_file: bool
    signed_at: str | None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.whole_file and self.trusted is not False


def pdf_signatures(pdf: Path, trust: list[Path]) -> tuple[list[PdfSignature], str | None]:
    """The PDF's signatures, each checked: the signed bytes unchanged (intact), the signature
    mathematically valid, nothing but signatures appended after it, and, given trust roots,
    the signer's certificate chaining to one of them (offline: no revocation lookups). The
    second value says why the file or a signature could not be checked at all."""
    with _quiet_pyhanko():
        from pyhanko.keys import load_cert_from_pemder
        from pyhanko.pdf_utils.reader import PdfFileReader
        from pyhanko.sign.validation import validate_pdf_signature
        from pyhanko_certvalidator import ValidationContext

    roots = []
    for path in trust:
        try:
            roots.append(load_cert_from_pemder(str(path)))  # type: ignore[no-untyped-call]
        except (OSError, ValueError, TypeError) as exc:
            raise UsageError(f"--ca {path}: not a readable PEM or DER certificate ({exc})") from exc
    # Explicit roots, even none: never the operating system's trust list, never the network.
    context = ValidationContext(trust_roots=roots, allow_fetching=False)
    found: list[PdfSignature] = []
    try:
        embedded_signatures = PdfFileReader(
            io.BytesIO(pdf.read_bytes()), strict=False
        ).embedded_signatures
    except Exception as exc:  # a third-party parser on a file from anyone: any failure is "no"
        return found, f"the file cannot be read as a PDF ({describe_exception(exc)})"
    for embedded in embedded_signatures:
        try:
            with _quiet_pyhanko():
                status = validate_pdf_signature(embedded, context)
        except Exception as exc:
            return (
                found,
                f"signature {embedded.field_name} cannot be checked ({describe_exception(exc)})",
            )
        level = status.modification_level
        # ENTIRE_FILE: nothing after the signature; otherwise only changes pyHanko's diff
        # policy classes as LTA updates or form filling may follow, and govgate adds neither.
        whole = str(status.coverage).endswith("ENTIRE_FILE") or (
            level is not None and str(level).endswith("LTA_UPDATES")
        )
        problems = []
        if not status.intact:
            problems.append("the signed bytes were changed")
        if not status.valid:
            problems.append("the signature does not match the signer's key")
        if not whole:
            problems.append(
                "content was added after the signature (an incremental update it does not cover)"
            )
        trusted = bool(status.trusted) if roots else None
        if trusted is False:
            problems.append("the signer's certificate does not chain to a --ca certificate")
        found.append(
            PdfSignature(
                name=embedded.field_name,
                signer=status.signing_cert.subject.human_friendly,
                intact=bool(status.intact),
                valid=bool(status.valid),
                trusted=trusted,
                whole_file=whole,
                signed_at=(
                    status.signer_reported_dt.isoformat() if status.signer_reported_dt else None
                ),
                problems=problems,
            )
        )
    return found, None
