"""The `govgate` command line: parse, call the library, print. Nothing else lives here.

Exit codes are the same for every format: 0 gate passes, 1 gate fails (or a plugin is broken),
2 usage error / invalid config / invalid pack, 3 a bug in govgate. Human text goes to stderr;
the payload to stdout or --output. This module holds the group, its `-p` option and the mapping
of errors to exit codes; each command group lives in a module of its own (COMMAND_MODULES).
"""

from __future__ import annotations

import importlib
import sys
import traceback
from typing import Any, NoReturn

import click

from govgate import __version__
from govgate.support.errors import ExitCode, GovgateError
from govgate.support.masking import mask_message


def _fail(error: GovgateError) -> NoReturn:
    # Errors quote what they refuse (a duplicate key, an enum value, an unknown name or id):
    # masked here, in the one place errors are printed, so none prints personal data raw.
    for line in mask_message(str(error)).splitlines() or [type(error).__name__]:
        click.echo(f"govgate: error: {line}", err=True)
    sys.exit(int(error.exit_code))


class GovgateGroup(click.Group):
    """Maps govgate's exceptions to exit codes; anything unexpected is a bug (exit 3)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GovgateError as error:
            _fail(error)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            click.echo("govgate: interrupted", err=True)
            sys.exit(130)
        except BrokenPipeError:
            sys.exit(int(ExitCode.OK))
        except Exception:
            click.echo(traceback.format_exc(), err=True)
            click.echo(
                "govgate: internal error (a bug in govgate, not in your repository); "
                "please report it with the traceback above",
                err=True,
            )
            sys.exit(int(ExitCode.INTERNAL_ERROR))


@click.group(cls=GovgateGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="govgate")
@click.option(
    "-p",
    "plugin_options",
    multiple=True,
    metavar="NAME",
    help="Load plugin NAME explicitly, or block it with no:NAME.",
)
@click.pass_context
def main(ctx: click.Context, plugin_options: tuple[str, ...]) -> None:
    """govgate: policy-as-code compliance gate for AI systems."""
    ctx.obj = {"plugin_options": plugin_options}


#: Modules that add commands to `main`, one command or command group each (check, policy,
#: locker, graph, ...). Each defines `register(main: click.Group) -> None` and keeps heavy
#: imports inside its commands, so starting the CLI stays cheap.
COMMAND_MODULES: tuple[str, ...] = (
    "govgate.cli.check",
    "govgate.cli.dossier",
    "govgate.cli.explain",
    "govgate.cli.fairness",
    "govgate.cli.graph",
    "govgate.cli.hooks",
    "govgate.cli.init",
    "govgate.cli.locker",
    "govgate.cli.plugins",
    "govgate.cli.policy",
    "govgate.cli.schema",
)


def _register_command_modules() -> None:
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(main)


_register_command_modules()

if __name__ == "__main__":  # pragma: no cover
    main()
