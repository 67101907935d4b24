"""CLI of the compliance officer's report: `govgate report [PATH] --out report.html`.

Thin: read the repository's recorded check runs from its locker (never writes to it), hand
them to `govgate.outputs.report`, say what was written. Jinja2 loads only inside the command.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from govgate.support.errors import ExitCode


def register(main: click.Group) -> None:
    """Add the `report` command to the main command."""
    main.add_command(report)


@click.command("report")
@click.argument("path", type=click.Path(path_type=Path), default=".")
@click.option(
    "--out",
    "-o",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write the report (one self-contained HTML file; `-` for stdout).",
)
@click.option(
    "--prepared-by",
    metavar="NAME",
    help="Who prepares the report [default: git user.name of the repository].",
)
@click.pass_context
def report(ctx: click.Context, path: Path, out: Path, prepared_by: str | None) -> None:
    """Write one self-contained HTML report of the repository's recorded check runs.

    It shows the latest run at a glance (gate, readiness, requirements by framework, top
    risks, exceptions), how the runs changed over time, and links from each requirement to
    its controls, rules, findings and evidence and back. It loads nothing from the network.
    `govgate verify report.html` checks the result and manifest it embeds.
    """
    from govgate.cli.dossier import run_policy_set
    from govgate.core.config import find_config, load_config
    from govgate.locker import locker_path
    from govgate.outputs.dossier import git_user_name
    from govgate.outputs.report import recorded_checks, write_report

    root = path.resolve()
    config = load_config(root) if find_config(root) else None
    checks, evidence = recorded_checks(locker_path(root, config))
    # Control owners come from the packs, not the result: shown only when the packs are the
    # ones the latest run used (run_policy_set says on stderr when they are not).
    policy_set = run_policy_set(ctx, config, checks[-1].result) if config is not None else None
    owners = (
        {cid: c.owner for cid, c in policy_set.controls.items() if c.owner}
        if policy_set is not None
        else None
    )
    who = prepared_by or git_user_name(root) or "not stated (use --prepared-by)"
    written = write_report(checks, evidence, out, prepared_by=who, owners=owners)
    if str(out) != "-":
        click.echo(
            f"wrote {out} ({written.runs} recorded run(s), {written.size // 1024 or 1} KiB)",
            err=True,
        )
    sys.exit(int(ExitCode.OK))
