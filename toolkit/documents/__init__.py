"""Printable documents (Jinja2's one home for the loop): feedback slips, public notices as HTML
and PDF (WeasyPrint with Noto CJK), and spreadsheet-safe cells for CSV / Excel exports.

Every template renders with autoescape on: user strings are escaped by Jinja2; only generated
QR and map SVG is marked safe.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

SLIPS_PER_PAGE = 8  # 2 columns × 4 rows on A4 portrait
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    from toolkit.rounds.sheets import documents_dir

    return Environment(loader=FileSystemLoader(str(documents_dir())), autoescape=select_autoescape(["html", "j2"], default=True),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render_slips(items: Sequence[dict], *, lang: str = "zh") -> str:
    """A4 sheet of feedback slips. ``items``: community, compound, code, title, sentence, link
    (the status page with the code, or None: then no QR code)."""
    from markupsafe import Markup

    from toolkit.rounds.sheets import qr_svg

    slips = [{**i, "qr": Markup(qr_svg(i["link"])) if i.get("link") else None} for i in items]
    pages = [slips[i:i + SLIPS_PER_PAGE] for i in range(0, len(slips), SLIPS_PER_PAGE)]
    return environment().get_template("feedback_slips.html.j2").render(pages=pages, count=len(slips), lang=lang)


def safe_cells(frame: "pd.DataFrame") -> "pd.DataFrame":
    """Text cells a spreadsheet would run as a formula (=, +, -, @, tab, CR first) get a leading
    apostrophe, so a proposal titled ``=HYPERLINK(...)`` stays text in Excel and WPS."""
    import pandas as pd

    out = frame.copy()
    for col in out.columns:
        values = [("'" + v) if isinstance(v, str) and v.startswith(FORMULA_START) else v for v in out[col]]
        out[col] = pd.Series(values, index=out.index, dtype=object)
    return out


def render_notice(notice: dict, objections: Sequence[dict], *, map_svg: str = "", lang: str = "zh") -> str:
    """A public notice as a printable HTML document in ``lang``:
    ``notice`` is a notices row; ``objections`` rows with their answers."""
    from markupsafe import Markup

    paragraphs = {k: [line for line in notice[f"body_{k}"].split("\n") if line.strip()] for k in ("zh", "en")}
    return environment().get_template("notice.html.j2").render(
        n=notice, paragraphs=paragraphs, objections=objections, map_svg=Markup(map_svg) if map_svg else "", lang=lang)


def pdf(html: str) -> bytes:
    """HTML → PDF bytes with WeasyPrint (Chinese from the system's Noto CJK fonts)."""
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


def pdf_text(data: bytes) -> str:
    """The text of a PDF (pypdf), for checking what a printed notice says."""
    import io

    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
