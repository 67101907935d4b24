"""Roll-up: findings → control status → requirement status → readiness score (docs/policies.md).

Nothing disappears because no rule reached it: a control without evaluated rules is
`unverified`, and so is a requirement without controls.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from govgate.core.applicability import decide
from govgate.core.conditions import ConditionEvalError
from govgate.core.findings import Finding
from govgate.core.policy import PolicySet

#: Every status a requirement can have, from best to worst (then not applicable): the order
#: reports count them in.
REQUIREMENT_STATUSES = ("met", "partial", "not_met", "unverified", "not_applicable")
READINESS_PREFIX = "READY-"
READINESS_TOTAL = 12
#: The readiness pack's precondition (declared facts, no leftover template): not one of the
#: twelve criteria, but while it is not met the score cannot be called production-ready.
READINESS_PRECONDITION = "READY-00"
#: The best band a readiness whose precondition is not met can have.
HELD_BACK_BAND = "close"
#: (lowest score, band) from the top.
READINESS_BANDS = (
    (10, "production-ready"),
    (7, "close"),
    (4, "a demo, not a pilot"),
    (0, "a science experiment"),
)


@dataclass
class ControlResult:
    id: str
    status: str
    rules: list[str]
    title: str
    pack: str
    counts: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "pack": self.pack,
            "status": self.status,
            "rules": self.rules,
            "counts": self.counts,
        }


@dataclass
class RequirementResult:
    id: str
    status: str
    controls: list[str]
    title: str
    framework: str
    ref: str
    pack: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "framework": self.framework,
            "ref": self.ref,
            "pack": self.pack,
            "status": self.status,
            "controls": self.controls,
        }


def control_status(statuses: Iterable[str]) -> str:
    """satisfied / not_satisfied / unverified / not_applicable from its rules' findings."""
    seen = set(statuses)
    if "fail" in seen:
        return "not_satisfied"
    if "error" in seen or "skipped" in seen:
        return "unverified"
    if not seen:
        return "unverified"
    if seen == {"not_applicable"}:
        return "not_applicable"
    return "satisfied"  # only pass / waived / not_applicable, and at least one pass or waived


def requirement_status(control_statuses: Iterable[str]) -> str:
    """met / not_met / partial / unverified / not_applicable from its controls."""
    statuses = list(control_statuses)
    relevant = [s for s in statuses if s != "not_applicable"]
    if not relevant:
        return "not_applicable" if statuses else "unverified"
    if all(s == "satisfied" for s in relevant):
        return "met"
    if "satisfied" in relevant:
        return "partial"
    if "not_satisfied" in relevant:
        return "not_met"
    return "unverified"


def readiness_band(score: int) -> str:
    for lowest, band in READINESS_BANDS:
        if score >= lowest:
            return band
    return READINESS_BANDS[-1][1]  # pragma: no cover - scores are never negative


def roll_up(
    policy_set: PolicySet, findings: list[Finding], system: dict[str, Any]
) -> tuple[list[ControlResult], list[RequirementResult], dict[str, Any] | None]:
    by_control: dict[str, list[Finding]] = {}
    for finding in findings:
        by_control.setdefault(finding.control, []).append(finding)
    controls: dict[str, ControlResult] = {}
    for control in policy_set.controls.values():
        own = by_control.get(control.id, [])
        counts: dict[str, int] = {}
        for finding in own:
            counts[finding.status] = counts.get(finding.status, 0) + 1
        controls[control.id] = ControlResult(
            id=control.id,
            status=control_status(f.status for f in own),
            rules=[r.id for r in policy_set.rules_of_control(control.id)],
            title=control.title,
            pack=control.pack,
            counts=counts,
        )
    requirements: list[RequirementResult] = []
    base = {"system": system}
    for req in policy_set.requirements.values():
        linked = [c.id for c in policy_set.controls_of_requirement(req.id)]
        status = requirement_status(controls[c].status for c in linked)
        if req.when is not None:
            root = {**base, "params": policy_set.params.get(req.pack, {})}
            try:
                # Three-valued: a `when` that an undeclared fact decides is not "not
                # applicable"; the status its rules earned (unverified) stands.
                applies = decide(req.when, req.when_raw, root).applies is not False
            except ConditionEvalError:
                applies = True  # cannot tell: keep the computed status rather than hide it
            if not applies:
                status = "not_applicable"
        requirements.append(
            RequirementResult(
                id=req.id,
                status=status,
                controls=linked,
                title=req.title,
                framework=req.framework,
                ref=req.ref,
                pack=req.pack,
            )
        )
    return list(controls.values()), requirements, readiness_of(requirements)


def readiness_of(requirements: list[RequirementResult]) -> dict[str, Any] | None:
    """The score over the twelve criteria, its band, and what holds the band back."""
    ready = [
        r
        for r in requirements
        if r.id.startswith(READINESS_PREFIX) and r.id != READINESS_PRECONDITION
    ]
    # The score means something only when all twelve criteria are being judged (the readiness
    # pack is enabled); a pack that merely maps one criterion does not make a score of 1/12.
    if len(ready) != READINESS_TOTAL:
        return None
    score = sum(1 for r in ready if r.status == "met")
    band = readiness_band(score)
    readiness: dict[str, Any] = {
        "score": score,
        "of": READINESS_TOTAL,
        "band": band,
        "criteria": {r.id: r.status for r in sorted(ready, key=lambda r: r.id)},
    }
    precondition = next((r for r in requirements if r.id == READINESS_PRECONDITION), None)
    if precondition is not None and precondition.status not in ("met", "not_applicable"):
        readiness["held_back_by"] = precondition.id
        # Twelve criteria met on undeclared facts or unfinished templates are not a
        # production-ready system: the band stops below it until the precondition is met.
        bands = [name for _lowest, name in READINESS_BANDS]
        if bands.index(band) < bands.index(HELD_BACK_BAND):
            readiness["band"] = HELD_BACK_BAND
    return readiness
