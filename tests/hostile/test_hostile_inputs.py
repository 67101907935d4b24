"""Hostile inputs that stop a run before any evidence is read: govgate.yaml and policy packs
that are bombs, binary or nested without end, regexes that backtrack, and paths that lead out
of the repository. Each is a one-line error naming the file (and line), exit 2, never a
traceback; a regex that slips past the static check is stopped at run time as an `error`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from hostile.harness import CANARY, deep_json, yaml_alias_bomb

from conftest import CliResult, RepoBuilder

PACK = """\
pack: p
version: 1.0.0
title: Hostile-input pack
requirements:
  - {id: P-1, title: Values, source: {framework: Test, ref: "1"}}
controls:
  - {id: PC-1, title: Values are well formed, satisfies: [P-1]}
evidence_kinds:
  p_values: {collector: config, paths: [values.yaml]}
rules:
  - id: PC-1.format
    control: PC-1
    severity: high
    evidence: p_values
    assert: {path: value, op: matches, value: "REGEX"}
    message: "value {actual} is not in the expected format"
    remediation: "fix value in {source.path}"
"""
CONFIG = "system: {name: hostile, risk: high}\npacks: [./packs/p]\n"
TESTS_PACK = """\
pack: t
version: 1.0.0
title: Tests pack
requirements:
  - {id: T-1, title: Tested, source: {framework: Test, ref: "1"}}
controls:
  - {id: TC-1, title: Tests run, satisfies: [T-1]}
rules:
  - id: TC-1.tests
    control: TC-1
    severity: high
    evidence: test_results.summary
    assert: {path: tests, op: ge, value: 1}
    message: "no tests found"
    remediation: "run the tests"
"""


def pack(regex: str = "^[a-z]+$") -> str:
    return PACK.replace("REGEX", regex.replace("\\", "\\\\"))


@pytest.fixture
def repo(make_repo: Callable[..., RepoBuilder]) -> RepoBuilder:
    return make_repo(
        {
            "govgate.yaml": CONFIG,
            "packs/p/pack.yaml": pack(),
            "values.yaml": "value: " + "a" * 40 + "b\n",
        }
    )


def check(run_cli: Callable[..., CliResult], repo: RepoBuilder, *extra: str) -> CliResult:
    result = run_cli("check", repo.path, "--no-locker", *extra)
    assert "Traceback" not in result.output
    assert result.exit_code != 3, result.stderr
    return result


def one_error(result: CliResult) -> str:
    assert result.exit_code == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("govgate: error: ")]
    assert errors, result.stderr
    return errors[0]


@pytest.mark.parametrize("regex", ["^(a+)+$", "(x*)*y", "^(\\w+\\s?)*$", "((ab)*c*)+d"])
def test_a_catastrophic_regex_is_refused_at_load(
    repo: RepoBuilder, run_cli: Callable[..., CliResult], regex: str, reliability
) -> None:
    repo.write({"packs/p/pack.yaml": pack(regex)})
    error = one_error(check(run_cli, repo))
    assert error.startswith("govgate: error: packs/p/pack.yaml:15: ")
    assert "can backtrack catastrophically" in error
    reliability.record("regex-catastrophic", f"exit 2: {error.removeprefix('govgate: error: ')}")


def test_a_regex_that_backtracks_at_run_time_is_an_error_not_a_hang(
    repo: RepoBuilder, run_cli: Callable[..., CliResult], reliability
) -> None:
    # Alternation that overlaps ((a|aa)+) passes the static check; the regex engine's
    # timeout turns 2^40 steps into an `error` finding, and the gate fails closed.
    repo.write({"packs/p/pack.yaml": pack("^(a|aa)+$")})
    result = check(run_cli, repo, "--format", "json")
    assert result.exit_code == 1
    (finding,) = json.loads(result.stdout)["findings"]
    assert finding["status"] == "error"
    assert "regular expression took too long" in finding["message"]
    reliability.record("regex-slow-at-runtime", f"finding error: {finding['message']}; exit 1")


HOSTILE_YAML: dict[str, tuple[bytes, str]] = {
    "alias bomb": (yaml_alias_bomb().encode(), ":1: document expands to more than 500000 nodes"),
    "recursive alias": (b"a: &a [*a]\n", ":1: recursive alias"),
    "NUL byte": (b"system: {name: x\x00, risk: high}\n", ":1: contains a NUL byte"),
    "invalid UTF-8": (b"system: {name: caf\xe9, risk: high}\n", ":1: not valid UTF-8"),
    "UTF-16": ("system: {name: x, risk: high}\n".encode("utf-16"), ":1: not valid UTF-8"),
    "deep nesting": (
        b"system: {name: x, risk: high}\nparams: {p: {x: " + deep_json(990).encode() + b"}}\n",
        ":2: nested more than 100 levels deep",
    ),
    "deeper than the parser": (
        b"params: " + deep_json(5000).encode() + b"\n",
        ":1: invalid YAML: exceeded maximum nesting depth",
    ),
    "a list": (b"- system\n- packs\n", ":1: must be a mapping"),
    "over 8 MB": (b"# " + b"x" * (9 << 20) + b"\n", ": file is larger than 8 MB"),
    "tab indentation": (b"system:\n\tname: x\n", ":2: invalid YAML"),
}


@pytest.mark.parametrize("variant", sorted(HOSTILE_YAML))
def test_a_hostile_govgate_yaml_is_one_error_naming_it(
    repo: RepoBuilder, run_cli: Callable[..., CliResult], variant: str, reliability
) -> None:
    content, expected = HOSTILE_YAML[variant]
    repo.write({"govgate.yaml": content})
    error = one_error(check(run_cli, repo))
    assert error.startswith("govgate: error: govgate.yaml"), error
    assert expected in error, error
    reliability.record("config-hostile", f"{variant}: exit 2, {error.removeprefix('govgate: ')}")


def test_a_byte_order_mark_in_govgate_yaml_is_read(
    repo: RepoBuilder, run_cli: Callable[..., CliResult], reliability
) -> None:
    repo.write({"govgate.yaml": "\ufeff" + CONFIG})
    assert check(run_cli, repo).exit_code == 0
    reliability.record("config-hostile", "UTF-8 BOM: read; the check runs (exit 0)")


@pytest.mark.parametrize("variant", sorted(set(HOSTILE_YAML) - {"a list"}))
def test_a_hostile_pack_is_one_error_naming_it(
    repo: RepoBuilder, run_cli: Callable[..., CliResult], variant: str, reliability
) -> None:
    content, expected = HOSTILE_YAML[variant]
    content = content.replace(b"system: {name: x, risk: high}\n", b"pack: p\n")
    repo.write({"packs/p/pack.yaml": content})
    error = one_error(check(run_cli, repo))
    assert error.startswith("govgate: error: packs/p/pack.yaml"), error
    assert expected.split(": ", 1)[-1].split(":")[-1].strip() in error, error
    reliability.record("pack-hostile", f"{variant}: exit 2, {error.removeprefix('govgate: ')}")


def test_a_pack_that_is_a_list_is_refused(
    repo: RepoBuilder, run_cli: Callable[..., CliResult], reliability
) -> None:
    repo.write({"packs/p/pack.yaml": "- rules\n- controls\n"})
    error = one_error(check(run_cli, repo))
    assert error == (
        "govgate: error: packs/p/pack.yaml:1: a pack file must be a mapping (pack:, rules:, ...)"
    )
    reliability.record("pack-hostile", f"a list: exit 2, {error.removeprefix('govgate: ')}")


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ('evidence: {p_values: "../outside/canary.yaml"}', "points outside the repository"),
        ("evidence: {p_values: /etc/passwd}", "points outside the repository"),
        ('packs: ["../outside"]', "points outside the repository"),
        ("waivers: ../outside/canary.yaml", "waiver file points outside the repository"),
    ],
)
def test_paths_in_govgate_yaml_cannot_lead_out_of_the_repository(
    repo: RepoBuilder,
    run_cli: Callable[..., CliResult],
    setting: str,
    expected: str,
    reliability,
) -> None:
    outside = _canary_folder(repo.path)
    config = CONFIG if not setting.startswith("packs:") else "system: {name: x, risk: high}\n"
    repo.write({"govgate.yaml": f"{config}{setting}\n"})
    result = check(run_cli, repo)
    error = one_error(result)
    assert expected in error
    assert CANARY not in result.output
    assert (outside / "canary.yaml").is_file()
    reliability.record("path-traversal-config", f"{setting}: exit 2, {expected}")


def test_collector_globs_cannot_lead_out_of_the_repository(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult], reliability
) -> None:
    repo = make_repo(
        {
            "govgate.yaml": "system: {name: x, risk: high}\npacks: [./packs/t]\ncollectors:\n"
            "  test_reports: {junit_paths: [../outside/*.xml, /tmp/*/outside/*.xml]}\n",
            "packs/t/pack.yaml": TESTS_PACK,
        }
    )
    outside = _canary_folder(repo.path)
    (outside / "junit.xml").write_text(f'<testsuite name="{CANARY}" tests="5"/>')
    result = run_cli("check", repo.path, "--no-locker", "--format", "json")
    document = json.loads(result.stdout)
    assert CANARY not in result.output
    assert [f["status"] for f in document["findings"]] == ["fail"]  # 0 tests: nothing read
    refused = {d["path"]: d["message"] for d in document["diagnostics"]}
    assert refused["../outside/*.xml"] == "pattern points outside the repository"
    reliability.record(
        "path-traversal-config",
        "collector globs ../ and absolute: refused with a warning naming the pattern",
    )


def _canary_folder(repo: Path) -> Path:
    outside = repo.parent / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "canary.yaml").write_text(f"waivers: []\n# {CANARY}\n", encoding="utf-8")
    return outside
