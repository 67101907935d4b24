"""The plugins installed for an entry-point group, found once per environment and then cached.

`importlib.metadata` reads every installed distribution to answer, and importing it costs
about as much as the scan (together some 30 ms of every commit hook). What it answers only
changes when something on `sys.path` is installed, removed or edited, so the answer is kept in
the user's cache directory under a fingerprint of exactly that, authenticated like every other
cache (`govgate.support.cachekey`); any doubt means scanning again.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import json
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govgate.support.cachekey import CacheKey, load_key, user_cache_dir

#: What an entry's MAC is over, besides its name and body: a MAC of this cache, not another's.
_PURPOSE = "govgate entry points v1"
#: Fingerprints kept (one per environment and working folder); the oldest go first.
KEEP = 32
#: How importlib.metadata reads an entry point's value: `module[:attr.attr][ [extras]]`.
_VALUE = re.compile(r"(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+)\s*)?((?P<extras>\[.*\])\s*)?$")
#: Folder names importlib.metadata finds distributions by.
_METADATA_DIRS = (".dist-info", ".egg-info", ".egg")


@dataclass(frozen=True)
class PluginEntry:
    """One installed entry point: its name, `module:attr`, and the distribution it came from."""

    name: str
    value: str
    dist_name: str | None = None
    dist_version: str | None = None

    def load(self) -> Any:
        """Import the object the entry point names, as `EntryPoint.load` does."""
        match = _VALUE.match(self.value)
        if match is None:
            raise ValueError(f"entry point value {self.value!r} is not module:attribute")
        module = importlib.import_module(match.group("module"))
        attrs = [a for a in (match.group("attr") or "").split(".") if a]
        return functools.reduce(getattr, attrs, module)


def installed_plugins(group: str) -> dict[str, PluginEntry]:
    """The entry points of `group`, by name (a later one of the same name wins, as in a scan
    of `importlib.metadata.entry_points`), from the cache when nothing installed changed."""
    # The key lives in the user's cache folder; a key file that git could have written
    # (readable by others) is refused by load_key, so a repository cannot plant entries.
    key = load_key()
    fingerprint = _fingerprint(group) if key is not None else None
    if key is not None and fingerprint is not None:
        cached = _read(key, fingerprint)
        if cached is not None:
            return cached
    found = _scan(group)
    if key is not None and fingerprint is not None:
        _write(key, fingerprint, found)
    return found


def _scan(group: str) -> dict[str, PluginEntry]:
    from importlib.metadata import entry_points

    found: dict[str, PluginEntry] = {}
    for ep in entry_points(group=group):
        dist = ep.dist
        found[ep.name] = PluginEntry(
            ep.name, ep.value, dist.name if dist else None, dist.version if dist else None
        )
    return found


def _fingerprint(group: str) -> str | None:
    """A digest of what a scan reads: each `sys.path` entry (the working folder for ""), its
    distributions' folder names and the identity of their entry_points.txt. Installing,
    removing, upgrading or editing a distribution changes it. None when it cannot be taken."""
    digest = hashlib.sha256()
    try:
        for part in _environment(group):
            data = part.encode("utf-8", "surrogateescape")
            digest.update(len(data).to_bytes(8, "big") + data)
    except OSError:
        return None
    return digest.hexdigest()


def _environment(group: str) -> Iterator[str]:
    from govgate import __version__

    yield from (group, __version__, sys.version, sys.executable, json.dumps(sys.path))
    # os.stat on strings, not pathlib: a large environment has hundreds of distributions,
    # and this runs on every commit.
    for entry in sys.path:
        folder = os.path.abspath(entry or ".")  # noqa: PTH100
        yield folder
        yield _identity(folder)
        with contextlib.suppress(NotADirectoryError, FileNotFoundError):
            with os.scandir(folder) as listing:
                names = sorted(e.name for e in listing if e.name.lower().endswith(_METADATA_DIRS))
            for name in names:
                # The folder's name carries the version; the file is what a scan reads. A
                # distribution installed or removed adds or drops a name.
                yield name
                inside = "EGG-INFO/" if name.endswith(".egg") else ""
                yield _identity(f"{folder}/{name}/{inside}entry_points.txt")


def _identity(path: str) -> str:
    """Which file is at `path` and when it last changed (a rewrite in place changes it)."""
    try:
        info = os.stat(path)  # noqa: PTH116
    except (FileNotFoundError, NotADirectoryError):
        return "-"
    return f"{info.st_mode} {info.st_ino} {info.st_mtime_ns} {info.st_ctime_ns} {info.st_size}"


def _entry(key: CacheKey, fingerprint: str) -> Path:
    return user_cache_dir() / "entry-points" / f"{key.sign(_PURPOSE, 'name', fingerprint)}.json"


def _read(key: CacheKey, fingerprint: str) -> dict[str, PluginEntry] | None:
    entry = _entry(key, fingerprint)
    try:
        tag, _, body = entry.read_bytes().partition(b"\n")
        if not key.verify(tag.decode("ascii"), _PURPOSE, entry.name, body):
            return None  # not written by us as it is now: scan again
        stored = json.loads(body)
        if stored["fingerprint"] != fingerprint:
            return None
        return {
            str(item["name"]): PluginEntry(
                str(item["name"]),
                str(item["value"]),
                None if item["dist_name"] is None else str(item["dist_name"]),
                None if item["dist_version"] is None else str(item["dist_version"]),
            )
            for item in stored["entries"]
        }
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write(key: CacheKey, fingerprint: str, found: dict[str, PluginEntry]) -> None:
    entry = _entry(key, fingerprint)
    body = json.dumps(
        {
            "fingerprint": fingerprint,
            "entries": [
                {
                    "name": e.name,
                    "value": e.value,
                    "dist_name": e.dist_name,
                    "dist_version": e.dist_version,
                }
                for e in found.values()
            ],
        }
    ).encode("utf-8")
    tag = key.sign(_PURPOSE, entry.name, body)
    with contextlib.suppress(OSError):  # a cache that cannot be written only costs speed
        entry.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = entry.with_name(f"{entry.name}.{os.getpid()}.tmp")
        tmp.write_bytes(tag.encode("ascii") + b"\n" + body)
        tmp.replace(entry)  # atomic: a concurrent reader sees all of it or nothing
        entries = sorted(entry.parent.glob("*.json"), key=lambda e: e.stat().st_mtime)
        for old in entries[: max(0, len(entries) - KEEP)]:
            old.unlink(missing_ok=True)
