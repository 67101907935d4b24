"""The real red-team tools, run offline in the test itself when they are installed, and their
fresh output read by the redteam collector.

garak, promptfoo and inspect-ai are too large for the test extra (see docs/collectors/redteam.md),
so these tests are skipped where they are not installed; the committed outputs that
test_redteam.py reads were made by the same code (tests/fixtures/redteam/make_outputs.py).
Point the tests at an install with GOVGATE_GARAK, GOVGATE_PROMPTFOO (executables) and
GOVGATE_INSPECT_PYTHON (a Python with inspect-ai), or put them on PATH.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.collectors.test_redteam import collect

from conftest import REPO_ROOT

pytestmark = pytest.mark.slow


def _tool(env: str, name: str) -> str | None:
    return os.environ.get(env) or shutil.which(name)


def _inspect_python() -> str | None:
    if os.environ.get("GOVGATE_INSPECT_PYTHON"):
        return os.environ["GOVGATE_INSPECT_PYTHON"]
    return sys.executable if importlib.util.find_spec("inspect_ai") else None


def _maker() -> ModuleType:
    path = REPO_ROOT / "tests" / "fixtures" / "redteam" / "make_outputs.py"
    spec = importlib.util.spec_from_file_location("make_outputs", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _env() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TZ": "UTC", "NO_COLOR": "1"}


@pytest.mark.skipif(_tool("GOVGATE_GARAK", "garak") is None, reason="garak is not installed")
def test_garak_run_now_is_read(tmp_path: Path) -> None:
    out = tmp_path / "reports" / "redteam"
    _maker().make_garak(_tool("GOVGATE_GARAK", "garak"), out, _env())
    items, _ = collect(tmp_path)
    scan = items["reports/redteam/garak/support-assistant-1.4.0.report.jsonl"]
    assert scan["problem"] is None
    assert scan["data"]["categories"]["LLM01"]["failures"] > 0  # test.Repeat repeats the attack
    guarded = items["reports/redteam/garak/support-assistant-1.5.0.report.jsonl"]["data"]
    assert guarded["failures"] == 0 and guarded["attempts"] > 0
    crashed = items["reports/redteam/garak/crashed.report.jsonl"]
    assert "the run did not finish" in crashed["problem"]


@pytest.mark.skipif(_inspect_python() is None, reason="inspect-ai is not installed")
def test_inspect_run_now_is_read(tmp_path: Path) -> None:
    out = tmp_path / "reports" / "redteam"
    _maker().make_inspect(_inspect_python(), out, _env())
    items, _ = collect(tmp_path)
    for name in ("prompt-injection.eval", "prompt-injection.json"):
        scan = items[f"reports/redteam/inspect/{name}"]
        assert scan["problem"] is None
        assert scan["data"]["categories"]["LLM01"] == {
            "attempts": 4,
            "failures": 2,
            "attack_success_rate": 0.5,
        }
    errored = items["reports/redteam/inspect/prompt-injection-error.eval"]
    assert errored["problem"] == "the eval did not finish (status 'error')"


@pytest.mark.skipif(
    _tool("GOVGATE_PROMPTFOO", "promptfoo") is None, reason="promptfoo is not installed"
)
def test_promptfoo_run_now_is_read(tmp_path: Path) -> None:
    out = tmp_path / "reports" / "redteam"
    _maker().make_promptfoo(_tool("GOVGATE_PROMPTFOO", "promptfoo"), out, _env())
    items, _ = collect(tmp_path)
    scan = items["reports/redteam/promptfoo/results.json"]
    assert scan["problem"] is None
    assert scan["data"]["attempts"] == 7 and scan["data"]["failures"] == 3
