"""Settings, all from environment variables (documented in README; a test keeps it so).

| variable | default | meaning |
| --- | --- | --- |
| LINLI_DB | ``var/linli.sqlite`` in the project | SQLite file path or SQLAlchemy URL |
| LINLI_GEODATA | ``geodata/demo`` | folder or GeoPackage with streets/communities/compounds |
| LINLI_RULES_DIR | ``templates/rules`` | folder of versioned TOML rule files |
| LINLI_DOCUMENTS_DIR | ``templates/documents`` | folder of Jinja2 document templates (code sheets, notices) |
| LINLI_HOST | ``127.0.0.1`` | address both servers listen on (``0.0.0.0`` for tablets on the LAN) |
| LINLI_RESIDENT_PORT | ``8866`` | resident server (tablet pages) |
| LINLI_STAFF_PORT | ``8867`` | staff server (facilitator pages) |
| LINLI_STAFF_TOKEN | generated into ``var/staff-token`` | token staff must present |
| LINLI_STAFF_PASSWORD_HASH | unset | argon2/sha1 hash from ``jupyter_server.auth.passwd``; replaces the token |
| LINLI_PUBLIC_URL | unset | the resident server's address as tablets reach it (e.g. ``http://192.168.1.10:8866``); code-sheet QR codes then open the vote page |
| LINLI_TILE_URL | unset | optional basemap tile URL template, e.g. a local tile folder |
| LINLI_LANG | ``zh`` | default page language (``zh`` or ``en``) |
| LINLI_POOL_SIZE | ``0`` | preheated kernels per page (faster first paint, more memory) |
| LINLI_POLL_SECONDS | ``1.0`` | how often live pages look for new data |
| LINLI_LIVE_HOURS | ``8`` | a live page stops polling after this long, so its kernel can be culled |
| LINLI_NO_KERNEL | unset | ``1``: the MES add1 completion does not use its compiled (numba) kernel |
| LINLI_PUBLIC_HOSTS | unset | comma list of extra host names the servers answer to (others get 403) |
| LINLI_MAX_KERNELS | ``80`` | page kernels per server; more visitors get a zh/en "full" page (0: no cap) |
| LINLI_MAX_KERNELS_PER_CLIENT | ``6`` | page kernels per client address (0: no cap) |
| LINLI_IDLE_MINUTES | ``30`` | a resident page whose browser sent nothing this long loses its kernel (0: never) |
| LINLI_LOCKOUT_MINUTES | ``15`` | staff login locked this long after 5 wrong attempts in a minute from one address |
| LINLI_TIANDITU_KEY | unset | Tianditu key: planners' maps offer the Tianditu basemap |
| LINLI_GAODE_TILES | unset | ``1``: planners' maps offer the Gaode (GCJ-02) basemap |
| LINLI_TABLET_RESET_SECONDS | ``120`` | a shared vote tablet untouched this long goes back to the code screen (``0``: never) |
| LINLI_DB_POOL | ``2`` | PostgreSQL connections one page kernel may hold (its pool); more requests wait, then "busy" |
| LINLI_DISTRICT_PORT | ``8080`` | ``linli serve --district``: nginx's public port; workers listen on the next ports (127.0.0.1) |
| LINLI_WORKERS | ``2`` | ``linli serve --district``: Voila workers for the resident pages (staff: 1) |
| LINLI_DB_CONNECTIONS | ``20`` | ``linli serve --district`` on PostgreSQL: PgBouncer's server connections in total |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import LinliError

PROJECT_ROOT = Path(__file__).resolve().parent.parent

ENV_VARS = (
    "LINLI_DB",
    "LINLI_GEODATA",
    "LINLI_RULES_DIR",
    "LINLI_DOCUMENTS_DIR",
    "LINLI_HOST",
    "LINLI_RESIDENT_PORT",
    "LINLI_STAFF_PORT",
    "LINLI_STAFF_TOKEN",
    "LINLI_STAFF_PASSWORD_HASH",
    "LINLI_PUBLIC_URL",
    "LINLI_TILE_URL",
    "LINLI_LANG",
    "LINLI_POOL_SIZE",
    "LINLI_POLL_SECONDS",
    "LINLI_LIVE_HOURS",
    "LINLI_NO_KERNEL",
    "LINLI_PUBLIC_HOSTS",
    "LINLI_MAX_KERNELS",
    "LINLI_MAX_KERNELS_PER_CLIENT",
    "LINLI_IDLE_MINUTES",
    "LINLI_LOCKOUT_MINUTES",
    "LINLI_TIANDITU_KEY",
    "LINLI_GAODE_TILES",
    "LINLI_TABLET_RESET_SECONDS",
    "LINLI_DB_POOL",
    "LINLI_DISTRICT_PORT",
    "LINLI_WORKERS",
    "LINLI_DB_CONNECTIONS",
)


@dataclass(frozen=True)
class Settings:
    db: str
    geodata: str | None
    host: str
    resident_port: int
    staff_port: int
    staff_token: str | None
    staff_password_hash: str | None
    tile_url: str | None
    public_url: str | None
    lang: str
    pool_size: int
    poll_seconds: float
    live_hours: float
    var_dir: Path
    public_hosts: tuple[str, ...] = ()
    max_kernels: int = 80
    max_kernels_per_client: int = 6
    idle_minutes: float = 30.0
    lockout_minutes: float = 15.0
    tablet_reset_seconds: float = 120.0
    db_pool: int = 2
    district_port: int = 8080
    workers: int = 2
    db_connections: int = 20


def _number(name: str, default: str, kind: type) -> int | float:
    raw = os.environ.get(name, default)
    try:
        value = kind(raw)
    except ValueError:
        raise LinliError(f"setting {name}={raw!r} is not a number. Fix: set it to e.g. {default}") from None
    if value < 0:
        raise LinliError(f"setting {name}={raw!r} must not be negative. Fix: set it to e.g. {default}")
    return value


def load_settings() -> Settings:
    var_dir = PROJECT_ROOT / "var"
    lang = os.environ.get("LINLI_LANG", "zh")
    if lang not in ("zh", "en"):
        raise LinliError(f"setting LINLI_LANG={lang!r} is not supported. Fix: use zh or en")
    return Settings(
        db=os.environ.get("LINLI_DB") or str(var_dir / "linli.sqlite"),
        geodata=os.environ.get("LINLI_GEODATA") or None,
        host=os.environ.get("LINLI_HOST", "127.0.0.1"),
        resident_port=int(_number("LINLI_RESIDENT_PORT", "8866", int)),
        staff_port=int(_number("LINLI_STAFF_PORT", "8867", int)),
        staff_token=os.environ.get("LINLI_STAFF_TOKEN") or None,
        staff_password_hash=os.environ.get("LINLI_STAFF_PASSWORD_HASH") or None,
        tile_url=os.environ.get("LINLI_TILE_URL") or None,
        public_url=(os.environ.get("LINLI_PUBLIC_URL") or "").rstrip("/") or None,
        lang=lang,
        pool_size=int(_number("LINLI_POOL_SIZE", "0", int)),
        poll_seconds=float(_number("LINLI_POLL_SECONDS", "1.0", float)),
        live_hours=float(_number("LINLI_LIVE_HOURS", "8", float)),
        var_dir=var_dir,
        public_hosts=tuple(h.strip() for h in os.environ.get("LINLI_PUBLIC_HOSTS", "").split(",") if h.strip()),
        max_kernels=int(_number("LINLI_MAX_KERNELS", "80", int)),
        max_kernels_per_client=int(_number("LINLI_MAX_KERNELS_PER_CLIENT", "6", int)),
        idle_minutes=float(_number("LINLI_IDLE_MINUTES", "30", float)),
        lockout_minutes=float(_number("LINLI_LOCKOUT_MINUTES", "15", float)),
        tablet_reset_seconds=float(_number("LINLI_TABLET_RESET_SECONDS", "120", float)),
        db_pool=max(1, int(_number("LINLI_DB_POOL", "2", int))),
        district_port=int(_number("LINLI_DISTRICT_PORT", "8080", int)),
        workers=max(1, int(_number("LINLI_WORKERS", "2", int))),
        db_connections=max(1, int(_number("LINLI_DB_CONNECTIONS", "20", int))),
    )
