"""Funded projects after the vote (落地实施 → 运营维护): the states a project moves through, the
checks on a milestone, uploaded files and a spreadsheet of updates, maintenance due dates.
Pure: no store, no widgets.

>>> next_states("funded")
('in_progress', 'accepted')
>>> maintenance_due("2026-05-01", [], 30)
'2026-05-31'
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta

from toolkit.errors import ValidationError
from toolkit.labels import Label

STATES = ("funded", "in_progress", "accepted", "maintenance")
STATE_LABELS = {
    "funded": Label("已立项", "Funded"),
    "in_progress": Label("实施中", "In progress"),
    "accepted": Label("已验收", "Accepted"),
    "maintenance": Label("运营维护", "Maintained"),
}
STATE_COLOURS = {"funded": "#1565c0", "in_progress": "#ef6c00", "accepted": "#2e7d32", "maintenance": "#6a1b9a"}
MAX_FILE_BYTES = 5 * 1024 * 1024
FILE_TYPES = ((b"\xff\xd8\xff", "image/jpeg", ".jpg", "photo"), (b"\x89PNG\r\n\x1a\n", "image/png", ".png", "photo"), (b"%PDF-", "application/pdf", ".pdf", "document"))
BULK_COLUMNS = ("project", "milestone", "date", "progress", "spent_yuan")
BULK_COLUMNS_ZH = dict(zip(("项目编号", "进展", "日期", "完成比例", "累计已用"), BULK_COLUMNS))  # Chinese headers work too


def next_states(state: str) -> tuple[str, ...]:
    return tuple(STATES[STATES.index(state) + 1:STATES.index(state) + 3]) if state in STATES[:2] else (("maintenance",) if state == "accepted" else ())


@dataclass(frozen=True)
class Milestone:
    title: str
    on_date: str
    progress: int
    spent_fen: int


def yuan_to_fen(text: object, field: str = "spent_yuan") -> int:
    """``"12,000.50"`` → 1200050, exactly (no float)."""
    from decimal import Decimal, InvalidOperation

    raw = str(text).replace(",", "").replace("¥", "").replace("，", "").strip()
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValidationError({field: Label(f"“{text}”不是金额，请写成 12000 或 12000.50", f"“{text}” is not an amount; write e.g. 12000 or 12000.50")}) from None
    fen = value * 100
    if value < 0 or fen != fen.to_integral_value():
        raise ValidationError({field: Label("金额不能为负，最多两位小数", "an amount is not negative and has at most two decimals")})
    return int(fen)


def check_milestone(title: str, on_date: str, progress: object, spent_fen: int, *, budget_fen: int, last_progress: int = 0,
                    last_spent_fen: int = 0, state: str = "funded") -> Milestone:
    """Checks a milestone before the store sees it (the database checks again)."""
    errors: dict[str, Label] = {}
    title = (title or "").strip()
    if not 1 <= len(title) <= 200:
        errors["title"] = Label("请写明进展（1–200 字）", "Say what was done (1–200 characters)")
    try:
        day = date.fromisoformat(str(on_date).strip()[:10]).isoformat()
    except ValueError:
        errors["date"] = Label(f"日期“{on_date}”无效，请写成 2026-06-01", f"date “{on_date}” is not valid; write e.g. 2026-06-01")
        day = ""
    if isinstance(progress, bool) or not isinstance(progress, int) and not (isinstance(progress, str) and progress.strip().isdigit()) and not (isinstance(progress, float) and progress.is_integer()):
        errors["progress"] = Label("完成比例是 0 到 100 的整数", "progress is a whole number from 0 to 100")
        pct = 0
    else:
        pct = int(float(progress))
        if not 0 <= pct <= 100:
            errors["progress"] = Label("完成比例是 0 到 100 的整数", "progress is a whole number from 0 to 100")
        elif pct < last_progress:
            errors["progress"] = Label(f"完成比例不能比上次（{last_progress}%）少", f"progress cannot fall below the last one ({last_progress}%)")
    if spent_fen > budget_fen:
        errors["spent"] = Label("已用金额超过了预算，请先调整预算", "money spent is above the budget; change the budget first")
    elif spent_fen < last_spent_fen:
        errors["spent"] = Label("已用金额是累计数，不能比上次少", "money spent is cumulative and cannot fall")
    if state in ("accepted", "maintenance"):
        errors["state"] = Label("项目已验收，不能再加进展", "the project is accepted; no more milestones")
    if errors:
        raise ValidationError(errors)
    return Milestone(title, day, pct, int(spent_fen))


def check_file(name: str, data: bytes) -> tuple[str, str, str]:
    """(mime, extension, kind) of an upload, by its first bytes (not its name); JPEG, PNG, PDF
    up to 5 MB."""
    if not data:
        raise ValidationError({"file": Label("文件是空的", "the file is empty")})
    if len(data) > MAX_FILE_BYTES:
        raise ValidationError({"file": Label("文件超过 5 MB，请压缩后再传", "the file is over 5 MB; make it smaller")})
    for magic, mime, ext, kind in FILE_TYPES:
        if data.startswith(magic):
            return mime, ext, kind
    raise ValidationError({"file": Label(f"“{name}”不是 JPEG、PNG 照片或 PDF 文件", f"“{name}” is not a JPEG or PNG photo or a PDF")})


def parse_bulk(data: bytes, name: str) -> list[dict]:
    """Rows of an implementer's spreadsheet (CSV or Excel) with columns BULK_COLUMNS:
    project id, milestone, date, progress %, money spent so far in yuan. Errors name the row."""
    import pandas as pd

    try:
        if name.lower().endswith((".xlsx", ".xlsm")):
            frame = pd.read_excel(io.BytesIO(data), dtype=str)
        else:
            frame = pd.read_csv(io.BytesIO(data), dtype=str, encoding="utf-8-sig")
    except Exception as exc:  # noqa: BLE001 - any unreadable file gets the same plain message
        raise ValidationError({"file": Label(f"读不出“{name}”：{exc}", f"cannot read “{name}”: {exc}")}) from None
    frame.columns = [BULK_COLUMNS_ZH.get(str(c).strip(), str(c).strip()) for c in frame.columns]
    missing = [c for c in BULK_COLUMNS if c not in frame.columns]
    if missing:
        raise ValidationError({"file": Label(f"缺少列：{', '.join(missing)}（需要 {', '.join(BULK_COLUMNS)}）", f"missing columns: {', '.join(missing)} (need {', '.join(BULK_COLUMNS)})")})
    rows = []
    for i, r in enumerate(frame.fillna("").itertuples(index=False), start=2):
        rec = dict(zip(frame.columns, r))
        if not str(rec["project"]).strip().isdigit():
            raise ValidationError({"file": Label(f"第 {i} 行：项目编号“{rec['project']}”不是数字", f"row {i}: project “{rec['project']}” is not a number")})
        try:
            spent = yuan_to_fen(rec["spent_yuan"])
        except ValidationError as exc:
            label = exc.errors["spent_yuan"]
            raise ValidationError({"file": Label(f"第 {i} 行：{label.zh}", f"row {i}: {label.en}")}) from None
        rows.append({"row": i, "project": int(rec["project"]), "title": str(rec["milestone"]), "date": str(rec["date"]),
                     "progress": str(rec["progress"]).strip(), "spent_fen": spent})
    return rows


def maintenance_due(accepted_on: str, checks: list[str], every_days: int) -> str:
    last = max([accepted_on[:10], *[c[:10] for c in checks]])
    return (date.fromisoformat(last) + timedelta(days=int(every_days))).isoformat()
