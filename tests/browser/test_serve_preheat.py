"""Preheated kernels (LINLI_POOL_SIZE) keep the page URL working: the page reads ``?lang=`` and ``?code=``
when the visitor's request arrives, not when the pool kernel ran the page ahead of time."""

from __future__ import annotations

import re

import pytest

from tests.browser.harness import start_servers
from toolkit.labels import Label
from toolkit.rounds import Fund, Knapsack, Project, RoundSettings
from toolkit.store import open_store
from toolkit.voting import create_round, issue_codes

pytestmark = pytest.mark.browser


def test_preheated_pages_read_lang_and_code_from_the_request(browser, tmp_path):
    from toolkit.demo import build_demo_database

    db = build_demo_database(str(tmp_path / "linli.sqlite"))
    store = open_store(db)
    projects = tuple(Project(p, Label(f"项目{p}", f"Project {p}"), 50_000_00) for p in "ABC")
    rid = create_round(store, RoundSettings("pre", Label("预热测试", "Preheat test"), projects,
                                            (Fund("f", Label("资金", "Fund"), 100_000_00),), Knapsack()), scrypt_n=2**8)
    code = issue_codes(store, rid, 1)[0]
    store.set_round_status(rid, "open")
    servers = start_servers(db, tmp_path, pool_size=1)
    try:
        resident = servers["resident"]
        ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        page = ctx.new_page()
        # Wait until the pools are full, so the pages below are served by preheated kernels.
        for _ in range(240):
            if resident.log.read_text().count("is filled with 1 kernel(s)") >= 2:
                break
            page.wait_for_timeout(500)
        # The preheated propose kernel built its form in Chinese before anyone came; the visitor's
        # ?lang=en and ?sid= (a reload after a lost kernel) still decide the page.
        page.goto(resident.url("propose", query="lang=en&sid=reload-after-crash-42"), timeout=120_000)
        page.wait_for_selector("button.linli-submit", timeout=120_000)
        page.wait_for_function("document.querySelector('button.linli-submit').innerText.trim() === 'Submit proposal'", timeout=30_000)
        assert page.get_attribute(".linli-sid", "data-sid") == "reload-after-crash-42"
        assert "sid=reload-after-crash-42" in page.url
        assert "Home" in page.inner_text(".linli-back-home") and "DEMO data" in page.inner_text("body")
        page.goto(resident.url("vote", query=f"round={rid}&code={code}&lang=en"), timeout=120_000)
        page.wait_for_selector("button.linli-start", timeout=120_000)
        assert page.locator("input[type=text]").first.input_value() == code
        assert not re.search(r"[\u4e00-\u9fff]", page.inner_text("button.linli-start"))
        log = resident.log.read_text()
        assert "Using pre-heated kernel" in log and "propose.ipynb" in log and "vote.ipynb" in log
        used = re.findall(r"Using pre-heated kernel: \S+ for (\S+)", log)
        assert any(u.endswith("propose.ipynb") for u in used) and any(u.endswith("vote.ipynb") for u in used)
        # The refilled pool serves the next visitor in the default language.
        page.goto(resident.url("propose"), timeout=120_000)
        page.wait_for_selector("button.linli-submit", timeout=120_000)
        assert page.inner_text("button.linli-submit").strip() == "提交建议"
        ctx.close()
    finally:
        for s in servers.values():
            s.stop()
