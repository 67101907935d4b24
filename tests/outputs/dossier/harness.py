"""Helpers of the dossier's tests: evidence items for each section (hostile text included),
the example's run without them, and the HTML of an input as text."""

from __future__ import annotations

import dataclasses
import re

from govgate.core.evidence import Evidence, Source
from govgate.outputs.dossier import DossierInput, render_html

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


def html_of(inp: DossierInput) -> str:
    html, _, _ = render_html(inp, mode="html")
    return html


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
