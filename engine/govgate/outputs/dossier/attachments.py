"""The two files a dossier embeds: the run's result document and the evidence manifest, as the
exact bytes whose sha256 digests the dossier records."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from govgate import __version__
from govgate.core.evidence import sha256_digest
from govgate.outputs.dossier.formats import MANIFEST_ATTACHMENT, MANIFEST_SCHEMA, RESULT_ATTACHMENT
from govgate.outputs.dossier.inputs import DossierInput


@dataclass(frozen=True)
class DossierAttachment:
    """A file embedded in the PDF; `digest` is sha256 of exactly these bytes."""

    name: str
    data: bytes
    media_type: str
    relationship: str
    description: str

    @property
    def digest(self) -> str:
        return sha256_digest(self.data)

    @property
    def size(self) -> int:
        return len(self.data)


def _json_bytes(document: Any) -> bytes:
    # Pretty and sorted so an auditor can read and diff the attachment; the digest is over
    # these exact bytes, so nothing needs to re-serialise it to verify.
    return (
        json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"
    ).encode("utf-8")


def evidence_manifest(inp: DossierInput) -> list[dict[str, Any]]:
    """One entry per evidence item of the run: where it came from and whether it still hashes.

    Entries come from the result document's manifest; `content_verified` says whether the
    item's content was at hand and its digest recomputed from it when the dossier was written.
    """
    items = {item.digest: item for item in inp.evidence}
    listed = list(inp.result.get("evidence") or [])
    known = {entry.get("digest") for entry in listed}
    # Evidence the caller holds but the result's manifest lacks is still listed: the dossier
    # must not hide what the run saw.
    for item in sorted(inp.evidence, key=lambda e: (e.kind, e.subject, e.digest)):
        if item.digest not in known:
            listed.append(
                {
                    "digest": item.digest,
                    "kind": item.kind,
                    "subject": item.subject,
                    "source": item.source.to_json(),
                    "collector": {"name": item.collector, "version": item.collector_version},
                    "collected_at": item.collected_at,
                    "dated": item.dated,
                    "cited": False,
                }
            )
    manifest = []
    for entry in listed:
        held = items.get(entry.get("digest", ""))
        manifest.append(
            {
                **entry,
                "content_verified": None if held is None else held.verify_digest(),
                "problem": None if held is None else held.problem,
            }
        )
    return manifest


def build_attachments(inp: DossierInput) -> tuple[DossierAttachment, DossierAttachment]:
    """The result document and the evidence manifest, as the bytes embedded in the PDF."""
    result_bytes = _json_bytes(inp.result)
    result = DossierAttachment(
        name=RESULT_ATTACHMENT,
        data=result_bytes,
        media_type="application/json",
        relationship="Source",
        description="govgate/result/v1 document of the run this dossier reports",
    )
    run = inp.result.get("run") or {}
    manifest_doc = {
        "schema": MANIFEST_SCHEMA,
        "generated_at": inp.generated_at,
        "prepared_by": inp.prepared_by,
        "tool": {"name": "govgate", "version": __version__},
        "target": inp.result.get("target"),
        "run": {"started_at": run.get("started_at"), "finished_at": run.get("finished_at")},
        "result": {"attachment": RESULT_ATTACHMENT, "digest": result.digest},
        "evidence": evidence_manifest(inp),
    }
    manifest = DossierAttachment(
        name=MANIFEST_ATTACHMENT,
        data=_json_bytes(manifest_doc),
        media_type="application/json",
        relationship="Data",
        description="evidence manifest: digest, kind, source, collector and time of each item",
    )
    return result, manifest
