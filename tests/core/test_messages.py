"""Rule messages and remediations: `{placeholder}` templates, what they render to (missing
values included), and the problems a pack's templates are refused for when it loads."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from govgate.core.messages import ROOTS, check_template, placeholders, render

from conftest import CliResult, RepoBuilder

# -- render --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("gate {item.name} is off", "gate credit is off"),
        ("{item.limits.daily} a day", "500 a day"),
        ("in {source.path}:{source.line}", "in governance/oversight.yaml:7"),
        ("{system.name} is {system.risk}-risk", "loans is high-risk"),
        ("needs {param.min_approvers}", "needs 2"),
        ("the first group is {data.groups.0}", "the first group is a"),
        ("reviewed: {actual}", "reviewed: false"),
        ("enabled: {value}", "enabled: true"),
        ("share {data.share}", "share 0.1235"),  # floats: four significant digits
        ("groups {data.groups}", "groups [a, b]"),
        ("{{literal}} and {{{item.name}}}", "{literal} and {credit}"),
        ("no placeholder at all", "no placeholder at all"),
    ],
)
def test_render_fills_placeholders(template: str, expected: str) -> None:
    values = {
        "item": {"name": "credit", "limits": {"daily": 500}},
        "source": {"path": "governance/oversight.yaml", "line": 7},
        "system": {"name": "loans", "risk": "high"},
        "param": {"min_approvers": 2},
        "data": {"groups": ["a", "b"], "share": 0.123456},
        "actual": False,
        "value": True,
    }
    assert render(template, values) == expected


@pytest.mark.parametrize(
    "template",
    [
        "{item.missing}",  # no such field
        "{item.name.deeper}",  # a field of a string
        "{data.groups.5}",  # past the end of a list
        "{data.groups.first}",  # a list indexed by a name
        "{actual}",  # a root the finding has, with no value
        "{age}",  # a root the finding does not have at all
    ],
)
def test_a_missing_value_renders_as_none_rather_than_failing(template: str) -> None:
    values = {"item": {"name": "credit"}, "data": {"groups": ["a"]}, "actual": None}
    assert render(template, values) == "not set"


def test_placeholders_reach_no_python_object() -> None:
    # No attribute access: `.__class__` is a key looked up in a mapping, never getattr.
    values = {"item": {"name": "credit"}, "system": "loans"}
    assert render("{item.__class__}", values) == "not set"
    assert render("{system.__class__.__name__}", values) == "not set"
    assert render("{system.upper}", values) == "not set"
    # A format spec or an index is not a placeholder, so nothing is formatted with it.
    assert render("{item!r}", values) == "{item!r}"
    assert render("{item[0]}", values) == "{item[0]}"


def test_placeholders_lists_root_and_keys() -> None:
    assert placeholders("{item.name} in {source.path}, {{not}} {actual}") == [
        ("item", ["name"]),
        ("source", ["path"]),
        ("actual", []),
    ]


# -- check_template: what a pack is refused for --------------------------------------------------


def check(template: str, *, has_item: bool = True, has_max_age: bool = True) -> list[str]:
    return check_template(
        template, params={"min_share": 0.5}, has_item=has_item, has_max_age=has_max_age
    )


@pytest.mark.parametrize(
    "template",
    [
        "item {item.name} has {actual}, below {param.min_share} in {source.path}",
        "{{ literal braces }} are fine",
        "{age} old, at most {max_age}; {kind} at {expected_at}; {evidence.subject} {data.x}",
        "{system.name} {value} {path}",
    ],
)
def test_a_good_template_has_no_problem(template: str) -> None:
    assert check(template) == []


@pytest.mark.parametrize(
    ("template", "options", "problem"),
    [
        ("{nope}", {}, "unknown placeholder '{nope}'; known: actual, age, data,"),
        ("{item.name}", {"has_item": False}, "'{item...}' needs for_each on the rule"),
        ("{param}", {}, "'{param}' needs a name: {param.NAME}"),
        ("{param.max_share}", {}, "'{param.max_share}': the pack has no parameter 'max_share'"),
        ("{age}", {"has_max_age": False}, "'{age}' needs max_age on the rule"),
        ("{max_age}", {"has_max_age": False}, "'{max_age}' needs max_age on the rule"),
        ("{source}", {}, "'{source}' needs a field, e.g. {source.path}"),
        ("{evidence}", {}, "'{evidence}' needs a field, e.g. "),
        ("a { b", {}, "unbalanced or malformed '{...}' (write {{ or }} for a literal brace)"),
        ("a } b", {}, "unbalanced or malformed"),
        ("{Item.name}", {}, "unbalanced or malformed"),
        ("{actual:>10}", {}, "unbalanced or malformed"),
    ],
)
def test_a_bad_template_is_named_with_its_problem(
    template: str, options: dict[str, bool], problem: str
) -> None:
    problems = check(template, **options)
    assert len(problems) == 1, problems
    assert problems[0].startswith(problem)


def test_the_field_suggested_for_a_bare_evidence_placeholder_renders() -> None:
    (problem,) = check("{evidence}")
    suggested = problem.rsplit("e.g. ", 1)[1]
    assert not check(suggested)
    # What a finding's values hold for the evidence placeholder: its kind and subject.
    evidence = {"kind": "oversight_config", "subject": "governance/oversight.yaml"}
    assert render(suggested, {"evidence": evidence}) == "oversight_config"


@pytest.mark.parametrize("template", ["{evidence.path}", "{source.name}"])
def test_a_field_the_evidence_never_has_is_refused_at_load(template: str) -> None:
    (problem,) = check(template)
    assert "is never filled" in problem


def test_every_problem_of_a_template_is_reported() -> None:
    problems = check("{nope} {param.x} {item.name}", has_item=False)
    assert len(problems) == 3


def test_every_known_root_is_documented_for_pack_authors() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "policies.md").read_text("utf-8")
    for root in ROOTS:
        assert f"{{{root}" in docs, f"{{{root}}} is not documented in docs/policies.md"


# -- through a pack: refused at load, rendered per finding ---------------------------------------

PACK = """\
pack: p
version: 1.0.0
title: Messages
params:
  min_share: {{default: 0.5, description: lowest share}}
evidence_kinds:
  k: {{collector: config, paths: [k.yaml]}}
requirements:
  - {{id: R-1, title: r, source: {{framework: T, ref: "1"}}}}
controls:
  - {{id: C-1, title: c, satisfies: [R-1]}}
rules:
  - id: C-1.share
    control: C-1
    severity: high
    evidence: k
    for_each: groups
    assert: {{path: share, op: ge, value: {{param: min_share}}}}
    message: "{message}"
    remediation: "raise {{item.name}}'s share in {{source.path}} to {{param.min_share}}"
"""


def test_a_pack_with_an_unresolvable_placeholder_is_refused_naming_it(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult]
) -> None:
    repo = make_repo(
        {
            "govgate.yaml": "system: {name: m, risk: high}\npacks: [./p]\n",
            "p/pack.yaml": PACK.format(message="group {item.name} is below {param.max_share}"),
            "k.yaml": "groups: [{name: a, share: 0.1}]\n",
        }
    )
    done = run_cli("check", repo.path, "--no-locker", "--format", "json")
    assert done.exit_code == 2
    assert "p/pack.yaml" in done.stderr
    assert "the pack has no parameter 'max_share'" in done.stderr


def test_messages_are_rendered_per_finding(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult]
) -> None:
    repo = make_repo(
        {
            "govgate.yaml": "system: {name: m, risk: high}\npacks: [./p]\n",
            "p/pack.yaml": PACK.format(
                message="group {item.name} ({item.region}) has share {actual}, below {value}"
            ),
            "k.yaml": "groups:\n  - {name: a, share: 0.1}\n  - {name: b, share: 0.9}\n",
        }
    )
    done = run_cli("check", repo.path, "--no-locker", "--format", "json")
    assert done.exit_code == 1, done.output
    findings = {f["item"]: f for f in json.loads(done.stdout)["findings"]}
    assert findings["a"]["status"] == "fail"
    # A field the item lacks renders as "not set"; the actual and expected values are filled in.
    assert findings["a"]["message"] == "group a (not set) has share 0.1, below 0.5"
    assert findings["a"]["remediation"] == "raise a's share in k.yaml to 0.5"
    assert findings["b"]["status"] == "pass"


def test_failed_names_every_failing_condition_at_once(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult]
) -> None:
    pack = PACK.format(message="fields below the share: {failed}").replace(
        "assert: {path: share, op: ge, value: {param: min_share}}",
        "assert: {all: [{path: coverage.owner, op: ge, value: 0.9}, "
        '{path: coverage.model, op: ge, value: 0.9}, {path: coverage."review.by", op: ge, '
        "value: 0.9}]}",
    )
    repo = make_repo(
        {
            "govgate.yaml": "system: {name: m, risk: high}\npacks: [./p]\n",
            "p/pack.yaml": pack,
            "k.yaml": "groups:\n  - {name: a, coverage: {owner: 0.5, model: 1.0}}\n",
        }
    )
    done = run_cli("check", repo.path, "--no-locker", "--format", "json")
    [finding] = json.loads(done.stdout)["findings"]
    # Both missing fields at once, not one per run; the prefix they share is the context.
    assert finding["message"] == "fields below the share: owner (0.5), review.by (not set)"


def test_a_missing_field_keeps_what_was_expected(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult]
) -> None:
    repo = make_repo(
        {
            "govgate.yaml": "system: {name: m, risk: high}\npacks: [./p]\n",
            "p/pack.yaml": PACK.format(message="{path} is {actual}; expected {value}"),
            "k.yaml": "groups:\n  - {name: a}\n",
        }
    )
    done = run_cli("check", repo.path, "--no-locker", "--format", "json")
    [finding] = json.loads(done.stdout)["findings"]
    assert finding["message"] == "share is not set; expected 0.5"


@pytest.mark.parametrize(
    ("content", "status", "message", "remediation"),
    [
        (
            "other: 1\n",
            "fail",
            "k.yaml has no groups",
            "add groups to k.yaml (`govgate explain C-1.share`)",
        ),
        ("groups: []\n", "not_applicable", "not applicable: k.yaml lists no groups", None),
    ],
)
def test_a_missing_or_empty_selection_is_said_in_the_files_terms(
    make_repo: Callable[..., RepoBuilder],
    run_cli: Callable[..., CliResult],
    content: str,
    status: str,
    message: str,
    remediation: str | None,
) -> None:
    repo = make_repo(
        {
            "govgate.yaml": "system: {name: m, risk: high}\npacks: [./p]\n",
            "p/pack.yaml": PACK.format(message="group {item.name} is low"),
            "k.yaml": content,
        }
    )
    done = run_cli("check", repo.path, "--no-locker", "--format", "json")
    [finding] = json.loads(done.stdout)["findings"]
    assert (finding["status"], finding["message"]) == (status, message)
    assert finding["remediation"] == remediation


def test_an_empty_value_reads_as_empty() -> None:
    assert render("controller.name is {actual}", {"actual": ""}) == "controller.name is empty"
