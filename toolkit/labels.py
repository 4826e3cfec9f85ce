"""Bilingual labels. zh-Hans is the first language, English the second."""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES = ("zh", "en")


@dataclass(frozen=True, slots=True)
class Label:
    """A text in simplified Chinese and English.

    >>> Label("环境", "Environment").get("en")
    'Environment'
    """

    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh

    def format(self, **kwargs: object) -> "Label":
        return Label(self.zh.format(**kwargs), self.en.format(**kwargs))
