"""Two reviewers score on two tablets; the projected tally updates without reload, shows who is
missing, locks when both are in; its final ranking equals `linli score aggregate` on the
exported CSV."""

from __future__ import annotations

import base64
import json
import subprocess
import sys

import pytest

from tests.browser.harness import shot
from toolkit.panels import create_panel

pytestmark = pytest.mark.browser


def score_everything(page, base: int, conflict_on: str | None = None) -> None:
    labels = page.locator(".widget-toggle-buttons").first.locator("button").all_inner_texts()
    for i, label in enumerate(labels):
        pid = label.split()[0]
        page.get_by_role("button", name=label, exact=True).click()
        if pid == conflict_on:
            page.click("button.linli-conflict")
            page.wait_for_selector("button.linli-conflict:has-text('已申请回避')", timeout=10_000)
        else:
            groups = page.locator(".widget-toggle-buttons")
            for j in range(1, groups.count()):
                value = str((base + i * 3 + j) % 11)
                groups.nth(j).get_by_role("button", name=value, exact=True).click()
        page.click("button.linli-submit-sheet")
        expected = "全部评分已提交" if i + 1 == len(labels) else f"已提交 {i + 1} / {len(labels)}"
        page.wait_for_selector(f"#linli-progress:has-text('{expected}')", timeout=15_000)


def test_two_tablets_and_a_live_tally(servers, browser_db, browser, projector, tmp_path):
    from tests.browser.conftest import Tab

    panel_id, codes = create_panel(browser_db, "浏览器测试评审", "selection", ["1", "2", "3"], ["王芳:community", "李工:district"])
    tally = projector.page
    tally.goto(servers["staff"].url("tally", query=f"panel={panel_id}"))
    tally.wait_for_selector("#linli-sheets", timeout=90_000)
    assert "0 / 6" in tally.inner_text("#linli-sheets")
    assert "王芳" in tally.inner_text("#linli-missing") and "李工" in tally.inner_text("#linli-missing")

    tablets = [Tab(browser, 1280, 800), Tab(browser, 1280, 800)]
    try:
        for tab, (name, code) in zip(tablets, codes.items()):
            tab.page.goto(servers["resident"].url("scoring"))
            tab.page.wait_for_selector("button.linli-enter", timeout=90_000)
            tab.page.get_by_placeholder("评审码").fill(code)
            tab.page.click("button.linli-enter")
            tab.page.wait_for_selector(f"text={name}", timeout=15_000)
        shot(tablets[0].page, "scoring", tmp_path)

        score_everything(tablets[0].page, 4)
        tally.wait_for_selector("#linli-sheets:has-text('3 / 6')", timeout=15_000)
        missing = tally.inner_text("#linli-missing")
        assert "李工" in missing and "王芳" not in missing

        score_everything(tablets[1].page, 7, conflict_on="P0002")
        tally.wait_for_selector("#linli-missing:has-text('已锁定')", timeout=15_000)
        tally.wait_for_selector("#linli-ranking tr[data-project='P0003']", timeout=5_000)
        shot(tally, "tally", tmp_path)
        for tab in tablets:
            assert tab.external == [] and tab.errors == []
    finally:
        for tab in tablets:
            tab.close()

    shown = tally.eval_on_selector_all("#linli-ranking tr[data-project]", "rows => rows.map(r => r.dataset.project)")
    href = tally.get_attribute("#linli-export-csv", "href")
    csv_path = tmp_path / "export.csv"
    csv_path.write_bytes(base64.b64decode(href.split("base64,", 1)[1]))
    out = subprocess.run(
        [sys.executable, "-m", "toolkit.cli", "score", "aggregate", str(csv_path), "--rubric", "selection", "--json"],
        capture_output=True, text=True, check=True,
    ).stdout
    cli = json.loads(out)
    assert [p["id"] for p in sorted(cli["projects"], key=lambda p: p["rank"])] == shown
    assert len(shown) == 3 and projector.external == []
