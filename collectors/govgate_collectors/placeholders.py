"""The `placeholders` collector: evidence files that still carry `govgate init`'s TODO markers.

`govgate init` writes templates whose TODO markers and placeholders must be replaced. A
template the rules of the current tier no longer read (a QMS left behind by a change from high
to limited risk), or a filled-in file with one TODO left, would otherwise count as a governance
record nobody finished. This collector reads every file that an evidence kind of the run reads
by path (`ctx.run_kinds`) and reports, per file, the lines with a marker: the word TODO, as
init writes it. Kinds whose files are evidence by their mere presence (the `files` collector:
an SBOM, a model binary) are not read: their content is not a record anyone writes.

Records read by collectors of their own (attestations under governance/attestations/) are no
evidence kind with paths, so `paths` (govgate.yaml `collectors.placeholders.paths`, by default
everything under governance/) adds them: init writes its records there.

When no file carries a marker, one item says so (with how many files were read), so the rule
reading this kind always has evidence; otherwise there is one item per file, located at its
first marker, so each finding names its file and line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from govgate.api import (
    CollectContext,
    Collector,
    CollectorError,
    Evidence,
    EvidenceKind,
    hookimpl,
)

#: init's marker: the word TODO in capitals (a comment, a heading, a JSON key).
MARKER = re.compile(r"\bTODO\b")
#: Collectors whose files are evidence by presence, not by what someone wrote in them.
PRESENCE_ONLY = frozenset({"files"})
MAX_MARKERS = 20
#: Longest quoted line: enough to recognise the placeholder, short enough for one report line.
QUOTE_CHARS = 100
MAX_FILE_BYTES = 2_000_000
#: Read besides the run's evidence files: where init writes governance records.
DEFAULT_PATHS = ("governance/**",)

_COUNT = {"type": "integer", "minimum": 0}
PLACEHOLDERS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["file", "count", "markers", "files_scanned"],
    "properties": {
        "file": {"type": ["string", "null"]},
        "count": _COUNT,
        "files_scanned": _COUNT,
        "kinds": {"type": "array", "items": {"type": "string"}},
        "markers": {
            "type": "array",
            "maxItems": MAX_MARKERS,
            "items": {
                "type": "object",
                "required": ["line", "text"],
                "additionalProperties": False,
                "properties": {
                    "line": {"type": "integer", "minimum": 1},
                    "text": {"type": "string"},
                },
            },
        },
    },
}


def markers_in(text: str) -> list[dict[str, Any]]:
    """Each line of TEXT with init's marker: its number and the line, trimmed."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if MARKER.search(line):
            quoted = " ".join(line.split())
            if len(quoted) > QUOTE_CHARS:
                quoted = quoted[: QUOTE_CHARS - 1] + "…"
            found.append({"line": number, "text": quoted})
    return found


class PlaceholdersCollector(Collector):
    name = "placeholders"
    version = "1.0.0"
    description = "TODO markers of govgate init's templates left in evidence files"
    kinds = (
        EvidenceKind(
            "template.placeholders",
            "placeholders",
            PLACEHOLDERS_SCHEMA,
            description="per evidence file, the lines that still carry a TODO marker",
        ),
    )

    def input_patterns(self, ctx: CollectContext) -> list[str]:
        kinds = {p for kind in self._read_kinds(ctx) for p in kind.paths}
        return sorted(kinds | set(self._extra(ctx)))

    @staticmethod
    def _read_kinds(ctx: CollectContext) -> list[EvidenceKind]:
        return [k for k in ctx.run_kinds if k.collector not in PRESENCE_ONLY and k.paths]

    @staticmethod
    def _extra(ctx: CollectContext) -> list[str]:
        value = ctx.settings.get("paths", list(DEFAULT_PATHS))
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise CollectorError("govgate.yaml collectors.placeholders.paths: a list of globs")
        return list(value)

    def collect(self, ctx: CollectContext) -> Iterable[Evidence]:
        kinds_of: dict[str, list[str]] = {rel: [] for rel in ctx.glob(self._extra(ctx))}
        for kind in self._read_kinds(ctx):
            for rel in ctx.glob(kind.paths):
                kinds_of.setdefault(rel, []).append(kind.name)
        marked: list[Evidence] = []
        scanned: list[str] = []
        for rel, path in ctx.iter_files(sorted(kinds_of)):
            try:
                if path.stat().st_size > MAX_FILE_BYTES:
                    continue  # a generated report, not a template someone fills in
                raw = path.read_bytes()
            except OSError as exc:
                ctx.problem(rel, None, f"cannot read: {exc.strerror}")
                continue
            if b"\x00" in raw[:8192]:
                continue
            scanned.append(rel)
            found = markers_in(raw.decode("utf-8", errors="replace"))
            if found:
                marked.append(
                    ctx.evidence(
                        "template.placeholders",
                        subject=rel,
                        data={
                            "file": rel,
                            "count": len(found),
                            "files_scanned": 1,
                            "kinds": sorted(kinds_of[rel]),
                            "markers": found[:MAX_MARKERS],
                        },
                        path=rel,
                        line=found[0]["line"],
                    )
                )
        if marked:
            yield from marked
            return
        yield ctx.evidence(
            "template.placeholders",
            subject="the evidence files",
            data={"file": None, "count": 0, "files_scanned": len(scanned), "markers": []},
        ).with_files(scanned)


@hookimpl
def govgate_collectors() -> Sequence[type[Collector]]:
    return [PlaceholdersCollector]
