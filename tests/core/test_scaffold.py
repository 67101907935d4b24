"""`govgate init`: from an empty repository to a precise list of what is missing, and from filled
templates to a passing gate; never overwriting anything."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, date, datetime, timedelta
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


def test_init_takes_an_existing_file_in_another_spelling_as_the_evidence(
    make_repo, run_cli
) -> None:
    own = "decision_types: []\n"
    repo = make_repo({"governance/oversight.yml": own})
    result = run_cli("init", repo.path, "--pack", "human-oversight", "--name", "Loan Desk")
    assert result.exit_code == 0, result.output
    assert not (repo.path / "governance/oversight.yaml").exists()
    assert (
        "governance/oversight.yaml: governance/oversight.yml already provides oversight_config"
        in result.stderr
    )
    assert (repo.path / "governance/oversight.yml").read_text() == own


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
    from govgate.core.loader import load_policy_set
    from govgate.run.check import get_registry

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
        from govgate.core.collector import glob_to_regex

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


def test_document_templates_open_with_their_front_matter(tmp_path, run_cli) -> None:
    """Front matter counts only from a document's first line: a template opening with a blank line
    would have its owner, dates and approvals ignored however well they were filled in."""
    from govgate_collectors.documents.parsed import parse_markdown

    from govgate.core.loader import load_policy_set
    from govgate.core.scaffold import _front_matter_fields, concrete_path
    from govgate.run.check import get_registry

    registry = get_registry()
    target = tmp_path / "all"
    result = run_cli("init", target, *[a for p in sorted(registry.packs) for a in ("-P", p)])
    assert result.exit_code == 0, result.output
    policy_set = load_policy_set(registry, None, sorted(registry.packs), now=datetime.now(UTC))
    checked = 0
    for kind in policy_set.kinds.values():
        fields = _front_matter_fields(kind)
        path = target / concrete_path(kind.paths[0], "all") if kind.paths else None
        if kind.collector != "documents" or not fields or path is None or not path.is_file():
            continue
        text = path.read_text()
        assert text.startswith("---\n"), path
        parsed = parse_markdown(text, str(path))
        assert parsed.front_error is None, (path, parsed.front_error)
        assert set(fields) <= set(parsed.front_matter), path
        checked += 1
    assert checked >= 6


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


# -- filling what a default init writes: every pack it enables ---------------------------------

#: Who states each attestation a default init scaffolds: (name, role, e-mail). Each commits their
#: own record, as init's next steps ask.
ATTESTERS = {
    "executive-sponsor": (SPONSOR, "Chief Risk Officer", "m.garcia@bank.example"),
    "security-test": ("Jonas Weber", "Chief Information Security Officer", "j.weber@bank.example"),
    "restore-test": ("Aiko Tanaka", "Head of IT Operations", "a.tanaka@bank.example"),
}


def _write_document(path: Path, title: str, sections: dict[str, str], **front: Any) -> None:
    """Write an init document template as its author would: the placeholders of its front matter
    get values (fields the rules read but the template lacks are added), and the body becomes the
    document, one written section under each heading."""
    text = path.read_text(encoding="utf-8")
    fields: dict[str, Any] = {}
    if text.startswith("---\n"):
        head, _, _body = text[4:].partition("\n---\n")
        fields = yaml.safe_load(head) or {}
    else:
        assert not text.lstrip().startswith("---"), f"{path}: front matter not at the top"
    fields.update(front)
    assert all(value not in (None, "") for value in fields.values()), (path, fields)
    head = yaml.safe_dump(fields, sort_keys=False) if fields else ""
    body = "".join(f"## {heading}\n\n{prose}\n\n" for heading, prose in sections.items())
    path.write_text(
        (f"---\n{head}---\n" if head else "") + f"# {title}\n\n{body}".rstrip() + "\n",
        encoding="utf-8",
    )


def _fill_documents(root: Path, name: str, today: date) -> None:
    """The governance documents of GDPR and the AI Act, written for a credit-scoring system."""
    day = today.isoformat
    _write_document(
        root / f"governance/dpia/{name}.md",
        f"Data protection impact assessment: {name}",
        {
            "1. Systematic description of the processing and its purposes": (
                f"{name} scores consumer credit applications from the application form and the "
                "credit bureau file, to decide on the loan and its limit."
            ),
            "2. Necessity and proportionality": (
                "Scoring is required to lend responsibly (Consumer Credit Directive Art. 18); only "
                "the 12 features with predictive value are used, none of them special categories."
            ),
            "3. Risks to the rights and freedoms of data subjects": (
                "Unjustified declines (likely, severe), indirect discrimination by age (possible, "
                "severe), disclosure of financial data (unlikely, severe)."
            ),
            "4. Measures to address the risks": (
                "Every decline is reviewed by a credit officer; monthly per-group monitoring; "
                "pseudonymised decision logs; encryption at rest and in transit."
            ),
        },
        owner="Data Protection Officer",
        dpo_consulted=True,
        approved_by="Head of Lending",
        approval_date=day(),
        next_review=(today + timedelta(days=300)).isoformat(),
        status="approved",
    )
    _write_document(
        root / "docs/privacy_notice.md",
        "How we use your data when you apply for credit",
        {
            "Who we are": (
                "Example Bank AG, Hauptstrasse 1, 10115 Berlin, is the controller. Our data "
                "protection officer: dpo@bank.example."
            ),
            "Purposes": "We assess your creditworthiness and decide on your application.",
            "Legal basis": (
                "Taking steps at your request before entering into a contract (Art. 6(1)(b) "
                "GDPR); fraud checks rely on our legitimate interests (Art. 6(1)(f))."
            ),
            "Categories of personal data": (
                "Identification data, income and employment, existing credit, repayment history."
            ),
            "Where we get your data (sources)": (
                "From you, and from the credit bureau SCHUFA Holding AG (repayment history)."
            ),
            "Recipients": "The credit bureau, and our cloud provider as processor, all in the EU.",
            "Retention": (
                "Declined applications for 6 months; contracts for 10 years after they end."
            ),
            "Automated decision-making": (
                "A scoring model rates your application from the data above; low scores are "
                "declined unless a credit officer decides otherwise. You may ask for a person to "
                "review the decision, express your view and contest it."
            ),
            "Your rights": (
                "Access, rectification, erasure, restriction, portability and objection "
                "(Art. 15-21 GDPR): write to privacy@bank.example."
            ),
            "Complaint": "You may complain to the Berlin data protection supervisory authority.",
            "Sell or share": "We do not sell or share your personal data.",
        },
        last_updated=day(),
    )
    _write_document(
        root / "governance/runbooks/dsar.md",
        "Data-subject requests",
        {
            "Access": (
                "Verify the requester's identity, search the stores by subject_ref, send the copy "
                "with the purposes, recipients, retention and the logic of the decision."
            ),
            "Deletion": (
                "Erase the application data unless retention is required by law; record why "
                "anything is kept."
            ),
            "Correction": (
                "Verify the corrected value, update the application record, re-score if the "
                "decision depended on it, and tell the credit bureau."
            ),
            "Opt out": "Objections to fraud profiling go to the DPO, who decides within a month.",
            "Service providers, backups and downstream copies": (
                "Deletions and corrections reach the feature store, the backups at their next "
                "rotation, the training snapshots and the credit bureau."
            ),
        },
    )
    _write_document(
        root / "governance/runbooks/incident.md",
        "Incident runbook",
        {
            "Detection": "Alerts from monitoring, staff reports and customer complaints.",
            "Assessment": (
                "The on-call engineer and the DPO rate severity and whether personal data or "
                "people's rights are affected, within 24 hours."
            ),
            "Notification": (
                "The DPO notifies the supervisory authority within 72 hours of a personal-data "
                "breach; serious AI incidents go to the market-surveillance authority within "
                "15 days (2 when widespread, 10 after a death)."
            ),
            "Freeze": (
                "Preserve the model version, its inputs and the logs; do not alter the system "
                "before the evidence is secured."
            ),
        },
    )
    _write_document(
        root / f"governance/lia/{name}.md",
        "Legitimate interests assessment: fraud prevention",
        {
            "Purpose test": "Preventing fraudulent credit applications is a legitimate interest.",
            "Necessity test": "Fraud cannot be detected without checking application patterns.",
            "Balancing test": (
                "Applicants expect fraud checks; the checks use data they provided and lead to "
                "a human review, never to an automatic decline."
            ),
        },
    )
    _write_document(
        root / f"governance/fria/{name}.md",
        f"Fundamental rights impact assessment: {name}",
        {
            "Process": "Credit officers use the score to decide consumer loan applications.",
            "Period and frequency of use": "Continuously, about 1,500 applications a day.",
            "Affected persons": "Consumers applying for loans, including young and older people.",
            "Risks of harm": "Exclusion from credit; indirect discrimination by age or sex.",
            "Human oversight": "A credit officer reviews every decline and may override it.",
            "Measures if risks materialise, complaints": (
                "Suspend the model, re-decide affected applications; complaints via "
                "https://bank.example/appeal."
            ),
        },
        owner="Data Protection Officer",
        approval_date=day(),
        notified_at=day(),
    )
    _write_document(
        root / "governance/qms.md",
        "Quality management system",
        {
            "Regulatory compliance strategy": "Conformity assessment under Annex VI.",
            "Design control and design verification": "Design reviews before each release.",
            "Development and quality control": "Code review and CI on every change.",
            "Test and validation": "Release tests against the thresholds in the evaluation.",
            "Standards": "ISO/IEC 42001, ISO/IEC 23894.",
            "Data management": "Datasheets per dataset; lineage in the feature store.",
            "Risk management": "The risk register, reviewed each quarter.",
            "Post-market monitoring": "See governance/post_market_monitoring.md.",
            "Incident reporting": "See governance/runbooks/incident.md.",
            "Communication with authorities": "The DPO is the contact of the authorities.",
            "Record-keeping": "Technical documentation and logs are kept for 10 years.",
            "Resource management": "Budget and staffing approved each year.",
            "Accountability": "The Head of Quality owns this system; roles in the RACI.",
        },
        owner="Head of Quality",
        approved_by="Management Board",
    )
    _write_document(
        root / "governance/post_market_monitoring.md",
        "Post-market monitoring plan",
        {
            "Data collection": "Decisions, overrides and repayment outcomes from production.",
            "Metrics": "AUC, approval rate and override rate, per age group and sex.",
            "Frequency": "Drift daily, performance monthly, a full review each quarter.",
            "Responsibilities": "Head of Model Risk; the credit officers report anomalies.",
            "Escalation and corrective action": "Beyond a threshold: retrain, or suspend.",
        },
        last_updated=day(),
    )
    _write_document(
        root / "docs/technical_documentation.md",
        f"Technical documentation of {name} (Annex IV)",
        {
            "General description": f"{name} scores consumer credit applications.",
            "Development process": "Gradient-boosted trees trained on 2019-2025 applications.",
            "Monitoring, functioning and control": "Human review of declines; a kill switch.",
            "Performance metrics": "AUC 0.78 on held-out data; thresholds in the evaluation.",
            "Risk management system": "See governance/risks.yaml.",
            "Lifecycle changes": "Each retraining is versioned and re-evaluated.",
            "Standards applied": "ISO/IEC 42001.",
            "Declaration of conformity": "Signed by the Management Board for each version.",
            "Post-market monitoring": "See governance/post_market_monitoring.md.",
        },
        last_updated=day(),
    )
    _write_document(
        root / "docs/instructions_for_use.md",
        f"Instructions for use of {name}",
        {
            "Provider": "Example Bank AG, ai-governance@bank.example.",
            "Intended purpose": "Scoring consumer credit applications for a credit officer.",
            "Accuracy and robustness": "AUC 0.78; falls back to manual review on failure.",
            "Known risks and foreseeable misuse": "Not for business loans or employment.",
            "Performance on specific persons or groups": "AUC per age group within 0.03.",
            "Human oversight": "Officers review every decline and can override any score.",
            "Logs": "Each decision is logged with its reasons; see the logging guide.",
            "Maintenance and computational resources": "Retrained quarterly; 2 vCPU per pod.",
        },
    )
    _write_document(
        root / "docs/transparency_notice.md",
        "Automated assessment of your application",
        {
            "AI disclosure": "Your application is assessed with the help of an AI system.",
            "Contact a human": "Call 0800 123 456 to speak to a credit officer.",
            "Generated content": f"{name} generates no text, images or other content.",
        },
    )
    _write_document(
        root / f"datasheets/{name}.md",
        "Datasheet: credit applications 2019-2025",
        {
            "Origin and collection process": "Applications made through the bank's channels.",
            "Purpose": "Collected to decide on credit; reused to train the model.",
            "Preparation": "Deduplicated, outliers capped, categories encoded.",
            "Known gaps": "Few applicants under 21; no data from branches closed before 2021.",
            "Examination for bias": "Approval and error rates compared by age group and sex.",
        },
        owner="Head of Data",
    )


def fill_default_templates(repo: RepoBuilder, name: str) -> None:
    """Everything a default init (readiness, human-oversight, audit-trail, gdpr, eu-ai-act) asks
    for, on top of what readiness needs: the RoPA, notices, runbooks and assessments of GDPR, the
    AI Act's registers and documents, a CODEOWNERS file and the security attestations."""
    fill_templates(repo, name)
    root = repo.path
    today = datetime.now(UTC).date()

    def ago(days: int) -> str:
        return (today - timedelta(days=days)).isoformat()

    config = yaml.safe_load((root / "govgate.yaml").read_text())
    config["system"].update(annex_iii="5(b)", profiling=True)  # creditworthiness of people
    _write_yaml(root / "govgate.yaml", config)
    _fill_yaml(
        root / "governance/ropa.yaml",
        {
            "controller": {
                "name": "Example Bank AG",
                "contact": "privacy@bank.example, Hauptstrasse 1, 10115 Berlin",
                "dpo": "dpo@bank.example",
            },
            "last_reviewed": ago(20),
            "activities": [
                {
                    "name": "credit scoring",
                    "purposes": ["decide on consumer credit applications"],
                    "lawful_basis": "contract",
                    "data_subjects": ["loan applicants"],
                    "data_categories": ["identification", "income and employment", "credit"],
                    "sources": ["the applicant", "credit bureau"],
                    "recipients": ["credit bureau"],
                    "transfers": [],
                    "retention": "declined: 6 months; contracts: 10 years after the end",
                    "security_measures": ["encryption at rest", "pseudonymised logs"],
                },
                {
                    "name": "fraud prevention",
                    "purposes": ["detect fraudulent credit applications"],
                    "lawful_basis": "legitimate_interests",
                    "lia": f"governance/lia/{name}.md",
                    "data_subjects": ["loan applicants"],
                    "data_categories": ["identification", "device data"],
                    "sources": ["the applicant"],
                    "recipients": [],
                    "transfers": [],
                    "retention": "2 years",
                    "security_measures": ["role-based access"],
                },
            ],
        },
    )
    _fill_yaml(
        root / "governance/retention.yaml",
        {
            "categories": [
                {
                    "name": "application data",
                    "max_days": 3650,
                    "legal_basis": "contract; commercial law retention",
                    "deletion_method": "nightly purge job",
                },
                {
                    "name": "declined applications",
                    "max_days": 183,
                    "legal_basis": "contract",
                    "deletion_method": "nightly purge job",
                },
            ],
            "decision_logs": {"min_days": 183, "max_days": 1825, "deletion_method": "purge job"},
            "request_records_days": 730,
            "technical_documentation_years": 10,
        },
    )
    _fill_yaml(
        root / "config/service.yaml",
        {
            "privacy": {
                "telemetry_default": False,
                "pseudonymise_ids": True,
                "encryption_at_rest": True,
                "tls_min_version": "1.3",
            }
        },
    )
    lifecycle = yaml.safe_load((root / "governance/lifecycle.yaml").read_text())
    lifecycle["last_reviewed"] = ago(10)
    lifecycle["monitoring"]["schedule"] = "daily drift job; monthly per-group review"
    _write_yaml(root / "governance/lifecycle.yaml", lifecycle)
    oversight = yaml.safe_load((root / "governance/oversight.yaml").read_text())
    oversight["kill_switch"]["last_tested"] = ago(40)
    _write_yaml(root / "governance/oversight.yaml", oversight)
    evaluation = json.loads((root / f"reports/eval/{name}.json").read_text())
    evaluation["dataset"]["sha256"] = hashlib.sha256(b"applications.parquet").hexdigest()
    evaluation.update(
        metrics={"auc": 0.78, "accuracy": 0.81},
        thresholds={"auc": 0.72, "accuracy": 0.75},
        per_group={"age_under_25": {"auc": 0.76}, "age_25_plus": {"auc": 0.79}},
    )
    (root / f"reports/eval/{name}.json").write_text(json.dumps(evaluation), encoding="utf-8")
    _fill_yaml(
        root / "governance/obligations.yaml",
        {
            "reviewed": ago(20),
            "obligations": [
                {"law": "GDPR", "applies": True, "rationale": "EU applicants", "owner": "DPO"},
                {
                    "law": "EU AI Act",
                    "applies": True,
                    "rationale": "creditworthiness scoring, Annex III 5(b)",
                    "owner": "AI Governance Lead",
                },
            ],
        },
    )
    _fill_yaml(
        root / "governance/training.yaml",
        {
            "records": [
                {
                    "role": "credit officer",
                    "people": 14,
                    "trained": 14,
                    "course": "Reviewing automated credit decisions",
                    "completed": ago(60),
                    "overseer": True,
                },
                {
                    "role": "data scientist",
                    "people": 5,
                    "trained": 5,
                    "course": "The AI Act for model builders",
                    "completed": ago(90),
                    "overseer": False,
                },
            ]
        },
    )
    _fill_yaml(
        root / "governance/ai_inventory.yaml",
        {
            "systems": [
                {
                    "name": name,
                    "classification": "high",
                    "annex_iii_area": "5(b)",
                    "profiling": True,
                    "art_6_3_exemption": False,
                    "classification_rationale": (
                        "Evaluates the creditworthiness of natural persons (Annex III 5(b)) "
                        "and profiles them, so Art. 6(3) cannot apply."
                    ),
                }
            ]
        },
    )
    _fill_yaml(
        root / "governance/risks.yaml",
        {
            "last_review": ago(30),
            "risks": [
                {
                    "id": "RISK-1",
                    "description": "the model disadvantages young applicants",
                    "likelihood": "possible",
                    "severity": "high",
                    "mitigation": "human review of declines; monthly per-group monitoring",
                    "residual": "medium",
                    "owner": "Head of Model Risk",
                    "treatment": "mitigate",
                }
            ],
        },
    )
    _fill_yaml(
        root / "governance/incidents.yaml",
        {
            "runbook": "governance/runbooks/incident.md",
            "incidents": [
                {
                    "incident_id": "INC-1",
                    "type": "personal_data_breach",
                    "aware_at": f"{ago(70)}T09:00:00Z",
                    "notified_at": f"{ago(69)}T15:00:00Z",
                    "severity": "low",
                    "corrective_action": "a misdirected e-mail recalled; mail rules tightened",
                }
            ],
        },
    )
    _fill_yaml(
        root / "governance/requests.yaml",
        {
            "requests": [
                {"id": "REQ-1", "type": "access", "received_at": ago(50), "closed_at": ago(38)},
                {"id": "REQ-2", "type": "delete", "received_at": ago(45), "closed_at": ago(40)},
                {"id": "REQ-3", "type": "correct", "received_at": ago(12), "closed_at": ago(9)},
            ]
        },
    )
    model_card = json.loads((root / "model_card.json").read_text())
    model_card.pop("TODO")
    model_card.update(
        model_details={"name": name, "version": "1.0.0", "owners": ["Head of Model Risk"]},
        model_parameters={"model_architecture": "gradient-boosted trees", "features": 12},
        quantitative_analysis={"auc": 0.78, "auc_by_age_group": {"<25": 0.76, "25+": 0.79}},
        considerations={"limitations": ["not for business loans"], "users": ["officers"]},
    )
    (root / "model_card.json").write_text(json.dumps(model_card, indent=2), encoding="utf-8")
    _fill_documents(root, name, today)
    (root / ".github").mkdir()
    (root / ".github/CODEOWNERS").write_text(
        "*                  @bank/credit-engineering\n"
        "/governance/       @bank/privacy-office\n"
        "/docs/             @bank/credit-product\n"
        "/govgate.yaml      @bank/privacy-office\n"
        "/model_card.json   @bank/model-risk\n",
        encoding="utf-8",
    )
    for record, (who, role, _email) in ATTESTERS.items():
        if record == "executive-sponsor":
            continue  # fill_templates wrote it
        _fill_yaml(
            root / f"governance/attestations/{record}.yaml",
            {
                "who": who,
                "role": role,
                "date": ago(25),
                "expires": (today + timedelta(days=340)).isoformat(),
                "evidence": [f"https://tickets.bank.example/{record}"],
            },
        )


def _commit_with_attesters(repo: RepoBuilder) -> None:
    """Commit the governance files, then each attestation by the person it names."""
    records = [f"governance/attestations/{record}.yaml" for record in ATTESTERS]
    repo.git("add", "-A", *[":!" + record for record in records])
    repo.git("commit", "-q", "-m", "governance")
    for record, (who, _role, email) in zip(records, ATTESTERS.values(), strict=True):
        repo.git("add", record)
        repo.commit(
            f"attestation {Path(record).stem}",
            env={"GIT_AUTHOR_NAME": who, "GIT_AUTHOR_EMAIL": email},
        )


@pytest.mark.parametrize("assess_ahead", [False, True], ids=["default", "ai-act-assessed-ahead"])
def test_filled_default_init_passes_every_pack(make_repo, run_cli, assess_ahead: bool) -> None:
    """Issue 5 for a plain `govgate init`: with every template filled, the gate passes on all
    five packs. Assessing the AI Act ahead of its high-risk dates (as govgate.yaml's template
    suggests) puts the AI Act's documents under their rules too."""
    repo = make_repo(commit=False)
    name = repo.path.name
    init = run_cli("init", repo.path, "--format", "json")
    assert init.exit_code == 0, init.output
    created = {item["path"]: item["kind"] for item in json.loads(init.stdout)["created"]}
    fill_default_templates(repo, name)
    if assess_ahead:
        config = yaml.safe_load((repo.path / "govgate.yaml").read_text())
        config["params"] = {"eu-ai-act": {"assess_ahead": True}}
        _write_yaml(repo.path / "govgate.yaml", config)
    # Every placeholder was replaced, as the next steps of init ask.
    assert [path for path in created if "TODO" in (repo.path / path).read_text()] == []
    _commit_with_attesters(repo)

    check = run_cli("check", repo.path, "--no-locker", "--format", "json")

    result = json.loads(check.stdout)
    problems = [
        (f["rule"], f["item"], f["message"])
        for f in result["findings"]
        if f["status"] in ("fail", "error")
    ]
    assert problems == []
    assert check.exit_code == 0, check.stderr
    assert result["gate"] == "pass"
    assert {f["status"] for f in result["findings"]} <= {"pass", "not_applicable"}
    assert result["diagnostics"] == []
    assert {f["pack"] for f in result["findings"]} == {
        "readiness",
        "human-oversight",
        "audit-trail",
        "gdpr",
        "eu-ai-act",
    }
    passed = {f["rule"] for f in result["findings"] if f["status"] == "pass"}
    assert {  # what the readiness-only fill left failing
        "GD-1.activity-fields",
        "GD-3.notice-sections",
        "GD-10.erasure-procedure",
        "GD-13.restore-tested",
        "GD-14.runbook",
        "GD-16.records-owned",
        "EU-1.staff-trained",
        "EU-2.system-listed",
    } <= passed
    if assess_ahead:
        # Each file init wrote is read by a rule that passes on it: its filled content is what
        # the rule asks for. The transparency notice is the one exception: Art. 50 applies to
        # chat (system.llm) and limited-risk systems, not to a high-risk scoring service.
        read = {
            f["location"]["path"]
            for f in result["findings"]
            if f["status"] == "pass" and f["location"]
        }
        unread = [path for path, kind in created.items() if kind and path not in read]
        assert unread == ["docs/transparency_notice.md"]


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
    from govgate.core.scaffold import concrete_path

    assert concrete_path(pattern, "Loan Desk") == expected
