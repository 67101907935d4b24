"""The validated-pack cache: pack files that already parsed and passed the policy schema, read
back on warm runs instead of parsed and validated again, each entry authenticated with the
user's cache key."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from govgate.support.cachekey import CacheKey, load_key
from govgate.support.yamlload import LoadedYaml

#: What an entry's MAC is over, besides its name and body: a MAC of this cache, not another's.
_PURPOSE = "govgate validated pack v1"


class ValidatedPackCache:
    """Pack files that already parsed and passed the policy schema, kept as JSON.

    Parsing YAML and validating it against the policy schema is most of what loading packs
    costs, and its outcome depends only on the file's bytes, the schema and govgate's own code.
    So a file that came out clean is stored with its data and line map, under a name derived
    from exactly those (the sha256 of the schema's canonical JSON and the govgate version, and
    the file's bytes) and read back instead of parsed. Only clean files are stored: a file
    with any problem is parsed and validated every time, so every error and message is the
    one a cold run gives. Cross-references, conditions and the evaluation order are still
    compiled on every run. JSON, never pickle: the cache is data, and a damaged entry is
    simply a miss.

    The folder lives in the work tree, where a commit can plant or edit entries. So an entry
    is named by an HMAC under the user's cache key (`govgate.support.cachekey`) and its first
    line is an HMAC over its name and body: an entry no key of ours wrote is never found, and
    one edited after it was written is never read (the file is parsed and validated again).
    Without a key nothing is cached.
    """

    #: Entries kept (a pack edit adds one); the oldest go first.
    KEEP = 256

    def __init__(
        self, directory: Path, schema: dict[str, Any], key: CacheKey | None = None
    ) -> None:
        from govgate import __version__
        from govgate.core.evidence import canonical_json

        self.directory = directory / "packs"
        self._salt = hashlib.sha256(
            f"govgate {__version__}\0".encode() + canonical_json(schema)
        ).digest()
        # The folder is only handed out once the key was checked against the repository
        # (`govgate.core.config.cache_directory`).
        self._key = key or load_key()

    def _entry(self, file: Path) -> Path | None:
        if self._key is None:
            return None
        try:
            content = file.read_bytes()
        except OSError:
            return None  # the normal path reports it
        name = self._key.sign(_PURPOSE, "name", self._salt, content)
        return self.directory / f"{name}.json"

    def get(self, file: Path, shown: str) -> LoadedYaml | None:
        entry = self._entry(file)
        if entry is None or self._key is None:
            return None
        try:
            tag, _, body = entry.read_bytes().partition(b"\n")
            if not self._key.verify(tag.decode("ascii"), _PURPOSE, entry.name, body):
                return None  # not written by us as it is now: parse and validate again
            stored = json.loads(body)
            data, lines = stored["data"], stored["lines"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not isinstance(data, dict) or not isinstance(lines, dict):
            return None
        return LoadedYaml(data=data, path=shown, lines=lines)

    def put(self, file: Path, doc: LoadedYaml) -> None:
        entry = self._entry(file)
        if entry is None or self._key is None:
            return
        try:
            text = json.dumps({"data": doc.data, "lines": doc.lines}, allow_nan=False)
            if json.loads(text) != {"data": doc.data, "lines": doc.lines}:
                return  # not plain JSON data (e.g. a YAML set); keep parsing this file
            body = text.encode("utf-8")
            tag = self._key.sign(_PURPOSE, entry.name, body)
            entry.parent.mkdir(parents=True, exist_ok=True)
            tmp = entry.with_name(f"{entry.name}.{os.getpid()}.tmp")
            tmp.write_bytes(tag.encode("ascii") + b"\n" + body)
            tmp.replace(entry)  # atomic: a concurrent reader sees all of it or nothing
            entries = sorted(self.directory.glob("*.json"), key=lambda e: e.stat().st_mtime)
            for old in entries[: max(0, len(entries) - self.KEEP)]:
                old.unlink(missing_ok=True)  # pack edits add entries; keep the newest
        except (OSError, ValueError, TypeError):
            pass  # a cache that cannot be written only costs speed
