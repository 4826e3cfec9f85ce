"""Issue 13, items 2 and 4, in real servers and chromium on the full demo (``linli demo``: 240
proposals, carried through the loop):

- every resident page's kernel (home, propose, vote with a code, scoring, status with a receipt code,
  a notice with its map) runs without pandas, geopandas, pyogrio or pyproj: the kernel process's
  memory map (``/proc/<pid>/maps``) holds none of their compiled libraries — an ``import pandas``
  anywhere on a resident page's path maps ``pandas/_libs`` and fails this test;
- a vote tablet whose kernel was culled for idleness shows a short zh/en notice and, at the next
  touch, opens the page afresh: same page, same ``?lang=``, no voter code (back to the code screen);
  a staff page whose kernel died keeps its message.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser.harness import kernels, start_servers

pytestmark = pytest.mark.browser
HEAVY = ("/pandas/", "/geopandas/", "/pyogrio/", "/pyproj/")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> tuple[str, int, str]:
    """The full demo database through the loop, with an open round of 8 located projects and codes."""
    from toolkit.demo import build_demo_database
    from toolkit.labels import Label
    from toolkit.rounds import Fund, Knapsack, Project, RoundSettings
    from toolkit.store import open_store
    from toolkit.voting import create_round, issue_codes

    db = str(tmp_path_factory.mktemp("lean-db") / "linli.sqlite")
    build_demo_database(db, loop=True)
    store = open_store(db)
    frame = store.proposals_frame()
    frame = frame[frame.lon.notna()].head(8)
    projects = tuple(Project(f"P{int(r.id):04d}", Label(r.title, r.title), 5_000_000, Label(r.suggestion, r.suggestion),
                             (float(r.lon), float(r.lat))) for r in frame.itertuples())
    rid = create_round(store, RoundSettings("lean", Label("精简内核", "Lean kernels"), projects,
                                            (Fund("f", Label("资金", "Fund"), 300_000_00),), Knapsack()), scrypt_n=2**8)
    code = issue_codes(store, rid, 2)[0]
    store.set_round_status(rid, "open")
    return db, rid, code


def heavy_libraries(pid: int) -> set[str]:
    """Which of pandas, geopandas, pyogrio, pyproj have files mapped into the process."""
    text = Path(f"/proc/{pid}/maps").read_text()
    return {lib.strip("/") for lib in HEAVY if lib in text}


def new_kernel(server, before: set[int], timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fresh = set(kernels(server)) - before
        if fresh:
            return fresh.pop()
        time.sleep(0.2)
    raise AssertionError("no kernel started for the page")


def test_resident_kernels_load_no_pandas_or_geopandas(demo_db, browser, tmp_path):
    from toolkit.store import open_store

    db, rid, code = demo_db
    receipt = open_store(db).proposals_frame().receipt_code.iloc[0]
    servers = start_servers(db, tmp_path)
    try:
        resident = servers["resident"]
        ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        visits = [  # where a person starts: the home page, then its tiles' pages
            ("home", "", "a.linli-tile[data-page=propose]"),
            ("propose", "", "path.linli-compound"),
            ("vote", f"round={rid}&code={code}", "button.linli-start"),
            ("scoring", "", "input[type=text]"),
            ("status", f"code={receipt}", "input[type=text]"),
            ("notice", "notice=1", "iframe.linli-notice-map"),
        ]
        checked = {}
        for name, query, ready in visits:
            before = set(kernels(resident))
            page = ctx.new_page()
            url = resident.base + "/" if name == "home" else resident.url(name, query=query)
            page.goto(url, timeout=120_000)
            page.wait_for_selector(ready, state="attached", timeout=120_000)
            pid = new_kernel(resident, before)
            if name == "vote":  # the code screen leads to the cards with their map: enter the code
                page.click("button.linli-start")
                page.wait_for_selector("path.linli-compound", state="attached", timeout=60_000)
            checked[name] = heavy_libraries(pid)
            page.close(run_before_unload=True)
        assert checked == {name: set() for name, _q, _r in visits}, checked
        ctx.close()
    finally:
        for s in servers.values():
            s.stop()


def test_culled_vote_tablet_reopens_fresh_at_the_next_touch_and_staff_keeps_the_message(demo_db, browser, tmp_path):
    db, rid, code = demo_db
    servers = start_servers(
        db, tmp_path,
        settings_overrides={"idle_minutes": 0.5},  # 30 s without a message from the browser
        extra=("--LinliVoila.linli_cull_interval=2",),
    )
    try:
        resident, staff = servers["resident"], servers["staff"]
        ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        tab = ctx.new_page()
        tab.goto(resident.url("vote", query=f"round={rid}&code={code}&lang=en"), timeout=120_000)
        tab.wait_for_selector("button.linli-start", timeout=120_000)
        assert tab.locator("input[type=text]").first.input_value() == code
        first = set(kernels(resident))
        assert len(first) == 1
        # Nobody touches the tablet: its kernel is culled and the page says so, in its language.
        tab.wait_for_selector("#linli-kernel-lost[data-reopen=touch]", timeout=120_000)
        deadline = time.monotonic() + 30
        while set(kernels(resident)) & first and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not set(kernels(resident)) & first, "the culled kernel is gone"
        notice = tab.inner_text("#linli-kernel-lost")
        assert "Touch the screen" in notice and not any("\u4e00" <= ch <= "\u9fff" for ch in notice)
        # The next resident touches the screen: a fresh page, English kept, the code gone.
        tab.mouse.click(640, 400)
        tab.wait_for_selector("button.linli-start", timeout=120_000)
        query = parse_qs(urlparse(tab.url).query)
        assert query.get("lang") == ["en"] and query.get("round") == [str(rid)] and "code" not in query
        assert tab.locator("input[type=text]").first.input_value() == ""
        assert tab.locator("#linli-kernel-lost").count() == 0
        assert set(kernels(resident)) - first, "the reopened page has a kernel of its own"
        assert tab.inner_text("button.linli-start").strip() and not any(
            "\u4e00" <= ch <= "\u9fff" for ch in tab.inner_text("button.linli-start"))

        # A staff page keeps the message: a click does not reload it.
        desk = ctx.new_page()
        before = set(kernels(staff))
        desk.goto(staff.url("screening"), timeout=120_000)
        desk.wait_for_selector(".linli-staff-page", timeout=120_000)
        os.kill(new_kernel(staff, before), signal.SIGKILL)
        desk.wait_for_selector("#linli-kernel-lost", timeout=60_000)
        assert desk.get_attribute("#linli-kernel-lost", "data-reopen") is None
        address = desk.url
        desk.mouse.click(640, 400)
        desk.wait_for_timeout(3000)
        assert desk.url == address and desk.locator("#linli-kernel-lost").count() == 1
        assert "刷新页面" in desk.inner_text("#linli-kernel-lost")
        ctx.close()
    finally:
        for s in servers.values():
            s.stop()


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def _tcp_listening_inodes() -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A":  # LISTEN
                inodes.add(fields[9])
    return inodes


def _unix_socket_paths(inodes: set[str]) -> set[str]:
    paths = set()
    for line in Path("/proc/net/unix").read_text().splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 8 and fields[6] in inodes:
            paths.add(fields[7])
    return paths


def test_page_kernels_listen_on_no_tcp_port_only_in_the_servers_private_folder(demo_db, browser, tmp_path):
    """Kernels are reached over Unix sockets in the server's own 0700 folder: no 127.0.0.1 port that two
    servers filling their pools at once could both pick, or that another local user could connect to."""
    db, _rid, _code = demo_db
    servers = start_servers(db, tmp_path)
    try:
        seen = {}
        for audience, page_name, ready in (("resident", "propose", "path.linli-compound"),
                                           ("staff", "live-map", ".leaflet-container")):
            server = servers[audience]
            before = set(kernels(server))
            ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
            page = ctx.new_page()
            page.goto(server.url(page_name), timeout=120_000)
            page.wait_for_selector(ready, state="attached", timeout=120_000)
            pid = new_kernel(server, before)
            inodes = _socket_inodes(pid)
            seen[audience] = (inodes & _tcp_listening_inodes(), _unix_socket_paths(inodes))
            ctx.close()
        for audience, (tcp, unix) in seen.items():
            # The five channels of the connection file (shell, iopub, stdin, control, heartbeat) are Unix
            # sockets. The one TCP listener left is ipykernel's own IOPub pipe (for forked subprocesses'
            # output): zmq binds it to a free port itself, retrying on a clash, and it drops any message
            # without the kernel's random pipe id. Over TCP the kernel would listen on six ports.
            assert len(tcp) <= 1, f"a {audience} kernel listens on {len(tcp)} TCP ports"
            assert len(unix) == 5, unix
            folders = {Path(p).parent for p in unix}
            assert len(folders) == 1, folders
            folder = folders.pop()
            assert folder.name.startswith("voila_") and (folder.stat().st_mode & 0o077) == 0, folder
    finally:
        for s in servers.values():
            s.stop()
