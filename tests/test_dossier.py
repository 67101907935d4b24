"""The dossier renderer: sections from real runs plus the evidence other collectors produce,
"not available" when that evidence is absent, escaping, the URL guard and progress."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pypdf
import pytest

from govgate.core.evidence import Evidence, Source
from govgate.core.result import git_target
from govgate.outputs.dossier import (
    FOUR_FIFTHS,
    DossierInput,
    TemplateUrlGuard,
    bar_chart,
    build_context,
    data_tree,
    dossier_input_from_outcome,
    exceptions_context,
    git_user_name,
    render_dossier,
    render_html,
    signoff_context,
)
from govgate.run.check import CheckOptions, run_check
from govgate.support.errors import UsageError

from conftest import EXAMPLES, git

HOSTILE = (
    '<script>alert(1)</script> <img src="file:///etc/passwd"> '
    '<link rel="stylesheet" href="http://evil.invalid/x.css">'
)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def item(
    kind: str, subject: str, data: object, *, collector: str = "test", **kw: object
) -> Evidence:
    return Evidence.create(
        kind=kind,
        subject=subject,
        data=data,
        source=Source(path=str(kw.get("path", subject)), line=kw.get("line")),  # type: ignore[arg-type]
        collector=collector,
        collector_version="1.2.3",
        problem=kw.get("problem"),  # type: ignore[arg-type]
    )


def groups(rows: list[tuple[str, int, float | None, float | None, bool]]) -> list[dict]:
    return [
        {
            "value": value,
            "n": n,
            "share": n / 1000,
            "selection_rate": rate,
            "tpr": 0.71,
            "fpr": None,
            "fnr": 0.29,
            "ppv": 0.8,
            "impact_ratio": ratio,
            "excluded": excluded,
        }
        for value, n, rate, ratio, excluded in rows
    ]


def fairness_item() -> Evidence:
    return item(
        "fairness.analysis",
        "data/predictions.csv",
        {
            "schema": "govgate/fairness/v1",
            "rows": 1000,
            "rejected_rows": 4,
            "attributes": [
                {
                    "name": "sex",
                    "groups": groups(
                        [
                            ("female", 480, 0.42, 0.7, False),
                            ("male", 505, 0.6, 1.0, False),
                            (f"other {HOSTILE}", 15, None, None, True),
                        ]
                    ),
                    "between_groups": {
                        "demographic_parity_difference": 0.18,
                        "demographic_parity_ratio": 0.7,
                    },
                    "to_overall": {"demographic_parity_difference": 0.09},
                }
            ],
            "intersections": [
                {
                    "name": "sex×age",
                    "groups": groups([("female×young", 200, 0.5, 0.83, False)]),
                    "between_groups": {},
                    "to_overall": {},
                }
            ],
        },
        collector="fairness",
    )


def model_card_item() -> Evidence:
    return item(
        "model_card",
        "docs/model_card.md",
        {
            "format": "markdown",
            "front_matter": {"owner": f"Risk team {HOSTILE}", "version": "2.3"},
            "front_matter_error": None,
            "title": f"Loan scoring model {HOSTILE}",
            "headings": [{"level": 2, "text": f"Intended use {HOSTILE}", "line": 7}],
            "sections": {},
            "missing_sections": ["limitations"],
            "missing_fields": [],
            "dates": {},
            "word_count": 812,
        },
        collector="documents",
    )


def rich_extras() -> tuple[Evidence, ...]:
    return (
        fairness_item(),
        model_card_item(),
        item(
            "decision_log.summary",
            "logs/decisions-2026-10.jsonl",
            {
                "records": 120345,
                "malformed": {"count": 3, "first_lines": [17, 902, 5001]},
                "fields": [
                    {"field": "decision_id", "coverage": 1.0},
                    {"field": "reasons", "coverage": 0.973},
                ],
                "note": HOSTILE,
            },
            collector="decision_logs",
        ),
        item(
            "attestation",
            "governance/attestations/sponsor.yaml",
            {
                "who": "Dana Sponsor",
                "role": "Executive sponsor",
                "statement": "I own the budget and the risk of this system.",
                "date": "2026-10-01",
            },
            collector="attestations",
        ),
        item(
            "git.governance_history",
            "governance files",
            {
                "patterns": ["governance/**"],
                "shallow": False,
                "unsigned_count": 1,
                "uncommitted_count": 0,
                "files": [
                    {
                        "path": "governance/oversight.yaml",
                        "committed": True,
                        "last_commit": "0123456789abcdef0123",
                        "last_author": "Lee Engineer",
                        "last_date": "2026-10-02T10:00:00Z",
                        "signed": False,
                        "trailers": {"approved_by": ["Pat Approver"], "reviewed_by": []},
                        "history_truncated": False,
                    }
                ],
            },
            collector="git",
        ),
    )


@pytest.fixture(scope="module")
def example_input(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DossierInput]:
    """A check of the loan-approval example (in a git repository), as the dossier gets it."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOVGATE_DISABLE_PLUGIN_AUTOLOAD", "1")
        repo = tmp_path_factory.mktemp("dossier-lib") / "loan-approval"
        shutil.copytree(EXAMPLES / "loan-approval", repo, ignore=shutil.ignore_patterns(".govgate"))
        git(repo, "init", "-q", "-b", "main")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "example")
        # One pack keeps each render to a few pages; the full example is test_cli_dossier's.
        # `signoffs`: as for a dossier, the run collects the sign-off record from git.
        options = CheckOptions(
            root=repo, packs=["human-oversight"], use_locker=False, signoffs=True
        )
        outcome = run_check(options)
        yield dossier_input_from_outcome(outcome, prepared_by="Audit Team")


SECTION_KINDS = {
    "fairness.analysis",
    "decision_log.summary",
    "attestation",
    "git.governance_history",
    "git.signoffs",
}


def without_section_evidence(inp: DossierInput) -> DossierInput:
    """The example's run minus the evidence the dossier has sections for (the example grows
    as packs are added; these tests bring their own), the sign-off record included."""
    kept = tuple(
        e for e in inp.evidence if e.kind not in SECTION_KINDS and e.collector != "documents"
    )
    return dataclasses.replace(inp, evidence=kept)


@pytest.fixture(scope="module")
def rich_input(example_input: DossierInput) -> DossierInput:
    bare = without_section_evidence(example_input)
    return dataclasses.replace(bare, evidence=bare.evidence + rich_extras())


@pytest.fixture(scope="module")
def rich_pdf(
    rich_input: DossierInput, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, object, list[tuple[int, int | None, str]]]:
    calls: list[tuple[int, int | None, str]] = []
    out = tmp_path_factory.mktemp("rich") / "rich.pdf"
    report = render_dossier(rich_input, out, progress=lambda *a: calls.append(a))
    return out, report, calls


def html_of(inp: DossierInput) -> str:
    html, _, _ = render_html(inp, mode="html")
    return html


def test_sections_without_their_evidence_say_not_available(example_input: DossierInput) -> None:
    html = html_of(without_section_evidence(example_input))
    text = re.sub(r"<[^>]+>", " ", html)
    text = re.sub(r"\s+", " ", text)
    assert "Not available: no fairness analysis (evidence kind fairness.analysis)" in text
    assert "Not available: no decision-log summary (evidence kind decision_log.summary)" in text
    assert "Not available: no attestation (evidence kind attestation)" in text
    assert "Not available: the git history of governance files" in text
    assert "Not available: no model card was collected in this run" in text
    if example_input.result["readiness"] is None:
        assert "Not available: the production-readiness score is computed only when" in text
    # invented content would be worse than a gap: no group, no chart, no signature names
    assert "<svg" not in html
    assert "Dana Sponsor" not in html


def test_rich_sections_show_the_collected_evidence(rich_input: DossierInput) -> None:
    html = html_of(rich_input)
    # fairness: per-group table with undefined rates as "undefined", never 0
    assert "female" in html and "0.420" in html and "0.700 ▼" in html
    assert "undefined" in html
    assert "excluded (small group)" in html
    assert "Demographic parity difference" in html and "0.180" in html
    assert "Intersection: sex×age" in html
    # decision logs, attestations, git approvals, model card
    assert "120345" in html and "0.973" in html
    assert "Dana Sponsor" in html and "Executive sponsor" in html
    assert "Pat Approver" in html and "(unsigned)" in html
    assert "Loan scoring model" in html and "812 words" in html
    assert "limitations" in html


def test_fairness_charts_draw_the_four_fifths_line_and_hollow_bars() -> None:
    chart = bar_chart(
        [("a", 0.5, False), ("b", 1.0, False), ("c", None, True)],
        title="Impact ratio",
        scale_max=1.0,
        lines=[(FOUR_FIFTHS, "0.8")],
        flag_below=0.8,
    )
    a, b, c = chart["bars"]
    assert a["below"] and not b["below"]
    assert b["width"] == chart["bar_width"] and a["width"] == chart["bar_width"] / 2
    assert c["undefined"] and c["width"] == 0
    (line,) = chart["lines"]
    assert line["x"] == chart["bar_x"] + 0.8 * chart["bar_width"]


def test_fairness_svg_in_the_html(rich_input: DossierInput) -> None:
    html = html_of(rich_input)
    assert html.count("<svg") == 4  # selection rate and impact ratio, for sex and sex×age
    assert 'stroke-dasharray="4,2"' in html  # the threshold line
    assert 'fill="#ffffff"' in html  # the hollow bar of the group below 0.8
    assert "&lt;script&gt;" in html and "<script" not in html


def test_repository_content_is_literal_text_and_nothing_outside_was_fetched(
    rich_pdf: tuple[Path, object, list[tuple[int, int | None, str]]],
) -> None:
    path, report, _ = rich_pdf
    text = squash("\n".join(p.extract_text() or "" for p in pypdf.PdfReader(path).pages))
    assert squash(f"Loan scoring model {HOSTILE}") in text  # the model card title
    assert squash(f"Intended use {HOSTILE}") in text
    assert squash(HOSTILE) in text
    fetches = report.fetches  # type: ignore[attr-defined]
    outside = [r for r in fetches if not r.served]
    assert outside == []
    assert not any("passwd" in r.url or "evil.invalid" in r.url for r in fetches)


def test_progress_reports_pages_and_completion(
    rich_pdf: tuple[Path, object, list[tuple[int, int | None, str]]],
) -> None:
    path, report, calls = rich_pdf
    pages = [done for done, _, label in calls if label == "laying out pages"]
    assert pages[:3] == [1, 2, 3]
    assert calls[-1] == (report.pages, report.pages, "done")  # type: ignore[attr-defined]
    assert len(pypdf.PdfReader(path).pages) == report.pages  # type: ignore[attr-defined]


def test_unusable_evidence_says_why(example_input: DossierInput) -> None:
    broken = item(
        "fairness.analysis",
        "data/broken.csv",
        None,
        problem="line 3: unterminated quote",
        collector="fairness",
    )
    odd = item("fairness.analysis", "data/odd.json", {"metric": "accuracy", "value": 0.91})
    html = html_of(dataclasses.replace(example_input, evidence=(broken, odd)))
    assert "the analysis could not be used: line 3: unterminated quote" in html
    assert "not in the govgate/fairness/v1 shape" in html
    assert "accuracy" in html and "0.91" in html


def test_without_the_policy_set_owners_and_rules_say_so(example_input: DossierInput) -> None:
    html = html_of(dataclasses.replace(example_input, policy_set=None))
    assert "not available: policies not loaded" in html
    # the matrix falls back to the result's links
    context = build_context(dataclasses.replace(example_input, policy_set=None), (), mode="html")
    assert context["traceability"]["tables"]


def test_readiness_score_and_band_are_shown_when_scored(example_input: DossierInput) -> None:
    result = dict(example_input.result)
    result["readiness"] = {"score": 8, "of": 12, "band": "close", "criteria": {}}
    html = html_of(dataclasses.replace(example_input, result=result))
    assert "8 / 12" in html
    assert "<strong>close</strong>" in html
    assert "◀ this system" in html


def test_data_tree_is_bounded() -> None:
    tree = data_tree({"rows": list(range(100)), "deep": {"a": {"b": {"c": {"d": {"e": 1}}}}}})
    rows = dict(tree["rows"])
    assert rows["rows"]["text"].endswith("… (60 more)")
    deepest = rows["deep"]["rows"][0][1]["rows"][0][1]["rows"][0][1]
    assert deepest["type"] == "scalar" and '"e": 1' in deepest["text"]
    long_text = data_tree("x" * 5000)["text"]
    assert long_text.endswith("… (3500 more characters)")


def test_url_guard_serves_the_template_folder_and_refuses_the_rest(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "logo.svg").write_text("<svg/>", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("secret", encoding="utf-8")
    (templates / "link.txt").symlink_to(tmp_path / "secret.txt")
    guard = TemplateUrlGuard([templates])
    assert guard.resolve((templates / "logo.svg").as_uri()) == (b"<svg/>", "image/svg+xml")
    own = guard.data_url(b"payload", "text/plain")
    assert guard.resolve(own) == (b"payload", "text/plain")
    refused = {
        (tmp_path / "secret.txt").as_uri(): "outside the template folder",
        (templates / "link.txt").as_uri(): "outside the template folder",
        (templates / ".." / "secret.txt").as_uri(): "outside the template folder",
        "file:///etc/passwd": "outside the template folder",
        "file://otherhost/share/x.css": "file URL on another host",
        "http://evil.invalid/x.css": "http URLs are never fetched",
        "https://evil.invalid/x.png": "https URLs are never fetched",
        "ftp://evil.invalid/x": "ftp URLs are never fetched",
        "data:text/html;base64,PHNjcmlwdD4=": "data: URL not generated by govgate",
        (templates / "missing.png").as_uri(): "no such file in the template folder",
    }
    for url, reason in refused.items():
        with pytest.raises(PermissionError, match=re.escape(reason)):
            guard.resolve(url)
    assert [r.served for r in guard.records] == [True, True] + [False] * len(refused)
    assert {r.url for r in guard.refused} == set(refused)


def test_template_override_with_a_syntax_error_names_file_and_line(
    example_input: DossierInput, tmp_path: Path
) -> None:
    (tmp_path / "cover.html").write_text("<h1>\n{% if %}\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"dossier template cover.html:2: "):
        render_html(example_input, templates=tmp_path)
    with pytest.raises(UsageError, match="not a directory"):
        render_html(example_input, templates=tmp_path / "cover.html")


def test_asset_outside_the_template_folder_is_refused(
    example_input: DossierInput, tmp_path: Path
) -> None:
    (tmp_path / "cover.html").write_text("{{ asset('../../etc/passwd') }}", encoding="utf-8")
    with pytest.raises(UsageError, match="no such file in the template folder"):
        render_html(example_input, templates=tmp_path)


def test_output_is_replaced_atomically(example_input: DossierInput, tmp_path: Path) -> None:
    out = tmp_path / "d.html"
    out.write_text("old", encoding="utf-8")
    report = render_dossier(example_input, out, html=True)
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert report.size == out.stat().st_size
    assert [p.name for p in tmp_path.iterdir()] == ["d.html"]


def test_input_from_outcome_cites_the_run_and_its_evidence(example_input: DossierInput) -> None:
    assert example_input.prepared_by == "Audit Team"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", example_input.generated_at)
    digests = {e.digest for e in example_input.evidence}
    assert digests == {e["digest"] for e in example_input.result["evidence"]}


def test_prepared_by_defaults_to_the_repository_git_user(
    make_repo: Callable[..., object],
) -> None:
    repo = make_repo({"README.md": "x\n"})
    repo.git("config", "user.name", "Repo Owner")  # type: ignore[attr-defined]
    assert git_user_name(repo.path) == "Repo Owner"  # type: ignore[attr-defined]


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_git_target_records_uncommitted_changes_in_one_read_only_git_process(
    make_repo: Callable[..., object], monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess

    repo = make_repo({"governance/oversight.yaml": "gate: on\n", "svc/app.py": "x = 1\n"})
    path: Path = repo.path  # type: ignore[attr-defined]
    head = repo.git("rev-parse", "HEAD").strip()  # type: ignore[attr-defined]
    calls: list[list[str]] = []
    real_run = subprocess.run

    def counting(args: list[str], **kw: object) -> object:
        calls.append(args)
        return real_run(args, **kw)  # type: ignore[call-overload]

    monkeypatch.setattr(subprocess, "run", counting)
    assert git_target(path) == {"commit": head, "branch": "main", "dirty": False}
    assert len(calls) == 1
    (path / "notes.txt").write_text("untracked\n", encoding="utf-8")
    assert git_target(path)["dirty"] is False  # untracked files are not looked for
    (path / "governance" / "oversight.yaml").write_text("gate: off\n", encoding="utf-8")
    assert git_target(path)["dirty"] is True
    assert git_target(path / "svc")["dirty"] is False  # a target folder: only its own files
    repo.git("add", "governance")  # type: ignore[attr-defined]
    assert git_target(path)["dirty"] is True  # staged is still uncommitted
    repo.git("commit", "-q", "-m", "gate off")  # type: ignore[attr-defined]
    # A tracked file whose timestamp changed: `git status` would rewrite the index to record
    # it; the hook path must not write (git may hold the index lock while a hook runs).
    index = (path / ".git" / "index").read_bytes()
    touched = path / "svc" / "app.py"
    later = touched.stat().st_mtime + 10
    os.utime(touched, (later, later))
    assert git_target(path)["dirty"] is False
    assert (path / ".git" / "index").read_bytes() == index
    repo.git("checkout", "-q", "--detach")  # type: ignore[attr-defined]
    detached = git_target(path)
    assert detached["branch"] is None and detached["commit"] != head
    unborn = make_repo({"a.txt": "a\n"}, commit=False)
    assert git_target(unborn.path) == {"commit": None, "branch": "main", "dirty": False}  # type: ignore[attr-defined]
    unborn.git("add", "a.txt")  # type: ignore[attr-defined]
    assert git_target(unborn.path)["dirty"] is True  # type: ignore[attr-defined]
    plain = make_repo({"a.txt": "a\n"}, init=False)
    assert git_target(plain.path) == {"commit": None, "branch": None, "dirty": None}  # type: ignore[attr-defined]


def test_cover_and_scope_say_when_the_run_had_uncommitted_changes(
    example_input: DossierInput,
) -> None:
    def target(dirty: object) -> DossierInput:
        result = dict(example_input.result)
        result["target"] = {**result["target"], "dirty": dirty}
        return dataclasses.replace(example_input, result=result)

    flagged = text_of(html_of(target(True)))
    assert "uncommitted changes present at the time of the run" in flagged
    clean = text_of(html_of(target(False)))
    assert "uncommitted changes present" not in clean
    assert "no uncommitted changes to tracked files at the time of the run" in clean
    # results of older versions carry no flag: nothing is claimed either way
    assert "uncommitted changes" not in text_of(html_of(target(None)))


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
