"""One fairness aggregate on both aggregation backends, over the same Parquet file.

Generates N rows (default 50 million) of predictions as Parquet, deterministically and in
chunks of 1M rows so memory stays flat, then runs `govgate.analysis.fairness.analyse_source`
(register the source, CELL_COUNTS_SQL, fold into metrics) on the embedded DuckDB and on Spark
(local[2] unless --master says otherwise), and prints for each the wall time and peak memory:
this process's peak RSS for DuckDB (it runs in process), and for Spark the driver's peak RSS
and the JVM's (the java child process, sampled from /proc every 0.2 s). The two documents must
be equal to 1e-9; the run fails if they are not.

    .venv/bin/python benchmarks/backends.py [--rows 50000000] [--master local[2]] [--keep]

Run each backend in its own process (this script re-invokes itself) so that peak RSS is that
backend's alone.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

CHUNK = 1_000_000


def generate(path: Path, rows: int) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(20261)
    sexes = np.array(["F", "M", "X"])
    bands = np.array(["18-25", "26-40", "41-65", "65+"])
    regions = np.array([f"R{i:02d}" for i in range(12)])
    writer = None
    try:
        for start in range(0, rows, CHUNK):
            n = min(CHUNK, rows - start)
            sex = sexes[rng.choice(3, n, p=[0.48, 0.49, 0.03])]
            score = rng.random(n)
            approved = (score + np.where(sex == "M", 0.05, 0.0)) > 0.5
            table = pa.table(
                {
                    "sex": sex,
                    "age_band": bands[rng.integers(0, 4, n)],
                    "region": regions[rng.integers(0, 12, n)],
                    "approved": approved.astype(np.int8),
                    "repaid": (rng.random(n) < 0.7).astype(np.int8),
                    "score": score,
                }
            )
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema, compression="snappy")
            writer.write_table(table, row_group_size=CHUNK)
    finally:
        if writer is not None:
            writer.close()


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    found.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    except OSError:
        pass
    return found


class ChildPeak:
    """Peak RSS of this process's descendants (the JVM and Python workers), from /proc."""

    def __init__(self) -> None:
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            total, todo = 0, _children(me)
            while todo:
                child = todo.pop()
                total += _rss_kb(child)
                todo.extend(_children(child))
            self.peak_kb = max(self.peak_kb, total)
            self._stop.wait(0.2)

    def __enter__(self) -> ChildPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_one(backend_name: str, path: Path, master: str) -> dict[str, Any]:
    from govgate.analysis.aggregate import DuckDBBackend, TableSource
    from govgate.analysis.fairness import FairnessSpec, analyse_source

    spec = FairnessSpec(
        prediction="approved",
        label="repaid",
        attributes=("sex", "age_band", "region"),
        min_share=0.0,
    )
    source = TableSource((str(path),), "parquet")
    with ChildPeak() as children:
        started = time.perf_counter()
        if backend_name == "duckdb":
            with DuckDBBackend({"memory_limit": "2GB"}) as backend:
                doc = analyse_source(source, spec, backend=backend)
            startup = 0.0
        else:
            from govgate_spark.backend import SparkBackend

            backend = SparkBackend({"master": master, "conf": {"spark.driver.memory": "2g"}})
            startup = time.perf_counter() - started
            try:
                doc = analyse_source(source, spec, backend=backend)
            finally:
                backend.close()
        seconds = time.perf_counter() - started
    return {
        "backend": backend_name,
        "seconds": seconds,
        "startup_seconds": startup,
        "driver_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "children_peak_mb": children.peak_kb / 1024,
        "doc": doc,
    }


def same(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, abs_tol=1e-9)
    return bool(a == b)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000_000)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--keep", action="store_true", help="keep the generated Parquet file")
    parser.add_argument("--one", choices=["duckdb", "spark"], help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.file, args.master)))
        return 0
    folder = Path(tempfile.mkdtemp(prefix="govgate-bench-backends-"))
    path = folder / "predictions.parquet"
    started = time.perf_counter()
    generate(path, args.rows)
    size = path.stat().st_size / 1e6
    print(
        f"generated {args.rows:,} rows, {size:,.0f} MB of Parquet in "
        f"{time.perf_counter() - started:.1f} s: {path}",
        flush=True,
    )
    results = {}
    for name in ("duckdb", "spark"):
        out = subprocess.run(
            [sys.executable, __file__, "--one", name, "--file", str(path), "--master", args.master],
            capture_output=True,
            text=True,
        )
        if out.returncode != 0:
            print(out.stderr[-3000:], file=sys.stderr)
            return 1
        results[name] = json.loads(out.stdout.strip().splitlines()[-1])
        r = results[name]
        extra = ""
        if name == "spark":
            extra = (
                f", JVM+workers peak RSS {r['children_peak_mb']:,.0f} MB "
                f"(session start {r['startup_seconds']:.1f} s)"
            )
        timing = f"{name:>6}: {r['seconds']:7.1f} s"
        print(f"{timing}, driver peak RSS {r['driver_peak_mb']:,.0f} MB{extra}", flush=True)
    duck, spark = results["duckdb"], results["spark"]
    print(
        f"spark/duckdb time ratio: {spark['seconds'] / duck['seconds']:.1f}x on one machine "
        f"({args.master})"
    )
    equal = same(duck["doc"], spark["doc"])
    print(f"same fairness document to 1e-9: {equal}")
    if not args.keep:
        path.unlink()
        folder.rmdir()
    return 0 if equal else 1


if __name__ == "__main__":
    raise SystemExit(main())
