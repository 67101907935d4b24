"""tests/conftest.py's slow lane by name: an entry naming no test stops the session at
collection, so a renamed slow test cannot slip into the fast lane unnoticed."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import SLOW_BY_NAME, check_slow_names


def test_a_name_no_test_has_stops_the_session(tmp_path: Path) -> None:
    (tmp_path / "test_a.py").write_text("def test_kept():\n    pass\n\nasync def test_b():\n")
    with pytest.raises(pytest.UsageError) as raised:
        check_slow_names({"test_kept", "test_b", "test_renamed_away", "test_gone"}, tmp_path)
    assert str(raised.value) == (
        "tests/conftest.py SLOW_BY_NAME names test_gone, test_renamed_away, but no test of that "
        "name exists: remove the entry, or mark the renamed test @pytest.mark.slow"
    )
    check_slow_names({"test_kept", "test_b"}, tmp_path)  # not collected here, but defined


def test_every_slow_name_is_a_test_of_this_suite() -> None:
    check_slow_names(SLOW_BY_NAME)  # as the session does for the names it did not collect
    assert "test_a_dirty_working_tree_is_flagged_and_the_locker_dossier_warns" not in SLOW_BY_NAME
