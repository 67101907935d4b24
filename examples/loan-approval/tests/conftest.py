"""Record each test's category (its marker) as a JUnit property, for the test-report reader."""

from __future__ import annotations

from collections.abc import Callable

import pytest

CATEGORIES = ("resilience", "adversarial", "edge_case", "override")


@pytest.fixture(autouse=True)
def _category(
    request: pytest.FixtureRequest, record_property: Callable[[str, object], None]
) -> None:
    for name in CATEGORIES:
        if request.node.get_closest_marker(name) is not None:
            record_property("category", name)
