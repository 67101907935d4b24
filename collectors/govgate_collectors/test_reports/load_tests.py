"""Load-test results: a Locust `*_stats.csv` (with its `_stats_history.csv`) or a k6
`--summary-export` JSON, as requests, failures, error rate, rps, p95/p99 latency and duration."""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from govgate_collectors.test_reports.report import ReportProblem, parse_moment

#: Largest Locust CSV or k6 JSON read: they are summaries (kilobytes), read whole.
MAX_LOAD_REPORT_BYTES = 64 * 1024 * 1024
#: Latest Unix time a Locust history may hold (9999-12-31): later ones are not dates.
_MAX_EPOCH = 253_402_300_799

_LOCUST_COLUMNS = {
    "requests": ("Request Count", "# requests"),
    "failures": ("Failure Count", "# failures"),
    "rps": ("Requests/s",),
    "p95": ("95%",),
    "p99": ("99%",),
}
#: Files Locust writes next to its stats: read with them, never as results of their own.
LOCUST_COMPANIONS = ("_stats_history.csv", "_failures.csv", "_exceptions.csv")
#: Files a load-test folder holds besides results (HTML reports, logs): passed over silently.
IGNORED_SUFFIXES = (".html", ".htm", ".png", ".svg", ".jpg", ".log", ".txt", ".md")


def _number(value: Any, where: str) -> float | None:
    """A finite non-negative number from a report field; N/A and empty are None."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ReportProblem(None, f"{where} must be a number, not {value!r}")
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = str(value).strip()
        if text in ("", "N/A", "n/a", "-"):
            return None
        try:
            number = float(text)
        except ValueError:
            raise ReportProblem(None, f"{where} must be a number") from None
    if not math.isfinite(number) or number < 0:
        raise ReportProblem(None, f"{where} must be a finite, non-negative number")
    return number


def _rounded(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def _read_summary(path: Path) -> str:
    """A load-test summary's text; ReportProblem when it is too large to be one."""
    if path.stat().st_size > MAX_LOAD_REPORT_BYTES:
        raise ReportProblem(
            None, f"larger than {MAX_LOAD_REPORT_BYTES >> 20} MB; not a load-test summary"
        )
    return path.read_text(encoding="utf-8-sig")


def parse_locust(path: Path) -> tuple[dict[str, Any], datetime | None]:
    """A Locust `*_stats.csv` (and its `_stats_history.csv` for duration and date, if any)."""
    try:
        return _parse_locust(path)
    except csv.Error as exc:  # a field over the csv module's limit, say
        raise ReportProblem(None, f"malformed CSV: {exc}") from None


def _parse_locust(path: Path) -> tuple[dict[str, Any], datetime | None]:
    text = _read_summary(path)
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise ReportProblem(1, "empty file; expected Locust's header row") from None
    index = {name.strip(): position for position, name in enumerate(header)}

    def column(key: str) -> int | None:
        for name in _LOCUST_COLUMNS[key]:
            if name in index:
                return index[name]
        return None

    if column("requests") is None or "Name" not in index:
        raise ReportProblem(1, "not a Locust stats file: no 'Name' and 'Request Count' columns")
    aggregated: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    for row in reader:
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise ReportProblem(
                reader.line_num, f"expected {len(header)} fields (the header's), found {len(row)}"
            )
        rows.append((reader.line_num, row))
        if row[index["Name"]].strip() in ("Aggregated", "Total"):
            aggregated = row
    if not rows:
        raise ReportProblem(2, "no rows after the header")

    def value(row: list[str], key: str, line: int) -> float | None:
        position = column(key)
        if position is None:
            return None
        try:
            return _number(row[position], _LOCUST_COLUMNS[key][0])
        except ReportProblem as exc:
            raise ReportProblem(line, exc.message) from None

    if aggregated is not None:
        line = next(line for line, row in rows if row is aggregated)
        requests = value(aggregated, "requests", line) or 0.0
        failures = value(aggregated, "failures", line) or 0.0
        rps = value(aggregated, "rps", line)
        p95 = value(aggregated, "p95", line)
        p99 = value(aggregated, "p99", line)
    else:  # no aggregate row: totals are sums; percentiles cannot be combined
        requests = sum(value(row, "requests", line) or 0.0 for line, row in rows)
        failures = sum(value(row, "failures", line) or 0.0 for line, row in rows)
        rates = [value(row, "rps", line) for line, row in rows]
        rps = sum(r for r in rates if r is not None) if any(r is not None for r in rates) else None
        p95 = p99 = None
    duration, run_date = _locust_history(path)
    if duration is None and rps:
        duration = requests / rps
    data = {
        "tool": "locust",
        "requests": int(requests),
        "failures": int(failures),
        "error_rate": _rounded(failures / requests, 6) if requests else None,
        "rps": _rounded(rps),
        "p95_ms": _rounded(p95),
        "p99_ms": _rounded(p99),
        "duration_s": _rounded(duration),
    }
    return data, run_date


def _locust_history(stats_path: Path) -> tuple[float | None, datetime | None]:
    """(duration, run date) from the `_stats_history.csv` Locust writes next to the stats."""
    history = stats_path.with_name(stats_path.name[: -len("_stats.csv")] + "_stats_history.csv")
    if not history.is_file() or history.is_symlink():
        return None, None
    stamps: list[float] = []
    reader = csv.DictReader(io.StringIO(_read_summary(history)))
    for row in reader:
        cell = row.get("Timestamp")
        try:
            stamp = float(cell if isinstance(cell, str) else "")
        except ValueError:
            continue  # Locust leaves it empty on rows written before the first request
        if not 0 <= stamp <= _MAX_EPOCH:  # nan, inf and years past 9999 are not times
            raise ReportProblem(
                None, f"{history.name}:{reader.line_num}: Timestamp {cell!r} is not a Unix time"
            )
        stamps.append(stamp)
    if not stamps:
        return None, None
    return max(stamps) - min(stamps), datetime.fromtimestamp(max(stamps), tz=UTC)


def parse_k6(path: Path) -> tuple[dict[str, Any], datetime | None] | None:
    """A k6 `--summary-export` file (or `handleSummary` JSON); None if it is not k6's."""
    try:
        document = json.loads(_read_summary(path))
    except json.JSONDecodeError as exc:
        raise ReportProblem(exc.lineno, f"invalid JSON: {exc.msg}") from None
    except RecursionError:
        raise ReportProblem(None, "JSON nested too deeply") from None
    except ValueError as exc:  # an integer of more digits than Python converts
        raise ReportProblem(None, f"invalid JSON: {str(exc).split(';')[0]}") from None
    metrics = document.get("metrics") if isinstance(document, dict) else None
    if not isinstance(metrics, dict) or "http_reqs" not in metrics:
        return None

    def metric(name: str) -> dict[str, Any]:
        raw = metrics.get(name) or {}
        if not isinstance(raw, dict):
            raise ReportProblem(None, f"metrics.{name} must be an object")
        # --summary-export writes the values flat; handleSummary nests them under "values".
        values = raw.get("values", raw)
        return values if isinstance(values, dict) else {}

    reqs = metric("http_reqs")
    requests = _number(reqs.get("count"), "metrics.http_reqs.count") or 0.0
    rps = _number(reqs.get("rate"), "metrics.http_reqs.rate")
    failed = metric("http_req_failed")
    # A Rate metric counts true values as "passes": for http_req_failed, the failed requests.
    failures = _number(failed.get("passes"), "metrics.http_req_failed.passes")
    rate = _number(failed.get("value", failed.get("rate")), "metrics.http_req_failed.value")
    if failures is None and rate is not None:
        failures = round(rate * requests)
    duration_ms = metric("http_req_duration")
    state = document.get("state") if isinstance(document.get("state"), dict) else {}
    run_ms = _number(state.get("testRunDurationMs"), "state.testRunDurationMs")
    duration = run_ms / 1000 if run_ms is not None else (requests / rps if rps else None)
    run_date = None
    for key in ("timestamp", "date", "run_date"):
        if isinstance(document.get(key), str):
            run_date = parse_moment(document[key])
            if run_date is not None:
                break
    data = {
        "tool": "k6",
        "requests": int(requests),
        "failures": int(failures or 0),
        "error_rate": _rounded(rate, 6)
        if rate is not None
        else (_rounded((failures or 0) / requests, 6) if requests else None),
        "rps": _rounded(rps),
        "p95_ms": _rounded(_number(duration_ms.get("p(95)"), "http_req_duration.p(95)")),
        "p99_ms": _rounded(_number(duration_ms.get("p(99)"), "http_req_duration.p(99)")),
        "duration_s": _rounded(duration),
    }
    return data, run_date


def empty_load(rel: str, tool: str) -> dict[str, Any]:
    """The data of a load-test result that could not be read (it carries the problem)."""
    return {
        "tool": tool,
        "path": rel,
        "requests": 0,
        "failures": 0,
        "error_rate": None,
        "rps": None,
        "p95_ms": None,
        "p99_ms": None,
        "duration_s": None,
        "run_date": None,
        "run_date_source": None,
    }
