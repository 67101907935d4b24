"""Fixtures of the dossier's tests: a check of the loan-approval example, run once per session
(each render is slow enough without a run per module), with and without the rich evidence."""

from __future__ import annotations

import dataclasses
import shutil

import pytest
from outputs.dossier.harness import rich_extras, without_section_evidence

from govgate.outputs.dossier import DossierInput, dossier_input_from_outcome
from govgate.run.check import CheckOptions, run_check

from conftest import EXAMPLES, git


@pytest.fixture(scope="session")
def example_input(tmp_path_factory: pytest.TempPathFactory) -> DossierInput:
    """A check of the loan-approval example (in a git repository), as the dossier gets it.

    The environment is changed only while the check runs: a session fixture that kept it
    changed would leak into every later test."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOVGATE_DISABLE_PLUGIN_AUTOLOAD", "1")
        repo = tmp_path_factory.mktemp("dossier-lib") / "loan-approval"
        shutil.copytree(EXAMPLES / "loan-approval", repo, ignore=shutil.ignore_patterns(".govgate"))
        git(repo, "init", "-q", "-b", "main")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "example")
        # One pack keeps each render to a few pages (tests/cli/test_dossier.py renders them all).
        # `signoffs`: as for a dossier, the run collects the sign-off record from git.
        options = CheckOptions(
            root=repo, packs=["human-oversight"], use_locker=False, signoffs=True
        )
        outcome = run_check(options)
        return dossier_input_from_outcome(outcome, prepared_by="Audit Team")


@pytest.fixture(scope="session")
def rich_input(example_input: DossierInput) -> DossierInput:
    bare = without_section_evidence(example_input)
    return dataclasses.replace(bare, evidence=bare.evidence + rich_extras())
