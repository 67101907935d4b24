"""The `govgate` group itself: what an unexpected exception becomes (exit 3, traceback)."""

from __future__ import annotations


def test_internal_error_is_exit_3_with_traceback(run_cli, make_repo, monkeypatch) -> None:
    import govgate.run.check

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(govgate.run.check, "evaluate_collection", broken)
    repo = make_repo({"govgate.yaml": "system: {name: d, risk: high}\npacks: [human-oversight]\n"})
    from click.testing import CliRunner

    from govgate.cli.main import main

    result = CliRunner().invoke(main, ["check", str(repo.path), "--no-locker"])
    assert result.exit_code == 3
    assert "ZeroDivisionError: a bug" in result.stderr
    assert "internal error (a bug in govgate" in result.stderr
