"""GitHub Actions annotations, read back the way the runner reads workflow commands."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govgate.core.policy import severity_rank
from govgate.outputs.reporters.github import GithubReporter, command, escape_data, escape_property

from conftest import RepoBuilder


@dataclass
class Command:
    name: str
    properties: dict[str, str]
    message: str


def blocking_skips(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Skipped rules at or above fail-on: they fail the gate, so the CI outputs list them."""
    limit = severity_rank(result["fail_on"])
    return [
        f
        for f in result["findings"]
        if f["status"] == "skipped" and severity_rank(f["severity"]) >= limit
    ]


def _unescape(text: str, *, property: bool) -> str:
    # the runner's order (ActionCommand.cs): the specific escapes first, `%25` last
    pairs = [("%0D", "\r"), ("%0A", "\n")]
    if property:
        pairs += [("%3A", ":"), ("%2C", ",")]
    for escaped, plain in [*pairs, ("%25", "%")]:
        text = text.replace(escaped, plain)
    return text


def parse_line(line: str) -> Command:
    """One `::name k=v,k=v::message` line, as the Actions runner splits it."""
    assert line.startswith("::"), line
    head, separator, data = line[2:].partition("::")
    assert separator, line
    name, _, props = head.partition(" ")
    properties = {}
    for pair in filter(None, props.split(",")):
        key, equals, value = pair.partition("=")
        assert equals, pair
        properties[key] = _unescape(value, property=True)
    return Command(name, properties, _unescape(data, property=False))


def annotations(result: dict[str, Any]) -> list[Command]:
    text = GithubReporter().render(result)
    lines = text.splitlines()
    # one command per line: nothing in a message can start a line of its own
    assert text == "\n".join(lines) + "\n"
    assert all(line.startswith("::") for line in lines)
    assert "\r" not in text
    return [parse_line(line) for line in lines]


def test_one_line_per_failing_finding_after_the_summary(any_result: dict[str, Any]) -> None:
    commands = annotations(any_result)
    summary = commands[0]
    if any_result["gate"] == "pass":
        assert (summary.name, summary.properties["title"]) == ("notice", "govgate gate passed")
    else:
        assert (summary.name, summary.properties["title"]) == ("error", "govgate gate failed")
    assert summary.message.startswith(f"gate {any_result['gate']} (fail-on high)")
    located = [c for c in commands if "file" in c.properties]
    wanted = [f for f in any_result["findings"] if f["status"] in ("fail", "error")]
    assert len(located) == len(wanted) + len(blocking_skips(any_result))


def test_levels_locations_and_messages(scenario: Callable[[str], dict[str, Any]]) -> None:
    commands = annotations(scenario("rich"))
    by_title = {c.properties.get("title"): c for c in commands}
    dpia = by_title["G-3.dpia[docs/dpia*.md] (critical)"]
    assert dpia.name == "error"
    assert dpia.properties["file"] == "govgate.yaml" and "line" not in dpia.properties
    assert dpia.message == (
        "no DPIA matches [docs/dpia*.md]\nFix: write docs/dpia.md\n"
        "(no file of its own: reported on the govgate configuration)"
    )
    script = by_title["G-1.enabled[<script>alert('x')</script>] (high)"]
    assert (script.name, script.properties["file"], script.properties["line"]) == (
        "error",
        "gates.yaml",
        "8",
    )
    assert by_title["G-1.reviewed[beta] (medium)"].name == "warning"
    assert "waiver W-EXPIRED expired" in by_title["G-1.reviewed[beta] (medium)"].message
    assert by_title["G-2.debug-off[settings.env] (low)"].name == "notice"
    errored = by_title["G-1.owner-list[gates.yaml] could not be evaluated"]
    assert errored.name == "error"  # low severity, but an error fails the gate
    assert errored.message.endswith("(in gates.yaml)")
    # waived findings are not annotated
    assert not [c for c in commands if "G-1.reviewed[alpha]" in c.properties.get("title", "")]
    assert commands[0].message.startswith("gate fail (fail-on high): 10 fail, 1 error, 1 waived")


def test_hostile_text_cannot_break_out_of_its_command(
    scenario: Callable[[str], dict[str, Any]],
) -> None:
    commands = annotations(scenario("rich"))
    hostile = [c for c in commands if c.properties.get("title", "").startswith("G-1.enabled[ctl")]
    assert len(hostile) == 1
    (annotation,) = hostile
    # `,` `:` and CR/LF in the title survive the round trip; ESC and BEL are shown, not sent
    assert annotation.properties["title"] == (
        "G-1.enabled[ctl \\u001b[31mred\\u0007 and \r\nnew line, 100% :: ::error::x] (high)"
    )
    assert annotation.message.startswith(
        "gate ctl \\u001b[31mred\\u0007 and \r\nnew line, 100% :: ::error::x is disabled"
    )
    assert annotation.properties["file"] == "gates.yaml"


def test_policy_edits_are_announced(scenario: Callable[[str], dict[str, Any]]) -> None:
    commands = annotations(scenario("changes"))
    warning = commands[1]
    assert (warning.name, warning.properties["title"]) == ("warning", "govgate: policies edited")
    assert warning.message.startswith("This change edits policy packs (t) and waivers")
    assert ", new)" in " ".join(c.properties.get("title", "") for c in commands)


def test_a_target_in_a_sub_folder_is_annotated_with_repository_paths(
    monorepo: RepoBuilder, run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    # The runner resolves `file` from the workspace (the repository root), not from the
    # folder govgate checked: `svc/gates.yaml`, never the root's own `gates.yaml`.
    done = run_cli("check", monorepo.path / "svc", "--format", "github", "--no-locker")
    assert done.exit_code == 1
    commands = [parse_line(line) for line in done.stdout.splitlines()]
    files = [c.properties["file"] for c in commands if "file" in c.properties]
    assert set(files) == {"svc/govgate.yaml", "svc/gates.yaml", "svc/settings.env"}
    assert all((monorepo.path / f).is_file() for f in files)
    by_title = {c.properties.get("title"): c for c in commands}
    script = by_title["G-1.enabled[<script>alert('x')</script>] (high)"]
    assert (script.properties["file"], script.properties["line"]) == ("svc/gates.yaml", "8")


def test_escaping_follows_the_runner_rules() -> None:
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert (
        command("error", "m", file="a,b.yaml", line=None, title="") == "::error file=a%2Cb.yaml::m"
    )
    assert command("notice", "x") == "::notice::x"
