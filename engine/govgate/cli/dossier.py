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
@click.option(
    "--from-run",
    "from_run",
    metavar="SEQ",
    help="Describe this recorded check run (a number, `latest` or a hash prefix), even when "
    "it is not of the current commit.",
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
    from_run: str | None,
) -> None:
    """Write the audit dossier of the repository at PATH.

    The dossier reports the evidence locker's latest `govgate check` run; when there is none
    (or with --fresh, or --pack), it runs a check first and records it. When the latest run is
    not of the current commit, or was made with uncommitted changes, it refuses (exit 2)
    rather than describe it as the current state: use --fresh, or --from-run to choose a
    run. It documents a failing gate rather than failing itself: the exit code is 0 when the
    file was written.
    """
    from govgate.outputs.dossier import render_dossier

    signer = _signer(sign_key, cert, as_html, out)
    progress = TerminalProgress(sys.stderr, "dossier")
    try:
        if from_run is not None and (fresh or packs):
            raise UsageError(
                "--from-run describes a recorded run; it cannot go with --fresh or --pack"
            )
        inp = _dossier_input(ctx, path, packs, prepared_by, no_cache, fresh, progress, from_run)
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
    from_run: str | None = None,
) -> DossierInput:
    """From the locker's latest check run (refused when stale), the run `from_run` names, or
    a check run now (and recorded)."""
    from govgate.core.config import load_config
    from govgate.locker import latest_check_run
    from govgate.outputs.dossier import dossier_input_from_outcome, dossier_input_from_run
    from govgate.run.check import CheckOptions, run_check

    root = path.resolve()
    config = load_config(root)
    if from_run is not None:
        latest: LatestCheck | None = _chosen_run(root, config, from_run)
    else:
        latest = None if fresh or packs else latest_check_run(root, config, with_evidence=True)
        if latest is not None:
            _refuse_stale(root, latest)
    if latest is not None:
        policy_set = run_policy_set(ctx, config, latest.result)
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


def _chosen_run(root: Path, config: Config, ref: str) -> LatestCheck:
    """The check run `--from-run` names, with the evidence it cited (checked by digest)."""
    from govgate.locker import EvidenceLocker, LatestCheck, locker_path

    stored = locker_path(root, config)
    if not stored.is_file():
        raise UsageError(f"--from-run {ref}: {root} has no evidence locker yet")
    with EvidenceLocker.open(stored, create=False) as locker:
        seq = locker.resolve_run(ref)
        shown = locker.show(seq)
        record = shown.get("record") or {}
        result = record.get("result")
        if record.get("command") != "check" or not isinstance(result, dict):
            raise UsageError(
                f"--from-run {ref}: run #{seq} is not a recorded `govgate check` run with its "
                "result (see `govgate locker ls`)"
            )
        evidence = tuple(locker.run_evidence(seq))
    run = {**result.get("run", {}), "id": shown["id"], "hash": shown["hash"]}
    return LatestCheck(seq, shown["hash"], {**result, "run": run}, evidence)


def _refuse_stale(root: Path, latest: LatestCheck) -> None:
    """A UsageError (exit 2) when the latest run does not show the current commit as
    committed: made on another commit (another branch's run included) or with uncommitted
    changes. A dossier of it would pass for the current state."""
    from govgate.core.result import git_target

    target = latest.result.get("target") or {}
    now = git_target(root)
    commit, head = target.get("commit"), now.get("commit")
    seq = latest.seq
    how = f"use --fresh for a dossier of the current state, or --from-run {seq} for that run"
    if commit and head and commit != head:
        on = f" on branch {target['branch']}" if target.get("branch") else ""
        here = f" on branch {now['branch']}" if now.get("branch") else ""
        raise UsageError(
            f"the latest recorded run #{seq} checked commit {str(commit)[:10]}{on}, but HEAD is "
            f"{str(head)[:10]}{here}; {how}"
        )
    if target.get("dirty"):
        raise UsageError(
            f"the latest recorded run #{seq} was made with uncommitted changes to tracked files, "
            f"so it does not show commit {str(commit or 'unknown')[:10]} as committed; {how}"
        )


def run_policy_set(ctx: click.Context, config: Config, result: dict[str, Any]) -> PolicySet | None:
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
    """Verify a dossier (PDF or HTML) or a report, and print the outcome."""
    from govgate.outputs.dossier.verify import verify_dossier
    from govgate.outputs.dossier.verify_html import verify_html
    from govgate.outputs.embedded import document_type

    if document_type(pdf) == "html":
        return print_verification(verify_html(pdf, root, recorded_run=recorded_run), fmt)
    return print_verification(verify_dossier(pdf, root, recorded_run=recorded_run), fmt)


def refuse_unknown_document(path: Path) -> None:
    """A UsageError (one line, exit 2) unless the file is, by its content, a PDF or HTML."""
    from govgate.outputs.embedded import document_type

    try:
        kind = document_type(path)
    except OSError as error:
        raise UsageError(f"{path}: cannot be read ({error.strerror or error})") from None
    if kind not in ("pdf", "html"):
        what = (
            "an SQLite file (a locker? `govgate verify` checks it)"
            if kind == "sqlite"
            else ("neither PDF nor HTML")
        )
        raise UsageError(
            f"{path}: is {what}, so not a govgate dossier or report; nothing was verified"
        )


def verify_dossier_and_run(pdf: Path, fmt: str) -> int:
    """The document's own checks, plus the recorded run where its locker is at hand.

    The embedded result names the repository and the locker run it was written from; when
    that locker is at hand, the embedded result and evidence must be the ones it recorded.
    Both `govgate dossier verify` and `govgate verify FILE` come here, so the command the
    dossier's "How to verify" page names runs the full check. What the file is comes from its
    content (a PDF, an HTML dossier or report), never from its name.
    """
    from govgate.core.config import find_config, load_config
    from govgate.locker import EvidenceLocker, locker_path
    from govgate.outputs.dossier.verify import RecordedRun, embedded_result
    from govgate.outputs.dossier.verify_html import embedded_html_result
    from govgate.outputs.embedded import document_type

    refuse_unknown_document(pdf)
    html = document_type(pdf) == "html"
    result = embedded_html_result(pdf) if html else embedded_result(pdf)
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
    """Check that a dossier's (PDF or HTML) or a report's embedded result and manifest are the
    ones it was written with.

    Exit 0 when every check passes, 1 when any fails (an attachment was edited, a digest is
    missing, the manifest and the result disagree, or the locker run it names recorded
    something else).
    """
    sys.exit(verify_dossier_and_run(file, fmt))
