"""Budget rounds in the store, on SQLite and PostgreSQL: the database re-checks what Python
checks (open round, single-use codes, budget, points, picks, frozen settings)."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError

from toolkit.errors import StoreError
from toolkit.store import open_store
from toolkit.store.rounds import BallotRefused

SETTINGS = dict(
    name="锦绣花园共有收益分配", fund="共有资金", budget_fen=300_000_00, ballot_type="knapsack", min_picks=1, max_picks=3,
    min_spend_fen=0, points_total=0, points_cap=0, rule="greedy-votes", voter_unit="code", change_policy="none",
)
PROJECTS = [
    dict(project_id="A", name="充电棚", name_en="Charging shed", cost_fen=180_000_00, description="在大门西侧建充电棚"),
    dict(project_id="B", name="凉亭", name_en="Pavilion", cost_fen=66_000_00, description="院坝凉亭"),
    dict(project_id="C", name="文化墙", name_en="Culture wall", cost_fen=20_000_00, description="院落文化墙"),
    dict(project_id="D", name="口袋公园", name_en="Pocket park", cost_fen=250_000_00, description="转角空地"),
]


@pytest.fixture
def store(db_url):
    s = open_store(db_url)
    rid = s.create_round(SETTINGS, PROJECTS)
    s.add_voter_codes(rid, [(f"hash-{i}", None) for i in range(5)])
    s.rid = rid
    return s


def cast(store, items, n, code="hash-0", **kw):
    return store.cast_ballot(store.rid, items, submission_id=f"sub-{n:06d}", receipt=f"R{n:05d}", code_hash=code, **kw)


def test_round_must_be_open(store):
    with pytest.raises(BallotRefused) as err:
        cast(store, {"A": 1}, 1)
    assert err.value.reason == "closed"
    store.set_round_status(store.rid, "open")
    assert cast(store, {"A": 1}, 1) == ("R00001", True)
    store.set_round_status(store.rid, "closed")
    with pytest.raises(BallotRefused):
        cast(store, {"B": 1}, 2, code="hash-1")
    with pytest.raises(StoreError):
        store.set_round_status(store.rid, "open")  # no reopening


def test_code_used_once_and_resubmission_stores_nothing(store):
    store.set_round_status(store.rid, "open")
    assert cast(store, {"A": 1}, 1) == ("R00001", True)
    assert cast(store, {"A": 1}, 1) == ("R00001", False)  # lost connection, same submission
    with pytest.raises(BallotRefused) as err:
        cast(store, {"B": 1}, 2)  # same code, new ballot
    assert err.value.reason == "used_code"
    with pytest.raises(BallotRefused) as err:
        cast(store, {"B": 1}, 3, code="not-a-code")
    assert err.value.reason == "unknown_code"
    assert store.counted_ballots(store.rid) == [{"A": 1}]
    assert store.turnout(store.rid) == {"ballots": 1, "by_channel": {"tablet": 1}, "codes_issued": 5, "codes_used": 1}


def test_database_refuses_over_budget_and_too_many_picks(store):
    store.set_round_status(store.rid, "open")
    with pytest.raises(BallotRefused) as err:
        cast(store, {"A": 1, "D": 1}, 1)  # ¥430,000 > ¥300,000, as if Python had not checked
    assert err.value.reason == "rule" and "over the budget" in str(err.value)
    with pytest.raises(BallotRefused):
        cast(store, {"B": 1, "C": 1, "A": 1, "D": 1}, 2, code="hash-1")
    assert store.counted_ballots(store.rid) == []
    assert store.code_status(store.rid, "hash-0") == "unused"  # the code was not spent: nothing half-written


def test_settings_frozen_after_first_ballot(store):
    changed = {**SETTINGS, "budget_fen": 400_000_00}
    store.update_round_settings(store.rid, changed)  # still allowed: no ballot yet
    store.set_round_status(store.rid, "open")
    cast(store, {"A": 1}, 1)
    with pytest.raises(StoreError, match="frozen"):
        store.update_round_settings(store.rid, SETTINGS)
    with pytest.raises(DBAPIError, match="frozen"):  # even if Python's check is bypassed
        with store.write() as conn:
            conn.exec_driver_sql("UPDATE rounds SET settings = '{}' WHERE id = %d" % store.rid)


def test_replace_policy_keeps_one_ballot_per_code(db_url):
    s = open_store(db_url)
    rid = s.create_round({**SETTINGS, "change_policy": "replace"}, PROJECTS)
    s.add_voter_codes(rid, [("hash-x", "3-2-501")])
    s.set_round_status(rid, "open")
    s.cast_ballot(rid, {"A": 1}, submission_id="s-1-aaaaaa", receipt="R1", code_hash="hash-x")
    s.cast_ballot(rid, {"B": 1, "C": 1}, submission_id="s-2-bbbbbb", receipt="R2", code_hash="hash-x")
    assert s.counted_ballots(rid) == [{"B": 1, "C": 1}]


def test_cumulative_points_checked_by_database(db_url):
    s = open_store(db_url)
    rid = s.create_round({**SETTINGS, "ballot_type": "cumulative", "points_total": 10, "points_cap": 5, "max_picks": 4}, PROJECTS)
    s.add_voter_codes(rid, [("h1", None), ("h2", None), ("h3", None)])
    s.set_round_status(rid, "open")
    s.cast_ballot(rid, {"A": 5, "B": 5}, submission_id="cum-000001", receipt="R1", code_hash="h1")
    for n, items in enumerate(({"A": 6}, {"A": 5, "B": 4, "C": 2}), start=2):
        with pytest.raises(BallotRefused, match="points"):
            s.cast_ballot(rid, items, submission_id=f"cum-00000{n}", receipt=f"R{n}", code_hash=f"h{n}")
