"""`govgate policy docs`: pack reference pages generated from the pack files, checked when stale."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from conftest import REPO_ROOT, CliResult

COMMITTED = REPO_ROOT / "docs" / "packs"
BUILTIN_PACKS = sorted(
    p.name for p in (REPO_ROOT / "policies").iterdir() if (p / "pack.yaml").is_file()
)

Run = Callable[..., CliResult]


def generate(run_cli: Run, out: Path) -> CliResult:
    result = run_cli("policy", "docs", "--out", out)
    assert result.exit_code == 0, result.output
    return result


def test_committed_pages_are_up_to_date(run_cli: Run) -> None:
    result = run_cli("policy", "docs", "--check", "--out", COMMITTED)
    assert result.exit_code == 0, (
        "docs/packs is stale; run `govgate policy docs` and commit the pages:\n" + result.stderr
    )
    assert f"{len(BUILTIN_PACKS) + 1} pages in" in result.stderr


def test_one_page_per_builtin_pack_and_identical_bytes_every_time(
    run_cli: Run, tmp_path: Path
) -> None:
    first = generate(run_cli, tmp_path / "a")
    generate(run_cli, tmp_path / "b")
    pages = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert pages == sorted([f"{name}.md" for name in BUILTIN_PACKS] + ["README.md"])
    for name in pages:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert f"{len(pages)} changed" in first.stderr
    again = generate(run_cli, tmp_path / "a")
    assert "0 changed" in again.stderr
    assert "wrote" not in again.stderr


def test_check_names_every_stale_missing_and_orphaned_page(run_cli: Run, tmp_path: Path) -> None:
    out = tmp_path / "packs"
    generate(run_cli, out)
    gdpr = out / "gdpr.md"
    gdpr.write_text(gdpr.read_text().replace("72", "96"), encoding="utf-8")
    (out / "ccpa.md").unlink()
    (out / "old-pack.md").write_text("# gone\n", encoding="utf-8")
    result = run_cli("policy", "docs", "--check", "--out", out)
    assert result.exit_code == 1
    assert f"{gdpr}: out of date" in result.stderr
    assert f"{out / 'ccpa.md'}: missing" in result.stderr
    assert f"{out / 'old-pack.md'}: no pack of that name (delete it)" in result.stderr
    assert "run `govgate policy docs`" in result.stderr
    # --check writes nothing.
    assert not (out / "ccpa.md").exists()
    assert "96" in gdpr.read_text()


def test_pages_list_requirements_controls_across_frameworks_rules_and_parameters(
    run_cli: Run, tmp_path: Path
) -> None:
    generate(run_cli, tmp_path)
    gdpr = (tmp_path / "gdpr.md").read_text()
    assert gdpr.startswith("# `gdpr`: GDPR for AI systems\n")
    breach = "Notifying the supervisory authority of a personal-data breach"
    assert f"| GDPR-33 | {breach} | GDPR | Art. 33 |" in gdpr
    # One control answering several frameworks, and the other packs' controls on a requirement.
    assert "| GD-15 |" in gdpr
    assert "GDPR: GDPR-35; EU AI Act: AIA-26; Readiness: READY-09" in gdpr
    row = next(line for line in gdpr.splitlines() if line.startswith("| GDPR-22 |"))
    assert "GD-11 (gdpr)" in row and "HO-1 (human-oversight)" in row
    # A rule with its evidence location, source, message and remediation.
    rule = gdpr.split("### `GD-14.notified-in-time`", 1)[1].split("### ", 1)[0]
    assert "- **severity**: critical · **control**: GD-14" in rule
    assert "`incident_register` from `governance/incidents.yaml` (collector `config`)" in rule
    assert "- **for each**: ``incidents[?type=='personal_data_breach']``" not in rule
    assert "- **for each**: `incidents[?type=='personal_data_breach']`" in rule
    assert "- **source**: GDPR Art. 33(1)" in rule
    assert "- **message**: `breach {item.incident_id} (aware {item.aware_at})" in rule
    assert "- **remediation**: `notify the supervisory authority now" in rule
    # Parameters with defaults and descriptions.
    assert "| `breach_notification_hours` | `72` | Hours from awareness" in gdpr
    # Mappings show on both sides: the mapping pack and the control's own pack.
    nist = (tmp_path / "nist-ai-rmf.md").read_text()
    assert (
        "| HO-1 | human-oversight | High-risk decision types require a human approval gate |"
        in nist
    )
    oversight = (tmp_path / "human-oversight.md").read_text()
    assert "NIST-MAP-3.5 (mapped by `nist-ai-rmf`)" in oversight
    index = (tmp_path / "README.md").read_text()
    assert "| [gdpr](gdpr.md) | GDPR for AI systems | 1.0.0 | 19 | 16 |" in index


def test_backticks_and_pipes_in_conditions_keep_the_markdown_intact(
    run_cli: Run, tmp_path: Path
) -> None:
    generate(run_cli, tmp_path)
    gdpr = (tmp_path / "gdpr.md").read_text()
    # A JMESPath literal with backticks needs a longer code fence, and `||` stays inside it.
    assert (
        "``closed_at && days_between(received_at, closed_at) || age_days(received_at)``" not in gdpr
    )
    assert "`closed_at && days_between(received_at, closed_at) || age_days(received_at)`" in gdpr
    eu = (tmp_path / "eu-ai-act.md").read_text()
    assert "`records[?overseer && trained < people].role` is empty" in eu
    ccpa = (tmp_path / "ccpa.md").read_text()
    sections = '`["categories", "purposes", "sale_sharing", "retention"]`'
    assert f"`` missing_sections[?contains({sections}, @)] `` is empty" in ccpa
    # Every table row has as many cells as its header (an unescaped | would add one).
    for page in tmp_path.glob("*.md"):
        header_cells = None
        for line in page.read_text().splitlines():
            if not line.startswith("|"):
                header_cells = None
                continue
            cells = len(re.split(r"(?<!\\)\|", line)) - 2
            if header_cells is None:
                header_cells = cells
            assert cells == header_cells, f"{page.name}: {line}"
