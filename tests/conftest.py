"""Shared fixtures: run the CLI in-process, build throwaway git repositories, copy examples.

Like pytest's `pytester`, repositories are built at test time (never a committed `.git`), with
the defects real repositories have when a test needs them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from gates_pack import FAILING, gates_files

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = REPO_ROOT / "examples"


#: Tests left out of the fast lane (`make test-fast`, `-m "not slow"`) by name: each took a
#: second or more. They live in modules being reorganised; once those settle, each test (or
#: module) carries `@pytest.mark.slow` itself and its name leaves this list.
SLOW_BY_NAME = frozenset(
    {
        # the dossier, besides the tests of SLOW_FIXTURES
        "test_writes_a_pdf_and_says_what_it_embedded",
        "test_text_holds_every_requirement_of_the_enabled_packs",
        "test_custom_templates_override_partials_and_remote_urls_are_refused",
        "test_second_dossier_reports_the_locker_run_and_verify_compares_with_it",
        "test_verify_passes_then_fails_on_an_altered_attachment",
        "test_repository_content_is_literal_text_and_nothing_outside_was_fetched",
        "test_a_fresh_dossier_verifies",
        # govgate graph / trace / impact / coverage on the example
        "test_trace_gdpr_22_lists_controls_rules_evidence_and_files_with_statuses",
        "test_graph_json_links_the_decision_log_summary_to_each_log_file",
        "test_trace_a_file_from_outside_the_repository_finds_the_repository",
        "test_impact_of_the_oversight_file_names_human_oversight_and_nothing_unrelated",
        "test_trace_gdpr_22_lists_the_decision_logs_its_summary_was_read_from",
        "test_graph_exports",
        "test_trace_json_is_node_link_data_that_networkx_reads_back",
        "test_impact_with_repo_reads_repository_paths_and_deleted_files",
        "test_trace_of_a_file_that_nothing_reads_says_so",
        "test_trace_of_an_unknown_id_is_a_usage_error_with_a_suggestion",
        "test_impact_of_a_folder_covers_its_files",
        "test_impact_refuses_paths_outside_the_repository",
        "test_impact_of_unrelated_files_says_nothing_depends_on_them",
        "test_coverage_of_the_example_has_no_gaps_in_human_oversight",
        # the CLI over every shipped pack or every format
        "test_policy_test_passes_on_shipped_packs_and_fails_on_wrong_expectation",
        "test_exit_codes_are_the_same_whatever_the_format",
        "test_check_example_is_mixed_and_fails_the_gate",
        "test_policy_lint_clean_on_shipped_packs",
        "test_policy_test_strict_both_ways",
        "test_output_dir_writes_every_format_with_fixed_names",
        "test_the_warm_hook_path_imports_none_of_the_heavy_modules",
        "test_one_page_per_builtin_pack_and_identical_bytes_every_time",
        # reporters: schema validation of OSCAL and SARIF, 20,000 findings
        "test_the_schema_check_rejects_what_oscal_forbids",
        "test_evidence_observations_point_at_hashed_resources",
        "test_the_reference_check_catches_what_it_looks_for",
        "test_all_formats_in_one_run_with_fixed_names_and_the_same_exit_code",
        "test_run_metadata_notifications_and_provenance",
        "test_the_schema_check_rejects_what_sarif_forbids",
        "test_twenty_thousand_findings_stay_under_the_limit_most_severe_first",
    }
)


#: Fixtures that render a PDF dossier (seconds each): every test using one is slow too, or the
#: fast lane would merely move the rendering to the next test that needs it.
SLOW_FIXTURES = frozenset({"rendered", "rich_pdf", "made"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    collected = set()
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        name = getattr(item, "originalname", None)
        collected.add(name)
        if name in SLOW_BY_NAME or fixtures & SLOW_FIXTURES:
            item.add_marker(pytest.mark.slow)
    check_slow_names(SLOW_BY_NAME - collected)


_TEST_DEF = re.compile(r"^[ \t]*(?:async[ \t]+)?def (test_\w+)\(", re.MULTILINE)


def check_slow_names(not_collected: Iterable[str], root: Path = REPO_ROOT / "tests") -> None:
    """Stop the session at collection when a SLOW_BY_NAME entry names no test: a renamed test
    would silently join the fast lane. A test this run did not collect (a run of one file, say)
    is looked for in every test module under `root`."""
    missing = set(not_collected)
    if not missing:
        return
    for module in root.rglob("test_*.py"):
        missing -= set(_TEST_DEF.findall(module.read_text(encoding="utf-8")))
        if not missing:
            return
    raise pytest.UsageError(
        f"tests/conftest.py SLOW_BY_NAME names {', '.join(sorted(missing))}, but no test of "
        "that name exists: remove the entry, or mark the renamed test @pytest.mark.slow"
    )


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@pytest.fixture(autouse=True)
def _isolated_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see only govgate's built-ins unless they install or load a plugin themselves."""
    monkeypatch.setenv("GOVGATE_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.fixture(autouse=True)
def _isolated_cache_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """Each test has its own user cache directory (the cache key), outside its repositories,
    never the real one in ~/.cache."""
    folder = tmp_path_factory.mktemp("user-cache")
    monkeypatch.setenv("GOVGATE_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def run_cli() -> Callable[..., CliResult]:
    """Run `govgate ARGS...` in-process and capture exit code, stdout and stderr separately."""
    from govgate.cli.main import main

    def invoke(*args: str | os.PathLike[str], input: str | None = None) -> CliResult:
        runner = CliRunner()
        result = runner.invoke(main, [str(a) for a in args], input=input, catch_exceptions=False)
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return invoke


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run git in `repo` with a fixed identity and no user/system config."""
    full_env = {
        **os.environ,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "Test Author",
        "GIT_AUTHOR_EMAIL": "author@example.invalid",
        "GIT_COMMITTER_NAME": "Test Author",
        "GIT_COMMITTER_EMAIL": "author@example.invalid",
        **(env or {}),
    }
    out = subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=full_env
    )
    return out.stdout


@dataclass
class RepoBuilder:
    """A throwaway git repository: write files, commit them, branch."""

    path: Path

    def write(self, files: dict[str, str | bytes]) -> RepoBuilder:
        for rel, content in files.items():
            target = self.path / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
        return self

    def commit(self, message: str = "change", *, env: dict[str, str] | None = None) -> str:
        git(self.path, "add", "-A")
        git(self.path, "commit", "-q", "--allow-empty", "-m", message, env=env)
        return git(self.path, "rev-parse", "HEAD").strip()

    def git(self, *args: str) -> str:
        return git(self.path, *args)


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., RepoBuilder]:
    """Factory: make_repo({"govgate.yaml": "...", ...}, commit=True) -> RepoBuilder."""
    counter = iter(range(1000))

    def build(
        files: dict[str, str | bytes] | None = None, *, commit: bool = True, init: bool = True
    ) -> RepoBuilder:
        path = tmp_path / f"repo{next(counter)}"
        path.mkdir()
        builder = RepoBuilder(path)
        if init:
            git(path, "init", "-q", "-b", "main")
        if files:
            builder.write(files)
        if init and commit:
            builder.commit("initial")
        return builder

    return build


@pytest.fixture
def gates_repo(make_repo: Callable[..., RepoBuilder]) -> Callable[..., RepoBuilder]:
    """Factory: a committed repository of the "gates" test pack (tests/gates_pack.py),
    gates_repo(gates=FAILING, owned=False, config=CONFIG, files={more files})."""

    def build(
        gates: str = FAILING,
        *,
        owned: bool = False,
        config: str | None = None,
        files: dict[str, str | bytes] | None = None,
    ) -> RepoBuilder:
        made = gates_files(gates, owned=owned, **({"config": config} if config else {}))
        return make_repo({**made, **(files or {})})

    return build


@pytest.fixture
def example_repo(tmp_path: Path) -> Callable[[str], Path]:
    """Copy examples/NAME into a fresh git repository and return its path."""

    def copy(name: str = "loan-approval") -> Path:
        target = tmp_path / name
        shutil.copytree(EXAMPLES / name, target, ignore=shutil.ignore_patterns(".govgate"))
        git(target, "init", "-q", "-b", "main")
        git(target, "add", "-A")
        git(target, "commit", "-q", "-m", "example")
        return target

    return copy


@pytest.fixture
def chdir(tmp_path: Path) -> Iterator[Path]:
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(old)
