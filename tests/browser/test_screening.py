"""The screening page in a real browser: pick a kind, confirm in the dialog, the decision is
stored; the last decision can be undone (a correction) and made again."""

from __future__ import annotations

import pytest

from tests.browser.harness import shot
from toolkit.store import open_store

pytestmark = pytest.mark.browser


def test_screen_one_proposal(servers, browser_db, projector, tmp_path):
    store = open_store(browser_db)
    waiting = len(store.screening_queue())
    page = projector.page
    page.goto(servers["staff"].url("screening"))
    page.wait_for_selector(".linli-card", timeout=90_000)
    pid = int(page.get_attribute(".linli-card", "data-proposal"))
    assert pid == store.screening_queue()[0]
    page.get_by_role("button", name="超出社区权限的事项", exact=True).click()
    page.wait_for_selector("#linli-message", timeout=10_000)
    heard = page.inner_text("#linli-message")
    shot(page, "screening", tmp_path)
    page.click("button.linli-decide")
    page.wait_for_selector(".linli-confirm-question", state="visible", timeout=10_000)
    assert store.screening_queue()[0] == pid  # nothing stored before the dialog's yes
    page.click("button.linli-confirm-yes")
    page.wait_for_function(f"document.querySelector('.linli-card') && document.querySelector('.linli-card').dataset.proposal !== '{pid}'", timeout=15_000)
    decision = store.screening_frame().set_index("proposal_id").loc[pid]
    assert decision.outcome == "excluded" and decision.redirect_kind in ("referral", "quick_fix")
    assert decision.message_zh == heard
    assert len(store.screening_queue()) == waiting - 1

    # Undo the decision just made: the proposal comes back, the correction is recorded.
    page.click("button.linli-undo-screening")
    page.wait_for_selector(f".linli-card[data-proposal='{pid}']", timeout=15_000)
    page.wait_for_selector("#linli-undone", timeout=10_000)
    assert pid in store.screening_queue()
    from toolkit.store import screening_corrections

    assert len(screening_corrections.corrections(store, pid)) == 1
    page.get_by_role("button", name="超出社区权限的事项", exact=True).click()
    page.click("button.linli-decide")
    page.click("button.linli-confirm-yes")
    page.wait_for_function(f"document.querySelector('.linli-card').dataset.proposal !== '{pid}'", timeout=15_000)
    assert pid not in store.screening_queue()
    assert projector.external == [] and projector.errors == []
