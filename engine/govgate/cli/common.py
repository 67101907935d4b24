"""What the command modules share: the root's `-p` plugin options, choices, writing a payload."""

from __future__ import annotations

import os
from pathlib import Path

import click

from govgate.support.errors import UsageError

SEVERITY_CHOICES = click.Choice(["critical", "high", "medium", "low", "info"])


def plugin_options(ctx: click.Context) -> tuple[str, ...]:
    """The `-p NAME` / `-p no:NAME` options given to `govgate` itself, before the command."""
    return tuple((ctx.find_root().obj or {}).get("plugin_options", ()))


def write_output(payload: str, output: Path | None) -> None:
    """`payload` on stdout, or written whole to `output` (never seen half-written)."""
    if output is None:
        click.echo(payload, nl=False)
    else:
        # Never a half-written report where CI would read it: write beside it, then rename.
        # The temporary name is per process, so concurrent runs never write into one file.
        tmp = output.with_name(f".{output.name}.{os.getpid()}.tmp")
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(payload, encoding="utf-8")
            tmp.replace(output)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise UsageError(f"{output}: cannot write the report: {exc.strerror}") from exc
