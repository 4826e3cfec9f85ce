"""The resident status page by receipt code: the timeline after screening, privacy over every
demo code, wrong codes rate-limited per kernel, hostile strings escaped."""

from __future__ import annotations

import re
from datetime import date

import pytest

from toolkit.demo import build_demo_database
from toolkit.feedback import Attempts
from toolkit.screening import follow_up, load_screening_rules, load_triage_rules, screen
from toolkit.services import status as status_service
from toolkit.services.feedback import after_screening
from toolkit.store import open_store
from toolkit.store.feedback import messages_frame
from toolkit.ui.status import StatusPage


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    db = str(tmp_path_factory.mktemp("status") / "linli.sqlite")
    build_demo_database(db, loop=True)  # screened, voted, implemented, accepted, rated
    return db


def decide(store, pid, kind):
    p = store.proposal(pid)
    decision = screen(str(pid), kind, load_screening_rules())
    ticket = follow_up(decision, date.fromisoformat(p["created_at"][:10]), load_triage_rules())
    assert store.record_screening(pid, decision, ticket)
    after_screening(store, pid)
    return decision


def page_for(store, lang="zh", **kw):
    return StatusPage(lambda c: status_service.status_by_code(store, c), lambda c, n: status_service.rate(store, c, n), lang=lang, **kw)


def test_excluded_proposal_shows_the_sentence_and_the_redirect(tmp_path):
    db = str(tmp_path / "linli.sqlite")
    build_demo_database(db, count=5)
    store = open_store(db)
    pid = store.screening_queue()[0]
    decision = decide(store, pid, "beyond_powers")
    code = store.proposal(pid)["receipt_code"]
    page = page_for(store)
    assert page.show(code.lower().replace("-", ""))  # typed without the dash, lower case
    html = page.result.value
    assert decision.message.zh in html and decision.redirect.to.zh in html
    assert 'data-step="excluded_referral"' in html or 'data-step="excluded_quick_fix"' in html
    assert 'data-step="respond"' in html and 'data-step="resolve"' in html
    en = page_for(store, lang="en")
    assert en.show(code) and decision.message.en in en.result.value and decision.redirect.to.en in en.result.value
    assert not re.search(r"[\u4e00-\u9fff]", re.sub(r"<[^>]+>", "", en.result.value).replace(store.proposal(pid)["title"], "")
                         .replace(store.proposal(pid)["problem"], "").replace(store.proposal(pid)["suggestion"], "").replace(store.proposal(pid)["why"], ""))
    msgs = messages_frame(store, proposal_id=pid)
    assert list(msgs.event) == ["screened"] and decision.message.zh in msgs.message_zh.iloc[0]
    after_screening(store, pid)  # a second run sends nothing twice
    assert len(messages_frame(store, proposal_id=pid)) == 1


def test_every_demo_code_shows_only_its_own_proposal(demo_db):
    store = open_store(demo_db)
    frame = store.proposals_frame(include_contact=True)
    contacts = [c for c in frame.contact.dropna() if c]
    assert len(contacts) > 40  # the demo gives about a third of proposals a contact
    codes = set(frame.receipt_code)
    titles = set(frame.title)
    page = page_for(store, attempts=Attempts(free=10**6))
    steps = set()
    for row in frame.itertuples():
        assert page.show(row.receipt_code)
        html = page.result.value + page.message.value
        assert f'data-code="{row.receipt_code}"' in html
        assert set(re.findall(r"[A-Z0-9]{3}-[A-Z0-9]{3}", html)) & codes == {row.receipt_code}
        own = " ".join(str(x) for x in (row.title, row.problem, row.why, row.suggestion))
        assert not [t for t in titles if t in html and t not in own], "another proposal's title"
        for c in contacts:
            assert c not in html and c.split()[-1] not in html
        steps |= set(re.findall(r'data-step="(\w+)"', html))
    assert {"excluded_referral", "deliberated", "funded", "not_funded", "milestone", "accepted", "maintenance"} <= steps


def test_wrong_codes_are_rate_limited_per_kernel(demo_db):
    store = open_store(demo_db)
    now = [0.0]
    page = page_for(store, attempts=Attempts(free=3, base=20, clock=lambda: now[0]))
    for _ in range(3):
        assert not page.show("ZZZ-ZZZ")
    assert "没有找到这个回执码" in page.message.value and 'href="/"' in page.message.value
    good = store.proposals_frame().receipt_code.iloc[0]
    assert not page.show(good)  # must wait, even with a right code
    assert "20 秒后再试" in page.message.value or "21 秒后再试" in page.message.value
    now[0] += 21
    assert page.show(good)


def test_hostile_strings_are_escaped(tmp_path):
    from toolkit.proposals import Draft, check
    from toolkit.workspace import open_workspace

    from tests.browser.test_propose_live_map import HOSTILE_PROBLEM, HOSTILE_TITLE

    XSS = [HOSTILE_TITLE, HOSTILE_PROBLEM, '"><svg onload=alert(1)>', "{title}{0}%s"]
    ws = open_workspace(str(tmp_path / "linli.sqlite"))
    compound = str(ws.district.compounds.id.iloc[0])
    for i, evil in enumerate(XSS):
        draft = Draft(submission_id=f"xss-{i:04d}", title=("标题" + evil)[:80], problem="问题" + evil, why=evil, suggestion="建议" + evil,
                      category="safety", channel="tablet", geometry=None, compound_id=compound, cost_fen=None, contact="", lang="zh")
        stored = ws.store.add_proposal(check(draft, ws.rules, ws.district))
        decide(ws.store, stored.id, "safety")
        page = page_for(ws.store)
        assert page.show(stored.receipt_code)
        html = page.result.value
        assert "<script" not in html.lower() and "<img src=x" not in html and "<svg onload" not in html and "`" not in html and "${" not in html


def test_scored_step_shows_the_rank_in_its_panel(tmp_path):
    from toolkit.panels import create_panel, reviewer_by_code
    from toolkit.scoring import load_rubric

    db = str(tmp_path / "linli.sqlite")
    build_demo_database(db, count=6)
    store = open_store(db)
    a, b = store.screening_queue()[:2]
    for pid in (a, b):
        decide(store, pid, "safety")
    panel_id, codes = create_panel(db, "东风社区微更新评审", "selection", [str(a), str(b)], ["王芳:community", "李工:street", "陈老师:district"])
    criteria = [c.id for c in load_rubric("selection").criteria]
    page = page_for(store)
    assert page.show(store.proposal(a)["receipt_code"]) and 'data-step="scoring"' in page.result.value
    for i, code in enumerate(codes.values()):
        reviewer = reviewer_by_code(store, code)
        for pid, value in ((a, 6), (b, 9)):
            store.submit_sheet(reviewer["id"], f"P{pid:04d}", {c: value for c in criteria}, conflict=False, submission_id=f"sheet-{i}-{pid:04d}")
    store.lock_panel(panel_id)
    assert page.show(store.proposal(a)["receipt_code"])
    assert "东风社区微更新评审，第 2 名（共 2 项）" in page.result.value
    assert page.show(store.proposal(b)["receipt_code"]) and "第 1 名（共 2 项）" in page.result.value
