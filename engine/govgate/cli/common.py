"""What the command modules share: the root's `-p` plugin options, choices, writing a payload."""

from __future__ import annotations

import contextlib
import os
import re
import stat
import sys
from pathlib import Path

import click

from govgate.support.errors import OutputClosed, UsageError

SEVERITY_CHOICES = click.Choice(["critical", "high", "medium", "low", "info"])

#: Names of a file the shell or the caller has already opened (`-o /dev/stdout`, `-o >(wc -c)`
#: gives /dev/fd/63): written through, never replaced.
_OPEN_FILE_NAME = re.compile(r"^/(?:dev/(?:fd/\d+|stdout|stderr)|proc/(?:self|\d+)/fd/\d+)$")


def plugin_options(ctx: click.Context) -> tuple[str, ...]:
    """The `-p NAME` / `-p no:NAME` options given to `govgate` itself, before the command."""
    return tuple((ctx.find_root().obj or {}).get("plugin_options", ()))


def output_kind(output: Path | None, option: str = "--output") -> str:
    """How a payload reaches `output`: "stdout" (none, or `-`), "stream" (a FIFO, a character
    device or an already open file's name: written straight to) or "file" (a regular file or
    a new one: written beside, then renamed over it). A folder, a block device or a socket is
    a usage error, so a run is refused before it starts rather than after."""
    if output is None or str(output) == "-":
        return "stdout"
    try:
        mode = output.stat().st_mode
    except FileNotFoundError:
        return "file"
    except OSError as exc:
        raise UsageError(f"{option} {output}: cannot use it: {exc.strerror}") from None
    if stat.S_ISDIR(mode):
        raise UsageError(
            f"{option} {output}: is a directory; name a file to write to "
            "(or use --output-dir for one file per format)"
        )
    if stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or _OPEN_FILE_NAME.match(str(output)):
        return "stream"
    if not stat.S_ISREG(mode):
        raise UsageError(f"{option} {output}: is a socket or block device; name a file instead")
    return "file"


def check_output_dir(output_dir: Path, option: str = "--output-dir") -> None:
    """Refuse an --output-dir that exists and is not a folder (a file, say), before running."""
    if output_dir.exists() and not output_dir.is_dir():
        raise UsageError(
            f"{option} {output_dir}: is not a directory; name a folder for the reports "
            "(it is created when missing)"
        )


def write_output(payload: str, output: Path | None) -> None:
    """`payload` on stdout (`output` None or `-`), straight into a FIFO or device, or written
    whole to a regular file (never seen half-written). A write that fails is an error: a
    closed pipe or stdout `OutputClosed` (exit 1), anything else a UsageError (exit 2)."""
    kind = output_kind(output)
    if kind == "stdout" or output is None:
        _write_stdout(payload)
    elif kind == "stream":
        _write_stream(payload, output)
    else:
        _write_file(payload, output)


def _write_stdout(payload: str) -> None:
    stream = sys.stdout
    if stream is None:  # started with stdout closed (`>&-`): nothing would reach anyone
        raise OutputClosed(
            "stdout is closed, so the report could not be written; "
            "open it, or write the report to a file with -o FILE"
        )
    try:
        buffer = getattr(stream, "buffer", None)
        if buffer is not None:  # the formats are UTF-8 whatever the terminal's locale
            stream.flush()
            buffer.write(payload.encode("utf-8"))
            buffer.flush()
        else:
            stream.write(payload)
            stream.flush()
    except BrokenPipeError:
        silence_stdout()
        raise OutputClosed(
            "the report could not be written to stdout: its reader closed the pipe "
            "(the verdict never reached it)"
        ) from None
    except OSError as exc:
        raise OutputClosed(
            f"the report could not be written to stdout: {exc.strerror or exc}"
        ) from None


def silence_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so Python's own flush at exit does not
    fail again (and print a traceback) after govgate said what happened."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):  # no real stdout (in-process tests)
        pass


def _write_stream(payload: str, output: Path) -> None:
    """Into a FIFO, a device or an open file's name: as is, no temporary file beside it."""
    try:
        with output.open("wb") as handle:
            handle.write(payload.encode("utf-8"))
    except BrokenPipeError:
        raise OutputClosed(
            f"{output}: the report could not be written: its reader closed the pipe"
        ) from None
    except OSError as exc:
        raise UsageError(f"{output}: cannot write the report: {exc.strerror or exc}") from exc


def _write_file(payload: str, output: Path) -> None:
    # Never a half-written report where CI would read it: write beside it, then rename.
    # The temporary name is per process, so concurrent runs never write into one file.
    tmp = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(payload, encoding="utf-8")
        tmp.replace(output)
    except OSError as exc:
        with contextlib.suppress(OSError):  # its folder may be what failed: nothing was left
            tmp.unlink(missing_ok=True)
        raise UsageError(f"{output}: cannot write the report: {exc.strerror or exc}") from exc
