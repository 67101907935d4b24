"""Blank lines and personal data of decision logs in a lake, scanned where the data is.

`scan_lake_partition` runs on a backend's workers (through `AggregationBackend.fold`) over one
partition of lines and returns only counts, the first blank lines and masked samples;
`merge_lake_scans` combines the partitions in the order a single pass would give.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from govgate_collectors.decision_logs.record import MAX_MALFORMED_LISTED, MAX_PII_SAMPLES
from govgate_collectors.decision_logs.tally import PiiTally


def scan_lake_partition(rows: Iterator[tuple[Any, ...]]) -> dict[str, dict[str, Any]]:
    """Blank lines and personal data of one partition of lines, per file (runs on a worker).

    Returns only counts, the first blank line numbers and masked samples keyed by where they
    occur, so that merging partitions in any order gives the order a single pass gives: per
    file, samples of parsed lines first, then of unparsable ones (as the DuckDB path scans).
    """
    out: dict[str, dict[str, Any]] = {}
    for path, rank, ordinal, line, text in rows:
        entry = out.setdefault(
            path, {"rank": int(rank), "blank": 0, "blank_lines": [], "counts": {}, "samples": {}}
        )
        if text == "":
            entry["blank"] += 1
            if line is not None:
                entry["blank_lines"] = sorted([*entry["blank_lines"], int(line)])[
                    :MAX_MALFORMED_LISTED
                ]
            continue
        tally = PiiTally(limit=sys.maxsize)
        try:
            tally.scan_json(json.loads(text))
            parsed = 0
        except ValueError:
            tally.scan(text)
            parsed = 1
        for kind, count in tally.counts.items():
            if count:
                entry["counts"][kind] = entry["counts"].get(kind, 0) + count
        samples: dict[str, tuple[int, int, int]] = entry["samples"]
        for index, masked in enumerate(tally.samples):
            key = (parsed, int(ordinal), index)
            if masked not in samples or key < samples[masked]:
                samples[masked] = key
        if len(samples) > 1000:  # only the first few by position can ever be listed
            kept = sorted(samples.items(), key=lambda item: item[1])[:MAX_PII_SAMPLES]
            entry["samples"] = dict(kept)
    return out


@dataclass
class LakeFile:
    """What the scan found in one lake file: blank lines, and personal data."""

    blank: int = 0
    blank_lines: list[int] = field(default_factory=list)
    pii: PiiTally = field(default_factory=PiiTally)


def merge_lake_scans(partials: Iterable[dict[str, dict[str, Any]]]) -> dict[str, LakeFile]:
    """The partitions' scans per file; samples are those a single pass in file order keeps."""
    merged: dict[str, LakeFile] = {}
    samples: dict[str, dict[str, tuple[int, int, int]]] = {}
    for partial in partials:
        for path, entry in partial.items():
            found = merged.setdefault(path, LakeFile())
            found.blank += int(entry["blank"])
            found.blank_lines = sorted([*found.blank_lines, *entry["blank_lines"]])[
                :MAX_MALFORMED_LISTED
            ]
            for kind, count in entry["counts"].items():
                found.pii.counts[kind] += int(count)
            known = samples.setdefault(path, {})
            for masked, key in entry["samples"].items():
                key = tuple(key)
                if masked not in known or key < known[masked]:
                    known[masked] = key
    for path, known in samples.items():
        ordered = sorted(known.items(), key=lambda item: item[1])
        merged[path].pii.samples = [masked for masked, _ in ordered[:MAX_PII_SAMPLES]]
    return merged
