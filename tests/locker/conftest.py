"""Fixtures of the locker's tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from locker.harness import CONFIG, PACK

from conftest import RepoBuilder


@pytest.fixture
def notes_repo(make_repo: Callable[..., RepoBuilder]) -> Callable[..., RepoBuilder]:
    def build(pack: str = PACK, config: str = CONFIG) -> RepoBuilder:
        return make_repo(
            {
                "govgate.yaml": config,
                "packs/notes/pack.yaml": pack,
                "notes/a.txt": "first decision\nsecond decision\n",
                "notes/b.txt": "one line\n",
            }
        )

    return build
