"""Benchmark: the decision-log summary against a plain `json.loads` line loop.

Generates, deterministically, a JSONL decision log of the size given on the command line with
the defects real logs have (invalid and truncated lines, blank lines, CRLF line ends, duplicate
decision ids, missing fields, wrong types, a broken hash-chain link, personal data in a few
reasons), then in the same run times

- govgate's `decision_logs` collector (in a child process, so its peak RSS is its own), and
- a plain Python loop that only does `json.loads` on every line (no aggregation at all),

and prints both, their throughput and the ratio. The goal: govgate at least 2x faster than the
loop in the same run, with a peak RSS of at most 400 MB (at 1 GB, on 2 cores).

    .venv/bin/python benchmarks/decision_logs.py              # 1 GB
    .venv/bin/python benchmarks/decision_logs.py --size 100MB # a quick run

The generated records follow the hash-chain rule of docs/collectors/decision_logs.md: each
record's `prev_hash` is the sha256 (hex) of the previous line's bytes without its line end.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

DECISION_TYPES = (
    ("credit_decision", "high", 0.55),
    ("limit_increase", "high", 0.15),
    ("marketing_offer", "minimal", 0.30),
)
REASONS = (
    "debt_to_income_above_limit",
    "short_credit_history",
    "recent_delinquency",
    "income_verified",
    "stable_employment",
    "low_utilisation",
    "thin_file",
)
# Planted personal data (all reserved/test values): the summary must count them, never show them.
PII_REASONS = (
    "customer wrote from jane.doe@example.com",
    "call back on (555) 010-4477",
    "card 4111 1111 1111 1111 on file",
)


def parse_size(text: str) -> int:
    units = {"KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "B": 1}
    upper = text.strip().upper()
    for suffix, factor in units.items():
        if upper.endswith(suffix):
            return int(float(upper[: -len(suffix)]) * factor)
    return int(upper)


def _record(rng: random.Random, moment: datetime, prev_hash: str | None) -> dict[str, object]:
    roll = rng.random()
    cumulative = 0.0
    decision_type, tier = DECISION_TYPES[0][:2]
    for name, risk, share in DECISION_TYPES:
        cumulative += share
        if roll < cumulative:
            decision_type, tier = name, risk
            break
    score = round(rng.random(), 4)
    output = "approve" if score >= 0.62 else "decline"
    record: dict[str, object] = {
        "decision_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z",
        "system_id": "loan-approval",
        "model_name": "credit-scorer",
        "model_version": "2.3.0",
        "model_artifact_sha256": "9f2c" + "0" * 56 + "b7e1",
        "decision_type": decision_type,
        "risk_tier": tier,
        "input_hash": f"{rng.getrandbits(256):064x}",
        "data_categories": ["contact", "financial"],
        "output": output,
        "score": score,
        "threshold": 0.62,
        "reasons": rng.sample(REASONS, 2),
        "human_review": {"required": tier == "high"},
        "final_outcome": output,
        "subject_ref": f"subj-{rng.getrandbits(40):010x}",
        "legal_basis": "GDPR-6-1-b",
        "policy_version": "1.4.0",
    }
    if tier == "high":
        review = record["human_review"]
        assert isinstance(review, dict)
        action = "override" if rng.random() < 0.04 else "approve"
        review.update(
            reviewer_id=f"rev-{rng.randrange(1, 60):03d}",
            action=action,
            timestamp=(moment + timedelta(minutes=rng.randrange(1, 240))).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            ),
        )
        if action == "override":
            record["final_outcome"] = "approve" if output == "decline" else "decline"
    if prev_hash is not None:
        record["prev_hash"] = prev_hash
    return record


def generate(path: Path, size: int, seed: int = 20260301) -> dict[str, int]:
    """Write about `size` bytes of JSONL; return how many of each defect were planted."""
    rng = random.Random(seed)
    moment = datetime(2025, 9, 1, tzinfo=UTC)
    planted = dict.fromkeys(
        (
            "records",
            "invalid",
            "blank",
            "duplicates",
            "missing_review",
            "wrong_type",
            "pii",
            "chain_breaks",
            "epoch_ms",
            "offsetless",
        ),
        0,
    )
    recent_ids: list[str] = []
    written = 0
    prev_hash: str | None = None
    index = 0
    with path.open("wb") as out:
        while written < size:
            index += 1
            moment += timedelta(milliseconds=rng.randrange(200, 9000))
            record = _record(rng, moment, prev_hash)
            # A service that changed loggers: a third of the times in epoch milliseconds, a
            # seventh without an offset (space-separated), the rest RFC 3339.
            if index % 3 == 0:
                record["timestamp"] = int(moment.timestamp() * 1000)
                planted["epoch_ms"] += 1
            elif index % 7 == 0:
                record["timestamp"] = moment.strftime("%Y-%m-%d %H:%M:%S")
                planted["offsetless"] += 1
            if index % 9973 == 0 and recent_ids:
                record["decision_id"] = recent_ids[rng.randrange(len(recent_ids))]
                planted["duplicates"] += 1
            if index % 4999 == 0 and record["risk_tier"] == "high":
                record.pop("human_review")
                planted["missing_review"] += 1
            if index % 7919 == 0:
                record["score"] = str(record["score"])  # wrong type: a string score
                planted["wrong_type"] += 1
            if index % 50021 == 0:
                record["reasons"] = [PII_REASONS[planted["pii"] % len(PII_REASONS)]]
                planted["pii"] += 1
            if index % 40009 == 0 and prev_hash is not None:
                record["prev_hash"] = "0" * 64  # a record inserted or edited afterwards
                planted["chain_breaks"] += 1
            line = json.dumps(record, separators=(",", ":")).encode()
            if index % 12007 == 0:
                line = line[: len(line) // 2]  # an invalid line: cut in the middle
                planted["invalid"] += 1
            ending = b"\r\n" if index % 30011 == 0 else b"\n"
            out.write(line + ending)
            written += len(line) + len(ending)
            if index % 25013 == 0:
                out.write(b"\n")
                planted["blank"] += 1
                written += 1
            prev_hash = hashlib.sha256(line).hexdigest()
            if len(recent_ids) < 1000:
                recent_ids.append(str(record["decision_id"]))
            elif index % 97 == 0:
                recent_ids[rng.randrange(1000)] = str(record["decision_id"])
            planted["records"] += 1
        # A writer killed mid-line: the last line is truncated and has no newline.
        out.write(b'{"decision_id": "trunc')
        planted["invalid"] += 1
    return planted


def _cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def plain_json_loop(path: Path) -> tuple[float, int, int]:
    """Time a bare `json.loads` over every line: the floor a pure-Python collector starts at."""
    started = time.perf_counter()
    good = bad = 0
    with path.open("rb") as handle:
        for line in handle:
            try:
                json.loads(line)
                good += 1
            except ValueError:
                bad += 1
    return time.perf_counter() - started, good, bad


_CHILD = r"""
import json, sys, time
from pathlib import Path
from govgate.core.collector import CollectContext, RepoFiles
from govgate_collectors.decision_logs import DecisionLogsCollector
root = Path(sys.argv[1])
HIGH = ["credit_decision", "limit_increase"]
collector = DecisionLogsCollector()
ctx = CollectContext(root=root, collector=collector.name, collector_version=collector.version,
    kinds=list(collector.kinds), settings={"high_risk_types": HIGH}, system={},
    files=RepoFiles(root))
started = time.perf_counter()
items = list(collector.collect(ctx))
seconds = time.perf_counter() - started
summary = next(e for e in items if e.kind == "decision_log.summary")
peak_kb = 0
for line in Path("/proc/self/status").read_text().splitlines():
    if line.startswith("VmHWM:"):
        peak_kb = int(line.split()[1])
print(json.dumps({"seconds": seconds, "peak_kb": peak_kb, "summary": summary.data}))
"""


def run_collector(root: Path) -> tuple[float, int, dict[str, object], float, float]:
    """Run the collector in a child process: (seconds, peak RSS KB, summary, wall, CPU s)."""
    cpu_before = _cpu_seconds(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(root)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "CI": "1"},
    )
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    report = json.loads(done.stdout)
    # ru_maxrss (KB on Linux) covers the whole child, interpreter and DuckDB included.
    peak_kb = max(int(report["peak_kb"]), int(usage.ru_maxrss))
    cpu = _cpu_seconds(resource.RUSAGE_CHILDREN) - cpu_before
    return float(report["seconds"]), peak_kb, report["summary"], wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="1GB", help="log size, e.g. 100MB or 1GB (default)")
    parser.add_argument("--keep", type=Path, help="write the log here and keep it")
    args = parser.parse_args()
    size = parse_size(args.size)
    with tempfile.TemporaryDirectory(prefix="govgate-bench-") as tmp:
        root = Path(args.keep) if args.keep else Path(tmp) / "repo"
        log = root / "logs" / "decisions" / "decisions.jsonl"
        log.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        planted = generate(log, size)
        generated = time.perf_counter() - started
        megabytes = log.stat().st_size / (1 << 20)
        print(f"generated {megabytes:,.0f} MB ({planted['records']:,} lines) in {generated:.1f} s")
        print("planted: " + ", ".join(f"{k}={v:,}" for k, v in planted.items()))
        print(f"cores: {os.cpu_count()}")

        loop_cpu = _cpu_seconds(resource.RUSAGE_SELF)
        loop_seconds, good, bad = plain_json_loop(log)
        loop_cpu = _cpu_seconds(resource.RUSAGE_SELF) - loop_cpu
        seconds, peak_kb, summary, wall, cpu = run_collector(root)
        malformed = summary["malformed"]
        assert isinstance(malformed, dict)
        print()
        print(f"{'':28}{'seconds':>10}{'MB/s':>10}{'CPU s':>10}{'peak RSS MB':>14}")
        print(
            f"{'json.loads line loop':28}{loop_seconds:>10.2f}{megabytes / loop_seconds:>10.1f}"
            f"{loop_cpu:>10.2f}"
        )
        print(
            f"{'govgate decision_logs':28}{seconds:>10.2f}{megabytes / seconds:>10.1f}"
            f"{cpu:>10.2f}{peak_kb / 1024:>14.0f}"
        )
        print(f"(child process wall time incl. interpreter start: {wall:.2f} s; CPU s counts")
        print(" every core, so CPU s / cores is the floor on an otherwise idle machine)")
        print(f"ratio json.loads / govgate: {loop_seconds / seconds:.2f}x")
        print()
        print(f"json.loads loop: {good:,} parsed, {bad:,} failed (no aggregation done)")
        print(
            f"govgate: {summary['records']:,} records, {malformed['count']:,} malformed, "
            f"duplicates {summary['duplicate_ids']}, hash chain {summary['hash_chain']}, "
            f"pii {summary['pii']}"
        )
        goal_ok = loop_seconds / seconds >= 2 and peak_kb <= 400 * 1024
        scale = (1 << 30) / log.stat().st_size
        print(
            f"goal (govgate >= 2x the json.loads loop, peak RSS <= 400 MB): "
            f"{'met' if goal_ok else 'NOT met'} at this size; "
            f"time extrapolated to 1 GB: {seconds * scale:.1f} s"
        )
        print(f"timestamps read: {summary.get('timestamps')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
