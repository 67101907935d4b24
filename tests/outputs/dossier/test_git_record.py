"""The sign-off page and the exceptions register from the git facts the run recorded: the
governance history, the sign-off record, and why they are missing outside git."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from outputs.dossier.harness import html_of, rich_extras, text_of

from govgate.core.evidence import Evidence
from govgate.outputs.dossier import DossierInput, exceptions_context, signoff_context
from govgate.run.check import CheckOptions, run_check


def test_governance_history_comes_from_the_runs_signoff_record_when_no_rule_reads_it(
    example_input: DossierInput,
) -> None:
    # The example's human-oversight run reads no git history; its sign-off record holds it.
    assert not [e for e in example_input.evidence if e.kind == "git.governance_history"]
    (record,) = [e for e in example_input.evidence if e.kind == "git.signoffs"]
    assert record.problem is None and record.collector == "git"
    assert record.data["head"] == example_input.result["target"]["commit"]
    # ... and it is the run's evidence: in the result, so in the manifest
    assert record.digest in {e["digest"] for e in example_input.result["evidence"]}
    text = text_of(html_of(example_input))
    assert "No enabled pack reads evidence kind git.governance_history" in text
    assert "sign-off record of the run (evidence kind git.signoffs)" in text
    assert "collected from the repository's git during the run, at commit" in text
    assert "read from the repository's git when this dossier was written" not in text
    signoff = signoff_context(example_input)
    assert signoff["history_origin"] == "signoffs"
    assert signoff["history_digests"] == [record.digest]
    paths = {a["path"] for a in signoff["approvals"]}
    assert {"governance/oversight.yaml", "govgate.yaml", "docs/model_card.md"} <= paths
    assert {a["author"] for a in signoff["approvals"]} == {"Test Author"}
    assert signoff["with_trailers"] == 0
    assert "carries an Approved-by or Reviewed-by trailer" in text
    # The waiver file is in the record too: its last commit comes from there.
    waivers = exceptions_context(example_input)
    assert waivers, "the example has waivers"
    for waiver in waivers:
        assert waiver["committed_by"].startswith(
            "governance/waivers.yaml last committed by Test Author, "
        )
        assert waiver["committed_by"].endswith(str(record.data["head"])[:12])


def test_the_runs_own_history_is_preferred_to_the_signoff_record(
    example_input: DossierInput,
) -> None:
    own = next(e for e in rich_extras() if e.kind == "git.governance_history")
    inp = dataclasses.replace(example_input, evidence=(*example_input.evidence, own))
    text = text_of(html_of(inp))
    assert "Pat Approver" in text and "Lee Engineer" in text
    assert "evidence kind git.signoffs" not in text
    assert [a["path"] for a in signoff_context(inp)["approvals"]] == ["governance/oversight.yaml"]


def test_the_signoff_record_covers_a_waiver_file_outside_the_governance_paths(
    make_repo: Callable[..., object],
) -> None:
    repo = make_repo(
        {
            "govgate.yaml": "system: {name: w, risk: high}\npacks: []\nwaivers: exceptions.yaml\n",
            "exceptions.yaml": "waivers: []\n",
        },
        commit=False,
    )
    repo.commit(  # type: ignore[attr-defined]
        "waivers\n\nApproved-by: Morgan Approver",
        env={"GIT_AUTHOR_NAME": "Casey Committer", "GIT_AUTHOR_EMAIL": "casey@bank.example"},
    )
    path: Path = repo.path  # type: ignore[attr-defined]
    result = {"waivers": [{"id": "W-1", "rule": "R", "source": {"path": "exceptions.yaml"}}]}

    def record() -> Evidence:
        outcome = run_check(CheckOptions(root=path, use_locker=False, signoffs=True))
        (found,) = outcome.collection.evidence.by_kind["git.signoffs"]
        return found

    first = record()
    assert [f["path"] for f in first.data["waiver_files"]] == ["exceptions.yaml"]
    (entry,) = first.data["waiver_files"]
    assert entry["last_author"] == "Casey Committer" and entry["committed"] is True
    assert "exceptions.yaml" not in {f["path"] for f in first.data["files"]}
    (path / "exceptions.yaml").write_text("waivers: []  # edited\n", encoding="utf-8")
    inp = DossierInput(result, None, (record(),), "2026-01-01T00:00:00Z", "x")
    (waiver,) = exceptions_context(inp)
    assert waiver["committed_by"].startswith("exceptions.yaml last committed by Casey Committer, ")
    assert "the file has uncommitted changes" in waiver["committed_by"]


def test_outside_git_the_dossier_says_why_there_is_no_history(
    make_repo: Callable[..., object],
) -> None:
    repo = make_repo({"govgate.yaml": "system: {name: w, risk: high}\npacks: []\n"}, init=False)
    path: Path = repo.path  # type: ignore[attr-defined]
    result = {"run": {"id": 3}, "waivers": [{"id": "W-1", "source": {"path": "waivers.yaml"}}]}
    outcome = run_check(CheckOptions(root=path, use_locker=False, signoffs=True))
    evidence = tuple(outcome.collection.evidence.by_kind["git.signoffs"])  # the record alone
    inp = DossierInput(result, None, evidence, "2026-01-01T00:00:00Z", "x")
    (problem,) = signoff_context(inp)["history_problems"]
    assert problem.startswith("the evidence of run #3 holds no git history of the governance")
    assert "failed: not a git repository" in problem
    (waiver,) = exceptions_context(inp)
    assert waiver["committed_by"] == (
        "git author of waivers.yaml: not available (not a git repository)"
    )
