"""`linli serve` keeps both servers up: a server killed (as the out-of-memory killer does) is back within
seconds, the log says so, and the other server never stops."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.browser.harness import STAFF_TOKEN, free_port


def children(pid: int) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                stat = (proc / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(proc.name))
    return found


def running_server(pid: int) -> bool:
    try:
        return b"voila_app" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def answers(port: int) -> bool:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/voila/templates/linli/static/linli.css", timeout=3)
        return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def wait(predicate, timeout: float) -> float:
    t0 = time.monotonic()
    while not predicate():
        assert time.monotonic() - t0 < timeout, f"not within {timeout} s"
        time.sleep(0.2)
    return time.monotonic() - t0


def test_a_killed_server_is_restarted_and_the_other_keeps_running(tmp_path):
    from toolkit.demo import build_demo_database

    db = build_demo_database(str(tmp_path / "linli.sqlite"), count=20)
    ports = {"resident": free_port(), "staff": free_port()}
    env = {
        **os.environ, "LINLI_DB": db, "LINLI_HOST": "127.0.0.1", "LINLI_STAFF_TOKEN": STAFF_TOKEN,
        "LINLI_RESIDENT_PORT": str(ports["resident"]), "LINLI_STAFF_PORT": str(ports["staff"]),
    }
    log = tmp_path / "serve.log"
    serve = subprocess.Popen([sys.executable, "-m", "toolkit.cli", "serve"], env=env, stdout=log.open("w"),
                             stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait(lambda: all(answers(p) for p in ports.values()), 90)
        servers = {}
        for pid in children(serve.pid):
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
            servers["resident" if b"notebooks/resident" in cmd else "staff"] = pid
        assert set(servers) == {"resident", "staff"}, servers
        staff_down = []
        watching = True

        def watch_staff():
            while watching:
                if not answers(ports["staff"]):
                    staff_down.append(time.monotonic())
                time.sleep(0.2)

        watcher = threading.Thread(target=watch_staff)
        watcher.start()
        os.kill(servers["resident"], signal.SIGKILL)
        wait(lambda: not answers(ports["resident"]), 10)
        took = wait(lambda: answers(ports["resident"]), 30)
        watching = False
        watcher.join()
        print(f"resident server back {took:.1f} s after the kill")
        new = [p for p in children(serve.pid) if b"notebooks/resident" in Path(f"/proc/{p}/cmdline").read_bytes()]
        assert new and new[0] != servers["resident"]
        assert servers["staff"] in children(serve.pid), "the staff server is the same process"
        assert not staff_down, "the staff server stopped answering while the resident one restarted"
        text = log.read_text()
        assert f"resident server (pid {servers['resident']}) stopped with exit code -9; restarting it" in text
        assert f"resident server restarted (pid {new[0]}" in text
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            serve.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
    assert serve.returncode == 0
    assert "both servers stopped" in log.read_text()
    assert not any(answers(p) for p in ports.values())


def test_servers_end_when_linli_serve_is_killed_outright(tmp_path):
    """`linli serve` killed with no chance to stop its servers (SIGKILL, as a test's clean-up or the
    out-of-memory killer does): the servers end too, instead of holding their ports with nobody to stop them."""
    from toolkit.demo import build_demo_database

    db = build_demo_database(str(tmp_path / "linli.sqlite"), count=20)
    ports = {"resident": free_port(), "staff": free_port()}
    env = {
        **os.environ, "LINLI_DB": db, "LINLI_HOST": "127.0.0.1", "LINLI_STAFF_TOKEN": STAFF_TOKEN,
        "LINLI_RESIDENT_PORT": str(ports["resident"]), "LINLI_STAFF_PORT": str(ports["staff"]),
    }
    serve = subprocess.Popen([sys.executable, "-m", "toolkit.cli", "serve"], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.STDOUT, start_new_session=True)
    servers: list[int] = []
    try:
        wait(lambda: all(answers(p) for p in ports.values()), 90)
        servers = children(serve.pid)
        assert len(servers) == 2, servers
        serve.kill()
        serve.wait(timeout=10)
        wait(lambda: not any(running_server(pid) for pid in servers), 30)
        assert not any(answers(p) for p in ports.values())
    finally:
        for pid in servers:  # whatever is left, so that a failure here leaves nothing running
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
