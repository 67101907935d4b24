"""The `files` collector: which files match a kind's globs, their sizes and sha256.

The simplest evidence there is ("a DPIA exists"), and the one every other check leans on.
A kind bound to this collector always yields one item, even when nothing matched (count 0),
so a rule can say precisely which pattern found nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from govgate.api import CollectContext, Collector, Evidence, hookimpl

FILES_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["patterns", "count", "files", "total_size"],
    "additionalProperties": False,
    "properties": {
        "patterns": {"type": "array", "items": {"type": "string"}},
        "count": {"type": "integer", "minimum": 0},
        "total_size": {"type": "integer", "minimum": 0},
        "files": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["path", "size", "sha256"],
                "additionalProperties": False,
                "properties": {
                    "path": {"type": "string"},
                    "size": {"type": "integer", "minimum": 0},
                    "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                },
            },
        },
    },
}


#: No settings (`collectors.files`): each kind's `paths` say what to read.
SETTINGS_SCHEMA: dict[str, Any] = {"type": "object", "additionalProperties": False}


class FilesCollector(Collector):
    name = "files"
    version = "1.0.0"
    description = "presence, sizes and sha256 of the files matching each kind's globs"
    declared_kind_schema = FILES_SCHEMA
    #: No settings: each kind's `paths` (and `options`) say what to read.
    settings_schema = SETTINGS_SCHEMA

    def collect(self, ctx: CollectContext) -> Iterable[Evidence]:
        for kind in ctx.kinds:
            listed: list[dict[str, Any]] = []
            for rel, path in ctx.iter_files(kind.paths):
                digest = hashlib.sha256()
                size = 0
                with path.open("rb") as handle:
                    for block in iter(lambda: handle.read(1 << 20), b""):
                        digest.update(block)
                        size += len(block)
                listed.append({"path": rel, "size": size, "sha256": digest.hexdigest()})
            yield ctx.evidence(
                kind.name,
                subject=", ".join(kind.paths) or kind.name,
                data={
                    "patterns": list(kind.paths),
                    "count": len(listed),
                    "total_size": sum(f["size"] for f in listed),
                    "files": listed,
                },
                path=listed[0]["path"] if len(listed) == 1 else None,
            )


@hookimpl
def govgate_collectors() -> Sequence[type[Collector]]:
    return [FilesCollector]
