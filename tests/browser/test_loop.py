"""Closing the loop in real browsers (issue 12 acceptance): a resident's proposal is screened 不议
with a redirect and the status page (phone width) shows the sentence and where it went; another
proposal is voted, funded, gets two milestones and acceptance on the staff projects page, and its
status page shows the whole timeline; the slip sheet and the WeChat export carry the message; a
notice PDF read back with pypdf has the masked name, not the real one; an objection raised on the
resident notice page is answered on the staff page and appears on the notice page."""

from __future__ import annotations

import base64
import re
from datetime import date

import pytest

from tests.browser.harness import shot
from tests.loop.helpers import run_round
from toolkit.documents import pdf_text
from toolkit.geo import load_district
from toolkit.store import open_store
from toolkit.store.feedback import messages_frame
from toolkit.store.projects import projects_frame

pytestmark = pytest.mark.browser

TARGET = "S2C2Y2"
REAL_NAME, REAL_PHONE = "王秀英", "13812345678"
HOSTILE = '路灯<img src=x onerror="window.__xss=1">'


def data_of(page, selector: str) -> bytes:
    href = page.get_attribute(selector, "href")
    return base64.b64decode(href.split("base64,", 1)[1])


def submit_proposal(page, url: str, title: str, category: str = "安全") -> str:
    page.goto(url)
    page.wait_for_selector(f"path.linli-compound-{TARGET}", timeout=90_000)
    return fill_and_submit(page, title, category)


def fill_and_submit(page, title: str, category: str = "安全") -> str:
    """On an open propose page: tap the target compound, fill the form as a resident does, submit;
    the receipt code."""
    page.click(f"path.linli-compound-{TARGET}")
    name = load_district(None).compound_names()[TARGET][0]
    page.wait_for_selector(f".linli-place:has-text('{name}')", timeout=15_000)
    page.get_by_role("button", name=category, exact=True).click()
    page.get_by_placeholder("例如").fill(title)
    areas = page.locator("textarea")
    areas.nth(0).fill("晚上小区后门那段路很黑 ${1}")
    areas.nth(2).fill("加装两盏路灯`x`")
    page.locator(".widget-text input").last.fill(f"{REAL_NAME} {REAL_PHONE}")
    page.click("button.linli-submit")
    page.wait_for_selector("#linli-receipt", timeout=30_000)
    return page.inner_text("#linli-receipt").strip()


def test_the_loop_in_browsers(servers, browser_db, browser, tablet, projector, tmp_path):
    from tests.browser.conftest import Tab

    store = open_store(browser_db)
    resident, staff = servers["resident"], servers["staff"]
    for tab in (tablet, projector):  # a Voila page runs its notebook before "load": be generous on a busy machine
        tab.page.set_default_navigation_timeout(180_000)

    # 1. A resident submits a proposal on the tablet (with a contact: name and phone).
    code = submit_proposal(tablet.page, resident.url("propose"), HOSTILE)
    mine = store.proposal_by_receipt(code)
    assert store.proposals_frame(include_contact=True).set_index("id").loc[mine["id"], "contact"] == f"{REAL_NAME} {REAL_PHONE}"

    # 2. Staff screen it 不议 (outside the community's powers → referred to the street office).
    desk = projector.page
    desk.goto(staff.url("screening"))
    desk.wait_for_selector(".linli-card", timeout=90_000)
    for _ in range(200):
        if int(desk.get_attribute(".linli-card", "data-proposal")) == mine["id"]:
            break
        shown = desk.get_attribute(".linli-card", "data-proposal")
        desk.get_by_role("button", name="跳过", exact=True).click()
        desk.wait_for_function(f"document.querySelector('.linli-card').dataset.proposal !== '{shown}'", timeout=15_000)
    desk.get_by_role("button", name="超出社区权限的事项", exact=True).click()
    desk.wait_for_selector("#linli-message", timeout=15_000)
    sentence = desk.inner_text("#linli-message").strip()
    desk.click("button.linli-decide")
    desk.wait_for_selector(".linli-confirm-question", state="visible", timeout=15_000)
    desk.click("button.linli-confirm-yes")
    desk.wait_for_function(f"!document.querySelector('.linli-card') || document.querySelector('.linli-card').dataset.proposal !== '{mine['id']}'", timeout=20_000)
    assert "街道办事处" in sentence

    # 3. On a phone (390 px) the status page shows the sentence and where it was redirected.
    phone = Tab(browser, 390, 844)
    try:
        p = phone.page
        p.set_default_navigation_timeout(180_000)
        p.goto(resident.url("status", query=f"code={code}"))
        p.wait_for_selector("#linli-timeline", timeout=90_000)
        timeline = p.inner_text("#linli-timeline")
        assert sentence in timeline and "街道办事处" in p.inner_text('[data-step="excluded_referral"]')
        assert p.evaluate("document.documentElement.scrollWidth") <= 390 + 2  # no sideways scrolling
        assert HOSTILE in p.inner_text("#linli-status-title") and p.evaluate("window.__xss === undefined")
        assert REAL_PHONE not in p.content()
        shot(p, "status-phone", tmp_path, full_page=True)
        p.goto(resident.url("status", query="code=ZZZ-ZZZ"))
        p.wait_for_selector("#linli-status-error", timeout=90_000)
        assert "没有找到这个回执码" in p.inner_text("#linli-status-error") and p.get_attribute("a.linli-home", "href") == "/"
        assert phone.external == [] and phone.errors == []
    finally:
        phone.close()

    # 4. Another proposal goes through a round and is funded (ballots cast through the voting service).
    other = submit_proposal(tablet.page, resident.url("propose"), "小区后门加装路灯")
    other_id = store.proposal_by_receipt(other)["id"]
    from tests.loop.test_status import decide

    decide(store, other_id, "safety")
    run_round(store, {other_id: 20_000_00, mine["id"]: 15_000_00}, [[other_id], [other_id], [mine["id"]]], budget_fen=25_000_00, name="桂花巷微更新")
    project_id = int(projects_frame(store).set_index("proposal_id").loc[other_id, "id"])

    # 5. Staff record two milestones and the acceptance on the projects page.
    desk.goto(staff.url("projects", query=f"project={project_id}"))
    desk.wait_for_selector(f"#linli-project[data-project='{project_id}']", timeout=90_000)
    desk.locator(".linli-page input[placeholder='实施方']").fill("锦东建设有限公司")
    desk.click("button.linli-save-implementer")
    desk.wait_for_selector("#linli-project-saved", timeout=15_000)
    for title, pct, spent in (("材料进场", "40", "8000"), ("主体完工", "100", "19500.50")):
        desk.locator(".linli-m-title input").fill(title)
        desk.locator(".linli-page input[type='number']").first.fill(pct)
        desk.locator(".linli-m-spent input").fill(spent)
        desk.locator(".linli-m-spent input").press("Tab")
        desk.click("button.linli-add-milestone")
        desk.wait_for_function(f"document.querySelector('#linli-project').innerText.includes('{title}')", timeout=15_000)
    desk.click("button.linli-add-review")
    desk.wait_for_selector("#linli-project[data-state='accepted']", timeout=15_000)
    shot(desk, "projects", tmp_path)
    assert int(projects_frame(store).set_index("id").loc[project_id, "spent_fen"]) == 19_500_50

    # 6. Its status page shows the whole timeline, in order.
    page = tablet.page
    page.goto(resident.url("status", query=f"code={other}"))
    page.wait_for_selector("#linli-timeline", timeout=90_000)
    steps = page.eval_on_selector_all("#linli-timeline li", "ls => ls.map(l => l.dataset.step)")
    assert steps[:2] == ["received", "deliberated"] and "funded" in steps and steps.count("milestone") == 2 and steps[-1] == "accepted"
    assert steps.index("funded") < steps.index("implementing") < steps.index("milestone")
    text = page.inner_text("#linli-timeline")
    assert "¥19,500.50" in text and "材料进场" in text and "桂花巷微更新" in text
    shot(page, "status", tmp_path, full_page=True)

    # 7. The slip sheet and the WeChat export carry the proposer's message.
    desk.goto(staff.url("feedback"))
    desk.wait_for_selector("#linli-slips", timeout=90_000)
    slips = data_of(desk, "#linli-slips").decode("utf-8")
    wechat = data_of(desk, "#linli-feedback-csv").decode("utf-8-sig")
    for c, msg in ((code, sentence),):
        assert c in slips and msg in slips and c in wechat and msg in wechat
    accepted = messages_frame(store, proposal_id=other_id)
    assert accepted.event.iloc[-1] == "accepted" and accepted.message_zh.iloc[-1] in slips
    assert "<img src=x" not in slips and REAL_PHONE not in slips + wechat
    shot(desk, "feedback", tmp_path)

    # 8. A notice of today's screening: its PDF shows the masked name, never the real one.
    desk.goto(staff.url("notices"))
    desk.wait_for_selector("button.linli-publish", timeout=90_000)
    desk.get_by_role("checkbox").check()
    desk.click("button.linli-publish")
    desk.wait_for_selector("#linli-published", timeout=60_000)
    notice_id = int(re.search(r"\d+", desk.inner_text("#linli-published")).group(0))
    words = pdf_text(data_of(desk, "#linli-notice-pdf")).replace("\n", "").replace(" ", "")
    assert "王**138****5678" in words and REAL_NAME not in words and REAL_PHONE not in words and code in words

    # 9. A resident objects on the notice page; staff answer; the answer is published there.
    page.goto(resident.url("notice", query=f"notice={notice_id}"))
    page.wait_for_selector("#linli-notice", timeout=90_000)
    page.wait_for_selector("iframe.linli-notice-map", timeout=15_000)
    page.locator(".linli-page input[placeholder='回执码或投票码']").fill(code)
    page.locator(".linli-page textarea").fill("转给街道可以，但希望社区先派人看看现场。")
    page.click("button.linli-object")
    page.wait_for_selector("#linli-objection-sent", timeout=20_000)
    desk.goto(staff.url("notices", query=f"notice={notice_id}"))
    answer_button = desk.locator("button[class*='linli-answer-']").first
    answer_button.wait_for(timeout=90_000)
    desk.locator(".linli-page textarea").first.fill("社区已于本周派网格员到现场查看，并附照片转交街道。")
    answer_button.click()
    desk.wait_for_selector("#linli-answered", timeout=20_000)
    page.goto(resident.url("notice", query=f"notice={notice_id}"))
    page.wait_for_selector("#linli-objections li", timeout=90_000)
    assert "社区已于本周派网格员到现场查看" in page.inner_text("#linli-objections")
    assert page.evaluate("window.__xss === undefined") and page.locator("img[src='x']").count() == 0
    shot(page, "notice", tmp_path, full_page=True)

    # 10. The dashboard on the projector.
    desk.goto(staff.url("dashboard"))
    desk.wait_for_selector("#linli-rates", timeout=90_000)
    assert "%" in desk.inner_text("#linli-rates")
    shot(desk, "dashboard", tmp_path)
    for name, tab in (("tablet", tablet), ("projector", projector)):
        assert (name, tab.external, tab.errors) == (name, [], [])
    assert date.today()  # the notice period starts today
