"""Escaping for every user string that becomes HTML (widgets, popups, folium, reports).

``html.escape`` alone is not enough inside templates that are later fed through JavaScript
template literals (folium tooltips): ``$`` and the backtick are escaped too.
"""

from __future__ import annotations

import html


def escape(value: object) -> str:
    """Escape text for HTML element content and attribute values.

    >>> escape('<img src=x onerror="a(`${1}`)">')
    '&lt;img src=x onerror=&quot;a(&#96;&#36;{1}&#96;)&quot;&gt;'
    """
    text = "" if value is None else str(value)
    return html.escape(text, quote=True).replace("$", "&#36;").replace("`", "&#96;")


def yuan(fen: int | None, lang: str = "zh") -> str:
    """Money for people: integer fen → ``¥12,000`` (whole yuan) or ``¥12,000.50``.

    >>> yuan(1200050)
    '¥12,000.50'
    >>> yuan(None, "en")
    '—'
    """
    if fen is None:
        return "—"
    whole, cents = divmod(int(fen), 100)
    return f"¥{whole:,}" + (f".{cents:02d}" if cents else "")


def _script_lang(text: str) -> str:
    """``zh`` when the text has Chinese characters, else ``en`` (for the ``lang`` of user data)."""
    return "zh" if any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text) else "en"


def user(value: object, cls: str = "") -> str:
    """People's own words (a title, a name, a fund's name) as HTML: escaped, in a span of class
    ``linli-user`` with the ``lang`` of its script, so an English page may show a Chinese title.

    >>> user("锦绣花园 <1>")
    '<span class="linli-user" lang="zh">锦绣花园 &lt;1&gt;</span>'
    """
    text = "" if value is None else str(value)
    extra = f" {cls}" if cls else ""
    return f'<span class="linli-user{extra}" lang="{_script_lang(text)}">{escape(text)}</span>'


def filled(template: str, **parts: str) -> str:
    """A page text with ``{placeholders}`` as HTML: the text escaped, each part put in as given
    (so give parts already as HTML: ``escape(x)`` or ``user(x)``).

    >>> filled("Round {id}: {name} <b>", id="3", name=user("秋季"))
    'Round 3: <span class="linli-user" lang="zh">秋季</span> &lt;b&gt;'
    """
    return escape(template).format(**parts)
