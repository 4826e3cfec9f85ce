"""Getting around the pages: ids and language from the page URL, links that keep them, the top
bar of staff pages, and the plain pages shown for a bad or missing id or a page that failed.

Every link is relative to ``/voila/render/`` (all pages of one server sit side by side) and
keeps ``lang`` and, on the staff server, ``token`` from the current URL, so a person never
types an id: the home pages list what exists and link to it.
"""

from __future__ import annotations

import os
from urllib.parse import parse_qs, urlencode

import ipywidgets as w

from toolkit.errors import LinliError
from toolkit.i18n import text
from toolkit.markup import escape

KEPT = ("lang", "token")  # carried from page to page


_REQUEST_SEEN = False


def query_string() -> str:
    """The page URL's query string, read when the page runs (never at import).

    On demand Voila puts the query string into the kernel's environment. A preheated kernel (pool) runs
    the page before anyone asked for it: the first call waits here for the visitor's request (Voila
    hands it over through its ``/voila/query`` socket), so ``?lang=`` and ``?code=`` keep working.
    """
    global _REQUEST_SEEN
    if not _REQUEST_SEEN and preheating():
        import ipyleaflet  # noqa: F401 — the map library (0.5 s) is loaded before the visitor, not after
        from voila.utils import wait_for_request

        wait_for_request()
        _REQUEST_SEEN = True
    return os.environ.get("QUERY_STRING", "")


def preheating() -> bool:
    """This kernel runs the page ahead of its visitor (a preheated pool kernel) and has not yet seen the
    visitor's request: a page may build what does not depend on the address before asking for it."""
    return not _REQUEST_SEEN and os.environ.get("VOILA_PREHEAT") == "True"


def query(name: str) -> str | None:
    """A query parameter of the page URL."""
    return parse_qs(query_string()).get(name, [None])[0]


def page_lang(default: str) -> str:
    """``?lang=en`` in the page URL switches the language."""
    lang = query("lang") or default
    return lang if lang in ("zh", "en") else default


class BadId(LinliError):
    """An id in the page URL that is not a number or names nothing (``?round=abc``, ``?plan=99``)."""

    def __init__(self, kind: str, value: str) -> None:
        super().__init__(f"there is no {kind} {value!r}")
        self.kind, self.value = kind, value


class Missing(LinliError):
    """A page needs an id and there is nothing to show yet (no round, no panel)."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"there is no {kind} yet")
        self.kind = kind


def requested_id(kind: str, existing: list[int] | None = None) -> int | None:
    """``?<kind>=ID`` as a number; None when absent. A value that is not a positive whole number,
    or (given ``existing``) names nothing, raises :class:`BadId`: never silently another one."""
    raw = query(kind)
    if raw is None:
        return None
    value = raw.strip()
    if not value.isascii() or not value.isdigit() or int(value) <= 0:
        raise BadId(kind, raw)
    if existing is not None and int(value) not in existing:
        raise BadId(kind, raw)
    return int(value)


def href(page: str, lang: str, **params: object) -> str:
    """A link to another page of the same server, keeping the language and the staff token."""
    kept = {k: query(k) for k in KEPT if k != "lang" and query(k)}
    pairs = {**kept, "lang": lang, **{k: str(v) for k, v in params.items() if v is not None}}
    return f"{page}.ipynb?{urlencode(pairs)}"


def switch_href(lang: str) -> str:
    """The current page in the other language, every other parameter kept."""
    params = {k: v[0] for k, v in parse_qs(query_string()).items()}
    params["lang"] = "en" if lang == "zh" else "zh"
    return "?" + urlencode(params)


def top_bar(page: str, lang: str, *, home: str = "home") -> w.HTML:
    """首页/Home link, the page title and the language switch (every staff page)."""
    title = text(f"nav.page.{page}", lang)
    other = "en" if lang == "zh" else "zh"
    bar = w.HTML(
        '<nav class="linli-topbar">'
        f'<a class="linli-home-link" href="{escape(href(home, lang))}">⌂ {escape(text("nav.home", lang))}</a>'
        f'<span class="linli-topbar-title">{escape(title)}</span>'
        f'<a class="linli-lang-link" lang="{other}" href="{escape(switch_href(lang))}">{escape(text("nav.lang_self", other))}</a>'
        "</nav>"
    )
    return bar


def _home_anchor(lang: str) -> str:
    return f'<a class="linli-back-home" href="{escape(href("home", lang))}">⌂ {escape(text("nav.home", lang))}</a>'


def resident_home_link(lang: str, switch: w.ValueWidget | None = None) -> w.HTML:
    """⌂ 首页 / Home above every resident page: back to the tiles, in the page's language (following
    the page's own language switch where it has one)."""
    link = w.HTML(_home_anchor(lang))
    link.add_class("linli-resident-nav")
    if switch is not None:
        switch.observe(lambda change: setattr(link, "value", _home_anchor(change["new"])), names=["value"])
    return link


def message_page(title: str, detail: str, lang: str, *, home: str = "home") -> w.HTML:
    """A plain page in the page's language: what happened, and a link home."""
    return w.HTML(
        '<div class="linli-message-page" id="linli-message-page">'
        f'<div class="linli-big">{escape(title)}</div>'
        f'<p class="linli-message-detail">{escape(detail)}</p>'
        f'<a class="linli-home-button" href="{escape(href(home, lang))}">{escape(text("nav.back_home", lang))}</a>'
        "</div>"
    )


def not_found(kind: str, value: str, lang: str, *, home: str = "home") -> w.HTML:
    """"没有这个轮次" / "No such round", the value as typed, and a link home."""
    page = message_page(text(f"nav.not_found.{kind}", lang), text("nav.not_found.detail", lang, value=value), lang, home=home)
    page.add_class("linli-not-found")
    return page


def missing(kind: str, lang: str, *, home: str = "home") -> w.HTML:
    return message_page(text(f"nav.missing.{kind}", lang), "", lang, home=home)


def failed(lang: str, *, home: str = "home") -> w.HTML:
    """A page that raised while being built: a sentence in the page's language, no traceback."""
    return message_page(text("nav.page_error", lang), "", lang, home=home)


def set_url(output: w.Output, **params: object) -> None:
    """Put ids into the address bar without a reload (``history.replaceState``), so a reload or a
    bookmark opens the same thing. ``output`` is an Output widget somewhere in the page."""
    from IPython.display import Javascript, display

    import json

    updates = json.dumps({k: str(v) for k, v in params.items()})
    output.clear_output()
    with output:
        display(Javascript(
            "(function(){var u=new URL(window.location.href);var p=" + updates + ";"
            "Object.keys(p).forEach(function(k){u.searchParams.set(k,p[k]);});"
            "window.history.replaceState(null,'',u.toString());})();"
        ))
