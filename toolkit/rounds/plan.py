"""Open budget plan (开放式预算编制 / 共有资金收支计划): income and expense lines over several rounds.

A :class:`Plan` is a frozen value: lines (income or expense, integer fen), a reserve share of income
kept back (a :class:`~fractions.Fraction`, e.g. ``Fraction(1, 10)``; the reserve is rounded **up** to
whole fen) and the carry-over from the previous period. It balances when

    expenses + reserve ≤ income + carry-over.

:func:`check_balance` refuses an overdrawn plan naming every expense line and the shortfall;
:func:`diff` lists added, removed and changed lines between two versions. A :class:`PlanProcess`
runs the rounds (6 by default): each round proposes a version, residents comment on lines by line
id, and :func:`freeze` fixes the final, balanced plan; a frozen plan refuses every edit.

>>> p = Plan((PlanLine("i1", Label("停车收入", "Parking income"), 10_000_000, "income"),
...           PlanLine("e1", Label("凉亭", "Pavilion"), 9_500_000, "expense")), Fraction(1, 10))
>>> check_balance(p)
Traceback (most recent call last):
...
toolkit.rounds.plan.OverdrawnPlan: balance: ¥5,000 short: expenses ¥95,000 plus reserve ¥10,000 exceed income ¥100,000 plus carry-over ¥0; expense lines: e1 Pavilion ¥95,000
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from fractions import Fraction

from toolkit.errors import ValidationError
from toolkit.labels import Label
from toolkit.markup import yuan
from toolkit.rounds.settings import ID_PATTERN, is_int

KINDS = ("income", "expense")
DEFAULT_ROUNDS = 6
COMMENT_MAX = 1000


@dataclass(frozen=True)
class PlanLine:
    """One line of the plan; ``fund`` optionally names the fund it comes from or is paid by."""

    id: str
    label: Label
    amount_fen: int
    kind: str
    fund: str | None = None

    def __post_init__(self) -> None:
        errors: dict[str, Label] = {}
        if not isinstance(self.id, str) or not ID_PATTERN.match(self.id):
            errors["id"] = Label("条目编号只能用字母、数字、-、_、.", "a line id uses letters, digits, -, _ and .")
        if not isinstance(self.label, Label) or not isinstance(self.label.zh, str) or not self.label.zh.strip():
            errors["label"] = Label("请填写条目名称（中文必填）", "give the line a name (Chinese required)")
        if not is_int(self.amount_fen) or self.amount_fen < 0:
            errors["amount_fen"] = Label("金额必须是 0 或更大的整数（分）", "the amount is a whole number of fen, 0 or more")
        if self.kind not in KINDS:
            errors["kind"] = Label("条目只能是收入（income）或支出（expense）", "a line is income or expense")
        if self.fund is not None and (not isinstance(self.fund, str) or not ID_PATTERN.match(self.fund)):
            errors["fund"] = Label("资金编号格式不对", "the fund id is malformed")
        if errors:
            raise ValidationError({f"{self.id}.{k}" if isinstance(self.id, str) else k: v for k, v in errors.items()})

    def describe(self, lang: str = "zh") -> str:
        return f"{self.id} {self.label.get(lang) or self.label.zh} {yuan(self.amount_fen)}"


class PlanFrozen(ValidationError):
    """The plan (or process) is frozen: it is final and refuses edits."""


class OverdrawnPlan(ValidationError):
    """Expenses plus reserve exceed income plus carry-over. ``shortfall_fen`` and ``line_ids`` say by how much and where."""

    def __init__(self, errors: dict, shortfall_fen: int, line_ids: tuple[str, ...]) -> None:
        super().__init__(errors)
        self.shortfall_fen = shortfall_fen
        self.line_ids = line_ids


@dataclass(frozen=True)
class Plan:
    """A version of the income and expense plan."""

    lines: tuple[PlanLine, ...]
    reserve_share: Fraction = Fraction(0)
    carry_over_fen: int = 0
    frozen: bool = False

    def __post_init__(self) -> None:
        errors: dict[str, Label] = {}
        if not isinstance(self.lines, tuple) or not all(isinstance(x, PlanLine) for x in self.lines):
            raise ValidationError({"lines": Label("条目格式不对", "the lines are not plan lines")})
        seen: set[str] = set()
        for line in self.lines:
            if line.id in seen:
                errors[f"{line.id}.id"] = Label(f"条目编号 {line.id} 重复了", f"line id {line.id} is used twice")
            seen.add(line.id)
        share = self.reserve_share
        if isinstance(share, bool) or not isinstance(share, (int, Fraction)) or not 0 <= share < 1:
            errors["reserve_share"] = Label("储备比例应是 0 到 1 之间的分数（如 1/10）", "the reserve share is a fraction from 0 to below 1 (e.g. 1/10)")
        if not is_int(self.carry_over_fen) or self.carry_over_fen < 0:
            errors["carry_over_fen"] = Label("结转金额必须是 0 或更大的整数（分）", "the carry-over is a whole number of fen, 0 or more")
        if not isinstance(self.frozen, bool):
            errors["frozen"] = Label("“已定稿”只能是是或否", "frozen must be true or false")
        if errors:
            raise ValidationError(errors)

    @property
    def income(self) -> tuple[PlanLine, ...]:
        return tuple(x for x in self.lines if x.kind == "income")

    @property
    def expenses(self) -> tuple[PlanLine, ...]:
        return tuple(x for x in self.lines if x.kind == "expense")

    @property
    def income_fen(self) -> int:
        return sum(x.amount_fen for x in self.income)

    @property
    def expense_fen(self) -> int:
        return sum(x.amount_fen for x in self.expenses)

    @property
    def reserve_fen(self) -> int:
        """The reserve kept back: ``reserve_share`` of income, rounded up to whole fen."""
        return math.ceil(Fraction(self.reserve_share) * self.income_fen)

    def line(self, line_id: str) -> PlanLine | None:
        return next((x for x in self.lines if x.id == line_id), None)


@dataclass(frozen=True)
class Balance:
    """A balanced plan's figures (fen); ``left_fen`` is what stays unallocated."""

    income_fen: int
    carry_over_fen: int
    reserve_fen: int
    expense_fen: int
    left_fen: int


def check_balance(plan: Plan) -> Balance:
    """The plan's figures, or :class:`OverdrawnPlan` naming every expense line and the shortfall."""
    available = plan.income_fen + plan.carry_over_fen
    needed = plan.expense_fen + plan.reserve_fen
    if needed <= available:
        return Balance(plan.income_fen, plan.carry_over_fen, plan.reserve_fen, plan.expense_fen, available - needed)
    short = needed - available
    zh_lines = "、".join(x.describe("zh") for x in plan.expenses) or "无"
    en_lines = ", ".join(x.describe("en") for x in plan.expenses) or "none"
    message = Label(
        f"缺口 {yuan(short)}：支出 {yuan(plan.expense_fen)} 加储备金 {yuan(plan.reserve_fen)}，"
        f"超过收入 {yuan(plan.income_fen)} 加结转 {yuan(plan.carry_over_fen)}；支出条目：{zh_lines}",
        f"{yuan(short)} short: expenses {yuan(plan.expense_fen)} plus reserve {yuan(plan.reserve_fen)} exceed "
        f"income {yuan(plan.income_fen)} plus carry-over {yuan(plan.carry_over_fen)}; expense lines: {en_lines}")
    raise OverdrawnPlan({"balance": message}, short, tuple(x.id for x in plan.expenses))


# ---- edits (each returns a new plan; a frozen plan refuses) -------------------------------

def _refuse_if_frozen(plan: Plan) -> None:
    if plan.frozen:
        raise PlanFrozen({"plan": Label("计划已定稿，不能再修改", "the plan is final and cannot be edited")})


def set_line(plan: Plan, line: PlanLine) -> Plan:
    """Add ``line``, or replace the line with the same id (keeping its place)."""
    _refuse_if_frozen(plan)
    if plan.line(line.id) is None:
        return replace(plan, lines=plan.lines + (line,))
    return replace(plan, lines=tuple(line if x.id == line.id else x for x in plan.lines))


def remove_line(plan: Plan, line_id: str) -> Plan:
    """Drop the line ``line_id``."""
    _refuse_if_frozen(plan)
    if plan.line(line_id) is None:
        raise ValidationError({"line": Label(f"没有编号为 {line_id} 的条目", f"there is no line {line_id}")})
    return replace(plan, lines=tuple(x for x in plan.lines if x.id != line_id))


def set_terms(plan: Plan, *, reserve_share: Fraction | None = None, carry_over_fen: int | None = None) -> Plan:
    """Change the reserve share and/or the carry-over."""
    _refuse_if_frozen(plan)
    return replace(plan, reserve_share=plan.reserve_share if reserve_share is None else reserve_share,
                   carry_over_fen=plan.carry_over_fen if carry_over_fen is None else carry_over_fen)


def freeze_plan(plan: Plan) -> Plan:
    """The final plan: balanced (else :class:`OverdrawnPlan`) and frozen."""
    check_balance(plan)
    return replace(plan, frozen=True)


# ---- diff ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class LineChange:
    """A line present in both versions with different content; ``fields`` names what changed."""

    id: str
    old: PlanLine
    new: PlanLine
    fields: tuple[str, ...]


@dataclass(frozen=True)
class PlanDiff:
    """What changed from one plan version to the next (lines in the order of the versions)."""

    added: tuple[PlanLine, ...]
    removed: tuple[PlanLine, ...]
    changed: tuple[LineChange, ...]
    terms: tuple[tuple[str, object, object], ...]  # (field, old, new) for reserve_share / carry_over_fen

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.terms)

    def summary(self) -> list[Label]:
        """One plain-words line per difference, e.g. ``e1 凉亭：¥66,000 → ¥60,000``."""
        out = [Label(f"新增 {x.describe('zh')}", f"added {x.describe('en')}") for x in self.added]
        out += [Label(f"删除 {x.describe('zh')}", f"removed {x.describe('en')}") for x in self.removed]
        for c in self.changed:
            zh, en = [], []
            if "label" in c.fields:
                zh.append(f"名称 {c.old.label.zh} → {c.new.label.zh}")
                en.append(f"name {c.old.label.en or c.old.label.zh} → {c.new.label.en or c.new.label.zh}")
            if "amount_fen" in c.fields:
                zh.append(f"金额 {yuan(c.old.amount_fen)} → {yuan(c.new.amount_fen)}")
                en.append(f"amount {yuan(c.old.amount_fen)} → {yuan(c.new.amount_fen)}")
            for f in ("kind", "fund"):
                if f in c.fields:
                    zh.append(f"{'类别' if f == 'kind' else '资金'} {getattr(c.old, f) or '—'} → {getattr(c.new, f) or '—'}")
                    en.append(f"{f} {getattr(c.old, f) or '—'} → {getattr(c.new, f) or '—'}")
            out.append(Label(f"修改 {c.id} {c.new.label.zh}：" + "，".join(zh),
                             f"changed {c.id} {c.new.label.en or c.new.label.zh}: " + "; ".join(en)))
        for f, old, new in self.terms:
            if f == "reserve_share":
                out.append(Label(f"储备比例 {old} → {new}", f"reserve share {old} → {new}"))
            else:
                out.append(Label(f"结转 {yuan(old)} → {yuan(new)}", f"carry-over {yuan(old)} → {yuan(new)}"))  # type: ignore[arg-type]
        return out


def diff(old: Plan, new: Plan) -> PlanDiff:
    """Added, removed and changed lines (by line id) and changed terms from ``old`` to ``new``."""
    added = tuple(x for x in new.lines if old.line(x.id) is None)
    removed = tuple(x for x in old.lines if new.line(x.id) is None)
    changed = []
    for x in new.lines:
        before = old.line(x.id)
        if before is not None and before != x:
            fields = tuple(f for f in ("label", "amount_fen", "kind", "fund") if getattr(before, f) != getattr(x, f))
            changed.append(LineChange(x.id, before, x, fields))
    terms = tuple((f, getattr(old, f), getattr(new, f)) for f in ("reserve_share", "carry_over_fen")
                  if getattr(old, f) != getattr(new, f))
    return PlanDiff(added, removed, tuple(changed), terms)


# ---- the multi-round process ---------------------------------------------------------------

@dataclass(frozen=True)
class Comment:
    """A resident's comment on one plan line, made during round ``round_no``."""

    line_id: str
    author: str
    text: str
    round_no: int


@dataclass(frozen=True)
class PlanVersion:
    round_no: int
    plan: Plan
    note: str = ""


@dataclass(frozen=True)
class PlanProcess:
    """Rounds of drafting (default 6): versions, comments, and the frozen final plan."""

    rounds: int = DEFAULT_ROUNDS
    versions: tuple[PlanVersion, ...] = ()
    comments: tuple[Comment, ...] = ()
    frozen: bool = False

    def __post_init__(self) -> None:
        if not is_int(self.rounds) or not 1 <= self.rounds <= 50:
            raise ValidationError({"rounds": Label("轮数应在 1 到 50 之间", "the number of rounds is between 1 and 50")})

    @property
    def current(self) -> Plan | None:
        return self.versions[-1].plan if self.versions else None

    @property
    def round_no(self) -> int:
        """The round now open (1-based): the number of versions proposed so far."""
        return len(self.versions)

    def comments_on(self, line_id: str) -> tuple[Comment, ...]:
        return tuple(c for c in self.comments if c.line_id == line_id)

    def changes(self, round_no: int) -> PlanDiff:
        """What round ``round_no`` (2…) changed compared with the round before."""
        if not 2 <= round_no <= len(self.versions):
            raise ValidationError({"round": Label(f"只有第 2 到第 {len(self.versions)} 轮可比较", f"compare rounds 2 to {len(self.versions)} only")})
        return diff(self.versions[round_no - 2].plan, self.versions[round_no - 1].plan)


def _refuse_if_final(process: PlanProcess) -> None:
    if process.frozen:
        raise PlanFrozen({"plan": Label("计划已定稿，不能再修改", "the plan is final and cannot be edited")})


def propose(process: PlanProcess, plan: Plan, note: str = "") -> PlanProcess:
    """Open the next round with ``plan`` as its version."""
    _refuse_if_final(process)
    if len(process.versions) >= process.rounds:
        raise ValidationError({"round": Label(f"已经用完全部 {process.rounds} 轮，请定稿", f"all {process.rounds} rounds are used; freeze the plan")})
    if not isinstance(plan, Plan) or plan.frozen:
        raise ValidationError({"plan": Label("只能提交未定稿的计划", "propose an unfrozen plan")})
    return replace(process, versions=process.versions + (PlanVersion(len(process.versions) + 1, plan, str(note)),))


def comment(process: PlanProcess, line_id: str, author: str, text: str) -> PlanProcess:
    """Attach a resident's comment to a line of the current version."""
    _refuse_if_final(process)
    plan = process.current
    if plan is None or plan.line(line_id) is None:
        raise ValidationError({"line": Label(f"当前版本没有编号为 {line_id} 的条目", f"the current version has no line {line_id}")})
    if not isinstance(text, str) or not text.strip():
        raise ValidationError({"text": Label("请写下意见", "write the comment")})
    if len(text) > COMMENT_MAX:
        raise ValidationError({"text": Label(f"意见最多 {COMMENT_MAX} 字（现在 {len(text)} 字）", f"at most {COMMENT_MAX} characters (now {len(text)})")})
    if not isinstance(author, str) or not author.strip():
        raise ValidationError({"author": Label("请填写提意见的人", "enter who made the comment")})
    return replace(process, comments=process.comments + (Comment(line_id, author.strip(), text.strip(), process.round_no),))


def freeze(process: PlanProcess) -> PlanProcess:
    """Freeze the current version as the final plan (it must balance); the process then refuses edits."""
    _refuse_if_final(process)
    if not process.versions:
        raise ValidationError({"plan": Label("还没有任何版本", "there is no version yet")})
    last = process.versions[-1]
    final = PlanVersion(last.round_no, freeze_plan(last.plan), last.note)
    return replace(process, versions=process.versions[:-1] + (final,), frozen=True)


__all__ = ["Balance", "Comment", "DEFAULT_ROUNDS", "LineChange", "OverdrawnPlan", "Plan", "PlanDiff", "PlanFrozen",
           "PlanLine", "PlanProcess", "PlanVersion", "check_balance", "comment", "diff", "freeze", "freeze_plan",
           "propose", "remove_line", "set_line", "set_terms"]
