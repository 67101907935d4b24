"""Templates and rules agree: `govgate init` for every tier with the default packs, then only
the placeholders filled in, as a person would, with plausible values.

Filling a placeholder means what the templates ask: a value marked TODO gets its value, a
commented line marked TODO is uncommented with one, an empty list or map marked TODO becomes
the parent of its commented entries, and every other TODO line (instructions, a document's
HTML comment) goes. Nothing else is added, so a field a rule reads but the template lacks
makes the filled repository fail. Every rule that reads a template and passes once it is filled
must not pass on the template as init wrote it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from conftest import CliResult, RepoBuilder

#: Rules that a template passes as init writes it, because what they read is true of any new
#: system: an empty incident register says there was no incident (its runbook placeholder
#: still fails the file).
VALID_AS_WRITTEN = ["GD-14.register-kept"]
OMIT = object()  # a commented placeholder that stays out (an Annex III area of a chatbot)
TIERS = ("high", "limited", "minimal", "prohibited")

#: Who states each attestation init scaffolds: (name, role, e-mail). Each commits their own.
ATTESTERS = {
    "executive-sponsor": ("Maria Garcia", "Chief Risk Officer", "m.garcia@org.example"),
    "security-test": ("Jonas Weber", "Chief Information Security Officer", "j.weber@org.example"),
    "restore-test": ("Aiko Tanaka", "Head of IT Operations", "a.tanaka@org.example"),
}

#: What each tier's system is, as its team would declare it.
SYSTEMS: dict[str, dict[str, Any]] = {
    "high": {
        "description": "Scores consumer credit applications for a credit officer",
        "decision": {"name": "credit_decision", "risk_tier": "high", "significant": True},
        "annex_iii": "5(b)",
        "profiling": True,
        "llm": False,
    },
    "limited": {
        "description": "Answers customers' questions about their orders",
        "decision": {"name": "answer_question", "risk_tier": "limited", "significant": False},
        "annex_iii": OMIT,
        "profiling": False,
        "llm": True,
    },
    "minimal": {
        "description": "Sorts incoming support tickets by topic",
        "decision": {"name": "route_ticket", "risk_tier": "minimal", "significant": False},
        "annex_iii": OMIT,
        "profiling": False,
        "llm": False,
    },
    "prohibited": {
        "description": "Ranks citizens' social behaviour for benefit eligibility (being retired)",
        "decision": {"name": "rank_citizen", "risk_tier": "high", "significant": True},
        "annex_iii": OMIT,
        "profiling": True,
        "llm": False,
    },
}


# -- the plausible values of the placeholders -------------------------------------------------


def plausible(tier: str, name: str, today: date) -> dict[str, dict[str, Any]]:
    """Per template kind, a value for each placeholder (`parent.key`, or `key` in any parent)."""
    system = SYSTEMS[tier]
    decision = system["decision"]

    def ago(days: int) -> str:
        return (today - timedelta(days=days)).isoformat()

    def ahead(days: int) -> str:
        return (today + timedelta(days=days)).isoformat()

    high = decision["risk_tier"] == "high"
    return {
        "config": {
            "description": system["description"],
            "owner": "Customer Platform Team",
            "role": "provider_and_deployer",
            "llm": system["llm"],
            "gpai_provider": False,
            "labels.emotion_recognition": False,
            "labels.biometric_categorisation": False,
            "labels.deep_fakes": False,
            "labels.public_interest_text": False,
            "deployed_since": ago(60),
            "annex_iii": system["annex_iii"],
            "profiling": system["profiling"],
            "decision_types": [{**decision, "automated": True}],
            "retention_max_days": 1825,
        },
        "oversight_config": {
            "decision_types.name": decision["name"],
            "risk_tier": decision["risk_tier"],
            "approval_required": high,
            "approver_role": "duty officer",
            "min_approvers": 1 if high else 0,
            "override_allowed": True,
            "appeal_channel": "https://org.example/appeal",
            "enabled": True,
            "kill_switch.owner": "Head of Operations",
            "how": "feature flag ai.enabled (runbook governance/runbooks/incident.md)",
            "last_tested": ago(40),
        },
        "ai_inventory": {
            "name": name,
            "classification": tier,
            "annex_iii_area": system["annex_iii"] if system["annex_iii"] is not OMIT else None,
            "profiling": system["profiling"],
            "art_6_3_exemption": False,
            "classification_rationale": f"{system['description']}: {tier} under the AI Act.",
        },
        "budget": {
            "owner": "Product Owner",
            "approved_by": "Chief Financial Officer",
            "approved_on": ago(30),
            "infrastructure": 1200,
            "inference": 300,
            "monitoring": 150,
            "support": 2000,
        },
        "incident_register": {"runbook": "governance/runbooks/incident.md"},
        "lifecycle_plan": {
            "owner": "Head of Model Risk",
            "cadence": "quarterly",
            "triggers": ["drift above the threshold", "accuracy below target"],
            "drift_threshold": 0.2,
            "metrics": ["accuracy", "override rate"],
            "per_group": True,
            "schedule": "daily drift job; monthly per-group review",
            "criteria": ["accuracy below 0.7 for a month"],
            "data_deletion": "training snapshots deleted 90 days after retirement",
        },
        "obligations": {
            "reviewed": ago(20),
            "applies": True,
            "rationale": "the system processes personal data of people in the EU",
            "obligations.owner": "Data Protection Officer",
        },
        "raci": {
            "engineering": "Head of Engineering",
            "data": "Head of Data",
            "legal_privacy": "Data Protection Officer",
            "security": "CISO",
            "business": "Product Owner",
            "operations": "Head of Operations",
            "activities.name": "release a model version",
            "responsible": ["Head of Engineering"],
            "accountable": ["Product Owner"],
            "consulted": ["Data Protection Officer"],
            "informed": ["Head of Operations"],
        },
        "retention_config": {
            "categories.name": "customer records",
            "max_days": 1825,
            "legal_basis": "contract; commercial law",
            "deletion_method": "nightly purge job",
            "min_days": 183,
            "decision_logs.max_days": 1825,
            "request_records_days": 730,
            "technical_documentation_years": 10,
        },
        "risk_register": {
            "last_review": ago(30),
            "id": "RISK-1",
            "description": "the system disadvantages a group of people",
            "likelihood": "possible",
            "severity": "high",
            "mitigation": "human review; monthly per-group monitoring",
            "residual": "medium",
            "owner": "Head of Model Risk",
            "treatment": "mitigate",
        },
        "ropa": {
            "controller.name": "Example Org AG",
            "contact": "privacy@org.example, Hauptstrasse 1, 10115 Berlin",
            "dpo": "dpo@org.example",
            "last_reviewed": ago(20),
            "activities.name": "serving the system's users",
            "purposes": ["provide the service the people asked for"],
            "lawful_basis": "contract",
            "data_subjects": ["customers"],
            "data_categories": ["contact details", "order history"],
            "sources": ["the customer", "a partner organisation"],
            "recipients": ["our cloud provider (processor)"],
            "transfers": [],
            "retention": "5 years after the contract ends",
            "security_measures": ["encryption at rest", "role-based access"],
        },
        "llm_config": {
            "provider": "hosted-llm",
            # A system without a language model names none in the file init wrote for it.
            "model.name": "assistant-model" if system["llm"] else "none",
            "model.version": "2026-05-01" if system["llm"] else "none",
            "pii_filter": True,
            "validated": True,
            "content_filter": True,
            "marking": "metadata ai-generated: true on every answer",
            "tools.name": "lookup_order",
            "permissions": ["orders:read"],
            "side_effects": False,
            "requires_approval": False,
            "enabled": True,
            "access_control": True,
            "source_validation": True,
            "confidential": False,
            "data_sources.name": "help-centre",
            "use": "retrieval",
            "origin": "export of the public help centre",
            "sha256": hashlib.sha256(b"help-centre.jsonl").hexdigest(),
            "requests_per_minute": 20,
            "max_input": 4000,
            "max_output": 600,
        },
        "service_config": {
            "timeout_ms": 800,
            "retries": 2,
            "fallback": "refer_to_human",
            "decisions": True,
            "include_inputs_hash": True,
            "pseudonymise_ids": True,
            "encryption_at_rest": True,
            "tls_min_version": "1.3",
        },
        "success_metrics": {
            "metrics.name": "time to resolution",
            "unit": "hours",
            "baseline": 52,
            "target": 8,
            "metrics.owner": "Head of Operations",
            "reported_in": "dashboards/kpis",
        },
        "training_records": {
            "role": "duty officer",
            "people": 12,
            "trained": 12,
            "course": "Working with an AI system",
            "completed": ago(60),
            "overseer": True,
        },
        "attestation": {
            "date": ago(25),
            "expires": ahead(340),
            "budget_authority": True,
        },
        "eval_report": {
            "date": ago(5),
            "dataset.name": "production sample",
            "source": "production_like",
            "rows": 5000,
            "time_range": [ago(90), ago(5)],
            "sha256": hashlib.sha256(b"sample.parquet").hexdigest(),
            "metrics": {"accuracy": 0.81},
            "thresholds": {"accuracy": 0.75},
            "per_group": {"under_25": {"accuracy": 0.79}, "25_plus": {"accuracy": 0.82}},
            "drift": {"psi_max": 0.04},
        },
        "model_card": {
            "model_details": {"name": name, "version": "1.0.0", "owners": ["Head of Model Risk"]},
            "model_parameters": {"model_architecture": "gradient-boosted trees"},
            "quantitative_analysis": {"accuracy": 0.81},
            "considerations": {"limitations": ["not for other uses"]},
        },
        "documents": {
            "owner": "Data Protection Officer",
            "dpo_consulted": True,
            "approved_by": "Management Board",
            "approval_date": ago(10),
            "next_review": ahead(300),
            "last_updated": ago(10),
            "notified_at": ago(5),
        },
    }


# -- filling the placeholders -------------------------------------------------------------------

_KEY = re.compile(r"^(?P<indent>\s*)(?P<dash>- )?(?P<key>[A-Za-z_][\w.-]*):(?P<rest>.*)$")


def _effective(line: str) -> str | None:
    """A commented YAML line as it reads uncommented ("  #   purposes: []" → "    purposes:
    []"), or None when it is not a commented line."""
    match = re.match(r"^(\s*)# ?(.*)$", line)
    return match.group(1) + match.group(2) if match else None


def _indent_of_key(line: str) -> int | None:
    match = _KEY.match(line)
    if match is None:
        return None
    return len(match.group("indent")) + (2 if match.group("dash") else 0)


def fill_yaml(text: str, values: Callable[[str, str], Any]) -> str:
    """The YAML with its placeholders filled (see the module docstring)."""
    lines = text.splitlines()
    out: list[str] = []
    parents: list[tuple[int, str]] = []
    for index, line in enumerate(lines):
        commented = _effective(line)
        readable = commented if commented is not None else line
        match = _KEY.match(readable)
        if match is None or match.group("key") == "TODO":
            if "TODO" not in line:
                out.append(line)
            continue  # a TODO instruction goes
        indent = _indent_of_key(readable) or 0
        while parents and parents[-1][0] >= indent:
            parents.pop()
        key = match.group("key")
        parent = parents[-1][1] if parents else ""
        parents.append((indent, key))
        if "TODO" not in line:
            out.append(line)
            continue
        head = f"{match.group('indent')}{match.group('dash') or ''}{key}:"
        if _has_commented_children(lines, index, indent):
            out.append(head)  # `activities: []` becomes the parent of its entries
            continue
        value = values(parent, key)
        if value is not OMIT:
            out.append(f"{head} {json.dumps(value)}")
    return "\n".join(out) + "\n"


def _has_commented_children(lines: list[str], index: int, indent: int) -> bool:
    for later in lines[index + 1 :]:
        readable = _effective(later)
        if readable is None:
            return False
        child = _indent_of_key(readable)
        if child is not None:
            return child > indent
    return False


def fill_markdown(text: str, values: Callable[[str, str], Any], title: str) -> str:
    """The document with its front matter filled, its sections out of the comment and each
    TODO instruction under a heading replaced by prose."""
    body = text
    head = ""
    if text.startswith("---\n"):
        front, _, body = text[4:].partition("\n---\n")
        head = "---\n" + fill_yaml(front, values) + "---\n"
    out: list[str] = []
    for line in body.splitlines():
        if line.strip() in ("<!--", "-->"):
            continue
        if "TODO" not in line:
            out.append(line)
        elif line.startswith("# "):
            out.append(f"# {title}")
        elif out and out[-1].startswith("## "):
            section = out[-1][3:].strip()
            out.append(f"{section}: set out here for this system by its owner, and reviewed.")
    return head + "\n".join(out) + "\n"


def fill_json(text: str, values: Callable[[str, str], Any]) -> str:
    data = json.loads(text)
    data.pop("TODO")

    def walk(node: dict[str, Any], parent: str) -> None:
        for key, value in node.items():
            if isinstance(value, dict) and value:
                walk(value, key)
            elif value in ("", None, 0, [], {}):
                node[key] = values(parent, key)

    walk(data, "")
    return json.dumps(data, indent=2) + "\n"


def fill_created(root: Path, created: dict[str, str | None], tier: str) -> None:
    """Fill the placeholders of every file init created."""
    name = root.name
    table = plausible(tier, name, datetime.now(UTC).date())
    for path, kind in created.items():
        target = root / path
        section = kind or "config"
        if kind in (
            "dpia", "fria", "qms", "datasheet", "privacy_notice", "dsar_runbook", "lia",
            "incident_runbook", "instructions_for_use", "technical_documentation", "pmm_plan",
            "transparency_notice",
        ):  # fmt: skip
            section = "documents"
        own = dict(table.get(section, {}))
        if kind == "attestation":
            who, role, _email = ATTESTERS[Path(path).stem]
            own.update(who=who, role=role)

        def lookup(parent: str, key: str, own: dict[str, Any] = own, path: str = path) -> Any:
            for candidate in (f"{parent}.{key}", key):
                if candidate in own:
                    return own[candidate]
            raise AssertionError(f"{path}: no plausible value for the placeholder {key}")

        text = target.read_text(encoding="utf-8")
        if path.endswith(".json"):
            filled = fill_json(text, lookup)
        elif path.endswith(".md"):
            filled = fill_markdown(text, lookup, f"{Path(path).stem} of {name}")
        else:
            filled = fill_yaml(text, lookup)
        target.write_text(filled, encoding="utf-8")


# -- the evidence a system produces (no template can stand in for it) ---------------------------


def produce_evidence(root: Path, tier: str) -> None:
    """Decision logs, test and load reports, and a CODEOWNERS file, as the team's system would."""
    now = datetime.now(UTC)
    decision = SYSTEMS[tier]["decision"]
    lines: list[str] = []
    previous = None
    for index in range(20):
        moment = now - timedelta(days=20 - index, hours=3)
        record = {
            "decision_id": f"00000000-0000-4000-8000-{index:012d}",
            "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "system_id": root.name,
            "model_name": "model",
            "model_version": "1.0.0",
            "decision_type": decision["name"],
            "risk_tier": decision["risk_tier"],
            "input_hash": hashlib.sha256(f"input-{index}".encode()).hexdigest(),
            "output": "yes" if index % 3 else "no",
            "reasons": ["feature_a:high"],
            "human_review": {
                "required": True,
                "reviewer_id": "officer-01",
                "action": "override" if index == 7 else "approve",
                "timestamp": (moment + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
            "final_outcome": "done",
            "subject_ref": f"subj-{index:04d}",
            "prev_hash": hashlib.sha256(previous.encode()).hexdigest() if previous else "0" * 64,
        }
        lines.append(json.dumps(record, separators=(",", ":")))
        previous = lines[-1]
    (root / "logs/decisions").mkdir(parents=True)
    (root / "logs/decisions/decisions.jsonl").write_text("\n".join(lines) + "\n")
    cases = [
        f'<testcase classname="tests.test_system" name="test_{category}_{index}" time="0.01">'
        f'<properties><property name="category" value="{category}"/></properties></testcase>'
        for category in ("resilience", "adversarial", "edge_case", "override", "prompt_injection")
        for index in range(2)
    ]
    stamp = (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    (root / "reports/tests").mkdir(parents=True)
    (root / "reports/tests/junit.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" '
        f'tests="{len(cases)}" failures="0" errors="0" skipped="0" timestamp="{stamp}">'
        + "".join(cases)
        + "</testsuite></testsuites>\n"
    )
    row = "30000,3,120,140.2,20,900,300,50.0,0.005,120,150,170,180,230,300,400,500,800,900,900"
    stats = (
        "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
        "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
        "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%\n"
        f"POST,/score,{row}\n,Aggregated,{row}\n"
    )
    end = int((now - timedelta(days=2)).timestamp())
    history = "Timestamp,User Count,Type,Name,Requests/s,Failures/s\n" + "".join(
        f"{end - 600 + 60 * minute},50,,Aggregated,50.0,0.0\n" for minute in range(11)
    )
    (root / "reports/load").mkdir(parents=True)
    (root / "reports/load/peak_stats.csv").write_text(stats)
    (root / "reports/load/peak_stats_history.csv").write_text(history)
    (root / ".github").mkdir()
    (root / ".github/CODEOWNERS").write_text(
        "*  @org/platform\n/governance/  @org/privacy-office\n/docs/  @org/product\n"
    )


def commit_with_attesters(repo: RepoBuilder, message: str) -> None:
    """Commit everything, each attestation by the person it names (git corroborates them)."""
    records = [f"governance/attestations/{record}.yaml" for record in ATTESTERS]
    present = [r for r in records if (repo.path / r).exists()]
    repo.git("add", "-A", *[":!" + record for record in present])
    repo.git("commit", "-q", "--allow-empty", "-m", message)
    for record, (who, _role, email) in zip(records, ATTESTERS.values(), strict=True):
        if record in present:
            repo.git("add", record)
            repo.commit(
                f"{message}: {Path(record).stem}",
                env={"GIT_AUTHOR_NAME": who, "GIT_AUTHOR_EMAIL": email},
            )


def check(run_cli: Callable[..., CliResult], repo: RepoBuilder) -> dict[str, Any]:
    done = run_cli("check", repo.path, "--no-locker", "--format", "json")
    result: dict[str, Any] = json.loads(done.stdout)
    result["exit_code"] = done.exit_code
    return result


def statuses(result: dict[str, Any]) -> dict[str, set[str]]:
    by_rule: dict[str, set[str]] = {}
    for finding in result["findings"]:
        by_rule.setdefault(finding["rule"], set()).add(finding["status"])
    return by_rule


@pytest.mark.slow
@pytest.mark.parametrize("tier", TIERS)
def test_init_filled_in_passes_and_each_templated_rule_failed_before(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult], tier: str
) -> None:
    repo = make_repo(commit=False)
    init = run_cli("init", repo.path, "--risk", tier, "--format", "json")
    assert init.exit_code == 0, init.output
    created = {item["path"]: item["kind"] for item in json.loads(init.stdout)["created"]}
    templates = {path: kind for path, kind in created.items() if kind is not None}
    # govgate.yaml's placeholders first: the facts decide which rules apply.
    fill_created(repo.path, {"govgate.yaml": None}, tier)
    produce_evidence(repo.path, tier)
    commit_with_attesters(repo, "the system, its facts declared, init's templates as written")
    before = check(run_cli, repo)
    unfilled = statuses(before)
    controls_before = {c["id"]: c["status"] for c in before["controls"]}

    fill_created(repo.path, templates, tier)
    assert [path for path in created if "TODO" in (repo.path / path).read_text()] == []
    commit_with_attesters(repo, "the templates filled in")
    result = check(run_cli, repo)

    problems = [
        (f["rule"], f["item"], f["message"])
        for f in result["findings"]
        if f["status"] not in ("pass", "not_applicable")
    ]
    assert problems == []
    assert result["gate"] == "pass" and result["exit_code"] == 0
    assert result["diagnostics"] == []
    assert result["readiness"]["score"] == 12
    assert result["readiness"]["band"] == "production-ready"
    filled = statuses(result)
    kinds = set(templates.values())
    templated = sorted(
        f["rule"]
        for f in result["findings"]
        if f["status"] == "pass" and any(e["kind"] in kinds for e in f["evidence"])
    )
    assert len(templated) > 40
    passed_unfilled = [rule for rule in templated if "pass" in unfilled[rule]]
    assert passed_unfilled == VALID_AS_WRITTEN  # a template as init wrote it passes no other
    control_of = {f["rule"]: f["control"] for f in result["findings"]}
    for rule in templated:
        if rule in VALID_AS_WRITTEN:
            continue
        assert "pass" in filled[rule]
        # It fails on the template, or (a for_each over a list the template leaves empty is
        # not applicable) its control does: the template never satisfies what it serves.
        failed = unfilled[rule] & {"fail", "error", "skipped"}
        control = controls_before[control_of[rule]]
        assert failed or control in ("not_satisfied", "unverified"), (rule, unfilled[rule])
