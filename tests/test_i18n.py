"""The message catalogs: both languages for every message, no duplicate ids, the same placeholders,
no English on a zh page and no Chinese on an en page, and every key the code asks for exists."""

from __future__ import annotations

import re
import string
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from toolkit import i18n

ROOT = Path(__file__).resolve().parents[1]
LOCALES = sorted(i18n.LOCALES.values())
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
# A Latin word: two or more letters not glued to digits (codes like K7Q-4MX-A3W are examples, not words).
LATIN_WORD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2,}(?![A-Za-z0-9])")


def _raw_ids(po: Path) -> list[str]:
    """msgids as written in the file (Babel's reader would silently merge a duplicate)."""
    return [m for m in re.findall(r'^msgid "(.*)"$', po.read_text(encoding="utf-8"), flags=re.M) if m]


def _domains() -> list[str]:
    return sorted({p.stem for loc in LOCALES for p in (i18n.LOCALE_DIR / loc / "LC_MESSAGES").glob("*.po")})


def _catalog(locale: str, domain: str) -> dict[str, str]:
    po = i18n.LOCALE_DIR / locale / "LC_MESSAGES" / f"{domain}.po"
    with po.open("rb") as fh:
        return {m.id: m.string for m in read_po(fh, locale=locale) if m.id}


def _fields(s: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(s) if name is not None}


@pytest.mark.parametrize("domain", _domains())
def test_every_domain_has_both_languages_with_the_same_ids(domain):
    zh, en = _catalog("zh_Hans", domain), _catalog("en", domain)
    assert set(zh) == set(en), f"ids only in zh: {sorted(set(zh) - set(en))}; only in en: {sorted(set(en) - set(zh))}"
    empty = [k for k in zh if not zh[k].strip() or not en[k].strip()]
    assert not empty, f"messages without a translation: {empty}"


def test_no_duplicate_ids_within_or_across_catalogs():
    for locale in LOCALES:
        ids = Counter()
        for po in (i18n.LOCALE_DIR / locale / "LC_MESSAGES").glob("*.po"):
            ids.update(_raw_ids(po))
        assert not [k for k, n in ids.items() if n > 1], f"{locale}: duplicate message ids"


@pytest.mark.parametrize("domain", _domains())
def test_same_placeholders_in_both_languages(domain):
    zh, en = _catalog("zh_Hans", domain), _catalog("en", domain)
    differ = {k: (_fields(zh[k]), _fields(en[k])) for k in zh if k in en and _fields(zh[k]) != _fields(en[k])}
    assert not differ, f"placeholders differ: {differ}"


@pytest.mark.parametrize("domain", _domains())
def test_zh_texts_hold_no_english_and_en_texts_no_chinese(domain):
    zh, en = _catalog("zh_Hans", domain), _catalog("en", domain)
    english = {k: LATIN_WORD.findall(re.sub(r"\{[^}]*\}", "", v)) for k, v in zh.items()}
    assert not {k: v for k, v in english.items() if v}, "English words in zh texts"
    assert not {k: v for k, v in en.items() if CJK.search(v)}, "Chinese in en texts"


KEY_USES = re.compile(
    r"""(?:\bT\[|\b_t\(\s*[\w.]+\s*,\s*|\bself\.t\(\s*|\bi18n\.text\(\s*|\btext\(\s*|\blabel\(\s*)["']([A-Za-z_][\w.]*)["']"""
)


def test_every_key_the_code_uses_is_in_the_catalogs():
    known = set(i18n.Catalog())
    used = {}
    for path in (ROOT / "toolkit").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        if "toolkit.i18n" not in source and "toolkit.ui.texts" not in source:
            continue  # (SQL's label() and other text() calls are not catalog look-ups)
        for key in KEY_USES.findall(source):
            if not key.endswith("_"):  # a prefix completed at run time, e.g. "status_" + status
                used.setdefault(key, path.relative_to(ROOT))
    missing = {k: str(p) for k, p in used.items() if k not in known}
    assert not missing, f"keys used in code but in no catalog: {missing}"
    assert len(used) > 100  # the scan really finds the pages' keys


def test_the_vote_card_cost_and_the_propose_cost_question_are_two_messages():
    # texts.py once defined "cost" twice: the propose page showed "费用 {cost}".
    assert i18n.text("cost", "zh") == "大概要花多少钱？（可不选）"
    assert i18n.text("card_cost", "zh", cost="¥3,000") == "费用 ¥3,000"


def test_a_stale_mo_is_recompiled_from_its_po(tmp_path, monkeypatch):
    loc = tmp_path / "en" / "LC_MESSAGES"
    loc.mkdir(parents=True)
    (tmp_path / "zh_Hans" / "LC_MESSAGES").mkdir(parents=True)
    po = loc / "x.po"
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\nmsgid "k"\nmsgstr "one"\n', encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n._messages.cache_clear()
    try:
        assert i18n.text("k", "en") == "one"
        po.write_text(po.read_text(encoding="utf-8").replace('"one"', '"two"'), encoding="utf-8")
        import os
        os.utime(po, ns=(po.stat().st_mtime_ns + 10**9,) * 2)
        i18n._messages.cache_clear()
        assert i18n.text("k", "en") == "two"
        with pytest.raises(i18n.MissingText, match="no message 'nope'"):
            i18n.text("nope", "en")
    finally:
        monkeypatch.undo()
        i18n._messages.cache_clear()
