"""The decision_logs collector on real files with the defects real logs have.

Fixtures are built here and in `decision_log_files`: JSONL with a byte-order mark, CRLF
endings, blank lines, invalid and truncated lines, wrong types, duplicates and missing fields;
a hash chain written by the documented rule (sha256 of the previous line's bytes).
"""

from __future__ import annotations

import gzip
import itertools
import json
import os
from pathlib import Path
from typing import Any

import pytest

from govgate.core.evidence import Evidence

from decision_log_files import HIGH, chained, defect_log, record, run, write


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
    # ... and line 8, the same decision id as line 1 with other content, is a conflict.
    assert [(d.line, d.level) for d in ctx.diagnostics] == [
        (3, "warning"),
        (5, "warning"),
        (7, "warning"),
        (10, "warning"),
        (11, "warning"),
        (8, "warning"),
    ]
    assert data["conflicts"]["count"] == 1
    assert data["conflicts"]["first"][0]["first"]["line"] == 1
    assert data["conflicts"]["first"][0]["differs"]["line"] == 8
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


def test_progress_is_reported_to_the_callback(tmp_path: Path) -> None:
    write(tmp_path, "logs/decisions/a.jsonl", chained(defect_log()))
    seen: list[tuple[int, int, str]] = []

    run(tmp_path, progress=lambda done, total, label: seen.append((done, total, label)))

    assert seen, "no progress reported"
    totals = {total for _, total, _ in seen}
    assert len(totals) == 1
    assert seen[-1][0] == seen[-1][1]
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(seen))


def test_the_hash_chain_does_not_cross_files(tmp_path: Path) -> None:
    # docs/decision-records.md: the chain detects an edit inside a file, not an edit to a
    # file's last line or the loss of a file's first lines (no link covers them)
    july = [record(i, f"2026-07-0{i}T09:00:00Z") for i in range(1, 4)]
    august = [record(i, f"2026-08-0{i - 3}T09:00:00Z") for i in range(4, 8)]
    write(tmp_path, "logs/decisions/2026-07.jsonl", chained(july))
    write(tmp_path, "logs/decisions/2026-08.jsonl", chained(august))
    assert run(tmp_path)[0]["hash_chain"]["verified"] is True

    edited_last = chained(july).replace(b'"subj-3"', b'"subj-9"')  # the last line's subject
    assert edited_last != chained(july)
    write(tmp_path, "logs/decisions/2026-07.jsonl", edited_last)
    first_two_lost = b"".join(chained(august).splitlines(keepends=True)[2:])
    write(tmp_path, "logs/decisions/2026-08.jsonl", first_two_lost)
    assert run(tmp_path)[0]["hash_chain"]["verified"] is True  # neither is detected

    middle = chained(july).splitlines(keepends=True)
    write(tmp_path, "logs/decisions/2026-07.jsonl", middle[0] + middle[2])
    chain = run(tmp_path)[0]["hash_chain"]
    assert chain["verified"] is False  # a line deleted inside a file is
    assert chain["first_break"] == {"path": "logs/decisions/2026-07.jsonl", "line": 2}
