"""An author who wants the commit hook to pass what it should refuse: stage a disabled kill
switch and leave `true` in the working tree; commit it with the hook skipped and push it with
the working tree fixed; stage an entry git has no object for. The hook judges what git
records, so each is refused."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conftest import CliResult, RepoBuilder

CONFIG = "system: {name: disguised, risk: high}\npacks: [human-oversight]\n"
OVERSIGHT = """\
decision_types:
  - {name: credit_decision, risk_tier: high, approval_required: true, min_approvers: 1,
     override_allowed: true}
kill_switch: {enabled: ENABLED, owner: Head of Operations}
"""


@pytest.mark.slow
def test_the_hook_judges_what_git_records(
    make_repo: Callable[..., RepoBuilder], run_cli: Callable[..., CliResult], reliability
) -> None:
    on, off = OVERSIGHT.replace("ENABLED", "true"), OVERSIGHT.replace("ENABLED", "false")
    repo = make_repo({"govgate.yaml": CONFIG, "governance/oversight.yaml": on})
    honest = run_cli("hook", "run", "--stage", "pre-commit", repo.path)
    # Only failing rules are listed: the stop control passes as committed.
    assert "gate:" in honest.stderr and "HO-2.stop-control" not in honest.stderr
    oversight = repo.path / "governance/oversight.yaml"
    oversight.write_text(off)
    repo.git("add", "governance/oversight.yaml")
    oversight.write_text(on)
    staged = run_cli("hook", "run", "--stage", "pre-commit", repo.path)
    assert staged.exit_code == 1 and "HO-2.stop-control" in staged.stderr
    reliability.record(
        "hook-staged-disguise",
        f"staged kill switch off, working tree on: exit {staged.exit_code}, HO-2.stop-control "
        "fails",
    )
    good = repo.git("rev-parse", "HEAD").strip()
    repo.write({"governance/oversight.yaml": off}).commit("kill switch off, hook skipped")
    bad = repo.git("rev-parse", "HEAD").strip()
    oversight.write_text(on)
    pushed = run_cli(
        "hook",
        "run",
        "--stage",
        "pre-push",
        repo.path,
        input=f"refs/heads/main {bad} refs/heads/main {good}\n",
    )
    assert pushed.exit_code == 1 and "HO-2.stop-control" in pushed.stderr
    reliability.record(
        "hook-staged-disguise",
        f"pushed commit kill switch off, working tree on: exit {pushed.exit_code}",
    )
    repo.git("reset", "-q", "--hard", good)
    ghost = "1234567890abcdef1234567890abcdef12345678"
    repo.git("update-index", "--add", "--info-only", "--cacheinfo", f"100644,{ghost},x.md")
    missing = run_cli("hook", "run", "--stage", "pre-commit", repo.path)
    assert missing.exit_code == 2 and "x.md" in missing.stderr
    reliability.record(
        "hook-staged-disguise",
        f"staged entry without an object: exit {missing.exit_code}, {missing.stderr.strip()}",
    )
