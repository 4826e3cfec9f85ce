"""The foundation's walk: a resident drops a proposal on the tablet map; the projected live map
shows it without reload; the resident server refuses staff pages; hostile text stays text."""

from __future__ import annotations

import time
import urllib.error
import urllib.request

import pytest

from tests.browser.harness import shot
from toolkit.geo import load_district
from toolkit.store import open_store

pytestmark = pytest.mark.browser

HOSTILE_TITLE = '路灯<img src=x onerror="window.__xss=1">'
HOSTILE_PROBLEM = "晚上太黑 ${window.__xss=2} `window.__xss=3` </textarea><script>window.__xss=4</script>"
TARGET = "S2C2Y2"  # a compound of the demo district


def http_status(url: str) -> int:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        return opener.open(url, timeout=30).status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_propose_then_live_map(servers, browser_db, tablet, projector, tmp_path):
    store = open_store(browser_db)
    before = store.count_proposals()

    # The facilitator's projector is already showing the live map.
    live = projector.page
    live.goto(servers["staff"].url("live-map"))
    live.wait_for_selector("#linli-total", timeout=90_000)
    assert live.inner_text("#linli-total").strip() == str(before)
    # Projector text is large and high-contrast.
    sizes = live.eval_on_selector_all(".linli-projector td, .linli-projector li", "es => es.map(e => parseFloat(getComputedStyle(e).fontSize))")
    assert sizes and min(sizes) >= 24, sizes
    assert live.eval_on_selector(".linli-projector td", "e => getComputedStyle(e).color") == "rgb(0, 0, 0)"

    # (a) A resident taps a compound on the tablet map, fills the form and submits.
    page = tablet.page
    page.goto(servers["resident"].url("propose"))
    page.wait_for_selector(f"path.linli-compound-{TARGET}", timeout=90_000)
    # Tablet sizes: touch targets at least 44 px, input text at least 16 px (no iOS zoom).
    small_buttons = page.eval_on_selector_all(".linli-page button", "bs => bs.filter(b => b.offsetParent && b.getBoundingClientRect().height < 44).map(b => b.innerText)")
    assert small_buttons == [], small_buttons
    small_inputs = page.eval_on_selector_all(".linli-page input, .linli-page textarea, .linli-page select", "es => es.filter(e => parseFloat(getComputedStyle(e).fontSize) < 16).length")
    assert small_inputs == 0
    page.click(f"path.linli-compound-{TARGET}")
    names = load_district(None).compound_names()
    page.wait_for_selector(f".linli-place:has-text('{names[TARGET][0]}')", timeout=10_000)
    page.get_by_role("button", name="安全", exact=True).click()
    page.get_by_placeholder("例如").fill(HOSTILE_TITLE)
    areas = page.locator("textarea")
    areas.nth(0).fill(HOSTILE_PROBLEM)
    areas.nth(1).fill("孩子放学`要走`这段路")
    areas.nth(2).fill("加装两盏路灯 ${1+1}")
    page.get_by_role("button", name="1万–5万元", exact=True).click()
    shot(page, "propose", tmp_path, full_page=True)
    page.click("button.linli-submit")
    page.wait_for_selector("#linli-receipt", timeout=20_000)
    code = page.inner_text("#linli-receipt").strip()
    submitted_at = time.monotonic()
    shot(page, "propose-receipt", tmp_path)

    row = store.proposal_by_receipt(code)
    assert row is not None, f"receipt {code} not in the database"
    assert row["compound_id"] == TARGET and row["compound_source"] == "map"
    assert row["category"] == "safety" and row["channel"] == "tablet"
    assert row["title"] == HOSTILE_TITLE and row["problem"] == HOSTILE_PROBLEM
    assert row["geom_type"] == "Point" and row["cost_band"] == "10k-50k" and row["cost_fen"] == 3_000_000
    assert load_district(None).locate(row["lon"], row["lat"]) == TARGET

    # (b) The live map shows it without a reload.
    live.wait_for_function(f"document.querySelector('#linli-total').innerText.trim() === '{before + 1}'", timeout=15_000)
    seen_after = time.monotonic() - submitted_at
    live.wait_for_selector(f"path.linli-proposal-{row['id']}", state="attached", timeout=5_000)
    latest = live.inner_text("#linli-latest")
    assert HOSTILE_TITLE in latest  # (d) shown as text, not as an <img>
    print(f"live map showed the new proposal {seen_after:.2f}s after the receipt appeared")
    shot(live, "live-map", tmp_path)

    # (d) No injected script ran on either page, nothing was fetched from outside.
    for tab in (tablet, projector):
        assert tab.page.evaluate("window.__xss === undefined")
        assert tab.page.locator("img[src='x']").count() == 0
        assert tab.dialogs == []
        assert tab.external == [], f"the page tried to reach the internet: {tab.external[:5]}"


def test_resident_server_refuses_staff_pages(servers):
    resident, staff = servers["resident"], servers["staff"]
    assert http_status(resident.url("propose")) == 200
    for path in (
        "/voila/render/live-map.ipynb",
        "/voila/render/../staff/live-map.ipynb",
        "/voila/render/%2e%2e/staff/live-map.ipynb",
        "/voila/files/../staff/live-map.ipynb",
        "/voila/static/../../notebooks/staff/live-map.ipynb",
    ):
        assert http_status(resident.base + path) in (403, 404), path
    # The staff server wants its token.
    assert http_status(staff.url("live-map", token=False)) in (302, 401, 403)
    assert http_status(staff.base + "/voila/render/live-map.ipynb?token=wrong") in (302, 401, 403)
    # The right token: a login cookie and a redirect to the same page without ?token= (as a browser follows it).
    import http.cookiejar
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with opener.open(staff.url("live-map"), timeout=120) as r:
        assert r.status == 200 and "token=" not in r.url and "jupyter-config-data" in r.read().decode("utf-8", "replace")


def test_hostile_text_renders_as_text_in_english_too(servers, browser_db, tablet):
    """A stored hostile proposal, shown by the English propose page's validation path and the
    receipt: the form never echoes user text as HTML."""
    page = tablet.page
    page.goto(servers["resident"].url("propose", query="lang=en"))
    page.wait_for_selector("button.linli-submit", timeout=90_000)
    page.get_by_placeholder("e.g.").fill(HOSTILE_TITLE)
    page.click("button.linli-submit")
    page.wait_for_selector(".linli-error", timeout=10_000)
    assert "Please fill this in." in page.inner_text("body")
    assert page.evaluate("window.__xss === undefined")
    assert tablet.dialogs == []
