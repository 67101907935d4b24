"""`govgate bom [PATH]`: write a CycloneDX 1.6 ML-BOM of the system from what govgate knows."""

from __future__ import annotations

from pathlib import Path

import click

from govgate.cli.common import output_kind, plugin_options, write_output


def register(main: click.Group) -> None:
    main.add_command(bom)


@click.command("bom")
@click.argument("path", type=click.Path(path_type=Path), default=Path())
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, allow_dash=True),
    default=None,
    help="Write the BOM to this file (default: stdout).",
)
@click.pass_context
def bom(ctx: click.Context, path: Path, output: Path | None) -> None:
    """Write a CycloneDX 1.6 ML-BOM: the model card, datasheets and MLflow registry.

    Each thing the sources do not state is listed on stderr; a collector that fails stops
    the command (exit 2) rather than leaving its models out of the BOM. The BOM is dated by
    SOURCE_DATE_EPOCH when set, else by HEAD's commit, so one commit always gives the same
    bytes.
    """
    from govgate.outputs.bom import build_ml_bom, validate_cyclonedx_16
    from govgate.run.bom import gather_bom_facts
    from govgate.support.errors import UsageError

    output_kind(output)
    facts = gather_bom_facts(path, plugin_options(ctx))
    if facts.failed:
        name, message = facts.failed[0]
        raise UsageError(
            f"collector '{name}' failed, so the BOM would miss what it knows: {message}"
        )
    built = build_ml_bom(facts.system, facts.evidence, facts.timestamp)
    text = built.to_text()
    validate_cyclonedx_16(text)
    write_output(text, output)
    for kind in facts.unavailable:
        click.echo(f"govgate bom: no installed collector reads {kind}; left out", err=True)
    for line in built.missing:
        click.echo(f"govgate bom: {line}", err=True)
    if facts.timestamp is None:
        click.echo(
            "govgate bom: no commit dates the BOM and SOURCE_DATE_EPOCH is not set; "
            "it carries no timestamp",
            err=True,
        )
