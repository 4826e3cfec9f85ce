"""Spreadsheet cells that cannot carry formulas (CSV and Excel exports).

A spreadsheet program runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some
programs, a tab or carriage return) as a formula: a reviewer named ``=HYPERLINK("http://x", "点")``
would become a live link in the tally. Every text cell Linli exports goes through
:func:`safe_cell` (CSV: a leading apostrophe, the OWASP convention, which spreadsheet programs show
as text) or :func:`excel_bytes` (Excel: a text cell with the quote-prefix style, the text itself
unchanged). Numbers stay numbers. Linli's own CSV readers undo the apostrophe with :func:`read_cell`.

>>> safe_cell('=HYPERLINK("http://x")'), safe_cell("-5"), safe_cell(-5), safe_cell("王家")
('\\'=HYPERLINK("http://x")', "'-5", -5, '王家')
>>> read_cell(safe_cell("@SUM(A1)")) == "@SUM(A1)"
True
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula, prefixed with an apostrophe; a lone carriage
    return becomes a line feed (CSV writers quote LF, not CR); anything else as is."""
    if isinstance(value, str):
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if isinstance(value, str) and (value.startswith(FORMULA_START) or (value.startswith("'") and value[1:2] and value[1] in "=+-@\t\r\n'")):
        return "'" + value
    return value


def read_cell(text: str) -> str:
    """The text :func:`safe_cell` was given (for Linli's own CSV readers)."""
    if text.startswith("'") and text[1:2] and text[1] in "=+-@\t\r\n'":
        return text[1:]
    return text


def csv_text(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    """CSV (comma, LF) with every cell passed through :func:`safe_cell`."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow([safe_cell(h) for h in header])
    for row in rows:
        w.writerow([safe_cell(v) for v in row])
    return out.getvalue()


def excel_bytes(sheets: Mapping[str, "pd.DataFrame"]) -> bytes:
    """An .xlsx workbook, one sheet per frame; every text cell is stored as text (never a formula)
    with the quote-prefix style, so editing it in Excel does not turn it into one either."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    wb = Workbook()
    wb.remove(wb.active)
    for name, frame in sheets.items():
        ws = wb.create_sheet(title=str(name)[:31])
        ws.append([str(c) for c in frame.columns])
        for row in frame.itertuples(index=False):
            values = [None if _missing(v) else (v.item() if hasattr(v, "item") else v) for v in row]
            # Control characters a worksheet cannot hold (NUL, bell ...) become spaces instead of an error.
            ws.append([ILLEGAL_CHARACTERS_RE.sub(" ", v) if isinstance(v, str) else v for v in values])
        for cells in ws.iter_rows():
            for cell in cells:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # openpyxl makes '=...' a formula otherwise
                    if cell.value.startswith(FORMULA_START):
                        cell.quotePrefix = True
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _missing(value: Any) -> bool:
    try:
        return value is None or value != value  # NaN
    except (TypeError, ValueError):
        return False


__all__ = ["FORMULA_START", "csv_text", "excel_bytes", "read_cell", "safe_cell"]
