"""Issue 11, finding 7, in the real browser: the propose page keeps its submission id in the address
(?sid=); when its kernel dies the page says so in plain words; a reload (a new kernel, the same
address) resubmits the same id and the store keeps one proposal, showing the first receipt."""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.browser.harness import kernels
from toolkit.store import open_store

pytestmark = pytest.mark.browser
TARGET = "S2C2Y2"


def fill(page) -> None:
    page.wait_for_selector(f"path.linli-compound-{TARGET}", timeout=90_000)
    page.click(f"path.linli-compound-{TARGET}")
    page.get_by_role("button", name="安全", exact=True).click()
    page.get_by_placeholder("例如").fill("断电后重新提交")
    areas = page.locator("textarea")
    areas.nth(0).fill("路口没有灯")
    areas.nth(2).fill("加装路灯")


def test_reload_after_a_kernel_crash_stores_no_duplicate(servers, browser_db, tablet):
    store = open_store(browser_db)
    resident = servers["resident"]
    page = tablet.page
    before_kernels = set(kernels(resident))
    page.goto(resident.url("propose"))
    fill(page)
    sid = page.get_attribute(".linli-sid", "data-sid")
    page.wait_for_function(f"new URL(location.href).searchParams.get('sid') === '{sid}'", timeout=10_000)
    page.click("button.linli-submit")
    page.wait_for_selector("#linli-receipt", timeout=30_000)
    code = page.inner_text("#linli-receipt").strip()
    count = store.count_proposals()

    mine = set(kernels(resident)) - before_kernels
    assert len(mine) == 1, mine
    os.kill(mine.pop(), signal.SIGKILL)  # the kernel this test's page started
    page.wait_for_selector("#linli-kernel-lost", timeout=60_000)
    assert "刷新页面" in page.inner_text("#linli-kernel-lost")

    page.reload()  # the address still holds ?sid=
    assert f"sid={sid}" in page.url
    fill(page)
    page.click("button.linli-submit")
    page.wait_for_selector("#linli-receipt", timeout=30_000)
    assert page.inner_text("#linli-receipt").strip() == code
    assert "之前已经提交过" in page.inner_text(".linli-receipt-box")
    time.sleep(0.5)
    assert store.count_proposals() == count
