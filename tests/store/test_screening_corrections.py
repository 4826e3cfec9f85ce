"""Undo of a screening decision (migration 60) on SQLite and PostgreSQL: a correction row keeps
the whole superseded decision and the audit log says ``correct``; the proposal is back in the
queue; the database refuses removing a decision without a correction and changing a correction;
only the decision the page showed can be undone."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import delete, select, update

from toolkit.errors import StoreError
from toolkit.screening import follow_up, load_screening_rules, load_triage_rules, screen
from toolkit.store import schema, screening_corrections
from toolkit.workspace import open_workspace


@pytest.fixture
def ws(db_url):
    from toolkit.demo import build_demo_database

    build_demo_database(db_url, count=4)
    return open_workspace(db_url)


def decide(ws, pid, kind="safety"):
    decision = screen(str(pid), kind, load_screening_rules())
    ticket = follow_up(decision, date(2026, 4, 1), load_triage_rules())
    assert ws.store.record_screening(pid, decision, ticket)
    return screening_corrections.current(ws.store, pid)


def test_undo_supersedes_keeps_history_and_requeues(ws):
    pid = ws.store.screening_queue()[0]
    row = decide(ws, pid)
    assert pid not in ws.store.screening_queue()
    superseded = screening_corrections.undo(ws.store, pid, row["decided_at"], actor="facilitator")
    assert superseded["code"] == "safety"
    assert screening_corrections.current(ws.store, pid) is None and pid in ws.store.screening_queue()
    (corr,) = screening_corrections.corrections(ws.store, pid)
    assert json.loads(corr["superseded"])["code"] == "safety" and corr["corrected_by"] == "facilitator"
    with ws.store.read() as conn:
        actions = [r.action for r in conn.execute(select(schema.audit).where(schema.audit.c.entity_id == str(pid)).order_by(schema.audit.c.id))]
    assert actions[-2:] == ["screen", "correct"]
    decide(ws, pid, "culture")  # decided anew
    assert screening_corrections.current(ws.store, pid)["code"] == "culture"


def test_only_the_decision_in_force_can_be_undone(ws):
    pid = ws.store.screening_queue()[0]
    row = decide(ws, pid)
    with pytest.raises(StoreError) as info:
        screening_corrections.undo(ws.store, pid, "1999-01-01T00:00:00", actor="facilitator")
    assert info.value.key == "not_undoable"
    screening_corrections.undo(ws.store, pid, row["decided_at"])
    with pytest.raises(StoreError) as again:  # a second tap, or another tablet's stale undo
        screening_corrections.undo(ws.store, pid, row["decided_at"])
    assert again.value.key == "not_undoable"


def test_database_refuses_removing_a_decision_without_a_correction(ws):
    from sqlalchemy.exc import DBAPIError

    pid = ws.store.screening_queue()[0]
    decide(ws, pid)
    with pytest.raises(DBAPIError, match="removed only by a recorded correction"):
        with ws.store.write() as conn:
            conn.execute(delete(schema.screening_decisions).where(schema.screening_decisions.c.proposal_id == pid))
    assert screening_corrections.current(ws.store, pid) is not None


def test_corrections_are_append_only(ws):
    from sqlalchemy.exc import DBAPIError

    pid = ws.store.screening_queue()[0]
    row = decide(ws, pid)
    screening_corrections.undo(ws.store, pid, row["decided_at"])
    c = screening_corrections.screening_corrections
    for stmt in (update(c).values(reason="x"), delete(c)):
        with pytest.raises(DBAPIError, match="append-only"):
            with ws.store.write() as conn:
                conn.execute(stmt)
