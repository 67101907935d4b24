"""`govgate plugins`: the installed plugins, built-ins included, and what each provides."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from govgate.cli.common import plugin_options

if TYPE_CHECKING:
    from govgate.core.plugins import PluginInfo

#: Names listed per kind of contribution before "…" (the JSON form lists them all).
SHOWN_NAMES = 8


def register(main: click.Group) -> None:
    main.add_command(plugins)


@click.command("plugins")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
def plugins(ctx: click.Context, fmt: str) -> None:
    """List the installed plugins, built-ins included, and what each provides."""
    from govgate.run.check import get_registry

    registry = get_registry(plugin_options(ctx))
    if fmt == "json":
        click.echo(json.dumps([p.to_json() for p in registry.plugins], indent=2))
        return
    for info in registry.plugins:
        origin = "built-in" if info.builtin else f"{info.distribution} {info.version}"
        click.echo(f"{info.name} ({origin})")
        for line in _provided(info):
            click.echo(f"    {line}")


def _provided(info: PluginInfo) -> list[str]:
    """One line per kind of contribution the plugin makes, naming the first few."""
    provided = []
    for label, items in (
        ("collectors", info.collectors),
        ("packs", info.packs),
        ("reporters", info.reporters),
        ("kinds", info.kinds),
        ("operators", info.operators),
        ("backends", info.backends),
    ):
        if items:
            shown = ", ".join(items[:SHOWN_NAMES]) + (" …" if len(items) > SHOWN_NAMES else "")
            provided.append(f"{label}: {shown}")
    return provided
