"""Finding 4: the database itself enforces every ballot rule, on SQLite and PostgreSQL — items name
the round's projects, no empty ballot (unless the round allows blank ballots), a pick counts once
on a knapsack/approval ballot, the knapsack minimum, cumulative points, a ranking numbered 1..n —
whatever calls the store or writes SQL. And closing never leaves a closed round whose results
raise. (On the code as it was, Store.cast_ballot took {"NOT-A-PROJECT": 1}, {} and {"C": 999}, and
close_round then closed the round and raised ValueError.)"""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError

from toolkit.errors import StoreError
from toolkit.store import open_store
from toolkit.store.rounds import BallotRefused
from toolkit.voting import close_round, create_round, issue_codes, results

from .rounds_setup import FAST, Ranking, settings

SETTINGS = dict(
    name="锦绣花园", fund="共有资金", budget_fen=300_000_00, ballot_type="knapsack", min_picks=1, max_picks=4,
    min_spend_fen=50_000_00, points_total=0, points_cap=0, rule="greedy-votes", voter_unit="code", change_policy="none",
)
PROJECTS = [
    dict(project_id="A", name="充电棚", name_en="Charging shed", cost_fen=180_000_00, description="充电棚"),
    dict(project_id="B", name="凉亭", name_en="Pavilion", cost_fen=66_000_00, description="凉亭"),
    dict(project_id="C", name="文化墙", name_en="Culture wall", cost_fen=20_000_00, description="文化墙"),
    dict(project_id="D", name="口袋公园", name_en="Pocket park", cost_fen=250_000_00, description="口袋公园"),
]


def open_round(store, **changes) -> int:
    rid = store.create_round({**SETTINGS, **changes}, PROJECTS)
    store.add_voter_codes(rid, [(f"h{rid}-{i}", None) for i in range(20)])
    store.set_round_status(rid, "open")
    return rid


def cast(store, rid, items, n):
    return store.cast_ballot(rid, items, submission_id=f"sub-{rid}-{n:04d}", receipt=f"R{n}", code_hash=f"h{rid}-{n}")


@pytest.fixture
def store(db_url):
    return open_store(db_url)


@pytest.mark.parametrize("items, says", [
    ({"NOT-A-PROJECT": 1}, "not in this round"),
    ({}, "empty"),
    ({"C": 999}, "counts once"),
    ({"C": 1}, "less than the minimum"),  # ¥20,000 < the ¥50,000 minimum spend
    ({"A": 1, "D": 1}, "over the budget"),
])
def test_store_refuses_what_the_reviewer_forged(store, items, says):
    rid = open_round(store)
    with pytest.raises(BallotRefused) as err:
        cast(store, rid, items, 1)
    assert err.value.reason == "rule" and says in str(err.value)
    assert store.counted_ballots(rid) == [] and store.code_status(rid, f"h{rid}-1") == "unused"  # nothing half-written
    assert cast(store, rid, {"A": 1}, 2) == ("R2", True)


def test_blank_ballots_only_where_the_round_allows_them(store):
    rid = open_round(store, ballot_type="approval", min_picks=0, min_spend_fen=0)
    with pytest.raises(BallotRefused, match="empty"):
        cast(store, rid, {}, 1)
    blank = open_round(store, ballot_type="approval", min_picks=0, min_spend_fen=0)
    with store.write() as conn:
        conn.exec_driver_sql(f"UPDATE rounds SET allow_blank = 1 WHERE id = {blank}")
    assert cast(store, blank, {}, 1)[1]
    assert store.counted_ballots(blank) == [{}]
    with pytest.raises(DBAPIError, match="frozen"):  # the setting cannot change once ballots are in
        with store.write() as conn:
            conn.exec_driver_sql(f"UPDATE rounds SET allow_blank = 0 WHERE id = {blank}")


def test_ranking_numbered_one_to_n(store):
    rid = open_round(store, ballot_type="ranking", min_picks=1, max_picks=3, min_spend_fen=0)
    for n, items in enumerate(({"A": 1, "C": 3}, {"A": 1, "B": 1}, {"A": 4}, {"A": 2}), start=1):
        with pytest.raises(BallotRefused):
            cast(store, rid, items, n)
    assert cast(store, rid, {"B": 2, "A": 1, "D": 3}, 9)[1]
    assert store.counted_ballots(rid) == [{"A": 1, "B": 2, "D": 3}]


def test_cumulative_points_and_picks(store):
    rid = open_round(store, ballot_type="cumulative", points_total=10, points_cap=5, min_picks=0, max_picks=4, min_spend_fen=0)
    for n, items in enumerate(({"A": 6}, {"A": 5, "B": 5, "C": 1}, {"A": 0}), start=1):
        with pytest.raises(BallotRefused):
            cast(store, rid, items, n)
    assert cast(store, rid, {"A": 5, "B": 5}, 9)[1]


def test_sql_written_by_hand_cannot_bypass_the_rules(store):
    rid = open_round(store)
    cast(store, rid, {"A": 1}, 1)
    with pytest.raises(DBAPIError, match="sealed only after"):  # a ballot that claims to be complete
        with store.write() as conn:
            conn.exec_driver_sql(f"INSERT INTO ballots (id, round_id, submission_id, receipt, channel, superseded, created_at, sealed) "
                                 f"VALUES (77, {rid}, 'forged-1', 'X', 'tablet', 0, '2026-01-01', 1)")
    for statement in ("UPDATE ballot_items SET value = 2", "DELETE FROM ballot_items", "DELETE FROM ballots"):
        with pytest.raises(DBAPIError, match="cannot be"):
            with store.write() as conn:
                conn.exec_driver_sql(statement)
    # An unsealed ballot left behind (items never checked): the round cannot close over it.
    with store.write() as conn:
        conn.exec_driver_sql(f"INSERT INTO ballots (id, round_id, submission_id, receipt, channel, superseded, created_at) "
                             f"VALUES (78, {rid}, 'forged-2', 'X', 'tablet', 0, '2026-01-01')")
        conn.exec_driver_sql("INSERT INTO ballot_items (ballot_id, project_id, value) VALUES (78, 'D', 1)")
    with pytest.raises(StoreError, match="incomplete"):
        store.set_round_status(rid, "closed")
    with pytest.raises(DBAPIError, match="cannot be changed"):  # nor can items be added to a sealed ballot
        with store.write() as conn:
            bid = conn.exec_driver_sql(f"SELECT id FROM ballots WHERE round_id = {rid} AND sealed = 1").scalar()
            conn.exec_driver_sql(f"INSERT INTO ballot_items (ballot_id, project_id, value) VALUES ({bid}, 'B', 1)")
    assert store.counted_ballots(rid) == [{"A": 1}]


def test_close_never_ends_with_a_closed_round_whose_results_raise(store):
    rid = create_round(store, settings(Ranking(k=3)), scrypt_n=FAST)
    store.add_voter_codes(rid, [(f"h{rid}-0", None)])  # voting opens only with codes issued
    store.set_round_status(rid, "open")

    def broken(round_, ballots):
        raise ValueError("the result cannot be computed")

    with pytest.raises(ValueError):
        store.close_round(rid, lambda entries: [], broken)
    assert store.round(rid)["status"] == "open"  # rolled back: the round can still be closed properly
    code = issue_codes(store, rid, 1)[0]
    from toolkit.voting import cast as cast_ballot
    cast_ballot(store, rid, code, {"ranking": ["B", "A"]}, submission_id="rank-000001")
    closed = close_round(store, rid)
    assert store.round(rid)["status"] == "closed"
    assert closed.result.allocation.selected == results(store, rid).result.allocation.selected
