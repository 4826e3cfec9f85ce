"""JupyterLab for planners: ``linli lab`` / ``make lab``.

Opens ``notebooks/planners/`` on the project's own environment, with everything that would reach
the internet switched off: no news feed, no update check, a read-only extension manager (no PyPI
queries). The notebooks see the same ``LINLI_DB`` and ``LINLI_GEODATA`` as the Voila servers.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from toolkit.settings import PROJECT_ROOT, Settings

PLANNERS_NOTEBOOKS = PROJECT_ROOT / "notebooks" / "planners"
OFFLINE_OPTIONS = (
    "--LabApp.news_url=None",
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    "--LabApp.extension_manager=readonly",
)


@dataclass(frozen=True)
class Lab:
    port: int
    token: str
    command: list[str]
    env: dict[str, str]

    def url(self, host: str) -> str:
        shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "localhost") else host
        return f"http://{shown}:{self.port}/lab?token={self.token}"


def lab_server(settings: Settings, *, port: int, token: str | None = None, browser: bool = False) -> Lab:
    """The command line and environment of the planners' JupyterLab."""
    token = token or secrets.token_urlsafe(24)
    cmd = [
        sys.executable, "-m", "jupyterlab",
        f"--ServerApp.root_dir={PLANNERS_NOTEBOOKS}",
        f"--ServerApp.ip={settings.host}",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        *OFFLINE_OPTIONS,
    ]
    if not browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers and meeting-room boxes often run as root
        cmd.append("--allow-root")
    env = dict(os.environ)
    env["LINLI_DB"] = settings.db
    if settings.geodata:
        env["LINLI_GEODATA"] = settings.geodata
    env.setdefault("PYTHONUNBUFFERED", "1")
    return Lab(port, token, cmd, env)


def run_lab(settings: Settings, *, port: int, browser: bool = True) -> int:
    """Run JupyterLab in the foreground until Ctrl-C."""
    lab = lab_server(settings, port=port, browser=browser)
    print(f"JupyterLab for planners: {lab.url(settings.host)}", flush=True)
    try:
        return subprocess.call(lab.command, env=lab.env, cwd=Path(PLANNERS_NOTEBOOKS))
    except KeyboardInterrupt:
        return 0
