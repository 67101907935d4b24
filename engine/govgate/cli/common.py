"""What the command modules share: the root's `-p` plugin options, choices, writing a payload."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

import click

from govgate.support.destinations import destination_kind, write_payload
from govgate.support.errors import UsageError

SEVERITY_CHOICES = click.Choice(["critical", "high", "medium", "low", "info"])

_Command = TypeVar("_Command", bound=Callable[..., object])


def key_option(help: str, *, envvar: str | None = None) -> Callable[[_Command], _Command]:
    """`--key PATH` (parameter `key_path`): the private key `check --attest` signs with, or the
    public key `verify` checks an attestation with; the file is read by the command itself."""
    return click.option(
        "--key", "key_path", type=click.Path(path_type=Path), envvar=envvar, help=help
    )


def refuse_without(
    anchor: str, anchor_value: object, dependents: Mapping[str, object], why: str
) -> None:
    """Options that only mean something beside option `anchor`: when it has no value, the first
    of `dependents` (option name -> value; None, False or empty when not given) that has one
    is a usage error saying `why` ("{option}" names it), rather than an option silently
    ignored: a `--require-pass` nobody checks must not read as a pass."""
    if anchor_value is not None:
        return
    for option, value in dependents.items():
        if value is not None and value is not False and value != ():
            raise UsageError(why.format(option=option, anchor=anchor))


def plugin_options(ctx: click.Context) -> tuple[str, ...]:
    """The `-p NAME` / `-p no:NAME` options given to `govgate` itself, before the command."""
    return tuple((ctx.find_root().obj or {}).get("plugin_options", ()))


def output_kind(output: Path | None, option: str = "--output") -> str:
    """How the payload reaches `output` ("stdout", "stream" or "file"); a folder, a block
    device or a socket is a usage error, checked before a command runs rather than after."""
    return destination_kind(output, option)


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
    closed pipe or stdout exit 1, anything else exit 2 (govgate.support.destinations)."""
    write_payload(payload.encode("utf-8"), output, "the report")
