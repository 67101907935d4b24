"""Result documents for the reporter tests, made by real checks on throwaway repositories.

`rich`: a test pack over files with hostile text (HTML, Markdown, control characters, CR/LF,
workflow-command look-alikes, non-ASCII, a 5,000-character name), an erroring rule, skipped
and not-applicable findings, a missing document, malformed `.env` lines (diagnostics), and
active, expired, refused and unused waivers. `loan`: the loan-approval example. `empty`: a
pack with requirements but no rules yet (no findings at all). `changes`: the rich result
edited the way `--base` marks it (new / already present, packs and waivers edited).
`many`: over 20,000 findings from a real check over 10,000 gates. The `monorepo` fixture puts
the rich repository's files in `svc/` of a larger git repository.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from govgate.run.check import CheckOptions, run_check

from conftest import RepoBuilder

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

PACK = """\
pack: t
version: 1.0.0
title: Reporter test pack
evidence_kinds:
  rt_gates:
    collector: config
    paths: [gates.yaml]
  rt_settings:
    collector: config
    paths: [settings.env]
  rt_dpia:
    collector: files
    paths: [docs/dpia*.md]
requirements:
  - {id: T-1, title: "Gates <b>bold</b> | piped", source: {framework: Test, ref: "§ 1"}}
  - {id: T-2, title: Settings, source: {framework: Test, ref: "2"}}
  - {id: T-3, title: Documents, source: {framework: Other, ref: "3"}}
  - id: T-4
    title: Only for limited-risk systems
    source: {framework: Other, ref: "4"}
    when: {path: system.risk, op: eq, value: limited}
controls:
  - {id: G-1, title: Every gate is enabled and reviewed, satisfies: [T-1]}
  - {id: G-2, title: Settings are safe, satisfies: [T-2, T-4]}
  - {id: G-3, title: A DPIA exists, satisfies: [T-3]}
rules:
  - id: G-1.listed
    control: G-1
    severity: high
    evidence: rt_gates
    assert: {path: gates, op: not_empty}
    message: "{source.path} lists no gates"
    remediation: "list the gates in {source.path}"
  - id: G-1.enabled
    control: G-1
    severity: high
    evidence: rt_gates
    depends_on: [G-1.listed]
    for_each: gates
    assert: {path: enabled, op: eq, value: true}
    message: "gate {item.name} is disabled"
    remediation: "set enabled: true for {item.name} in {source.path}"
  - id: G-1.reviewed
    control: G-1
    severity: medium
    evidence: rt_gates
    depends_on: [G-1.listed]
    for_each: gates
    assert: {path: reviewer, op: not_empty}
    message: "gate {item.name} has no reviewer"
    remediation: "name a reviewer for {item.name}"
  - id: G-1.owner-list
    control: G-1
    severity: low
    evidence: rt_gates
    for_each: owner
    assert: {path: name, op: exists}
    message: "owner has no name"
    remediation: "name the owner"
  - id: G-2.debug-off
    control: G-2
    severity: low
    evidence: rt_settings
    assert: {path: DEBUG, op: eq, value: "false"}
    message: "DEBUG is {actual} in {source.path}"
    remediation: "set DEBUG=false"
  - id: G-2.limited-only
    control: G-2
    severity: info
    evidence: rt_settings
    when: {path: system.risk, op: eq, value: limited}
    assert: {path: DEBUG, op: exists}
    message: x
    remediation: y
  - id: G-3.dpia
    control: G-3
    severity: critical
    evidence: rt_dpia
    assert: {path: count, op: ge, value: 1}
    message: "no DPIA matches {data.patterns}"
    remediation: "write docs/dpia.md"
  - id: G-3.dpia-signed
    control: G-3
    severity: high
    evidence: rt_dpia
    depends_on: [G-3.dpia]
    assert: {path: count, op: ge, value: 1}
    message: unsigned
    remediation: sign it
"""

LONG_NAME = "long-" + "x" * 5000
HOSTILE_NAMES = (
    "<script>alert('x')</script>",
    "pipe | tick ` [link](javascript:alert(1)) @org/team #12 *bold* _u_ $x$ ~~s~~",
    "ctl \x1b[31mred\x07 and \r\nnew line, 100% :: ::error::x",
)
GATES = f"""\
owner: "just a string"
gates:
  - name: alpha
    enabled: true
  - name: beta
    enabled: true
  - name: "<script>alert('x')</script>"
    enabled: false
  - name: "pipe | tick ` [link](javascript:alert(1)) @org/team #12 *bold* _u_ $x$ ~~s~~"
    enabled: false
  - name: "ctl \\e[31mred\\a and \\r\\nnew line, 100% :: ::error::x"
    enabled: false
  - name: "naïve – 日本語 🚀 ünïcödé"
    enabled: false
    reviewer: someone
  - name: {LONG_NAME}
    enabled: true
    reviewer: someone
"""

WAIVERS = """\
waivers:
  - id: W-ACTIVE
    rule: G-1.reviewed
    scope: {items: [alpha]}
    justification: "Reviewer <b>on leave</b> | back in June & then some"
    approver: "Jane Q. Officer"
    approved: 2026-05-01
    expires: 2026-08-01
  - id: W-EXPIRED
    rule: G-1.reviewed
    scope: {items: [beta]}
    justification: Temporary exception
    approver: Bob Builder
    approved: 2026-01-01
    expires: 2026-03-01
  - id: W-REFUSED
    rule: G-1.reviewed
    scope: {items: ["<script>alert('x')</script>"]}
    justification: Forever, please
    approver: Mallory
    approved: 2026-01-01
    expires: 2028-01-01
  - id: W-UNUSED
    rule: G-2.nothing
    justification: Nothing matches this
    approver: Carol
    approved: 2026-05-01
    expires: 2026-07-01
"""

EMPTY_PACK = """\
pack: e
version: 0.1.0
title: A pack with nothing to test yet
requirements:
  - {id: E-1, title: Something, source: {framework: Test, ref: "1"}}
controls:
  - {id: EC-1, title: Something control, satisfies: [E-1]}
"""


def check(path: Path, now: datetime = NOW) -> dict[str, Any]:
    outcome = run_check(CheckOptions(root=path, now=now, use_locker=False, use_cache=False))
    return outcome.result


def with_commit(result: dict[str, Any], repo: Path, builder: RepoBuilder) -> dict[str, Any]:
    # The result carries the commit when git reports it; set it from the repository so the
    # outputs that cite a commit are exercised whatever the engine finds.
    result["target"]["commit"] = builder.git("rev-parse", "HEAD").strip()
    result["target"]["branch"] = "main"
    return result


def mark_changes(result: dict[str, Any]) -> dict[str, Any]:
    """What `--base main` adds: `new` per finding and a `changes` section."""
    edited = copy.deepcopy(result)
    for finding in edited["findings"]:
        finding["new"] = finding["rule"] == "G-1.enabled" or finding["status"] == "waived"
    edited["changes"] = {
        "base": "main",
        "files": ["packs/t/pack.yaml", "governance/waivers.yaml", "gates.yaml"],
        "packs_changed": ["t"],
        "params_changed": False,
        "waivers_changed": True,
    }
    return edited


RICH_FILES = {
    "govgate.yaml": 'system: {name: "reporter <test> | x", risk: high}\npacks: [./packs/t]\n',
    "packs/t/pack.yaml": PACK,
    "gates.yaml": GATES,
    "settings.env": "DEBUG=true\nthis is not a pair\nDEBUG=true\n",
    "governance/waivers.yaml": WAIVERS,
}


def make_rich_repo(make_repo: Callable[..., RepoBuilder]) -> RepoBuilder:
    return make_repo(RICH_FILES)


@pytest.fixture
def monorepo(make_repo: Callable[..., RepoBuilder]) -> RepoBuilder:
    """A git repository whose `svc/` folder is the rich scenario's target (a monorepo)."""
    return make_repo(
        {
            "README.md": "# several services\n",
            "gates.yaml": "not the target's file\n",
            **{f"svc/{name}": content for name, content in RICH_FILES.items()},
        }
    )


@pytest.fixture
def rich_repo(make_repo: Callable[..., RepoBuilder]) -> RepoBuilder:
    """The repository behind the `rich` scenario, for tests that change it and check again."""
    return make_rich_repo(make_repo)


@pytest.fixture
def checked() -> Callable[[Path], dict[str, Any]]:
    """check(path) -> the result document of a real check at the tests' fixed time."""
    return check


@pytest.fixture
def scenario(
    make_repo: Callable[..., RepoBuilder], example_repo: Callable[[str], Path]
) -> Callable[[str], dict[str, Any]]:
    """scenario(name) -> a result document built by a real check (see the module doc)."""

    def build(name: str) -> dict[str, Any]:
        if name == "loan":
            path = example_repo("loan-approval")
            # Checked at the real time: the copy is committed now and its files dated by that
            # commit, and a date after the run's clock is an error, never evidence of freshness.
            return with_commit(check(path, datetime.now(UTC)), path, RepoBuilder(path))
        if name == "empty":
            repo = make_repo(
                {
                    "govgate.yaml": "system: {name: empty, risk: minimal}\npacks: [./packs/e]\n",
                    "packs/e/pack.yaml": EMPTY_PACK,
                }
            )
            return check(repo.path)
        if name == "many":
            gates = "gates:\n" + "".join(
                f"  - {{name: gate-{n:05d}, enabled: false}}\n" for n in range(10_000)
            )
            repo = make_repo(
                {
                    "govgate.yaml": 'system: {name: "many", risk: high}\npacks: [./packs/t]\n',
                    "packs/t/pack.yaml": PACK,
                    "gates.yaml": gates,
                }
            )
            return check(repo.path)
        repo = make_rich_repo(make_repo)
        result = with_commit(check(repo.path), repo.path, repo)
        return mark_changes(result) if name == "changes" else result

    return build


@pytest.fixture(params=["loan", "rich", "empty", "changes"])
def any_result(
    request: pytest.FixtureRequest, scenario: Callable[[str], dict[str, Any]]
) -> dict[str, Any]:
    """Each scenario in turn: every output must stay valid for all of them."""
    return scenario(request.param)
