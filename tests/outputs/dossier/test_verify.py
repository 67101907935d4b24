"""`verify_dossier`: a fresh dossier verifies; every way of changing what it carries fails.

One dossier is rendered per module; each test edits a copy with pypdf the way a person with
a PDF editor would (rewrite an attachment, drop one, add one, rewrite the metadata too).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pypdf
import pytest
from pypdf.generic import NameObject

from govgate.outputs.dossier import (
    MANIFEST_ATTACHMENT,
    RESULT_ATTACHMENT,
    DossierInput,
    dossier_input_from_outcome,
    render_dossier,
)
from govgate.outputs.dossier.verify import RecordedRun, verify_dossier

from conftest import EXAMPLES, git


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, DossierInput]]:
    from govgate.run.check import CheckOptions, run_check

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOVGATE_DISABLE_PLUGIN_AUTOLOAD", "1")
        base = tmp_path_factory.mktemp("verify")
        repo = base / "loan-approval"
        shutil.copytree(EXAMPLES / "loan-approval", repo, ignore=shutil.ignore_patterns(".govgate"))
        git(repo, "init", "-q", "-b", "main")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "example")
        # One pack: verification does not depend on the size of the dossier.
        options = CheckOptions(root=repo, packs=["human-oversight"], use_locker=False)
        inp = dossier_input_from_outcome(run_check(options), prepared_by="Audit Team")
        pdf = base / "dossier.pdf"
        render_dossier(inp, pdf)
        yield pdf, inp


def edited(source: Path, target: Path, edit: object) -> Path:
    writer = pypdf.PdfWriter(clone_from=source)
    edit(writer)  # type: ignore[operator]
    with target.open("wb") as handle:
        writer.write(handle)
    return target


def status(report: object, name: str) -> str:
    (check,) = [c for c in report.checks if c.name == name]  # type: ignore[attr-defined]
    return str(check.status)


def test_a_fresh_dossier_verifies(made: tuple[Path, DossierInput]) -> None:
    pdf, _ = made
    report = verify_dossier(pdf)
    assert report.ok, report.lines()
    assert [c.name for c in report.checks if c.status == "ok"] == [
        "readable PDF",
        "PDF/A-3b",
        "digests recorded",
        "no other attachments",
        f"attachment {RESULT_ATTACHMENT}",
        f"attachment {MANIFEST_ATTACHMENT}",
        "printed digests",
        "manifest and result agree",
        "result schema",
    ]
    assert status(report, "recorded run") == "skipped"
    assert report.attachments == report.recorded
    assert report.lines()[-1] == f"{pdf}: verified"


def test_one_changed_byte_in_the_manifest_fails(
    made: tuple[Path, DossierInput], tmp_path: Path
) -> None:
    pdf, _ = made

    def flip(writer: pypdf.PdfWriter) -> None:
        for attachment in writer.attachment_list:
            if attachment.name == MANIFEST_ATTACHMENT:
                data = bytearray(attachment.content)
                index = data.index(b"sha256:") + 7
                data[index] = ord("0") if data[index] != ord("0") else ord("1")
                attachment.content = bytes(data)

    report = verify_dossier(edited(pdf, tmp_path / "flip.pdf", flip))
    assert not report.ok
    assert status(report, f"attachment {MANIFEST_ATTACHMENT}") == "fail"
    assert status(report, f"attachment {RESULT_ATTACHMENT}") == "ok"
    assert status(report, "manifest and result agree") == "skipped"


def test_rewriting_attachment_and_metadata_together_is_still_caught(
    made: tuple[Path, DossierInput], tmp_path: Path
) -> None:
    """The careful forger also rewrites the XMP digest: the printed page still disagrees."""
    pdf, _ = made
    from govgate.core.evidence import sha256_digest

    def forge(writer: pypdf.PdfWriter) -> None:
        new_content = b""
        old_digest = new_digest = ""
        for attachment in writer.attachment_list:
            if attachment.name == RESULT_ATTACHMENT:
                old_digest = sha256_digest(attachment.content)
                result = json.loads(attachment.content)
                result["gate"] = "pass"
                new_content = (json.dumps(result, indent=2, sort_keys=True) + "\n").encode()
                new_digest = sha256_digest(new_content)
                attachment.content = new_content
        metadata = writer.root_object["/Metadata"].get_object()
        metadata.set_data(metadata.get_data().replace(old_digest.encode(), new_digest.encode()))

    report = verify_dossier(edited(pdf, tmp_path / "forged.pdf", forge))
    assert status(report, f"attachment {RESULT_ATTACHMENT}") == "ok"  # the forgery is consistent
    assert status(report, "printed digests") == "fail"  # ...with everything but the page
    assert status(report, "manifest and result agree") == "fail"  # ...and the manifest
    assert not report.ok


def test_a_missing_attachment_fails(made: tuple[Path, DossierInput], tmp_path: Path) -> None:
    pdf, _ = made

    def drop(writer: pypdf.PdfWriter) -> None:
        for attachment in list(writer.attachment_list):
            if attachment.name == MANIFEST_ATTACHMENT:
                attachment.delete()

    report = verify_dossier(edited(pdf, tmp_path / "dropped.pdf", drop))
    assert not report.ok
    (check,) = [c for c in report.checks if c.name == f"attachment {MANIFEST_ATTACHMENT}"]
    assert (check.status, check.detail) == ("fail", "missing")


def test_an_added_or_duplicated_attachment_fails(
    made: tuple[Path, DossierInput], tmp_path: Path
) -> None:
    pdf, _ = made
    extra = verify_dossier(
        edited(pdf, tmp_path / "extra.pdf", lambda w: w.add_attachment("notes.txt", b"hello"))
    )
    assert status(extra, "no other attachments") == "fail"
    assert not extra.ok

    def duplicate(writer: pypdf.PdfWriter) -> None:
        writer.add_attachment(RESULT_ATTACHMENT, b'{"gate": "pass"}')

    twice = verify_dossier(edited(pdf, tmp_path / "twice.pdf", duplicate))
    (check,) = [c for c in twice.checks if c.name == f"attachment {RESULT_ATTACHMENT}"]
    assert check.status == "fail" and "embedded 2 times" in check.detail


def test_a_pdf_that_is_not_a_dossier(tmp_path: Path) -> None:
    import weasyprint

    plain = tmp_path / "plain.pdf"
    weasyprint.HTML(string="<p>hello</p>").write_pdf(plain)
    report = verify_dossier(plain)
    assert not report.ok
    assert status(report, "PDF/A-3b") == "fail"
    assert status(report, "digests recorded") == "fail"
    assert "not a govgate dossier" in report.lines()[2]

    garbage = tmp_path / "garbage.pdf"
    garbage.write_bytes(b"%PDF-1.7\n" + b"\x00" * 50)
    assert verify_dossier(garbage).ok is False


def test_a_re_saved_pdf_without_pdfa_identification_fails(
    made: tuple[Path, DossierInput], tmp_path: Path
) -> None:
    pdf, _ = made

    def strip(writer: pypdf.PdfWriter) -> None:
        metadata = writer.root_object["/Metadata"].get_object()
        metadata.set_data(metadata.get_data().replace(b'pdfaid:part="3"', b'pdfaid:part="1"'))

    report = verify_dossier(edited(pdf, tmp_path / "a1.pdf", strip))
    assert status(report, "PDF/A-3b") == "fail"
    assert status(report, f"attachment {RESULT_ATTACHMENT}") == "ok"


def test_comparison_with_the_recorded_run(made: tuple[Path, DossierInput]) -> None:
    pdf, inp = made
    digests = frozenset(e.digest for e in inp.evidence)
    same = verify_dossier(
        pdf, recorded_run=RecordedRun("run-7", result=inp.result, evidence_digests=digests)
    )
    assert same.ok
    assert status(same, "recorded run run-7") == "ok"

    other_result = dict(inp.result)
    other_result["gate"] = "pass" if inp.result["gate"] == "fail" else "fail"
    differs = verify_dossier(pdf, recorded_run=RecordedRun("run-8", result=other_result))
    (check,) = [c for c in differs.checks if c.name == "recorded run run-8"]
    assert check.status == "fail" and "gate" in check.detail
    assert not differs.ok

    fewer = verify_dossier(
        pdf, recorded_run=RecordedRun("run-9", evidence_digests=frozenset({"sha256:" + "0" * 64}))
    )
    assert status(fewer, "recorded run run-9") == "fail"

    nothing = verify_dossier(pdf, recorded_run=RecordedRun("run-10"))
    assert status(nothing, "recorded run run-10") == "skipped"
    assert nothing.ok


def test_relationship_names_are_what_pdfa_readers_expect(made: tuple[Path, DossierInput]) -> None:
    pdf, _ = made
    reader = pypdf.PdfReader(pdf)
    specs = [spec.get_object() for spec in reader.trailer["/Root"]["/AF"]]
    assert {spec["/AFRelationship"] for spec in specs} == {
        NameObject("/Source"),
        NameObject("/Data"),
    }
    for spec in specs:
        stream = spec["/EF"]["/F"].get_object()
        assert stream["/Subtype"] == "/application/json"
