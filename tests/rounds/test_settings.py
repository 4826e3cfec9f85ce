"""Round settings: checked as a whole, frozen after the first ballot, stored as plain data."""

from __future__ import annotations

from dataclasses import replace

import pytest

from toolkit.errors import ValidationError
from toolkit.labels import Label
from toolkit.rounds.settings import (Approval, Cumulative, Fund, Knapsack, Project, Ranking, RoundSettings,
                                     SettingsFrozen, change_settings, settings_from_dict, settings_to_dict)

from .conftest import make_settings


def problems(**kw) -> dict:
    with pytest.raises(ValidationError) as info:
        make_settings(**kw)
    return info.value.errors


@pytest.mark.parametrize("ballot, field, en", [
    (Approval(min_picks=3, max_picks=2), "ballot.max_picks", "the maximum (2) is below the minimum (3)"),
    (Approval(min_picks=7), "ballot.min_picks", "minimum of 7 picks but only 6 projects"),
    (Approval(min_picks=-1), "ballot.min_picks", "minimum picks: a whole number, 0 or more"),
    (Knapsack(min_spend_fen=10_000_001), "ballot.min_spend_fen", "the minimum spend ¥100,000.01 is above the budget ¥100,000"),
    (Knapsack(min_spend_fen=1.5), "ballot.min_spend_fen", "the minimum spend is a whole number of fen, 0 or more"),
    (Cumulative(points=0), "ballot.points", "the point total is a whole number, 1 or more"),
    (Cumulative(points=10, per_project_cap=11), "ballot.per_project_cap", "the per-project cap is between 1 and 10 points"),
    (Ranking(k=7), "ballot.k", "rank between 1 and 6 projects"),
    ("approval", "ballot", "the ballot type is approval, knapsack, cumulative or ranking"),
])
def test_ballot_type_settings_are_checked(ballot, field, en):
    assert problems(ballot=ballot)[field].en == en


@pytest.mark.parametrize("kw, field", [
    ({"rule": "Greedy votes"}, "rule"),
    ({"rule": "mes:cost:add1:extra"}, "rule"),
    ({"voters": "everyone"}, "voters"),
    ({"change_policy": "anytime"}, "change_policy"),
])
def test_rule_voters_and_policy_are_checked(kw, field):
    assert field in problems(ballot=Approval(), **kw)


@pytest.mark.parametrize("rule", ["greedy-votes", "mes:cost:add1-greedy", "mes", "phragmen", "max-welfare:cost"])
def test_rule_specs_of_the_engine_are_accepted(rule):
    assert make_settings(Approval(), rule=rule).rule == rule


def test_projects_and_funds_are_checked_with_their_position():
    good = make_settings(Approval())
    bad_projects = good.projects + (Project("p1", Label("", "x"), 0, location=(200.0, 30.0)),)
    with pytest.raises(ValidationError) as info:
        RoundSettings("r", good.name, bad_projects, (Fund("f", Label("基金", "fund"), -5),), Approval())
    errors = info.value.errors
    assert errors["projects[7].id"] == Label("项目编号 p1 重复了", "project id p1 is used twice")
    assert "projects[7].name" in errors and "projects[7].cost_fen" in errors and "projects[7].location" in errors
    assert errors["funds[1].amount_fen"].en == "the amount must be a whole number of fen above 0"


def test_cost_must_be_integer_fen():
    with pytest.raises(ValidationError) as info:
        RoundSettings("r", Label("轮", "r"), (Project("a", Label("甲", "A"), 100.0),), (Fund("f", Label("基", "f"), 1),), Approval())
    assert list(info.value.errors) == ["projects[1].cost_fen"]


def test_settings_change_freely_before_the_first_ballot():
    old = make_settings(Approval(max_picks=5))
    new = make_settings(Approval(max_picks=3))
    assert change_settings(old, new, 0) is new


def test_settings_are_frozen_once_a_ballot_has_arrived():
    old = make_settings(Approval(max_picks=5))
    new = make_settings(Approval(max_picks=3), rule="mes:cost")
    with pytest.raises(SettingsFrozen) as info:
        change_settings(old, new, 1)
    assert info.value.errors["settings"] == Label(
        "已收到 1 张选票，设置已冻结，不能再改（想改的是：ballot, rule）",
        "1 ballots have arrived, so the settings are frozen (tried to change: ballot, rule)")
    assert change_settings(old, make_settings(Approval(max_picks=5)), 12) == old  # saving the same is fine


@pytest.mark.parametrize("count", [-1, 1.0, "3", True])
def test_ballot_count_must_be_a_count(count):
    s = make_settings(Approval())
    with pytest.raises(ValidationError):
        change_settings(s, s, count)


def test_round_id_cannot_change():
    s = make_settings(Approval())
    with pytest.raises(ValidationError):
        change_settings(s, replace(s, id="other"), 0)


@pytest.mark.parametrize("ballot", [Approval(1, 4), Knapsack(2_000_000), Cumulative(12, 5), Ranking(2)])
def test_plain_data_round_trip(ballot):
    s = make_settings(ballot, voters="household", change_policy="replace-before-close", rule="mes:cost:add1")
    data = settings_to_dict(s)
    import json
    assert settings_from_dict(json.loads(json.dumps(data))) == s


def test_plain_data_with_a_missing_field_is_refused():
    data = settings_to_dict(make_settings(Approval()))
    del data["funds"]
    with pytest.raises(ValidationError) as info:
        settings_from_dict(data)
    assert "settings" in info.value.errors
    data = settings_to_dict(make_settings(Approval()))
    data["ballot"]["kind"] = "borda"
    with pytest.raises(ValidationError, match="unknown ballot type 'borda'"):
        settings_from_dict(data)
