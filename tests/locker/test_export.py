"""Exports: one file per item and run plus a manifest, verified offline like the locker."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from locker.harness import (
    check,
    db,
    forge_sealed_tombstone,
    four_runs,
    fresh_collector,
    open_locker,
    registry_with,
)

from govgate.core.evidence import format_timestamp
from govgate.locker.verify import verify_export


def test_export_writes_one_file_per_item_and_a_manifest(notes_repo, tmp_path: Path) -> None:
    repo = notes_repo()
    registry = registry_with(fresh_collector())
    check(repo, registry)
    check(repo, registry)
    out = tmp_path / "export"
    with open_locker(repo) as locker:
        summary = locker.export(out)
        again = locker.export(out)

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["schema"] == "govgate/locker-export/v1"
    assert [r["id"] for r in manifest["runs"]] == [1, 2]
    assert manifest["head"]["id"] == 2
    evidence_files = sorted(out.glob("evidence/*/*.json"))
    assert len(evidence_files) == 2 == summary["evidence"]
    item = json.loads(evidence_files[0].read_text())
    assert set(item) == {"digest", "kind", "subject", "data"}
    assert evidence_files[0].stem == item["digest"].split(":")[1]
    assert sorted(p.name for p in (out / "runs").iterdir()) == ["000001.json", "000002.json"]
    assert again["files_written"] == 1  # only the manifest (its export time) changes


def test_an_export_of_a_forged_tombstone_fails_verification(notes_repo, tmp_path: Path) -> None:
    repo = four_runs(notes_repo)
    with db(repo) as conn:
        forge_sealed_tombstone(conn, [3], pruned_at=format_timestamp(datetime.now(UTC)))
    with open_locker(repo) as locker:
        locker.export(tmp_path / "export")
    report = verify_export(tmp_path / "export")
    assert report.first is not None and report.first.run == 3, report.problems
    assert report.first.message.startswith("was not old enough to prune")


def test_a_tombstone_forged_inside_an_export_fails_verification(notes_repo, tmp_path: Path) -> None:
    repo = four_runs(notes_repo)
    out = tmp_path / "export"
    with open_locker(repo) as locker:
        locker.export(out)
    manifest = json.loads((out / "manifest.json").read_text())
    run = manifest["runs"][2]
    run["file"], run["pruned_at"] = None, format_timestamp(datetime.now(UTC))
    (out / "runs" / "000003.json").unlink()
    manifest["tombstones"].append(  # unsealed, like a schema-1 export's
        {
            "pruned_at": run["pruned_at"],
            "reason": "retention_days: 1 (runs started before 2099-01-01T00:00:00Z)",
            "runs": [{"id": 3, "hash": run["hash"], "started_at": "2000-01-01T00:00:00Z"}],
            "evidence_removed": 0,
        }
    )
    (out / "manifest.json").write_text(json.dumps(manifest))
    report = verify_export(out)
    assert report.first is not None and report.first.run == 3, report.problems
    assert "tombstone 1 (pruning run 3) is not sealed" in report.first.message
