"""An author who wants OL-03 to pass without a bill of materials for the model in production
commits one for another model: the public snapshot the fine-tune started from, or a newer one.
The BOM is complete; it is simply not about the deployed model, and fails for it."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import EXAMPLES, CliResult

BOM = "bom/support-assistant.cdx.json"


@pytest.mark.slow
def test_a_complete_bom_of_another_model_fails(
    tmp_path: Path, run_cli: Callable[..., CliResult], reliability
) -> None:
    copy = tmp_path / "support-assistant"
    shutil.copytree(EXAMPLES / "support-assistant", copy, ignore=shutil.ignore_patterns(".govgate"))
    config = (copy / "govgate.yaml").read_text()
    # owasp-llm alone: the other packs take time and judge nothing this test looks at
    config = re.sub(r"(?m)^packs:\n(?:  - .*\n)+", "packs: [owasp-llm]\n", config)
    assert "packs: [owasp-llm]\n" in config
    (copy / "govgate.yaml").write_text(config)
    text = (copy / BOM).read_text()
    assert text.count('"name": "acme-support-llm"') == 1
    assert text.count('"version": "2026.08.1"') == 1
    (copy / BOM).write_text(
        text.replace('"name": "acme-support-llm"', '"name": "gpt-4o"').replace(
            '"version": "2026.08.1"', '"version": "2024-08-06"'
        )
    )
    done = run_cli("check", copy, "--no-locker", "--format", "json")
    findings = {f["rule"]: f for f in json.loads(done.stdout)["findings"]}
    assert findings["OL-03.bom-complete"]["status"] == "pass"  # complete, of the wrong model
    deployed = findings["OL-03.bom-deployed-model"]
    assert deployed["status"] == "fail"
    assert deployed["message"] == (
        f"AI bill of materials {BOM} does not list the model the system runs: no model in it "
        "has govgate.yaml system.model_version (2026.08.1) as its version, its name, or its "
        "name and version joined"
    )
    assert deployed["location"]["path"] == BOM
    reliability.record(
        "bom-other-model",
        "a complete ML-BOM of gpt-4o 2024-08-06 while system.model_version is 2026.08.1: "
        "OL-03.bom-deployed-model fails at the BOM",
    )
