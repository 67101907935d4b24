"""The pii collector on real files, and planted personal data kept out of everything.

The last test plants known values (an e-mail, a phone number, an SSN, a valid card number, a
valid IBAN, an IP address) in every evidence source the decision_logs, test_reports and pii
collectors read, runs `govgate check` for real, and asserts none of the raw values appears in
any evidence item, the JSON result, the text report or the evidence locker.
"""

from __future__ import annotations

import gzip
import io
import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from govgate_collectors.decision_logs import DecisionLogsCollector
from govgate_collectors.pii import PiiCollector, pieces
from govgate_collectors.test_reports import TestReportsCollector
from jsonschema import Draft202012Validator

from govgate.core.collector import CollectContext, RepoFiles
from govgate.core.evidence import Evidence, canonical_json

from conftest import CliResult

NOW = datetime(2026, 4, 1, tzinfo=UTC)

EMAIL = "jane.doe@example.com"
PHONE = "(555) 010-4477"
SSN = "123-45-6789"
CARD = "4111 1111 1111 1111"
IBAN = "DE89 3704 0044 0532 0130 00"
IP = "192.0.2.44"
PLANTED = (EMAIL, PHONE, SSN, CARD, IBAN, IP)
# The same values as they may also be written, compact: none of these may leak either.
PLANTED_FORMS = (*PLANTED, "4111111111111111", "DE89370400440532013000", "5550104477")


def run(
    collector_cls: Any, root: Path, settings: dict[str, Any] | None = None
) -> tuple[list[Evidence], CollectContext]:
    collector = collector_cls()
    ctx = CollectContext(
        root=root,
        collector=collector.name,
        collector_version=collector.version,
        kinds=list(collector.kinds),
        settings=settings or {},
        system={},
        files=RepoFiles(root),
        now=NOW,
    )
    items = list(collector.collect(ctx))
    schemas = {kind.name: kind.schema for kind in collector.kinds}
    for item in items:
        errors = list(Draft202012Validator(schemas[item.kind]).iter_errors(item.data))
        assert not errors, (item.subject, errors[0].message)
    return items, ctx


def write(root: Path, rel: str, content: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def notebook(*outputs: str) -> str:
    return json.dumps(
        {
            "cells": [
                {
                    "cell_type": "code",
                    "source": ["df.head()\n"],
                    "outputs": [{"output_type": "stream", "text": list(outputs)}],
                }
            ],
            "metadata": {},
            "nbformat": 4,
            "nbformat_minor": 5,
        },
        indent=1,
    )


def test_counts_locations_and_masked_samples(tmp_path: Path) -> None:
    write(
        tmp_path,
        "data/sample.csv",
        "id,email,phone,note\r\n"
        f"1,{EMAIL},{PHONE},ok\r\n"
        "2,,,no contact\r\n"
        f"3,j.smith@example.org,,card {CARD}\r\n",
    )
    write(tmp_path, "notebooks/eda.ipynb", notebook("row 0\n", f"ssn {SSN}\n"))
    write(tmp_path, "logs/app.log.gz", gzip.compress(f"GET / from {IP}\n".encode()))
    write(tmp_path, "tests/fixtures/clean.json", json.dumps({"id": "9a32daea-431b-4bea"}))

    items, ctx = run(PiiCollector, tmp_path)
    data = items[0].data

    assert data["files_scanned"] == 4
    assert data["counts"] == {"email": 2, "phone": 1, "ssn": 1, "card": 1, "iban": 0, "ip": 1}
    assert data["by_path"] == [
        {
            "path": "data/sample.csv",
            "counts": dict.fromkeys(data["counts"], 0) | {"email": 2, "phone": 1, "card": 1},
        },
        {"path": "logs/app.log.gz", "counts": dict.fromkeys(data["counts"], 0) | {"ip": 1}},
        {"path": "notebooks/eda.ipynb", "counts": dict.fromkeys(data["counts"], 0) | {"ssn": 1}},
    ]
    assert [(s["path"], s["line"], s["type"], s["masked"]) for s in data["samples"]] == [
        ("data/sample.csv", 2, "email", "j***@e***.com"),
        ("data/sample.csv", 2, "phone", "(***) ***-**77"),
        ("data/sample.csv", 4, "email", "j***@e***.org"),
        ("data/sample.csv", 4, "card", "**** **** **** 1111"),
        ("logs/app.log.gz", 1, "ip", "192.0.*.*"),
        ("notebooks/eda.ipynb", 13, "ssn", "***-**-**89"),  # the line in the .ipynb JSON
    ]
    assert ctx.diagnostics == []
    # The scan names every file it was read from (traceability), not only those with findings.
    assert items[0].source.path is None
    assert items[0].source.files == (
        "data/sample.csv",
        "logs/app.log.gz",
        "notebooks/eda.ipynb",
        "tests/fixtures/clean.json",
    )


def test_files_it_cannot_read_are_listed_with_the_reason_and_a_diagnostic(
    tmp_path: Path,
) -> None:
    write(tmp_path, "data/blob.bin", b"\x00\x01\x02" + EMAIL.encode())
    write(tmp_path, "data/model.pkl", b"\x80\x04" + EMAIL.encode())
    write(tmp_path, "data/table.parquet", b"PAR1" + EMAIL.encode())  # not Parquet inside
    write(tmp_path, "data/latin1.csv", f"name,email\nJos\xe9,{EMAIL}\n".encode("latin-1"))

    items, ctx = run(PiiCollector, tmp_path)
    data = items[0].data

    assert data["files_scanned"] == 1  # the Latin-1 file is text, scanned as such
    assert data["counts"]["email"] == 1
    assert [(s["path"], s["reason"].split(":")[0]) for s in data["files_skipped"]] == [
        ("data/blob.bin", "binary content (a NUL byte near the start)"),
        ("data/model.pkl", "binary format (.pkl)"),
        ("data/table.parquet", "cannot be read as Parquet"),
    ]
    assert str(tmp_path) not in json.dumps(data)  # DuckDB's message names the file, not where
    assert [d.path for d in ctx.diagnostics] == [
        "data/blob.bin",
        "data/model.pkl",
        "data/table.parquet",
    ]
    # Skipped files are part of what the scan reports, so they are listed as its sources.
    assert items[0].source.files == (
        "data/blob.bin",
        "data/latin1.csv",
        "data/model.pkl",
        "data/table.parquet",
    )


SSN_2 = "536-22-8197"


def _planted_rows(count: int = 25) -> list[dict[str, str]]:
    return [
        {"id": str(n), "email": f"person{n}@example.org", "ssn": SSN_2, "note": "ok"}
        for n in range(count)
    ]


def _csv_text(rows: list[dict[str, str]]) -> str:
    return "id,email,ssn,note\n" + "".join(",".join(r.values()) + "\n" for r in rows)


def test_what_real_repositories_hold_is_scanned(tmp_path: Path) -> None:
    """UTF-16 and UTF-32 text with a byte-order mark, Parquet, bzip2, xz, and zip members."""
    import bz2
    import lzma
    import zipfile

    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = _planted_rows(3)  # 6 findings a file: every one is among the 50 samples
    text = _csv_text(rows)
    write(tmp_path, "data/utf16.csv", text.encode("utf-16"))
    write(tmp_path, "data/utf16be.csv", b"\xfe\xff" + text.encode("utf-16-be"))
    write(tmp_path, "data/utf32.csv", text.encode("utf-32"))
    write(tmp_path, "data/utf8bom.csv", b"\xef\xbb\xbf" + text.encode())
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "data" / "people.parquet")
    write(tmp_path, "data/people.csv.bz2", bz2.compress(text.encode()))
    write(tmp_path, "data/people.csv.xz", lzma.compress(text.encode()))
    with zipfile.ZipFile(tmp_path / "data" / "export.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("export/people.csv", text)
        archive.writestr("export/readme.txt", "nothing here\n")

    items, ctx = run(PiiCollector, tmp_path)
    data = items[0].data

    assert ctx.diagnostics == [] and data["files_skipped"] == []
    assert data["files_scanned"] == 8
    per_file = {entry["path"]: entry["counts"] for entry in data["by_path"]}
    assert set(per_file) == {
        "data/utf16.csv",
        "data/utf16be.csv",
        "data/utf32.csv",
        "data/utf8bom.csv",
        "data/people.parquet",
        "data/people.csv.bz2",
        "data/people.csv.xz",
        "data/export.zip",
    }
    for path, counts in per_file.items():
        assert (counts["email"], counts["ssn"]) == (3, 3), path
    lines: dict[str, list[int]] = {}
    for sample in data["samples"]:
        if sample["type"] == "email":
            lines.setdefault(sample["path"], []).append(sample["line"])
    # Lines of the decoded text (the header is line 1); rows of the Parquet table; members of
    # the archive by name.
    assert lines == {
        **{path: [2, 3, 4] for path in per_file if path != "data/export.zip"},
        "data/export.zip!export/people.csv": [2, 3, 4],
        "data/people.parquet": [1, 2, 3],
    }
    assert {s["masked"] for s in data["samples"] if s["type"] == "ssn"} == {"***-**-**97"}


def test_what_it_cannot_read_inside_archives_or_beyond_the_bounds_is_not_scanned(
    tmp_path: Path, monkeypatch: Any
) -> None:
    import zipfile

    from govgate_collectors import pii_sources

    text = _csv_text(_planted_rows(200))
    with zipfile.ZipFile(tmp_path / "nested.zip", "w") as inner:
        inner.writestr("people.csv", text)
    (tmp_path / "data").mkdir()
    with zipfile.ZipFile(tmp_path / "data" / "outer.zip", "w") as outer:
        outer.write(tmp_path / "nested.zip", "nested.zip")
    write(tmp_path, "data/big.csv.gz", gzip.compress(text.encode()))
    write(tmp_path, "data/broken.csv.gz", b"\x1f\x8b not really gzip")
    monkeypatch.setattr(pii_sources, "MAX_DECOMPRESSED_BYTES", 4096)

    items, ctx = run(PiiCollector, tmp_path)
    data = items[0].data

    reasons = {s["path"]: s["reason"] for s in data["files_skipped"]}
    assert set(reasons) == {"data/outer.zip", "data/big.csv.gz", "data/broken.csv.gz"}
    assert "member nested.zip is not text" in reasons["data/outer.zip"]
    assert "more than 4,096 bytes decompressed" in reasons["data/big.csv.gz"]
    assert reasons["data/broken.csv.gz"].startswith("cannot read")
    assert data["files_scanned"] == 0
    assert [d.message.split(":")[0] for d in ctx.diagnostics] == [
        "not scanned for personal data"
    ] * 3


def test_a_file_refused_by_the_scan_is_not_one_of_its_sources(tmp_path: Path) -> None:
    outside = write(tmp_path, "elsewhere/leak.csv", f"email\n{EMAIL}\n")
    root = tmp_path / "repo"
    write(root, "data/clean.csv", "id\n1\n")
    os.symlink(outside, root / "data" / "leak.csv")

    items, ctx = run(PiiCollector, root)

    assert items[0].data["files_scanned"] == 1 and items[0].data["counts"]["email"] == 0
    assert [(d.path, d.level) for d in ctx.diagnostics] == [("data/leak.csv", "error")]
    assert items[0].source.files == ("data/clean.csv",)


def test_lookalikes_in_a_real_log_are_not_counted(tmp_path: Path) -> None:
    lines = [
        json.dumps(
            {
                "decision_id": f"{n:08d}-6764-4447-a587-70a0c2bd1f10",
                "timestamp": "2026-03-01T09:00:00.123Z",
                "input_hash": "4111111111111111" + "ab" * 24,
                "score": 0.4111111111111111,
                "model_version": "1.2.3.4",
            }
        )
        for n in range(2000)
    ]
    write(tmp_path, "logs/decisions/clean.jsonl", "\n".join(lines) + "\n")

    items, _ = run(PiiCollector, tmp_path)

    assert items[0].data["counts"] == dict.fromkeys(items[0].data["counts"], 0)
    assert (
        items[0].data["bytes_scanned"] == (tmp_path / "logs/decisions/clean.jsonl").stat().st_size
    )


def test_a_value_cut_between_pieces_of_a_long_line_is_found_once() -> None:
    line = ("x" * 90 + f" {EMAIL} ") * 3 + "y" * 57 + f" {CARD} " + "z" * 40
    text = (line + "\nsecond line " + IP + "\n").encode()

    for block in (64, 100, 333, 4096):
        found: list[tuple[int, str]] = []
        total = 0
        for piece in pieces(io.BytesIO(text), block_bytes=block, overlap=32):
            total += piece.size
            from govgate.support.pii import scan_text

            for index, part in enumerate(piece.text.split("\n")):
                for match in scan_text(part):
                    if index == 0 and match.end <= piece.skip_before:
                        continue
                    found.append((piece.line + index, match.kind))
        assert total == len(text), block
        assert sorted(found) == [
            (1, "card"),
            (1, "email"),
            (1, "email"),
            (1, "email"),
            (2, "ip"),
        ], block


def planted_repository(root: Path) -> None:
    """A repository with every planted value in every source the three collectors read."""
    record = {
        "decision_id": EMAIL,  # a person's address used as an id, and duplicated
        "timestamp": "2026-03-01T09:00:00Z",
        "system_id": "loan-approval",
        "model_name": "scorer",
        "model_version": "1.0",
        "decision_type": f"call {PHONE}",
        "risk_tier": "high",
        "input_hash": "0" * 64,
        "output": "approve",
        "reasons": [f"ssn {SSN}", f"card {CARD}", f"iban {IBAN}", f"from {IP}"],
        "human_review": {"required": True, "reviewer_id": EMAIL, "action": "approve"},
        "final_outcome": "approve",
    }
    log = json.dumps(record) + "\n" + json.dumps(record) + "\n"
    log += f'{{"broken": "{EMAIL} {CARD}\n'  # an invalid line holding PII too
    write(root, "logs/decisions/2026-03.jsonl", log)
    write(
        root,
        "logs/decisions/2026-03.csv",
        "decision_id,timestamp,decision_type,reasons\n"
        f"{EMAIL},2026-03-02T09:00:00Z,{IBAN},{SSN}\n"
        f"short row,{IP}\n",
    )
    write(
        root,
        "reports/junit.xml",
        '<testsuite name="s" timestamp="2026-03-01T10:00:00Z">'
        f'<testcase classname="contact {EMAIL}" name="adversarial card {CARD} ip {IP}">'
        f'<failure message="{SSN} {IBAN} {PHONE}">{EMAIL}</failure></testcase>'
        "</testsuite>",
    )
    write(
        root,
        "reports/load/run_stats.csv",
        "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
        "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
        "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%\n"
        f"GET,/users/{EMAIL},10,0,5,5,1,9,10,1.0,0,5,5,5,5,6,7,8,9,9,9,9\n"
        ",Aggregated,10,0,5,5,1,9,10,1.0,0,5,5,5,5,6,7,8,9,9,9,9\n",
    )
    write(
        root,
        "reports/load/k6.json",
        json.dumps(
            {
                "note": f"run by {EMAIL} {PHONE}",
                "metrics": {
                    "http_reqs": {"count": 10, "rate": 1.0},
                    "http_req_failed": {"passes": 0, "fails": 10, "value": 0},
                    "http_req_duration": {"p(95)": 7},
                },
            }
        ),
    )
    write(root, "data/customers.csv", f"email,phone,ssn,card,iban,ip\n{','.join(PLANTED)}\n")
    write(root, "notebooks/eda.ipynb", notebook(*(f"{value}\n" for value in PLANTED)))
    write(root, "tests/fixtures/request.json", json.dumps({"contact": list(PLANTED)}))
    write(
        root,
        "govgate.yaml",
        "version: 1\n"
        "system:\n  name: planted\n  risk: high\n"
        "  decision_types:\n    - {name: credit_decision, risk_tier: high}\n"
        "packs: [./packs/planted]\n",
    )
    rules = []
    for index, (kind, path, shown) in enumerate(
        [
            ("decision_log.summary", "pii.counts.email", "{data.pii} {data.duplicate_ids}"),
            ("decision_log.file", "records", "{data.by_decision_type} {data.malformed}"),
            ("test_results.summary", "failures", "{data.failing} {data.categories}"),
            ("load_test.result", "failures", "{data}"),
            ("pii.scan", "counts.card", "{data.samples} {data.by_path}"),
        ]
    ):
        rules.append(
            f"  - id: PL-1.rule-{index}\n    control: PL-1\n    severity: high\n"
            f"    evidence: {kind}\n    assert: {{path: {path}, op: eq, value: -1}}\n"
            f'    message: "shown: {shown}"\n    remediation: "none"\n'
        )
    write(
        root,
        "packs/planted/pack.yaml",
        "pack: planted\nversion: 1.0.0\ntitle: Planted personal data stays inside\n"
        "requirements:\n  - id: PLANT-1\n    title: Nothing personal leaves a collector\n"
        "    source: {framework: Test, ref: '1'}\n"
        "controls:\n  - id: PL-1\n    title: Evidence is PII-safe\n    satisfies: [PLANT-1]\n"
        "rules:\n" + "".join(rules),
    )


def assert_no_planted_value(text: str | bytes, where: str) -> None:
    blob = text if isinstance(text, bytes) else text.encode("utf-8")
    for value in PLANTED_FORMS:
        assert value.encode() not in blob, f"{value!r} leaked into {where}"


def test_planted_values_never_leave_any_collector_or_output(
    make_repo: Callable[..., Any], run_cli: Callable[..., CliResult]
) -> None:
    repo = make_repo()
    planted_repository(repo.path)
    repo.commit("planted")

    evidence: list[Evidence] = []
    for collector_cls in (DecisionLogsCollector, TestReportsCollector, PiiCollector):
        items, ctx = run(collector_cls, repo.path)
        evidence.extend(items)
        for diagnostic in ctx.diagnostics:
            assert_no_planted_value(
                json.dumps(diagnostic.to_json()), f"a {ctx.collector} diagnostic"
            )
    kinds = {item.kind for item in evidence}
    assert kinds == {
        "decision_log.summary",
        "decision_log.file",
        "test_results.summary",
        "load_test.result",
        "pii.scan",
    }
    for item in evidence:
        assert_no_planted_value(canonical_json(item.to_json()), f"{item.kind} {item.subject}")
    # The values were there to be found: every type is counted, in every source.
    summary = next(item for item in evidence if item.kind == "decision_log.summary")
    assert all(summary.data["pii"]["counts"][kind] > 0 for kind in summary.data["pii"]["counts"])
    scan = next(item for item in evidence if item.kind == "pii.scan")
    assert all(count >= 3 for count in scan.data["counts"].values())

    as_json = run_cli("check", repo.path, "--format", "json")
    as_text = run_cli("check", repo.path, "--format", "text", "--verbose")

    assert as_json.exit_code == 1 and as_text.exit_code == 1  # the rules fail on purpose
    result = json.loads(as_json.stdout)
    assert len(result["findings"]) == 7  # two log files and two load results
    assert all(f["message"].startswith("shown: ") for f in result["findings"])
    for name, output in (("the JSON result", as_json), ("the text report", as_text)):
        assert_no_planted_value(output.stdout, name)
        assert_no_planted_value(output.stderr, name + " (stderr)")
    state = repo.path / ".govgate"  # the evidence locker and its cache
    for path in state.rglob("*") if state.exists() else []:
        if path.is_file():
            assert_no_planted_value(path.read_bytes(), f"govgate's state ({path.name})")


def test_archives_beyond_the_member_bound_encrypted_or_holding_compressed_parquet_are_not_scanned(
    tmp_path: Path, monkeypatch: Any
) -> None:
    import zipfile

    from govgate_collectors import pii_sources

    (tmp_path / "data").mkdir()
    with zipfile.ZipFile(tmp_path / "data" / "many.zip", "w") as archive:
        for n in range(3):
            archive.writestr(f"part{n}.csv", f"email\n{EMAIL}\n")
    with zipfile.ZipFile(tmp_path / "data" / "locked.zip", "w") as archive:
        archive.writestr("secret.csv", f"email\n{EMAIL}\n")
    # Python writes no encrypted zip: set the flag an encrypted member carries, in both headers.
    raw = bytearray((tmp_path / "data" / "locked.zip").read_bytes())
    raw[raw.index(b"PK\x03\x04") + 6] |= 0x1
    raw[raw.index(b"PK\x01\x02") + 8] |= 0x1
    (tmp_path / "data" / "locked.zip").write_bytes(bytes(raw))
    write(tmp_path, "data/table.parquet.gz", gzip.compress(b"PAR1"))
    monkeypatch.setattr(pii_sources, "MAX_ZIP_MEMBERS", 2)

    items, _ = run(PiiCollector, tmp_path)

    reasons = {s["path"]: s["reason"] for s in items[0].data["files_skipped"]}
    assert reasons == {
        "data/locked.zip": "member secret.csv is encrypted",
        "data/many.zip": "the archive has 3 members, more than the 2 the scan reads",
        "data/table.parquet.gz": "binary format (.parquet)",
    }
