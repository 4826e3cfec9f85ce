"""Round settings (开放式预算轮次设置): candidate projects, funds, ballot type, rule spec, who votes.

Settings are plain frozen values checked as a whole when built: every problem is collected and
raised once as a :class:`~toolkit.errors.ValidationError` naming the field (``projects[2].cost_fen``).
Money is integer fen. Once the first ballot has arrived the settings are frozen:
:func:`change_settings` refuses any change.

>>> s = RoundSettings("r1", Label("2025 第一轮", "2025 round 1"),
...     (Project("p1", Label("凉亭", "Pavilion"), 6_600_000),), (Fund("f", Label("保障资金", "Protection fund"), 32_460_000),),
...     Approval(max_picks=1))
>>> s.budget_fen
32460000
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from toolkit.errors import ValidationError
from toolkit.labels import Label
from toolkit.markup import yuan

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# rule[:utility[:completion]], e.g. "greedy-votes", "mes:cost:add1-greedy". Only the shape is checked
# here; the engine in toolkit.budget resolves it (and lists the valid ids) when the round is counted.
RULE_SPEC_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,39}(:[a-z0-9-]{1,40}){0,2}$")
VOTERS = ("code", "household")
CHANGE_POLICIES = ("none", "replace-before-close")
MAX_PROJECTS = 500


def is_int(value: object) -> bool:
    """True for a real ``int`` (``bool`` is not a number of votes or fen)."""
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class Project:
    """A candidate project. ``location`` is ``(lon, lat)`` in WGS-84 or ``None``."""

    id: str
    name: Label
    cost_fen: int
    description: Label = Label("", "")
    location: tuple[float, float] | None = None


@dataclass(frozen=True)
class Fund:
    """A fund that pays for the round, with the amount put into it (integer fen)."""

    id: str
    name: Label
    amount_fen: int


@dataclass(frozen=True)
class Approval:
    """Approval ballot: pick between ``min_picks`` and ``max_picks`` projects (``None`` = any number)."""

    min_picks: int = 1
    max_picks: int | None = None
    kind = "approval"


@dataclass(frozen=True)
class Knapsack:
    """Knapsack ballot: pick projects whose total cost fits the budget, spending at least ``min_spend_fen``."""

    min_spend_fen: int = 0
    kind = "knapsack"


@dataclass(frozen=True)
class Cumulative:
    """Cumulative ballot: spread up to ``points`` points, at most ``per_project_cap`` on one project."""

    points: int = 10
    per_project_cap: int | None = None
    kind = "cumulative"


@dataclass(frozen=True)
class Ranking:
    """Ranking ballot: rank up to ``k`` projects, best first, without repeats."""

    k: int = 3
    kind = "ranking"


BallotType = Approval | Knapsack | Cumulative | Ranking
BALLOT_TYPES: dict[str, type] = {t.kind: t for t in (Approval, Knapsack, Cumulative, Ranking)}


@dataclass(frozen=True)
class RoundSettings:
    """Everything a budget round needs before the first ballot. Checked on construction."""

    id: str
    name: Label
    projects: tuple[Project, ...]
    funds: tuple[Fund, ...]
    ballot: BallotType
    rule: str = "greedy-votes"
    voters: str = "code"
    change_policy: str = "none"
    min_support: int = 1  # a project with fewer votes is not funded; 0 = pabutools' semantics

    def __post_init__(self) -> None:
        problems = settings_problems(self)
        if problems:
            raise ValidationError(problems)

    @property
    def budget_fen(self) -> int:
        """The money to allocate: the sum of all funds."""
        return sum(f.amount_fen for f in self.funds)

    def project(self, pid: str) -> Project | None:
        return next((p for p in self.projects if p.id == pid), None)


def _label_ok(value: object) -> bool:
    return isinstance(value, Label) and isinstance(value.zh, str) and isinstance(value.en, str)


def settings_problems(s: RoundSettings) -> dict[str, Label]:
    """Every problem of ``s`` as ``{field: message}``; empty when the settings are sound."""
    out: dict[str, Label] = {}
    if not isinstance(s.id, str) or not ID_PATTERN.match(s.id):
        out["id"] = Label("轮次编号只能用字母、数字、-、_、.（最多 64 位）", "a round id uses letters, digits, -, _ and . (64 at most)")
    if not _label_ok(s.name) or not s.name.zh.strip():
        out["name"] = Label("请填写轮次名称（中文必填）", "give the round a name (Chinese required)")
    out.update(_projects_problems(s.projects))
    out.update(_funds_problems(s.funds))
    budget = sum(f.amount_fen for f in s.funds if isinstance(f, Fund) and is_int(f.amount_fen))
    n_projects = len(s.projects) if isinstance(s.projects, tuple) else 0
    out.update(_ballot_problems(s.ballot, n_projects, budget))
    out.update(_affordable_problems(s.projects, budget))
    if not is_int(s.min_support) or s.min_support < 0:
        out["min_support"] = _label("nav.desk.min_support_bad")
    if not isinstance(s.rule, str) or not RULE_SPEC_PATTERN.match(s.rule):
        out["rule"] = Label("分配规则应写成“规则[:效用[:补足]]”，例如 greedy-votes 或 mes:cost:add1-greedy",
                            "write the rule as rule[:utility[:completion]], e.g. greedy-votes or mes:cost:add1-greedy")
    if s.voters not in VOTERS:
        out["voters"] = Label("投票资格只能是 code（一码一票）或 household（一户一票）",
                              "voters must be code (one ballot per code) or household (one per household)")
    if s.change_policy not in CHANGE_POLICIES:
        out["change_policy"] = Label("改票规则只能是 none（不可改）或 replace-before-close（截止前可重投）",
                                     "change policy must be none or replace-before-close")
    return out


def _projects_problems(projects: Any) -> dict[str, Label]:
    out: dict[str, Label] = {}
    if not isinstance(projects, tuple) or not projects:
        return {"projects": Label("至少需要一个候选项目", "add at least one candidate project")}
    if len(projects) > MAX_PROJECTS:
        return {"projects": Label(f"候选项目最多 {MAX_PROJECTS} 个", f"at most {MAX_PROJECTS} candidate projects")}
    seen: set[str] = set()
    for i, p in enumerate(projects, start=1):
        where = f"projects[{i}]"
        if not isinstance(p, Project):
            out[where] = Label("不是一个候选项目", "not a candidate project")
            continue
        if not isinstance(p.id, str) or not ID_PATTERN.match(p.id):
            out[where + ".id"] = Label("项目编号只能用字母、数字、-、_、.（最多 64 位）",
                                       "a project id uses letters, digits, -, _ and . (64 at most)")
        elif p.id in seen:
            out[where + ".id"] = Label(f"项目编号 {p.id} 重复了", f"project id {p.id} is used twice")
        else:
            seen.add(p.id)
        if not _label_ok(p.name) or not p.name.zh.strip():
            out[where + ".name"] = Label("请填写项目名称（中文必填）", "give the project a name (Chinese required)")
        if not is_int(p.cost_fen) or p.cost_fen <= 0:
            out[where + ".cost_fen"] = Label("费用必须是大于 0 的整数（分）", "the cost must be a whole number of fen above 0")
        if not _label_ok(p.description):
            out[where + ".description"] = Label("项目说明格式不对", "the description is not zh/en text")
        if p.location is not None:
            loc = p.location
            ok = (isinstance(loc, tuple) and len(loc) == 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in loc)
                  and -180 <= loc[0] <= 180 and -90 <= loc[1] <= 90)
            if not ok:
                out[where + ".location"] = Label("位置应为（经度, 纬度），WGS-84", "the location is (longitude, latitude) in WGS-84")
    return out


def _label(key: str, **kw: object) -> Label:
    from toolkit.i18n import text

    return Label(text(key, "zh", **kw), text(key, "en", **kw))


def _affordable_problems(projects: Any, budget: int) -> dict[str, Label]:
    """A candidate dearer than the whole fund can never be funded: refused, with the numbers."""
    if not budget or not isinstance(projects, tuple):
        return {}
    out: dict[str, Label] = {}
    for i, p in enumerate(projects, start=1):
        if isinstance(p, Project) and is_int(p.cost_fen) and p.cost_fen > budget and _label_ok(p.name):
            out[f"projects[{i}].cost_fen"] = Label(
                _label("nav.desk.too_dear", name=p.name.zh, cost=yuan(p.cost_fen), fund=yuan(budget)).zh,
                _label("nav.desk.too_dear", name=p.name.en, cost=yuan(p.cost_fen), fund=yuan(budget)).en)
    return out


def _funds_problems(funds: Any) -> dict[str, Label]:
    out: dict[str, Label] = {}
    if not isinstance(funds, tuple) or not funds:
        return {"funds": Label("至少需要一笔资金", "add at least one fund")}
    seen: set[str] = set()
    for i, f in enumerate(funds, start=1):
        where = f"funds[{i}]"
        if not isinstance(f, Fund):
            out[where] = Label("不是一笔资金", "not a fund")
            continue
        if not isinstance(f.id, str) or not ID_PATTERN.match(f.id) or f.id in seen:
            out[where + ".id"] = Label("资金编号缺失或重复", "the fund id is missing or used twice")
        else:
            seen.add(f.id)
        if not _label_ok(f.name) or not f.name.zh.strip():
            out[where + ".name"] = Label("请填写资金名称（中文必填）", "give the fund a name (Chinese required)")
        if not is_int(f.amount_fen) or f.amount_fen <= 0:
            out[where + ".amount_fen"] = Label("金额必须是大于 0 的整数（分）", "the amount must be a whole number of fen above 0")
    return out


def _ballot_problems(b: Any, n_projects: int, budget: int) -> dict[str, Label]:
    def count(v: object, low: int) -> bool:
        return is_int(v) and v >= low

    if isinstance(b, Approval):
        if not count(b.min_picks, 0):
            return {"ballot.min_picks": Label("最少选几个：请填 0 或更大的整数", "minimum picks: a whole number, 0 or more")}
        if b.max_picks is not None:
            if not count(b.max_picks, 1):
                return {"ballot.max_picks": Label("最多选几个：请填 1 或更大的整数", "maximum picks: a whole number, 1 or more")}
            if b.max_picks < b.min_picks:
                return {"ballot.max_picks": Label(f"最多选的个数（{b.max_picks}）小于最少选的个数（{b.min_picks}）",
                                                  f"the maximum ({b.max_picks}) is below the minimum ({b.min_picks})")}
        if n_projects and b.min_picks > n_projects:
            return {"ballot.min_picks": Label(f"最少选 {b.min_picks} 个，但只有 {n_projects} 个项目",
                                              f"minimum of {b.min_picks} picks but only {n_projects} projects")}
        return {}
    if isinstance(b, Knapsack):
        if not count(b.min_spend_fen, 0):
            return {"ballot.min_spend_fen": Label("最低花费必须是 0 或更大的整数（分）", "the minimum spend is a whole number of fen, 0 or more")}
        if budget and b.min_spend_fen > budget:
            return {"ballot.min_spend_fen": Label(f"最低花费 {yuan(b.min_spend_fen)} 超过了预算 {yuan(budget)}",
                                                  f"the minimum spend {yuan(b.min_spend_fen)} is above the budget {yuan(budget)}")}
        return {}
    if isinstance(b, Cumulative):
        if not count(b.points, 1):
            return {"ballot.points": Label("总分必须是 1 或更大的整数", "the point total is a whole number, 1 or more")}
        if b.per_project_cap is not None and (not count(b.per_project_cap, 1) or b.per_project_cap > b.points):
            return {"ballot.per_project_cap": Label(f"每个项目的上限应在 1 到 {b.points} 分之间",
                                                    f"the per-project cap is between 1 and {b.points} points")}
        return {}
    if isinstance(b, Ranking):
        if not count(b.k, 1) or (n_projects and b.k > n_projects):
            top = n_projects or "N"
            return {"ballot.k": Label(f"排序个数应在 1 到 {top} 之间", f"rank between 1 and {top} projects")}
        return {}
    return {"ballot": Label("选票类型只能是 approval、knapsack、cumulative、ranking",
                            "the ballot type is approval, knapsack, cumulative or ranking")}


class SettingsFrozen(ValidationError):
    """The round has ballots, so its settings can no longer change."""


def change_settings(current: RoundSettings, new: RoundSettings, ballot_count: int) -> RoundSettings:
    """Accept ``new`` in place of ``current`` while no ballot has arrived; refuse it afterwards.

    Returns ``new`` (already checked when built). Re-saving identical settings is always allowed.
    """
    if not is_int(ballot_count) or ballot_count < 0:
        raise ValidationError({"ballot_count": Label("选票数必须是 0 或更大的整数", "the ballot count is a whole number, 0 or more")})
    if not isinstance(current, RoundSettings) or not isinstance(new, RoundSettings):
        raise ValidationError({"settings": Label("不是轮次设置", "not round settings")})
    if new.id != current.id:
        raise ValidationError({"id": Label("不能更改轮次编号", "the round id cannot change")})
    if ballot_count and new != current:
        changed = ", ".join(f.name for f in fields(current) if getattr(current, f.name) != getattr(new, f.name))
        raise SettingsFrozen({"settings": Label(
            f"已收到 {ballot_count} 张选票，设置已冻结，不能再改（想改的是：{changed}）",
            f"{ballot_count} ballots have arrived, so the settings are frozen (tried to change: {changed})")})
    return new


# ---- plain-data form (for the store: JSON column) -------------------------------------------

def settings_to_dict(s: RoundSettings) -> dict:
    """A JSON-ready dict; :func:`settings_from_dict` reads it back to an equal value."""
    b = s.ballot
    ballot = {"kind": b.kind, **{f: getattr(b, f) for f in b.__dataclass_fields__}}
    return {
        "id": s.id, "name": [s.name.zh, s.name.en],
        "projects": [{"id": p.id, "name": [p.name.zh, p.name.en], "cost_fen": p.cost_fen,
                      "description": [p.description.zh, p.description.en],
                      "location": list(p.location) if p.location is not None else None} for p in s.projects],
        "funds": [{"id": f.id, "name": [f.name.zh, f.name.en], "amount_fen": f.amount_fen} for f in s.funds],
        "ballot": ballot, "rule": s.rule, "voters": s.voters, "change_policy": s.change_policy,
        "min_support": s.min_support,
    }


def settings_from_dict(data: Mapping) -> RoundSettings:
    """Build settings from plain data (as stored or sent by a form); raise ValidationError if bad."""
    def label(v: Any, where: str) -> Label:
        if isinstance(v, (list, tuple)) and len(v) == 2 and all(isinstance(x, str) for x in v):
            return Label(v[0], v[1])
        raise ValidationError({where: Label("应为 [中文, English] 两段文字", "expected [zh, en] text")})

    if not isinstance(data, Mapping):
        raise ValidationError({"settings": Label("设置格式不对", "the settings are not a mapping")})
    try:
        projects = tuple(
            Project(p["id"], label(p["name"], f"projects[{i}].name"), p["cost_fen"],
                    label(p.get("description") or ["", ""], f"projects[{i}].description"),
                    tuple(p["location"]) if p.get("location") is not None else None)
            for i, p in enumerate(data["projects"], start=1))
        funds = tuple(Fund(f["id"], label(f["name"], f"funds[{i}].name"), f["amount_fen"])
                      for i, f in enumerate(data["funds"], start=1))
        bdata = dict(data["ballot"])
        kind = bdata.pop("kind")
        if kind not in BALLOT_TYPES:
            raise ValidationError({"ballot": Label(f"不认识的选票类型 {kind!r}", f"unknown ballot type {kind!r}; "
                                                   f"use one of {', '.join(BALLOT_TYPES)}")})
        ballot = BALLOT_TYPES[kind](**bdata)
        return RoundSettings(data["id"], label(data["name"], "name"), projects, funds, ballot,
                             data.get("rule", "greedy-votes"), data.get("voters", "code"),
                             data.get("change_policy", "none"),
                             data.get("min_support", 0))  # rounds stored before the setting: pabutools' semantics
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValidationError({"settings": Label(f"设置缺项或格式不对：{exc}", f"settings missing a field or malformed: {exc}")}) from None


__all__ = ["Approval", "BALLOT_TYPES", "BallotType", "CHANGE_POLICIES", "Cumulative", "Fund", "Knapsack", "Project",
           "Ranking", "RoundSettings", "SettingsFrozen", "VOTERS", "change_settings", "is_int", "settings_from_dict",
           "settings_problems", "settings_to_dict"]
