"""`govgate check PATH`: evaluate the packs, print the text report, write the formats, gate."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from govgate.cli.common import (
    SEVERITY_CHOICES,
    check_output_dir,
    key_option,
    output_kind,
    plugin_options,
    refuse_without,
    write_output,
)
from govgate.support.destinations import write_payload
from govgate.support.errors import (
    ExitCode,
    PluginError,
    UsageError,
    describe_exception,
    is_real_interrupt,
)

if TYPE_CHECKING:
    from govgate.core.plugins import Registry
    from govgate.support.signing import SigningKey


def register(main: click.Group) -> None:
    main.add_command(check)


@click.command("check")
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
@click.option(
    "--attest",
    type=click.Path(path_type=Path),
    envvar="GOVGATE_ATTEST",
    help="Write a signed in-toto attestation of the verdict here (needs --key).",
)
@key_option(
    "Private key (Ed25519 or ECDSA P-256, PEM or OpenSSH) that signs --attest.",
    envvar="GOVGATE_SIGNING_KEY",
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
    attest: Path | None,
    key_path: Path | None,
    no_cache: bool,
    no_locker: bool,
    quiet: bool,
    verbose: bool,
) -> None:
    """Evaluate the policy packs on the repository at PATH and gate on the result."""
    from govgate.outputs.reporters.text import TextReporter
    from govgate.run.check import CheckOptions, get_registry, run_check

    wanted = [f.strip() for f in formats.split(",") if f.strip()]
    if len(wanted) > 1 and output_dir is None:
        raise UsageError("--format with several formats needs --output-dir DIR")
    if output is not None and output_dir is not None:
        raise UsageError("use either --output or --output-dir, not both")
    # Where the reports go is checked before the run: a folder given as --output, or a file
    # as --output-dir, is a usage error, not a run whose verdict is then lost.
    output_kind(output)
    if output_dir is not None:
        check_output_dir(output_dir)
    if attest is None and ctx.get_parameter_source("key_path") == ParameterSource.ENVIRONMENT:
        key_path = None  # a key in the environment waits for an --attest; a hook run ignores it
    signing_key = _signing_key(attest, key_path)
    registry = get_registry(plugin_options(ctx))
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
        plugin_options=plugin_options(ctx),
        use_cache=not no_cache,
        use_locker=not no_locker,
        base_ref=base_ref,
        new_only=new_only,
        policies_from=policies_from,
    )
    result = run_check(options, registry=registry).result
    text = TextReporter(colour=sys.stderr.isatty(), verbose=verbose, brief=quiet).render(result)
    click.echo(text, err=True, nl=False)
    _write_formats(registry, result, wanted, output, output_dir)
    if attest is not None and signing_key is not None:
        from govgate.outputs.attest import attest as attest_run

        scope = {
            "packs": list(packs),
            "base": base_ref,
            "new_only": new_only,
            "policies_from": policies_from,
        }
        write_payload(
            attest_run(result, scope, signing_key).encode("utf-8"),
            attest,
            "the attestation",
            "--attest",
        )
    sys.exit(int(ExitCode.OK if result["gate"] == "pass" else ExitCode.GATE_FAILED))


def _signing_key(attest: Path | None, key_path: Path | None) -> SigningKey | None:
    """The key that signs --attest, loaded before the run: a bad key stops it before any work
    rather than after a verdict that then cannot be signed."""
    refuse_without(
        "--attest",
        attest,
        {"--key": key_path},
        "--key signs an attestation: give --attest FILE too",
    )
    refuse_without(
        "--key",
        key_path,
        {"--attest": attest},
        "--attest needs --key KEY (a private Ed25519 or ECDSA P-256 key; docs/signing.md)",
    )
    if attest is None or key_path is None:
        return None
    output_kind(attest, "--attest")
    from govgate.support.signing import load_signing_key

    return load_signing_key(key_path)


def _write_formats(
    registry: Registry,
    result: dict[str, Any],
    wanted: list[str],
    output: Path | None,
    output_dir: Path | None,
) -> None:
    """Each wanted format: a file of its own in `output_dir`, else to `output` or stdout
    (where text is not repeated: it is on stderr already)."""
    if output_dir is not None:
        for name in wanted:
            reporter = registry.reporters[name]
            write_output(render_format(registry, name, result), output_dir / reporter.filename)
        return
    for name in wanted:
        if name == "text" and output is None:
            continue  # already on stderr
        write_output(render_format(registry, name, result), output)


def render_format(registry: Registry, name: str, result: dict[str, Any]) -> str:
    """The output of format `name` for a result; a plugin's reporter that raises (SystemExit
    and BrokenPipeError included) or returns something other than text fails the run naming
    it (exit 1), after the run was recorded. A built-in one that raises is a bug (exit 3)."""
    from govgate.core.plugins import BUILTIN_PLUGINS

    plugin = registry.owner.get(f"output format '{name}'", "?")
    builtin = plugin in BUILTIN_PLUGINS
    try:
        payload = registry.reporters[name].render(result)
    except BaseException as exc:
        if builtin or is_real_interrupt(exc):
            raise
        raise PluginError(
            f"output format '{name}' of plugin '{plugin}' failed: {describe_exception(exc)}; "
            "the run was evaluated, but its report was not written"
        ) from exc
    if not isinstance(payload, str):
        raise PluginError(
            f"output format '{name}' of plugin '{plugin}' returned "
            f"{type(payload).__name__}, not text; Reporter.render must return a str"
        )
    return payload
