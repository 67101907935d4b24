"""`latest_check_run`: the newest recorded check run, as the dossier and the graph read it."""

from __future__ import annotations

import zlib
from datetime import timedelta

import pytest
from locker.harness import T1, check, db, fresh_collector, open_locker, registry_with

from govgate.core.config import load_config
from govgate.locker import LockerError, latest_check_run


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


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        (
            ("UPDATE runs SET evidence_digests = 'not json' WHERE seq = 1", ()),
            "run 1: its evidence list was edited (not a JSON list of digests)",
        ),
        (
            ("UPDATE runs SET record = ? WHERE seq = 1", (b"\x78\x9c garbage",)),
            "run 1: its record was changed after it was stored (cannot be read)",
        ),
        (
            (
                "UPDATE runs SET record = ? WHERE seq = 1",
                (zlib.compress(b'{"command": "check", "result": {}, "evidence": "x"}'),),
            ),
            "run 1: its record's evidence citations cannot be read",
        ),
    ],
)
def test_a_tampered_run_is_named_not_a_crash(notes_repo, edit, said: str) -> None:
    # What the dossier reads back: an edited row stops it with one line naming the run.
    repo = notes_repo()
    check(repo, registry_with(fresh_collector()), T1)
    with db(repo) as conn:
        conn.execute(*edit)
    with pytest.raises(LockerError) as raised:
        latest_check_run(repo.path, load_config(repo.path), with_evidence=True)
    assert str(raised.value).endswith(f"{said}; run `govgate verify` to see what else changed")
