"""A repository built to break govgate: every hostile input is reported naming its file, the
run stays within time and memory, nothing outside the repository is read, and no output (JSON,
SARIF, JUnit, Markdown, GitHub, OSCAL, text, the dossier's PDF and HTML, the locker) carries
personal data or live HTML.

One real `govgate check` over the hostile repository (all formats), then `govgate dossier`
(PDF and HTML) and `govgate verify` on the locker it recorded; the tests read what they wrote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pypdf
import pytest
from hostile.harness import (
    ALL_FORMATS,
    CANARY,
    PII,
    PII_LEAK_FORMS,
    SCRIPT,
    Finished,
    HostileRepository,
    leaks,
    locker_texts,
    pdf_text,
    run_govgate,
    validate_outputs,
)

from govgate.outputs.embedded import EMBED_TYPE

#: Peak RSS the check may reach with a 2 GB file, 50 MB lines and a 120 MB gzip in the
#: repository: a generous bound, far below the file sizes it would take to buffer them.
MEMORY_BOUND_MB = 1024
#: A hang detector, not a speed check (the check takes about a minute on 2 busy cores).
HANG_SECONDS = 900

pytestmark = pytest.mark.slow


@dataclass
class HostileRun:
    repo: HostileRepository
    out: Path
    check: Finished
    outputs: dict[str, Any]
    dossier: Finished
    dossier_html: Finished
    verify: Finished

    @property
    def result(self) -> dict[str, Any]:
        return dict(self.outputs["json"])


@pytest.fixture(scope="session")
def hostile_run(hostile_repo: HostileRepository) -> HostileRun:
    out = hostile_repo.path.parent / "out"
    check = run_govgate(
        "check", hostile_repo.path, "--format", ALL_FORMATS, "--output-dir", out,
        timeout=HANG_SECONDS,
    )  # fmt: skip
    assert not check.timed_out, "govgate check hung on the hostile repository"
    assert check.returncode == 1, check.stderr[-3000:]
    outputs = validate_outputs(out)
    dossier = run_govgate(
        "dossier", hostile_repo.path, "--out", out / "dossier.pdf", timeout=HANG_SECONDS
    )
    dossier_html = run_govgate(
        "dossier", hostile_repo.path, "--html", "--out", out / "dossier.html", timeout=HANG_SECONDS
    )
    verify = run_govgate("verify", hostile_repo.path, timeout=HANG_SECONDS)
    return HostileRun(hostile_repo, out, check, outputs, dossier, dossier_html, verify)


def diagnostics_of(result: dict[str, Any], path: str) -> list[str]:
    return [f"{d['level']} {d['message']}" for d in result["diagnostics"] if d["path"] == path]


def test_the_check_fails_closed_in_bounded_memory(hostile_run: HostileRun, reliability) -> None:
    check = hostile_run.check
    assert "Traceback" not in check.stderr
    assert "internal error" not in check.stderr
    assert check.peak_rss_mb < MEMORY_BOUND_MB, check.peak_rss_mb
    result = hostile_run.result
    assert result["gate"] == "fail"
    # Every collector finished: a hostile file is the file's problem, never a crash.
    assert {c["name"]: c["status"] for c in result["collectors"]} == {
        c["name"]: "ok" for c in result["collectors"]
    }, [c for c in result["collectors"] if c["status"] != "ok"]
    measured = {"seconds": round(check.seconds, 1), "peak_rss_mb": round(check.peak_rss_mb)}
    for cls, what in (
        ("sparse-2gb", "read past without buffering"),
        ("single-line-50mb", "refused or streamed"),
        ("compression-bomb", "streamed"),
    ):
        reliability.record(
            cls,
            f"{what}; whole check exit 1 in {measured['seconds']} s, "
            f"peak RSS {measured['peak_rss_mb']} MB (bound {MEMORY_BOUND_MB} MB)",
            **measured,
        )


def test_each_hostile_input_is_reported_naming_its_file(
    hostile_run: HostileRun, reliability
) -> None:
    result = hostile_run.result
    seen: dict[str, list[str]] = {}
    for planted in hostile_run.repo.planted:
        if planted.says is None:
            continue
        messages = diagnostics_of(result, planted.path)
        matching = [m for m in messages if all(word in m.lower() for word in planted.says)]
        assert matching, (planted, messages)
        seen.setdefault(planted.cls, []).append(f"{planted.path}: {matching[0]}")
    for cls, reports in sorted(seen.items()):
        reliability.record(cls, "reported naming the file: " + " | ".join(reports[:2]))


def test_a_file_that_could_not_be_read_never_passes(hostile_run: HostileRun) -> None:
    result = hostile_run.result
    unreadable = {p.path for p in hostile_run.repo.planted if p.says}
    digests = {
        e["digest"]: e["source"]["path"]
        for e in result["evidence"]
        if e["source"].get("path") in unreadable
    }
    assert digests  # the unreadable files are cited as evidence (with their problem)
    passing = [
        (f["rule"], digests[ref["digest"]])
        for f in result["findings"]
        for ref in f["evidence"]
        if ref["digest"] in digests and f["status"] == "pass"
    ]
    assert passing == []
    # The decision-log summary left unreadable logs out: nothing may pass on it.
    summary = [
        f
        for f in result["findings"]
        if any(r["kind"] == "decision_log.summary" for r in f["evidence"])
    ]
    assert summary and {f["status"] for f in summary} <= {"fail", "error"}


def test_readable_quirks_are_read_not_refused(hostile_run: HostileRun, reliability) -> None:
    result = hostile_run.result
    for path in ("governance/fria/bom.md", "reports/eval/bom.yaml", "governance/lia/crlf.md"):
        errors = [m for m in diagnostics_of(result, path) if m.startswith("error")]
        assert errors == [], (path, errors)
    evidence = {e["source"]["path"]: e for e in result["evidence"] if e["source"].get("path")}
    assert "governance/fria/bom.md" in evidence and "reports/eval/bom.yaml" in evidence
    # The e-mail at 50 MB into one line was found (the scan's own counts, in the locker) ...
    (scan,) = _stored_evidence(hostile_run.repo.path, "pii.scan")
    assert {"path": "data/oneline.txt", "counts": ANY_EMAIL} in scan["by_path"]
    # ... but data/ also holds binary files the scan cannot read, so GD-6 cannot pass.
    gd6 = {f["rule"]: f for f in result["findings"] if f["rule"].startswith("GD-6.files-")}
    assert gd6["GD-6.files-scanned"]["status"] == "fail"
    assert "data/sparse.bin" in gd6["GD-6.files-scanned"]["message"]
    assert gd6["GD-6.files-without-pii"]["status"] == "skipped"
    reliability.record("bom-utf8", "UTF-8 BOM skipped; front matter, YAML, CSV and XML read")
    reliability.record("crlf-mixed-endings", "read without a diagnostic; headings found")
    reliability.record(
        "empty-file", "empty JSON reported as invalid JSON; empty Markdown/JSONL read as empty"
    )


class _AnyEmail(dict):  # type: ignore[type-arg]
    """Per-type counts with at least one e-mail address."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, dict) and other.get("email", 0) >= 1


ANY_EMAIL = _AnyEmail()


def _stored_evidence(repo: Path, kind: str) -> list[dict[str, Any]]:
    """The data of the evidence of `kind` the locker stored for the run."""
    import json
    import sqlite3

    connection = sqlite3.connect(f"file:{repo / '.govgate' / 'locker.db'}?mode=ro", uri=True)
    try:
        rows = connection.execute("SELECT data FROM evidence WHERE kind = ?", (kind,)).fetchall()
    finally:
        connection.close()
    return [json.loads(data) for (data,) in rows]


def test_nothing_outside_the_repository_is_read(hostile_run: HostileRun, reliability) -> None:
    haystacks = _every_output(hostile_run)
    assert leaks(haystacks, (CANARY,)) == []
    # The checks must be able to see the canary if it got in: the files it sits in exist.
    assert CANARY in (hostile_run.repo.outside / "canary.md").read_text(encoding="utf-8")
    outcome = f"canary content in none of {len(haystacks)} places searched (reports, PDF, locker)"
    for cls in ("symlink-outside", "symlink-dir-outside", "xml-external-entity"):
        reliability.record(cls, outcome)
    reliability.record("symlink-loop", "refused as a symlink loop, named")


def test_no_personal_data_in_any_output(hostile_run: HostileRun, reliability) -> None:
    haystacks = _every_output(hostile_run)
    assert leaks(haystacks, PII_LEAK_FORMS) == []
    # Masked forms are what is there instead (the check sees the fields at all).
    assert "h***@l***.org" in hostile_run.outputs["texts"]["json"]
    reliability.record(
        "pii-in-every-field",
        f"none of the {len(PII)} planted values, nor {len(PII_LEAK_FORMS) - len(PII)} fragments "
        f"of them, in any of {len(haystacks)} places searched (7 report formats, stderr, the "
        "dossier's PDF text, attachments and HTML, every locker file and row); masked forms only",
    )


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _live_markup(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(html)
    # The HTML dossier's embedded files are <script> elements of a type no browser runs.
    inert = {"type": EMBED_TYPE}
    return [
        (tag, attrs)
        for tag, attrs in parser.tags
        if (
            tag in ("script", "img", "iframe")
            and not (tag == "script" and inert.items() <= attrs.items())
        )
        or any(k.startswith("on") for k in attrs)
    ]


def test_no_live_html_and_no_forged_lines(hostile_run: HostileRun, reliability) -> None:
    outputs = hostile_run.outputs
    texts = outputs["texts"]
    assert SCRIPT in texts["json"]  # the payload reached the results...
    assert _live_markup(outputs["markdown_html"]) == []  # ...but renders as text on GitHub
    html = (hostile_run.out / "dossier.html").read_text(encoding="utf-8")
    assert _live_markup(html) == []
    assert "&lt;script&gt;alert(" in html
    assert "govgate-xss" in pdf_text(hostile_run.out / "dossier.pdf")  # shown, as text
    tags = {element.tag for element in outputs["junit_tree"].iter()}
    assert tags <= {"testsuites", "testsuite", "testcase", "failure", "error", "skipped",
                    "properties", "property", "system-out", "system-err"}  # fmt: skip
    for run in outputs["sarif"]["runs"]:
        for item in run["results"]:
            assert "<script" not in item["message"].get("markdown", "")
    # Text and annotations: one printable line per entry, whatever a name or value holds.
    for name in ("text", "github"):
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", texts[name]), name
    lines = texts["text"].splitlines()
    assert not any(line.startswith(("forged line", "break.md")) for line in lines)
    assert "\\u001b[31mred\\u0007" in texts["text"]  # the decision type named with escapes
    outcome = "escaped in Markdown, HTML dossier, JUnit and SARIF; shown as text in the PDF"
    reliability.record("html-in-free-text", outcome)
    reliability.record(
        "hostile-file-name", "shown escaped; a newline in a name cannot start a report line"
    )
    reliability.record(
        "control-characters", "shown as \\uXXXX in text output; %-escaped in annotations"
    )


def test_the_dossier_and_the_locker_survive_the_hostile_run(
    hostile_run: HostileRun, reliability
) -> None:
    assert hostile_run.dossier.returncode == 0, hostile_run.dossier.stderr[-2000:]
    assert hostile_run.dossier_html.returncode == 0, hostile_run.dossier_html.stderr[-2000:]
    assert hostile_run.verify.returncode == 0, hostile_run.verify.stderr
    assert "locker OK: 1 runs" in hostile_run.verify.stderr
    for finished in (hostile_run.dossier, hostile_run.dossier_html, hostile_run.verify):
        assert "Traceback" not in finished.stderr
        assert finished.peak_rss_mb < MEMORY_BOUND_MB


def _every_output(run: HostileRun) -> list[tuple[str, bytes]]:
    found = [(str(p), p.read_bytes()) for p in sorted(run.out.iterdir()) if p.suffix != ".pdf"]
    found.append(("stderr of check", run.check.stderr.encode("utf-8")))
    found.append(("stderr of dossier", run.dossier.stderr.encode("utf-8")))
    pdf = run.out / "dossier.pdf"
    found.append(("dossier.pdf text", pdf_text(pdf).encode("utf-8")))
    for name, contents in pypdf.PdfReader(pdf).attachments.items():
        found.extend((f"dossier.pdf attachment {name}", content) for content in contents)
    found.extend(locker_texts(run.repo.path / ".govgate"))
    return found
