"""Plain text from people: one-line fields refuse control characters, multi-line fields are
normalised. What a person types then cannot break a CSV, a ``.pb`` line, a log line or a page.

* :func:`has_control` — any C0/C1 control character, DEL, or a line/paragraph separator.
* :func:`clean_line` — for one-line values already accepted elsewhere (names, households): every
  control character or run of white space becomes one space, ends stripped.
* :func:`clean_block` — for multi-line fields: CRLF/CR → LF, tabs → space, other control
  characters dropped, at most two blank lines in a row.

>>> has_control("路灯\\n不亮"), has_control("路灯不亮")
(True, False)
>>> clean_line(" 3栋\\t2单元\\x00 501 ")
'3栋 2单元 501'
>>> clean_block("第一行\\r\\n第二行\\x07\\n\\n\\n\\n第三行")
'第一行\\n第二行\\n\\n\\n第三行'
"""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_INVISIBLE_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")  # direction overrides that disguise text


def has_control(text: str) -> bool:
    """True when ``text`` holds a control character (newline and tab included) or a bidi override."""
    return bool(_CONTROL.search(text) or _INVISIBLE_BIDI.search(text))


def clean_line(text: str) -> str:
    """One line: control characters and runs of white space become one space; ends stripped."""
    text = _INVISIBLE_BIDI.sub("", unicodedata.normalize("NFC", text))
    return " ".join(_CONTROL.sub(" ", text).split())


def one_line(text: str) -> str:
    """Each control character (line breaks, tab, NUL...) replaced by a space; nothing else changed.
    For formats read line by line (``.pb``) where other spacing must survive a round trip."""
    return _CONTROL.sub(" ", text)


def clean_block(text: str) -> str:
    """Several lines: newlines kept (as LF), tabs become spaces, other control characters go."""
    text = _INVISIBLE_BIDI.sub("", unicodedata.normalize("NFC", text)).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n").replace("\t", " ")
    text = re.sub(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", "", text)
    text = re.sub(r"\n{4,}", "\n\n\n", text)
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


__all__ = ["clean_block", "clean_line", "has_control", "one_line"]
