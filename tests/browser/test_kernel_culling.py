"""A projector or tablet that disappears without a clean unload must not keep its kernel alive:
the live map sends nothing while nothing changes, so Voila's culler shuts the kernel down.
(Production culls after 600 s idle; here the timeouts are shortened to seconds.)"""

from __future__ import annotations

import time

import pytest

from tests.browser.harness import kernels, start_servers

pytestmark = pytest.mark.browser


def test_abandoned_live_map_kernel_is_culled(browser_db, browser, tmp_path):
    servers = start_servers(
        browser_db,
        tmp_path,
        cull=(2, 6),
    )
    try:
        staff = servers["staff"]
        ctx = browser.new_context(viewport={"width": 1920, "height": 1080})
        # An unclean close: the page's shutdown request never reaches the server.
        ctx.route("**/shutdown/**", lambda r: r.abort())
        ctx.route("**/api/kernels/*", lambda r: r.abort() if r.request.method == "DELETE" else r.continue_())
        page = ctx.new_page()
        page.goto(staff.url("live-map"))
        page.wait_for_selector("#linli-total", timeout=90_000)
        assert len(kernels(staff)) == 1
        time.sleep(8)  # idle longer than the timeout, but the projector is still connected
        assert len(kernels(staff)) == 1, "a connected projector's kernel must stay"
        ctx.close()
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and kernels(staff):
            time.sleep(1)
        assert kernels(staff) == [], "the abandoned live-map kernel was not culled"
    finally:
        for s in servers.values():
            s.stop()
