"""`govgate init [PATH]`: scaffold govgate.yaml and governance templates (govgate.core.scaffold)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from govgate.cli.common import plugin_options
from govgate.core.scaffold import RISK_TIERS


@click.command("init")
@click.argument("path", type=click.Path(path_type=Path), default=".")
@click.option(
    "--risk",
    type=click.Choice(RISK_TIERS),
    default=None,
    help="EU AI Act risk tier of the system [default: high, or govgate.yaml's].",
)
@click.option(
    "--pack",
    "-P",
    "packs",
    multiple=True,
    help="Pack to enable (repeatable) [default: readiness, human-oversight, audit-trail, "
    "gdpr, eu-ai-act, or govgate.yaml's].",
)
@click.option("--name", help="System name [default: the folder's name].")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    help="json: also print what was created and skipped on stdout.",
)
@click.pass_context
def init_command(
    ctx: click.Context,
    path: Path,
    risk: str | None,
    packs: tuple[str, ...],
    name: str | None,
    fmt: str,
) -> None:
    """Scaffold govgate.yaml and a template for every governance file the packs read.

    Asks nothing; never overwrites a file (it says what it skipped), so running it again is
    safe. Then `govgate check` lists precisely what is still missing.
    """
    from govgate.core.scaffold import init_project, render_report
    from govgate.run.check import get_registry

    result = init_project(
        path,
        registry=get_registry(plugin_options(ctx)),
        risk=risk,
        packs=list(packs) or None,
        name=name,
    )
    shown = os.path.relpath(path) if not path.is_absolute() else str(path)
    for line in render_report(result, shown):
        click.echo(line, err=True)
    if fmt == "json":
        from govgate.core.scaffold import summary_json

        click.echo(json.dumps(summary_json(result), indent=2))


def register(main: click.Group) -> None:
    main.add_command(init_command)
