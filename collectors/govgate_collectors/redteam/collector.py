"""The `redteam` collector: one `genai.redteam` item per garak, promptfoo or Inspect scan."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from govgate.api import CollectContext, Collector, Evidence, EvidenceKind, format_timestamp
from govgate.support.clock import clock_skew, future_moment
from govgate.support.errors import InputError
from govgate.support.yamlload import load_yaml_text
from govgate_collectors.redteam.mapping import MAPPING_VERSION
from govgate_collectors.redteam.scan import Scan, ScanProblem, scan_data
from govgate_collectors.redteam.schema import REDTEAM_SCHEMA, SETTINGS_SCHEMA, TOOLS

DEFAULT_PATHS = ("reports/redteam/**", "redteam/**")
#: Files garak writes beside its report `NAME.report.jsonl`. They hold no scan of their own, and
#: are passed over only while that report is beside them: alone, they are an unreadable scan.
GARAK_COMPANIONS = (".hitlog.jsonl", ".report.html")
#: What an unrecognised file is told: it fails every rule that reads red-team evidence.
UNRECOGNISED = (
    "not a garak, promptfoo or Inspect output the collector can read; move it out of "
    "collectors.redteam.paths or write the scan as garak report JSONL, promptfoo JSON or YAML, "
    "or an Inspect log"
)
#: A JSON or JSONL file larger than this is not read (reported, never silently skipped).
MAX_JSON_BYTES = 256 * 1024 * 1024


def _paths(ctx: CollectContext) -> list[str]:
    value = ctx.settings.get("paths", list(DEFAULT_PATHS))
    return [value] if isinstance(value, str) else list(value)


def _overrides(ctx: CollectContext) -> dict[str, Mapping[str, Sequence[str]]]:
    mapping = ctx.settings.get("mapping") or {}
    return {tool: dict(mapping.get(tool) or {}) for tool in TOOLS}


def is_companion(path: Path) -> bool:
    """A garak hit log or HTML report whose `NAME.report.jsonl` is beside it."""
    name = path.name
    for suffix in GARAK_COMPANIONS:
        if name.lower().endswith(suffix):
            return (path.parent / f"{name[: -len(suffix)]}.report.jsonl").is_file()
    return False


def read_scans(path: Path, overrides: Mapping[str, Mapping[str, Sequence[str]]]) -> list[Scan]:
    """The scans in one file; [] when it is no output of the three tools. Raises ScanProblem."""
    # The readers are imported here, when a scan is read: every run loads this plugin, and the
    # commit hook should not pay for readers its rules may never need.
    from govgate_collectors.redteam.garak import is_garak_report, scan_from_report
    from govgate_collectors.redteam.inspect_log import (
        is_inspect_json,
        read_archive,
        scan_from_log,
    )
    from govgate_collectors.redteam.promptfoo import is_promptfoo, scans_from_results

    name = path.name.lower()
    if name.endswith(".eval"):
        header, samples = read_archive(path)
        return [scan_from_log(header, samples, overrides["inspect"])]
    if path.stat().st_size > MAX_JSON_BYTES:
        raise ScanProblem(f"{path.stat().st_size} bytes; larger than {MAX_JSON_BYTES} read")
    if name.endswith(".jsonl"):
        with path.open("rb") as handle:
            first = handle.readline()
        if not is_garak_report(first):
            return []
        return [scan_from_report(path, overrides["garak"])]
    if name.endswith((".yaml", ".yml")):
        # promptfoo writes its results as YAML too (`promptfoo eval -o results.yaml`).
        try:
            document = load_yaml_text(path.read_bytes().decode("utf-8-sig"), path.name).data
        except UnicodeDecodeError as exc:
            raise ScanProblem(f"not UTF-8 text: {exc}") from None
        except InputError as exc:
            raise ScanProblem(exc.message, exc.line) from None
        return (
            scans_from_results(document, overrides["promptfoo"]) if is_promptfoo(document) else []
        )
    if not name.endswith(".json"):
        return []
    try:
        document = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ScanProblem(f"not JSON: {exc}") from None
    if is_promptfoo(document):
        return scans_from_results(document, overrides["promptfoo"])
    if is_inspect_json(document):
        samples = document.get("samples") or []
        if not isinstance(samples, list):
            raise ScanProblem("samples is not a list")
        return [scan_from_log(document, samples, overrides["inspect"])]
    return []


def _tool_by_name(rel: str) -> str:
    """The tool an unusable file most likely came from, by its name; "unknown" when none."""
    name = rel.lower()
    if name.endswith(".eval"):
        return "inspect"
    if name.endswith(".jsonl"):
        return "garak"
    if name.endswith((".json", ".yaml", ".yml")):
        return "promptfoo"
    return "unknown"


class RedteamCollector(Collector):
    name = "redteam"
    # 1.1.0: unknown files are unusable items; promptfoo YAML; self-tagged tests count for no risk.
    version = "1.1.0"
    description = "garak, promptfoo and Inspect red-team results per OWASP LLM Top 10 risk"
    kinds = (
        EvidenceKind(
            "genai.redteam",
            "redteam",
            REDTEAM_SCHEMA,
            description="one red-team scan: model, date, attack success rate per OWASP LLM risk",
        ),
    )
    settings_schema = SETTINGS_SCHEMA

    def input_patterns(self, ctx: CollectContext) -> list[str]:
        return _paths(ctx)

    def collect(self, ctx: CollectContext) -> Iterable[Evidence]:
        overrides = _overrides(ctx)
        version = MAPPING_VERSION + ("+local" if any(overrides.values()) else "")
        for rel, path in ctx.iter_files(_paths(ctx)):
            try:
                scans = read_scans(path, overrides)
            except ScanProblem as exc:
                yield self._unusable(ctx, rel, exc, version)
                continue
            except OSError as exc:
                yield self._unusable(ctx, rel, ScanProblem(f"cannot read: {exc}"), version)
                continue
            if not scans:
                # A scan in a format the collector does not read is still a scan someone ran:
                # it becomes an item that fails the rules, never a file passed over.
                if not is_companion(path):
                    yield self._unusable(ctx, rel, ScanProblem(UNRECOGNISED), version)
                continue
            for scan in scans:
                yield self._item(ctx, rel, scan, version)

    def _unusable(self, ctx: CollectContext, rel: str, exc: ScanProblem, version: str) -> Evidence:
        message = f"unusable red-team output: {exc.message}"
        ctx.problem(rel, exc.line, message, level="error")
        tool = _tool_by_name(rel)
        data = scan_data(Scan(tool=tool, complete=False), rel, version)
        return ctx.evidence(
            "genai.redteam", subject=rel, data=data, path=rel, line=exc.line, problem=message
        )

    def _item(self, ctx: CollectContext, rel: str, scan: Scan, version: str) -> Evidence:
        problems = list(scan.problems)
        if scan.unknown_tags:
            names = ", ".join(sorted(set(scan.unknown_tags)))
            problems.append(f"owasp_llm names no OWASP LLM 2025 risk: {names} (LLM01 to LLM10)")
        if scan.date is not None and future_moment(scan.date, ctx.now, clock_skew()):
            problems.append(
                f"dated {format_timestamp(scan.date)}, after now: a scan cannot have run in the "
                "future, so it shows nothing about how recent the testing is"
            )
        if not scan.model_version:
            problems.append("the output does not name the model it tested")
        for message in problems:
            ctx.problem(rel, scan.date_line, message, level="error")
        if scan.locally_mapped:
            # Said on every run: a local table can make any test count for any risk.
            names = ", ".join(sorted(scan.locally_mapped))
            ctx.problem(
                rel, None, f"govgate.yaml collectors.redteam.mapping decides the risks of {names}"
            )
        if scan.self_tagged:
            # Said on every run: a tag alone would let any test count as an attack on any risk.
            names = ", ".join(f"{n} ({', '.join(c)})" for n, c in sorted(scan.self_tagged.items()))
            ctx.problem(
                rel,
                None,
                f"tests tagged owasp_llm without a red-team plugin or strategy count for no "
                f"risk: {names}; map them in govgate.yaml collectors.redteam.mapping to count them",
            )
        subject = f"{scan.tool} scan of {scan.model_version or 'an unnamed model'} ({rel})"
        return ctx.evidence(
            "genai.redteam",
            subject=subject,
            data=scan_data(scan, rel, version),
            path=rel,
            line=scan.date_line,
            dated=scan.date,
            problem="; ".join(problems) if problems else None,
        )
