"""docs/ci.md: its CI examples are valid YAML, use only options `govgate check --help` lists,
and their scripts work when run as CI would run them, on a real pull-request clone."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from govgate.run.check import get_registry

from conftest import REPO_ROOT, RepoBuilder, git

DOC = REPO_ROOT / "docs" / "ci.md"
PACK = """\
pack: ci
version: 1.0.0
title: CI example pack
evidence_kinds:
  gate_list:
    collector: config
    paths: [gates.yaml]
requirements:
  - {id: C-1, title: Gates are on, source: {framework: Test, ref: "1"}}
controls:
  - {id: CG-1, title: Every gate is enabled, satisfies: [C-1]}
rules:
  - id: CG-1.enabled
    control: CG-1
    severity: high
    evidence: gate_list
    for_each: gates
    assert: {path: enabled, op: eq, value: true}
    message: "gate {item.name} is disabled"
    remediation: "enable {item.name} in {source.path}"
"""


def yaml_blocks() -> list[Any]:
    text = DOC.read_text(encoding="utf-8")
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", text, re.S)]


def github_workflow() -> dict[str, Any]:
    [workflow] = [b for b in yaml_blocks() if isinstance(b, dict) and "jobs" in b]
    return workflow


def gitlab_job() -> dict[str, Any]:
    [config] = [b for b in yaml_blocks() if isinstance(b, dict) and "govgate" in b]
    return dict(config["govgate"])


def shell_snippets() -> list[str]:
    """Every shell script of the page (GitHub `run:` steps, GitLab `script:`, sh blocks)."""
    snippets = [s["run"] for s in github_workflow()["jobs"]["govgate"]["steps"] if "run" in s]
    snippets += [str(item) for item in gitlab_job()["script"]]
    snippets += re.findall(r"```sh\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    return snippets


def govgate_invocations() -> list[list[str]]:
    """Each `govgate ...` command line of the examples, split as the shell splits it."""
    found = []
    for snippet in shell_snippets():
        joined = snippet.replace("\\\n", " ")
        for line in joined.splitlines():
            line = re.sub(r"\$\{\{[^}]*\}\}", "X", line).split("||")[0]
            if re.match(r"\s*(pip|python3?|cat|gh|test|echo|set|if|else|fi|mkdir|git) ", line):
                continue
            words = shlex.split(line)
            if words[:1] == ["govgate"]:
                found.append(words)
    return found


def test_every_yaml_block_parses_and_the_workflows_have_their_parts() -> None:
    blocks = yaml_blocks()
    assert len(blocks) == 4  # the pre-commit config, the waiver file, the workflows
    [pre_commit] = [b for b in blocks if isinstance(b, dict) and "repos" in b]
    manifest = yaml.safe_load((DOC.parent.parent / ".pre-commit-hooks.yaml").read_text())
    published = {hook["id"] for hook in manifest}
    [repo] = pre_commit["repos"]
    assert {hook["id"] for hook in repo["hooks"]} <= published
    assert re.fullmatch(r"[0-9a-f]{40}", str(repo["rev"]))  # a commit: there are no tags
    workflow = github_workflow()
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads `on` as true
    assert "pull_request" in triggers
    assert workflow["permissions"]["security-events"] == "write"
    steps = workflow["jobs"]["govgate"]["steps"]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/"))
    assert upload["uses"] == "github/codeql-action/upload-sarif@v3"
    assert upload["with"]["sarif_file"] == "govgate-out/govgate.sarif"
    check = next(s for s in steps if s.get("id") == "govgate")
    assert check["env"]["BASE_REF"] == "${{ github.base_ref }}"
    assert '--base "origin/$BASE_REF"' in check["run"]
    comment = next(s for s in steps if "gh pr comment" in s.get("run", ""))
    assert "--body-file govgate-out/govgate.md" in comment["run"]
    # a fork's read-only token fails the comment; the job must not stop there
    assert comment["continue-on-error"] is True
    job = gitlab_job()
    assert job["variables"]["GIT_DEPTH"] == "0"
    assert job["artifacts"]["reports"] == {
        "junit": "govgate-out/govgate.junit.xml",
        "codequality": "govgate-out/gl-code-quality.json",
    }


def test_the_recipes_install_a_pinned_commit_not_a_pypi_name() -> None:
    # govgate has no PyPI release: `pip install govgate` installs whoever claims the name
    installs = [s for s in shell_snippets() if "pip install" in s]
    assert len(installs) == 2  # GitHub's install step, GitLab's script
    for line in installs:
        assert 'pip install "git+https://github.com/govgate/govgate@<full commit sha>"' in line


def test_every_option_the_examples_use_is_listed_by_check_help(
    run_cli: Callable[..., Any],
) -> None:
    invocations = govgate_invocations()
    assert len(invocations) == 4  # GitHub: pull request and push; GitLab; the doc's own
    help_text = run_cli("check", "--help").stdout
    listed = set(re.findall(r"(--[a-z][a-z-]+)", help_text))
    reporters = get_registry().reporters
    for words in invocations:
        assert words[1] == "check", words
        options = [w.split("=")[0] for w in words[2:] if w.startswith("--")]
        assert options and set(options) <= listed, set(options) - listed
        formats = words[words.index("--format") + 1].split(",")
        assert set(formats) <= set(reporters), formats
        assert words[words.index("--output-dir") + 1] == "govgate-out"
    # every report file a later step reads is one govgate writes under that fixed name
    written = {f"govgate-out/{r.filename}" for r in reporters.values()}
    read = set(re.findall(r"govgate-out/govgate[\w.]*", "\n".join(shell_snippets())))
    read |= {
        s["with"]["sarif_file"]
        for s in github_workflow()["jobs"]["govgate"]["steps"]
        if "sarif_file" in s.get("with", {})
    }
    assert read and read <= written, read - written


@pytest.fixture
def pull_request_clone(make_repo: Callable[..., RepoBuilder], tmp_path: Path) -> Path:
    """A clone whose `origin/main` has one disabled gate and whose branch adds another."""
    upstream = make_repo(
        {
            "govgate.yaml": "system: {name: ci-demo, risk: high}\npacks: [./packs/ci]\n",
            "packs/ci/pack.yaml": PACK,
            "gates.yaml": "gates:\n  - {name: old, enabled: false}\n",
        }
    )
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", str(upstream.path), str(clone)], check=True, capture_output=True
    )
    git(clone, "checkout", "-q", "-b", "feature")
    (clone / "gates.yaml").write_text(
        "gates:\n  - {name: old, enabled: false}\n  - {name: new, enabled: false}\n"
    )
    git(clone, "commit", "-qam", "add a gate")
    return clone


def run_script(script: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": path, **env},
        timeout=300,
    )


@pytest.mark.slow
def test_the_github_steps_run_and_fail_the_job_exactly_when_the_gate_fails(
    pull_request_clone: Path, tmp_path: Path
) -> None:
    steps = {s.get("name"): s for s in github_workflow()["jobs"]["govgate"]["steps"]}
    outputs, summary = tmp_path / "github_output", tmp_path / "summary.md"
    check = steps["govgate check"]["run"].replace("${{ github.event_name }}", "pull_request")
    done = run_script(check, pull_request_clone, BASE_REF="main", GITHUB_OUTPUT=str(outputs))
    assert done.returncode == 0, done.stderr  # the step records the exit code, later steps run
    assert outputs.read_text() == "exit=1\n"
    assert "gate new is disabled" in done.stderr
    report = pull_request_clone / "govgate-out"
    result = json.loads((report / "govgate.json").read_text())
    assert result["changes"]["base"] == "origin/main"
    assert result["changes"]["policies_from"] == "origin/main"
    assert [f["item"] for f in result["findings"] if f["new"]] == ["new"]
    annotate = run_script(steps["Annotate the changed files"]["run"], pull_request_clone)
    assert annotate.stdout.startswith("::")
    run_script(steps["Summary"]["run"], pull_request_clone, GITHUB_STEP_SUMMARY=str(summary))
    assert "govgate: gate failed" in summary.read_text()
    gate = steps["Gate"]["run"].replace("${{ steps.govgate.outputs.exit }}", "1")
    assert run_script(gate, pull_request_clone).returncode == 1


@pytest.mark.slow
def test_the_gitlab_script_writes_junit_and_a_code_quality_report(
    pull_request_clone: Path,
) -> None:
    script = [str(s) for s in gitlab_job()["script"] if not str(s).startswith("pip install")]
    # the merge request commits a forged exit file and stale reports: none may be read
    forged = pull_request_clone / "govgate-out"
    forged.mkdir()
    (forged / "exit").symlink_to("/dev/null")
    (forged / "gl-code-quality.json").write_text("[]")
    # and a json.py that a `python3 -` run in the checkout would import instead of the stdlib's
    (pull_request_clone / "json.py").write_text(
        "import os\nos.makedirs('govgate-out', exist_ok=True)\n"
        "open('govgate-out/gl-code-quality.json', 'w').write('[]')\nos._exit(0)\n"
    )
    git(pull_request_clone, "add", "govgate-out", "json.py")
    git(pull_request_clone, "commit", "-qm", "forge the gate's exit file")
    job = run_script(
        "\n".join(script),
        pull_request_clone,
        CI_MERGE_REQUEST_TARGET_BRANCH_NAME="main",
    )
    assert job.returncode == 1, job.stderr  # the job fails because the gate does
    report = pull_request_clone / "govgate-out"
    assert (report / "govgate.junit.xml").read_text().startswith("<?xml")
    issues = json.loads((report / "gl-code-quality.json").read_text())
    assert [(i["check_name"], i["severity"]) for i in issues] == [
        ("CG-1.enabled", "critical"),
        ("CG-1.enabled", "critical"),
    ]
    assert len({i["fingerprint"] for i in issues}) == 2
    assert {i["location"]["path"] for i in issues} == {"gates.yaml"}
    assert all(isinstance(i["location"]["lines"]["begin"], int) for i in issues)
    assert {i["description"] for i in issues} == {
        "CG-1.enabled: gate old is disabled",
        "CG-1.enabled: gate new is disabled",
    }
