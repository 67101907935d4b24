"""`govgate policy lint | test | docs`: packs are code, so they have a linter, tests and docs."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from govgate.cli.common import plugin_options
from govgate.support.errors import ExitCode

DEFAULT_DOCS_OUT = Path("docs/packs")


def register(main: click.Group) -> None:
    main.add_command(policy)


@click.group("policy")
def policy() -> None:
    """Lint and test policy packs."""


@policy.command("lint")
@click.argument("directory", type=click.Path(path_type=Path, exists=True), required=False)
@click.pass_context
def policy_lint(ctx: click.Context, directory: Path | None) -> None:
    """Validate packs (all installed ones, or those in DIRECTORY) and check their style."""
    from govgate.run.policytest import lint_packs

    problems, summary = lint_packs(directory, plugin_options(ctx))
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

    report = run_pack_tests(directory, plugin_options(ctx))
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


@policy.command("docs")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=DEFAULT_DOCS_OUT,
    show_default=True,
    help="Folder for the pages (one per built-in pack, plus README.md).",
)
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 naming every page that is missing or out of date.",
)
@click.pass_context
def policy_docs(ctx: click.Context, out_dir: Path, check: bool) -> None:
    """Generate docs/packs/<pack>.md from the built-in pack files."""
    from govgate.outputs.packdocs import generate, stale_pages, write_pages
    from govgate.run.check import get_registry

    pages = generate(get_registry(plugin_options(ctx)))
    if check:
        problems = stale_pages(pages, out_dir)
        for problem in problems:
            click.echo(problem, err=True)
        if problems:
            click.echo("pack docs are stale; run `govgate policy docs` and commit them", err=True)
            sys.exit(int(ExitCode.GATE_FAILED))
        click.echo(f"{len(pages)} pages in {out_dir} are up to date", err=True)
        return
    written = write_pages(pages, out_dir)
    for path in written:
        click.echo(f"wrote {path}", err=True)
    click.echo(f"{len(pages)} pages in {out_dir}, {len(written)} changed", err=True)
