"""`govgate explain RULE`: the rule, what it satisfies, its evidence; a typo gets a suggestion."""

from __future__ import annotations


def test_explain_shows_rule_requirements_and_evidence(run_cli) -> None:
    result = run_cli("explain", "HO-1.gate-configured")
    assert result.exit_code == 0
    assert "HO-1.gate-configured  (high, pack human-oversight" in result.stdout
    assert "satisfies GDPR-22" in result.stdout
    assert "evidence  oversight_config from collector 'config' (installed)" in result.stdout
    missing = run_cli("explain", "HO-1.gate-configure")
    assert missing.exit_code == 2
    assert "did you mean 'HO-1.gate-configured'?" in missing.stderr
