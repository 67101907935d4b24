"""garak report JSONL (`garak ... --report_prefix NAME` writes `NAME.report.jsonl`).

A report is one run against one target. Every output of every attempt garak evaluated
(`entry_type: attempt`, `status: 2`) is an attempt here; it failed (the attack got through)
when any of the probe's detectors scored it at or above the threshold, 0.5 unless the run's
setup says otherwise (`run.eval_threshold`), as garak's own evaluator decides. Those counts are
checked against garak's own `eval` lines, and a report whose counts disagree, that lacks the
eval lines of a probe its setup line says ran, that has no `completion` line (the run died), or
that has a line that is not JSON is unusable.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govgate_collectors.redteam.mapping import GARAK, lookup
from govgate_collectors.redteam.scan import Scan, ScanProblem, lookup_override, parse_moment

DEFAULT_THRESHOLD = 0.5


def is_garak_report(first_line: bytes) -> bool:
    """Whether a JSONL file's first line is garak's run setup.

    Raises ScanProblem when the line is no JSON at all: a report whose first line was cut or
    garbled is unusable, not some other file to pass over.
    """
    try:
        entry = json.loads(first_line.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ScanProblem(f"line 1 is not JSON: {exc}", 1) from None
    return isinstance(entry, dict) and entry.get("entry_type") == "start_run setup"


@dataclass
class _Probe:
    outputs: int = 0
    failed: int = 0
    #: Per detector: (failures computed here, failures garak's eval line reports).
    detector_fails: dict[str, int] = field(default_factory=dict)
    reported: dict[str, int] = field(default_factory=dict)


def _lines(path: Path) -> list[tuple[int, dict[str, Any]]]:
    entries: list[tuple[int, dict[str, Any]]] = []
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                entry = json.loads(raw.decode("utf-8-sig" if number == 1 else "utf-8"))
            except (UnicodeDecodeError, ValueError) as exc:
                raise ScanProblem(f"line {number} is not JSON: {exc}", number) from None
            if not isinstance(entry, dict) or not isinstance(entry.get("entry_type"), str):
                raise ScanProblem(f"line {number} has no entry_type", number)
            entries.append((number, entry))
    return entries


def _attempt(entry: Mapping[str, Any], probe: _Probe, threshold: float, line: int) -> None:
    results = entry.get("detector_results")
    if not isinstance(results, dict):
        raise ScanProblem(f"line {line}: an evaluated attempt without detector_results", line)
    width = max((len(v) for v in results.values() if isinstance(v, list)), default=0)
    for index in range(width):
        scored = False
        hit = False
        for detector, scores in results.items():
            score = scores[index] if isinstance(scores, list) and index < len(scores) else None
            if score is None:
                continue
            scored = True
            if float(score) >= threshold:
                hit = True
                probe.detector_fails[detector] = probe.detector_fails.get(detector, 0) + 1
            else:
                probe.detector_fails.setdefault(detector, 0)
        if scored:
            probe.outputs += 1
            probe.failed += 1 if hit else 0


def scan_from_report(path: Path, overrides: Mapping[str, Sequence[str]]) -> Scan:
    """The scan a garak report describes."""
    entries = _lines(path)
    setup = entries[0][1]
    version = setup.get("_config.version")
    target_type = setup.get("plugins.target_type") or setup.get("plugins.model_type")
    target_name = setup.get("plugins.target_name") or setup.get("plugins.model_name")
    scan = Scan(
        tool="garak",
        tool_version=str(version) if version else None,
        model=str(target_type) if target_type else None,
        model_version=str(target_name) if target_name else None,
    )
    threshold = setup.get("run.eval_threshold", DEFAULT_THRESHOLD)
    if not isinstance(threshold, int | float) or isinstance(threshold, bool):
        raise ScanProblem(f"run.eval_threshold {threshold!r} is no number", entries[0][0])
    probes: dict[str, _Probe] = {}
    started: tuple[int, Any] | None = None
    ended: tuple[int, Any] | None = None
    for line, entry in entries:
        kind = entry["entry_type"]
        if kind == "init":
            started = (line, entry.get("start_time"))
        elif kind == "completion":
            ended = (line, entry.get("end_time"))
        elif kind == "attempt" and entry.get("status") == 2:
            name = str(entry.get("probe_classname") or "")
            _attempt(entry, probes.setdefault(name, _Probe()), float(threshold), line)
        elif kind == "eval":
            probe = probes.setdefault(str(entry.get("probe")), _Probe())
            fails = entry.get("fails")
            if fails is None and isinstance(entry.get("total"), int):  # garak before 0.11
                fails = entry["total"] - int(entry.get("passed") or 0)
            # garak before 0.11 names the detector `detector.dan.DAN` on its eval lines while
            # its attempts' detector_results say `dan.DAN`: the same detector.
            detector = str(entry.get("detector")).removeprefix("detector.")
            probe.reported[detector] = int(fails or 0)
    if ended is None:
        scan.complete = False
        scan.problems.append("the report has no completion line: the run did not finish")
    when = ended if ended is not None and ended[1] else started
    if when is None or parse_moment(when[1]) is None:
        scan.problems.append("the report does not say when the run took place")
    else:
        scan.date_line, scan.date = when[0], parse_moment(when[1])
    active = setup.get("transient.active_probes")
    for name in active if isinstance(active, list) and scan.complete else []:
        probe_name = str(name).removeprefix("probes.")
        if not probes.get(probe_name, _Probe()).reported:
            scan.problems.append(
                f"probe {probe_name} ran (the setup line lists it) but the report holds no "
                "eval line for it: lines were removed, or the run is incomplete"
            )
    for name, probe in sorted(probes.items()):
        for detector, reported in probe.reported.items():
            if probe.detector_fails.get(detector, 0) != reported:
                scan.problems.append(
                    f"probe {name}, detector {detector}: garak's eval line reports {reported} "
                    f"failures, its attempts {probe.detector_fails.get(detector, 0)} at "
                    f"threshold {threshold}"
                )
        override = lookup_override(overrides, name, ".")
        if override is not None:
            scan.locally_mapped.add(name)
        tally = scan.tally(name, override if override is not None else lookup(GARAK, name, "."))
        tally.attempts += probe.outputs
        tally.failures += probe.failed
    return scan
