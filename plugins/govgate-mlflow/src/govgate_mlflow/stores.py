"""Read-only readers of MLflow tracking stores: the local file store, SQLite, and MLflow's client.

The two local layouts MLflow writes are read directly: a file store (`mlruns/`, MLflow's default
before 3.7 and still used when `mlruns/` already holds data) and a SQLite store (`mlflow.db`,
the default since MLflow 3.7). Reading them ourselves keeps `govgate check` from importing
MLflow (seconds of import time, and SQLAlchemy would run schema migrations, i.e. *write*, on
a database in the repository being checked). Only a store the user explicitly allows outside
the repository over a URI MLflow alone understands (http, databricks, postgresql...) goes
through `mlflow.MlflowClient`, imported lazily.

Every reader returns the same plain records; malformed input is reported through a callback
with file and line and the entity is left out, never silently.
"""

from __future__ import annotations

import math
import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from govgate.support.errors import InputError
from govgate.support.yamlload import load_yaml_text

#: Stage MLflow gives a model version it deleted but keeps a row for; never shown.
DELETED_STAGE = "Deleted_Internal"
#: The file store writes run status as the protobuf enum number.
RUN_STATUS_NAMES = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}
#: Ids are used in file names and glob patterns; anything else is refused rather than globbed.
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")

#: (path, line, message): where a reader reports input it had to leave out.
Report = Callable[[str | None, int | None, str], None]


class StoreUnreadable(Exception):
    """The store exists but cannot be read as an MLflow tracking store at all."""


@dataclass
class VersionRecord:
    name: str
    version: int
    stage: str
    run_id: str | None
    source: str | None
    status: str | None
    creation_time: int | None  # epoch milliseconds, as MLflow stores them
    last_updated: int | None


@dataclass
class ModelRecord:
    name: str
    creation_time: int | None
    last_updated: int | None
    versions: list[VersionRecord] = field(default_factory=list)
    aliases: dict[str, int] = field(default_factory=dict)


@dataclass
class RunRecord:
    run_id: str
    experiment_id: str
    experiment_name: str | None
    status: str | None
    lifecycle_stage: str  # "active" or "deleted" (the run's or its experiment's)
    start_time: int | None
    end_time: int | None
    artifact_uri: str | None
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float | None] = field(default_factory=dict)


@dataclass
class LoggedModelRecord:
    """An MLflow 3 logged model (`models:/m-…` sources point at one)."""

    model_id: str
    source_run_id: str | None
    artifact_location: str | None


class StoreReader(Protocol):
    def registered_models(self) -> list[ModelRecord]: ...

    def run(self, run_id: str) -> RunRecord | None: ...

    def logged_model(self, model_id: str) -> LoggedModelRecord | None: ...


def _int_or_none(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _run_status(value: Any) -> str | None:
    """A run's status: the file store writes the enum's number, read as the text written."""
    if value is None:
        return None
    number = _int_or_none(value)
    return RUN_STATUS_NAMES.get(number, str(value)) if number is not None else str(value)


def _finite(value: Any) -> float | None:
    """A metric value as JSON can hold it: NaN and infinities become None."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _safe_id(value: str) -> bool:
    return bool(_SAFE_ID.fullmatch(value)) and ".." not in value


# -- the file store ---------------------------------------------------------------------------


class Files(Protocol):
    """The file access a file-store reader needs (repository-safe or plain local)."""

    def glob(self, patterns: list[str]) -> list[str]: ...

    def open(self, relpath: str) -> Path | None: ...


class FileStoreReader:
    """Reads a `mlruns/` folder as MLflow's FileStore and FileModelRegistryStore write it."""

    def __init__(self, files: Files, store: str, report: Report) -> None:
        self.files = files
        self.store = store.rstrip("/")
        self.report = report
        if not files.glob([f"{self.store}/*/meta.yaml", f"{self.store}/models/*/meta.yaml"]):
            raise StoreUnreadable(
                "a folder, but not an MLflow file store (no experiment or model meta.yaml)"
            )

    def _meta(self, relpath: str) -> dict[str, Any] | None:
        path = self.files.open(relpath)
        if path is None:
            return None
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            self.report(relpath, None, f"not UTF-8 ({exc.reason}); left out")
            return None
        try:
            # govgate's loader (size, alias and duplicate-key limits, file:line), with every
            # unquoted value kept as the text MLflow wrote: MLflow writes meta.yaml with
            # PyYAML's YAML 1.1 dumper, which quotes `on` or `1:30` but leaves `1e5` bare. Read
            # as YAML 1.1 a model named `on` became True; read as YAML 1.2 one named `1e5`
            # would become 100000.0. The fields that are numbers are converted below.
            data = load_yaml_text(text, relpath, plain_as_text=True).data
        except InputError as exc:
            problem = exc.message.removeprefix("invalid YAML: ")
            self.report(relpath, exc.line, f"malformed YAML ({problem}); left out")
            return None
        if not isinstance(data, dict):
            self.report(relpath, 1, "expected a mapping of MLflow metadata; left out")
            return None
        return data

    def registered_models(self) -> list[ModelRecord]:
        models: list[ModelRecord] = []
        prefix = f"{self.store}/models/"
        for meta_path in self.files.glob([f"{prefix}*/meta.yaml"]):
            folder = meta_path[: -len("/meta.yaml")]
            meta = self._meta(meta_path)
            if meta is None:
                continue
            name = str(meta.get("name") or folder[len(prefix) :])
            model = ModelRecord(
                name=name,
                creation_time=_int_or_none(meta.get("creation_timestamp")),
                last_updated=_int_or_none(meta.get("last_updated_timestamp")),
            )
            aliases = meta.get("aliases") or {}
            if isinstance(aliases, dict):
                for alias, version in aliases.items():
                    number = _int_or_none(version)
                    if number is not None:
                        model.aliases[str(alias)] = number
            # MLflow 2.x keeps each alias in its own file holding the version number.
            for alias_path in self.files.glob([f"{folder}/aliases/*"]):
                opened = self.files.open(alias_path)
                if opened is None:
                    continue
                text = opened.read_text(encoding="utf-8-sig", errors="replace").strip()
                number = _int_or_none(text)
                if number is None:
                    self.report(alias_path, 1, f"alias file holds {text[:40]!r}, not a version")
                    continue
                model.aliases[alias_path.rsplit("/", 1)[1]] = number
            for version_path in self.files.glob([f"{folder}/version-*/meta.yaml"]):
                record = self._version(name, version_path)
                if record is not None and record.stage != DELETED_STAGE:
                    model.versions.append(record)
            model.versions.sort(key=lambda v: v.version)
            models.append(model)
        return sorted(models, key=lambda m: m.name)

    def _version(self, name: str, relpath: str) -> VersionRecord | None:
        meta = self._meta(relpath)
        if meta is None:
            return None
        number = _int_or_none(meta.get("version"))
        if number is None:
            self.report(relpath, None, "model version has no version number; left out")
            return None
        run_id = meta.get("run_id")
        return VersionRecord(
            name=name,
            version=number,
            stage=str(meta.get("current_stage") or "None"),
            run_id=str(run_id) if run_id else None,
            source=str(meta["source"]) if meta.get("source") else None,
            status=str(meta["status"]) if meta.get("status") else None,
            creation_time=_int_or_none(meta.get("creation_timestamp")),
            last_updated=_int_or_none(meta.get("last_updated_timestamp")),
        )

    def _experiment(self, experiment_id: str) -> tuple[str | None, bool]:
        """(name, deleted) of an experiment; deleted experiments live in `.trash/`."""
        if not _safe_id(experiment_id):
            return None, False
        for folder, deleted in ((self.store, False), (f"{self.store}/.trash", True)):
            relpath = f"{folder}/{experiment_id}/meta.yaml"
            if self.files.glob([relpath]):
                meta = self._meta(relpath)
                if meta is not None:
                    stage = meta.get("lifecycle_stage")
                    return str(meta.get("name") or experiment_id), deleted or stage == "deleted"
        return None, False

    def run(self, run_id: str) -> RunRecord | None:
        if not _safe_id(run_id):
            return None
        found = self.files.glob(
            [f"{self.store}/*/{run_id}/meta.yaml", f"{self.store}/.trash/*/{run_id}/meta.yaml"]
        )
        if not found:
            return None
        meta_path = found[0]
        meta = self._meta(meta_path)
        if meta is None:
            return None
        folder = meta_path[: -len("/meta.yaml")]
        experiment_id = str(meta.get("experiment_id") or folder.rsplit("/", 2)[-2])
        experiment_name, experiment_deleted = self._experiment(experiment_id)
        status = meta.get("status")
        deleted = (
            experiment_deleted
            or meta.get("lifecycle_stage") == "deleted"
            or f"{self.store}/.trash/" in meta_path
        )
        record = RunRecord(
            run_id=run_id,
            experiment_id=experiment_id,
            experiment_name=experiment_name,
            status=_run_status(status),
            lifecycle_stage="deleted" if deleted else "active",
            start_time=_int_or_none(meta.get("start_time")),
            end_time=_int_or_none(meta.get("end_time")),
            artifact_uri=str(meta["artifact_uri"]) if meta.get("artifact_uri") else None,
        )
        for relpath in self.files.glob([f"{folder}/params/**"]):
            opened = self.files.open(relpath)
            if opened is not None:
                key = relpath[len(folder) + len("/params/") :]
                record.params[key] = opened.read_text(encoding="utf-8-sig", errors="replace")
        for relpath in self.files.glob([f"{folder}/metrics/**"]):
            latest = self._latest_metric(relpath)
            if latest is not None:
                record.metrics[relpath[len(folder) + len("/metrics/") :]] = latest[0]
        return record

    def _latest_metric(self, relpath: str) -> tuple[float | None] | None:
        """The latest value of a metric file ("timestamp value [step]" per line).

        Latest means what MLflow shows: the highest step, then the newest timestamp, then the
        largest value. Malformed lines are reported with their number.
        """
        opened = self.files.open(relpath)
        if opened is None:
            return None
        best: tuple[int, int, float] | None = None
        best_value: float | None = None
        with opened.open(encoding="utf-8-sig", errors="replace") as handle:
            for number, line in enumerate(handle, start=1):
                parts = line.split()
                if not parts:
                    continue
                try:
                    timestamp = int(parts[0])
                    value = float(parts[1])
                    step = int(parts[2]) if len(parts) > 2 else 0
                    if len(parts) > 3:
                        raise ValueError("too many fields")
                except (ValueError, IndexError):
                    self.report(
                        relpath, number, f"malformed metric line {line.strip()[:60]!r}; left out"
                    )
                    continue
                # NaN sorts as missing so a real value is never displaced by one.
                comparable = value if math.isfinite(value) else -math.inf
                key = (step, timestamp, comparable)
                if best is None or key > best:
                    best, best_value = key, _finite(value)
        return None if best is None else (best_value,)

    def logged_model(self, model_id: str) -> LoggedModelRecord | None:
        if not _safe_id(model_id):
            return None
        found = self.files.glob([f"{self.store}/*/models/{model_id}/meta.yaml"])
        meta = self._meta(found[0]) if found else None
        if meta is None:
            return None
        source_run = meta.get("source_run_id")
        location = meta.get("artifact_location")
        return LoggedModelRecord(
            model_id=model_id,
            source_run_id=str(source_run) if source_run else None,
            artifact_location=str(location) if location else None,
        )


class LocalFiles:
    """Plain file access below a folder (a store the user allowed outside the repository)."""

    def __init__(self, base: Path) -> None:
        self.base = base

    def glob(self, patterns: list[str]) -> list[str]:
        found: set[str] = set()
        for pattern in patterns:
            if pattern.endswith("**"):  # pathlib's trailing ** matches folders only
                pattern += "/*"
            for path in self.base.glob(pattern):
                if path.is_file():
                    found.add(path.relative_to(self.base).as_posix())
        return sorted(found)

    def open(self, relpath: str) -> Path | None:
        path = self.base / relpath
        return path if path.is_file() else None


# -- the SQLite store -------------------------------------------------------------------------


class SqliteStoreReader:
    """Reads MLflow's SQLAlchemy schema in a SQLite file, read-only, across MLflow versions.

    Columns and tables that appeared over time (aliases in 2.3, logged models and workspaces
    in 3.x) are looked up before use, so a database written by an older MLflow reads too.
    """

    def __init__(self, path: Path, workspace: str | None = None) -> None:
        try:
            # mode=ro: never create, migrate or lock the file for writing.
            self.db = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
            tables = {
                row[0]
                for row in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
        except sqlite3.DatabaseError as exc:
            raise StoreUnreadable(f"not a readable SQLite database ({exc})") from exc
        missing = {"experiments", "runs", "registered_models", "model_versions"} - tables
        if missing:
            raise StoreUnreadable(
                "a SQLite database but not an MLflow tracking store "
                f"(no table {', '.join(sorted(missing))})"
            )
        self.tables = tables
        self.workspace = workspace

    def close(self) -> None:
        self.db.close()

    def _columns(self, table: str) -> set[str]:
        return {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}

    def _in_workspace(self, table: str) -> tuple[str, tuple[Any, ...]]:
        if self.workspace is not None and "workspace" in self._columns(table):
            return " AND workspace = ?", (self.workspace,)
        return "", ()

    def _rows(self, sql: str, args: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
        try:
            yield from self.db.execute(sql, args)
        except sqlite3.DatabaseError as exc:
            raise StoreUnreadable(f"cannot read the tracking store ({exc})") from exc

    def registered_models(self) -> list[ModelRecord]:
        # The workspace clause is ours and its value is bound: no text from the store is spliced.
        clause, args = self._in_workspace("registered_models")
        columns = "name, creation_time, last_updated_time"
        sql = f"SELECT {columns} FROM registered_models WHERE 1=1{clause}"  # noqa: S608
        models = {
            name: ModelRecord(str(name), _int_or_none(created), _int_or_none(updated))
            for name, created, updated in self._rows(sql, args)
        }
        clause, args = self._in_workspace("model_versions")
        columns = "name, version, current_stage, run_id, source, status, creation_time"
        sql = f"SELECT {columns}, last_updated_time FROM model_versions WHERE 1=1{clause}"  # noqa: S608
        for name, version, stage, run_id, source, status, created, updated in self._rows(sql, args):
            model = models.get(name)
            number = _int_or_none(version)
            if model is None or number is None or stage == DELETED_STAGE:
                continue
            model.versions.append(
                VersionRecord(
                    name=str(name),
                    version=number,
                    stage=str(stage or "None"),
                    run_id=str(run_id) if run_id else None,
                    source=str(source) if source else None,
                    status=str(status) if status else None,
                    creation_time=_int_or_none(created),
                    last_updated=_int_or_none(updated),
                )
            )
        if "registered_model_aliases" in self.tables:
            clause, args = self._in_workspace("registered_model_aliases")
            for alias, name, version in self._rows(
                f"SELECT alias, name, version FROM registered_model_aliases WHERE 1=1{clause}",  # noqa: S608
                args,
            ):
                number = _int_or_none(version)
                if name in models and number is not None:
                    models[name].aliases[str(alias)] = number
        for model in models.values():
            model.versions.sort(key=lambda v: v.version)
        return sorted(models.values(), key=lambda m: m.name)

    def run(self, run_id: str) -> RunRecord | None:
        row = next(
            self._rows(
                "SELECT r.experiment_id, e.name, r.status, r.lifecycle_stage, e.lifecycle_stage,"
                " r.start_time, r.end_time, r.artifact_uri FROM runs r"
                " LEFT JOIN experiments e ON e.experiment_id = r.experiment_id"
                " WHERE r.run_uuid = ?",
                (run_id,),
            ),
            None,
        )
        if row is None:
            return None
        exp_id, exp_name, status, stage, exp_stage, start, end, artifact_uri = row
        record = RunRecord(
            run_id=run_id,
            experiment_id=str(exp_id),
            experiment_name=str(exp_name) if exp_name is not None else None,
            status=str(status) if status else None,
            lifecycle_stage="deleted" if "deleted" in (stage, exp_stage) else "active",
            start_time=_int_or_none(start),
            end_time=_int_or_none(end),
            artifact_uri=str(artifact_uri) if artifact_uri else None,
        )
        for key, value in self._rows("SELECT key, value FROM params WHERE run_uuid = ?", (run_id,)):
            record.params[str(key)] = "" if value is None else str(value)
        if "latest_metrics" in self.tables:
            sql = "SELECT key, value, is_nan FROM latest_metrics WHERE run_uuid = ?"
        else:  # very old schemas: the same "latest" MLflow computes
            sql = (
                "SELECT key, value, is_nan FROM metrics m WHERE run_uuid = ?1 AND NOT EXISTS"
                " (SELECT 1 FROM metrics n WHERE n.run_uuid = ?1 AND n.key = m.key AND"
                " (n.step, n.timestamp, n.value) > (m.step, m.timestamp, m.value))"
            )
        for key, value, is_nan in self._rows(sql, (run_id,)):
            record.metrics[str(key)] = None if is_nan else _finite(value)
        return record

    def logged_model(self, model_id: str) -> LoggedModelRecord | None:
        if "logged_models" not in self.tables:
            return None
        row = next(
            self._rows(
                "SELECT source_run_id, artifact_location FROM logged_models WHERE model_id = ?",
                (model_id,),
            ),
            None,
        )
        if row is None:
            return None
        return LoggedModelRecord(
            model_id=model_id,
            source_run_id=str(row[0]) if row[0] else None,
            artifact_location=str(row[1]) if row[1] else None,
        )


# -- anything else: MLflow's own client -------------------------------------------------------


class ClientStoreReader:
    """Reads any store MLflow's client can reach; used only for stores the user allowed remote.

    Requires MLflow (`pip install mlflow-skinny`); imported here, never on govgate's hot path.
    """

    def __init__(self, tracking_uri: str) -> None:
        try:
            from mlflow import MlflowClient
            from mlflow.exceptions import MlflowException
        except ImportError as exc:
            raise StoreUnreadable(
                "reading this tracking store needs MLflow's client: pip install mlflow-skinny"
            ) from exc
        self.client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
        self.not_found = MlflowException

    def _pages(self, search: Callable[..., Any], size: int, **kwargs: Any) -> Iterator[Any]:
        token = None
        while True:
            page = search(max_results=size, page_token=token, **kwargs)
            yield from page
            token = getattr(page, "token", None)
            if not token:
                return

    def registered_models(self) -> list[ModelRecord]:
        models: list[ModelRecord] = []
        for found in self._pages(self.client.search_registered_models, 100):
            model = ModelRecord(
                str(found.name),
                _int_or_none(found.creation_timestamp),
                _int_or_none(found.last_updated_timestamp),
                aliases={
                    str(a): int(v) for a, v in (getattr(found, "aliases", None) or {}).items()
                },
            )
            escaped = found.name.replace("'", "\\'")
            for mv in self._pages(
                self.client.search_model_versions, 1000, filter_string=f"name='{escaped}'"
            ):
                if mv.current_stage == DELETED_STAGE:
                    continue
                model.versions.append(
                    VersionRecord(
                        name=model.name,
                        version=int(mv.version),
                        stage=str(mv.current_stage or "None"),
                        run_id=mv.run_id or None,
                        source=mv.source or None,
                        status=str(mv.status) if mv.status else None,
                        creation_time=_int_or_none(mv.creation_timestamp),
                        last_updated=_int_or_none(mv.last_updated_timestamp),
                    )
                )
            model.versions.sort(key=lambda v: v.version)
            models.append(model)
        return sorted(models, key=lambda m: m.name)

    def run(self, run_id: str) -> RunRecord | None:
        try:
            found = self.client.get_run(run_id)
            experiment = self.client.get_experiment(found.info.experiment_id)
        except self.not_found:
            return None
        deleted = "deleted" in (found.info.lifecycle_stage, experiment.lifecycle_stage)
        return RunRecord(
            run_id=run_id,
            experiment_id=str(found.info.experiment_id),
            experiment_name=experiment.name,
            status=str(found.info.status) if found.info.status else None,
            lifecycle_stage="deleted" if deleted else "active",
            start_time=_int_or_none(found.info.start_time),
            end_time=_int_or_none(found.info.end_time),
            artifact_uri=found.info.artifact_uri or None,
            params={str(k): str(v) for k, v in found.data.params.items()},
            metrics={str(k): _finite(v) for k, v in found.data.metrics.items()},
        )

    def logged_model(self, model_id: str) -> LoggedModelRecord | None:
        getter = getattr(self.client, "get_logged_model", None)  # MLflow >= 3.0
        if getter is None:
            return None
        try:
            found = getter(model_id)
        except self.not_found:
            return None
        return LoggedModelRecord(
            model_id=model_id,
            source_run_id=found.source_run_id or None,
            artifact_location=found.artifact_location or None,
        )
