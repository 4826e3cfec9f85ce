"""The printable A4 sheet of voter codes."""

from __future__ import annotations

import random
import re

import pytest

from toolkit.errors import ValidationError
from toolkit.labels import Label
from toolkit.rounds.codes import format_code, generate_codes
from toolkit.rounds.sheets import qr_svg, render_code_sheet


def test_sheet_has_a4_pages_of_twelve_cards_with_code_and_qr():
    codes = generate_codes(13, random.Random(5))
    html = render_code_sheet(Label("2025 第一轮", "2025 round 1"), codes, closes="2025-06-20")
    assert "@page { size: A4 portrait" in html
    assert html.count('<section class="page">') == 2  # 12 + 1
    assert html.count('<div class="card">') == 13
    assert html.count("<svg") == 13
    for c in codes:
        assert f'<div class="code">{format_code(c)}</div>' in html
    assert "凭此码投票一次" in html and "Vote once with this code" in html and "截止：2025-06-20" in html


def test_user_strings_are_escaped():
    html = render_code_sheet(Label('<script>alert(1)</script>', 'a"b'), generate_codes(1, random.Random(1)))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "a&#34;b" in html


def test_qr_is_a_real_qr_code_of_the_text():
    svg = qr_svg("K7Q-4MX-A3W")
    # a version 1 QR code is 21 modules wide; border 2 on each side → viewBox 25
    assert re.match(r'<svg viewBox="0 0 25 25" class="qr">', svg)
    import segno
    qr = segno.make_qr("K7Q-4MX-A3W", error="m")  # segno may raise the level when it fits in the same size
    assert qr.version == 1 and qr.error in ("M", "Q", "H")


def test_link_puts_the_code_in_the_qr_and_needs_a_placeholder():
    code = generate_codes(1, random.Random(2))[0]
    with_link = render_code_sheet(Label("轮", "r"), [code], link="http://192.168.1.10:8866/vote?code={code}")
    assert qr_svg(f"http://192.168.1.10:8866/vote?code={code}") in with_link
    assert qr_svg(format_code(code)) in render_code_sheet(Label("轮", "r"), [code])
    with pytest.raises(ValidationError) as info:
        render_code_sheet(Label("轮", "r"), [code], link="http://x/vote")
    assert "link" in info.value.errors


def test_invalid_codes_are_refused():
    with pytest.raises(ValidationError) as info:
        render_code_sheet(Label("轮", "r"), ["NOTACODE1", "<b>"])
    assert info.value.errors["codes"].en == "2 codes are not valid voter codes"
    with pytest.raises(ValidationError):
        render_code_sheet(Label("轮", "r"), [])
