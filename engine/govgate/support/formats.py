"""The tabular-data formats govgate reads (Parquet, JSONL, CSV) and how a file name says which.

One table for every reader of tabular data: the aggregation backends, the fairness analysis
and the collectors that hand files or lake URIs to them.
"""

from __future__ import annotations

from collections.abc import Sequence

#: The formats a `TableSource` may have, in the order messages list them.
TABULAR_FORMATS = ("parquet", "jsonl", "csv")
#: File name endings → format. `.json` is read as JSON Lines (prediction exports and decision
#: logs hold one object per line); `.tsv` and `.txt` as delimited text, by the CSV reader.
EXTENSIONS = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
}
#: Whole-file compression suffixes the embedded DuckDB decompresses itself.
LOCAL_COMPRESSIONS = (".gz", ".zst", ".gzip")
#: Compression suffixes any backend may meet in a lake (Spark also reads bzip2 and snappy).
COMPRESSIONS = (".gz", ".gzip", ".zst", ".bz2", ".snappy")


def tabular_format(name: str, compressions: Sequence[str] = COMPRESSIONS) -> str | None:
    """parquet, jsonl or csv from a file name or URI (after a compression suffix), else None.

    `compressions` are the suffixes the reader can see through: a file compressed any other
    way has no format it can read.
    """
    name = name.lower().rstrip("/")
    for suffix in compressions:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    for extension, fmt in EXTENSIONS.items():
        if name.endswith(extension):
            return fmt
    return None
