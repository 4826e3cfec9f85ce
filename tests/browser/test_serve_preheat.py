"""Preheated kernels (LINLI_POOL_SIZE) keep the page URL working: the page reads ``?lang=`` and ``?code=``
when the visitor's request arrives, not when the pool kernel ran the page ahead of time. The vote page
is built ahead for the open round; a request for another round, or a round closed while the kernel
waited, gets the page it would get on demand, in place of the one built ahead."""

from __future__ import annotations

import json
import os
import re
import signal
from pathlib import Path

import pytest

from tests.browser.harness import kernels, start_servers
from toolkit.labels import Label
from toolkit.rounds import Fund, Knapsack, Project, RoundSettings
from toolkit.serve import NOTEBOOKS
from toolkit.store import open_store
from toolkit.ui.texts import T
from toolkit.voting import create_round, issue_codes

pytestmark = pytest.mark.browser

CJK = re.compile(r"[\u4e00-\u9fff]")


def a_round(store, zh: str, en: str, projects: str = "ABC") -> tuple[int, str]:
    """An open round (one code) with a project per letter of ``projects``."""
    candidates = tuple(Project(p, Label(f"项目{p}", f"Project {p}"), 50_000_00) for p in projects)
    rid = create_round(store, RoundSettings(en.lower().replace(" ", "-"), Label(zh, en), candidates,
                                            (Fund("f", Label("资金", "Fund"), 100_000_00),), Knapsack()), scrypt_n=2**8)
    code = issue_codes(store, rid, 1)[0]
    store.set_round_status(rid, "open")
    return rid, code


def waiting_kernels(server) -> int:
    """Kernels of ``server`` that ran their page and wait for their visitor's request: each holds a
    connection to the server's own port (Voila's ``/voila/query`` socket)."""
    port = f"{server.server.port:04X}"
    remote = {}  # socket inode -> remote port, established TCP connections
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "01":
                remote[fields[9]] = fields[2].rsplit(":", 1)[1]
    waiting = 0
    for pid in kernels(server):
        inodes = set()
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:  # the kernel or one of its files went away meanwhile
            continue
        waiting += any(remote.get(i) == port for i in inodes)
    return waiting


def wait_for_full_pools(server, page, *, used: int = 0) -> None:
    """Every resident page has a pool kernel that ran the page up to its request (``used``: pool
    kernels of the vote page handed out so far, whose replacements must be ready too)."""
    pages = len(list((NOTEBOOKS / "resident").glob("*.ipynb")))
    for _ in range(480):
        refilled = len(re.findall(r"Kernel pool of (?:\S*/)?vote\.ipynb is filled", server.log.read_text())) > used
        if refilled and waiting_kernels(server) >= pages:
            return
        page.wait_for_timeout(500)
    raise AssertionError(f"the pools did not fill: {waiting_kernels(server)} of {pages} kernels wait\n{server.log.read_text()[-3000:]}")


def held_kernels(server) -> list[int]:
    """Stop (SIGSTOP) every kernel of ``server``, the pool kernels that wait for their visitor among them;
    returns their process ids for SIGCONT."""
    pids = kernels(server)
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    return pids


def query_socket_status(server, *, real_ip: str | None) -> int:
    """The HTTP status of a websocket handshake to ``/voila/query/<a kernel id>`` (101: accepted)."""
    import base64
    import http.client
    import uuid

    conn = http.client.HTTPConnection("127.0.0.1", server.server.port, timeout=30)
    headers = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
               "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode()}
    if real_ip:
        headers["X-Real-IP"] = real_ip
    try:
        conn.request("GET", f"/voila/query/{uuid.uuid4()}", headers=headers)
        return conn.getresponse().status
    finally:
        conn.close()


def served_preheated(server, notebook: str) -> int:
    used = re.findall(r"Using pre-heated kernel: \S+ for (\S+)", server.log.read_text())
    return sum(u.endswith(notebook) for u in used)


def test_preheated_pages_read_lang_and_code_from_the_request(browser, tmp_path):
    from toolkit.demo import build_demo_database

    db = build_demo_database(str(tmp_path / "linli.sqlite"))
    store = open_store(db)
    rid, code = a_round(store, "预热测试", "Preheat test", projects="ABCDEFGHIJKLMNOPQR")
    servers = start_servers(db, tmp_path, pool_size=1)
    try:
        resident = servers["resident"]
        ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        page = ctx.new_page()
        wait_for_full_pools(resident, page)  # the pages below are served by preheated kernels
        # The preheated propose kernel built its form in Chinese before anyone came; the visitor's
        # ?lang=en and ?sid= (a reload after a lost kernel) still decide the page.
        page.goto(resident.url("propose", query="lang=en&sid=reload-after-crash-42"), timeout=120_000)
        page.wait_for_selector("button.linli-submit", timeout=120_000)
        page.wait_for_function("document.querySelector('button.linli-submit').innerText.trim() === 'Submit proposal'", timeout=30_000)
        assert page.get_attribute(".linli-sid", "data-sid") == "reload-after-crash-42"
        assert "sid=reload-after-crash-42" in page.url
        assert "Home" in page.inner_text(".linli-back-home") and "DEMO data" in page.inner_text("body")
        # The vote kernel built the open round's ballot in Chinese ahead: every text switches to English.
        page.goto(resident.url("vote", query=f"round={rid}&code={code}&lang=en&sid=vote-reload-after-crash"), timeout=120_000)
        page.wait_for_selector("button.linli-start", timeout=120_000)
        page.wait_for_function(f"document.querySelector('.linli-vote input[type=text]').value === {code!r}", timeout=30_000)
        page.wait_for_function("document.querySelector('button.linli-start').innerText.trim() === 'Start voting'", timeout=30_000)
        assert not CJK.search(page.text_content(".linli-vote")), page.text_content(".linli-vote")
        assert not CJK.search(page.get_attribute(".linli-vote input[type=text]", "placeholder"))
        assert page.get_attribute(".linli-sid", "data-sid") == "vote-reload-after-crash"
        # The page built ahead keeps its budget meter in sight while the list scrolls.
        page.click("button.linli-start")
        page.wait_for_selector(".linli-sticky-bar", state="visible", timeout=30_000)
        page.locator(".linli-project-card").last.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        bar, title = (page.locator(s).first.bounding_box() for s in (".linli-sticky-bar", ".linli-vote .linli-title"))
        assert title["y"] < 0 <= bar["y"] < 800, (title, bar)
        assert served_preheated(resident, "propose.ipynb") == 1 and served_preheated(resident, "vote.ipynb") == 1
        # The refilled pool serves the next visitor in the default language.
        page.goto(resident.url("propose"), timeout=120_000)
        page.wait_for_selector("button.linli-submit", timeout=120_000)
        assert page.inner_text("button.linli-submit").strip() == "提交建议"
        ctx.close()
    finally:
        for s in servers.values():
            s.stop()


def test_preheated_vote_page_is_built_again_for_another_round_or_a_closed_one(browser, tmp_path):
    from toolkit.demo import build_demo_database

    db = build_demo_database(str(tmp_path / "linli.sqlite"))
    store = open_store(db)
    earlier, _code = a_round(store, "上一轮", "Earlier round")
    store.set_round_status(earlier, "closed")
    current, _code = a_round(store, "预热测试", "Preheat test")
    servers = start_servers(db, tmp_path, pool_size=1)
    try:
        resident = servers["resident"]
        ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        page = ctx.new_page()
        wait_for_full_pools(resident, page)
        # The kernel built the open round's ballot; the address names the earlier round: its page.
        # The client connects while the kernel builds the page again, after the first of the new widgets
        # were made (as on a slow machine): the kernels are held still until the client has connected,
        # and the first 20 widget announcements never reach it. The page built ahead holds the rebuilt
        # one, which names widgets the client missed: it once waited forever there.
        missed = []

        def late_connection(ws):
            server = ws.connect_to_server()

            def to_page(message):
                if isinstance(message, str) and len(missed) < 20 and json.loads(message)["header"]["msg_type"] == "comm_open":
                    missed.append(message)
                else:
                    ws.send(message)
            server.on_message(to_page)
        page.route_web_socket("**/api/kernels/**", late_connection)
        held = held_kernels(resident)
        try:
            page.goto(resident.url("vote", query=f"round={earlier}&lang=en"), wait_until="commit", timeout=120_000)
            page.wait_for_function("performance.getEntriesByName('linli:connected').length > 0", timeout=60_000)
        finally:
            for pid in held:
                os.kill(pid, signal.SIGCONT)
        page.wait_for_selector(".linli-vote .linli-title:has-text('Earlier round')", timeout=120_000)
        assert len(missed) == 20 and int(page.get_attribute("html", "data-linli-widgets").split()[0]) > 10
        assert page.locator(".linli-vote").count() == 1 and "Preheat test" not in page.inner_text("body")
        assert page.inner_text("button.linli-start").strip() == "Start voting"
        page.goto("about:blank")
        # The round built ahead is closed while the refilled kernel waits: no vote is open.
        wait_for_full_pools(resident, page, used=1)
        store.set_round_status(current, "closed")
        page.goto(resident.url("vote", query="lang=en"), timeout=120_000)
        page.wait_for_selector(f"text={T['vote_no_round'].get('en')}", timeout=120_000)
        assert page.locator(".linli-vote").count() == 0 and page.locator("button.linli-start").count() == 0
        assert served_preheated(resident, "vote.ipynb") == 2
        ctx.close()
    finally:
        for s in servers.values():
            s.stop()


def test_pools_fill_one_page_at_a_time_home_first(browser, tmp_path):
    """Right after the servers start, each fills its pools one page at a time (toolkit.pool_fill), not all
    at once: at every moment at most one resident kernel is still running its page, and home is the first
    page prepared, so the first visitor of a fresh meeting laptop does not wait behind 18 pages."""
    from toolkit.demo import build_demo_database

    db = build_demo_database(str(tmp_path / "linli.sqlite"))
    a_round(open_store(db), "逐个预热", "One at a time")
    # as behind the district proxy: 127.0.0.1 may name the device in X-Real-IP
    servers = start_servers(db, tmp_path, pool_size=1, extra=("--LinliVoila.trusted_proxies=127.0.0.1",))
    try:
        resident = servers["resident"]
        page = browser.new_context().new_page()
        pages = len(list((NOTEBOOKS / "resident").glob("*.ipynb")))
        most_preparing, samples = 0, 0
        for _ in range(2400):
            started, waiting = len(kernels(resident)), waiting_kernels(resident)
            most_preparing = max(most_preparing, started - waiting)
            samples += 1
            if waiting >= pages:
                break
            page.wait_for_timeout(100)
        else:
            raise AssertionError(f"the pools did not fill\n{resident.log.read_text()[-3000:]}")
        assert most_preparing <= 1, f"{most_preparing} resident kernels ran their pages at once"
        prepared = re.findall(r"pool fill: (\S+) prepared", resident.log.read_text())
        assert len(prepared) == pages and prepared[0].endswith("home.ipynb"), prepared
        # then the first visitor of the day gets home from the pool
        page.goto(resident.base + "/", timeout=120_000)
        page.wait_for_selector("a.linli-tile[data-page=propose]", timeout=120_000)
        assert served_preheated(resident, "home.ipynb") == 1
        # Voila's /voila/query socket, where a pool kernel waits for its visitor's request (?code= included):
        # the server's kernels reach it from this machine; a device on the LAN may not hold it.
        assert query_socket_status(resident, real_ip=None) == 101
        assert query_socket_status(resident, real_ip="192.168.1.50") == 403
    finally:
        for s in servers.values():
            s.stop()
