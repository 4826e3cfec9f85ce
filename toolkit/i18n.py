"""Page texts from gettext catalogs (toolkit/locale/<lang>/LC_MESSAGES/<domain>.po).

Interim reader on the ux-nav branch until the lead's toolkit/i18n.py lands on main (same call:
``text(key, lang, **kw)``); at merge main's version wins."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

LOCALE = Path(__file__).resolve().parent / "locale"
FOLDERS = {"zh": "zh_Hans", "en": "en"}


@lru_cache(maxsize=None)
def _catalog(lang: str) -> dict[str, str]:
    from babel.messages.pofile import read_po

    out: dict[str, str] = {}
    for po in sorted((LOCALE / FOLDERS[lang] / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as fh:
            for m in read_po(fh):
                if m.id and m.string:
                    out[str(m.id)] = str(m.string)
    return out


def text(key: str, lang: str, **kw: object) -> str:
    """The message ``key`` in ``lang`` ('zh' or 'en'), formatted with ``kw``."""
    msg = _catalog(lang if lang in FOLDERS else "zh")[key]
    return msg.format(**kw) if kw else msg
