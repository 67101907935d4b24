"""`govgate policy docs [--out DIR] [--check]`: the packs' reference pages (outputs.packdocs)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

DEFAULT_OUT = Path("docs/packs")


@click.command("docs")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=DEFAULT_OUT,
    show_default=True,
    help="Folder for the pages (one per built-in pack, plus README.md).",
)
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 naming every page that is missing or out of date.",
)
@click.pass_context
def docs_command(ctx: click.Context, out_dir: Path, check: bool) -> None:
    """Generate docs/packs/<pack>.md from the built-in pack files."""
    from govgate.outputs.packdocs import generate, stale_pages, write_pages
    from govgate.run.check import get_registry
    from govgate.support.errors import ExitCode

    plugin_options = tuple(ctx.find_root().obj.get("plugin_options", ()))
    pages = generate(get_registry(plugin_options))
    if check:
        problems = stale_pages(pages, out_dir)
        for problem in problems:
            click.echo(problem, err=True)
        if problems:
            click.echo("pack docs are stale; run `govgate policy docs` and commit them", err=True)
            sys.exit(int(ExitCode.GATE_FAILED))
        click.echo(f"{len(pages)} pages in {out_dir} are up to date", err=True)
        return
    written = write_pages(pages, out_dir)
    for path in written:
        click.echo(f"wrote {path}", err=True)
    click.echo(f"{len(pages)} pages in {out_dir}, {len(written)} changed", err=True)


def register(main: click.Group) -> None:
    policy = main.commands["policy"]
    assert isinstance(policy, click.Group)
    policy.add_command(docs_command)
