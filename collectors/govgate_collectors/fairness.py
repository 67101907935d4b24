"""The `fairness` collector: bias analyses of prediction files and decision logs, as evidence.

Each analysis configured under `collectors.fairness.analyses` in govgate.yaml (a file or glob,
its prediction/label/score columns, the protected attributes, how values map to 1/0) becomes
one `fairness.analysis` item: the `govgate/fairness/v1` document (see docs/fairness.md)
plus who audited it, on what data, when, and the sha256 of the input. The item is dated by its
`audit_date`, else by the last commit of the input file, so the bias pack can require an audit
no older than 12 months (NYC LL144). An analysis that cannot be computed (missing column,
unmapped label value, no file) still yields an item, carrying the problem, so rules fail on it
with the reason instead of passing or vanishing.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govgate.api import (
    AggregationError,
    CollectContext,
    Collector,
    DuckDBBackend,
    Evidence,
    EvidenceKind,
    TableSource,
    analyse_fairness,
    hookimpl,
)
from govgate.support.errors import CollectorError, InputError, UsageError
from govgate.support.formats import LOCAL_COMPRESSIONS, tabular_format
from govgate.support.pii import redact_json
from govgate.support.schemas import load_schema

if TYPE_CHECKING:
    from govgate.api import FairnessSpec

KIND = "fairness.analysis"

_SCALAR = {"type": ["string", "number", "boolean"]}
_VALUES = {"anyOf": [_SCALAR, {"type": "array", "items": _SCALAR, "minItems": 1}]}
_NAME = {"type": "string", "minLength": 1}
#: An attribute: its column, or {column: {bins: [edges]}} for a numeric one grouped in bands.
_ATTRIBUTE = {
    "anyOf": [
        _NAME,
        {
            "type": "object",
            "minProperties": 1,
            "maxProperties": 1,
            "propertyNames": {"minLength": 1},
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "required": ["bins"],
                "properties": {
                    "bins": {"type": "array", "items": {"type": "number"}, "minItems": 1}
                },
            },
        },
    ]
}

#: One entry of `collectors.fairness.analyses` in govgate.yaml.
ANALYSIS_SETTINGS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "path", "prediction", "attrs"],
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "path": {"type": "string", "minLength": 1},
        "format": {"enum": ["csv", "jsonl", "parquet"]},
        "prediction": {"type": "string", "minLength": 1},
        "label": {"type": "string", "minLength": 1},
        "score": {"type": "string", "minLength": 1},
        "attrs": {"type": "array", "items": _ATTRIBUTE, "minItems": 1},
        "positive": _VALUES,
        "negative": _VALUES,
        "label_positive": _VALUES,
        "label_negative": _VALUES,
        "unknown_values": {"type": "array", "items": {"type": "string"}},
        "min_share": {"type": "number", "minimum": 0, "exclusiveMaximum": 1},
        "where": {"anyOf": [_NAME, {"type": "array", "items": _NAME, "minItems": 1}]},
        "max_groups": {"type": "integer", "minimum": 2},
        "audit_date": {"type": "string"},
        "data_source": {"type": "string"},
        "auditor": {"type": "string"},
    },
}

#: `collectors.fairness` in govgate.yaml (the collector's `settings_schema`). An unknown key in
#: an analysis is refused when govgate.yaml is loaded; a missing or wrong value fails only that
#: analysis (its rules say why), so the entries' own checks stay with ANALYSIS_SETTINGS_SCHEMA.
SETTINGS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "analyses": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "properties": {key: {} for key in ANALYSIS_SETTINGS_SCHEMA["properties"]},
            },
        },
    },
}

#: Config keys as users write them, for messages (`positive`, not `--positive`).
CONFIG_OPTION_NAMES = {
    "positive": "positive",
    "negative": "negative",
    "label_positive": "label_positive",
    "label_negative": "label_negative",
    "prediction": "prediction",
    "label": "label",
    "score": "score",
    "attributes": "attrs",
    "where": "where",
    "bins": "bins",
    "bin_hint": "attrs: [{NAME: {bins: [EDGE, ...]}}]",
    "max_groups": "max_groups",
    "unknown_values": "unknown_values",
}


def analysis_schema() -> dict[str, Any]:
    """The v1 document's schema plus the audit metadata this collector adds."""
    schema: dict[str, Any] = copy.deepcopy(load_schema("fairness"))
    schema.pop("$id", None)
    schema["title"] = "fairness.analysis evidence"
    nullable = {"type": ["string", "null"]}
    schema["properties"].update(
        {
            "name": {"type": "string"},
            "path": {"type": "string"},
            "audit_date": nullable,
            "data_source": nullable,
            "auditor": nullable,
            # null when the input is read by a remote backend (lake URIs): govgate never
            # sees its bytes, only the aggregates.
            "input_sha256": {"type": ["string", "null"], "pattern": "^[0-9a-f]{64}$"},
            "dated_from": {"enum": ["audit_date", "git", "mtime", "collected"]},
            # Present when a backend other than the embedded DuckDB computed the counts.
            "backend": {"type": "string"},
            "source_uris": {"type": "array", "items": {"type": "string"}},
        }
    )
    schema["required"] = [
        *schema["required"],
        "name",
        "path",
        "audit_date",
        "data_source",
        "auditor",
        "input_sha256",
        "dated_from",
    ]
    return schema


def _texts(value: Any) -> tuple[str, ...] | None:
    """Config values (scalar or list) as the strings the mapping compares with."""
    if value is None:
        return None
    items = value if isinstance(value, list) else [value]
    return tuple(("true" if v else "false") if isinstance(v, bool) else str(v) for v in items)


def _file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _last_commit_date(root: Path, files: Sequence[Path]) -> datetime | None:
    """Committer date of the last commit touching the files, or None (no git, uncommitted)."""
    from govgate.support.git import GitError, Repository
    from govgate.support.git.history import last_commit_date

    try:
        repo = Repository.find(root)
    except GitError:
        return None
    return last_commit_date(repo, files) if repo is not None else None


class FairnessCollector(Collector):
    name = "fairness"
    # 1.1.0: source.files lists the prediction files read. 1.2.0: CSV values as written,
    # where:, binned attrs, max_groups, not_compared / not_computed per analysis.
    version = "1.2.0"
    settings_schema = SETTINGS_SCHEMA
    description = "group fairness metrics of prediction files (govgate/fairness/v1)"
    kinds = (
        EvidenceKind(
            name=KIND,
            collector="fairness",
            schema=analysis_schema(),
            description=(
                "One bias analysis per entry of collectors.fairness.analyses in govgate.yaml: "
                "per protected attribute and intersection, each group's n, selection rate, "
                "TPR/FPR/FNR/PPV, impact ratio, Wilson intervals and z-test p-value, and "
                "fairlearn's between_groups/to_overall aggregates (docs/fairness.md)."
            ),
        ),
    )

    def input_patterns(self, ctx: CollectContext) -> list[str]:
        analyses = ctx.settings.get("analyses")
        if not isinstance(analyses, list):
            return []
        return [a["path"] for a in analyses if isinstance(a, dict) and "path" in a]

    def collect(self, ctx: CollectContext) -> Iterable[Evidence]:
        if not ctx.wants(KIND):
            return
        analyses = ctx.settings.get("analyses", [])
        if not isinstance(analyses, list):
            raise CollectorError(
                "govgate.yaml collectors.fairness.analyses must be a list of "
                "{name, path, prediction, attrs, ...}"
            )
        names: set[str] = set()
        for index, entry in enumerate(analyses):
            yield self._one(ctx, index, entry, names)

    def _one(self, ctx: CollectContext, index: int, entry: Any, names: set[str]) -> Evidence:
        """One `analyses` entry as evidence: the analysis, or the problem that prevented it."""
        where = f"govgate.yaml collectors.fairness.analyses[{index}]"
        label = entry.get("name") if isinstance(entry, dict) else None
        subject = str(label) if label else f"analyses[{index}]"
        invalid = _settings_problem(entry, where)
        if invalid is not None:
            return self._problem(ctx, subject, None, invalid)
        if subject in names:
            return self._problem(
                ctx,
                subject,
                None,
                f"{where}: a second analysis named {subject!r}; names must be unique",
            )
        names.add(subject)
        spec = _spec(entry)
        lake = _lake_source(ctx, subject)
        if lake is not None:
            return self._one_from_lake(ctx, subject, entry, spec, lake, where)
        return self._one_from_repository(ctx, subject, entry, spec, where)

    def _one_from_repository(
        self,
        ctx: CollectContext,
        subject: str,
        entry: dict[str, Any],
        spec: FairnessSpec,
        where: str,
    ) -> Evidence:
        """An analysis of the repository files its `path` matches, read by DuckDB in process."""
        pattern = str(entry["path"])
        files = list(ctx.iter_files([pattern]))
        if not files:
            return self._problem(
                ctx, subject, pattern, f"no file matches {pattern!r} ({where}.path)"
            )
        fmt = entry.get("format") or tabular_format(files[0][0], LOCAL_COMPRESSIONS)
        if fmt is None:
            return self._problem(
                ctx,
                subject,
                files[0][0],
                f"{files[0][0]}: unknown format; use .csv, .jsonl or .parquet or set "
                f"{where}.format",
            )
        dated, bad_date = _audit_date(entry.get("audit_date"), where)
        if bad_date is not None:
            return self._problem(ctx, subject, None, bad_date)
        rels = [rel for rel, _ in files]
        paths = [path for _, path in files]
        source = TableSource(tuple(str(p) for p in paths), fmt, tuple(rels))
        try:
            doc = self._analyse(ctx, source, spec)
        except InputError as exc:
            return self._problem(ctx, subject, rels[0], str(exc))
        except UsageError as exc:
            return self._problem(ctx, subject, rels[0], f"{where}: {exc}")
        _report_rejected(ctx, doc, subject, rels[0])
        input_sha256 = _input_sha256(files)
        dated_from = "audit_date"
        if dated is None:
            dated, dated_from = _dated_by_inputs(ctx.root, paths)
        data = _analysis_data(doc, subject, entry, input_sha256, dated_from)
        return ctx.evidence(
            KIND,
            subject,
            redact_json(data),
            path=rels[0] if len(rels) == 1 else None,
            dated=dated,
        ).with_files(rels)

    def _analyse(
        self,
        ctx: CollectContext,
        source: TableSource,
        spec: FairnessSpec,
        *,
        remote: bool = False,
    ) -> dict[str, Any]:
        """The fairness document of one source.

        Repository files are read in process by DuckDB, in a database of its own per analysis
        (its reject tables are per input); lake sources (`remote`) by the backend govgate.yaml
        selected, shared by the whole collection. An AggregationError
        (engine unreachable, path missing, column missing on a remote engine) is not caught:
        it fails the collector, so every rule that needed the evidence is `error`.
        """
        handle = ctx.backend
        if remote and handle is not None:
            return analyse_fairness(source, spec, backend=handle.open())
        settings = handle.settings if handle is not None and handle.is_default else None
        with DuckDBBackend(settings) as backend:
            return analyse_fairness(source, spec, backend=backend)

    def _one_from_lake(
        self,
        ctx: CollectContext,
        subject: str,
        entry: dict[str, Any],
        spec: FairnessSpec,
        source: TableSource,
        where: str,
    ) -> Evidence:
        """An analysis whose predictions live outside the repository (backend_settings)."""
        dated, bad_date = _audit_date(entry.get("audit_date"), where)
        if bad_date is not None:
            return self._problem(ctx, subject, None, bad_date)
        dated_from = "audit_date" if dated is not None else "collected"
        try:
            doc = self._analyse(ctx, source, spec, remote=True)
        except InputError as exc:
            return self._problem(ctx, subject, None, str(exc))
        except UsageError as exc:
            return self._problem(ctx, subject, None, f"{where}: {exc}")
        _report_rejected(ctx, doc, subject, None)
        data = _analysis_data(doc, subject, entry, None, dated_from)
        data["backend"] = ctx.backend.name if ctx.backend is not None else "duckdb"
        data["source_uris"] = list(source.uris)
        return ctx.evidence(KIND, subject, redact_json(data), dated=dated or ctx.now)

    def _problem(
        self, ctx: CollectContext, subject: str, path: str | None, message: str
    ) -> Evidence:
        ctx.problem(path, None, message, level="error")
        return ctx.evidence(KIND, subject, None, path=path, problem=message)


def _settings_problem(entry: Any, where: str) -> str | None:
    """The first way an `analyses` entry breaks ANALYSIS_SETTINGS_SCHEMA, or None."""
    # Imported here: the plugin is loaded on every run, jsonschema only when needed.
    from govgate.support.schemas import validator_class

    errors = sorted(
        validator_class()(ANALYSIS_SETTINGS_SCHEMA).iter_errors(entry),
        key=lambda e: list(e.absolute_path),
    )
    if not errors:
        return None
    first = errors[0]
    key = ".".join(str(p) for p in first.absolute_path)
    return f"{where}{'.' + key if key else ''}: {first.message}"


def _spec(entry: dict[str, Any]) -> FairnessSpec:
    """The analysis a valid `analyses` entry asks for; unset options keep the defaults."""
    from govgate.api import FairnessSpec

    defaults: dict[str, Any] = {}
    if "min_share" in entry:
        defaults["min_share"] = float(entry["min_share"])
    if "unknown_values" in entry:
        defaults["unknown_values"] = tuple(entry["unknown_values"])
    if "max_groups" in entry:
        defaults["max_groups"] = int(entry["max_groups"])
    where = entry.get("where", [])
    attributes, bins = _attributes(entry["attrs"])
    return FairnessSpec(
        prediction=entry["prediction"],
        attributes=attributes,
        where=(where,) if isinstance(where, str) else tuple(where),
        bins=bins,
        label=entry.get("label"),
        score=entry.get("score"),
        positive=_texts(entry.get("positive")),
        negative=_texts(entry.get("negative")),
        label_positive=_texts(entry.get("label_positive")),
        label_negative=_texts(entry.get("label_negative")),
        option_names=CONFIG_OPTION_NAMES,
        **defaults,
    )


def _attributes(attrs: list[Any]) -> tuple[tuple[str, ...], dict[str, list[float]]]:
    """The attribute columns of a valid `attrs` list, and the band edges of binned ones."""
    names: list[str] = []
    bins: dict[str, list[float]] = {}
    for attr in attrs:
        if isinstance(attr, str):
            names.append(attr)
            continue
        ((name, settings),) = attr.items()
        names.append(str(name))
        bins[str(name)] = [float(edge) for edge in settings["bins"]]
    return tuple(names), bins


def _analysis_data(
    doc: dict[str, Any],
    subject: str,
    entry: dict[str, Any],
    input_sha256: str | None,
    dated_from: str,
) -> dict[str, Any]:
    """The evidence data: the v1 document plus who audited what, when, and on which input."""
    audit_date = entry.get("audit_date")
    return {
        **doc,
        "name": subject,
        "path": str(entry["path"]),
        "audit_date": str(audit_date) if audit_date is not None else None,
        "data_source": entry.get("data_source"),
        "auditor": entry.get("auditor"),
        "input_sha256": input_sha256,
        "dated_from": dated_from,
    }


def _input_sha256(files: Sequence[tuple[str, Path]]) -> str:
    """sha256 of the one input file, or of every file's path and sha256 when there are several."""
    if len(files) == 1:
        return _file_sha256(files[0][1])
    combined = hashlib.sha256()
    for rel, path in files:
        combined.update(f"{rel}\0{_file_sha256(path)}\n".encode())
    return combined.hexdigest()


def _dated_by_inputs(root: Path, paths: Sequence[Path]) -> tuple[datetime, str]:
    """(when the input was last committed, "git"), else the newest mtime when uncommitted."""
    committed = _last_commit_date(root, paths)
    if committed is not None:
        return committed, "git"
    # Not committed yet: the analysis is as new as the file itself.
    newest = max(path.stat().st_mtime for path in paths)
    return datetime.fromtimestamp(newest, UTC).replace(microsecond=0), "mtime"


def _audit_date(value: Any, where: str) -> tuple[datetime | None, str | None]:
    """An analysis's `audit_date` as an aware datetime (None when unset), or the problem."""
    if value is None:
        return None, None
    try:
        dated = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None, f"{where}.audit_date: {value!r} is not a date; write YYYY-MM-DD"
    return (dated if dated.tzinfo else dated.replace(tzinfo=UTC)), None


def _report_rejected(
    ctx: CollectContext, doc: dict[str, Any], subject: str, path: str | None
) -> None:
    """Rows the reader rejected: each listed one at its line, then the total if more."""
    for rejected in doc["rejected_lines"]:
        ctx.problem(
            rejected["path"],
            rejected["line"],
            f"row rejected by the reader ({rejected['error']}); not in analysis {subject!r}",
        )
    if doc["rejected_rows"] > len(doc["rejected_lines"]):
        ctx.problem(
            path,
            None,
            f"{doc['rejected_rows']:,} rows rejected in total for analysis {subject!r}",
        )


def _lake_source(ctx: CollectContext, name: str) -> TableSource | None:
    """`backend_settings.predictions.NAME` ({paths or path, format}) as a source, or None.

    Only a remote backend reads lake URIs; with the embedded DuckDB an analysis reads the
    repository files its `path` matches.
    """
    handle = ctx.backend
    if handle is None:
        return None
    predictions = handle.settings.get("predictions") or {}
    if not isinstance(predictions, dict):
        raise CollectorError(
            "govgate.yaml backend_settings.predictions must map analysis names to "
            "{paths: [URI, ...], format: parquet|jsonl|csv}"
        )
    entry = predictions.get(name)
    if entry is None:
        return None
    key = f"govgate.yaml backend_settings.predictions.{name}"
    if isinstance(entry, str):
        entry = {"paths": [entry]}
    if not isinstance(entry, dict):
        raise CollectorError(f"{key} must be {{paths: [URI, ...], format: ...}}")
    uris = entry.get("paths", entry.get("path"))
    uris = [uris] if isinstance(uris, str) else uris
    if not isinstance(uris, list) or not uris or not all(isinstance(u, str) for u in uris):
        raise CollectorError(f"{key}.paths must be a list of paths or URIs")
    fmt = entry.get("format") or tabular_format(uris[0])
    if fmt is None:
        raise CollectorError(f"{key}.format: say parquet, jsonl or csv ({uris[0]!r} does not)")
    if handle.is_default:
        raise CollectorError(
            f"{key}: lake URIs need a remote backend (backend: spark); with duckdb, "
            "collectors.fairness.analyses[].path names repository files"
        )
    try:
        return TableSource(tuple(uris), str(fmt))
    except AggregationError as exc:
        raise CollectorError(f"{key}: {exc}") from None


@hookimpl
def govgate_collectors() -> Sequence[type[Collector]]:
    return [FairnessCollector]
