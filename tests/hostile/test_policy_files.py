"""The files that steer a run (govgate.yaml, a pack, its tests, the dossier's templates) when a
change's author makes them hostile, in real `govgate` processes.

A symlink to a file outside the repository (or the templates folder) is refused naming the
link and its target, and nothing of the outside file reaches any output; a 5,000-digit integer
and a raw ESC byte are reported with their file and line (exit 2 in govgate.yaml and a pack,
the file's own problem in a settings file); and the dossier of a run that used a pack from the
repository (`packs: [./packs/f]`) loads that pack as the check did.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hostile.harness import Finished, run_govgate

from conftest import RepoBuilder

pytestmark = pytest.mark.slow

PACK = """\
pack: f
version: 1.0.0
title: Settings pack
evidence_kinds:
  f_settings: {collector: config, paths: ["settings/*"]}
requirements:
  - {id: F-1, title: Settings, source: {framework: Test, ref: "1"}}
controls:
  - {id: FC-1, title: Settings audited, satisfies: [F-1]}
rules:
  - id: FC-1.audit
    control: FC-1
    severity: high
    evidence: f_settings
    assert: {path: audit, op: eq, value: true}
    message: "{source.path}: audit is {actual}"
    remediation: "set audit: true in {source.path}"
"""
CASE = """\
case: audited
evidence:
  f_settings:
    - {subject: settings/a.yaml, data: {audit: true}}
expect: {FC-1.audit: pass}
"""
CONFIG = "system: {name: hostile, risk: high}\npacks: [./packs/f]\n"
CANARY = "GOVGATE-CANARY-outside-the-repository-7d1e"
#: An integer longer than Python converts from text (sys.get_int_max_str_digits(), 4,300).
LONG_INTEGER = "1" + "0" * 5000


@pytest.fixture
def repo(make_repo: Callable[..., RepoBuilder]) -> RepoBuilder:
    return make_repo(
        {
            "govgate.yaml": CONFIG,
            "packs/f/pack.yaml": PACK,
            "packs/f/tests/audited.yaml": CASE,
            "settings/a.yaml": "audit: true\n",
        }
    )


def last_error(finished: Finished) -> str:
    errors = [line for line in finished.stderr.splitlines() if line.startswith("govgate: error:")]
    assert errors, finished.stderr[-2000:]
    return errors[-1].removeprefix("govgate: error: ")


def refused(done: Finished, link: str, target: Path, where: str) -> str:
    """The one-line refusal of a link, naming it and its target; nothing else ran."""
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and CANARY not in done.output
    line = last_error(done)
    assert line.startswith(f"{link}: is a symlink to {target.resolve()}, outside {where}"), line
    return line


def test_symlinks_out_of_the_repository_are_refused_where_files_are_read(
    repo: RepoBuilder, tmp_path: Path, reliability: Any
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = repo.path
    # govgate.yaml: the outside copy would check a pack of the attacker's choosing.
    (outside / "govgate.yaml").write_text(CONFIG + f"# {CANARY}\n")
    (root / "govgate.yaml").unlink()
    (root / "govgate.yaml").symlink_to(outside / "govgate.yaml")
    config = run_govgate("check", root, "--no-locker", cwd=root)
    line = refused(config, "govgate.yaml", outside / "govgate.yaml", "the repository")
    reliability.record("symlink-policy-outside", f"govgate.yaml: exit 2, {line}")
    (root / "govgate.yaml").unlink()
    (root / "govgate.yaml").write_text(CONFIG)

    # A pack's pack.yaml: its title would appear in every output.
    (outside / "pack.yaml").write_text(PACK.replace("Settings pack", CANARY))
    (root / "packs/f/pack.yaml").unlink()
    (root / "packs/f/pack.yaml").symlink_to(outside / "pack.yaml")
    pack = run_govgate("check", root, "--no-locker", "--format", "json", cwd=root)
    line = refused(pack, "packs/f/pack.yaml", outside / "pack.yaml", "the repository")
    reliability.record("symlink-policy-outside", f"pack.yaml: exit 2, {line}")
    (root / "packs/f/pack.yaml").unlink()
    (root / "packs/f/pack.yaml").write_text(PACK)

    # A pack's test case, read by `govgate policy test`.
    (outside / "case.yaml").write_text(CASE + f"# {CANARY}\n")
    (root / "packs/f/tests/outside.yaml").symlink_to(outside / "case.yaml")
    case = run_govgate("policy", "test", "packs/f", cwd=root)
    line = refused(case, "packs/f/tests/outside.yaml", outside / "case.yaml", "packs/f")
    reliability.record("symlink-policy-outside", f"pack test case: exit 2, {line}")


def test_a_dossier_template_linking_outside_its_folder_is_refused(
    repo: RepoBuilder, tmp_path: Path, reliability: Any
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "cover.html").write_text(f"<p>{CANARY}</p>\n")
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "cover.html").symlink_to(outside / "cover.html")
    out = tmp_path / "dossier.html"
    done = run_govgate(
        "dossier", repo.path, "--html", "--fresh", "--templates", templates, "--out", out
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert not out.exists() and CANARY not in done.output
    line = last_error(done)
    assert line == (
        f"--templates {templates}: cover.html is a symlink to {(outside / 'cover.html')}, "
        "outside the templates folder; refused: copy the file into the folder instead"
    )
    reliability.record("symlink-policy-outside", f"dossier template: exit 2, {line}")


@pytest.mark.parametrize(
    ("where", "text"),
    [
        ("settings/long.yaml", f"audit: true\nlong: {LONG_INTEGER}\n"),
        ("settings/long.toml", f"audit = true\nlong = {LONG_INTEGER}\n"),
        ("govgate.yaml", CONFIG + f"long: {LONG_INTEGER}\n"),
        ("packs/f/pack.yaml", PACK + f"long: {LONG_INTEGER}\n"),
    ],
)
def test_a_long_integer_is_reported_with_its_file_and_line(
    repo: RepoBuilder, where: str, text: str, reliability: Any
) -> None:
    repo.write({where: text})
    line = text.count("\n")
    done = run_govgate("check", repo.path, "--no-locker", "--format", "json", cwd=repo.path)
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    if where.startswith("settings/"):
        # The one file is unusable, named with its line; the other settings are still read.
        assert done.returncode == 1, done.stderr[-2000:]
        assert "collector 'config' failed" not in done.output
        by_subject = {f["item"]: f for f in json.loads(done.stdout)["findings"]}
        assert by_subject["settings/a.yaml"]["status"] == "pass"
        finding = by_subject[where]
        assert finding["status"] == "fail"
        assert finding["message"].startswith(f"{where}: line {line}: invalid "), finding
        assert "digits is longer than can be read" in finding["message"]
        outcome = f"exit 1; the file's rule fails naming it: {finding['message']}"
    else:
        assert done.returncode == 2, done.stderr[-2000:]
        message = last_error(done)
        assert message.startswith(f"{where}:{line}: invalid YAML: an integer of about 5001"), (
            message
        )
        outcome = f"exit 2: {message}"
    reliability.record("huge-integer-config", f"{where}: {outcome}")


def test_a_raw_escape_byte_in_govgate_yaml_is_reported_with_its_line(
    repo: RepoBuilder, reliability: Any
) -> None:
    repo.write({"govgate.yaml": CONFIG + '# owner: compliance\nnote: "red \x1b[31m alert"\n'})
    done = run_govgate("check", repo.path, "--no-locker", cwd=repo.path)
    assert done.returncode == 2, done.stderr[-2000:]
    line = last_error(done)
    assert line == (
        "govgate.yaml:4: invalid YAML: character U+001B (ESC) is not allowed in YAML; "
        "remove it, or write it as \\x1b inside a double-quoted string"
    )
    assert "position" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    reliability.record("control-byte-config", f"exit 2: {line}")


def test_the_dossier_of_a_run_with_a_pack_from_the_repository(
    repo: RepoBuilder, tmp_path: Path, reliability: Any
) -> None:
    checked = run_govgate("check", repo.path, cwd=repo.path)
    assert checked.returncode == 0, checked.stderr[-2000:]
    out = tmp_path / "dossier.html"
    done = run_govgate("dossier", repo.path, "--html", "--out", out, cwd=repo.path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "dossier of run #1" in done.stderr
    # The run's pack loaded as the check loaded it, so its rule texts are the run's own.
    assert "govgate: note:" not in done.stderr and "unknown pack" not in done.stderr
    assert "FC-1.audit" in out.read_text(encoding="utf-8")
    reliability.record(
        "dossier-local-pack",
        "dossier after a check of packs: [./packs/f]: exit 0, the recorded run reported with "
        "the pack's rule texts (was exit 2, unknown pack 'f')",
    )
