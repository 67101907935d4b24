"""The mlflow collector on real tracking stores that MLflow itself writes.

The stores are built once per module by MLflow in subprocesses (a SQLite store, a file store,
and whatever MLflow writes by default with no tracking URI set), then copied into throwaway
repositories that each test may damage. govgate runs with autoload off and `-p mlflow`, so
the test exercises the installed entry point exactly as a user's `govgate -p mlflow` would.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as dist_version
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from govgate_mlflow.collector import MlflowCollector
from govgate_mlflow.schema import KIND, REGISTERED_MODELS_SCHEMA
from govgate_mlflow.stores import (
    ClientStoreReader,
    FileStoreReader,
    LocalFiles,
    SqliteStoreReader,
)

from govgate.cli.main import main
from govgate.run.check import CheckOptions, CheckOutcome, run_check

#: MLflow builds its stores in subprocesses and imports slowly: left out of `make test-fast`.
pytestmark = pytest.mark.slow

PLANTED_EMAIL = "alice.smith@example.com"

# Run by MLflow in a subprocess: argv[1] is "sqlite", "file" or "default", the cwd is the store's
# repository. Every model below is a case the collector must tell apart.
GENERATOR = textwrap.dedent(
    r"""
    import sys
    import mlflow
    from mlflow import MlflowClient

    mode = sys.argv[1]
    uri = {"sqlite": "sqlite:///mlflow.db", "file": "./mlruns", "default": None}[mode]
    if uri:
        mlflow.set_tracking_uri(uri)
        mlflow.set_registry_uri(uri)
    client = MlflowClient()

    if mode == "default":  # whatever this MLflow writes when nobody configures anything
        mlflow.set_experiment("defaults")
        with mlflow.start_run() as active:
            mlflow.log_metric("auc", 0.9)
            mlflow.log_text("artifact_path: model\n", "model/MLmodel")
        client.create_registered_model("default-model")
        mv = client.create_model_version(
            "default-model", f"runs:/{active.info.run_id}/model", run_id=active.info.run_id
        )
        client.set_registered_model_alias("default-model", "production", mv.version)
        sys.exit(0)

    experiment = client.create_experiment("credit-scoring")

    def run(name, params, metrics):
        created = client.create_run(experiment, run_name=name)
        run_id = created.info.run_id
        for key, value in params.items():
            client.log_param(run_id, key, value)
        for key, values in metrics.items():
            for step, value in enumerate(values):
                client.log_metric(run_id, key, value, step=step)
        client.log_text(run_id, "artifact_path: model\n", "model/MLmodel")
        client.set_terminated(run_id)
        return run_id

    baseline = run("baseline", {"max_depth": "6"}, {"auc": [0.81, 0.83], "accuracy": [0.9]})
    candidate = run(
        "candidate",
        {"max_depth": "8", "data_owner": "alice.smith@example.com"},
        {"auc": [0.79, 0.86], "loss": [float("nan")]},
    )
    fraud = run("fraud", {}, {"recall": [0.7]})
    churn = run("churn", {}, {"auc": [0.75]})

    # Legacy stage on v1, alias on v2: the alias wins (MLflow >= 2.9 prefers aliases).
    client.create_registered_model("credit-model")
    v1 = client.create_model_version("credit-model", f"runs:/{baseline}/model", run_id=baseline)
    client.transition_model_version_stage("credit-model", v1.version, "Production")
    v2 = client.create_model_version("credit-model", f"runs:/{candidate}/model", run_id=candidate)
    client.set_registered_model_alias("credit-model", "champion", v2.version)
    v3 = client.create_model_version("credit-model", f"runs:/{baseline}/model", run_id=baseline)
    client.delete_model_version("credit-model", v3.version)

    # Stage only, and its run deleted afterwards: lineage broken.
    client.create_registered_model("fraud-model")
    f1 = client.create_model_version("fraud-model", f"runs:/{fraud}/model", run_id=fraud)
    client.transition_model_version_stage("fraud-model", f1.version, "Production")
    client.delete_run(fraud)

    # Registered from a path that is not the run's artifact: lineage broken.
    client.create_registered_model("churn-model")
    c1 = client.create_model_version("churn-model", "/models/elsewhere/churn", run_id=churn)
    client.set_registered_model_alias("churn-model", "production", c1.version)

    client.create_registered_model("draft-model")  # never promoted
    client.create_model_version("draft-model", f"runs:/{baseline}/model", run_id=baseline)

    class Echo(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):
            return model_input

    mlflow.set_experiment("pricing")
    with mlflow.start_run():
        mlflow.log_metric("rmse", 12.5)
        where = {"name": "model"} if int(mlflow.__version__.split(".")[0]) >= 3 else {
            "artifact_path": "model"}
        info = mlflow.pyfunc.log_model(python_model=Echo(), pip_requirements=[], **where)
    registered = mlflow.register_model(info.model_uri, "pricing-model")
    client.set_registered_model_alias("pricing-model", "production", registered.version)
    """
)

LIFECYCLE_PACK = textwrap.dedent(
    """\
    pack: lifecycle
    version: 1.0.0
    title: Model lifecycle
    params:
      min_auc: {default: 0.8}
    requirements:
      - id: LC-REQ
        title: Production models are traceable and evaluated
        source: {framework: Readiness, ref: "lifecycle"}
    controls:
      - {id: LC-1, title: Each registered model has a production version, satisfies: [LC-REQ]}
      - {id: LC-2, title: Production versions trace back to their run, satisfies: [LC-REQ]}
      - {id: LC-3, title: Production versions meet the evaluation bar, satisfies: [LC-REQ]}
    rules:
      - id: LC-1.promoted
        control: LC-1
        title: A version is in production
        severity: medium
        evidence: mlflow.registered_models
        for_each: "models"
        assert: {path: item.production_version, op: exists}
        message: "{item.name} has no production version"
        remediation: "set the production alias on a version of {item.name}"
      - id: LC-2.lineage
        control: LC-2
        title: The production version comes from its run's artifacts
        severity: high
        evidence: mlflow.registered_models
        for_each: "models[?production_version != null]"
        assert: {path: item.production_run.lineage_ok, op: eq, value: true}
        message: "{item.production_run.lineage_problem}"
        remediation: "register {item.name} from its training run's artifacts"
      - id: LC-3.auc
        control: LC-3
        title: The production run's AUC meets the bar
        severity: high
        evidence: mlflow.registered_models
        for_each: "models[?production_run.metrics.auc != null]"
        assert: {path: item.production_run.metrics.auc, op: ge, value: {param: min_auc}}
        message: "{item.name}: AUC {actual} is below {param.min_auc}"
        remediation: "promote a version whose run reaches AUC {param.min_auc}"
    """
)


def govgate_yaml(mlflow_settings: dict[str, Any] | None = None) -> str:
    config: dict[str, Any] = {
        "version": 1,
        "system": {"name": "credit", "risk": "high"},
        "packs": ["./policies/lifecycle"],
    }
    if mlflow_settings is not None:
        config["collectors"] = {"mlflow": mlflow_settings}
    return json.dumps(config, indent=2)  # JSON is YAML


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Real stores written by MLflow: {"sqlite": repo, "file": repo, "default": repo}."""
    base = tmp_path_factory.mktemp("stores")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    script = base / "generate.py"
    script.write_text(GENERATOR, encoding="utf-8")

    def build(mode: str) -> subprocess.CompletedProcess[str]:
        (base / mode).mkdir()
        return subprocess.run(
            [sys.executable, str(script), mode],
            cwd=base / mode,
            # MLflow 3 refuses to write ./mlruns unless told the file store is wanted.
            env={**env, "MLFLOW_ALLOW_FILE_STORE": "true"} if mode == "file" else env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = dict(
            zip(
                ("sqlite", "file", "default"),
                pool.map(build, ("sqlite", "file", "default")),
                strict=True,
            )
        )
    for mode, done in results.items():
        assert done.returncode == 0, f"MLflow failed to build the {mode} store:\n{done.stderr}"
    for mode in results:
        (base / mode / "policies" / "lifecycle").mkdir(parents=True)
        (base / mode / "policies" / "lifecycle" / "pack.yaml").write_text(LIFECYCLE_PACK)
        (base / mode / "govgate.yaml").write_text(govgate_yaml())
    return {mode: base / mode for mode in results}


@pytest.fixture
def repo_of(stores: dict[str, Path], tmp_path: Path) -> Callable[[str], Path]:
    """A private copy of a store's repository (absolute paths inside it now point outside)."""

    def copy(mode: str) -> Path:
        target = tmp_path / f"{mode}-copy"
        shutil.copytree(stores[mode], target)
        return target

    return copy


@pytest.fixture(autouse=True)
def _only_this_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVGATE_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("NO_COLOR", "1")


def mlflow_version() -> str:
    """The installed MLflow's version, without importing it (that takes seconds)."""
    for distribution in ("mlflow-skinny", "mlflow"):
        try:
            return dist_version(distribution)
        except PackageNotFoundError:
            continue
    raise AssertionError("MLflow is not installed: pip install -e 'plugins/govgate-mlflow[test]'")


def check(root: Path) -> CheckOutcome:
    return run_check(CheckOptions(root=root, plugin_options=("mlflow",), use_locker=False))


def evidence_of(outcome: CheckOutcome) -> Any:
    items = outcome.collection.evidence.by_kind.get(KIND, [])
    assert len(items) == 1, [run.to_json() for run in outcome.collection.runs]
    return items[0]


def cli(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def statuses(result: dict[str, Any], rule: str) -> dict[str, str]:
    return {f["item"]: f["status"] for f in result["findings"] if f["rule"] == rule}


def models_by_name(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["name"]: m for m in data["models"]}


@pytest.mark.parametrize("layout", ["sqlite", "file"])
def test_production_versions_runs_and_lineage(stores: dict[str, Path], layout: str) -> None:
    item = evidence_of(check(stores[layout]))
    assert item.problem is None
    data = item.data
    assert data["tracking_uri"] == {"sqlite": "sqlite:///mlflow.db", "file": "mlruns"}[layout]
    assert item.source.path == {"sqlite": "mlflow.db", "file": "mlruns"}[layout]
    models = models_by_name(data)
    assert sorted(models) == [
        "churn-model",
        "credit-model",
        "draft-model",
        "fraud-model",
        "pricing-model",
    ]

    credit = models["credit-model"]
    assert [v["version"] for v in credit["versions"]] == [1, 2]  # v3 was deleted
    assert [(v["stage"], v["aliases"]) for v in credit["versions"]] == [
        ("Production", []),
        ("None", ["champion"]),
    ]
    assert (credit["production_version"], credit["production_via"]) == (2, "alias:champion")
    run = credit["production_run"]
    assert run["experiment"] == "credit-scoring"
    assert run["status"] == "FINISHED"
    assert run["metrics"] == {"auc": 0.86, "loss": None}  # latest step; NaN is null
    assert run["params"]["max_depth"] == "8"
    assert PLANTED_EMAIL not in run["params"]["data_owner"]
    assert run["params"]["data_owner"] == "a***@e***.com"  # masked by govgate.support.pii
    assert (run["lineage_ok"], run["lineage_problem"]) == (True, None)
    assert run["start_time"].endswith("Z") and run["start_time"] <= run["end_time"]

    fraud = models["fraud-model"]
    assert (fraud["production_version"], fraud["production_via"]) == (1, "stage:Production")
    assert fraud["production_run"]["lineage_ok"] is False
    assert "which is deleted" in fraud["production_run"]["lineage_problem"]

    churn = models["churn-model"]
    assert churn["production_via"] == "alias:production"
    assert churn["versions"][0]["source"] == "<outside-repo>/churn"
    problem = churn["production_run"]["lineage_problem"]
    assert "source <outside-repo>/churn is not among run" in problem
    assert "(mlruns/" in problem  # the store lies in the repository: relative paths

    assert models["draft-model"]["production_version"] is None
    assert models["draft-model"]["production_run"] is None

    pricing = models["pricing-model"]["production_run"]
    assert models["pricing-model"]["versions"][0]["source"].startswith(("models:/m-", "runs:/"))
    assert (pricing["lineage_ok"], pricing["metrics"]) == (True, {"rmse": 12.5})
    assert pricing["experiment"] == "pricing"


def test_gate_reports_each_model(stores: dict[str, Path]) -> None:
    code, stdout, stderr = cli(
        "-p", "mlflow", "check", stores["sqlite"], "--format", "json", "--no-locker"
    )
    assert code == 1, stderr
    result = json.loads(stdout)
    assert statuses(result, "LC-1.promoted") == {
        "churn-model": "pass",
        "credit-model": "pass",
        "draft-model": "fail",
        "fraud-model": "pass",
        "pricing-model": "pass",
    }
    assert statuses(result, "LC-2.lineage") == {
        "churn-model": "fail",
        "credit-model": "pass",
        "fraud-model": "fail",
        "pricing-model": "pass",
    }
    assert statuses(result, "LC-3.auc") == {"credit-model": "pass", "churn-model": "fail"}
    messages = {(f["rule"], f["item"]): f["message"] for f in result["findings"]}
    assert messages["LC-2.lineage", "fraud-model"].endswith("which is deleted")
    assert "is not among run" in messages["LC-2.lineage", "churn-model"]
    assert messages["LC-3.auc", "churn-model"] == "churn-model: AUC 0.75 is below 0.8"
    assert [c["status"] for c in result["collectors"]] == ["ok"]


def test_finds_the_store_mlflow_writes_by_default(stores: dict[str, Path]) -> None:
    repo = stores["default"]
    item = evidence_of(check(repo))
    # MLflow >= 3.7 writes mlflow.db (SQLite) by default (mlflow/mlflow#18497); before, mlruns/.
    expected = "sqlite:///mlflow.db" if (repo / "mlflow.db").exists() else "mlruns"
    assert item.data["tracking_uri"] == expected
    major, minor = (int(part) for part in mlflow_version().split(".")[:2])
    assert expected == ("sqlite:///mlflow.db" if (major, minor) >= (3, 7) else "mlruns")
    model = models_by_name(item.data)["default-model"]
    assert model["production_via"] == "alias:production"
    assert model["production_run"]["metrics"] == {"auc": 0.9}
    assert model["production_run"]["lineage_ok"] is True


def test_a_copied_store_leaks_no_absolute_path_or_personal_data(
    stores: dict[str, Path], repo_of: Callable[[str], Path]
) -> None:
    repo = repo_of("file")  # every path MLflow recorded now lies outside this repository
    outcome = check(repo)
    item = evidence_of(outcome)
    dumped = json.dumps(item.to_json()) + json.dumps(outcome.result)
    assert str(stores["file"]) not in dumped
    assert str(repo) not in json.dumps(item.to_json())
    assert PLANTED_EMAIL not in dumped
    problem = models_by_name(item.data)["churn-model"]["production_run"]["lineage_problem"]
    assert "(<outside-repo>/mlruns/" in problem
    # Lineage is judged on what MLflow recorded, so moving the store does not break it.
    assert models_by_name(item.data)["credit-model"]["production_run"]["lineage_ok"] is True


@pytest.mark.parametrize("layout", ["sqlite", "file"])
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # SQLAlchemy warns inside MLflow
def test_direct_reading_agrees_with_mlflows_client(
    layout: str, repo_of: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = repo_of(layout)
    # MLflow's client was seen creating ./mlflow.db in the working directory: keep it in tmp.
    monkeypatch.chdir(repo.parent)
    problems: list[tuple[str | None, int | None, str]] = []
    if layout == "sqlite":
        ours: Any = SqliteStoreReader(repo / "mlflow.db")
        uri = f"sqlite:///{repo / 'mlflow.db'}"
    else:
        ours = FileStoreReader(LocalFiles(repo), "mlruns", lambda *p: problems.append(p))
        uri = (repo / "mlruns").as_uri()
        monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    theirs = ClientStoreReader(uri)
    our_models, their_models = ours.registered_models(), theirs.registered_models()
    assert our_models == their_models
    assert len(our_models) == 5
    run_ids = {v.run_id for m in our_models for v in m.versions if v.run_id}
    for run_id in sorted(run_ids):
        assert ours.run(run_id) == theirs.run(run_id)
    source = next(m for m in our_models if m.name == "pricing-model").versions[0].source or ""
    if source.startswith("models:/"):
        model_id = source.split("/")[1]
        assert ours.logged_model(model_id) == theirs.logged_model(model_id)
        assert ours.logged_model(model_id) is not None
    assert problems == []


def write_config(repo: Path, settings: dict[str, Any] | None) -> None:
    (repo / "govgate.yaml").write_text(govgate_yaml(settings))


def promoted_findings(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in result["findings"] if f["rule"] == "LC-1.promoted"]


def test_remote_store_is_refused_without_allow_remote(repo_of: Callable[[str], Path]) -> None:
    repo = repo_of("sqlite")
    write_config(repo, {"tracking_uri": "https://ci:s3cret@mlflow.example.com/"})
    code, stdout, stderr = cli("-p", "mlflow", "check", repo, "--format", "json", "--no-locker")
    assert code == 1
    finding = promoted_findings(json.loads(stdout))[0]
    assert finding["status"] == "error"
    assert "'https://mlflow.example.com/' is a remote tracking store" in finding["message"]
    assert "allow_remote: true" in finding["message"]
    assert "s3cret" not in stdout + stderr


@pytest.mark.parametrize(
    "uri", ["../outside/mlflow.db", "sqlite:///../outside/mlflow.db", "OUTSIDE_ABSOLUTE"]
)
def test_store_outside_the_repository_is_refused_then_allowed(
    uri: str, stores: dict[str, Path], tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(stores["sqlite"], tmp_path / "outside")
    repo.mkdir()
    shutil.copytree(stores["sqlite"] / "policies", repo / "policies")
    if uri == "OUTSIDE_ABSOLUTE":
        uri = f"sqlite:///{tmp_path / 'outside' / 'mlflow.db'}"
    write_config(repo, {"tracking_uri": uri})
    outcome = check(repo)
    finding = next(f for f in outcome.findings if f.rule == "LC-1.promoted")
    assert finding.status == "error"
    assert "lies outside the repository" in finding.message
    assert str(tmp_path) not in finding.message

    write_config(repo, {"tracking_uri": uri, "allow_remote": True})
    item = evidence_of(check(repo))
    assert item.problem is None
    assert item.data["tracking_uri"].endswith("<outside-repo>/mlflow.db")
    assert item.source.path is None
    assert models_by_name(item.data)["credit-model"]["production_version"] == 2


def test_symlinked_store_leaving_the_repository_is_refused(
    stores: dict[str, Path], tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(stores["sqlite"] / "policies", repo / "policies")
    write_config(repo, None)
    (repo / "mlflow.db").symlink_to(stores["sqlite"] / "mlflow.db")
    finding = promoted_findings(check(repo).result)[0]
    assert finding["status"] == "error"
    assert (
        "the MLflow store: sqlite:///<outside-repo>/mlflow.db lies outside the repository"
        in finding["message"]
    )


def test_misspelled_setting_is_a_usage_error_naming_its_line(
    repo_of: Callable[[str], Path],
) -> None:
    repo = repo_of("sqlite")
    write_config(repo, {"tracking_url": "sqlite:///mlflow.db"})
    line = next(
        number
        for number, text in enumerate((repo / "govgate.yaml").read_text().splitlines(), 1)
        if "tracking_url" in text
    )
    code, stdout, stderr = cli("-p", "mlflow", "check", repo, "--format", "json", "--no-locker")
    assert (code, stdout) == (2, "")
    assert (
        f"govgate.yaml:{line}: $.collectors.mlflow.tracking_url: unknown key 'tracking_url'; "
        "did you mean 'tracking_uri'?"
    ) in stderr


def test_repository_without_a_store_fails_saying_where_it_looked(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "policies" / "lifecycle").mkdir(parents=True)
    (repo / "policies" / "lifecycle" / "pack.yaml").write_text(LIFECYCLE_PACK)
    (repo / "mlruns").mkdir()  # an empty folder is not a store
    write_config(repo, None)
    finding = promoted_findings(check(repo).result)[0]
    assert finding["status"] == "fail"
    assert "no MLflow tracking store in the repository" in finding["message"]
    assert "mlruns/ and mlflow.db" in finding["message"]

    write_config(repo, {"tracking_uri": "sqlite:///ml/registry.db"})
    finding = promoted_findings(check(repo).result)[0]
    assert finding["status"] == "fail"
    assert finding["message"].startswith(
        "sqlite:///ml/registry.db: no MLflow tracking store at this path"
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"SQLite format 3\x00" + b"\xff" * 100, "not a readable SQLite database"),
        (b"", "not an MLflow tracking store"),  # sqlite opens an empty file as an empty db
        (None, "not an MLflow tracking store (no table experiments, model_versions"),
    ],
)
def test_unusable_sqlite_file_fails_with_the_reason(
    content: bytes | None, expected: str, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    (repo / "policies" / "lifecycle").mkdir(parents=True)
    (repo / "policies" / "lifecycle" / "pack.yaml").write_text(LIFECYCLE_PACK)
    write_config(repo, None)
    if content is None:
        with sqlite3.connect(repo / "mlflow.db") as db:
            db.execute("CREATE TABLE runs (run_uuid TEXT)")
        db.close()
    else:
        (repo / "mlflow.db").write_bytes(content)
    finding = promoted_findings(check(repo).result)[0]
    assert finding["status"] == "fail"
    assert finding["message"].startswith("sqlite:///mlflow.db: ")
    assert expected in finding["message"]


def test_malformed_file_store_entries_are_reported_not_skipped(
    repo_of: Callable[[str], Path],
) -> None:
    repo = repo_of("file")
    mlruns = repo / "mlruns"
    draft = mlruns / "models" / "draft-model" / "version-1" / "meta.yaml"
    draft.write_text("name: draft-model\nversion: [1,\n", encoding="utf-8")  # truncated
    credit = mlruns / "models" / "credit-model" / "meta.yaml"
    credit.write_bytes(b"\xef\xbb\xbf" + credit.read_bytes().replace(b"\n", b"\r\n"))  # BOM+CRLF
    candidate = next(p.parent.parent for p in mlruns.glob("*/*/params/data_owner"))
    auc = candidate / "metrics" / "auc"
    with auc.open("a", encoding="utf-8") as handle:
        # A malformed line, then a truncated last line in the old two-field format (step 0).
        handle.write("1795673387999 not-a-number 5\n1795673388000 0.5")
    outcome = check(repo)
    item = evidence_of(outcome)
    models = models_by_name(item.data)
    assert models["draft-model"]["versions"] == []  # left out, and said so below
    assert models["credit-model"]["production_version"] == 2  # BOM and CRLF read fine
    assert models["credit-model"]["production_run"]["metrics"]["auc"] == 0.86  # still step 1
    diagnostics = [(d.path, d.line, d.message) for d in outcome.collection.diagnostics]
    draft_rel = "mlruns/models/draft-model/version-1/meta.yaml"
    assert any(p == draft_rel and line == 3 and "malformed YAML" in m for p, line, m in diagnostics)
    auc_rel = auc.relative_to(repo).as_posix()
    # The whole list in the message: pytest shortens a long list's repr in the middle, which
    # once hid why this failed in a full-suite run (it passed alone).
    expected = (auc_rel, 3, "malformed metric line '1795673387999 not-a-number 5'; left out")
    assert expected in diagnostics, "\n".join(map(repr, diagnostics))
    assert len(diagnostics) == 2, "\n".join(map(repr, diagnostics))


def test_plugins_command_lists_the_distribution_and_version() -> None:
    code, stdout, _ = cli("-p", "mlflow", "plugins", "--format", "json")
    assert code == 0
    entry = next(p for p in json.loads(stdout) if p["name"] == "mlflow")
    assert entry["distribution"] == "govgate-mlflow"
    assert entry["version"] == dist_version("govgate-mlflow")
    assert entry["collectors"] == ["mlflow"]
    assert entry["evidence_kinds"] == [KIND]
    assert entry["builtin"] is False


def test_declared_kind_carries_schema_and_install_hint() -> None:
    (kind,) = MlflowCollector.kinds
    assert kind.schema is REGISTERED_MODELS_SCHEMA
    assert kind.install_hint == "pip install govgate-mlflow"
