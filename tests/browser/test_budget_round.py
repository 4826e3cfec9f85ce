"""A budget round in real browsers: five tablets vote with five codes, a reused code is refused,
a ballot forced over the budget in the browser is refused by Python, the facilitator closes the
round, and the projected funded set equals `linli pb allocate` on the exported .pb."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys

import pytest

from tests.browser.conftest import Tab
from tests.browser.harness import shot
from toolkit.labels import Label
from toolkit.rounds import Fund, Knapsack, Project, RoundSettings
from toolkit.store import open_store
from toolkit.voting import create_round, issue_codes

pytestmark = pytest.mark.browser

RULE = "mes:cost:add1-greedy"
PICKS = [["A", "B"], ["A", "C"], ["B", "C", "E"], ["D"], ["C", "E"]]


def test_five_tablets_then_close_and_project(servers, browser_db, browser, projector, tmp_path):
    store = open_store(browser_db)
    settings = RoundSettings(
        "browser", Label("锦绣花园共有收益分配", "Jinxiu shared income"),
        (
            Project("A", Label("电动车充电棚", "E-bike charging shed"), 180_000_00, location=(104.12, 30.64)),
            Project("B", Label("院坝凉亭", "Pavilion"), 66_000_00, location=(104.13, 30.65)),
            Project("C", Label("院落文化墙", "Culture wall"), 20_000_00),
            Project("D", Label("口袋公园", "Pocket park"), 250_000_00),
            Project("E", Label("长者助餐点", "Meals for the elderly"), 90_000_00),
        ),
        (Fund("shared", Label("共有资金", "Shared income"), 300_000_00),),
        Knapsack(), rule=RULE,
    )
    rid = create_round(store, settings, scrypt_n=2**8)
    codes = issue_codes(store, rid, 5)
    store.set_round_status(rid, "open")

    board = projector.page
    board.goto(servers["staff"].url("results", query=f"round={rid}"))
    board.wait_for_selector("#linli-turnout", timeout=90_000)
    assert "已投 0 票" in board.inner_text("#linli-turnout")

    tablets = [Tab(browser, 1280, 800) for _ in codes]
    try:
        for tab in tablets:
            tab.page.goto(servers["resident"].url("vote", query=f"round={rid}"))
        for tab, code, picks in zip(tablets, codes, PICKS):
            page = tab.page
            page.wait_for_selector("button.linli-start", timeout=90_000)
            page.get_by_placeholder("例如").fill(code)
            page.click("button.linli-start")
            page.wait_for_selector("#linli-meter", timeout=15_000)
            if picks == ["D"]:
                # Forced over the budget: D + A = ¥430,000 > ¥300,000; the page disables the
                # button, the browser re-enables it, Python refuses the ballot.
                page.click("button.linli-pick-A")
                page.click("button.linli-pick-D")
                page.wait_for_selector("#linli-meter.linli-error", timeout=10_000)
                assert "超出预算 ¥130,000" in page.inner_text("#linli-meter")
                page.eval_on_selector("button.linli-review", "b => { b.disabled = false; }")
                page.click("button.linli-review")
                page.wait_for_selector(".linli-error:has-text('超出预算 ¥130,000')", timeout=10_000)
                assert store.turnout(rid)["ballots"] == sum(1 for p in PICKS[: PICKS.index(picks)])
                page.click("button.linli-pick-A")  # take A off again
            else:
                for pid in picks:
                    page.click(f"button.linli-pick-{pid}")
                if picks == PICKS[0]:
                    shot(page, "vote", tmp_path, full_page=True)
            page.click("button.linli-review")
            page.wait_for_selector("#linli-review", timeout=10_000)
            page.click("button.linli-confirm-vote")
            page.wait_for_selector("#linli-vote-receipt", timeout=15_000)
            assert re.fullmatch(r"[0-9A-Z]{3}-[0-9A-Z]{3}", page.inner_text("#linli-vote-receipt").strip())

        # A reused code is refused (here opened as from the code sheet's QR: ?code=... fills it in).
        again = tablets[0].page
        again.goto(servers["resident"].url("vote", query=f"round={rid}&code={codes[1]}"))
        again.wait_for_selector("button.linli-start", timeout=90_000)
        assert again.get_by_placeholder("例如").input_value() == codes[1]
        again.click("button.linli-start")
        again.wait_for_selector(".linli-error:has-text('已经投过票')", timeout=10_000)
        for tab in tablets:
            assert tab.external == [] and tab.errors == []
    finally:
        for tab in tablets:
            tab.close()

    assert store.turnout(rid)["ballots"] == 5
    board.wait_for_selector("#linli-turnout:has-text('已投 5 票')", timeout=15_000)
    assert board.locator("#linli-results").count() == 0  # no counts before close

    # The facilitator closes the round from the desk.
    desk = Tab(browser, 1920, 1080)
    try:
        desk.page.goto(servers["staff"].url("round-desk", query=f"round={rid}"))
        desk.page.wait_for_selector("button.linli-close-round", timeout=90_000)
        desk.page.click("button.linli-close-round")
        desk.page.click("button.linli-confirm-yes")  # closing asks first
        desk.page.wait_for_selector("#linli-round-status[data-status='closed']", timeout=30_000)
    finally:
        desk.close()

    board.wait_for_selector("#linli-results", timeout=30_000)
    funded = board.eval_on_selector_all("#linli-results tr[data-funded='1']", "rows => rows.map(r => r.dataset.project)")
    href = board.get_attribute("#linli-export-pb", "href")
    pb = tmp_path / "round.pb"
    pb.write_bytes(base64.b64decode(href.split("base64,", 1)[1]))
    out = subprocess.run(
        [sys.executable, "-m", "toolkit.cli", "pb", "allocate", str(pb), "--rule", "mes", "--utility", "cost", "--completion", "add1-greedy", "--json"],
        capture_output=True, text=True, check=True,
    )
    assert sorted(json.loads(out.stdout)["selected"]) == sorted(funded) and funded
    assert "mes" in board.inner_text("#linli-compare")
    shot(board, "results", tmp_path)
    assert projector.external == [] and projector.errors == []
