"""Inspect (inspect-ai) eval logs: `.eval` archives and `--log-format json` files.

A log is one task run against one model. Every scored sample is an attempt; an attempt failed
(the attack got through) unless the headline scorer scored it correct (`C`, true, 1). A sample
the scorer did not score is a failure too: it shows no resistance. The task maps to OWASP LLM
risks by its own metadata (`owasp_llm`), else by the mapping table (task name). Inspect's own
accuracy for the headline scorer must agree with the samples.

`.eval` archives are zip files whose members inspect-ai writes zstd-compressed; they are read
with the standard library's zipfile for the container and `zstandard` for those members.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from govgate_collectors.redteam.mapping import INSPECT_TASKS, explicit_categories, lookup
from govgate_collectors.redteam.scan import (
    Scan,
    ScanProblem,
    as_object,
    lookup_override,
    parse_moment,
)

#: Zip compression method 93: Zstandard (APPNOTE 6.3.7), which inspect-ai uses.
ZIP_ZSTD = 93
#: A member larger than this is not inflated (a zip bomb is not an eval log).
MAX_MEMBER_BYTES = 512 * 1024 * 1024
_CORRECT = ("C", "c", True, 1, 1.0)


def _member(archive: Any, fp: IO[bytes], name: str) -> Any:
    """One JSON member of an .eval archive, whatever its compression."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise ScanProblem(f"an Inspect .eval archive without {name}") from None
    if info.file_size > MAX_MEMBER_BYTES:
        raise ScanProblem(f"{name} is {info.file_size} bytes inflated; refused as too large")
    if info.compress_type != ZIP_ZSTD:
        raw = archive.read(name)
    else:
        import zstandard  # lazily: only .eval archives need it

        fp.seek(info.header_offset)
        header = fp.read(30)
        if len(header) < 30 or header[:4] != b"PK\x03\x04":
            raise ScanProblem(f"{name}: broken local header in the archive")
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        fp.seek(info.header_offset + 30 + name_len + extra_len)
        compressed = fp.read(info.compress_size)
        try:
            raw = zstandard.ZstdDecompressor().decompress(
                compressed, max_output_size=info.file_size
            )
        except zstandard.ZstdError as exc:
            raise ScanProblem(f"{name}: cannot decompress: {exc}") from None
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ScanProblem(f"{name} is not JSON: {exc}") from None


def read_archive(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(header, sample summaries) of an .eval archive."""
    import zipfile  # lazily: only .eval archives are zips

    try:
        with path.open("rb") as fp, zipfile.ZipFile(fp) as archive:
            header = _member(archive, fp, "header.json")
            names = archive.namelist()
            if "summaries.json" in names:
                samples = _member(archive, fp, "summaries.json")
            else:
                # A run still in progress (or killed) has only its journal.
                samples = []
                for name in sorted(n for n in names if n.startswith("_journal/summaries/")):
                    part = _member(archive, fp, name)
                    samples.extend(part if isinstance(part, list) else [])
    except zipfile.BadZipFile as exc:
        raise ScanProblem(f"not a readable .eval archive: {exc}") from None
    if not isinstance(header, dict) or not isinstance(samples, list):
        raise ScanProblem("header.json or summaries.json does not have Inspect's shape")
    return header, samples


def is_inspect_json(document: object) -> bool:
    return (
        isinstance(document, dict)
        and isinstance(document.get("eval"), dict)
        and "task" in document["eval"]
        and "status" in document
    )


def _headline_scorer(header: Mapping[str, Any]) -> str | None:
    results = header.get("results") or {}
    headline = results.get("headline") if isinstance(results, dict) else None
    if isinstance(headline, dict) and isinstance(headline.get("scorer"), str):
        return str(headline["scorer"])
    scores = results.get("scores") if isinstance(results, dict) else None
    if isinstance(scores, list) and scores and isinstance(scores[0], dict):
        name = scores[0].get("name")
        return str(name) if name is not None else None
    scorers = as_object(header.get("eval")).get("scorers")
    if isinstance(scorers, list) and scorers and isinstance(scorers[0], dict):
        return str(scorers[0].get("name"))
    return None


def _date(header: Mapping[str, Any], scan: Scan) -> None:
    stats = as_object(header.get("stats"))
    for value in (stats.get("completed_at"), as_object(header["eval"]).get("created")):
        if isinstance(value, str) and value:
            moment = parse_moment(value)
            if moment is None:
                scan.problems.append(f"the date {value!r} is no timestamp")
                return
            scan.date = moment
            return
    scan.problems.append("the log says neither when the eval completed nor when it was created")


def scan_from_log(
    header: Mapping[str, Any],
    samples: Sequence[Any],
    overrides: Mapping[str, Sequence[str]],
) -> Scan:
    """The scan one Inspect log describes."""
    evaluation = header.get("eval")
    if not isinstance(evaluation, dict) or not isinstance(evaluation.get("task"), str):
        raise ScanProblem("an Inspect log without eval.task")
    packages = as_object(evaluation.get("packages"))
    metadata = as_object(evaluation.get("metadata"))
    model = evaluation.get("model")
    scan = Scan(
        tool="inspect",
        tool_version=packages.get("inspect_ai"),
        model=model if isinstance(model, str) else None,
        model_version=str(metadata.get("model_version") or model or "") or None,
    )
    status = header.get("status")
    if status != "success":
        scan.complete = False
        scan.problems.append(f"the eval did not finish (status {status!r})")
    _date(header, scan)
    task = str(evaluation["task"]).removeprefix("inspect_evals/")
    tagged, unknown = explicit_categories(metadata)
    scan.unknown_tags.extend(unknown)
    override = lookup_override(overrides, task, "/")
    if override is not None and not tagged:
        scan.locally_mapped.add(task)
    categories = tagged or (override if override is not None else lookup(INSPECT_TASKS, task, "/"))
    tally = scan.tally(task, categories)
    scorer = _headline_scorer(header)
    correct = 0
    for sample in samples:
        if not isinstance(sample, dict):
            raise ScanProblem("a sample summary that is not an object")
        scores = as_object(sample.get("scores"))
        score = scores.get(scorer) if scorer else None
        value = score.get("value") if isinstance(score, dict) else None
        tally.attempts += 1
        if value not in _CORRECT:
            tally.failures += 1
        else:
            correct += 1
    if status == "success" and scorer is not None:
        disagreement = _check_accuracy(header, scorer, correct, tally.attempts)
        scan.problems.extend([disagreement] if disagreement else [])
    return scan


def _check_accuracy(
    header: Mapping[str, Any], scorer: str, correct: int, scored: int
) -> str | None:
    """Where Inspect's own accuracy for the scorer disagrees with the samples it sums up."""
    scores = as_object(header.get("results")).get("scores")
    for score in scores if isinstance(scores, list) else []:
        if not isinstance(score, dict) or score.get("name") != scorer:
            continue
        accuracy = as_object(as_object(score.get("metrics")).get("accuracy")).get("value")
        measured = correct / scored if scored else None
        if (
            isinstance(accuracy, int | float)
            and measured is not None
            and abs(float(accuracy) - measured) > 1e-9
        ):
            return (
                f"results say accuracy {accuracy} for {scorer}, the samples "
                f"{correct} of {scored}: the log was edited or is incomplete"
            )
    return None
