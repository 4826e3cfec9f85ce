"""Serving: two Voila servers, one per audience.

- the **resident** server serves only ``notebooks/resident`` (tablet pages), no login;
- the **staff** server serves only ``notebooks/staff`` and requires a token (LINLI_STAFF_TOKEN,
  generated into ``var/staff-token`` when unset) or a password hash (LINLI_STAFF_PASSWORD_HASH).

A resident server cannot serve a staff notebook because the staff folder is outside its root.
Both use the ``linli`` template (``templates/voila/templates/linli``: lab + offline assets,
tablet/projector CSS, Chinese loading text) and cull idle kernels.
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


def voila_server(
    audience: str,
    settings: Settings,
    *,
    port: int | None = None,
    debug: bool = False,
    cull: tuple[int, int] = (CULL_INTERVAL, CULL_IDLE_TIMEOUT),
) -> Server:
    """The command line and environment of one audience's Voila server."""
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}; use one of {AUDIENCES}")
    port = port or (settings.resident_port if audience == "resident" else settings.staff_port)
    cmd = [
        sys.executable, "-m", "voila", str(NOTEBOOKS / audience),
        "--no-browser",
        "--template=linli",
        f"--Voila.ip={settings.host}",
        f"--port={port}",
        "--Voila.port_retries=0",
        "--VoilaConfiguration.file_allowlist=['.*\\.(png|jpg|jpeg|svg|webp)']",
        f"--MappingKernelManager.cull_interval={cull[0]}",
        f"--MappingKernelManager.cull_idle_timeout={cull[1]}",
    ]
    if settings.pool_size > 0:
        cmd += ["--preheat_kernel=True", f"--pool_size={settings.pool_size}"]
    if debug:
        cmd.append("--debug")
    token = None
    if audience == "staff":
        if settings.staff_password_hash:
            cmd += ["--token=", f"--PasswordIdentityProvider.hashed_password={settings.staff_password_hash}"]
        else:
            token = staff_token(settings)
            cmd.append(f"--token={token}")
    else:
        cmd.append("--token=")
    env = dict(os.environ)
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(TEMPLATES), env.get("JUPYTER_PATH", "")) if p)
    env["LINLI_DB"] = settings.db
    env.setdefault("PYTHONUNBUFFERED", "1")
    return Server(audience, port, cmd, env, token)


def serve(settings: Settings, *, debug: bool = False) -> int:
    """Start both servers, print every page's URL, stop both on Ctrl-C."""
    servers = [voila_server(a, settings, debug=debug) for a in AUDIENCES]
    procs = [subprocess.Popen(s.command, env=s.env, start_new_session=True) for s in servers]
    time.sleep(1)
    who = {"resident": "residents (tablet)", "staff": "facilitators and staff"}
    print("\nLinli is running. Start at the two home pages:")
    for s in servers:
        print(f"  {s.audience + '-home':<14} for {who[s.audience]}: {s.home_url(settings.host)}")
    print("Every page:")
    for s in servers:
        for page in s.pages():
            if page != "home":
                print(f"  {page:<14} for {who[s.audience]}: {s.url(settings.host, page)}")
    print("Press Ctrl-C to stop.\n", flush=True)
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
    failed = [p.returncode for p in procs if p.returncode not in (0, None, -signal.SIGTERM)]
    return 1 if failed else 0


def page_path(audience: str, page: str) -> Path:
    return Path(NOTEBOOKS / audience / f"{page}.ipynb")
