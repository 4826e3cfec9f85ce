"""Issue 13, item 5: the district deployment, started as an operator starts it (``linli serve
--district``) on PostgreSQL (the project's own throwaway server) with the 240-proposal demo: nginx at
one address in front of Voila workers, PgBouncer in front of PostgreSQL.

- one address: residents at ``/``, staff under ``/staff/`` behind the token; gzip from nginx; a foreign
  Host refused; nginx and PgBouncer not running as root;
- the per-device kernel cap counts devices behind the proxy (X-Real-IP from nginx), and a device cannot
  escape it with its own X-Forwarded-For / X-Real-IP; a worker trusts the header only from the proxy;
- a dead worker: nginx shows a zh/en "restarting" page, ``linli serve --district`` brings it back;
- a proposal through a resident worker shows on the live map of the staff worker;
- a meeting of tablets through the proxy with two resident workers; one worker is killed mid-meeting:
  no stored ballot is lost, and the tablets it held are told the connection was lost, reload, land on
  the other worker and cast their ballots.
"""

from __future__ import annotations

import asyncio
import http.client
import http.cookiejar
import socket
import time
import urllib.request

import pytest

from benchmarks.district import STAFF_TOKEN, District, confirm, offline_context, open_ballot, worker_of
from benchmarks.meeting import prepare_vote_round, run_vote_meeting
from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS, in_thread
from toolkit.store import open_store

pytestmark = pytest.mark.browser
TARGET = "S2C2Y2"


def free_block(size: int, low: int = 9500, high: int = 9600) -> int:
    """The first port p in [low, high) with p … p+size-1 all free on 127.0.0.1."""
    for base in range(low, high - size, size):
        try:
            socks = []
            for p in range(base, base + size):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError(f"no {size} free ports in {low}–{high}")


@pytest.fixture(scope="module")
def district_db(postgres):
    from toolkit.demo import build_demo_database

    db = postgres.create_database("linli_district")
    build_demo_database(db, count=240)
    return db


def get(port: int, path: str, *, source: str = "127.0.0.1", headers: dict | None = None) -> tuple[int, dict, bytes]:
    """One GET to 127.0.0.1:port from the local address ``source`` (each 127.0.0.x is another device)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120, source_address=(source, 0))
    try:
        conn.request("GET", path, headers={"Accept-Encoding": "gzip", **(headers or {})})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def owner(pid: int) -> int:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("Uid:"):
            return int(line.split()[1])
    raise RuntimeError(pid)


def children(pid: int) -> list[int]:
    from pathlib import Path

    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _ppid(p) == pid]


def _ppid(p) -> int | None:
    try:
        return int((p / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except OSError:
        return None


def test_one_address_devices_behind_the_proxy_and_a_dead_worker(district_db, tmp_path):
    port = free_block(4)
    district = District(district_db, port, tmp_path / "district.log", workers=1,
                        env={"LINLI_MAX_KERNELS_PER_CLIENT": "2"}).wait_ready()
    try:
        worker_port = port + 1
        # Real daemons, unprivileged: nginx and PgBouncer run as other users than root.
        for part in ("nginx", "pgbouncer"):
            daemons = children(district.pid(part)) or [district.pid(part)]
            assert all(owner(pid) != 0 for pid in daemons), (part, daemons)

        # Residents at /, the page gzipped by nginx (the worker itself sends it plain).
        status, headers, _ = get(port, "/")
        assert status == 200
        status, headers, body = get(port, "/voila/render/propose.ipynb", source="127.0.0.2")
        assert status == 200 and headers.get("content-encoding") == "gzip", headers
        assert "linli_resident_worker=r1" in headers.get("set-cookie", "")
        status, headers, _ = get(port, "/voila/render/propose.ipynb", source="127.0.0.2",
                                 headers={"X-Real-IP": "10.9.9.9", "X-Forwarded-For": "10.9.9.8"})
        assert status == 200
        # The device's third page is refused, whatever it claims to be: nginx overwrites the headers.
        status, _, body = get(port, "/voila/render/propose.ipynb", source="127.0.0.2",
                              headers={"X-Real-IP": "10.9.9.7", "X-Forwarded-For": "10.9.9.6"})
        assert status == 503 and 'id="linli-refusal"' in body.decode(), body[:300]
        # Another device behind the same proxy has its own quota.
        status, _, _ = get(port, "/voila/render/vote.ipynb", source="127.0.0.3")
        assert status == 200
        # A worker trusts X-Real-IP only from the proxy: straight from 127.0.0.4, posing as the full device, it counts as itself.
        status, headers, _ = get(worker_port, "/voila/render/vote.ipynb", source="127.0.0.4", headers={"X-Real-IP": "127.0.0.2"})
        assert status == 200 and "content-encoding" not in headers

        # A foreign Host is refused by the worker behind nginx (DNS rebinding).
        status, _, body = get(port, "/", headers={"Host": "attacker.example"})
        assert status == 403 and 'id="linli-refusal"' in body.decode()

        # Staff under /staff/: no token, no page; the token logs in.
        status, headers, _ = get(port, "/staff/voila/render/live-map.ipynb")
        assert status in (302, 401, 403), status
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        with opener.open(f"http://127.0.0.1:{port}/staff/?token={STAFF_TOKEN}", timeout=120) as r:
            assert r.status == 200
        with opener.open(f"http://127.0.0.1:{port}/staff/voila/render/live-map.ipynb", timeout=120) as r:
            assert r.status == 200 and "token=" not in r.url

        # The only resident worker dies: nginx says so in both languages, the supervisor brings it back.
        killed = district.kill("resident-r1")
        status, headers, body = get(port, "/")
        assert status == 502 and headers.get("retry-after") == "20"
        text = body.decode()
        assert "页面服务正在重启" in text and "The page server is restarting" in text
        deadline = time.monotonic() + 120
        while not 0 < district.status("/api/status") < 500:
            assert time.monotonic() < deadline, district.text()[-3000:]
            time.sleep(0.5)
        assert district.pid("resident-r1") != killed
        assert f"resident-r1 server (pid {killed}) stopped with exit code -9; restarting it" in district.text()
    finally:
        district.stop()


@pytest.fixture(scope="module")
def district(district_db, tmp_path_factory):
    """Two resident workers, one staff worker; every tablet of the test shares 127.0.0.1, so no per-device cap."""
    running = District(district_db, free_block(4), tmp_path_factory.mktemp("district") / "district.log", workers=2,
                       env={"LINLI_MAX_KERNELS_PER_CLIENT": "0"}).wait_ready()
    yield running
    running.stop()


def test_proposal_through_a_resident_worker_shows_on_the_staff_workers_live_map(district, district_db, tablet, projector):
    store = open_store(district_db)
    before = store.count_proposals()
    live = projector.page
    live.goto(district.staff_url("live-map"), timeout=120_000)
    live.wait_for_selector("#linli-total", timeout=120_000)
    assert live.inner_text("#linli-total").strip() == str(before)

    page = tablet.page
    page.goto(district.url("propose"), timeout=120_000)
    page.wait_for_selector(f"path.linli-compound-{TARGET}", timeout=120_000)
    page.click(f"path.linli-compound-{TARGET}")
    page.get_by_role("button", name="安全", exact=True).click()
    page.get_by_placeholder("例如").fill("区级部署：路口没有灯")
    areas = page.locator("textarea")
    areas.nth(0).fill("晚上太黑")
    areas.nth(2).fill("加装路灯")
    page.click("button.linli-submit")
    page.wait_for_selector("#linli-receipt", timeout=60_000)
    code = page.inner_text("#linli-receipt").strip()
    workers = {c["name"]: c["value"] for c in tablet.context.cookies()}
    assert workers.get("linli_resident_worker") in ("r1", "r2")
    assert {c["name"]: c["value"] for c in projector.context.cookies()}.get("linli_staff_worker") == "s1"
    assert store.proposal_by_receipt(code) is not None
    live.wait_for_function(f"document.querySelector('#linli-total').innerText.trim() === '{before + 1}'", timeout=30_000)
    assert tablet.external == [] and projector.external == []


N_FIRST, N_SECOND = 4, 6


def test_meeting_load_test_through_the_proxy_websocket_tablets(district, district_db):
    """The meeting load test's websocket tablets through nginx: each page's GET and its kernel
    websocket must reach the same worker (the worker cookie), or no tablet would get a receipt."""
    round_id, codes = prepare_vote_round(district_db, 10, scrypt_n=2**8)
    result = run_vote_meeting(district.base + "/", codes, 10, "ws", open_within=5.0, round_id=round_id,
                              db_url=district_db, timeout=300)
    assert result.failures == []
    assert result.ballots_cast == 10 == result.stored


def test_meeting_through_the_proxy_survives_a_killed_worker(district, district_db):
    """The meeting load test's first N_FIRST browser tablets start at the home page (through nginx)
    and cast their ballots; then N_SECOND tablets open their ballots (code entered, project picked,
    at the review step) and resident worker r1 is killed with its kernels. The tablets it held show
    the "connection lost, reload" notice; their residents reload, enter their code again and cast.
    Every receipt seen is a stored ballot, none of the first ballots is lost."""
    from playwright.async_api import async_playwright

    rid, codes = prepare_vote_round(district_db, N_FIRST + N_SECOND, scrypt_n=2**8)
    first = run_vote_meeting(district.base + "/", codes, N_FIRST, "browser", open_within=4.0, round_id=rid,
                             from_home=True, db_url=district_db, timeout=300)
    assert first.failures == [] and first.ballots_cast == N_FIRST == first.stored
    url = district.url("vote", f"round={rid}")
    ms = 300_000

    async def run():
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)

            async def open_second(i: int):
                await asyncio.sleep((i - N_FIRST) * 1.5)
                ctx = await offline_context(browser)
                page = await ctx.new_page()
                await open_ballot(page, url, codes[i], f"M{1 + i % 4}", ms)
                return ctx, page

            opened = await asyncio.gather(*(open_second(i) for i in range(N_FIRST, N_FIRST + N_SECOND)))
            held = [await worker_of(ctx) for ctx, _ in opened]
            # Round robin for browsers without a cookie: both workers hold tablets.
            assert set(held) == {"r1", "r2"}, held
            district.kill("resident-r1")
            # While r1 is down (its restart takes seconds), a browser pinned to r1 is served by r2.
            status, headers, _ = await asyncio.to_thread(
                get, district.port, f"/voila/render/vote.ipynb?round={rid}", headers={"Cookie": "linli_resident_worker=r1"})
            failover = (status, headers.get("set-cookie", ""))

            async def finish(k: int) -> dict:
                ctx, page = opened[k]
                i = N_FIRST + k
                if held[k] == "r1":
                    notice = await page.wait_for_selector("#linli-kernel-lost", timeout=60_000)
                    said = (await notice.inner_text()).strip()
                    await page.reload(wait_until="commit", timeout=ms)  # what the notice asks the resident to do
                    await open_ballot(page, url, codes[i], f"M{1 + i % 4}", ms)
                    out = {"notice": said, "reloaded_on": await worker_of(ctx)}
                else:
                    out = {}
                out["receipt"] = await confirm(page, ms)
                out["worker"] = await worker_of(ctx)
                await ctx.close()
                return out

            seconds = await asyncio.gather(*(finish(k) for k in range(N_SECOND)))
            await browser.close()
            return held, seconds, failover

    held, seconds, failover = in_thread(run)
    assert failover[0] == 200 and "linli_resident_worker=r2" in failover[1], failover
    moved = [s for s, w in zip(seconds, held) if w == "r1"]
    # The notice asks for a reload, or (the idle-reopen path) for a touch that reloads the page itself.
    assert moved and all(s["notice"].startswith("页面连接已中断") and ("请刷新页面" in s["notice"] or "轻触屏幕" in s["notice"])
                         for s in moved), moved
    # The reload reached a live worker: r2 while r1 is down, or r1 once restarted (both serve the same store).
    assert all(s["reloaded_on"] in ("r1", "r2") for s in moved), moved
    receipts = [s["receipt"] for s in seconds]
    assert len(receipts) == N_SECOND and all(receipts)
    turnout = open_store(district_db).turnout(rid)
    assert turnout["ballots"] == N_FIRST + N_SECOND == turnout["codes_used"], turnout
    print(f"tablets on the killed worker: {len(moved)}; reloaded on: {[s['reloaded_on'] for s in moved]}")

