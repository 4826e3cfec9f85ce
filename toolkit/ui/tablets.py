"""Texts and error messages of the resident tablets and facilitator desks (catalog domain
``tablets``): ``tt(key, lang, **kw)`` reads ``toolkit/locale/<lang>/LC_MESSAGES/tablets.po``;
``error_text`` turns any error a page may meet into plain words in the page's language, never a
raw database message."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from toolkit.errors import LinliError, StoreError, ValidationError
from toolkit.labels import Label

LOCALE = Path(__file__).resolve().parents[1] / "locale"
_DIRS = {"zh": "zh_Hans", "en": "en"}
log = logging.getLogger(__name__)


def _unquote(s: str) -> str:
    body = s.strip()[1:-1]
    return body.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


@functools.cache
def _catalog(lang: str) -> dict[str, str]:
    """msgid → msgstr of this domain (one-line entries, as written in tablets.po)."""
    path = LOCALE / _DIRS[lang] / "LC_MESSAGES" / "tablets.po"
    out: dict[str, str] = {}
    msgid = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("msgid "):
            msgid = _unquote(line[6:])
        elif line.startswith("msgstr ") and msgid:
            out[msgid] = _unquote(line[7:])
            msgid = None
    return out


def tt(key: str, lang: str, **kw: object) -> str:
    """The text ``key`` in ``lang`` ("zh" or "en"), placeholders filled with ``kw``."""
    text = _catalog("en" if lang == "en" else "zh")[key]
    return text.format(**kw) if kw else text


def field_name(field: str, lang: str) -> str:
    """A field name of a form or ballot (``projects``, ``projects.P0002``) as a label people read."""
    head, _, rest = field.partition(".")
    try:
        name = tt(f"tablets.field.{head}", lang)
    except KeyError:
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
        try:
            return tt(f"tablets.store.{exc.key}", lang, **getattr(exc, "params", {}))
        except KeyError:
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
