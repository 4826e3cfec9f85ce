"""Finding 7 in the real browser: a resident votes from the resident home page (full demo data, an
open round) while another process holds the database's write lock. The vote page says, in Chinese,
that the system is busy and nothing was saved; the ballot stays as it was picked; no ballot and no
spent code are stored. Once the lock is released the same button stores the ballot, once."""

from __future__ import annotations


import pytest

from tests.browser.harness import start_servers
from tests.security.rounds_setup import settings
from tests.store_lock import write_lock_held
from toolkit.i18n import text
from toolkit.rounds import Approval

pytestmark = pytest.mark.browser
WAIT = 120_000




@pytest.fixture(scope="module")
def busy_world(tmp_path_factory):
    """``linli demo`` at full size (240 proposals and its loop) plus an open round with codes."""
    from toolkit.demo import build_demo_database
    from toolkit.store import open_store
    from toolkit.voting import create_round, issue_codes

    folder = tmp_path_factory.mktemp("vote-busy")
    db = str(folder / "linli.sqlite")
    build_demo_database(db, loop=True)
    store = open_store(db)
    rid = create_round(store, settings(Approval(min_picks=1, max_picks=3)), scrypt_n=2**10)
    codes = issue_codes(store, rid, 2)
    store.set_round_status(rid, "open")
    store.engine.dispose()
    running = start_servers(db, tmp_path_factory.mktemp("vote-busy-voila"))
    yield db, rid, codes, running
    for r in running.values():
        r.stop()


def test_vote_while_the_database_is_locked_says_busy_then_the_retry_stores_once(busy_world, tablet):
    from toolkit.store import open_store

    db, rid, codes, running = busy_world
    page = tablet.page
    page.goto(running["resident"].url("home"), timeout=WAIT)
    page.click(".linli-tile[data-page='vote']", timeout=WAIT)
    page.wait_for_selector("button.linli-start", timeout=WAIT)
    page.locator(".linli-vote input").first.fill(codes[0])
    page.locator(".linli-vote input").first.press("Enter")
    page.click("button.linli-start")
    page.wait_for_selector("button.linli-pick-B", timeout=WAIT)
    page.click("button.linli-pick-B")
    page.click("button.linli-pick-D")
    page.wait_for_selector("button.linli-review:not([disabled])", timeout=30_000)
    page.click("button.linli-review")
    page.wait_for_selector("#linli-review", timeout=30_000)

    with write_lock_held(db):
        page.click("button.linli-confirm-vote")
        busy = text("trust.store_busy", "zh")
        page.wait_for_selector(f".linli-error:has-text('{busy[:12]}')", timeout=WAIT)  # after the store's 15 s wait
        assert busy in page.inner_text(".linli-vote")
        assert page.locator("#linli-review").is_visible() and "linli-vote-receipt" not in page.content()
        assert len(page.locator("#linli-review li").all()) == 2  # the ballot as picked, still there
        store = open_store(f"sqlite:///file:{db}?mode=ro&uri=true")
        assert store.turnout(rid)["ballots"] == 0 and store.turnout(rid)["codes_used"] == 0
    page.click("button.linli-confirm-vote")  # the same button, the lock gone
    page.wait_for_selector("#linli-vote-receipt", timeout=WAIT)
    assert busy not in page.inner_text(".linli-vote")
    store = open_store(db)
    assert store.counted_ballots(rid) == [{"B": 1, "D": 1}] and store.turnout(rid)["codes_used"] == 1
