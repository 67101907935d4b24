"""Applicability: three-valued `when`s (an undeclared fact is no "not applicable"), and reasons."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from govgate.core.applicability import decide, declare_hint, is_simple_path, unexplained_paths
from govgate.core.conditions import BUILTIN_OPERATORS, Env, compile_condition

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def decided(raw: dict[str, Any], system: dict[str, Any], **params: Any) -> Any:
    env = Env(params=params, now=NOW, operators=BUILTIN_OPERATORS)
    condition = compile_condition(raw, env)
    root = {"system": system, "params": params}
    return decide(condition, raw, root, values={"system": system, "param": params}, pack="p")


LLM = {"path": "system.llm", "op": "eq", "value": True}
LIMITED = {"path": "system.risk", "op": "eq", "value": "limited"}


def test_an_undeclared_fact_is_unknown_not_false() -> None:
    decision = decided(LLM, {"risk": "high"})
    assert decision.applies is None
    assert decision.undeclared == ("system.llm",)
    assert decided(LLM, {"llm": False}).applies is False
    assert decided(LLM, {"llm": True}).applies is True


def test_all_and_any_follow_kleene() -> None:
    # any: one true part decides, whatever is unknown; all: one false part decides.
    assert decided({"any": [LLM, LIMITED]}, {"risk": "limited"}).applies is True
    assert decided({"any": [LLM, LIMITED]}, {"risk": "high"}).applies is None
    assert decided({"all": [LLM, LIMITED]}, {"risk": "high"}).applies is False
    assert decided({"all": [LLM, LIMITED]}, {"risk": "limited"}).applies is None
    assert decided({"not": LLM}, {}).applies is None


@pytest.mark.parametrize(
    "when",
    [
        {"not": {"path": "system.annex_iii", "op": "empty"}},
        {"not": {"path": "system.llm", "op": "ne", "value": True}},
        {"all": [{"not": {"path": "system.annex_iii", "op": "empty"}}, LIMITED]},
        {"not": {"any": [{"path": "system.annex_iii", "op": "empty"}, LLM]}},
        {"not": {"not": {"not": {"path": "system.annex_iii", "op": "empty"}}}},
    ],
)
def test_an_undeclared_fact_under_not_is_unknown_at_any_depth(when: dict[str, Any]) -> None:
    """`empty` holds on an undeclared fact; under `not` that made the rule not applicable."""
    decision = decided(when, {"risk": "limited"})

    assert decision.applies is None
    assert decision.undeclared and set(decision.undeclared) <= {"system.annex_iii", "system.llm"}


def test_a_declared_fact_under_not_is_decided() -> None:
    when = {"not": {"path": "system.annex_iii", "op": "empty"}}
    assert decided(when, {"annex_iii": []}).applies is False
    assert decided(when, {"annex_iii": ["employment"]}).applies is True
    # Two `not`s cancel: the leaf holding on the undeclared fact makes the rule apply.
    assert decided({"not": when}, {}).applies is True


def test_presence_operators_read_absence_as_an_answer() -> None:
    # `annex_iii not_exists` is "no Annex III area", a declared fact, not an unknown.
    absent = {"path": "system.annex_iii", "op": "not_exists"}
    assert decided(absent, {"risk": "high"}).applies is True
    present = {"path": "system.annex_iii", "op": "exists"}
    assert decided(present, {"risk": "high"}).applies is False


def test_a_filter_over_an_undeclared_list_is_unknown_and_over_a_declared_one_is_not() -> None:
    significant = {"path": "system.decision_types[?significant]", "op": "not_empty"}
    assert decided(significant, {}).undeclared == ("system.decision_types",)
    assert decided(significant, {"decision_types": []}).applies is False


def test_reasons_quote_the_fields_as_the_user_writes_them() -> None:
    assert decided(LIMITED, {"risk": "high"}).reason == "system.risk is 'high', not 'limited'"
    start = {"path": "params.start", "op": "older_than", "value": "0d"}
    assert (
        decided(start, {}, start="2027-01-01").reason == "applies from 2027-01-01 (params.p.start)"
    )
    either = {"any": [{"path": "system.llm", "op": "eq", "value": True}, LIMITED]}
    assert (
        decided(either, {"llm": False, "risk": "high"}).reason
        == "system.llm is false, not true; system.risk is 'high', not 'limited'"
    )


def test_an_authored_reason_wins_and_is_rendered() -> None:
    raw = {**LIMITED, "reason": "applies to limited-risk systems; {system.name} is {system.risk}"}
    decision = decided(raw, {"name": "bot", "risk": "high"})
    assert decision.reason == "applies to limited-risk systems; bot is high"
    nested = {"all": [{"path": "system.risk", "op": "ne", "value": "high"}], "reason": "outer"}
    assert decided(nested, {"risk": "high"}).reason == "outer"


def test_paths_a_generated_reason_could_only_quote_as_an_expression_need_a_reason() -> None:
    filtered = {"path": "system.decision_types[?significant]", "op": "not_empty"}
    assert unexplained_paths({"any": [LIMITED, filtered]}) == [filtered["path"]]
    assert unexplained_paths({"any": [LIMITED, {**filtered, "reason": "r"}]}) == []
    assert unexplained_paths({"any": [LIMITED, filtered], "reason": "r"}) == []


@pytest.mark.parametrize(
    ("fact", "says"),
    [
        ("system.llm", "(true or false)"),
        ("system.role", "(one of provider, deployer, provider_and_deployer)"),
        ("system.decision_types", "(a list, empty when there is none)"),
        ("system.labels.public_service", "(true or false)"),
    ],
)
def test_the_hint_says_what_to_declare(fact: str, says: str) -> None:
    assert declare_hint(fact).startswith(f"declare {fact} in govgate.yaml {says}")


#: Rules of the bias pack, which is maintained on its own, whose for_each filters groups and
#: that have no `none_selected` sentence yet: until they do, their empty selection reads
#: "nothing in FILE matches the rule's selection (EXPRESSION)".
BIAS_WITHOUT_NONE_SELECTED = {"BIAS-3.impact-ratio", "BIAS-3.intersectional-impact-ratio"}


def test_every_builtin_reason_is_in_the_users_terms() -> None:
    """Each built-in `when` that reads an expression says why in words (`reason`), and each
    `for_each` over an expression says what an empty selection means (`none_selected`)."""
    import yaml

    from conftest import REPO_ROOT

    unexplained = []
    for pack in sorted((REPO_ROOT / "policies").glob("*/pack.yaml")):
        data = yaml.safe_load(pack.read_text(encoding="utf-8"))
        for requirement in data.get("requirements") or []:
            unexplained += [
                (requirement["id"], p) for p in unexplained_paths(requirement.get("when"))
            ]
        for rule in data.get("rules") or []:
            unexplained += [(rule["id"], p) for p in unexplained_paths(rule.get("when"))]
            selection = rule.get("for_each")
            if (
                selection
                and not is_simple_path(selection)
                and "none_selected" not in rule
                and rule["id"] not in BIAS_WITHOUT_NONE_SELECTED
            ):
                unexplained.append((rule["id"], selection))
    assert unexplained == []


def _leaf_paths(condition: Any) -> list[str]:
    if not isinstance(condition, dict):
        return []
    found = [p for key in ("all", "any") for c in condition.get(key) or [] for p in _leaf_paths(c)]
    found += _leaf_paths(condition.get("not"))
    return [*found, condition["path"]] if "path" in condition else found


def test_no_builtin_message_quotes_a_selector() -> None:
    """`{path}` quotes the selector that failed: only where every selector is a plain field."""
    import yaml

    from conftest import REPO_ROOT

    quoting = []
    for pack in sorted((REPO_ROOT / "policies").glob("*/pack.yaml")):
        for rule in yaml.safe_load(pack.read_text(encoding="utf-8")).get("rules") or []:
            if "{path}" not in rule["message"] + rule["remediation"]:
                continue
            paths = [p.replace('"', "") for p in _leaf_paths(rule["assert"])]
            quoting += [(rule["id"], p) for p in paths if not is_simple_path(p)]
    assert quoting == []
