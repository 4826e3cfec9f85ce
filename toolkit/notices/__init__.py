"""Public notices (公示): masking personal data, the text of a notice from its template (a rule
file), the notice period and who may object. Pure: rows come in as plain dicts.

>>> mask_contact("王秀英 13812345678")
'王** 138****5678'
>>> mask_text("有事打 13900001111 找我")
'有事打 139****1111 找我'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from toolkit.errors import RuleFileError
from toolkit.labels import Label
from toolkit.rulefiles import load_rule_file, need_label, need_number, parse_rule_file, rule_path

PHONE = re.compile(r"(?<!\d)(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)")
CJK_NAME = re.compile(r"[\u4e00-\u9fff]{2,4}")
KINDS = ("screening", "round", "plan", "acceptance")


def mask_phone(text: str) -> str:
    """Every mobile number in ``text`` as 138****0000."""
    return PHONE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)


def mask_name(name: str) -> str:
    """王秀英 → 王** (the surname and two stars, whatever the length, so the length is hidden too)."""
    name = name.strip()
    return f"{name[0]}**" if name else ""


def mask_contact(contact: str | None) -> str:
    """A proposer's contact as a notice may show it: the masked name and masked phone numbers;
    nothing else of the field (addresses, WeChat ids) is shown."""
    if not isinstance(contact, str) or not contact.strip():
        return "—"
    parts = []
    name = CJK_NAME.search(contact)
    if name:
        parts.append(mask_name(name.group(0)))
    else:
        latin = re.search(r"[A-Za-z]+", contact)
        if latin:
            parts.append(mask_name(latin.group(0)))
    parts += [f"{m.group(1)}****{m.group(3)}" for m in PHONE.finditer(contact)]
    return " ".join(parts) or "—"


def mask_text(text: str) -> str:
    """Free text (titles, reasons) with phone numbers masked."""
    return mask_phone(text or "")


@dataclass(frozen=True)
class NoticeRules:
    ref: str
    period_days: int
    kinds: tuple[tuple[str, Label, Label, Label], ...]  # kind, title, intro, line
    correction: Label
    objection: Label

    def kind(self, kind: str) -> tuple[Label, Label, Label]:
        for k, title, intro, line in self.kinds:
            if k == kind:
                return title, intro, line
        raise RuleFileError(self.ref, f"no notice template for {kind!r}", fix=f"add [kinds.{kind}]")


def parse_notice_rules(text: str, path: str | Path = "<string>") -> NoticeRules:
    rf = parse_rule_file(text, path)
    days = need_number(rf.data, "period_days", path, positive=True)
    if int(days) != days:
        raise RuleFileError(path, "must be a whole number of days", field="period_days", fix="write period_days = 7")
    kinds = rf.data.get("kinds")
    if not isinstance(kinds, dict):
        raise RuleFileError(path, "missing", field="kinds", fix="add [kinds.screening] and the other kinds")
    out = []
    for kind in KINDS:
        table = kinds.get(kind)
        if not isinstance(table, dict):
            raise RuleFileError(path, "missing", field=f"kinds.{kind}", fix=f"add [kinds.{kind}] with title, intro and line")
        out.append((kind, *(need_label(table, k, path, where=f"kinds.{kind}.") for k in ("title", "intro", "line"))))
    return NoticeRules(rf.ref, int(days), tuple(out), need_label(rf.data, "correction", path), need_label(rf.data, "objection", path))


def load_notice_rules(path: str | Path | None = None) -> NoticeRules:
    rf = load_rule_file(path or rule_path("notices.toml"))
    return parse_notice_rules(Path(rf.path).read_text(encoding="utf-8"), rf.path)


@dataclass(frozen=True)
class NoticeText:
    title: Label
    body: Label  # one paragraph per line
    ends_on: str


def compose_notice(rules: NoticeRules, kind: str, subject: dict, items: list[dict], *, published: date,
                   period_days: int | None = None, corrects: dict | None = None) -> NoticeText:
    """The notice's title and body from its template: ``subject`` fills the title and intro,
    each of ``items`` one line (values may be Labels); personal data must come in masked."""
    title, intro, line = rules.kind(kind)
    days = int(period_days if period_days is not None else rules.period_days)
    if not 1 <= days <= 90:
        from toolkit.errors import ValidationError

        raise ValidationError({"period_days": Label("公示期是 1 到 90 天", "a notice period is 1 to 90 days")})
    ends = (published + timedelta(days=days)).isoformat()

    def fill(t: Label, values: dict) -> Label:
        return Label(t.zh.format(**{k: v.zh if isinstance(v, Label) else v for k, v in values.items()}),
                     t.en.format(**{k: v.en if isinstance(v, Label) else v for k, v in values.items()}))

    base = {**subject, "start": published.isoformat(), "end": ends, "days": days}
    lines = [fill(intro, base)] + [fill(line, {**base, **item}) for item in items] + [fill(rules.objection, base)]
    if corrects is not None:
        lines.insert(0, fill(rules.correction, {**base, "old_id": corrects["id"], "old_date": corrects["published_at"][:10]}))
    t = fill(title, base)
    return NoticeText(t, Label("\n".join(x.zh for x in lines), "\n".join(x.en for x in lines)), ends)
