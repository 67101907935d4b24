"""Decision logs in the repository: loaded by the embedded DuckDB, checked against their bytes.

Every file is loaded (`DuckDBDecisionLogLoader`), the portable aggregates run, and the line
pass then gives what only the bytes tell: line numbers, blank lines, why a line is invalid.
A JSONL file whose rows DuckDB and the line pass count differently is loaded again line by
line, so line numbers are never guessed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from govgate.api import CollectContext, Evidence
from govgate.support.progress import ProgressCallback, terminal_progress
from govgate_collectors.decision_logs.groups import (
    Group,
    aggregate,
    resolve_conflicts,
    resolve_lines,
    roll_up_lines,
)
from govgate_collectors.decision_logs.line_pass import LinePassResult, line_pass
from govgate_collectors.decision_logs.lines import line_for
from govgate_collectors.decision_logs.loader import DuckDBDecisionLogLoader
from govgate_collectors.decision_logs.logfile import LogFile
from govgate_collectors.decision_logs.profiles import LogProfile
from govgate_collectors.decision_logs.queries import CHAIN_SQL, MALFORMED_SQL, PII_CANDIDATES_SQL
from govgate_collectors.decision_logs.readers import LineTooLong, csv_rows, jsonl_rows
from govgate_collectors.decision_logs.record import MAX_MALFORMED_LISTED
from govgate_collectors.decision_logs.settings import DecisionLogSettings
from govgate_collectors.decision_logs.summary import (
    build_data,
    report_conflicts,
    report_malformed,
    timestamp,
)
from govgate_collectors.decision_logs.tally import PiiTally


def collect_from_repository(
    ctx: CollectContext, settings: DecisionLogSettings
) -> Iterable[Evidence]:
    """The summary of every log file `settings.paths` matches, then one item per file."""
    logs = [
        LogFile(
            path=rel,
            absolute=absolute,
            rank=rank,
            size=absolute.stat().st_size,
            is_csv=rel.endswith((".csv", ".csv.gz")),
            is_parquet=rel.lower().endswith(".parquet"),
            profile=profile,
        )
        for rank, (rel, absolute, profile) in enumerate(_matched(ctx, settings))
    ]
    # Every byte is gone over twice: by the loader, then by the line pass.
    progress = ByteProgress(ctx.progress or terminal_progress(), sum(log.size for log in logs) * 2)
    loader = DuckDBDecisionLogLoader(settings)
    try:
        groups = _summarise(ctx, settings, loader, logs, progress)
    finally:
        loader.close()
        progress.done()
    summary = groups[None]
    unreadable = [log for log in logs if log.read_error]
    data = build_data(summary, settings, ctx.now, len(logs))
    if any(log.is_parquet for log in logs):
        data["not_computed"] = dict(PARQUET_NOT_COMPUTED)
    # The summary lists every log it covers (a refused file never reached `logs`); one
    # that could not be read is listed too, since the summary's problem comes from it.
    yield ctx.evidence(
        "decision_log.summary",
        subject=", ".join(settings.all_paths()),
        data=data,
        path=logs[0].path if len(logs) == 1 else None,
        dated=timestamp(summary.totals.get("last_ts")),
        # A summary that left a file out is partial: rules reading it must not pass.
        problem=(
            f"cannot read {unreadable[0].path}: {unreadable[0].read_error}"
            + (f" (and {len(unreadable) - 1} more files)" if len(unreadable) > 1 else "")
            if unreadable
            else None
        ),
    ).with_files(log.path for log in logs)
    for log in logs:
        group = groups[log.path]
        data = build_data(group, settings, ctx.now, 1)
        data["path"] = log.path
        if log.is_parquet:
            data["not_computed"] = dict(PARQUET_NOT_COMPUTED)
        yield ctx.evidence(
            "decision_log.file",
            subject=log.path,
            data=data,
            path=log.path,
            dated=timestamp(group.totals.get("last_ts")),
            problem=f"cannot read {log.path}: {log.read_error}" if log.read_error else None,
        )


def _matched(
    ctx: CollectContext, settings: DecisionLogSettings
) -> list[tuple[str, Path, LogProfile]]:
    """Every log file with how it is written: a `logs` entry's profile for the files its paths
    match (the first entry that matches), the collector's own for the other files of `paths`."""
    found: dict[str, tuple[Path, LogProfile]] = {}
    for paths, profile in settings.logs:
        for rel, absolute in ctx.iter_files(paths):
            found.setdefault(rel, (absolute, profile))
    for rel, absolute in ctx.iter_files(settings.paths):
        found.setdefault(rel, (absolute, settings.profile))
    return [(rel, absolute, profile) for rel, (absolute, profile) in sorted(found.items())]


#: What a summary that read Parquet files cannot say, and why (the lake's reasons).
PARQUET_NOT_COMPUTED = {
    "malformed.first.line": "Parquet rows have no line numbers",
    "counts.first.line": "Parquet rows have no line numbers",
    "hash_chain.verified": (
        "prev_hash is the sha256 of the previous JSONL line's bytes; Parquet rows have no such "
        "bytes, so the chain of a Parquet file cannot be verified"
    ),
}


class ByteProgress:
    """Progress in bytes over all files, through ctx.progress or the terminal fallback."""

    def __init__(self, callback: ProgressCallback | None, total: int) -> None:
        self.callback = callback
        self.total = max(total, 1)
        self.base = 0

    def report(self, done_in_file: int, label: str) -> None:
        if self.callback is not None:
            self.callback(min(self.base + done_in_file, self.total), self.total, label)

    def finish_file(self, size: int) -> None:
        self.base += size

    def done(self) -> None:
        if self.callback is not None:
            self.callback(self.total, self.total, "decision_logs: done")


def _load(
    ctx: CollectContext,
    loader: DuckDBDecisionLogLoader,
    log: LogFile,
    progress: ByteProgress,
    *,
    via_lines: bool,
) -> None:
    label = f"decision_logs: {log.path}"
    size = max(log.size, 1)

    def on_fraction(fraction: float) -> None:
        progress.report(int(fraction * size), label)

    def on_bytes(done: int) -> None:
        progress.report(min(done, size), label)

    log.via_lines = via_lines or log.is_csv or log.is_parquet
    log.blank_lines, log.blank_count, log.pii = [], 0, PiiTally()
    try:
        if log.is_parquet:
            loader.load_parquet(log)
        elif log.is_csv:
            loader.load_lines(log, csv_rows(log.absolute, log, on_bytes))
        elif via_lines:
            loader.load_lines(log, jsonl_rows(log.absolute, on_bytes))
        else:
            try:
                loader.load_jsonl(log, on_fraction if progress.callback else None)
            except _fast_path_errors():
                # DuckDB's reader refuses some files Python can split (a line longer than
                # its object-size limit, say): read them line by line instead.
                loader.drop(log)
                log.via_lines = True
                loader.load_lines(log, jsonl_rows(log.absolute, on_bytes))
    except _read_errors() as exc:  # the file, not govgate, is broken: report it, go on
        message = _one_line(exc)
        if type(exc).__name__ == "OutOfMemoryException":
            limit = loader.settings.memory_limit
            message = (
                f"{message} (memory_limit {limit}; a line this long needs more: raise "
                "collectors.decision_logs.memory_limit)"
            )
        log.read_error = message
        ctx.problem(log.path, None, f"cannot read the decision log: {message}", level="error")
        if log.file_id >= 0:
            loader.drop(log)  # rows of a half-read file are not trusted
    progress.finish_file(log.size)


def _summarise(
    ctx: CollectContext,
    settings: DecisionLogSettings,
    loader: DuckDBDecisionLogLoader,
    logs: list[LogFile],
    progress: ByteProgress,
) -> dict[str | None, Group]:
    for log in logs:
        _load(ctx, loader, log, progress, via_lines=settings.jsonl_reader == "python")
    loader.mark_repeats()
    groups = aggregate(loader, settings, logs, ctx.now)
    reload = _line_passes(ctx, loader, logs, groups, progress)
    if reload:
        for log in reload:
            loader.drop(log)
            _load(ctx, loader, log, progress, via_lines=True)
        loader.mark_repeats()
        groups = aggregate(loader, settings, logs, ctx.now)
        # Files loaded line by line carry their own line numbers: no second reload.
        _line_passes(ctx, loader, logs, groups, progress)
    _finish_groups(ctx, loader, logs, groups)
    return groups


def _line_passes(
    ctx: CollectContext,
    loader: DuckDBDecisionLogLoader,
    logs: list[LogFile],
    groups: dict[str | None, Group],
    progress: ByteProgress,
) -> list[LogFile]:
    """Run the line pass on every JSONL file; return those whose rows need reloading."""
    malformed: dict[str, list[tuple[int, int | None, str]]] = {}
    for path, ordinal, line, problem in loader.rows(MALFORMED_SQL):
        malformed.setdefault(path, []).append((int(ordinal), line, str(problem)))
    chain: dict[str, tuple[int, int, int | None, int | None]] = {}
    for path, links, broken, first_ord, first_line in loader.rows(CHAIN_SQL):
        chain[path] = (
            int(links or 0),
            int(broken or 0),
            None if first_ord is None else int(first_ord),
            None if first_line is None else int(first_line),
        )
    # Both records of each listed conflict need their lines, whichever file they are in.
    conflict_rows: dict[str, set[int]] = {}
    for group in groups.values():
        for _, first, other in group.conflicts:
            for path, ordinal, _ in (first, other):
                conflict_rows.setdefault(path, set()).add(ordinal)
    reload: list[LogFile] = []
    for log in logs:
        group = groups[log.path]
        group.malformed_rows = malformed.get(log.path, [])
        links, broken, first_ord, first_line = chain.get(log.path, (0, 0, None, None))
        group.links, group.broken = links, broken
        group.chained = links > 0
        group.first_break_ord, group.first_break_line = first_ord, first_line
        if log.is_parquet:
            # prev_hash is the sha256 of a JSONL line's bytes: Parquet rows have none.
            group.links, group.broken, group.chained = 0, 0, False
            group.first_break_ord = group.first_break_line = None
            continue
        if log.is_csv or log.read_error:
            continue
        wanted = {o for o, _, _ in group.malformed_rows}
        wanted.update(o for rows in group.samples.values() for o, _ in rows)
        wanted.update(o for _, rows in group.causes.values() for o, _ in rows)
        wanted.update(conflict_rows.get(log.path, ()))
        if first_ord is not None:
            wanted.add(first_ord)
        samples = {} if log.via_lines else loader.sample_hashes(log)
        label = f"decision_logs: checking {log.path}"

        def on_bytes(done: int, label: str = label, size: int = log.size) -> None:
            progress.report(min(done, size), label)

        try:
            result = line_pass(
                log.absolute,
                invalid=loader.invalid_ordinals(log),
                wanted=wanted,
                samples=samples,
                on_bytes=on_bytes,
            )
        except (OSError, EOFError) as exc:
            log.read_error = _one_line(exc)
            group.read_error = log.read_error
            ctx.problem(
                log.path, None, f"cannot read the decision log: {log.read_error}", level="error"
            )
            progress.finish_file(log.size)
            continue
        progress.finish_file(log.size)
        rows = loader.row_count(log)
        if not log.via_lines and (result.rows != rows or result.sample_mismatches):
            # DuckDB's reader and this pass disagree about the lines: never guess line
            # numbers; load the file again line by line.
            reload.append(log)
            continue
        log.line_pass = result
        log.blank_lines, log.blank_count = result.blank_lines, result.blank_count
    return reload


def _finish_groups(
    ctx: CollectContext,
    loader: DuckDBDecisionLogLoader,
    logs: list[LogFile],
    groups: dict[str | None, Group],
) -> None:
    """Line numbers, reasons, the first chain break, PII, and the roll-up to all files."""
    summary = groups[None]
    per_file_pii = _candidate_pii(loader, logs)
    summary_listed: list[tuple[str, int | None, str]] = []
    for log in logs:
        group = groups[log.path]
        lines = _LineNumbers(log)
        entries = _malformed_entries(log, group, lines)
        group.malformed_listed = [
            (log.path, line, reason) for line, reason in entries[:MAX_MALFORMED_LISTED]
        ]
        group.malformed_extra = log.blank_count + (1 if log.read_error else 0)
        summary.malformed_extra += group.malformed_extra
        if group.first_break_ord is not None:
            group.first_break = (
                log.path,
                lines.of(group.first_break_ord, group.first_break_line),
            )
        group.add_chain_to(summary)
        extra: dict[str, tuple[int, list[int | None]]] = {
            "blank line": (log.blank_count, list(log.blank_lines)),
        }
        if log.read_error:
            extra["cannot read the file"] = (1, [None])
        resolve_lines(group, log.path, lines.of, extra)
        roll_up_lines(summary, group)
        group.pii.add(per_file_pii[log.path])
        group.pii.add(log.pii)
        if log.line_pass is not None:
            group.pii.add(log.line_pass.pii)
        summary.pii.add(group.pii)
        summary_listed.extend(group.malformed_listed)
        report_malformed(ctx, log.path, group, entries)
    summary.malformed_listed = summary_listed[:MAX_MALFORMED_LISTED]
    numbers = {log.path: _LineNumbers(log) for log in logs}

    def line_of(path: str, ordinal: int, known: int | None) -> int | None:
        return numbers[path].of(ordinal, known) if path in numbers else known

    for group in groups.values():
        resolve_conflicts(group, line_of)
    report_conflicts(ctx, summary)


def _candidate_pii(loader: DuckDBDecisionLogLoader, logs: list[LogFile]) -> dict[str, PiiTally]:
    """Personal data per file in the records SQL picked as candidates, found exactly in Python."""
    per_file_pii: dict[str, PiiTally] = {log.path: PiiTally() for log in logs}
    for path, text in loader.rows(PII_CANDIDATES_SQL):
        tally = per_file_pii.get(path)
        if tally is None:
            continue
        try:
            tally.scan_json(json.loads(text))
        except ValueError:
            tally.scan(text)
    return per_file_pii


class _LineNumbers:
    """The line of a row of one file: as loaded, as the line pass found it, or counted."""

    def __init__(self, log: LogFile) -> None:
        self.passed: LinePassResult | None = log.line_pass
        self.blank_sorted = sorted(log.blank_lines)

    def of(self, ordinal: int, known: int | None) -> int | None:
        if known is not None:
            return int(known)
        passed = self.passed
        if passed is not None and ordinal in passed.line_of:
            return passed.line_of[ordinal]
        # Counting from the blank lines is exact only when every blank line is known.
        if passed is not None and passed.blank_count <= len(self.blank_sorted):
            return line_for(ordinal, self.blank_sorted)
        return None


def _malformed_entries(
    log: LogFile, group: Group, lines: _LineNumbers
) -> list[tuple[int | None, str]]:
    """A file's malformed rows, blank lines and read error as (line, reason), by line."""
    passed = log.line_pass
    entries: list[tuple[int | None, str]] = []
    for ordinal, known_line, problem in group.malformed_rows:
        reason = problem
        if passed is not None and problem == "invalid JSON" and ordinal in passed.reasons:
            reason = passed.reasons[ordinal]
        entries.append((lines.of(ordinal, known_line), reason))
    entries.extend((line, "blank line") for line in log.blank_lines)
    if log.read_error:
        entries.append((None, f"cannot read the file: {log.read_error}"))
    entries.sort(key=lambda item: (item[0] is None, item[0] or 0))
    return entries


#: Errors that mean a file cannot be read (I/O, corrupt gzip, not decodable). DuckDB's own
#: parser/binder errors are bugs in govgate and are deliberately not among them.
_READ_ERRORS: tuple[type[BaseException], ...] = (OSError, EOFError, UnicodeError, LineTooLong)


def _read_errors() -> tuple[type[BaseException], ...]:
    import duckdb

    return (
        *_READ_ERRORS,
        duckdb.IOException,
        duckdb.InvalidInputException,
        duckdb.OutOfMemoryException,
    )


def _fast_path_errors() -> tuple[type[BaseException], ...]:
    import duckdb

    return (duckdb.InvalidInputException,)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".strip()
