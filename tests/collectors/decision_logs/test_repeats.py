"""Each decision counted once: an exact re-emission is one decision everywhere; the same id
with other content is a conflict, reported with both lines."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from govgate_collectors.decision_logs.loader import DuckDBDecisionLogLoader
from govgate_collectors.decision_logs.logfile import LogFile
from govgate_collectors.decision_logs.settings import DecisionLogSettings

from decision_log_files import chained, record, run, write

A = "logs/decisions/a.jsonl"
B = "logs/decisions/b.jsonl"


def test_a_re_emitted_record_counts_once_in_every_figure(tmp_path: Path) -> None:
    unreviewed = record(2, "2026-03-01T10:00:00Z", human_review={"required": True}, reasons=[])
    lines = [
        json.dumps(record(1, "2026-03-01T09:00:00Z")),
        json.dumps(unreviewed),
        json.dumps(unreviewed),  # a retry logged the same decision again
        json.dumps(unreviewed),
    ]
    write(tmp_path, A, ("\n".join(lines) + "\n").encode())

    data, _, _, _ = run(tmp_path)

    assert data["records"] == 2
    assert data["high_risk"]["records"] == 2
    assert data["high_risk"]["reviewed_share"] == 0.5
    assert data["reasons_share"] == 0.5
    assert data["counts"]["missing_reasons"]["count"] == 1
    assert data["by_decision_type"] == {"credit_decision": 2}
    assert data["counts"]["repeated_record"] == {
        "count": 2,
        "of": "lines",
        "of_count": 4,
        "first": [{"path": A, "line": 3}, {"path": A, "line": 4}],
    }
    assert data["conflicts"] == {"count": 0, "first": []}
    # The id still occurs on several lines: the unique-ids rule keeps seeing it.
    assert data["duplicate_ids"]["count"] == 1


def test_a_re_emission_in_a_hash_chain_is_still_the_same_decision(tmp_path: Path) -> None:
    # Its prev_hash differs (its place in the chain does), its content does not.
    first = record(1, "2026-03-01T09:00:00Z")
    write(tmp_path, A, chained([first, record(2, "2026-03-01T10:00:00Z"), first]))

    data, _, _, _ = run(tmp_path)

    assert data["records"] == 2
    assert data["counts"]["repeated_record"]["count"] == 1
    assert data["hash_chain"]["verified"] is True


def test_a_record_re_emitted_in_another_file_counts_once_in_the_summary(tmp_path: Path) -> None:
    same = json.dumps(record(1, "2026-03-01T09:00:00Z"))
    write(tmp_path, A, (same + "\n").encode())
    write(
        tmp_path, B, (same + "\n" + json.dumps(record(2, "2026-03-01T10:00:00Z")) + "\n").encode()
    )

    data, files, _, _ = run(tmp_path)

    assert data["records"] == 2
    assert files[A].data["records"] == 1
    assert files[B].data["records"] == 2
    assert data["counts"]["repeated_record"]["count"] == 1


def test_the_same_id_with_other_content_is_a_conflict_with_both_lines(tmp_path: Path) -> None:
    reviewed = record(7, "2026-03-01T09:00:00Z")
    unreviewed = record(7, "2026-03-01T09:00:00Z", human_review={"required": True})
    write(tmp_path, A, (json.dumps(record(1, "2026-03-01T08:00:00Z")) + "\n").encode())
    write(tmp_path, B, (json.dumps(reviewed) + "\n\n" + json.dumps(unreviewed) + "\n").encode())

    data, files, _, ctx = run(tmp_path)

    # Both versions are records as written: neither is chosen over the other.
    assert data["records"] == 3
    assert data["high_risk"]["reviewed_share"] == round(2 / 3, 6)
    assert data["conflicts"] == {
        "count": 1,
        "first": [
            {
                "decision_id": "00000000-0000-4000-8000-000000000007",
                "first": {"path": B, "line": 1},
                "differs": {"path": B, "line": 3},
            }
        ],
    }
    assert files[B].data["conflicts"]["count"] == 1
    assert files[A].data["conflicts"]["count"] == 0
    assert any(
        d.path == B and d.line == 3 and f"and at {B}:1" in d.message for d in ctx.diagnostics
    )


def test_repeats_and_conflicts_are_found_past_blank_broken_and_crlf_lines(tmp_path: Path) -> None:
    # Content is hashed only for ids seen twice, from a second reading of those rows: rows
    # must be matched to the same lines although blank lines have no row and broken ones do.
    again = record(3, "2026-03-01T11:00:00Z")
    lines: list[bytes | dict[str, object]] = [
        record(1, "2026-03-01T09:00:00Z"),
        b"",
        again,
        b'{"decision_id": "cut',
        record(2, "2026-03-01T10:00:00Z"),
        b"   ",
        again,  # re-emitted: same content, another place in the chain
        record(2, "2026-03-01T10:00:00Z", output="decline", final_outcome="decline"),
        record(4, "2026-03-01T12:00:00Z"),
    ]
    write(tmp_path, A, chained(lines, endings={2: b"\r\n", 4: b"\r\n"}))

    data, _, _, _ = run(tmp_path)

    assert data["records"] == 5
    assert data["counts"]["repeated_record"]["count"] == 1
    assert data["counts"]["repeated_record"]["first"] == [{"path": A, "line": 7}]
    assert data["conflicts"] == {
        "count": 1,
        "first": [
            {
                "decision_id": "00000000-0000-4000-8000-000000000002",
                "first": {"path": A, "line": 5},
                "differs": {"path": A, "line": 8},
            }
        ],
    }


def test_a_re_emission_in_a_gzip_log_and_a_plain_one_counts_once(tmp_path: Path) -> None:
    same = json.dumps(record(1, "2026-03-01T09:00:00Z")).encode() + b"\n"
    write(tmp_path, "logs/decisions/a.jsonl.gz", gzip.compress(same))
    write(tmp_path, B, same + json.dumps(record(2, "2026-03-01T10:00:00Z")).encode() + b"\n")

    data, _, _, _ = run(tmp_path)

    assert data["records"] == 2
    assert data["counts"]["repeated_record"]["count"] == 1
    assert data["conflicts"]["count"] == 0


def test_a_log_rewritten_while_it_is_read_is_not_taken_for_a_re_emission(tmp_path: Path) -> None:
    # Between the load and the second reading (of the rows whose id occurs twice), the file
    # changes: the rows read back are not the rows loaded, so their content is unknown. They
    # are compared by their lines' own sha256: different lines are a conflict, never a repeat.
    first = record(1, "2026-03-01T09:00:00Z")
    log = write(tmp_path, A, chained([first, record(2, "2026-03-01T10:00:00Z"), first]))
    settings = DecisionLogSettings(
        paths=("logs/decisions/*.jsonl",),
        high_risk_types=("credit_decision",),
        retention_max_days=1,
        gap_hours=1.0,
        required_fields=(),
        memory_limit="64MB",
        threads=1,
    )
    loader = DuckDBDecisionLogLoader(settings)
    try:
        entry = LogFile(path=A, absolute=log, rank=0, size=log.stat().st_size, is_csv=False)
        loader.load_jsonl(entry, None)
        log.write_bytes(chained([record(5, "2026-03-01T09:00:00Z")] * 3))
        loader.mark_repeats()
        flags = loader.con.execute(
            "SELECT repeat_file, content_hash = record_hash FROM decision_records ORDER BY seq"
        ).fetchall()
    finally:
        loader.close()
    assert [repeat for repeat, _ in flags] == [False, False, False]
    assert [same for _, same in flags] == [True, None, True]


def test_repeats_and_conflicts_in_a_log_with_its_own_field_names(tmp_path: Path) -> None:
    # The second reading of repeated ids must use the log's `fields:`: read with the
    # catalogue's names, every field would be missing and every record would look alike.
    def renamed(n: int, output: str) -> dict[str, object]:
        return {
            "id": f"d-{n}",
            "ts": "2026-03-01T09:00:00Z",
            "kind": "marketing_offer",
            "result": output,
        }

    lines = [renamed(1, "approve"), renamed(2, "approve"), renamed(1, "approve")]
    lines.append(renamed(2, "decline"))
    write(tmp_path, A, b"".join(json.dumps(line).encode() + b"\n" for line in lines))
    fields = {"decision_id": "id", "timestamp": "ts", "decision_type": "kind", "output": "result"}

    data, _, _, _ = run(tmp_path, {"fields": fields})

    assert data["records"] == 3
    assert data["counts"]["repeated_record"]["first"] == [{"path": A, "line": 3}]
    assert data["conflicts"]["count"] == 1
    assert data["conflicts"]["first"][0]["differs"] == {"path": A, "line": 4}
