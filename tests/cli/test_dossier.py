"""`govgate dossier` end to end on a copy of the loan-approval example, as a user runs it.

The copy gets a waiver file (active, expired and refused waivers, one justification carrying
markup) and a system description with `<script>`, a `file://` image and a remote stylesheet.
The dossier must show all of it as text, be PDF/A-3b with two attachments, render to visible
pages, and verify until one attachment byte changes.
"""

from __future__ import annotations

import functools
import html
import json
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pypdf
import pypdfium2
import pytest
from click.testing import CliRunner

from conftest import EXAMPLES, CliResult, git

HOSTILE = (
    '<script>alert("dossier")</script> <img src="file:///etc/passwd"> '
    '<link rel="stylesheet" href="http://evil.invalid/steal.css">'
)
JUSTIFICATION_GATE = (
    "The limit_increase gate ships with release 2.4 (RISK-112); until then every limit "
    "increase is reviewed by hand by the credit desk."
)
JUSTIFICATION_HOSTILE = f"Accepted for the pilot only {HOSTILE} pending the vendor fix."
APPROVER = "Morgan Approver <morgan@lender.invalid>"


def invoke(*args: str | Path) -> CliResult:
    from govgate.cli.main import main

    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return CliResult(result.exit_code, result.stdout, result.stderr)


@functools.cache
def pdf_text(path: Path) -> str:
    """All text of a PDF, extracted once per file (pypdf needs seconds for a long dossier)."""
    return "\n".join(page.extract_text() or "" for page in pypdf.PdfReader(path).pages)


def squash(text: str) -> str:
    """Text without whitespace: table cells wrap long digests over several lines."""
    return re.sub(r"\s+", "", text)


def words(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def embedded(path: Path, name: str) -> dict:
    (content,) = pypdf.PdfReader(path).attachments[name]
    return json.loads(content)


@dataclass
class Rendered:
    repo: Path
    pdf: Path
    html: Path
    run: CliResult
    html_run: CliResult


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rendered]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOVGATE_DISABLE_PLUGIN_AUTOLOAD", "1")
        mp.setenv("NO_COLOR", "1")
        base = tmp_path_factory.mktemp("dossier-cli")
        repo = base / "loan-approval"
        shutil.copytree(EXAMPLES / "loan-approval", repo, ignore=shutil.ignore_patterns(".govgate"))
        config = repo / "govgate.yaml"
        text = config.read_text(encoding="utf-8")
        text = text.replace(
            "  description: Scores consumer credit applications",
            f"  description: '{HOSTILE} Scores consumer credit applications",
        ).replace("approve / refer / decline.", "approve / refer / decline.'")
        # The waivers below apply without a signed commit (docs/signing.md has that rule).
        text += "approvals: {require_verified: none}\n"
        config.write_text(text, encoding="utf-8")
        # Front matter as model-card tools write it: a list of mappings holding lists.
        card = repo / "docs" / "model_card.md"
        card.write_text(
            "---\nauthors:\n  - name: Ana Ortega\n"
            "    affiliations: [Credit Risk Engineering, Model Risk Office]\n---\n"
            + card.read_text(encoding="utf-8"),
            encoding="utf-8",
        )
        today = date.today()
        (repo / "governance" / "waivers.yaml").write_text(
            "waivers:\n"
            "  - id: W-GATE\n"
            "    rule: HO-1.gate-configured\n"
            "    scope: {items: [limit_increase]}\n"
            f"    justification: {json.dumps(JUSTIFICATION_GATE)}\n"
            "    approver: Head of Credit Risk\n"
            f"    approved: '{today - timedelta(days=10)}'\n"
            f"    expires: '{today + timedelta(days=80)}'\n"
            "    ticket: RISK-112\n"
            "  - id: W-OLD\n"
            "    rule: HO-2.override-allowed\n"
            f"    justification: {json.dumps(JUSTIFICATION_HOSTILE)}\n"
            "    approver: Former CRO\n"
            f"    approved: '{today - timedelta(days=200)}'\n"
            f"    expires: '{today - timedelta(days=5)}'\n",
            encoding="utf-8",
        )
        git(repo, "init", "-q", "-b", "main")
        git(repo, "add", "-A")
        # The approval as git records it: trailers of the commit, by someone other than the
        # approver; no enabled pack reads git.governance_history: the run's sign-off record
        # (git.signoffs) holds it.
        git(
            repo,
            "commit",
            "-q",
            "-m",
            f"example with waivers\n\nApproved-by: {APPROVER}\nReviewed-by: Sam Reviewer",
            env={"GIT_AUTHOR_NAME": "Casey Committer", "GIT_AUTHOR_EMAIL": "casey@lender.invalid"},
        )
        pdf = base / "out" / "x.pdf"
        run = invoke("dossier", repo, "--out", pdf, "--prepared-by", "Audit Team")
        html = base / "out" / "x.html"
        html_run = invoke("dossier", repo, "--out", html, "--html", "--prepared-by", "Audit Team")
        yield Rendered(repo, pdf, html, run, html_run)


def test_writes_a_pdf_and_says_what_it_embedded(rendered: Rendered) -> None:
    assert rendered.run.exit_code == 0, rendered.run.stderr
    assert rendered.pdf.read_bytes().startswith(b"%PDF-")
    assert f"wrote {rendered.pdf} (PDF/A-3b" in rendered.run.stderr
    assert "embedded govgate-result.json  sha256:" in rendered.run.stderr
    assert "embedded govgate-evidence-manifest.json  sha256:" in rendered.run.stderr
    assert rendered.run.stdout == ""


def test_text_holds_every_requirement_of_the_enabled_packs(rendered: Rendered) -> None:
    result = embedded(rendered.pdf, "govgate-result.json")
    text = pdf_text(rendered.pdf)
    requirement_ids = [r["id"] for r in result["requirements"]]
    assert requirement_ids, "the example enables at least one pack"
    enabled = {p["name"] for p in result["packs"]}
    assert {r["pack"] for r in result["requirements"]} <= enabled
    missing = [rid for rid in requirement_ids if rid not in text]
    assert not missing
    for control in result["controls"]:
        assert control["id"] in text


def test_text_holds_waiver_justifications_approvers_and_statuses(rendered: Rendered) -> None:
    text = words(pdf_text(rendered.pdf))
    flat = squash(text)
    assert squash(JUSTIFICATION_GATE) in flat
    assert squash(JUSTIFICATION_HOSTILE) in flat  # literal, markup and all
    assert "Head of Credit Risk" in text
    assert "Former CRO" in text
    assert "expired" in text
    result = embedded(rendered.pdf, "govgate-result.json")
    waived = [f for f in result["findings"] if f["status"] == "waived"]
    assert [f["item"] for f in waived] == ["limit_increase"]


def test_text_holds_every_evidence_digest(rendered: Rendered) -> None:
    manifest = embedded(rendered.pdf, "govgate-evidence-manifest.json")
    digests = [e["digest"] for e in manifest["evidence"]]
    assert digests
    flat = squash(pdf_text(rendered.pdf))
    for digest in digests:
        assert digest in flat


def test_readiness_score_or_why_it_is_absent(rendered: Rendered) -> None:
    result = embedded(rendered.pdf, "govgate-result.json")
    text = words(pdf_text(rendered.pdf))
    readiness = result["readiness"]
    if readiness is not None:
        assert f"{readiness['score']} / {readiness['of']}" in text
        assert readiness["band"] in text
    else:
        assert "Not available: the production-readiness score is computed only when" in text


def test_pages_render_to_visible_images(rendered: Rendered) -> None:
    document = pypdfium2.PdfDocument(str(rendered.pdf))
    try:
        assert len(document) >= 10  # one section per page at least
        for index in range(len(document)):
            image = document[index].render(scale=0.5).to_pil().convert("L")
            width, height = image.size
            # below the running header and above the page number: the page's own content
            body = image.crop((0, int(height * 0.12), width, int(height * 0.9)))
            inked = sum(body.histogram()[:200])
            # a page with one heading and a few lines has a few hundred; a blank one has none
            assert inked > 100, f"page {index + 1} is blank ({inked} inked pixels)"
    finally:
        document.close()


def test_is_pdfa_3b_with_the_two_attachments(rendered: Rendered) -> None:
    reader = pypdf.PdfReader(rendered.pdf)
    xmp = reader.xmp_metadata
    assert xmp is not None
    assert (xmp.pdfaid_part, xmp.pdfaid_conformance) == ("3", "B")
    raw = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b"pdfaExtension:schemas" in raw  # custom XMP properties are described (PDF/A)
    assert b"govgate:resultDigest" in raw
    assert sorted(reader.attachments) == [
        "govgate-evidence-manifest.json",
        "govgate-result.json",
    ]
    root = reader.trailer["/Root"]
    assert len(root["/AF"]) == 2  # PDF/A-3 associated files
    assert root["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"
    relations = {
        spec.get_object()["/UF"]: spec.get_object()["/AFRelationship"] for spec in root["/AF"]
    }
    assert relations == {
        "govgate-result.json": "/Source",
        "govgate-evidence-manifest.json": "/Data",
    }


def test_navigation_toc_page_numbers_and_bookmarks(rendered: Rendered) -> None:
    reader = pypdf.PdfReader(rendered.pdf)
    pages = len(reader.pages)
    contents = words(reader.pages[1].extract_text())
    # "Executive summary ....... 3": the page number of a section, from target-counter().
    match = re.search(r"Executive summary[ .]*?(\d+)", contents)
    assert match is not None, contents[:300]
    summary_page = int(match.group(1))
    assert "Executive summary" in reader.pages[summary_page - 1].extract_text()
    assert f"Page 3 of {pages}" in reader.pages[2].extract_text()
    titles = [item.title for item in reader.outline if not isinstance(item, list)]
    for title in ("Executive summary", "Exceptions register", "How to verify this document"):
        assert title in titles


def test_repository_markup_is_literal_text_in_the_pdf(rendered: Rendered) -> None:
    flat = squash(pdf_text(rendered.pdf))
    assert squash(HOSTILE) in flat
    assert squash('<script>alert("dossier")</script>') in flat


def test_nested_lists_in_evidence_render_as_values_not_python_objects(
    rendered: Rendered,
) -> None:
    assert rendered.run.exit_code == 0, rendered.run.stderr
    html = rendered.html.read_text(encoding="utf-8")
    assert "Model Risk Office" in html and "Ana Ortega" in html
    assert "built-in method" not in html
    assert "built-in method" not in pdf_text(rendered.pdf)


def test_html_is_self_contained_and_escapes_repository_markup(rendered: Rendered) -> None:
    assert rendered.html_run.exit_code == 0, rendered.html_run.stderr
    html = rendered.html.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&#34;dossier&#34;)&lt;/script&gt;" in html
    # The only scripts are the two embedded files, of a type no browser runs.
    scripts = re.findall(r"<script[^>]*>", html)
    inert = '<script type="application/vnd.govgate.attachment+json" data-name="govgate-'
    assert len(scripts) == 2 and all(tag.startswith(inert) for tag in scripts)
    assert '<img src="file:' not in html
    assert "<link" not in html
    assert 'href="http' not in html and 'src="http' not in html
    # the attachments travel inside the file, as data: download links
    assert 'download="govgate-result.json" href="data:application/json;base64,' in html
    assert "PDF/A" in html


def test_verify_passes_then_fails_on_an_altered_attachment(
    rendered: Rendered, tmp_path: Path
) -> None:
    ok = invoke("dossier", "verify", rendered.pdf)
    assert ok.exit_code == 0, ok.stderr
    assert ok.stderr.rstrip().endswith(f"{rendered.pdf}: verified")

    writer = pypdf.PdfWriter(clone_from=rendered.pdf)
    for attachment in writer.attachment_list:
        if attachment.name == "govgate-result.json":
            result = json.loads(attachment.content)
            result["gate"] = "pass"  # the edit an interested party would make
            attachment.content = json.dumps(result, indent=2).encode()
    altered = tmp_path / "altered.pdf"
    with altered.open("wb") as handle:
        writer.write(handle)
    bad = invoke("dossier", "verify", altered)
    assert bad.exit_code == 1
    assert "FAIL  attachment govgate-result.json: sha256 is sha256:" in bad.stderr
    assert "the attachment was changed after the dossier was written" in bad.stderr
    assert "NOT verified" in bad.stderr

    as_json = invoke("dossier", "verify", altered, "--format", "json")
    assert as_json.exit_code == 1
    report = json.loads(as_json.stdout)
    assert report["ok"] is False
    assert report["attachments"]["govgate-result.json"] != report["recorded"]["govgate-result.json"]


def test_second_dossier_reports_the_locker_run_and_verify_compares_with_it(
    rendered: Rendered, tmp_path: Path
) -> None:
    # The first dossier had no recorded run, so it checked and recorded run 1; the HTML one
    # reports that same run from the locker instead of checking again.
    assert "dossier of run #" not in rendered.run.stderr
    assert "dossier of run #1 (" in rendered.html_run.stderr
    assert embedded(rendered.pdf, "govgate-result.json")["run"]["id"] == 1
    # Both routes run the full check: the dossier's "How to verify" page names the second.
    for command in (("verify",), ("dossier", "verify")):
        verified = invoke(*command, rendered.pdf)
        assert verified.exit_code == 0, verified.stderr
        assert "ok    recorded run 1: the embedded result and evidence match" in verified.stderr
    # A fresh dossier checks again and records the next run.
    fresh = tmp_path / "fresh.html"
    again = invoke("dossier", rendered.repo, "--out", fresh, "--html", "--fresh")
    assert again.exit_code == 0, again.stderr
    assert "dossier of run #" not in again.stderr
    listed = invoke("locker", "ls", "--repo", rendered.repo, "--format", "json")
    assert [run["id"] for run in json.loads(listed.stdout)["runs"]][-1] >= 2


def test_pack_option_limits_the_dossier(rendered: Rendered, tmp_path: Path) -> None:
    out = tmp_path / "only.html"
    run = invoke("dossier", rendered.repo, "--out", out, "--html", "--pack", "human-oversight")
    assert run.exit_code == 0, run.stderr
    unknown = invoke("dossier", rendered.repo, "--out", out, "--pack", "no-such-pack")
    assert unknown.exit_code == 2
    assert "unknown pack 'no-such-pack'" in unknown.stderr


def test_custom_templates_override_partials_and_remote_urls_are_refused(
    rendered: Rendered, tmp_path: Path
) -> None:
    brand = tmp_path / "brand"
    brand.mkdir()
    (brand / "logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">'
        '<rect width="40" height="20" fill="#000"/></svg>',
        encoding="utf-8",
    )
    (brand / "cover.html").write_text(
        "<h1 class='cover-title'>ACME Bank audit pack: {{ cover.system_name }}</h1>\n"
        "<img src=\"{{ asset('logo.svg') }}\" alt='logo'>\n"
        "<img src='logo.svg' alt='relative logo'>\n"
        "<img src='file:///etc/passwd' alt='x'>\n"
        "<link rel='stylesheet' href='http://evil.invalid/brand.css'>\n"
        "<img src='../../../../../../etc/hostname' alt='y'>\n",
        encoding="utf-8",
    )
    out = tmp_path / "brand.pdf"
    run = invoke(
        "dossier", rendered.repo, "--out", out, "--templates", brand, "--pack", "human-oversight"
    )
    assert run.exit_code == 0, run.stderr
    assert "ACME Bank audit pack: loan-approval" in pdf_text(out)
    assert "not loaded: file:///etc/passwd (outside the template folder)" in run.stderr
    assert "not loaded: http://evil.invalid/brand.css (http URLs are never fetched)" in run.stderr
    assert "/etc/hostname (outside the template folder)" in run.stderr
    assert "logo.svg" not in run.stderr  # served from the template folder


def test_missing_out_and_bad_template_folder_are_usage_errors(
    rendered: Rendered, tmp_path: Path
) -> None:
    missing = invoke("dossier", rendered.repo)
    assert missing.exit_code == 2
    assert "Missing option '--out'" in missing.stderr
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "summary.html").write_text("{{ summary.no_such_field.x }}\n", encoding="utf-8")
    run = invoke(
        "dossier", rendered.repo, "--out", tmp_path / "b.html", "--html", "--templates", broken
    )
    assert run.exit_code == 2
    assert "dossier template summary.html:1:" in run.stderr
    assert "no_such_field" in run.stderr
    assert not (tmp_path / "b.html").exists()


def test_verify_of_a_file_that_is_not_a_dossier(tmp_path: Path) -> None:
    text = tmp_path / "notes.pdf"
    text.write_text("not a pdf at all\n", encoding="utf-8")
    run = invoke("dossier", "verify", text)
    assert run.exit_code == 2  # by its content it is neither PDF nor HTML: one line says so
    assert run.stderr == (
        f"govgate: error: {text}: is neither PDF nor HTML, so not a govgate dossier or report; "
        "nothing was verified\n"
    )
    damaged = tmp_path / "damaged.pdf"
    damaged.write_bytes(b"%PDF-1.7\n" + b"garbage\n" * 20)
    broken = invoke("dossier", "verify", damaged)
    assert broken.exit_code == 1
    assert "FAIL  readable PDF: cannot be read as a PDF" in broken.stderr
    absent = invoke("dossier", "verify", tmp_path / "absent.pdf")
    assert absent.exit_code == 2


def test_progress_line_only_on_a_terminal() -> None:
    import io

    from govgate.cli.dossier import TerminalProgress

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("CI", raising=False)
        terminal = Tty()
        progress = TerminalProgress(terminal, "dossier")
        progress(0, None, "applying styles")
        progress(120, 120, "done")
        progress.close()
        assert "govgate: dossier: applying styles" in terminal.getvalue()
        assert "done 120/120" in terminal.getvalue()
        assert terminal.getvalue().endswith("\r")
        mp.setenv("CI", "true")
        in_ci = Tty()
        TerminalProgress(in_ci, "dossier")(3, None, "laying out pages")
        assert in_ci.getvalue() == ""
    piped = io.StringIO()
    TerminalProgress(piped, "dossier")(3, None, "laying out pages")
    assert piped.getvalue() == ""


def test_approvals_and_the_waiver_files_committer_come_from_git(rendered: Rendered) -> None:
    result = embedded(rendered.pdf, "govgate-result.json")
    assert "git.governance_history" not in {e["kind"] for e in result["evidence"]}
    page_text = html.unescape(re.sub(r"<[^>]+>", " ", html_of(rendered)))
    for text in (words(pdf_text(rendered.pdf)), words(page_text)):
        flat = squash(text)
        # the row of a governance file: approver (e-mail masked), reviewer, last author
        row = r"governance/oversight\.yamlMorganApprover<m\*\*\*@l\*\*\*\.invalid>SamReviewerCasey"
        assert re.search(row, flat), flat[flat.find("Approvalsrecordedingit") :][:600]
        assert squash("sign-off record of run #1 (evidence kind git.signoffs)") in flat
        assert squash("collected from the repository's git during the run") in flat
        # per waiver: who committed the waiver file, beside the approver the YAML names
        assert squash("Head of Credit Risk") in flat
        assert flat.count(squash("governance/waivers.yaml last committed by Casey Committer")) == 2
        # e-mail addresses in authors and trailers are masked, as in all evidence
        assert "lender.invalid" not in text
    # the sign-off record is the run's evidence: the result and the manifest list it
    assert "git.signoffs" in {e["kind"] for e in result["evidence"]}
    manifest = embedded(rendered.pdf, "govgate-evidence-manifest.json")
    assert "git.governance_history" not in {e["kind"] for e in manifest["evidence"]}
    assert "git.signoffs" in {e["kind"] for e in manifest["evidence"]}


def html_of(rendered: Rendered) -> str:
    return rendered.html.read_text(encoding="utf-8")


def test_a_clean_run_is_not_flagged(rendered: Rendered) -> None:
    assert embedded(rendered.pdf, "govgate-result.json")["target"]["dirty"] is False
    assert "uncommitted changes present" not in words(pdf_text(rendered.pdf))
    assert "uncommitted" not in rendered.html_run.stderr
    assert "HEAD is now" not in rendered.html_run.stderr


@pytest.mark.slow
def test_a_dirty_working_tree_is_flagged_and_the_locker_dossier_refuses_it(
    example_repo: Callable[[str], Path], tmp_path: Path
) -> None:
    repo = example_repo("loan-approval")
    oversight = repo / "governance" / "oversight.yaml"
    oversight.write_text(oversight.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    out = tmp_path / "d.html"

    def cover(run: CliResult) -> str:
        assert run.exit_code == 0, run.stderr
        text = words(re.sub(r"<[^>]+>", " ", out.read_text(encoding="utf-8")))
        return text[: text.index("Dossier generated")]

    first = invoke("dossier", repo, "--out", out, "--html")  # no recorded run: checks now
    assert "uncommitted changes present at the time of the run" in cover(first)
    assert "dossier of run #" not in first.stderr
    recorded = json.loads(invoke("locker", "show", "1", "--repo", repo).stdout)
    assert recorded["record"]["result"]["target"]["dirty"] is True

    # The latest run was dirty: by default the dossier refuses to pass it off as the commit.
    again = invoke("dossier", repo, "--out", out, "--html")
    assert again.exit_code == 2
    (line,) = again.stderr.splitlines()
    assert line.startswith(
        "govgate: error: the latest recorded run #1 was made with uncommitted changes to "
        "tracked files, so it does not show commit "
    )
    assert "use --fresh for a dossier of the current state, or --from-run 1" in line
    chosen = invoke("dossier", repo, "--out", out, "--html", "--from-run", "1")
    assert "uncommitted changes present at the time of the run" in cover(chosen)
    assert "locker run #1" in cover(chosen)
    assert (
        "govgate: warning: run #1 was made with uncommitted changes to tracked files, so it "
        "did not check commit"
    ) in chosen.stderr
    assert "(there are uncommitted changes now too)" in chosen.stderr

    git(repo, "commit", "-q", "-am", "edit oversight")  # HEAD moves, the tree is clean
    moved = invoke("dossier", repo, "--out", out, "--html")
    assert moved.exit_code == 2 and "but HEAD is" in moved.stderr
    moved = invoke("dossier", repo, "--out", out, "--html", "--from-run", "latest")
    cover(moved)
    assert "warning: run #1 was made with uncommitted changes" in moved.stderr
    assert "(there are uncommitted changes now too)" not in moved.stderr
    assert "govgate: warning: HEAD is now" in moved.stderr

    fresh = invoke("dossier", repo, "--out", out, "--html", "--fresh")  # run 2, committed
    assert "uncommitted changes present" not in cover(fresh)
    assert "warning" not in fresh.stderr.replace("warning: renderer", "")

    oversight.write_text("# edited again\n", encoding="utf-8")  # dirty after the run
    later = invoke("dossier", repo, "--out", out, "--html")
    assert "uncommitted changes present" not in cover(later)  # run 2 itself was clean
    assert (
        "govgate: warning: the working tree has uncommitted changes to tracked files since "
        "run #2; use --fresh"
    ) in later.stderr
    assert "HEAD is now" not in later.stderr


@pytest.mark.slow
def test_a_run_on_another_branch_is_refused_not_described(
    example_repo: Callable[[str], Path], tmp_path: Path
) -> None:
    repo = example_repo("loan-approval")
    git(repo, "checkout", "-q", "-b", "feature/refunds")
    (repo / "docs" / "privacy_notice.md").unlink()
    git(repo, "commit", "-q", "-am", "refunds: no notice yet")
    assert invoke("check", repo).exit_code == 1  # recorded as run 1, on the feature branch
    git(repo, "checkout", "-q", "-")
    out = tmp_path / "main.html"
    refused = invoke("dossier", repo, "--out", out, "--html")
    assert refused.exit_code == 2
    assert not out.exists()
    (line,) = refused.stderr.splitlines()
    assert "run #1 checked commit" in line and "on branch feature/refunds" in line
    assert "--fresh" in line and "--from-run 1" in line
    fresh = invoke("dossier", repo, "--out", out, "--html", "--fresh")
    assert fresh.exit_code == 0, fresh.stderr
    assert "locker run #2" in out.read_text(encoding="utf-8")
    mixed = invoke("dossier", repo, "--out", out, "--from-run", "1", "--fresh")
    assert mixed.exit_code == 2 and "cannot go with --fresh" in mixed.stderr


def _one_byte_changed_in_embedded_result(source: Path, target: Path) -> None:
    """A copy of an HTML document whose embedded result differs by one byte (its recorded
    digest left as it was): what an edit of the result by hand looks like."""
    import base64

    text = source.read_text(encoding="utf-8")
    found = re.search(r'data-name="govgate-result.json" data-sha256="[^"]*">([^<]*)<', text)
    assert found
    data = bytearray(base64.b64decode(found.group(1)))
    at = data.index(b'"gate": "')
    data[at + 9] = ord("p") if data[at + 9] != ord("p") else ord("f")
    forged = base64.b64encode(bytes(data)).decode("ascii")
    target.write_text(text.replace(found.group(1), forged), encoding="utf-8")


def test_verify_knows_an_html_dossier_by_its_content(rendered: Rendered, tmp_path: Path) -> None:
    for command in (("verify",), ("dossier", "verify")):
        verified = invoke(*command, rendered.html)
        assert verified.exit_code == 0, verified.stderr
        assert "ok    govgate HTML document: an HTML dossier written by govgate" in verified.stderr
        assert "ok    recorded run 1: the embedded result and evidence match" in verified.stderr
        assert "pdf header" not in verified.stderr.lower()
    forged = tmp_path / "forged.html"
    _one_byte_changed_in_embedded_result(rendered.html, forged)
    for command in (("verify",), ("dossier", "verify")):
        failed = invoke(*command, forged)
        assert failed.exit_code == 1
        assert "FAIL  attachment govgate-result.json: sha256 is" in failed.stderr
        assert f"{forged}: NOT verified (" in failed.stderr.splitlines()[-1]


def test_verify_goes_by_content_not_by_name(rendered: Rendered, tmp_path: Path) -> None:
    renamed = tmp_path / "dossier.html"
    shutil.copyfile(rendered.pdf, renamed)  # a PDF under an HTML name is still a PDF
    assert "ok    readable PDF" in invoke("verify", renamed).stderr
    locker = tmp_path / "locker.pdf"
    shutil.copyfile(rendered.repo / ".govgate" / "locker.db", locker)
    as_locker = invoke("verify", locker)
    assert as_locker.exit_code == 0 and "locker OK" in as_locker.output
    notes = tmp_path / "notes.html"
    notes.write_text("just some notes\n", encoding="utf-8")
    refused = invoke("dossier", "verify", notes)
    assert refused.exit_code == 2
    assert refused.stderr == (
        f"govgate: error: {notes}: is neither PDF nor HTML, so not a govgate dossier or report; "
        "nothing was verified\n"
    )
    refused = invoke("verify", notes)  # neither PDF nor HTML: checked as a locker, which it is not
    assert refused.exit_code == 2
    (line,) = refused.stderr.splitlines()
    assert line.startswith(f"govgate: error: {notes}: is not an evidence locker")
    assert line.endswith("a dossier (PDF or HTML) or a report")
    page = tmp_path / "page.html"
    page.write_text("<!DOCTYPE html><html><body>hello</body></html>", encoding="utf-8")
    other = invoke("dossier", "verify", page)
    assert other.exit_code == 1
    assert "FAIL  govgate HTML document: no govgate document marker" in other.stderr
