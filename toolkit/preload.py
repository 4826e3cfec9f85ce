"""Which script files each page loads, learned from the browsers' own requests, so the next visit of
that page can ask for all of them at once.

A Voila page only starts loading its JavaScript once the whole notebook has run on the server
(``voila.js`` is the last thing in the HTML), and then loads about 110 scripts in four rounds, each
discovered by the previous one (Voila's chunks, the widget extensions' entries, their chunks, the map's
chunks once a map widget appears). The page's ``<head>`` can name all of them with
``<link rel="preload">``, so the browser fetches them while the kernel still runs the notebook and
each later round finds its files already there.

The list is not written by hand (it changes with every Voila or ipyleaflet release): the server notes
each script a page's browser fetched (the request's ``Referer`` names the page) and hands the list to
the page's template on the next render. Only files the server actually served (200 or 304) under
``voila/static/`` or ``voila/labextensions/`` are noted, at most :data:`MAX_PER_PAGE` per page, and a
file that later answers 404 (an upgrade renamed it) is dropped. A stranger who sends forged
``Referer`` headers can at most add real asset files of this server to a page's list.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

MAX_PER_PAGE = 300
_ASSET = re.compile(r"^voila/(static|labextensions)/[A-Za-z0-9@._/-]+\.js(\?v=[0-9a-f]{1,64})?$")
_PAGE = re.compile(r"^voila/render/([A-Za-z0-9_-]+\.ipynb)$")


class PreloadBook:
    """Per page (notebook file name), the script paths (relative to the server's base URL, with
    their ``?v=`` hash) in the order a browser first fetched them.

    >>> book = PreloadBook("/")
    >>> book.heard("http://h/voila/render/vote.ipynb?lang=en", "/voila/static/voila.js", 200)
    >>> book.heard("http://h/voila/render/vote.ipynb", "/voila/static/12.voila.js", 304)
    >>> book.heard("http://h/voila/render/vote.ipynb", "/voila/static/../../etc/passwd", 200)
    >>> book.heard("http://h/voila/render/vote.ipynb", "/voila/static/gone.js", 404)
    >>> book.assets("vote.ipynb")
    ['voila/static/voila.js', 'voila/static/12.voila.js']
    >>> book.heard("http://h/voila/render/vote.ipynb", "/voila/static/voila.js", 404)
    >>> book.assets("vote.ipynb")
    ['voila/static/12.voila.js']
    """

    def __init__(self, base_url: str = "/", limit: int = MAX_PER_PAGE) -> None:
        self.base = "/" + base_url.strip("/") + "/" if base_url.strip("/") else "/"
        self.limit = limit
        self.pages: dict[str, dict[str, None]] = {}

    def _relative(self, path: str) -> str | None:
        return path[len(self.base):] if path.startswith(self.base) else None

    def page_of(self, referer: str | None) -> str | None:
        """The notebook a request came from, by its ``Referer`` (None: not one of this server's pages)."""
        if not referer:
            return None
        rel = self._relative(urlsplit(referer).path)
        match = _PAGE.match(rel or "")
        return match.group(1) if match else None

    def heard(self, referer: str | None, uri: str, status: int) -> None:
        """A request for ``uri`` (path and query, as the browser sent it) was answered with ``status``."""
        page = self.page_of(referer)
        asset = self._relative(uri)
        if page is None or asset is None or ".." in asset or not _ASSET.match(asset):
            return
        known = self.pages.setdefault(page, {})
        if status in (200, 304):
            if asset not in known and len(known) < self.limit:
                known[asset] = None
        elif status == 404:
            known.pop(asset, None)

    def assets(self, notebook_path: str) -> list[str]:
        return list(self.pages.get(notebook_path.rsplit("/", 1)[-1], ()))
