"""The meeting load test (issue 13, item 4): N tablets at once on one resident server.

N tablets open a resident page of one server within a few seconds and each does what a resident
does, while the server's memory is sampled.

VOTE: each tablet opens the ballot page, enters a one-time code, picks a project, reviews and
confirms, and waits for its receipt; then closes the page. Reported per N: time to usable (the
code box and its button on screen) and from pressing "开始投票" to the receipt (p50/p95), peak
memory of the Voila server with all its kernels, kernels still alive a few seconds after the last
tablet closed, failures, and ballots stored (counted in the database) against ballots cast
(receipts the tablets saw).

PROPOSE: the staff live map is open on a projector (a chromium page); each tablet opens the
propose page, taps a compound, fills the form and submits; reported: time from the submit press
to the proposal's marker on the projector page (p50/p95), and proposals stored.

Two clients: ``browser`` (a Playwright context per tablet in one headless Debian chromium,
offline) and ``ws`` (one HTTP GET plus the kernel websocket per tablet, speaking the Jupyter
widget protocol as the page's JavaScript does: it asks for the widget states, sets the code box's
value and sends button clicks as comm messages, and sends the page's unload beacon at the end).

    .venv/bin/python benchmarks/meeting.py [--n 10 30 60] [--client browser ws] [--page vote propose]

As a library (the district deployment test runs it through nginx)::

    round_id, codes = prepare_vote_round(db_url, n_codes)
    result = run_vote_meeting("http://127.0.0.1:9401/", codes, n, client="browser")
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import random
import re
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS, in_thread, kernel_pids, start_servers  # noqa: E402
from toolkit.kernel_zygote import zygote_pids  # noqa: E402

# Candidates of the meeting round: ¥20,000 … ¥55,000 against a ¥100,000 budget, so any single
# pick is a valid knapsack ballot. Locations inside the demo district (they show on the ballot map).
VOTE_COSTS_YUAN = (20_000, 25_000, 30_000, 35_000, 40_000, 45_000, 50_000, 55_000)
VOTE_BUDGET_YUAN = 100_000
TABLET = {"width": 1280, "height": 800}
PROJECTOR = {"width": 1920, "height": 1080}


# --------------------------------------------------------------------------------------------
# The result


@dataclass
class MeetingResult:
    """What one meeting run saw. Times in seconds: ``usable_s`` from opening the page to its
    controls on screen, ``receipt_s`` from the decisive press ("开始投票" with the code; "提交" on
    propose) to the receipt. ``ballots_cast``: receipts the tablets saw (proposals, on propose).
    ``stored``, ``peak_rss_mb`` and ``kernels_after`` are filled when the caller gave the database
    / the server's process id."""

    n: int
    client: str
    usable_s: list[float]
    receipt_s: list[float]
    failures: list[str]
    ballots_cast: int
    page: str = "vote"
    stored: int | None = None
    peak_rss_mb: float | None = None
    kernels_after: int | None = None
    seen_s: list[float] = field(default_factory=list)  # propose: submit → marker on the projector
    wall_s: float = 0.0

    @staticmethod
    def p50(xs: list[float]) -> float | None:
        return _rank(xs, 0.50)

    @staticmethod
    def p95(xs: list[float]) -> float | None:
        return _rank(xs, 0.95)

    HEADER = (
        "| page | client | N | usable p50 / p95 s | receipt p50 / p95 s | on projector p50 / p95 s "
        "| peak RSS MB | kernels after | failures | cast / stored | wall s |\n"
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    )

    def to_row(self) -> str:
        """One markdown table row (see ``HEADER``)."""

        def pair(xs: list[float]) -> str:
            return "–" if not xs else f"{self.p50(xs):.1f} / {self.p95(xs):.1f}"

        def opt(x, fmt: str = "{}") -> str:
            return "–" if x is None else fmt.format(x)

        return (
            f"| {self.page} | {self.client} | {self.n} | {pair(self.usable_s)} | {pair(self.receipt_s)} | {pair(self.seen_s)} "
            f"| {opt(self.peak_rss_mb, '{:.0f}')} | {opt(self.kernels_after)} | {len(self.failures)} "
            f"| {self.ballots_cast} / {opt(self.stored)} | {self.wall_s:.0f} |"
        )


def _rank(xs: list[float], q: float) -> float | None:
    """Nearest-rank percentile (p50 of [1, 2, 3, 4] is 2; p95 of 10 values is the largest)."""
    if not xs:
        return None
    ordered = sorted(xs)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


# --------------------------------------------------------------------------------------------
# The round


def prepare_vote_round(db_url: str, n_codes: int, *, scrypt_n: int = 2**14) -> tuple[int, list[str]]:
    """An open knapsack round of eight candidates on ``db_url`` with ``n_codes`` issued codes
    (the newest open round, so the vote page shows it without ``?round=``)."""
    from toolkit.labels import Label
    from toolkit.rounds import Fund, Knapsack, Project, RoundSettings
    from toolkit.store import open_store
    from toolkit.voting import create_round, issue_codes

    store = open_store(db_url)
    projects = tuple(
        Project(f"M{i}", Label(f"会议候选项目{i}", f"Meeting candidate {i}"), cost * 100, Label("", ""),
                (104.115 + 0.006 * i, 30.64 + 0.004 * (i % 5)))
        for i, cost in enumerate(VOTE_COSTS_YUAN, start=1)
    )
    settings = RoundSettings("meeting", Label("会议负载测试", "Meeting load test"), projects,
                             (Fund("shared", Label("共有资金", "Shared income"), VOTE_BUDGET_YUAN * 100),), Knapsack())
    round_id = create_round(store, settings, scrypt_n=scrypt_n)
    codes = issue_codes(store, round_id, n_codes)
    store.set_round_status(round_id, "open")
    return round_id, codes


def stored_ballots(db_url: str, round_id: int) -> int:
    from toolkit.store import open_store

    return open_store(db_url).turnout(round_id)["ballots"]


# --------------------------------------------------------------------------------------------
# Memory and kernels of the server


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class RssSampler:
    """Samples the RSS of a Voila server plus its kernel zygote and all its kernels every ``every`` seconds
    (in a thread). Forked kernels share the zygote's pages: summing RSS counts those more than once."""

    def __init__(self, pid: int, every: float = 0.5) -> None:
        self.pid, self.every = pid, every
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            total = _rss_kb(self.pid) + sum(_rss_kb(k) for k in kernel_pids(self.pid) + zygote_pids(self.pid))
            self.peak_kb = max(self.peak_kb, total)
            self._stop.wait(self.every)

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mb(self) -> float:
        return self.peak_kb / 1024


def _kernels_after(server_pid: int, settle: float) -> int:
    """Kernels still alive ``settle`` seconds after the last tablet closed."""
    time.sleep(settle)
    return len(kernel_pids(server_pid))


# --------------------------------------------------------------------------------------------
# Running a meeting


def _page_url(base: str, page: str, **query) -> str:
    query = {k: v for k, v in query.items() if v is not None}
    return base.rstrip("/") + f"/voila/render/{page}.ipynb" + ("?" + urlencode(query) if query else "")




def run_vote_meeting(
    resident_url: str,
    codes: list[str],
    n: int,
    client: str = "browser",
    open_within: float = 10.0,
    lang: str = "zh",
    *,
    round_id: int | None = None,
    from_home: bool = False,
    db_url: str | None = None,
    server_pid: int | None = None,
    settle: float = 5.0,
    timeout: float = 600.0,
    seed: int = 13,
) -> MeetingResult:
    """N tablets open the vote page at even intervals within ``open_within`` seconds; each
    enters one of ``codes`` and casts a one-project ballot. ``from_home``: browser tablets start
    at the resident home page and tap the vote tile. With ``db_url`` and ``round_id`` the stored
    ballots are counted; with ``server_pid`` (the resident Voila server) memory is sampled and the
    kernels left ``settle`` seconds after the meeting are counted."""
    if client not in CLIENTS:
        raise ValueError(f"unknown client {client!r}: use one of {sorted(CLIENTS)}")
    if len(codes) < n:
        raise ValueError(f"{n} tablets need {n} codes, got {len(codes)}")
    rng = random.Random(seed)
    picks = [f"M{rng.randint(1, len(VOTE_COSTS_YUAN))}" for _ in range(n)]
    url = _page_url(resident_url, "vote", round=round_id, lang=lang)
    home = _page_url(resident_url, "home", lang=lang) if from_home else None
    vote = CLIENTS[client]

    async def meeting():
        return await vote(url, home, codes[:n], picks, lang, open_within, timeout)

    sampler = RssSampler(server_pid) if server_pid else None
    started = time.monotonic()
    if sampler:
        with sampler:
            outcomes = in_thread(meeting)
    else:
        outcomes = in_thread(meeting)
    wall = time.monotonic() - started
    result = MeetingResult(
        n=n, client=client,
        usable_s=[o["usable"] for o in outcomes if "usable" in o],
        receipt_s=[o["receipt"] for o in outcomes if "receipt" in o],
        failures=[o["failure"] for o in outcomes if "failure" in o],
        ballots_cast=sum(1 for o in outcomes if o.get("receipt_text")),
        wall_s=wall,
    )
    if sampler:
        result.peak_rss_mb = sampler.peak_mb
        result.kernels_after = _kernels_after(server_pid, settle)
    if db_url and round_id is not None:
        result.stored = stored_ballots(db_url, round_id)
    return result


async def _staggered(n: int, open_within: float, tablet) -> list[dict]:
    """Start tablet(i) at i * open_within / n seconds; gather their outcomes (one dict each)."""
    step = open_within / n if n else 0

    async def one(i: int) -> dict:
        await asyncio.sleep(i * step)
        outcome: dict = {}
        try:
            await tablet(i, outcome)
        except Exception as exc:
            first = (str(exc).strip().splitlines() or [""])[0][:160]
            outcome["failure"] = f"tablet {i}: {type(exc).__name__}: {first}"
        return outcome

    return list(await asyncio.gather(*(one(i) for i in range(n))))


# ---- (a) browsers


LOCAL = ("127.0.0.1", "localhost")


async def _offline_context(browser, size: dict, lang: str, external: list[str]):
    """A context of the offline browser (see ``_launch``); requests that tried to leave this
    machine are recorded in ``external``."""
    ctx = await browser.new_context(viewport=size, locale="en-US" if lang == "en" else "zh-CN")

    def failed(request) -> None:
        if (urlsplit(request.url).hostname or "") not in LOCAL and not request.url.startswith(("data:", "blob:")):
            external.append(request.url)

    ctx.on("requestfailed", failed)
    return ctx


async def _launch(pw):
    """Headless Debian chromium that cannot reach the internet: everything but this machine goes
    to a dead proxy (no request routing through Python, which would cost client CPU per request)."""
    return await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
                                    proxy={"server": "http://127.0.0.1:9", "bypass": ",".join(LOCAL)})


def _offline_check(external: list[str]) -> None:
    if external:
        raise RuntimeError(f"the page tried to reach the internet: {external[:3]}")


def _code_placeholder(lang: str) -> str:
    from toolkit.ui.texts import T

    return T["vote_code_ph"].get(lang)


async def _browser_vote(url, home, codes, picks, lang, open_within, timeout):
    from playwright.async_api import async_playwright

    ms = timeout * 1000
    placeholder = _code_placeholder(lang)
    async with async_playwright() as pw:
        browser = await _launch(pw)

        async def tablet(i: int, out: dict) -> None:
            external: list[str] = []
            ctx = await _offline_context(browser, TABLET, lang, external)
            page = await ctx.new_page()
            try:
                t0 = time.monotonic()
                if home:
                    await page.goto(home, wait_until="commit", timeout=ms)
                    await page.click("a.linli-tile[data-page=vote]", timeout=ms)
                else:
                    await page.goto(url, wait_until="commit", timeout=ms)
                await page.wait_for_selector("button.linli-start", timeout=ms)
                box = page.get_by_placeholder(placeholder)
                await box.wait_for(timeout=ms)
                out["usable"] = time.monotonic() - t0
                await box.fill(codes[i])
                t1 = time.monotonic()
                await page.click("button.linli-start", timeout=ms)
                await page.wait_for_selector("#linli-meter", state="visible", timeout=ms)
                await page.click(f"button.linli-pick-{picks[i]}", timeout=ms)
                await page.click("button.linli-review:not([disabled])", timeout=ms)
                await page.wait_for_selector("#linli-review", timeout=ms)
                await page.click("button.linli-confirm-vote", timeout=ms)
                receipt = await page.wait_for_selector("#linli-vote-receipt", timeout=ms)
                out["receipt"] = time.monotonic() - t1
                out["receipt_text"] = (await receipt.inner_text()).strip()
                _offline_check(external)
            except Exception:
                shown = await _page_errors(page)
                if shown:
                    raise RuntimeError(f"page says: {shown}") from None
                raise
            finally:
                try:
                    await page.close(run_before_unload=True)  # the unload beacon, as a closed tab sends
                    await asyncio.sleep(0.5)
                finally:
                    await ctx.close()

        outcomes = await _staggered(len(codes), open_within, tablet)
        await browser.close()
    return outcomes


async def _page_errors(page) -> str:
    try:
        texts = await page.eval_on_selector_all(".linli-error, #linli-kernel-lost", "es => es.map(e => e.innerText.trim()).filter(t => t)")
        return " | ".join(texts)[:200]
    except Exception:
        return ""


# ---- (b) the websocket client


class KernelPage:
    """One page visit over HTTP and the kernel websocket, speaking the widget protocol (ipywidgets 8)
    as the page's JavaScript does. ``states`` maps model id → its current state."""

    def __init__(self, url: str, timeout: float) -> None:
        self.url, self.timeout = url, timeout
        parts = urlsplit(url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.base = url[: url.index("/voila/render/")] + "/"
        self.session = uuid.uuid4().hex
        self.states: dict[str, dict] = {}
        self.kernel_id: str | None = None
        self.cookies: dict[str, str] = {}
        self.ws = None
        self._changed = asyncio.Event()

    async def open(self, http) -> None:
        """GET the page (the kernel runs the notebook meanwhile), then connect and load every widget."""
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        resp = await http.fetch(self.url, request_timeout=self.timeout, connect_timeout=self.timeout, raise_error=False)
        if resp.code != 200:
            body = (resp.body or b"").decode("utf-8", "replace")
            raise RuntimeError(f"HTTP {resp.code}: {re.sub(r'<[^>]+>', ' ', body).split()[:20]}")
        for header in resp.headers.get_list("Set-Cookie"):
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        html = resp.body.decode("utf-8", "replace")
        found = re.search(r'"kernelId":\s*"([0-9a-f-]+)"', html)
        if not found:
            raise RuntimeError("no kernel id in the page")
        self.kernel_id = found.group(1)
        ws_url = self.base.replace("http", "ws", 1) + f"api/kernels/{self.kernel_id}/channels?session_id={self.session}"
        request = HTTPRequest(ws_url, headers={"Origin": self.origin, "Cookie": self._cookie_header()},
                              connect_timeout=self.timeout, request_timeout=self.timeout)
        self.ws = await websocket_connect(request, max_message_size=64 * 1024 * 1024)
        self._reader = asyncio.ensure_future(self._read())
        control = uuid.uuid4().hex
        self._send("comm_open", {"comm_id": control, "target_name": "jupyter.widget.control", "data": {}},
                   metadata={"version": "1.0.0"})  # ipywidgets' control protocol
        self._send("comm_msg", {"comm_id": control, "data": {"method": "request_states"}})
        await self.until(lambda: self.states, "widget states")

    def _cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def _send(self, msg_type: str, content: dict, metadata: dict | None = None) -> None:
        header = {"msg_id": uuid.uuid4().hex, "username": "tablet", "session": self.session, "msg_type": msg_type,
                  "version": "5.3", "date": time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())}
        self.ws.write_message(json.dumps({"header": header, "parent_header": {}, "metadata": metadata or {}, "content": content,
                                          "channel": "shell", "buffers": []}))

    async def _read(self) -> None:
        while True:
            raw = await self.ws.read_message()
            if raw is None:
                self._changed.set()
                return
            msg = _decode(raw)
            content = msg.get("content", {})
            kind = msg.get("msg_type") or msg.get("header", {}).get("msg_type")
            data = content.get("data") or {}
            if kind == "comm_open" and "state" in data:
                self.states[content["comm_id"]] = dict(data["state"])
            elif kind == "comm_msg" and data.get("method") == "update_states":
                for mid, st in data.get("states", {}).items():
                    self.states[mid] = dict(st.get("state", {}))
            elif kind == "comm_msg" and data.get("method") in ("update", "echo_update"):
                self.states.setdefault(content["comm_id"], {}).update(data.get("state", {}))
            elif kind == "comm_close":
                self.states.pop(content.get("comm_id"), None)
            self._changed.set()

    async def until(self, ready, what: str):
        """Wait until ``ready()`` is truthy (re-checked after every message), at most ``timeout``."""
        deadline = time.monotonic() + self.timeout
        while True:
            value = ready()
            if value:
                return value
            if self.ws is None or self._reader.done():
                raise RuntimeError(f"connection closed while waiting for {what}")
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {what} after {self.timeout:.0f} s")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except asyncio.TimeoutError:
                pass

    def find(self, model: str, *, css: str | None = None, where=None) -> str | None:
        """The id of the first widget of ``model`` (e.g. "ButtonModel") with the css class / condition."""
        for mid, st in self.states.items():
            if st.get("_model_name") != model:
                continue
            if css is not None and css not in st.get("_dom_classes", ()):
                continue
            if where is not None and not where(st):
                continue
            return mid
        return None

    def html_containing(self, needle: str) -> str | None:
        return self.find("HTMLModel", where=lambda st: needle in (st.get("value") or ""))

    def error(self) -> str | None:
        """The text of an error message the page shows (not the reason beside a disabled button)."""
        mid = self.find("HTMLModel", where=lambda st: "linli-error" in (v := st.get("value") or "") and "linli-why-disabled" not in v)
        return _text(self.states[mid]["value"]) if mid else None

    def shown(self, mid: str) -> bool:
        """Is the widget's box displayed (its layout's display is not "none")?"""
        layout = (self.states.get(mid, {}).get("layout") or "").removeprefix("IPY_MODEL_")
        return self.states.get(layout, {}).get("display") != "none"

    def set_state(self, mid: str, state: dict) -> None:
        self.states[mid].update(state)
        self._send("comm_msg", {"comm_id": mid, "data": {"method": "update", "state": state, "buffer_paths": []}})

    def set_value(self, mid: str, value) -> None:
        self.set_state(mid, {"value": value})

    def custom(self, mid: str, content: dict) -> None:
        """A widget's own message from the browser (a map tap, a button click)."""
        self._send("comm_msg", {"comm_id": mid, "data": {"method": "custom", "content": content}})

    def click(self, mid: str) -> None:
        self.custom(mid, {"event": "click"})

    async def close(self, http) -> None:
        """The page's unload beacon (POST with the xsrf cookie and field), then the socket closes."""
        if self.kernel_id and "_xsrf" in self.cookies:
            await http.fetch(
                self.base + f"voila/api/shutdown/{self.kernel_id}", method="POST",
                body=urlencode({"_xsrf": self.cookies["_xsrf"]}),
                headers={"Cookie": self._cookie_header(), "Origin": self.origin, "Content-Type": "application/x-www-form-urlencoded"},
                request_timeout=self.timeout, raise_error=False,
            )
        if self.ws is not None:
            self.ws.close()
            self._reader.cancel()


def _decode(raw) -> dict:
    """A kernel message from the websocket: JSON text, or the binary form with buffers
    (count, offsets, then the JSON and the buffers)."""
    if isinstance(raw, str):
        return json.loads(raw)
    count = struct.unpack("!I", raw[:4])[0]
    offsets = list(struct.unpack(f"!{count}I", raw[4 : 4 + 4 * count])) + [len(raw)]
    return json.loads(raw[offsets[0] : offsets[1]].decode("utf-8"))


def _http_client(n: int):
    from tornado.httpclient import AsyncHTTPClient

    return AsyncHTTPClient(force_instance=True, max_clients=max(10, 2 * n))


async def _ws_vote(url, home, codes, picks, lang, open_within, timeout):
    http = _http_client(len(codes))
    placeholder = _code_placeholder(lang)

    async def tablet(i: int, out: dict) -> None:
        page = KernelPage(url, timeout)
        try:
            t0 = time.monotonic()
            await page.open(http)
            code_box = await page.until(lambda: page.find("TextModel", where=lambda st: st.get("placeholder") == placeholder), "the code box")
            start = await page.until(lambda: page.find("ButtonModel", css="linli-start"), "the start button")
            out["usable"] = time.monotonic() - t0
            ballot = page.find("VBoxModel", css="linli-ballot")
            t1 = time.monotonic()
            page.set_value(code_box, codes[i])
            page.click(start)
            await page.until(lambda: page.shown(ballot) or page.error(), "the ballot")
            if not page.shown(ballot):
                raise RuntimeError(f"code refused: {page.error()}")
            pick = page.find("ButtonModel", css=f"linli-pick-{picks[i]}")
            review = page.find("ButtonModel", css="linli-review")
            page.click(pick)
            await page.until(lambda: not page.states[review].get("disabled"), "the review button enabled")
            page.click(review)
            await page.until(lambda: page.html_containing('id="linli-review"'), "the review")
            page.click(page.find("ButtonModel", css="linli-confirm-vote"))
            receipt = await page.until(lambda: page.html_containing("linli-vote-receipt") or page.error(), "the receipt")
            if page.error():
                raise RuntimeError(f"refused: {page.error()}")
            out["receipt"] = time.monotonic() - t1
            out["receipt_text"] = _text(page.states[receipt]["value"])
        finally:
            await page.close(http)

    try:
        return await _staggered(len(codes), open_within, tablet)
    finally:
        http.close()


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


CLIENTS = {"browser": _browser_vote, "ws": _ws_vote}


# --------------------------------------------------------------------------------------------
# PROPOSE with the live map on the projector

PROPOSE_COMPOUND = "S2C2Y2"  # a compound of the demo district every tablet taps
SEEN_JS = """() => {
  window.__linliSeen = window.__linliSeen || {};
  const scan = () => document.querySelectorAll('[class*="linli-proposal-"]').forEach(e => {
    for (const c of e.classList) {
      const m = /^linli-proposal-(\\d+)$/.exec(c);
      if (m && !(m[1] in window.__linliSeen)) { window.__linliSeen[m[1]] = Date.now(); }
    }
  });
  scan();
  new MutationObserver(scan).observe(document.body, {subtree: true, childList: true, attributes: true, attributeFilter: ['class']});
}"""


def _proposal_texts(i: int, lang: str) -> dict[str, str]:
    if lang == "en":
        return {"title": f"Meeting test {i}: street light", "problem": "It is dark at night on this path.",
                "why": "Children walk here after school.", "suggestion": "Add two street lights."}
    return {"title": f"会议测试{i}：路灯", "problem": "晚上这段路太黑。", "why": "孩子放学要走这段路。", "suggestion": "加装两盏路灯。"}


def run_propose_meeting(
    resident_url: str,
    projector_url: str,
    n: int,
    client: str = "browser",
    open_within: float = 10.0,
    lang: str = "zh",
    *,
    db_url: str | None = None,
    server_pid: int | None = None,
    settle: float = 5.0,
    timeout: float = 600.0,
    seen_within: float = 60.0,
) -> MeetingResult:
    """The staff live map (``projector_url``, with its token) is open in chromium; N tablets open
    the propose page within ``open_within`` seconds, tap a compound, fill the form and submit.
    ``seen_s``: submit press → the proposal's marker on the projector page (needs ``db_url`` to
    turn receipts into proposal ids); ``stored``: receipts found in the database."""
    if client not in PROPOSE_CLIENTS:
        raise ValueError(f"unknown client {client!r}: use one of {sorted(PROPOSE_CLIENTS)}")
    url = _page_url(resident_url, "propose", lang=lang)
    propose = PROPOSE_CLIENTS[client]

    async def meeting():
        from playwright.async_api import async_playwright

        async with async_playwright() as pw:
            browser = await _launch(pw)
            external: list[str] = []
            ctx = await _offline_context(browser, PROJECTOR, lang, external)
            projector = await ctx.new_page()
            await projector.goto(projector_url, timeout=timeout * 1000)
            await projector.wait_for_selector("#linli-total", timeout=timeout * 1000)
            await projector.evaluate(SEEN_JS)
            _offline_check(external)
            outcomes = await propose(browser, url, n, lang, open_within, timeout)
            receipts = {o["receipt_text"]: o for o in outcomes if o.get("receipt_text")}
            ids = _proposal_ids(db_url, list(receipts)) if db_url else {}
            deadline = time.monotonic() + seen_within
            seen: dict = {}
            while time.monotonic() < deadline:
                seen = await projector.evaluate("() => window.__linliSeen")
                if all(str(pid) in seen for pid in ids.values()):
                    break
                await asyncio.sleep(0.25)
            for code, pid in ids.items():
                if str(pid) in seen:
                    receipts[code]["seen"] = seen[str(pid)] / 1000 - receipts[code]["submitted_at"]
                else:
                    receipts[code]["failure"] = f"proposal {pid} not on the projector after {seen_within:.0f} s"
            await projector.close(run_before_unload=True)
            await asyncio.sleep(0.5)  # the unload beacon leaves before the context goes
            await ctx.close()
            await browser.close()
            return outcomes, len(ids) if db_url else None

    sampler = RssSampler(server_pid) if server_pid else None
    started = time.monotonic()
    if sampler:
        with sampler:
            outcomes, stored = in_thread(meeting)
    else:
        outcomes, stored = in_thread(meeting)
    result = MeetingResult(
        n=n, client=client, page="propose",
        usable_s=[o["usable"] for o in outcomes if "usable" in o],
        receipt_s=[o["receipt"] for o in outcomes if "receipt" in o],
        failures=[o["failure"] for o in outcomes if "failure" in o],
        ballots_cast=sum(1 for o in outcomes if o.get("receipt_text")),
        seen_s=[o["seen"] for o in outcomes if "seen" in o],
        stored=stored, wall_s=time.monotonic() - started,
    )
    if sampler:
        result.peak_rss_mb = sampler.peak_mb
        result.kernels_after = _kernels_after(server_pid, settle)
    return result


def _proposal_ids(db_url: str, receipts: list[str]) -> dict[str, int]:
    """Receipt code → proposal id, for the receipts the database holds."""
    from toolkit.store import open_store

    store = open_store(db_url)
    rows = {code: store.proposal_by_receipt(code) for code in receipts}
    return {code: int(row["id"]) for code, row in rows.items() if row is not None}


async def _browser_propose(browser, url, n, lang, open_within, timeout):
    ms = timeout * 1000

    async def tablet(i: int, out: dict) -> None:
        external: list[str] = []
        ctx = await _offline_context(browser, TABLET, lang, external)
        page = await ctx.new_page()
        texts = _proposal_texts(i, lang)
        try:
            t0 = time.monotonic()
            await page.goto(url, wait_until="commit", timeout=ms)
            await page.wait_for_selector("button.linli-submit", timeout=ms)
            await page.wait_for_selector(f"path.linli-compound-{PROPOSE_COMPOUND}", timeout=ms)
            out["usable"] = time.monotonic() - t0
            await page.click(f"path.linli-compound-{PROPOSE_COMPOUND}", timeout=ms)
            await page.wait_for_selector(".linli-place", timeout=ms)
            # The choices nothing is chosen in yet: the category, then the cost band.
            category, cost = (await page.query_selector_all(".linli-page .widget-toggle-buttons:not(:has(button.mod-active))"))[:2]
            await (await category.query_selector_all("button"))[0].click(timeout=ms)
            await (await cost.query_selector_all("button"))[1].click(timeout=ms)
            await page.locator(".linli-page input[type=text]").first.fill(texts["title"], timeout=ms)
            areas = page.locator(".linli-page textarea")
            for j, key in enumerate(("problem", "why", "suggestion")):
                await areas.nth(j).fill(texts[key], timeout=ms)
            out["submitted_at"] = time.time()
            t1 = time.monotonic()
            await page.click("button.linli-submit", timeout=ms)
            receipt = await page.wait_for_selector("#linli-receipt", timeout=ms)
            out["receipt"] = time.monotonic() - t1
            out["receipt_text"] = (await receipt.inner_text()).strip()
            _offline_check(external)
        except Exception:
            shown = await _page_errors(page)
            if shown:
                raise RuntimeError(f"page says: {shown}") from None
            raise
        finally:
            try:
                await page.close(run_before_unload=True)
                await asyncio.sleep(0.5)
            finally:
                await ctx.close()

    return await _staggered(n, open_within, tablet)


def _compound_point(compound_id: str) -> tuple[float, float]:
    """(lat, lon) of a point inside the compound, where a tap lands."""
    from toolkit.geo import load_district

    shapes = load_district(None).compounds
    point = shapes[shapes["id"] == compound_id].geometry.iloc[0].representative_point()
    return point.y, point.x


async def _ws_propose(browser, url, n, lang, open_within, timeout):
    http = _http_client(n)
    lat, lon = _compound_point(PROPOSE_COMPOUND)

    async def tablet(i: int, out: dict) -> None:
        page = KernelPage(url, timeout)
        texts = _proposal_texts(i, lang)
        try:
            t0 = time.monotonic()
            await page.open(http)
            submit = await page.until(lambda: page.find("ButtonModel", css="linli-submit"), "the submit button")
            the_map = await page.until(lambda: page.find("LeafletMapModel"), "the map")
            out["usable"] = time.monotonic() - t0
            page.custom(the_map, {"event": "interaction", "type": "click", "coordinates": [lat, lon]})
            choices = [mid for mid, st in page.states.items() if st.get("_model_name") == "ToggleButtonsModel" and st.get("index") is None]
            for mid, index in zip(choices, (0, 1)):  # category, cost band
                page.set_state(mid, {"index": index})
            title = page.find("TextModel", where=lambda st: bool(st.get("placeholder")))
            page.set_value(title, texts["title"])
            areas = [mid for mid, st in page.states.items() if st.get("_model_name") == "TextareaModel"]
            for mid, key in zip(areas, ("problem", "why", "suggestion")):
                page.set_value(mid, texts[key])
            out["submitted_at"] = time.time()
            t1 = time.monotonic()
            page.click(submit)
            receipt = await page.until(lambda: page.html_containing('id="linli-receipt"') or page.error(), "the receipt")
            if page.error():
                raise RuntimeError(f"refused: {page.error()}")
            out["receipt"] = time.monotonic() - t1
            out["receipt_text"] = re.search(r'id="linli-receipt">([^<]+)<', page.states[receipt]["value"]).group(1).strip()
        finally:
            await page.close(http)

    try:
        return await _staggered(n, open_within, tablet)
    finally:
        http.close()


PROPOSE_CLIENTS = {"browser": _browser_propose, "ws": _ws_propose}


# --------------------------------------------------------------------------------------------
# The command


def machine() -> str:
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal:"))
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), platform.processor())
    return f"{os.cpu_count()} cores ({cpu}), {mem_kb / 1024 / 1024:.0f} GB RAM, {platform.system()} {platform.release()}"


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[10, 30, 60])
    ap.add_argument("--client", nargs="+", default=["browser", "ws"], choices=sorted(CLIENTS))
    ap.add_argument("--page", nargs="+", default=["vote", "propose"], choices=["vote", "propose"])
    ap.add_argument("--open-within", type=float, default=10.0)
    ap.add_argument("--lang", default="zh", choices=["zh", "en"])
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds a tablet waits for any one step")
    ap.add_argument("--port", type=int, default=0, help="resident server on this port, staff on the next (default: free ports)")
    ap.add_argument("--demo-size", type=int, default=240, help="proposals in the demo database")
    ap.add_argument("--grow", type=int, default=0, metavar="STEP",
                    help="after the listed N, go on in steps of STEP while a run has no failures and memory allows")
    ap.add_argument("--kernel-mb", type=float, default=200.0, help="memory a page kernel is assumed to need")
    ap.add_argument("--tab-mb", type=float, default=80.0, help="memory a chromium tablet context is assumed to need")
    ap.add_argument("--keep-free-gb", type=float, default=2.0, help="memory left to the rest of the machine: a run that would not leave it is skipped")
    args = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the servers on a kill too
    from toolkit.demo import build_demo_database
    from toolkit.settings import load_settings

    rows: list[tuple[MeetingResult, float]] = []
    print(f"machine: {machine()}\nbefore: {uptime()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "meeting.sqlite")
        build_demo_database(db, count=args.demo_size)
        ports = {"resident": args.port, "staff": args.port + 1} if args.port else None
        servers = start_servers(db, Path(tmp), ports=ports, poll_seconds=load_settings().poll_seconds)
        resident, staff = servers["resident"], servers["staff"]
        try:
            for n, page, client in _runs(args, rows):
                load = os.getloadavg()[0]
                if page == "vote":
                    round_id, codes = prepare_vote_round(db, n)
                    result = run_vote_meeting(resident.base + "/", codes, n, client, args.open_within, args.lang, round_id=round_id,
                                              db_url=db, server_pid=resident.proc.pid, timeout=args.timeout)
                else:
                    result = run_propose_meeting(resident.base + "/", staff.url("live-map"), n, client, args.open_within, args.lang,
                                                 db_url=db, server_pid=resident.proc.pid, timeout=args.timeout)
                load = max(load, os.getloadavg()[0])
                rows.append((result, load))
                print(result.to_row() + f" {load:.1f} |", flush=True)
                for failure in sorted(set(result.failures))[:5]:
                    print("    failure:", failure, flush=True)
        finally:
            for s in servers.values():
                s.stop()
    print(f"\nafter: {uptime()}\n")
    print(table(rows))


def _mem_available_gb() -> float:
    return next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemAvailable:")) / 1024 / 1024


def _runs(args, rows: list):
    """(n, page, client) for every listed N; then, with ``--grow``, larger N per page and client
    until a run fails or the kernels would not fit in memory (said on stdout: what stopped it)."""
    for n in args.n:
        for page in args.page:
            for client in args.client:
                if _fits(n, args, page, client):
                    yield n, page, client
    if not args.grow:
        return
    for page in args.page:
        for client in args.client:
            n = max(args.n)
            while True:
                last = next((r for r, _ in reversed(rows) if r.page == page and r.client == client), None)
                if last is not None and (last.failures or last.ballots_cast < last.n):
                    print(f"    {page}/{client}: stopped growing, N={last.n} had {len(last.failures)} failures", flush=True)
                    break
                n += args.grow
                if not _fits(n, args, page, client):
                    break
                yield n, page, client


def _fits(n: int, args, page: str, client: str) -> bool:
    """Whether N more kernels (and, for browsers, N chromium tabs) fit in the memory available
    now with ``--keep-free-gb`` left over; says so when not (the machine is shared)."""
    per_tablet = args.kernel_mb + (args.tab_mb if client == "browser" else 0)
    need, free = n * per_tablet / 1024 + args.keep_free_gb, _mem_available_gb()
    if need > free:
        print(f"    {page}/{client}: skipped N={n}: needs ≈{need:.1f} GB with the margin, {free:.1f} GB available", flush=True)
        return False
    return True


def table(rows: list[tuple[MeetingResult, float]]) -> str:
    """The markdown table, one row per run, with the 1-minute load average (the higher of start and end)."""
    head, rule = MeetingResult.HEADER.split("\n")
    return "\n".join([head + " load |", rule + "---:|", *(r.to_row() + f" {load:.1f} |" for r, load in rows)])


if __name__ == "__main__":
    main()
