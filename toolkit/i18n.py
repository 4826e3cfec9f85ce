"""Page texts from gettext message catalogs (managed with Babel).

Catalogs live in ``toolkit/locale/<locale>/LC_MESSAGES/<domain>.po``, one ``.po`` file per domain
(``pages``, ``nav``, ``loop``, …) and per language: ``zh_Hans`` (the first language) and ``en``.
A message id is a key such as ``vote_title`` or ``status.title``; its ``msgstr`` is the text shown,
with ``{name}`` placeholders in ``str.format`` style, the same in both languages.

At run time the compiled ``.mo`` files are read with the standard library's ``gettext`` (cheap to
import in every page kernel). A ``.mo`` that is missing or older than its ``.po`` is compiled with
Babel first (written atomically beside the ``.po``; kept in memory if the folder is read-only), so
editing a ``.po`` file is enough. ``python -m toolkit.i18n`` compiles every catalog and checks them.

>>> text("vote_title", "en")
'Community budget vote'
>>> text("card_cost", "zh", cost="¥3,000")
'费用 ¥3,000'
"""

from __future__ import annotations

import gettext
import io
import os
import tempfile
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path

from toolkit.labels import LANGUAGES, Label

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LOCALES = {"zh": "zh_Hans", "en": "en"}


class MissingText(KeyError):
    """A message id that no catalog defines."""

    def __str__(self) -> str:
        return f"no message {self.args[0]!r} in the catalogs under {LOCALE_DIR} (add it to a .po file in both languages)"


def _po_files(locale: str) -> list[Path]:
    return sorted((LOCALE_DIR / locale / "LC_MESSAGES").glob("*.po"))


def _compiled(po: Path) -> bytes:
    """The ``.mo`` bytes of one ``.po`` file, compiled by Babel when stale."""
    mo = po.with_suffix(".mo")
    try:
        if mo.stat().st_mtime_ns >= po.stat().st_mtime_ns:
            return mo.read_bytes()
    except FileNotFoundError:
        pass
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as fh:
        catalog = read_po(fh, locale=po.parent.parent.name)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    data = buf.getvalue()
    try:
        fd, tmp = tempfile.mkstemp(dir=mo.parent, prefix=".", suffix=".mo")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, mo)
    except OSError:
        pass  # read-only install: the compiled catalog stays in memory
    return data


@lru_cache(maxsize=None)
def _messages(lang: str) -> dict[str, str]:
    locale = LOCALES[lang]
    merged: dict[str, str] = {}
    for po in _po_files(locale):
        translations = gettext.GNUTranslations(io.BytesIO(_compiled(po)))
        merged.update({k: v for k, v in translations._catalog.items() if isinstance(k, str) and k})  # type: ignore[attr-defined]
    return merged


def text(key: str, lang: str, /, **kwargs: object) -> str:
    """The text of message ``key`` in ``lang`` (``zh`` or ``en``), placeholders filled from ``kwargs``."""
    messages = _messages(lang if lang in LOCALES else "zh")
    if key not in messages:
        raise MissingText(key)
    value = messages[key]
    return value.format(**kwargs) if kwargs else value


def label(key: str) -> Label:
    """Message ``key`` in both languages."""
    return Label(text(key, "zh"), text(key, "en"))


class Catalog(Mapping[str, Label]):
    """Every message as a read-only mapping ``key → Label`` (what ``toolkit.ui.texts.T`` is)."""

    def __getitem__(self, key: str) -> Label:
        return label(key)

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(set().union(*(_messages(lang) for lang in LANGUAGES))))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in _messages("zh")


def compile_all() -> list[Path]:
    """Compile every ``.po`` catalog to ``.mo`` (only the stale ones are rewritten)."""
    done = []
    for locale in LOCALES.values():
        for po in _po_files(locale):
            _compiled(po)
            done.append(po.with_suffix(".mo"))
    _messages.cache_clear()
    return done


if __name__ == "__main__":  # python -m toolkit.i18n
    for path in compile_all():
        print(path.relative_to(LOCALE_DIR))
