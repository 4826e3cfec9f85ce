"""Feedback messages: written once per status change, slips and WeChat exports carry them
(escaped, formula-safe), the staff page marks them delivered once."""

from __future__ import annotations

import io

import openpyxl
import pytest

from tests.loop.test_status import decide
from toolkit.demo import build_demo_database
from toolkit.services import feedback as svc
from toolkit.store import open_store
from toolkit.store.feedback import messages_frame
from toolkit.ui.feedback import FeedbackDesk


@pytest.fixture
def screened(tmp_path):
    db = str(tmp_path / "linli.sqlite")
    build_demo_database(db, count=12)
    store = open_store(db)
    queue = store.screening_queue()
    decisions = {pid: decide(store, pid, kind) for pid, kind in zip(queue[:3], ("beyond_powers", "safety", "culture"))}
    return store, decisions


def test_slips_and_exports_carry_each_message(screened):
    store, decisions = screened
    frame = messages_frame(store, undelivered_only=True)
    assert len(frame) == 3
    html = svc.slips(store, public_url="http://192.168.1.10:8866")
    csv_text = svc.export_csv(store)
    book = openpyxl.load_workbook(io.BytesIO(svc.export_excel(store)))
    cells = [str(c.value) for row in book.active.iter_rows() for c in row]
    for pid, d in decisions.items():
        code = store.proposal(pid)["receipt_code"]
        assert code in html and d.message.zh in html
        assert f"status.ipynb?code={code}" not in html  # the link is inside the QR code, not printed
        assert code in csv_text and d.message.zh in csv_text
        assert any(d.message.zh in c for c in cells) and code in cells
    assert html.count('class="qr"') == 3
    assert 'class="qr"' not in svc.slips(store)  # no LINLI_PUBLIC_URL: no QR code


def test_staff_page_marks_delivered_once(screened):
    store, _ = screened
    desk = FeedbackDesk(store, lang="en")
    assert "3 waiting" in desk.count.value
    assert desk.mark_delivered([desk.pick.options[0][1]]) == 0  # who delivered is required
    desk.by.value = "grid worker Zhang"
    desk.pick.value = (desk.pick.options[0][1],)
    assert desk.mark_delivered(list(desk.pick.value)) == 1
    assert "2 waiting" in desk.count.value
    first = messages_frame(store).iloc[0]
    assert first.delivered_by == "grid worker Zhang" and first.channel == "slip"
    from toolkit.store.feedback import mark_delivered

    assert mark_delivered(store, [int(first.id)], by="someone else", channel="wechat") == 0  # once
    assert messages_frame(store).iloc[0].delivered_by == "grid worker Zhang"
    desk.channel.value = "wechat"
    assert desk.mark_delivered([v for _l, v in desk.pick.options]) == 2
    assert "0 waiting" in desk.count.value


def test_exports_are_formula_safe_and_escaped(tmp_path):
    from toolkit.proposals import Draft, check
    from toolkit.workspace import open_workspace

    ws = open_workspace(str(tmp_path / "linli.sqlite"))
    compound = str(ws.district.compounds.id.iloc[0])
    evil = '=HYPERLINK("http://x","点我")<img src=x onerror=alert(1)>'
    draft = Draft(submission_id="evil-0001", title=evil[:80], problem="问题很严重", why="", suggestion="建议修一修",
                  category="safety", channel="tablet", geometry=None, compound_id=compound, cost_fen=None, contact="", lang="zh")
    stored = ws.store.add_proposal(check(draft, ws.rules, ws.district))
    decide(ws.store, stored.id, "safety")
    csv_text = svc.export_csv(ws.store)
    assert "'=HYPERLINK" in csv_text and "\n=HYPERLINK" not in csv_text and ",=HYPERLINK" not in csv_text
    book = openpyxl.load_workbook(io.BytesIO(svc.export_excel(ws.store)))
    titles = [r[3].value for r in book.active.iter_rows(min_row=2)]
    assert titles[0].startswith("'=")
    html = svc.slips(ws.store)
    assert "<img src=x" not in html and "&lt;img src=x" in html
