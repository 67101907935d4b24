"""The plugin system as a third party meets it: real distributions found through entry points.

Each test builds a distribution in tmp_path (a module plus a `*.dist-info` folder with METADATA
and entry_points.txt) and puts it on sys.path, so `importlib.metadata` discovers it exactly as
it would discover a pip-installed one. Nothing is mocked: the CLI runs in-process with
autoload on (the autouse fixture turns it off; these tests turn it back on where they need it).
"""

from __future__ import annotations

import itertools
import json
import re
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from govgate.core.hookspecs import HOOK_NAMES

CliResult = Any  # tests/conftest.py's CliResult: exit_code, stdout, stderr

REPO_ROOT = Path(__file__).resolve().parents[2]
PLUGIN_DOCS = REPO_ROOT / "docs" / "plugins.md"

# A complete third-party plugin: one implementation of every hook govgate has. The placeholder
# PACKAGE is replaced by the package's unique name in each test.
FULL_PLUGIN = '''
"""acme: a third-party govgate plugin, as govgate's own tests install it."""

from pathlib import Path

from govgate import hookimpl
from govgate.core.collector import Collector, EvidenceKind
from govgate.core.reporter import Reporter

CARD_SCHEMA = {
    "type": "object",
    "required": ["model", "version"],
    "additionalProperties": False,
    "properties": {"model": {"type": "string"}, "version": {"type": "string"}},
}


class ModelVersionCollector(Collector):
    name = "acme"
    version = "1.2.3"
    kinds = (EvidenceKind(name="acme.model_card", collector="acme", schema=CARD_SCHEMA),)

    def input_patterns(self, ctx):
        return ["MODEL_VERSION"]

    def collect(self, ctx):
        for rel, path in ctx.iter_files(["MODEL_VERSION"]):
            model, _, version = path.read_text(encoding="utf-8").strip().partition("==")
            yield ctx.evidence(
                "acme.model_card", subject=rel, data={"model": model, "version": version},
                path=rel, line=1,
            )


def semver_ge(actual, expected):
    def parse(text):
        return tuple(int(part) for part in str(text).split("."))  # ValueError: not a version
    return parse(actual) >= parse(expected)


class FindingCountReporter(Reporter):
    name = "acme-count"
    filename = "acme-count.txt"

    def render(self, result):
        return f"{result['gate']} {len(result['findings'])}\\n"


@hookimpl
def govgate_collectors():
    return [ModelVersionCollector]


@hookimpl
def govgate_evidence_kinds():
    return [
        EvidenceKind(
            name="acme.serving_config",
            collector="config",
            paths=("serving.yaml",),
            schema={"type": "object", "required": ["replicas"]},
        )
    ]


@hookimpl
def govgate_operators():
    return {"semver_ge": semver_ge}


@hookimpl
def govgate_policy_packs():
    return [Path(__file__).parent / "acme-release"]


@hookimpl
def govgate_reporters():
    return [FindingCountReporter()]


@hookimpl
def govgate_aggregation_backends():
    return {"acme-local": lambda settings: object()}
'''

ACME_PACK = """\
pack: acme-release
version: 1.0.0
title: Acme release checks
params:
  min_version: {default: "2.0.0"}
requirements:
  - id: ACME-REQ
    title: Released models are current and served redundantly
    source: {framework: Acme, ref: "R-1"}
controls:
  - {id: ACME-1, title: The released model version is current, satisfies: [ACME-REQ]}
  - {id: ACME-2, title: Serving runs redundantly, satisfies: [ACME-REQ]}
rules:
  - id: ACME-1.version
    control: ACME-1
    title: The model version is at least min_version
    severity: high
    evidence: acme.model_card
    assert: {path: version, op: semver_ge, value: {param: min_version}}
    message: "{data.model} is at version {actual}, below {param.min_version}"
    remediation: "release {data.model} {param.min_version} or later"
  - id: ACME-2.replicas
    control: ACME-2
    title: At least two replicas
    severity: high
    evidence: acme.serving_config
    assert: {path: replicas, op: ge, value: 2}
    message: "{source.path} runs {actual} replica(s)"
    remediation: "set replicas: 2 or more in {source.path}"
"""

README_PACK = """\
pack: readme
version: 1.0.0
title: The repository has a README
requirements:
  - {id: DOC-REQ, title: Documented, source: {framework: House, ref: "1"}}
controls:
  - {id: DOC-1, title: A README exists, satisfies: [DOC-REQ]}
evidence_kinds:
  readme_file: {collector: files, paths: [README.md]}
rules:
  - id: DOC-1.readme
    control: DOC-1
    title: README.md exists
    severity: high
    evidence: readme_file
    assert: {path: count, op: ge, value: 1}
    message: "no README.md"
    remediation: "add a README.md"
"""

_counter = itertools.count()


@dataclass
class Installed:
    """A plugin distribution on sys.path: its entry point name, package and distribution."""

    entry_name: str
    package: str
    distribution: str
    version: str


@pytest.fixture
def install_plugin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Installed]]:
    """Build a plugin distribution in tmp_path and make importlib.metadata find it."""
    packages: list[str] = []

    def install(
        source: str,
        *,
        entry_name: str = "acme",
        distribution: str = "acme-govgate",
        version: str = "1.2.3",
        files: dict[str, str] | None = None,
    ) -> Installed:
        # A fresh package name per plugin: a module cached in sys.modules by an earlier test
        # must never stand in for this one.
        package = f"acme_govgate_{next(_counter)}_{tmp_path.name[-12:].replace('-', '_')}"
        package = re.sub(r"\W", "_", package)
        site = tmp_path / f"site-{package}"
        (site / package).mkdir(parents=True)
        (site / package / "__init__.py").write_text(textwrap.dedent(source), encoding="utf-8")
        for rel, content in (files or {}).items():
            target = site / package / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
        info = site / f"{distribution.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n", encoding="utf-8"
        )
        (info / "entry_points.txt").write_text(
            f"[govgate]\n{entry_name} = {package}\n", encoding="utf-8"
        )
        monkeypatch.syspath_prepend(str(site))
        packages.append(package)
        return Installed(entry_name, package, distribution, version)

    yield install
    for package in packages:
        sys.modules.pop(package, None)


@pytest.fixture
def autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    """Entry-point discovery on, as on a user's machine."""
    monkeypatch.delenv("GOVGATE_DISABLE_PLUGIN_AUTOLOAD", raising=False)


def full_plugin(install_plugin: Callable[..., Installed]) -> Installed:
    return install_plugin(FULL_PLUGIN, files={"acme-release/pack.yaml": ACME_PACK})


def plugin_list(run_cli: Callable[..., CliResult], *options: str) -> dict[str, dict[str, object]]:
    result = run_cli(*options, "plugins", "--format", "json")
    assert result.exit_code == 0, result.stderr
    return {entry["name"]: entry for entry in json.loads(result.stdout)}


def statuses(result: CliResult) -> dict[str, str]:
    return {f["rule"]: f["status"] for f in json.loads(result.stdout)["findings"]}


@pytest.fixture
def acme_plugin(install_plugin: Callable[..., Installed], autoload: None) -> Installed:
    """The full plugin installed, autoload on."""
    return full_plugin(install_plugin)


@pytest.fixture
def acme_repo(make_repo: Callable[..., Any]) -> Path:
    repo = make_repo(
        {
            "govgate.yaml": "version: 1\nsystem: {name: credit, risk: high}\n"
            "packs: [acme-release]\n",
            "MODEL_VERSION": "credit==2.1.0\n",
            "serving.yaml": "replicas: 3\n",
        }
    )
    return repo.path


@pytest.fixture
def readme_repo(make_repo: Callable[..., Any]) -> Path:
    repo = make_repo(
        {
            "govgate.yaml": "version: 1\nsystem: {name: docs, risk: minimal}\n"
            "packs: [./policies/readme]\n",
            "policies/readme/pack.yaml": README_PACK,
            "README.md": "# docs\n",
        }
    )
    return repo.path


@pytest.fixture
def check_with_plugin(
    install_plugin: Callable[..., Installed],
    run_cli: Callable[..., CliResult],
    autoload: None,
    readme_repo: Path,
) -> Callable[..., CliResult]:
    """Install a plugin from its source, autoload on, and run `govgate check OPTIONS` on the
    README repository."""

    def check(source: str, *options: str) -> CliResult:
        install_plugin(source)
        return run_cli("check", readme_repo, *options)

    return check


# -- documentation and coverage of every hook -------------------------------------------------


def test_every_hook_has_a_documentation_section_and_a_test() -> None:
    assert HOOK_NAMES, "govgate.core.hookspecs.HOOK_NAMES is empty"
    headings = set(re.findall(r"^## (\S+)\s*$", PLUGIN_DOCS.read_text(encoding="utf-8"), re.M))
    undocumented = [name for name in HOOK_NAMES if name not in headings]
    assert not undocumented, f"docs/plugins.md has no '## NAME' section for {undocumented}"
    # "Tested" means: the plugin these tests install implements the hook and a test runs it.
    untested = [name for name in HOOK_NAMES if f"def {name}(" not in FULL_PLUGIN]
    assert not untested, f"no test plugin implements {untested}"


def test_full_plugin_contributes_through_every_hook(
    install_plugin: Callable[..., Installed], run_cli: Callable[..., CliResult], autoload: None
) -> None:
    plugin = full_plugin(install_plugin)
    entry = plugin_list(run_cli)["acme"]
    assert entry["distribution"] == "acme-govgate"
    assert entry["version"] == "1.2.3"
    assert entry["builtin"] is False
    assert entry["hooks"] == sorted(HOOK_NAMES)
    assert entry["collectors"] == ["acme"]
    assert entry["evidence_kinds"] == ["acme.model_card", "acme.serving_config"]
    assert entry["operators"] == ["semver_ge"]
    assert entry["packs"] == ["acme-release"]
    assert entry["reporters"] == ["acme-count"]
    assert entry["backends"] == ["acme-local"]
    text = run_cli("plugins")
    assert f"acme ({plugin.distribution} {plugin.version})" in text.stdout


# -- a plugin that is broken fails the run, naming itself --------------------------------------


BROKEN_PLUGINS = [
    pytest.param(
        "import acme_internal_sdk  # not installed on this machine\n",
        (),
        (
            "govgate: error: plugin 'acme' (distribution acme-govgate 1.2.3) failed to import: "
            "ModuleNotFoundError: No module named 'acme_internal_sdk'",
        ),
        id="fails-to-import",
    ),
    pytest.param(
        """
        from govgate import hookimpl

        @hookimpl
        def govgate_colectors():
            return []
        """,
        (),
        ("govgate: error: plugin 'acme' is invalid", "govgate_colectors"),
        id="misspelled-hook",
    ),
    pytest.param(
        """
        from govgate import hookimpl

        @hookimpl
        def govgate_collectors():
            raise RuntimeError("licence server unreachable")
        """,
        (),
        ("plugin 'acme' failed in govgate_collectors: RuntimeError: licence server unreachable",),
        id="raises-in-a-hook",
    ),
    # The hook returns a generator: reading it runs plugin code after the hook returned.
    pytest.param(
        """
        import sys
        from govgate import hookimpl

        def _reporters():
            sys.exit(0)
            yield

        @hookimpl
        def govgate_reporters():
            return _reporters()
        """,
        ("--no-locker",),
        ("plugin 'acme' failed in govgate_reporters: SystemExit(0)",),
        id="exits-half-way-through-its-result",
    ),
]


@pytest.mark.parametrize(("source", "options", "messages"), BROKEN_PLUGINS)
def test_a_broken_plugin_fails_the_run_naming_itself(
    source: str,
    options: tuple[str, ...],
    messages: tuple[str, ...],
    check_with_plugin: Callable[..., CliResult],
    run_cli: Callable[..., CliResult],
) -> None:
    result = check_with_plugin(source, *options)
    assert result.exit_code == 1
    for message in messages:
        assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert run_cli("plugins").exit_code == 1  # listing plugins must not hide it either


# -- a working plugin's collector, operator, pack and reporter in a real run ------------------


def test_pack_uses_the_plugins_collector_operator_and_reporter(
    acme_plugin: Installed, run_cli: Callable[..., CliResult], acme_repo: Path
) -> None:
    passing = run_cli("check", acme_repo, "--format", "json", "--no-locker")
    assert passing.exit_code == 0, passing.stderr
    assert statuses(passing) == {"ACME-1.version": "pass", "ACME-2.replicas": "pass"}
    document = json.loads(passing.stdout)
    collectors = {c["name"]: c["status"] for c in document["collectors"]}
    assert collectors == {"acme": "ok", "config": "ok"}

    (acme_repo / "MODEL_VERSION").write_text("credit==1.9.0\n", encoding="utf-8")
    (acme_repo / "serving.yaml").write_text("replicas: 1\n", encoding="utf-8")
    failing = run_cli("check", acme_repo, "--format", "json", "--no-locker")
    assert failing.exit_code == 1
    findings = {f["rule"]: f for f in json.loads(failing.stdout)["findings"]}
    assert findings["ACME-1.version"]["status"] == "fail"
    assert findings["ACME-1.version"]["message"] == "credit is at version 1.9.0, below 2.0.0"
    assert findings["ACME-1.version"]["location"] == {"path": "MODEL_VERSION", "line": 1}
    assert findings["ACME-2.replicas"]["message"] == "serving.yaml runs 1 replica(s)"

    counted = run_cli("check", acme_repo, "--format", "acme-count", "--no-locker")
    assert (counted.exit_code, counted.stdout) == (1, "fail 2\n")

    # The operator cannot compare a non-version: an error naming it, never a pass.
    (acme_repo / "MODEL_VERSION").write_text("credit==latest\n", encoding="utf-8")
    erroring = run_cli("check", acme_repo, "--format", "json", "--no-locker")
    assert erroring.exit_code == 1
    version_finding = next(
        f for f in json.loads(erroring.stdout)["findings"] if f["rule"] == "ACME-1.version"
    )
    assert version_finding["status"] == "error"
    assert "semver_ge" in version_finding["message"]


# -- choosing plugins: -p no:NAME, GOVGATE_DISABLE_PLUGIN_AUTOLOAD, -p NAME --------------------


def test_a_misspelt_block_is_a_usage_error_and_a_short_built_in_name_blocks(
    run_cli: Callable[..., CliResult],
) -> None:
    # `-p no:NAME` that matches nothing used to block nothing and say nothing
    misspelt = run_cli("-p", "no:documentz", "plugins")
    assert misspelt.exit_code == 2
    assert "-p no:documentz: no plugin of that name (installed: " in misspelt.stderr
    assert "govgate_collectors.documents" in misspelt.stderr
    assert "govgate_collectors.documents" in plugin_list(run_cli)
    for name in ("documents", "govgate_collectors.documents"):
        assert "govgate_collectors.documents" not in plugin_list(run_cli, "-p", f"no:{name}")


def test_blocking_a_plugin_keeps_it_from_loading(
    install_plugin: Callable[..., Installed],
    run_cli: Callable[..., CliResult],
    autoload: None,
    readme_repo: Path,
    acme_repo: Path,
) -> None:
    install_plugin("import acme_internal_sdk\n")
    blocked = run_cli("-p", "no:acme", "check", readme_repo, "--no-locker")
    assert blocked.exit_code == 0, blocked.stderr  # never imported, so its import error is moot
    assert "acme" not in plugin_list(run_cli, "-p", "no:acme")

    missing_pack = run_cli("-p", "no:acme", "check", acme_repo, "--no-locker")
    assert missing_pack.exit_code == 2
    assert "unknown pack 'acme-release'" in missing_pack.stderr


def test_disabled_autoload_ignores_plugins_unless_named(
    install_plugin: Callable[..., Installed],
    run_cli: Callable[..., CliResult],
    acme_repo: Path,
) -> None:
    full_plugin(install_plugin)  # the autouse fixture has GOVGATE_DISABLE_PLUGIN_AUTOLOAD=1
    assert "acme" not in plugin_list(run_cli)
    ignored = run_cli("check", acme_repo, "--no-locker")
    assert ignored.exit_code == 2
    assert "unknown pack 'acme-release'" in ignored.stderr

    named = plugin_list(run_cli, "-p", "acme")
    assert (named["acme"]["distribution"], named["acme"]["version"]) == ("acme-govgate", "1.2.3")
    loaded = run_cli("-p", "acme", "check", acme_repo, "--no-locker")
    assert loaded.exit_code == 0, loaded.stderr

    unknown = run_cli("-p", "acme-typo", "plugins")
    assert unknown.exit_code == 2
    assert "-p acme-typo: no plugin of that name" in unknown.stderr


# -- a pack whose collector comes from a plugin that is not there -----------------------------

LIFECYCLE_PACK = """\
pack: lifecycle
version: 1.0.0
title: Model lifecycle
evidence_kinds:
  mlflow.registered_models:
    collector: mlflow
    install: pip install govgate-mlflow
requirements:
  - {id: LC-REQ, title: Production models are traceable, source: {framework: House, ref: "2"}}
controls:
  - {id: LC-1, title: A version is in production, satisfies: [LC-REQ]}
rules:
  - id: LC-1.promoted
    control: LC-1
    title: Every registered model has a production version
    severity: high
    evidence: mlflow.registered_models
    for_each: "models"
    assert: {path: item.production_version, op: exists}
    message: "{item.name} has no production version"
    remediation: "set the production alias on a version of {item.name}"
"""


def test_rule_needing_an_uninstalled_plugin_names_the_collector_and_the_install(
    run_cli: Callable[..., CliResult], autoload: None, make_repo: Callable[..., Any]
) -> None:
    repo = make_repo(
        {
            "govgate.yaml": "version: 1\nsystem: {name: credit, risk: high}\n"
            "packs: [./policies/lifecycle]\n",
            "policies/lifecycle/pack.yaml": LIFECYCLE_PACK,
        }
    ).path
    # Blocked, whether or not govgate-mlflow happens to be installed in this environment.
    result = run_cli("-p", "no:mlflow", "check", repo, "--format", "json", "--no-locker")
    assert result.exit_code == 1
    (finding,) = json.loads(result.stdout)["findings"]
    assert finding["status"] == "fail"
    assert finding["message"] == (
        "evidence kind 'mlflow.registered_models' is produced by collector 'mlflow', "
        "which is not installed"
    )
    assert finding["remediation"] == "pip install govgate-mlflow"
    # The report says how to install it once, on its fix line.
    text = run_cli("-p", "no:mlflow", "check", repo, "--no-locker").stderr
    assert text.count("pip install govgate-mlflow") == 1
    assert "       fix: pip install govgate-mlflow\n" in text
    runs = json.loads(result.stdout)["collectors"]
    assert [(r["name"], r["status"]) for r in runs] == [("mlflow", "missing")]


def test_pack_naming_the_install_hint_still_loads_when_the_plugin_is_installed(
    acme_plugin: Installed, run_cli: Callable[..., CliResult], acme_repo: Path
) -> None:
    (acme_repo / "policies" / "own").mkdir(parents=True)
    (acme_repo / "policies" / "own" / "pack.yaml").write_text(
        ACME_PACK.replace("pack: acme-release", "pack: own").replace(
            "rules:",
            "evidence_kinds:\n  acme.model_card: {collector: acme, install: pip install acme}\n"
            "rules:",
        ),
        encoding="utf-8",
    )
    (acme_repo / "govgate.yaml").write_text(
        "version: 1\nsystem: {name: credit, risk: high}\npacks: [./policies/own]\n",
        encoding="utf-8",
    )
    result = run_cli("check", acme_repo, "--no-locker")
    assert result.exit_code == 0, result.stderr


# -- plugin code never decides the exit code, nor a verdict by breaking its contract ----------


@pytest.mark.parametrize("filename", ["../../escape.txt", "sub/name.txt", "", "..", None])
def test_a_reporter_file_name_must_stay_inside_the_output_folder(
    filename: str | None,
    check_with_plugin: Callable[..., CliResult],
) -> None:
    result = check_with_plugin(
        f"""
        from govgate import hookimpl
        from govgate.core.reporter import Reporter

        class Escaping(Reporter):
            name = "escaping"
            filename = {filename!r}

            def render(self, result):
                return "x"

        @hookimpl
        def govgate_reporters():
            return [Escaping()]
        """,
        "--no-locker",
    )
    assert result.exit_code == 1
    assert "plugin 'acme': output format 'escaping' has filename" in result.stderr
    assert "it must be a plain file name (written inside --output-dir)" in result.stderr


def test_a_broken_operator_in_where_is_an_error_not_a_dropped_item(
    check_with_plugin: Callable[..., CliResult], readme_repo: Path
) -> None:
    # A `where` filter drops items it cannot compare; an operator returning "false" (a
    # truthy string) must not silently drop them all, leaving a not-applicable rule.
    pack = README_PACK.replace(
        "    evidence: readme_file\n",
        "    evidence: {kind: readme_file, where: {path: count, op: is_readme, value: 1}}\n"
        "    on_missing: not_applicable\n",
    )
    (readme_repo / "policies" / "readme" / "pack.yaml").write_text(pack, encoding="utf-8")
    result = check_with_plugin(
        """
        from govgate import hookimpl

        @hookimpl
        def govgate_operators():
            return {"is_readme": lambda actual, expected: "false"}
        """,
        "--no-locker",
        "--format",
        "json",
    )
    assert result.exit_code == 1, result.stderr
    (finding,) = json.loads(result.stdout)["findings"]
    assert finding["status"] == "error"
    assert finding["message"].startswith("cannot evaluate where: count is_readme: operator ")
    assert "returned 'false' (str), not True or False" in finding["message"]
