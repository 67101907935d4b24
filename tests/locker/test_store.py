"""Recording runs: each check a run chained to the one before, its record what an auditor
asks for, its evidence stored once."""

from __future__ import annotations

from datetime import timedelta

from locker.harness import (
    T1,
    check,
    db,
    fresh_collector,
    open_locker,
    registry_with,
)

from govgate.core.evidence import format_timestamp
from govgate.locker.chain import GENESIS_HASH, chain_hash


def test_each_check_is_a_chained_run_and_evidence_is_stored_once(notes_repo) -> None:
    repo = notes_repo()
    registry = registry_with(fresh_collector())
    outcomes = [check(repo, registry, T1 + timedelta(minutes=i)) for i in range(3)]

    assert [o.result["run"]["id"] for o in outcomes] == [1, 2, 3]
    with open_locker(repo) as locker:
        runs = locker.runs()
        shown = [locker.show(run.seq) for run in runs]
        assert locker.verify().ok
    assert [r.seq for r in runs] == [1, 2, 3]
    assert shown[0]["prev_hash"] == GENESIS_HASH
    assert shown[1]["prev_hash"] == shown[0]["hash"]
    assert shown[2]["prev_hash"] == shown[1]["hash"]
    for run, outcome in zip(shown, outcomes, strict=True):
        assert outcome.result["run"]["hash"] == run["hash"]
        assert run["hash"] == chain_hash(
            run["prev_hash"], run["evidence_digests"], run["results_digest"]
        )
    # Two notes, cited by three runs, stored once each.
    with db(repo) as conn:
        assert conn.execute("SELECT count(*) FROM evidence").fetchone()[0] == 2
        assert conn.execute("SELECT count(*) FROM run_evidence").fetchone()[0] == 6


def test_a_run_records_what_an_auditor_asks_for(notes_repo) -> None:
    repo = notes_repo()
    outcome = check(repo, registry_with(fresh_collector()), fail_on="medium")
    with open_locker(repo) as locker:
        record = locker.show(1)["record"]

    assert record["command"] == "check"
    assert record["tool"]["name"] == "govgate" and record["tool"]["version"]
    assert record["started_at"] <= record["finished_at"]
    assert record["target"] == outcome.result["target"]
    assert record["packs"] == [
        {"name": "notes", "version": "1.0.0", "digest": outcome.policy_set.packs["notes"].digest}
    ]
    assert record["parameters"]["fail_on"] == "medium"
    assert record["parameters"]["evaluated_at"] == "2026-03-02T09:00:00Z"
    assert [(e["subject"], e["collected_at"]) for e in record["evidence"]] == [
        ("notes/a.txt", "2026-03-02T09:00:00Z"),
        ("notes/b.txt", "2026-03-02T09:00:00Z"),
    ]
    assert "data" not in record["evidence"][0]  # content lives once, in the evidence table
    assert record["result"]["gate"] == "pass"
    assert record["result"]["summary"]["pass"] == 2


def test_run_record_is_json_compatible_with_the_result(notes_repo) -> None:
    repo = notes_repo()
    outcome = check(repo, registry_with(fresh_collector()))
    with open_locker(repo) as locker:
        record = locker.show(outcome.result["run"]["id"])["record"]
    stored = dict(record["result"]["run"])
    assert stored == {
        "started_at": outcome.result["run"]["started_at"],
        "finished_at": outcome.result["run"]["finished_at"],
    }  # the record holds the result as evaluated; its id and hash come from the chain
    assert format_timestamp(T1) == record["parameters"]["evaluated_at"]
