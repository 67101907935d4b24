"""Exporting the locker: one JSON file per evidence item and per run record, plus a manifest,
written so that an export can be committed to git (re-exporting only adds files) or archived.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from govgate import __version__
from govgate.core.evidence import format_timestamp, utc_now
from govgate.locker.chain import GENESIS_HASH
from govgate.locker.columns import loads_or, unpack
from govgate.locker.database import LockerDatabase
from govgate.locker.evidence import all_evidence
from govgate.locker.history import list_tombstones
from govgate.locker.schema import SCHEMA_VERSION
from govgate.support.errors import UsageError

EXPORT_SCHEMA = "govgate/locker-export/v1"

#: How every hash of an export is computed, spelled out in its manifest for offline checkers.
CHAIN_FORMULAS = {
    "genesis": GENESIS_HASH,
    "run_hash": 'sha256(canonical_json({"prev": prev_hash, "evidence": '
    '[evidence digests], "results": results_digest}))',
    "results_digest": "sha256(canonical_json(run record))",
    "evidence_digest": "sha256(canonical_json({kind, subject, data}))",
    "tombstone_hash": "sha256(canonical_json(tombstone without its hash)); its "
    "prev is the previous tombstone's hash, the genesis for the first",
    "ledger": 'each run record\'s "ledger": runs_before, started_at_digest '
    '(started(0) = genesis, started(n) = sha256(canonical_json({"prev": '
    'started(n-1), "run": n, "started_at": start of run n}))), tombstones '
    "(those whose head run precedes it) and tombstone_head (the hash of the "
    "last of them, else the genesis)",
}


def export_locker(db: LockerDatabase, directory: Path) -> dict[str, Any]:
    """Write one JSON file per evidence item and per run record, plus `manifest.json`.

    Files are content-addressed or numbered, written atomically, and the manifest last, so
    an export can be committed to git (re-exporting only adds files) or archived.
    """
    prepare_export_dir(directory)
    # One read snapshot, so a run recorded meanwhile cannot appear half-exported.
    db.connection.execute("BEGIN")
    try:
        evidence_out, evidence_written = _export_evidence(db, directory)
        runs_out, runs_written = _export_runs(db, directory)
        head = db.head()
        tombstones = [t.to_json() for t in list_tombstones(db)]
    finally:
        db.connection.execute("COMMIT")
    manifest = {
        "schema": EXPORT_SCHEMA,
        "tool": {"name": "govgate", "version": __version__},
        "exported_at": format_timestamp(utc_now()),
        "locker": {"path": db.display, "schema_version": SCHEMA_VERSION},
        "chain": CHAIN_FORMULAS,
        "head": {"id": head[0], "hash": head[1]} if head else None,
        "runs": runs_out,
        "evidence": sorted(evidence_out, key=lambda e: e["digest"]),
        "tombstones": tombstones,
    }
    write_json(directory / "manifest.json", manifest)
    return {
        "directory": str(directory),
        "runs": len(runs_out),
        "evidence": len(evidence_out),
        "files_written": evidence_written + runs_written + 1,
    }


def _export_evidence(db: LockerDatabase, directory: Path) -> tuple[list[dict[str, Any]], int]:
    """A file per evidence item, named by its digest; the manifest's entries and files written."""
    entries: list[dict[str, Any]] = []
    written = 0
    for digest, kind, subject, data in all_evidence(db):
        hexdigest = digest.split(":", 1)[-1]
        rel = f"evidence/{hexdigest[:2]}/{hexdigest}.json"
        try:
            value: Any = json.loads(data)
        except ValueError:
            value = data  # exported as stored; verifying the export reports it
        document = {"digest": digest, "kind": kind, "subject": subject, "data": value}
        written += write_json(directory / rel, document)
        entries.append({"digest": digest, "kind": kind, "subject": subject, "file": rel})
    return entries, written


def _export_runs(db: LockerDatabase, directory: Path) -> tuple[list[dict[str, Any]], int]:
    """A file per run that has its record; the manifest's entries and files written."""
    entries: list[dict[str, Any]] = []
    written = 0
    for row in db.connection.execute(
        "SELECT seq, prev_hash, hash, results_digest, evidence_digests, record, "
        "pruned_at, command, started_at, finished_at, gate, target_commit "
        "FROM runs ORDER BY seq"
    ):
        rel_run: str | None = None
        if row[5] is not None:
            try:
                stored = json.loads(unpack(row[5]))
            except ValueError:
                stored = None  # damaged: listed without a file; verifying it says so
            if stored is not None:
                rel_run = f"runs/{row[0]:06d}.json"
                written += write_json(directory / rel_run, stored)
        entries.append(
            {
                "id": row[0],
                "prev_hash": row[1],
                "hash": row[2],
                "results_digest": row[3],
                # as stored, even when edited: verifying the export says so
                "evidence": loads_or(row[4], row[4]),
                "file": rel_run,
                "pruned_at": row[6],
                "command": row[7],
                "started_at": row[8],
                "finished_at": row[9],
                "gate": row[10],
                "target_commit": row[11],
            }
        )
    return entries, written


def prepare_export_dir(directory: Path) -> None:
    """Create the folder; refuse one that holds anything but an earlier export."""
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory}: exists and is not a directory")
    if directory.is_dir() and any(directory.iterdir()):
        manifest = directory / "manifest.json"
        try:
            schema = json.loads(manifest.read_text(encoding="utf-8")).get("schema")
        except (OSError, ValueError, AttributeError):
            schema = None
        if schema != EXPORT_SCHEMA:
            raise UsageError(
                f"{directory}: not empty and not a govgate locker export; "
                "choose an empty or new directory"
            )
    directory.mkdir(parents=True, exist_ok=True)


def _export_text(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_json(path: Path, value: Any) -> int:
    """Write a JSON file atomically; 0 when it already holds exactly this content."""
    text = _export_text(value)
    try:
        if path.read_text(encoding="utf-8") == text:
            return 0
    except (OSError, UnicodeDecodeError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return 1
