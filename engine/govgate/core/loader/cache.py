"""The validated-pack cache: pack files that already parsed and passed the policy schema, read
back on warm runs instead of parsed and validated again."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from govgate.support.yamlload import LoadedYaml


class ValidatedPackCache:
    """Pack files that already parsed and passed the policy schema, kept as JSON.

    Parsing YAML and validating it against the policy schema is most of what loading packs
    costs, and its outcome depends only on the file's bytes, the schema and govgate's own code.
    So a file that came out clean is stored under a key of exactly those (sha256 of the bytes,
    of the schema's canonical JSON, and the govgate version) with its data and line map, and
    read back instead of parsed. Only clean files are stored: a file with any problem is
    parsed and validated every time, so every error and message is the one a cold run gives.
    Cross-references, conditions and the evaluation order are still compiled on every run.
    JSON, never pickle: the cache is data, and a damaged entry is simply a miss.
    """

    #: Entries kept (a pack edit adds one); the oldest go first.
    KEEP = 256

    def __init__(self, directory: Path, schema: dict[str, Any]) -> None:
        from govgate import __version__
        from govgate.core.evidence import canonical_json

        self.directory = directory / "packs"
        self._salt = hashlib.sha256(
            f"govgate {__version__}\0".encode() + canonical_json(schema)
        ).digest()

    def _entry(self, file: Path) -> Path | None:
        try:
            content = file.read_bytes()
        except OSError:
            return None  # the normal path reports it
        key = hashlib.sha256(self._salt + content).hexdigest()
        return self.directory / f"{key}.json"

    def get(self, file: Path, shown: str) -> LoadedYaml | None:
        entry = self._entry(file)
        if entry is None:
            return None
        try:
            stored = json.loads(entry.read_text(encoding="utf-8"))
            data, lines = stored["data"], stored["lines"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not isinstance(data, dict) or not isinstance(lines, dict):
            return None
        return LoadedYaml(data=data, path=shown, lines=lines)

    def put(self, file: Path, doc: LoadedYaml) -> None:
        entry = self._entry(file)
        if entry is None:
            return
        try:
            text = json.dumps({"data": doc.data, "lines": doc.lines}, allow_nan=False)
            if json.loads(text) != {"data": doc.data, "lines": doc.lines}:
                return  # not plain JSON data (e.g. a YAML set); keep parsing this file
            entry.parent.mkdir(parents=True, exist_ok=True)
            tmp = entry.with_name(f"{entry.name}.{os.getpid()}.tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(entry)  # atomic: a concurrent reader sees all of it or nothing
            entries = sorted(self.directory.glob("*.json"), key=lambda e: e.stat().st_mtime)
            for old in entries[: max(0, len(entries) - self.KEEP)]:
                old.unlink(missing_ok=True)  # pack edits add entries; keep the newest
        except (OSError, ValueError, TypeError):
            pass  # a cache that cannot be written only costs speed
