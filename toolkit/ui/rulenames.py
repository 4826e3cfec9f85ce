"""Allocation rules in plain words for people (``mes:cost:add1-greedy`` → 平等份额法 · 按费用计满意度 ·
余钱再分，再按票数补足); the id itself is shown only in small type beside it."""

from __future__ import annotations

from toolkit.i18n import text
from toolkit.markup import escape


def rule_words(spec: str, lang: str) -> str:
    """The rule ``rule[:utility[:completion]]`` in plain words; an unknown part stays as written."""
    parts = str(spec).split(":")
    keys = [f"nav.rule.{parts[0]}"] + [f"nav.rule.{k}.{v}" for k, v in zip(("u", "c"), parts[1:])]
    words = []
    for key, raw in zip(keys, parts):
        try:
            words.append(text(key, lang))
        except KeyError:
            words.append(raw)
    return " · ".join(words)


def rule_html(spec: str, lang: str) -> str:
    """Plain words, then the id in small type (class ``linli-id``: small print by design)."""
    return f'{escape(rule_words(spec, lang))} <small class="linli-id">{escape(text("nav.desk.rule_hint", lang, id=spec))}</small>'
