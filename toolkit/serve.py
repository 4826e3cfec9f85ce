"""Serving: two Voila servers, one per audience, kept running by ``linli serve``.

- the **resident** server serves only ``notebooks/resident`` (tablet pages), no login;
- the **staff** server serves only ``notebooks/staff`` and requires a token (LINLI_STAFF_TOKEN,
  generated into ``var/staff-token`` when unset) or a password hash (LINLI_STAFF_PASSWORD_HASH).

A resident server cannot serve a staff notebook because the staff folder is outside its root.
Both use the ``linli`` template (``templates/voila/templates/linli``: lab + offline assets,
tablet/projector CSS, Chinese loading text); the resident server's ``linli-resident`` extends it with
Linli's small widget client (``frontend/``) in place of Voila's JupyterLab front end. Both run ``toolkit.voila_app`` (Voila plus a Host
allow-list, kernel caps, kernels freed on page close and culled when idle, a login rate limit).
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from toolkit.lifetimes import die_with_parent
from toolkit.settings import PROJECT_ROOT, Settings

NOTEBOOKS = PROJECT_ROOT / "notebooks"
TEMPLATES = PROJECT_ROOT / "templates"
AUDIENCES = ("resident", "staff")
CULL_INTERVAL, CULL_IDLE_TIMEOUT = 60, 600  # seconds


@dataclass(frozen=True)
class Server:
    audience: str
    port: int
    command: list[str]
    env: dict[str, str]
    token: str | None

    def url(self, host: str, page: str) -> str:
        shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "localhost") else host
        query = f"?token={self.token}" if self.token else ""
        return f"http://{shown}:{self.port}/voila/render/{page}.ipynb{query}"

    def home_url(self, host: str) -> str:
        """The server root: it opens the audience's home page (templates/voila/.../tree-lab.html)."""
        shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "localhost") else host
        query = f"?token={self.token}" if self.token else ""
        return f"http://{shown}:{self.port}/{query}"

    def pages(self) -> list[str]:
        """The audience's pages, home first."""
        return sorted((p.stem for p in (NOTEBOOKS / self.audience).glob("*.ipynb")), key=lambda p: (p != "home", p))


def staff_token(settings: Settings) -> str:
    """The staff token: LINLI_STAFF_TOKEN, else one generated once into var/staff-token."""
    if settings.staff_token:
        return settings.staff_token
    path = settings.var_dir / "staff-token"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(24)
    path.write_text(token + "\n", encoding="utf-8")
    path.chmod(0o600)
    return token


IOPUB_TIMEOUT = 120  # seconds nbclient waits for a page cell's output after the kernel replied
POOL_REFILL_DELAY = 8.0  # seconds after a preheated kernel is handed out


def voila_server(
    audience: str,
    settings: Settings,
    *,
    port: int | None = None,
    debug: bool = False,
    cull: tuple[int, int] = (CULL_INTERVAL, CULL_IDLE_TIMEOUT),
    extra: tuple[str, ...] = (),
) -> Server:
    """The command line and environment of one audience's Voila server (``toolkit.voila_app``).

    Secrets (the staff token or password hash) go into the server's environment, readable only by its
    own user, never onto the command line, which every local user sees in ``ps``.
    """
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}; use one of {AUDIENCES}")
    port = port or (settings.resident_port if audience == "resident" else settings.staff_port)
    cmd = [
        sys.executable, "-m", "toolkit.voila_app", str(NOTEBOOKS / audience),
        "--no-browser",
        # Resident pages (tablets) run Linli's small widget client instead of Voila's JupyterLab front end.
        "--template=linli-resident" if audience == "resident" else "--template=linli",
        f"--Voila.ip={settings.host}",
        f"--port={port}",
        "--Voila.port_retries=0",
        "--VoilaConfiguration.file_allowlist=['.*\\.(png|jpg|jpeg|svg|webp)']",
        f"--MappingKernelManager.cull_interval={cull[0]}",
        f"--MappingKernelManager.cull_idle_timeout={cull[1]}",
        f"--LinliVoila.audience={audience}",
        f"--LinliVoila.listen_host={settings.host}",
        f"--LinliVoila.public_hosts={','.join(settings.public_hosts)}",
        f"--LinliVoila.public_url={settings.public_url or ''}",
        f"--LinliVoila.max_kernels={settings.max_kernels}",
        # Per device only on the anonymous resident server: a logged-in facilitator may keep many staff pages open.
        f"--LinliVoila.max_kernels_per_client={settings.max_kernels_per_client if audience == 'resident' else 0}",
        f"--LinliVoila.idle_minutes={settings.idle_minutes}",
        f"--LinliVoila.lockout_minutes={settings.lockout_minutes}",
        # nbclient gives up on a cell's output 4 s after the kernel's reply and renders the page without it.
        # With ten tablets opening at once on two cores the output (the page's widgets) came later, and
        # those tablets got a page with nothing on it, for good. Wait as long as a page may take.
        f"--VoilaExecutor.iopub_timeout={IOPUB_TIMEOUT}",
    ]
    if settings.pool_size > 0:
        # Voila refills a pool 1 s after handing out a kernel: the new kernel's start (imports, the page
        # run ahead) then competes on a 2-core laptop with the page the visitor is opening. Wait until
        # that page is usable.
        cmd += ["--preheat_kernel=True", f"--pool_size={settings.pool_size}", f"--VoilaKernelManager.fill_delay={POOL_REFILL_DELAY}"]
    if debug:
        cmd.append("--debug")
    cmd += list(extra)
    env = dict(os.environ)
    for secret in ("LINLI_STAFF_TOKEN", "LINLI_STAFF_PASSWORD_HASH"):
        env.pop(secret, None)
    token = None
    if audience == "staff":
        if settings.staff_password_hash:
            env["LINLI_STAFF_PASSWORD_HASH"] = settings.staff_password_hash
        else:
            token = staff_token(settings)
            env["LINLI_STAFF_TOKEN"] = token
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(TEMPLATES), env.get("JUPYTER_PATH", "")) if p)
    env["LINLI_DB"] = settings.db
    env.setdefault("PYTHONUNBUFFERED", "1")
    return Server(audience, port, cmd, env, token)


def _log(message: str) -> None:
    print(f"[linli serve {time.strftime('%H:%M:%S')}] {message}", flush=True)


class _Stop(Exception):
    pass


def _raise_stop(signum, frame):
    raise _Stop()


def _start(server: Server) -> subprocess.Popen:
    # Its own session (a Ctrl-C reaches `linli serve`, which stops the servers in order), and it ends with
    # `linli serve` even when that is killed outright: no server left holding its port with nobody to stop it.
    return subprocess.Popen(server.command, env=server.env, start_new_session=True, preexec_fn=die_with_parent)


def _end_group(proc: subprocess.Popen) -> None:
    """Stop a server and everything in its process group (its kernels), also after it died."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        if sig == signal.SIGTERM:
            try:  # the leader is gone; kernels it left behind in the group go too
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return


def serve(settings: Settings, *, debug: bool = False, check_seconds: float = 0.5) -> int:
    """Start both servers, print every page's URL, restart a server that dies, stop both on Ctrl-C.

    A server that dies (out of memory, killed) is started again at once and the log says so; one that
    keeps dying is retried with growing pauses (up to a minute). The other server never stops.
    """
    servers = {a: voila_server(a, settings, debug=debug) for a in AUDIENCES}

    def announce() -> None:
        who = {"resident": "residents (tablet)", "staff": "facilitators and staff"}
        print("\nLinli is running. Start at the two home pages:")
        for s in servers.values():
            print(f"  {s.audience + '-home':<14} for {who[s.audience]}: {s.home_url(settings.host)}")
        print("Every page:")
        for s in servers.values():
            for page in s.pages():
                if page != "home":
                    print(f"  {page:<14} for {who[s.audience]}: {s.url(settings.host, page)}")
        print("Press Ctrl-C to stop.\n", flush=True)

    return supervise(servers, announce=announce, stopped="both servers stopped", check_seconds=check_seconds)


def supervise(
    servers: dict[str, "Server | Process"],
    *,
    announce=None,
    stopped: str = "all servers stopped",
    check_seconds: float = 0.5,
) -> int:
    """Run every server in its own process group, restart one that dies, stop all on Ctrl-C/SIGTERM.

    A server that dies (out of memory, killed) is started again at once and the log says so; one that
    keeps dying is retried with growing pauses (up to a minute). The others never stop.
    """
    procs = {name: _start(s) for name, s in servers.items()}
    restarts: dict[str, list[float]] = {name: [] for name in servers}
    next_try: dict[str, float] = {}
    time.sleep(1)
    if announce is not None:
        announce()
    for name, p in procs.items():
        _log(f"{name} server started (pid {p.pid}{_port_note(servers[name])})")
    previous = signal.signal(signal.SIGTERM, _raise_stop)
    try:
        while True:
            now = time.monotonic()
            for name, proc in list(procs.items()):
                if proc.poll() is None or next_try.get(name, 0) > now:
                    continue
                if name not in next_try:  # just noticed
                    _log(f"{name} server (pid {proc.pid}) stopped with exit code {proc.returncode}; restarting it")
                    _end_group(proc)
                    recent = [t for t in restarts[name] if now - t < 60]
                    pause = min(60.0, 2.0 ** max(0, len(recent) - 2)) if len(recent) >= 3 else 0.0
                    if pause:
                        _log(f"{name} server died {len(recent)} times in a minute; next try in {pause:.0f} s")
                    next_try[name] = now + pause
                    if pause:
                        continue
                next_try.pop(name, None)
                restarts[name].append(now)
                procs[name] = _start(servers[name])
                _log(f"{name} server restarted (pid {procs[name].pid}{_port_note(servers[name])})")
            time.sleep(check_seconds)
    except (KeyboardInterrupt, _Stop):
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        for p in reversed(list(procs.values())):
            _end_group(p)
        _log(stopped)
    return 0


@dataclass(frozen=True)
class Process:
    """A helper server run beside the Voila servers (nginx, PgBouncer): its command and environment."""

    name: str
    command: list[str]
    env: dict[str, str]
    port: int | None = None


def _port_note(server: "Server | Process") -> str:
    return f", port {server.port}" if server.port else ""


def page_path(audience: str, page: str) -> Path:
    return Path(NOTEBOOKS / audience / f"{page}.ipynb")
