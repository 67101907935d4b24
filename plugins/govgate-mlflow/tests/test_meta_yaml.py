"""The file store's meta.yaml files read as written: MLflow writes them with PyYAML's YAML 1.1
dumper, and people and other tools edit them by hand. A model named `on` is not True, an
experiment named `1:30` is not 90, and a model named `1e5`, which that dumper leaves unquoted,
is not 100000.0."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from govgate_mlflow.stores import FileStoreReader, LocalFiles

RUN_ID = "0123456789abcdef0123456789abcdef"


def dump(path: Path, data: dict[str, Any]) -> None:
    """Write meta.yaml as MLflow's FileStore does (yaml.safe_dump, block style)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, default_flow_style=False), encoding="utf-8")


def store(root: Path, names: list[str]) -> None:
    mlruns = root / "mlruns"
    dump(
        mlruns / "1/meta.yaml", {"experiment_id": "1", "name": "1:30", "lifecycle_stage": "active"}
    )
    dump(
        mlruns / f"1/{RUN_ID}/meta.yaml",
        {"run_id": RUN_ID, "experiment_id": "1", "status": 3, "lifecycle_stage": "active",
         "start_time": 1795673387000, "end_time": 1795673388000},
    )  # fmt: skip
    for name in names:
        dump(
            mlruns / f"models/{name}/meta.yaml", {"name": name, "creation_timestamp": 1795673389000}
        )
        dump(
            mlruns / f"models/{name}/version-1/meta.yaml",
            {"name": name, "version": 1, "current_stage": "Production", "run_id": RUN_ID,
             "source": f"runs:/{RUN_ID}/model", "status": "READY"},
        )  # fmt: skip


def read(root: Path) -> tuple[FileStoreReader, list[tuple[Any, ...]]]:
    problems: list[tuple[Any, ...]] = []
    return FileStoreReader(LocalFiles(root), "mlruns", lambda *p: problems.append(p)), problems


def test_names_mlflow_writes_are_read_as_the_text_they_are(tmp_path: Path) -> None:
    names = ["on", "no", "1e5", "0o17", "010", "1_000", "null-model"]
    store(tmp_path, names)
    reader, problems = read(tmp_path)
    models = reader.registered_models()
    assert sorted(m.name for m in models) == sorted(names)
    assert all(m.versions[0].version == 1 for m in models)
    assert all(m.creation_time == 1795673389000 for m in models)
    run = reader.run(RUN_ID)
    assert run is not None
    assert (run.experiment_name, run.status, run.start_time) == ("1:30", "FINISHED", 1795673387000)
    assert problems == []


def test_hand_edited_meta_yaml_is_read_as_written(tmp_path: Path) -> None:
    store(tmp_path, ["placeholder"])
    edited = tmp_path / "mlruns/models/placeholder"
    (edited / "meta.yaml").write_text("name: on\ncreation_timestamp: 1795673389000\n")
    (edited / "version-1/meta.yaml").write_text(
        f"name: on\nversion: 1\ncurrent_stage: yes\nrun_id: {RUN_ID}\nsource: no\nstatus: READY\n"
    )
    (tmp_path / "mlruns/1/meta.yaml").write_text("experiment_id: '1'\nname: 1:30\n")
    reader, problems = read(tmp_path)
    [model] = reader.registered_models()
    assert model.name == "on"
    [version] = model.versions
    assert (version.stage, version.source) == ("yes", "no")
    assert reader.run(RUN_ID).experiment_name == "1:30"  # type: ignore[union-attr]
    assert problems == []


def test_a_duplicate_key_is_reported_with_its_line_not_silently_won(tmp_path: Path) -> None:
    store(tmp_path, ["credit-model"])
    meta = tmp_path / "mlruns/models/credit-model/version-1/meta.yaml"
    meta.write_text(meta.read_text() + "current_stage: Archived\n")
    reader, problems = read(tmp_path)
    [model] = reader.registered_models()
    assert model.versions == []  # left out, and said so
    [(path, line, message)] = problems
    assert path == "mlruns/models/credit-model/version-1/meta.yaml"
    assert line == 7 and message.startswith("malformed YAML (") and "duplicate key" in message
