"""How the `pii` collector reads what repositories hold: text in any BOM-marked encoding,
compressed streams (gzip, bzip2, xz), the members of zip archives, and Parquet tables.

Everything is read as a stream, so memory stays bounded whatever the size. What cannot be read
raises `NotScanned` with the reason: a file the scan could not read is reported, never passed
over, and the rule reading the scan cannot pass on it. Decompressed data is bounded
(`MAX_DECOMPRESSED_BYTES` per file or archive, `MAX_ZIP_MEMBERS` per archive): a compression
bomb is refused rather than read for an hour, and refused means not scanned.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import lzma
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

#: Decompressed bytes read from one compressed file or one zip archive (all members together).
MAX_DECOMPRESSED_BYTES = 1 << 30
#: Members read from one zip archive.
MAX_ZIP_MEMBERS = 10_000
#: Bytes looked at for a byte-order mark and, without one, for the NUL byte of binary data.
HEAD_BYTES = 8192

#: Extensions of files that are binary by construction: not scanned (and so not verified).
BINARY_SUFFIXES = (
    ".arrow",
    ".feather",
    ".npy",
    ".npz",
    ".pkl",
    ".pickle",
    ".pt",
    ".pth",
    ".onnx",
    ".h5",
    ".hdf5",
    ".tar",
    ".7z",
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".pdf",
    ".xlsx",
    ".db",
    ".sqlite",
)
#: Compressed single files, read decompressed: suffix -> opener.
COMPRESSED = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
#: Byte-order marks, longest first (the UTF-32 LE mark begins with the UTF-16 LE one).
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class NotScanned(Exception):
    """A file, or part of one, the scan could not read; the message says why."""


@dataclass(frozen=True)
class Layout:
    """How a file is read: `kind` is text, parquet, zip or binary; `compression` a suffix of
    COMPRESSED or None."""

    kind: str
    compression: str | None = None
    suffix: str = ""


def layout(path: Path) -> Layout:
    """How `path` is read, by its name: `data.csv.gz` is gzip-compressed text."""
    name = path.name.lower()
    compression = next((s for s in COMPRESSED if name.endswith(s)), None)
    inner = name.removesuffix(compression) if compression else name
    suffix = Path(inner).suffix
    if inner.endswith(".zip"):
        return Layout("binary" if compression else "zip", compression, suffix)
    if inner.endswith(".parquet"):
        return Layout("binary" if compression else "parquet", compression, suffix)
    if inner.endswith(BINARY_SUFFIXES):
        return Layout("binary", compression, suffix)
    return Layout("text", compression, suffix)


class _Bounded(io.RawIOBase):
    """A stream that refuses to give more than `limit` bytes in all: a compression bomb ends
    in `NotScanned` instead of an hour of reading."""

    def __init__(self, inner: IO[bytes], budget: list[int], what: str) -> None:
        self._inner = inner
        self._budget = budget  # shared by the members of one archive
        self._what = what

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._inner.read(size if size >= 0 else self._budget[0] + 1)
        self._budget[0] -= len(data)
        if self._budget[0] < 0:
            raise NotScanned(
                f"{self._what} holds more than {_size(MAX_DECOMPRESSED_BYTES)} decompressed, "
                "the most the scan reads"
            )
        return data


def _size(count: int) -> str:
    return f"{count >> 20:,} MB" if count >= 1 << 20 else f"{count:,} bytes"


class _Recoded(io.RawIOBase):
    """Text in another encoding (UTF-16, UTF-32), read as UTF-8 bytes."""

    def __init__(self, head: bytes, inner: IO[bytes], encoding: str) -> None:
        self._pending = head
        self._inner = inner
        self._decoder = codecs.getincrementaldecoder(encoding)("replace")
        self._buffer = b""
        self._done = False

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        want = size if size >= 0 else 1 << 62
        while len(self._buffer) < want and not self._done:
            chunk, self._pending = self._pending or self._inner.read(1 << 20), b""
            text = self._decoder.decode(chunk, final=not chunk)
            self._buffer += text.encode("utf-8")
            self._done = not chunk
        out, self._buffer = self._buffer[:want], self._buffer[want:]
        return out


class _Prepended(io.RawIOBase):
    """`head`, already read to look at, then the rest of `inner`."""

    def __init__(self, head: bytes, inner: IO[bytes]) -> None:
        self._head = head
        self._inner = inner

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._head:
            out = self._head if size < 0 else self._head[:size]
            self._head = self._head[len(out) :]
            return out
        return self._inner.read(size)


def utf8_text(raw: IO[bytes]) -> IO[bytes]:
    """`raw` as UTF-8 bytes: a byte-order mark says the encoding (UTF-8, UTF-16, UTF-32);
    without one the bytes are read as UTF-8, and a NUL byte near the start means binary data,
    which is not scanned."""
    head = raw.read(HEAD_BYTES)
    for mark, encoding in BOMS:
        if head.startswith(mark):
            if encoding == "utf-8-sig":
                return cast(IO[bytes], _Prepended(head[len(mark) :], raw))
            return cast(IO[bytes], _Recoded(head, raw, encoding))
    if b"\x00" in head:
        raise NotScanned("binary content (a NUL byte near the start)")
    return cast(IO[bytes], _Prepended(head, raw))


@contextmanager
def open_text(path: Path, how: Layout) -> Iterator[IO[bytes]]:
    """A text file, decompressed when its name says so, as a stream of UTF-8 bytes."""
    if how.compression is None:
        with path.open("rb") as handle:
            yield utf8_text(handle)
        return
    opener: Any = COMPRESSED[how.compression]
    with opener(path, "rb") as handle:
        budget = [MAX_DECOMPRESSED_BYTES]
        yield utf8_text(cast(IO[bytes], _Bounded(handle, budget, "the file")))


@dataclass(frozen=True)
class Member:
    """A text member of a zip archive: its name and a way to open it as UTF-8 bytes."""

    name: str
    archive: zipfile.ZipFile
    info: zipfile.ZipInfo
    budget: list[int]

    @contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        with self.archive.open(self.info) as handle:
            yield utf8_text(cast(IO[bytes], _Bounded(handle, self.budget, "the archive")))


@contextmanager
def zip_members(path: Path) -> Iterator[list[Member]]:
    """The members of a zip archive, each to be read as text. An archive is not scanned when
    it cannot be opened, is encrypted, holds more than MAX_ZIP_MEMBERS members, or holds a
    member the scan cannot read as text (another archive, Parquet, a binary format)."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError) as exc:
        raise NotScanned(f"not a readable zip archive: {exc}") from None
    with archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        if len(infos) > MAX_ZIP_MEMBERS:
            raise NotScanned(
                f"the archive has {len(infos):,} members, more than the {MAX_ZIP_MEMBERS:,} "
                "the scan reads"
            )
        budget = [MAX_DECOMPRESSED_BYTES]
        members = []
        for info in infos:
            if info.flag_bits & 0x1:
                raise NotScanned(f"member {info.filename} is encrypted")
            how = layout(Path(info.filename))
            if how.kind != "text" or how.compression is not None:
                raise NotScanned(
                    f"member {info.filename} is not text the scan reads inside an archive "
                    f"({how.suffix or how.compression or 'no extension'})"
                )
            members.append(Member(info.filename, archive, info, budget))
        yield members


#: For a Parquet file: each row as JSON text (column names included), with its 1-based number,
#: only the rows the pre-filter pattern matches.
PARQUET_ROWS_SQL = """
SELECT n, line FROM (
    SELECT row_number() OVER () AS n, CAST(to_json(t) AS VARCHAR) AS line
    FROM read_parquet($path) AS t
) WHERE regexp_matches(line, $pattern)
"""


def parquet_rows(con: Any, path: Path, pattern: str) -> Iterator[tuple[int, str]]:
    """(row number, row as JSON text) of the rows of a Parquet file that may hold personal data,
    read by DuckDB a batch at a time."""
    import duckdb

    try:
        cursor = con.execute(PARQUET_ROWS_SQL, {"path": str(path), "pattern": pattern})
        while True:
            batch = cursor.fetchmany(2048)
            if not batch:
                return
            for number, line in batch:
                yield int(number), str(line)
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        first = first.replace(str(path), path.name)  # no absolute paths in evidence
        raise NotScanned(f"cannot be read as Parquet: {first}") from None
