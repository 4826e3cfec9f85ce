"""Finding 11: two screening desks deciding the same proposal. The second desk is told who decided
it and when, and its decision is not stored — in the page and under a race of spawned processes,
on SQLite and PostgreSQL. (On the code as it was, the second decision was dropped without a word.)"""

from __future__ import annotations

import multiprocessing as mp
from datetime import date

import pytest

from toolkit.errors import ScreeningConflict
from toolkit.screening import follow_up, load_screening_rules, load_triage_rules, screen
from toolkit.store import open_store
from toolkit.ui.screening import ScreeningDesk
from toolkit.workspace import open_workspace

RACERS = 6


@pytest.fixture
def ws(db_url):
    from toolkit.demo import build_demo_database

    build_demo_database(db_url, count=3)
    return open_workspace(db_url)


def desk(ws, name: str, lang: str = "zh") -> ScreeningDesk:
    d = ScreeningDesk(ws.store, load_screening_rules(), load_triage_rules(), ws.district, lang=lang, today=lambda: date(2026, 4, 2))
    d.desk.value = name
    return d


def test_second_desk_is_told_who_decided(ws):
    first, second = desk(ws, "张老师 <b>1号台</b>"), desk(ws, "Desk 2", lang="en")
    pid = first.current["id"]
    assert second.current["id"] == pid  # both desks show the oldest proposal
    first.deliberate.value = "safety"
    assert first.decide()
    second.excluded.value = "others_duty"
    assert not second.decide()
    msg = second.message.value
    assert 'id="linli-screening-conflict"' in msg and "张老师 &lt;b&gt;1号台&lt;/b&gt;" in msg  # named, escaped
    assert "taken to deliberation" in msg and "was not stored" in msg
    assert second.current["id"] != pid  # the desk moved on to the next proposal
    decided = ws.store.screening_frame().set_index("proposal_id").loc[pid]
    assert (decided.outcome, decided.decided_by) == ("deliberated", "张老师 <b>1号台</b>")


def _decide(db: str, pid: int, n: int, barrier) -> str:
    store = open_store(db, migrate=False)
    rules, triage = load_screening_rules(), load_triage_rules()
    kind = "safety" if n % 2 else "others_duty"
    decision = screen(str(pid), kind, rules)
    ticket = follow_up(decision, date(2026, 4, 1), triage)
    barrier.wait()
    try:
        store.record_screening(pid, decision, ticket, actor=f"desk-{n}")
    except ScreeningConflict as exc:
        return f"conflict:{exc.decided_by}"
    return "stored"


def test_racing_desks_one_wins_the_others_are_told(ws, db_url):
    pid = ws.store.screening_queue()[0]
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager, ctx.Pool(RACERS) as pool:
        barrier = manager.Barrier(RACERS)
        outcomes = pool.starmap(_decide, [(db_url, pid, n, barrier) for n in range(RACERS)])
    winners = [f"desk-{n}" for n, o in enumerate(outcomes) if o == "stored"]
    assert len(winners) == 1, outcomes
    assert all(o == f"conflict:{winners[0]}" for o in outcomes if o != "stored"), outcomes
    assert ws.store.screening_frame().set_index("proposal_id").loc[pid, "decided_by"] == winners[0]
