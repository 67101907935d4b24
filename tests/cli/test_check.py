"""`govgate check` as a user meets it: exit codes, streams, formats and where they go."""

from __future__ import annotations

import json
import subprocess
from datetime import date, timedelta

import jsonschema


def test_check_example_is_mixed_and_fails_the_gate(run_cli, example_repo) -> None:
    repo = example_repo("loan-approval")
    result = run_cli("check", repo, "--no-locker", "--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    schema = json.loads(run_cli("schema", "result").stdout)
    jsonschema.validate(document, schema)
    statuses = {f["status"] for f in document["findings"]}
    assert {"pass", "fail"} <= statuses
    head = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert document["target"]["commit"] == head
    assert document["target"]["branch"] == "main"
    assert document["gate"] == "fail"
    # the fairness analysis travels with the result, and the text report shows its table
    (analysis,) = document["fairness"]
    female = next(g for g in analysis["attributes"][0]["groups"] if g["value"] == "female")
    assert female["n"] == 310
    assert f"female  {female['n']}" in result.stderr
    # human text on stderr, payload on stdout
    assert "gate: FAIL" in result.stderr
    assert "gate:" not in result.stdout


def test_output_dir_writes_every_format_with_fixed_names(run_cli, example_repo, tmp_path) -> None:
    repo = example_repo("loan-approval")
    out = tmp_path / "out"
    result = run_cli("check", repo, "--no-locker", "--format", "json,text", "--output-dir", out)
    assert result.exit_code == 1
    assert json.loads((out / "govgate.json").read_text())["schema"] == "govgate/result/v1"
    assert "gate: FAIL" in (out / "govgate.txt").read_text()
    assert not list(out.glob("*.tmp"))


def test_exit_codes_are_the_same_whatever_the_format(run_cli, example_repo, tmp_path) -> None:
    repo = example_repo("loan-approval")
    for fmt in ("text", "json"):
        assert run_cli("check", repo, "--no-locker", "--format", fmt).exit_code == 1
    # --fail-on critical: the failing finding is `high`, so the gate passes
    assert run_cli("check", repo, "--no-locker", "--fail-on", "critical").exit_code == 0
    usage = run_cli("check", repo, "--format", "json,text")
    assert usage.exit_code == 2
    assert "needs --output-dir" in usage.stderr
    unknown = run_cli("check", repo, "--format", "yaml")
    assert unknown.exit_code == 2
    assert "--format yaml: unknown format" in unknown.stderr


DEPENDENT_PACK = """\
pack: p
version: 1.0.0
title: Model card
evidence_kinds:
  card:
    collector: config
    paths: [card.yaml]
requirements:
  - {id: T-1, title: Card, source: {framework: Test, ref: "1"}}
controls:
  - {id: C-1, title: Card complete, satisfies: [T-1]}
rules:
  - id: C-1.owner
    control: C-1
    severity: medium
    evidence: card
    assert: {path: owner, op: exists}
    message: "no owner"
    remediation: "add owner"
  - id: C-1.intended-use
    control: C-1
    severity: SEVERITY
    depends_on: [C-1.owner]
    evidence: card
    assert: {path: intended_use, op: exists}
    message: "no intended use"
    remediation: "add intended_use"
"""
SELF_REPORTED_WAIVER = """\
waivers:
  - id: W-1
    rule: C-1.owner
    justification: Owner is being appointed.
    approver: 'someone@example.com'
    approved: 'APPROVED'
    expires: 'EXPIRES'
"""


def _dependent_repo(make_repo, severity: str, extra: dict[str, str] | None = None):
    return make_repo(
        {
            "govgate.yaml": "system: {name: s, risk: high}\npacks: [./packs/p]\n",
            "packs/p/pack.yaml": DEPENDENT_PACK.replace("SEVERITY", severity),
            "card.yaml": "name: m\n",
            **(extra or {}),
        }
    ).path


def test_a_critical_rule_skipped_behind_a_medium_failure_fails_the_gate(make_repo, run_cli) -> None:
    """The medium prerequisite is below fail-on; the critical rule it hides was never judged."""
    result = run_cli("check", _dependent_repo(make_repo, "critical"), "--no-locker")

    assert result.exit_code == 1
    assert "SKIP   critical C-1.intended-use" in result.stderr
    assert "skipped: prerequisite C-1.owner did not pass (fail)" in result.stderr
    assert "gate: FAIL" in result.stderr


def test_a_waiver_on_the_prerequisite_does_not_waive_its_dependents(make_repo, run_cli) -> None:
    today = date.today()
    waiver = SELF_REPORTED_WAIVER.replace("APPROVED", str(today - timedelta(days=1)))
    waiver = waiver.replace("EXPIRES", str(today + timedelta(days=30)))
    repo = _dependent_repo(make_repo, "critical", {"governance/waivers.yaml": waiver})

    result = run_cli("check", repo, "--no-locker", "--format", "json")

    document = json.loads(result.stdout)
    statuses = {f["rule"]: f["status"] for f in document["findings"]}
    assert statuses == {"C-1.owner": "waived", "C-1.intended-use": "skipped"}
    assert result.exit_code == 1 and document["gate"] == "fail"


def test_a_skipped_rule_below_fail_on_leaves_the_gate_to_the_others(make_repo, run_cli) -> None:
    result = run_cli("check", _dependent_repo(make_repo, "low"), "--no-locker")

    assert result.exit_code == 0 and "gate: PASS" in result.stderr


WHERE_PACK = """\
pack: p
version: 1.0.0
title: Models
evidence_kinds:
  models:
    collector: config
    paths: [models/*.yaml]
requirements:
  - {id: T-1, title: Risky models reviewed, source: {framework: Test, ref: "1"}}
controls:
  - {id: C-1, title: Models with risk score above 5 are reviewed, satisfies: [T-1]}
rules:
  - id: C-1.reviewed
    control: C-1
    severity: high
    evidence:
      kind: models
      where: {path: risk_score, op: gt, value: 5}
    assert: {path: reviewed, op: eq, value: true}
    message: "{source.path} is not reviewed"
    remediation: "review it"
    on_missing: not_applicable
"""


def test_an_item_where_cannot_judge_is_an_error_not_dropped(make_repo, run_cli) -> None:
    """`risk_score: "9"` is text: `gt 5` cannot judge it, and dropping the model let
    on_missing: not_applicable pass the gate."""
    repo = make_repo(
        {
            "govgate.yaml": "system: {name: s, risk: high}\npacks: [./packs/p]\n",
            "packs/p/pack.yaml": WHERE_PACK,
            "models/a.yaml": 'risk_score: "9"\nreviewed: false\n',
            "models/b.yaml": "risk_score: 7\nreviewed: true\n",
        }
    ).path

    result = run_cli("check", repo, "--no-locker", "--format", "json")

    assert result.exit_code == 1
    findings = {f["location"]["path"]: f for f in json.loads(result.stdout)["findings"]}
    assert findings["models/b.yaml"]["status"] == "pass"
    assert findings["models/a.yaml"]["status"] == "error"
    assert findings["models/a.yaml"]["message"] == (
        "cannot evaluate where on models/a.yaml: risk_score gt: cannot compare '9' with 5 using gt"
    )


def test_an_unusable_item_gets_a_fix_for_its_own_problem(make_repo, run_cli, tmp_path) -> None:
    """Outside a git repository the fix is the rule's own, not the format sentence; a file that
    does not parse is told to match its format."""
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "govgate.yaml").write_text("system: {name: s, risk: high}\npacks: [nist-ai-rmf]\n")

    findings = json.loads(run_cli("check", folder, "--no-locker", "--format", "json").stdout)
    (committed,) = [f for f in findings["findings"] if f["rule"] == "RMF-1.committed"]

    assert committed["message"] == (
        "governance files: not a git repository, so the history of governance files is unknown"
    )
    assert committed["remediation"].startswith("commit the governance files")

    repo = make_repo(
        {
            "govgate.yaml": "system: {name: s, risk: high}\npacks: [./packs/p]\n",
            "packs/p/pack.yaml": WHERE_PACK.replace(
                "      where: {path: risk_score, op: gt, value: 5}\n", ""
            ),
            "models/a.yaml": "risk_score: [9\n",
        }
    ).path
    findings = json.loads(run_cli("check", repo, "--no-locker", "--format", "json").stdout)
    (broken,) = findings["findings"]
    assert broken["remediation"] == (
        "fix models/a.yaml so it matches the documented format (`govgate explain C-1.reviewed`)"
    )


YES_NO_PACK = """\
pack: p
version: 1.0.0
title: Stop control
evidence_kinds:
  oversight:
    collector: config
    paths: [oversight.yaml]
requirements:
  - {id: T-1, title: A human can stop the system, source: {framework: Test, ref: "1"}}
controls:
  - {id: C-1, title: The kill switch is on and nobody is profiled, satisfies: [T-1]}
rules:
  - id: C-1.enabled
    control: C-1
    severity: high
    evidence: oversight
    assert: {path: kill_switch.enabled, op: eq, value: true}
    message: "the kill switch is disabled"
    remediation: "set kill_switch.enabled: true"
  - id: C-1.no-profiling
    control: C-1
    severity: high
    evidence: oversight
    assert: {path: profiling, op: ne, value: true}
    message: "the system profiles people"
    remediation: "stop profiling"
"""


def test_yes_and_no_are_text_and_a_rule_comparing_them_with_a_boolean_says_so(
    make_repo, run_cli
) -> None:
    """Read as written, `yes` is no boolean: `profiling: yes` must not pass `ne true`."""
    repo = make_repo(
        {
            "govgate.yaml": "system: {name: s, risk: high}\npacks: [./packs/p]\n",
            "packs/p/pack.yaml": YES_NO_PACK,
            "oversight.yaml": "# who can stop it\nkill_switch:\n  enabled: yes\nprofiling: yes\n",
        }
    ).path

    result = run_cli("check", repo, "--no-locker", "--format", "json")

    assert result.exit_code == 1
    findings = {f["rule"]: f for f in json.loads(result.stdout)["findings"]}
    enabled, profiling = findings["C-1.enabled"], findings["C-1.no-profiling"]
    assert (enabled["status"], profiling["status"]) == ("error", "error")
    assert enabled["message"] == (
        "cannot evaluate: kill_switch.enabled eq: 'yes' is text, not a boolean; write true"
    )
    assert enabled["location"] == {"path": "oversight.yaml", "line": 3}
    assert profiling["location"] == {"path": "oversight.yaml", "line": 4}
