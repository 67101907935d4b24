"""The decision_logs collector on real files with the defects real logs have.

Fixtures are built here: JSONL with a byte-order mark, CRLF endings, blank lines, invalid and
truncated lines, wrong types, duplicates and missing fields; the same records as CSV and gzip;
a hash chain written by the documented rule (sha256 of the previous line's bytes).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import itertools
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from govgate_collectors.decision_logs import (
    DecisionLogsCollector,
    DecisionLogSettings,
    DuckDBDecisionLogLoader,
    line_pass,
    terminal_progress,
)
from jsonschema import Draft202012Validator

from govgate.core.collector import CollectContext, RepoFiles
from govgate.core.evidence import Evidence
from govgate.support.errors import CollectorError

NOW = datetime(2026, 4, 1, tzinfo=UTC)
HIGH = ["credit_decision", "limit_increase"]


def record(n: int, ts: str, decision_type: str = "credit_decision", **extra: Any) -> dict[str, Any]:
    """A complete A.0 record; `extra` overrides or (with value ...) removes fields."""
    tier = "minimal" if decision_type == "marketing_offer" else "high"
    base: dict[str, Any] = {
        "decision_id": f"00000000-0000-4000-8000-{n:012d}",
        "timestamp": ts,
        "system_id": "loan-approval",
        "model_name": "credit-scorer",
        "model_version": "2.3.0",
        "decision_type": decision_type,
        "risk_tier": tier,
        "input_hash": hashlib.sha256(str(n).encode()).hexdigest(),
        "output": "approve",
        "score": 0.71,
        "reasons": ["stable_income"],
        "human_review": {"required": tier == "high"},
        "final_outcome": "approve",
        "subject_ref": f"subj-{n}",
    }
    if tier == "high":
        base["human_review"].update(reviewer_id="rev-7", action="approve", timestamp=ts)
    for key, value in extra.items():
        if value is ...:
            base.pop(key, None)
        else:
            base[key] = value
    return base


def chained(lines: list[bytes | dict[str, Any]], endings: dict[int, bytes] | None = None) -> bytes:
    """Serialise lines, giving each record the sha256 of the previous non-blank line.

    Raw `bytes` items are written as they are (blank or broken lines); they still take part in
    the chain, as the documented rule says.
    """
    out = io.BytesIO()
    previous: bytes | None = None
    for index, item in enumerate(lines):
        if isinstance(item, dict):
            item = dict(item)
            if previous is not None:
                item["prev_hash"] = hashlib.sha256(previous).hexdigest()
            raw = json.dumps(item).encode()
        else:
            raw = item
        out.write(raw + (endings or {}).get(index, b"\n"))
        if raw.strip():
            previous = raw.strip(b" \t\r\x0b\x0c").removeprefix(b"\xef\xbb\xbf")
    return out.getvalue()


def run(
    root: Path,
    settings: dict[str, Any] | None = None,
    system: dict[str, Any] | None = None,
    progress: Any = None,
) -> tuple[dict[str, Any], dict[str, Evidence], Evidence, CollectContext]:
    collector = DecisionLogsCollector()
    ctx = CollectContext(
        root=root,
        collector=collector.name,
        collector_version=collector.version,
        kinds=list(collector.kinds),
        settings={"high_risk_types": HIGH, **(settings or {})},
        system=system or {},
        files=RepoFiles(root),
        now=NOW,
        progress=progress,
    )
    items = list(collector.collect(ctx))
    schemas = {kind.name: kind.schema for kind in collector.kinds}
    for item in items:  # every item validates against its kind's schema
        errors = list(Draft202012Validator(schemas[item.kind]).iter_errors(item.data))
        assert not errors, (item.subject, errors[0].message, list(errors[0].absolute_path))
    summary = next(item for item in items if item.kind == "decision_log.summary")
    files = {item.subject: item for item in items if item.kind == "decision_log.file"}
    return summary.data, files, summary, ctx


def write(root: Path, rel: str, content: bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def defect_log() -> list[bytes | dict[str, Any]]:
    """Eleven lines, one of each defect; line numbers are asserted below."""
    return [
        b"\xef\xbb\xbf"
        + json.dumps(record(1, "2026-03-01T09:00:00Z")).encode(),  # 1: BOM, no prev_hash
        record(2, "2026-03-01T10:00:00Z", "marketing_offer", reasons=[]),  # 2: CRLF ending
        b"",  # 3: blank line
        record(  # 4: high risk without review; PII in a reason; 48 h after the previous one
            3,
            "2026-03-03T10:00:00Z",
            human_review={"required": True},
            reasons=["applicant wrote from jane.doe@example.com"],
        ),
        b'{"decision_id": "broken", "timestamp": ',  # 5: invalid JSON
        record(  # 6: override, reviewed before the decision was made
            4,
            "2026-03-03T11:00:00Z",
            "limit_increase",
            human_review={
                "required": True,
                "reviewer_id": "rev-9",
                "action": "override",
                "timestamp": "2026-03-03T10:30:00Z",
            },
            final_outcome="decline",
        ),
        record(5, "2026-03-03T12:00:00Z", score="0.7"),  # 7: wrong type
        record(1, "2026-03-04T00:00:00Z"),  # 8: duplicate id of line 1
        record(6, "2026-03-04T01:00:00Z", subject_ref=..., output=..., reasons=...),  # 9
        b"   \t",  # 10: whitespace-only line
        b'{"decision_id": "00000000-0000-4000-8000-000000000009", "timest',  # 11: truncated
    ]


def test_a_log_with_every_real_defect_is_summarised_exactly(tmp_path: Path) -> None:
    content = chained(defect_log(), endings={1: b"\r\n", 10: b""})
    write(tmp_path, "logs/decisions/2026-03.jsonl", content)

    data, files, summary, ctx = run(tmp_path)

    assert data["files"] == 1
    assert data["records"] == 6  # lines 1, 2, 4, 6, 8, 9
    assert data["malformed"]["count"] == 5
    assert [(m["line"], m["reason"]) for m in data["malformed"]["first"]] == [
        (3, "blank line"),
        (5, "invalid JSON: Expecting value (column 39)"),
        (7, "score must be a number"),
        (10, "blank line"),
        (11, "truncated last line (no newline at end of file): Unterminated string starting at"),
    ]
    assert data["duplicate_ids"] == {
        "count": 1,
        "samples": ["00000000-0000-4000-8000-000000000001"],
    }
    assert data["time_range"] == {"first": "2026-03-01T09:00:00Z", "last": "2026-03-04T01:00:00Z"}
    assert data["gaps"]["count_over_threshold"] == 1
    assert data["gaps"]["largest_hours"] == 48.0
    assert data["by_decision_type"] == {
        "credit_decision": 4,
        "marketing_offer": 1,
        "limit_increase": 1,
    }
    assert data["high_risk"] == {
        "types": HIGH,
        "records": 5,
        "with_reviewer": 4,
        "with_action": 4,
        "reviewed_share": 0.8,
        "review_before_decision": 1,
    }
    assert data["reasons_share"] == round(4 / 6, 6)  # line 2 has [] and line 9 none
    assert data["overrides"] == {"count": 1, "share": 0.25}  # 1 of 4 review actions
    assert data["field_coverage"]["subject_ref"] == round(5 / 6, 6)
    assert data["field_coverage"]["decision_id"] == 1.0
    assert data["field_coverage"]["retention_until"] == 0.0
    assert data["missing_required"]["output"] == 1
    assert data["missing_required"]["decision_id"] == 0
    # The invalid line 5 cannot carry a readable prev_hash: the chain is broken there.
    assert data["hash_chain"] == {
        "present": round(5 / 6, 6),
        "verified": False,
        "first_break": {"path": "logs/decisions/2026-03.jsonl", "line": 5},
    }
    assert data["oldest_record_age_days"] == 30.62  # 1 March 09:00 to 1 April
    assert data["age_of_newest_days"] == 27.96
    assert data["retention"] == {"max_days": 1825, "records_over": 0}
    assert data["pii"]["counts"]["email"] == 1
    assert data["pii"]["samples"] == ["j***@e***.com"]
    assert summary.dated == "2026-03-04T01:00:00Z"
    assert summary.problem is None
    # Nothing personal leaves the collector.
    assert b"jane.doe" not in json.dumps([e.to_json() for e in [summary, *files.values()]]).encode()
    # Each malformed line is a diagnostic with its line number.
    assert [(d.line, d.level) for d in ctx.diagnostics] == [
        (3, "warning"),
        (5, "warning"),
        (7, "warning"),
        (10, "warning"),
        (11, "warning"),
    ]
    file_item = files["logs/decisions/2026-03.jsonl"]
    assert file_item.data["path"] == "logs/decisions/2026-03.jsonl"
    assert file_item.data["records"] == 6
    assert file_item.data["malformed"] == data["malformed"]


def test_an_intact_chain_verifies_across_bom_crlf_and_blank_lines(tmp_path: Path) -> None:
    lines: list[bytes | dict[str, Any]] = [
        b"\xef\xbb\xbf" + json.dumps(record(1, "2026-03-01T09:00:00Z")).encode(),
        record(2, "2026-03-01T09:05:00Z"),
        b"",
        record(3, "2026-03-01T09:10:00Z"),
        b"  ",
        record(4, "2026-03-01T09:15:00Z"),
    ]
    write(tmp_path, "logs/decisions/a.jsonl", chained(lines, endings={1: b"\r\n", 3: b"\r\n"}))

    data, _, _, _ = run(tmp_path)

    assert data["records"] == 4
    assert data["hash_chain"] == {"present": 0.75, "verified": True, "first_break": None}


def test_an_edited_or_deleted_record_breaks_the_chain_at_its_line(tmp_path: Path) -> None:
    records = [record(n, f"2026-03-01T09:{n:02d}:00Z") for n in range(1, 8)]
    edited = chained(list(records)).splitlines(keepends=True)
    edited[3] = edited[3].replace(b'"approve"', b'"decline"', 1)  # line 4 changed afterwards
    write(tmp_path, "logs/decisions/edited.jsonl", b"".join(edited))
    removed = chained(list(records)).splitlines(keepends=True)
    del removed[2]  # line 3 deleted: line 4 (now 3) points at a record that is gone
    write(tmp_path, "logs/decisions/removed.jsonl", b"".join(removed))

    data, files, _, _ = run(tmp_path)

    assert files["logs/decisions/edited.jsonl"].data["hash_chain"]["first_break"] == {
        "path": "logs/decisions/edited.jsonl",
        "line": 5,  # line 5's prev_hash no longer matches the edited line 4
    }
    assert files["logs/decisions/removed.jsonl"].data["hash_chain"]["first_break"] == {
        "path": "logs/decisions/removed.jsonl",
        "line": 3,
    }
    assert data["hash_chain"]["verified"] is False
    assert data["hash_chain"]["first_break"]["path"] == "logs/decisions/edited.jsonl"


def to_csv(records: list[dict[str, Any]]) -> bytes:
    columns = [
        "decision_id",
        "timestamp",
        "system_id",
        "model_name",
        "model_version",
        "decision_type",
        "risk_tier",
        "input_hash",
        "output",
        "score",
        "reasons",
        "human_review.required",
        "human_review.reviewer_id",
        "human_review.action",
        "human_review.timestamp",
        "final_outcome",
        "subject_ref",
    ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # as Excel writes it
    writer.writerow(columns)
    for item in records:
        row = []
        for column in columns:
            if column.startswith("human_review."):
                value = item.get("human_review", {}).get(column.split(".", 1)[1])
            else:
                value = item.get(column)
            if isinstance(value, list):
                value = ";".join(value)
            row.append("" if value is None else str(value).lower() if value is True else value)
        writer.writerow(row)
    return ("\ufeff" + out.getvalue()).encode()


def test_csv_gzip_and_jsonl_give_the_same_numbers(tmp_path: Path) -> None:
    records = [
        record(1, "2026-03-01T09:00:00Z"),
        record(2, "2026-03-01T10:00:00Z", "marketing_offer", reasons=[]),
        record(3, "2026-03-03T10:00:00Z", human_review={"required": True}),
        record(1, "2026-03-04T00:00:00Z", subject_ref=...),
    ]
    jsonl = b"".join(json.dumps(r).encode() + b"\n" for r in records)
    roots = {}
    for name, rel, content in [
        ("jsonl", "logs/decisions/x.jsonl", jsonl),
        ("jsonl.gz", "logs/decisions/x.jsonl.gz", gzip.compress(jsonl)),
        ("csv", "logs/decisions/x.csv", to_csv(records)),
        ("csv.gz", "logs/decisions/x.csv.gz", gzip.compress(to_csv(records))),
    ]:
        roots[name] = tmp_path / name
        write(roots[name], rel, content)

    results = {name: run(root)[0] for name, root in roots.items()}

    keys = [
        "records",
        "duplicate_ids",
        "time_range",
        "gaps",
        "by_decision_type",
        "high_risk",
        "reasons_share",
        "missing_required",
    ]
    expected = {key: results["jsonl"][key] for key in keys}
    assert expected["records"] == 4
    assert expected["high_risk"]["reviewed_share"] == round(2 / 3, 6)
    for name in ("jsonl.gz", "csv", "csv.gz"):
        assert {key: results[name][key] for key in keys} == expected, name
        assert results[name]["malformed"]["count"] == 0, name


def test_csv_rows_with_the_wrong_shape_are_malformed_with_their_lines(tmp_path: Path) -> None:
    content = (
        b"decision_id,timestamp,decision_type,score\r\n"
        b"a1,2026-03-01T09:00:00Z,credit_decision,0.5\r\n"
        b"\r\n"
        b"a2,2026-03-01T10:00:00Z,credit_decision\r\n"  # a field short
        b'a3,2026-03-01T11:00:00Z,"credit\r\ndecision",0.5\r\n'  # quoted newline: 2 lines
        b"a4,not a date,credit_decision,0.5\r\n"
        b"a5,2026-03-01T12:00:00Z,credit_decision,high\r\n"
        b"a6,2026-03-01T13:00:00Z,cr\xe9dit,0.5\r\n"  # Latin-1, not UTF-8
    )
    write(tmp_path, "logs/decisions/export.csv", content)

    data, _, _, _ = run(tmp_path)

    assert data["records"] == 2  # a1 and a3
    assert [(m["line"], m["reason"]) for m in data["malformed"]["first"]] == [
        (3, "blank line"),
        (4, "expected 4 fields (the header's), found 3"),
        (7, "timestamp must be an RFC 3339 date-time"),
        (8, "score must be a number"),
        (9, "not valid UTF-8; save the log as UTF-8"),
    ]


def test_the_python_line_reader_agrees_with_duckdbs(tmp_path: Path) -> None:
    write(tmp_path, "logs/decisions/2026-03.jsonl", chained(defect_log(), endings={1: b"\r\n"}))

    fast, _, _, _ = run(tmp_path)
    slow, _, _, _ = run(tmp_path, {"jsonl_reader": "python"})

    assert slow == fast


def test_several_files_roll_up_into_one_summary(tmp_path: Path) -> None:
    write(
        tmp_path,
        "logs/decisions/2026/02.jsonl",
        chained([record(1, "2026-02-27T09:00:00Z"), record(2, "2026-02-28T09:00:00Z")]),
    )
    write(
        tmp_path,
        "logs/decisions/2026/03.jsonl",
        chained([record(3, "2026-03-05T09:00:00Z"), b"{oops", record(2, "2026-03-06T09:00:00Z")]),
    )

    data, files, summary, _ = run(tmp_path)

    assert data["files"] == 2
    assert data["records"] == 4
    assert sorted(files) == ["logs/decisions/2026/02.jsonl", "logs/decisions/2026/03.jsonl"]
    assert files["logs/decisions/2026/02.jsonl"].data["duplicate_ids"]["count"] == 0
    assert data["duplicate_ids"]["count"] == 1  # record 2 is in both files
    # Within each file no gap exceeds 24 h; between the files there is one of 5 days.
    for item in files.values():
        assert item.data["gaps"] == {
            "count_over_threshold": 0,
            "largest_hours": 24.0,
            "threshold_hours": 24.0,
        }
    assert data["gaps"]["count_over_threshold"] == 1
    assert data["gaps"]["largest_hours"] == 120.0
    assert data["malformed"]["first"] == [
        {
            "path": "logs/decisions/2026/03.jsonl",
            "line": 2,
            "reason": "invalid JSON: Expecting property name enclosed in double quotes (column 2)",
        }
    ]
    assert files["logs/decisions/2026/02.jsonl"].data["hash_chain"]["verified"] is True
    assert data["hash_chain"]["verified"] is False
    assert summary.source.path is None and summary.dated == "2026-03-06T09:00:00Z"
    # The summary names the files it was read from (traceability), the digest only its content.
    assert summary.source.files == ("logs/decisions/2026/02.jsonl", "logs/decisions/2026/03.jsonl")
    assert summary.source.more_files == 0
    assert summary.source.to_json()["files"] == list(summary.source.files)
    assert "files" not in summary.reference()["source"]  # findings cite it briefly
    assert summary.verify_digest()
    assert Evidence.from_json(summary.to_json()) == summary
    assert all(item.source.files == () for item in files.values())  # each has its `path`


def test_the_summary_lists_a_thousand_files_and_counts_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import govgate.core.evidence

    monkeypatch.setattr(govgate.core.evidence, "MAX_SOURCE_FILES", 3)
    for n in range(5):
        write(tmp_path, f"logs/decisions/{n}.jsonl", chained([record(n, "2026-03-01T09:00:00Z")]))

    data, _, summary, _ = run(tmp_path)

    assert data["files"] == 5
    assert summary.source.files == tuple(f"logs/decisions/{n}.jsonl" for n in range(3))
    assert summary.source.more_files == 2
    assert summary.source.to_json()["more_files"] == 2


def test_retention_high_risk_types_and_required_fields_come_from_settings(tmp_path: Path) -> None:
    write(
        tmp_path,
        "logs/decisions/old.jsonl",
        b"".join(
            json.dumps(r).encode() + b"\n"
            for r in [
                record(1, "2020-01-01T00:00:00Z", "marketing_offer"),
                record(2, "2026-03-01T00:00:00Z", "marketing_offer", human_review={}),
            ]
        ),
    )
    system = {"decision_types": [{"name": "marketing_offer", "risk_tier": "high"}]}
    collector = DecisionLogsCollector()
    ctx = CollectContext(
        root=tmp_path,
        collector=collector.name,
        collector_version=collector.version,
        kinds=list(collector.kinds),
        settings={"retention_max_days": 365, "required_fields": ["legal_basis", "output"]},
        system=system,
        files=RepoFiles(tmp_path),
        now=NOW,
    )
    data = next(iter(collector.collect(ctx))).data

    assert data["retention"] == {"max_days": 365, "records_over": 1}
    assert data["high_risk"]["types"] == ["marketing_offer"]  # from govgate.yaml system
    assert data["high_risk"]["records"] == 2
    assert data["high_risk"]["with_reviewer"] == 0
    assert data["missing_required"] == {"legal_basis": 2, "output": 0}
    assert data["oldest_record_age_days"] == 2282.0


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"required_fields": ["decision_id", "reviewer"]}, "unknown field 'reviewer'"),
        ({"memory_limit": "lots"}, "is not a size such as 256MB"),
        ({"gap_hours": "soon"}, "must be numbers"),
        ({"jsonl_reader": "pandas"}, "is not one of duckdb, python"),
    ],
)
def test_bad_settings_fail_the_collector_with_the_key(
    tmp_path: Path, settings: dict[str, Any], message: str
) -> None:
    with pytest.raises(CollectorError, match=message) as raised:
        run(tmp_path, settings)
    assert "collectors.decision_logs." in str(raised.value)


def test_a_corrupt_gzip_is_an_error_not_a_crash_nor_a_pass(tmp_path: Path) -> None:
    good = json.dumps(record(1, "2026-03-01T09:00:00Z")).encode() + b"\n"
    write(tmp_path, "logs/decisions/a.jsonl", good)
    write(tmp_path, "logs/decisions/b.jsonl.gz", gzip.compress(good * 50)[:40])

    data, files, summary, ctx = run(tmp_path)

    assert data["records"] == 1
    assert files["logs/decisions/b.jsonl.gz"].problem is not None
    assert summary.problem is not None and "b.jsonl.gz" in summary.problem
    # Both are behind the summary: its problem comes from the unreadable one.
    assert summary.source.files == ("logs/decisions/a.jsonl", "logs/decisions/b.jsonl.gz")
    errors = [d for d in ctx.diagnostics if d.level == "error"]
    assert errors and errors[0].path == "logs/decisions/b.jsonl.gz"


def test_a_symlink_leaving_the_repository_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.jsonl"
    outside.write_text(json.dumps(record(1, "2026-03-01T09:00:00Z")) + "\n")
    root = tmp_path / "repo"
    (root / "logs/decisions").mkdir(parents=True)
    os.symlink(outside, root / "logs/decisions/leak.jsonl")
    write(root, "logs/decisions/kept.jsonl", chained([record(2, "2026-03-01T10:00:00Z")]))

    data, files, summary, ctx = run(root)

    assert (
        data["files"] == 1 and data["records"] == 1 and list(files) == ["logs/decisions/kept.jsonl"]
    )
    assert [(d.path, d.level) for d in ctx.diagnostics] == [("logs/decisions/leak.jsonl", "error")]
    # Nothing was read from the refused file: it is not a source of the summary.
    assert summary.source.files == ("logs/decisions/kept.jsonl",)


def test_no_log_files_still_gives_a_summary_saying_so(tmp_path: Path) -> None:
    data, files, summary, _ = run(tmp_path)

    assert (data["files"], data["records"], files) == (0, 0, {})
    assert data["reasons_share"] is None and data["hash_chain"]["verified"] is None
    assert summary.dated is None
    assert summary.source.to_json() == {"path": None}  # no file list to speak of


@pytest.mark.parametrize("block_size", [61, 4096, 1 << 20])
def test_line_numbers_survive_block_boundaries(tmp_path: Path, block_size: int) -> None:
    lines: list[bytes | dict[str, Any]] = []
    broken_at, blank_at = [], []
    for n in range(1, 400):
        if n % 37 == 0:
            lines.append(b'{"cut": ')
            broken_at.append(n)
        elif n % 53 == 0 or n % 53 == 1:  # blank lines, in pairs
            lines.append(b"" if n % 2 else b" \r")
            blank_at.append(n)
        else:
            lines.append(record(n, "2026-03-01T09:00:00Z"))
    path = write(tmp_path, "logs/decisions/a.jsonl", chained(lines))
    invalid_ordinals = [n - 1 - sum(1 for b in blank_at if b < n) for n in broken_at]

    # Small blocks put boundaries everywhere, mid-line included; big ones hold many targets.
    result = line_pass(
        path,
        invalid=iter(invalid_ordinals),
        wanted=set(invalid_ordinals),
        samples={},
        block_size=block_size,
    )

    assert result.rows == 399 - len(blank_at)
    assert result.blank_lines == blank_at
    assert sorted(result.line_of[o] for o in invalid_ordinals) == broken_at
    data, _, _, _ = run(tmp_path)
    listed = [m["line"] for m in data["malformed"]["first"]]
    assert listed == sorted(broken_at + blank_at)[:20]


def test_progress_is_reported_to_the_callback(tmp_path: Path) -> None:
    write(tmp_path, "logs/decisions/a.jsonl", chained(defect_log()))
    seen: list[tuple[int, int, str]] = []

    run(tmp_path, progress=lambda done, total, label: seen.append((done, total, label)))

    assert seen, "no progress reported"
    totals = {total for _, total, _ in seen}
    assert len(totals) == 1
    assert seen[-1][0] == seen[-1][1]
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(seen))


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_terminal_progress_only_on_a_terminal_and_never_in_ci(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CI", raising=False)
    assert terminal_progress(io.StringIO()) is None  # piped: quiet
    terminal = _Terminal()
    show = terminal_progress(terminal)
    assert show is not None
    show(50, 100, "decision_logs: logs/decisions/a.jsonl")
    show(100, 100, "decision_logs: done")
    assert " 50.0%" in terminal.getvalue()
    assert terminal.getvalue().endswith("\r")  # the line is cleared at the end
    monkeypatch.setenv("CI", "true")
    assert terminal_progress(_Terminal()) is None


def test_a_line_too_long_for_duckdbs_reader_is_read_line_by_line(tmp_path: Path) -> None:
    # DuckDB's reader stops at lines over 32 MB; Python splits any line that fits in memory.
    huge = record(2, "2026-03-01T10:00:00Z", reasons=["x" * (33 << 20)])
    lines: list[bytes | dict[str, Any]] = [
        record(1, "2026-03-01T09:00:00Z"),
        huge,
        b"",
        b"{not json",
        record(3, "2026-03-01T11:00:00Z"),
    ]
    write(tmp_path, "logs/decisions/a.jsonl", chained(lines))

    data, _, _, ctx = run(tmp_path, {"memory_limit": "1GB"})

    assert data["records"] == 3
    assert data["hash_chain"]["first_break"] == {"path": "logs/decisions/a.jsonl", "line": 4}
    assert [(m["line"], m["reason"]) for m in data["malformed"]["first"]] == [
        (3, "blank line"),
        (4, "invalid JSON: Expecting property name enclosed in double quotes (column 2)"),
    ]
    assert not [d for d in ctx.diagnostics if d.level == "error"]


def test_duckdb_never_draws_its_progress_bar_on_stdout(tmp_path: Path) -> None:
    """stdout carries govgate's payload; DuckDB draws a bar there for queries over 2 s."""
    settings = DecisionLogSettings(
        paths=("*.jsonl",),
        high_risk_types=(),
        retention_max_days=1,
        gap_hours=1.0,
        required_fields=(),
        memory_limit="64MB",
        threads=1,
    )
    loader = DuckDBDecisionLogLoader(settings)
    try:
        printed = loader.con.execute("SELECT current_setting('enable_progress_bar_print')")
        assert printed.fetchone() == (False,)
    finally:
        loader.close()
