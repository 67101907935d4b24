"""`govgate schema NAME`: print a JSON Schema shipped with govgate."""

from __future__ import annotations

import json

import click

SCHEMAS = ["policy", "config", "result", "waivers", "fairness"]


def register(main: click.Group) -> None:
    main.add_command(schema)


@click.command("schema")
@click.argument("name", type=click.Choice(SCHEMAS))
def schema(name: str) -> None:
    """Print a JSON Schema shipped with govgate (for editors and other tools)."""
    from govgate.support.schemas import load_schema

    click.echo(json.dumps(load_schema(name), indent=2))
