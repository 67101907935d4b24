"""CLI of the audit dossier: `govgate dossier [PATH] --out FILE` and `govgate dossier verify FILE`.

Thin: read the locker's latest check run (`govgate.locker.latest_check_run`) or run a check,
hand it to `govgate.outputs.dossier`, print what was written. `verify` prints
`govgate.outputs.dossier.verify`'s checks.
Human text goes to stderr, the JSON verification report (with `--format json`) to stdout.
WeasyPrint, Jinja2 and pypdf are imported only inside the commands.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from govgate.cli.common import plugin_options
from govgate.support.errors import ExitCode, InputError, InputErrors, UsageError

if TYPE_CHECKING:
    from govgate.core.config import Config
    from govgate.core.policy import PolicySet
    from govgate.locker import LatestCheck
    from govgate.outputs.dossier import DossierInput
    from govgate.outputs.dossier.verify import RecordedRun


class TerminalProgress:
    """One self-overwriting status line on a terminal; silent when output is not a terminal
    or in CI, so logs stay clean."""

    def __init__(self, stream: IO[str], label: str) -> None:
        self.stream = stream
        self.label = label
        self.enabled = stream.isatty() and not os.environ.get("CI")
        self._last = 0.0
        self._width = 0

    def __call__(self, done: int, total: int | None, what: str) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.1 and total is None:
            return  # a redraw per page would cost more than the layout of a short page
        self._last = now
        count = f" {done}/{total}" if total else (f" {done}" if done else "")
        line = f"govgate: {self.label}: {what}{count}"
        self.stream.write("\r" + line.ljust(self._width))
        self.stream.flush()
        self._width = len(line)

    def close(self) -> None:
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()


class DossierGroup(click.Group):
    """`dossier [PATH] [OPTIONS]` renders; `dossier verify FILE` verifies.

    Anything that is not a subcommand name goes to `render`, so the documented
    `govgate dossier PATH --out FILE` works (a folder literally named `verify` is `./verify`).
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("-h", "--help")):
            args = ["render", *args]
        return super().parse_args(ctx, args)


@click.group(cls=DossierGroup)
def dossier() -> None:
    """Write the audit dossier (PDF/A-3b or HTML), or verify one.

    \b
    govgate dossier [PATH] --out dossier.pdf [--pack P]... [--html] [--templates DIR]
    govgate dossier verify dossier.pdf
    """


def register(main: click.Group) -> None:
    """Add the `dossier` group to the main command."""
    main.add_command(dossier)


@dossier.command("render")
@click.argument("path", type=click.Path(path_type=Path), default=".")
@click.option(
    "--out",
    "-o",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write the dossier (PDF, or HTML with --html).",
)
@click.option("--pack", "-P", "packs", multiple=True, help="Report only this pack (repeatable).")
@click.option("--html", "as_html", is_flag=True, help="Write one self-contained HTML file.")
@click.option(
    "--templates",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of partials (cover.html, ...) and dossier.css overriding ours by name.",
)
@click.option(
    "--prepared-by",
    metavar="NAME",
    help="Who prepares the dossier [default: git user.name of the repository].",
)
@click.option(
    "--sign",
    "sign_key",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Sign the PDF (PAdES) with this private key (PEM or DER); needs --cert.",
)
@click.option(
    "--cert",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The X.509 certificate of the --sign key, shown as the signer.",
)
@click.option("--no-cache", is_flag=True, help="Collect everything again (with --fresh).")
@click.option(
    "--fresh",
    is_flag=True,
    help="Run a check now (recorded in the locker) instead of using the latest recorded run.",
)
@click.pass_context
def render(
    ctx: click.Context,
    path: Path,
    out: Path,
    packs: tuple[str, ...],
    as_html: bool,
    templates: Path | None,
    prepared_by: str | None,
    sign_key: Path | None,
    cert: Path | None,
    no_cache: bool,
    fresh: bool,
) -> None:
    """Write the audit dossier of the repository at PATH.

    The dossier reports the evidence locker's latest `govgate check` run; when there is none
    (or with --fresh, or --pack), it runs a check first and records it. It documents a failing
    gate rather than failing itself: the exit code is 0 when the file was written.
    """
    from govgate.outputs.dossier import render_dossier

    signer = _signer(sign_key, cert, as_html, out)
    progress = TerminalProgress(sys.stderr, "dossier")
    try:
        inp = _dossier_input(ctx, path, packs, prepared_by, no_cache, fresh, progress)
        report = render_dossier(inp, out, html=as_html, templates=templates, progress=progress)
    finally:
        progress.close()
    if signer is not None:
        from govgate.outputs.pdfsign import sign_pdf

        sign_pdf(out, signer)
        click.echo(f"signed {out} as {signer.signing_cert.subject.human_friendly}", err=True)
    for record in report.refused:
        click.echo(f"govgate: warning: not loaded: {record.url} ({record.reason})", err=True)
    shown = sorted({w for w in report.warnings if "HarfBuzz" not in w})
    for warning in shown[:10]:
        click.echo(f"govgate: warning: renderer: {warning}", err=True)
    kind = "HTML" if report.format == "html" else f"PDF/A-3b, {report.pages} pages"
    click.echo(f"wrote {out} ({kind}, {report.size // 1024 or 1} KiB)", err=True)
    for attachment in report.attachments:
        verb = "linked" if report.format == "html" else "embedded"
        click.echo(f"  {verb} {attachment.name}  {attachment.digest}", err=True)
    result = inp.result
    readiness = result.get("readiness")
    score = f"; readiness {readiness['score']}/{readiness['of']}" if readiness else ""
    click.echo(f"gate: {str(result.get('gate')).upper()}{score}", err=True)
    sys.exit(int(ExitCode.OK))


def _signer(sign_key: Path | None, cert: Path | None, as_html: bool, out: Path) -> Any:
    """The PDF signer of --sign/--cert, loaded before anything is rendered; None unsigned."""
    if sign_key is None and cert is None:
        return None
    if sign_key is None or cert is None:
        raise UsageError(
            "--sign KEY and --cert CERT go together: the key signs, the certificate "
            "names the signer"
        )
    if as_html:
        raise UsageError("--sign signs the PDF dossier; an --html dossier cannot carry it")
    from govgate.support.destinations import destination_kind

    if destination_kind(out, "--out") != "file":
        raise UsageError(
            f"--out {out}: --sign appends the signature to the written file, so --out must "
            "name a regular file, not a stream"
        )
    from govgate.outputs.pdfsign import load_pdf_signer

    return load_pdf_signer(sign_key, cert)


def _dossier_input(
    ctx: click.Context,
    path: Path,
    packs: tuple[str, ...],
    prepared_by: str | None,
    no_cache: bool,
    fresh: bool,
    progress: TerminalProgress,
) -> DossierInput:
    """From the locker's latest check run, or from a check run now (and recorded)."""
    from govgate.core.config import load_config
    from govgate.locker import latest_check_run
    from govgate.outputs.dossier import dossier_input_from_outcome, dossier_input_from_run
    from govgate.run.check import CheckOptions, run_check

    root = path.resolve()
    config = load_config(root)
    latest = None if fresh or packs else latest_check_run(root, config, with_evidence=True)
    if latest is not None:
        policy_set = _run_policy_set(ctx, config, latest.result)
        _announce_recorded_run(root, latest)
        return dossier_input_from_run(
            latest.result, latest.evidence, policy_set, root, prepared_by=prepared_by
        )
    outcome = run_check(
        CheckOptions(
            root=path,
            packs=list(packs) or None,
            plugin_options=plugin_options(ctx),
            use_cache=not no_cache,
            # A run of only some packs is not "the latest check" a later dossier should use.
            use_locker=not packs,
            progress=progress,
            signoffs=True,  # recorded or not, the sign-off page shows the run's git record
        )
    )
    return dossier_input_from_outcome(outcome, prepared_by=prepared_by)


def _run_policy_set(ctx: click.Context, config: Config, result: dict[str, Any]) -> PolicySet | None:
    """The packs of a recorded run loaded now, or None (said on stderr) when they changed
    since the run: today's rule texts and owners must not pass for the run's."""
    from govgate.core.evidence import utc_now
    from govgate.core.loader import load_policy_set
    from govgate.run.check import get_registry

    registry = get_registry(plugin_options(ctx))
    recorded = {p["name"]: p["digest"] for p in result.get("packs", [])}
    names = [name for name in recorded if name in registry.packs]
    if len(names) < len(recorded):
        # A pack from the repository (`packs: [./packs/f]`) is recorded by the name in its
        # header, which no registry knows: ask for it as govgate.yaml names it, as the check did.
        names += [spec for spec in config.packs if spec not in registry.packs]
    try:
        policy_set = load_policy_set(registry, config, names, now=utc_now())
    except (InputError, InputErrors) as error:
        first = (str(error).splitlines() or ["?"])[0]
        click.echo(
            f"govgate: note: the packs of that run cannot be loaded now ({first}); rule texts "
            "and owners are left out",
            err=True,
        )
        return None
    current = {p.name: p.digest for p in policy_set.packs.values()}
    if recorded != current:
        click.echo(
            "govgate: note: the packs changed since that run; rule texts and owners "
            "are left out rather than shown from today's packs",
            err=True,
        )
        return None
    return policy_set


def _announce_recorded_run(root: Path, latest: LatestCheck) -> None:
    """Say which recorded run the dossier reports, and why it may not be the current state."""
    from govgate.core.result import git_target

    result = latest.result
    target = result.get("target") or {}
    commit = target.get("commit")
    click.echo(
        f"dossier of run #{latest.seq} ({result.get('run', {}).get('finished_at')}, "
        f"commit {(commit or 'unknown')[:10]}); `--fresh` checks again first",
        err=True,
    )
    for warning in _state_warnings(latest.seq, target, git_target(root)):
        click.echo(f"govgate: warning: {warning}", err=True)


def _state_warnings(seq: int, target: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """Why the recorded run may not show the repository as committed, or as it is now.

    `target` is the run's (`dirty` is absent in results of older versions: nothing is said
    about it); `now` is `git_target` of the working tree today.
    """
    warnings = []
    commit, head = target.get("commit"), now.get("commit")
    moved = bool(commit and head and commit != head)
    if target.get("dirty"):
        still = " (there are uncommitted changes now too)" if now.get("dirty") else ""
        checked = f", so it did not check commit {str(commit)[:10]} as committed" if commit else ""
        warnings.append(
            f"run #{seq} was made with uncommitted changes to tracked files{checked} "
            f"(the cover says so){still}; commit them and use --fresh for a dossier of a "
            "committed state"
        )
    if moved:
        warnings.append(
            f"HEAD is now {str(head)[:10]}, not the run's commit; "
            "use --fresh for a dossier of the current state"
        )
    elif now.get("dirty") and not target.get("dirty"):
        warnings.append(
            f"the working tree has uncommitted changes to tracked files since run #{seq}; "
            "use --fresh for a dossier of the current state"
        )
    return warnings


def print_verification(report: Any, fmt: str) -> int:
    """Print a DossierVerification (text to stderr, JSON to stdout); the exit code to use."""
    if fmt == "json":
        click.echo(json.dumps(report.to_json(), indent=2))
    else:
        for note in report.notes[:5]:
            click.echo(f"note  {note}", err=True)
        for line in report.lines():
            click.echo(line, err=True)
    return int(ExitCode.OK if report.ok else ExitCode.GATE_FAILED)


def verify_dossier_file(
    pdf: Path,
    *,
    root: Path | None = None,
    recorded_run: RecordedRun | None = None,
    fmt: str = "text",
) -> int:
    """Verify a dossier and print the outcome; `govgate verify X.pdf` can call this."""
    from govgate.outputs.dossier.verify import verify_dossier

    return print_verification(verify_dossier(pdf, root, recorded_run=recorded_run), fmt)


def verify_dossier_and_run(pdf: Path, fmt: str) -> int:
    """The dossier's own checks, plus the recorded run where its locker is at hand.

    The embedded result names the repository and the locker run it was written from; when
    that locker is at hand, the embedded result and evidence must be the ones it recorded.
    Both `govgate dossier verify` and `govgate verify X.pdf` come here, so the command the
    dossier's "How to verify" page names runs the full check.
    """
    from govgate.core.config import find_config, load_config
    from govgate.locker import EvidenceLocker, locker_path
    from govgate.outputs.dossier.verify import RecordedRun, embedded_result

    result = embedded_result(pdf)
    root: Path | None = None
    recorded: RecordedRun | None = None
    run_id = (result or {}).get("run", {}).get("id")
    target = Path(str((result or {}).get("target", {}).get("path") or ""))
    if run_id is not None and (target / ".govgate").is_dir():
        root = target
        config = load_config(target) if find_config(target) else None
        stored = locker_path(target, config)
        if stored.is_file():
            with EvidenceLocker.snapshot(stored) as opened:  # verifying never writes
                shown = opened.show(int(run_id))
            record = shown.get("record") or {}
            recorded = RecordedRun(
                run_id=str(run_id),
                result=record.get("result"),
                evidence_digests=frozenset(shown["evidence_digests"]),
            )
    return verify_dossier_file(pdf, root=root, recorded_run=recorded, fmt=fmt)


@dossier.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def verify(file: Path, fmt: str) -> None:
    """Check that a dossier's embedded result and manifest are the ones it was written with.

    Exit 0 when every check passes, 1 when any fails (an attachment was edited, a digest is
    missing, the manifest and the result disagree, or the locker run it names recorded
    something else).
    """
    sys.exit(verify_dossier_and_run(file, fmt))
