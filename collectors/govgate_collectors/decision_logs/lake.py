"""Decision logs in a data lake: the same aggregates, computed by a remote backend (Spark).

`backend_settings.decision_logs` names the URIs; the backend registers one row per line
(`AggregationBackend.register_records`), the shared normalisation and aggregate SQL run
there, and only aggregates, the first malformed lines of each file and masked PII samples
come back. What the backend cannot compute faithfully is null and named in `not_computed`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from govgate.api import AggregationBackend, CollectContext, Evidence, SqlDialect, TableSource
from govgate.support.errors import CollectorError
from govgate.support.formats import tabular_format
from govgate.support.pii import PREFILTER_PATTERN
from govgate_collectors.decision_logs.groups import (
    Group,
    aggregate,
    resolve_conflicts,
    resolve_lines,
    roll_up_lines,
)
from govgate_collectors.decision_logs.lake_scan import (
    LakeFile,
    merge_lake_scans,
    scan_lake_partition,
)
from govgate_collectors.decision_logs.logfile import LogFile
from govgate_collectors.decision_logs.normalise import json_paths, normalise_sql
from govgate_collectors.decision_logs.profiles import CATALOGUE_PROFILE, LogProfile
from govgate_collectors.decision_logs.queries import CHAIN_SQL, MALFORMED_SQL
from govgate_collectors.decision_logs.record import MAX_MALFORMED_LISTED
from govgate_collectors.decision_logs.settings import DecisionLogSettings
from govgate_collectors.decision_logs.summary import (
    build_data,
    report_conflicts,
    report_malformed,
    timestamp,
)

#: The backend's one-row-per-line relation (see AggregationBackend.register_records).
LINES_VIEW = "decision_lines"


def records_view_sql(dialect: SqlDialect, profile: LogProfile = CATALOGUE_PROFILE) -> str:
    """`decision_records` over `decision_lines`, normalised by the shared rules.

    Blank lines are not records (they are counted by `scan_lake_partition`, as the line pass
    counts them). Invalid lines get no hash, exactly as DuckDB's JSONL reader gives none: the
    link after such a line is not counted, the line itself breaks the chain.
    """
    src = f"""
WITH src AS (
    SELECT path, ord, file_rank * 1099511627776 + ord AS seq, line,
        CASE WHEN {dialect.json_valid("text")} THEN text END AS json,
        CAST(NULL AS {dialect.string_type}) AS raw_sha,
        CAST(NULL AS {dialect.string_type}) AS pre_problem
    FROM {LINES_VIEW}
    WHERE text <> ''
), """  # noqa: S608 - every piece is a module constant or the dialect's
    normalised = normalise_sql(dialect, ("path", "ord", "seq", "line"), profile=profile)
    # Exact re-emissions (same id, same content as an earlier record of the file / of all
    # files), as the DuckDB loader's `mark_repeats` flags them.
    ctes, _, final = normalised.rpartition("\nSELECT\n")
    return f"""{src}{ctes}, normalised AS (
SELECT
{final}
)
SELECT *,
    coalesce(problem IS NULL AND decision_id IS NOT NULL AND ROW_NUMBER() OVER (
        PARTITION BY path, decision_id, content_hash ORDER BY seq) > 1, false) AS repeat_file,
    coalesce(problem IS NULL AND decision_id IS NOT NULL AND ROW_NUMBER() OVER (
        PARTITION BY decision_id, content_hash ORDER BY seq) > 1, false) AS repeat_all
FROM normalised
"""  # noqa: S608 - every piece is a module constant or the dialect's


def lake_scan_sql(dialect: SqlDialect) -> str:
    """The lines `scan_lake_partition` must see: blank ones and those that may hold PII."""
    matches = dialect.regex_search("text", dialect.param("prefilter"))
    return (
        f"SELECT path, file_rank, ord, line, text FROM {LINES_VIEW} "  # noqa: S608
        f"WHERE text = '' OR {matches}"
    )


def lake_source(ctx: CollectContext) -> TableSource | None:
    """`backend_settings.decision_logs` ({paths, format}) as a source, or None when unset."""
    handle = ctx.backend
    if handle is None:
        return None
    raw = handle.settings.get("decision_logs")
    if raw is None:
        return None
    key = "govgate.yaml backend_settings.decision_logs"
    if isinstance(raw, str | list):
        raw = {"paths": raw}
    if not isinstance(raw, dict):
        raise CollectorError(f"{key} must be {{paths: [URI, ...], format: jsonl|parquet}}")
    uris = raw.get("paths")
    uris = [uris] if isinstance(uris, str) else uris
    if not isinstance(uris, list) or not uris or not all(isinstance(u, str) for u in uris):
        raise CollectorError(f"{key}.paths must be a list of paths or URIs")
    fmt = raw.get("format") or tabular_format(uris[0])
    if fmt is None:
        raise CollectorError(f"{key}.format: say jsonl or parquet ({uris[0]!r} does not)")
    if fmt not in ("jsonl", "parquet"):
        raise CollectorError(
            f"{key}.format: {fmt!r}; lake decision logs are read as jsonl or parquet "
            "(CSV logs are summarised from the repository, by the embedded DuckDB)"
        )
    if handle.is_default:
        raise CollectorError(
            f"{key}: lake URIs need a remote backend (backend: spark); with duckdb, "
            "collectors.decision_logs.paths names repository files"
        )
    return TableSource(tuple(uris), str(fmt))


#: What a lake summary cannot say, by format, and why (reported as `not_computed`).
LAKE_NOT_COMPUTED = {
    "jsonl": {
        "malformed.first.reason": (
            "a line that is not valid JSON is reported as 'invalid JSON', without the JSON "
            "parser's position, which needs the line's bytes in govgate"
        ),
    },
    "parquet": {
        "malformed.first.line": "Parquet rows have no line numbers",
        "counts.first.line": "Parquet rows have no line numbers",
        "malformed_causes.first.line": "Parquet rows have no line numbers",
        "conflicts.first.line": "Parquet rows have no line numbers",
        "hash_chain.verified": (
            "prev_hash is the sha256 of the previous JSONL line's bytes; Parquet rows have "
            "no such bytes, so the chain cannot be verified"
        ),
    },
}


def collect_from_lake(
    ctx: CollectContext, settings: DecisionLogSettings, source: TableSource
) -> Iterable[Evidence]:
    """The summary of logs in a data lake, computed where they are (ctx.backend).

    The same aggregate SQL as the repository path runs on the backend; only aggregates,
    the first malformed lines of each file and masked PII samples come back. What the
    backend cannot compute faithfully is null and named in `not_computed`.
    """
    backend, logs = _open_lake(ctx, settings, source)
    groups = aggregate(backend, settings, logs, ctx.now)
    has_lines = source.format == "jsonl"
    not_computed = dict(LAKE_NOT_COMPUTED[source.format])
    not_computed.update(getattr(backend, "not_computed", {}) or {})
    malformed = _malformed_rows(backend)
    chain = _chains(backend) if has_lines else {}
    scans = merge_lake_scans(
        backend.fold(
            lake_scan_sql(backend.dialect), {"prefilter": PREFILTER_PATTERN}, scan_lake_partition
        )
    )
    summary = groups[None]
    listed: list[tuple[str, int | None, str]] = []
    for log in logs:
        group = groups[log.path]
        scan = scans.get(log.path, LakeFile())
        entries = _malformed_entries(malformed.get(log.path, []), scan, has_lines)
        group.malformed_listed = [
            (log.path, line, reason) for line, reason in entries[:MAX_MALFORMED_LISTED]
        ]
        group.malformed_extra = scan.blank
        summary.malformed_extra += scan.blank
        links, broken, first_line = chain.get(log.path, (0, 0, None))
        group.links, group.broken, group.chained = links, broken, links > 0
        if group.chained and broken:
            group.first_break = (log.path, first_line)
        group.add_chain_to(summary)
        # Lake rows carry their line (JSONL) or none (Parquet): nothing to look up.
        resolve_lines(
            group, log.path, lambda _o, line: line, {"blank line": (scan.blank, scan.blank_lines)}
        )
        roll_up_lines(summary, group)
        group.pii.add(scan.pii)
        summary.pii.add(group.pii)
        listed.extend(group.malformed_listed)
        report_malformed(ctx, log.path, group, entries)
    summary.malformed_listed = listed[:MAX_MALFORMED_LISTED]
    for group in groups.values():
        resolve_conflicts(group, lambda _p, _o, line: line)
    report_conflicts(ctx, summary)
    extra = {"backend": backend.name, "not_computed": not_computed}
    yield from _lake_evidence(ctx, settings, source, logs, groups, extra)


def _open_lake(
    ctx: CollectContext, settings: DecisionLogSettings, source: TableSource
) -> tuple[AggregationBackend, list[LogFile]]:
    """The backend with `decision_records` defined over the source, and the files it read."""
    assert ctx.backend is not None  # lake_source returned a source
    backend: AggregationBackend = ctx.backend.open()
    registered = backend.register_records(LINES_VIEW, source)
    backend.create_view(
        "decision_records",
        records_view_sql(backend.dialect, settings.profile),
        {
            "paths": json_paths(backend.dialect, settings.profile),
            "high_risk_types": list(settings.high_risk_types),
            "prefilter": PREFILTER_PATTERN,
            "timezone": settings.timezone,
        },
    )
    logs = [
        LogFile(path=path, absolute=Path(path), rank=rank, size=0, is_csv=False)
        for rank, path in enumerate(registered.files)
    ]
    return backend, logs


def _malformed_rows(backend: AggregationBackend) -> dict[str, list[tuple[int, int | None, str]]]:
    """The first malformed rows of each file: (ordinal, line or None, problem)."""
    malformed: dict[str, list[tuple[int, int | None, str]]] = {}
    for path, ordinal, line, problem in backend.rows(MALFORMED_SQL):
        malformed.setdefault(path, []).append(
            (int(ordinal), None if line is None else int(line), str(problem))
        )
    return malformed


def _chains(backend: AggregationBackend) -> dict[str, tuple[int, int, int | None]]:
    """Per file: hash-chain links checked, links broken, and the line of the first break."""
    chain: dict[str, tuple[int, int, int | None]] = {}
    for path, links, broken, _first_ord, first_line in backend.rows(CHAIN_SQL):
        chain[path] = (
            int(links or 0),
            int(broken or 0),
            None if first_line is None else int(first_line),
        )
    return chain


def _malformed_entries(
    rows: list[tuple[int, int | None, str]], scan: LakeFile, has_lines: bool
) -> list[tuple[int | None, str]]:
    """A file's malformed rows and blank lines as (line, reason), by line, unknown lines last."""
    entries = [(line, problem) for _, line, problem in rows]
    entries.extend((line, "blank line") for line in scan.blank_lines)
    if not has_lines and scan.blank:
        entries.extend((None, "blank line") for _ in range(scan.blank))
    entries.sort(key=lambda item: (item[0] is None, item[0] or 0))
    return entries


def _lake_evidence(
    ctx: CollectContext,
    settings: DecisionLogSettings,
    source: TableSource,
    logs: list[LogFile],
    groups: Mapping[str | None, Group],
    extra: dict[str, Any],
) -> Iterable[Evidence]:
    """The summary over all files, then one item per file, each saying which backend counted."""
    summary = groups[None]
    data = build_data(summary, settings, ctx.now, len(logs))
    data.update(extra)
    yield ctx.evidence(
        "decision_log.summary",
        subject=", ".join(source.uris),
        data=data,
        dated=timestamp(summary.totals.get("last_ts")),
    )
    for log in logs:
        group = groups[log.path]
        data = build_data(group, settings, ctx.now, 1)
        data["path"] = log.path
        data.update(extra)
        yield ctx.evidence(
            "decision_log.file",
            subject=log.path,
            data=data,
            dated=timestamp(group.totals.get("last_ts")),
        )
