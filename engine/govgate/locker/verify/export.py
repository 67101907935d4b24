"""Verifying an export offline: its files read as the runs, evidence and tombstones they hold,
then the same digest and chain checks as the locker itself.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from govgate.core.evidence import evidence_digest
from govgate.locker.export import EXPORT_SCHEMA
from govgate.locker.verify.report import VerifyReport
from govgate.locker.verify.runs import uncited_problems, verify_chain
from govgate.locker.verify.stored import StoredRun, StoredTombstone, is_int
from govgate.support.errors import UsageError
from govgate.support.paths import display_path


def verify_export(directory: Path) -> VerifyReport:
    """Verify an export offline: the same digest and chain checks as the locker itself."""
    report = VerifyReport(source=display_path(directory))
    manifest = _read_manifest(directory)
    status, labels = _evidence_status(directory, manifest)
    runs = [_stored_run(directory, entry) for entry in manifest.get("runs") or []]
    tombstones = _stored_tombstones(manifest)
    head_raw = manifest.get("head")
    head = (int(head_raw["id"]), str(head_raw["hash"])) if head_raw else None
    report.problems.extend(
        verify_chain(
            runs, status, labels, head, tombstones, unsealed_ok=_unsealed_ok(manifest, runs)
        )
    )
    report.tombstones = len(tombstones)
    report.tombstone_head = tombstones[-1].hash if tombstones else None
    cited = {d for run in runs for d in run.evidence_digests}
    report.problems.extend(uncited_problems(status, labels, cited))
    report.runs = len(runs)
    report.pruned = sum(1 for run in runs if run.pruned)
    report.evidence = len(status)
    if head is not None:
        report.head_seq, report.head_hash = head
    return report


def _read_manifest(directory: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(
            f"{directory}/manifest.json: cannot read the export manifest: {exc}"
        ) from exc
    if not isinstance(manifest, dict) or manifest.get("schema") != EXPORT_SCHEMA:
        raise UsageError(f"{directory}/manifest.json: not a govgate locker export")
    return manifest


def _evidence_status(
    directory: Path, manifest: dict[str, Any]
) -> tuple[dict[str, str | None], dict[str, str]]:
    """Each listed evidence item's problem (None: its file matches its digest), and labels."""
    status: dict[str, str | None] = {}
    labels: dict[str, str] = {}
    for entry in manifest.get("evidence") or []:
        digest = str(entry.get("digest"))
        labels[digest] = f"kind {entry.get('kind')}, subject {entry.get('subject')}"
        try:
            document = json.loads((directory / str(entry.get("file"))).read_text("utf-8"))
            if document.get("digest") != digest:
                status[digest] = f"file {entry.get('file')} holds another digest"
            else:
                status[digest] = _check_export_evidence(document)
        except (OSError, ValueError, AttributeError) as exc:
            status[digest] = f"cannot be read from {entry.get('file')}: {exc}"
    return status, labels


def _check_export_evidence(document: dict[str, Any]) -> str | None:
    try:
        recomputed = evidence_digest(
            str(document["kind"]), str(document["subject"]), document["data"]
        )
    except (KeyError, ValueError):
        return "is incomplete or not JSON data"
    if recomputed != document["digest"]:
        return "was changed after it was exported: its content no longer matches its digest"
    return None


def _stored_run(directory: Path, entry: dict[str, Any]) -> StoredRun:
    """A run as the manifest lists it, with its record file read (when it has one)."""
    record: Any = None
    problem = None
    if entry.get("file"):
        try:
            record = json.loads((directory / str(entry["file"])).read_text("utf-8"))
        except (OSError, ValueError) as exc:
            problem = f"its record {entry['file']} cannot be read: {exc}"
    elif not entry.get("pruned_at"):
        problem = "its record file is missing from the export"
    return StoredRun(
        seq=int(entry["id"]),
        prev_hash=str(entry["prev_hash"]),
        hash=str(entry["hash"]),
        results_digest=str(entry["results_digest"]),
        evidence_digests=[str(d) for d in entry.get("evidence") or []],
        record=record,
        record_problem=problem,
        pruned=bool(entry.get("pruned_at")) and not entry.get("file"),
        started_at=entry.get("started_at"),
        finished_at=entry.get("finished_at"),
        pruned_at=entry.get("pruned_at"),
    )


def _stored_tombstones(manifest: dict[str, Any]) -> list[StoredTombstone]:
    tombstones: list[StoredTombstone] = []
    for number, listed in enumerate(manifest.get("tombstones") or [], 1):
        entry = listed if isinstance(listed, dict) else {}
        sealed = entry.get("hash")
        document = {k: v for k, v in entry.items() if k != "hash"}
        if sealed is None or "format" not in entry:
            tombstones.append(StoredTombstone(number, None, sealed, listed=document))
        else:
            tombstones.append(StoredTombstone(number, document, str(sealed)))
    return tombstones


def _unsealed_ok(manifest: dict[str, Any], runs: list[StoredRun]) -> bool:
    """Tombstones without a hash come from a schema-1 locker; from a locker that seals them, or
    once runs carry a ledger, a tombstone without one is forged."""
    locker_info = manifest.get("locker")
    schema = locker_info.get("schema_version") if isinstance(locker_info, dict) else None
    return (
        is_int(schema)
        and schema < 2
        and not any(run.readable is not None and "ledger" in run.readable for run in runs)
    )
