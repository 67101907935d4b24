"""How values are shown: arbitrary evidence data as a bounded tree."""

from __future__ import annotations

from govgate.outputs.dossier import data_tree


def test_data_tree_is_bounded() -> None:
    tree = data_tree({"rows": list(range(100)), "deep": {"a": {"b": {"c": {"d": {"e": 1}}}}}})
    rows = dict(tree["rows"])
    assert rows["rows"]["text"].endswith("… (60 more)")
    deepest = rows["deep"]["rows"][0][1]["rows"][0][1]["rows"][0][1]
    assert deepest["type"] == "scalar" and '"e": 1' in deepest["text"]
    long_text = data_tree("x" * 5000)["text"]
    assert long_text.endswith("… (3500 more characters)")
