"""Each page names in its <head> the scripts it loaded last time (toolkit.preload), so a tablet fetches
them while the kernel still runs the notebook instead of in four rounds afterwards. A person's path:
the resident home page, then the propose tile; a second tablet (fresh browser, empty cache) does the same."""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def _visit_propose_from_home(tablet, servers) -> list[str]:
    """Home → 我有一个建议 → the form usable; the script requests the propose page made."""
    page = tablet.page
    page.goto(servers["resident"].url("home", token=False))
    tile = page.locator('a.linli-tile[data-page="propose"]')
    tile.wait_for(timeout=120_000)
    scripts: list[str] = []
    page.on("request", lambda r: scripts.append(_path(r.url)) if r.resource_type == "script" and "/propose.ipynb" in (r.headers.get("referer") or "") else None)
    tile.click()
    page.wait_for_selector("button.linli-submit", timeout=120_000)
    page.wait_for_selector("path.linli-compound", state="attached", timeout=120_000)
    page.wait_for_load_state("load")
    return scripts


def test_the_second_tablet_is_told_every_script_the_first_one_loaded(servers, browser):
    from tests.browser.conftest import Tab

    first = Tab(browser, 1280, 800)
    try:
        loaded = _visit_propose_from_home(first, servers)
    finally:
        first.close()
    assert len(loaded) > 50, "Voila, the widget manager and the map load dozens of scripts"

    second = Tab(browser, 1280, 800)
    try:
        fetched = _visit_propose_from_home(second, servers)
        named = [_path(h) for h in second.page.eval_on_selector_all('head link[rel="preload"][as="script"]', "ls => ls.map(l => l.href)")]
        in_head = {_path(s) for s in second.page.eval_on_selector_all("head script[src]", "ss => ss.map(s => s.src)")}
        assert not second.external
    finally:
        second.close()
    assert set(loaded) - in_head <= set(named), f"not preloaded: {sorted(set(loaded) - in_head - set(named))[:5]}"
    assert len([n for n in named if "jupyter-leaflet" in n]) > 10 and any("/voila/static/" in n for n in named)
    twice = [u for u, n in Counter(fetched).items() if n > 1]
    assert not twice, f"a preloaded script was fetched again: {twice[:5]}"


def test_a_page_without_a_map_is_not_told_to_load_the_map(servers, browser):
    from tests.browser.conftest import Tab

    for _ in range(2):  # the first visit teaches the server, the second shows what it learned
        tab = Tab(browser, 1280, 800)
        try:
            tab.page.goto(servers["resident"].url("home", token=False))
            tab.page.locator("a.linli-tile").first.wait_for(timeout=120_000)
            tab.page.wait_for_load_state("load")
            named = tab.page.eval_on_selector_all('head link[rel="preload"]', "ls => ls.map(l => l.href)")
        finally:
            tab.close()
    assert named, "the home page preloads its own scripts"
    # Voila starts every widget extension on every page (the map's remoteEntry and one 450-byte chunk);
    # the map's own code (about 20 chunks, 1.4 MB) only comes with a map.
    assert len([n for n in named if "jupyter-leaflet" in n]) <= 2, "the tiles page has no map"
