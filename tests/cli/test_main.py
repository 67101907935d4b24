"""The `govgate` group itself: what an unexpected exception becomes (exit 3, traceback), and
that only govgate decides the exit code (exit 1 for a process exit raised by anyone else)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


def test_internal_error_is_exit_3_with_traceback(run_cli, make_repo, monkeypatch) -> None:
    import govgate.run.check

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(govgate.run.check, "evaluate_collection", broken)
    repo = make_repo({"govgate.yaml": "system: {name: d, risk: high}\npacks: [human-oversight]\n"})
    from click.testing import CliRunner

    from govgate.cli.main import main

    result = CliRunner().invoke(main, ["check", str(repo.path), "--no-locker"])
    assert result.exit_code == 3
    assert "ZeroDivisionError: a bug" in result.stderr
    assert "internal error (a bug in govgate" in result.stderr


def _command_raising(exc: BaseException, filename: str) -> Any:
    """A command whose callback raises `exc` from code compiled as `filename`: where the
    exception comes from is what tells govgate's own exit codes from anyone else's."""
    import click

    namespace: dict[str, Any] = {"exc": exc}
    exec(compile("def callback():\n    raise exc\n", filename, "exec"), namespace)
    return click.command("boom")(namespace["callback"])


@pytest.mark.parametrize(
    ("exc", "shown"),
    [
        (SystemExit(0), "SystemExit(0)"),
        (KeyboardInterrupt(), "KeyboardInterrupt"),  # raised, not a Ctrl-C
        (GeneratorExit(), "GeneratorExit"),
    ],
)
def test_a_process_exit_from_outside_govgate_fails_the_run(
    exc: BaseException, shown: str, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from govgate.cli.main import GovgateGroup

    group = GovgateGroup("govgate")
    group.add_command(_command_raising(exc, str(tmp_path / "plugin.py")))
    result = CliRunner().invoke(group, ["boom"])
    assert result.exit_code == 1
    assert result.stderr == (
        f"govgate: error: {tmp_path / 'plugin.py'}:2 raised {shown} (plugin code must not end "
        "or interrupt govgate: raise an Exception instead); this run has no verdict\n"
    )


def test_a_process_exit_raised_by_govgate_itself_keeps_its_code_or_is_a_bug() -> None:
    from click.testing import CliRunner

    import govgate
    from govgate.cli.main import GovgateGroup

    own = str(Path(govgate.__file__).parent / "cli" / "imagined.py")
    group = GovgateGroup("govgate")
    group.add_command(_command_raising(SystemExit(1), own))
    assert CliRunner().invoke(group, ["boom"]).exit_code == 1  # a command's own exit code
    group = GovgateGroup("govgate")
    group.add_command(_command_raising(GeneratorExit(), own))
    bug = CliRunner().invoke(group, ["boom"])
    assert bug.exit_code == 3 and "internal error (a bug in govgate" in bug.stderr


@pytest.mark.slow
def test_a_warm_check_imports_nothing_it_does_not_use(make_repo, tmp_path: Path) -> None:
    """The commit hook's path: no other command's module, no verifier, no output format it
    does not write, no entry-point scan, no heavy library."""
    import os
    import subprocess
    import sys

    repo = make_repo(
        {
            "govgate.yaml": "system: {name: quick, risk: minimal}\n",
            "governance/oversight.yaml": "kill_switch: {enabled: true}\n",
        }
    )
    listing = tmp_path / "modules.txt"
    code = (
        "import atexit, sys\n"
        f"atexit.register(lambda: open({str(listing)!r}, 'w').write('\\n'.join(sys.modules)))\n"
        "from govgate.cli.main import main\n"
        f"main(['check', {str(repo.path)!r}, '-q'])\n"
    )
    for _ in range(2):  # the second run is warm: every collector a cache hit
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ)
        )
        assert done.returncode in (0, 1), done.stderr
    imported = set(listing.read_text().split())
    assert "govgate.cli.check" in imported  # the listing is real
    unwanted = {
        "govgate.cli.init",
        "govgate.core.scaffold",
        "govgate.cli.dossier",
        "govgate.cli.graph",
        "govgate.locker.verify",
        # Output formats the run does not write (the hook prints text alone).
        "govgate.outputs.reporters.json_report",
        "govgate.outputs.reporters.sarif",
        "govgate.outputs.reporters.junit",
        "govgate.outputs.reporters.markdown",
        "govgate.outputs.reporters.github",
        "govgate.outputs.reporters.oscal",
        "govgate.outputs.reporters.oscal_poam",
        "govgate.outputs.reporters.cyclonedx",
        "importlib.metadata",  # the entry-point scan is cached
        "govgate.core.loader.compile",  # the compiled policy set is cached
        "yaml",  # govgate.yaml as parsed is cached, and no pack is read
        "networkx",
        "jsonschema",
        "duckdb",
        "weasyprint",
        "jinja2",
        "phonenumbers",
        "mlflow",
        "pyspark",
    }
    assert sorted(unwanted & imported) == []


def test_every_command_is_named_with_the_module_that_adds_it() -> None:
    import importlib

    import click

    from govgate.cli.main import COMMAND_MODULES, COMMANDS

    added: dict[str, str] = {}
    for module in COMMAND_MODULES:
        group = click.Group()
        importlib.import_module(module).register(group)
        added.update(dict.fromkeys(group.commands, module))
    assert added == COMMANDS
