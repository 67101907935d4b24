"""Benchmark: govgate's fairness metrics against fairlearn's MetricFrame on the same file.

Generates, deterministically (fixed seed), a prediction file of `--rows` rows (10 million by
default) with three protected attributes (sex, race, age band; one race group and one sex group
under 2% of rows), a true label and a prediction, as Parquet or CSV. Then, in the same run and
each in its own child process (so each peak RSS is its own), it times:

- govgate: `govgate.analysis.fairness.analyse_files` — read the file with DuckDB, aggregate,
  and compute the whole `govgate/fairness/v1` document: every attribute and every
  intersection (3 + 4 analyses), per-group rates, impact ratios, intervals, p-values and all
  aggregates;
- fairlearn: `pandas.read_parquet`/`read_csv`, then per analysis what a careful fairlearn user
  does for the same numbers: drop unknown values and groups under 2%, one `MetricFrame` with
  selection rate, TPR, FPR, FNR, precision and count, and `.difference()`/`.ratio()` with both
  methods (which is what fairlearn's demographic_parity_*, equalized_odds_* etc. call).

Loading the file is included on both sides. It prints both times, their ratio (budget: govgate
at least 30 times faster), the peak RSS of each side, and checks that every number
agrees to 1e-9 (exit 1 if not, or if the budget is missed).

    .venv/bin/python benchmarks/fairness.py                    # 10 M rows, Parquet
    .venv/bin/python benchmarks/fairness.py --rows 1000000 --format csv

The fairlearn side takes minutes at 10 M rows (MetricFrame evaluates sklearn metrics group by
group); generated files are cached in --data-dir and reused.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from govgate.analysis.fairness import AGGREGATE_KEYS

REPO = Path(__file__).resolve().parent.parent
SEED = 20260601
ATTRIBUTES = ("sex", "race", "age_band")
CATEGORIES = {
    "sex": (("female", 0.492), ("male", 0.495), ("nonbinary", 0.013)),
    "race": (
        ("White", 0.58),
        ("Black", 0.14),
        ("Hispanic or Latino", 0.15),
        ("Asian", 0.07),
        ("Two or More Races", 0.045),
        ("Native American", 0.015),
    ),
    "age_band": (("under 25", 0.2), ("25-39", 0.38), ("40-59", 0.32), ("60+", 0.1)),
}
MIN_SHARE = 0.02
TOLERANCE = 1e-9
BUDGET = 30.0
CHUNK = 1_000_000
#: The aggregates fairlearn computes too: all of govgate's but the LL144 scoring rate.
AGGREGATES = tuple(k for k in AGGREGATE_KEYS if not k.startswith("scoring_rate"))


# ------------------------------------------------------------------------------ data


def generate(path: Path, rows: int, fmt: str) -> None:
    """Write `rows` rows in chunks (bounded memory), deterministic for a given row count."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    rng = np.random.default_rng(SEED)
    tmp = path.with_name(path.name + ".tmp")
    writer: Any = None
    schema = pa.schema(
        [
            *(pa.field(a, pa.string()) for a in ATTRIBUTES),
            pa.field("hired", pa.int8()),
            pa.field("advanced", pa.int8()),
        ]
    )
    try:
        for start in range(0, rows, CHUNK):
            size = min(CHUNK, rows - start)
            codes = {}
            for attr, choices in CATEGORIES.items():
                probabilities = np.array([p for _, p in choices])
                codes[attr] = rng.choice(
                    len(choices), size=size, p=probabilities / probabilities.sum()
                )
            # Outcome base rates and the model's errors both depend on the groups, so every
            # metric differs between groups (a biased screen on a skewed population).
            base = (
                0.30
                + 0.04 * (codes["sex"] == 1)
                - 0.05 * (codes["race"] == 1)
                + 0.03 * (codes["age_band"] == 2)
                - 0.06 * (codes["age_band"] == 0)
            )
            hired = rng.random(size) < base
            tpr = 0.78 - 0.10 * (codes["sex"] == 0) - 0.08 * (codes["race"] >= 3)
            fpr = 0.12 + 0.05 * (codes["sex"] == 1) + 0.03 * (codes["age_band"] == 3)
            advanced = np.where(hired, rng.random(size) < tpr, rng.random(size) < fpr)
            columns = [
                pa.DictionaryArray.from_arrays(
                    pa.array(codes[attr], pa.int32()),
                    pa.array([name for name, _ in CATEGORIES[attr]]),
                ).cast(pa.string())
                for attr in ATTRIBUTES
            ]
            columns += [pa.array(hired.astype("int8")), pa.array(advanced.astype("int8"))]
            batch = pa.record_batch(columns, schema=schema)
            if writer is None:
                writer = (
                    pq.ParquetWriter(tmp, schema, compression="snappy")
                    if fmt == "parquet"
                    else pacsv.CSVWriter(tmp, schema)
                )
            writer.write_batch(batch)
    finally:
        if writer is not None:
            writer.close()
    tmp.replace(path)


# ------------------------------------------------------------------------------ the two sides


def run_govgate(path: Path, repeats: int) -> dict[str, Any]:
    from govgate.analysis.fairness import FairnessSpec, analyse_files

    spec = FairnessSpec(
        prediction="advanced", label="hired", attributes=ATTRIBUTES, min_share=MIN_SHARE
    )
    times = []
    doc: dict[str, Any] = {}
    for _ in range(repeats):
        started = time.perf_counter()
        doc = analyse_files([path], spec)
        times.append(time.perf_counter() - started)
    return {
        "seconds": statistics.median(times),
        "all_seconds": times,
        "numbers": numbers_from_document(doc),
    }


def numbers_from_document(doc: dict[str, Any]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for section in [*doc["attributes"], *doc["intersections"]]:
        name = "×".join(section["attributes"])
        for method in ("between_groups", "to_overall"):
            for key in AGGREGATES:
                out[f"{name}|{method}|{key}"] = section[method][key]
        for group in section["groups"]:
            for key in ("selection_rate", "tpr", "fpr", "fnr", "ppv", "impact_ratio"):
                out[f"{name}|{group['value']}|{key}"] = group[key]
            out[f"{name}|{group['value']}|n"] = group["n"]
    return out


def run_fairlearn(path: Path, fmt: str) -> dict[str, Any]:
    import itertools

    import pandas as pd
    from fairlearn.metrics import (
        MetricFrame,
        count,
        false_negative_rate,
        false_positive_rate,
        selection_rate,
        true_positive_rate,
    )
    from sklearn.metrics import precision_score

    def precision(y_true: Any, y_pred: Any) -> float:
        return float(precision_score(y_true, y_pred, zero_division=0))

    started = time.perf_counter()
    frame = pd.read_parquet(path) if fmt == "parquet" else pd.read_csv(path)
    loaded = time.perf_counter() - started
    out: dict[str, float | None] = {}
    subsets = [(a,) for a in ATTRIBUTES] + [
        c
        for size in range(2, len(ATTRIBUTES) + 1)
        for c in itertools.combinations(ATTRIBUTES, size)
    ]
    metrics = {
        "selection_rate": selection_rate,
        "tpr": true_positive_rate,
        "fpr": false_positive_rate,
        "fnr": false_negative_rate,
        "ppv": precision,
        "n": count,
    }
    for subset in subsets:
        attrs = list(subset)
        shares = frame.groupby(attrs, observed=True).size() / len(frame)
        small = shares[shares < MIN_SHARE]
        data = frame
        if len(small):
            keys = pd.MultiIndex.from_frame(frame[attrs])
            data = frame[~keys.isin(small.index if len(attrs) > 1 else [(v,) for v in small.index])]
        sensitive = data[attrs[0]] if len(attrs) == 1 else data[attrs]
        mf = MetricFrame(
            metrics=metrics,
            y_true=data["hired"],
            y_pred=data["advanced"],
            sensitive_features=sensitive,
        )
        name = "×".join(attrs)
        for method in ("between_groups", "to_overall"):
            difference = mf.difference(method=method)
            ratio = mf.ratio(method=method)
            prefix = f"{name}|{method}|"
            out[prefix + "demographic_parity_difference"] = float(difference["selection_rate"])
            out[prefix + "demographic_parity_ratio"] = float(ratio["selection_rate"])
            eo_difference = difference[["tpr", "fpr"]]
            eo_ratio = ratio[["tpr", "fpr"]]
            out[prefix + "equalized_odds_difference"] = float(max(eo_difference))
            out[prefix + "equalized_odds_difference_mean"] = float(eo_difference.mean())
            out[prefix + "equalized_odds_ratio"] = float(min(eo_ratio))
            out[prefix + "equalized_odds_ratio_mean"] = float(eo_ratio.mean())
            out[prefix + "equal_opportunity_difference"] = float(difference["tpr"])
            out[prefix + "equal_opportunity_ratio"] = float(ratio["tpr"])
            out[prefix + "false_positive_rate_difference"] = float(difference["fpr"])
            out[prefix + "predictive_parity_difference"] = float(difference["ppv"])
        by_group = mf.by_group
        top = by_group["selection_rate"].max()
        for index, row in by_group.iterrows():
            if math.isnan(row["n"]):
                continue  # fairlearn lists unobserved combinations of the attributes as NaN
            value = "×".join(str(v) for v in (index if isinstance(index, tuple) else (index,)))
            for key in ("selection_rate", "tpr", "fpr", "fnr", "ppv"):
                out[f"{name}|{value}|{key}"] = float(row[key])
            out[f"{name}|{value}|impact_ratio"] = float(row["selection_rate"] / top)
            out[f"{name}|{value}|n"] = int(row["n"])
    return {"seconds": time.perf_counter() - started, "load_seconds": loaded, "numbers": out}


def compare(ours: dict[str, Any], theirs: dict[str, Any]) -> tuple[int, float, list[str]]:
    """(#values compared, largest difference, problems). fairlearn computes no numbers for
    excluded groups' aggregates, so only keys it produced are compared; govgate's excluded
    groups are compared on their own per-group rates (fairlearn ran without them)."""
    problems = []
    largest = 0.0
    compared = 0
    for key, value in theirs.items():
        mine = ours.get(key)
        if mine is None:
            if key.endswith("|impact_ratio") or key.endswith("|ppv"):
                continue
            problems.append(f"{key}: govgate has no value, fairlearn {value}")
            continue
        if value is None or (isinstance(value, float) and math.isnan(value)):
            problems.append(f"{key}: fairlearn undefined, govgate {mine}")
            continue
        difference = abs(float(mine) - float(value))
        largest = max(largest, difference)
        compared += 1
        if difference > TOLERANCE:
            problems.append(f"{key}: govgate {mine}, fairlearn {value}")
    return compared, largest, problems


# ------------------------------------------------------------------------------ driver


def child(side: str, path: Path, fmt: str, out: Path, repeats: int) -> None:
    result = run_govgate(path, repeats) if side == "govgate" else run_fairlearn(path, fmt)
    out.write_text(json.dumps(result))


def run_child(side: str, path: Path, fmt: str, repeats: int) -> tuple[dict[str, Any], int]:
    """Run one side in a child process; returns its result and its peak RSS in bytes."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "result.json"
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        process = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--child",
                side,
                "--file",
                str(path),
                "--format",
                fmt,
                "--out",
                str(out),
                "--repeats",
                str(repeats),
            ],
            env=env,
        )
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            raise SystemExit(f"{side} side failed with exit code {process.returncode}")
        return json.loads(out.read_text()), int(usage.ru_maxrss) * 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    parser.add_argument(
        "--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "govgate-bench-fairness"
    )
    parser.add_argument("--repeats", type=int, default=3, help="govgate runs (median shown)")
    parser.add_argument("--child", choices=["govgate", "fairlearn"], help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.file, args.format, args.out, args.repeats)
        return 0

    args.data_dir.mkdir(parents=True, exist_ok=True)
    path = args.data_dir / f"predictions-{args.rows}-{SEED}.{args.format}"
    if not path.exists():
        started = time.perf_counter()
        generate(path, args.rows, args.format)
        print(
            f"generated {path} ({path.stat().st_size / 1e6:.0f} MB) "
            f"in {time.perf_counter() - started:.1f} s"
        )
    else:
        print(f"reusing {path} ({path.stat().st_size / 1e6:.0f} MB)")
    print(
        f"{args.rows:,} rows, attributes {', '.join(ATTRIBUTES)}, {os.cpu_count()} CPUs; "
        "3 attributes + 4 intersections analysed on each side"
    )

    ours, our_rss = run_child("govgate", path, args.format, args.repeats)
    runs = ", ".join(f"{s:.2f}" for s in ours["all_seconds"])
    print(
        f"govgate   : {ours['seconds']:8.2f} s  (median of {args.repeats}: {runs})  "
        f"peak RSS {our_rss / 1e6:,.0f} MB"
    )
    theirs, their_rss = run_child("fairlearn", path, args.format, 1)
    print(
        f"fairlearn : {theirs['seconds']:8.2f} s  (pandas load {theirs['load_seconds']:.2f} s)"
        f"  peak RSS {their_rss / 1e6:,.0f} MB"
    )
    ratio = theirs["seconds"] / ours["seconds"]
    worst = theirs["seconds"] / max(ours["all_seconds"])
    print(
        f"ratio     : govgate is {ratio:,.1f}x faster (budget: at least {BUDGET:g}x); "
        f"{worst:,.1f}x against govgate's slowest (first) run"
    )
    compared, largest, problems = compare(ours["numbers"], theirs["numbers"])
    print(
        f"numbers   : {compared:,} values compared, largest difference {largest:.3g} "
        f"(tolerance {TOLERANCE:g})"
    )
    for problem in problems[:20]:
        print(f"  MISMATCH {problem}")
    ok = not problems and compared > 0 and worst >= BUDGET
    print("result    : " + ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
