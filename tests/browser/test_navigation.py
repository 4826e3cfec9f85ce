"""Getting around in a real browser at demo scale (240 proposals): each server's root opens its
home page; the staff home links to every page with the right id; round-desk sets up a round by
ticking projects in a paged, searchable table, lands on ``?round=ID``, refuses a project dearer
than the fund and opening with no codes, and closes only after a confirmation; a panel created
on the home page shows its one-time codes once; a bad or missing id shows a plain page in the
page's language with a link home, never Voila's error page or another round."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import Tab
from tests.browser.harness import STAFF_TOKEN, shot, start_servers
from toolkit.panels import reviewer_by_code
from toolkit.store import open_store

pytestmark = pytest.mark.browser
WAIT = 180_000  # the machine is shared: Voila pages can take minutes under load


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> str:
    from toolkit.demo import build_demo_database

    db = str(tmp_path_factory.mktemp("nav-db") / "linli.sqlite")
    build_demo_database(db)  # the demo district: 240 proposals
    return db


@pytest.fixture(scope="module")
def nav_servers(demo_db, tmp_path_factory):
    running = start_servers(demo_db, tmp_path_factory.mktemp("nav-voila"))
    yield running
    for r in running.values():
        r.stop()


def staff_root(servers, query: str = "") -> str:
    return f"{servers['staff'].base}/?token={STAFF_TOKEN}" + (f"&{query}" if query else "")


def no_voila_error(page) -> None:
    body = page.inner_text("body")
    assert "Traceback" not in body and "There was an error" not in body and "Select items to open" not in body, body[:500]


def test_round_desk_at_demo_scale_from_the_staff_home(nav_servers, demo_db, browser, tmp_path):
    store = open_store(demo_db)
    assert store.count_proposals() == 240
    tab = Tab(browser, 1920, 1080)
    page = tab.page
    page.set_default_timeout(WAIT)  # Voila's page "load" waits for the kernel; the machine is shared
    try:
        page.goto(staff_root(nav_servers))
        page.wait_for_selector(".linli-staff-home", timeout=WAIT)
        assert "/voila/render/home.ipynb" in page.url
        assert page.inner_text("#linli-glance").count("240") == 2  # 240 proposals, 240 awaiting screening
        page.click("a.linli-new-round")
        page.wait_for_selector(".linli-round-desk", timeout=WAIT)
        no_voila_error(page)
        # nothing screened 议 yet: the table says so, the toggle shows every proposal
        assert "还没有筛选为“议”的建议" in page.inner_text(".linli-pager")
        page.check(".linli-show-all input")
        page.wait_for_function("document.querySelector('.linli-pager').innerText.includes('共 240 条')", timeout=30_000)
        rows = page.locator(".linli-candidate-row:visible")
        assert rows.count() == 15
        for i in range(rows.count()):  # the collapse of issue 10: rows were under 2 px
            box = rows.nth(i).bounding_box()
            assert box["height"] >= 44, box
        tick = page.locator(".linli-candidate-row:visible .linli-pick input").first.bounding_box()
        assert tick["height"] >= 44 and tick["width"] >= 44, tick
        assert "规则编号：greedy-votes" in page.inner_text(".linli-rule-id") and "得票多者优先" in page.inner_text(".linli-rule-id")
        shot(page, "round-desk", tmp_path)

        picks = page.locator(".linli-candidate-row:visible .linli-pick input")
        for i in range(3):
            picks.nth(i).check()
        page.click("button.linli-page-next")
        page.wait_for_function("document.querySelector('.linli-pager').innerText.startsWith('第 2 / 16 页')", timeout=30_000)
        page.locator(".linli-candidate-row:visible .linli-pick input").first.check()
        page.wait_for_selector("#linli-chosen[data-n='4']", timeout=30_000)
        page.fill(".linli-candidate-search input", "216.")  # search by number as shown: proposal 216
        page.press(".linli-candidate-search input", "Enter")
        page.wait_for_function("document.querySelector('.linli-pager').innerText.includes('共 1 条')", timeout=30_000)
        page.fill(".linli-candidate-search input", "")
        page.press(".linli-candidate-search input", "Enter")
        page.wait_for_function("document.querySelector('.linli-pager').innerText.startsWith('第 1 / 16 页')", timeout=30_000)
        assert page.locator(".linli-candidate-row:visible .linli-pick input").nth(2).is_checked()  # ticks survive paging

        # a project dearer than the whole fund is refused, with the numbers
        cost = page.locator(".linli-candidate-row:visible .linli-cost input").first
        cost.fill("400000")
        cost.press("Enter")
        page.fill(".linli-round-name input", "锦绣花园第一轮")
        page.click("button.linli-create-round")
        page.wait_for_selector("#linli-desk-error", timeout=30_000)
        error = page.inner_text("#linli-desk-error")
        assert "¥400,000" in error and "¥300,000" in error and "projects[" not in error, error
        assert store.rounds() == []
        cost.fill("20000")
        cost.press("Enter")
        page.click("button.linli-create-round")
        page.wait_for_url(re.compile(r"round=\d+"), timeout=30_000)  # the id goes into the address
        rid = int(re.search(r"round=(\d+)", page.url).group(1))
        assert store.round(rid)["status"] == "draft" and len(store.round(rid)["projects"]) == 4

        # voting cannot open with no codes issued
        page.click("button.linli-open-round")
        page.wait_for_selector("#linli-desk-error", timeout=30_000)
        assert "还没有生成投票码" in page.inner_text("#linli-desk-error")
        assert store.round(rid)["status"] == "draft"
        page.fill(".linli-codes-count input", "3")
        page.press(".linli-codes-count input", "Enter")
        page.click("button.linli-make-codes")
        page.wait_for_selector("#linli-round-status[data-codes='3']", timeout=60_000)
        page.click("button.linli-open-round")
        page.wait_for_selector("#linli-round-status[data-status='open']", timeout=30_000)

        page.reload()  # a reload shows the round, not an empty form
        page.wait_for_selector("#linli-round-status[data-status='open']", timeout=WAIT)

        # closing asks first; cancel keeps voting open
        page.click("button.linli-close-round")
        page.wait_for_selector(".linli-confirm-question", timeout=30_000)
        assert f"第 {rid} 轮" in page.inner_text(".linli-confirm-question")
        page.click("button.linli-confirm-no")
        page.wait_for_selector(".linli-confirm", state="hidden", timeout=30_000)
        assert store.round(rid)["status"] == "open"
        page.click("button.linli-close-round")
        page.click("button.linli-confirm-yes")
        page.wait_for_selector("#linli-round-status[data-status='closed']", timeout=60_000)
        assert store.round(rid)["status"] == "closed"

        # home lists the round with links carrying its id
        page.click("a.linli-home-link")
        page.wait_for_selector(f"#linli-rounds tr[data-round='{rid}']", timeout=WAIT)
        assert "已结束" in page.inner_text(f"#linli-rounds tr[data-round='{rid}']")
        page.click(f"#linli-rounds tr[data-round='{rid}'] a[href*='results.ipynb']")
        page.wait_for_selector("#linli-results", timeout=WAIT)
        assert f"round={rid}" in page.url  # (the token lives in the login cookie after the first visit)
        assert len(tab.external) == 0, tab.external
    finally:
        tab.close()


def test_panel_created_on_the_staff_home(nav_servers, demo_db, browser, tmp_path):
    store = open_store(demo_db)
    tab = Tab(browser, 1920, 1080)
    page = tab.page
    page.set_default_timeout(WAIT)  # Voila's page "load" waits for the kernel; the machine is shared
    try:
        page.goto(staff_root(nav_servers))
        page.wait_for_selector("button.linli-new-panel", timeout=WAIT)
        page.click("button.linli-new-panel")
        form = page.locator(".linli-panel-form")
        form.locator("select[multiple]").wait_for(timeout=30_000)
        page.click("button.linli-create-panel")  # nothing filled: said plainly
        page.wait_for_selector(".linli-panel-form .linli-error", timeout=30_000)
        assert "请填写评审组名称" in page.inner_text(".linli-panel-form .linli-error")
        form.locator("input[type='text']").first.fill("东风社区微更新评审")
        form.locator("input[type='text']").first.press("Enter")
        labels = form.locator("select[multiple] option").all_inner_texts()[:3]
        form.locator("select[multiple]").select_option(label=labels)
        names = form.locator("input[placeholder='姓名']")
        names.nth(0).fill("王芳")
        names.nth(1).fill("<b>李工</b>")  # a hostile name is shown as text
        form.locator(".widget-toggle-buttons").nth(1).get_by_text("街道").click()
        for i in (0, 1):
            names.nth(i).press("Enter")
        page.click("button.linli-create-panel")
        page.wait_for_selector("#linli-panel-created", timeout=60_000)
        panel_id = int(page.get_attribute("#linli-panel-created", "data-panel"))
        codes = page.locator("#linli-panel-created .linli-code").all_inner_texts()
        assert len(codes) == 2
        assert page.locator("#linli-panel-created b").count() == 0 and "<b>李工</b>" in page.inner_text("#linli-panel-created")
        assert [reviewer_by_code(store, c)["tier"] for c in codes] == ["community", "street"]
        assert len(store.panel(panel_id)["projects"]) == 3
        assert page.get_attribute("#linli-panel-codes-print", "href").startswith("data:text/html;base64,")
        shot(page, "staff-home-panel", tmp_path)
        page.click("#linli-panel-created a.linli-open-tally")
        page.wait_for_url(re.compile(rf"panel={panel_id}"), timeout=WAIT)
        page.wait_for_selector(".linli-staff-page", timeout=WAIT)
        no_voila_error(page)
        assert "没有这个" not in page.inner_text("body")

        # a new plan from the home page lands on ?plan=ID
        page.click("a.linli-home-link")
        page.click("a.linli-new-plan")
        page.get_by_role("button", name="新建计划").click()
        page.wait_for_url(re.compile(r"plan=\d+"), timeout=60_000)
        assert int(re.search(r"plan=(\d+)", page.url).group(1)) == store.plans()[0]["id"]
    finally:
        tab.close()


BAD = [
    ("staff", "round-desk", "round=abc", "没有这个轮次", "abc"),
    ("staff", "round-desk", "round=abc&lang=en", "No such round", "abc"),
    ("staff", "results", "round=999", "没有这个轮次", "999"),
    ("staff", "paper", "round=-1&lang=en", "No such round", "-1"),
    ("staff", "tally", "panel=abc&lang=en", "No such scoring panel", "abc"),
    ("staff", "plan", "plan=77", "没有这个收支方案", "77"),
    ("resident", "vote", "round=abc", "没有这个轮次", "abc"),
    ("resident", "vote", "round=abc&lang=en", "No such round", "abc"),
]


def test_bad_ids_show_a_plain_page_in_the_page_language(nav_servers, browser, tmp_path):
    tab = Tab(browser, 1280, 800)
    page = tab.page
    page.set_default_timeout(WAIT)  # Voila's page "load" waits for the kernel; the machine is shared
    try:
        for audience, name, query, title, value in BAD:
            page.goto(nav_servers[audience].url(name, query=query))
            try:
                page.wait_for_selector("#linli-message-page", timeout=WAIT)
            except Exception as exc:
                raise AssertionError(f"{name}?{query}: {page.inner_text('body')[:800]}") from exc
            text = page.inner_text("#linli-message-page")
            assert title in text and value in text, (name, query, text)
            assert page.locator("#linli-round-status, #linli-results, #linli-turnout").count() == 0  # never another round
            no_voila_error(page)
            home = page.get_attribute("#linli-message-page a", "href")
            assert home.startswith("home.ipynb?") and ("lang=en" in home) == ("lang=en" in query)
            if "lang=en" in query:
                assert not re.search(r"[\u4e00-\u9fff]", text), text
        shot(page, "bad-id", tmp_path)
        page.click("#linli-message-page a")  # the link home works (resident server here)
        page.wait_for_selector(".linli-tiles", timeout=WAIT)
    finally:
        tab.close()


def test_resident_root_opens_the_tiles(nav_servers, demo_db, browser, tmp_path):
    tab = Tab(browser, 1280, 800)
    page = tab.page
    page.set_default_timeout(WAIT)  # Voila's page "load" waits for the kernel; the machine is shared
    try:
        page.goto(nav_servers["resident"].base + "/")
        page.wait_for_selector(".linli-tiles", timeout=WAIT)
        assert page.url.endswith("/voila/render/home.ipynb")
        no_voila_error(page)
        tiles = page.locator(".linli-tile")
        assert [tiles.nth(i).get_attribute("data-page") for i in range(tiles.count())][:3] == ["propose", "vote", "scoring"]
        for i in range(tiles.count()):
            box = tiles.nth(i).bounding_box()
            assert box["height"] >= 150 and box["width"] >= 300, box
        store = open_store(demo_db)
        opened = [r for r in store.rounds() if r["status"] == "open"]
        vote = page.locator(".linli-tile[data-page='vote']")
        if not opened:
            assert vote.get_attribute("aria-disabled") == "true" and "现在没有正在进行的投票" in vote.inner_text()
        shot(page, "resident-home", tmp_path)
        page.click(".linli-tile[data-page='propose']")
        page.wait_for_url(re.compile(r"propose\.ipynb\?lang=zh"), timeout=WAIT)
        page.goto(nav_servers["resident"].base + "/?lang=en")
        page.wait_for_selector(".linli-tiles", timeout=WAIT)
        assert "lang=en" in page.url and "Make a proposal" in page.inner_text(".linli-tiles")
        assert not re.search(r"[\u4e00-\u9fff]", page.inner_text(".linli-tiles"))
        assert len(tab.external) == 0, tab.external
    finally:
        tab.close()


def test_a_page_that_does_not_exist_says_so_with_a_link_home(nav_servers, browser):
    tab = Tab(browser, 1280, 800)
    page = tab.page
    page.set_default_timeout(WAIT)
    try:
        page.goto(nav_servers["resident"].base + "/voila/render/no-such-page.ipynb")
        page.wait_for_selector("#linli-message-page")
        assert "没有这个页面" in page.inner_text("#linli-message-page")
        assert "You are requesting" not in page.content()
        page.click("#linli-message-page a")
        page.wait_for_selector(".linli-tiles")
    finally:
        tab.close()
