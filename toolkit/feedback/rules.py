"""The feedback rule file (templates/rules/feedback.toml): one zh/en sentence per status change.

>>> rules = load_feedback_rules()
>>> compose(rules, "milestone", project="修路灯", milestone="灯杆到货", progress=40).zh
'您建议的项目“修路灯”有新进展：灯杆到货，完成 40%。'
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import RuleFileError
from toolkit.labels import Label
from toolkit.rulefiles import load_rule_file, need_label, parse_rule_file, rule_path

EVENTS = ("screened", "funded", "not_funded", "milestone", "accepted", "maintenance")


@dataclass(frozen=True)
class FeedbackRules:
    ref: str
    events: tuple[tuple[str, Label], ...]

    def template(self, event: str) -> Label:
        for key, label in self.events:
            if key == event:
                return label
        raise RuleFileError(self.ref, f"no sentence for event {event!r}", fix=f"add [events.{event}] with zh and en")


def _fields(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


def parse_feedback_rules(text: str, path: str | Path = "<string>") -> FeedbackRules:
    rf = parse_rule_file(text, path)
    table = rf.data.get("events")
    if not isinstance(table, dict):
        raise RuleFileError(path, "missing", field="events", fix="add [events.received] and the other events with zh and en")
    out = []
    for event in EVENTS:
        if event not in table:
            raise RuleFileError(path, "missing", field=f"events.{event}", fix=f'add [events.{event}] with zh = "..." and en = "..."')
        label = need_label(table, event, path, where="events.")
        if _fields(label.zh) != _fields(label.en):
            raise RuleFileError(path, "zh and en use different {placeholders}", field=f"events.{event}", fix="use the same {names} in both")
        out.append((event, label))
    unknown = set(table) - set(EVENTS)
    if unknown:
        raise RuleFileError(path, f"unknown events {sorted(unknown)}", field="events", fix=f"use only {', '.join(EVENTS)}")
    return FeedbackRules(rf.ref, tuple(out))


def load_feedback_rules(path: str | Path | None = None) -> FeedbackRules:
    rf = load_rule_file(path or rule_path("feedback.toml"))
    return parse_feedback_rules(Path(rf.path).read_text(encoding="utf-8"), rf.path)


def compose(rules: FeedbackRules, event: str, **values: object) -> Label:
    """The sentence for ``event`` with its placeholders filled; values may be Labels (per language)."""
    t = rules.template(event)

    def pick(lang: str) -> dict:
        return {k: (v.get(lang) if isinstance(v, Label) else v) for k, v in values.items()}

    return Label(t.zh.format(**pick("zh")), t.en.format(**pick("en")))
