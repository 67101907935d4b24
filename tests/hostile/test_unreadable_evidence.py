"""Evidence a change's author breaks so that a rule reads something else: a newer red-team scan
cut short, so that a `where:` filter cannot select it and an older passing scan answers alone.
The broken scan fails the rule, naming the file and its problem."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from core.test_where_unreadable import FILES, GARAK, cut_report, findings

from conftest import CliResult, RepoBuilder


@pytest.mark.slow
def test_a_broken_newer_scan_does_not_leave_an_older_one_to_pass(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult], reliability: Any
) -> None:
    old = (GARAK / "support-assistant-1.4.0.report.jsonl").read_text(encoding="utf-8")
    alone = make_repo({**FILES, "reports/redteam/old.report.jsonl": old})
    assert findings(run_cli, alone)[0] == 0  # the older scan passes on its own
    repo = make_repo(
        {
            **FILES,
            "reports/redteam/old.report.jsonl": old,
            "reports/redteam/new.report.jsonl": cut_report(),
        }
    )
    code, found = findings(run_cli, repo)
    assert code == 1
    by_status = sorted((f["status"], f["location"]["path"]) for f in found)
    assert by_status == [
        ("fail", "reports/redteam/new.report.jsonl"),
        ("pass", "reports/redteam/old.report.jsonl"),
    ]
    (broken,) = [f for f in found if f["status"] == "fail"]
    assert "line 6 is not JSON" in broken["message"]
    reliability.record(
        "redteam-broken-newer-scan",
        f"a garak report cut inside line 6 beside an older passing one: {broken['status']}, "
        f"exit {code}: {broken['message'][:200]}",
    )
