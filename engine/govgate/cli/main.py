"""The `govgate` command line: parse, call the library, print. Nothing else lives here.

Exit codes are the same for every format (DESIGN §7): 0 gate passes, 1 gate fails (or a plugin
is broken), 2 usage error / invalid config / invalid pack, 3 a bug in govgate. Human text goes
to stderr; the payload to stdout or --output.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from govgate import __version__
from govgate.support.errors import ExitCode, GovgateError, UsageError

F = TypeVar("F", bound=Callable[..., Any])

SEVERITY_CHOICES = click.Choice(["critical", "high", "medium", "low", "info"])


def _fail(error: GovgateError) -> NoReturn:
    for line in str(error).splitlines() or [type(error).__name__]:
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


def _plugin_options(ctx: click.Context) -> tuple[str, ...]:
    return tuple(ctx.find_root().obj.get("plugin_options", ()))


def _write(payload: str, output: Path | None) -> None:
    if output is None:
        click.echo(payload, nl=False)
    else:
        # Never a half-written report where CI would read it: write beside it, then rename.
        # The temporary name is per process, so concurrent runs never write into one file.
        tmp = output.with_name(f".{output.name}.{os.getpid()}.tmp")
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(payload, encoding="utf-8")
            tmp.replace(output)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise UsageError(f"{output}: cannot write the report: {exc.strerror}") from exc


@main.command()
@click.argument("path", type=click.Path(path_type=Path), default=".")
@click.option("--pack", "-P", "packs", multiple=True, help="Run only this pack (repeatable).")
@click.option(
    "--format",
    "formats",
    default="text",
    show_default=True,
    help="Output format(s), comma-separated: text, json, and any a plugin adds.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    help="Write the (single) format's payload here instead of stdout.",
)
@click.option(
    "--output-dir",
    type=click.Path(path_type=Path),
    help="Write one file per format here (govgate.json, govgate.sarif, ...).",
)
@click.option(
    "--fail-on",
    type=SEVERITY_CHOICES,
    help="Lowest severity of a failing finding that fails the gate [default: high].",
)
@click.option(
    "--base",
    "base_ref",
    metavar="REF",
    help="Review the change since REF: mark findings it introduced as new, list what it edits.",
)
@click.option(
    "--new-only",
    is_flag=True,
    help="Gate only on findings the change introduced (needs --base).",
)
@click.option(
    "--policies-from",
    metavar="REF",
    help="Evaluate with the packs, parameters and waivers as they are at REF.",
)
@click.option("--no-cache", is_flag=True, help="Collect everything again.")
@click.option("--no-locker", is_flag=True, help="Do not record this run in the evidence locker.")
@click.option("-q", "--quiet", is_flag=True, help="Hook mode: only what fails, and the gate line.")
@click.option("-v", "--verbose", is_flag=True, help="List passing and skipped findings too.")
@click.pass_context
def check(
    ctx: click.Context,
    path: Path,
    packs: tuple[str, ...],
    formats: str,
    output: Path | None,
    output_dir: Path | None,
    fail_on: str | None,
    base_ref: str | None,
    new_only: bool,
    policies_from: str | None,
    no_cache: bool,
    no_locker: bool,
    quiet: bool,
    verbose: bool,
) -> None:
    """Evaluate the policy packs on the repository at PATH and gate on the result."""
    from govgate.outputs.reporters.text import TextReporter
    from govgate.run.check import CheckOptions, get_registry, run_check
    from govgate.support.errors import UsageError

    wanted = [f.strip() for f in formats.split(",") if f.strip()]
    if len(wanted) > 1 and output_dir is None:
        raise UsageError("--format with several formats needs --output-dir DIR")
    if output is not None and output_dir is not None:
        raise UsageError("use either --output or --output-dir, not both")
    registry = get_registry(_plugin_options(ctx))
    unknown = [f for f in wanted if f not in registry.reporters]
    if unknown:
        raise UsageError(
            f"--format {unknown[0]}: unknown format "
            f"(available: {', '.join(sorted(registry.reporters))})"
        )
    options = CheckOptions(
        root=path,
        packs=list(packs) or None,
        fail_on=fail_on,
        plugin_options=_plugin_options(ctx),
        use_cache=not no_cache,
        use_locker=not no_locker,
        base_ref=base_ref,
        new_only=new_only,
        policies_from=policies_from,
    )
    outcome = run_check(options, registry=registry)
    result = outcome.result
    text = TextReporter(colour=sys.stderr.isatty(), verbose=verbose, brief=quiet).render(result)
    click.echo(text, err=True, nl=False)
    if output_dir is not None:
        for name in wanted:
            reporter = registry.reporters[name]
            _write(reporter.render(result), output_dir / reporter.filename)
    else:
        for name in wanted:
            if name == "text" and output is None:
                continue  # already on stderr
            _write(registry.reporters[name].render(result), output)
    sys.exit(int(ExitCode.OK if result["gate"] == "pass" else ExitCode.GATE_FAILED))


@main.command()
@click.argument("rule_id")
@click.option(
    "--path",
    type=click.Path(path_type=Path),
    default=None,
    help="Repository whose govgate.yaml sets packs and parameters.",
)
@click.pass_context
def explain(ctx: click.Context, rule_id: str, path: Path | None) -> None:
    """Show what RULE checks, why, on which evidence, and how to fix it."""
    from govgate.cli.explain import render_explanation
    from govgate.core.explain import explain_rule

    click.echo(render_explanation(explain_rule(rule_id, path, _plugin_options(ctx))))


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
def plugins(ctx: click.Context, fmt: str) -> None:
    """List the installed plugins, built-ins included, and what each provides."""
    from govgate.run.check import get_registry

    registry = get_registry(_plugin_options(ctx))
    if fmt == "json":
        click.echo(json.dumps([p.to_json() for p in registry.plugins], indent=2))
        return
    for info in registry.plugins:
        origin = "built-in" if info.builtin else f"{info.distribution} {info.version}"
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
                shown = ", ".join(items[:8]) + (" …" if len(items) > 8 else "")
                provided.append(f"{label}: {shown}")
        click.echo(f"{info.name} ({origin})")
        for line in provided:
            click.echo(f"    {line}")


@main.command()
@click.argument("name", type=click.Choice(["policy", "config", "result", "waivers", "fairness"]))
def schema(name: str) -> None:
    """Print a JSON Schema shipped with govgate (for editors and other tools)."""
    from govgate.support.schemas import load_schema

    click.echo(json.dumps(load_schema(name), indent=2))


@main.group()
def policy() -> None:
    """Lint and test policy packs."""


@policy.command("lint")
@click.argument("directory", type=click.Path(path_type=Path, exists=True), required=False)
@click.pass_context
def policy_lint(ctx: click.Context, directory: Path | None) -> None:
    """Validate packs (all installed ones, or those in DIRECTORY) and check their style."""
    from govgate.run.policytest import lint_packs

    problems, summary = lint_packs(directory, _plugin_options(ctx))
    for line in problems:
        click.echo(line, err=True)
    click.echo(summary, err=True)
    sys.exit(int(ExitCode.USAGE_ERROR if problems else ExitCode.OK))


@policy.command("test")
@click.argument("directory", type=click.Path(path_type=Path, exists=True), required=False)
@click.option(
    "--min-coverage",
    type=click.FloatRange(0, 100),
    default=0.0,
    help="Fail when fewer than this % of rules have both a passing and a failing case.",
)
@click.option("-v", "--verbose", is_flag=True, help="Print every case, not only failures.")
@click.pass_context
def policy_test(
    ctx: click.Context, directory: Path | None, min_coverage: float, verbose: bool
) -> None:
    """Run each pack's tests/ cases with two-way strict matching and report rule coverage."""
    from govgate.run.policytest import run_pack_tests

    report = run_pack_tests(directory, _plugin_options(ctx))
    for line in report.lines(verbose=verbose):
        click.echo(line, err=True)
    ok = report.failed == 0 and report.coverage_percent >= min_coverage
    if report.coverage_percent < min_coverage:
        click.echo(
            f"rule coverage {report.coverage_percent:.1f}% is below --min-coverage "
            f"{min_coverage:g}%",
            err=True,
        )
    sys.exit(int(ExitCode.OK if ok else ExitCode.GATE_FAILED))


#: Modules that add command groups to `main` (one concept each: locker, graph, fairness, ...).
#: Each defines `register(main: click.Group) -> None` and keeps heavy imports inside commands.
COMMAND_MODULES: tuple[str, ...] = (
    "govgate.cli.dossier",
    "govgate.cli.fairness",
    "govgate.cli.graph",
    "govgate.cli.hooks",
    "govgate.cli.init",
    "govgate.cli.locker",
    "govgate.cli.packdocs",
)


def _register_command_modules() -> None:
    import importlib

    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(main)


_register_command_modules()

if __name__ == "__main__":  # pragma: no cover
    main()
