"""Real Voila servers and a real headless chromium, for browser tests and benchmarks.

Servers run in their own process group on free ports (``--Voila.port_retries=0``); a server that
does not come up fails with its own output. Chromium is Debian's ``/usr/bin/chromium`` driven by
Playwright; every request that leaves localhost is refused and recorded (the app must work offline).
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from toolkit.kernel_zygote import page_kernel_pids
from toolkit.serve import Server, voila_server
from toolkit.settings import load_settings

CHROMIUM = os.environ.get("LINLI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STAFF_TOKEN = "test-staff-token-1234567890"


SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def shot(page, name: str, tmp_path: Path, *, full_page: bool = False) -> None:
    """Screenshots for README come from the browser tests (LINLI_UPDATE_SCREENSHOTS=1 writes them)."""
    target = SCREENSHOTS if os.environ.get("LINLI_UPDATE_SCREENSHOTS") == "1" else tmp_path
    target.mkdir(parents=True, exist_ok=True)
    if full_page:  # Voila scrolls inside its own container: show the whole page in a tall viewport
        size = page.viewport_size
        page.set_viewport_size({"width": size["width"], "height": 1900})
        page.evaluate("window.scrollTo(0, 0); document.querySelectorAll('*').forEach(e => { if (e.scrollTop) e.scrollTop = 0; })")
        page.wait_for_timeout(300)
        page.screenshot(path=str(target / f"{name}.png"))
        page.set_viewport_size(size)
    else:
        page.screenshot(path=str(target / f"{name}.png"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RunningServer:
    def __init__(self, server: Server, log: Path, *, cwd: Path | None = None) -> None:
        self.server = server
        self.log = log
        self.proc = subprocess.Popen(
            server.command, env=server.env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True, cwd=cwd
        )
        self.base = f"http://127.0.0.1:{server.port}"

    def url(self, page: str, *, token: bool = True, query: str = "") -> str:
        params = [p for p in (f"token={self.server.token}" if token and self.server.token else "", query) if p]
        return f"{self.base}/voila/render/{page}.ipynb" + ("?" + "&".join(params) if params else "")

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"voila ({self.server.audience}) exited:\n{self.log.read_text()[-4000:]}")
            try:
                urllib.request.urlopen(self.base + "/api/status", timeout=2)
                return
            except urllib.error.HTTPError:
                return  # it answers (403 without a token is fine)
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"voila ({self.server.audience}) did not start in {timeout}s:\n{self.log.read_text()[-4000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


def start_servers(
    db: str,
    workdir: Path,
    *,
    pool_size: int = 0,
    poll_seconds: float = 0.5,
    cull: tuple[int, int] | None = None,
    settings_overrides: dict | None = None,
    extra: tuple[str, ...] = (),
    ports: dict[str, int] | None = None,
) -> dict[str, RunningServer]:
    """Both servers (``settings_overrides``: Settings fields; ``extra``: more server options;
    ``ports``: a fixed port per audience instead of a free one).

    Every test tab comes from 127.0.0.1, so the kernel caps are off unless a test sets them.
    """
    os.environ["LINLI_POLL_SECONDS"] = str(poll_seconds)
    overrides = {"max_kernels": 0, "max_kernels_per_client": 0, **(settings_overrides or {})}
    settings = dataclasses.replace(
        load_settings(), db=db, staff_token=STAFF_TOKEN, staff_password_hash=None, pool_size=pool_size, var_dir=workdir, host="127.0.0.1",
        **overrides,
    )
    running = {}
    for audience in ("resident", "staff"):
        srv = voila_server(audience, settings, port=(ports or {}).get(audience) or free_port(), extra=extra, **({"cull": cull} if cull else {}))
        running[audience] = RunningServer(srv, workdir / f"voila-{audience}.log")
    for r in running.values():
        r.wait_ready()
    return running


def kernels(server: RunningServer) -> list[int]:
    """Kernel processes a server started (forked by its zygote, or its own ipykernel children);
    Voila 0.5 has no /api/kernels."""
    return kernel_pids(server.proc.pid)


def kernel_pids(server_pid: int) -> list[int]:
    """Kernel processes of the server with process id ``server_pid`` (``toolkit.kernel_zygote``)."""
    return page_kernel_pids(server_pid)


def launch_browser(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def offline_context(browser, *, width: int, height: int, external: list[str]):
    """A browser context that refuses and records every request leaving localhost."""
    ctx = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")

    def route(r):
        url = r.request.url
        if url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "http://localhost", "data:", "blob:")):
            r.continue_()
        else:
            external.append(url)
            r.abort()

    ctx.route("**/*", route)
    return ctx


def in_thread(make_coro):
    """Run a coroutine to the end on a fresh event loop in a thread of its own: pytest's sync Playwright
    may already run a loop in this thread. A killed run does not wait for the thread."""
    box: dict = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(make_coro())
        except BaseException as exc:  # re-raised in the caller
            box["error"] = exc

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]
    return box["value"]
