"""The `fairness` collector and the bias pack, run for real on small repositories.

The repositories are built in the test (conftest.make_repo) around real data: the UCI Adult
training split with the rule-based prediction of tests/realdata.py.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fairlearn.metrics import MetricFrame, selection_rate

from govgate.core.config import load_config
from govgate.core.evidence import Evidence
from govgate.core.loader import load_policy_set
from govgate.run.check import get_registry
from govgate.run.collect import collect_evidence
from tests import realdata
from tests.conftest import RepoBuilder
from tests.fairness_files import ages_csv, arrests_csv, arrests_frame

NOW = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def adult_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    out = tmp_path_factory.mktemp("adult") / "adult.csv"
    return realdata.with_rule_prediction(realdata.adult(), out).read_bytes()


def config(analyses: list[dict[str, Any]], protected: list[str] | None = None) -> str:
    text = {
        "system": {"name": "income-screen", "risk": "high"},
        "packs": ["bias"],
        "params": {"bias": {"protected_attributes": protected or ["sex", "race"]}},
        "collectors": {"fairness": {"analyses": analyses}},
    }
    return json.dumps(text, indent=2, ensure_ascii=False)


ADULT_ANALYSIS = {
    "name": "adult-income",
    "path": "data/adult_predictions.csv",
    "prediction": "predicted",
    "label": "income",
    "label_positive": ">50K",
    "attrs": ["sex", "race"],
    "audit_date": "2026-03-01",
    "data_source": "UCI Adult 1994 census extract, historical",
    "auditor": "Independent Audits LLC",
}


def collect(repo: Path) -> tuple[list[Evidence], list[Any]]:
    cfg = load_config(repo)
    registry = get_registry()
    policy_set = load_policy_set(registry, cfg, ["bias"], now=NOW)
    collection = collect_evidence(
        registry,
        policy_set.kinds,
        {"fairness.analysis"},
        repo,
        system=cfg.system,
        settings=cfg.collectors,
        now=NOW,
    )
    assert collection.evidence.failed_collectors == {}
    return collection.evidence.by_kind.get("fairness.analysis", []), collection.diagnostics


def test_check_with_the_bias_pack_fires_on_real_numbers(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any], adult_bytes: bytes
) -> None:
    repo = make_repo(
        {"govgate.yaml": config([ADULT_ANALYSIS]), "data/adult_predictions.csv": adult_bytes}
    )
    result = run_cli("check", repo.path, "--format", "json", "--no-locker")
    assert result.exit_code == 1, result.stderr
    doc = json.loads(result.stdout)
    assert doc["gate"] == "fail"
    findings = {(f["rule"], f.get("item")): f for f in doc["findings"]}
    statuses = {key: f["status"] for key, f in findings.items()}
    female = findings[("BIAS-3.impact-ratio", "sex=Female")]
    assert female["status"] == "fail" and female["severity"] == "high"
    # The message carries the real number: 1,922/10,771 women selected vs 5,634/21,790 men.
    assert "impact ratio 0.6901" in female["message"] and "n=10771" in female["message"]
    assert female["location"]["path"] == "data/adult_predictions.csv"
    assert statuses[("BIAS-3.impact-ratio", "sex=Male")] == "pass"
    assert statuses[("BIAS-3.impact-ratio", "race=Black")] == "fail"
    assert statuses[("BIAS-3.impact-ratio", "race=Asian-Pac-Islander")] == "pass"
    # Amer-Indian-Eskimo (311 people, 1%) and Other are flagged, not judged.
    assert ("BIAS-3.impact-ratio", "race=Amer-Indian-Eskimo") not in statuses
    small = findings[("BIAS-6.small-groups", "adult-income")]
    assert small["status"] == "fail" and small["severity"] == "info"
    assert "race=Amer-Indian-Eskimo" in small["message"]
    assert statuses[("BIAS-4.demographic-parity", "sex")] == "pass"  # 0.080 <= 0.1
    assert statuses[("BIAS-4.demographic-parity", "race")] == "fail"  # 0.236
    assert statuses[("BIAS-2.analysis-current", "adult-income")] == "pass"
    assert statuses[("BIAS-2.attributes-covered", "race")] == "pass"
    assert statuses[("BIAS-5.intersections-analysed", "adult-income")] == "pass"
    assert statuses[("BIAS-6.rows-readable", "adult-income")] == "pass"
    requirements = {r["id"]: r["status"] for r in doc["requirements"]}
    assert requirements["EEOC-4-5"] == "not_met"


def test_a_fair_enough_model_and_a_stale_audit(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    # A generated screen at the four-fifths boundary passes the single-attribute rule; its
    # audit date (two years back) fails the freshness rule.
    rows = ["sex,race,advanced"]
    for i in range(2000):
        sex, race = ["F", "M"][i % 2], ["A", "B", "C"][i % 3]
        # 40% of women and 50% of men advance: impact ratio exactly at the 0.8 boundary.
        advanced = i % 10 < 4 if sex == "F" else (i % 10 in (1, 3) or i % 20 == 5)
        rows.append(f"{sex},{race},{int(advanced)}")
    analysis = {
        "name": "screen",
        "path": "audit/screen.csv",
        "prediction": "advanced",
        "attrs": ["sex", "race"],
        "audit_date": "2024-05-01",
    }
    repo = make_repo(
        {"govgate.yaml": config([analysis]), "audit/screen.csv": "\n".join(rows) + "\n"}
    )
    result = run_cli("check", repo.path, "--format", "json", "--no-locker")
    doc = json.loads(result.stdout)
    statuses = {(f["rule"], f.get("item")): f["status"] for f in doc["findings"]}
    assert statuses[("BIAS-3.impact-ratio", "sex=F")] == "pass"  # 0.4 / 0.5 = 0.8: not below
    assert statuses[("BIAS-3.impact-ratio", "sex=M")] == "pass"
    assert {s for (rule, _), s in statuses.items() if rule == "BIAS-3.impact-ratio"} == {"pass"}
    # ... while two intersections of women sit just under it (133/333 = 0.399 vs 0.502).
    assert statuses[("BIAS-3.intersectional-impact-ratio", "sex×race=F×B")] == "fail"
    assert statuses[("BIAS-3.intersectional-impact-ratio", "sex×race=M×B")] == "pass"
    stale = next(f for f in doc["findings"] if f["rule"] == "BIAS-2.analysis-current")
    assert stale["status"] == "fail" and "2024-05-01" in stale["message"]


def test_evidence_carries_the_document_and_audit_metadata(
    make_repo: Callable[..., RepoBuilder], adult_bytes: bytes
) -> None:
    repo = make_repo(
        {"govgate.yaml": config([ADULT_ANALYSIS]), "data/adult_predictions.csv": adult_bytes}
    )
    items, diagnostics = collect(repo.path)
    (item,) = items
    assert item.problem is None and diagnostics == []
    data = item.data
    assert data["schema"] == "govgate/fairness/v1" and data["rows"] == 32561
    assert data["input_sha256"] == hashlib.sha256(adult_bytes).hexdigest()
    assert (data["auditor"], data["audit_date"], data["dated_from"]) == (
        "Independent Audits LLC",
        "2026-03-01",
        "audit_date",
    )
    assert item.dated == "2026-03-01T00:00:00Z"
    assert item.subject == "adult-income"
    assert item.source.path == "data/adult_predictions.csv"
    assert [s["name"] for s in data["intersections"]] == ["sex×race"]


def test_without_audit_date_the_last_commit_dates_the_analysis(
    make_repo: Callable[..., RepoBuilder], adult_bytes: bytes
) -> None:
    analysis = {k: v for k, v in ADULT_ANALYSIS.items() if k != "audit_date"}
    repo = make_repo({"govgate.yaml": config([analysis])}, commit=False)
    repo.commit("config")
    repo.write({"data/adult_predictions.csv": adult_bytes})
    repo.commit(
        "audit data",
        env={
            "GIT_COMMITTER_DATE": "2025-11-20T10:00:00+01:00",
            "GIT_AUTHOR_DATE": "2025-11-20T10:00:00+01:00",
        },
    )
    (item,), _ = collect(repo.path)
    assert item.dated == "2025-11-20T09:00:00Z"
    assert item.data["dated_from"] == "git" and item.data["audit_date"] is None


def test_decision_logs_by_glob_with_malformed_lines_and_personal_data(
    make_repo: Callable[..., RepoBuilder],
) -> None:
    # Two months of JSONL decision logs; one line is cut off, and the attribute column of a
    # careless export holds e-mail addresses: the evidence must mask them.
    def month(offset: int) -> str:
        lines = []
        for i in range(200):
            record = {
                "decision_id": f"d{offset}-{i}",
                "final_outcome": ["approve", "decline"][i % 3 == 0],
                "segment": "north" if i % 2 else "ceo@example.com",
            }
            lines.append(json.dumps(record))
        return "\n".join(lines) + "\n"

    broken = month(2).splitlines()
    broken[9] = broken[9][:25]
    analysis = {
        "name": "decisions",
        "path": "logs/decisions-*.jsonl",
        "prediction": "final_outcome",
        "positive": "approve",
        "attrs": ["segment"],
        "audit_date": "2026-05-01",
    }
    repo = make_repo(
        {
            "govgate.yaml": config([analysis], protected=["segment"]),
            "logs/decisions-2026-04.jsonl": month(1),
            "logs/decisions-2026-05.jsonl": "\n".join(broken) + "\n",
        }
    )
    (item,), diagnostics = collect(repo.path)
    data = item.data
    assert data["rows"] == 399 and data["rejected_rows"] == 1
    assert data["rejected_lines"] == [
        {"path": "logs/decisions-2026-05.jsonl", "line": 10, "error": "malformed JSON"}
    ]
    assert [(d.path, d.line) for d in diagnostics] == [("logs/decisions-2026-05.jsonl", 10)]
    assert "ceo@example.com" not in json.dumps(data)
    assert {g["n"] for g in data["attributes"][0]["groups"]} == {200, 199}
    combined = hashlib.sha256()
    for rel in ("logs/decisions-2026-04.jsonl", "logs/decisions-2026-05.jsonl"):
        digest = hashlib.sha256((repo.path / rel).read_bytes()).hexdigest()
        combined.update(f"{rel}\0{digest}\n".encode())
    assert data["input_sha256"] == combined.hexdigest()
    # Both logs are named as the analysis's sources (govgate trace shows them).
    assert item.source.path is None
    assert item.source.files == ("logs/decisions-2026-04.jsonl", "logs/decisions-2026-05.jsonl")


def test_bad_entries_become_evidence_with_the_problem(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any]
) -> None:
    analyses = [
        {"name": "no-attrs", "path": "p.csv", "prediction": "pred"},
        {
            "name": "typo",
            "path": "p.csv",
            "prediction": "pred",
            "attrs": ["sex"],
            "label": "outcome",
        },
        {"name": "nothing-there", "path": "missing/*.parquet", "prediction": "p", "attrs": ["sex"]},
        {
            "name": "bad-date",
            "path": "p.csv",
            "prediction": "pred",
            "attrs": ["sex"],
            "audit_date": "03/04/2026",
        },
    ]
    repo = make_repo(
        {
            "govgate.yaml": config(analyses, protected=["sex"]),
            "p.csv": "sex,pred,result\nF,1,yes\nM,0,no\n",
        }
    )
    items, diagnostics = collect(repo.path)
    problems = {item.subject: item.problem for item in items}
    assert (
        problems["no-attrs"] is not None
        and "'attrs' is a required property" in (problems["no-attrs"])
    )
    assert "label column 'outcome' not found" in str(problems["typo"])
    assert "no file matches 'missing/*.parquet'" in str(problems["nothing-there"])
    assert "'03/04/2026' is not a date; write YYYY-MM-DD" in str(problems["bad-date"])
    assert all(d.level == "error" for d in diagnostics) and len(diagnostics) == 4
    result = run_cli("check", repo.path, "--format", "json", "--no-locker")
    doc = json.loads(result.stdout)
    present = [f for f in doc["findings"] if f["rule"] == "BIAS-2.analysis-present"]
    assert {f["status"] for f in present} == {"fail"} and len(present) == 4
    assert any("label column 'outcome' not found" in f["message"] for f in present)


def test_no_analyses_configured_fails_with_where_to_configure(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any]
) -> None:
    repo = make_repo({"govgate.yaml": config([])})
    result = run_cli("check", repo.path, "--format", "json", "--no-locker")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    present = next(f for f in doc["findings"] if f["rule"] == "BIAS-2.analysis-present")
    assert present["status"] == "fail"
    assert "collector 'fairness' produced no fairness.analysis" in present["message"]
    assert "collectors.fairness.analyses" in present["remediation"]


def _check(run_cli: Callable[..., Any], repo: RepoBuilder) -> dict[str, Any]:
    result = run_cli("check", repo.path, "--format", "json", "--no-locker")
    assert result.exit_code in (0, 1), result.stderr
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def _by_rule(doc: dict[str, Any]) -> dict[tuple[str, str | None], dict[str, Any]]:
    return {(f["rule"], f.get("item")): f for f in doc["findings"]}


@pytest.mark.slow  # ~3 s: two checks
def test_small_age_groups_are_unverified_until_binned(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    # 73 ages, each under 2% of rows: no group is compared, so no bias rule on age may pass.
    data = ages_csv(tmp_path / "ages.csv").read_text()
    analysis = {
        "name": "screen",
        "path": "data/screen.csv",
        "prediction": "selected",
        "attrs": ["sex", "age"],
        "audit_date": "2026-05-01",
    }
    repo = make_repo({"govgate.yaml": config([analysis], ["sex", "age"]), "data/screen.csv": data})
    findings = _by_rule(_check(run_cli, repo))
    reason = (
        "all 73 groups of age are under the 2% minimum share: bin the attribute (or lower the "
        "minimum share)"
    )
    unverified = findings[("BIAS-3.impact-ratio", "age")]
    assert unverified["status"] == "error"
    assert unverified["message"].endswith(reason)
    assert findings[("BIAS-4.demographic-parity", "age")]["status"] == "error"
    assert findings[("BIAS-3.intersectional-impact-ratio", "sex×age")]["status"] == "error"
    assert findings[("BIAS-3.impact-ratio", "sex=F")]["status"] == "pass"
    judged = [f for (rule, _), f in findings.items() if rule.startswith(("BIAS-3", "BIAS-4"))]
    assert not any(f["status"] == "pass" and "age" in str(f.get("item")) for f in judged)
    statuses = {
        c["id"]: c["status"]
        for c in json.loads(run_cli("check", repo.path, "--format", "json", "--no-locker").stdout)[
            "controls"
        ]
    }
    assert statuses["BIAS-3"] == statuses["BIAS-4"] == "unverified"

    edges = [18, 25, 40, 60]
    binned = {**analysis, "attrs": ["sex", {"age": {"bins": edges}}]}
    repo.write({"govgate.yaml": config([binned], ["sex", "age"])})
    findings = _by_rule(_check(run_cli, repo))
    frame = pd.read_csv(tmp_path / "ages.csv")
    labels = ["under 18", "18 to under 25", "25 to under 40", "40 to under 60", "60 and over"]
    bands = pd.cut(frame["age"], [-math.inf, *edges, math.inf], right=False, labels=labels)
    rates = MetricFrame(
        metrics=selection_rate,
        y_true=frame["selected"],
        y_pred=frame["selected"],
        sensitive_features=bands.astype(str),
    ).by_group
    (item,), _ = collect(repo.path)
    age = item.data["attributes"][1]
    assert [g["value"] for g in age["groups"]] == labels[1:]  # nobody is under 18
    for group in age["groups"]:
        ratio = rates[group["value"]] / rates.max()
        assert abs(group["impact_ratio"] - ratio) <= 1e-9
        finding = findings[("BIAS-3.impact-ratio", group["id"])]
        assert finding["status"] == ("fail" if ratio < 0.8 else "pass")
    young = findings[("BIAS-3.impact-ratio", "age=18 to under 25")]
    assert young["status"] == "fail" and rates["18 to under 25"] / rates.max() < 0.1
    assert findings[("BIAS-4.demographic-parity", "age")]["status"] == "fail"


def test_where_setting_and_values_as_written(
    make_repo: Callable[..., RepoBuilder], tmp_path: Path
) -> None:
    analysis = {
        "name": "arrests",
        "path": "data/arrests.csv",
        "prediction": "released",
        "positive": "Yes",
        "attrs": ["colour", "employed"],
        "where": ["year >= 2000", "sex = Male"],
    }
    path = arrests_csv(tmp_path / "arrests.csv")
    repo = make_repo(
        {
            "govgate.yaml": config([analysis], ["colour"]),
            "data/arrests.csv": path.read_bytes(),
        }
    )
    (item,), diagnostics = collect(repo.path)
    assert item.problem is None and diagnostics == []
    frame = arrests_frame(path)
    kept = frame[(frame["year"].astype(int) >= 2000) & (frame["sex"] == "Male")]
    assert item.data["rows"] == len(kept)
    assert item.data["where"] == {
        "conditions": ["year >= 2000", "sex = Male"],
        "excluded_rows": len(frame) - len(kept),
    }
    employed = item.data["attributes"][1]
    assert [(g["value"], g["n"]) for g in employed["groups"]] == [
        ("No", int((kept["employed"] == "No").sum())),
        ("Yes", int((kept["employed"] == "Yes").sum())),
    ]


@pytest.mark.slow  # ~3 s: a check and two collections
def test_unbounded_attribute_is_refused_with_a_binning_hint(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any]
) -> None:
    # A unique value per row (here 5,000 applicant ids) is not a protected attribute; it used
    # to become a table as long as the file and a bias finding per row.
    rows = "".join(f"A-{i:05d},{i % 2}\n" for i in range(5000))
    analysis = {"name": "ids", "path": "p.csv", "prediction": "pred", "attrs": ["applicant"]}
    repo = make_repo(
        {"govgate.yaml": config([analysis], ["applicant"]), "p.csv": "applicant,pred\n" + rows}
    )
    (item,), _ = collect(repo.path)
    assert item.problem is not None
    assert "attribute 'applicant' has more than 1,000 groups, the limit (max_groups)" in (
        item.problem
    )
    assert "bin it (attrs: [{applicant: {bins: [EDGE, ...]}}])" in item.problem
    findings = _check(run_cli, repo)["findings"]
    bias = [f for f in findings if f["rule"].startswith(("BIAS-3", "BIAS-4"))]
    assert bias and {f["status"] for f in bias} == {"fail"}
    analysis["max_groups"] = 6000
    repo.write({"govgate.yaml": config([analysis], ["applicant"])})
    (item,), _ = collect(repo.path)
    assert item.problem is None and len(item.data["attributes"][0]["groups"]) == 5000


def test_binned_attribute_settings_are_checked(make_repo: Callable[..., RepoBuilder]) -> None:
    analyses = [
        {"name": "typo", "path": "p.csv", "prediction": "p", "attrs": [{"age": {"bin": [1]}}]},
        {"name": "order", "path": "p.csv", "prediction": "p", "attrs": [{"age": {"bins": [9, 1]}}]},
        {"name": "where", "path": "p.csv", "prediction": "p", "attrs": ["age"], "where": "age"},
    ]
    repo = make_repo({"govgate.yaml": config(analyses, ["age"]), "p.csv": "age,p\n20,1\n50,0\n"})
    problems = {item.subject: item.problem for item in collect(repo.path)[0]}
    assert "collectors.fairness.analyses[0].attrs.0" in str(problems["typo"])
    assert "edges must be finite numbers in ascending order (got 9, 1)" in str(problems["order"])
    assert "where 'age': no operator after column 'age'" in str(problems["where"])


@pytest.mark.slow  # ~2 s: three checks of Adult
def test_ll144_audit_is_met_only_with_every_table_and_the_audit_record(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., Any], adult_bytes: bytes
) -> None:
    # Adult has sex and race, and hours-per-week serves as the score of a screening tool.
    analysis = {**ADULT_ANALYSIS, "score": "hours-per-week"}
    record = "auditor: Independent Audits LLC\nindependent: true\ndate: 2026-03-01\n"
    repo = make_repo(
        {
            "govgate.yaml": config([analysis]),
            "data/adult_predictions.csv": adult_bytes,
            "governance/bias_audit.yaml": record,
        }
    )
    doc = _check(run_cli, repo)
    findings = _by_rule(doc)
    for rule in (
        "BIAS-7.sex-categories",
        "BIAS-7.race-ethnicity-categories",
        "BIAS-7.intersectional-categories",
        "BIAS-7.scoring-declared",
        "BIAS-7.small-category-exclusion",
    ):
        assert findings[(rule, "adult-income")]["status"] == "pass", rule
    for rule in ("BIAS-7.auditor-named", "BIAS-7.auditor-independent", "BIAS-7.audit-dated"):
        assert findings[(rule, "governance/bias_audit.yaml")]["status"] == "pass", rule
    scoring = {
        item: f["status"]
        for (rule, item), f in findings.items()
        if rule == "BIAS-7.scoring-impact-ratio"
    }
    assert scoring["sex=Male"] == "pass" and "sex×race=Male×White" in scoring
    controls = {c["id"]: c["status"] for c in doc["controls"]}
    assert controls["BIAS-7"] in ("satisfied", "not_satisfied")
    assert controls["BIAS-7"] == (
        "satisfied" if set(scoring.values()) == {"pass"} else "not_satisfied"
    )

    # Without sex×race (race alone) and without the record, LL144 is not met.
    repo.write({"govgate.yaml": config([{**analysis, "attrs": ["race"]}], ["race"])})
    (repo.path / "governance" / "bias_audit.yaml").unlink()
    doc = _check(run_cli, repo)
    findings = _by_rule(doc)
    assert findings[("BIAS-7.intersectional-categories", "adult-income")]["status"] == "fail"
    assert findings[("BIAS-7.auditor-independent", None)]["status"] == "fail"
    requirements = {r["id"]: r["status"] for r in doc["requirements"]}
    assert requirements["LL144-AUDIT"] in ("not_met", "partial")

    # Declared not an employment decision tool: LL144 does not apply.
    text = json.loads(config([analysis]))
    text["params"]["bias"]["aedt"] = False
    repo.write({"govgate.yaml": json.dumps(text)})
    doc = _check(run_cli, repo)
    requirements = {r["id"]: r["status"] for r in doc["requirements"]}
    assert requirements["LL144-AUDIT"] == "not_applicable"
    assert {f["status"] for f in doc["findings"] if f["rule"].startswith("BIAS-7")} == {
        "not_applicable"
    }
