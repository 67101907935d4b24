"""The `govgate` command line: parse, call the library, print. Nothing else lives here.

Exit codes are the same for every format: 0 gate passes, 1 gate fails (or a plugin is broken,
or the report never reached its reader), 2 usage error / invalid config / invalid pack, 3 a bug
in govgate, 130 a real Ctrl-C. They are govgate's alone: no plugin's SystemExit, and no closed
pipe, ever turns a run into 0. Human text goes to stderr; the payload to stdout or --output.
This module holds the group, its `-p` option and the mapping of errors to exit codes (errors
are printed by `print_error` alone); each command group lives in a module of its own
(COMMANDS), imported when its command runs.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

import govgate
from govgate import __version__
from govgate.support.errors import (
    ExitCode,
    GovgateError,
    describe_exception,
    is_real_interrupt,
    watch_for_interrupts,
)
from govgate.support.masking import mask_message

#: Where govgate's own code lives: a SystemExit raised there is a command's exit code, one
#: raised anywhere else (a plugin, a library, the built-in collectors alike) is not, and
#: never ends a run with its code.
_OWN_CODE = tuple(
    {
        str(folder) + os.sep
        for folder in (Path(govgate.__file__).parent, Path(govgate.__file__).resolve().parent)
    }
)


def print_error(message: str) -> None:
    """Every error govgate reports, one `govgate: error:` line each, on stderr (the one place
    errors are printed, so a step that rewrites them, masking say, can wrap it)."""
    # Errors quote what they refuse (a duplicate key, an enum value, an unknown name or id):
    # masked here, in the one place errors are printed, so none prints personal data raw.
    for line in mask_message(message).splitlines() or ["unknown error"]:
        try:
            click.echo(f"govgate: error: {line}", err=True)
        except OSError:  # stderr closed or its reader gone: the exit code still says it
            return


def _fail(error: GovgateError) -> NoReturn:
    print_error(str(error) or type(error).__name__)
    sys.exit(int(error.exit_code))


def _raised_at(exc: BaseException) -> tuple[str, int]:
    """File and line where `exc` was raised (the innermost frame of its traceback)."""
    tb = exc.__traceback__
    if tb is None:
        return "?", 0
    while tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_code.co_filename, tb.tb_lineno


def _foreign(exc: BaseException) -> NoReturn:
    """A SystemExit, KeyboardInterrupt or other BaseException raised outside govgate's code
    that reached the top: plugin or library code tried to end the run. It fails (exit 1); a
    BaseException govgate itself raised is a bug (exit 3)."""
    filename, line = _raised_at(exc)
    if filename.startswith(_OWN_CODE):
        _internal_error()
    print_error(f"{filename}:{line} raised {describe_exception(exc)}; this run has no verdict")
    sys.exit(int(ExitCode.GATE_FAILED))


def _internal_error() -> NoReturn:
    import traceback  # only for a crash: not on every run's path

    click.echo(traceback.format_exc(), err=True)
    click.echo(
        "govgate: internal error (a bug in govgate, not in your repository); "
        "please report it with the traceback above",
        err=True,
    )
    sys.exit(int(ExitCode.INTERNAL_ERROR))


class GovgateGroup(click.Group):
    """Maps govgate's exceptions to exit codes; anything unexpected is a bug (exit 3).

    The exit code is govgate's alone: a SystemExit from plugin or library code, a
    KeyboardInterrupt no Ctrl-C caused and any other BaseException fail the run (exit 1),
    and a broken pipe never turns a verdict into 0. A real Ctrl-C ends it with 130.

    `lazy_commands` names, per command, the module whose `register` adds it: the module is
    imported only when that command runs (or help lists it), so `govgate check` in a commit
    hook never imports `init`'s templates, the dossier or the graph.
    """

    lazy_commands: dict[str, str] = {}  # noqa: RUF012 - replaced per instance, never mutated

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = self.lazy_commands.get(cmd_name)
        if cmd_name not in self.commands and module is not None:
            importlib.import_module(module).register(self)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        watch_for_interrupts()
        try:
            return super().invoke(ctx)
        except GovgateError as error:
            _fail(error)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except SystemExit as exc:
            if _raised_at(exc)[0].startswith(_OWN_CODE):
                raise  # a command's own exit code
            _foreign(exc)
        except KeyboardInterrupt as exc:
            if not is_real_interrupt(exc):
                _foreign(exc)
            click.echo("govgate: interrupted", err=True)  # by the user: not an error
            sys.exit(130)
        except BrokenPipeError:
            from govgate.support.destinations import silence_stdout

            silence_stdout()
            print_error("the output's reader closed the pipe before everything was written")
            sys.exit(int(ExitCode.GATE_FAILED))
        except Exception:
            _internal_error()
        except BaseException as exc:  # GeneratorExit, a plugin's own BaseException subclass
            _foreign(exc)


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


#: Each command (or command group) and the module that adds it to `main`. Each module defines
#: `register(main: click.Group) -> None` and keeps heavy imports inside its commands; it is
#: imported only when one of its commands is asked for.
COMMANDS: dict[str, str] = {
    "bom": "govgate.cli.bom",
    "check": "govgate.cli.check",
    "collect": "govgate.cli.locker",
    "coverage": "govgate.cli.graph",
    "dossier": "govgate.cli.dossier",
    "explain": "govgate.cli.explain",
    "fairness": "govgate.cli.fairness",
    "graph": "govgate.cli.graph",
    "hook": "govgate.cli.hooks",
    "impact": "govgate.cli.graph",
    "init": "govgate.cli.init",
    "locker": "govgate.cli.locker",
    "plugins": "govgate.cli.plugins",
    "policy": "govgate.cli.policy",
    "report": "govgate.cli.report",
    "schema": "govgate.cli.schema",
    "trace": "govgate.cli.graph",
    "verify": "govgate.cli.locker",
}
COMMAND_MODULES: tuple[str, ...] = tuple(sorted(set(COMMANDS.values())))
main.lazy_commands = COMMANDS

if __name__ == "__main__":  # pragma: no cover
    main()
