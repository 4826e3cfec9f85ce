"""`linli lab`: a real JupyterLab on notebooks/planners that asks the internet for nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request

from tests.browser.harness import free_port
from toolkit.lab import PLANNERS_NOTEBOOKS, lab_server
from toolkit.settings import load_settings


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.status, r.read()


def test_lab_serves_the_planners_notebooks_offline(tmp_path):
    lab = lab_server(load_settings(), port=free_port())
    log = (tmp_path / "lab.log").open("w")
    env = {**lab.env, "HOME": str(tmp_path), "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt")}
    proc = subprocess.Popen(lab.command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{lab.port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, (tmp_path / "lab.log").read_text()[-3000:]
            try:
                _get(f"{base}/api/status?token={lab.token}")
                break
            except OSError:
                assert time.monotonic() < deadline, (tmp_path / "lab.log").read_text()[-3000:]
                time.sleep(0.5)
        status, page = _get(f"{base}/lab?token={lab.token}")
        assert status == 200 and b"JupyterLab" in page
        # the folder it opens is notebooks/planners, with the planners' notebooks in it
        _, listing = _get(f"{base}/api/contents?token={lab.token}")
        names = {item["name"] for item in json.loads(listing)["content"]}
        assert names == {p.name for p in PLANNERS_NOTEBOOKS.iterdir() if not p.name.startswith(".")}
        assert {"edit-geodata.ipynb", "needs.ipynb", "README.md"} <= names
        # nothing reaches out: no news feed, no update check, no PyPI extension manager
        _, news = _get(f"{base}/lab/api/news?token={lab.token}")
        assert json.loads(news)["news"] == []
        _, update = _get(f"{base}/lab/api/update?token={lab.token}")
        assert json.loads(update)["notification"] is None
        _, ext = _get(f"{base}/lab/api/extensions?refresh=0&token={lab.token}")
        assert b"pypi" not in ext.lower()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
