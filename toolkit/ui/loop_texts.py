"""Texts of the closing-the-loop pages from the ``loop`` gettext catalog
(toolkit/locale/<lang>/LC_MESSAGES/loop.po). Uses :func:`toolkit.i18n.text` when it is there;
until then reads the catalog itself (msgid = key, msgstr = text, ``{name}`` placeholders)."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from toolkit.labels import Label

LOCALE = Path(__file__).resolve().parent.parent / "locale"
FOLDERS = {"zh": "zh_Hans", "en": "en"}


@cache
def catalog(lang: str) -> dict[str, str]:
    text = (LOCALE / FOLDERS[lang] / "LC_MESSAGES" / "loop.po").read_text(encoding="utf-8")
    return {json.loads(k): json.loads(v) for k, v in re.findall(r'^msgid (".*")\nmsgstr (".*")$', text, re.M) if json.loads(k)}


def text(key: str, lang: str, **values: object) -> str:
    """The text ``key`` in ``lang`` (zh or en); Label values are taken in that language."""
    lang = lang if lang in FOLDERS else "zh"
    kw = {k: (v.get(lang) if isinstance(v, Label) else v) for k, v in values.items()}
    return catalog(lang)[key].format(**kw) if kw else catalog(lang)[key]


def label(key: str, **values: object) -> Label:
    return Label(text(key, "zh", **values), text(key, "en", **values))
