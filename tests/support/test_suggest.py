"""support.suggest: the one "did you mean" every unknown-name error uses."""

from __future__ import annotations

from govgate.support.suggest import closest, did_you_mean


def test_a_near_name_is_suggested_in_quotes() -> None:
    assert did_you_mean("humna-oversight", ["gdpr", "human-oversight"]) == (
        "; did you mean 'human-oversight'?"
    )


def test_nothing_close_suggests_nothing() -> None:
    assert did_you_mean("zzzz", ["gdpr", "human-oversight"]) == ""


def test_closest_lists_the_best_first_up_to_n() -> None:
    assert closest("HO-1", ["HO-2", "HO-1x", "GD-6"], n=2) == ["HO-1x", "HO-2"]
