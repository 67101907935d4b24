"""The audit dossier: one run's result, policies and evidence as an auditor-ready document.

`DossierInput` is everything the dossier shows; `dossier_input_from_outcome` builds it from a
`govgate check` run (the evidence locker can build it from a recorded run the same way).
`build_context` turns it into plain data per section, Jinja2 partials in
`govgate.evidence_templates/dossier/` turn that into HTML (autoescaped: everything from the
repository is text, never markup), and WeasyPrint writes PDF/A-3b with the result JSON and an
evidence manifest embedded as attachments. Their sha256 digests are recorded in the XMP
metadata and printed on the last page; `govgate.outputs.dossier.verify` checks them later.

WeasyPrint fetches through `TemplateUrlGuard`: files inside the template folders and the
`data:` URLs this module generated, nothing else (no network, nothing else on disk), and every
request is recorded so a test or a user can see what was asked for.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import mimetypes
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname
from xml.sax.saxutils import escape as xml_escape

from govgate import __version__
from govgate.core.evidence import Evidence, format_timestamp, sha256_digest, utc_now
from govgate.core.policy import SEVERITIES, severity_rank
from govgate.core.result import FAIRNESS_KIND
from govgate.core.rollup import REQUIREMENT_STATUSES
from govgate.support.errors import UsageError

if TYPE_CHECKING:
    from jinja2 import Environment

    from govgate.core.policy import PolicySet
    from govgate.run.check import CheckOutcome

DOSSIER_SCHEMA = "govgate/dossier/v1"
MANIFEST_SCHEMA = "govgate/dossier-manifest/v1"
RESULT_ATTACHMENT = "govgate-result.json"
MANIFEST_ATTACHMENT = "govgate-evidence-manifest.json"
#: XMP namespace of the digests recorded in the PDF (described by a PDF/A extension schema).
XMP_NAMESPACE = "https://govgate.dev/ns/dossier/1.0/"
XMP_PREFIX = "govgate"
#: XMP property holding each attachment's digest.
XMP_DIGEST_PROPERTIES = {RESULT_ATTACHMENT: "resultDigest", MANIFEST_ATTACHMENT: "manifestDigest"}
PDF_VARIANT = "pdf/a-3b"

#: Evidence kinds the dossier has a section for (produced by the bias, decision-log,
#: attestation and git collectors; any of them may be absent from a run).
DECISION_LOG_KIND = "decision_log.summary"
ATTESTATION_KIND = "attestation"
GIT_HISTORY_KIND = "git.governance_history"
SIGNOFFS_KIND = "git.signoffs"
#: The four-fifths rule (29 CFR 1607.4(D)); the line every impact-ratio chart draws.
FOUR_FIFTHS = 0.8

#: How deep and how long generic data (decision-log summaries, model cards) is shown.
MAX_DEPTH = 4
MAX_ITEMS = 40
MAX_TEXT = 1500
#: Controls per traceability-matrix table: more columns would not fit an A4 page.
MATRIX_COLUMNS = 10
TOP_RISKS = 8


def template_root() -> Path:
    """The shipped template folder (`govgate.evidence_templates`)."""
    return Path(str(files("govgate.evidence_templates")))


# --------------------------------------------------------------------------- input


@dataclass(frozen=True)
class DossierInput:
    """Everything a dossier shows. Build it with `dossier_input_from_outcome` (or from the
    evidence locker's recorded run); the renderer reads nothing else, git included: what the
    sign-off page and the exceptions register show from git is the run's own `git.signoffs`
    evidence, collected and recorded with the run.

    `policy_set` may be None when the policies of a recorded run cannot be loaded again; the
    sections that need it (control owners, rule texts) then say so instead of guessing.
    """

    result: Mapping[str, Any]
    policy_set: PolicySet | None
    evidence: tuple[Evidence, ...]
    generated_at: str
    prepared_by: str


def git_user_name(root: Path) -> str | None:
    """`git config user.name` of the target repository, if any (who is preparing the dossier)."""
    from govgate.support.git import Git, GitError

    try:
        done = Git(root, timeout=10).run("config", "user.name", check=False)
    except GitError:
        return None
    return done.text() or None


def dossier_input_from_outcome(
    outcome: CheckOutcome,
    *,
    prepared_by: str | None = None,
    generated_at: datetime | None = None,
) -> DossierInput:
    """The dossier's input from a finished `govgate check` run.

    The sign-off page shows the run's `git.signoffs` evidence: a run recorded in the locker
    has it, and so does one made with `CheckOptions(signoffs=True)`.
    """
    root = outcome.config.root
    who = prepared_by or git_user_name(root) or "not stated (use --prepared-by)"
    return DossierInput(
        result=outcome.result,
        policy_set=outcome.policy_set,
        evidence=tuple(outcome.collection.evidence.all()),
        generated_at=format_timestamp(generated_at or utc_now()),
        prepared_by=who,
    )


def dossier_input_from_run(
    result: Mapping[str, Any],
    evidence: Sequence[Evidence],
    policy_set: PolicySet | None,
    root: Path,
    *,
    prepared_by: str | None = None,
    generated_at: datetime | None = None,
) -> DossierInput:
    """The dossier's input from a run the evidence locker recorded (result and cited evidence).

    `policy_set` is the packs loaded now; pass None when their digests differ from the ones
    the run recorded, so no section presents today's rule texts as the run's.
    """
    who = prepared_by or git_user_name(root) or "not stated (use --prepared-by)"
    return DossierInput(
        result=result,
        policy_set=policy_set,
        evidence=tuple(evidence),
        generated_at=format_timestamp(generated_at or utc_now()),
        prepared_by=who,
    )


# --------------------------------------------------------------------------- attachments


@dataclass(frozen=True)
class DossierAttachment:
    """A file embedded in the PDF; `digest` is sha256 of exactly these bytes."""

    name: str
    data: bytes
    media_type: str
    relationship: str
    description: str

    @property
    def digest(self) -> str:
        return sha256_digest(self.data)

    @property
    def size(self) -> int:
        return len(self.data)


def _json_bytes(document: Any) -> bytes:
    # Pretty and sorted so an auditor can read and diff the attachment; the digest is over
    # these exact bytes, so nothing needs to re-serialise it to verify.
    return (
        json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"
    ).encode("utf-8")


def evidence_manifest(inp: DossierInput) -> list[dict[str, Any]]:
    """One entry per evidence item of the run: where it came from and whether it still hashes.

    Entries come from the result document's manifest; `content_verified` says whether the
    item's content was at hand and its digest recomputed from it when the dossier was written.
    """
    items = {item.digest: item for item in inp.evidence}
    listed = list(inp.result.get("evidence") or [])
    known = {entry.get("digest") for entry in listed}
    # Evidence the caller holds but the result's manifest lacks is still listed: the dossier
    # must not hide what the run saw.
    for item in sorted(inp.evidence, key=lambda e: (e.kind, e.subject, e.digest)):
        if item.digest not in known:
            listed.append(
                {
                    "digest": item.digest,
                    "kind": item.kind,
                    "subject": item.subject,
                    "source": item.source.to_json(),
                    "collector": {"name": item.collector, "version": item.collector_version},
                    "collected_at": item.collected_at,
                    "dated": item.dated,
                    "cited": False,
                }
            )
    manifest = []
    for entry in listed:
        held = items.get(entry.get("digest", ""))
        manifest.append(
            {
                **entry,
                "content_verified": None if held is None else held.verify_digest(),
                "problem": None if held is None else held.problem,
            }
        )
    return manifest


def build_attachments(inp: DossierInput) -> tuple[DossierAttachment, DossierAttachment]:
    """The result document and the evidence manifest, as the bytes embedded in the PDF."""
    result_bytes = _json_bytes(inp.result)
    result = DossierAttachment(
        name=RESULT_ATTACHMENT,
        data=result_bytes,
        media_type="application/json",
        relationship="Source",
        description="govgate/result/v1 document of the run this dossier reports",
    )
    run = inp.result.get("run") or {}
    manifest_doc = {
        "schema": MANIFEST_SCHEMA,
        "generated_at": inp.generated_at,
        "prepared_by": inp.prepared_by,
        "tool": {"name": "govgate", "version": __version__},
        "target": inp.result.get("target"),
        "run": {"started_at": run.get("started_at"), "finished_at": run.get("finished_at")},
        "result": {"attachment": RESULT_ATTACHMENT, "digest": result.digest},
        "evidence": evidence_manifest(inp),
    }
    manifest = DossierAttachment(
        name=MANIFEST_ATTACHMENT,
        data=_json_bytes(manifest_doc),
        media_type="application/json",
        relationship="Data",
        description="evidence manifest: digest, kind, source, collector and time of each item",
    )
    return result, manifest


def xmp_descriptions(attachments: Sequence[DossierAttachment], inp: DossierInput) -> bytes:
    """XMP `rdf:Description`s recording the attachment digests, with the PDF/A extension
    schema that PDF/A requires for a custom namespace (ISO 19005-3, 6.6.2.3)."""
    values = {XMP_DIGEST_PROPERTIES[a.name]: a.digest for a in attachments}
    values["generatedAt"] = inp.generated_at
    values["toolVersion"] = __version__
    values["schema"] = DOSSIER_SCHEMA
    descriptions = {
        "resultDigest": f"sha256 of the embedded {RESULT_ATTACHMENT}",
        "manifestDigest": f"sha256 of the embedded {MANIFEST_ATTACHMENT}",
        "generatedAt": "when the dossier was written (RFC 3339 UTC)",
        "toolVersion": "govgate version that wrote the dossier",
        "schema": "dossier format identifier",
    }
    properties = "".join(
        "<rdf:li rdf:parseType='Resource'>"
        f"<pdfaProperty:name>{name}</pdfaProperty:name>"
        "<pdfaProperty:valueType>Text</pdfaProperty:valueType>"
        "<pdfaProperty:category>internal</pdfaProperty:category>"
        f"<pdfaProperty:description>{xml_escape(text)}</pdfaProperty:description>"
        "</rdf:li>"
        for name, text in descriptions.items()
    )
    schema = (
        "<rdf:Description rdf:about=''"
        " xmlns:pdfaExtension='http://www.aiim.org/pdfa/ns/extension/'"
        " xmlns:pdfaSchema='http://www.aiim.org/pdfa/ns/schema#'"
        " xmlns:pdfaProperty='http://www.aiim.org/pdfa/ns/property#'>"
        "<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType='Resource'>"
        "<pdfaSchema:schema>govgate audit dossier</pdfaSchema:schema>"
        f"<pdfaSchema:namespaceURI>{XMP_NAMESPACE}</pdfaSchema:namespaceURI>"
        f"<pdfaSchema:prefix>{XMP_PREFIX}</pdfaSchema:prefix>"
        f"<pdfaSchema:property><rdf:Seq>{properties}</rdf:Seq></pdfaSchema:property>"
        "</rdf:li></rdf:Bag></pdfaExtension:schemas></rdf:Description>"
    )
    fields = "".join(
        f"<{XMP_PREFIX}:{name}>{xml_escape(value)}</{XMP_PREFIX}:{name}>"
        for name, value in values.items()
    )
    record = (
        f"<rdf:Description rdf:about='' xmlns:{XMP_PREFIX}='{XMP_NAMESPACE}'>{fields}"
        "</rdf:Description>"
    )
    return (schema + record).encode("utf-8")


# --------------------------------------------------------------------------- URL guard


@dataclass(frozen=True)
class FetchRecord:
    """One resource WeasyPrint asked for, and what the guard did."""

    url: str
    served: bool
    reason: str


class TemplateUrlGuard:
    """Decides what the renderer may load: template-folder files and our own `data:` URLs.

    Everything else (http, https, ftp, file URLs outside the folders, symlinks leading out of
    them, data URLs nobody here generated) is refused and recorded.
    """

    def __init__(self, roots: Sequence[Path]) -> None:
        self.roots = [root.resolve() for root in roots]
        self.records: list[FetchRecord] = []
        self._data_urls: dict[str, tuple[bytes, str]] = {}

    @property
    def refused(self) -> list[FetchRecord]:
        return [r for r in self.records if not r.served]

    def data_url(self, payload: bytes, media_type: str) -> str:
        """A `data:` URL for payload, registered so the guard will serve it."""
        url = f"data:{media_type};base64,{base64.b64encode(payload).decode('ascii')}"
        self._data_urls[url] = (payload, media_type)
        return url

    def find_asset(self, name: str) -> Path | None:
        """A file by relative name in the template folders (first folder wins)."""
        if name.startswith("/") or "\\" in name:
            return None
        for root in self.roots:
            candidate = (root / name).resolve()
            if candidate.is_file() and self._inside(candidate):
                return candidate
        return None

    def _inside(self, path: Path) -> bool:
        return any(path == root or root in path.parents for root in self.roots)

    def resolve(self, url: str) -> tuple[bytes, str]:
        """The bytes and media type for url, or PermissionError (recorded either way)."""
        try:
            payload, media_type = self._resolve(url)
        except PermissionError as refused:
            self.records.append(FetchRecord(url[:300], False, str(refused)))
            raise
        self.records.append(FetchRecord(url[:300], True, "template folder"))
        return payload, media_type

    def _resolve(self, url: str) -> tuple[bytes, str]:
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            known = self._data_urls.get(url)
            if known is None:
                raise PermissionError("data: URL not generated by govgate")
            return known
        if scheme != "file":
            raise PermissionError(f"{scheme or 'relative'} URLs are never fetched")
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise PermissionError("file URL on another host")
        path = Path(url2pathname(unquote(parts.path))).resolve()
        if not self._inside(path):
            raise PermissionError("outside the template folder")
        if not path.is_file():
            raise PermissionError("no such file in the template folder")
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return path.read_bytes(), media_type


def _weasyprint_fetcher(guard: TemplateUrlGuard) -> Any:
    """A WeasyPrint URL fetcher that asks `guard` and never touches urllib's openers."""
    import weasyprint

    if not hasattr(weasyprint, "URLFetcher"):
        raise UsageError(
            f"the dossier needs WeasyPrint 70 or later (installed: {weasyprint.__version__}); "
            "upgrade it with pip"
        )

    class GuardedFetcher(weasyprint.URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            payload, media_type = guard.resolve(url)
            return weasyprint.urls.URLFetcherResponse(url, payload, {"Content-Type": media_type})

    return GuardedFetcher(fail_on_errors=False)


# --------------------------------------------------------------------------- context helpers

#: (symbol, words) per status: symbols and words, never colour alone (readable in B/W).
STATUS_LABELS: dict[str, tuple[str, str]] = {
    "met": ("✓", "met"),
    "partial": ("◐", "partial"),
    "not_met": ("✗", "not met"),
    "unverified": ("?", "unverified"),
    "not_applicable": ("–", "not applicable"),
    "satisfied": ("✓", "satisfied"),
    "not_satisfied": ("✗", "not satisfied"),
    "pass": ("✓", "pass"),
    "fail": ("✗", "fail"),
    "error": ("!", "error"),
    "waived": ("W", "waived"),
    "skipped": ("↷", "skipped"),
    "active": ("✓", "active"),
    "expired": ("✗", "expired"),
    "refused": ("✗", "refused"),
}
BANDS = (
    ("10–12", "production-ready"),
    ("7–9", "close"),
    ("4–6", "a demo, not a pilot"),
    ("0–3", "a science experiment"),
)


def short_digest(digest: str | None) -> str:
    if not digest:
        return "—"
    algo, _, hexdigest = digest.partition(":")
    return f"{algo}:{hexdigest[:12]}" if hexdigest else digest[:19]


def where(source: Mapping[str, Any] | None) -> str:
    """`path:line` of a source or location, or an em dash."""
    if not source or not source.get("path"):
        return "—"
    line = source.get("line")
    return f"{source['path']}:{line}" if line else str(source["path"])


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        return f"{value:.4g}"
    text = str(value)
    if len(text) > MAX_TEXT:
        return text[:MAX_TEXT] + f"… ({len(text) - MAX_TEXT} more characters)"
    return text


def data_tree(value: Any, depth: int = 0) -> dict[str, Any]:
    """Any JSON value as a small tree the `value` macro renders (bounded in depth and size).

    Lists of flat mappings become tables; deeper structures nest up to MAX_DEPTH and are then
    shown as JSON text, so arbitrary evidence data renders without inventing any structure.
    """
    if isinstance(value, Mapping):
        if depth >= MAX_DEPTH:
            return {"type": "scalar", "text": _text(json.dumps(value, sort_keys=True))}
        rows = [(str(k), data_tree(v, depth + 1)) for k, v in list(value.items())[:MAX_ITEMS]]
        return {"type": "map", "rows": rows, "more": max(0, len(value) - MAX_ITEMS)}
    if isinstance(value, list | tuple):
        if not value:
            return {"type": "scalar", "text": "(none)"}
        shown = list(value)[:MAX_ITEMS]
        more = max(0, len(value) - MAX_ITEMS)
        if all(not isinstance(v, Mapping | list | tuple) for v in shown):
            return {"type": "scalar", "text": ", ".join(_text(v) for v in shown)} | (
                {"text": ", ".join(_text(v) for v in shown) + f", … ({more} more)"} if more else {}
            )
        if all(isinstance(v, Mapping) for v in shown) and depth < MAX_DEPTH:
            columns: list[str] = []
            for row in shown:
                for key in row:
                    if str(key) not in columns:
                        columns.append(str(key))
            flat = all(
                not isinstance(v, Mapping | list | tuple) or not v
                for row in shown
                for v in row.values()
            )
            if flat and len(columns) <= 8:
                return {
                    "type": "table",
                    "columns": columns,
                    "rows": [[_text(row.get(c)) for c in columns] for row in shown],
                    "more": more,
                }
        if depth >= MAX_DEPTH:
            return {"type": "scalar", "text": _text(json.dumps(value, sort_keys=True))}
        return {"type": "list", "items": [data_tree(v, depth + 1) for v in shown], "more": more}
    return {"type": "scalar", "text": _text(value)}


def _fmt_rate(value: Any) -> str:
    if value is None:
        return "undefined"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:.3f}"
    return _text(value)


# --------------------------------------------------------------------------- sections


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    template: str
    in_toc: bool = True


SECTIONS: tuple[Section, ...] = (
    Section("cover", "Cover", "cover.html", in_toc=False),
    Section("contents", "Contents", "toc.html", in_toc=False),
    Section("summary", "Executive summary", "summary.html"),
    Section("scope", "Scope and system description", "scope.html"),
    Section("requirements", "Requirements by framework", "requirements.html"),
    Section("controls", "Controls, findings and evidence", "controls.html"),
    Section("fairness", "Fairness", "fairness.html"),
    Section("decision-logs", "Decision-log statistics", "decision_logs.html"),
    Section("exceptions", "Exceptions register", "exceptions.html"),
    Section("traceability", "Traceability matrix", "traceability.html"),
    Section("manifest", "Evidence manifest", "manifest.html"),
    Section("methodology", "Methodology", "methodology.html"),
    Section("signoff", "Sign-off", "signoff.html"),
    Section("verify", "How to verify this document", "verify.html"),
)


def _frameworks(result: Mapping[str, Any]) -> list[str]:
    return sorted({str(r.get("framework")) for r in result.get("requirements") or []})


def _owner(inp: DossierInput, control_id: str) -> str | None:
    if inp.policy_set is None:
        return None
    control = inp.policy_set.controls.get(control_id)
    return control.owner if control else None


def cover_context(inp: DossierInput) -> dict[str, Any]:
    result = inp.result
    system = result.get("system") or {}
    target = result.get("target") or {}
    return {
        "system_name": system.get("name") or "unnamed system",
        "system_version": system.get("version"),
        "owner": system.get("owner"),
        "commit": target.get("commit"),
        "branch": target.get("branch"),
        # True: the run checked a working tree with uncommitted changes, not the commit.
        "dirty": target.get("dirty"),
        "run_started": (result.get("run") or {}).get("started_at"),
        "generated_at": inp.generated_at,
        "prepared_by": inp.prepared_by,
        "frameworks": _frameworks(result),
        "packs": [f"{p.get('name')} {p.get('version')}" for p in result.get("packs") or []],
        "gate": result.get("gate"),
        "tool_version": (result.get("tool") or {}).get("version"),
    }


def summary_context(inp: DossierInput) -> dict[str, Any]:
    result = inp.result
    findings = list(result.get("findings") or [])
    fail_on = str(result.get("fail_on") or "high")
    threshold = severity_rank(fail_on) if fail_on in SEVERITIES else 3
    blocking = [
        f
        for f in findings
        if f.get("status") == "error"
        or (
            f.get("status") == "fail"
            and f.get("severity") in SEVERITIES
            and severity_rank(f["severity"]) >= threshold
        )
    ]
    requirements = list(result.get("requirements") or [])
    met = sum(1 for r in requirements if r.get("status") == "met")
    applicable = sum(1 for r in requirements if r.get("status") != "not_applicable")
    frameworks = []
    for name, counts in sorted((result.get("frameworks") or {}).items()):
        frameworks.append(
            {
                "name": name,
                "counts": [counts.get(s, 0) for s in REQUIREMENT_STATUSES],
                "total": sum(counts.values()),
            }
        )
    risks = sorted(
        (f for f in findings if f.get("status") in ("fail", "error")),
        key=lambda f: (
            -(severity_rank(f["severity"]) if f.get("severity") in SEVERITIES else 0),
            f.get("status") != "error",
            f.get("rule", ""),
            f.get("item") or "",
        ),
    )
    top = [
        {
            "severity": f.get("severity"),
            "status": f.get("status"),
            "rule": f.get("rule"),
            "control": f.get("control"),
            "owner": _owner(inp, str(f.get("control"))),
            "message": f.get("message"),
            "requirements": ", ".join(f.get("requirements") or []),
        }
        for f in risks[:TOP_RISKS]
    ]
    waivers = list(result.get("waivers") or [])
    readiness = result.get("readiness")
    return {
        "gate": result.get("gate"),
        "fail_on": fail_on,
        "blocking": len(blocking),
        "errors": sum(1 for f in findings if f.get("status") == "error"),
        "counts": result.get("summary") or {},
        "requirements_met": met,
        "requirements_applicable": applicable,
        "requirements_total": len(requirements),
        "frameworks": frameworks,
        "statuses": REQUIREMENT_STATUSES,
        "top_risks": top,
        "more_risks": max(0, len(risks) - TOP_RISKS),
        "owners_known": inp.policy_set is not None,
        "readiness": readiness,
        "bands": BANDS,
        "waived": sum(1 for f in findings if f.get("status") == "waived"),
        "waivers_active": sum(1 for w in waivers if w.get("status") == "active"),
        "waivers_expired": sum(1 for w in waivers if w.get("status") == "expired"),
        "waivers_refused": sum(1 for w in waivers if w.get("status") == "refused"),
    }


def _is_model_card(item: Evidence) -> bool:
    if item.collector != "documents":
        return False
    name = f"{item.kind} {item.subject}".lower().replace("-", "_")
    if "model_card" in name or "modelcard" in name:
        return True
    return isinstance(item.data, Mapping) and item.data.get("format") == "model_card_json"


def scope_context(inp: DossierInput) -> dict[str, Any]:
    result = inp.result
    system = dict(result.get("system") or {})
    cards = []
    for item in sorted(inp.evidence, key=lambda e: e.subject):
        if not _is_model_card(item):
            continue
        data = item.data if isinstance(item.data, Mapping) else {}
        cards.append(
            {
                "subject": item.subject,
                "source": where(item.source.to_json()),
                "digest": item.digest,
                "problem": item.problem,
                "title": data.get("title"),
                "front_matter": data_tree(data.get("front_matter") or {}),
                "headings": [
                    {"level": h.get("level"), "text": h.get("text"), "line": h.get("line")}
                    for h in (data.get("headings") or [])[:MAX_ITEMS]
                    if isinstance(h, Mapping)
                ],
                "missing_sections": data.get("missing_sections") or [],
                "word_count": data.get("word_count"),
                "other": data_tree(
                    {
                        k: v
                        for k, v in data.items()
                        if k not in ("title", "front_matter", "headings", "missing_sections")
                        and k not in ("word_count", "sections", "dates", "format")
                    }
                )
                if data and data.get("format") not in ("markdown", "model_card_json")
                else None,
            }
        )
    target = result.get("target") or {}
    description = system.pop("description", None)  # shown as the lead paragraph instead
    return {
        "system": data_tree(system),
        "description": description,
        "target": {
            "path": target.get("path"),
            "commit": target.get("commit"),
            "branch": target.get("branch"),
            "dirty": target.get("dirty"),
        },
        "packs": list(result.get("packs") or []),
        "model_cards": cards,
        "documents_ran": any(r.get("name") == "documents" for r in result.get("collectors") or []),
    }


def requirements_context(inp: DossierInput) -> list[dict[str, Any]]:
    by_framework: dict[str, list[dict[str, Any]]] = {}
    policies = inp.policy_set
    for req in inp.result.get("requirements") or []:
        declared = policies.requirements.get(req["id"]) if policies else None
        by_framework.setdefault(str(req.get("framework")), []).append(
            {
                "id": req.get("id"),
                "ref": req.get("ref"),
                "title": req.get("title"),
                "status": req.get("status"),
                "controls": req.get("controls") or [],
                "pack": req.get("pack"),
                "description": declared.description if declared else "",
            }
        )
    return [
        {
            "name": name,
            "anchor": "fw-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-"),
            "requirements": reqs,
            "counts": {s: sum(1 for r in reqs if r["status"] == s) for s in REQUIREMENT_STATUSES},
        }
        for name, reqs in sorted(by_framework.items())
    ]


def controls_context(inp: DossierInput) -> list[dict[str, Any]]:
    result = inp.result
    manifest = {e.get("digest"): e for e in result.get("evidence") or []}
    by_control: dict[str, list[Mapping[str, Any]]] = {}
    for finding in result.get("findings") or []:
        by_control.setdefault(str(finding.get("control")), []).append(finding)
    policies = inp.policy_set
    satisfies: dict[str, list[str]] = {}
    for req in result.get("requirements") or []:
        for control_id in req.get("controls") or []:
            satisfies.setdefault(control_id, []).append(req["id"])
    out = []
    for control in result.get("controls") or []:
        cid = str(control.get("id"))
        declared = policies.controls.get(cid) if policies else None
        rules = []
        for rule_id in control.get("rules") or []:
            rule = policies.rules.get(rule_id) if policies else None
            rules.append(
                {
                    "id": rule_id,
                    "severity": rule.severity if rule else None,
                    "title": (rule.title or rule.message) if rule else None,
                    "source": rule.source if rule else None,
                    "origin": str(rule.origin) if rule else None,
                }
            )
        findings = []
        cited: dict[str, dict[str, Any]] = {}
        for finding in by_control.get(cid, []):
            location = finding.get("location") or None
            refs = []
            for ref in finding.get("evidence") or []:
                digest = ref.get("digest")
                refs.append(short_digest(digest))
                entry = manifest.get(digest) or {}
                source = ref.get("source") or entry.get("source") or {}
                citation = cited.setdefault(
                    digest,
                    {
                        "digest": digest,
                        "kind": ref.get("kind") or entry.get("kind"),
                        "path": source.get("path"),
                        "lines": set(),
                        "collected_at": entry.get("collected_at"),
                        "collector": entry.get("collector"),
                        "in_manifest": bool(entry),
                    },
                )
                if source.get("line"):
                    citation["lines"].add(int(source["line"]))
                if location and location.get("path") == source.get("path") and location.get("line"):
                    citation["lines"].add(int(location["line"]))
            waiver = finding.get("waiver") or None
            findings.append(
                {
                    "status": finding.get("status"),
                    "severity": finding.get("severity"),
                    "rule": finding.get("rule"),
                    "item": finding.get("item"),
                    "message": finding.get("message"),
                    "remediation": finding.get("remediation"),
                    "location": where(location),
                    "evidence": refs,
                    "waiver": waiver.get("id") if waiver else None,
                    "waiver_status": waiver.get("status") if waiver else None,
                }
            )
        citations = []
        for citation in cited.values():
            collector = citation["collector"] or {}
            lines = sorted(citation["lines"])
            citations.append(
                {
                    **citation,
                    "lines": ", ".join(str(n) for n in lines),
                    "collector": f"{collector.get('name')} {collector.get('version')}"
                    if collector
                    else None,
                }
            )
        out.append(
            {
                "id": cid,
                "title": control.get("title"),
                "status": control.get("status"),
                "pack": control.get("pack"),
                "owner": declared.owner if declared else None,
                "owners_known": policies is not None,
                "satisfies": declared.satisfies if declared else satisfies.get(cid, []),
                "description": declared.description if declared else "",
                "rules": rules,
                "rules_known": policies is not None,
                "findings": findings,
                "citations": sorted(citations, key=lambda c: (c["path"] or "", c["digest"] or "")),
            }
        )
    return out


def _impact_threshold(result: Mapping[str, Any]) -> tuple[float, str]:
    """The impact-ratio threshold a pack declares (`min_impact_ratio`), else four-fifths."""
    for pack, params in sorted((result.get("params") or {}).items()):
        if isinstance(params, Mapping):
            value = params.get("min_impact_ratio")
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value), f"parameter min_impact_ratio of pack {pack}"
    return FOUR_FIFTHS, "the four-fifths rule (29 CFR 1607.4(D))"


CHART_WIDTH = 470
CHART_LABEL = 150
CHART_BAR = 250
CHART_ROW = 16


def bar_chart(
    rows: Sequence[tuple[str, float | None, bool]],
    *,
    title: str,
    scale_max: float,
    lines: Sequence[tuple[float, str]] = (),
    flag_below: float | None = None,
) -> dict[str, Any]:
    """Geometry of one horizontal bar chart (the template draws it as SVG).

    rows: (label, value or None when undefined, excluded). Bars below `flag_below` are drawn
    hollow and labelled, so the chart reads in black and white.
    """
    top = 26
    bars = []
    for index, (label, value, excluded) in enumerate(rows):
        y = top + index * CHART_ROW
        width = 0.0
        if value is not None:
            width = max(0.0, min(value, scale_max)) / scale_max * CHART_BAR
        below = flag_below is not None and value is not None and value < flag_below
        bars.append(
            {
                "label": label if len(label) <= 26 else label[:25] + "…",
                "y": y,
                "text_y": y + 11,
                "width": round(width, 2),
                "value": _fmt_rate(value),
                "value_x": round(CHART_LABEL + width + 4, 2),
                "undefined": value is None,
                "excluded": excluded,
                "below": below,
            }
        )
    height = top + len(rows) * CHART_ROW + 18
    ticks = []
    steps = 4
    for step in range(steps + 1):
        value = scale_max * step / steps
        ticks.append({"x": round(CHART_LABEL + CHART_BAR * step / steps, 2), "label": f"{value:g}"})
    drawn_lines = [
        {
            "x": round(CHART_LABEL + min(value, scale_max) / scale_max * CHART_BAR, 2),
            "label": label,
        }
        for value, label in lines
    ]
    return {
        "title": title,
        "width": CHART_WIDTH,
        "height": height,
        "label_x": CHART_LABEL - 6,
        "bar_x": CHART_LABEL,
        "bar_width": CHART_BAR,
        "axis_y": top + len(rows) * CHART_ROW + 2,
        "top": top - 4,
        "bars": bars,
        "ticks": ticks,
        "lines": drawn_lines,
    }


AGGREGATES = (
    ("demographic_parity_difference", "Demographic parity difference"),
    ("demographic_parity_ratio", "Demographic parity ratio"),
    ("equalized_odds_difference", "Equalized odds difference"),
    ("equalized_odds_ratio", "Equalized odds ratio"),
    ("equal_opportunity_difference", "Equal opportunity difference"),
    ("equal_opportunity_ratio", "Equal opportunity ratio"),
    ("equalized_odds_difference_mean", "Equalized odds difference (mean)"),
    ("equalized_odds_ratio_mean", "Equalized odds ratio (mean)"),
    ("false_positive_rate_difference", "False positive rate difference"),
    ("predictive_parity_difference", "Predictive parity difference"),
    ("scoring_rate_difference", "Scoring rate difference (LL144)"),
    ("scoring_rate_ratio", "Scoring rate ratio (LL144)"),
)


def _fairness_block(raw: Mapping[str, Any], kind: str, threshold: float) -> dict[str, Any]:
    groups = [g for g in raw.get("groups") or [] if isinstance(g, Mapping)]
    rows = []
    for group in groups:
        rows.append(
            {
                "value": _text(group.get("value")),
                "n": group.get("n"),
                "share": _fmt_rate(group.get("share")),
                "selection_rate": _fmt_rate(group.get("selection_rate")),
                "impact_ratio": _fmt_rate(group.get("impact_ratio")),
                "tpr": _fmt_rate(group.get("tpr")),
                "fpr": _fmt_rate(group.get("fpr")),
                # No p-value for the reference group itself: a dash, not "undefined".
                "p_value": _fmt_rate(group["p_value"]) if group.get("p_value") is not None else "—",
                "excluded": bool(group.get("excluded")),
                "below": isinstance(group.get("impact_ratio"), int | float)
                and not group.get("excluded")
                and group["impact_ratio"] < threshold,
            }
        )

    def number(value: Any) -> float | None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        return None

    ratios = [number(g.get("impact_ratio")) for g in groups]
    ir_max = max([1.0, *(r for r in ratios if r is not None)])
    lines = [(FOUR_FIFTHS, "0.8")]
    if abs(threshold - FOUR_FIFTHS) > 1e-9:
        lines.append((threshold, f"{threshold:g}"))
    charts = [
        bar_chart(
            [
                (_text(g.get("value")), number(g.get("selection_rate")), bool(g.get("excluded")))
                for g in groups
            ],
            title="Selection rate per group",
            scale_max=1.0,
        ),
        bar_chart(
            [
                (_text(g.get("value")), number(g.get("impact_ratio")), bool(g.get("excluded")))
                for g in groups
            ],
            title="Impact ratio per group (line: 0.8)",
            scale_max=ir_max,
            lines=lines,
            flag_below=threshold,
        ),
    ]
    aggregates = []
    between = raw.get("between_groups") or {}
    overall = raw.get("to_overall") or {}
    for key, label in AGGREGATES:
        if key in between or key in overall:
            aggregates.append(
                {
                    "label": label,
                    "between": _fmt_rate(between[key]) if key in between else "—",
                    "overall": _fmt_rate(overall[key]) if key in overall else "—",
                }
            )
    facts = [
        f"{label} {_text(raw[key])}"
        for key, label in (
            ("rows", "rows"),
            ("unknown", "unknown or missing attribute"),
            ("excluded_groups", "groups excluded"),
            ("reference", "reference group"),
        )
        if raw.get(key) is not None
    ]
    return {
        "name": _text(raw.get("name")),
        "facts": " · ".join(facts),
        "kind": kind,
        "rows": rows,
        "charts": charts if groups else [],
        "aggregates": aggregates,
    }


def fairness_context(inp: DossierInput) -> dict[str, Any]:
    threshold, threshold_source = _impact_threshold(inp.result)
    analyses = []
    for item in sorted(inp.evidence, key=lambda e: e.subject):
        if item.kind != FAIRNESS_KIND:
            continue
        data = item.data if isinstance(item.data, Mapping) else None
        entry: dict[str, Any] = {
            "subject": item.subject,
            "source": where(item.source.to_json()),
            "digest": item.digest,
            "collected_at": item.collected_at,
            "problem": item.problem,
            "blocks": [],
            "shape_ok": bool(data and isinstance(data.get("attributes"), list)),
            "rows": data.get("rows") if data else None,
            "rejected_rows": data.get("rejected_rows") if data else None,
            "raw": None,
        }
        if data is not None:
            for attr in data.get("attributes") or []:
                if isinstance(attr, Mapping):
                    entry["blocks"].append(_fairness_block(attr, "attribute", threshold))
            for inter in data.get("intersections") or []:
                if isinstance(inter, Mapping):
                    entry["blocks"].append(_fairness_block(inter, "intersection", threshold))
            if not entry["shape_ok"]:
                entry["raw"] = data_tree(data)
        analyses.append(entry)
    bias_ran = any(p.get("name") == "bias" for p in inp.result.get("packs") or [])
    return {
        "analyses": analyses,
        "threshold": threshold,
        "threshold_source": threshold_source,
        "bias_pack": bias_ran,
    }


def decision_logs_context(inp: DossierInput) -> list[dict[str, Any]]:
    return [
        {
            "subject": item.subject,
            "source": where(item.source.to_json()),
            "digest": item.digest,
            "collected_at": item.collected_at,
            "collector": f"{item.collector} {item.collector_version}",
            "problem": item.problem,
            "data": data_tree(item.data) if item.data is not None else None,
        }
        for item in sorted(inp.evidence, key=lambda e: e.subject)
        if item.kind == DECISION_LOG_KIND
    ]


def exceptions_context(inp: DossierInput) -> list[dict[str, Any]]:
    changes = file_changes(inp)
    # A sign-off record that could not be collected says why no waiver file has an author.
    failed = next((e.problem for e in inp.evidence if e.kind == SIGNOFFS_KIND and e.problem), None)
    out = []
    for waiver in inp.result.get("waivers") or []:
        scope = waiver.get("scope") or {}
        parts = []
        if scope.get("paths"):
            parts.append("paths: " + ", ".join(scope["paths"]))
        if scope.get("items"):
            parts.append("items: " + ", ".join(scope["items"]))
        path = (waiver.get("source") or {}).get("path")
        out.append(
            {
                "id": waiver.get("id"),
                "target": waiver.get("rule") or f"control {waiver.get('control')}",
                "scope": "; ".join(parts) or "everything the rule reports",
                "justification": waiver.get("justification"),
                "approver": waiver.get("approver"),
                "approved": waiver.get("approved"),
                "expires": waiver.get("expires"),
                "status": waiver.get("status"),
                "refused": waiver.get("refused"),
                "used": waiver.get("used"),
                "ticket": waiver.get("ticket"),
                "risk": waiver.get("risk"),
                "source": where(waiver.get("source")),
                "committed_by": (
                    _committed_by(path, changes.get(str(path)), failed) if path else None
                ),
            }
        )
    return out


def _committed_by(path: str, entry: Mapping[str, Any] | None, failed: str | None = None) -> str:
    """Who committed the last change to a waiver file, in words, as of the run."""
    if entry is None:
        return f"git author of {path}: not available ({failed or 'no git information'})"
    if entry.get("problem"):
        return f"git author of {path}: not available ({entry['problem']})"
    if not entry.get("last_commit"):
        return f"{path} is not committed to git"
    text = (
        f"{path} last committed by {entry.get('last_author') or 'unknown'}, "
        f"{entry.get('last_date') or 'undated'}, {str(entry['last_commit'])[:12]}"
    )
    if entry.get("committed") is False:
        text += "; the file has uncommitted changes"
    return text


def traceability_context(inp: DossierInput) -> dict[str, Any]:
    """Requirements × controls, split into tables of MATRIX_COLUMNS controls each.

    A table keeps only the requirements with a mark in its columns, so a sparse matrix of
    hundreds of controls stays readable instead of becoming pages of empty cells.
    """
    result = inp.result
    requirement_status = {r["id"]: r.get("status") for r in result.get("requirements") or []}
    control_status = {c["id"]: c.get("status") for c in result.get("controls") or []}
    links: dict[str, set[str]] = {}
    if inp.policy_set is not None:
        for control in inp.policy_set.controls.values():
            for req_id in control.satisfies:
                links.setdefault(req_id, set()).add(control.id)
        requirements = list(inp.policy_set.requirements)
        controls = list(inp.policy_set.controls)
    else:
        for req in result.get("requirements") or []:
            links[req["id"]] = set(req.get("controls") or [])
        requirements = list(requirement_status)
        controls = list(control_status)
    tables = []
    for start in range(0, len(controls), MATRIX_COLUMNS):
        columns = controls[start : start + MATRIX_COLUMNS]
        rows = []
        for req_id in requirements:
            marks = [c in links.get(req_id, set()) for c in columns]
            if any(marks):
                rows.append(
                    {"id": req_id, "status": requirement_status.get(req_id), "marks": marks}
                )
        if rows:
            tables.append(
                {
                    "columns": [{"id": c, "status": control_status.get(c)} for c in columns],
                    "rows": rows,
                }
            )
    return {
        "tables": tables,
        "unlinked": [r for r in requirements if not links.get(r)],
        "controls_without_requirement": [
            c for c in controls if not any(c in linked for linked in links.values())
        ],
        "requirements": len(requirements),
        "controls": len(controls),
    }


def methodology_context(inp: DossierInput) -> dict[str, Any]:
    from importlib.metadata import version

    result = inp.result
    return {
        "tool": result.get("tool") or {},
        "dossier_tool": {"name": "govgate", "version": __version__},
        "renderer": f"WeasyPrint {version('weasyprint')}",
        "packs": list(result.get("packs") or []),
        "params": [
            {"pack": pack, "params": data_tree(values)}
            for pack, values in sorted((result.get("params") or {}).items())
        ],
        "fail_on": result.get("fail_on"),
        "run": result.get("run") or {},
        "collectors": list(result.get("collectors") or []),
        "diagnostics": list(result.get("diagnostics") or []),
        "schema": result.get("schema"),
    }


def _history_entries(data: Any) -> list[Mapping[str, Any]]:
    """The per-file entries of `git.governance_history` data (none when it is unusable)."""
    if not isinstance(data, Mapping):
        return []
    return [e for e in data.get("files") or [] if isinstance(e, Mapping) and e.get("path")]


def governance_history(inp: DossierInput) -> tuple[list[Evidence], str]:
    """The history of the governance files to show and which evidence holds it: "run" (a
    rule's `git.governance_history`), "signoffs" (the run's sign-off record, `git.signoffs`,
    when no rule reads the history) or "none"."""
    for kind, origin in ((GIT_HISTORY_KIND, "run"), (SIGNOFFS_KIND, "signoffs")):
        items = sorted((e for e in inp.evidence if e.kind == kind), key=lambda e: e.subject)
        if items:
            return items, origin
    return [], "none"


def file_changes(inp: DossierInput) -> dict[str, Mapping[str, Any]]:
    """The last change of each file the run's git evidence covers (a history entry), from the
    governance history and from the waiver files of the sign-off record."""
    found: dict[str, Mapping[str, Any]] = {}
    signoffs = [e for e in inp.evidence if e.kind == SIGNOFFS_KIND]
    for item in [*governance_history(inp)[0], *signoffs]:
        entries = _history_entries(item.data)
        if isinstance(item.data, Mapping):
            entries += _history_entries({"files": item.data.get("waiver_files")})
        for entry in entries:
            found.setdefault(str(entry["path"]), entry)
    return found


def _approvals(data: Any) -> list[dict[str, Any]]:
    """Each governance file of git history evidence: its Approved-by / Reviewed-by trailers
    and the last commit that changed it (author, date, signature)."""
    out: list[dict[str, Any]] = []
    for entry in _history_entries(data):
        trailers = entry.get("trailers") or {}
        approved = [str(v) for v in trailers.get("approved_by") or []]
        reviewed = [str(v) for v in trailers.get("reviewed_by") or []]
        out.append(
            {
                "path": entry.get("path"),
                "approved_by": ", ".join(approved) or "—",
                "reviewed_by": ", ".join(reviewed) or "—",
                "trailers": bool(approved or reviewed),
                "author": entry.get("last_author"),
                "commit": (entry.get("last_commit") or "")[:12] or None,
                "date": entry.get("last_date"),
                "signed": entry.get("signed"),
                "committed": entry.get("committed"),
                "truncated": bool(entry.get("history_truncated")),
            }
        )
    return out


#: Attestation fields shown in their own columns; any others follow as data.
ATTESTATION_FIELDS = (
    "id",
    "topic",
    "who",
    "role",
    "statement",
    "date",
    "expires",
    "date_iso",
    "expires_iso",
    "git",
    "expired",
    "valid",
    "problems",
)


def _attestation(item: Evidence) -> dict[str, Any]:
    data: Mapping[str, Any] = item.data if isinstance(item.data, Mapping) else {}
    raw_git = data.get("git")
    git: Mapping[str, Any] = raw_git if isinstance(raw_git, Mapping) else {}
    author = git.get("author")
    if author:
        matches = git.get("matches_who")
        committed = f"{author}" + (
            " (the attester)" if matches else " (not the attester)" if matches is False else ""
        )
        if git.get("commit"):
            committed += f", {str(git['commit'])[:12]}"
        if git.get("uncommitted_changes"):
            committed += ", with uncommitted changes"
    else:
        committed = "not committed to git" if git else "not available: no git information"
    other = {k: v for k, v in data.items() if k not in ATTESTATION_FIELDS}
    return {
        "who": data.get("who"),
        "role": data.get("role"),
        "topic": data.get("topic"),
        "statement": data.get("statement"),
        "date": data.get("date"),
        "expires": data.get("expires"),
        "expired": bool(data.get("expired")),
        "problems": [str(p) for p in data.get("problems") or []],
        "committed_by": committed,
        "other": data_tree(other) if other else None,
        "source": where(item.source.to_json()),
        "digest": item.digest,
        "problem": item.problem,
    }


def signoff_context(inp: DossierInput) -> dict[str, Any]:
    attestations = [
        _attestation(item)
        for item in sorted(inp.evidence, key=lambda e: (e.kind, e.subject))
        if item.kind == ATTESTATION_KIND
    ]
    items, origin = governance_history(inp)
    run_id = (inp.result.get("run") or {}).get("id")
    run_label = f"run #{run_id}" if run_id is not None else "the run"
    history = []
    failed = [item.problem for item in items if item.problem]
    for item in items:
        history.extend(_approvals(item.data))
    if origin == "run":
        problems = [f"the git history evidence of {run_label} is unusable: {p}" for p in failed]
    else:
        problems = [
            f"the evidence of {run_label} holds no git history of the governance files, and "
            f"collecting its sign-off record from git during the run failed: {p}"
            for p in failed
        ]
    head = None
    if origin == "signoffs" and items and isinstance(items[0].data, Mapping):
        head = items[0].data.get("head")
    return {
        "attestations": attestations,
        "approvals": history,
        "with_trailers": sum(1 for a in history if a["trailers"]),
        "history_ran": bool(items),
        "history_origin": origin,
        "history_digests": [item.digest for item in items] if origin == "signoffs" else [],
        "history_head": head,
        "history_problems": problems,
        "run_label": run_label,
        "prepared_by": inp.prepared_by,
        "generated_at": inp.generated_at,
    }


def build_context(
    inp: DossierInput,
    attachments: Sequence[DossierAttachment],
    *,
    mode: str,
    guard: TemplateUrlGuard | None = None,
) -> dict[str, Any]:
    """Plain data for every section; templates only lay it out."""
    system = inp.result.get("system") or {}
    embedded = []
    for attachment in attachments:
        link = None
        if mode == "html" and guard is not None:
            link = guard.data_url(attachment.data, attachment.media_type)
        embedded.append(
            {
                "name": attachment.name,
                "digest": attachment.digest,
                "size": attachment.size,
                "description": attachment.description,
                "relationship": attachment.relationship,
                "download": link,
            }
        )
    return {
        "mode": mode,
        "title": f"Audit dossier: {system.get('name') or 'unnamed system'}",
        "sections": [s for s in SECTIONS],
        "labels": STATUS_LABELS,
        "cover": cover_context(inp),
        "summary": summary_context(inp),
        "scope": scope_context(inp),
        "frameworks": requirements_context(inp),
        "controls": controls_context(inp),
        "fairness": fairness_context(inp),
        "decision_logs": decision_logs_context(inp),
        "decision_logs_ran": any(
            DECISION_LOG_KIND in (r.get("kinds") or []) for r in inp.result.get("collectors") or []
        ),
        "exceptions": exceptions_context(inp),
        "traceability": traceability_context(inp),
        "manifest": [
            {
                "digest": e.get("digest"),
                "kind": e.get("kind"),
                "subject": e.get("subject"),
                "where": where(e.get("source")),
                "collected_at": e.get("collected_at"),
                "dated": e.get("dated"),
                "collector": " ".join(
                    str(v)
                    for v in ((e.get("collector") or {}).get(k) for k in ("name", "version"))
                    if v
                )
                or "—",
                "cited": bool(e.get("cited")),
                "content_verified": e.get("content_verified"),
                "problem": e.get("problem"),
            }
            for e in evidence_manifest(inp)
        ],
        "methodology": methodology_context(inp),
        "signoff": signoff_context(inp),
        "attachments": embedded,
        "xmp": {"namespace": XMP_NAMESPACE, "properties": XMP_DIGEST_PROPERTIES},
        "generated_at": inp.generated_at,
        "pdf_variant": PDF_VARIANT.upper(),
    }


# --------------------------------------------------------------------------- rendering


@dataclass
class DossierReport:
    """What `render_dossier` wrote and what happened on the way."""

    path: Path
    format: str
    size: int
    pages: int | None
    attachments: list[DossierAttachment]
    fetches: list[FetchRecord]
    warnings: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def refused(self) -> list[FetchRecord]:
        return [r for r in self.fetches if not r.served]


ProgressCallback = Callable[[int, int | None, str], None]


def template_environment(guard: TemplateUrlGuard, templates: Path | None = None) -> Environment:
    """Jinja2 environment: partials from `templates` first (overrides by name), then ours.

    Autoescape is on for everything and the sandbox keeps a custom template from reaching
    Python internals; undefined names fail loudly rather than render as blanks.
    """
    from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    loaders = []
    if templates is not None:
        loaders.append(FileSystemLoader(str(templates)))
    loaders.append(FileSystemLoader(str(template_root() / "dossier")))
    env = SandboxedEnvironment(
        loader=ChoiceLoader(loaders),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["short"] = short_digest

    def asset(name: str) -> str:
        found = guard.find_asset(name)
        if found is None:
            raise UsageError(f"asset({name!r}): no such file in the template folder")
        media_type = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
        return guard.data_url(found.read_bytes(), media_type)

    env.globals["asset"] = asset
    return env


def stylesheet(templates: Path | None) -> str:
    """The dossier CSS: `dossier.css` from the custom folder if it has one, else ours."""
    if templates is not None and (templates / "dossier.css").is_file():
        return (templates / "dossier.css").read_text(encoding="utf-8")
    return (template_root() / "dossier.css").read_text(encoding="utf-8")


def render_html(
    inp: DossierInput,
    *,
    mode: str = "pdf",
    templates: Path | None = None,
    guard: TemplateUrlGuard | None = None,
) -> tuple[str, tuple[DossierAttachment, DossierAttachment], TemplateUrlGuard]:
    """The dossier as HTML (for WeasyPrint when mode is "pdf", standalone when "html")."""
    from jinja2 import TemplateError
    from markupsafe import Markup

    if templates is not None and not templates.is_dir():
        raise UsageError(f"--templates {templates}: not a directory")
    # The custom folder first: its assets override ours by name, as its partials do.
    guard = guard or TemplateUrlGuard(
        [*([templates] if templates is not None else []), template_root()]
    )
    attachments = build_attachments(inp)
    context = build_context(inp, attachments, mode=mode, guard=guard)
    # Our stylesheet is trusted template material, not repository content.
    context["stylesheet"] = Markup(stylesheet(templates))  # noqa: S704
    env = template_environment(guard, templates)
    try:
        html = env.get_template("dossier.html").render(context)
    except TemplateError as error:
        if templates is None:
            raise  # our own templates are broken: a bug, with its traceback
        raise UsageError(f"dossier template {_template_location(error)}{error}") from None
    return html, attachments, guard


def _template_location(error: Exception) -> str:
    """`name:line: ` of the template where a Jinja2 error happened, or ''.

    Syntax errors carry it; runtime errors (an undefined name) only in their traceback, where
    Jinja2 puts the template's file and line in place of the compiled code's.
    """
    name = getattr(error, "name", None) or getattr(error, "filename", None)
    line = getattr(error, "lineno", None)
    if name and line:
        return f"{Path(str(name)).name}:{line}: "
    found = ""
    tb = error.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".html", ".svg", ".j2")):
            found = f"{Path(filename).name}:{tb.tb_lineno}: "
        tb = tb.tb_next
    return found


class _ProgressHandler(logging.Handler):
    """Turns WeasyPrint's progress log lines into (done, total, label) callbacks."""

    _PAGE = re.compile(r"Step 5 - Creating layout - Page (\d+)")

    def __init__(self, progress: ProgressCallback) -> None:
        super().__init__(logging.INFO)
        self.progress = progress

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        page = self._PAGE.match(message)
        if page:
            self.progress(int(page.group(1)), None, "laying out pages")
        elif message.startswith("Step 6"):
            self.progress(0, None, "writing PDF")
        elif message.startswith("Step 3"):
            self.progress(0, None, "applying styles")


class _WarningCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage()[:500])


@contextmanager
def _weasyprint_logs(progress: ProgressCallback | None) -> Iterator[_WarningCollector]:
    """Collect WeasyPrint's warnings (refused URLs, CSS it ignored) and relay its progress."""
    main = logging.getLogger("weasyprint")
    steps = logging.getLogger("weasyprint.progress")
    collector = _WarningCollector()
    handler = _ProgressHandler(progress) if progress is not None else None
    old_main, old_steps = main.level, steps.level
    main.addHandler(collector)
    main.setLevel(logging.WARNING if handler is None else logging.INFO)
    if handler is not None:
        steps.addHandler(handler)
        steps.setLevel(logging.INFO)
    try:
        yield collector
    finally:
        main.removeHandler(collector)
        main.setLevel(old_main)
        if handler is not None:
            steps.removeHandler(handler)
        steps.setLevel(old_steps)


def _xmp_finisher(extra: bytes) -> Callable[[Any, Any], None]:
    """Insert our descriptions into the XMP packet WeasyPrint wrote (one rdf:RDF, as XMP and
    PDF/A want; WeasyPrint's `xmp_metadata` option would add a second one), and tidy /AF."""

    def finish(document: Any, pdf: Any) -> None:
        reference = pdf.catalog.get("Metadata")
        if reference is None:
            raise RuntimeError("WeasyPrint wrote no XMP metadata stream for a PDF/A document")
        if isinstance(reference, bytes):
            reference = reference.decode("ascii")
        stream = pdf.objects[int(str(reference).split()[0])]
        packet = b"".join(
            chunk if isinstance(chunk, bytes) else str(chunk).encode() for chunk in stream.stream
        )
        if packet.count(b"</rdf:RDF>") != 1:
            raise RuntimeError("unexpected XMP packet layout from WeasyPrint")
        stream.stream = [packet.replace(b"</rdf:RDF>", extra + b"</rdf:RDF>")]
        # WeasyPrint 70 lists each attachment twice in the catalog's /AF (once from the name
        # tree, once from the file specifications); one entry per file is what PDF/A-3 means.
        associated = pdf.catalog.get("AF")
        if associated is not None:
            unique = list(dict.fromkeys(associated))
            del associated[:]
            associated.extend(unique)

    return finish


def _file_url(path: Path) -> str:
    return path.resolve().as_uri() + "/"


def write_atomically(path: Path, payload: bytes) -> None:
    """Write next to the target and rename: a reader never sees half a dossier.

    A write that fails (a full disk, a read-only folder) is a UsageError naming the file;
    whatever was at `path` before stays as it was.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(payload)
        tmp.replace(path)
    except OSError as exc:
        raise UsageError(f"{path}: cannot write the dossier: {exc.strerror}") from exc
    finally:
        tmp.unlink(missing_ok=True)


def render_dossier(
    inp: DossierInput,
    out: Path,
    *,
    html: bool = False,
    templates: Path | None = None,
    progress: ProgressCallback | None = None,
) -> DossierReport:
    """Write the dossier to `out`: PDF/A-3b with attachments, or one self-contained HTML file."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    source, attachments, guard = render_html(
        inp, mode="html" if html else "pdf", templates=templates
    )
    timings["html"] = time.perf_counter() - started
    if html:
        payload = source.encode("utf-8")
        write_atomically(out, payload)
        return DossierReport(
            out, "html", len(payload), None, list(attachments), guard.records, seconds=timings
        )

    import weasyprint

    fetcher = _weasyprint_fetcher(guard)
    base = templates if templates is not None else template_root() / "dossier"
    created = datetime.fromisoformat(inp.generated_at.replace("Z", "+00:00")).replace(tzinfo=None)
    with _weasyprint_logs(progress) as logs:
        started = time.perf_counter()
        document = weasyprint.HTML(
            string=source, base_url=_file_url(base), url_fetcher=fetcher
        ).render(pdf_variant=PDF_VARIANT)
        timings["layout"] = time.perf_counter() - started
        started = time.perf_counter()
        pdf_attachments = [
            weasyprint.Attachment(
                string=a.data,
                name=a.name,
                description=f"{a.description} ({a.digest})",
                created=created,
                modified=created,
                relationship=a.relationship,
                url_fetcher=fetcher,
            )
            for a in attachments
        ]
        payload = document.write_pdf(
            pdf_variant=PDF_VARIANT,
            attachments=pdf_attachments,
            finisher=_xmp_finisher(xmp_descriptions(attachments, inp)),
        )
        timings["pdf"] = time.perf_counter() - started
    if progress is not None:
        progress(len(document.pages), len(document.pages), "done")
    write_atomically(out, payload)
    return DossierReport(
        out,
        "pdf",
        len(payload),
        len(document.pages),
        list(attachments),
        guard.records,
        warnings=logs.messages,
        seconds=timings,
    )
