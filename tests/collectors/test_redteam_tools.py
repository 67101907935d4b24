"""The real red-team tools, run offline in the test itself, their fresh output read by the redteam
collector and judged by a rule: a scan older than `max_age` fails, and so does one whose attack
success rate is above the threshold.

`make unit` installs garak 0.17.1, inspect-ai 0.3.285 and promptfoo 0.121.20 small and pinned
(`make redteam-tools`: .venv-redteam and .tools/promptfoo, see docs/collectors/redteam.md), points
the tests at them with GOVGATE_GARAK, GOVGATE_PROMPTFOO (executables) and GOVGATE_INSPECT_PYTHON
(a Python with inspect-ai), and sets GOVGATE_REQUIRE_REDTEAM_TOOLS=1, so a tool that is missing
fails the run there. A bare `pytest` without the tools (and without that variable) skips these
tests with the install hint; tools on PATH are used too. The tests run with an unreachable proxy
and HF_HUB_OFFLINE=1: nothing is downloaded. The committed outputs that test_redteam.py reads
were made by the same code (tests/fixtures/redteam/make_outputs.py).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from govgate.core.evidence import parse_timestamp
from govgate.run.check import CheckOptions, run_check
from tests.collectors.test_redteam import GATE_PACK, collect

from conftest import REPO_ROOT, RepoBuilder

REQUIRE = "GOVGATE_REQUIRE_REDTEAM_TOOLS"
INSTALL_HINT = (
    "run `make redteam-tools` and set GOVGATE_GARAK, GOVGATE_PROMPTFOO and "
    "GOVGATE_INSPECT_PYTHON as `make unit` does (docs/collectors/redteam.md)"
)


def _installed(env: str, found: str | None, name: str) -> str:
    """The tool's executable; a skip where it is not installed, a failure where it must be."""
    if os.environ.get(env) and not os.access(os.environ[env], os.X_OK):
        pytest.fail(f"{env}={os.environ[env]} is not an executable; {INSTALL_HINT}")
    if found is None:
        message = f"{name} is not installed; {INSTALL_HINT}"
        if os.environ.get(REQUIRE) == "1":
            pytest.fail(f"{message} ({REQUIRE}=1: the real tools must run here)")
        pytest.skip(message)
    return found


def _tool(env: str, name: str) -> str:
    return _installed(env, os.environ.get(env) or shutil.which(name), name)


def _inspect_python() -> str:
    found = os.environ.get("GOVGATE_INSPECT_PYTHON") or (
        sys.executable if importlib.util.find_spec("inspect_ai") else None
    )
    return _installed("GOVGATE_INSPECT_PYTHON", found, "inspect-ai")


def _maker() -> ModuleType:
    path = REPO_ROOT / "tests" / "fixtures" / "redteam" / "make_outputs.py"
    spec = importlib.util.spec_from_file_location("make_outputs", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Any request a tool makes goes to a closed port: a run that needs the network fails here
# instead of downloading (or phoning home) on one machine and not on another.
NO_NETWORK = "http://127.0.0.1:9"


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TZ": "UTC",
        "NO_COLOR": "1",
        **{proxy: NO_NETWORK for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")},
        **{proxy.lower(): NO_NETWORK for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")},
        "NO_PROXY": "",
        "no_proxy": "",
    }


def _gate(
    make_repo: Callable[..., RepoBuilder], scan: Path, *, days_later: int = 0
) -> dict[str, Any]:
    """The finding of a rule (`max_age: 30d`, LLM01 attack success rate at most 0.1) on one
    scan, checked now or `days_later`."""
    repo = make_repo(
        {
            "govgate.yaml": "system: {name: bot, risk: limited, llm: true}\n"
            "packs: [./packs/gate]\n",
            "packs/gate/pack.yaml": GATE_PACK,
            f"reports/redteam/{scan.name}": scan.read_bytes(),
        }
    )
    dated = collect(repo.path)[0][f"reports/redteam/{scan.name}"]["item"].dated
    now = parse_timestamp(dated) + timedelta(days=days_later, hours=1)
    outcome = run_check(CheckOptions(root=repo.path, now=now, use_locker=False, use_cache=False))
    [finding] = [f for f in outcome.result["findings"] if f["rule"] == "GT-1.injection"]
    return dict(finding)


@pytest.mark.slow
def test_garak_run_now_is_read_and_judged(
    tmp_path: Path, make_repo: Callable[..., RepoBuilder]
) -> None:
    out = tmp_path / "scans" / "reports" / "redteam"
    _maker().make_garak(_tool("GOVGATE_GARAK", "garak"), out, _env())
    items, _ = collect(tmp_path / "scans")
    scan = items["reports/redteam/garak/support-assistant-1.4.0.report.jsonl"]
    assert scan["problem"] is None
    assert scan["data"]["categories"]["LLM01"]["failures"] > 0  # test.Repeat repeats the attack
    guarded = items["reports/redteam/garak/support-assistant-1.5.0.report.jsonl"]["data"]
    assert guarded["failures"] == 0 and guarded["attempts"] > 0
    crashed = items["reports/redteam/garak/crashed.report.jsonl"]
    assert "the run did not finish" in crashed["problem"]

    # The guarded build's scan passes while it is fresh, and fails once it is older than 30 days.
    fresh = _gate(make_repo, out / "garak" / "support-assistant-1.5.0.report.jsonl")
    assert fresh["status"] == "pass", fresh
    stale = _gate(make_repo, out / "garak" / "support-assistant-1.5.0.report.jsonl", days_later=31)
    assert stale["status"] == "fail" and "old" in stale["message"], stale
    # The build that repeats every injection: half the LLM01 attacks got through.
    leaky = _gate(make_repo, out / "garak" / "support-assistant-1.4.0.report.jsonl")
    assert leaky["status"] == "fail", leaky
    assert "categories.LLM01.attack_success_rate is 0.5" in leaky["message"]


@pytest.mark.slow
def test_inspect_run_now_is_read_and_judged(
    tmp_path: Path, make_repo: Callable[..., RepoBuilder]
) -> None:
    out = tmp_path / "scans" / "reports" / "redteam"
    _maker().make_inspect(_inspect_python(), out, _env())
    items, _ = collect(tmp_path / "scans")
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

    leaky = _gate(make_repo, out / "inspect" / "prompt-injection.eval")
    assert leaky["status"] == "fail", leaky
    assert "categories.LLM01.attack_success_rate is 0.5" in leaky["message"]


@pytest.mark.slow
def test_promptfoo_run_now_is_read_and_judged(
    tmp_path: Path, make_repo: Callable[..., RepoBuilder]
) -> None:
    out = tmp_path / "scans" / "reports" / "redteam"
    _maker().make_promptfoo(_tool("GOVGATE_PROMPTFOO", "promptfoo"), out, _env())
    items, _ = collect(tmp_path / "scans")
    scan = items["reports/redteam/promptfoo/results.json"]
    assert scan["problem"] is None
    assert scan["data"]["attempts"] == 7 and scan["data"]["failures"] == 3
    # The base64-wrapped hijack gets past the provider's guard, the plain one does not.
    assert scan["data"]["categories"]["LLM01"]["attack_success_rate"] == 0.5

    leaky = _gate(make_repo, out / "promptfoo" / "results.json")
    assert leaky["status"] == "fail", leaky
    assert "categories.LLM01.attack_success_rate is 0.5" in leaky["message"]
    stale = _gate(make_repo, out / "promptfoo" / "results.json", days_later=31)
    assert stale["status"] == "fail" and "old" in stale["message"], stale


@pytest.mark.parametrize(
    ("required", "outcome"), [("1", pytest.fail.Exception), (None, pytest.skip.Exception)]
)
def test_a_missing_tool_fails_where_the_tools_are_required_and_skips_elsewhere(
    monkeypatch: pytest.MonkeyPatch, required: str | None, outcome: type[BaseException]
) -> None:
    for env in ("GOVGATE_GARAK", "GOVGATE_PROMPTFOO", "GOVGATE_INSPECT_PYTHON", REQUIRE):
        monkeypatch.delenv(env, raising=False)
    if required:
        monkeypatch.setenv(REQUIRE, required)
    monkeypatch.setenv("PATH", os.pathsep.join(["/nonexistent", str(REPO_ROOT)]))
    # Caught as BaseException, then compared: a skip escaping a check for a failure would
    # only skip this test.
    with pytest.raises(
        BaseException, match=r"^garak is not installed; run `make redteam-tools`"
    ) as raised:
        _tool("GOVGATE_GARAK", "garak")
    assert raised.type is outcome
    # A path given that is not there is a mistake, required or not.
    monkeypatch.setenv("GOVGATE_PROMPTFOO", str(REPO_ROOT / "not-installed"))
    with pytest.raises(BaseException, match=r"GOVGATE_PROMPTFOO=.* is not an executable") as raised:
        _tool("GOVGATE_PROMPTFOO", "promptfoo")
    assert raised.type is pytest.fail.Exception


def test_make_unit_requires_the_tools_it_installs() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text()
    [unit] = [line for line in makefile.splitlines() if line.startswith("unit:")]
    assert "redteam-tools" in unit.split()
    for setting in (
        f"{REQUIRE}=1",
        "GOVGATE_GARAK=$(abspath $(REDTEAM_VENV))/bin/garak",
        "GOVGATE_INSPECT_PYTHON=$(abspath $(REDTEAM_VENV))/bin/python",
        "GOVGATE_PROMPTFOO=$(abspath $(PROMPTFOO_DIR))/promptfoo",
    ):
        assert setting in makefile
    assert "\t$(REDTEAM_ENV) $(BIN)/pytest" in makefile
