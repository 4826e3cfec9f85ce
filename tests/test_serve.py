"""Real Linli servers (toolkit.voila_app under Voila) probed with raw HTTP and a raw websocket handshake:
the Host allow-list, the kernel cap under concurrent requests, the staff login limiter, secrets kept off
the command line, and the token dropped from the address bar."""

from __future__ import annotations

import base64
import dataclasses
import http.client
import os
import re
import socket
import threading
import time
from pathlib import Path

import pytest

from tests.browser.harness import STAFF_TOKEN, RunningServer, free_port, in_thread, kernels, start_servers
from toolkit.serve import voila_server
from toolkit.settings import load_settings


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> str:
    from toolkit.demo import build_demo_database

    return build_demo_database(str(tmp_path_factory.mktemp("serve-db") / "linli.sqlite"))


@pytest.fixture(scope="module")
def servers(demo_db, tmp_path_factory):
    running = start_servers(demo_db, tmp_path_factory.mktemp("serve"), settings_overrides={"lockout_minutes": 1})
    yield running
    for r in running.values():
        r.stop()


def request(server: RunningServer, path: str, *, host: str | None = None, method: str = "GET", headers=None,
            body: str | None = None, source: str | None = None) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", server.server.port, timeout=120,
                                      source_address=(source, 0) if source else None)
    hdrs = {"Host": host or f"127.0.0.1:{server.server.port}", **(headers or {})}
    conn.request(method, path, body=body, headers=hdrs)
    resp = conn.getresponse()
    resp.body = resp.read()
    conn.close()
    return resp


def ws_handshake(server: RunningServer, path: str, *, host: str, origin: str) -> int:
    """The status line of a websocket upgrade, sent byte by byte as a browser would."""
    key = base64.b64encode(os.urandom(16)).decode()
    with socket.create_connection(("127.0.0.1", server.server.port), timeout=60) as s:
        s.sendall(
            (f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n\r\n").encode()
        )
        return int(s.recv(4096).split(b" ", 2)[1])


def page_kernel_id(html: bytes) -> str:
    return re.search(rb'"kernelId": "([0-9a-f-]{36})"', html).group(1).decode()


def test_foreign_host_is_refused_on_both_servers(servers):
    resident, staff = servers["resident"], servers["staff"]
    paths = {
        resident: ["/voila/render/propose.ipynb", "/", "/voila/templates/linli/static/linli.css", "/api/kernels"],
        staff: [f"/voila/render/live-map.ipynb?token={STAFF_TOKEN}", "/login", "/voila/templates/linli/static/linli.css"],
    }
    for server, urls in paths.items():
        before = len(kernels(server))
        for path in urls:
            for host in ("attacker.example", f"attacker.example:{server.server.port}", "localhost.attacker.example"):
                resp = request(server, path, host=host)
                assert resp.status == 403, (server.server.audience, path, host, resp.status)
                assert "这个地址不能访问本服务器".encode() in resp.body
            assert request(server, path, host="attacker.example", method="POST", body="").status == 403
        assert "This address cannot reach" in request(server, "/?lang=en", host="attacker.example").body.decode()
        assert len(kernels(server)) == before, "a refused request starts no kernel"
    ok = request(resident, "/voila/templates/linli/static/linli.css", host=f"localhost:{resident.server.port}")
    assert ok.status == 200
    assert request(resident, "/voila/templates/linli/static/linli.css", host=f"[::1]:{resident.server.port}").status == 200


def test_websocket_from_a_rebinding_page_is_refused(servers):
    resident = servers["resident"]
    page = request(resident, "/voila/render/propose.ipynb")
    assert page.status == 200
    kid = page_kernel_id(page.body)
    path = f"/api/kernels/{kid}/channels"
    assert ws_handshake(resident, path, host="attacker.example", origin="http://attacker.example") == 403
    assert ws_handshake(resident, path, host=f"attacker.example:{resident.server.port}",
                        origin=f"http://attacker.example:{resident.server.port}") == 403
    local = f"127.0.0.1:{resident.server.port}"
    assert ws_handshake(resident, path, host=local, origin="http://attacker.example") == 403  # Origin ≠ Host
    assert ws_handshake(resident, path, host=local, origin=f"http://{local}") == 101  # the real page


def test_secrets_are_not_on_any_command_line(servers, tmp_path):
    hashed = "argon2:$argon2id$v=19$m=10240,t=10,p=8$c2VjcmV0c2FsdA$notarealhashbutsecret"
    for server in servers.values():
        cmdlines = [Path(f"/proc/{server.proc.pid}/cmdline").read_bytes()]
        cmdlines += [Path(f"/proc/{k}/cmdline").read_bytes() for k in kernels(server)]
        for cmd in cmdlines:
            assert STAFF_TOKEN.encode() not in cmd
    settings = dataclasses.replace(load_settings(), staff_token=None, staff_password_hash=hashed, var_dir=tmp_path)
    srv = voila_server("staff", settings, port=free_port())
    assert not any(hashed in part or "hashed_password" in part or "token" in part.lower() for part in srv.command)
    assert srv.env["LINLI_STAFF_PASSWORD_HASH"] == hashed and "LINLI_STAFF_TOKEN" not in srv.env
    resident = voila_server("resident", dataclasses.replace(settings, staff_token=STAFF_TOKEN))
    assert "LINLI_STAFF_PASSWORD_HASH" not in resident.env and "LINLI_STAFF_TOKEN" not in resident.env


def test_token_leaves_the_address_bar_after_login(servers):
    staff = servers["staff"]
    before = set(kernels(staff))
    resp = request(staff, f"/voila/render/live-map.ipynb?lang=en&token={STAFF_TOKEN}")
    assert resp.status == 302
    assert resp.getheader("Location") == "/voila/render/live-map.ipynb?lang=en"
    cookies = "; ".join(c.split(";", 1)[0] for c in resp.headers.get_all("Set-Cookie"))
    assert "username-" in cookies
    assert set(kernels(staff)) == before, "the redirect itself starts no kernel"
    again = request(staff, "/voila/render/live-map.ipynb?lang=en", headers={"Cookie": cookies})
    assert again.status == 200 and b"kernelId" in again.body
    assert len(set(kernels(staff)) - before) == 1
    assert request(staff, "/voila/render/live-map.ipynb?lang=en").status in (302, 403)  # no cookie: login


def test_wrong_staff_tokens_lock_the_address(servers):
    staff = servers["staff"]
    source = "127.0.0.7"
    t0 = time.monotonic()
    for i in range(5):
        resp = request(staff, f"/voila/render/live-map.ipynb?token=guess{i}", source=source)
        assert resp.status in (302, 403), resp.status
    locked = request(staff, f"/voila/render/live-map.ipynb?token={STAFF_TOKEN}", source=source)
    assert locked.status == 429, "the right token is refused while the address is locked"
    assert "错误次数太多".encode() in locked.body
    log = staff.log.read_text()
    assert f"5 wrong attempts from {source}" in log and "locked for 1 min" in log
    # another address still logs in
    assert request(staff, f"/voila/render/live-map.ipynb?token={STAFF_TOKEN}", source="127.0.0.8").status == 302
    # ... and the lockout ends (1 minute in this test)
    while time.monotonic() - t0 < 62:
        time.sleep(1)
    assert request(staff, f"/voila/render/live-map.ipynb?token={STAFF_TOKEN}", source=source).status == 302


def test_wrong_passwords_lock_the_login_form(demo_db, tmp_path):
    from jupyter_server.auth import passwd

    settings = dataclasses.replace(
        load_settings(), db=demo_db, staff_token=None, staff_password_hash=passwd("richtig-passwort-42"),
        var_dir=tmp_path, host="127.0.0.1", lockout_minutes=5,
    )
    staff = RunningServer(voila_server("staff", settings, port=free_port()), tmp_path / "staff.log")
    try:
        staff.wait_ready()
        login = request(staff, "/login")
        xsrf = re.search(r"_xsrf=([^;]+)", login.getheader("Set-Cookie")).group(1)
        form = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"_xsrf={xsrf}"}
        statuses = []
        start = time.monotonic()
        for i in range(5):
            statuses.append(request(staff, "/login", method="POST", headers=form, body=f"_xsrf={xsrf}&password=falsch{i}").status)
        assert all(s in (200, 401) for s in statuses), statuses
        right = request(staff, "/login", method="POST", headers=form, body=f"_xsrf={xsrf}&password=richtig-passwort-42")
        assert right.status == 429 and "分钟后再试".encode() in right.body
        assert "locked for 5 min" in staff.log.read_text()
        print(f"5 wrong passwords and a lockout in {time.monotonic() - start:.2f} s")
        other = request(staff, "/login", method="POST", headers=form, body=f"_xsrf={xsrf}&password=richtig-passwort-42",
                        source="127.0.0.9")
        assert other.status == 302, "the right password from another address logs in"
    finally:
        staff.stop()


def test_concurrent_page_requests_from_one_address_stop_at_the_cap(demo_db, tmp_path):
    """Plain GETs (no browser, no websocket) are capped, and their kernels are dropped soon after."""
    running = start_servers(
        demo_db, tmp_path, settings_overrides={"max_kernels_per_client": 3, "max_kernels": 5},
        extra=("--LinliVoila.unconnected_seconds=40", "--LinliVoila.linli_cull_interval=2"),
    )
    try:
        resident = running["resident"]
        statuses: list[int] = []

        def hit():
            statuses.append(request(resident, "/voila/render/propose.ipynb").status)

        threads = [threading.Thread(target=hit) for _ in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(statuses) == [200] * 3 + [503] * 7
        assert len(kernels(resident)) == 3
        others: list[int] = []
        threads = [threading.Thread(target=lambda i=i: others.append(
            request(resident, "/voila/render/propose.ipynb", source=f"127.0.0.{20 + i}").status)) for i in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(others) == [200, 200, 503], "the server-wide cap (5) holds across addresses"
        assert len(kernels(resident)) == 5
        # No page ever connected to these kernels: they are dropped, and the slots are free again.
        deadline = time.monotonic() + 90
        while kernels(resident) and time.monotonic() < deadline:
            time.sleep(1)
        assert kernels(resident) == [] and "its page never connected" in resident.log.read_text()
        assert request(resident, "/voila/render/propose.ipynb").status == 200
    finally:
        for r in running.values():
            r.stop()


def test_text_is_gzipped_and_vendored_assets_are_cached(servers):
    import gzip

    resident = servers["resident"]
    css = "/voila/templates/linli/static/linli.css"
    plain = request(resident, css)
    packed = request(resident, css, headers={"Accept-Encoding": "gzip, deflate"})
    assert plain.getheader("Content-Encoding") is None
    assert packed.getheader("Content-Encoding") == "gzip" and "Accept-Encoding" in packed.getheader("Vary")
    assert gzip.decompress(packed.body) == plain.body and len(packed.body) < len(plain.body) / 2
    assert "max-age" not in (plain.getheader("Cache-Control") or ""), "Linli's own CSS changes with an update"
    fa = request(resident, "/voila/templates/linli/static/fontawesome/css/all.min.css", headers={"Accept-Encoding": "gzip"})
    assert fa.status == 200 and fa.getheader("Cache-Control") == "public, max-age=604800"
    bundle = request(resident, "/voila/labextensions/@voila-dashboards/widgets-manager8/static/496.ad7666673ba278088e95.js",
                     headers={"Accept-Encoding": "gzip"})
    assert bundle.status == 200 and bundle.getheader("Cache-Control") == "public, max-age=31536000"
    assert bundle.getheader("Content-Encoding") == "gzip"
    # The page itself streams while the kernel runs: gzipped in flushed pieces, whole when unpacked.
    page = request(resident, "/voila/render/propose.ipynb", headers={"Accept-Encoding": "gzip"})
    assert page.status == 200 and page.getheader("Content-Encoding") == "gzip"
    html = gzip.decompress(page.body)
    assert html.rstrip().endswith(b"</html>") and b"kernelId" in html


def test_the_resident_client_is_sent_gzipped_ahead_and_kept_a_year(servers):
    import gzip

    from toolkit.voila_app import BUNDLE_DIR

    resident = servers["resident"]
    template = (BUNDLE_DIR.parent / "bundle.html.j2").read_text(encoding="utf-8")
    for name in re.findall(r"static/(resident\.[0-9a-f]{16}\.(?:js|css))", template):
        path = f"/voila/templates/linli-resident/static/{name}"
        on_disk = (BUNDLE_DIR / name).read_bytes()
        packed = request(resident, path, headers={"Accept-Encoding": "gzip, deflate"})
        assert packed.status == 200 and packed.getheader("Content-Encoding") == "gzip", name
        assert gzip.decompress(packed.body) == on_disk and len(packed.body) < len(on_disk) / 2.5
        assert packed.getheader("Cache-Control") == "public, max-age=31536000"
        plain = request(resident, path)
        assert plain.getheader("Content-Encoding") is None and plain.body == on_disk
        again = request(resident, path, headers={"Accept-Encoding": "gzip", "If-None-Match": packed.getheader("ETag")})
        assert again.status == 304 and not again.body
    assert request(resident, "/voila/templates/linli-resident/static/resident.0000000000000000.js").status == 404


def test_a_page_connects_while_its_kernel_still_runs_the_page(servers):
    """The resident client opens the kernel's websocket as soon as the page names the kernel, and builds each
    widget as the kernel announces it: the websocket is accepted, and the widgets' comm_open messages come
    over it, before the page has finished arriving (Jupyter would first ask the busy kernel its protocol
    version, an answer that waits for the end of the page's run)."""
    import asyncio
    import json

    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    resident = servers["resident"]
    conn = http.client.HTTPConnection("127.0.0.1", resident.server.port, timeout=120)
    conn.request("GET", "/voila/render/propose.ipynb", headers={"Host": f"127.0.0.1:{resident.server.port}"})
    resp = conn.getresponse()
    head = b""
    while not re.search(rb'"kernelId": "[0-9a-f-]{36}"', head):
        chunk = resp.read1(65536)
        assert chunk, "the page ended without naming its kernel"
        head += chunk
    kernel = page_kernel_id(head)
    page_done: dict[str, float] = {}

    def rest() -> None:
        while resp.read1(65536):
            pass
        page_done["at"] = time.monotonic()

    reader = threading.Thread(target=rest)
    reader.start()

    async def listen() -> tuple[float, float, int]:
        url = f"ws://127.0.0.1:{resident.server.port}/api/kernels/{kernel}/channels?session_id=early-test"
        ws = await websocket_connect(HTTPRequest(url, headers={"Host": f"127.0.0.1:{resident.server.port}"}, connect_timeout=60))
        opened = time.monotonic()
        first = None
        announced = 0
        while True:
            msg = await asyncio.wait_for(ws.read_message(), timeout=120)
            assert msg is not None, "the websocket closed"
            if isinstance(msg, bytes):
                continue
            data = json.loads(msg)
            if data["header"]["msg_type"] == "comm_open" and data["content"]["target_name"] == "jupyter.widget":
                first = first or time.monotonic()
                announced += 1
            if data["header"]["msg_type"] == "status" and data["content"]["execution_state"] == "idle" and announced:
                ws.close()
                return opened, first, announced

    opened, first, announced = in_thread(listen)  # an earlier test's Playwright may run a loop in this thread
    reader.join(timeout=120)
    conn.close()
    assert announced > 50  # the map, its layers, the form: every widget of the page
    assert opened < first < page_done["at"], "the widgets were announced before the page had arrived"


def test_the_per_device_cap_applies_to_the_resident_server_only(tmp_path, monkeypatch):
    """Strangers on the meeting LAN reach the resident server; the staff server is behind its login,
    and one facilitator's laptop keeps the home page, the live map and several desks open."""
    monkeypatch.setenv("LINLI_MAX_KERNELS_PER_CLIENT", "4")
    monkeypatch.setenv("LINLI_STAFF_TOKEN", "t" * 32)
    settings = load_settings()
    resident, staff = voila_server("resident", settings), voila_server("staff", settings)
    assert "--LinliVoila.max_kernels_per_client=4" in resident.command
    assert "--LinliVoila.max_kernels_per_client=0" in staff.command
    assert f"--LinliVoila.max_kernels={settings.max_kernels}" in staff.command


def test_page_output_is_awaited_while_many_tablets_open_at_once(tmp_path):
    """benchmarks/meeting.py, ten chromium tablets opening the vote page within 10 s on two cores: nbclient's
    default 4 s wait for a cell's output ran out on 3 to 7 of them ("Timeout waiting for IOPub output" in the
    server log) and those pages stayed empty for good. Both servers now wait as long as a page may take."""
    from toolkit.serve import IOPUB_TIMEOUT

    assert IOPUB_TIMEOUT >= 60
    settings = dataclasses.replace(load_settings(), staff_token=STAFF_TOKEN, staff_password_hash=None, var_dir=tmp_path)
    for audience in ("resident", "staff"):
        assert f"--VoilaExecutor.iopub_timeout={IOPUB_TIMEOUT}" in voila_server(audience, settings, port=free_port()).command
    for pool in (0, 2):  # preheated kernels run the page through the same executor
        srv = voila_server("resident", dataclasses.replace(settings, pool_size=pool), port=free_port())
        assert f"--VoilaExecutor.iopub_timeout={IOPUB_TIMEOUT}" in srv.command


def test_page_templates_are_compiled_once_per_server():
    """Voila makes a new exporter (a new Jinja environment) for every page; the server keeps the compiled
    templates, and a page rendered from them is the same page."""
    from voila.exporter import VoilaExporter
    from voila.paths import collect_template_paths

    from toolkit.voila_app import _CompiledTemplates, _keep_compiled_templates

    os.environ.setdefault("JUPYTER_PATH", str(Path(__file__).resolve().parents[1] / "templates"))
    paths = collect_template_paths(["voila", "nbconvert"], "linli-resident")
    first = VoilaExporter(template_paths=paths, template_name="linli-resident", base_url="/").template
    _keep_compiled_templates()
    _CompiledTemplates.compiled.clear()
    cold = VoilaExporter(template_paths=paths, template_name="linli-resident", base_url="/").template
    kept = dict(_CompiledTemplates.compiled)
    assert kept  # the page template, compiled (what it extends is compiled when a page renders)
    warm = VoilaExporter(template_paths=paths, template_name="linli-resident", base_url="/").template
    assert _CompiledTemplates.compiled == kept  # nothing compiled again
    assert warm.filename == cold.filename == first.filename
