"""Ballots: the one check run at submit time (page), at paper entry and before storing.

A browser can send anything, so :func:`check_ballot` takes plain data and is total: it returns a
:class:`CheckedBallot` or raises :class:`~toolkit.errors.ValidationError` with one plain-words
message (zh + en, with numbers) per field. Accepted shapes, by ballot type::

    approval, knapsack   {"projects": ["p1", "p3"]}
    cumulative           {"points": {"p1": 4, "p3": 6}}
    ranking              {"ranking": ["p3", "p1"]}          best first

plus an optional ``"assisted": true`` when a grid worker or operator filled it in for a resident.
Ids must be strings, points real integers (``3.0``, ``"3"`` and ``True`` are refused); any other
key is refused too.

>>> from toolkit.rounds.settings import RoundSettings, Project, Fund, Knapsack
>>> s = RoundSettings("r", Label("轮", "round"), (Project("a", Label("甲", "A"), 500_000),
...     Project("b", Label("乙", "B"), 800_000)), (Fund("f", Label("基金", "fund"), 1_000_000),), Knapsack())
>>> check_ballot(s, {"projects": ["b"]}).cost_fen
800000
>>> check_ballot(s, {"projects": ["a", "b"]})
Traceback (most recent call last):
...
toolkit.errors.ValidationError: projects: ¥3,000 over the budget
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from toolkit.errors import ValidationError
from toolkit.labels import Label
from toolkit.markup import yuan
from toolkit.rounds.settings import Approval, Cumulative, Knapsack, Ranking, RoundSettings, is_int

FIELD_BY_KIND = {"approval": "projects", "knapsack": "projects", "cumulative": "points", "ranking": "ranking"}
ID_SHOWN = 40  # characters of a bad id quoted back in a message

MESSAGES = {
    "not_mapping": Label("选票格式不对", "the ballot is not in the expected form"),
    "unexpected": Label("这张选票不应有“{name}”这一项", "unexpected field “{name}” on this ballot"),
    "not_list": Label("请以列表给出所选项目", "send the chosen projects as a list"),
    "not_list_ranking": Label("请以列表给出排序（第一名在前）", "send the ranking as a list, best first"),
    "not_text": Label("项目编号必须是文字", "project ids must be text"),
    "unknown": Label("没有编号为 {id} 的项目", "there is no project with id {id}"),
    "duplicate": Label("项目 {id} 选了两次", "project {id} is chosen twice"),
    "too_few": Label("最少选 {n} 个", "pick at least {n}"),
    "too_many": Label("最多选 {n} 个", "pick at most {n}"),
    "over_budget": Label("超出预算 {over}", "{over} over the budget"),
    "min_spend": Label("还差 {short} 才达到最低花费 {min}", "{short} short of the minimum spend of {min}"),
    "nothing": Label("请至少选一个项目", "pick at least one project"),
    "not_points": Label("请以“项目: 分数”的形式给分", "send points as project: points pairs"),
    "non_integer": Label("分数必须是整数（{id}）", "points must be whole numbers ({id})"),
    "negative": Label("分数不能是负数（{id}）", "points cannot be negative ({id})"),
    "over_cap": Label("每个项目最多 {cap} 分（{id} 给了 {given} 分）", "at most {cap} points per project ({id} has {given})"),
    "over_total": Label("总分超出 {over} 分：最多 {total} 分，共给了 {given} 分",
                        "{over} points over the total: {given} given, {total} allowed"),
    "no_points": Label("请至少给一个项目打分", "give at least one project some points"),
    "rank_too_long": Label("最多排 {k} 个", "rank at most {k}"),
    "rank_repeat": Label("项目 {id} 排了两次", "project {id} is ranked twice"),
    "rank_empty": Label("请至少排一个项目", "rank at least one project"),
    "assisted": Label("“代填”只能是“是”或“否”", "assisted must be true or false"),
}


@dataclass(frozen=True)
class CheckedBallot:
    """A valid ballot in canonical form, ready to store and count.

    ``projects``: approval/knapsack — chosen ids in the round's project order; cumulative — ids
    with more than 0 points, in project order (``points`` runs alongside); ranking — best first.
    ``cost_fen`` is the total cost of ``projects``. ``assisted`` marks a ballot filled in on a
    resident's behalf (grid worker, paper entry operator).
    """

    kind: str
    projects: tuple[str, ...]
    points: tuple[int, ...] = ()
    cost_fen: int = 0
    assisted: bool = False

    def to_dict(self) -> dict:
        """The plain form :func:`check_ballot` accepts; checking it again gives an equal ballot."""
        out: dict[str, Any]
        if self.kind == "cumulative":
            out = {"points": dict(zip(self.projects, self.points))}
        elif self.kind == "ranking":
            out = {"ranking": list(self.projects)}
        else:
            out = {"projects": list(self.projects)}
        if self.assisted:
            out["assisted"] = True
        return out

    def points_of(self, pid: str) -> int:
        """Points given to ``pid`` (cumulative), 1 if chosen/ranked (others), else 0."""
        if pid not in self.projects:
            return 0
        return self.points[self.projects.index(pid)] if self.points else 1


def _shown(value: object) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= ID_SHOWN else text[: ID_SHOWN - 1] + "…"


def _fail(field: str, key: str, **kw: object) -> ValidationError:
    return ValidationError({field: MESSAGES[key].format(**kw)})


def check_ballot(settings: RoundSettings, ballot: Any) -> CheckedBallot:
    """Check ``ballot`` (plain data from a page or paper entry) against ``settings``.

    Returns the canonical :class:`CheckedBallot` or raises ValidationError naming the field.
    """
    if not isinstance(settings, RoundSettings):
        raise TypeError("check_ballot needs RoundSettings")
    if not isinstance(ballot, Mapping):
        raise _fail("ballot", "not_mapping")
    kind = settings.ballot.kind
    main = FIELD_BY_KIND[kind]
    errors: dict[str, Label] = {}
    for key in ballot:
        if key not in (main, "assisted"):
            errors[key if isinstance(key, str) else "ballot"] = MESSAGES["unexpected"].format(name=_shown(key))
    assisted = ballot.get("assisted", False)
    if not isinstance(assisted, bool):
        errors["assisted"] = MESSAGES["assisted"]
    try:
        if main not in ballot:
            raise _fail(main, "rank_empty" if kind == "ranking" else "no_points" if kind == "cumulative" else "nothing")
        if kind == "cumulative":
            projects, points = _check_points(settings, ballot[main])
        elif kind == "ranking":
            projects, points = _check_ranking(settings, ballot[main]), ()
        else:
            projects, points = _check_picks(settings, ballot[main]), ()
    except ValidationError as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    cost = sum(settings.project(p).cost_fen for p in projects)  # type: ignore[union-attr]
    return CheckedBallot(kind, projects, points, cost, assisted)


def _known_ids(settings: RoundSettings, ids: list, field: str, repeat_key: str) -> None:
    seen: set[str] = set()
    for pid in ids:
        if not isinstance(pid, str):
            raise _fail(field, "not_text")
        if settings.project(pid) is None:
            raise _fail(field, "unknown", id=_shown(pid))
        if pid in seen:
            raise _fail(field, repeat_key, id=pid)
        seen.add(pid)


def _in_order(settings: RoundSettings, chosen: set[str]) -> tuple[str, ...]:
    return tuple(p.id for p in settings.projects if p.id in chosen)


def _check_picks(settings: RoundSettings, picks: Any) -> tuple[str, ...]:
    if not isinstance(picks, (list, tuple)):
        raise _fail("projects", "not_list")
    _known_ids(settings, list(picks), "projects", "duplicate")
    rule = settings.ballot
    if isinstance(rule, Approval):
        if len(picks) < rule.min_picks:
            raise _fail("projects", "too_few", n=rule.min_picks)
        if rule.max_picks is not None and len(picks) > rule.max_picks:
            raise _fail("projects", "too_many", n=rule.max_picks)
    else:
        assert isinstance(rule, Knapsack)
        if not picks:
            raise _fail("projects", "nothing")
        cost = sum(settings.project(p).cost_fen for p in picks)  # type: ignore[union-attr]
        if cost > settings.budget_fen:
            raise _fail("projects", "over_budget", over=yuan(cost - settings.budget_fen))
        if cost < rule.min_spend_fen:
            raise _fail("projects", "min_spend", short=yuan(rule.min_spend_fen - cost), min=yuan(rule.min_spend_fen))
    return _in_order(settings, set(picks))


def _check_points(settings: RoundSettings, given: Any) -> tuple[tuple[str, ...], tuple[int, ...]]:
    rule = settings.ballot
    assert isinstance(rule, Cumulative)
    if not isinstance(given, Mapping):
        raise _fail("points", "not_points")
    _known_ids(settings, list(given), "points", "duplicate")  # keys of a mapping never repeat
    for pid, pts in given.items():
        if not is_int(pts):
            raise _fail("points", "non_integer", id=pid)
        if pts < 0:
            raise _fail("points", "negative", id=pid)
    for pid, pts in given.items():
        if rule.per_project_cap is not None and pts > rule.per_project_cap:
            raise _fail("points", "over_cap", cap=rule.per_project_cap, id=pid, given=pts)
    total = sum(given.values())
    if total > rule.points:
        raise _fail("points", "over_total", over=total - rule.points, total=rule.points, given=total)
    if total == 0:
        raise _fail("points", "no_points")
    projects = _in_order(settings, {p for p, v in given.items() if v > 0})
    return projects, tuple(given[p] for p in projects)


def _check_ranking(settings: RoundSettings, ranking: Any) -> tuple[str, ...]:
    rule = settings.ballot
    assert isinstance(rule, Ranking)
    if not isinstance(ranking, (list, tuple)):
        raise _fail("ranking", "not_list_ranking")
    if not ranking:
        raise _fail("ranking", "rank_empty")
    _known_ids(settings, list(ranking), "ranking", "rank_repeat")
    if len(ranking) > rule.k:
        raise _fail("ranking", "rank_too_long", k=rule.k)
    return tuple(ranking)


# ---- who may vote, and a second ballot from the same voter ---------------------------------

def voter_key(settings: RoundSettings, *, code_hash: str, household: str | None = None) -> str:
    """The uniqueness key of a ballot: the code's hash, or the household when the round is per household."""
    if settings.voters == "household":
        if not isinstance(household, str) or not household.strip():
            raise ValidationError({"household": Label("这一轮一户一票：请选择住户", "one ballot per household: choose the household")})
        return "household:" + household.strip()
    if not isinstance(code_hash, str) or not code_hash:
        raise ValidationError({"code": Label("请输入投票码", "enter a voter code")})
    return "code:" + code_hash


def admit(settings: RoundSettings, *, already_voted: bool, is_open: bool) -> str:
    """Whether a ballot from this voter is stored as ``"insert"`` or ``"replace"``; refuse otherwise."""
    if not is_open:
        raise ValidationError({"ballot": Label("投票已经截止", "voting has closed")})
    if not already_voted:
        return "insert"
    if settings.change_policy == "replace-before-close":
        return "replace"
    who = Label("这一户", "this household") if settings.voters == "household" else Label("这个投票码", "this code")
    raise ValidationError({"ballot": Label(f"{who.zh}已经投过票，本轮投票后不能更改",
                                           f"{who.en} has already voted; ballots cannot be changed in this round")})


__all__ = ["CheckedBallot", "MESSAGES", "admit", "check_ballot", "voter_key"]
