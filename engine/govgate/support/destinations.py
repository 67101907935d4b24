"""Writing a payload where the user asked for it: stdout, a stream, or a regular file.

A regular file (or a new one) is written beside and renamed over, so no reader ever sees half
of it. A FIFO, a character device and the name of an already open file (`/dev/stdout`,
`/dev/fd/63` from `-o >(wc -c)`) are written straight to: renaming over them would replace
the device or the pipe with a file nobody reads. A folder, a block device or a socket is
refused. A write that fails is an error, never a silent loss: a closed pipe or stdout is
`OutputClosed` (exit 1, whatever the verdict), anything else a `UsageError` naming the path.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import sys
from pathlib import Path

from govgate.support.errors import OutputClosed, UsageError

#: Names of a file the shell or the caller has already opened: written through, never replaced.
_OPEN_FILE_NAME = re.compile(r"^/(?:dev/(?:fd/\d+|stdout|stderr)|proc/(?:self|\d+)/fd/\d+)$")


def destination_kind(path: Path | None, option: str = "--output") -> str:
    """How a payload reaches `path`: "stdout" (None, or `-`), "stream" (a FIFO, a character
    device, an open file's name) or "file" (a regular file, or one not there yet). A folder,
    a block device or a socket is a UsageError naming `option`, so that a command can refuse
    it before it does its work rather than after."""
    if path is None or str(path) == "-":
        return "stdout"
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):  # a new file (its write says if it can't)
        return "file"
    except OSError as exc:
        raise UsageError(f"{option} {path}: cannot use it: {exc.strerror or exc}") from None
    if stat.S_ISDIR(mode):
        raise UsageError(f"{option} {path}: is a directory; name a file to write to")
    if stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or _OPEN_FILE_NAME.match(str(path)):
        return "stream"
    if not stat.S_ISREG(mode):
        raise UsageError(f"{option} {path}: is a socket or block device; name a file instead")
    return "file"


def write_payload(
    payload: bytes, path: Path | None, what: str = "the report", option: str = "--output"
) -> None:
    """`payload` on stdout (`path` None or `-`), into a stream as is, or into a regular file
    atomically; `what` names it in messages ("the report", "the dossier"), `option` the
    command-line option that gave `path`."""
    kind = destination_kind(path, option)
    if kind == "stdout" or path is None:
        write_stdout(payload, what)
    elif kind == "stream":
        _write_stream(payload, path, what)
    else:
        _write_file(payload, path, what)


def write_stdout(payload: bytes, what: str = "the report") -> None:
    """`payload` on stdout, as UTF-8 bytes whatever the terminal's locale."""
    stream = sys.stdout
    if stream is None:  # started with stdout closed (`>&-`): nothing would reach anyone
        raise OutputClosed(
            f"stdout is closed, so {what} could not be written; "
            "open it, or write to a file with -o FILE"
        )
    try:
        buffer = getattr(stream, "buffer", None)
        if buffer is not None:
            stream.flush()
            buffer.write(payload)
            buffer.flush()
        else:  # a text-only stream (an embedding application's)
            stream.write(payload.decode("utf-8"))
            stream.flush()
    except BrokenPipeError:
        silence_stdout()
        raise OutputClosed(
            f"{what} could not be written to stdout: its reader closed the pipe "
            "(the verdict never reached it)"
        ) from None
    except OSError as exc:
        raise OutputClosed(
            f"{what} could not be written to stdout: {exc.strerror or exc}"
        ) from None


def silence_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so Python's own flush at exit does not
    fail again (and print a traceback) after govgate said what happened."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):  # no real stdout (in-process tests)
        pass


def _write_stream(payload: bytes, path: Path, what: str) -> None:
    """Into a FIFO, a device or an open file's name: as is, no temporary file beside it."""
    try:
        with path.open("wb") as handle:
            handle.write(payload)
    except BrokenPipeError:
        raise OutputClosed(
            f"{path}: {what} could not be written: its reader closed the pipe"
        ) from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot write {what}: {exc.strerror or exc}") from exc


def _write_file(payload: bytes, path: Path, what: str) -> None:
    # Never a half-written file where CI would read it: write beside it, then rename. The
    # temporary name is per process, so concurrent runs never write into one file.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(payload)
        tmp.replace(path)
    except OSError as exc:
        raise UsageError(f"{path}: cannot write {what}: {exc.strerror or exc}") from exc
    finally:
        with contextlib.suppress(OSError):  # its folder may be what failed: nothing was left
            tmp.unlink(missing_ok=True)
