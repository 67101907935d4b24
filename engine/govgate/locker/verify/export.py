"""Verifying an export offline: its files read as the runs, evidence and tombstones they hold,
then the same digest and chain checks as the locker itself.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from govgate.core.evidence import evidence_digest
from govgate.locker.export import EXPORT_SCHEMA
from govgate.locker.verify.report import VerifyProblem, VerifyReport
from govgate.locker.verify.runs import uncited_problems, verify_chain
from govgate.locker.verify.stored import StoredRun, StoredTombstone, is_int
from govgate.locker.verify.witness import Witness, witness_problems
from govgate.support.errors import UsageError
from govgate.support.paths import display_path


def verify_export(
    directory: Path, *, witnesses: Sequence[Witness] = (), now: datetime | None = None
) -> VerifyReport:
    """Verify an export offline: the same digest and chain checks as the locker itself.

    The manifest is data like any other: an entry that lacks a field is a problem of its run,
    and a file it names outside the export folder is refused, never read.
    """
    report = VerifyReport(source=display_path(directory))
    manifest = _read_manifest(directory)
    status, labels = _evidence_status(directory, manifest, report.problems)
    runs = _stored_runs(directory, manifest, report.problems)
    tombstones = _stored_tombstones(manifest)
    head = _head(manifest, report.problems)
    report.chain = {run.seq: run.hash for run in runs}
    report.problems.extend(
        verify_chain(
            runs,
            status,
            labels,
            head,
            tombstones,
            unsealed_ok=_unsealed_ok(manifest, runs),
            now=now,
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
    report.witnesses = len(witnesses)
    report.problems[:0] = witness_problems(report.chain, list(witnesses))
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


def _entries(manifest: dict[str, Any], key: str, problems: list[VerifyProblem]) -> list[Any]:
    """The manifest's list under `key` (a problem when it is something else)."""
    value = manifest.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append(
            VerifyProblem(None, "manifest", f"the manifest's {key} is not a list (edited)")
        )
        return []
    return value


def _inside(directory: Path, name: Any) -> Path | None:
    """The file an export names, when it is a relative path that stays inside the export."""
    if not isinstance(name, str) or not name:
        return None
    relative = PurePosixPath(name)
    if relative.is_absolute() or ".." in relative.parts or "\\" in name:
        return None
    path = directory / relative
    try:
        if not path.resolve().is_relative_to(directory.resolve()):
            return None  # a symlink out of the export
    except (OSError, RuntimeError):
        return None
    return path


def _evidence_status(
    directory: Path, manifest: dict[str, Any], problems: list[VerifyProblem]
) -> tuple[dict[str, str | None], dict[str, str]]:
    """Each listed evidence item's problem (None: its file matches its digest), and labels."""
    status: dict[str, str | None] = {}
    labels: dict[str, str] = {}
    for number, entry in enumerate(_entries(manifest, "evidence", problems), 1):
        if not isinstance(entry, dict):
            problems.append(
                VerifyProblem(
                    None, "manifest", f"evidence entry {number} of the manifest is not an object"
                )
            )
            continue
        digest = str(entry.get("digest"))
        labels[digest] = f"kind {entry.get('kind')}, subject {entry.get('subject')}"
        path = _inside(directory, entry.get("file"))
        if path is None:
            status[digest] = f"names the file {entry.get('file')!r}, outside the export: not read"
            continue
        try:
            document = json.loads(path.read_text("utf-8"))
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


#: What the manifest must say of every run for the chain to be checked.
_RUN_FIELDS = ("prev_hash", "hash", "results_digest")


def _stored_runs(
    directory: Path, manifest: dict[str, Any], problems: list[VerifyProblem]
) -> list[StoredRun]:
    runs = []
    for number, entry in enumerate(_entries(manifest, "runs", problems), 1):
        if not isinstance(entry, dict) or not is_int(entry.get("id")):
            problems.append(
                VerifyProblem(
                    None, "manifest", f"run entry {number} of the manifest has no run number"
                )
            )
            continue
        lacking = [k for k in _RUN_FIELDS if not isinstance(entry.get(k), str)]
        if not isinstance(entry.get("evidence") or [], list):
            lacking.append("evidence")
        if lacking:  # named first: what follows from it (a broken link, a hash) is noise
            problems.append(
                VerifyProblem(
                    entry["id"],
                    "manifest",
                    f"the manifest lists it without {', '.join(lacking)} (edited)",
                )
            )
        runs.append(_stored_run(directory, entry))
    return runs


def _stored_run(directory: Path, entry: dict[str, Any]) -> StoredRun:
    """A run as the manifest lists it, with its record file read (when it has one)."""
    record: Any = None
    problem = None
    evidence = entry.get("evidence") or []
    if not isinstance(evidence, list):
        evidence = []
    if entry.get("file"):
        path = _inside(directory, entry["file"])
        if path is None:
            problem = f"its record file {entry['file']!r} is outside the export: not read"
        else:
            try:
                record = json.loads(path.read_text("utf-8"))
            except (OSError, ValueError) as exc:
                problem = f"its record {entry['file']} cannot be read: {exc}"
    elif not entry.get("pruned_at"):
        problem = "its record file is missing from the export"
    return StoredRun(
        seq=int(entry["id"]),
        prev_hash=str(entry.get("prev_hash")),
        hash=str(entry.get("hash")),
        results_digest=str(entry.get("results_digest")),
        evidence_digests=[str(d) for d in evidence],
        record=record,
        record_problem=problem,
        pruned=bool(entry.get("pruned_at")) and not entry.get("file"),
        started_at=entry.get("started_at"),
        finished_at=entry.get("finished_at"),
        pruned_at=entry.get("pruned_at"),
    )


def _head(manifest: dict[str, Any], problems: list[VerifyProblem]) -> tuple[int, str] | None:
    raw = manifest.get("head")
    if raw is None:
        return None
    if isinstance(raw, dict) and is_int(raw.get("id")) and isinstance(raw.get("hash"), str):
        return raw["id"], raw["hash"]
    problems.append(VerifyProblem(None, "manifest", "the manifest's head cannot be read (edited)"))
    return None


def _stored_tombstones(manifest: dict[str, Any]) -> list[StoredTombstone]:
    tombstones: list[StoredTombstone] = []
    listed_all = manifest.get("tombstones")
    for number, listed in enumerate(listed_all if isinstance(listed_all, list) else [], 1):
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
