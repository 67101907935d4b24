"""`govgate hook install [--pre-push]` / `hook uninstall` / `hook run`: git hooks
(run.githooks)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from govgate.cli.common import SEVERITY_CHOICES, plugin_options
from govgate.support.errors import ExitCode


@click.group("hook")
def hook_group() -> None:
    """Install, remove or run the git hooks (what a commit or a push is judged on)."""


@hook_group.command("install")
@click.argument("path", type=click.Path(path_type=Path, file_okay=False), default=".")
@click.option("--pre-push", is_flag=True, help="Also gate `git push` (pre-push hook).")
def install_command(path: Path, pre_push: bool) -> None:
    """Run `govgate check` before every commit (and push), keeping any existing hook."""
    from govgate.run.githooks import install

    hooks = ("pre-commit", "pre-push") if pre_push else ("pre-commit",)
    for change in install(path.resolve(), hooks):
        click.echo(change.describe(), err=True)


@hook_group.command("uninstall")
@click.argument("path", type=click.Path(path_type=Path, file_okay=False), default=".")
def uninstall_command(path: Path) -> None:
    """Remove govgate's hooks and restore the hooks they chained."""
    from govgate.run.githooks import uninstall

    for change in uninstall(path.resolve()):
        click.echo(change.describe(), err=True)


@hook_group.command("run")
@click.argument("path", type=click.Path(path_type=Path, file_okay=False), default=".")
@click.option(
    "--stage",
    type=click.Choice(["pre-commit", "pre-push"]),
    help="What to judge: the staged files (pre-commit) or each pushed ref's new tip "
    "(pre-push, refs read from stdin or PRE_COMMIT_TO_REF). Default: pre-push when "
    "PRE_COMMIT_TO_REF is set, else pre-commit.",
)
@click.option("--fail-on", type=SEVERITY_CHOICES, help="As for `govgate check`.")
@click.option("-v", "--verbose", is_flag=True, help="The full report, not only what fails.")
@click.pass_context
def run_command(
    ctx: click.Context, path: Path, stage: str | None, fail_on: str | None, verbose: bool
) -> None:
    """Gate what git is about to record (never the working tree): exit 0 pass, 1 fail."""
    from govgate.outputs.reporters.text import TextReporter
    from govgate.run.check import CheckOptions
    from govgate.run.githooks import hook_stage, run_hook

    chosen = hook_stage(stage)
    options = CheckOptions(root=path, fail_on=fail_on, plugin_options=plugin_options(ctx))
    verdicts = run_hook(chosen, path, options, sys.stdin.read)
    if not verdicts:
        click.echo(
            f"govgate {chosen}: no pushed commit to judge (nothing pushed, or only deletions)",
            err=True,
        )
    reporter = TextReporter(colour=sys.stderr.isatty(), verbose=verbose, brief=not verbose)
    for verdict in verdicts:
        click.echo(f"govgate {chosen}: judging {verdict.label}", err=True)
        click.echo(reporter.render(verdict.result), err=True, nl=False)
    passed = all(verdict.passed for verdict in verdicts)
    sys.exit(int(ExitCode.OK if passed else ExitCode.GATE_FAILED))


def register(main: click.Group) -> None:
    main.add_command(hook_group)
