"""Texts and error messages of the resident tablets and facilitator desks (catalog domain
``tablets``, ``toolkit/locale/<locale>/LC_MESSAGES/tablets.po``): ``tt(key, lang, **kw)``;
``error_text`` turns any error a page may meet into plain words in the page's language, never a
raw database message."""

from __future__ import annotations

import logging

from toolkit.errors import LinliError, StoreError, ValidationError
from toolkit.i18n import MissingText, text
from toolkit.labels import Label

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
    refusal by its key, anything else as the generic 'could not save' text (and logged)."""
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


def map_legend(lang: str, *extra: tuple[str, str, str]) -> tuple[str, list[tuple[str, str, str]]]:
    """A map legend (title, entries): what the page draws (``extra``) and the outlines every
    map has (compounds, community borders)."""
    from toolkit.maps import COMMUNITY_STYLE, COMPOUND_STYLE

    base = [
        (tt("tablets.map.compound", lang), COMPOUND_STYLE["fillColor"], "area"),
        (tt("tablets.map.community", lang), COMMUNITY_STYLE["color"], "line"),
    ]
    return tt("tablets.map.legend", lang), [*extra, *base]
