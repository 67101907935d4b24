"""`govgate dossier --sign KEY --cert CERT` and `govgate verify dossier.pdf --ca CA`: a test CA
made here with `cryptography`, the signature checked by pyHanko's own validator too."""

from __future__ import annotations

import datetime
import io
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from gates_pack import FAILING, gates_files

from conftest import RepoBuilder, git


def _name(common: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test Lender"),
        ]
    )


def _usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True, content_commitment=not ca, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
        encipher_only=False, decipher_only=False,
    )  # fmt: skip


def make_ca(folder: Path, label: str) -> dict[str, Path]:
    """A root CA and a signer's key and certificate issued under it, as PEM files."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{label} Root CA"))
        .issuer_name(_name(f"{label} Root CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_usage(ca=True), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name("Maria Garcia"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(_usage(ca=False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    files = {"ca": folder / f"{label}-ca.pem", "cert": folder / f"{label}.pem"}
    files["key"] = folder / f"{label}.key"
    files["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files["cert"].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    files["key"].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


def invoke(*args: str | Path) -> tuple[int, str, str]:
    from govgate.cli.main import main

    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One small repository's dossier, signed (the rendering is the slow part: once)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOVGATE_DISABLE_PLUGIN_AUTOLOAD", "1")
        mp.setenv("GOVGATE_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        base = tmp_path_factory.mktemp("signed")
        repo = base / "repo"
        repo.mkdir()
        git(repo, "init", "-q", "-b", "main")
        RepoBuilder(repo).write(gates_files(FAILING)).commit("gates")
        files = make_ca(base, "good")
        pdf = base / "dossier.pdf"
        code, _, err = invoke(
            "dossier", repo, "--out", pdf, "--sign", files["key"], "--cert", files["cert"]
        )
        assert code == 0, err
        assert "signed" in err and "Maria Garcia" in err
        return {"pdf": pdf, "repo": repo, **files}


def copy(signed: dict[str, Path], tmp_path: Path) -> Path:
    target = tmp_path / "dossier.pdf"
    shutil.copyfile(signed["pdf"], target)
    return target


@pytest.mark.slow
def test_pyhankos_validator_accepts_it_against_the_test_ca(signed) -> None:
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    context = ValidationContext(
        trust_roots=[load_cert_from_pemder(str(signed["ca"]))], allow_fetching=False
    )
    reader = PdfFileReader(io.BytesIO(signed["pdf"].read_bytes()))
    (signature,) = reader.embedded_signatures
    status = validate_pdf_signature(signature, context)
    assert status.bottom_line
    assert status.intact and status.valid and status.trusted
    assert "Maria Garcia" in status.signing_cert.subject.human_friendly
    assert str(status.coverage).endswith("ENTIRE_FILE")
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES


@pytest.mark.slow
def test_verify_names_the_signer_and_the_embedded_result_still_verifies(signed) -> None:
    code, _, err = invoke("verify", signed["pdf"], "--ca", signed["ca"])
    assert code == 0, err
    assert "ok   signature govgate-signature by" in err
    assert "Common Name: Maria Garcia" in err
    assert "chains to --ca" in err
    # the incremental signature left PDF/A-3b and the attachments as they were
    assert "ok    PDF/A-3b: pdfaid part 3, conformance B" in err
    assert "ok    attachment govgate-result.json: sha256 matches the metadata" in err
    assert "FAIL" not in err


@pytest.mark.slow
def test_another_ca_is_not_trusted(signed, tmp_path) -> None:
    other = make_ca(tmp_path, "other")
    code, _, err = invoke("verify", signed["pdf"], "--ca", other["ca"])
    assert code == 1
    assert "does not chain to a --ca certificate" in err


@pytest.mark.slow
def test_a_changed_byte_in_the_signed_range_fails(signed, tmp_path) -> None:
    pdf = copy(signed, tmp_path)
    data = bytearray(pdf.read_bytes())
    at = data.index(b"/Producer")
    data[at + 1] = ord("Q")  # one byte, inside the range the signature covers
    pdf.write_bytes(bytes(data))
    code, _, err = invoke("verify", pdf)
    assert code == 1
    assert "FAIL signature" in err
    assert "the signed bytes were changed" in err


@pytest.mark.slow
def test_an_update_appended_after_signing_fails(signed, tmp_path) -> None:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    pdf = copy(signed, tmp_path)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf.read_bytes()))
    writer.root["/Lang"] = generic.TextStringObject("fr")  # any later change the signature misses
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    pdf.write_bytes(out.getvalue())
    code, _, err = invoke("verify", pdf)
    assert code == 1
    assert "content was added after the signature" in err


@pytest.mark.slow
def test_an_unsigned_dossier_fails_when_a_ca_is_asked_for(signed, tmp_path) -> None:
    from pypdf import PdfReader

    # the bytes before the signature's incremental update are the dossier as rendered
    data = signed["pdf"].read_bytes()
    reader = PdfReader(io.BytesIO(data))
    assert reader.trailer["/Root"]["/AcroForm"]["/Fields"]  # the signature field exists
    unsigned = tmp_path / "unsigned.pdf"
    unsigned.write_bytes(data[: data.index(b"%%EOF") + 5] + b"\n")
    code, _, err = invoke("verify", unsigned)
    assert code == 0, err
    assert "signature  none: nothing in the file says who produced it" in err
    code, _, err = invoke("verify", unsigned, "--ca", signed["ca"])
    assert code == 1
    assert "--ca asks for a signed dossier" in err


def test_a_key_that_does_not_match_the_certificate_stops_before_rendering(
    make_repo, tmp_path
) -> None:
    one, two = make_ca(tmp_path, "one"), make_ca(tmp_path, "two")
    repo = make_repo({"govgate.yaml": "system: {name: x, risk: high}\npacks: [gdpr]\n"})
    pdf = tmp_path / "d.pdf"
    code, _, err = invoke(
        "dossier", repo.path, "--out", pdf, "--sign", one["key"], "--cert", two["cert"]
    )
    assert code == 2
    assert f"--cert {two['cert']}: certifies another key than --sign {one['key']}" in err
    assert not pdf.exists()
    code, _, err = invoke("dossier", repo.path, "--out", pdf, "--sign", one["key"])
    assert code == 2
    assert "--sign KEY and --cert CERT go together" in err
    code, _, err = invoke(
        "dossier", repo.path, "--out", pdf, "--html", "--sign", one["key"], "--cert", one["cert"]
    )
    assert code == 2
    assert "an --html dossier cannot carry it" in err
    code, _, err = invoke(
        "dossier", repo.path, "--out", "-", "--sign", one["key"], "--cert", one["cert"]
    )
    assert code == 2
    assert "--out must name a regular file, not a stream" in err
    code, _, err = invoke(
        "dossier", repo.path, "--out", pdf, "--sign", one["cert"], "--cert", one["cert"]
    )
    assert code == 2
    assert "not a readable PEM or DER private key" in err


def test_without_pyhanko_signing_is_refused_and_a_ca_check_fails(
    make_repo, tmp_path, monkeypatch
) -> None:
    import govgate.outputs.pdfsign as pdfsign

    monkeypatch.setattr(pdfsign, "pyhanko_missing", lambda: True)
    one = make_ca(tmp_path, "one")
    repo = make_repo({"govgate.yaml": "system: {name: x, risk: high}\npacks: [gdpr]\n"})
    pdf = tmp_path / "d.pdf"
    code, _, err = invoke(
        "dossier", repo.path, "--out", pdf, "--sign", one["key"], "--cert", one["cert"]
    )
    assert code == 2
    assert "--sign needs pyHanko, which is not installed; install it with" in err
    pdf.write_bytes(b"%PDF-1.7\n")
    code, _, err = invoke("verify", pdf, "--ca", one["ca"])
    assert code == 1
    assert "FAIL signature: not checked, pyHanko is not installed" in err
