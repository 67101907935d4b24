"""The collector cache on the hook path: what a warm run imports, and that output served from
the cache is exactly what checking it again would give."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conftest import RepoBuilder

#: Never on the warm pre-commit path (the commit hook pays for every import): 30-100 ms each.
HEAVY = (
    "jsonschema",
    "duckdb",
    "git",
    "networkx",
    "weasyprint",
    "jinja2",
    "phonenumbers",  # masking loads these only when a candidate number turns up
    "stdnum",
)

WRAPPER = """\
import json, sys
from govgate.cli.main import main
sys.argv = ["govgate", *sys.argv[1:]]
try:
    main()
except SystemExit as exit:
    heavy = sorted(m for m in {heavy!r} if m in sys.modules)
    sys.stdout.write(json.dumps({{"exit": exit.code, "heavy": heavy}}))
"""


def hook_run(repo: Path) -> dict[str, Any]:
    """`govgate check -q` in a fresh interpreter: its exit code and the heavy modules loaded."""
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER.format(heavy=HEAVY), "check", str(repo), "-q"],
        capture_output=True,
        text=True,
        env={**os.environ, "GOVGATE_DISABLE_PLUGIN_AUTOLOAD": "1"},
        timeout=300,
    )
    assert done.stdout, done.stderr
    outcome = dict(json.loads(done.stdout))
    assert outcome["exit"] in (0, 1), done.stderr[-3000:]
    return outcome


def test_the_warm_hook_path_imports_none_of_the_heavy_modules(
    example_repo: Callable[[str], Path], run_cli: Callable[..., Any]
) -> None:
    repo = example_repo("loan-approval")
    cold = hook_run(repo)
    assert cold["exit"] == 1  # the example is not compliant yet
    assert {"jsonschema", "duckdb"} <= set(cold["heavy"])  # collecting needs them
    assert "git" not in cold["heavy"]  # git is run as `git`, never through GitPython
    hook_run(repo)  # the second run marks govgate.yaml and the waivers as validated
    statuses = json.loads(run_cli("check", repo, "--format", "json").stdout)["collectors"]
    assert {c["status"] for c in statuses} == {"cached"}, statuses
    warm = hook_run(repo)
    assert warm == {"exit": 1, "heavy": []}


PACK = """\
pack: shaped
version: 1.0.0
title: Shaped evidence
evidence_kinds:
  model_metrics:
    collector: config
    paths: [metrics.yaml]
    schema:
      type: object
      required: [accuracy]
requirements:
  - {id: S-1, title: Accuracy is known, source: {framework: Test, ref: "1"}}
controls:
  - {id: SC-1, title: Accuracy is measured, satisfies: [S-1]}
rules:
  - id: SC-1.accuracy
    control: SC-1
    severity: high
    evidence: model_metrics
    assert: {path: accuracy, op: ge, value: 0.8}
    message: "accuracy is {actual}"
    remediation: improve the model
"""


def test_cached_evidence_is_checked_again_when_the_schema_it_passed_changes(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any]
) -> None:
    repo = make_repo(
        {
            "govgate.yaml": "system: {name: s, risk: high}\npacks: [./packs/shaped]\n",
            "packs/shaped/pack.yaml": PACK,
            "metrics.yaml": "accuracy: 0.9\n",
        }
    )

    def run() -> tuple[str, str, str]:
        result = json.loads(run_cli("check", repo.path, "--format", "json").stdout)
        [finding] = result["findings"]
        # (the git collector runs too: a recorded run keeps its sign-off record)
        [collector] = [c for c in result["collectors"] if c["name"] == "config"]
        return collector["status"], finding["status"], finding["message"]

    assert run()[:2] == ("ok", "pass")
    assert run()[:2] == ("cached", "pass")
    stricter = PACK.replace("required: [accuracy]", "required: [accuracy, dataset]")
    repo.write({"packs/shaped/pack.yaml": stricter})
    status, finding_status, message = run()
    assert (status, finding_status) == ("ok", "fail")
    assert "does not match the expected format: $: 'dataset' is a required property" in message
    assert run()[1:] == (finding_status, message)  # served from the cache: the same verdict
    assert run()[0] == "cached"


def test_a_missing_file_with_a_near_name_is_named_in_the_finding(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any]
) -> None:
    repo = make_repo(
        {
            "govgate.yaml": "system: {name: s, risk: high}\npacks: [./packs/shaped]\n",
            "packs/shaped/pack.yaml": PACK,
            "Metrics.yaml": "accuracy: 0.9\n",  # the letter case of a name is not a spelling
        }
    )
    result = json.loads(run_cli("check", repo.path, "--format", "json").stdout)
    [finding] = result["findings"]
    assert finding["status"] == "fail"
    assert finding["message"] == (
        "missing evidence: no model_metrics found at metrics.yaml; found Metrics.yaml — "
        "rename it, or set evidence.model_metrics: Metrics.yaml in govgate.yaml "
        "(collector 'config')"
    )
    # The same name with another extension spelling is the file itself.
    (repo.path / "Metrics.yaml").rename(repo.path / "metrics.YML")
    result = json.loads(run_cli("check", repo.path, "--format", "json").stdout)
    [finding] = result["findings"]
    assert (finding["status"], finding["location"]["path"]) == ("pass", "metrics.YML")
