"""The `documents` collector: one evidence item per document matching a kind's globs."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from govgate.api import CollectContext, Collector, Evidence
from govgate.support.structured import ParseProblem, json_safe, parse_json
from govgate_collectors.documents.data import build_data
from govgate_collectors.documents.dates import future_dated
from govgate_collectors.documents.options import DocumentOptions, parse_options
from govgate_collectors.documents.parsed import parse_markdown, parse_model_card
from govgate_collectors.documents.schema import DOCUMENT_SCHEMA

MAX_DOCUMENT_BYTES = 8 * 1024 * 1024


#: No settings (`collectors.documents`): each kind's `paths` and `options` say what to read.
SETTINGS_SCHEMA: dict[str, Any] = {"type": "object", "additionalProperties": False}


class DocumentsCollector(Collector):
    name = "documents"
    version = "1.1.0"  # 1.1.0: a document dated in the future points at that date's line
    description = "Markdown governance documents and JSON model cards: front matter, outline, dates"
    declared_kind_schema = DOCUMENT_SCHEMA
    #: No settings: each kind's `paths` (and `options`) say what to read.
    settings_schema = SETTINGS_SCHEMA

    def collect(self, ctx: CollectContext) -> Iterable[Evidence]:
        for kind in ctx.kinds:
            options = parse_options(kind)
            for rel, path in ctx.iter_files(kind.paths):
                yield self._one(ctx, kind.name, rel, path, options)

    def _one(
        self, ctx: CollectContext, kind: str, rel: str, path: Path, options: DocumentOptions
    ) -> Evidence:
        if path.stat().st_size > MAX_DOCUMENT_BYTES:
            message = f"larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB; not read"
            ctx.problem(rel, None, message, level="error")
            return ctx.evidence(kind, rel, None, path=rel, problem=message)
        raw = path.read_bytes()
        if b"\0" in raw:
            line = raw[: raw.index(b"\0")].count(b"\n") + 1
            message = "contains NUL bytes: a binary file, not a text document"
            ctx.problem(rel, line, message, level="error")
            return ctx.evidence(
                kind, rel, None, path=rel, line=line, problem=f"line {line}: {message}"
            )
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            message = "not valid UTF-8 (mixed or legacy encoding); save the file as UTF-8"
            ctx.problem(rel, line, message, level="error")
            return ctx.evidence(
                kind, rel, None, path=rel, line=line, problem=f"line {line}: {message}"
            )
        if rel.lower().endswith(".json"):
            try:
                document, lines = parse_json(text)
            except ParseProblem as exc:
                ctx.problem(rel, exc.line, exc.message, level="error")
                where = f"line {exc.line}: " if exc.line else ""
                return ctx.evidence(
                    kind, rel, None, path=rel, line=exc.line, problem=f"{where}{exc.message}"
                )
            if not isinstance(document, dict):
                message = "a JSON model card must be an object with model_details, ..."
                ctx.problem(rel, 1, message, level="error")
                return ctx.evidence(kind, rel, None, path=rel, line=1, problem=message)
            parsed = parse_model_card(json_safe(document), lines)
        else:
            parsed = parse_markdown(text, rel)
            if parsed.front_error:
                ctx.problem(rel, parsed.front_error_line, f"front matter: {parsed.front_error}")
        data, locations, dated = build_data(ctx, rel, parsed, options)
        dated_line = future_dated(ctx, rel, data["dates"], dated)
        return ctx.evidence(
            kind, rel, data, path=rel, line=dated_line, dated=dated, locations=locations
        )
