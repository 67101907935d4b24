"""The support-assistant example: an LLM chatbot whose check is mostly met, with a few real gaps.

The example's dated files are regenerated as of today in a copy (generate.py --as-of), so the
story (a privacy policy two months old, an erasure request 38 days open, ...) is the same
whenever the test runs; `govgate check` then runs on that copy as a user would run it.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from click.testing import CliRunner
from govgate_collectors.aibom import AiBomCollector
from govgate_collectors.redteam import RedteamCollector

from govgate.core.collector import CollectContext, RepoFiles

from conftest import EXAMPLES, git

EXAMPLE = EXAMPLES / "support-assistant"

HIGH_RISK_ONLY = (
    "AIA-9 AIA-10 AIA-11 AIA-12 AIA-13 AIA-14 AIA-15 AIA-17 AIA-26 AIA-27 AIA-72 AIA-73"
)
#: The statuses the example is designed to produce (README.md explains each gap).
EXPECTED_STATUSES = {
    # EU AI Act: a limited-risk chatbot owes literacy, classification and transparency only.
    "AIA-4": "not_met",  # 3 of 40 support agents are not trained yet
    "AIA-6": "met",
    "AIA-50": "met",  # disclosed, human contact, answers marked machine-readably (config/llm.yaml)
    "AIA-53": "not_applicable",  # uses a hosted model; provides no general-purpose model
    "AIA-50-3": "not_applicable",  # reads no emotions, sorts nobody by biometric data
    "AIA-50-4": "not_applicable",  # no deep fakes, nothing published to inform the public
    "AIA-55": "not_applicable",  # no general-purpose model, so none with systemic risk
    # The high-risk chapter does not apply to a limited-risk system.
    **dict.fromkeys(HIGH_RISK_ONLY.split(" "), "not_applicable"),
    # GDPR
    "GDPR-5-1a": "met",
    "GDPR-5-1b": "met",
    "GDPR-5-1c": "not_met",  # customers' e-mails, phones, a card and an IBAN in old chat logs
    "GDPR-5-1d": "met",
    "GDPR-5-1e": "met",
    "GDPR-5-1f": "not_met",  # a prompt-injection test fails: a known hole in the chat's security
    "GDPR-5-2": "met",
    "GDPR-6": "met",
    "GDPR-9": "not_applicable",  # no special categories in the RoPA
    "GDPR-13": "met",
    "GDPR-14": "not_applicable",  # all data come from the customers themselves
    "GDPR-15": "met",
    "GDPR-17": "not_met",  # an erasure request open for 38 days (limit 30)
    "GDPR-22": "met",  # no significant automated decision; the kill switch and overrides work
    "GDPR-25": "not_met",  # same PII in logs: not private by default
    "GDPR-30": "met",
    "GDPR-32": "not_met",  # same failing test (Art. 32(1)(d) testing of effectiveness)
    "GDPR-33": "met",  # one breach, notified after 47 hours
    "GDPR-35": "not_applicable",
    # CCPA: the same request is within California's 45 days.
    "CCPA-KNOW": "met",
    "CCPA-DELETE": "met",
    "CCPA-CORRECT": "met",
    "CCPA-OPTOUT": "met",
    "CCPA-LIMIT": "not_applicable",  # declares no use of sensitive PI beyond permitted purposes
    "CCPA-NOTICE": "met",
    "CCPA-POLICY": "met",
    "CCPA-RECORDS": "met",
    "CCPA-NONDISC": "met",
    "CPPA-ADMT-SCOPE": "not_applicable",
    "CPPA-ADMT-NOTICE": "not_applicable",
    "CPPA-ADMT-OPTOUT": "not_applicable",
    "CPPA-ADMT-ACCESS": "not_applicable",
    "CPPA-RA": "not_applicable",
    # Readiness (with the audit-trail and human-oversight packs it uses).
    "READY-00": "met",  # system.llm is declared, and no evidence file is an unfinished template
    "READY-01": "met",
    "READY-02": "met",  # timeout and outage tests hand over to an agent
    "READY-03": "partial",  # logging on, but a duplicate, a bad line, gaps in model_version
    "READY-04": "met",
    "READY-05": "met",  # k6: 50 requests/s, p95 1.7 s (SLO 2.5 s), 0.2% errors
    "READY-06": "met",  # the sponsor committed the attestation herself
    "READY-07": "met",
    "READY-08": "met",
    "READY-09": "met",
    "READY-10": "met",
    "READY-11": "met",
    "READY-12": "not_met",  # the base64-smuggled instruction gets past the input guard
    "NIST-MEASURE-2.8": "not_met",
    "ISO42001-A.6.2.8": "partial",
    # OWASP LLM Top 10: the scans in reports/redteam/, config/llm.yaml and the AI-BOM.
    "OWASP-LLM01": "not_met",  # injections got through in all three scans (8/16, 1/2, 2/4)
    "OWASP-LLM02": "not_met",  # promptfoo's personal-data test leaked (garak's 20 held)
    "OWASP-LLM03": "met",  # model pinned to 2026.08.1 as deployed; the BOM scores 12 of 13
    "OWASP-LLM04": "met",  # the one retrieval source has an origin and a sha256
    "OWASP-LLM05": "not_met",  # garak's SQL echo: 10 of 22 got through
    "OWASP-LLM06": "not_met",  # tools are narrow, yet promptfoo's excessive-agency test got through
    "OWASP-LLM07": "not_met",  # not covered: two prompt-extraction attempts are too few to count
    "OWASP-LLM08": "met",  # retrieval filters by the customer's access and vets its articles
    "OWASP-LLM09": "not_met",  # not covered: one misinformation test is too few to count
    "OWASP-LLM10": "met",  # requests per minute, input and output tokens are limited
    "OWASP-LLM-SCOPE": "met",  # system.llm: true, as its code (an LLM client) shows
    # NIST AI 600-1: the OWASP controls, plus its own (filter, marking, attestations, eval).
    "GAI-SCOPE": "met",  # system.llm: true, as its code (an LLM client) shows
    "GAI-CBRN": "met",  # output.content_filter: true
    "GAI-CONFABULATION": "not_met",  # only OL-09: no misinformation scan counts
    "GAI-HARMFUL-CONTENT": "met",
    "GAI-PRIVACY": "partial",  # retrieval is controlled (OL-08), but a leak got through (OL-02)
    "GAI-ENVIRONMENT": "not_met",  # nobody has estimated energy and emissions
    "GAI-BIAS": "not_met",  # the evaluation has no per-group (per-language) comparison
    "GAI-HUMAN-AI": "partial",  # disclosed with human contact, but the agency attack got through
    "GAI-INFO-INTEGRITY": "met",  # answers are marked AI-generated
    "GAI-INFO-SECURITY": "partial",  # settings hold, scans show injections and output handling
    "GAI-IP": "met",  # the supplier-review attestation (terms, DPA, licences)
    "GAI-OBSCENE": "met",
    "GAI-VALUE-CHAIN": "met",  # pinned model, BOM, traced source, supplier review
}


@dataclass
class Checked:
    repo: Path
    exit_code: int
    stdout: str
    stderr: str
    result: dict[str, Any]

    def finding(self, rule: str, item: str | None = None) -> dict[str, Any]:
        found = [
            f
            for f in self.result["findings"]
            if f["rule"] == rule and (item is None or f["item"] == item)
        ]
        assert len(found) == 1, f"{rule}[{item}]: {found}"
        return found[0]


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "support_assistant_generate", EXAMPLE / "generate.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def copy_as_of_today(target: Path) -> Path:
    """The example in a fresh git repository, its dated files regenerated as of today."""
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".govgate", "__pycache__"))
    today = datetime.now(UTC).date().isoformat()
    subprocess.run(
        [sys.executable, str(target / "generate.py"), "--as-of", today, "--out", str(target)],
        check=True,
        capture_output=True,
    )
    sponsor = "governance/attestations/executive-sponsor.yaml"
    git(target, "init", "-q", "-b", "main")
    git(target, "add", "-A", "--", ".", f":!{sponsor}")
    git(target, "commit", "-q", "-m", "support assistant")
    # The sponsor commits her own attestation, so git corroborates it (readiness criterion 6).
    git(target, "add", sponsor)
    identity = {"GIT_AUTHOR_NAME": "Lena Hofmann", "GIT_AUTHOR_EMAIL": "lena@example.invalid"}
    git(target, "commit", "-q", "-m", "sponsor attestation", env=identity)
    return target


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Checked]:
    from govgate.cli.main import main

    repo = copy_as_of_today(tmp_path_factory.mktemp("example") / "support-assistant")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GOVGATE_DISABLE_PLUGIN_AUTOLOAD", "1")
        patch.setenv("NO_COLOR", "1")
        run = CliRunner().invoke(
            main, ["check", str(repo), "--format", "json"], catch_exceptions=False
        )
    yield Checked(repo, run.exit_code, run.stdout, run.stderr, json.loads(run.stdout))


def test_requirement_statuses_are_the_designed_ones(checked: Checked) -> None:
    statuses = {r["id"]: r["status"] for r in checked.result["requirements"]}
    assert statuses == EXPECTED_STATUSES
    # Ready for production by the twelve criteria, yet the gate fails on the privacy gaps.
    assert checked.result["readiness"]["score"] == 10
    assert checked.result["readiness"]["band"] == "production-ready"
    assert checked.result["gate"] == "fail"
    assert checked.exit_code == 1


def test_check_prints_a_reason_for_every_not_applicable_finding(checked: Checked) -> None:
    """Not applicable never goes without its why: each one's reason, in the user's terms (no
    JMESPath, no placeholder left), in the result and in what `govgate check` prints."""
    not_applicable = [f for f in checked.result["findings"] if f["status"] == "not_applicable"]
    assert len(not_applicable) > 40  # the high-risk chapter, the CPPA ADMT rules, ...
    printed = " ".join(checked.stderr.split())
    for finding in not_applicable:
        reason = finding["reason"]
        assert reason and finding["message"] == f"not applicable: {reason}", finding
        assert not any(token in reason for token in ("[?", "&&", "==", "not set", "{")), reason
        assert reason in printed, reason


def test_each_gap_says_what_is_wrong_and_where(checked: Checked) -> None:
    pii = checked.finding("GD-6.logs-without-pii")
    assert pii["status"] == "fail"
    counts = "7 personal data values: 3 e-mail, 2 phone, 0 national id, 1 card, 1 IBAN, 0 IP"
    assert counts in pii["message"]

    # The PII scan names the files to clean: the first months, before the redaction fix.
    planted = [v for values in load_generator().PLANTED_PII.values() for v in values]
    logs = sorted((checked.repo / "logs" / "decisions").glob("*.jsonl"))
    dirty = [p for p in logs if any(value in p.read_text() for value in planted)]
    assert 1 <= len(dirty) < len(logs)
    listed = ", ".join(str(p.relative_to(checked.repo)) for p in dirty)
    files = checked.finding("GD-6.files-without-pii")
    assert files["message"].startswith(f"personal data found in [{listed}] (3 e-mail, 2 phone")

    erasure = checked.finding("GD-10.erasure-on-time", "REQ-0457")
    assert erasure["status"] == "fail"
    assert erasure["message"].startswith("erasure request REQ-0457 (received ")
    assert "the limit is 30" in erasure["message"]
    assert erasure["location"] == {"path": "governance/requests.yaml", "line": 7}
    # The same open request is still within California's 45 days.
    assert checked.finding("CC-2.on-time", "REQ-0457")["status"] == "pass"

    literacy = checked.finding("EU-1.staff-trained", "support agent")
    assert literacy["status"] == "fail"
    assert literacy["message"] == (
        "only 37 of 40 people in role support agent have had AI-literacy training"
    )
    assert literacy["location"]["path"] == "governance/training.yaml"

    injection = checked.finding("GD-13.prompt-injection-tested")
    assert injection["status"] == "fail"
    assert "7 tests, 1 failing, 0 erroring" in injection["message"]

    failing = sorted(f["rule"] for f in checked.result["findings"] if f["status"] == "fail")
    assert failing == [
        "AT-2.required-fields",  # a dozen records from an old client lack model_version
        "AT-3.unique-ids",  # a retried write logged one decision twice
        "AT-3.well-formed",  # another service wrote a local timestamp
        "EU-1.staff-trained",
        "GD-10.erasure-on-time",
        "GD-13.prompt-injection-tested",
        "GD-6.files-without-pii",
        "GD-6.logs-without-pii",
        "GP-3.environmental-impact",  # no estimate of energy and emissions
        "GP-4.evaluated-per-group",  # the evaluation is not split by group or language
        "OL-01.scan",  # garak: 8 of 16 injections got through
        "OL-01.scan",  # Inspect: 2 of 4
        "OL-01.scan",  # promptfoo: 1 of 2
        "OL-02.scan",  # promptfoo's personal-data test leaked
        "OL-05.scan",  # garak's SQL echo
        "OL-06.scan",  # promptfoo's excessive-agency test got through
        "OL-07.scan",  # no scan with enough prompt-extraction attempts
        "OL-09.scan",  # no scan with enough misinformation attempts
        "RD-12.adversarial-tested",
        "RD-12.prompt-injection-tested",
    ]


def test_the_chatbot_duties_pass(checked: Checked) -> None:
    for rule in ("EU-13.ai-disclosed", "EU-13.generated-content-labelled", "EU-13.human-contact"):
        assert checked.finding(rule)["status"] == "pass"
    assert checked.finding("GD-14.notified-in-time", "INC-2026-07")["status"] == "pass"
    # Goodwill credits are approved by an agent, so nothing here is a significant ADM.
    assert checked.finding("GD-11.appeal-channel")["status"] == "not_applicable"


def test_log_defects_are_reported_with_file_and_line(checked: Checked) -> None:
    months = sorted(p.name for p in (checked.repo / "logs" / "decisions").glob("*.jsonl"))
    where = f"logs/decisions/{months[2]}:12: malformed decision-log line"
    assert f"{where}: timestamp must be a date-time (RFC 3339" in checked.stderr
    duplicate = checked.finding("AT-3.unique-ids")
    assert duplicate["message"].startswith("1 decision ids occur more than once")


def test_planted_personal_data_never_leaves_govgate(checked: Checked) -> None:
    generator = load_generator()
    planted = [value for values in generator.PLANTED_PII.values() for value in values]
    assert len(planted) == 7
    # They really are in the logs that were checked...
    logs = "".join(p.read_text() for p in (checked.repo / "logs" / "decisions").glob("*.jsonl"))
    assert all(value in logs for value in planted)
    # ...and in no output: not as written, not without spaces, not in the locker.
    locker = b"".join(p.read_bytes() for p in (checked.repo / ".govgate").rglob("*") if p.is_file())
    for value in planted:
        for form in {value, value.replace(" ", "")}:
            assert form not in checked.stdout
            assert form not in checked.stderr
            assert form.encode() not in locker


@pytest.mark.slow
def test_generate_reproduces_the_committed_files(tmp_path: Path) -> None:
    generator = load_generator()
    written = generator.generate(tmp_path, generator.DEFAULT_AS_OF)
    assert "reports/tests/prompt_injection.xml" in written
    assert len([w for w in written if w.startswith("logs/decisions/")]) >= 7  # 200 days
    for rel in written:
        assert (tmp_path / rel).read_bytes() == (EXAMPLE / rel).read_bytes(), rel
    junit = (EXAMPLE / "reports/tests/prompt_injection.xml").read_text()
    assert 'tests="14"' in junit and 'failures="1"' in junit
    assert 'hostname="ci-runner"' in junit


def collected(collector_cls: type[Any], root: Path, said: tuple[str, ...] = ()) -> list[Any]:
    collector = collector_cls()
    ctx = CollectContext(
        root=root,
        collector=collector.name,
        collector_version=collector.version,
        kinds=list(collector.kinds),
        settings={},
        system={},
        files=RepoFiles(root),
    )
    items = list(collector.collect(ctx))
    assert [d.message for d in ctx.diagnostics] == list(said)
    return items


def test_red_team_scans_say_which_owasp_llm_risks_are_covered(checked: Checked) -> None:
    """garak, promptfoo and Inspect scanned the deployed model version (their real outputs,
    redated with the story); together they cover five OWASP LLM risks and say nothing of five
    (promptfoo's own test tagged LLM09 attacks nothing, so it counts for no risk)."""
    said = (
        "tests tagged owasp_llm without a red-team plugin or strategy count for no risk: "
        "(eval assertions) (LLM09); map them in govgate.yaml collectors.redteam.mapping to "
        "count them",
    )
    scans = {item.data["tool"]: item for item in collected(RedteamCollector, checked.repo, said)}
    assert sorted(scans) == ["garak", "inspect", "promptfoo"]
    today = datetime.now(UTC).date()
    for tool, days in (("garak", 12), ("promptfoo", 5), ("inspect", 30)):
        item = scans[tool]
        assert item.problem is None, item.problem
        assert item.data["model_version"] == "2026.08.1"
        assert item.data["date"].startswith((today - timedelta(days=days)).isoformat())
    # The README's table: attacks that got through, of those made, per risk and tool.
    through = {
        tool: {risk: (c["failures"], c["attempts"]) for risk, c in item.data["categories"].items()}
        for tool, item in scans.items()
    }
    assert through == {
        "garak": {"LLM01": (8, 16), "LLM02": (0, 20), "LLM05": (10, 22)},
        "promptfoo": {
            "LLM01": (1, 2),
            "LLM02": (1, 1),
            "LLM06": (1, 1),
            "LLM07": (0, 2),
        },
        "inspect": {"LLM01": (2, 4)},
    }
    covered = sorted({c for item in scans.values() for c in item.data["covered"]})
    assert covered == ["LLM01", "LLM02", "LLM05", "LLM06", "LLM07"]
    not_covered = set.intersection(*(set(item.data["not_covered"]) for item in scans.values()))
    assert sorted(not_covered) == ["LLM03", "LLM04", "LLM08", "LLM09", "LLM10"]


def test_the_ai_bom_is_what_govgate_bom_writes_and_names_its_gap(checked: Checked) -> None:
    from govgate.cli.main import main

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GOVGATE_DISABLE_PLUGIN_AUTOLOAD", "1")
        run = CliRunner().invoke(main, ["bom", str(checked.repo)], catch_exceptions=False)
    assert run.exit_code == 0, run.stderr
    written = json.loads(run.stdout)
    committed = json.loads((EXAMPLE / "bom" / "support-assistant.cdx.json").read_text())
    for bom in (written, committed):
        del bom["metadata"]["timestamp"]
    assert written == committed
    # A hosted model cannot be pinned by hash: the one gap, said and scored.
    assert "the model card (docs/model_card.md) states no sha256" in run.stderr
    [bom] = collected(AiBomCollector, checked.repo)
    assert bom.data["missing"] == ["model acme-support-llm: hashes"]
    # Scored per entry kind: the model meets 7 of its 8 checks, the dataset all 5.
    assert (bom.data["completeness"], bom.data["datasets_completeness"]) == (0.875, 1.0)


def owasp_grid(printed: str) -> dict[str, str]:
    """The OWASP LLM block of the text report: risk id → its mark (✓ ✗ ◐ ? –)."""
    lines = printed.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("OWASP Top 10 for LLM"))
    block = []
    for line in lines[start + 1 :]:
        if not line.startswith("  ") or line.startswith("  not met for want"):
            break
        block.append(line)
    cells = " ".join(block).split()
    return dict(zip(cells[1::2], cells[0::2], strict=True))


def test_the_check_names_covered_and_uncovered_owasp_llm_risks(checked: Checked) -> None:
    """What `govgate check` prints for each of the ten risks: met on evidence, failing on a
    named scan at its file, or not covered for want of evidence, with what would cover it."""
    printed = checked.stderr
    marks = owasp_grid(printed)
    assert marks == {
        **dict.fromkeys(
            ("OWASP-LLM03", "OWASP-LLM04", "OWASP-LLM08", "OWASP-LLM10", "OWASP-LLM-SCOPE"), "✓"
        ),
        **dict.fromkeys(
            ("OWASP-LLM01", "OWASP-LLM02", "OWASP-LLM05", "OWASP-LLM06", "OWASP-LLM07"), "✗"
        ),
        "OWASP-LLM09": "✗",
    }
    assert "  not met for want of evidence: OWASP-LLM07, OWASP-LLM09\n" in printed

    # Failing: the scan that shows it, where it is, and how many attacks got through.
    garak = "reports/redteam/garak/support-assistant.report.jsonl"
    promptfoo = "reports/redteam/promptfoo/results.json"
    failing = {
        (f["rule"], f["location"]["path"])
        for f in checked.result["findings"]
        if f["status"] == "fail" and f["rule"].startswith("OL-") and f["location"]
    }
    assert failing == {
        ("OL-01.scan", garak),
        ("OL-01.scan", "reports/redteam/inspect/prompt-injection.json"),
        ("OL-01.scan", promptfoo),
        ("OL-02.scan", promptfoo),
        ("OL-05.scan", garak),
        ("OL-06.scan", promptfoo),
    }
    assert f"FAIL   high     OL-05.scan  {garak}:132" in printed
    scan = "{} scan of 2026.08.1 ({})".format
    assert (
        "attack_success_rate (0.5)"
        in checked.finding("OL-01.scan", scan("garak", garak))["message"]
    )
    agency = checked.finding("OL-06.scan", scan("promptfoo", promptfoo))["message"]
    assert "does not show excessive agency (LLM06) under control" in agency
    assert "attack_success_rate (1)" in agency

    # Not covered: promptfoo tried two prompt extractions and one false claim, too few to
    # count; the fix names the scans that would cover the risk.
    for rule, risk, cover in (
        ("OL-07.scan", "system-prompt leakage (LLM07)", "promptfoo (prompt-extraction plugin)"),
        ("OL-09.scan", "misinformation (LLM09)", "Inspect (truthfulqa, simpleqa)"),
    ):
        finding = checked.finding(rule)
        assert finding["message"].startswith(f"missing evidence: no red-team scan tests {risk}")
        assert finding["evidence"] == [] and finding["location"] is None
        assert cover in finding["remediation"]
        assert cover in " ".join(printed.split())

    # Covered by settings and the BOM, and said so where no scan tests them.
    for rule in (
        "OL-03.model-pinned",
        "OL-03.bom-complete",
        "OL-03.bom-deployed-model",
        "OL-08.retrieval-controlled",
    ):
        assert checked.finding(rule)["status"] == "pass"
    assert checked.finding("OL-10.scan")["reason"].endswith("the configured limits answer for it")
