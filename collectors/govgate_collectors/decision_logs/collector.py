"""The `decision_logs` collector: its evidence kinds, and which path a run takes (repository
files through the embedded DuckDB, or a data lake through a remote backend)."""

from __future__ import annotations

from collections.abc import Iterable

from govgate.api import CollectContext, Collector, Evidence, EvidenceKind
from govgate_collectors.decision_logs.lake import collect_from_lake, lake_source
from govgate_collectors.decision_logs.repository import collect_from_repository
from govgate_collectors.decision_logs.schema import FILE_SCHEMA, SUMMARY_SCHEMA
from govgate_collectors.decision_logs.settings import (
    DEFAULT_PATHS,
    SETTINGS_SCHEMA,
    DecisionLogSettings,
)


class DecisionLogsCollector(Collector):
    name = "decision_logs"
    # 1.1.0: the summary lists the log files it was read from (source.files).
    # 1.2.0: timestamps as written, fields:, repeats and conflicts, counts, causes.
    version = "1.2.0"
    description = (
        "decision-log records (docs/decision-records.md) in JSONL/CSV, plain or gzip: counts, "
        "malformed lines, duplicates, gaps, field coverage, human review, hash chain, "
        "retention, PII"
    )
    kinds = (
        EvidenceKind(
            "decision_log.summary",
            "decision_logs",
            SUMMARY_SCHEMA,
            description="one summary over every decision-log file matched by `paths`",
            summary=True,
        ),
        EvidenceKind(
            "decision_log.file",
            "decision_logs",
            FILE_SCHEMA,
            description="the same summary for one decision-log file",
            summary=True,
        ),
    )
    settings_schema = SETTINGS_SCHEMA

    def input_patterns(self, ctx: CollectContext) -> list[str]:
        # Every file read decides the evidence: the logs entries' paths too.
        patterns = list(ctx.settings.get("paths") or DEFAULT_PATHS)
        for entry in ctx.settings.get("logs") or []:
            if isinstance(entry, dict):
                paths = entry.get("paths") or []
                patterns.extend([paths] if isinstance(paths, str) else list(paths))
        return patterns

    def collect(self, ctx: CollectContext) -> Iterable[Evidence]:
        settings = DecisionLogSettings.from_context(ctx)
        # Said on every run: a mapping decides which of the log's values each rule reads.
        profiles = [("", settings.profile)]
        profiles += [(f"logs[{i}].", profile) for i, (_, profile) in enumerate(settings.logs)]
        for where, profile in profiles:
            if profile.describe():
                ctx.problem(
                    None,
                    None,
                    f"govgate.yaml collectors.decision_logs.{where}fields: {profile.describe()}",
                )
        lake = lake_source(ctx)
        if lake is not None:
            yield from collect_from_lake(ctx, settings, lake)
        else:
            yield from collect_from_repository(ctx, settings)
