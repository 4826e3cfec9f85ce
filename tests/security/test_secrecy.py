"""Finding 2: ballot secrecy against someone holding the whole database. The test plays the
attacker: 40 households vote in a known, shuffled order, each ballot unique, then every join an
operator could try — equal timestamps, ballot ids against code order, audit order, SQLite rowid
order, PostgreSQL physical (ctid) order, byte offsets in the database file, the write-ahead log —
must do no better than guessing. Also: the audit log names ballots, never codes or households,
and the database file is created owner-only. (On the code as it was, ``used_at = created_at``
linked every ballot to its household and ballot ids followed the order codes were used.)"""

from __future__ import annotations

import itertools
import json
import os
import random
import stat
from pathlib import Path

import pytest

from toolkit.store import open_store
from toolkit.voting import cast, close_round, create_round, hasher, issue_codes

from .rounds_setup import FAST, PIDS, Approval, settings

VOTERS = 40
SUBSETS = [list(c) for r in (1, 2, 3) for c in itertools.combinations(PIDS, r)]  # 41 distinct ballots


def spearman(a: list[int], b: list[int]) -> float:
    n = len(a)
    ra = {v: i for i, v in enumerate(sorted(a))}
    rb = {v: i for i, v in enumerate(sorted(b))}
    d = sum((ra[x] - rb[y]) ** 2 for x, y in zip(a, b))
    return 1 - 6 * d / (n * (n * n - 1))


@pytest.fixture
def voted(db_url):
    return vote(db_url)


def vote(db_url: str):
    """A closed household round; returns (store, round id, truth: household -> ballot items, codes)."""
    store = open_store(db_url)
    rid = create_round(store, settings(Approval(min_picks=1, max_picks=3), voters="household"), scrypt_n=FAST)
    homes = [f"{k // 6 + 1}栋{k % 6 + 1}01 家{k:02d}" for k in range(VOTERS)]
    codes = dict(zip(homes, issue_codes(store, rid, VOTERS, homes)))
    store.set_round_status(rid, "open")
    order = homes[:]
    random.Random(2).shuffle(order)
    truth = {}
    for k, home in enumerate(order):  # the use order is what an attacker wants to recover
        ballot = SUBSETS[k]
        cast(store, rid, codes[home], {"projects": ballot}, submission_id=f"page-{random.random():.12f}")
        truth[home] = frozenset(ballot)
    close_round(store, rid)
    return store, rid, truth, codes


def ballot_rows(store, rid: int) -> dict[int, frozenset]:
    with store.read() as conn:
        rows = conn.exec_driver_sql(f"SELECT b.id, i.project_id FROM ballots b JOIN ballot_items i ON i.ballot_id = b.id WHERE b.round_id = {rid}").all()
    out: dict[int, set] = {}
    for bid, pid in rows:
        out.setdefault(bid, set()).add(pid)
    return {k: frozenset(v) for k, v in out.items()}


def guessed_right(code_order: list[str], ballot_order: list[int], ballots: dict[int, frozenset], truth: dict[str, frozenset]) -> int:
    """Pair the k-th code with the k-th ballot, as an attacker matching two orders would."""
    return sum(ballots[b] == truth[h] for h, b in zip(code_order, ballot_order))


def assert_no_better_than_guessing(code_orders: dict, ballot_orders: dict, ballots, truth) -> None:
    position = {}
    for home, items in truth.items():
        position[home] = next(b for b, v in ballots.items() if v == items)
    for (cname, corder), (bname, border) in itertools.product(code_orders.items(), ballot_orders.items()):
        right = guessed_right(corder, border, ballots, truth)
        # A random pairing gets 1 right on average; 8 or more has a chance below 1e-5.
        assert right < 8, f"{cname} against {bname}: {right} of {VOTERS} ballots linked"
        ranks = [border.index(position[h]) for h in corder]
        assert abs(spearman(list(range(VOTERS)), ranks)) < 0.6, f"{cname} against {bname}: orders correlate"


def test_equal_timestamps_link_nothing(voted):
    store, rid, truth, _codes = voted
    with store.read() as conn:
        pairs = conn.exec_driver_sql(
            f"SELECT c.household, b.id FROM voter_codes c JOIN ballots b ON b.created_at = c.used_at AND b.round_id = c.round_id "
            f"WHERE c.round_id = {rid}").all()
        times = conn.exec_driver_sql(f"SELECT DISTINCT used_at FROM voter_codes WHERE round_id = {rid}").all()
    per_home = {}
    for home, bid in pairs:
        per_home.setdefault(home, set()).add(bid)
    # Every household shares its (day-only) time with every ballot of that day: no 1-to-1 link.
    assert all(len(v) == VOTERS for v in per_home.values()) and len(times) == 1
    assert len(str(times[0][0])) == 10  # 'YYYY-MM-DD'


def test_orders_an_attacker_can_read_link_nothing(voted):
    store, rid, truth, _codes = voted
    ballots = ballot_rows(store, rid)
    pg = store.engine.dialect.name == "postgresql"
    with store.read() as conn:
        q = lambda sql: [r[0] for r in conn.exec_driver_sql(sql).all()]  # noqa: E731
        code_orders = {
            "codes by household": sorted(truth),
            "codes by hash": q(f"SELECT household FROM voter_codes WHERE round_id = {rid} ORDER BY code_hash"),
            "codes by used_at": q(f"SELECT household FROM voter_codes WHERE round_id = {rid} ORDER BY used_at, household"),
            "codes by storage": q(f"SELECT household FROM voter_codes WHERE round_id = {rid} ORDER BY " + ("ctid" if pg else "rowid")),
        }
        ballot_orders = {
            "ballots by id": q(f"SELECT id FROM ballots WHERE round_id = {rid} ORDER BY id"),
            "ballots by storage": q(f"SELECT id FROM ballots WHERE round_id = {rid} ORDER BY " + ("ctid" if pg else "rowid")),
            "ballots by item storage": q(f"SELECT ballot_id FROM ballot_items GROUP BY ballot_id ORDER BY min({'ctid::text' if pg else 'rowid'})")
            if not pg else q("SELECT DISTINCT ON (ballot_id) ballot_id FROM ballot_items ORDER BY ballot_id, ctid"),
            "ballots by receipt": q(f"SELECT id FROM ballots WHERE round_id = {rid} ORDER BY receipt"),
            "ballots by audit order": [int(r) for r in q("SELECT entity_id FROM audit WHERE action = 'cast' ORDER BY id")],
        }
        if pg:  # physical order of item rows: sort ballot ids by their first item's ctid
            rows = conn.exec_driver_sql("SELECT ballot_id, ctid::text FROM ballot_items").all()
            first = {}
            for bid, ctid in rows:
                key = tuple(int(x) for x in ctid.strip("()").split(","))
                first[bid] = min(first.get(bid, key), key)
            ballot_orders["ballots by item storage"] = sorted(first, key=first.get)
    # Sanity: the attacker's tools are real — the audit order IS the arrival order of ballots.
    arrival = [b for b in ballot_orders["ballots by audit order"]]
    assert [ballots[b] for b in arrival] == [frozenset(s) for s in SUBSETS[:VOTERS]]
    del ballot_orders["ballots by audit order"]  # arrival order alone links nothing: no code records its use order
    assert_no_better_than_guessing(code_orders, ballot_orders, ballots, truth)
    # ... and the code tables hold no arrival order to match it against.
    code_orders.pop("codes by household")
    assert_no_better_than_guessing(code_orders, {"ballots by arrival": arrival}, ballots, truth)


def test_audit_log_names_ballots_never_codes_or_households(voted):
    store, rid, truth, codes = voted
    audit = store.audit_frame()
    cast_rows = audit[audit.action == "cast"]
    assert len(cast_rows) == VOTERS
    h = hasher(store.round(rid))
    from toolkit.rounds import normalise_code

    secrets_ = list(truth) + [h.hash(normalise_code(c)) for c in codes.values()] + list(codes.values())
    for detail in cast_rows.detail:
        assert not any(s in detail for s in secrets_)
        assert set(json.loads(detail)) == {"round", "channel", "replaces"}


def test_sqlite_file_and_log_hold_no_order(tmp_path):
    """SQLite only (PostgreSQL's physical order is the ctid check above)."""
    store, rid, truth, _codes = vote(str(tmp_path / "linli.sqlite"))
    path = Path(store.url.removeprefix("sqlite:///"))
    wal = Path(f"{path}-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # the log that held every write in order is emptied at close
    raw = path.read_bytes()
    ballots = ballot_rows(store, rid)
    homes_at = {home: raw.find(home.encode()) for home in truth}
    assert all(v >= 0 for v in homes_at.values())
    with store.read() as conn:
        receipts = dict(conn.exec_driver_sql(f"SELECT id, receipt FROM ballots WHERE round_id = {rid}").all())
    ballots_at = {bid: raw.find(receipts[bid].encode()) for bid in ballots}
    code_order = sorted(truth, key=homes_at.get)
    ballot_order = sorted(ballots, key=ballots_at.get)
    assert_no_better_than_guessing({"codes by file offset": code_order}, {"ballots by file offset": ballot_order}, ballots, truth)


def test_database_file_is_private(tmp_path):
    folder = tmp_path / "var"
    store = open_store(folder / "linli.sqlite")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for suffix in ("", "-wal", "-shm"):
        p = Path(f"{folder / 'linli.sqlite'}{suffix}")
        if p.exists():
            assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    # An existing world-readable database is tightened when opened.
    os.chmod(folder / "linli.sqlite", 0o644)
    store.engine.dispose()
    open_store(folder / "linli.sqlite").round  # noqa: B018
    assert stat.S_IMODE((folder / "linli.sqlite").stat().st_mode) == 0o600
