"""Minimum support: a project named on fewer ballots than the round's minimum is not funded, and
its explanation says so with the numbers; 0 keeps pabutools' semantics (a 0-vote project can be
funded by greedy-votes when money is left). Goldens by hand."""

from __future__ import annotations

import dataclasses

import pytest

from toolkit.errors import ValidationError
from toolkit.labels import Label
from toolkit.rounds import Approval, Fund, Project, RoundSettings
from toolkit.store import open_store
from toolkit.voting import cast, close_round, create_round, issue_codes


def settings(min_support: int) -> RoundSettings:
    # fund 100,000: A (60,000) gets 2 votes, B (30,000) 1 vote, C (10,000) none.
    projects = (Project("A", Label("凉亭", "Pavilion"), 60_000_00), Project("B", Label("文化墙", "Culture wall"), 30_000_00),
                Project("C", Label("长椅", "Benches"), 10_000_00))
    return RoundSettings("r", Label("测试轮", "Test round"), projects, (Fund("f", Label("共有资金", "Shared fund"), 100_000_00),),
                         Approval(min_picks=1, max_picks=3), rule="greedy-votes", min_support=min_support)


def run(tmp_path, min_support: int, lang: str = "zh"):
    store = open_store(tmp_path / f"m{min_support}.sqlite")
    rid = create_round(store, settings(min_support), scrypt_n=2**8)
    codes = issue_codes(store, rid, 3)
    store.set_round_status(rid, "open")
    for i, picks in enumerate((["A", "B"], ["A"])):
        cast(store, rid, codes[i], {"projects": picks}, submission_id=f"s{i}")
    return close_round(store, rid, lang=lang).result


def test_zero_keeps_pabutools_semantics(tmp_path):
    res = run(tmp_path, 0)
    assert set(res.allocation.selected) == {"A", "B", "C"}  # C funded with 0 votes: money was left


def test_default_one_vote_refuses_zero_vote_project(tmp_path):
    assert RoundSettings.__dataclass_fields__["min_support"].default == 1
    res = run(tmp_path, 1, lang="en")
    assert set(res.allocation.selected) == {"A", "B"}
    assert res.explanations["C"] == "Not funded: 0 votes, the minimum is 1."
    assert res.support == {"A": 2, "B": 1, "C": 0} and res.min_support == 1


def test_minimum_two_in_chinese(tmp_path):
    res = run(tmp_path, 2)
    assert set(res.allocation.selected) == {"A"}
    assert res.explanations["B"] == "未获资助：得 1 票，最少需要 2 票。"


@pytest.mark.parametrize("bad", [-1, True, 1.5])
def test_bad_minimum_refused_in_python(bad):
    with pytest.raises(ValidationError) as err:
        dataclasses.replace(settings(1), min_support=bad)
    assert "min_support" in err.value.errors


def test_dearer_than_fund_refused_with_numbers():
    s = settings(1)
    dear = s.projects + (Project("D", Label("新楼", "New block"), 100_000_01),)
    with pytest.raises(ValidationError) as err:
        dataclasses.replace(s, projects=dear)
    msg = err.value.errors["projects[4].cost_fen"]
    assert msg.zh == "“新楼”要 ¥100,000.01，比整笔资金 ¥100,000 还多，不能作为候选项目。请降低费用或增加资金。"
    assert "¥100,000.01" in msg.en and "¥100,000" in msg.en
