"""Tablets and desks in a real chromium against real Voila servers, on the 240-proposal demo
(issue 10): the scoring tablet from code entry to "all done"; the shared vote tablet's sticky
meter, the reason beside a disabled "下一步", the assisted mode, "下一位" (< 1 s) and the idle
reset; cards and map markers numbered alike; the document language per page language; maps with
legends, compound labels and 44 px zoom buttons; the newest proposal ringed on the live map."""

from __future__ import annotations

import os
import time

import pytest

from tests.browser.harness import shot, start_servers
from toolkit.labels import Label
from toolkit.panels import create_panel
from toolkit.rounds import Fund, Knapsack, Project, RoundSettings
from toolkit.store import open_store
from toolkit.voting import create_round, issue_codes

pytestmark = pytest.mark.browser

IDLE_SECONDS = 20


@pytest.fixture(scope="module")
def demo240(tmp_path_factory):
    from toolkit.demo import build_demo_database

    db = str(tmp_path_factory.mktemp("tablets-db") / "linli.sqlite")
    build_demo_database(db, count=240)
    return db


@pytest.fixture(scope="module")
def tablet_servers(demo240, tmp_path_factory):
    """Servers whose vote tablets reset after IDLE_SECONDS without a touch."""
    before = os.environ.get("LINLI_TABLET_RESET_SECONDS")
    os.environ["LINLI_TABLET_RESET_SECONDS"] = str(IDLE_SECONDS)
    try:
        running = start_servers(demo240, tmp_path_factory.mktemp("voila-tablets"))
    finally:
        if before is None:
            os.environ.pop("LINLI_TABLET_RESET_SECONDS", None)
        else:
            os.environ["LINLI_TABLET_RESET_SECONDS"] = before
    yield running
    for r in running.values():
        r.stop()


def box(page, selector):
    return page.locator(selector).first.bounding_box()


def overlaps(a, b) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"] or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def test_scoring_tablet_from_code_to_all_done(tablet_servers, demo240, tablet, tmp_path):
    panel_id, codes = create_panel(demo240, "锦绣片区评审", "selection", ["12", "57", "230"], ["王芳:community"])
    page = tablet.page
    page.goto(tablet_servers["resident"].url("scoring"))
    page.wait_for_selector("button.linli-enter", timeout=120_000)
    assert page.evaluate("document.documentElement.lang") == "zh-Hans"
    page.get_by_placeholder("评审码").fill(codes["王芳"])
    page.click("button.linli-enter")
    page.wait_for_selector("#linli-project-details", timeout=30_000)
    store = open_store(demo240)
    projects = ["P0012", "P0057", "P0230"]
    for i, pid in enumerate(projects):
        # The first unfinished project is selected and shown, with cost and a map.
        page.wait_for_selector(f".linli-projects button.mod-active:has-text('{pid}')", timeout=15_000)
        page.wait_for_selector(f"#linli-project-title:has-text('{pid}')", timeout=15_000)
        assert store.proposal(int(pid[1:]))["title"] in page.inner_text("#linli-project-details")
        assert "预估费用" in page.inner_text("#linli-project-cost")
        assert page.locator(".linli-legend").first.is_visible()
        conflict = box(page, "button.linli-conflict")
        first_criterion = box(page, ".linli-criterion")
        assert conflict["height"] >= 44 and not overlaps(conflict, first_criterion)
        if i == 0:
            shot(page, "scoring-tablet", tmp_path)
        if pid == "P0057":
            page.click("button.linli-conflict")
            page.wait_for_selector("button.linli-conflict:has-text('已申请回避')", timeout=10_000)
            assert page.locator("button.linli-conflict").is_visible()  # stays in sight once ticked
        else:
            groups = page.locator(".widget-toggle-buttons")
            for j in range(1, groups.count()):
                groups.nth(j).get_by_role("button", name=str(5 + j % 5), exact=True).click()
        page.click("button.linli-submit-sheet")
        expected = "全部评分已提交" if i + 1 == len(projects) else f"已提交 {i + 1} / {len(projects)}"
        page.wait_for_selector(f"#linli-progress:has-text('{expected}')", timeout=20_000)
        page.wait_for_selector(f"#linli-done-count:has-text('{i + 1} / {len(projects)}')", timeout=10_000)
    labels = page.locator(".linli-projects button").all_inner_texts()
    assert all(label.startswith("✓") for label in labels)
    assert "FOREIGN" not in page.inner_text("body") and "database" not in page.inner_text("body")
    reviewer = store.panel(panel_id)["reviewers"][0]["id"]
    assert store.submitted_sheets(panel_id) == {(reviewer, p) for p in projects}
    assert tablet.external == [] and tablet.errors == []


@pytest.fixture(scope="module")
def vote_round(demo240):
    store = open_store(demo240)
    projects = tuple(
        Project(f"V{i}", Label(f"候选项目{i}", f"Candidate {i}"), (20_000 + 5_000 * i) * 100, location=(104.115 + 0.006 * i, 30.64 + 0.004 * (i % 5)) if i % 3 else None)
        for i in range(1, 13)
    )
    settings = RoundSettings("tablets", Label("锦绣花园共有收益分配", "Jinxiu shared income"), projects, (Fund("shared", Label("共有资金", "Shared income"), 100_000_00),), Knapsack(), rule="greedy-cost")
    rid = create_round(store, settings, scrypt_n=2**8)
    codes = issue_codes(store, rid, 6)
    store.set_round_status(rid, "open")
    return rid, codes


def test_shared_vote_tablet(tablet_servers, demo240, vote_round, tablet, tmp_path):
    rid, codes = vote_round
    store = open_store(demo240)
    page = tablet.page
    page.goto(tablet_servers["resident"].url("vote", query=f"round={rid}"))
    page.wait_for_selector("button.linli-start", timeout=120_000)
    assert page.evaluate("document.documentElement.lang") == "zh-Hans"
    page.get_by_placeholder("例如").fill(codes[0])
    page.click("button.linli-start")
    page.wait_for_selector("#linli-meter", timeout=15_000)

    # Cards and markers carry the same numbers.
    cards = page.eval_on_selector_all(".linli-card-title", "els => Object.fromEntries(els.map(e => [e.dataset.project, e.dataset.number]))")
    pins = page.eval_on_selector_all(".linli-pin", "els => els.map(e => [e.dataset.project, e.dataset.number, e.textContent.trim()])")
    assert len(cards) == 12 and len(pins) == 8
    assert all(cards[pid] == n == shown for pid, n, shown in pins)
    assert page.locator(".linli-legend").first.is_visible()

    # A disabled "下一步" says why, next to it.
    assert page.locator("button.linli-review").is_disabled()
    why = page.locator("#linli-why-disabled")
    assert "请先选择至少一个项目" in why.inner_text()
    assert abs(box(page, "#linli-why-disabled")["y"] - box(page, "button.linli-review")["y"]) < 80
    # The grid-worker field is not shown to residents, only behind "工作人员协助".
    assert not page.locator(".linli-assisted-name").is_visible()
    for pid in ("V10", "V11", "V12"):  # ¥70,000 + ¥75,000 + ¥80,000 > ¥100,000
        page.click(f"button.linli-pick-{pid}")
    page.wait_for_selector("#linli-why-disabled:has-text('超出预算')", timeout=10_000)
    # The meter stays in sight while the list scrolls.
    page.locator(".linli-project-card").last.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    bar = box(page, ".linli-sticky-bar")
    assert 0 <= bar["y"] < 800 and page.locator("#linli-meter").is_visible()
    shot(page, "vote-scrolled", tmp_path)
    for pid in ("V11", "V12"):
        page.click(f"button.linli-pick-{pid}")
    page.wait_for_selector("button.linli-review:not([disabled])", timeout=10_000)
    assert page.locator("#linli-why-disabled").count() == 0
    page.click("button.linli-assist-toggle")
    page.wait_for_selector(".linli-assisted-name", state="visible", timeout=10_000)
    page.locator(".linli-assisted-name input").fill("网格员李")
    page.locator(".linli-assisted-name input").press("Enter")
    page.click("button.linli-review")
    page.wait_for_selector("#linli-review", timeout=10_000)
    page.click("button.linli-confirm-vote")
    page.wait_for_selector("#linli-vote-receipt", timeout=15_000)
    assert store.turnout(rid)["by_channel"] == {"assisted": 1}

    # "下一位" resets the page at once (no reload).
    started = time.monotonic()
    page.click("button.linli-next-voter")
    page.wait_for_selector("button.linli-start", state="visible", timeout=5_000)
    elapsed = time.monotonic() - started
    assert elapsed < 1.0, f"next voter took {elapsed:.2f} s"
    assert page.get_by_placeholder("例如").input_value() == ""
    assert not page.locator("#linli-vote-receipt").is_visible()

    # The next resident starts, then walks away: the tablet returns to the code screen.
    page.get_by_placeholder("例如").fill(codes[1])
    page.click("button.linli-start")
    page.wait_for_selector("#linli-meter", state="visible", timeout=15_000)
    page.click("button.linli-pick-V1")
    page.wait_for_selector("button.linli-pick-V1:has-text('已选')", timeout=10_000)
    assert not page.locator(".linli-assisted-name").is_visible()  # the assisted mode was reset too
    left_at = time.monotonic()
    page.wait_for_selector("button.linli-start", state="visible", timeout=(IDLE_SECONDS + 40) * 1000)
    waited = time.monotonic() - left_at
    assert waited >= IDLE_SECONDS - 2, f"reset after {waited:.1f} s, before the idle time"
    assert page.get_by_placeholder("例如").input_value() == ""
    assert store.turnout(rid)["ballots"] == 1
    assert tablet.external == [] and tablet.errors == []


@pytest.mark.parametrize("lang, expected", [("zh", "zh-Hans"), ("en", "en")])
def test_document_language_follows_the_page(tablet_servers, tablet, lang, expected):
    page = tablet.page
    page.goto(tablet_servers["resident"].url("propose", query=f"lang={lang}"))
    page.wait_for_selector(".linli-page", timeout=120_000)
    assert page.evaluate("document.documentElement.lang") == expected
    # the map: a legend in the page's language and zoom buttons a finger can hit
    legend = page.locator(".linli-legend").first
    assert legend.is_visible() and ("小区" if lang == "zh" else "Compound") in legend.inner_text()
    for b in page.locator(".leaflet-control-zoom a").all():
        bb = b.bounding_box()
        assert bb["width"] >= 44 and bb["height"] >= 44
    if lang == "zh":  # the page's own language switch moves the document language with it
        page.get_by_role("button", name="English", exact=True).click()
        page.wait_for_function("document.documentElement.lang === 'en'", timeout=15_000)


def test_live_map_rings_the_newest_and_labels_compounds(tablet_servers, demo240, projector, tmp_path):
    page = projector.page
    page.goto(tablet_servers["staff"].url("live-map"))
    page.wait_for_selector("#linli-total", timeout=120_000)
    page.wait_for_selector("path.linli-newest", timeout=30_000)
    newest = int(open_store(demo240).proposals_frame()["id"].max())
    assert page.locator(f"path.linli-newest.linli-proposal-{newest}").count() == 1
    assert page.locator("path.linli-newest").count() == 1
    legend = page.locator(".linli-legend").first.inner_text()
    assert "最新" in legend and "环境" in legend  # the newest marker and the categories
    # compound names appear as the map zooms in (at the district-wide zoom they would pile up)
    before = page.locator(".linli-compound-name").count()
    for _ in range(4):
        page.click(".leaflet-control-zoom-in")
        page.wait_for_timeout(700)
    page.wait_for_function(f"document.querySelectorAll('.linli-compound-name').length > {before}", timeout=20_000)
    shot(page, "live-map-newest", tmp_path)


def test_paper_mismatch_names_projects_in_words(tablet_servers, demo240, vote_round, projector):
    rid, _codes = vote_round
    page = projector.page
    page.goto(tablet_servers["staff"].url("paper", query=f"round={rid}"))
    page.wait_for_selector("button.linli-save-paper", timeout=120_000)
    for operator, picks in (("张敏", ["V1"]), ("刘洋", ["V1", "V4"])):
        page.locator(".linli-operator input").fill(operator)
        page.locator(".linli-operator input").press("Tab")
        page.locator(".linli-serial input").fill("0042")
        page.locator(".linli-serial input").press("Tab")
        for pid in picks:
            page.click(f"button.linli-pick-{pid}")
        page.click("button.linli-save-paper")
        role = "第一位录入员" if operator == "张敏" else "第二位录入员"
        page.wait_for_selector(f"#linli-paper-saved:has-text('已保存（{role}）')", timeout=15_000)
    state = page.locator("#linli-paper-state li[data-serial='0042']")
    state.wait_for(timeout=15_000)
    text = state.inner_text()
    assert "项目 4. 候选项目4" in text and "projects." not in text and "V4" not in text
    assert projector.external == [] and projector.errors == []


@pytest.mark.parametrize("page_name, audience, query", [
    ("scoring", "resident", ""), ("vote", "resident", "round={rid}"), ("propose", "resident", ""),
    ("paper", "staff", "round={rid}"), ("screening", "staff", ""), ("plan", "staff", ""),
])
def test_english_buttons_are_not_cut_off(tablet_servers, vote_round, tablet, page_name, audience, query):
    rid, _codes = vote_round
    page = tablet.page
    q = "lang=en" + ("&" + query.format(rid=rid) if query else "")
    page.goto(tablet_servers[audience].url(page_name, query=q))
    page.wait_for_selector(".linli-page, .linli-projector", timeout=120_000)
    page.wait_for_timeout(500)
    cut = page.evaluate("""() => [...document.querySelectorAll('button')].filter(b => b.offsetParent !== null).filter(b => {
        const cs = getComputedStyle(b);
        return b.scrollWidth > b.clientWidth + 1 || (cs.textOverflow === 'ellipsis' && cs.overflow !== 'visible' && cs.whiteSpace === 'nowrap');
    }).map(b => b.textContent.trim())""")
    assert cut == [], f"buttons cut off on {page_name}: {cut}"
    assert page.evaluate("document.documentElement.lang") == "en"


def test_freezing_a_plan_asks_in_a_dialog_in_sight(tablet_servers, demo240, projector):
    from toolkit.planning import load_process

    store = open_store(demo240)
    plan_id = store.create_plan("锦绣花园共有资金收支计划", 6)
    page = projector.page
    page.goto(tablet_servers["staff"].url("plan", query=f"plan={plan_id}"))
    page.wait_for_selector("button.linli-propose-version", timeout=120_000)
    page.click("button.linli-propose-version")  # an empty, balanced first version
    page.wait_for_selector("#linli-plan-status", timeout=15_000)
    page.locator("button.linli-freeze-plan").scroll_into_view_if_needed()
    page.click("button.linli-freeze-plan")
    question = page.locator(".linli-confirm-question")
    question.wait_for(state="visible", timeout=10_000)
    q, yes = question.bounding_box(), page.locator("button.linli-confirm-yes").bounding_box()
    assert 0 <= q["y"] and yes["y"] + yes["height"] <= 1080  # the dialog is in sight, not up the page
    assert "锦绣花园共有资金收支计划" in question.inner_text()
    assert not load_process(store, plan_id).frozen
    page.click("button.linli-confirm-no")
    question.wait_for(state="hidden", timeout=10_000)
    page.click("button.linli-freeze-plan")
    page.click("button.linli-confirm-yes")
    page.wait_for_selector("#linli-plan-status[data-final='1']", timeout=15_000)
    assert load_process(store, plan_id).frozen
    assert projector.external == [] and projector.errors == []
