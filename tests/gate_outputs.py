"""Validate every file `govgate check --format ... --output-dir DIR` wrote, with the reporter
tests' own validators (SARIF and OSCAL schemas, trestle, junitparser, GitHub's Markdown and the
Actions runner's command syntax), and return what each says about policy edits."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from junitparser import JUnitXml
from outputs.reporters.test_github import parse_line
from outputs.reporters.test_markdown import GITHUB_COMMENT_LIMIT, Elements, to_html
from outputs.reporters.test_oscal import validator as oscal_validator
from outputs.reporters.test_sarif import validator as sarif_validator
from trestle.oscal.assessment_results import AssessmentResults

from govgate.support.schemas import load_schema

ALL_FORMATS = "text,json,sarif,junit,markdown,github,oscal"
FILES = {
    "text": "govgate.txt",
    "json": "govgate.json",
    "sarif": "govgate.sarif",
    "junit": "govgate.junit.xml",
    "markdown": "govgate.md",
    "github": "govgate.github.txt",
    "oscal": "govgate.oscal.json",
}


def validate_outputs(directory: Path) -> dict[str, Any]:
    """Every format's file, validated; returns {format: parsed document or text}."""
    out: dict[str, Any] = {}
    texts = {name: (directory / file).read_text(encoding="utf-8") for name, file in FILES.items()}

    result = json.loads(texts["json"])
    errors = list(Draft202012Validator(load_schema("result")).iter_errors(result))
    assert not errors, [f"{list(e.path)}: {e.message[:200]}" for e in errors[:5]]
    out["json"] = result

    sarif = json.loads(texts["sarif"])
    errors = list(sarif_validator().iter_errors(sarif))
    assert not errors, [f"{list(e.path)}: {e.message[:200]}" for e in errors[:5]]
    out["sarif"] = sarif

    ET.fromstring(texts["junit"].encode("utf-8"))
    out["junit"] = JUnitXml.fromstring(texts["junit"].encode("utf-8"))

    assert len(texts["markdown"]) < GITHUB_COMMENT_LIMIT
    to_html(texts["markdown"])
    out["markdown"] = texts["markdown"]

    lines = texts["github"].splitlines()
    assert texts["github"] == "\n".join(lines) + "\n"
    out["github"] = [parse_line(line) for line in lines]

    oscal = json.loads(texts["oscal"])
    errors = list(oscal_validator().iter_errors(oscal))
    assert not errors, [f"{list(e.path)}: {e.message[:200]}" for e in errors[:5]]
    AssessmentResults.parse_obj(oscal["assessment-results"])
    out["oscal"] = oscal

    out["text"] = texts["text"]
    return out


def policy_edit_statements(outputs: dict[str, Any]) -> dict[str, str]:
    """Where each format says the change edits its own policies (the text that says it)."""
    sarif_run = outputs["sarif"]["runs"][0]
    notices = [
        n["message"]["text"]
        for inv in sarif_run.get("invocations", [])
        for n in inv.get("toolExecutionNotifications", [])
        if n.get("descriptor", {}).get("id") == "changes"
    ]
    junit_failures = [
        result.message
        for suite in outputs["junit"]
        for case in suite
        if case.classname == "govgate.changes"
        for result in case.result
    ]
    results = outputs["oscal"]["assessment-results"]["results"]
    oscal_props = {p["name"]: p["value"] for r in results for p in r.get("props", [])}
    oscal_props["remarks"] = " ".join(r.get("remarks", "") for r in results)
    github = [c.message for c in outputs["github"] if c.name == "warning"]
    return {
        "json": json.dumps(
            {
                k: outputs["json"]["changes"].get(k)
                for k in ("packs_changed", "params_changed", "waivers_changed", "system_changed")
            }
        ),
        "sarif": " ".join(notices),
        "junit": " ".join(str(m) for m in junit_failures),
        "markdown": "".join(Elements(to_html(outputs["markdown"])).text),
        "github": " ".join(github),
        "oscal": json.dumps(oscal_props),
        "text": outputs["text"],
    }
