"""`make run` — what README tells a new user — builds the demo database and serves every page,
printing each page's address; every printed address answers."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from tests.browser.harness import free_port
from toolkit.store import open_store

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.browser
def test_make_run_serves_every_page(tmp_path):
    db = tmp_path / "run.sqlite"
    env = {
        **os.environ,
        "LINLI_DB": str(db),
        "LINLI_RESIDENT_PORT": str(free_port()),
        "LINLI_STAFF_PORT": str(free_port()),
        "LINLI_STAFF_TOKEN": "make-run-test-token-0123456789",
    }
    proc = subprocess.Popen(["make", "run"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Press Ctrl-C" in line:
                break
        output = "".join(lines)
        assert "Press Ctrl-C" in output, output[-3000:]
        assert "240 demo proposals" in output and open_store(db).count_proposals() == 240
        urls = dict(re.findall(r"^\s+(\S+)\s+for .*?: (http://\S+)$", output, re.M))
        pages = {p.stem for p in (ROOT / "notebooks").rglob("*.ipynb")}
        assert set(urls) == pages, output
        # Like a browser: the staff server sets a login cookie and redirects to the URL without ?token=.
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        for page, url in urls.items():
            url = url.replace("localhost", "127.0.0.1")
            for _ in range(60):
                try:
                    with opener.open(url, timeout=120) as r:
                        body = r.read().decode("utf-8", "replace")
                    break
                except OSError:
                    time.sleep(1)
            assert "jupyter-config-data" in body, page
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
