"""Linli's Voila server: Voila 0.5 plus the guards a meeting laptop needs.

``python -m toolkit.voila_app <notebook folder> --LinliVoila.audience=resident ...`` (``linli serve``
builds the command; see ``toolkit.serve``). On top of Voila it

- answers only allowed ``Host`` headers (403 otherwise; websockets included): ``toolkit.gate.HostAllowList``;
- sets the ``_xsrf`` cookie on every page, so the page's shutdown beacon on unload is accepted and the
  kernel ends when the page closes (Voila's own pages never set it: the beacon got 403);
- caps page kernels per server and per client address (a zh/en 503 page when full; kernels already held
  are never taken away);
- culls a resident page kernel whose browser sent nothing for ``idle_minutes`` even while its websocket
  stays open, and any kernel whose page never connected within ``unconnected_seconds`` (a plain GET);
  a connected staff page (the projector's live map) is culled only when it disconnects;
- limits wrong staff logins per address (then a zh/en 429 page) and logs each lockout;
- takes the staff token / password hash from the environment (``LINLI_STAFF_TOKEN``,
  ``LINLI_STAFF_PASSWORD_HASH``), never from the command line, and redirects a ``?token=`` URL to the
  same URL without it once the login cookie is set;
- sends cache headers for the vendored template assets and gzips text responses; the resident widget
  client's bundle is gzipped once at start (level 9), not on every visit; page templates are compiled
  once, not on every visit;
- lets a page's websocket connect while the kernel still runs the page (the resident client then builds
  each widget as the kernel announces it): Jupyter's connection first asks the kernel for its protocol
  version, and that question would wait behind the page's execution;
- starts each page's kernel as a fork of a warm zygote process (``toolkit.kernel_zygote``) instead of a new
  Python: about a second of imports leaves every page request (``fork_kernels``, on by default);
- connects to its kernels over Unix sockets in its private connection folder (``KernelManager.transport =
  ipc``), not TCP ports on 127.0.0.1: two servers filling their pools at once cannot pick the same port, and no
  other local user can reach a kernel's sockets;
- behind ``linli serve --district``'s nginx: takes the device address from the proxy's ``X-Real-IP``
  only when the request comes from a trusted proxy address (``trusted_proxies``), and names itself in a
  ``linli_<audience>_worker`` cookie on every page, which nginx maps back to this worker (sticky websockets).
"""

from __future__ import annotations

import contextvars
import gzip
import io
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import jinja2
import tornado.web
from jupyter_server.auth.identity import PasswordIdentityProvider
from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from jupyter_server.utils import url_path_join
from traitlets import Bool, Enum, Float, Int, Unicode
import voila.app
from voila.app import Voila
from voila.request_info_handler import RequestInfoSocketHandler
from voila.shutdown_kernel_handler import VoilaShutdownKernelHandler
from voila.tornado.handler import TornadoVoilaHandler

from toolkit.gate import HostAllowList, KernelSlots, LoginLimiter, client_address, is_loopback
from toolkit.i18n import text
from toolkit.markup import escape
from toolkit.pool_fill import pool_manager_factory


@dataclass
class _Ticket:
    """A page request's reserved kernel slot (consumed when its kernel starts)."""

    address: str
    consumed: bool = False
    kernel_id: str | None = None


_TICKET: contextvars.ContextVar[_Ticket | None] = contextvars.ContextVar("linli_ticket", default=None)


def _lang(handler: tornado.web.RequestHandler) -> str:
    lang = handler.get_query_argument("lang", "") or os.environ.get("LINLI_LANG", "zh")
    return lang if lang in ("zh", "en") else "zh"


def _refusal_page(handler: tornado.web.RequestHandler, status: int, key: str, **kw) -> None:
    """A small page in the visitor's language (``?lang=``), no Voila error page, no traceback."""
    lang = _lang(handler)
    title = escape(text(f"{key}.title", lang, **kw))
    body = escape(text(f"{key}.body", lang, **kw))
    html_lang = "zh-Hans" if lang == "zh" else "en"
    handler.set_status(status)
    handler.set_header("Content-Type", "text/html; charset=UTF-8")
    handler.set_header("Cache-Control", "no-store")
    if status == 503:
        handler.set_header("Retry-After", "30")
    handler.finish(
        f'<!DOCTYPE html><html lang="{html_lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title></head>"
        '<body style="font-family:sans-serif;font-size:22px;line-height:1.5;margin:48px;max-width:40em">'
        f'<h1 id="linli-refusal" data-status="{status}">{title}</h1><p>{body}</p></body></html>'
    )


class RefusalHandler(tornado.web.RequestHandler):
    """Answers every method with one refusal page (wrong Host, login locked)."""

    def initialize(self, status: int, key: str, kw: dict | None = None) -> None:
        self.status, self.key, self.kw = status, key, kw or {}

    def prepare(self) -> None:
        _refusal_page(self, self.status, self.key, **self.kw)

    def check_xsrf_cookie(self) -> None:  # the page is a refusal, whatever the method
        return None


class LinliApplication(tornado.web.Application):
    """Refuses disallowed hosts and locked-out login attempts before any Voila handler runs."""

    def find_handler(self, request, **kwargs):
        app: LinliVoila = self.settings["linli_app"]
        if app.proxies:  # every later rule (kernel caps, login limit, logs) sees the device, not the proxy
            request.remote_ip = client_address(request.remote_ip, request.headers.get("X-Real-IP"), app.proxies)
        if not app.hosts.allows(request.host):
            app.log.warning("refused request with Host %r from %s", request.host, request.remote_ip)
            return self.get_handler_delegate(request, RefusalHandler, {"status": 403, "key": "serve.host"})
        limiter = app.login_limiter
        if limiter.locked(request.remote_ip, time.monotonic()) and _login_attempt(request):
            minutes = max(1, (limiter.seconds_left(request.remote_ip, time.monotonic()) + 59) // 60)
            return self.get_handler_delegate(
                request, RefusalHandler, {"status": 429, "key": "serve.locked", "kw": {"minutes": minutes}}
            )
        return super().find_handler(request, **kwargs)


def _login_attempt(request) -> bool:
    if request.method == "POST" and request.path.rstrip("/").endswith("/login"):
        return True
    return b"token=" in (request.query or "").encode() or request.headers.get("Authorization", "").startswith("token")


class LinliIdentityProvider(PasswordIdentityProvider):
    """Voila's password/token login, counting wrong attempts per client address."""

    def _limiter(self, handler) -> LoginLimiter:
        return handler.settings["linli_app"].login_limiter

    def _failed(self, handler) -> None:
        address = handler.request.remote_ip
        if self._limiter(handler).failed(address, time.monotonic()):
            self.log.warning(
                "staff login: %d wrong attempts from %s within %.0f s; locked for %.0f min",
                self._limiter(handler).attempts, address, self._limiter(handler).window, self._limiter(handler).lockout / 60,
            )
        else:
            self.log.info("staff login: wrong token or password from %s", address)

    async def get_user_token(self, handler):
        if self._limiter(handler).locked(handler.request.remote_ip, time.monotonic()):
            return None
        user = await super().get_user_token(handler)
        if user is None and self.token and self.get_token(handler):
            self._failed(handler)
        return user

    def process_login_form(self, handler):
        if self._limiter(handler).locked(handler.request.remote_ip, time.monotonic()):
            return None
        user = super().process_login_form(handler)
        if user is None:
            self._failed(handler)
        return user


class LinliPageHandler(TornadoVoilaHandler):
    """A page: token out of the address bar, the xsrf cookie set, a kernel slot reserved first."""

    @tornado.web.authenticated
    async def get(self, path=None):
        if self.get_query_argument("token", None) is not None:
            query = [(k, v) for k, v in parse_qsl(self.request.query, keep_blank_values=True) if k != "token"]
            self.redirect(self.request.path + ("?" + urlencode(query) if query else ""))
            return
        self.xsrf_token  # noqa: B018 — sets the _xsrf cookie the unload beacon sends back
        app: LinliVoila = self.settings["linli_app"]
        if app.worker:  # nginx sends this browser's websocket and API calls back to this worker
            self.set_cookie(worker_cookie(app.audience), app.worker, path=self.base_url, httponly=True, samesite="Lax")
        address = self.request.remote_ip
        km = self.kernel_manager
        alive = set(km.list_kernel_ids())
        app.slots.forget_missing(alive)
        refusal = app.slots.reserve(address, unowned=app.slots.unowned(alive))
        if refusal is not None:
            app.log.warning(
                "refused a page for %s: %s (%d of %d kernels)", address, refusal.reason, refusal.held, refusal.limit
            )
            _refusal_page(self, 503, f"serve.full.{refusal.reason}", limit=refusal.limit)
            return
        ticket = _Ticket(address)
        token = _TICKET.set(ticket)
        try:
            await super().get(path)
        finally:
            _TICKET.reset(token)
            if not ticket.consumed:
                app.slots.release(address)
            elif ticket.kernel_id in km.linli_started:  # "never connected" counts from the page served
                km.linli_started[ticket.kernel_id] = time.monotonic()


class LinliShutdownHandler(VoilaShutdownKernelHandler):
    """The unload beacon: only for a kernel this server knows (an unknown id is a 404, not a 500)."""

    @tornado.web.authenticated
    async def post(self, kernel_id):
        if kernel_id not in self.kernel_manager:
            raise tornado.web.HTTPError(404)
        self.log.info("page closed: shutting down kernel %s", kernel_id)
        await self.kernel_manager.shutdown_kernel(kernel_id)
        self.set_status(204)
        self.finish()


class LinliKernelManager(AsyncMappingKernelManager):
    """Records which client address each page kernel belongs to, and when its browser last spoke."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.linli_heard: dict[str, float] = {}
        self.linli_started: dict[str, float] = {}
        self.linli_connected_once: set[str] = set()

    def _claim(self, kernel_id: str) -> None:
        ticket = _TICKET.get()
        app = self.parent
        if ticket is not None and not ticket.consumed and isinstance(app, LinliVoila):
            app.slots.started(kernel_id, ticket.address)
            ticket.consumed, ticket.kernel_id = True, kernel_id
            self.linli_started[kernel_id] = time.monotonic()

    async def start_kernel(self, *args, **kwargs):
        kernel_id = await super().start_kernel(*args, **kwargs)
        self._claim(kernel_id)
        return kernel_id

    def heard(self, kernel_id: str) -> None:
        self.linli_heard[kernel_id] = time.monotonic()
        self.linli_connected_once.add(kernel_id)

    async def shutdown_kernel(self, kernel_id, *args, **kwargs):
        app = self.parent
        if isinstance(app, LinliVoila):
            app.slots.ended(kernel_id)
        for d in (self.linli_heard, self.linli_started):
            d.pop(kernel_id, None)
        self.linli_connected_once.discard(kernel_id)
        return await super().shutdown_kernel(kernel_id, *args, **kwargs)


class LinliRequestInfoHandler(RequestInfoSocketHandler):
    """Voila's socket where a preheated kernel waits for its visitor's request: when the kernel connects,
    its page has run as far as it can ahead, and the pool's next fill may start (toolkit.pool_fill)."""

    def prepare(self):
        # Whoever holds this socket for a kernel id is sent that kernel's visitor's request, ``?code=``
        # included. Only the server's own kernels wait here, from this machine; a device on the LAN (or
        # behind the district proxy, which names it in X-Real-IP) is refused.
        if not is_loopback(self.request.remote_ip):
            app = self.settings.get("linli_app")
            if app is not None:
                app.log.warning("refused /voila/query from %s", self.request.remote_ip)
            raise tornado.web.HTTPError(403)
        return super().prepare()

    def open(self, kernel_id: str) -> None:
        super().open(kernel_id)
        RequestInfoSocketHandler._cache.pop(kernel_id, None)  # sent now: the visitor's request is not kept
        km = getattr(self.settings.get("linli_app"), "kernel_manager", None)
        if hasattr(km, "linli_page_waiting"):
            km.linli_page_waiting(kernel_id)


class LinliWebsocketConnection(ZMQChannelsWebsocketConnection):
    """Notes every message from the browser (clicks, typing, map taps) for the idle culler; does not
    make a page that connects while its kernel runs the page wait for the end of that run."""

    def request_kernel_info(self):
        # Jupyter asks a kernel for its protocol version before accepting the websocket; while the kernel
        # runs the page (Voila's execution, also when it is about to start) the answer would wait for the
        # end of that run. The kernels here are ipykernel's, started by this server, which speak its
        # protocol version: go on as Jupyter does when the question times out (it assumes the same).
        self._finish_kernel_info({})
        return self._kernel_info_future

    async def connect(self):
        self.multi_kernel_manager.heard(self.kernel_id)
        return await super().connect()

    def handle_incoming_message(self, incoming_msg) -> None:
        self.multi_kernel_manager.heard(self.kernel_id)
        super().handle_incoming_message(incoming_msg)


def worker_cookie(audience: str) -> str:
    """The cookie naming the worker that holds a browser's page kernels (one per audience)."""
    return f"linli_{audience}_worker"


STATIC_MAX_AGE = 7 * 24 * 3600
_HASHED = re.compile(r"/voila/labextensions/.*\.[0-9a-f]{16,}\.js$|/voila/templates/linli-resident/static/resident\.[0-9a-f]{16}\.(js|css)$")


def _cache_age(path: str) -> int:
    """How long a browser may keep an asset without asking: a year for Voila's bundles and the resident
    widget client, whose file names carry their content hash, a week for the vendored Font Awesome; nothing else (Linli's own CSS must
    change with an update; it is revalidated with its ETag)."""
    if _HASHED.search(path):
        return 365 * 24 * 3600
    if "/voila/templates/linli/static/fontawesome/" in path:
        return STATIC_MAX_AGE
    return 0
_COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml", "application/wasm")


class GzipTransform(tornado.web.OutputTransform):
    """Gzip for text responses, also when streamed (Voila's pages and its static handlers bypass
    Tornado's own ``compress_response``: Voila applies ``tornado_settings`` after the Application has
    chosen its transforms, so it never takes effect). Adds ``Cache-Control`` to vendored assets."""

    MIN_LENGTH = 1024

    def __init__(self, request) -> None:
        super().__init__(request)
        self._gzip = "gzip" in request.headers.get("Accept-Encoding", "")
        self._path = request.path
        self._file = None

    def transform_first_chunk(self, status_code, headers, chunk, finishing):
        age = _cache_age(self._path) if status_code == 200 else 0
        if age:  # Voila marks its labextensions no-cache, content-hashed names included
            headers["Cache-Control"] = f"public, max-age={age}"
        ctype = headers.get("Content-Type", "")
        if (
            not self._gzip
            or status_code in (204, 304)
            or "Content-Encoding" in headers
            or not ctype.startswith(_COMPRESSIBLE)
            or (finishing and len(chunk) < self.MIN_LENGTH)
        ):
            self._gzip = False
            return status_code, headers, chunk
        headers["Content-Encoding"] = "gzip"
        headers.add("Vary", "Accept-Encoding")
        headers.pop("Content-Length", None)
        self._buffer = io.BytesIO()
        self._file = gzip.GzipFile(mode="w", fileobj=self._buffer, compresslevel=6)
        return status_code, headers, self.transform_chunk(chunk, finishing)

    def transform_chunk(self, chunk, finishing):
        if not self._gzip or self._file is None:
            return chunk
        if chunk:
            self._file.write(chunk)
        if finishing:
            self._file.close()
        else:
            self._file.flush()
        data = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return data


BUNDLE_DIR = Path(__file__).resolve().parents[1] / "templates" / "voila" / "templates" / "linli-resident" / "static"
_BUNDLE = r"resident\.[0-9a-f]{16}\.(?:js|css)"


class BundleHandler(tornado.web.RequestHandler):
    """The resident widget client's files (content-hashed names), gzipped once when the server starts
    instead of on every visit (its script is most of a resident page's bytes). A year in the browser's
    cache; an ETag for a revisit that asks anyway. A rebuilt client is served after a restart."""

    files: dict[str, tuple[bytes, bytes, str]] | None = None  # read once: a miss never reads the disk again

    @classmethod
    def load(cls) -> None:
        files = {}
        for path in BUNDLE_DIR.glob("resident.*"):
            if re.fullmatch(_BUNDLE, path.name):
                raw = path.read_bytes()
                files[path.name] = (raw, gzip.compress(raw, compresslevel=9, mtime=0), '"' + path.name.split(".")[1] + '"')
        cls.files = files

    def get(self, name: str) -> None:
        if self.files is None:
            self.load()
        if name not in self.files:
            raise tornado.web.HTTPError(404)
        raw, packed, etag = self.files[name]
        self.set_header("Content-Type", "text/javascript; charset=UTF-8" if name.endswith(".js") else "text/css; charset=UTF-8")
        self.set_header("Cache-Control", f"public, max-age={365 * 24 * 3600}")
        self.set_header("ETag", etag)
        self.set_header("Vary", "Accept-Encoding")
        if self.request.headers.get("If-None-Match", "") == etag:
            self.set_status(304)
            return
        if "gzip" in self.request.headers.get("Accept-Encoding", ""):
            self.set_header("Content-Encoding", "gzip")
            self.write(packed)
        else:
            self.write(raw)


class _CompiledTemplates(jinja2.BytecodeCache):
    """Voila builds a new nbconvert exporter, and so a new Jinja environment, for every page: each visit
    parsed and compiled the whole template chain again (about 0.1 s of this server's time while the
    visitor's kernel starts). Compiled templates are kept here, per template file and source checksum
    (an edited template compiles anew)."""

    compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


def _keep_compiled_templates() -> None:
    from nbconvert.exporters.templateexporter import TemplateExporter

    create = TemplateExporter._create_environment
    if getattr(create, "linli", False):
        return

    def environment(self):
        env = create(self)
        env.bytecode_cache = _CompiledTemplates()
        return env

    environment.linli = True
    TemplateExporter._create_environment = environment


class LinliVoila(Voila):
    """Voila with Linli's guards (see the module docstring)."""

    name = "linli-voila"
    audience = Unicode("resident", help="resident or staff").tag(config=True)
    listen_host = Unicode("127.0.0.1", help="LINLI_HOST").tag(config=True)
    public_hosts = Unicode("", help="comma list of extra allowed Host names (LINLI_PUBLIC_HOSTS)").tag(config=True)
    public_url = Unicode("", help="LINLI_PUBLIC_URL").tag(config=True)
    max_kernels = Int(80, help="page kernels per server (0: no cap)").tag(config=True)
    max_kernels_per_client = Int(6, help="page kernels per client address (0: no cap)").tag(config=True)
    idle_minutes = Float(30.0, help="resident kernels: cull after this long without a browser message").tag(config=True)
    unconnected_seconds = Float(120.0, help="cull a kernel whose page never connected within this").tag(config=True)
    linli_cull_interval = Float(30.0, help="how often the Linli culler looks").tag(config=True)
    login_attempts = Int(5).tag(config=True)
    lockout_minutes = Float(15.0).tag(config=True)
    gzip = Bool(True).tag(config=True)
    worker = Unicode("", help="this worker's name behind the district proxy (the linli_worker cookie)").tag(config=True)
    trusted_proxies = Unicode("", help="comma list of proxy addresses whose X-Real-IP names the device").tag(config=True)
    fork_kernels = Bool(True, help="fork page kernels from a warm zygote process (toolkit.kernel_zygote)").tag(config=True)
    kernel_transport = Enum(["ipc", "tcp"], "ipc", help="how the server reaches its kernels: ipc (Unix sockets in the server's "
                               "private folder) or tcp (127.0.0.1 ports, Jupyter's default)").tag(config=True)

    def initialize(self, argv=None):
        super().initialize(argv)
        _keep_compiled_templates()
        token = os.environ.get("LINLI_STAFF_TOKEN", "") if self.audience == "staff" else ""
        password_hash = os.environ.get("LINLI_STAFF_PASSWORD_HASH", "") if self.audience == "staff" else ""
        if self.audience == "staff" and not (token or password_hash):
            raise SystemExit("the staff server needs LINLI_STAFF_TOKEN or LINLI_STAFF_PASSWORD_HASH in its environment")
        self.token = "" if password_hash else token
        if password_hash:
            self.config.PasswordIdentityProvider.hashed_password = password_hash
        self.identity_provider_class = LinliIdentityProvider
        self.kernel_websocket_connection_class = LinliWebsocketConnection
        self.voila_configuration.multi_kernel_manager_class = LinliKernelManager
        if self.fork_kernels:
            self.config.KernelProvisionerFactory.default_provisioner_name = "linli-fork"
        self.config.KernelManager.transport = self.kernel_transport
        publics = tuple(h.strip() for h in self.public_hosts.split(",") if h.strip())
        self.hosts = HostAllowList.build(self.listen_host, publics, self.public_url or None)
        self.login_limiter = LoginLimiter(self.login_attempts, 60.0, self.lockout_minutes * 60)
        self.slots = KernelSlots(self.max_kernels, self.max_kernels_per_client)
        self.proxies = frozenset(a.strip() for a in self.trusted_proxies.split(",") if a.strip())

    def init_settings(self):
        # Voila builds its kernel manager here with this factory; Linli's fills its pools one page at a time,
        # home first and a page a visitor waits for before the others (toolkit.pool_fill).
        voila.app.voila_kernel_manager_factory = pool_manager_factory
        settings = super().init_settings()
        settings["linli_app"] = self
        self.log.info("room for %d pages: %d zmq sockets, %s open files", _room(self.max_kernels)[0],
                      _raise_zmq_sockets(self.kernel_manager.context, self.max_kernels), _raise_open_files(self.max_kernels))
        km = self.kernel_manager
        if hasattr(km, "get_rendered_notebook"):  # preheated pool: Voila's subclass hands out a kernel
            handed_out = km.get_rendered_notebook

            async def claimed(*args, **kwargs):
                result = await handed_out(*args, **kwargs)
                km._claim(result[-1])
                return result

            km.get_rendered_notebook = claimed
        settings["xsrf_cookie_kwargs"] = {"samesite": "Strict"}
        return settings

    def init_handlers(self):
        swap = {TornadoVoilaHandler: LinliPageHandler, VoilaShutdownKernelHandler: LinliShutdownHandler,
                RequestInfoSocketHandler: LinliRequestInfoHandler}
        if self.audience == "resident":
            BundleHandler.load()
        bundle = (url_path_join(self.server_url, rf"/voila/templates/linli-resident/static/({_BUNDLE})"), BundleHandler)
        return [bundle] + [(h[0], swap.get(h[1], h[1]), *h[2:]) for h in super().init_handlers()]

    def start(self):  # Voila.start, with Linli's Application and the culler
        import tempfile

        self.connection_dir = tempfile.mkdtemp(prefix="voila_", dir=self.connection_dir_root)
        _raise_open_files(self.max_kernels)  # before the zygote: kernels inherit it
        if self.fork_kernels:
            from toolkit.kernel_zygote import start_zygote

            start_zygote(self.log)  # it imports while the server starts: warm by the first page
        settings = self.init_settings()
        transforms = [GzipTransform] if self.gzip else []
        self.app = LinliApplication(transforms=transforms, **settings)
        self.app.settings.update(self.tornado_settings)
        self.app.add_handlers(".*$", self.init_handlers())
        tornado.ioloop.PeriodicCallback(self._cull, self.linli_cull_interval * 1000).start()
        self.log.info(
            "Linli %s server: hosts %s + %s; kernel cap %d (per client %d); idle cull %.0f min (resident)",
            self.audience, sorted(self.hosts.names), sorted(self.hosts.addresses),
            self.max_kernels, self.max_kernels_per_client, self.idle_minutes,
        )
        self.listen()

    async def _cull(self) -> None:
        km: LinliKernelManager = self.kernel_manager
        now = time.monotonic()
        for kid in list(km.list_kernel_ids()):
            started = km.linli_started.get(kid)
            if started is None:
                continue  # a preheated kernel waiting in the pool
            connections = km._kernel_connections.get(kid, 0)
            if kid not in km.linli_connected_once and now - started > self.unconnected_seconds:
                why = f"its page never connected within {self.unconnected_seconds:.0f} s"
            elif (
                self.audience == "resident" and self.idle_minutes > 0 and connections
                and now - km.linli_heard.get(kid, started) > self.idle_minutes * 60
            ):
                why = f"no message from its browser for {self.idle_minutes:g} min"
            else:
                continue
            self.log.info("culling kernel %s: %s", kid, why)
            _tell_pages_ended(km, kid)
            try:
                await km.shutdown_kernel(kid)
            except Exception as err:  # one failed shutdown must not stop the culler
                self.log.warning("could not cull kernel %s: %s", kid, err)


SOCKETS_PER_PAGE = 12  # zmq sockets a page holds in the server: its execution client (5), a browser's connection (4), spare
UNCAPPED_PAGES = 1000  # what the limits are sized for when the kernel cap is off


def _room(max_kernels: int) -> tuple[int, int]:
    """(pages, zmq sockets) the server's limits are sized for."""
    pages = max_kernels if max_kernels > 0 else UNCAPPED_PAGES
    return pages, SOCKETS_PER_PAGE * pages + 256


def _raise_open_files(max_kernels: int) -> int:
    """Each zmq socket takes open files (its mailbox, its connections), and a laptop's soft limit is often
    1,024: raised as far as the hard limit allows, before the zygote and the kernels inherit it."""
    import resource

    files = 2 * _room(max_kernels)[1] + 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < files:
        soft = files if hard == resource.RLIM_INFINITY else min(files, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return soft


def _raise_zmq_sockets(context, max_kernels: int) -> int:
    """Room for every page the kernel cap allows: zmq's context stops at 1,023 sockets, and a page holds about
    a dozen in the server (found at 180 tablets at once: "Too many open files" from zmq, and the tablets'
    websockets closed). Set before the first kernel's socket."""
    import zmq

    sockets = _room(max_kernels)[1]
    if context.get(zmq.MAX_SOCKETS) < sockets:
        context.set(zmq.MAX_SOCKETS, sockets)
    return context.get(zmq.MAX_SOCKETS)


def _tell_pages_ended(km, kid: str) -> None:
    """Send the pages connected to a kernel about to be culled the status "dead" (what Jupyter sends when
    a kernel cannot be restarted): the page learns at once and a resident page offers to reopen itself
    (template ``linli``). Jupyter keeps each connection's "dead" handler with the kernel's restarter."""
    try:
        restarter = getattr(km.get_kernel(kid), "_restarter", None)
    except KeyError:
        return
    for handler in list(getattr(restarter, "callbacks", {}).get("dead", [])):
        send = getattr(getattr(handler, "__self__", None), "_send_status_message", None)
        if send is None:
            continue
        try:
            send("dead")
        except Exception:  # noqa: BLE001 - a closed socket: nothing to tell
            pass


main = LinliVoila.launch_instance

if __name__ == "__main__":
    main()
