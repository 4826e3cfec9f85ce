"""Public notices: masked personal data in the page and the PDF (read back with pypdf), fixed
once published (a correction is a new notice), objections during the period, answered once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text as sql

from tests.loop.helpers import run_round
from tests.loop.test_status import decide
from toolkit.documents import pdf_text
from toolkit.errors import ValidationError
from toolkit.notices import mask_contact
from toolkit.proposals import Draft, check
from toolkit.services import notices as svc
from toolkit.store.notices import notice, objections
from toolkit.workspace import open_workspace

REAL = "王秀英 13812345678"


@pytest.fixture
def ws(tmp_path):
    ws = open_workspace(str(tmp_path / "linli.sqlite"))
    compounds = list(ws.district.compounds.itertuples())
    ids = []
    for i, (title, contact) in enumerate((("修补坑洼路面", REAL), ("路灯<img src=x onerror=alert(1)>坏了 ${x}", "李建国 13900001111"), ("增设减速带", ""))):
        c = compounds[i]
        pt = c.geometry.representative_point()
        draft = Draft(submission_id=f"notice-{i:04d}", title=title, problem="问题说明", why="", suggestion="建议如下", category="safety", channel="tablet",
                      geometry={"type": "Point", "coordinates": [pt.x, pt.y]}, compound_id=None, cost_fen=None, contact=contact, lang="zh")
        ids.append(ws.store.add_proposal(check(draft, ws.rules, ws.district)).id)
    ws.ids = ids
    return ws


def test_screening_notice_masks_names_in_page_and_pdf(ws):
    for pid, kind in zip(ws.ids, ("safety", "beyond_powers", "safety")):
        decide(ws.store, pid, kind)
    nid = svc.publish_screening(ws.store, date.today(), actor="staff")
    n = notice(ws.store, nid)
    assert "王** 138****5678" in n["body_zh"] and "王秀英" not in n["body_zh"] and "13812345678" not in n["body_zh"]
    assert n["ends_on"] == (date.today() + timedelta(days=7)).isoformat()
    html = svc.notice_document(ws.store, nid, ws.district)
    assert "<img src=x" not in html and "&lt;img src=x" in html and "<svg" in html
    text = pdf_text(svc.notice_pdf(ws.store, nid, ws.district))
    flat = text.replace("\n", "").replace(" ", "")
    assert "王**138****5678" in flat and "李**139****1111" in flat
    assert "王秀英" not in flat and "13812345678" not in flat and "李建国" not in flat
    assert "筛选结果公示" in flat
    en = pdf_text(svc.notice_pdf(ws.store, nid, ws.district, lang="en"))
    assert "Screening results" in en and "王秀英" not in en


def test_round_notice_objections_and_corrections(ws):
    for pid in ws.ids:
        decide(ws.store, pid, "safety")
    rid = run_round(ws.store, {ws.ids[0]: 30_000_00, ws.ids[1]: 20_000_00}, [[ws.ids[0]], [ws.ids[0], ws.ids[1]]], budget_fen=40_000_00)
    nid = svc.publish_round(ws.store, rid, actor="staff")
    n = notice(ws.store, nid)
    assert "2 votes" in n["body_en"] and "王**" in n["body_zh"] and "王秀英" not in n["body_zh"]
    code = ws.store.proposal(ws.ids[2])["receipt_code"]
    with pytest.raises(ValidationError):
        svc.raise_objection(ws.store, nid, "我有异议", code="ZZZ-ZZZ")
    oid = svc.raise_objection(ws.store, nid, "为什么减速带不在名单里？<script>x</script>", code=code.lower())
    with pytest.raises(ValidationError):  # one objection per code
        svc.raise_objection(ws.store, nid, "再提一次", code=code)
    paper = svc.raise_objection(ws.store, nid, "纸质异议：票数有误", via="paper", actor="staff")
    with pytest.raises(ValidationError):  # after the period
        svc.raise_objection(ws.store, nid, "太晚了", via="paper", today=date.today() + timedelta(days=8))
    assert svc.answer(ws.store, oid, "减速带的提议没有进入本轮投票，将在下一轮考虑。", by="社区")
    with pytest.raises(ValidationError):
        svc.answer(ws.store, oid, "改答复", by="社区")
    rows = objections(ws.store, nid)
    assert [r["id"] for r in rows] == [oid, paper] and rows[0]["answer"].startswith("减速带") and "code_hash" not in rows[0]
    html = svc.notice_document(ws.store, nid, ws.district)
    assert "减速带的提议没有进入本轮投票" in html and "<script>x" not in html and code not in html
    with pytest.raises(Exception):  # a published notice cannot be edited, not even by SQL
        with ws.store.write() as conn:
            conn.execute(sql("UPDATE notices SET body_zh = 'forged' WHERE id = :n"), {"n": nid})
    with pytest.raises(Exception):
        with ws.store.write() as conn:
            conn.execute(sql("UPDATE objections SET answer = 'forged' WHERE id = :o"), {"o": oid})
    new = svc.correct(ws.store, nid, actor="staff")
    fixed = notice(ws.store, new)
    assert fixed["corrects"] == nid and f"no. {nid}" in fixed["body_en"] and notice(ws.store, nid)["corrected_by"] == [new]
    assert notice(ws.store, nid)["body_zh"] == n["body_zh"]


def test_mask_contact_shows_nothing_else():
    assert mask_contact("王秀英 13812345678 锦绣花园3栋2单元") == "王** 138****5678"
    assert mask_contact("wechat: zhang_li 138-1234-5678") == "w** 138****5678"
    assert mask_contact("") == "—"


def test_staff_and_resident_notice_pages(ws, monkeypatch):
    from toolkit.feedback import Attempts
    from toolkit.ui import pages
    from toolkit.ui.notices import NoticePage, NoticesDesk

    for pid in ws.ids:
        decide(ws.store, pid, "safety")
    desk = NoticesDesk(ws.store, ws.district, lang="zh")
    assert desk.publish() is None and "请先核对" in desk.message.value  # confirmation first
    desk.checked.value = True
    nid = desk.publish()
    assert nid and "王**" in desk.body.value and "王秀英" not in desk.body.value and "linli-notice-pdf" in desk.pdf.value
    page = NoticePage(ws.store, ws.district, lang="zh", attempts=Attempts(free=2, base=60))
    assert page.show(nid)
    assert "<iframe" in page.body.value and "&lt;img src=x" in page.body.value and "<img src=x" not in page.body.value
    page.objection.value = "这条不对"
    page.code.value = "AAA-AAA"
    assert not page.raise_objection() and "没有这个回执码" in page.message.value
    page.code.value = ws.store.proposal(ws.ids[2])["receipt_code"]
    page.objection.value = "减速带<script>alert(1)</script>应该先做"
    assert page.raise_objection() and "已收到您的异议" in page.message.value
    assert "减速带&lt;script&gt;" in page.body.value and "待答复" in page.body.value
    desk.show()
    box, button = desk.answers.children[0].children
    box.value = "已转交物业，两周内答复。"
    button.click()
    assert "答复已公布" in desk.message.value and desk.answers.children == ()
    page.show(nid)
    assert "已转交物业，两周内答复。" in page.body.value
    desk.paper.value = "书面异议：名单不全"
    desk.root.children[-1].children[0].click()
    assert "书面异议：名单不全" in desk.body.value
    monkeypatch.setenv("QUERY_STRING", "notice=abc")
    monkeypatch.setenv("LINLI_GEODATA", "")
    bad = pages.notice_page(ws.store.url)
    assert "链接里的编号不对" in bad.value and 'href="/"' in bad.value
    monkeypatch.setenv("QUERY_STRING", f"notice={nid}&lang=en")
    good = pages.notice_page(ws.store.url)
    assert "Screening results" in good.children[0].value


def test_plan_notice_and_voter_code_objection(ws):
    from fractions import Fraction

    from toolkit.labels import Label
    from toolkit.planning import finalise, propose_version
    from toolkit.rounds.plan import Plan, PlanLine
    from toolkit.voting import issue_codes

    plan_id = ws.store.create_plan("锦绣花园共有资金", 6)
    propose_version(ws.store, plan_id, Plan((PlanLine("i1", Label("停车收入", "Parking income"), 10_000_000, "income"),
                                             PlanLine("e1", Label("凉亭", "Pavilion"), 8_000_000, "expense")), Fraction(1, 10)))
    with pytest.raises(ValidationError):  # not final yet
        svc.publish_plan(ws.store, plan_id, actor="staff")
    finalise(ws.store, plan_id)
    nid = svc.publish_plan(ws.store, plan_id, actor="staff", period_days=10)
    n = notice(ws.store, nid)
    assert "凉亭：¥80,000（支出）" in n["body_zh"] and "Pavilion: ¥80,000 (expense)" in n["body_en"]
    assert n["ends_on"] == (date.today() + timedelta(days=10)).isoformat()
    with pytest.raises(ValidationError):  # a voting code only for a round's notice
        svc.raise_objection(ws.store, nid, "这个计划有问题", code="ABCD-EFGH-JK", via="voter")
    for pid in ws.ids:
        decide(ws.store, pid, "safety")
    rid = run_round(ws.store, {ws.ids[0]: 30_000_00}, [[ws.ids[0]]], budget_fen=40_000_00)
    round_notice = svc.publish_round(ws.store, rid, actor="staff")
    [voter] = issue_codes(ws.store, rid, 1)
    oid = svc.raise_objection(ws.store, round_notice, "计票请再核一次", code=voter, via="voter")
    with pytest.raises(ValidationError):
        svc.raise_objection(ws.store, round_notice, "再提一次", code=voter, via="voter")
    assert [o["id"] for o in objections(ws.store, round_notice)] == [oid]
