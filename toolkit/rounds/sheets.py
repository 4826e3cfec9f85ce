"""A printable A4 sheet of voter codes (投票码打印页): one card per code, with a QR code.

Rendering is Jinja2 with autoescape on (``templates/documents/voter_codes.html.j2``); every user
string (round name, instructions, link) is escaped by the template. The QR codes are made offline by
``segno`` (imported inside :func:`qr_svg`, the only place that needs it) as full-size QR (not Micro
QR, which many phone scanners cannot read), error correction level M.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from toolkit.errors import ValidationError
from toolkit.labels import Label
from toolkit.rounds.codes import format_code, is_valid

DOCUMENTS_DIR = Path(__file__).resolve().parent.parent.parent / "templates" / "documents"
SHEET_TEMPLATE = "voter_codes.html.j2"
CARDS_PER_PAGE = 12  # 3 columns × 4 rows on A4 portrait


def documents_dir() -> Path:
    """Where document templates live; overridable with LINLI_DOCUMENTS_DIR."""
    return Path(os.environ.get("LINLI_DOCUMENTS_DIR") or DOCUMENTS_DIR)


def qr_svg(text: str) -> str:
    """An inline ``<svg>`` QR code for ``text`` (no XML declaration, scales with its box)."""
    import segno

    qr = segno.make_qr(text, error="m")
    return qr.svg_inline(scale=1, border=2, omitsize=True, svgclass="qr", lineclass="qr-line")


def render_code_sheet(round_name: Label, codes: Sequence[str], *, link: str | None = None,
                      closes: date | str | None = None, qr: bool = True) -> str:
    """HTML for printing ``codes`` (canonical) on A4 cards.

    ``link`` is the vote page's address on the meeting network; ``{code}`` in it is replaced by the
    code (e.g. ``http://192.168.1.10:8866/voila/render/vote.ipynb?code={code}``). Without it the QR
    code holds the code alone, which the vote page's scanner accepts as typed text.
    """
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
    from markupsafe import Markup

    if not isinstance(round_name, Label):
        raise ValidationError({"round_name": Label("请给出轮次名称", "give the round name")})
    bad = [c for c in codes if not isinstance(c, str) or not is_valid(c)]
    if bad or not codes:
        raise ValidationError({"codes": Label(f"有 {len(bad)} 个投票码无效", f"{len(bad)} codes are not valid voter codes")
                               if bad else Label("没有投票码可打印", "no codes to print")})
    if link is not None and (not isinstance(link, str) or "{code}" not in link):
        raise ValidationError({"link": Label("链接里要有 {code}，用来放投票码", "the link needs {code} where the code goes")})
    cards = []
    for c in codes:
        shown = format_code(c)
        content = link.replace("{code}", c) if link else shown
        cards.append({"code": shown, "qr": Markup(qr_svg(content)) if qr else None})
    pages = [cards[i:i + CARDS_PER_PAGE] for i in range(0, len(cards), CARDS_PER_PAGE)]
    env = Environment(loader=FileSystemLoader(str(documents_dir())), autoescape=select_autoescape(["html", "j2"], default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env.get_template(SHEET_TEMPLATE).render(
        name=round_name, pages=pages, link=link, closes=str(closes) if closes is not None else None, count=len(cards))


__all__ = ["CARDS_PER_PAGE", "qr_svg", "render_code_sheet"]
