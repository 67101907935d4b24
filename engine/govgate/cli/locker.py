"""CLI commands of the evidence locker: `collect`, `verify`, and `locker ls | show | export`.

Thin like the rest of the CLI: parse, call `govgate.locker` / `govgate.run.check`, print. Human text
goes to stderr, payloads (JSON, `locker show`) to stdout. Only click is imported at start-up.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from govgate.cli.common import key_option, plugin_options, refuse_without
from govgate.support.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from govgate.locker import EvidenceLocker, VerifyReport, Witness

#: Problems printed by `verify` before "... and N more" (the JSON report has them all).
SHOWN_PROBLEMS = 20


def _repository_locker_path(repo: Path) -> Path:
    """Where the locker of the repository at `repo` is (its govgate.yaml may move it)."""
    from govgate.core.config import find_config, load_config
    from govgate.locker import locker_path

    root = repo.resolve()
    if not root.exists():
        raise UsageError(f"{repo}: no such file or directory")
    if not root.is_dir():
        raise UsageError(f"{repo}: not a directory; give the repository's folder")
    config = load_config(root) if find_config(root) is not None else None
    return locker_path(root, config)


def _open_repository_locker(repo: Path) -> EvidenceLocker:
    """The locker of the repository at `repo` (its govgate.yaml may move it), never created."""
    from govgate.locker import EvidenceLocker

    return EvidenceLocker.open(_repository_locker_path(repo), create=False)


def register(main: click.Group) -> None:
    """Add `collect`, `verify` and the `locker` group to the main command."""
    main.add_command(collect)
    main.add_command(verify)
    main.add_command(locker)


@click.command()
@click.argument("path", type=click.Path(path_type=Path), default=".")
@click.option("--pack", "-P", "packs", multiple=True, help="Collect for this pack only.")
@click.option("--no-cache", is_flag=True, help="Collect everything again.")
@click.pass_context
def collect(ctx: click.Context, path: Path, packs: tuple[str, ...], no_cache: bool) -> None:
    """Collect the evidence the packs need into the locker, as one recorded run."""
    from govgate.run.check import CheckOptions, run_collect

    options = CheckOptions(
        root=path,
        packs=list(packs) or None,
        plugin_options=plugin_options(ctx),
        use_cache=not no_cache,
    )
    outcome = run_collect(options)
    collection = outcome.collection
    for run in collection.runs:
        note = f": {run.message}" if run.message else ""
        click.echo(
            f"  {run.name:<16} {run.status:<7} {run.items:>5} items  {run.seconds:6.2f} s{note}",
            err=True,
        )
    for diagnostic in collection.diagnostics:
        where = f"{diagnostic.path}:{diagnostic.line}" if diagnostic.line else diagnostic.path
        click.echo(f"  {diagnostic.level}: {where or '-'}: {diagnostic.message}", err=True)
    recorded = outcome.run
    click.echo(
        f"collected {recorded.evidence} evidence items ({recorded.new_evidence} new) "
        f"as run {recorded.seq} {recorded.hash}",
        err=True,
    )
    failed = [r for r in collection.runs if r.status == "error"]
    if failed:
        names = ", ".join(sorted({r.name for r in failed}))
        click.echo(f"collector error in {names}: the rules needing it will report error", err=True)
    sys.exit(int(ExitCode.GATE_FAILED if failed else ExitCode.OK))


@click.command()
@click.argument("path", type=click.Path(path_type=Path), default=".")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--witness",
    "witnesses",
    multiple=True,
    metavar="RUN:HASH",
    help="A run number and hash kept from an earlier report (its `locker:` line); the locker "
    "must still hold that run with that hash. Repeatable.",
)
@click.option(
    "--witness-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A file of witnesses, one RUN:HASH per line.",
)
@key_option("An attestation's signer's public key (PEM or OpenSSH .pub): PATH is checked with it.")
@click.option(
    "--result",
    "result_path",
    type=click.Path(path_type=Path),
    help="With --key: the result document (--format json) the attestation must have signed.",
)
@click.option(
    "--require-pass",
    is_flag=True,
    help="With --key: exit 1 unless the signed verdict is a pass of every pack on a clean commit.",
)
@click.option(
    "--commit",
    "expected_commit",
    metavar="SHA",
    help="With --key: the commit the attestation must name (an old verdict of another commit "
    "fails).",
)
@click.option(
    "--ca",
    "trust",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="A dossier PDF must be signed by a certificate issued under this one (repeatable).",
)
def verify(
    path: Path,
    fmt: str,
    witnesses: tuple[str, ...],
    witness_file: Path | None,
    key_path: Path | None,
    result_path: Path | None,
    require_pass: bool,
    expected_commit: str | None,
    trust: tuple[Path, ...],
) -> None:
    """Verify the locker of the repository at PATH (or a locker file, an export folder, a
    dossier PDF, or with --key a signed attestation).

    Recomputes every evidence digest, every run record and the hash chain, and looks for the
    traces deleted runs leave; exit 1 naming the first run and item that do not match, exit 0
    with a one-line summary otherwise. Never writes to the locker. What the file alone cannot
    show (its newest runs deleted and the head rewritten to match) a witness can: the run and
    hash each report prints.
    """
    from govgate.core.config import not_a_file
    from govgate.locker import parse_witness, read_witness_file, verify_export

    # Checks of a signed verdict asked for without the key that checks it would otherwise be
    # dropped, and a locker's exit 0 read as the pass --require-pass asked for.
    refuse_without(
        "--key",
        key_path,
        {"--result": result_path, "--require-pass": require_pass, "--commit": expected_commit},
        "{option} checks a signed attestation: give --key PUB (its signer's public key) too",
    )
    held = [parse_witness(text, "--witness") for text in witnesses]
    if witness_file is not None:
        held += read_witness_file(witness_file)
    report: VerifyReport
    kind = not_a_file(path)
    if kind is not None and kind != "a directory":
        raise UsageError(
            f"{path}: is {kind}, not a regular file; `govgate verify` checks a repository "
            "folder, a locker file, a locker export folder, a dossier (PDF or HTML) or a report"
        )
    from govgate.cli.signatures import is_envelope, verify_attestation_file

    if key_path is not None or (
        path.is_file() and _document_type(path) not in ("pdf", "html") and is_envelope(path)
    ):
        sys.exit(
            verify_attestation_file(path, key_path, result_path, require_pass, expected_commit)
        )
    if path.is_file():
        # What the file is comes from its content, never its name: a dossier.html must not be
        # taken for a locker, nor a locker renamed .pdf for a dossier.
        # Anything else is checked as a locker, whose verifier says in one line what a file
        # that is no locker is, and fails a damaged one (a header cut short) as damaged.
        if _document_type(path) in ("pdf", "html"):
            _verify_dossier(path, fmt, list(trust))
            return
        report = _verify_locker_file(path, held)
    elif (path / "manifest.json").is_file() and not (path / "govgate.yaml").is_file():
        report = verify_export(path, witnesses=held)
    else:
        report = _verify_locker_file(_repository_locker_path(path), held)
    _print_report(report, fmt)
    sys.exit(int(ExitCode.OK if report.ok else ExitCode.GATE_FAILED))


def _document_type(path: Path) -> str:
    from govgate.outputs.embedded import document_type

    try:
        return document_type(path)
    except OSError as error:
        raise UsageError(f"{path}: cannot be read ({error.strerror or error})") from None


def _verify_locker_file(path: Path, witnesses: list[Witness]) -> VerifyReport:
    from govgate.locker import verify_locker_file

    return verify_locker_file(path, witnesses=witnesses)


def _verify_dossier(path: Path, fmt: str, trust: list[Path]) -> None:
    """`govgate verify DOSSIER.pdf` (or .html, or a report): a PDF's signatures, then the
    checks of `govgate dossier verify`."""
    from govgate.cli.dossier import verify_dossier_and_run
    from govgate.cli.signatures import report_pdf_signatures

    if _document_type(path) == "pdf":
        signed = report_pdf_signatures(path, trust)
    else:  # an HTML dossier or report carries no signature: asked for one, it fails
        if trust:
            click.echo(
                "FAIL signature: an HTML file is never signed; --ca asks for a signed PDF",
                err=True,
            )
        signed = int(ExitCode.GATE_FAILED if trust else ExitCode.OK)
    contents = verify_dossier_and_run(path, fmt)
    sys.exit(max(contents, signed))


def _print_report(report: VerifyReport, fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(report.to_json(), indent=2))
    if not report.ok:
        for problem in report.problems[:SHOWN_PROBLEMS]:
            click.echo(f"  {problem}", err=True)
        if len(report.problems) > SHOWN_PROBLEMS:
            more = len(report.problems) - SHOWN_PROBLEMS
            click.echo(f"  ... and {more} more (--format json lists them all)", err=True)
    click.echo(report.summary(), err=True)


@click.group()
def locker() -> None:
    """Inspect and export the evidence locker (.govgate/locker.db)."""


_REPO_OPTION = click.option(
    "--repo",
    "-C",
    "repo",
    type=click.Path(path_type=Path),
    default=".",
    show_default=True,
    help="Repository whose locker to read.",
)


@locker.command("ls")
@_REPO_OPTION
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def locker_ls(repo: Path, fmt: str) -> None:
    """List the recorded runs, oldest first."""
    from govgate.locker import run_list_text

    with _open_repository_locker(repo) as opened:
        runs = opened.runs()
        tombstones = opened.tombstones()
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "runs": [r.to_json() for r in runs],
                    "tombstones": [t.to_json() for t in tombstones],
                },
                indent=2,
            )
        )
        return
    if not runs:
        click.echo("no runs recorded yet", err=True)
        return
    click.echo(
        f"{'run':>5}  {'started (UTC)':<20}  {'command':<8} {'gate':<5} "
        f"{'commit':<10} {'items':>5}  hash"
    )
    for run in runs:
        gate = "pruned" if run.pruned_at else (run.gate or "-")
        commit = (run.target_commit or "-")[:10]
        click.echo(
            f"{run.seq:>5}  {run.started_at:<20}  {run.command:<8} {gate:<5} "
            f"{commit:<10} {run.evidence:>5}  {run.hash.split(':', 1)[-1][:16]}"
        )
    for tombstone in tombstones:
        ids = [r["id"] for r in tombstone.runs if isinstance(r.get("id"), int)]
        # A damaged tombstone may list no run: said as such (verify reports it), never a crash.
        click.echo(
            f"pruned {len(ids)} run(s) ({run_list_text(sorted(ids))}) on "
            f"{tombstone.pruned_at}: {tombstone.reason}; "
            f"{tombstone.evidence_removed} evidence items removed",
            err=True,
        )


@locker.command("show")
@click.argument("run")
@_REPO_OPTION
def locker_show(run: str, repo: Path) -> None:
    """Print one run (number, 'latest' or hash prefix) as JSON: its record, hashes, evidence."""
    with _open_repository_locker(repo) as opened:
        shown = opened.show(opened.resolve_run(run))
    click.echo(json.dumps(shown, indent=2, ensure_ascii=False))


@locker.command("export")
@click.argument("directory", type=click.Path(path_type=Path))
@_REPO_OPTION
def locker_export(directory: Path, repo: Path) -> None:
    """Write the locker as JSON files (one per evidence item and run) plus a manifest.

    The layout can be committed to a git repository or archived; `govgate verify DIRECTORY`
    checks it offline.
    """
    with _open_repository_locker(repo) as opened:
        summary = opened.export(directory)
    click.echo(
        f"exported {summary['runs']} runs and {summary['evidence']} evidence items to "
        f"{directory} ({summary['files_written']} files written)",
        err=True,
    )
