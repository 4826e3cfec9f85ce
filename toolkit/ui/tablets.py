"""Texts and error messages of the resident tablets and facilitator desks (catalog domain
``tablets``, ``toolkit/locale/<locale>/LC_MESSAGES/tablets.po``): ``tt(key, lang, **kw)``;
``error_text`` turns any error a page may meet into plain words in the page's language, never a
raw database message."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from toolkit.errors import LinliError, StoreError, StoreUnavailable, ValidationError
from toolkit.i18n import MissingText, text
from toolkit.labels import Label
from toolkit.markup import escape

log = logging.getLogger(__name__)


def tt(key: str, lang: str, **kw: object) -> str:
    """The text ``key`` in ``lang`` ("zh" or "en"), placeholders filled with ``kw`` (the
    catalogs through :func:`toolkit.i18n.text`; this domain's ids start with ``tablets.``)."""
    return text(key, lang, **kw)


def field_name(field: str, lang: str) -> str:
    """A field name of a form or ballot (``projects``, ``projects.P0002``) as a label people read."""
    head, _, rest = field.partition(".")
    try:
        name = tt(f"tablets.field.{head}", lang)
    except MissingText:
        name = tt("tablets.field.other", lang)
    return f"{name} {rest}" if rest else name


def error_text(exc: BaseException, lang: str) -> str:
    """What to show a person for an error: field messages with translated field names, a store
    refusal by its key, a database that cannot be used (locked, read-only, unreachable) as what
    to do, anything else as the generic 'could not save' text (and logged)."""
    if isinstance(exc, StoreUnavailable):
        return store_text(exc, lang)
    if isinstance(exc, ValidationError):
        parts = []
        for k, v in exc.errors.items():
            msg = v.get(lang) if isinstance(v, Label) else tt("tablets.error.invalid", lang)
            parts.append(f"{field_name(str(k), lang)}：{msg}" if lang != "en" else f"{field_name(str(k), lang)}: {msg}")
        return ("；" if lang != "en" else "; ").join(parts)
    if isinstance(exc, StoreError) and getattr(exc, "key", None):
        params = dict(getattr(exc, "params", {}))
        if "role" in params:  # a paper-entry role (first, second, resolver) in words
            params["role"] = tt(f"tablets.paper.role_{params['role']}", lang)
        try:
            return tt(f"tablets.store.{exc.key}", lang, **params)
        except MissingText:
            pass
    log.warning("error shown as a generic message: %s", exc)
    return tt("tablets.error.generic", lang) if isinstance(exc, LinliError) else tt("tablets.error.unexpected", lang)


def store_text(exc: BaseException, lang: str) -> str | None:
    """The words for a database that is locked, read-only or unreachable (nothing was saved, what
    to do, what was typed is still there); None for any other error."""
    if isinstance(exc, StoreUnavailable):
        return text(f"trust.store_{exc.reason}", lang)
    return None


def store_guard(box: str, failed: Any = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator for a page's write handler (a method of a page object with ``lang``): when the
    database is locked past its wait, read-only or unreachable anywhere in the handler, the
    page's own message box (``self.<box>``, an HTML widget) says so in the page's language and
    the handler returns ``failed``. The store's transaction rolled back (no half record) and the
    handler changed no input before the write, so what was typed is still there; pressing the
    button again retries (and clears this message first).

    The same words reach handlers that catch store errors themselves through
    :func:`error_text` / :func:`store_text`; the load-time counterpart is
    ``toolkit.ui.pages._store_boundary``."""

    def wrap(handler: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(handler)
        def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
            shown = getattr(self, box)
            if any(escape(text(f"trust.store_{r}", self.lang)) in shown.value for r in ("busy", "readonly", "down")):
                shown.value = ""  # this try replaces the last one's store message
            try:
                return handler(self, *args, **kwargs)
            except StoreUnavailable as exc:
                getattr(self, box).value = f'<div class="linli-error" id="linli-store-error">{escape(store_text(exc, self.lang))}</div>'
                return failed

        return guarded

    return wrap


def map_legend(lang: str, *extra: tuple[str, str, str]) -> tuple[str, list[tuple[str, str, str]]]:
    """A map legend (title, entries): what the page draws (``extra``) and the outlines every
    map has (compounds, community borders)."""
    from toolkit.maps import COMMUNITY_STYLE, COMPOUND_STYLE

    base = [
        (tt("tablets.map.compound", lang), COMPOUND_STYLE["fillColor"], "area"),
        (tt("tablets.map.community", lang), COMMUNITY_STYLE["color"], "line"),
    ]
    return tt("tablets.map.legend", lang), [*extra, *base]
