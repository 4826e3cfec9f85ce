"""District deployment: ``linli serve --district`` — one public address in front of several Voila workers.

Real parts only, each run by ``toolkit.serve.supervise`` (a part that dies is restarted and the log
says so):

- **nginx** (Debian's package), unprivileged, with its own prefix and config under
  ``var/district/<port>/nginx``: residents at ``/``, staff under ``/staff/``; gzip; websockets; the
  device address passed to the workers in ``X-Real-IP`` (overwriting whatever a client sent);
- **K resident workers and one staff worker** (``toolkit.voila_app``), each on 127.0.0.1 only. A
  worker names itself in a ``linli_<audience>_worker`` cookie on every page; nginx maps the cookie to
  that worker, so a page's GET, its kernel websocket and its API calls reach the same worker (``ip_hash``
  would put every tablet behind one NAT address on one worker). A browser without the cookie goes
  round-robin. When its worker is down, nginx sends the browser to another one (the "backup" server);
- **PgBouncer** (Debian's package) when ``LINLI_DB`` is a PostgreSQL URL: transaction pooling with at
  most ``LINLI_DB_CONNECTIONS`` server connections in total, whatever the number of page kernels;
  a kernel's own pool holds at most ``LINLI_DB_POOL`` client connections. Kernels past the bound wait
  in PgBouncer's queue instead of meeting PostgreSQL's "too many clients".

The configuration files are pure functions of a :class:`Layout` (tested without starting anything).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import LinliError
from toolkit.serve import Process, Server, supervise, voila_server
from toolkit.settings import Settings
from toolkit.store.core import Upstream, upstream
from toolkit.voila_app import worker_cookie

STAFF_PREFIX = "/staff/"
UNAVAILABLE_PAGE = "linli-district-unavailable.html"
RETRY_SECONDS = 20
# Debian's unprivileged users for the two daemons when Linli runs as root (as in a container).
NGINX_USER, PGBOUNCER_USER = "www-data", "postgres"


@dataclass(frozen=True)
class Worker:
    audience: str
    name: str  # the cookie value: r1, r2, … for residents, s1, … for staff
    port: int


@dataclass(frozen=True)
class Layout:
    """Where every part of one district deployment listens and keeps its files."""

    host: str  # nginx's public listen address
    port: int  # nginx's public port; PgBouncer's Unix socket uses the same number
    root: Path  # var/district/<port>
    workers: tuple[Worker, ...]

    def of(self, audience: str) -> tuple[Worker, ...]:
        return tuple(w for w in self.workers if w.audience == audience)

    @property
    def nginx_dir(self) -> Path:
        return self.root / "nginx"

    @property
    def pgbouncer_dir(self) -> Path:
        return self.root / "pgbouncer"


def layout(settings: Settings, *, workers: int | None = None, staff_workers: int = 1) -> Layout:
    """Resident workers on the ports after the public one, then staff workers."""
    k = workers or settings.workers
    port = settings.district_port
    if k < 1 or staff_workers < 1:
        raise LinliError("a district needs at least one resident and one staff worker. Fix: set LINLI_WORKERS to 1 or more")
    ws = [Worker("resident", f"r{i}", port + i) for i in range(1, k + 1)]
    ws += [Worker("staff", f"s{i}", port + k + i) for i in range(1, staff_workers + 1)]
    return Layout(settings.host, port, district_root(settings.var_dir, port), tuple(ws))


def district_root(var_dir: Path, port: int) -> Path:
    """``var/district/<port>``. Run as root, nginx and PgBouncer run as Debian's unprivileged users, who
    must be able to pass through every folder above it; when they cannot (``var/`` is private), the
    parts live in ``<tmp>/linli-district-<port>`` instead (the log names the folder)."""
    root = var_dir / "district" / str(port)
    if os.geteuid() != 0 or _passable(root):
        return root
    import tempfile

    return Path(tempfile.gettempdir()) / f"linli-district-{port}"


def _passable(path: Path) -> bool:
    """Every existing folder above ``path`` lets other users pass (search permission)."""
    import stat

    return all(not p.exists() or p.stat().st_mode & stat.S_IXOTH for p in path.parents)


def _upstreams(lay: Layout, audience: str) -> str:
    """One group for browsers without a cookie (round robin) and one per worker (its browsers; the
    other workers as backups, used only while it is down)."""
    ws = lay.of(audience)
    lines = [f"    upstream {audience}_all {{"]
    lines += [f"        server 127.0.0.1:{w.port} max_fails=1 fail_timeout=5s;" for w in ws]
    lines.append("    }")
    for w in ws:
        # max_fails=0: a request the worker refuses (down, restarting) goes to a backup, but the worker is
        # never taken out for a while: its pages' websockets, once it is back, must still reach it.
        lines.append(f"    upstream {audience}_{w.name} {{")
        lines.append(f"        server 127.0.0.1:{w.port} max_fails=0;")
        lines += [f"        server 127.0.0.1:{o.port} backup;" for o in ws if o != w]
        lines.append("    }")
    lines.append(f"    map $cookie_{worker_cookie(audience)} ${audience}_pool {{")
    lines += [f"        {w.name} {audience}_{w.name};" for w in ws]
    lines.append(f"        default {audience}_all;")
    lines.append("    }")
    return "\n".join(lines)


def nginx_config(lay: Layout) -> str:
    """nginx.conf for the district: run with ``nginx -p <nginx_dir> -c nginx.conf`` (no system service)."""
    d = lay.nginx_dir
    listen = f"{lay.port}" if lay.host in ("0.0.0.0", "") else f"{lay.host}:{lay.port}"
    if ":" in lay.host and lay.host not in ("::",):
        listen = f"[{lay.host}]:{lay.port}"
    return f"""# Written by `linli serve --district`; edits are overwritten at the next start.
daemon off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log {d}/access.log;
    client_body_temp_path {d}/tmp/body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
    server_tokens off;
    default_type application/octet-stream;
    types {{ text/html html; }}

    gzip on;
    gzip_proxied any;
    gzip_vary on;
    gzip_comp_level 5;
    gzip_min_length 1024;
    gzip_types text/css text/plain text/javascript application/javascript application/json image/svg+xml application/wasm;

    map $http_upgrade $connection_upgrade {{
        default upgrade;
        "" close;
    }}
{_upstreams(lay, "resident")}
{_upstreams(lay, "staff")}

    server {{
        listen {listen};
        client_max_body_size 20m;
        proxy_http_version 1.1;
        # The Host as the browser sent it: the workers' Host allow-list and websocket Origin check need it.
        proxy_set_header Host $http_host;
        # The device, overwriting anything a client sent: workers trust it only from 127.0.0.1.
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $connection_upgrade;
        proxy_buffering off;
        proxy_read_timeout 3600s;
        proxy_send_timeout 3600s;
        proxy_connect_timeout 5s;
        error_page 502 503 504 /{UNAVAILABLE_PAGE};

        location = /{UNAVAILABLE_PAGE} {{
            root {d}/html;
            internal;
            add_header Cache-Control no-store always;
            add_header Retry-After {RETRY_SECONDS} always;
        }}
        location = {STAFF_PREFIX.rstrip('/')} {{
            return 301 {STAFF_PREFIX}$is_args$args;
        }}
        location {STAFF_PREFIX} {{
            proxy_pass http://$staff_pool;
        }}
        location / {{
            proxy_pass http://$resident_pool;
        }}
    }}
}}
"""


def unavailable_page() -> str:
    """The page nginx shows while no worker answers (both languages: nginx does not know the page's)."""
    from toolkit.i18n import text
    from toolkit.markup import escape

    parts = []
    for lang, html_lang in (("zh", "zh-Hans"), ("en", "en")):
        title = escape(text("district.unavailable.title", lang))
        body = escape(text("district.unavailable.body", lang, seconds=RETRY_SECONDS))
        parts.append(f'<section lang="{html_lang}"><h1>{title}</h1><p>{body}</p></section>')
    return (
        '<!DOCTYPE html><html lang="zh-Hans"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{escape(text("district.unavailable.title", "zh"))}</title></head>'
        '<body id="linli-district-unavailable" style="font-family:sans-serif;font-size:22px;line-height:1.5;margin:48px;max-width:40em">'
        + "".join(parts) + "</body></html>"
    )


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def pgbouncer_config(lay: Layout, up: Upstream, connections: int) -> str:
    """pgbouncer.ini: transaction pooling, at most ``connections`` server connections in total; clients
    only through the Unix socket in a folder no other local user may enter."""
    conn = f"host={_quote(up.host)} port={up.port} dbname={_quote(up.database)} user={_quote(up.user)}"
    if up.password:
        conn += f" password={_quote(up.password)}"
    d = lay.pgbouncer_dir
    return f"""; Written by `linli serve --district` (mode 600: it may hold the database password).
[databases]
{up.database} = {conn} pool_size={connections}

[pgbouncer]
listen_addr =
listen_port = {lay.port}
unix_socket_dir = {d}
unix_socket_mode = 0700
auth_type = any
pool_mode = transaction
max_client_conn = 2000
default_pool_size = {connections}
max_db_connections = {connections}
reserve_pool_size = 0
query_wait_timeout = 60
ignore_startup_parameters = extra_float_digits,options
logfile = {d}/pgbouncer.log
log_connections = 0
log_disconnections = 0
"""


def pooled_url(lay: Layout, up: Upstream) -> str:
    """The URL the workers' kernels use: PgBouncer's socket, as the same user and database."""
    return f"{up.driver}://{up.user}@/{up.database}?host={lay.pgbouncer_dir}&port={lay.port}"


def _as_user(user: str, cmd: list[str], owned: Path) -> list[str]:
    """Root starts the daemon as Debian's unprivileged user, who owns its folder; others run it as themselves."""
    if os.geteuid() != 0:
        return cmd
    for path in [owned, *owned.rglob("*")]:
        shutil.chown(path, user)
    # setpriv, not runuser: no PAM session, so the raised open-files limit is kept
    return ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *cmd]


def _binary(name: str) -> str:
    found = shutil.which(name) or (f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists() else None)
    if not found:
        raise LinliError(f"{name} is not installed. Fix: sudo apt-get install {name} (make test-deps does it as root)")
    return found


def _private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)


def _write(path: Path, text: str, mode: int = 0o600) -> None:
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)


def nginx_process(lay: Layout) -> Process:
    d = lay.nginx_dir
    for sub in (d, d / "tmp", d / "html"):
        _private_dir(sub)
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        _private_dir(d / "tmp" / name)
    _write(d / "nginx.conf", nginx_config(lay))
    _write(d / "html" / UNAVAILABLE_PAGE, unavailable_page())
    nginx = _binary("nginx")
    check = subprocess.run([nginx, "-t", "-q", "-p", str(d), "-c", str(d / "nginx.conf")], capture_output=True, text=True)
    if check.returncode != 0:
        raise LinliError(f"nginx refused its configuration {d / 'nginx.conf'}: {check.stderr.strip()}")
    cmd = _as_user(NGINX_USER, [nginx, "-p", str(d), "-c", str(d / "nginx.conf")], d)
    return Process("nginx", cmd, dict(os.environ), lay.port)


def pgbouncer_process(lay: Layout, up: Upstream, connections: int) -> Process:
    d = lay.pgbouncer_dir
    _private_dir(d)
    _write(d / "pgbouncer.ini", pgbouncer_config(lay, up, connections))
    cmd = _as_user(PGBOUNCER_USER, [_binary("pgbouncer"), str(d / "pgbouncer.ini")], d)
    return Process("pgbouncer", cmd, dict(os.environ))


def _more_open_files() -> None:
    """nginx and PgBouncer hold a socket per websocket or client: raise the soft limit to the hard one."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65536
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def district_parts(settings: Settings, lay: Layout, *, debug: bool = False) -> dict[str, Server | Process]:
    """Every part of the district, in start order: PgBouncer (PostgreSQL only), the workers, nginx."""
    _more_open_files()
    _private_dir(lay.root)
    if os.geteuid() == 0:
        lay.root.chmod(0o711)  # the daemons' users pass through to their own folders
    parts: dict[str, Server | Process] = {}
    up = upstream(settings.db)
    db = settings.db
    if up is not None:
        parts["pgbouncer"] = pgbouncer_process(lay, up, settings.db_connections)
        db = pooled_url(lay, up)
    # Workers listen on loopback only and answer the public names the browsers use.
    public = tuple(dict.fromkeys((*settings.public_hosts, settings.host)))
    inner = dataclasses.replace(settings, host="127.0.0.1", public_hosts=public, db=db)
    for w in lay.workers:
        extra = (
            f"--LinliVoila.worker={w.name}",
            "--LinliVoila.trusted_proxies=127.0.0.1",
            "--LinliVoila.gzip=False",  # nginx compresses
            # one address for both audiences: each keeps its own login cookie
            f"--IdentityProvider.cookie_name=linli-{w.audience}-login",
        )
        if w.audience == "staff":
            extra += (f"--Voila.base_url={STAFF_PREFIX}",)
        parts[f"{w.audience}-{w.name}"] = voila_server(w.audience, inner, port=w.port, debug=debug, extra=extra)
    parts["nginx"] = nginx_process(lay)
    return parts


def public_urls(lay: Layout, token: str | None) -> tuple[str, str]:
    """The resident home and the staff home at the one public address."""
    shown = "localhost" if lay.host in ("127.0.0.1", "0.0.0.0", "localhost", "") else lay.host
    base = f"http://{shown}:{lay.port}"
    return f"{base}/", f"{base}{STAFF_PREFIX}" + (f"?token={token}" if token else "")


def serve_district(settings: Settings, *, workers: int | None = None, debug: bool = False) -> int:
    """``linli serve --district``: start every part, print the two home addresses, keep them running."""
    lay = layout(settings, workers=workers)
    parts = district_parts(settings, lay, debug=debug)
    staff = next(p for p in parts.values() if isinstance(p, Server) and p.audience == "staff")
    resident_url, staff_url = public_urls(lay, staff.token)

    def announce() -> None:
        pooled = "PgBouncer" if "pgbouncer" in parts else "SQLite (one machine)"
        print(f"\nLinli district is running at one address ({len(lay.of('resident'))} resident workers, store: {pooled}; files in {lay.root}):")
        print(f"  resident-home  for residents (tablet):      {resident_url}")
        print(f"  staff-home     for facilitators and staff: {staff_url}")
        print("Press Ctrl-C to stop.\n", flush=True)

    return supervise(parts, announce=announce, stopped="district stopped")
