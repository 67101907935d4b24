"""Personal data where users put it (a waiver's approver, justification and ticket, a file name,
data files in the formats real repositories hold, the values an error quotes, the groups of a
fairness analysis) never reaches an output raw.

One real `govgate check` over a copy of the loan-approval example writes every report format,
then `govgate dossier` writes the PDF and the HTML dossier; every byte of them, of stderr, of the
PDF's text and attachments and of every row of the evidence locker is searched.
"""

from __future__ import annotations

import bz2
import json
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pypdf
import pytest
from hostile.harness import (
    ALL_FORMATS,
    Finished,
    leaks,
    locker_texts,
    pdf_text,
    run_govgate,
    validate_outputs,
)

from conftest import EXAMPLES, CliResult, git

APPROVER = "jane.roe@corp-example.org"
JUSTIFICATION = "Agreed with mary.major@corp-example.org, who can be reached on 020 7946 0958."
TICKET = "GRC-2291 for SSN 536-22-8197, card 4111 1111 1111 1111"
FILE_NAME = "governance/dpia/john.doe@example.com.md"
#: Every raw value planted, and the fragments that would identify someone.
RAW = (
    APPROVER,
    "jane.roe",
    "mary.major",
    "corp-example",
    "john.doe",
    "020 7946 0958",
    "536-22-8197",
    "4111 1111 1111 1111",
    "4111111111111111",
    "planted-mail",  # the domain of the addresses in the data files
)
#: Data files in the formats the scan used to skip, each holding addresses and SSNs.
DATA_FILES = ("data/people.utf16.csv", "data/people.parquet", "data/people.zip", "data/people.bz2")


def _rows() -> list[dict[str, str]]:
    return [{"email": f"person{n}@planted-mail.org", "ssn": "536-22-8197"} for n in range(50)]


def plant(repo: Path) -> None:
    """The waiver, the file name and the data files of the module's docstring."""
    waivers = repo / "governance" / "waivers.yaml"
    text = waivers.read_text(encoding="utf-8")
    start = text.index("    justification:")
    end = text.index("    approved:")
    text = (
        text[:start]
        + f"    justification: {json.dumps(JUSTIFICATION)}\n    approver: {APPROVER}\n"
        + text[end:]
    )
    text = text.replace("ticket: GRC-2291", f"ticket: {json.dumps(TICKET)}")
    waivers.write_text(text, encoding="utf-8")
    dpia = repo / "governance" / "dpia"
    shutil.copy(dpia / "loan-approval.md", repo / FILE_NAME)
    csv = "email,ssn\n" + "".join(f"{r['email']},{r['ssn']}\n" for r in _rows())
    (repo / DATA_FILES[0]).write_bytes(csv.encode("utf-16"))
    pq.write_table(pa.Table.from_pylist(_rows()), repo / DATA_FILES[1])
    with zipfile.ZipFile(repo / DATA_FILES[2], "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("export/people.csv", csv)
    (repo / DATA_FILES[3]).write_bytes(bz2.compress(csv.encode()))


@dataclass
class Outputs:
    repo: Path
    out: Path
    check: Finished
    dossier: Finished
    dossier_html: Finished
    documents: dict[str, Any]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Outputs:
    base = tmp_path_factory.mktemp("personal")
    repo = base / "repo"
    shutil.copytree(EXAMPLES / "loan-approval", repo, ignore=shutil.ignore_patterns(".govgate"))
    plant(repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "planted")
    out = base / "out"
    check = run_govgate("check", repo, "--format", ALL_FORMATS, "--output-dir", out)
    assert check.returncode == 1, check.stderr[-3000:]
    dossier = run_govgate("dossier", repo, "--out", out / "dossier.pdf")
    dossier_html = run_govgate("dossier", repo, "--html", "--out", out / "dossier.html")
    assert dossier.returncode == 0 and dossier_html.returncode == 0, dossier.stderr[-3000:]
    return Outputs(repo, out, check, dossier, dossier_html, validate_outputs(out))


def every_output(run: Outputs) -> list[tuple[str, bytes]]:
    found = [(p.name, p.read_bytes()) for p in sorted(run.out.iterdir()) if p.suffix != ".pdf"]
    for name, finished in (("check", run.check), ("dossier", run.dossier)):
        found.append((f"stderr of {name}", finished.stderr.encode("utf-8")))
        found.append((f"stdout of {name}", finished.stdout.encode("utf-8")))
    pdf = run.out / "dossier.pdf"
    found.append(("dossier.pdf text", pdf_text(pdf).encode("utf-8")))
    for name, contents in pypdf.PdfReader(pdf).attachments.items():
        found.extend((f"dossier.pdf attachment {name}", content) for content in contents)
    found.extend(locker_texts(run.repo / ".govgate"))
    return found


@pytest.mark.slow
def test_no_raw_value_in_any_output_or_locker_row(outputs: Outputs) -> None:
    haystacks = every_output(outputs)
    names = {where.split(":")[-1] for where, _ in haystacks}

    assert leaks(haystacks, RAW) == []
    # The search saw every format, the dossier's embedded result and every locker table.
    assert {"govgate.json", "govgate.sarif", "govgate.junit.xml", "govgate.md"} <= names
    assert {"govgate.github.txt", "govgate.oscal.json", "govgate.txt", "dossier.html"} <= names
    assert {"runs", "evidence", "collector_cache"} <= names
    assert any(where.startswith("dossier.pdf attachment") for where, _ in haystacks)
    # ... and the values were there, masked: the waiver and the file name in each format.
    result = outputs.documents["json"]
    (waiver,) = result["waivers"]
    assert waiver["approver"] == "j***@c***.org"
    assert waiver["justification"] == (
        "Agreed with m***@c***.org, who can be reached on *** **** **58."
    )
    assert waiver["ticket"] == "GRC-2291 for SSN ***-**-**97, card **** **** **** 1111"
    masked_name = "governance/dpia/j***@e***.md"
    for name in ("txt", "json", "sarif", "junit.xml", "md", "oscal.json"):
        assert masked_name in (outputs.out / f"govgate.{name}").read_text("utf-8"), name
    assert "j***@c***.org" in (outputs.out / "dossier.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_data_files_in_the_formats_real_repositories_hold_fail_gd6(outputs: Outputs) -> None:
    findings = {f["rule"]: f for f in outputs.documents["json"]["findings"]}

    assert findings["GD-6.files-scanned"]["status"] == "pass"  # every file could be read
    files = findings["GD-6.files-without-pii"]
    assert files["status"] == "fail"
    for path in DATA_FILES:
        assert path in files["message"], path
    assert "200 national id" in files["message"]  # 50 SSNs in each of the four files


# -- errors on stderr (exit 2) ---------------------------------------------------------------------

CONFIG = "version: 1\nsystem:\n  name: x\n  risk: high\npacks: [gdpr]\n"

ERRORS = {
    "a duplicate key": CONFIG + f"labels:\n  {APPROVER}: 1\n  {APPROVER}: 2\n",
    "an enum value": CONFIG.replace("risk: high", f"risk: {APPROVER}"),
    "an unknown key": CONFIG.replace("  risk: high", f"  risk: high\n  {APPROVER}: 1"),
    "an unknown pack": CONFIG.replace("[gdpr]", f"[{APPROVER}]"),
    "an unknown collector": CONFIG + f"collectors:\n  {APPROVER}: {{}}\n",
}


@pytest.mark.parametrize("what", sorted(ERRORS))
def test_an_error_quoting_a_personal_value_masks_it(
    what: str, make_repo: Callable[..., Any], run_cli: Callable[..., CliResult]
) -> None:
    repo = make_repo({"govgate.yaml": ERRORS[what]})

    done = run_cli("check", repo.path)

    assert done.exit_code == 2, done.output
    assert "govgate: error:" in done.stderr and "***@c***.org" in done.stderr, done.stderr
    assert "jane.roe" not in done.output and "corp-example" not in done.output


def test_a_duplicate_waiver_id_is_masked_in_the_error(
    make_repo: Callable[..., Any], run_cli: Callable[..., CliResult]
) -> None:
    waiver = (
        "  - id: 536-22-8197\n    rule: GD-6.files-without-pii\n"
        "    justification: an exception long enough to be accepted\n"
        "    approver: Head of Compliance\n    approved: '2026-01-01'\n    expires: '2026-02-01'\n"
    )
    repo = make_repo(
        {
            "govgate.yaml": CONFIG + "waivers: waivers.yaml\n",
            "waivers.yaml": "waivers:\n" + waiver + waiver,
        }
    )

    done = run_cli("check", repo.path)

    assert done.exit_code == 2, done.output
    assert "duplicate waiver id '***-**-**97'" in done.stderr, done.stderr
    assert "536-22-8197" not in done.output


# -- govgate fairness ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_fairness_masks_group_names(
    fmt: str, tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    rows = [f"person{n % 5}@planted-mail.org,{'approve' if n % 2 else 'deny'}" for n in range(200)]
    table = tmp_path / "p.csv"
    table.write_text("email,decision\n" + "\n".join(rows) + "\n", encoding="utf-8")

    done = run_cli(
        "fairness", table, "--prediction", "decision", "--positive", "approve",
        "--attr", "email", "--format", fmt,
    )  # fmt: skip

    assert done.exit_code == 0, done.output
    assert "planted-mail" not in done.output and "person" not in done.output
    assert done.stdout.count("p***@p***.org") >= 5  # the groups are there, masked
