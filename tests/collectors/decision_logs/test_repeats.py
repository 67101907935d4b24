"""Each decision counted once: an exact re-emission is one decision everywhere; the same id
with other content is a conflict, reported with both lines."""

from __future__ import annotations

import json
from pathlib import Path

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
