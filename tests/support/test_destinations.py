"""Writing a payload where it was asked for: a file atomically, a stream as is, never lost."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from govgate.support.destinations import destination_kind, write_payload
from govgate.support.errors import UsageError


def test_each_kind_of_destination(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    (tmp_path / "file").write_text("x")
    null = tmp_path / "null"
    null.symlink_to(os.devnull)
    assert destination_kind(None) == destination_kind(Path("-")) == "stdout"
    assert destination_kind(tmp_path / "new.json") == destination_kind(tmp_path / "file") == "file"
    assert destination_kind(fifo) == destination_kind(null) == "stream"
    assert destination_kind(Path("/dev/stdout")) == "stream"  # whatever fd 1 is
    with pytest.raises(UsageError, match=r"^-o .*: is a directory; name a file to write to$"):
        destination_kind(tmp_path, "-o")


def test_a_regular_file_is_replaced_whole_and_a_fifo_written_straight_to(tmp_path: Path) -> None:
    target = tmp_path / "reports" / "govgate.json"
    write_payload(b'{"gate": "pass"}\n', target)
    assert target.read_bytes() == b'{"gate": "pass"}\n'
    assert [p.name for p in target.parent.iterdir()] == ["govgate.json"]  # no temporary left

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    write_payload(b"through the pipe\n", fifo, "the dossier")
    reader.join(10)
    assert got == [b"through the pipe\n"] and fifo.is_fifo()


def test_a_write_that_fails_names_the_file_and_leaves_nothing(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(UsageError, match=r"a-file/out.json: cannot write the dossier: "):
        write_payload(b"x", tmp_path / "a-file" / "out.json", "the dossier")
    full = tmp_path / "full"
    full.symlink_to("/dev/full")
    with pytest.raises(UsageError, match="full: cannot write the report: No space left"):
        write_payload(b"x" * 10000, full)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "full"]
