"""Resident pages run Linli's own widget client (frontend/, template ``linli-resident``), not Voila's
JupyterLab front end: what a resident does still works, the page asks for none of Voila's scripts, and a
dropped connection to the kernel is picked up again without the resident noticing."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_loop import TARGET, fill_and_submit
from toolkit.store import open_store

pytestmark = pytest.mark.browser

WAIT = 120_000

# Every websocket the page opens, so the test can drop the kernel's connection as a flaky Wi-Fi would.
KEEP_SOCKETS = """
(() => {
  const Native = window.WebSocket;
  window.__sockets = [];
  window.WebSocket = function (url, protocols) {
    const ws = protocols === undefined ? new Native(url) : new Native(url, protocols);
    window.__sockets.push(ws);
    return ws;
  };
  window.WebSocket.prototype = Native.prototype;
  ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'].forEach((k) => { window.WebSocket[k] = Native[k]; });
})();
"""


def test_a_proposal_from_the_home_page_with_the_resident_client_and_a_dropped_connection(servers, browser_db, tablet):
    page = tablet.page
    page.add_init_script(KEEP_SOCKETS)
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    page.goto(servers["resident"].base + "/", timeout=WAIT)
    page.wait_for_selector(".linli-tile[data-page='propose']", timeout=WAIT)
    page.click(".linli-tile[data-page='propose']")
    page.wait_for_selector(f"path.linli-compound-{TARGET}", timeout=WAIT)

    # Only the resident client: none of Voila's front-end scripts or its extensions' bundles.
    assert any("/voila/templates/linli-resident/static/resident." in u for u in asked), asked
    assert not [u for u in asked if "/voila/static/" in u or "/voila/labextensions/" in u]
    # The client connected while the kernel still built the page, and built the widgets as the kernel
    # announced them (tests/test_serve.py shows the server side of it).
    built = page.get_attribute("html", "data-linli-widgets") or ""
    counts = re.fullmatch(r"(\d+) announced, (\d+) fetched", built)
    assert counts and int(counts.group(1)) > 50, built
    modules = page.eval_on_selector_all("script[type=module][src]", "els => els.map(e => e.getAttribute('src'))")
    assert len(modules) == 1 and "/linli-resident/static/resident." in modules[0] and modules[0].endswith(".js")

    # The Wi-Fi drops for a moment: the kernel's socket closes; the client connects again on its own,
    # the page says nothing about a lost connection, and the form still reaches the kernel.
    sockets = page.evaluate("window.__sockets.filter(s => s.url.includes('/channels')).length")
    assert sockets == 1
    page.evaluate("window.__sockets.find(s => s.url.includes('/channels')).close()")
    page.wait_for_function("window.__sockets.filter(s => s.url.includes('/channels') && s.readyState === 1).length === 1",
                           timeout=30_000)
    receipt = fill_and_submit(page, "客户端断线重连后提交")
    assert open_store(browser_db).proposal_by_receipt(receipt)["title"] == "客户端断线重连后提交"
    assert page.locator("#linli-kernel-lost").count() == 0
    assert not tablet.errors and not tablet.external
