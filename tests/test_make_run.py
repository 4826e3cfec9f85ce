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


# Like a browser: the staff server sets a login cookie and redirects to the URL without ?token=.
OPENER = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))


def fetch(url: str) -> str:
    for _ in range(60):
        try:
            with OPENER.open(url, timeout=120) as r:
                return r.read().decode("utf-8", "replace")
        except OSError:
            time.sleep(1)
    raise AssertionError(f"{url} did not answer")


@pytest.mark.browser
def test_make_run_serves_every_page(tmp_path):
    db = tmp_path / "run.sqlite"
    env = {
        **os.environ,
        "LINLI_DB": str(db),
        "LINLI_RESIDENT_PORT": str(free_port()),
        "LINLI_STAFF_PORT": str(free_port()),
        "LINLI_STAFF_TOKEN": "make-run-test-token-0123456789",
        "LINLI_MAX_KERNELS_PER_CLIENT": "0",  # this test opens every page (8 staff pages) from one address
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
        printed = re.findall(r"^\s+(\S+)\s+for .*?: (http://\S+)$", output, re.M)
        urls = dict(printed)
        assert [p for p, _ in printed[:2]] == ["resident-home", "staff-home"], output  # the two home pages first
        served = [ROOT / "notebooks" / audience for audience in ("resident", "staff")]
        pages = {p.stem for folder in served for p in folder.glob("*.ipynb")} - {"home"}
        assert set(urls) == pages | {"resident-home", "staff-home"}, output
        for page, url in urls.items():
            url = url.replace("localhost", "127.0.0.1")
            if page.endswith("-home"):  # the server root opens the home page, never Voila's file list
                root = fetch(url)
                assert "voila/render/home.ipynb" in root and "voila-notebooks" not in root, root[:500]
                url = re.sub(r"/(\?|$)", r"/voila/render/home.ipynb\1", url.split("//", 1)[1], count=1)
                url = "http://" + url
            assert "jupyter-config-data" in fetch(url), page
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
