"""`latest_check_run`: the newest recorded check run, as the dossier and the graph read it."""

from __future__ import annotations

from datetime import timedelta

from locker.harness import T1, check, fresh_collector, open_locker, registry_with

from govgate.core.config import load_config
from govgate.locker import latest_check_run


def test_no_locker_yet_is_no_run(notes_repo) -> None:
    repo = notes_repo()
    assert latest_check_run(repo.path, load_config(repo.path)) is None
    assert not (repo.path / ".govgate" / "locker.db").exists()  # reading creates nothing


def test_the_newest_check_with_its_id_hash_and_evidence(notes_repo) -> None:
    repo = notes_repo()
    registry = registry_with(fresh_collector())
    check(repo, registry, T1)
    (repo.path / "notes/b.txt").write_text("changed\n")
    outcome = check(repo, registry, T1 + timedelta(minutes=1))
    config = load_config(repo.path)

    latest = latest_check_run(repo.path, config)
    with_evidence = latest_check_run(repo.path, config, with_evidence=True)
    with open_locker(repo) as locker:
        shown = locker.show(2)
        cited = locker.run_evidence(2)

    assert latest is not None and with_evidence is not None
    assert (latest.seq, latest.hash) == (2, shown["hash"])
    assert latest.result["run"]["id"] == 2 and latest.result["run"]["hash"] == shown["hash"]
    assert latest.result == outcome.result  # the run's own document, id and hash included
    assert latest.evidence == ()
    assert [e.digest for e in with_evidence.evidence] == [e.digest for e in cited]
    assert with_evidence.result == latest.result
