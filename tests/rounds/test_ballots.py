"""check_ballot: every rule with its exact message (zh and en), and the canonical form."""

from __future__ import annotations

import pytest

from toolkit.errors import ValidationError
from toolkit.labels import Label
from toolkit.rounds.ballots import CheckedBallot, admit, check_ballot, voter_key
from toolkit.rounds.settings import Approval

from .conftest import make_settings


def refused(settings, ballot) -> dict[str, Label]:
    with pytest.raises(ValidationError) as info:
        check_ballot(settings, ballot)
    return info.value.errors


# (settings fixture, ballot, field, zh, en) — amounts worked out by hand from tests/rounds/conftest.py
CASES = [
    # knapsack, budget ¥100,000, minimum spend ¥40,000
    ("knapsack", {"projects": ["p1", "p2"]}, "projects", "超出预算 ¥12,000", "¥12,000 over the budget"),
    ("knapsack", {"projects": ["p1", "p2", "p4"]}, "projects", "超出预算 ¥20,000.50", "¥20,000.50 over the budget"),
    ("knapsack", {"projects": ["p3"]}, "projects", "还差 ¥10,000 才达到最低花费 ¥40,000",
     "¥10,000 short of the minimum spend of ¥40,000"),
    ("knapsack", {"projects": ["p4", "p6"]}, "projects", "还差 ¥26,999.50 才达到最低花费 ¥40,000",
     "¥26,999.50 short of the minimum spend of ¥40,000"),
    ("knapsack", {"projects": []}, "projects", "请至少选一个项目", "pick at least one project"),
    ("knapsack", {}, "projects", "请至少选一个项目", "pick at least one project"),
    ("knapsack", {"projects": ["p1", "p9"]}, "projects", "没有编号为 p9 的项目", "there is no project with id p9"),
    ("knapsack", {"projects": ["p3", "p3"]}, "projects", "项目 p3 选了两次", "project p3 is chosen twice"),
    ("knapsack", {"projects": "p1"}, "projects", "请以列表给出所选项目", "send the chosen projects as a list"),
    ("knapsack", {"projects": [1, 2]}, "projects", "项目编号必须是文字", "project ids must be text"),
    # approval, 2 to 5 picks
    ("approval", {"projects": ["p1"]}, "projects", "最少选 2 个", "pick at least 2"),
    ("approval", {"projects": ["p1", "p2", "p3", "p4", "p5", "p6"]}, "projects", "最多选 5 个", "pick at most 5"),
    ("approval", {"projects": ["p1", "p1"]}, "projects", "项目 p1 选了两次", "project p1 is chosen twice"),
    ("approval", {"projects": ["p1", "x" * 60]}, "projects", "没有编号为 " + "x" * 39 + "… 的项目",
     "there is no project with id " + "x" * 39 + "…"),
    # cumulative, 10 points, at most 4 per project
    ("cumulative", {"points": {"p1": 4, "p2": 4, "p3": 3}}, "points", "总分超出 1 分：最多 10 分，共给了 11 分",
     "1 points over the total: 11 given, 10 allowed"),
    ("cumulative", {"points": {"p1": 5}}, "points", "每个项目最多 4 分（p1 给了 5 分）", "at most 4 points per project (p1 has 5)"),
    ("cumulative", {"points": {"p1": -1, "p2": 3}}, "points", "分数不能是负数（p1）", "points cannot be negative (p1)"),
    ("cumulative", {"points": {"p2": 2.5}}, "points", "分数必须是整数（p2）", "points must be whole numbers (p2)"),
    ("cumulative", {"points": {"p2": 2.0}}, "points", "分数必须是整数（p2）", "points must be whole numbers (p2)"),
    ("cumulative", {"points": {"p2": "2"}}, "points", "分数必须是整数（p2）", "points must be whole numbers (p2)"),
    ("cumulative", {"points": {"p2": True}}, "points", "分数必须是整数（p2）", "points must be whole numbers (p2)"),
    ("cumulative", {"points": {"p1": 0}}, "points", "请至少给一个项目打分", "give at least one project some points"),
    ("cumulative", {"points": {"zz": 1}}, "points", "没有编号为 zz 的项目", "there is no project with id zz"),
    ("cumulative", {"points": ["p1", 3]}, "points", "请以“项目: 分数”的形式给分", "send points as project: points pairs"),
    # ranking, top 3
    ("ranking", {"ranking": ["p1", "p2", "p3", "p4"]}, "ranking", "最多排 3 个", "rank at most 3"),
    ("ranking", {"ranking": ["p1", "p2", "p1"]}, "ranking", "项目 p1 排了两次", "project p1 is ranked twice"),
    ("ranking", {"ranking": []}, "ranking", "请至少排一个项目", "rank at least one project"),
    ("ranking", {"ranking": "p1,p2"}, "ranking", "请以列表给出排序（第一名在前）", "send the ranking as a list, best first"),
    # fields every ballot type checks
    ("ranking", {"ranking": ["p1"], "assisted": "yes"}, "assisted", "“代填”只能是“是”或“否”", "assisted must be true or false"),
    ("approval", {"projects": ["p1", "p2"], "code": "ABC"}, "code", "这张选票不应有“code”这一项", "unexpected field “code” on this ballot"),
    ("approval", {"points": {"p1": 3}}, "points", "这张选票不应有“points”这一项", "unexpected field “points” on this ballot"),
    ("approval", ["p1", "p2"], "ballot", "选票格式不对", "the ballot is not in the expected form"),
    ("knapsack", None, "ballot", "选票格式不对", "the ballot is not in the expected form"),
]


@pytest.mark.parametrize("kind, ballot, field, zh, en", CASES, ids=[f"{c[0]}-{c[4]}" for c in CASES])
def test_every_rule_has_its_exact_message(request, kind, ballot, field, zh, en):
    errors = refused(request.getfixturevalue(kind), ballot)
    assert errors[field] == Label(zh, en)


def test_the_exception_text_is_the_english_messages(knapsack):
    with pytest.raises(ValidationError, match=r"^projects: ¥12,000 over the budget$"):
        check_ballot(knapsack, {"projects": ["p2", "p1"]})


def test_several_fields_are_reported_together(approval):
    errors = refused(approval, {"projects": ["p1"], "assisted": 1, "extra": 0})
    assert set(errors) == {"projects", "assisted", "extra"}


def test_knapsack_ballot_exactly_at_budget_and_at_minimum_spend(knapsack):
    # p1 + p3 + p5 = 50,000 + 30,000 + 20,000 = ¥100,000, the whole budget
    b = check_ballot(knapsack, {"projects": ["p5", "p1", "p3"]})
    assert b == CheckedBallot("knapsack", ("p1", "p3", "p5"), (), 10_000_000, False)
    # p3 + p5 = ¥30,000 + ¥20,000 = ¥50,000, above the ¥40,000 minimum
    assert check_ballot(knapsack, {"projects": ["p3", "p5"]}).cost_fen == 5_000_000


def test_budget_is_the_sum_of_funds(knapsack):
    assert knapsack.budget_fen == 7_000_000 + 3_000_000


def test_approval_canonical_order_and_assisted_flag(approval):
    b = check_ballot(approval, {"projects": ["p6", "p2"], "assisted": True})
    assert b.projects == ("p2", "p6")
    assert b.assisted is True
    assert b.cost_fen == 6_200_000 + 500_000


def test_approval_without_a_maximum_takes_every_project():
    s = make_settings(Approval(min_picks=0))
    assert check_ballot(s, {"projects": []}).projects == ()
    assert len(check_ballot(s, {"projects": ["p1", "p2", "p3", "p4", "p5", "p6"]}).projects) == 6


def test_cumulative_drops_zero_points_and_keeps_project_order(cumulative):
    b = check_ballot(cumulative, {"points": {"p5": 4, "p1": 0, "p2": 3, "p3": 3}})
    assert b.projects == ("p2", "p3", "p5")
    assert b.points == (3, 3, 4)
    assert b.points_of("p5") == 4 and b.points_of("p1") == 0


def test_ranking_keeps_the_voters_order(ranking):
    b = check_ballot(ranking, {"ranking": ["p3", "p1"]})
    assert b.projects == ("p3", "p1")
    assert b.points == ()


@pytest.mark.parametrize("kind, ballot", [
    ("approval", {"projects": ["p4", "p1", "p2"], "assisted": True}),
    ("knapsack", {"projects": ["p3", "p5"]}),
    ("cumulative", {"points": {"p6": 4, "p1": 2}}),
    ("ranking", {"ranking": ["p6", "p1", "p2"]}),
])
def test_to_dict_round_trips(request, kind, ballot):
    s = request.getfixturevalue(kind)
    b = check_ballot(s, ballot)
    assert check_ballot(s, b.to_dict()) == b


def test_settings_object_is_required(approval):
    with pytest.raises(TypeError):
        check_ballot({"ballot": "approval"}, {"projects": ["p1", "p2"]})


def test_voter_key_per_code_and_per_household(approval):
    assert voter_key(approval, code_hash="ab12") == "code:ab12"
    per_house = make_settings(Approval(), voters="household")
    assert voter_key(per_house, code_hash="ab12", household=" 3-2-401 ") == "household:3-2-401"
    with pytest.raises(ValidationError) as info:
        voter_key(per_house, code_hash="ab12")
    assert info.value.errors["household"] == Label("这一轮一户一票：请选择住户", "one ballot per household: choose the household")


def test_admit_follows_the_change_policy(approval):
    assert admit(approval, already_voted=False, is_open=True) == "insert"
    with pytest.raises(ValidationError) as info:
        admit(approval, already_voted=True, is_open=True)
    assert info.value.errors["ballot"] == Label("这个投票码已经投过票，本轮投票后不能更改",
                                                "this code has already voted; ballots cannot be changed in this round")
    replaceable = make_settings(Approval(), change_policy="replace-before-close")
    assert admit(replaceable, already_voted=True, is_open=True) == "replace"
    with pytest.raises(ValidationError) as info:
        admit(replaceable, already_voted=True, is_open=False)
    assert info.value.errors["ballot"] == Label("投票已经截止", "voting has closed")
