"""Texts of the closing-the-loop pages: the ``loop`` catalog (toolkit/locale/<lang>/LC_MESSAGES/
loop.po) read through :func:`toolkit.i18n.text`; bilingual values (Labels from the data, such
as a triage track's name) are taken in the page's language."""

from __future__ import annotations

from toolkit.i18n import text as catalog_text
from toolkit.labels import Label


def text(key: str, lang: str, **values: object) -> str:
    """The text ``key`` in ``lang`` (zh or en); Label values are taken in that language."""
    lang = lang if lang in ("zh", "en") else "zh"
    return catalog_text(key, lang, **{k: (v.get(lang) if isinstance(v, Label) else v) for k, v in values.items()})
