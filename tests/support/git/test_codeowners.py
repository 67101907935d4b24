"""CODEOWNERS rules: the rule that decides a path, its owners masked for evidence and as
written for comparing names (the matching semantics are tested through the git collector)."""

from __future__ import annotations

from govgate.support.git.codeowners import owners_of, parse_codeowners, rule_for, split_unescaped


def test_the_last_matching_rule_decides_and_keeps_owners_as_written() -> None:
    rules, errors = parse_codeowners(
        "* @org/all\ngovernance/ @org/privacy dpo@bank.example  # inline comment\n"
        "governance/public.md\n!negated @x\n"
    )
    assert [line for line, _ in errors] == [4]
    rule = rule_for("governance/waivers.yaml", rules)
    assert rule is not None and rule.line == 2
    assert rule.written == ("@org/privacy", "dpo@bank.example")
    assert rule.owners[0] == "@org/privacy" and "bank.example" not in rule.owners[1]
    assert owners_of("governance/public.md", rules) == ()  # a rule without owners un-owns
    assert owners_of("src/app.py", rules) == ("@org/all",)
    assert rule_for("x", []) is None


def test_escaped_spaces_stay_in_one_token() -> None:
    assert split_unescaped(r"docs/my\ file.md  @a   @b") == [r"docs/my\ file.md", "@a", "@b"]
