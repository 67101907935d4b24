"""`govgate hook install [--pre-push]` / `hook uninstall`: plain git hooks (run.githooks)."""

from __future__ import annotations

from pathlib import Path

import click


@click.group("hook")
def hook_group() -> None:
    """Install or remove govgate as a plain git hook."""


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


def register(main: click.Group) -> None:
    main.add_command(hook_group)
