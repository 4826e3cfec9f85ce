"""District deployment: one resident worker vs two behind nginx (``linli serve --district``), same N.

N tablets (Playwright contexts in one headless Debian chromium, offline) open the vote page through
nginx's one public address within ``--open-within`` seconds; each enters a code, picks a project,
reviews, confirms and waits for its receipt. Printed per setup: p50/p95 time to usable and to the
receipt (from opening the page), failures, ballots cast vs stored in PostgreSQL (through PgBouncer),
and the ratio two workers / one worker. Asserts nothing.

    .venv/bin/python benchmarks/district.py [--n 10] [--port 9540]

Also the pieces the district test uses: :class:`District` (the real ``linli serve --district`` in its
own process group), :func:`open_vote_round` and :func:`tablet_vote`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS, in_thread  # noqa: E402

STAFF_TOKEN = "district-staff-token-0123456789"
TABLET = {"width": 1280, "height": 800}


class District:
    """``linli serve --district`` started as a person would, in its own process group."""

    def __init__(self, db: str, port: int, log: Path, *, workers: int = 2, env: dict[str, str] | None = None) -> None:
        self.port, self.log, self.workers = port, log, workers
        full = dict(os.environ)
        full.update({
            "LINLI_DB": db, "LINLI_DISTRICT_PORT": str(port), "LINLI_WORKERS": str(workers),
            "LINLI_STAFF_TOKEN": STAFF_TOKEN, "PYTHONUNBUFFERED": "1",
        })
        full.update(env or {})
        self.proc = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "linli"), "serve", "--district"], cwd=ROOT, env=full,
            stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.base = f"http://127.0.0.1:{port}"

    def wait_ready(self, timeout: float = 180) -> "District":
        """Every worker answers through nginx (each resident worker by its own cookie); while one is
        down nginx answers 502 itself."""
        deadline = time.monotonic() + timeout
        wanted = [("/api/status", f"linli_resident_worker=r{i}") for i in range(1, self.workers + 1)]
        wanted.append(("/staff/api/status", "linli_staff_worker=s1"))
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"linli serve --district exited:\n{self.text()[-4000:]}")
            if all(0 < self.status(path, cookie) < 500 for path, cookie in wanted):
                return self
            time.sleep(0.5)
        self.stop()  # nothing left running behind a failed start
        raise RuntimeError(f"the district did not come up in {timeout:.0f} s:\n{self.text()[-4000:]}")

    def status(self, path: str, cookie: str = "") -> int:
        req = urllib.request.Request(self.base + path, headers={"Cookie": cookie} if cookie else {})
        try:
            return urllib.request.urlopen(req, timeout=5).status
        except urllib.error.HTTPError as exc:
            return exc.code
        except OSError:
            return 0

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def pid(self, part: str) -> int:
        """The newest pid the supervisor logged for ``part`` (``resident-r1``, ``nginx``, …)."""
        found = re.findall(rf"\] {re.escape(part)} server (?:re)?started \(pid (\d+)", self.text())
        if not found:
            raise RuntimeError(f"no pid logged for {part}:\n{self.text()[-2000:]}")
        return int(found[-1])

    def kill(self, part: str) -> int:
        """Kill one part and everything in its process group (a worker with its kernels), as the
        out-of-memory killer or a crash would."""
        pid = self.pid(part)
        os.killpg(pid, signal.SIGKILL)
        return pid

    def url(self, page: str, query: str = "") -> str:
        return f"{self.base}/voila/render/{page}.ipynb" + (f"?{query}" if query else "")

    def staff_url(self, page: str, query: str = "") -> str:
        return f"{self.base}/staff/voila/render/{page}.ipynb?token={STAFF_TOKEN}" + (f"&{query}" if query else "")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def open_vote_round(db: str, n_codes: int) -> tuple[int, list[str]]:
    """An open knapsack round of six candidates (¥100,000) with ``n_codes`` codes issued."""
    from toolkit.labels import Label
    from toolkit.rounds import Fund, Knapsack, Project, RoundSettings
    from toolkit.store import open_store
    from toolkit.voting import create_round, issue_codes

    store = open_store(db)
    projects = tuple(
        Project(f"D{i}", Label(f"区级候选项目{i}", f"District candidate {i}"), (20_000 + 5_000 * i) * 100,
                location=(104.115 + 0.006 * i, 30.64 + 0.004 * i))
        for i in range(1, 7)
    )
    settings = RoundSettings("district", Label("区级部署测试", "District deployment test"), projects,
                             (Fund("shared", Label("共有资金", "Shared income"), 100_000_00),), Knapsack())
    rid = create_round(store, settings, scrypt_n=2**8)
    codes = issue_codes(store, rid, n_codes)
    store.set_round_status(rid, "open")
    return rid, codes


async def offline_context(browser):
    ctx = await browser.new_context(viewport=TABLET, locale="zh-CN")

    async def route(r):
        if r.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
            await r.continue_()
        else:
            await r.abort()

    await ctx.route("**/*", route)
    return ctx


async def worker_of(ctx) -> str | None:
    """Which resident worker holds this tablet's page (nginx routes by this cookie)."""
    for c in await ctx.cookies():
        if c["name"] == "linli_resident_worker":
            return c["value"]
    return None


async def open_ballot(page, url: str, code: str, pick: str, timeout_ms: float) -> float:
    """Open the vote page, enter the code, pick one project, reach the review step; seconds to usable."""
    t0 = time.monotonic()
    await page.goto(url, wait_until="commit", timeout=timeout_ms)
    await page.wait_for_selector("button.linli-start", timeout=timeout_ms)
    usable = time.monotonic() - t0
    await page.get_by_placeholder("例如").fill(code)
    await page.click("button.linli-start", timeout=timeout_ms)
    await page.wait_for_selector("#linli-meter", state="visible", timeout=timeout_ms)
    await page.click(f"button.linli-pick-{pick}", timeout=timeout_ms)
    await page.click("button.linli-review:not([disabled])", timeout=timeout_ms)
    await page.wait_for_selector("#linli-review", timeout=timeout_ms)
    return usable


async def confirm(page, timeout_ms: float) -> str:
    await page.click("button.linli-confirm-vote", timeout=timeout_ms)
    receipt = await page.wait_for_selector("#linli-vote-receipt", timeout=timeout_ms)
    return (await receipt.inner_text()).strip()


async def tablet_vote(browser, url: str, code: str, pick: str, *, delay: float = 0.0, timeout: float = 300.0) -> dict:
    """One tablet, start to receipt: {"usable", "receipt" (s from opening), "receipt_text", "worker"} or {"failure"}."""
    await asyncio.sleep(delay)
    ms = timeout * 1000
    ctx = await offline_context(browser)
    page = await ctx.new_page()
    out: dict = {}
    try:
        t0 = time.monotonic()
        out["usable"] = await open_ballot(page, url, code, pick, ms)
        out["receipt_text"] = await confirm(page, ms)
        out["receipt"] = time.monotonic() - t0
        out["worker"] = await worker_of(ctx)
    except Exception as exc:  # a benchmark reports failures; the test asserts there are none
        out["failure"] = f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:160]}"
    finally:
        await page.close(run_before_unload=True)
        await ctx.close()
    return out




def meeting(district: District, rid: int, codes: list[str], n: int, open_within: float) -> list[dict]:
    from playwright.async_api import async_playwright

    url = district.url("vote", f"round={rid}")

    async def run():
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                return await asyncio.gather(*(
                    tablet_vote(browser, url, codes[i], f"D{1 + i % 6}", delay=i * open_within / n) for i in range(n)
                ))
            finally:
                await browser.close()

    return in_thread(run)


def _pct(xs: list[float], q: float) -> float:
    """Nearest rank: p50 of [1, 2, 3, 4] is 2; p95 of 10 values is the largest."""
    import math

    ordered = sorted(xs)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else float("nan")


def main(argv: list[str] | None = None) -> None:
    from scripts.postgres import PostgresServer
    from toolkit.demo import build_demo_database
    from toolkit.store import open_store

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10)
    ap.add_argument("--open-within", type=float, default=10.0)
    ap.add_argument("--port", type=int, default=9540, help="nginx's port; workers on the next three, PostgreSQL on port+10")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="linli-district-bench-") as tmp:
        Path(tmp).chmod(0o755)  # PostgreSQL runs as its own user when this runs as root
        pg = PostgresServer(Path(tmp) / "pg", args.port + 10).start()
        try:
            db = pg.create_database("linli")
            build_demo_database(db, count=240)
            rows = []
            for workers in (1, 2):
                rid, codes = open_vote_round(db, args.n)
                district = District(db, args.port, Path(tmp) / f"district-{workers}.log", workers=workers,
                                    env={"LINLI_MAX_KERNELS_PER_CLIENT": "0"}).wait_ready()
                try:
                    load = os.getloadavg()
                    outcomes = meeting(district, rid, codes, args.n, args.open_within)
                finally:
                    district.stop()
                ok = [o for o in outcomes if "receipt" in o]
                stored = open_store(db).turnout(rid)["ballots"]
                rows.append((workers, ok, len(outcomes) - len(ok), stored, load))
                for o in outcomes:
                    if "failure" in o:
                        print(f"  {workers} worker(s): tablet failed: {o['failure']}", flush=True)
            print(f"\nDistrict through nginx, N={args.n} tablets opening within {args.open_within:g} s "
                  f"(PostgreSQL via PgBouncer; {os.cpu_count()} cores)")
            print("| resident workers | usable p50 / p95 s | receipt p50 / p95 s | failures | cast / stored | load avg at start |")
            print("|---:|---:|---:|---:|---:|---|")
            for workers, ok, failed, stored, load in rows:
                u, r = [o["usable"] for o in ok], [o["receipt"] for o in ok]
                print(f"| {workers} | {_pct(u, .5):.1f} / {_pct(u, .95):.1f} | {_pct(r, .5):.1f} / {_pct(r, .95):.1f} "
                      f"| {failed} | {len(ok)} / {stored} | {' '.join(f'{x:.2f}' for x in load)} |")
            (one, two) = ([o["receipt"] for o in row[1]] for row in rows)
            if one and two:
                print(f"receipt p50 ratio two workers / one worker: {statistics.median(two) / statistics.median(one):.2f}")
            print(f"uptime after: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
        finally:
            pg.stop()


if __name__ == "__main__":
    main()
