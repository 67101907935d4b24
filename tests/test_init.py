"""`govgate init`: from an empty repository to a precise list of what is missing, and from filled
templates to a passing gate; never overwriting anything."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from conftest import RepoBuilder

SPONSOR = "Maria Garcia"


def _findings(payload: str) -> dict[str, list[dict[str, Any]]]:
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for finding in json.loads(payload)["findings"]:
        by_rule.setdefault(finding["rule"], []).append(finding)
    return by_rule


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def test_init_then_check_lists_precisely_what_is_missing(make_repo, run_cli) -> None:
    repo = make_repo(commit=False)
    name = repo.path.name

    init = run_cli("init", repo.path)

    assert init.exit_code == 0, init.output
    assert f"govgate init: {name} (risk: high)" in init.stderr
    assert "packs: readiness, human-oversight, audit-trail, gdpr, eu-ai-act" in init.stderr
    for created in (
        "govgate.yaml",
        f"governance/dpia/{name}.md",
        "governance/raci.yaml",
        "governance/oversight.yaml",
        "governance/retention.yaml",
        "governance/lifecycle.yaml",
        "governance/budget.yaml",
        "governance/success_metrics.yaml",
        "governance/attestations/executive-sponsor.yaml",
    ):
        assert (repo.path / created).is_file(), created
        assert f"  {created}" in init.stderr
    assert "next steps:" in init.stderr
    assert "logs/decisions/*.jsonl" in init.stderr  # evidence no template can stand in for
    config = yaml.safe_load((repo.path / "govgate.yaml").read_text())
    assert config["system"] == {
        "name": name,
        "description": "",
        "risk": "high",
        "role": "provider_and_deployer",
    }

    check = run_cli("check", repo.path, "--no-locker", "--format", "json")

    assert check.exit_code == 1, check.stderr
    result = json.loads(check.stdout)
    findings = _findings(check.stdout)
    assert result["readiness"]["score"] == 0
    assert result["readiness"]["band"] == "a science experiment"
    [oversight] = findings["HO-1.config-present"]
    assert oversight["status"] == "fail"
    assert oversight["message"] == "governance/oversight.yaml lists no decision_types"
    functions = {f["item"]: f for f in findings["RD-07.functions-covered"]}
    assert set(functions) == {
        "engineering",
        "data",
        "legal_privacy",
        "security",
        "business",
        "operations",
    }
    assert functions["legal_privacy"]["status"] == "fail"
    assert functions["legal_privacy"]["message"] == (
        "the RACI governance/raci.yaml names no role for the legal_privacy function"
    )
    [sponsor] = findings["RD-06.sponsor-named"]
    assert sponsor["status"] == "fail"
    assert "missing required field 'who'" in sponsor["message"]
    assert sponsor["location"]["path"] == "governance/attestations/executive-sponsor.yaml"
    [dpia] = findings["RD-09.dpia-documented"]
    assert dpia["status"] == "fail"
    assert dpia["message"] == (
        f"governance/dpia/{name}.md: the DPIA is incomplete (front_matter.owner is <none>)"
    )
    [logs] = findings["AT-1.records-present"]
    assert logs["status"] == "fail"
    assert logs["message"].startswith("no usable decision record in the decision logs")
    [guarded] = findings["RD-02.model-call-guarded"]
    assert guarded["message"] == (
        "config/service.yaml: model calls are not guarded (model.timeout_ms is '0')"
    )
    [load] = findings["RD-05.load-tested"]
    assert load["status"] == "fail"
    assert load["message"].startswith("missing evidence:")
    # Placeholders never pass: nothing of the readiness criteria is met by the templates.
    passed = [
        f["rule"]
        for items in findings.values()
        for f in items
        if f["status"] == "pass" and f["pack"] in ("readiness", "human-oversight")
    ]
    assert passed == []


def test_init_twice_changes_nothing(make_repo, run_cli) -> None:
    repo = make_repo(commit=False)
    first = run_cli("init", repo.path, "--risk", "limited", "--pack", "readiness")
    assert first.exit_code == 0, first.output
    before = _snapshot(repo.path)

    second = run_cli("init", repo.path)

    assert second.exit_code == 0, second.output
    assert "created nothing: every file is already there" in second.stderr
    assert "govgate.yaml: exists (its system and packs were used)" in second.stderr
    assert "governance/raci.yaml: exists" in second.stderr
    assert "(risk: limited)" in second.stderr  # read back from govgate.yaml
    assert _snapshot(repo.path) == before


def test_init_keeps_existing_files_and_evidence(make_repo, run_cli) -> None:
    own_raci = "functions: {engineering: Platform Team}\nactivities: []\n"
    repo = make_repo(
        {
            "governance/raci.yaml": own_raci,
            "governance/dpia/credit-scoring.md": "# DPIA written by hand\n",
        }
    )

    result = run_cli("init", repo.path, "--pack", "readiness", "--name", "Loan Desk")

    assert result.exit_code == 0, result.output
    assert (repo.path / "governance/raci.yaml").read_text() == own_raci
    assert "governance/raci.yaml: exists" in result.stderr
    # An existing DPIA is the evidence: no second, empty one next to it.
    assert not (repo.path / "governance/dpia/loan-desk.md").exists()
    assert (
        "governance/dpia/loan-desk.md: governance/dpia/credit-scoring.md already provides dpia"
        in result.stderr
    )
    assert yaml.safe_load((repo.path / "govgate.yaml").read_text())["system"]["name"] == (
        "Loan Desk"
    )


def test_init_creates_the_folder_and_refuses_an_unknown_pack(tmp_path, run_cli) -> None:
    target = tmp_path / "new-system"

    bad = run_cli("init", target, "--pack", "readines")

    assert bad.exit_code == 2
    assert "--pack readines: no such pack; did you mean 'readiness'?" in bad.stderr
    assert not target.exists()

    good = run_cli("init", target, "--risk", "minimal", "--pack", "audit-trail")

    assert good.exit_code == 0, good.output
    config = yaml.safe_load((target / "govgate.yaml").read_text())
    assert config["system"]["name"] == "new-system"
    assert config["system"]["risk"] == "minimal"
    assert config["packs"] == ["audit-trail"]


def test_every_template_matches_its_kind_schema(tmp_path, run_cli) -> None:
    """Placeholders must fail rules, not schemas: a schema error would hide what is missing."""
    from govgate.loader import load_policy_set
    from govgate.run import get_registry

    registry = get_registry()
    target = tmp_path / "all"
    result = run_cli("init", target, *[a for p in sorted(registry.packs) for a in ("-P", p)])
    assert result.exit_code == 0, result.output
    policy_set = load_policy_set(registry, None, sorted(registry.packs), now=datetime.now(UTC))
    checked = 0
    for kind in policy_set.kinds.values():
        if kind.collector != "config" or not kind.paths or kind.schema is None:
            continue
        files = [p for p in target.rglob("*") if p.is_file()]
        from govgate.collector import glob_to_regex

        regex = glob_to_regex(kind.paths[0])
        matching = [p for p in files if regex.match(p.relative_to(target).as_posix())]
        if not matching:
            continue  # no rule of any pack reads this kind
        [path] = matching
        text = path.read_text()
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        jsonschema.validate(data, kind.schema)
        assert "TODO" in text, f"{path} has no TODO marker"
        checked += 1
    assert checked >= 10


# -- filling the templates ----------------------------------------------------------------------


def _write_yaml(path: Path, data: Any) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def _fill_yaml(path: Path, values: dict[str, Any]) -> None:
    """Replace the template's placeholders, keeping its structure (as a person would)."""
    data = yaml.safe_load(path.read_text()) or {}
    assert isinstance(data, dict), path
    data.update(values)
    _write_yaml(path, data)


def _decision_log(now: datetime) -> str:
    """Twenty reviewed credit decisions of the last days, A.0 fields, with a prev_hash chain."""
    lines: list[str] = []
    previous = None
    for index in range(20):
        moment = now - timedelta(days=20 - index, hours=3)
        record = {
            "decision_id": f"00000000-0000-4000-8000-{index:012d}",
            "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "system_id": "credit",
            "model_name": "scorecard",
            "model_version": "1.0.0",
            "decision_type": "credit_decision",
            "risk_tier": "high",
            "input_hash": hashlib.sha256(f"input-{index}".encode()).hexdigest(),
            "output": "approve" if index % 3 else "decline",
            "reasons": ["checking_account:little"],
            "human_review": {
                "required": True,
                "reviewer_id": "officer-01",
                "action": "override" if index == 7 else "approve",
                "timestamp": (moment + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
            "final_outcome": "approved",
            "subject_ref": f"subj-{index:04d}",
            "prev_hash": hashlib.sha256(previous.encode()).hexdigest() if previous else "0" * 64,
        }
        text = json.dumps(record, separators=(",", ":"))
        lines.append(text)
        previous = text
    return "\n".join(lines) + "\n"


def _junit(now: datetime) -> str:
    cases = []
    for category, names in {
        "resilience": ["timeout_falls_back", "retry_recovers"],
        "adversarial": ["negative_amount_refused", "huge_amount_refused"],
        "edge_case": ["youngest_applicant", "longest_duration"],
        "override": ["override_reverses_outcome"],
    }.items():
        for name in names:
            cases.append(
                f'<testcase classname="tests.test_scoring" name="test_{category}_{name}" '
                f'time="0.01"><properties><property name="category" value="{category}"/>'
                "</properties></testcase>"
            )
    stamp = (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    return (
        '<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" '
        f'tests="{len(cases)}" failures="0" errors="0" skipped="0" timestamp="{stamp}">'
        + "".join(cases)
        + "</testsuite></testsuites>\n"
    )


def _locust(now: datetime) -> tuple[str, str]:
    stats = (
        "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
        "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
        "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%\n"
        "POST,/score,30000,3,120,140.2,20,900,300,50.0,0.005,120,150,170,180,230,300,400,"
        "500,800,900,900\n"
        ",Aggregated,30000,3,120,140.2,20,900,300,50.0,0.005,120,150,170,180,230,300,400,"
        "500,800,900,900\n"
    )
    end = int((now - timedelta(days=2)).timestamp())
    history = "Timestamp,User Count,Type,Name,Requests/s,Failures/s\n" + "".join(
        f"{end - 600 + 60 * minute},50,,Aggregated,50.0,0.0\n" for minute in range(11)
    )
    return stats, history


def fill_templates(repo: RepoBuilder, name: str) -> None:
    """Give every template `init --pack readiness` wrote valid content, plus the evidence the
    system produces (decision logs, test and load reports), as a team would."""
    root = repo.path
    now = datetime.now(UTC)
    today = now.date()
    config = yaml.safe_load((root / "govgate.yaml").read_text())
    config["system"].update(
        description="Scores credit applications",
        deployed_since=(today - timedelta(days=30)).isoformat(),
        decision_types=[
            {"name": "credit_decision", "risk_tier": "high", "significant": True, "automated": True}
        ],
    )
    _write_yaml(root / "govgate.yaml", config)
    _fill_yaml(
        root / "governance/oversight.yaml",
        {
            "decision_types": [
                {
                    "name": "credit_decision",
                    "risk_tier": "high",
                    "approval_required": True,
                    "approver_role": "credit-officer",
                    "min_approvers": 1,
                    "override_allowed": True,
                    "appeal_channel": "https://bank.example/appeal",
                }
            ],
            "kill_switch": {"enabled": True, "owner": "Head of Operations", "how": "flag"},
        },
    )
    _fill_yaml(
        root / "config/service.yaml",
        {
            "model": {"timeout_ms": 800, "retries": 2, "fallback": "refer_to_human"},
            "logging": {"decisions": True, "include_inputs_hash": True, "raw_inputs": False},
        },
    )
    _fill_yaml(
        root / "governance/retention.yaml",
        {"decision_logs": {"min_days": 183, "max_days": 1825, "deletion_method": "purge job"}},
    )
    roles = ["Head of Engineering", "Head of Data", "DPO", "CISO", "Product Owner", "Ops Lead"]
    functions = ["engineering", "data", "legal_privacy", "security", "business", "operations"]
    _fill_yaml(
        root / "governance/raci.yaml",
        {
            "functions": dict(zip(functions, roles, strict=True)),
            "activities": [
                {"name": "release a model", "responsible": [roles[0]], "accountable": [roles[4]]},
                {
                    "name": "review decisions",
                    "responsible": ["officers"],
                    "accountable": [roles[5]],
                },
            ],
        },
    )
    _fill_yaml(
        root / "governance/success_metrics.yaml",
        {"metrics": [{"name": "time to decision", "baseline": 52, "target": 8, "owner": roles[5]}]},
    )
    _fill_yaml(
        root / "governance/lifecycle.yaml",
        {
            "owner": "Head of Model Risk",
            "retraining": {"cadence": "quarterly", "triggers": ["drift above 0.2"]},
            "monitoring": {"drift_threshold": 0.2, "metrics": ["auc"], "per_group": True},
            "retirement": {"criteria": ["AUC below 0.65"], "data_deletion": "after 90 days"},
        },
    )
    _fill_yaml(
        root / "governance/budget.yaml",
        {
            "owner": "Product Owner",
            "approved_by": "CFO",
            "approved_on": today.isoformat(),
            "monthly": {"infrastructure": 1200, "inference": 300},
        },
    )
    _fill_yaml(
        root / "governance/obligations.yaml",
        {"obligations": [{"law": "GDPR", "applies": True, "rationale": "EU", "owner": "DPO"}]},
    )
    _fill_yaml(
        root / "governance/ropa.yaml",
        {"activities": [{"name": "credit scoring", "lawful_basis": "contract"}]},
    )
    evaluation = json.loads((root / f"reports/eval/{name}.json").read_text())
    evaluation.pop("TODO")
    evaluation.update(
        date=(today - timedelta(days=5)).isoformat(),
        dataset={
            "name": "applications",
            "source": "production_like",
            "rows": 5000,
            "time_range": [(today - timedelta(days=90)).isoformat(), today.isoformat()],
        },
        drift={"score_psi": 0.04},
    )
    (root / f"reports/eval/{name}.json").write_text(json.dumps(evaluation), encoding="utf-8")
    dpia = root / f"governance/dpia/{name}.md"
    text = dpia.read_text()
    for key, value in {
        "owner": "Data Protection Officer",
        "approved_by": "Head of Lending",
        "approval_date": today.isoformat(),
        "next_review": (today + timedelta(days=300)).isoformat(),
        "dpo_consulted": "true",
    }.items():
        text = re.sub(rf"^{key}:.*$", f"{key}: {value}", text, count=1, flags=re.M)
    text = text.replace("<!--", "").replace("-->", "")  # the headings become real sections
    dpia.write_text(text, encoding="utf-8")
    (root / "logs/decisions").mkdir(parents=True)
    (root / "logs/decisions/credit.jsonl").write_text(_decision_log(now), encoding="utf-8")
    (root / "reports/tests").mkdir(parents=True)
    (root / "reports/tests/junit.xml").write_text(_junit(now), encoding="utf-8")
    stats, history = _locust(now)
    (root / "reports/load").mkdir(parents=True)
    (root / "reports/load/peak_stats.csv").write_text(stats, encoding="utf-8")
    (root / "reports/load/peak_stats_history.csv").write_text(history, encoding="utf-8")
    sponsor = root / "governance/attestations/executive-sponsor.yaml"
    _fill_yaml(
        sponsor,
        {
            "who": SPONSOR,
            "role": "Chief Risk Officer",
            "date": (today - timedelta(days=3)).isoformat(),
            "expires": (today + timedelta(days=300)).isoformat(),
            "budget_authority": True,
        },
    )


def test_filled_templates_pass_the_gate(make_repo, run_cli) -> None:
    repo = make_repo(commit=False)
    name = repo.path.name
    assert run_cli("init", repo.path, "--pack", "readiness").exit_code == 0
    fill_templates(repo, name)
    sponsor = "governance/attestations/executive-sponsor.yaml"
    repo.git("add", "-A", ":!" + sponsor)
    repo.git("commit", "-q", "-m", "governance")
    repo.git("add", sponsor)
    repo.commit(  # the sponsor commits her own statement
        "sponsor attestation",
        env={"GIT_AUTHOR_NAME": SPONSOR, "GIT_AUTHOR_EMAIL": "m.garcia@bank.example"},
    )

    check = run_cli("check", repo.path, "--no-locker", "--format", "json")

    result = json.loads(check.stdout)
    problems = [
        (f["rule"], f["item"], f["message"])
        for f in result["findings"]
        if f["status"] not in ("pass", "not_applicable")
    ]
    assert problems == []
    assert check.exit_code == 0, check.stderr
    assert result["gate"] == "pass"
    assert result["readiness"]["score"] == 12
    assert result["readiness"]["band"] == "production-ready"
    statuses = {r["id"]: r["status"] for r in result["requirements"]}
    assert statuses["READY-04"] == "met"  # answered by human-oversight's controls
    assert statuses["READY-03"] == "met"  # and audit-trail's


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("governance/dpia/*.md", "governance/dpia/loan-desk.md"),
        ("governance/runbooks/incident*.md", "governance/runbooks/incident.md"),
        ("reports/eval/*.json", "reports/eval/loan-desk.json"),
        ("docs/**/guide.md", "docs/guide.md"),
        ("config/service.yaml", "config/service.yaml"),
    ],
)
def test_concrete_path_of_a_kinds_glob(pattern: str, expected: str) -> None:
    from govgate.init import concrete_path

    assert concrete_path(pattern, "Loan Desk") == expected
