"""Migrations 10-13 upgrade a database made before them (forward only): old ballots stay counted,
a household's duplicate live codes are voided (its first used one kept), the new rules then hold."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError

from toolkit.store import open_store
from toolkit.store import migrations as m


def test_an_old_database_upgrades(db_url):
    store = open_store(db_url, migrate=False)
    with store.write() as conn:
        for mig in m.pending(conn):
            if mig.version < 10:
                mig.apply(conn)
                m.record(conn, mig)
        conn.exec_driver_sql(
            "INSERT INTO rounds (id, name, fund, budget_fen, ballot_type, min_picks, max_picks, min_spend_fen, points_total, points_cap, "
            "rule, voter_unit, change_policy, status, settings, created_at) VALUES "
            "(1, 'old', 'fund', 1000, 'approval', 1, 2, 0, 0, 0, 'greedy-votes', 'household', 'none', 'open', '{}', '2025-01-01')")
        conn.exec_driver_sql("INSERT INTO round_projects (round_id, project_id, name, name_en, cost_fen, description) VALUES (1, 'A', 'a', 'a', 100, 'a')")
        for code, home, used in (("c1", "H1", None), ("c2", "H1", "2025-01-02T10:00:00"), ("c3", "H1", None), ("c4", "H2", None)):
            conn.exec_driver_sql(f"INSERT INTO voter_codes (code_hash, round_id, household, used_at) VALUES ('{code}', 1, '{home}', "
                                 + ("NULL" if used is None else f"'{used}'") + ")")
        conn.exec_driver_sql("INSERT INTO ballots (id, round_id, submission_id, receipt, channel, superseded, created_at) VALUES "
                             "(5, 1, 'old-ballot', 'R1', 'tablet', 0, '2025-01-02T10:00:00')")
        bid = conn.exec_driver_sql("SELECT id FROM ballots").scalar()
        conn.exec_driver_sql(f"INSERT INTO ballot_items (ballot_id, project_id, value) VALUES ({bid}, 'A', 1)")
    assert store.migrate() == [10, 11, 12, 13]
    assert store.counted_ballots(1) == [{"A": 1}]
    assert store.households(1) == {"H1": "used", "H2": "unused"}
    assert store.code_status(1, "c1") == "voided" and store.code_status(1, "c3") == "voided"
    with pytest.raises(DBAPIError):
        with store.write() as conn:
            conn.exec_driver_sql("INSERT INTO voter_codes (code_hash, round_id, household) VALUES ('c5', 1, 'H2')")
