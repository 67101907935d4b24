"""The `mlflow` collector: which model version is in production, its run's metrics, its lineage.

One evidence item of kind `mlflow.registered_models` per run of govgate: every registered
model with its versions (stage, aliases, run, source), the version in production (an alias
such as `production` or `champion` first, MLflow's preferred way since 2.9; else the legacy
`Production` stage), and that version's run with its latest metrics, its parameters and
whether its lineage holds. Settings live under `collectors.mlflow` in govgate.yaml.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from govgate.api import (
    CollectContext,
    Collector,
    CollectorError,
    Evidence,
    EvidenceKind,
    redact_text,
)
from govgate_mlflow import __version__
from govgate_mlflow.schema import KIND, REGISTERED_MODELS_SCHEMA
from govgate_mlflow.stores import (
    ClientStoreReader,
    FileStoreReader,
    LocalFiles,
    ModelRecord,
    Report,
    RunRecord,
    SqliteStoreReader,
    StoreReader,
    StoreUnreadable,
    VersionRecord,
)

SETTINGS = ("tracking_uri", "allow_remote", "production_aliases", "workspace")
#: `collectors.mlflow` in govgate.yaml, checked by govgate when govgate.yaml is loaded (an
#: unknown key is a usage error naming its line); `read_settings` checks the values again.
SETTINGS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "tracking_uri": {"type": "string", "minLength": 1, "pattern": "\\S"},
        "allow_remote": {"type": "boolean"},
        "production_aliases": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "workspace": {"type": "string", "minLength": 1},
    },
}
DEFAULT_PRODUCTION_ALIASES = ("production", "champion")
#: Stands in for the part of a path that lies outside the repository (it may name a person).
OUTSIDE = "<outside-repo>"
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


@dataclass(frozen=True)
class Settings:
    tracking_uri: str | None
    allow_remote: bool
    production_aliases: tuple[str, ...]
    workspace: str


@dataclass(frozen=True)
class StoreLocation:
    """Where the store is and how to read it; `shown` is what evidence and messages say."""

    layout: str  # "file", "sqlite" or "client"
    shown: str
    relpath: str | None = None  # inside the repository
    path: Path | None = None  # a local path outside the repository (allow_remote)
    uri: str | None = None  # for MLflow's client
    exists: bool = True


def read_settings(raw: dict[str, Any]) -> Settings:
    """Validate `collectors.mlflow`; a typo must not silently change what is read."""
    unknown = sorted(set(raw) - set(SETTINGS))
    if unknown:
        raise CollectorError(
            f"collectors.mlflow.{unknown[0]}: unknown setting (known: {', '.join(SETTINGS)})"
        )
    uri = raw.get("tracking_uri")
    if uri is not None and (not isinstance(uri, str) or not uri.strip()):
        raise CollectorError("collectors.mlflow.tracking_uri: expected a non-empty string")
    allow_remote = raw.get("allow_remote", False)
    if not isinstance(allow_remote, bool):
        raise CollectorError("collectors.mlflow.allow_remote: expected true or false")
    aliases = raw.get("production_aliases", list(DEFAULT_PRODUCTION_ALIASES))
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a for a in aliases):
        raise CollectorError("collectors.mlflow.production_aliases: expected a list of alias names")
    workspace = raw.get("workspace", "default")
    if not isinstance(workspace, str) or not workspace:
        raise CollectorError("collectors.mlflow.workspace: expected a workspace name")
    return Settings(
        tracking_uri=uri.strip() if isinstance(uri, str) else None,
        allow_remote=allow_remote,
        production_aliases=tuple(a.lower() for a in aliases),
        workspace=workspace,
    )


def _has_file_store_data(folder: Path) -> bool:
    """MLflow's own test for "mlruns/ holds tracking data": an experiment folder with meta.yaml."""
    try:
        with os.scandir(folder) as entries:
            return any(
                entry.is_dir()
                and entry.name.isdigit()
                and (Path(entry.path) / "meta.yaml").exists()
                for entry in entries
            )
    except OSError:
        return False


def _without_credentials(uri: str) -> str:
    parts = urlsplit(uri)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def locate_store(root: Path, settings: Settings) -> StoreLocation | None:
    """The store to read, or None when the repository holds none where MLflow would put it.

    With no `tracking_uri`, the store is found as MLflow finds it with no tracking URI set:
    `mlruns/` when it already holds tracking data, else `mlflow.db` (the default since MLflow 3.7).
    Local paths are resolved, symlinks included, and refused when they leave the repository.
    """
    uri = settings.tracking_uri
    setting = "collectors.mlflow.tracking_uri"
    if uri is None:
        setting = "the MLflow store"
        if _has_file_store_data(root / "mlruns"):
            layout, path_text = "file", "mlruns"
        elif (root / "mlflow.db").exists() or (root / "mlflow.db").is_symlink():
            layout, path_text = "sqlite", "mlflow.db"
        else:
            return None
    else:
        match = _SCHEME.match(uri)
        scheme = match.group(1).lower() if match and len(match.group(1)) > 1 else None
        if scheme == "sqlite":
            if not uri.startswith("sqlite:///"):
                raise CollectorError(
                    f"{setting}: {uri!r} is not a SQLite file; "
                    "write sqlite:///PATH/TO/mlflow.db, relative to the repository"
                )
            layout, path_text = "sqlite", unquote(uri[len("sqlite:///") :])
        elif scheme == "file":
            layout, path_text = "file", unquote(urlsplit(uri).path)
        elif scheme is None:
            layout, path_text = "file", uri  # a bare path, as MLflow accepts it
        else:
            shown = redact_text(_without_credentials(uri))
            if not settings.allow_remote:
                raise CollectorError(
                    f"{setting}: {shown!r} is a remote tracking store; govgate reads only "
                    "stores inside the repository. Set collectors.mlflow.allow_remote: true "
                    "to read it through MLflow's client (pip install mlflow-skinny)"
                )
            return StoreLocation("client", shown, uri=uri)
    candidate = Path(path_text)
    resolved = (candidate if candidate.is_absolute() else root / candidate).resolve()
    if layout == "file" and resolved.is_file():
        layout = "sqlite"  # a file store is a folder; a single file can only be SQLite
    prefix = "sqlite:///" if layout == "sqlite" else ""
    if resolved != root and root not in resolved.parents:
        shown = f"{prefix}{OUTSIDE}/{resolved.name}"
        if not settings.allow_remote:
            raise CollectorError(
                f"{setting}: {shown} lies outside the repository (an absolute path, '..' or a "
                "symlink); keep the store in the repository or set "
                "collectors.mlflow.allow_remote: true"
            )
        return StoreLocation(layout, shown, path=resolved, exists=resolved.exists())
    relpath = resolved.relative_to(root).as_posix() if resolved != root else "."
    return StoreLocation(layout, f"{prefix}{relpath}", relpath=relpath, exists=resolved.exists())


class _ContextFiles:
    """File access through the collect context: never leaves the repository."""

    def __init__(self, ctx: CollectContext) -> None:
        self.ctx = ctx

    def glob(self, patterns: list[str]) -> list[str]:
        return self.ctx.glob(patterns)

    def open(self, relpath: str) -> Path | None:
        return self.ctx.safe_path(relpath)


def _ms_to_timestamp(ms: int | None) -> str | None:
    if ms is None or ms <= 0:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _local_path(location: str) -> str | None:
    """The filesystem path of a `file:` URI or an absolute path; None for other URIs."""
    if location.startswith("file:"):
        return os.path.normpath(unquote(urlsplit(location).path))
    if location.startswith("/"):
        return os.path.normpath(location)
    return None


def shown_location(location: str | None, root: Path) -> str | None:
    """A location fit for evidence: repository-relative, or with the outside part hidden."""
    if not location:
        return None
    local = _local_path(location)
    if local is None:  # runs:/..., models:/..., s3://..., mlflow-artifacts:/...
        if urlsplit(location).netloc:
            location = _without_credentials(location)
        return redact_text(location)
    for candidate in (Path(local), Path(local).resolve()):
        if candidate == root or root in candidate.parents:
            return candidate.relative_to(root).as_posix() or "."
    parts = Path(local).parts
    if "mlruns" in parts:  # keep the store-relative tail: it still identifies the artifact
        tail = parts[len(parts) - 1 - parts[::-1].index("mlruns") :]
        return redact_text(f"{OUTSIDE}/{'/'.join(tail)}")
    return redact_text(f"{OUTSIDE}/{Path(local).name}")


def _under(location: str, root_location: str) -> bool:
    """True when `location` is `root_location` or inside it (paths and URIs alike)."""
    left = _local_path(location) or location.rstrip("/")
    right = _local_path(root_location) or root_location.rstrip("/")
    return left == right or left.startswith(right.rstrip("/") + "/")


def check_lineage(
    version: VersionRecord, run: RunRecord | None, reader: StoreReader, root: Path
) -> str | None:
    """Why the version's lineage to its run does not hold, or None when it does."""
    label = f"version {version.version} of {redact_text(version.name)}"
    if not version.run_id:
        return f"{label} has no run: it was registered from a path, not from a tracked run"
    if run is None:
        return f"{label} names run {version.run_id}, which is not in the tracking store"
    if run.lifecycle_stage == "deleted":
        return f"{label} comes from run {version.run_id}, which is deleted"
    source = version.source or ""
    shown = shown_location(source, root)
    if source.startswith("runs:/"):
        source_run = source[len("runs:/") :].split("/", 1)[0]
        if source_run != version.run_id:
            return f"{label}: source {shown} is run {source_run}, not its run {version.run_id}"
        return None
    if source.startswith("models:/"):
        model_id = source[len("models:/") :].split("/", 1)[0]
        logged = reader.logged_model(model_id) if model_id.startswith("m-") else None
        if logged is None:
            return f"{label}: source {shown} is not a logged model in the tracking store"
        if logged.source_run_id != version.run_id:
            return (
                f"{label}: source {shown} was logged by run {logged.source_run_id}, "
                f"not its run {version.run_id}"
            )
        return None
    if source and run.artifact_uri and _under(source, run.artifact_uri):
        return None
    where = shown_location(run.artifact_uri, root) or "unknown"
    return (
        f"{label}: source {shown or 'none'} is not among run {version.run_id}'s artifacts ({where})"
    )


def production_version(
    model: ModelRecord, aliases: Sequence[str], report: Report
) -> tuple[int | None, str | None]:
    """(version, how) of the production version: a production alias first, then the stage."""
    existing = {v.version for v in model.versions}
    by_alias = {alias.lower(): (alias, version) for alias, version in model.aliases.items()}
    for wanted in aliases:
        if wanted in by_alias:
            alias, version = by_alias[wanted]
            if version in existing:
                return version, f"alias:{alias}"
            report(
                None,
                None,
                f"model {redact_text(model.name)}: alias {alias} points to version {version}, "
                "which does not exist",
            )
    staged = [v.version for v in model.versions if v.stage.lower() == "production"]
    if staged:
        return max(staged), "stage:Production"
    return None, None


def summarise_run(version: VersionRecord, reader: StoreReader, root: Path) -> dict[str, Any]:
    run = reader.run(version.run_id) if version.run_id else None
    return {
        "run_id": version.run_id,
        "experiment": redact_text(run.experiment_name) if run and run.experiment_name else None,
        "status": run.status if run else None,
        "metrics": dict(sorted(run.metrics.items())) if run else {},
        "params": {k: redact_text(v) for k, v in sorted(run.params.items())} if run else {},
        "start_time": _ms_to_timestamp(run.start_time) if run else None,
        "end_time": _ms_to_timestamp(run.end_time) if run else None,
        "lineage_ok": (problem := check_lineage(version, run, reader, root)) is None,
        "lineage_problem": problem,
    }


def models_evidence(
    reader: StoreReader, settings: Settings, root: Path, report: Report
) -> list[dict[str, Any]]:
    """The `models` list of the evidence, in name order, versions in number order."""
    out: list[dict[str, Any]] = []
    for model in reader.registered_models():
        aliases_of: dict[int, list[str]] = {}
        for alias, number in model.aliases.items():
            aliases_of.setdefault(number, []).append(alias)
        chosen, via = production_version(model, settings.production_aliases, report)
        prod = next((v for v in model.versions if v.version == chosen), None)
        out.append(
            {
                "name": redact_text(model.name),
                "versions": [
                    {
                        "version": v.version,
                        "stage": v.stage,
                        "aliases": sorted(aliases_of.get(v.version, [])),
                        "run_id": v.run_id,
                        "source": shown_location(v.source, root),
                        "status": v.status,
                        "creation_time": _ms_to_timestamp(v.creation_time),
                        "last_updated": _ms_to_timestamp(v.last_updated),
                    }
                    for v in model.versions
                ],
                "production_version": chosen,
                "production_via": via,
                "production_run": summarise_run(prod, reader, root) if prod else None,
            }
        )
    return out


class MlflowCollector(Collector):
    name = "mlflow"
    version = __version__
    description = (
        "registered models, the version in production, its run's metrics and lineage, "
        "from a local MLflow tracking store (mlruns/ or mlflow.db)"
    )
    kinds = (
        EvidenceKind(
            name=KIND,
            collector="mlflow",
            schema=REGISTERED_MODELS_SCHEMA,
            description="Registered models and versions, the production version (alias or "
            "stage), its run's latest metrics and params, and whether its lineage holds.",
            install_hint="pip install govgate-mlflow",
        ),
    )
    #: A store outside the repository (allow_remote) changes without any repository file
    #: changing, so cached output expires; reading a local store again costs milliseconds.
    ttl = timedelta(minutes=10)
    settings_schema = SETTINGS_SCHEMA

    def input_patterns(self, ctx: CollectContext) -> list[str]:
        # Metadata only: hashing model artifacts on every run would make the cache useless.
        location = locate_store(ctx.root, read_settings(ctx.settings))
        if location is None:
            return ["mlflow.db", "mlruns/*/meta.yaml", "mlruns/models/*/meta.yaml"]
        if location.relpath is None or not location.exists:
            return (
                [] if location.relpath is None else [location.relpath]
            )  # outside the repository or remote: nothing in the repository to watch
        if location.layout == "sqlite":
            return [location.relpath, f"{location.relpath}-wal"]
        store = location.relpath
        return [
            f"{store}/*/meta.yaml",
            f"{store}/*/*/meta.yaml",
            f"{store}/*/*/params/**",
            f"{store}/*/*/metrics/**",
            f"{store}/models/**",
            f"{store}/*/models/*/meta.yaml",
            f"{store}/.trash/*/meta.yaml",
            f"{store}/.trash/*/*/meta.yaml",
        ]

    def collect(self, ctx: CollectContext) -> Iterable[Evidence]:
        settings = read_settings(ctx.settings)
        location = locate_store(ctx.root, settings)
        if location is None or not location.exists:
            if location is None:
                where = "in the repository (looked for mlruns/ and mlflow.db, MLflow's defaults)"
            else:
                where = "at this path (collectors.mlflow.tracking_uri)"
            yield ctx.evidence(
                KIND,
                subject=location.shown if location else "mlflow",
                data={"tracking_uri": location.shown if location else "", "models": []},
                problem=f"no MLflow tracking store {where}; commit the store or set "
                "collectors.mlflow.tracking_uri in govgate.yaml",
            )
            return
        data: dict[str, Any] = {"tracking_uri": location.shown, "store": location.layout}
        reader: StoreReader | None = None
        try:
            reader = _open_reader(ctx, location, settings)
            data["models"] = models_evidence(reader, settings, ctx.root, _reporter(ctx, location))
        except StoreUnreadable as exc:
            yield ctx.evidence(
                KIND,
                subject=location.shown,
                data={**data, "models": []},
                path=location.relpath,
                problem=str(exc),
            )
            return
        finally:
            if isinstance(reader, SqliteStoreReader):
                reader.close()
        yield ctx.evidence(KIND, subject=location.shown, data=data, path=location.relpath)


def _reporter(ctx: CollectContext, location: StoreLocation) -> Report:
    """Diagnostics with repository-relative paths; outside paths keep only the store part."""

    def report(path: str | None, line: int | None, message: str) -> None:
        if path is not None and location.relpath is None:
            path = f"{OUTSIDE}/{path}"
        ctx.problem(path, line, message)

    return report


def _open_reader(ctx: CollectContext, location: StoreLocation, settings: Settings) -> StoreReader:
    if location.layout == "client":
        return ClientStoreReader(location.uri or "")
    report = _reporter(ctx, location)
    if location.layout == "sqlite":
        db_path = location.path or ctx.safe_path(location.relpath or "")
        if db_path is None:  # refused (a symlink leaving the repository, a FIFO): ctx said why
            raise StoreUnreadable("refused by govgate's safe file access")
        return SqliteStoreReader(db_path, settings.workspace)
    if location.path is not None:
        return FileStoreReader(LocalFiles(location.path.parent), location.path.name, report)
    return FileStoreReader(_ContextFiles(ctx), location.relpath or "", report)
