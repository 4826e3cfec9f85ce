"""The store: migrations in order, audit rows in the same transaction, idempotent submits,
database-level refusal of forged values, and 20 processes writing at once."""

from __future__ import annotations

import multiprocessing as mp
import sqlite3

import pytest
from sqlalchemy.exc import DBAPIError

from toolkit.errors import StoreError, ValidationError
from toolkit.proposals import Draft, check
from toolkit.store import open_store
from toolkit.store.migrations import MIGRATIONS
from toolkit.workspace import open_workspace



def a_point(ws, compound="S1C1Y1"):
    p = ws.district.compounds.set_index("id").loc[compound].geometry.representative_point()
    return {"type": "Point", "coordinates": [p.x, p.y]}


def draft(ws, n: int, **kw) -> Draft:
    base = dict(
        submission_id=f"test-submission-{n:04d}",
        title=f"第{n}条建议",
        problem="楼道灯坏了很久",
        why="晚上看不见",
        suggestion="换成声控灯",
        category="facilities",
        geometry=a_point(ws),
    )
    base.update(kw)
    return Draft(**base)


@pytest.fixture
def ws(db_url):
    return open_workspace(db_url)


def test_migrations_apply_in_order_once(db_url):
    store = open_store(db_url, migrate=False)
    assert store.migrate() == [m.version for m in MIGRATIONS]
    assert store.migrate() == []
    assert store.schema_version() == MIGRATIONS[-1].version
    versions = [m.version for m in MIGRATIONS]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)


def test_sqlite_runs_in_wal_mode(tmp_path):
    ws = open_workspace(tmp_path / "wal.sqlite")
    path = ws.store.url.removeprefix("sqlite:///")
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_submit_writes_row_and_audit_in_one_transaction(ws):
    audit_before = len(ws.store.audit_frame())
    stored = ws.submit_proposal(draft(ws, 1, contact="13800000000"))
    assert stored.created
    audit = ws.store.audit_frame()
    assert len(audit) == audit_before + 1
    last = audit.iloc[-1]
    assert (last.action, last.entity, last.entity_id) == ("create", "proposal", str(stored.id))
    assert "13800000000" not in last.detail  # private contact stays out of the log
    assert ws.store.proposals_frame(include_contact=True).iloc[0].contact == "13800000000"
    assert "contact" not in ws.store.proposals_frame().columns


def test_resubmitting_same_submission_id_stores_nothing_new(ws):
    first = ws.submit_proposal(draft(ws, 1))
    again = ws.submit_proposal(draft(ws, 1, title="改了标题再提交"))
    assert (again.id, again.receipt_code, again.created) == (first.id, first.receipt_code, False)
    assert ws.store.count_proposals() == 1
    assert ws.store.proposal_by_receipt(first.receipt_code)["title"] == "第1条建议"


def test_audit_rows_cannot_be_changed(ws):
    ws.submit_proposal(draft(ws, 1))
    for statement in ("UPDATE audit SET actor = 'someone else'", "DELETE FROM audit"):
        with pytest.raises(DBAPIError, match="append-only"):
            with ws.store.write() as conn:
                conn.exec_driver_sql(statement)
    assert (ws.store.audit_frame().actor != "someone else").all()


def test_forged_category_refused_in_python_and_in_database(ws):
    with pytest.raises(ValidationError) as err:
        ws.submit_proposal(draft(ws, 1, category="free_money"))
    assert "category" in err.value.errors and "没有这个类别" in err.value.errors["category"].zh
    # A check bypassed (as if a page forgot it): the database refuses it too.
    checked = check(draft(ws, 2), ws.rules, ws.district)
    forged = checked.__class__(**{**checked.__dict__, "draft": draft(ws, 2, category="free_money")})
    with pytest.raises(StoreError, match="(?i)foreign key"):
        ws.store.add_proposal(forged)
    assert ws.store.count_proposals() == 0


def test_out_of_district_point_refused_with_message(ws):
    with pytest.raises(ValidationError) as err:
        ws.submit_proposal(draft(ws, 1, geometry={"type": "Point", "coordinates": [116.39, 39.91]}))
    assert err.value.errors["place"].en.startswith("That place is outside the district")
    assert ws.store.count_proposals() == 0


def test_database_refuses_unknown_compound_and_negative_cost(ws):
    checked = check(draft(ws, 1), ws.rules, ws.district)
    for change in ({"compound_id": "NOPE"}, {"cost_fen": -5}):
        bad = checked.__class__(**{**checked.__dict__, **change})
        with pytest.raises(StoreError):
            ws.store.add_proposal(bad)
    assert ws.store.count_proposals() == 0


def test_watcher_sees_commits_from_other_connections(ws):
    watcher = ws.store.watcher()
    assert watcher.changed() is True  # first call: load once
    assert watcher.changed() is False
    other = open_store(ws.store.url)
    workspace2 = open_workspace(ws.store.url)
    workspace2.submit_proposal(draft(workspace2, 7))
    assert watcher.changed() is True
    assert watcher.changed() is False
    other.engine.dispose()


def _submit_in_process(db: str, n: int, barrier) -> str:  # runs in a child process
    ws = open_workspace(db)
    barrier.wait()
    return ws.submit_proposal(draft(ws, n)).receipt_code


def test_twenty_processes_submitting_at_once_store_exactly_twenty(db_url):
    db = db_url
    open_workspace(db)  # schema + reference lists, as `make run` leaves them
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(20)
        with ctx.Pool(20) as pool:
            codes = pool.starmap(_submit_in_process, [(db, n, barrier) for n in range(20)])
            assert len(set(codes)) == 20
            # Every tablet resubmits (lost connection): nothing new.
            barrier2 = manager.Barrier(20)
            again = pool.starmap(_submit_in_process, [(db, n, barrier2) for n in range(20)])
    assert sorted(again) == sorted(codes)
    store = open_store(db)
    assert store.count_proposals() == 20
    audit = store.audit_frame()
    assert (audit.action == "create").sum() == 20


def test_files_and_cache_folders_sit_beside_the_database_for_every_sqlite_url(tmp_path):
    """A read-only URI (``sqlite:///file:…?mode=ro&uri=true``) names the same file as the plain path:
    its photos and prepared outlines are beside it, not in a folder called ``file:`` in the current one."""
    from toolkit.services.projects import files_dir_for

    db = tmp_path / "linli.sqlite"
    for url in (str(db), f"sqlite:///{db}", f"sqlite:///file:{db}?mode=ro&uri=true"):
        assert files_dir_for(url, tmp_path / "var") == tmp_path / "files", url
