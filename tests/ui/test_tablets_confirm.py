"""Irreversible steps ask first (issue 10): a screening decision and freezing a plan go through a
confirmation dialog (nothing is stored by the page's button alone, nor by a forged click on the
dialog's hidden yes); the last screening decision on the page can be undone, recorded as a
correction in the audit log; the overdue table speaks the page's language."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from toolkit.screening import load_screening_rules, load_triage_rules
from toolkit.store import open_store, schema, screening_corrections
from toolkit.ui.plan import PlanDesk
from toolkit.ui.screening import ScreeningDesk
from toolkit.workspace import open_workspace

LATIN = re.compile(r"[A-Za-z]{3,}")
CJK = re.compile(r"[\u3400-\u9fff]")


def visible(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


@pytest.fixture
def ws(tmp_path):
    from toolkit.demo import build_demo_database

    db = tmp_path / "c.sqlite"
    build_demo_database(db, count=240)
    return open_workspace(db)


def desk(ws, lang="zh", today=date(2026, 4, 2)):
    return ScreeningDesk(ws.store, load_screening_rules(), load_triage_rules(), ws.district, lang=lang, today=lambda: today)


def test_screening_decision_is_confirmed_in_a_dialog(ws):
    d = desk(ws)
    first = d.current["id"]
    d.deliberate.value = "safety"
    d.confirm.click()
    assert d.dialog.root.layout.display == "flex" and d.current["title"] in d.dialog.question.value
    assert screening_corrections.current(ws.store, first) is None  # nothing stored yet
    d.dialog.no.click()
    assert d.dialog.root.layout.display == "none" and screening_corrections.current(ws.store, first) is None
    d.dialog.yes.click()  # a forged tap on the hidden yes: nothing happens
    assert screening_corrections.current(ws.store, first) is None and d.current["id"] == first
    d.confirm.click()
    d.dialog.yes.click()
    assert screening_corrections.current(ws.store, first)["code"] == "safety" and d.current["id"] != first


def test_undo_the_last_decision_is_a_correction(ws):
    d = desk(ws)
    assert d.undo_button.layout.display == "none"
    first, title = d.current["id"], d.current["title"]
    d.excluded.value = "others_duty"
    d.confirm.click()
    d.dialog.yes.click()
    assert d.undo_button.layout.display == "flex" and title in d.undo_button.description
    left_after = d.left.value
    d.undo_button.click()
    assert d.current["id"] == first and "已撤销" in d.message.value
    assert screening_corrections.current(ws.store, first) is None and first in ws.store.screening_queue()
    assert d.undo_button.layout.display == "none" and left_after != d.left.value
    (corr,) = screening_corrections.corrections(ws.store, first)
    assert '"code": "others_duty"' in corr["superseded"]
    with ws.store.read() as conn:
        actions = [r.action for r in conn.execute(select(schema.audit).where(schema.audit.c.entity_id == str(first)))]
    assert "correct" in actions
    d.deliberate.value = "culture"  # decided again, this time to deliberate
    d.confirm.click()
    d.dialog.yes.click()
    assert screening_corrections.current(ws.store, first)["code"] == "culture"


def test_undo_refused_in_words_when_the_decision_changed_elsewhere(ws):
    d = desk(ws, lang="en")
    first = d.current["id"]
    d.deliberate.value = "safety"
    d.confirm.click()
    d.dialog.yes.click()
    row = screening_corrections.current(ws.store, first)
    screening_corrections.undo(ws.store, first, row["decided_at"], actor="other-desk")
    assert not d.undo()
    assert "Only the last decision" in d.message.value and not CJK.search(visible(d.message.value))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_overdue_table_in_the_page_language(ws, lang):
    d = desk(ws, lang=lang, today=date(2027, 6, 1))
    d.excluded.value = "illegal"
    d.decide()
    table = d.overdue.value
    assert "<th>" in table
    titles = set(ws.store.proposals_frame().title)
    shown = [c for c in re.findall(r"<t[dh][^>]*>([^<]*)</t[dh]>", table) if c not in titles]
    if lang == "zh":
        assert "逾期天数" in table and not any(LATIN.search(c) for c in shown), shown
    else:
        assert "Days late" in table and not any(CJK.search(c) for c in shown), shown


def test_freezing_a_plan_asks_first(tmp_path):
    d = PlanDesk(open_store(tmp_path / "p.sqlite"), None)
    d.create("锦绣花园共有资金收支计划", 6)
    d.line_id.value, d.kind.value, d.label.value, d.amount.value = "i1", "income", "停车收入", 1000
    d.set_line()
    d.propose()
    d.freeze_button.click()
    assert d.dialog.root.layout.display == "flex" and "锦绣花园共有资金收支计划" in d.dialog.question.value
    assert 'data-final="0"' in d.head.value
    d.dialog.no.click()
    d.dialog.yes.click()  # forged: not asked any more
    assert 'data-final="0"' in d.head.value
    d.freeze_button.click()
    d.dialog.yes.click()
    assert 'data-final="1"' in d.head.value
