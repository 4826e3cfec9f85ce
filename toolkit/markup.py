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
