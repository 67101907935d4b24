"""The Markdown pull-request summary, rendered with GitHub's own cmark-gfm (raw HTML allowed,
so only govgate's escaping keeps hostile text inert)."""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import cmarkgfm
from cmarkgfm.cmark import Options

from govgate.outputs.reporters.markdown import COMMENT_LIMIT, MarkdownReporter, md_code, md_text

GITHUB_COMMENT_LIMIT = 65_536


def to_html(markdown: str) -> str:
    return cmarkgfm.markdown_to_html_with_extensions(
        markdown,
        options=Options.CMARK_OPT_UNSAFE,
        extensions=["table", "autolink", "strikethrough"],
    )


class Elements(HTMLParser):
    """Every element (tag, attributes) and the text of each table row's cells."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.rows: list[list[str]] = []
        self.text: list[str] = []
        #: text outside code spans, where GitHub links @mentions and #references
        self.prose: list[str] = []
        self._cell: list[str] | None = None
        self._code = 0
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "code":
            self._code += 1
        elif tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "code":
            self._code -= 1
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if not self._code:
            self.prose.append(data)
        if self._cell is not None:
            self._cell.append(data)


def render(result: dict[str, Any]) -> str:
    return MarkdownReporter().render(result)


def test_every_scenario_fits_a_comment_and_counts_match(any_result: dict[str, Any]) -> None:
    text = render(any_result)
    assert len(text) <= COMMENT_LIMIT < GITHUB_COMMENT_LIMIT
    html = Elements(to_html(text))
    counts = next(row for row in html.rows if row and row[0] == "pass")
    values = html.rows[html.rows.index(counts) + 1]
    summary = any_result["summary"]
    statuses = ["pass", "fail", "error", "waived", "not_applicable", "skipped"]
    assert [int(v) for v in values] == [summary[s] for s in statuses]
    expected = "gate passed" if any_result["gate"] == "pass" else "gate failed"
    assert expected in text.splitlines()[1]
    assert text.count("<details>") == text.count("</details>")


def test_hostile_text_renders_as_text(scenario: Callable[[str], dict[str, Any]]) -> None:
    result = scenario("rich")
    text = render(result)
    html = Elements(to_html(text))
    tags = {tag for tag, _ in html.tags}
    assert "script" not in tags and "b" not in tags
    assert not [a for _, a in html.tags if (a.get("href") or "").startswith("javascript")]
    rendered = "".join(html.text)
    # the words are there, as text
    assert "<script>alert('x')</script>" in rendered
    assert "[link](javascript:alert(1))" in rendered
    assert "*bold* _u_ $x$ ~~s~~" in rendered
    assert "naïve – 日本語 🚀 ünïcödé" in rendered
    assert "del" not in tags and "em" not in tags  # no strikethrough, no emphasis
    # control characters are shown, not sent; CR/LF cannot start a new Markdown line
    assert "\x1b" not in text and "\x07" not in text and "\r" not in text
    assert "\\u001b[31mred" in rendered
    # @mentions do not notify anyone (GitHub links none inside code spans)
    prose = "".join(html.prose)
    assert "@\u2060org/team" in prose and "@org/team" not in prose
    # the very long name is shortened, the JSON keeps it
    assert "x" * 1000 not in text


def test_tables_keep_their_columns_with_pipes_in_the_text(
    scenario: Callable[[str], dict[str, Any]],
) -> None:
    html = Elements(to_html(render(scenario("rich"))))
    waived_header = ["Rule", "Item", "Waiver", "Approver", "Expires", "Justification"]
    start = html.rows.index(waived_header)
    waived = html.rows[start + 1]
    assert waived == [
        "G-1.reviewed",
        "alpha",
        "W-ACTIVE",
        "Jane Q. Officer",
        "2026-08-01",
        "Reviewer <b>on leave</b> | back in June & then some",
    ]
    requirement = next(row for row in html.rows if len(row) > 1 and row[1] == "T-1")
    assert requirement == ["🟡 partial", "T-1", "§ 1", "Gates <b>bold</b> | piped"] or (
        requirement[1:] == ["T-1", "§ 1", "Gates <b>bold</b> | piped"]
    )
    assert all(len(row) in (4, 6) for row in html.rows if row and row[0] != "pass")


def test_failing_findings_show_location_fix_and_gate_order(
    scenario: Callable[[str], dict[str, Any]],
) -> None:
    text = render(scenario("rich"))
    failing = text.split("### Failing")[1].split("###")[0]
    items = [line for line in failing.splitlines() if line.startswith("- ")]
    assert len(items) == 12  # 10 fail + 1 error + 1 skipped at or above fail-on
    assert "- **HIGH** **SKIPPED** `G-3.dpia-signed` — blocks the gate  " in items
    # gate-blocking first (critical, then high and the error), the low/medium ones after
    assert items[0].startswith("- **CRITICAL** `G-3.dpia[docs/dpia*.md]`")
    assert "blocks the gate" in items[0]
    assert "**ERROR**" in failing
    assert "at `gates.yaml:8`" in failing
    assert "**Fix:** set enabled: true for" in failing
    assert "W\\-EXPIRED" in failing or "W-EXPIRED expired" in failing
    attention = text.split("### Waivers needing attention (3)")[1]
    assert "`W-EXPIRED`" in attention and "expired on 2026-03-01" in attention
    assert "`W-REFUSED`" in attention and "longer than the allowed 365" in attention
    assert "`W-UNUSED`" in attention and "matched no finding" in attention
    assert "Input problems (2)" in text and "`settings.env:2`" in text


def test_changes_banner_and_new_findings(scenario: Callable[[str], dict[str, Any]]) -> None:
    text = render(scenario("changes"))
    banner = text.split("> [!CAUTION]")[1].split("\n\n")[0]
    assert "policy packs \\(t\\)" in banner and "waivers" in banner and "main" in banner
    assert "parameters" not in banner
    assert "`governance/waivers.yaml`" in banner
    new = text.split("### New in this change (5)")[1].split("###")[0]
    assert new.count("G-1.enabled[") == 4 and new.count("🆕 new") == 5
    assert "G-1.reviewed[alpha]" in new  # the waiver is new too
    old = text.split("### Already failing before this change")[1].split("###")[0]
    assert "G-1.enabled" not in old and "G-1.reviewed[beta]" in old


def test_a_clean_run_says_so(scenario: Callable[[str], dict[str, Any]]) -> None:
    result = scenario("empty")
    text = render(result)
    assert "✅ govgate: gate passed" in text
    assert "### Failing" not in text and "blocks the gate" not in text
    assert "E\\-1" in text or "`E-1`" in text  # the unverified requirement is still listed


def test_twenty_thousand_findings_stay_under_the_limit_most_severe_first(
    scenario: Callable[[str], dict[str, Any]],
) -> None:
    result = scenario("many")
    assert len(result["findings"]) > 20_000
    text = render(result)
    assert len(text) <= COMMENT_LIMIT
    failing = text.split("### Failing")[1].split("\n###")[0]
    shown = [line for line in failing.splitlines() if line.startswith("- **")]
    left = re.search(r"…and (\d+) more failing findings not shown", failing)
    assert left is not None
    skipped = [f for f in result["findings"] if f["status"] == "skipped"]
    blocking = [f for f in skipped if f["severity"] in ("critical", "high")]  # fail-on high
    total = result["summary"]["fail"] + result["summary"]["error"] + len(blocking)
    assert len(shown) + int(left.group(1)) == total
    assert shown[0].startswith("- **CRITICAL**")
    severities = [line.split("**")[1] for line in shown]
    order = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO"]
    assert severities == sorted(severities, key=order.index)
    # the requirements still get their (collapsed) section and the footer is intact
    assert "<details><summary>Requirements by framework" in text
    assert text.rstrip().endswith("findings</sub>")
    assert text.count("<details>") == text.count("</details>")


def test_a_tiny_limit_still_produces_a_complete_comment(
    scenario: Callable[[str], dict[str, Any]],
) -> None:
    text = MarkdownReporter(limit=4_000).render(scenario("rich"))
    assert len(text) <= 4_000
    assert "more failing findings not shown" in text
    assert text.count("<details>") == text.count("</details>")


def test_escaping_helpers() -> None:
    assert md_text("1. not a list") == "1\\. not a list"
    assert md_text("- nor this") == "\\- nor this"
    assert md_text("===") == "\\==="
    assert md_text("a & <b>") == "a &amp; &lt;b&gt;"
    assert md_code("a`b") == "``a`b``"
    assert md_code("`x`") == "`` `x` ``"
    assert md_code("a|b", cell=True) == "`a\\|b`"
    html = to_html(f"{md_text('x')} {md_code('<i>y</i>')}")
    assert "<code>&lt;i&gt;y&lt;/i&gt;</code>" in html


def test_no_banner_when_the_change_leaves_policies_alone(
    scenario: Callable[[str], dict[str, Any]],
) -> None:
    result = scenario("changes")
    result["changes"].update(packs_changed=[], params_changed=False, waivers_changed=False)
    text = render(result)
    assert "[!CAUTION]" not in text and "This change edits" not in text
    assert "### New in this change (5)" in text
